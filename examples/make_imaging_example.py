#!/usr/bin/python3
"""Writes a small synthetic imaging cohort for `assay scan`, `assay audit` and a
`[data.imaging]` protocol (examples/imaging_protocol.toml):

  OUT/archive/      DICOM chest radiographs' headers (4x4 pixels) from three sites and
                    three vendors spelled as real archives spell them, one or two images
                    per study, a few with problems planted: two unreadable files, a copy
                    of one image, an age of 250 years, a missing sex;
  OUT/development/  the development cohort's archive, sharing one patient with the test set;
  OUT/labels.csv    two readers' labels per study (they disagree on one study);
  OUT/outputs.csv   the model's probability per study (one study has none).

Fixed seed; pydicom (Debian's python3-pydicom) writes the files.
Usage: make_imaging_example.py OUT [--studies N]
"""
import argparse
import hashlib
import math
import os
import random

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

SITES = [("Northfield General", ["GE MEDICAL SYSTEMS", "GE Healthcare"], "Discovery XR656"),
         ("St. Mary's Hospital", ["SIEMENS", "Siemens Healthineers"], "Ysio Max"),
         ("Lakeside Clinic", ["Philips Medical Systems", "Philips"], "DigitalDiagnost")]


def write_image(path, sop, study, series, patient, site, manufacturer, model, age, sex, seed):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"  # digital X-ray
    meta.MediaStorageSOPInstanceUID = sop
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = sop
    ds.StudyInstanceUID = study
    ds.SeriesInstanceUID = series
    ds.Modality = "DX"
    ds.Manufacturer = manufacturer
    ds.ManufacturerModelName = model
    ds.InstitutionName = site
    ds.BodyPartExamined = "CHEST"
    ds.ViewPosition = "PA"
    ds.KVP = "120"
    ds.PixelSpacing = ["0.139", "0.139"]
    ds.PatientID = patient
    ds.PatientName = "Example^Patient"
    if age is not None:
        ds.PatientAge = age
    if sex is not None:
        ds.PatientSex = sex
    ds.StudyDate = "20260310"
    ds.Rows = ds.Columns = 4
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = hashlib.sha256(seed.encode()).digest()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    pydicom.dcmwrite(path, ds, write_like_original=False)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--studies", type=int, default=240)
    args = parser.parse_args()
    rng = random.Random(20261204)
    archive = os.path.join(args.out, "archive")
    labels = [("study", "reader", "finding")]
    outputs = [("study", "probability")]
    first_image = None
    for s in range(args.studies):
        site, spellings, model = SITES[s % len(SITES)]
        patient = f"PAT{s // 2:05d}" if s % 5 == 0 else f"PAT{s:05d}"
        study = f"1.2.826.0.1.3680043.10.543.{s + 1}"
        positive = rng.random() < 0.3
        age = f"{rng.randint(20, 90):03d}Y"
        sex = rng.choice("MF")
        if s == 7:
            age = "250Y"  # implausible
        if s == 11:
            sex = None  # missing
        for i in range(1 + (s % 4 == 0)):
            sop = f"{study}.1.{i + 1}"
            path = os.path.join(archive, site.split()[0], patient, f"{s:04d}_{i}.dcm")
            write_image(path, sop, study, study + ".1", patient, site, rng.choice(spellings),
                        model, age, sex, sop)
            first_image = first_image or path
        labels.append((study, "r1", "pneumothorax" if positive else "normal"))
        if s == 13:
            labels.append((study, "r2", "normal" if positive else "pneumothorax"))  # disagreement
        if s != 17:  # no output for one study
            # Vendor-dependent performance: weaker on the third site's scanner.
            shift = 2.2 if s % 3 != 2 else 1.0
            latent = rng.gauss(shift if positive else 0.0, 1.0)
            outputs.append((study, f"{1 / (1 + math.exp(-(latent - 1.0))):.4f}"))
    # Planted file problems.
    with open(os.path.join(archive, "README.txt"), "w") as f:
        f.write("Exported from the PACS\n")
    open(os.path.join(archive, "empty.dcm"), "wb").close()
    with open(first_image, "rb") as f:
        data = f.read()
    with open(first_image.replace(".dcm", "_copy.dcm"), "wb") as f:
        f.write(data)
    # Development cohort: one patient in common with the test set (PAT00010).
    development = os.path.join(args.out, "development")
    write_image(os.path.join(development, "dev1.dcm"), "1.2.826.0.1.3680043.10.999.1.1.1",
                "1.2.826.0.1.3680043.10.999.1", "1.2.826.0.1.3680043.10.999.1.1", "PAT00010",
                SITES[0][0], SITES[0][1][0], SITES[0][2], "050Y", "F", "dev1")
    for name, rows in (("labels.csv", labels), ("outputs.csv", outputs)):
        with open(os.path.join(args.out, name), "w") as f:
            f.writelines(",".join(row) + "\n" for row in rows)


if __name__ == "__main__":
    main()
