#!/usr/bin/python3
"""Writes a small imaging cohort with real pixels and a model to run on it, for
`assay infer` and a protocol with [model] and [stress] (examples/stress_protocol.toml):

  OUT/archive/      64x64 DICOM radiograph-like images: a smooth textured background
                    with noise, and in positives a small round lesion (Gaussian blob,
                    sigma 2.5 pixels) of varying contrast; one study per patient;
  OUT/labels.csv    the truth per study (lesion / none);
  OUT/model.pt      a lesion detector as TorchScript: a difference-of-Gaussians matched
                    filter, its maximum over the image, and a logistic output whose
                    offset was set on a separate development sample (another seed);
  OUT/model.onnx    the same network as ONNX (outputs "logit" and "embedding").

The detector is no trained CNN, but it fails the way detectors fail: noise, blur and
coarse sampling hide low-contrast lesions. Fixed seeds; pydicom and torch (Debian's
python3-pydicom and python3-torch) write the files.
Usage: make_stress_example.py OUT [--studies N]
"""
import argparse
import os

import numpy as np
import pydicom
import torch
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

SIZE = 64
VENDORS = [("GE Healthcare", "Discovery XR656"), ("SIEMENS", "Ysio Max"),
           ("Philips Medical Systems", "DigitalDiagnost")]


def make_image(rng, lesion):
    """A background of low-frequency texture plus noise; a blob where `lesion`."""
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
    image = np.full((SIZE, SIZE), 1000.0)
    for _ in range(4):
        fx, fy = rng.uniform(0.2, 1.0, size=2) / SIZE
        phase = rng.uniform(0, 2 * np.pi)
        image += rng.uniform(40, 120) * np.sin(2 * np.pi * (fx * x + fy * y) + phase)
    image += rng.normal(0, 15, size=image.shape)
    if lesion:
        cx, cy = rng.uniform(14, SIZE - 14, size=2)
        contrast = rng.uniform(10, 70)
        image += contrast * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * 2.5 ** 2))
    return np.clip(np.rint(image), 0, 4095).astype(np.uint16)


class LesionDetector(torch.nn.Module):
    """Difference-of-Gaussians filter -> maximum inside the border -> logistic; an
    embedding of 4 summaries."""

    def __init__(self, offset, scale):
        super().__init__()
        self.filter = torch.nn.Conv2d(1, 1, 15, padding=7, bias=False)
        r = torch.arange(15, dtype=torch.float32) - 7
        d2 = r[None, :] ** 2 + r[:, None] ** 2
        narrow = torch.exp(-d2 / (2 * 2.5 ** 2))
        wide = torch.exp(-d2 / (2 * 6.0 ** 2))
        kernel = narrow / narrow.sum() - wide / wide.sum()
        with torch.no_grad():
            self.filter.weight.copy_(kernel[None, None])
        self.register_buffer("offset", torch.tensor(float(offset)))
        self.register_buffer("scale", torch.tensor(float(scale)))

    def forward(self, x):
        # The border, where the zero padding meets the image, is left out.
        # (Fixed indices and pooling rather than reductions: forms OpenCV's ONNX
        # importer takes.)
        response = self.filter(x)[:, :, 8:SIZE - 8, 8:SIZE - 8]
        pool = torch.nn.functional
        peak = pool.max_pool2d(response, SIZE - 16).flatten(1)
        mean = pool.avg_pool2d(x, SIZE).flatten(1)
        spread = torch.sqrt(torch.relu(pool.avg_pool2d(x * x, SIZE).flatten(1) - mean * mean))
        embedding = torch.cat([peak, pool.avg_pool2d(response, SIZE - 16).flatten(1), mean, spread],
                              dim=1)
        return (peak - self.offset) * self.scale, embedding


def normalize(image):
    """The protocol's preprocessing: 0.5th to 99.5th percentile to [0, 1]."""
    low, high = np.percentile(image, [0.5, 99.5])
    return np.clip((image - low) / (high - low), 0, 1).astype(np.float32)


def fit_model(seed):
    """Sets the logistic offset and scale on a development sample."""
    rng = np.random.default_rng(seed)
    labels = rng.random(400) < 0.5
    images = np.stack([normalize(make_image(rng, bool(l)))[None] for l in labels])
    probe = LesionDetector(0.0, 1.0).eval()
    with torch.no_grad():
        peaks = probe(torch.from_numpy(images))[0].numpy().ravel()
    # Offset at the midpoint of the class means; scale so that a class mean's
    # distance from it is a logit of 3.
    positive, negative = peaks[labels].mean(), peaks[~labels].mean()
    offset = (positive + negative) / 2
    return LesionDetector(offset, 3.0 / max((positive - negative) / 2, 1e-6)).eval()


def write_dicom(path, pixels, study, patient, vendor, model, age, sex, index):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"
    meta.MediaStorageSOPInstanceUID = f"1.2.826.0.1.3680043.10.1000.3.{index}"
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = study
    ds.SeriesInstanceUID = f"1.2.826.0.1.3680043.10.1000.2.{index}"
    ds.Modality = "DX"
    ds.Manufacturer = vendor
    ds.ManufacturerModelName = model
    ds.PatientID = patient
    ds.PatientAge = f"{age:03d}Y"
    ds.PatientSex = sex
    ds.PixelSpacing = ["0.5", "0.5"]
    ds.Rows = ds.Columns = SIZE
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.PixelData = pixels.tobytes()
    ds.save_as(path, write_like_original=False)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--studies", type=int, default=200)
    args = parser.parse_args()
    archive = os.path.join(args.out, "archive")
    os.makedirs(archive, exist_ok=True)
    torch.manual_seed(0)
    model = fit_model(seed=99)
    example = torch.rand(2, 1, SIZE, SIZE)
    torch.jit.trace(model, example).save(os.path.join(args.out, "model.pt"))
    torch.onnx.export(model, example, os.path.join(args.out, "model.onnx"),
                      input_names=["image"], output_names=["logit", "embedding"],
                      dynamic_axes={"image": {0: "batch"}, "logit": {0: "batch"},
                                    "embedding": {0: "batch"}}, opset_version=13)
    rng = np.random.default_rng(20261204)
    rows = ["study,finding"]
    for i in range(args.studies):
        lesion = rng.random() < 0.4
        study = f"1.2.826.0.1.3680043.10.1000.1.{i}"
        vendor, model_name = VENDORS[i % len(VENDORS)]
        write_dicom(os.path.join(archive, f"image{i:04d}.dcm"), make_image(rng, lesion), study,
                    f"P{i:05d}", vendor, model_name, int(rng.integers(20, 90)),
                    "F" if rng.random() < 0.5 else "M", i)
        rows.append(f"{study},{'lesion' if lesion else 'none'}")
    with open(os.path.join(args.out, "labels.csv"), "w") as out:
        out.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
