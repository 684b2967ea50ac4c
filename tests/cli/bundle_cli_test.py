#!/usr/bin/env python3
"""End-to-end tests of the evidence bundle: `assay run --out DIR` writes
evidence.json, cases.csv and MANIFEST; `assay verify DIR` finds every edited,
missing, extra or changed file (exit 1) and exits 2 without a readable
MANIFEST; `assay verify DIR --rerun` reproduces the evidence exactly.

Usage: bundle_cli_test.py ASSAY_BINARY SOURCE_DIR
"""
import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

# Runs are recorded in a registry of this test's own, never the user's.
REGISTRY_FOLDER = tempfile.TemporaryDirectory()
os.environ["ASSAY_REGISTRY"] = os.path.join(REGISTRY_FOLDER.name, "registry.sqlite")

ASSAY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "build/src/assay"
SOURCE = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.path.abspath(".")
EXAMPLES = os.path.join(SOURCE, "examples")
PROTOCOL = os.path.join(EXAMPLES, "triage_protocol.toml")


def run(*arguments, cwd=None):
    return subprocess.run([ASSAY, *arguments], capture_output=True, text=True, check=False,
                          cwd=cwd)


def sha256_of(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def read_manifest(directory):
    """Header values and entries of DIR/MANIFEST, as docs/bundle.md describes them."""
    header, inputs, outputs = {}, [], []
    with open(os.path.join(directory, "MANIFEST"), encoding="utf-8") as handle:
        for line in handle.read().splitlines():
            if line.startswith("input "):
                _, role, digest, size, path = line.split(" ", 4)
                inputs.append((role, digest, int(size), path))
            elif line.startswith("output "):
                _, digest, size, name = line.split(" ", 3)
                outputs.append((digest, int(size), name))
            else:
                key, _, value = line.partition(":")
                header[key] = value.strip()
    return header, inputs, outputs


class BundleTest(unittest.TestCase):
    def setUp(self):
        self.scratch = tempfile.TemporaryDirectory()
        self.dir = self.scratch.name

    def tearDown(self):
        self.scratch.cleanup()

    def run_bundle(self, name, protocol=PROTOCOL, *extra, cwd=None):
        out = os.path.join(self.dir, name)
        result = run("run", protocol, "--out", out, *extra, cwd=cwd)
        self.assertEqual(result.returncode, 0, result.stderr)
        return out

    def verify(self, out, *extra):
        return run("verify", out, *extra)

    def copy_example(self):
        """The example protocol and cases in the scratch folder, so they can be changed."""
        folder = os.path.join(self.dir, "inputs")
        os.makedirs(folder)
        for name in ("triage_protocol.toml", "triage_cases.csv"):
            shutil.copy(os.path.join(EXAMPLES, name), folder)
        return os.path.join(folder, "triage_protocol.toml")

    def test_run_writes_evidence_cases_and_manifest(self):
        out = self.run_bundle("bundle")
        self.assertEqual(sorted(os.listdir(out)),
                         ["MANIFEST", "cases.csv", "evidence.json", "report.html"])
        header, inputs, outputs = read_manifest(out)
        self.assertEqual(header["format"], "assay-manifest 1")
        version = run("--version").stdout.strip()
        self.assertIn(header["assay_version"], version)
        self.assertTrue(header["build_id"])
        self.assertEqual(header["seed"], "20240101")
        self.assertIn("run", header["command_line"])
        self.assertTrue(header["platform"])
        self.assertRegex(header["created"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(header["protocol_path"], PROTOCOL)
        roles = {role: (digest, size, path) for role, digest, size, path in inputs}
        self.assertEqual(roles["protocol"], (sha256_of(PROTOCOL), os.path.getsize(PROTOCOL),
                                             PROTOCOL))
        cases = os.path.join(EXAMPLES, "triage_cases.csv")
        self.assertEqual(roles["cases"], (sha256_of(cases), os.path.getsize(cases), cases))
        for digest, size, name in outputs:
            self.assertEqual(digest, sha256_of(os.path.join(out, name)), name)
            self.assertEqual(size, os.path.getsize(os.path.join(out, name)), name)
        self.assertEqual(sorted(name for _, _, name in outputs),
                         ["cases.csv", "evidence.json", "report.html"])

        with open(os.path.join(out, "evidence.json")) as handle:
            document = json.load(handle)
        with open(os.path.join(out, "cases.csv"), newline="") as handle:
            rows = list(csv.DictReader(handle))
        self.assertEqual(len(rows), document["case_flow"]["analysed"])
        self.assertEqual(sum(int(row["truth"]) for row in rows), document["n_positive"])
        self.assertEqual({row["subgroup:age"] for row in rows}, {"<40", "[40,65)", ">=65"})
        for row in rows:
            self.assertRegex(row["case"], r"^[0-9a-f]{16}$")
            if row["output"] == "ok":
                self.assertEqual(row["decision@0.5"], "1" if float(row["score"]) >= 0.5 else "0")

    def test_intact_bundle_verifies(self):
        out = self.run_bundle("bundle")
        result = self.verify(out)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertRegex(result.stdout, r"bundle .* intact: \d+ files match MANIFEST")

    def test_an_edited_number_in_evidence_is_named(self):
        out = self.run_bundle("bundle")
        path = os.path.join(out, "evidence.json")
        with open(path) as handle:
            text = handle.read()
        # One digit of the top-level positive count, changed.
        text = re.sub(r'(\n  "n_positive": )(\d)',
                      lambda match: match.group(1) + str((int(match.group(2)) + 1) % 10), text,
                      count=1)
        with open(path, "w") as handle:
            handle.write(text)
        result = self.verify(out)
        self.assertEqual(result.returncode, 1)
        lines = result.stdout.splitlines()
        self.assertEqual(len(lines), 1, result.stdout)
        self.assertTrue(lines[0].startswith("evidence.json: changed (sha256 "), lines[0])

        result = self.verify(out, "--rerun")
        self.assertEqual(result.returncode, 1)
        self.assertIn("evidence.json: rerun differs at /n_positive: ", result.stdout)

    def test_a_missing_output_and_an_extra_file_are_named(self):
        out = self.run_bundle("bundle")
        os.remove(os.path.join(out, "cases.csv"))
        with open(os.path.join(out, "notes.txt"), "w") as handle:
            handle.write("added later\n")
        result = self.verify(out)
        self.assertEqual(result.returncode, 1)
        self.assertIn("cases.csv: missing", result.stdout.splitlines())
        self.assertIn("notes.txt: unexpected file", result.stdout.splitlines())

    def test_a_changed_input_file_is_named(self):
        protocol = self.copy_example()
        out = self.run_bundle("bundle", protocol)
        cases = os.path.join(os.path.dirname(protocol), "triage_cases.csv")
        with open(cases, "a") as handle:
            handle.write("\n")
        result = self.verify(out)
        self.assertEqual(result.returncode, 1)
        self.assertIn(cases + " (input cases): changed", result.stdout)

    def test_rerun_reproduces_the_evidence(self):
        out = self.run_bundle("bundle", PROTOCOL, "--threads", "1")
        result = self.verify(out, "--rerun")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("intact", result.stdout)

    def test_rerun_of_a_run_given_a_relative_protocol_path(self):
        out = self.run_bundle("bundle", os.path.join("examples", "triage_protocol.toml"),
                              cwd=SOURCE)
        result = run("verify", out, "--rerun", cwd=self.dir)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_rerun_finds_a_changed_protocol(self):
        protocol = self.copy_example()
        out = self.run_bundle("bundle", protocol)
        with open(protocol) as handle:
            text = handle.read()
        with open(protocol, "w") as handle:
            handle.write(text.replace("goal = 0.85", "goal = 0.80", 1))
        result = self.verify(out, "--rerun")
        self.assertEqual(result.returncode, 1)
        self.assertIn(protocol + " (input protocol): changed", result.stdout)
        self.assertIn("evidence.json: rerun differs at /", result.stdout)

    def test_same_bytes_for_one_and_four_threads(self):
        one = self.run_bundle("one", PROTOCOL, "--threads", "1")
        four = self.run_bundle("four", PROTOCOL, "--threads", "4")
        documents = []
        for out in (one, four):
            with open(os.path.join(out, "evidence.json")) as handle:
                document = json.load(handle)
            document.pop("created")
            document.pop("command")
            documents.append(document)
        self.assertEqual(documents[0], documents[1])
        with open(os.path.join(one, "cases.csv"), "rb") as a, \
                open(os.path.join(four, "cases.csv"), "rb") as b:
            self.assertEqual(a.read(), b.read())

    def test_verify_without_a_readable_manifest_is_bad_input(self):
        empty = os.path.join(self.dir, "empty")
        os.makedirs(empty)
        result = self.verify(empty)
        self.assertEqual(result.returncode, 2)
        self.assertIn("MANIFEST", result.stderr)
        self.assertEqual(self.verify(os.path.join(self.dir, "absent")).returncode, 2)

        out = self.run_bundle("bundle")
        with open(os.path.join(out, "MANIFEST"), "a") as handle:
            handle.write("garbage line\n")
        result = self.verify(out)
        self.assertEqual(result.returncode, 2)
        self.assertRegex(result.stderr, r"MANIFEST line \d+: ")

    def test_bad_protocol_leaves_no_bundle_and_no_temporary_folder(self):
        with open(PROTOCOL) as handle:
            text = handle.read()
        bad = os.path.join(self.dir, "bad.toml")
        with open(bad, "w") as handle:
            handle.write(text + "\nunknown_key = 1\n")
        result = run("run", bad, "--out", os.path.join(self.dir, "out"))
        self.assertEqual(result.returncode, 2)
        self.assertEqual(sorted(os.listdir(self.dir)), ["bad.toml"])


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
