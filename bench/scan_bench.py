#!/usr/bin/env python3
"""Header scanning speed: `assay scan` against pydicom, on the same files, in one run.

Writes N DICOM files (default 10,000; fixed seed) into a temporary folder: CT, MR and
DX headers from five vendors with realistic attributes and a small pixel matrix
(64x64, 16 bits), spread over patients, studies and series folders. Then times, in 5
rounds after one warm-up pass each, the tools taking turns within a round (files in
the page cache):
  - `assay scan DIR --out inventory.csv` (parallel, all cores; the whole command:
    listing, reading, harmonizing, writing the CSV);
  - pydicom `dcmread(path, stop_before_pixels=True)` over the same files, reading the
    same attributes, in one process, and in a pool of as many processes as cores.
Prints median files/s for each and the median over rounds of the ratio of assay to the
faster pydicom (target >= 10x).

Usage: /usr/bin/python3 bench/scan_bench.py [ASSAY_BINARY] [--files N]
"""
import argparse
import multiprocessing
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

TARGET_RATIO = 10.0
ROUNDS = 5
KEYWORDS = ["SOPClassUID", "SOPInstanceUID", "SeriesInstanceUID", "StudyInstanceUID", "Modality",
            "Manufacturer", "ManufacturerModelName", "SoftwareVersions", "InstitutionName",
            "StationName", "BodyPartExamined", "ProtocolName", "SeriesDescription", "KVP",
            "SliceThickness", "PixelSpacing", "Rows", "Columns", "BitsStored",
            "PhotometricInterpretation", "MagneticFieldStrength", "ConvolutionKernel",
            "ContrastBolusAgent", "ViewPosition", "PatientAge", "PatientSex", "StudyDate"]
VENDORS = [("GE MEDICAL SYSTEMS", "Revolution CT"), ("SIEMENS", "SOMATOM Force"),
           ("Philips Medical Systems", "Ingenia"), ("TOSHIBA", "Aquilion ONE"),
           ("Agfa", "DX-D 300")]


def write_corpus(folder, count, seed=20261204):
    rng = random.Random(seed)
    pixels = bytes(64 * 64 * 2)
    written = 0
    while written < count:
        patient = f"P{rng.randrange(10**6):06d}"
        study_uid = generate_uid()
        modality = rng.choice(["CT", "MR", "DX"])
        vendor, model = rng.choice(VENDORS)
        for series in range(rng.randint(1, 3)):
            series_uid = generate_uid()
            for instance in range(rng.randint(1, 8)):
                if written >= count:
                    return
                meta = FileMetaDataset()
                meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
                meta.MediaStorageSOPInstanceUID = generate_uid()
                meta.TransferSyntaxUID = ExplicitVRLittleEndian
                ds = Dataset()
                ds.file_meta = meta
                ds.SOPClassUID = meta.MediaStorageSOPClassUID
                ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
                ds.StudyInstanceUID = study_uid
                ds.SeriesInstanceUID = series_uid
                ds.Modality = modality
                ds.Manufacturer = vendor
                ds.ManufacturerModelName = model
                ds.SoftwareVersions = "4.2.1"
                ds.InstitutionName = f"Hospital {rng.randint(1, 6)}"
                ds.StationName = f"STATION{rng.randint(1, 20)}"
                ds.BodyPartExamined = "CHEST"
                ds.ProtocolName = "Routine chest"
                ds.SeriesDescription = f"Series {series}"
                ds.KVP = rng.choice(["100", "120", "140"])
                ds.SliceThickness = rng.choice(["0.625", "1.25", "5"])
                ds.PixelSpacing = ["0.7", "0.7"]
                ds.ConvolutionKernel = rng.choice(["STANDARD", "BONE", "B30f"])
                ds.PatientID = patient
                ds.PatientName = "Test^Patient"
                ds.PatientAge = f"{rng.randint(18, 90):03d}Y"
                ds.PatientSex = rng.choice("MF")
                ds.StudyDate = "20260115"
                ds.Rows = 64
                ds.Columns = 64
                ds.BitsAllocated = 16
                ds.BitsStored = 12
                ds.HighBit = 11
                ds.PixelRepresentation = 0
                ds.SamplesPerPixel = 1
                ds.PhotometricInterpretation = "MONOCHROME2"
                ds.PixelData = pixels
                path = os.path.join(folder, patient, study_uid[-12:], series_uid[-8:])
                os.makedirs(path, exist_ok=True)
                pydicom.dcmwrite(os.path.join(path, f"{instance:04d}.dcm"), ds,
                                 write_like_original=False)
                written += 1


def read_one(path):
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    return [ds.get(k) for k in KEYWORDS]


def list_files(folder):
    out = []
    for root, _, names in os.walk(folder):
        out.extend(os.path.join(root, n) for n in names)
    out.sort()
    return out


def pydicom_pass(files, processes):
    start = time.perf_counter()
    if processes == 1:
        for f in files:
            read_one(f)
    else:
        with multiprocessing.Pool(processes) as pool:
            pool.map(read_one, files, chunksize=64)
    return time.perf_counter() - start


def assay_pass(assay, folder, work):
    start = time.perf_counter()
    subprocess.run([assay, "scan", folder, "--out", os.path.join(work, "inventory.csv"),
                    "--secret-file", os.path.join(work, "key")], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser()
    parser.add_argument("assay", nargs="?", default=os.path.join(here, "..", "build", "src", "assay"))
    parser.add_argument("--files", type=int, default=10000)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="assay_scan_bench_")
    try:
        folder = os.path.join(work, "archive")
        t = time.perf_counter()
        write_corpus(folder, args.files)
        files = list_files(folder)
        print(f"wrote {len(files)} files ({sum(os.path.getsize(f) for f in files) / 1e6:.1f} MB) "
              f"in {time.perf_counter() - t:.1f} s")
        cores = os.cpu_count() or 1
        # Passes alternate between the tools, so that both meet the same background load;
        # the ratio is the median of the per-round ratios.
        assay_pass(args.assay, folder, work)
        pydicom_pass(files, 1)
        pydicom_pass(files, cores)
        rounds = []
        for _ in range(ROUNDS):
            rounds.append((assay_pass(args.assay, folder, work), pydicom_pass(files, 1),
                           pydicom_pass(files, cores)))
        assay_s = statistics.median(r[0] for r in rounds)
        single_s = statistics.median(r[1] for r in rounds)
        pool_s = statistics.median(r[2] for r in rounds)
        n = len(files)
        ratio = statistics.median(min(r[1], r[2]) / r[0] for r in rounds)
        rows = [("assay scan (whole command)", n / assay_s),
                ("pydicom dcmread, 1 process", n / single_s),
                (f"pydicom dcmread, {cores} processes", n / pool_s)]
        print(f"\n{'reader':<36} {'files/s':>10}")
        for name, rate in rows:
            print(f"{name:<36} {rate:>10.0f}")
        print(f"ratio, assay / faster pydicom: {ratio:.1f}x (target >= {TARGET_RATIO:g}x) on {cores} cores")
        print(f"summary\tscan {n} DICOM headers vs pydicom\t{n / assay_s:.0f} files/s, {ratio:.1f}x\t"
              f">= {TARGET_RATIO:g}x\t{'met' if ratio >= TARGET_RATIO else 'NOT MET'}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
