#!/usr/bin/python3
"""`assay scan` then `assay audit` on a small cohort with planted problems, each of
which the audit must find and the case flow must account for:
  - a garbage file and an empty file (unreadable);
  - a copy of one instance (duplicate SOP Instance UID), and the same image re-exported
    under a new SOP Instance UID (duplicate pixels, found with `assay scan --pixel-hash`);
  - an age of 250 years and a slice thickness of 0 (implausible), an age "sixty" (unreadable);
  - a study without a label, two readers disagreeing on one study, a label without images;
  - one patient also in the development cohort (leakage).
Also: bad input (missing label column) gives exit code 2 and no output file.
Usage: audit_cli_test.py ASSAY
"""
import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

ASSAY = sys.argv[1]
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def write(path, sop, study, patient, age="060Y", thickness="1.25", manufacturer="SIEMENS",
          pixels=None):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    meta.MediaStorageSOPInstanceUID = sop
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = sop
    ds.StudyInstanceUID = study
    ds.SeriesInstanceUID = study + ".1"
    ds.Modality = "CT"
    ds.Manufacturer = manufacturer
    ds.PatientID = patient
    ds.PatientAge = age
    ds.PatientSex = "M"
    ds.SliceThickness = thickness
    ds.Rows = ds.Columns = 4
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    # Pixels drawn from the SOP UID (or from `pixels`, the UID of the image copied).
    ds.PixelData = hashlib.sha256((pixels or sop).encode()).digest()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    pydicom.dcmwrite(path, ds, write_like_original=False)


def run(*args):
    return subprocess.run([ASSAY, *args], capture_output=True, text=True)


with tempfile.TemporaryDirectory() as work:
    test = os.path.join(work, "test")
    dev = os.path.join(work, "dev")
    # Five studies of four patients; study 5's patient is also in development.
    write(f"{test}/a/1.dcm", "1.9.1.1", "1.9.1", "P1")
    write(f"{test}/a/2.dcm", "1.9.1.2", "1.9.1", "P1", age="250Y")
    write(f"{test}/b/1.dcm", "1.9.2.1", "1.9.2", "P2", thickness="0")
    write(f"{test}/c/1.dcm", "1.9.3.1", "1.9.3", "P3", age="sixty")
    write(f"{test}/d/1.dcm", "1.9.4.1", "1.9.4", "P3")
    write(f"{test}/e/1.dcm", "1.9.5.1", "1.9.5", "P9", manufacturer="Acme Imaging")
    shutil.copy(f"{test}/a/1.dcm", f"{test}/a/1_copy.dcm")
    write(f"{test}/a/3_reexported.dcm", "1.9.1.3", "1.9.1", "P1", pixels="1.9.1.1")
    with open(f"{test}/notes.txt", "w") as f:
        f.write("not an image\n")
    open(f"{test}/empty.dcm", "wb").close()
    write(f"{dev}/x/1.dcm", "1.8.1.1", "1.8.1", "P9")

    key = os.path.join(work, "key")
    for name, folder in (("test", test), ("dev", dev)):
        result = run("scan", folder, "--out", f"{work}/{name}.csv", "--secret-file", key,
                     "--pixel-hash")
        check(result.returncode == 0, f"scan {name}: {result.stderr}")

    labels = os.path.join(work, "labels.csv")
    with open(labels, "w") as f:
        f.write("study,reader,finding\n"
                "1.9.1,r1,yes\n"
                "1.9.2,r1,no\n1.9.2,r2,yes\n"  # readers disagree
                "1.9.3,r1,no\n"
                "1.9.5,r1,yes\n"
                "1.9.7,r1,no\n")  # no images; study 1.9.4 has no label

    predictions = os.path.join(work, "predictions.csv")
    with open(predictions, "w") as f:
        # Study 1.9.3 has no output; 1.9.8 has no images; 1.9.1 appears twice with one score.
        f.write("StudyInstanceUID,prob\n1.9.1,0.91\n1.9.1,0.91\n1.9.2,0.2\n1.9.5,0.7\n1.9.8,0.1\n")

    out = os.path.join(work, "audit.json")
    cases_out = os.path.join(work, "cases.csv")
    result = run("audit", "--inventory", f"{work}/test.csv", "--labels", labels,
                 "--label-key", "study", "--truth", "finding", "--development", f"{work}/dev.csv",
                 "--predictions", predictions, "--score", "prob", "--out", out,
                 "--cases-out", cases_out)
    check(result.returncode == 0, f"audit exited {result.returncode}: {result.stderr}")
    print(result.stdout)
    audit = json.load(open(out))["audit"]
    check(audit["files"] == 10, f"files {audit['files']}")
    check(audit["unreadable"] == {"empty_file": 1, "not_dicom": 1}, f"unreadable {audit['unreadable']}")
    check(audit["duplicate_instances"] == 1, f"duplicates {audit['duplicate_instances']}")
    check(audit["duplicate_images"] == 1, f"duplicate images {audit['duplicate_images']}")
    columns = {c["column"]: c for c in audit["columns"]}
    check(columns["PatientAge"]["implausible"] == 1 and "250Y" in columns["PatientAge"]["examples"],
          f"age {columns['PatientAge']}")
    check(columns["PatientAge"]["unparseable"] == 1 and "sixty" in columns["PatientAge"]["examples"],
          f"age {columns['PatientAge']}")
    check(columns["SliceThickness"]["implausible"] == 1, f"thickness {columns['SliceThickness']}")
    check(columns["Manufacturer"]["unparseable"] == 1, f"manufacturer {columns['Manufacturer']}")
    check(columns["KVP"]["missing"] == 6, f"kvp {columns['KVP']}")
    check(audit["cases"] == 5, f"cases {audit['cases']}")
    check(audit["shared_patients"] == 1 and audit["shared_cases"] == 1, "leakage not found")
    check(audit["unlabeled_cases"] == 1, f"unlabeled {audit['unlabeled_cases']}")
    check(audit["conflicting_cases"] == 1, f"conflicting {audit['conflicting_cases']}")
    check(audit["labels_without_images"] == 1, f"labels without images {audit['labels_without_images']}")
    check(audit["analysed"] == 2, f"analysed {audit['analysed']}")
    # The flow closes: files received = excluded files + files grouped into cases, and
    # cases = excluded cases + analysed.
    flow = audit["case_flow"]
    excluded_files = sum(s["count"] for s in flow if s["stage"] == "excluded" and s["unit"] == "files")
    excluded_cases = sum(s["count"] for s in flow if s["stage"] == "excluded" and s["unit"] == "cases")
    check(excluded_files == 4, f"excluded files {excluded_files}")
    check(excluded_cases + audit["analysed"] == audit["cases"], f"case flow does not close: {flow}")
    check("P1" not in open(f"{work}/test.csv").read().split("patient_pseudonym")[1],
          "a patient id reached the inventory")

    # The analysed cases, joined with their labels and outputs: studies 1.9.1 and 1.9.3.
    check(audit["cases_without_prediction"] == 1, f"without prediction {audit['cases_without_prediction']}")
    check(audit["predictions_without_images"] == 1, f"predictions without images {audit['predictions_without_images']}")
    with open(cases_out, newline="") as f:
        cases = {row["case"]: row for row in csv.DictReader(f)}
    check(sorted(cases) == ["1.9.1", "1.9.3"], f"analysed cases {sorted(cases)}")
    if "1.9.1" in cases:
        first = cases["1.9.1"]
        check(first["finding"] == "yes" and first["prob"] == "0.91", f"1.9.1 joined wrong: {first}")
        check(first["instances"] == "2" and first["vendor"] == "Siemens" and first["age_years"] == "60",
              f"1.9.1 attributes: {first}")
        check(first["patient_pseudonym"] and "P1" not in first.values(), "pseudonym missing or id shown")
    if "1.9.3" in cases:
        check(cases["1.9.3"]["prob"] == "" and cases["1.9.3"]["finding"] == "no",
              f"1.9.3: {cases['1.9.3']}")

    # Two different scores for one case is bad input, named by line.
    with open(predictions, "a") as f:
        f.write("1.9.2,0.3\n")
    result = run("audit", "--inventory", f"{work}/test.csv", "--predictions", predictions,
                 "--score", "prob", "--cases-out", os.path.join(work, "cases2.csv"))
    check(result.returncode == 2 and "line 7" in result.stderr and "line 4" in result.stderr,
          f"conflicting scores: exit {result.returncode}, {result.stderr}")
    check(not os.path.exists(os.path.join(work, "cases2.csv")), "cases written despite the error")

    # Bad input: the truth column is missing -> exit 2, named, and no output written.
    bad_out = os.path.join(work, "bad.json")
    result = run("audit", "--inventory", f"{work}/test.csv", "--labels", labels,
                 "--label-key", "study", "--truth", "diagnosis", "--out", bad_out)
    check(result.returncode == 2, f"missing column: exit {result.returncode}")
    check("diagnosis" in result.stderr, f"missing column not named: {result.stderr}")
    check(not os.path.exists(bad_out), "output written despite the error")

for message in failures:
    print("FAIL:", message)
sys.exit(1 if failures else 0)
