#!/usr/bin/python3
"""`assay scan` against pydicom on the real DICOM files that Debian's python3-pydicom
ships (CT, MR, RT, SR and secondary-capture files from several manufacturers, in
explicit and implicit VR, big and little endian, deflated, JPEG, JPEG-LS, JPEG 2000
and RLE transfer syntaxes).

Every attribute assay writes must equal what pydicom reads, file by file; every
file pydicom reads must be read by assay, except the listed malformed ones, which
assay must account for as unreadable with a reason. Usage: scan_pydicom_test.py ASSAY
"""
import csv
import hmac
import hashlib
import os
import subprocess
import sys
import tempfile
import warnings

import pydicom
from pydicom.multival import MultiValue

ASSAY = sys.argv[1]
TEST_FILES = os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files")

# Files whose damage lies beyond the last attribute a scan reads (rtplan_truncated ends
# inside a late sequence) are read, as pydicom reads them. SC_rgb_jpeg's data set is
# damaged at its first element ("(0008,0008) VR '  '"), which pydicom reads past and
# DCMTK cannot: assay accounts for it as unreadable, with a reason.
MALFORMED = {"SC_rgb_jpeg.dcm": ("no_instance", "malformed", "truncated")}

NUMERIC_VRS = {"DS", "IS", "US", "SS", "UL", "SL", "FL", "FD"}

failures = []


def fail(message):
    failures.append(message)


def pydicom_text(element):
    """The value of a pydicom element as assay writes it (multiple values joined by '\\')."""
    value = element.value
    if value is None:
        return ""
    if isinstance(value, (list, MultiValue)):
        return "\\".join(str(v) for v in value)
    return str(value)


def same(vr, ours, theirs):
    if vr in NUMERIC_VRS and ours and theirs:
        a = ours.split("\\")
        b = theirs.split("\\")
        return len(a) == len(b) and all(abs(float(x) - float(y)) <= 1e-9 * max(1.0, abs(float(y)))
                                        for x, y in zip(a, b))
    return ours.strip(" \0") == theirs.strip(" \0")


with tempfile.TemporaryDirectory() as work:
    key = os.path.join(work, "key")
    with open(key, "w") as out:
        out.write("a study key that the test keeps\n")
    inventory = os.path.join(work, "inventory.csv")
    result = subprocess.run([ASSAY, "scan", TEST_FILES, "--out", inventory, "--secret-file", key],
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"assay scan failed ({result.returncode}): {result.stderr}")
    with open(inventory, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))

files = []
for folder, _, names in os.walk(TEST_FILES):
    for name in names:
        files.append(os.path.relpath(os.path.join(folder, name), TEST_FILES).replace(os.sep, "/"))
# Folder names holding a patient id are written with the id replaced by its pseudonym.
by_path = {}
for row in rows:
    by_path[row["path"].replace(row["patient_pseudonym"], "77654033")
            if row["patient_pseudonym"] else row["path"]] = row
if sorted(by_path) != sorted(files):
    fail(f"files not accounted for: {sorted(set(files) ^ set(by_path))}")

compared_files = 0
compared_values = 0
keywords = [c for c in rows[0].keys() if c[:1].isupper() and c != "TransferSyntaxUID"]
for path in sorted(files):
    row = by_path.get(path)
    if row is None:
        continue
    full = os.path.join(TEST_FILES, path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dataset = pydicom.dcmread(full, stop_before_pixels=True)
        if "SOPInstanceUID" not in dataset and "SOPClassUID" not in dataset:
            dataset = None  # e.g. a DICOMDIR's directory records: checked below by preamble only
    except Exception:
        dataset = None
    if path in MALFORMED:
        if row["read_status"] != "unreadable" or not row["read_error"].startswith(MALFORMED[path]):
            fail(f"{path}: expected unreadable ({MALFORMED[path]}), got {row['read_status']} "
                 f"{row['read_error']}")
        continue
    if dataset is None:
        continue
    if row["read_status"] != "ok":
        fail(f"{path}: pydicom reads it, assay says {row['read_error']}")
        continue
    compared_files += 1
    for keyword in keywords:
        element = dataset.data_element(keyword) if keyword in dataset else None
        ours = row[keyword]
        if element is None:
            if ours != "":
                fail(f"{path} {keyword}: assay '{ours}', pydicom has no such attribute")
            continue
        theirs = pydicom_text(element)
        compared_values += 1
        if not same(element.VR, ours, theirs):
            fail(f"{path} {keyword} ({element.VR}): assay '{ours}' != pydicom '{theirs}'")
    syntax = dataset.file_meta.get("TransferSyntaxUID") if hasattr(dataset, "file_meta") else None
    if syntax is not None and str(syntax) and row["TransferSyntaxUID"] != str(syntax):
        fail(f"{path} TransferSyntaxUID: assay '{row['TransferSyntaxUID']}' != pydicom '{syntax}'")
    # Pseudonyms: HMAC-SHA-256 of the patient id under the study key, never the id itself.
    patient_id = str(dataset.get("PatientID", "") or "").strip()
    expected = (hmac.new(b"a study key that the test keeps", patient_id.encode(), hashlib.sha256)
                .hexdigest()[:32] if patient_id else "")
    if row["patient_pseudonym"] != expected:
        fail(f"{path}: patient pseudonym {row['patient_pseudonym']} != HMAC {expected}")
    if patient_id and any(patient_id in value for value in row.values() if len(patient_id) > 3):
        fail(f"{path}: the patient id appears in the inventory")

print(f"compared {compared_values} values in {compared_files} files with pydicom "
      f"{pydicom.__version__}; {len(failures)} differences")
if compared_files < 100:
    fail(f"only {compared_files} files compared; expected the ~130 that pydicom ships")
for message in failures:
    print("FAIL:", message)
sys.exit(1 if failures else 0)
