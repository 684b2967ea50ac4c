#!/usr/bin/python3
"""The peer of bench/shift_bench.cpp: scipy's ks_2samp (numeric) and chi2_contingency
(categorical, no continuity correction) over the attributes the benchmark wrote to FOLDER
as raw arrays. Prints JSON: the time of the tests alone (reading excluded) and the largest
relative difference between scipy's statistics and assay's.
Usage: shift_peer.py FOLDER
"""
import json
import os
import sys
import time

import numpy as np
from scipy import stats

folder = sys.argv[1]
manifest = json.load(open(os.path.join(folder, "manifest.json")))
data = []
for attribute in manifest:
    kind = "f64" if attribute["numeric"] else "u32"
    dtype = np.float64 if attribute["numeric"] else np.uint32
    data.append((attribute,
                 np.fromfile(os.path.join(folder, f"{attribute['name']}.reference.{kind}"), dtype),
                 np.fromfile(os.path.join(folder, f"{attribute['name']}.target.{kind}"), dtype)))
start = time.perf_counter()
statistics = []
for attribute, reference, target in data:
    if attribute["numeric"]:
        statistics.append(stats.ks_2samp(reference, target).statistic)
    else:
        levels = attribute["levels"]
        table = np.stack([np.bincount(reference, minlength=levels),
                          np.bincount(target, minlength=levels)], axis=1)
        table = table[table.sum(axis=1) > 0]
        statistics.append(stats.chi2_contingency(table, correction=False)[0])
seconds = time.perf_counter() - start
largest = max(abs(s - a["statistic"]) / max(abs(s), 1e-300)
              for s, (a, _, _) in zip(statistics, data))
print(json.dumps({"seconds": seconds, "largest_difference": largest}))
