#!/usr/bin/python3
"""End-to-end tests of `assay synth`: the same seed gives the same bytes on one
thread and on two; case and positive counts per site match the configuration
within binomial tolerance; pydicom reads every case file and its attributes are
right (absent exactly where missing_metadata left them out); planted effects
act only where their conditions hold (measured noise is higher in the noisy
vendor's images, lesion contrast lower in the small faint ones, labels flipped
only at the site with label noise) and planted.json counts them; duplicates are
byte copies and corrupt files do not decode; --sites writes the same cases as
a full run; a bad configuration or a non-empty output folder is exit 2 with a
message naming the key and line, and leaves no output. The demo configurations
in examples/demo/ generate.

Usage: synth_cli_test.py ASSAY_BINARY SOURCE_DIR
"""
import csv
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import pydicom

ASSAY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "build/src/assay"
SOURCE = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else "."

CONFIG = """\
seed = 424242
image_size = 64
study_date = "20250704"
missing_metadata = 0.1
duplicates = 0.05
corrupt = 0.05

[lesion]
size_mm = [2.0, 10.0]
contrast = [0.1, 0.5]

[[sites]]
name = "dev-a"
institution = "Alpha Hospital"
role = "development"
cases = 300
prevalence = 0.3
age = [20, 80]
female = 0.5
  [[sites.scanners]]
  vendor = "GE Healthcare"
  model = "Discovery XR656"
  share = 0.5
  pixel_spacing = 0.4
  kvp = 110
  [[sites.scanners]]
  vendor = "Vendor N"
  model = "Noisy 1"
  share = 0.5
  pixel_spacing = 0.5
  kvp = 90

[[sites]]
name = "dev-b"
institution = "Beta Clinic"
role = "development"
cases = 200
prevalence = 0.5
  [[sites.scanners]]
  vendor = "SIEMENS"
  model = "Ysio Max"
  blur = 1.0

[[sites]]
name = "test-c"
institution = "Gamma, University Hospital"
role = "test"
cases = 250
prevalence = 0.2
  [[sites.scanners]]
  vendor = "SIEMENS"
  model = "Ysio Max"

[[plant]]
name = "noisy vendor"
where = { vendor = "Vendor N" }
noise = 3.0

[[plant]]
name = "small faint lesions"
where = { size_max_mm = 5.0, contrast_max = 0.25 }
lesion_contrast = 0.5

[[plant]]
name = "test-c labels"
where = { site = "test-c" }
label_noise = 0.3
"""

OPTIONAL = ["PatientAge", "PatientSex", "KVP", "ManufacturerModelName"]


def run(*arguments):
    return subprocess.run([ASSAY, *map(str, arguments)], capture_output=True, text=True)


def tree_digest(folder):
    """{relative path: sha256} of every file under `folder`."""
    digests = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                digests[os.path.relpath(path, folder)] = hashlib.sha256(handle.read()).hexdigest()
    return digests


def read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def noise_deviation(pixels):
    """Immerkaer's noise estimate (the mask cancels smooth structure)."""
    p = pixels.astype(np.float64)
    response = (p[:-2, :-2] - 2 * p[:-2, 1:-1] + p[:-2, 2:] - 2 * p[1:-1, :-2] + 4 * p[1:-1, 1:-1]
                - 2 * p[1:-1, 2:] + p[2:, :-2] - 2 * p[2:, 1:-1] + p[2:, 2:])
    return math.sqrt(math.pi / 2) * np.abs(response).sum() / (6 * response.size)


class SynthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.scratch = tempfile.TemporaryDirectory()
        cls.dir = cls.scratch.name
        cls.config = os.path.join(cls.dir, "cohort.toml")
        with open(cls.config, "w") as handle:
            handle.write(CONFIG)
        cls.out = os.path.join(cls.dir, "one")
        cls.out_two = os.path.join(cls.dir, "two")
        for out, threads in ((cls.out, 1), (cls.out_two, 2)):
            result = run("synth", "--config", cls.config, "--out", out, "--threads", threads)
            if result.returncode != 0:
                raise AssertionError(result.stderr)
        cls.truth = read_csv(os.path.join(cls.out, "ground_truth.csv"))
        cls.labels = read_csv(os.path.join(cls.out, "labels.csv"))
        cls.files = read_csv(os.path.join(cls.out, "files.csv"))
        with open(os.path.join(cls.out, "planted.json")) as handle:
            cls.planted = json.load(handle)

    @classmethod
    def tearDownClass(cls):
        cls.scratch.cleanup()

    def expect_bad_input(self, text, *messages):
        config = os.path.join(self.dir, "bad.toml")
        with open(config, "w") as handle:
            handle.write(text)
        out = os.path.join(self.dir, "bad-out")
        result = run("synth", "--config", config, "--out", out)
        self.assertEqual(result.returncode, 2, result.stderr)
        for message in messages:
            self.assertIn(message, result.stderr)
        self.assertFalse(os.path.exists(out), "no output may be written on bad input")
        self.assertEqual([n for n in os.listdir(self.dir) if "assay-partial" in n], [])

    def test_same_seed_same_bytes_on_any_thread_count(self):
        self.assertEqual(tree_digest(self.out), tree_digest(self.out_two))
        other = os.path.join(self.dir, "other-seed")
        result = run("synth", "--config", self.config, "--out", other, "--seed", 5)
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(os.path.join(other, "planted.json")) as handle:
            self.assertEqual(json.load(handle)["seed"], 5)
        self.assertNotEqual(tree_digest(other)["labels.csv"], tree_digest(self.out)["labels.csv"])

    def test_counts_per_site_match_the_configuration(self):
        for site, cases, prevalence in (("dev-a", 300, 0.3), ("dev-b", 200, 0.5),
                                        ("test-c", 250, 0.2)):
            rows = [r for r in self.truth if r["site"] == site]
            self.assertEqual(len(rows), cases)
            positives = sum(r["true_finding"] == "lesion" for r in rows)
            sd = math.sqrt(cases * prevalence * (1 - prevalence))
            self.assertLess(abs(positives - cases * prevalence), 4 * sd, (site, positives))
        self.assertEqual(len(self.labels), 750)
        self.assertEqual(self.planted["cohort"]["cases"], 750)

    def test_dicom_attributes(self):
        sites = {"dev-a": "Alpha Hospital", "dev-b": "Beta Clinic",
                 "test-c": "Gamma, University Hospital"}
        for row in self.truth[::7]:
            dataset = pydicom.dcmread(os.path.join(self.out, row["file"]))  # needs the preamble
            self.assertEqual(dataset.file_meta.TransferSyntaxUID, pydicom.uid.ExplicitVRLittleEndian)
            self.assertEqual(dataset.SOPClassUID, "1.2.840.10008.5.1.4.1.1.1.1")
            self.assertEqual(dataset.file_meta.MediaStorageSOPInstanceUID, dataset.SOPInstanceUID)
            self.assertEqual(dataset.StudyInstanceUID, row["study"])
            self.assertTrue(dataset.StudyInstanceUID.startswith("2.25."))
            self.assertEqual(dataset.Modality, "DX")
            self.assertEqual(dataset.BodyPartExamined, "CHEST")
            self.assertEqual(dataset.StudyDate, "20250704")
            self.assertEqual(dataset.PatientID, row["patient"])
            self.assertEqual(dataset.Manufacturer, row["vendor"])
            self.assertEqual(dataset.InstitutionName, sites[row["site"]])
            self.assertEqual((dataset.Rows, dataset.Columns), (64, 64))
            self.assertEqual((dataset.BitsAllocated, dataset.BitsStored, dataset.HighBit), (16, 12, 11))
            self.assertEqual(dataset.PixelRepresentation, 0)
            self.assertEqual(dataset.PhotometricInterpretation, "MONOCHROME2")
            self.assertEqual(float(dataset.RescaleSlope), 1.0)
            self.assertEqual(float(dataset.PixelSpacing[0]), float(row["pixel_spacing"]))
            self.assertLessEqual(int(dataset.pixel_array.max()), 4095)
            missing = set(filter(None, row["missing_attributes"].split(";")))
            for keyword in OPTIONAL:
                self.assertEqual(keyword in dataset, keyword not in missing, (row["case"], keyword))
            if "PatientAge" in dataset:
                self.assertEqual(dataset.PatientAge, f"{int(row['age']):03d}Y")
            if "PatientSex" in dataset:
                self.assertEqual(dataset.PatientSex, row["sex"])
            if "ManufacturerModelName" in dataset:
                self.assertEqual(dataset.ManufacturerModelName, row["model"])

    def test_missing_metadata_rate(self):
        counts = self.planted["cohort"]["missing_metadata"]["missing"]
        for keyword in OPTIONAL:
            listed = sum(keyword in r["missing_attributes"].split(";") for r in self.truth)
            self.assertEqual(counts[keyword], listed)
            self.assertLess(abs(listed - 75), 4 * math.sqrt(750 * 0.1 * 0.9), keyword)

    def test_labels_are_the_recorded_findings(self):
        truth = {r["study"]: r for r in self.truth}
        for label in self.labels:
            row = truth[label["study"]]
            self.assertEqual(label["finding"], row["recorded_finding"])
            self.assertEqual(label["site"], row["site"])
            self.assertEqual(label["patient"], row["patient"])
            self.assertEqual(label["lesion_size_mm"] != "", label["finding"] == "lesion")
        flipped = [r for r in self.truth if r["label_flipped"] == "true"]
        self.assertTrue(flipped)
        for row in flipped:
            self.assertEqual(row["site"], "test-c")
            self.assertEqual(row["flipped_by"], "test-c labels")
            self.assertNotEqual(row["true_finding"], row["recorded_finding"])
        rate = len(flipped) / 250
        self.assertLess(abs(rate - 0.3), 4 * math.sqrt(0.3 * 0.7 / 250))

    def test_plants_act_only_where_their_conditions_hold(self):
        for row in self.truth:
            plants = set(filter(None, row["plants"].split(";")))
            lesion = row["true_finding"] == "lesion"
            faint = lesion and float(row["lesion_size_mm"]) <= 5.0 and \
                float(row["lesion_contrast"]) <= 0.25
            self.assertEqual("noisy vendor" in plants, row["vendor"] == "Vendor N")
            self.assertEqual("small faint lesions" in plants, faint)
            self.assertEqual("test-c labels" in plants, row["site"] == "test-c")
            self.assertAlmostEqual(float(row["noise"]), 3.0 if row["vendor"] == "Vendor N" else 1.0)
            if lesion:
                factor = 0.5 if faint else 1.0
                self.assertAlmostEqual(float(row["lesion_contrast_applied"]),
                                       factor * float(row["lesion_contrast"]), places=3)

    def test_planted_json_counts_what_each_plant_affected(self):
        self.assertEqual(self.planted["seed"], 424242)
        self.assertEqual([p["name"] for p in self.planted["plants"]],
                         ["noisy vendor", "small faint lesions", "test-c labels"])
        for plant in self.planted["plants"]:
            rows = [r for r in self.truth if plant["name"] in r["plants"].split(";")]
            self.assertEqual(plant["cases"], len(rows), plant["name"])
            self.assertEqual(plant["positives"], sum(r["true_finding"] == "lesion" for r in rows))
            self.assertGreater(plant["cases"], 0, plant["name"])
        self.assertEqual(self.planted["plants"][0]["where"], {"vendor": ["Vendor N"]})
        self.assertEqual(self.planted["plants"][0]["effect"], {"noise": 3.0})
        self.assertEqual(self.planted["plants"][2]["cases_by_site"], {"test-c": 250})
        self.assertEqual(self.planted["plants"][2]["labels_flipped"],
                         sum(r["label_flipped"] == "true" for r in self.truth))

    def test_measured_noise_is_higher_in_the_noisy_vendor(self):
        noise = {"Vendor N": [], "GE Healthcare": []}
        for row in self.truth:
            if row["site"] == "dev-a" and len(noise[row["vendor"]]) < 40:
                pixels = pydicom.dcmread(os.path.join(self.out, row["file"])).pixel_array
                noise[row["vendor"]].append(noise_deviation(pixels))
        ratio = np.median(noise["Vendor N"]) / np.median(noise["GE Healthcare"])
        self.assertGreater(ratio, 2.3)
        self.assertLess(ratio, 3.5)

    def test_duplicates_are_copies_and_corrupt_files_do_not_decode(self):
        digests = tree_digest(os.path.join(self.out))
        kinds = {kind: [f for f in self.files if f["kind"] == kind]
                 for kind in ("case", "duplicate", "corrupt")}
        self.assertEqual(len(kinds["case"]), 750)
        self.assertTrue(kinds["duplicate"] and kinds["corrupt"])
        self.assertEqual(len(digests), len(self.files) + 5)  # and the four tables, the marker
        for row in self.files:
            self.assertEqual(digests[row["file"]], row["sha256"], row["file"])
        case_digest = {f["case"]: f["sha256"] for f in kinds["case"]}
        for row in kinds["duplicate"]:
            self.assertEqual(row["sha256"], case_digest[row["case"]])
        for row in kinds["corrupt"]:
            with self.assertRaises(Exception, msg=row["file"]):
                pydicom.dcmread(os.path.join(self.out, row["file"])).pixel_array
        self.assertEqual(self.planted["cohort"]["duplicates"]["files"], len(kinds["duplicate"]))
        self.assertEqual(self.planted["cohort"]["corrupt"]["files"], len(kinds["corrupt"]))

    def test_sites_by_role_are_the_same_cases(self):
        out = os.path.join(self.dir, "development")
        result = run("synth", "--config", self.config, "--out", out, "--sites", "development")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(sorted(os.listdir(os.path.join(out, "images"))), ["dev-a", "dev-b"])
        full, part = tree_digest(self.out), tree_digest(out)
        images = [name for name in part if name.startswith("images")]
        self.assertEqual(len(images), sum(1 for f in self.files if not f["file"].startswith(
            "images/test-c")))
        for name in images:
            self.assertEqual(part[name], full[name], name)
        self.assertEqual({r["site"] for r in read_csv(os.path.join(out, "labels.csv"))},
                         {"dev-a", "dev-b"})

    def test_bad_configurations_are_named(self):
        self.expect_bad_input(CONFIG.replace("image_size = 64", "image_sise = 64"),
                              "line 2, key 'image_sise'", "unknown key")
        self.expect_bad_input(CONFIG.replace("prevalence = 0.5", "prevalence = 1.5"),
                              "line 38, key 'sites[1].prevalence'", "1.5 is outside [0, 1]")
        self.expect_bad_input(CONFIG[:CONFIG.index("[[sites]]")], "key 'sites'",
                              "required key is missing")
        self.expect_bad_input(CONFIG.replace('where = { site = "test-c" }',
                                             'where = { site = "test-d" }'),
                              "key 'plant[2].where.site'", "no site has site 'test-d'")

    def test_output_folder_is_replaced_only_with_force(self):
        out = os.path.join(self.dir, "occupied")
        os.makedirs(out)
        with open(os.path.join(out, "keep.txt"), "w") as handle:
            handle.write("mine")
        result = run("synth", "--config", self.config, "--out", out, "--sites", "test")
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("not empty", result.stderr)
        self.assertTrue(os.path.exists(os.path.join(out, "keep.txt")))
        # --force replaces only a folder assay synth wrote.
        result = run("synth", "--config", self.config, "--out", out, "--sites", "test", "--force")
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("not written by assay synth", result.stderr)
        self.assertTrue(os.path.exists(os.path.join(out, "keep.txt")))
        os.remove(os.path.join(out, "keep.txt"))
        result = run("synth", "--config", self.config, "--out", out, "--sites", "development")
        self.assertEqual(result.returncode, 0, result.stderr)
        result = run("synth", "--config", self.config, "--out", out, "--sites", "test", "--force")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(os.listdir(os.path.join(out, "images")), ["test-c"])
        self.assertEqual([n for n in os.listdir(self.dir) if "assay-old" in n], [])

    def test_demo_configurations_generate(self):
        demo = os.path.join(SOURCE, "examples", "demo")
        out = os.path.join(self.dir, "demo")
        result = run("synth", "--config", os.path.join(demo, "cohort.toml"), "--out", out)
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(os.path.join(out, "planted.json")) as handle:
            planted = json.load(handle)
        self.assertEqual(len(planted["plants"]), 3)
        self.assertEqual(planted["cohort"]["cases"], 2400)
        unseen = planted["plants"][0]
        self.assertEqual(list(unseen["cases_by_site"]), ["site-3"])
        train = os.path.join(self.dir, "train")
        result = run("synth", "--config", os.path.join(demo, "train_cohort.toml"), "--out", train)
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(os.path.join(train, "planted.json")) as handle:
            planted = json.load(handle)
        self.assertEqual(planted["plants"], [])
        self.assertEqual(planted["cohort"]["labels_flipped"], 0)
        self.assertEqual(planted["sites"], ["site-1", "site-2"])


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
