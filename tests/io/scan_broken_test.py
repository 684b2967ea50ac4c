#!/usr/bin/python3
"""`assay scan` on a corpus of broken inputs: every file gets a row (read or
unreadable with its reason), the scan never crashes or hangs, and it exits 0.

The corpus is made here from one valid file written with pydicom: truncated
at many offsets, without preamble, with element lengths beyond the end of
the file, with deeply nested sequences, garbage, zero-length and non-DICOM
files, a link to a missing file and a folder link that loops.
Usage: scan_broken_test.py ASSAY
"""
import csv
import io
import os
import random
import struct
import subprocess
import sys
import tempfile

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

ASSAY = sys.argv[1]
failures = []


def valid_file_bytes():
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    meta.MediaStorageSOPInstanceUID = "1.2.3.4.5.6.7"
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = "1.2.3.4"
    ds.SeriesInstanceUID = "1.2.3.4.5"
    ds.Modality = "DX"
    ds.Manufacturer = "GE Healthcare"
    ds.PatientID = "PAT-BROKEN-01"
    ds.PatientAge = "065Y"
    ds.PatientSex = "F"
    ds.Rows = 4
    ds.Columns = 4
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = bytes(range(16))
    out = io.BytesIO()
    pydicom.dcmwrite(out, ds, write_like_original=False)
    return out.getvalue()


def explicit_element(group, element, vr, value):
    if vr in ("OB", "OW", "SQ", "UN", "UT"):
        return struct.pack("<HH2s2xI", group, element, vr.encode(), len(value)) + value
    return struct.pack("<HH2sH", group, element, vr.encode(), len(value)) + value


def deep_sequence(levels):
    """A data set whose (0040,0275) sequence nests `levels` deep, undefined lengths."""
    head = b"\0" * 128 + b"DICM"
    meta_body = explicit_element(0x0002, 0x0010, "UI", b"1.2.840.10008.1.2.1\0")
    head += explicit_element(0x0002, 0x0000, "UL", struct.pack("<I", len(meta_body))) + meta_body
    body = explicit_element(0x0008, 0x0016, "UI", b"1.2.840.10008.5.1.4.1.1.7\0")
    open_sq = struct.pack("<HH2s2xI", 0x0040, 0x0275, b"SQ", 0xFFFFFFFF)
    open_item = struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF)
    close_item = struct.pack("<HHI", 0xFFFE, 0xE00D, 0)
    close_sq = struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
    body += (open_sq + open_item) * levels + (close_item + close_sq) * levels
    return head + body


with tempfile.TemporaryDirectory() as work:
    corpus = os.path.join(work, "corpus")
    os.makedirs(os.path.join(corpus, "nested", "deeper"))
    good = valid_file_bytes()
    expected = {}  # path -> "ok" or a reason prefix, or None for "either"

    def put(name, data, expect):
        with open(os.path.join(corpus, name), "wb") as f:
            f.write(data)
        expected[name] = expect

    put("good.dcm", good, "ok")
    put("nested/deeper/good_copy.dcm", good, "ok")
    put("no_preamble.dcm", good[132 + 0:], None)  # meta group without preamble
    put("empty.dcm", b"", "empty_file")
    put("garbage.bin", random.Random(7).randbytes(5000), "not_dicom")
    put("notes.txt", b"patient list, do not share\n" * 20, "not_dicom")
    put("image.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "not_dicom")
    put("preamble_only.dcm", b"\0" * 128 + b"DICM", None)
    # Truncated everywhere in the header; beyond the header only pixel data is lost,
    # which a header scan does not read.
    for cut in range(134, len(good) - 16, 7):
        put(f"truncated_{cut:04d}.dcm", good[:cut], None)
    # An element whose length runs far past the end of the file.
    at = good.index(b"GE Healthcare") - 2
    put("long_length.dcm", good[:at] + struct.pack("<H", 0xFFF0) + good[at + 2:], None)
    big = good[:at - 6] + explicit_element(0x0008, 0x0070, "UT", b"x")[:8] + \
        struct.pack("<I", 0x7FFFFFF0) + b"x" * 10
    put("huge_length.dcm", big, None)
    put("deep_sequence.dcm", deep_sequence(45000), None)  # within the limit: parsed
    put("deeper_sequence.dcm", deep_sequence(60000), "malformed")  # refused before parsing
    put("moderate_sequence.dcm", deep_sequence(50), "ok")
    os.symlink(os.path.join(corpus, "missing-target"), os.path.join(corpus, "dangling_link"))
    expected["dangling_link"] = "cannot_open"
    os.symlink(corpus, os.path.join(corpus, "nested", "loop"))  # a folder link: not followed
    expected["nested/loop"] = "cannot_open"

    key = os.path.join(work, "key")
    with open(key, "w") as f:
        f.write("0123456789abcdef0123456789abcdef\n")
    inventory = os.path.join(work, "inventory.csv")
    try:
        result = subprocess.run([ASSAY, "scan", corpus, "--out", inventory, "--secret-file", key],
                                capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        sys.exit("FAIL: assay scan hung on the broken corpus")
    if result.returncode != 0:
        sys.exit(f"FAIL: assay scan exited {result.returncode}: {result.stderr[-2000:]}")
    with open(inventory, newline="", encoding="utf-8") as f:
        rows = {row["path"]: row for row in csv.DictReader(f)}

    if sorted(rows) != sorted(expected):
        failures.append(f"rows and files differ: {sorted(set(rows) ^ set(expected))}")
    for name, expect in sorted(expected.items()):
        row = rows.get(name)
        if row is None:
            continue
        if row["read_status"] == "unreadable" and not row["read_error"]:
            failures.append(f"{name}: unreadable without a reason")
        if expect == "ok" and row["read_status"] != "ok":
            failures.append(f"{name}: expected readable, got {row['read_error']}")
        elif expect not in (None, "ok") and not row["read_error"].startswith(expect + ":"):
            failures.append(f"{name}: expected {expect}, got {row['read_status']} {row['read_error']}")
        if "PAT-BROKEN-01" in ",".join(row.values()):
            failures.append(f"{name}: the patient id appears in the inventory")
    reasons = {}
    for row in rows.values():
        key_ = row["read_error"].split(":")[0] if row["read_status"] != "ok" else "ok"
        reasons[key_] = reasons.get(key_, 0) + 1
    print(f"{len(rows)} files: " + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())))
    summary = result.stdout
    if f"{len(expected)} files found" not in summary:
        failures.append(f"summary does not count {len(expected)} files: {summary}")

for message in failures:
    print("FAIL:", message)
sys.exit(1 if failures else 0)
