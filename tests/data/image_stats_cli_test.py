#!/usr/bin/python3
"""`assay scan --image-stats` against numpy and scipy, computed here from the same pixels:
  - mean, population SD, 5th and 95th percentiles (numpy's linear interpolation) of the
    modality values (stored values x RescaleSlope + RescaleIntercept), all frames together;
  - noise: Immerkaer's estimate, sqrt(pi/2) / (6 N) * sum |I * M| over the inner pixels of
    every frame (M the 3 x 3 mask [1 -2 1; -2 4 -2; 1 -2 1]), divided by p95 - p5;
  - sharpness: the SD of the 4-neighbour Laplacian over the inner pixels of every frame
    pooled, divided by p95 - p5;
  - a file without pixel data: empty statistics and image_error says why; the row stays.
Then `assay shift` between two scanned cohorts whose noise differs finds image_noise shifted
and image_mean not.
Usage: image_stats_cli_test.py ASSAY
"""
import csv
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian
from scipy import ndimage

ASSAY = sys.argv[1]
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def write(path, uid, frames, slope=1.0, intercept=0.0, with_pixels=True):
    """frames: uint16 array frames x rows x columns."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"
    meta.MediaStorageSOPInstanceUID = uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = uid
    ds.StudyInstanceUID = uid + ".0"
    ds.SeriesInstanceUID = uid + ".0.1"
    ds.Modality = "DX"
    ds.Manufacturer = "SIEMENS"
    ds.PatientID = "P" + uid.rsplit(".", 1)[-1]
    ds.Rows, ds.Columns = frames.shape[1], frames.shape[2]
    if frames.shape[0] > 1:
        ds.NumberOfFrames = frames.shape[0]
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    if slope != 1.0 or intercept != 0.0:
        ds.RescaleSlope = f"{slope:g}"
        ds.RescaleIntercept = f"{intercept:g}"
    if with_pixels:
        ds.PixelData = frames.astype("<u2").tobytes()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    pydicom.dcmwrite(path, ds, write_like_original=False)


def expected(frames, slope, intercept):
    values = frames.astype(np.float64) * slope + intercept
    flat = values.ravel()
    p5, p95 = np.percentile(flat, [5, 95])
    span = p95 - p5
    mask = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float64)
    laplace = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=np.float64)
    absolute, inner, laplacians = 0.0, 0, []
    for frame in values:
        response = ndimage.correlate(frame, mask)[1:-1, 1:-1]
        absolute += np.abs(response).sum()
        inner += response.size
        laplacians.append(ndimage.correlate(frame, laplace)[1:-1, 1:-1].ravel())
    noise = np.sqrt(np.pi / 2) / (6 * inner) * absolute
    sharpness = np.concatenate(laplacians).std()
    return {"image_mean": flat.mean(), "image_sd": flat.std(), "image_p5": p5,
            "image_p95": p95, "image_noise": noise / span, "image_sharpness": sharpness / span}


def smooth_image(rng, rows, columns, noise_sd):
    y, x = np.mgrid[0:rows, 0:columns]
    base = 1500 + 600 * np.sin(x / 9.0) * np.cos(y / 13.0) + 4 * x
    return np.clip(np.rint(base + rng.normal(0, noise_sd, (rows, columns))), 0, 65535)


def scan(folder, out):
    result = subprocess.run([ASSAY, "scan", folder, "--out", out, "--image-stats",
                             "--secret-file", os.path.join(os.path.dirname(out), "study.key")],
                            capture_output=True, text=True)
    check(result.returncode == 0, f"scan {folder}: {result.stderr}")
    with open(out, newline="") as f:
        return list(csv.DictReader(f))


rng = np.random.default_rng(7)
with tempfile.TemporaryDirectory() as work:
    folder = os.path.join(work, "images")
    cases = {
        "1.2.3.1": (smooth_image(rng, 48, 40, 25)[None], 1.0, 0.0),
        "1.2.3.2": (np.stack([smooth_image(rng, 32, 36, 10), smooth_image(rng, 32, 36, 40)]),
                    1.0, 0.0),
        "1.2.3.3": (smooth_image(rng, 40, 40, 15)[None], 0.5, -1024.0),
    }
    for uid, (frames, slope, intercept) in cases.items():
        write(f"{folder}/{uid}.dcm", uid, frames, slope, intercept)
    write(f"{folder}/1.2.3.4.dcm", "1.2.3.4", np.zeros((1, 8, 8)), with_pixels=False)

    rows = {row["SOPInstanceUID"]: row for row in scan(folder, f"{work}/inventory.csv")}
    check(len(rows) == 4, f"rows {sorted(rows)}")
    for uid, (frames, slope, intercept) in cases.items():
        row = rows.get(uid, {})
        check(row.get("image_error") == "", f"{uid}: error {row.get('image_error')!r}")
        for column, value in expected(frames, slope, intercept).items():
            got = float(row.get(column) or "nan")
            check(abs(got - value) <= 1e-6 * max(1.0, abs(value)),
                  f"{uid} {column}: assay {got}, numpy/scipy {value}")
    empty = rows.get("1.2.3.4", {})
    check(empty.get("read_status") == "ok", f"no-pixel file: {empty.get('read_status')}")
    check(empty.get("image_mean") == "" and empty.get("image_error", "") != "",
          f"no-pixel file: mean {empty.get('image_mean')!r}, error {empty.get('image_error')!r}")

    # Two cohorts of 40 images: the target's detector is noisier, its anatomy the same.
    for name, noise in (("reference", 10), ("target", 30)):
        for i in range(40):
            uid = f"1.2.4.{1 if name == 'reference' else 2}.{i + 1}"
            write(f"{work}/{name}/{uid}.dcm", uid, smooth_image(rng, 40, 40, noise)[None])
        scan(f"{work}/{name}", f"{work}/{name}.csv")
    out = f"{work}/shift.json"
    result = subprocess.run([ASSAY, "shift", "--reference", f"{work}/reference.csv", "--target",
                             f"{work}/target.csv", "--column", "image_noise", "--column",
                             "image_mean", "--out", out], capture_output=True, text=True)
    check(result.returncode == 0, f"shift: {result.stderr}")
    if result.returncode == 0:
        attributes = {a["name"]: a for a in json.load(open(out))["attributes"]}
        check(attributes["image_noise"]["status"] == "shifted",
              f"image_noise {attributes['image_noise']['status']}")
        check(attributes["image_mean"]["adjusted_p"] > 0.05,
              f"image_mean adjusted p {attributes['image_mean']['adjusted_p']}")
        print(result.stdout)

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("scan --image-stats agrees with numpy/scipy; shift finds the noisier detector")
