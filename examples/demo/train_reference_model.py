#!/usr/bin/python3
"""Trains the demo's reference model: a small lesion classifier for 128 x 128
radiograph-like images, saved as TorchScript (examples/demo/reference_model.pt).

  1. `assay synth --config examples/demo/train_cohort.toml` writes the training cohort
     (two development sites, GE and Siemens scanners, 4000 cases, no planted failure
     modes) into a temporary folder;
  2. each DICOM image is read with pydicom and normalized exactly as assay's
     `intensity = "percentile"`, `percentiles = [0.5, 99.5]` preprocessing does: modality
     values, the 0.5th and 99.5th percentiles (linear interpolation, numpy's default) to
     0 and 1, clipped;
  3. a small CNN (four conv blocks, global max and mean pooling, a 16-feature embedding,
     one logit) is trained on 80% of the images, and its AUC is printed on the held-out
     20% (development images it never saw).

The model returns (logit, embedding): output 0 is an N x 1 logit, output 1 an N x 16
embedding. Run it with assay as

  assay infer --model examples/demo/reference_model.pt --images LIST.csv \\
      --input-size 128 128 --intensity percentile --score logit --out predictions.csv

Fixed seeds and two threads: a rerun gives the same weights on the same machine. About
a minute of training on two idle cores (14 epochs of 3,200 images); --cohort DIR trains on
a cohort already written instead of running assay synth.
Usage: train_reference_model.py ASSAY_BINARY [--out FILE] [--epochs N] [--cohort DIR]
"""
import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import pydicom
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
SIZE = 128


class LesionNet(nn.Module):
    """Conv blocks down to 16 x 16, global max and mean pooling, an embedding, a logit."""

    def __init__(self):
        super().__init__()

        def block(inputs, outputs, kernel, stride=1):
            return [nn.Conv2d(inputs, outputs, kernel, stride=stride, padding=kernel // 2,
                              bias=False),
                    nn.BatchNorm2d(outputs), nn.ReLU()]

        # 128 -> 64 (strided 5 x 5) -> 32 -> 16: the first layer sees every pixel once
        # at a quarter of the cost of a full-resolution one.
        self.features = nn.Sequential(
            *block(1, 16, 5, stride=2), *block(16, 16, 3), nn.MaxPool2d(2),
            *block(16, 32, 3), nn.MaxPool2d(2),
            *block(32, 32, 3))
        self.embed = nn.Linear(64, 16)
        self.head = nn.Linear(16, 1)

    def forward(self, x):
        features = self.features(x)
        pooled = torch.cat([torch.amax(features, dim=(2, 3)), torch.mean(features, dim=(2, 3))],
                           dim=1)
        embedding = torch.relu(self.embed(pooled))
        return self.head(embedding), embedding


def normalize(pixels):
    """assay's percentile intensity: 0.5th-99.5th percentile to [0, 1], clipped."""
    low, high = np.percentile(pixels, [0.5, 99.5])
    width = high - low if high > low else 1.0
    return np.clip((pixels - low) / width, 0.0, 1.0).astype(np.float32)


def load_cohort(folder):
    """Images (N x 1 x 128 x 128, normalized) and labels, joined by StudyInstanceUID."""
    with open(os.path.join(folder, "labels.csv"), newline="") as handle:
        labels = {row["study"]: row["finding"] == "lesion" for row in csv.DictReader(handle)}
    images, truth = [], []
    for root, _, names in os.walk(os.path.join(folder, "images")):
        for name in sorted(names):
            dataset = pydicom.dcmread(os.path.join(root, name))
            if dataset.StudyInstanceUID not in labels:
                continue
            slope = float(getattr(dataset, "RescaleSlope", 1.0))
            intercept = float(getattr(dataset, "RescaleIntercept", 0.0))
            pixels = dataset.pixel_array.astype(np.float64) * slope + intercept
            images.append(normalize(pixels)[None])
            truth.append(labels.pop(dataset.StudyInstanceUID))
    return np.stack(images), np.array(truth, dtype=np.float32)


def auc(scores, truth):
    """Area under the ROC curve (Mann-Whitney, ties count one half)."""
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    positives = truth > 0.5
    n1, n0 = positives.sum(), (~positives).sum()
    return (ranks[positives].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)


def augment(batch, generator):
    """Random flips and quarter turns (the lesion task has no orientation)."""
    if torch.rand(1, generator=generator).item() < 0.5:
        batch = torch.flip(batch, dims=[3])
    if torch.rand(1, generator=generator).item() < 0.5:
        batch = torch.flip(batch, dims=[2])
    turns = int(torch.randint(0, 4, (1,), generator=generator).item())
    return torch.rot90(batch, turns, dims=[2, 3])


def predict(model, images):
    model.eval()
    with torch.no_grad():
        return torch.cat([model(images[i:i + 256])[0] for i in range(0, len(images), 256)])[:, 0]


def train(images, truth, epochs):
    generator = torch.Generator().manual_seed(11)
    model = LesionNet()
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    steps = epochs * ((len(images) + 63) // 64)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=steps)
    loss_function = nn.BCEWithLogitsLoss()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(images), generator=generator)
        total = 0.0
        for start in range(0, len(images), 64):
            index = order[start:start + 64]
            batch = augment(images[index], generator)
            loss = loss_function(model(batch)[0][:, 0], truth[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.item() * len(index)
        print(f"epoch {epoch + 1}/{epochs}: loss {total / len(images):.4f}", flush=True)
    return model.eval()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assay", help="the assay program")
    parser.add_argument("--out", default=os.path.join(HERE, "reference_model.pt"))
    parser.add_argument("--epochs", type=int, default=14)
    parser.add_argument("--cohort", help="an existing training cohort folder (skips assay synth)")
    args = parser.parse_args()
    torch.manual_seed(0)
    np.random.seed(0)
    torch.set_num_threads(2)

    started = time.monotonic()
    if args.cohort:
        images, truth = load_cohort(args.cohort)
    else:
        with tempfile.TemporaryDirectory() as work:
            cohort = os.path.join(work, "train")
            subprocess.run([args.assay, "synth", "--config",
                            os.path.join(HERE, "train_cohort.toml"), "--out", cohort], check=True)
            images, truth = load_cohort(cohort)
    print(f"{len(images)} images ({int(truth.sum())} with a lesion) written and read in "
          f"{time.monotonic() - started:.1f} s")

    # 80% to train, 20% held out (stratified, fixed seed).
    rng = np.random.default_rng(5)
    held_out = np.zeros(len(truth), dtype=bool)
    for value in (0.0, 1.0):
        members = np.flatnonzero(truth == value)
        held_out[rng.choice(members, size=len(members) // 5, replace=False)] = True
    images, truth = torch.from_numpy(images), torch.from_numpy(truth)
    started = time.monotonic()
    model = train(images[~held_out], truth[~held_out], args.epochs)
    print(f"trained in {time.monotonic() - started:.1f} s")
    validation = auc(predict(model, images[held_out]).numpy(), truth[held_out].numpy())
    print(f"validation AUC on {int(held_out.sum())} held-out development images: {validation:.3f}")

    scripted = torch.jit.trace(model, torch.rand(2, 1, SIZE, SIZE))
    scripted.save(args.out)
    print(f"wrote {args.out} ({os.path.getsize(args.out) / 1024:.0f} KB)")


if __name__ == "__main__":
    sys.exit(main())
