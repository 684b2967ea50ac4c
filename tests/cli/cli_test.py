#!/usr/bin/env python3
"""End-to-end tests of `assay evaluate`: exit codes, error messages naming the
place, no partial output, schema validity of evidence.json, and results that
do not depend on the thread count.

Usage: cli_test.py ASSAY_BINARY SOURCE_DIR
"""
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

import jsonschema

# Runs are recorded in a registry of this test's own, never the user's.
REGISTRY_FOLDER = tempfile.TemporaryDirectory()
os.environ["ASSAY_REGISTRY"] = os.path.join(REGISTRY_FOLDER.name, "registry.sqlite")

ASSAY = sys.argv[1] if len(sys.argv) > 1 else "build/src/assay"
SOURCE = sys.argv[2] if len(sys.argv) > 2 else "."
EXAMPLE = os.path.join(SOURCE, "examples", "triage_cases.csv")
with open(os.path.join(SOURCE, "docs", "evidence.schema.json")) as handle:
    SCHEMA = json.load(handle)

BASE = ["evaluate", "--truth", "truth", "--positive", "pneumothorax", "--score", "score"]


def run(*arguments):
    return subprocess.run([ASSAY, *arguments], capture_output=True, text=True, check=False)


def evaluate_to(directory, *arguments):
    result = run(*BASE, "--out", directory, *arguments)
    if result.returncode != 0:
        raise AssertionError(result.stderr)
    with open(os.path.join(directory, "evidence.json")) as handle:
        document = json.load(handle)
    jsonschema.Draft202012Validator(SCHEMA).validate(document)
    return document


def findings(document, metric, subgroup=None):
    return [f for f in document["findings"] if f["metric"] == metric and f["subgroup"] == subgroup]


class EvaluateTest(unittest.TestCase):
    def setUp(self):
        self.scratch = tempfile.TemporaryDirectory()
        self.dir = self.scratch.name

    def tearDown(self):
        self.scratch.cleanup()

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as handle:
            handle.write(text)
        return path

    def expect_bad_input(self, cases, message, *extra):
        out = os.path.join(self.dir, "out")
        result = run(*BASE, "--cases", cases, "--out", out, *extra)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn(message, result.stderr)
        self.assertFalse(os.path.exists(out), "no output may be written on bad input")

    def test_example_evidence_is_valid_and_complete(self):
        document = evaluate_to(self.dir, "--cases", EXAMPLE, "--id", "study_id", "--cluster",
                               "patient", "--group", "vendor", "--threshold", "0.5",
                               "--compare", "cleared_score", "--prevalence", "0.05")
        self.assertEqual(document["case_flow"]["received"], document["case_flow"]["analysed"])
        auc = findings(document, "auc")[0]
        self.assertEqual(auc["ci"]["method"], "obuchowski_clustered")
        self.assertGreater(auc["design_effect"], 0.5)
        self.assertLess(auc["ci"]["lower"], auc["estimate"])
        vendors = {f["subgroup"]["value"] for f in document["findings"]
                   if f["metric"] == "auc" and f["subgroup"]}
        self.assertEqual(vendors, {"Vendor A", "Vendor B", "Vendor C"})
        tests = {c["test"] for c in document["comparisons"]}
        self.assertEqual(tests, {"delong_paired", "mcnemar"})
        self.assertTrue(any(f.get("prevalence") == 0.05 for f in findings(document, "ppv")))

    def test_results_do_not_depend_on_thread_count(self):
        arguments = ["--cases", EXAMPLE, "--ci-auc", "bootstrap_bca", "--bootstrap", "500",
                     "--group", "site", "--threshold", "0.5", "--pauc-specificity", "0.9:1"]
        one = evaluate_to(os.path.join(self.dir, "one"), *arguments, "--threads", "1")
        two = evaluate_to(os.path.join(self.dir, "two"), *arguments, "--threads", "2")
        for document in (one, two):
            document.pop("created")
            document.pop("command")
        self.assertEqual(one, two)

    def test_seed_changes_bootstrap_interval(self):
        arguments = ["--cases", EXAMPLE, "--ci-auc", "bootstrap_percentile", "--bootstrap", "300"]
        first = findings(evaluate_to(os.path.join(self.dir, "a"), *arguments, "--seed", "1"),
                         "auc")[0]
        second = findings(evaluate_to(os.path.join(self.dir, "b"), *arguments, "--seed", "2"),
                          "auc")[0]
        self.assertEqual(first["estimate"], second["estimate"])
        self.assertNotEqual(first["ci"], second["ci"])

    def test_excluded_cases_appear_in_case_flow(self):
        cases = self.write("c.csv", "id,truth,score\na,pneumothorax,0.9\nb,,0.4\nc,normal,0.2\n"
                                    "d,normal,\ne,pneumothorax,0.6\nf,normal,0.7\n")
        document = evaluate_to(self.dir, "--cases", cases, "--id", "id",
                               "--exclude-missing-truth", "--exclude-missing-score")
        flow = document["case_flow"]
        self.assertEqual((flow["received"], flow["analysed"]), (6, 4))
        reasons = {e["reason"]: e["cases"] for e in flow["excluded"]}
        self.assertEqual(reasons["missing_truth"], [{"line": 3, "id": "b"}])
        self.assertEqual(reasons["missing_score"], [{"line": 5, "id": "d"}])

    def test_direction_lower_equals_negated_scores(self):
        lower = self.write("l.csv", "truth,score\npneumothorax,-0.9\nnormal,-0.1\n"
                                    "pneumothorax,-0.4\nnormal,-0.5\nnormal,-0.3\n")
        higher = self.write("h.csv", "truth,score\npneumothorax,0.9\nnormal,0.1\n"
                                     "pneumothorax,0.4\nnormal,0.5\nnormal,0.3\n")
        a = evaluate_to(os.path.join(self.dir, "a"), "--cases", lower, "--direction", "lower",
                        "--threshold", "-0.45")
        b = evaluate_to(os.path.join(self.dir, "b"), "--cases", higher, "--threshold", "0.45")
        self.assertAlmostEqual(findings(a, "auc")[0]["estimate"], 5 / 6)
        for metric in ("auc", "sensitivity", "specificity"):
            self.assertEqual([f["estimate"] for f in findings(a, metric)],
                             [f["estimate"] for f in findings(b, metric)])

    def test_jsonl_input(self):
        cases = self.write("c.jsonl", "\n".join(json.dumps(r) for r in [
            {"truth": "pneumothorax", "score": 0.8}, {"truth": "normal", "score": 0.3},
            {"truth": "pneumothorax", "score": 0.2}, {"truth": "normal", "score": 0.1}]))
        document = evaluate_to(self.dir, "--cases", cases)
        self.assertAlmostEqual(findings(document, "auc")[0]["estimate"], 0.75)

    def test_non_numeric_score(self):
        cases = self.write("c.csv", "truth,score\npneumothorax,0.9\nnormal,n/a\n")
        self.expect_bad_input(cases, "c.csv line 3, column 'score': 'n/a' is not a number")

    def test_nan_score(self):
        cases = self.write("c.csv", "truth,score\npneumothorax,0.9\nnormal,nan\n")
        self.expect_bad_input(cases, "line 3, column 'score'")

    def test_missing_column(self):
        cases = self.write("c.csv", "truth,prob\npneumothorax,0.9\nnormal,0.1\n")
        self.expect_bad_input(cases, "no column 'score'")

    def test_third_truth_value(self):
        cases = self.write("c.csv", "truth,score\npneumothorax,0.9\nnormal,0.1\nunsure,0.5\n")
        self.expect_bad_input(cases, "line 4, column 'truth'")

    def test_duplicate_ids(self):
        cases = self.write("c.csv", "id,truth,score\n1,pneumothorax,0.9\n1,normal,0.1\n")
        self.expect_bad_input(cases, "case id '1' already appeared on line 2", "--id", "id")

    def test_one_class_only(self):
        cases = self.write("c.csv", "truth,score\nnormal,0.9\nnormal,0.1\n")
        self.expect_bad_input(cases, "only one class is present")

    def test_empty_table(self):
        self.expect_bad_input(self.write("c.csv", "truth,score\n"), "no cases to analyse")

    def test_missing_file(self):
        self.expect_bad_input(os.path.join(self.dir, "absent.csv"), "cannot open")

    def test_unknown_method_and_bad_level(self):
        cases = self.write("c.csv", "truth,score\npneumothorax,0.9\nnormal,0.1\n")
        self.expect_bad_input(cases, "--ci-auc 'hanley'", "--ci-auc", "hanley")
        self.expect_bad_input(cases, "--level 1.5 is not in (0, 1)", "--level", "1.5")

    def test_unknown_option_is_bad_input(self):
        result = run(*BASE, "--cases", EXAMPLE, "--no-such-option")
        self.assertEqual(result.returncode, 2)

    def test_likelihood_ratio_with_zero_denominator_is_null_not_nan(self):
        cases = self.write("c.csv", "truth,score\npneumothorax,0.9\npneumothorax,0.8\n"
                                    "normal,0.1\nnormal,0.2\n")
        document = evaluate_to(self.dir, "--cases", cases, "--threshold", "0.5", "--no-youden")
        lr = findings(document, "lr_positive")[0]
        self.assertIsNone(lr["estimate"])
        self.assertIsNone(lr["ci"]["upper"])

    def test_blank_truth_is_missing_not_a_class(self):
        cases = self.write("c.csv", "truth,score\npneumothorax,0.9\n  ,0.5\nnormal,0.1\n"
                                    "pneumothorax,0.7\nnormal,0.3\n")
        self.expect_bad_input(cases, "line 3, column 'truth': the truth is missing")
        document = evaluate_to(self.dir, "--cases", cases, "--exclude-missing-truth")
        self.assertEqual(document["n_negative"], 2)
        self.assertEqual(document["case_flow"]["excluded"][0]["count"], 1)

    def test_blank_cluster_is_bad_input(self):
        cases = self.write("c.csv", "truth,score,patient\npneumothorax,0.9,p1\nnormal,0.1,\n")
        self.expect_bad_input(cases, "line 3, column 'patient': the cluster (patient) is missing",
                              "--cluster", "patient")

    def test_single_positive_gives_no_auc_interval_and_says_why(self):
        cases = self.write("c.csv", "truth,score\npneumothorax,0.9\nnormal,0.1\nnormal,0.2\n"
                                    "normal,0.95\n")
        document = evaluate_to(self.dir, "--cases", cases)
        self.assertIsNone(findings(document, "auc")[0]["ci"])
        self.assertIn("auc", [item["metric"] for item in document["not_evaluable"]])

    def test_single_cluster_of_positives_gives_no_clustered_interval(self):
        cases = self.write("c.csv", "truth,score,patient\npneumothorax,0.9,p1\n"
                                    "pneumothorax,0.6,p1\nnormal,0.1,p2\nnormal,0.7,p3\n")
        document = evaluate_to(self.dir, "--cases", cases, "--cluster", "patient")
        auc = findings(document, "auc")[0]
        self.assertIsNone(auc["ci"])
        self.assertNotIn("design_effect", auc)

    def test_perfect_subgroup_is_left_out_of_cochran_q_visibly(self):
        rows = ["truth,score,site"]
        rows += ["pneumothorax,0.9,A", "pneumothorax,0.8,A", "normal,0.1,A", "normal,0.2,A"]
        rows += ["pneumothorax,0.6,B", "pneumothorax,0.3,B", "normal,0.4,B", "normal,0.5,B",
                 "normal,0.2,B"]
        document = evaluate_to(self.dir, "--cases", self.write("c.csv", "\n".join(rows) + "\n"),
                               "--group", "site")
        tests = [t for t in document["heterogeneity"] if t["metric"] == "auc"]
        self.assertEqual(tests, [])
        notes = {(n["metric"], (n["subgroup"] or {}).get("value")) for n in document["not_evaluable"]}
        self.assertIn(("auc_heterogeneity", "A"), notes)
        self.assertIn(("auc_heterogeneity", None), notes)

    def test_target_sensitivity_prefers_higher_sensitivity_at_equal_specificity(self):
        cases = self.write("c.csv", "truth,score\npneumothorax,0.9\npneumothorax,0.8\n"
                                    "pneumothorax,0.3\npneumothorax,0.2\nnormal,0.5\n"
                                    "normal,0.1\n")
        document = evaluate_to(self.dir, "--cases", cases, "--target-sensitivity", "0.25",
                               "--no-youden")
        point = document["operating_points"][0]
        self.assertEqual(point["threshold"], 0.8)
        self.assertTrue(point["chosen_on_test_data"])

    def test_calibration_is_decided_for_the_whole_table(self):
        cases = self.write("c.csv", "truth,score,site\npneumothorax,0.9,A\nnormal,0.1,A\n"
                                    "pneumothorax,0.8,A\nnormal,0.2,A\npneumothorax,7,B\n"
                                    "normal,-3,B\n")
        document = evaluate_to(self.dir, "--cases", cases, "--group", "site")
        self.assertEqual([f for f in document["findings"] if f["metric"] == "brier"], [])

    def test_flat_scores_have_no_recalibration_fit(self):
        cases = self.write("c.csv", "truth,score\npneumothorax,0.5\nnormal,0.5\n"
                                    "pneumothorax,0.5\nnormal,0.5\n")
        document = evaluate_to(self.dir, "--cases", cases)
        self.assertEqual(findings(document, "calibration_slope"), [])
        self.assertIn("calibration_slope", [n["metric"] for n in document["not_evaluable"]])

    def test_undefined_likelihood_ratio_is_listed_not_reported_as_zero(self):
        cases = self.write("c.csv", "truth,score\npneumothorax,0.9\nnormal,0.1\n"
                                    "pneumothorax,0.7\nnormal,0.3\n")
        document = evaluate_to(self.dir, "--cases", cases, "--threshold", "0.95", "--no-youden")
        self.assertEqual(findings(document, "lr_positive"), [])
        self.assertIn("lr_positive", [n["metric"] for n in document["not_evaluable"]])

    def test_non_finite_threshold_and_bad_bootstrap_count_are_bad_input(self):
        cases = self.write("c.csv", "truth,score\npneumothorax,0.9\nnormal,0.1\n")
        self.expect_bad_input(cases, "--threshold nan is not a finite number", "--threshold", "nan")
        self.expect_bad_input(cases, "--bootstrap", "--bootstrap", "-5")

    def test_paired_comparison_with_one_positive_is_not_evaluable(self):
        cases = self.write("c.csv", "truth,score,old\npneumothorax,0.9,0.8\nnormal,0.1,0.2\n"
                                    "normal,0.3,0.1\n")
        document = evaluate_to(self.dir, "--cases", cases, "--compare", "old")
        self.assertEqual([c for c in document["comparisons"] if c["test"] == "delong_paired"], [])
        self.assertIn("auc_difference", [n["metric"] for n in document["not_evaluable"]])

    def test_unwritable_output_prints_no_results(self):
        blocker = self.write("file", "")
        result = run(*BASE, "--cases", EXAMPLE, "--out", os.path.join(blocker, "sub"))
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stdout, "")



PROTOCOL = os.path.join(SOURCE, "examples", "triage_protocol.toml")


class RunTest(unittest.TestCase):
    def setUp(self):
        self.scratch = tempfile.TemporaryDirectory()
        self.dir = self.scratch.name

    def tearDown(self):
        self.scratch.cleanup()

    def run_study(self, name, *extra):
        out = os.path.join(self.dir, name)
        result = run("run", PROTOCOL, "--out", out, *extra)
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(os.path.join(out, "evidence.json")) as handle:
            document = json.load(handle)
        jsonschema.Draft202012Validator(SCHEMA).validate(document)
        return result.stdout, document

    def test_example_protocol_gives_a_verdict_per_endpoint(self):
        stdout, document = self.run_study("a")
        self.assertTrue(stdout.startswith(document["protocol"]["title"]))
        self.assertIn("Overall for local_acceptance:", stdout)
        verdicts = {e["id"]: e["verdict"] for e in document["endpoints"]}
        self.assertEqual(len(verdicts), 4)
        self.assertTrue(all(v != "not_evaluable" for v in verdicts.values()), verdicts)
        # Without a lock every claim is exploratory and the evidence cannot be sufficient.
        self.assertTrue(all(e["exploratory"] for e in document["endpoints"]))
        self.assertNotEqual(document["overall"]["verdict"], "sufficient")
        locked = [g for g in document["gates"] if g["name"] == "protocol_locked"][0]
        self.assertFalse(locked["passed"])
        for endpoint in document["endpoints"]:
            if endpoint["verdict"] == "inconclusive" and endpoint["hypothesis"] == "goal":
                self.assertIn("cases_needed", endpoint)
        ages = {r["subgroup"]["value"] for r in document["subgroup_results"]
                if r["subgroup"]["column"] == "age"}
        self.assertEqual(ages, {"<40", "[40,65)", ">=65"})

    def test_same_evidence_for_one_and_four_threads(self):
        _, one = self.run_study("one", "--threads", "1")
        _, four = self.run_study("four", "--threads", "4")
        for document in (one, four):
            document.pop("created")
            document.pop("command")
        self.assertEqual(one, four)

    def test_bad_protocol_is_bad_input_and_writes_nothing(self):
        with open(PROTOCOL) as handle:
            text = handle.read()
        bad = os.path.join(self.dir, "bad.toml")
        with open(bad, "w") as handle:
            handle.write(text + "\nunknown_key = 1\n")
        out = os.path.join(self.dir, "out")
        result = run("run", bad, "--out", out)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("unknown_key", result.stderr)
        self.assertFalse(os.path.exists(out))


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
