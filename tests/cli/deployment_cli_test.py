#!/usr/bin/env python3
"""`assay run` with [deployment] and [shift], end to end, on the triage example's evidence
(examples/triage_cases.csv) and hospital profile (examples/triage_deployment.csv).

Checks, each against a computation from the two CSV files here (numpy, scipy), not from
assay's output: every stratum's deployment share, evidence cases and sensitivity; the
expected sensitivity and specificity reweighted by share x prevalence; the vendor the
evidence never saw is "not_covered" and first in the risk ranking; the chi-square and
Kolmogorov-Smirnov statistics of the shift table; a declared mix instead of a profile;
evidence.json valid against the schema; the report's two sections. Bad input: a profile
without a stratum column, a stratum without shares, shares that do not sum to 1 - each
exit code 2 with the place named, and no output folder.

Usage: deployment_cli_test.py ASSAY_BINARY SOURCE_DIR
"""
import csv
import json
import os
import subprocess
import sys
import tempfile

import jsonschema
import numpy as np
from scipy import stats

ASSAY = os.path.abspath(sys.argv[1])
SOURCE = os.path.abspath(sys.argv[2])
EXAMPLES = os.path.join(SOURCE, "examples")
failures = []
work_folder = tempfile.TemporaryDirectory()
work = work_folder.name


def check(condition, message):
    if not condition:
        failures.append(message)


def run(*arguments):
    return subprocess.run([ASSAY, *arguments], capture_output=True, text=True, cwd=work)


def read(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


evidence = read(os.path.join(EXAMPLES, "triage_cases.csv"))
profile = read(os.path.join(EXAMPLES, "triage_deployment.csv"))

# The protocol counts indeterminate outputs against the model: such a case is always wrong.
truth = np.array([r["truth"] == "pneumothorax" for r in evidence])
valid = np.array([r["inference_status"] == "ok" for r in evidence])
predicted = np.array([float(r["score"]) >= 0.5 for r in evidence])
correct = valid & (predicted == truth)
vendor = np.array([r["vendor"] for r in evidence])
deployed_vendor = np.array([r["vendor"] for r in profile])

HEAD = f"""
title = "deployment test"
intended_use = "test"
purpose = "local_acceptance"
seed = 11
bootstrap = 400
[data]
cases = "{os.path.join(EXAMPLES, 'triage_cases.csv')}"
truth = "truth"
positive = "pneumothorax"
score = "score"
id = "study_id"
output_status = "inference_status"
valid_status = ["ok"]
rejected_status = ["rejected"]
[model]
name = "PTX-Triage"
version = "2.3.1"
[endpoints.sens]
metric = "sensitivity"
threshold = 0.5
goal = 0.70
[endpoints.spec]
metric = "specificity"
threshold = 0.5
goal = 0.80
"""


def write_protocol(name, text):
    path = os.path.join(work, name)
    with open(path, "w") as handle:
        handle.write(HEAD + text)
    return path


def expected(shares, metric_class):
    """Sensitivity (class True) or specificity (class False) reweighted by vendor share x the
    vendor's share of that class in the evidence, over vendors with that class."""
    weight_sum = total = 0.0
    for level, share in shares.items():
        in_level = vendor == level
        cls = in_level & (truth == metric_class)
        if share == 0 or cls.sum() == 0:
            continue
        weight = share * cls.sum() / in_level.sum()
        weight_sum += weight
        total += weight * correct[cls].mean()
    return total / weight_sum


# 1. A profile: strata, expected performance, risks, shift.
protocol = write_protocol("profile.toml", f"""
[deployment]
profile = "{os.path.join(EXAMPLES, 'triage_deployment.csv')}"
strata = ["vendor", "age"]
bins.age = [40, 65]
score = "score"
[shift]
""")
result = run("run", protocol, "--out", "bundle")
check(result.returncode == 0, f"run with a profile exits 0: {result.returncode} {result.stderr}")
if result.returncode != 0:
    print(result.stderr)
    sys.exit(1)
document = json.load(open(os.path.join(work, "bundle", "evidence.json")))
schema = json.load(open(os.path.join(SOURCE, "docs", "evidence.schema.json")))
try:
    jsonschema.validate(document, schema)
except jsonschema.ValidationError as error:
    failures.append(f"evidence.json is not valid: {error.message}")

deployment = document["deployment"]
shares = {v: float(np.mean(deployed_vendor == v)) for v in sorted(set(deployed_vendor))}
strata = {(s["dimension"], s["level"]): s for s in deployment["strata"]}
for level, share in shares.items():
    stratum = strata.get(("vendor", level))
    check(stratum is not None, f"vendor {level} is a stratum")
    if stratum is None:
        continue
    check(abs(stratum["deployment_share"] - share) < 1e-12, f"share of {level}")
    check(stratum["evidence_cases"] == int((vendor == level).sum()), f"evidence cases of {level}")
    sens = next(m for m in stratum["metrics"] if m["endpoint"] == "sens")
    positives = (vendor == level) & truth
    if positives.sum() > 0:
        check(abs(sens["estimate"] - correct[positives].mean()) < 1e-12,
              f"sensitivity in {level}: {sens['estimate']} vs {correct[positives].mean()}")
check(strata[("vendor", "Vendor D")]["metrics"][0]["coverage"] == "not_covered",
      "the vendor the evidence never saw is not covered")
check(deployment["risks"][0]["level"] == "Vendor D" and deployment["risks"][0]["risk"] is None,
      f"the uncovered vendor leads the risk ranking: {deployment['risks'][0]}")
check(strata[("vendor", "Vendor C")]["metrics"][0]["coverage"] == "below_goal",
      "the weak vendor's sensitivity is below the goal")

rows = {(e["dimension"], e["endpoint"]): e for e in deployment["expected"]}
for endpoint, metric_class in (("sens", True), ("spec", False)):
    e = rows[("vendor", endpoint)]
    want = expected(shares, metric_class)
    check(abs(e["expected"] - want) < 1e-12, f"expected {endpoint}: {e['expected']} vs {want}")
    check(e["expected_ci"]["lower"] < e["expected"] < e["expected_ci"]["upper"],
          f"expected {endpoint} lies in its interval")
    check(abs(e["uncovered_share"] - shares["Vendor D"]) < 1e-12, f"uncovered share, {endpoint}")
sens_row = rows[("vendor", "sens")]
check(sens_row["expected"] < sens_row["validated"] - 0.05,
      "a deployment mostly of the weak vendor expects a lower sensitivity than validated")

attributes = {a["name"]: a for a in document["shift"]["attributes"]}
levels = sorted(set(vendor) | set(deployed_vendor))
table = np.array([[np.sum(vendor == l) for l in levels], [np.sum(deployed_vendor == l) for l in levels]])
chi2 = stats.chi2_contingency(table, correction=False)[0]
check(abs(attributes["vendor"]["statistic"] - chi2) < 1e-9 * chi2, "vendor chi-square matches scipy")
ks = stats.ks_2samp([float(r["age"]) for r in evidence], [float(r["age"]) for r in profile]).statistic
check(abs(attributes["age"]["statistic"] - ks) < 1e-12, "age KS statistic matches scipy")
check(attributes["vendor"]["status"] == "shifted" and attributes["age"]["status"] == "shifted",
      "vendor and age are shifted")

# Without labels: CBPE's sensitivity from the probabilities of a logistic map fitted (by
# scikit-learn) on the evidence's own scores, when the scores are not calibrated.
label_free = deployment["label_free"]
own = valid
score = np.array([float(r["score"]) for r in evidence])
site_score = np.array([float(r["score"]) for r in profile])
check(label_free["reference_cases"] == int(own.sum()), "CBPE's reference: cases with a score of their own")
check(label_free["target_cases"] == len(profile), "CBPE scores every site case")
calibration = label_free["calibration"]
def logit(p):
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))
if calibration["calibrated"]:
    q = site_score
else:
    from sklearn.linear_model import LogisticRegression
    fit = LogisticRegression(penalty=None, solver="newton-cg", tol=1e-12).fit(
        logit(score[own]).reshape(-1, 1), truth[own])
    check(abs(fit.coef_[0][0] - calibration["map"]["slope"]) < 1e-5, "Platt slope matches scikit-learn")
    q = 1 / (1 + np.exp(-(fit.intercept_[0] + fit.coef_[0][0] * logit(site_score))))
called = site_score >= 0.5
want = float(np.sum(q * called) / np.sum(q))
got = label_free["estimates"][0]["cbpe"]["sensitivity"]
check(abs(got["estimate"] - want) < 1e-5, f"CBPE sensitivity {got['estimate']} vs {want}")
check(got["ci"]["lower"] < got["estimate"] < got["ci"]["upper"], "CBPE sensitivity in its interval")
check("score" in attributes and attributes["score"]["test"] == "kolmogorov_smirnov",
      "the score distributions are compared")

report = run("report", "bundle")
check(report.returncode == 0, f"report exits 0: {report.stderr}")
html = open(os.path.join(work, "bundle", "report.html")).read()
check('id="deployment"' in html and 'id="shift"' in html, "the report has both sections")
sections = html[html.find('id="shift"'):html.find("</section>", html.find('id="deployment"'))]
check("triage_deployment.csv" in sections and EXAMPLES not in sections,
      "the report names the profile's file, not the folder it is in")

# 1b. deployment.calibrate_by = "vendor": each vendor's map fitted (scikit-learn here) on the
# evidence's cases of that vendor, the pooled map for the vendor the evidence never saw; CBPE
# from those probabilities. Against the site's hidden truth (the example's generator writes it
# on request): the stratified estimate of sensitivity is nearer the truth than the pooled one,
# and its specificity interval covers the truth.
truth_file = os.path.join(work, "site_truth.csv")
regenerated = os.path.join(work, "site.csv")
made = subprocess.run(["/usr/bin/python3", os.path.join(EXAMPLES, "make_deployment_example.py"),
                       regenerated, truth_file], capture_output=True, text=True)
check(made.returncode == 0, f"the example generator failed: {made.stderr}")
check(open(regenerated).read() == open(os.path.join(EXAMPLES, "triage_deployment.csv")).read(),
      "the example generator no longer writes the committed profile")
hidden = {r["study_id"]: r["truth"] == "pneumothorax" for r in read(truth_file)}
site_truth = np.array([hidden[r["study_id"]] for r in profile])
realized_sensitivity = float(np.mean(called[site_truth]))
realized_specificity = float(np.mean(~called[~site_truth]))
protocol = write_protocol("calibrate_by.toml", f"""
[deployment]
profile = "{os.path.join(EXAMPLES, 'triage_deployment.csv')}"
strata = ["vendor"]
score = "score"
calibrate_by = "vendor"
""")
result = run("run", protocol, "--out", "stratified")
check(result.returncode == 0, f"calibrate_by run: {result.stderr}")
if result.returncode == 0:
    stratified = json.load(open(os.path.join(work, "stratified", "evidence.json")))
    try:
        jsonschema.validate(stratified, schema)
    except jsonschema.ValidationError as error:
        failures.append(f"calibrate_by evidence.json is not valid: {error.message}")
    free = stratified["deployment"]["label_free"]
    strata = {s["level"]: s for s in free["calibrate_by"]["strata"]}
    check(strata["Vendor D"]["map"] == "pooled" and strata["Vendor C"]["map"] == "own",
          f"maps {strata}")
    from sklearn.linear_model import LogisticRegression
    q = np.zeros(len(profile))
    site_vendor = np.array([r["vendor"] for r in profile])
    pooled = LogisticRegression(penalty=None, solver="newton-cg", tol=1e-12).fit(
        logit(score[own]).reshape(-1, 1), truth[own])
    for level in np.unique(site_vendor):
        rows = own & (vendor == level)
        fit = pooled
        if strata[level]["map"] == "own":
            fit = LogisticRegression(penalty=None, solver="newton-cg", tol=1e-12).fit(
                logit(score[rows]).reshape(-1, 1), truth[rows])
            check(abs(fit.coef_[0][0] - strata[level]["slope"]) < 1e-5,
                  f"{level}: slope {strata[level]['slope']} vs scikit-learn {fit.coef_[0][0]}")
        at = site_vendor == level
        q[at] = fit.predict_proba(logit(site_score[at]).reshape(-1, 1))[:, 1]
    estimates = free["estimates"][0]["cbpe"]
    want = float(np.sum(q * called) / np.sum(q))
    check(abs(estimates["sensitivity"]["estimate"] - want) < 1e-5,
          f"stratified CBPE sensitivity {estimates['sensitivity']['estimate']} vs {want}")
    pooled_error = abs(got["estimate"] - realized_sensitivity)
    stratified_error = abs(estimates["sensitivity"]["estimate"] - realized_sensitivity)
    print(f"site's hidden sensitivity {realized_sensitivity:.3f}: CBPE pooled {got['estimate']:.3f}"
          f", by vendor {estimates['sensitivity']['estimate']:.3f}")
    check(stratified_error < pooled_error,
          f"calibrating by vendor does not help: {stratified_error} vs {pooled_error}")
    spec = estimates["specificity"]["ci"]
    check(spec["lower"] <= realized_specificity <= spec["upper"],
          f"specificity interval {spec} misses the hidden {realized_specificity}")

# 2. A declared mix, no profile.
protocol = write_protocol("mix.toml", """
[deployment]
strata = ["vendor"]
[deployment.mix.vendor]
"Vendor A" = 0.5
"Vendor C" = 0.5
""")
result = run("run", protocol, "--out", "mix")
check(result.returncode == 0, f"run with a declared mix exits 0: {result.stderr}")
if result.returncode == 0:
    mix = json.load(open(os.path.join(work, "mix", "evidence.json")))["deployment"]
    check(mix["source"] == "declared_mix", "the mix is named as the source")
    e = next(e for e in mix["expected"] if e["endpoint"] == "sens")
    want = expected({"Vendor A": 0.5, "Vendor C": 0.5, "Vendor B": 0.0}, True)
    check(abs(e["expected"] - want) < 1e-12, f"mix: expected sensitivity {e['expected']} vs {want}")
    b = next(s for s in mix["strata"] if s["level"] == "Vendor B")
    check(b["metrics"][0]["coverage"] == "not_deployed", "a vendor outside the mix is not deployed")

# 3. Bad input: exit 2, the place named, no output.
bad_profile = os.path.join(work, "bad_profile.csv")
with open(bad_profile, "w") as handle:
    handle.write("study_id,sex\nH1,F\nH2,M\n")
cases = [
    ("no_column.toml", f'[deployment]\nprofile = "{bad_profile}"\nstrata = ["vendor"]\n', "vendor"),
    ("no_shares.toml", '[deployment]\nstrata = ["vendor"]\n', "deployment.strata"),
    ("bad_sum.toml", '[deployment]\nstrata = ["vendor"]\n[deployment.mix.vendor]\n"Vendor A" = 0.5\n',
     "deployment.mix.vendor"),
]
for name, text, named in cases:
    protocol = write_protocol(name, text)
    out = os.path.join(work, name + ".out")
    result = run("run", protocol, "--out", out)
    check(result.returncode == 2, f"{name}: exit code 2, got {result.returncode}")
    check(named in result.stderr, f"{name}: the error names {named}: {result.stderr.strip()}")
    check(not os.path.exists(out), f"{name}: no output folder")

if failures:
    print("FAILED:")
    for failure in failures:
        print("  " + failure)
    sys.exit(1)
print("deployment_cli_test: all checks passed")
