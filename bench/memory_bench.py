#!/usr/bin/env python3
"""Peak memory of `assay evaluate` on 10^7 cases; the target is at most 100
bytes per case. There is no peer tool: the figure is peak resident set size
(from /usr/bin/time -v, or getrusage when that is missing) divided by the
number of cases. Wall time is reported too.

Usage: memory_bench.py [--assay build/src/assay] [--cases 10000000]
                       [--full-precision] [--keep]
Writes a binormal CSV (truth,score; scores in (0, 1) with 6 decimals, so up
to 10^6 distinct values, or with --full-precision every digit, so every
score distinct) to a temporary directory, runs
  assay evaluate --cases FILE --truth truth --positive 1 --score score --threshold 0.5
and prints peak RSS, bytes per case and "summary" lines for bench/run_all.sh.
Exits 1 when assay fails.
"""
import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

TARGET_BYTES_PER_CASE = 100
CHUNK = 1_000_000


def write_cases(path, cases, full_precision, seed=20240104):
    """Binormal latent scores (separation 1, prevalence 0.5) through a logistic."""
    form = "{},{!r}\n" if full_precision else "{},{:.6f}\n"
    rng = np.random.default_rng(seed)
    with open(path, "w") as out:
        out.write("truth,score\n")
        for begin in range(0, cases, CHUNK):
            count = min(CHUNK, cases - begin)
            truth = rng.random(count) < 0.5
            latent = rng.standard_normal(count) + truth
            score = 1.0 / (1.0 + np.exp(-(latent - 0.5)))
            out.write("".join(form.format(t, s)
                              for t, s in zip(truth.astype(np.uint8).tolist(), score.tolist())))


def run_measured(command):
    """Runs command; returns exit code, stdout, stderr, peak RSS in bytes, wall seconds and
    how the peak was measured."""
    if os.access("/usr/bin/time", os.X_OK):
        start = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-v"] + command, capture_output=True, text=True)
        wall = time.perf_counter() - start
        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
        peak = int(found.group(1)) * 1024 if found else None
        return done.returncode, done.stdout, done.stderr, peak, wall, "/usr/bin/time -v"
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return done.returncode, done.stdout, done.stderr, peak, wall, "getrusage(RUSAGE_CHILDREN)"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_assay = os.path.normpath(os.path.join(here, "..", "build", "src", "assay"))
    parser.add_argument("--assay", default=default_assay)
    parser.add_argument("--cases", type=int, default=10_000_000)
    parser.add_argument("--full-precision", action="store_true",
                        help="write every digit of the scores (all distinct)")
    parser.add_argument("--keep", action="store_true", help="keep the CSV (path printed)")
    args = parser.parse_args()

    directory = tempfile.mkdtemp(prefix="assay_memory_")
    try:
        csv = os.path.join(directory, "cases.csv")
        start = time.perf_counter()
        write_cases(csv, args.cases, args.full_precision)
        precision = "full precision" if args.full_precision else "6 decimals"
        print(f"wrote {args.cases} cases, scores with {precision} "
              f"({os.path.getsize(csv) / 1e6:.0f} MB) to {csv} "
              f"in {time.perf_counter() - start:.1f} s")
        command = [args.assay, "evaluate", "--cases", csv, "--truth", "truth", "--positive", "1",
                   "--score", "score", "--threshold", "0.5"]
        print("running:", " ".join(command), flush=True)
        code, stdout, stderr, peak, wall, how = run_measured(command)
        if code != 0 or peak is None:
            sys.stderr.write(stdout + stderr)
            print(f"assay evaluate failed (exit code {code})", file=sys.stderr)
            return 1
        for line in stdout.splitlines():
            if "AUC" in line or "auc" in line:
                print("  assay:", line.strip())
                break
        per_case = peak / args.cases
        met = per_case <= TARGET_BYTES_PER_CASE
        print(f"peak RSS {peak / 2**20:.1f} MiB ({how}), {per_case:.1f} bytes per case; "
              f"target <= {TARGET_BYTES_PER_CASE}: {'MET' if met else 'NOT MET'}; "
              f"wall time {wall:.2f} s")
        label = f"assay evaluate, {args.cases} cases ({precision})"
        print(f"summary\t{label}: peak RSS\t{peak / 2**20:.0f} MiB\t\t")
        print(f"summary\t{label}: bytes per case\t{per_case:.1f}\t"
              f"<= {TARGET_BYTES_PER_CASE}\t{'met' if met else 'NOT MET'}")
        print(f"summary\t{label}: wall time\t{wall:.2f} s\t\t")
        return 0
    finally:
        if args.keep:
            print(f"kept {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
