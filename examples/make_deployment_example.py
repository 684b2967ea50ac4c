#!/usr/bin/env python3
"""Writes triage_deployment.csv: one hospital's archive where the triage model of
triage_cases.csv would be switched on (the deployment profile of
deployment_protocol.toml).

1,200 studies without ground truth: scanner vendor, sex, age and the model's
probability, drawn as make_triage_example.py draws them, but with the hospital's
own mix: mostly "Vendor C" (where the model is planted to be weaker), older
patients, and a vendor the evidence never saw ("Vendor D"). Reproducible: the seed
is fixed, and the file is committed alongside this script.

Usage: make_deployment_example.py [OUT.csv [TRUTH.csv]]; TRUTH.csv gets each study's hidden
truth, which the tests use to measure the estimates made without it.
"""
import csv
import math
import random
import sys

rng = random.Random(20261204)
vendors = [("Vendor A", 0.15), ("Vendor B", 0.20), ("Vendor C", 0.58), ("Vendor D", 0.07)]
rows, truth = [], []
for study in range(1, 1201):
    u, vendor = rng.random(), vendors[-1][0]
    for name, share in vendors:
        if u < share:
            vendor = name
            break
        u -= share
    diseased = rng.random() < 0.3
    separation = 1.0 if vendor in ("Vendor C", "Vendor D") else 2.2
    latent = rng.gauss(separation if diseased else 0.0, 1.0) - 1.2
    truth.append("pneumothorax" if diseased else "normal")
    rows.append({
        "study_id": f"H{study:04d}",
        "vendor": vendor,
        "sex": rng.choice(["F", "M"]),
        "age": max(18, min(95, int(rng.gauss(68, 14)))),
        "score": f"{1.0 / (1.0 + math.exp(-latent)):.6f}",
    })

out = sys.argv[1] if len(sys.argv) > 1 else "triage_deployment.csv"
with open(out, "w", newline="") as handle:
    writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
# The hidden truth, for tests that measure estimates made without it (not committed).
if len(sys.argv) > 2:
    with open(sys.argv[2], "w", newline="") as handle:
        handle.write("study_id,truth\n")
        for row, value in zip(rows, truth):
            handle.write(f"{row['study_id']},{value}\n")
