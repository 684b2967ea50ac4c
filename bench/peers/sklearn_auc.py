#!/usr/bin/env python3
"""Peer of bench/auc_delong_bench: times scikit-learn's roc_auc_score.

Usage: sklearn_auc.py DIR [RUNS]
Reads DIR/scores.f64 (float64) and DIR/truth.u8 (uint8, 1 = positive),
times sklearn.metrics.roc_auc_score RUNS times (default 3; reading the files
is not timed) and prints, as the last line of standard output, a JSON object
with the AUC and the median and every run's wall and CPU time in seconds.
"""
import json
import statistics
import sys
import time

import numpy as np
import sklearn
from sklearn.metrics import roc_auc_score


def main():
    directory = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    scores = np.fromfile(f"{directory}/scores.f64", dtype=np.float64)
    truth = np.fromfile(f"{directory}/truth.u8", dtype=np.uint8)
    times, cpu_times = [], []
    auc = None
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        auc = roc_auc_score(truth, scores)
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - start_cpu)
    print(json.dumps({"tool": f"scikit-learn {sklearn.__version__} roc_auc_score",
                      "auc": float(auc), "median_seconds": statistics.median(times),
                      "median_cpu_seconds": statistics.median(cpu_times),
                      "seconds": times, "cpu_seconds": cpu_times, "cases": int(scores.size)}))


if __name__ == "__main__":
    main()
