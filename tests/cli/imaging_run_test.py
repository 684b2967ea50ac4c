#!/usr/bin/env python3
"""End to end on an imaging cohort: examples/make_imaging_example.py writes DICOM
files with planted problems, labels and outputs; `assay scan` inventories the test
and development archives; `assay run` applies examples/imaging_protocol.toml,
whose cases come from [data.imaging]. Checks: the audit in evidence.json finds each
planted problem and its case flow closes into the analysis; the evidence validates
against the schema; the inputs are in the MANIFEST; the report draws the files part
of the case flow; `assay verify --rerun` reproduces the evidence; the planted weak
site is flagged; bad [data.imaging] keys are refused with exit code 2.

Usage: imaging_run_test.py ASSAY_BINARY SOURCE_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import jsonschema

ASSAY = os.path.abspath(sys.argv[1])
SOURCE = os.path.abspath(sys.argv[2])
failures = []
STUDIES = 240  # enough for the planted weak site to show as a subgroup signal
work_folder = tempfile.TemporaryDirectory()
work = work_folder.name
os.environ["ASSAY_REGISTRY"] = os.path.join(work, "registry.sqlite")


def check(condition, message):
    if not condition:
        failures.append(message)


def run(*arguments):
    return subprocess.run([ASSAY, *arguments], capture_output=True, text=True)


cohort = os.path.join(work, "cohort")
subprocess.run(["/usr/bin/python3", os.path.join(SOURCE, "examples", "make_imaging_example.py"),
                cohort, "--studies", str(STUDIES)], check=True)
protocol = os.path.join(cohort, "imaging_protocol.toml")
shutil.copy(os.path.join(SOURCE, "examples", "imaging_protocol.toml"), protocol)
key = os.path.join(cohort, "study.key")
for archive, inventory in (("archive", "inventory.csv"), ("development", "development.csv")):
    result = run("scan", os.path.join(cohort, archive), "--out", os.path.join(cohort, inventory),
                 "--secret-file", key)
    check(result.returncode == 0, f"scan {archive}: {result.stderr}")

results = os.path.join(work, "results")
result = run("run", protocol, "--out", results)
check(result.returncode == 0, f"run exited {result.returncode}: {result.stderr[-2000:]}")
evidence = json.load(open(os.path.join(results, "evidence.json")))
schema = json.load(open(os.path.join(SOURCE, "docs", "evidence.schema.json")))
try:
    jsonschema.validate(evidence, schema)
except jsonschema.ValidationError as error:
    failures.append(f"evidence.json does not validate: {error.message}")

audit = evidence.get("audit", {})
# One or two images a study (two for every fourth), and three planted files.
check(audit.get("files") == STUDIES + (STUDIES + 3) // 4 + 3,
      f"files: {audit.get('files')}")
check(audit.get("unreadable") == {"empty_file": 1, "not_dicom": 1}, f"unreadable {audit.get('unreadable')}")
check(audit.get("duplicate_instances") == 1, f"duplicates {audit.get('duplicate_instances')}")
check(audit.get("shared_patients") == 1, f"leakage {audit.get('shared_patients')}")
check(audit.get("conflicting_cases") == 1, f"conflicting {audit.get('conflicting_cases')}")
check(audit.get("cases_without_prediction") == 1, f"no prediction {audit.get('cases_without_prediction')}")
columns = {c["column"]: c for c in audit.get("columns", [])}
check(columns.get("PatientAge", {}).get("implausible") == 1, "age 250 not flagged")
check(columns.get("PatientSex", {}).get("missing") == 1, "missing sex not counted")
check(columns.get("Manufacturer", {}).get("unparseable") == 0, "a vendor spelling was not harmonized")
# The audit's analysed cases are what the analysis received.
check(audit.get("analysed") == evidence["case_flow"]["received"],
      f"audit analysed {audit.get('analysed')} != analysis received {evidence['case_flow']['received']}")
check(audit.get("cases") == STUDIES, f"cases {audit.get('cases')}")
# The planted weakness (the third site's scanner) is a subgroup signal for sensitivity.
signals = {(s["subgroup"]["column"], s["subgroup"]["value"]) for s in evidence["subgroup_results"]
           if s["status"] == "signal"}
check(("site", "Lakeside Clinic") in signals or ("vendor", "Philips") in signals,
      f"the weak site is not flagged: {signals}")

manifest = open(os.path.join(results, "MANIFEST")).read()
for role in ("inventory", "labels", "predictions", "development"):
    check(f"\ninput {role} " in manifest, f"MANIFEST lacks the {role} input")
report = open(os.path.join(results, "report.html"), encoding="utf-8").read()
check("Image files received" in report and "patient_in_development_cohort" in report,
      "the report does not draw the files part of the case flow")
check('id="data-audit"' in report and "250Y" in report and "leakage" in report,
      "the report has no data audit section with the implausible age and the leakage")
for identifier in ("PAT00010", "Example^Patient"):
    check(identifier not in report and identifier not in json.dumps(evidence)
          and identifier not in open(os.path.join(results, "cases.csv")).read(),
          f"{identifier} reached the bundle")

result = run("verify", results, "--rerun")
check(result.returncode == 0, f"verify --rerun: {result.stdout} {result.stderr}")

# Bad protocols: cases and imaging both given; an unknown key; a missing inventory file.
text = open(protocol).read()
for name, edited, expected in (
        ("both", text.replace("[data]\n", "[data]\ncases = \"x.csv\"\n"), "not both"),
        ("unknown key", text.replace("key = \"StudyInstanceUID\"", "keys = \"StudyInstanceUID\""),
         "data.imaging.keys"),
        ("missing file", text.replace("inventory = \"inventory.csv\"", "inventory = \"nowhere.csv\""),
         "nowhere.csv")):
    bad = os.path.join(cohort, "bad_protocol.toml")
    with open(bad, "w") as f:
        f.write(edited)
    out = os.path.join(work, "bad_results")
    result = run("run", bad, "--out", out)
    check(result.returncode == 2 and expected in result.stderr,
          f"{name}: exit {result.returncode}, {result.stderr.strip()}")
    check(not os.path.exists(out), f"{name}: a bundle was written")

print(f"imaging run: {audit.get('files')} files, {audit.get('cases')} cases, "
      f"{audit.get('analysed')} analysed; {len(failures)} failures")
for message in failures:
    print("FAIL:", message)
sys.exit(1 if failures else 0)
