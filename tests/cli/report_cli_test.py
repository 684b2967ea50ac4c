#!/usr/bin/env python3
"""End-to-end tests of the HTML and PDF report: `assay run --out` writes
report.html; `assay report DIR` rebuilds the same bytes and keeps the bundle
verifiable; `--pdf` prints report.pdf with headless Chromium, says how to get
Chromium when there is none, and neither file shows an identifying value.

Usage: report_cli_test.py ASSAY_BINARY SOURCE_DIR
"""
import os
import random
import subprocess
import sys
import tempfile
import unittest

ASSAY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "build/src/assay"
SOURCE = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.path.abspath(".")
PROTOCOL = os.path.join(SOURCE, "examples", "triage_protocol.toml")

# Runs are recorded in a registry of this test's own, never the user's.
REGISTRY_FOLDER = tempfile.TemporaryDirectory()
os.environ["ASSAY_REGISTRY"] = os.path.join(REGISTRY_FOLDER.name, "registry.sqlite")

IDENTIFYING_PROTOCOL = """title = "Identifier check"
intended_use = "Test that no identifying value reaches the report"
purpose = "local_acceptance"
[data]
cases = "cases.csv"
truth = "truth"
positive = "yes"
score = "score"
id = "accession"
cluster = "patient_id"
[model]
name = "M"
version = "1"
[endpoints.sens]
metric = "sensitivity"
threshold = 0.5
goal = 0.7
[subgroups]
columns = ["site"]
minimum_cases = 30
"""


def run(*arguments, env=None):
    return subprocess.run([ASSAY, *arguments], capture_output=True, text=True, check=False,
                          env=env)


def identifying_cases(path):
    """300 cases whose accession, patient name, patient id and birth date are identifying."""
    generator = random.Random(11)
    values = {"accession": [], "patient_name": [], "patient_id": [], "birth_date": []}
    with open(path, "w") as handle:
        handle.write("accession,patient_name,patient_id,birth_date,site,truth,score\n")
        for i in range(300):
            positive = i % 3 == 0
            score = min(max(generator.gauss(0.7 if positive else 0.3, 0.2), 0.0), 1.0)
            row = {"accession": f"ACCX{i:06d}", "patient_name": f"Roe^Richard{i:03d}",
                   "patient_id": f"PIDQ{i // 2:06d}", "birth_date": f"19{30 + i % 60}-0{1 + i % 9}-15"}
            for key, value in row.items():
                values[key].append(value)
            handle.write(f"{row['accession']},{row['patient_name']},{row['patient_id']},"
                         f"{row['birth_date']},site_{i % 2},{'yes' if positive else 'no'},"
                         f"{score:.4f}\n")
    return values


class ReportTest(unittest.TestCase):
    def setUp(self):
        self.scratch = tempfile.TemporaryDirectory()
        self.dir = self.scratch.name

    def tearDown(self):
        self.scratch.cleanup()

    def bundle(self, protocol=PROTOCOL, name="bundle"):
        out = os.path.join(self.dir, name)
        result = run("run", protocol, "--out", out)
        self.assertEqual(result.returncode, 0, result.stderr)
        return out

    def read(self, path, mode="r"):
        with open(path, mode) as handle:
            return handle.read()

    def test_report_rebuilds_the_same_bytes_and_keeps_the_bundle_intact(self):
        out = self.bundle()
        written = self.read(os.path.join(out, "report.html"), "rb")
        os.remove(os.path.join(out, "report.html"))
        result = run("report", out)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.read(os.path.join(out, "report.html"), "rb"), written)
        self.assertEqual(run("verify", out).returncode, 0)
        self.assertTrue(written.startswith(b"<!DOCTYPE html>"))

    def test_report_refuses_edited_evidence(self):
        out = self.bundle()
        path = os.path.join(out, "evidence.json")
        text = self.read(path)
        with open(path, "w") as handle:
            handle.write(text.replace('"verdict": "inconclusive"', '"verdict": "supported"', 1))
        before = self.read(os.path.join(out, "report.html"), "rb")
        result = run("report", out)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("does not match its MANIFEST", result.stderr)
        self.assertIn("evidence.json: changed", result.stderr)
        self.assertEqual(self.read(os.path.join(out, "report.html"), "rb"), before)

    def test_pdf_without_chromium_says_how_to_get_it(self):
        out = self.bundle()
        environment = dict(os.environ, PATH="/nonexistent")
        environment.pop("ASSAY_CHROMIUM", None)
        result = run("report", out, "--pdf", env=environment)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("apt-get install chromium", result.stderr)
        self.assertFalse(os.path.exists(os.path.join(out, "report.pdf")))

    def test_pdf_and_html_show_no_identifying_value(self):
        folder = os.path.join(self.dir, "study")
        os.makedirs(folder)
        values = identifying_cases(os.path.join(folder, "cases.csv"))
        protocol = os.path.join(folder, "protocol.toml")
        with open(protocol, "w") as handle:
            handle.write(IDENTIFYING_PROTOCOL)
        out = self.bundle(protocol)
        result = run("report", out, "--pdf")
        self.assertEqual(result.returncode, 0, result.stderr)
        pdf = os.path.join(out, "report.pdf")
        self.assertTrue(self.read(pdf, "rb").startswith(b"%PDF"))
        self.assertEqual(run("verify", out).returncode, 0, "report.pdf is in the MANIFEST")

        text = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True,
                              check=True).stdout
        self.assertIn("Identifier check", text)
        self.assertIn("Case flow", text)
        html = self.read(os.path.join(out, "report.html"))
        for column, column_values in values.items():
            for value in column_values:
                self.assertNotIn(value, html, column)
                self.assertNotIn(value, text, column)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
