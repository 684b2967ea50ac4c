#!/usr/bin/env python3
"""`assay shift` end to end: two cohorts with a planted shift in age and vendor and none
in sex. Checks: exit code 0 and a table; shift.json names age and vendor shifted and sex
not; its KS statistic, chi-square and Wasserstein distance match scipy on the same data;
a missing column and an identifier-like column are refused with exit code 2 and no file.
With --embeddings: the MMD statistic and bandwidth match numpy on the same embeddings
(cohorts below --mmd-max-cases, so nothing is subsampled), a planted shift gives a small
p-value and a target from the reference's distribution (as JSON Lines) does not; tables
without embedding columns, or with another number of them, are refused with exit code 2.

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
    for name, estimate in (("wasserstein_ci", w1), ("statistic_ci", ks.statistic)):
        interval = by_name["age"].get(name, {})
        check(interval.get("lower", 1e9) <= estimate <= interval.get("upper", -1e9),
              f"age {name} {interval} does not hold {estimate}")
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



# --- embeddings: the MMD test ---------------------------------------------------------------

def embedding_cohort(path, n, d, shift):
    """n cases with d embedding columns (shift added to the first two), an age column, and
    every 25th case without an embedding (one empty cell). Returns the complete rows."""
    points = rng.normal(0.0, 1.0, (n, d))
    points[:, :2] += shift
    ages = np.round(rng.normal(50, 10, n), 1)
    complete = [i for i in range(n) if i % 25 != 3]
    if path.endswith(".jsonl"):
        with open(path, "w") as f:
            for i in range(n):
                record = {"id": f"e{i}", "age": float(ages[i])}
                for k in range(d):
                    record[f"embedding_{k}"] = float(points[i, k]) if i in complete else None
                f.write(json.dumps(record) + "\n")
        return points[complete]
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "age"] + [f"embedding_{k}" for k in range(d)])
        for i in range(n):
            cells = [repr(float(v)) for v in points[i]]
            if i not in complete:
                cells[i % d] = ""
            writer.writerow([f"e{i}", ages[i]] + cells)
    return points[complete]


def numpy_mmd(x, y, bandwidth=None):
    """Unbiased MMD^2 (Gretton et al. 2012, eq. 3), Gaussian kernel, median bandwidth."""
    pooled = np.vstack([x, y])
    squared = ((pooled[:, None, :] - pooled[None, :, :]) ** 2).sum(axis=2)
    if bandwidth is None:
        bandwidth = np.median(np.sqrt(squared[np.triu_indices(len(pooled), 1)]))
    kernel = np.exp(-squared / (2 * bandwidth ** 2))
    np.fill_diagonal(kernel, 0.0)
    n, m = len(x), len(y)
    return (kernel[:n, :n].sum() / (n * (n - 1)) + kernel[n:, n:].sum() / (m * (m - 1))
            - 2 * kernel[:n, n:].sum() / (n * m)), bandwidth


D = 6
emb_ref = embedding_cohort(os.path.join(work, "er.csv"), 160, D, 0.0)
emb_shifted = embedding_cohort(os.path.join(work, "es.csv"), 130, D, 0.6)
emb_same = embedding_cohort(os.path.join(work, "eq.jsonl"), 140, D, 0.0)

for target, expected_points, shifted in (("es.csv", emb_shifted, True),
                                         ("eq.jsonl", emb_same, False)):
    out = os.path.join(work, "mmd.json")
    result = run("shift", "--reference", "er.csv", "--target", target, "--column", "age",
                 "--embeddings", "--mmd-permutations", "499", "--out", out)
    check(result.returncode == 0, f"{target}: assay shift --embeddings failed: {result.stderr}")
    if result.returncode != 0:
        continue
    check("Embeddings (MMD test, 6 dimensions" in result.stdout, f"no MMD line: {result.stdout}")
    mmd = json.load(open(out))["mmd"]
    statistic, bandwidth = numpy_mmd(emb_ref, expected_points)
    check(abs(mmd["bandwidth"] - bandwidth) <= 1e-9 * bandwidth,
          f"{target}: bandwidth {mmd['bandwidth']} vs numpy {bandwidth}")
    check(abs(mmd["statistic"] - statistic) <= 1e-9 * abs(statistic),
          f"{target}: MMD^2 {mmd['statistic']} vs numpy {statistic}")
    check(mmd["permutations"] == 499 and mmd["dimensions"] == D, f"{target}: {mmd}")
    check(1 / 500 <= mmd["p_value"] <= 1, f"{target}: p-value {mmd['p_value']}")
    check(round(mmd["p_value"] * 500, 6).is_integer(), f"{target}: p not (1 + k) / 500")
    check(mmd["reference_cases"] == len(emb_ref) and mmd["target_cases"] == len(expected_points),
          f"{target}: cases used {mmd['reference_cases']}, {mmd['target_cases']}")
    without = {"reference": 160 - len(emb_ref), "target": (130 if shifted else 140) - len(
        expected_points)}
    check(mmd["cases_without_embedding"] == without and without["reference"] == 7,
          f"{target}: cases without embedding {mmd['cases_without_embedding']}")
    if shifted:
        check(mmd["p_value"] <= 0.01 and mmd["status"] == "shifted", f"shift missed: {mmd}")
    else:
        check(mmd["p_value"] > 0.05 and mmd["status"] == "no_evidence", f"false alarm: {mmd}")

# Embeddings alone (no attribute needed), subsampled to 50 cases per cohort.
alone = run("shift", "--reference", "er.csv", "--target", "es.csv", "--embeddings",
            "--mmd-permutations", "99", "--mmd-max-cases", "50", "--out",
            os.path.join(work, "alone.json"))
check(alone.returncode == 0, f"--embeddings without --column: {alone.stderr}")
if alone.returncode == 0:
    document = json.load(open(os.path.join(work, "alone.json")))
    check(document["attributes"] == [] and "mmd" in document, "embeddings-only document")
    mmd = document["mmd"]
    check(mmd["reference_cases"] == 50 and mmd["target_cases"] == 50
          and mmd["cases_with_embedding"] == {"reference": len(emb_ref),
                                              "target": len(emb_shifted)},
          f"subsample: {mmd}")

# Refused: no embedding columns, another number of them, a non-number, nothing to compare.
with open(os.path.join(work, "e4.csv"), "w") as f:
    f.write("id,embedding_0,embedding_1,embedding_2,embedding_3\n")
    for i in range(10):
        f.write(f"x{i},{i},1,2,3\n")
with open(os.path.join(work, "ebad.csv"), "w") as f:
    f.write("id," + ",".join(f"embedding_{k}" for k in range(D)) + "\n")
    f.write("a," + ",".join(["1"] * D) + "\n")
    f.write("b," + ",".join(["1"] * (D - 1)) + ",n/a\n")
for arguments, expected in (
        (["--target", "t.csv", "--embeddings"], "t.csv"),
        (["--target", "e4.csv", "--embeddings"], "e4.csv"),
        (["--target", "ebad.csv", "--embeddings"], "ebad.csv line 3"),
        (["--target", "es.csv"], "--embeddings")):
    bad = os.path.join(work, "bad.json")
    refused = run("shift", "--reference", "er.csv", *arguments, "--out", bad)
    check(refused.returncode == 2, f"{arguments}: exit code {refused.returncode}")
    check(expected in refused.stderr, f"{arguments}: unclear error: {refused.stderr}")
    check(not os.path.exists(bad), f"{arguments}: an output file was written")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("shift cli: all checks passed")
