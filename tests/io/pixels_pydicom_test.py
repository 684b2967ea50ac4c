#!/usr/bin/python3
"""Decoded DICOM pixels against pydicom, on the files Debian's python3-pydicom ships.

- Modality values (stored values after Rescale Slope/Intercept) equal pydicom's
  apply_modality_lut(ds.pixel_array) for every file pydicom can decode here
  (native and RLE transfer syntaxes, monochrome and colour, 8 to 32 bits, multi-frame).
- Compressed files pydicom cannot decode without extra plugins are checked against
  their uncompressed twins: JPEG 2000 lossless, JPEG-LS lossless and RLE MR_small
  equal MR_small exactly; lossy JPEG colour files stay within a few grey levels.
- Display values follow the DICOM VOI linear window (PS3.3 C.11.2.1.2.1) to within
  one 16-bit output step, and MONOCHROME1 comes out inverted.
Usage: pixels_pydicom_test.py DUMP_PIXELS
"""
import glob
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import pydicom
from pydicom.pixel_data_handlers.util import apply_modality_lut, convert_color_space

DUMP = sys.argv[1]
FILES = os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files")
failures = []
warnings.simplefilter("ignore")


def check(condition, message):
    if not condition:
        failures.append(message)


def decode(kind, paths):
    """{path: array (frames, rows, columns, samples)} or {path: 'error text'} from assay."""
    with tempfile.TemporaryDirectory() as work:
        out = os.path.join(work, "pixels")
        subprocess.run([DUMP, kind, out, *paths], check=True)
        values = np.fromfile(out + ".bin", dtype="<f4")
        result = {}
        at = 0
        for line in open(out + ".txt", encoding="utf-8"):
            fields = line.rstrip("\n").split("\t")
            if fields[1] != "ok":
                result[fields[0]] = fields[2]
                continue
            rows, columns, frames, samples = map(int, fields[2:6])
            n = rows * columns * frames * samples
            result[fields[0]] = values[at:at + n].reshape(frames, rows, columns, samples)
            at += n
        return result


def reference(path):
    ds = pydicom.dcmread(path)
    array = ds.pixel_array
    if ds.PhotometricInterpretation.startswith("YBR"):
        array = convert_color_space(array, ds.PhotometricInterpretation, "RGB")
    else:
        array = apply_modality_lut(array, ds)
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    samples = int(ds.SamplesPerPixel)
    return np.asarray(array, dtype=np.float64).reshape(frames, ds.Rows, ds.Columns, samples)


paths = sorted(glob.glob(os.path.join(FILES, "*.dcm")))
ours = decode("modality", paths)

compared = 0
for path in paths:
    try:
        expected = reference(path)
    except Exception:
        continue  # pydicom cannot decode it here (no plugin for the syntax, or no pixel data)
    name = os.path.basename(path)
    got = ours[path]
    if isinstance(got, str):
        failures.append(f"{name}: pydicom decodes it, assay says {got}")
        continue
    if got.shape != expected.shape:
        failures.append(f"{name}: shape {got.shape} != pydicom {expected.shape}")
        continue
    ybr = pydicom.dcmread(path, stop_before_pixels=True).PhotometricInterpretation.startswith("YBR")
    tolerance = 2.0 if ybr else 1e-6 * max(1.0, float(np.abs(expected).max()))
    difference = float(np.abs(got - expected).max())
    check(difference <= tolerance, f"{name}: max difference {difference} > {tolerance}")
    compared += 1
check(compared >= 20, f"only {compared} files compared with pydicom")

# Compressed files against their uncompressed twins.
mr = reference(os.path.join(FILES, "MR_small.dcm"))
for name in ("MR_small_jp2klossless.dcm", "MR_small_jpeg_ls_lossless.dcm", "MR_small_RLE.dcm"):
    got = ours[os.path.join(FILES, name)]
    check(not isinstance(got, str) and got.shape == mr.shape and np.array_equal(got, mr),
          f"{name}: not equal to MR_small.dcm ({got if isinstance(got, str) else 'values differ'})")
rgb = reference(os.path.join(FILES, "SC_rgb_rle.dcm"))
for name in ("SC_rgb_jpeg_dcmtk.dcm", "SC_rgb_jpeg_gdcm.dcm", "SC_rgb_dcmtk_+eb+cr.dcm"):
    got = ours[os.path.join(FILES, name)]
    if isinstance(got, str):
        failures.append(f"{name}: {got}")
        continue
    mean = float(np.abs(got - rgb).mean())
    check(got.shape == rgb.shape and mean < 3.0, f"{name}: mean difference {mean} from SC_rgb_rle")

# A syntax assay cannot decode is an error that says which file and why, never a crash.
for name, got in ((os.path.basename(p), g) for p, g in ours.items()):
    if isinstance(got, str):
        check(name in got, f"{name}: error does not name the file: {got}")

# Display values: the VOI linear window of MR_small, and MONOCHROME1 inverted.
with tempfile.TemporaryDirectory() as work:
    source = os.path.join(FILES, "MR_small.dcm")
    ds = pydicom.dcmread(source)
    inverted = os.path.join(work, "mr_monochrome1.dcm")
    ds.PhotometricInterpretation = "MONOCHROME1"
    ds.save_as(inverted)
    display = decode("display", [source, inverted])
    center = float(ds.WindowCenter[0] if isinstance(ds.WindowCenter, pydicom.multival.MultiValue)
                   else ds.WindowCenter)
    width = float(ds.WindowWidth[0] if isinstance(ds.WindowWidth, pydicom.multival.MultiValue)
                  else ds.WindowWidth)
    x = mr
    expected = np.clip((x - (center - 0.5)) / (width - 1) + 0.5, 0.0, 1.0)
    got = display[source]
    difference = float(np.abs(got - expected).max())
    check(difference <= 2.0 / 65535 + 1e-6, f"VOI window: max difference {difference}")
    got_inverted = display[inverted]
    check(float(np.abs(got_inverted - (1.0 - got)).max()) <= 1.0 / 65535 + 1e-6,
          "MONOCHROME1 is not the inverse of MONOCHROME2")

print(f"compared {compared} files with pydicom {pydicom.__version__}, 6 compressed files with "
      f"their twins, the VOI window and MONOCHROME1; {len(failures)} differences")
for message in failures:
    print("FAIL:", message)
sys.exit(1 if failures else 0)
