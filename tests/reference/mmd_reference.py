"""Reference values of the maximum mean discrepancy, written out in numpy.

Usage: /usr/bin/python3 mmd_reference.py OUTDIR

Writes OUTDIR/mmd.json and, per case, the simulated points it was computed on
(OUTDIR/mmd_<case>.csv: a `cohort` column, 0 reference and 1 target, then
x0 .. x<d-1>) with 17 significant digits, so that the C++ tests read exactly
the same numbers. Seeded: the files are identical on every run.

Nothing here reads or imitates assay's C++: distances are taken coordinate
by coordinate, the bandwidth is numpy's median of the pairwise Euclidean
distances of the pooled points, and the statistic is the unbiased estimate
of MMD^2 of Gretton et al. 2012 (JMLR 13:723), eq. 3, under the Gaussian
kernel exp(-|x - y|^2 / (2 s^2)).
"""

import json
import os
import sys

import numpy as np


def unbiased_mmd2(x, y):
    pooled = np.vstack([x, y])
    differences = pooled[:, None, :] - pooled[None, :, :]
    squared = np.sum(differences * differences, axis=2)
    upper = np.triu_indices(len(pooled), k=1)
    bandwidth = float(np.median(np.sqrt(squared[upper])))
    kernel = np.exp(-squared / (2.0 * bandwidth * bandwidth))
    n, m = len(x), len(y)
    kxx = kernel[:n, :n]
    kyy = kernel[n:, n:]
    kxy = kernel[:n, n:]
    within_x = (kxx.sum() - np.trace(kxx)) / (n * (n - 1))
    within_y = (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
    cross = kxy.sum() / (n * m)
    return float(within_x + within_y - 2.0 * cross), bandwidth


def write_points(path, x, y):
    d = x.shape[1]
    with open(path, "w", encoding="ascii") as out:
        out.write(",".join(["cohort"] + [f"x{k}" for k in range(d)]) + "\n")
        for cohort, points in ((0, x), (1, y)):
            for row in points:
                out.write(",".join([str(cohort)] + ["%.17g" % v for v in row]) + "\n")


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(20240611)
    # name, reference rows, target rows, dimensions, target's mean shift, common offset, scale
    cases = [
        ("shifted", 120, 90, 5, 0.3, 0.0, 1.0),
        ("same", 60, 80, 3, 0.0, 0.0, 1.0),
        ("offset", 50, 70, 4, 0.5, 1000.0, 2.0),
        ("one_dimension", 40, 40, 1, 1.0, 0.0, 1.0),
    ]
    results = []
    for name, n, m, d, shift, offset, scale in cases:
        x = offset + scale * rng.standard_normal((n, d))
        y = offset + shift + scale * rng.standard_normal((m, d))
        # Read back exactly as the C++ test will.
        path = os.path.join(out, f"mmd_{name}.csv")
        write_points(path, x, y)
        table = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
        x = table[table[:, 0] == 0, 1:]
        y = table[table[:, 0] == 1, 1:]
        statistic, bandwidth = unbiased_mmd2(x, y)
        results.append({"name": name, "file": f"mmd_{name}.csv", "dimensions": d,
                        "statistic": statistic, "bandwidth": bandwidth})
    with open(os.path.join(out, "mmd.json"), "w", encoding="ascii") as f:
        json.dump({"numpy": np.__version__, "cases": results}, f, indent=1)


if __name__ == "__main__":
    main()
