#!/usr/bin/env python3
"""`assay shift` end to end: two cohorts with a planted shift in age and vendor and none
in sex. Checks: exit code 0 and a table; shift.json names age and vendor shifted and sex
not; its KS statistic, chi-square and Wasserstein distance match scipy on the same data;
a missing column and an identifier-like column are refused with exit code 2 and no file.

Usage: shift_cli_test.py ASSAY_BINARY
"""
import csv
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from scipy import stats

ASSAY = os.path.abspath(sys.argv[1])
failures = []
work_folder = tempfile.TemporaryDirectory()
work = work_folder.name


def check(condition, message):
    if not condition:
        failures.append(message)


def run(*arguments):
    return subprocess.run([ASSAY, *arguments], capture_output=True, text=True, cwd=work)


rng = np.random.default_rng(7)


def cohort(path, n, age_mean, share_b):
    ages = np.round(rng.normal(age_mean, 10, n), 1)
    vendors = np.where(rng.random(n) < share_b, "B", "A")
    sexes = np.where(rng.random(n) < 0.5, "F", "M")
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "age", "vendor", "sex"])
        for i in range(n):
            # A few ages are missing.
            age = "" if i % 97 == 0 else f"{ages[i]}"
            writer.writerow([f"{path[-5]}{i}", age, vendors[i], sexes[i]])
    return ages[[i for i in range(n) if i % 97 != 0]], vendors


ref_age, ref_vendor = cohort(os.path.join(work, "r.csv"), 3000, 50, 0.5)
tgt_age, tgt_vendor = cohort(os.path.join(work, "t.csv"), 2000, 56, 0.8)

out = os.path.join(work, "shift.json")
result = run("shift", "--reference", "r.csv", "--target", "t.csv", "--column", "age",
             "--column", "vendor", "--column", "sex", "--out", out)
check(result.returncode == 0, f"assay shift failed: {result.stderr}")
check("attribute" in result.stdout and "shifted" in result.stdout, f"no table: {result.stdout}")
if result.returncode == 0:
    document = json.load(open(out))
    by_name = {a["name"]: a for a in document["attributes"]}
    check(by_name["age"]["status"] == "shifted", f"age: {by_name['age']['status']}")
    check(by_name["vendor"]["status"] == "shifted", f"vendor: {by_name['vendor']['status']}")
    check(by_name["sex"]["status"] == "no_evidence", f"sex: {by_name['sex']['status']}")
    check(by_name["age"]["kind"] == "numeric" and by_name["vendor"]["kind"] == "categorical",
          "kinds")
    check(by_name["age"]["reference_missing"] == 31, "missing ages not counted")
    ks = stats.ks_2samp(ref_age, tgt_age)
    check(abs(by_name["age"]["statistic"] - ks.statistic) < 1e-12,
          f"KS {by_name['age']['statistic']} vs scipy {ks.statistic}")
    w1 = stats.wasserstein_distance(ref_age, tgt_age)
    check(abs(by_name["age"]["wasserstein"] - w1) < 1e-9 * max(1, w1), "Wasserstein-1")
    table = np.array([[np.sum(ref_vendor == v), np.sum(tgt_vendor == v)] for v in ("A", "B")])
    chi2 = stats.chi2_contingency(table, correction=False)
    check(abs(by_name["vendor"]["statistic"] - chi2[0]) < 1e-9 * chi2[0], "chi-square")
    domain = document["domain_classifier"]
    check(domain["auc"] > 0.6 and domain["auc_ci"]["lower"] > 0.55,
          f"the domain classifier does not tell the cohorts apart: {domain}")
    check(domain["strongest"][0]["feature"] in ("age", "vendor = A", "vendor = B"),
          f"strongest feature {domain['strongest'][0]}")
    check("Domain classifier" in result.stdout, "no classifier line")
    lo, hi = by_name["vendor"]["psi_ci"]["lower"], by_name["vendor"]["psi_ci"]["upper"]
    check(lo <= by_name["vendor"]["psi"] <= hi, "PSI outside its interval")

for columns, expected in ((["--column", "height"], "height"),
                          (["--column", "id"], "identifier")):
    bad = os.path.join(work, "bad.json")
    refused = run("shift", "--reference", "r.csv", "--target", "t.csv", *columns, "--out", bad)
    check(refused.returncode == 2, f"{columns}: exit code {refused.returncode}")
    check(expected in refused.stderr, f"{columns}: unclear error: {refused.stderr}")
    check(not os.path.exists(bad), f"{columns}: an output file was written")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("shift cli: all checks passed")
