#!/usr/bin/env python3
"""Inference throughput: `assay infer` against a bare LibTorch forward loop, same model, same run.

Writes a small CNN (four convolutions, 32-128 channels, 128x128 input; fixed seed) as
TorchScript and N DICOM images (default 1,024; 128x128, 16 bits). Then, in 5 rounds,
the two taking turns:
  - the bare loop: bench/torch_loop.cpp, a C++ program on the same LibTorch 1.13 running
    model.forward over images already in memory, in batches of 32, inference mode, all
    cores, with jemalloc keeping freed pages as assay does when it runs a model (the
    allocator alone changes the forward pass's speed by a factor of about 2.5 here);
    and, for reference, the same loop in Debian's python3-torch as shipped (glibc);
  - `assay infer --batch 32`: the images/s it reports for its inference loop (decoding
    each DICOM file, percentile normalization, batching and the forward passes; the
    process start and model loading are left out, as the bare loop leaves them out).
Prints images/s for each and the median over 7 alternating rounds of the ratio of assay to
the C++ bare loop (target: assay within 10%, ratio >= 0.9),
then assay's images/s on 256 of the images, clean and with each perturbation at severity 3
(flip: 1), which is what a stress point costs.

Usage: /usr/bin/python3 bench/infer_bench.py [ASSAY_BINARY] [--images N] [--loop TORCH_LOOP]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import pydicom
import torch
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

SIZE = 128
BATCH = 32


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.features = torch.nn.Sequential(
            torch.nn.Conv2d(1, 32, 3, padding=1), torch.nn.ReLU(),
            torch.nn.Conv2d(32, 64, 3, padding=1, stride=2), torch.nn.ReLU(),
            torch.nn.Conv2d(64, 64, 3, padding=1, stride=2), torch.nn.ReLU(),
            torch.nn.Conv2d(64, 128, 3, padding=1, stride=2), torch.nn.ReLU())
        self.head = torch.nn.Linear(128, 1)

    def forward(self, x):
        return self.head(self.features(x).mean(dim=(2, 3)))


def write_images(folder, count):
    rng = np.random.default_rng(1)
    arrays = []
    with open(os.path.join(folder, "list.csv"), "w") as listing:
        listing.write("path\n")
        for i in range(count):
            pixels = rng.integers(0, 4096, size=(SIZE, SIZE)).astype(np.uint16)
            meta = FileMetaDataset()
            meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
            meta.MediaStorageSOPInstanceUID = f"1.2.826.0.1.3680043.10.2000.{i}"
            meta.TransferSyntaxUID = ExplicitVRLittleEndian
            ds = Dataset()
            ds.file_meta = meta
            ds.SOPClassUID = meta.MediaStorageSOPClassUID
            ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
            ds.Rows = ds.Columns = SIZE
            ds.SamplesPerPixel = 1
            ds.PhotometricInterpretation = "MONOCHROME2"
            ds.BitsAllocated = 16
            ds.BitsStored = 12
            ds.HighBit = 11
            ds.PixelRepresentation = 0
            ds.PixelData = pixels.tobytes()
            ds.save_as(os.path.join(folder, f"i{i:05d}.dcm"), write_like_original=False)
            listing.write(f"i{i:05d}.dcm\n")
            low, high = np.percentile(pixels, [0.5, 99.5])
            arrays.append(np.clip((pixels - low) / (high - low), 0, 1).astype(np.float32))
    return torch.from_numpy(np.stack(arrays)[:, None])


def bare_loop_process(folder):
    """The Python bare loop in a process of its own, as shipped."""
    result = subprocess.run([sys.executable, os.path.abspath(__file__), "--bare", folder],
                            capture_output=True, text=True, check=True)
    return float(result.stdout.split()[-1])


def torch_loop(program, folder, count):
    result = subprocess.run([program, os.path.join(folder, "model.pt"), str(count), str(SIZE),
                             str(BATCH), str(os.cpu_count())],
                            capture_output=True, text=True, check=True)
    return float(result.stdout.split()[-1])


def bare_main(folder):
    torch.set_num_threads(os.cpu_count())
    model = torch.jit.load(os.path.join(folder, "model.pt")).eval()
    images = torch.load(os.path.join(folder, "images.pt"))
    bare_loop(model, images[:BATCH * 2])  # warm-up
    print(f"{bare_loop(model, images):.3f}")


def bare_loop(model, images):
    start = time.perf_counter()
    with torch.inference_mode():
        for first in range(0, len(images), BATCH):
            model(images[first:first + BATCH])
    return len(images) / (time.perf_counter() - start)


def assay_infer(assay, folder, perturbation=None, listing="list.csv"):
    command = [assay, "infer", "--model", os.path.join(folder, "model.pt"), "--images",
               os.path.join(folder, listing), "--key", "path", "--input-size", str(SIZE),
               str(SIZE), "--intensity", "percentile", "--score", "logit", "--batch", str(BATCH),
               "--out", os.path.join(folder, "out.csv")]
    if perturbation:
        command += ["--perturb", perturbation, "--severity", "1" if perturbation == "flip" else "3"]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return float(re.search(r"\(([0-9.]+) images/s\)", result.stdout).group(1))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--bare":
        bare_main(sys.argv[2])
        return 0
    parser = argparse.ArgumentParser()
    parser.add_argument("assay", nargs="?", default="build/src/assay")
    parser.add_argument("--images", type=int, default=1024)
    parser.add_argument("--loop", default=None, help="bench/torch_loop (default: beside assay's build)")
    args = parser.parse_args()
    assay = os.path.abspath(args.assay)
    loop = args.loop or os.path.join(os.path.dirname(os.path.dirname(assay)), "bench", "torch_loop")
    # Every core for both (LibTorch's OpenMP pool may otherwise start with one thread).
    torch.set_num_threads(os.cpu_count())
    with tempfile.TemporaryDirectory() as folder:
        torch.manual_seed(0)
        model = torch.jit.trace(Net().eval(), torch.rand(BATCH, 1, SIZE, SIZE))
        model.save(os.path.join(folder, "model.pt"))
        images = write_images(folder, args.images)
        torch.save(images, os.path.join(folder, "images.pt"))
        assay_infer(assay, folder)
        shipped, bare, ours, ratios = [], [], [], []
        for round_ in range(7):
            if round_ < 2:
                shipped.append(bare_loop_process(folder))
            bare.append(torch_loop(loop, folder, args.images))
            ours.append(assay_infer(assay, folder))
            ratios.append(ours[-1] / bare[-1])
        print(f"bare LibTorch forward loop in C++ (batch {BATCH}, {os.cpu_count()} threads, jemalloc "
              f"keeping freed pages): {statistics.median(bare):.0f} images/s")
        print(f"the same loop in python3-torch as shipped (glibc): "
              f"{statistics.median(shipped):.0f} images/s")
        print(f"assay infer (decode + preprocess + forward): {statistics.median(ours):.0f} images/s")
        ratio = statistics.median(ratios)
        print(f"ratio assay / bare loop: {ratio:.2f} (rounds: "
              f"{', '.join(f'{r:.2f}' for r in ratios)}; target >= 0.90); assay / python loop as "
              f"shipped: {statistics.median(ours) / statistics.median(shipped):.2f}")
        print(f"summary\tassay infer vs bare LibTorch loop, batch {BATCH}\t{ratio:.2f}x\t>= 0.90\t"
              f"{'met' if ratio >= 0.9 else 'NOT MET'}")
        # Perturbation throughput on the first 256 images (a stress point's cost).
        lines = open(os.path.join(folder, "list.csv")).read().splitlines()
        with open(os.path.join(folder, "short.csv"), "w") as short:
            short.write("\n".join(lines[:257]) + "\n")
        print(f"  clean                        : {assay_infer(assay, folder, None, 'short.csv'):7.0f} images/s")
        for name in ["gaussian_noise", "poisson_noise", "gaussian_blur", "resample", "contrast",
                     "gamma", "level_shift", "bias_field", "ghosting", "motion", "jpeg",
                     "rotation", "translation", "flip"]:
            print(f"  with {name:15s} severity 3: {assay_infer(assay, folder, name, 'short.csv'):7.0f} images/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
