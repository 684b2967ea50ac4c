#!/usr/bin/env python3
"""Writes triage_cases.csv: a synthetic chest X-ray triage test set.

775 studies of 560 patients at three sites; each study has a ground truth
(pneumothorax yes/no), the model's probability, the cleared model's
probability (comparator), metadata (site, scanner vendor, sex, age) and the
model's output status: "ok", "failed" (inference crashed) or "rejected" (the
model refused the input, e.g. a lateral view). The score of a failed or
rejected study is whatever the pipeline wrote; `assay run` ignores it and
treats the output as indeterminate, while `assay evaluate` knows nothing of
the status column. The model is planted to be weaker on vendor "Vendor C". Reproducible: the
seed is fixed, and the file is committed alongside this script.
"""
import csv
import math
import random
import sys

rng = random.Random(20261203)
sites = {"site_a": ["Vendor A", "Vendor B"], "site_b": ["Vendor A", "Vendor C"],
         "site_c": ["Vendor B", "Vendor C"]}
rows = []
study = 0
for patient in range(560):
    site = rng.choice(sorted(sites))
    vendor = rng.choice(sites[site])
    sex = rng.choice(["F", "M"])
    age = max(18, min(95, int(rng.gauss(58, 16))))
    diseased = rng.random() < 0.3
    for _ in range(1 if rng.random() < 0.6 else 2):
        study += 1
        separation = 1.0 if vendor == "Vendor C" else 2.2
        latent = rng.gauss(separation if diseased else 0.0, 1.0) - 1.2
        comparator = rng.gauss(1.8 if diseased else 0.0, 1.0) - 1.1
        truth = "pneumothorax" if diseased else "normal"
        score = 1.0 / (1.0 + math.exp(-latent))
        rows.append({
            "study_id": f"S{study:04d}",
            "patient": f"P{patient:04d}",
            "truth": truth,
            "score": f"{score:.6f}",
            "cleared_score": f"{1.0 / (1.0 + math.exp(-comparator)):.6f}",
            "site": site,
            "vendor": vendor,
            "sex": sex,
            "age": age,
        })
        if study >= 800:
            break
    if study >= 800:
        break

# A separate stream, so the columns above are unchanged by the status column.
status_rng = random.Random(7)
for row in rows:
    u = status_rng.random()
    row["inference_status"] = "failed" if u < 0.015 else "rejected" if u < 0.04 else "ok"

out = sys.argv[1] if len(sys.argv) > 1 else "triage_cases.csv"
with open(out, "w", newline="") as handle:
    writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
