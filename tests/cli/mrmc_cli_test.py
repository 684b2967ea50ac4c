#!/usr/bin/python3
"""`assay mrmc` end to end on the Van Dyke reader study (tests/data/mrmc/vandyke.csv):
  - mrmc.json holds the published Obuchowski-Rockette and DBM results (sources in
    tests/stats/mrmc_test.cpp) and the reader AUCs, each equal to scikit-learn's roc_auc_score;
  - --cov delong and unbiased give MRMCaov's F;
  - --standalone compares a standalone reader with the panel and counts its unused cases;
  - bad input (a missing cell, a duplicate rating, a rating that is not a number, a case
    whose truth changes, an unknown --cov) exits 2 with a message naming the place, and
    writes nothing.
Usage: mrmc_cli_test.py ASSAY SOURCE_DIR
"""
import csv
import json
import os
import subprocess
import sys
import tempfile

from sklearn.metrics import roc_auc_score

ASSAY, SOURCE = sys.argv[1], sys.argv[2]
RATINGS = os.path.join(SOURCE, "tests", "data", "mrmc", "vandyke.csv")
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def run(*args):
    return subprocess.run([ASSAY, "mrmc", *args], capture_output=True, text=True)


with open(RATINGS, newline="") as f:
    rows = list(csv.DictReader(f))
header = list(rows[0].keys())

with tempfile.TemporaryDirectory() as work:
    out = os.path.join(work, "out")
    result = run("--ratings", RATINGS, "--out", out)
    check(result.returncode == 0, f"assay mrmc failed: {result.stderr}")
    check("F 4.4563, df 1 and 15.26, p = 0.05167" in result.stdout,
          f"no published F line in:\n{result.stdout}")
    document = json.load(open(os.path.join(out, "mrmc.json")))
    oror = document["obuchowski_rockette"]
    random = oror["random_readers_random_cases"]
    check(abs(random["statistic"] - 4.4563187) < 5e-8, f"F {random['statistic']}")
    check(abs(random["denominator_df"] - 15.259675) < 5e-7, f"ddf {random['denominator_df']}")
    check(abs(random["p_value"] - 0.051665686) < 5e-10, f"p {random['p_value']}")
    check(abs(oror["fixed_readers"]["statistic"] - 5.4759532) < 5e-8, "fixed readers")
    check(oror["fixed_readers"]["denominator_df"] is None, "chi-square ddf is not null")
    check(abs(document["dorfman_berbaum_metz"]["random_readers_random_cases"]["statistic"]
              - 4.4563187) < 5e-8, "DBM F")
    check(document["design"]["readers"] == 5 and document["design"]["cases"] == 114, "design")
    # Reader AUCs against scikit-learn.
    for reader in document["readers"]:
        for modality, value in reader["figures"].items():
            subset = [r for r in rows if r["reader"] == reader["reader"]
                      and r["treatment"] == modality]
            expected = roc_auc_score([int(r["truth"]) for r in subset],
                                     [float(r["rating"]) for r in subset])
            check(abs(value - expected) < 1e-12,
                  f"reader {reader['reader']} {modality}: {value} vs sklearn {expected}")

    for method, f_value in (("delong", 4.484854), ("unbiased", 4.489614)):
        result = run("--ratings", RATINGS, "--cov", method, "--out", f"{work}/{method}")
        check(result.returncode == 0, f"--cov {method}: {result.stderr}")
        if result.returncode == 0:
            doc = json.load(open(f"{work}/{method}/mrmc.json"))
            got = doc["obuchowski_rockette"]["random_readers_random_cases"]["statistic"]
            check(abs(got - f_value) < 5e-7, f"--cov {method}: F {got}, MRMCaov {f_value}")

    # A standalone reader: reader 1's treatment-1 ratings as the AI's score, plus a case the
    # study does not have.
    standalone = os.path.join(work, "standalone.csv")
    with open(standalone, "w") as f:
        f.write("case,score\n")
        for r in rows:
            if r["reader"] == "1" and r["treatment"] == "1":
                f.write(f"{r['case']},{r['rating']}\n")
        f.write("999,3\n")
    result = run("--ratings", RATINGS, "--standalone", standalone, "--out", f"{work}/ai")
    check(result.returncode == 0, f"--standalone: {result.stderr}")
    if result.returncode == 0:
        doc = json.load(open(f"{work}/ai/mrmc.json"))
        first = doc["standalone"]["comparisons"][0]
        check(abs(first["standalone"] - 0.91964573) < 5e-9, f"standalone AUC {first}")
        check(doc["standalone"]["unused_cases"] == 1, "the unused case is not counted")
        check("not in the reader study" in result.stdout, "unused cases not reported")

    # Bad input: exit 2, the place named, nothing written.
    def broken(name, edit):
        path = os.path.join(work, name + ".csv")
        kept = edit([dict(r) for r in rows])
        with open(path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=header)
            writer.writeheader()
            writer.writerows(kept)
        return path

    cases = [
        ("missing", lambda rs: rs[:17] + rs[18:], "not fully crossed"),
        ("duplicate", lambda rs: rs + [rs[5]], "again (first on line 7)"),
        ("not_a_number", lambda rs: rs[:3] + [{**rs[3], "rating": "high"}] + rs[4:],
         "line 5: rating 'high' is not a finite number"),
        ("truth", lambda rs: rs[:200] + [{**rs[200], "truth": str(1 - int(rs[200]["truth"]))}]
         + rs[201:], "a case's truth is one"),
    ]
    for name, edit, message in cases:
        target = os.path.join(work, "bad_" + name)
        result = run("--ratings", broken(name, edit), "--out", target)
        check(result.returncode == 2, f"{name}: exit {result.returncode}")
        check(message in result.stderr, f"{name}: unclear message {result.stderr!r}")
        check(not os.path.exists(target), f"{name}: output written")
    result = run("--ratings", RATINGS, "--cov", "bootstrap")
    check(result.returncode == 2 and "--cov 'bootstrap'" in result.stderr,
          f"unknown --cov: {result.returncode} {result.stderr}")
    result = run("--ratings", RATINGS, "--figure", "sensitivity")
    check(result.returncode == 2 and "--threshold" in result.stderr, "sensitivity w/o threshold")

# The protocol's [mrmc] claim (examples/reader_study/protocol.toml): non-inferiority of
# modality 2 against 1 with margin 0.05 is supported (the difference's lower bound, -0.00036,
# is above -0.05); superiority is inconclusive (it includes 0), with the studies that would
# settle it; a modality the ratings lack, and non-inferiority without a margin, exit 2.
import jsonschema  # noqa: E402

PROTOCOL = os.path.join(SOURCE, "examples", "reader_study", "protocol.toml")
schema = json.load(open(os.path.join(SOURCE, "docs", "evidence.schema.json")))
with open(PROTOCOL) as f:
    protocol_text = f.read()


def run_protocol(text, out):
    path = os.path.join(os.path.dirname(PROTOCOL), f".mrmc_test_{os.getpid()}.toml")
    with open(path, "w") as f:
        f.write(text)
    try:
        return subprocess.run([ASSAY, "run", path, "--out", out], capture_output=True, text=True)
    finally:
        os.remove(path)


with tempfile.TemporaryDirectory() as work:
    result = run_protocol(protocol_text, f"{work}/ni")
    check(result.returncode == 0, f"run with [mrmc]: {result.stderr}")
    if result.returncode == 0:
        evidence = json.load(open(f"{work}/ni/evidence.json"))
        try:
            jsonschema.validate(evidence, schema)
        except jsonschema.ValidationError as error:
            failures.append(f"evidence.json does not validate: {error.message}")
        claim = evidence["mrmc"]["claim"]
        check(claim["verdict"] == "supported", f"non-inferiority: {claim['verdict']}")
        check(abs(claim["difference"]["estimate"] - 0.04380032) < 5e-9, "difference 2 - 1")
        check(abs(claim["difference"]["ci"]["lower"] + 0.00035885444) < 5e-11, "lower bound")
        check(any("se_vs_cine" in r for r in evidence["overall"]["reasons"]),
              "the claim is not among the overall reasons")
        report = open(f"{work}/ni/report.html").read()
        check('id="mrmc"' in report and "Hillis df" in report, "no reader-study section")

    superiority = protocol_text.replace('hypothesis = "non_inferiority"', 'hypothesis = "superiority"')
    superiority = superiority.replace("margin = 0.05 ", "margin = 0.0 ")
    check(superiority != protocol_text, "the example protocol changed; update this test")
    result = run_protocol(superiority, f"{work}/sup")
    check(result.returncode == 0, f"superiority run: {result.stderr}")
    if result.returncode == 0:
        claim = json.load(open(f"{work}/sup/evidence.json"))["mrmc"]["claim"]
        check(claim["verdict"] == "inconclusive", f"superiority: {claim['verdict']}")
        plans = claim.get("needed", {}).get("plans", [])
        check(len(plans) > 0 and all(p["power"] >= 0.8 for p in plans), f"plans {plans}")
        check("would have power" in result.stdout, "no planned study in the summary")

    for broken, message in ((protocol_text.replace('test = "2"', 'test = "3"'),
                             "modality '3' is not in"),
                            (protocol_text.replace("margin = 0.05 ", ""),
                             "needs a margin above 0")):
        result = run_protocol(broken, f"{work}/bad")
        check(result.returncode == 2, f"bad [mrmc]: exit {result.returncode}")
        check(message in result.stderr, f"bad [mrmc]: {result.stderr!r}")
        check(not os.path.exists(f"{work}/bad"), "bad [mrmc]: output written")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("assay mrmc reproduces the published Van Dyke analyses and refuses bad input")
