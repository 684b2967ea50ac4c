#!/usr/bin/env python3
"""Size and opening time of the HTML report of a large protocol run.

Measures, for `assay run` on 10^6 cases with about 50 subgroup levels:
  - the wall time of `assay run` (reported, no target);
  - the size of report.html (target < 5 MB; 1 MB = 10^6 bytes);
  - the number of subgroup levels the report covers (distinct subgroups in
    evidence.json's subgroup_results; expected 50);
  - the time to open report.html in headless Chromium until the first plot
    is drawn (target < 3 s), and until every plot is drawn (no target):
    from the start of page.goto(file URL) until the first (every)
    `.plot[data-rendered="yes"]`, the attribute the page script sets when
    vegaEmbed succeeds; median of 3 openings, each in a fresh browser context.

Usage: /usr/bin/python3 bench/report_bench.py [ASSAY_BINARY]
(default build/src/assay under the repository root, the parent of bench/).

The cases (fixed seed): truth "pos"/"neg" (~20% positive); score = logistic
of a binormal latent (negatives N(0,1), positives N(1.8,1), shifted a little
per site), so scores are probabilities and calibration is evaluable;
subgroup columns site (20 levels), scanner (20), sex (2) and a numeric age
cut into 8 bins. The protocol has sensitivity and specificity endpoints at
threshold 0.5 and an AUC endpoint; no comparator, cluster or output status.

Prints a table figure / value / target / met, and the size of each <script>
element of report.html. Exits 1 only if something fails to run (assay, the
browser); a missed target is reported in the table, not as a failure.
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = 1_000_000
CHUNK = 200_000
SEED = 20240105
AGE_CUTS = [30, 40, 50, 60, 70, 80, 90]  # 8 bins
TARGET_MB = 5.0
TARGET_FIRST_PLOT_S = 3.0
OPENINGS = 3

PROTOCOL = """\
title = "Report benchmark: 10^6 cases, 50 subgroup levels"
intended_use = "Benchmark of the HTML report on a large synthetic study"
purpose = "local_acceptance"
seed = 20240101
bootstrap = 2000
combine = "all"

[data]
cases = "cases.csv"
truth = "truth"
positive = "pos"
score = "score"
id = "id"
direction = "higher"
minimum_positives = 10
minimum_negatives = 10

[model]
name = "Bench-Model"
version = "1.0.0"

[endpoints.sensitivity_at_lock]
metric = "sensitivity"
threshold = 0.5
goal = 0.70
primary = true

[endpoints.specificity_at_lock]
metric = "specificity"
threshold = 0.5
goal = 0.80
primary = true

[endpoints.auc]
metric = "auc"
goal = 0.85
primary = false

[subgroups]
columns = ["site", "scanner", "sex", "age"]
minimum_cases = 30
multiplicity = "holm"

[subgroups.bins]
age = AGE_CUTS
""".replace("AGE_CUTS", json.dumps(AGE_CUTS))

# Opens the report OPENINGS times; prints one JSON line per opening with the
# seconds to the first and to every rendered plot, and the errors seen.
NODE_SCRIPT = r"""
const { createRequire } = require('module');
const [repo, url, openings] = process.argv.slice(2);
const { chromium } = createRequire(repo + '/package.json')('playwright-core');
(async () => {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  for (let i = 0; i < Number(openings); i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text().slice(0, 200)); });
    page.on('pageerror', (e) => errors.push(e.message.slice(0, 200)));
    const start = performance.now();
    const loading = page.goto(url, { timeout: 120000 });
    await page.waitForSelector('.plot[data-rendered="yes"]', { state: 'attached', timeout: 120000 });
    const first = (performance.now() - start) / 1000;
    await page.waitForFunction(() => [...document.querySelectorAll('.plot')]
      .every((d) => d.getAttribute('data-rendered') === 'yes'), null, { timeout: 120000, polling: 20 });
    const all = (performance.now() - start) / 1000;
    await loading;
    const plots = await page.locator('.plot').count();
    console.log(JSON.stringify({ first, all, plots, errors }));
    await context.close();
  }
  await browser.close();
})().catch((e) => { console.error(e); process.exit(1); });
"""


def write_cases(path):
    rng = np.random.default_rng(SEED)
    site_shift = rng.normal(0.0, 0.15, 20)  # mild per-site differences
    with open(path, "w") as out:
        out.write("id,truth,score,site,scanner,sex,age\n")
        for begin in range(0, CASES, CHUNK):
            n = min(CHUNK, CASES - begin)
            positive = rng.random(n) < 0.20
            site = rng.integers(0, 20, n)
            scanner = rng.integers(0, 20, n)
            sex = rng.integers(0, 2, n)
            age = np.clip(rng.normal(58, 16, n), 18, 100).round().astype(int)
            latent = rng.standard_normal(n) + 1.8 * positive + site_shift[site]
            score = 1.0 / (1.0 + np.exp(-(1.6 * latent - 2.6)))
            rows = zip(range(begin, begin + n), np.where(positive, "pos", "neg").tolist(),
                       score.tolist(), site.tolist(), scanner.tolist(),
                       np.where(sex == 1, "F", "M").tolist(), age.tolist())
            out.write("".join(f"case{i:07d},{t},{s:.6f},site_{a:02d},scanner_{b:02d},{x},{g}\n"
                              for i, t, s, a, b, x, g in rows))


def script_sizes(html):
    """(description, bytes) of each <script> element, largest first, and the rest."""
    parts, total = [], 0
    for m in re.finditer(r"<script([^>]*)>(.*?)</script>", html, re.S):
        attrs = " ".join(re.findall(r'(?:data-plot|data-library|type)="[^"]*"', m.group(1))) or "(page script)"
        size = len(m.group(0).encode())
        parts.append((attrs, size))
        total += size
    parts.sort(key=lambda p: -p[1])
    return parts, len(html.encode()) - total


def main():
    assay = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "build/src/assay"))
    if not os.access(assay, os.X_OK):
        print(f"error: {assay} is not an executable", file=sys.stderr)
        return 1
    work = tempfile.mkdtemp(prefix="assay-report-bench-")
    try:
        start = time.perf_counter()
        write_cases(os.path.join(work, "cases.csv"))
        print(f"wrote {CASES} cases in {time.perf_counter() - start:.1f} s")
        with open(os.path.join(work, "protocol.toml"), "w") as out:
            out.write(PROTOCOL)

        bundle = os.path.join(work, "bundle")
        env = dict(os.environ, ASSAY_REGISTRY=os.path.join(work, "registry.sqlite"))
        start = time.perf_counter()
        done = subprocess.run([assay, "run", os.path.join(work, "protocol.toml"), "--out", bundle],
                              env=env, capture_output=True, text=True)
        run_s = time.perf_counter() - start
        report = os.path.join(bundle, "report.html")
        if done.returncode != 0 or not os.path.exists(report):
            print(f"error: assay run exited {done.returncode}\n{done.stderr[-3000:]}", file=sys.stderr)
            return 1
        print(f"assay run: {run_s:.1f} s")

        size_mb = os.path.getsize(report) / 1e6
        with open(os.path.join(bundle, "evidence.json")) as f:
            evidence = json.load(f)
        levels = {json.dumps(r["subgroup"], sort_keys=True) for r in evidence.get("subgroup_results", [])}

        script = os.path.join(work, "open_report.js")
        with open(script, "w") as out:
            out.write(NODE_SCRIPT)
        url = "file://" + os.path.abspath(report)
        opened = subprocess.run(["node", script, REPO, url, str(OPENINGS)],
                                capture_output=True, text=True, timeout=900)
        if opened.returncode != 0:
            print(f"error: opening the report failed\n{opened.stdout}{opened.stderr[-3000:]}", file=sys.stderr)
            return 1
        runs = [json.loads(line) for line in opened.stdout.splitlines() if line.startswith("{")]
        first = statistics.median(r["first"] for r in runs)
        every = statistics.median(r["all"] for r in runs)
        errors = sorted({e for r in runs for e in r["errors"]})

        rows = [
            ("assay run wall time", f"{run_s:.1f} s", "-", "-"),
            ("report.html size", f"{size_mb:.2f} MB", f"< {TARGET_MB:g} MB",
             "yes" if size_mb < TARGET_MB else "no"),
            ("subgroup levels in report", str(len(levels)), "~50", "yes" if 45 <= len(levels) <= 55 else "no"),
            (f"open to first plot (median of {len(runs)})", f"{first:.2f} s", f"< {TARGET_FIRST_PLOT_S:g} s",
             "yes" if first < TARGET_FIRST_PLOT_S else "no"),
            (f"open to all {runs[0]['plots']} plots (median)", f"{every:.2f} s", "-", "-"),
            ("browser console errors", str(len(errors)), "0", "yes" if not errors else "no"),
        ]
        print()
        widths = [max(len(r[i]) for r in rows + [("figure", "value", "target", "met")]) for i in range(4)]
        for row in [("figure", "value", "target", "met")] + rows:
            print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        print("openings (first / all, s): " + ", ".join(f"{r['first']:.2f} / {r['all']:.2f}" for r in runs))
        # Lines bench/run_all.sh collects into its summary table.
        for figure, value, target, met in rows[1:4]:
            print(f"summary\treport, 10^6 cases, {len(levels)} subgroups: {figure}\t{value}\t{target}\t"
                  f"{'met' if met == 'yes' else 'NOT MET'}")
        for e in errors:
            print(f"console error: {e}")

        with open(report, encoding="utf-8") as f:
            parts, rest = script_sizes(f.read())
        print("\nreport.html by part:")
        for name, size in parts:
            print(f"  {size / 1e6:8.3f} MB  <script {name}>")
        print(f"  {rest / 1e6:8.3f} MB  everything outside <script> (HTML, tables, CSS)")
        return 0
    except (OSError, subprocess.SubprocessError, ValueError, KeyError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
