"""Reference values for label-free performance estimation (CBPE and ATC).

Usage: /usr/bin/python3 label_free_reference.py OUTDIR

Writes OUTDIR/label_free.json and the simulated cohorts it was computed on
(OUTDIR/label_free_reference.csv, OUTDIR/label_free_target.csv), with 17
significant digits so that the C++ tests read exactly the same numbers.
Seeded: the files are identical on every run.

Nothing here reads or imitates assay's C++. The values come from
scikit-learn (Platt scaling and logistic recalibration with no penalty),
statsmodels (Wald intervals of the recalibration), scipy (chi-square tail)
and the definitions written out in numpy:
  - Hosmer-Lemeshow: cases sorted by probability (stable), rank k in group
    k * 10 // n, sum of (O - E)^2 / (E (1 - E / n_g)), 8 degrees of freedom.
  - CBPE: the expected confusion matrix sum q [s >= t], ..., and the AUC as
    expected concordant pairs over expected positive-negative pairs, by brute
    force over all ordered pairs i != j.
  - ATC: confidence max(q, 1 - q); tau at the cut between distinct reference
    confidences whose share above is closest to the reference accuracy (the
    first such cut from the top), at the midpoint of the confidences on either
    side (the largest confidence when the cut is above all, half the smallest
    when it is below all).
"""

import json
import os
import sys
import warnings

import numpy as np
import scipy
import sklearn
import statsmodels.api as sm
from scipy import stats
from scipy.special import logit
from sklearn.linear_model import LogisticRegression


def write_csv(path, columns):
    """Writes equal-length numeric columns; floats with 17 significant digits."""
    names = list(columns)
    length = len(columns[names[0]])
    with open(path, "w", encoding="ascii") as out:
        out.write(",".join(names) + "\n")
        for i in range(length):
            fields = []
            for name in names:
                value = columns[name][i]
                if isinstance(value, (int, np.integer)):
                    fields.append(str(int(value)))
                else:
                    fields.append("%.17g" % float(value))
            out.write(",".join(fields) + "\n")


def exact(values):
    """Round-trips through 17-digit text, so both sides hold the same doubles."""
    return np.array([float("%.17g" % v) for v in values])


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def hosmer_lemeshow(p, y, groups=10):
    n = len(p)
    order = np.argsort(p, kind="stable")
    group = np.empty(n, dtype=int)
    group[order] = np.arange(n) * groups // n
    statistic = 0.0
    for g in range(groups):
        members = group == g
        observed = y[members].sum()
        expected = p[members].sum()
        size = members.sum()
        statistic += (observed - expected) ** 2 / (expected * (1 - expected / size))
    df = groups - 2
    return {"statistic": float(statistic), "df": df, "p_value": float(stats.chi2.sf(statistic, df))}


def unpenalized_logistic(x, y):
    """Intercept and slope of logit P(y) = a + b x, by scikit-learn with no penalty."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LogisticRegression(penalty=None, solver="newton-cg", tol=1e-12, max_iter=10000)
        model.fit(x.reshape(-1, 1), y)
    return float(model.intercept_[0]), float(model.coef_[0, 0])


def recalibration(p, y):
    """Wald intervals of the recalibration slope and calibration-in-the-large (statsmodels)."""
    lp = logit(np.clip(p, 1e-12, 1 - 1e-12))
    full = sm.GLM(y, sm.add_constant(lp), family=sm.families.Binomial()).fit(tol=1e-14)
    citl = sm.GLM(y, np.ones((len(y), 1)), family=sm.families.Binomial(), offset=lp).fit(tol=1e-14)
    slope_ci = full.conf_int(alpha=0.05)[1]
    citl_ci = citl.conf_int(alpha=0.05)[0]
    return {
        "slope_lower": float(slope_ci[0]), "slope_upper": float(slope_ci[1]),
        "citl": float(citl.params[0]),
        "citl_lower": float(citl_ci[0]), "citl_upper": float(citl_ci[1]),
    }


def check(p, y):
    """The calibration check on probability scores: HL, sklearn's fit, the decision."""
    hl = hosmer_lemeshow(p, y)
    a, b = unpenalized_logistic(logit(np.clip(p, 1e-12, 1 - 1e-12)), y)
    wald = recalibration(p, y)
    calibrated = (hl["p_value"] >= 0.05 and wald["slope_lower"] <= 1 <= wald["slope_upper"]
                  and wald["citl_lower"] <= 0 <= wald["citl_upper"])
    mapped = sigmoid(a + b * logit(np.clip(p, 1e-12, 1 - 1e-12)))
    return {"hosmer_lemeshow": hl, "intercept": a, "slope": b, "wald": wald,
            "calibrated": bool(calibrated), "map_fit": hosmer_lemeshow(mapped, y)}


def cbpe(score, q, threshold):
    called = score >= threshold
    tp = float(np.sum(q * called))
    fp = float(np.sum((1 - q) * called))
    fn = float(np.sum(q * ~called))
    tn = float(np.sum((1 - q) * ~called))
    # All ordered pairs (i, j), i != j: i positive and j negative with
    # probability q_i (1 - q_j); concordant when s_i > s_j, half when tied.
    pair = np.outer(q, 1 - q)
    np.fill_diagonal(pair, 0.0)
    kernel = (score[:, None] > score[None, :]) + 0.5 * (score[:, None] == score[None, :])
    auc = float(np.sum(pair * kernel) / np.sum(pair))
    n = len(score)
    return {
        "threshold": float(threshold),
        "true_positives": tp, "false_positives": fp,
        "true_negatives": tn, "false_negatives": fn,
        "sensitivity": tp / (tp + fn), "specificity": tn / (tn + fp),
        "accuracy": (tp + tn) / n, "ppv": tp / (tp + fp), "npv": tn / (tn + fn),
        "prevalence": (tp + fn) / n, "auc": auc,
    }


def atc(reference_q, reference_correct, target_q):
    confidence = np.maximum(reference_q, 1 - reference_q)
    target_confidence = np.maximum(target_q, 1 - target_q)
    n = len(confidence)
    accuracy = reference_correct.mean()
    distinct = np.unique(confidence)[::-1]  # descending
    # Cuts: above everything (tau = the largest), between neighbours, below everything.
    cuts = [(0, float(distinct[0]))]
    for k in range(len(distinct)):
        below = distinct[k + 1] if k + 1 < len(distinct) else None
        above_count = int(np.sum(confidence >= distinct[k]))
        tau = 0.5 * (distinct[k] + below) if below is not None else 0.5 * distinct[k]
        cuts.append((above_count, float(tau)))
    gaps = [abs(count - accuracy * n) for count, _ in cuts]
    best = int(np.argmin(gaps))  # first minimum: the cut nearest the top
    tau = cuts[best][1]
    return {
        "reference_accuracy": float(accuracy), "tau": tau,
        "reference_share_above": cuts[best][0] / n,
        "estimate": float(np.mean(target_confidence > tau)),
    }


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: label_free_reference.py OUTDIR")
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    rng = np.random.default_rng(20250301)

    # Reference and covariate-shifted target, P(y | x) the same in both.
    n_reference, n_target = 1500, 1200
    x_reference = rng.normal(0.0, 1.0, n_reference)
    x_target = rng.normal(0.6, 1.3, n_target)
    y_reference = rng.binomial(1, sigmoid(-0.8 + 1.6 * x_reference))
    y_target = rng.binomial(1, sigmoid(-0.8 + 1.6 * x_target))
    # Raw margins (not probabilities), two decimals: ties, for the AUC and ATC.
    raw_reference = np.round(1.2 * x_reference + 0.3, 2)
    raw_target = np.round(1.2 * x_target + 0.3, 2)
    # Probability scores: one calibrated model and one overconfident, shifted one.
    calibrated_reference = exact(sigmoid(-0.8 + 1.6 * x_reference))
    miscalibrated_reference = exact(sigmoid(-0.3 + 2.4 * x_reference))

    a, b = unpenalized_logistic(raw_reference, y_reference)
    q_reference = exact(sigmoid(a + b * raw_reference))
    q_target = exact(sigmoid(a + b * raw_target))
    threshold = 0.3  # a value the rounded margins take: ties at the threshold
    reference_correct = (raw_reference >= threshold) == (y_reference == 1)

    write_csv(os.path.join(outdir, "label_free_reference.csv"), {
        "truth": y_reference, "raw": raw_reference, "calibrated": calibrated_reference,
        "miscalibrated": miscalibrated_reference, "probability": q_reference})
    write_csv(os.path.join(outdir, "label_free_target.csv"), {
        "truth": y_target, "raw": raw_target, "probability": q_target})

    reference = {
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__,
                     "sklearn": sklearn.__version__},
        "platt": {"intercept": a, "slope": b,
                  "map_fit": hosmer_lemeshow(q_reference, y_reference)},
        "calibrated": check(calibrated_reference, y_reference),
        "miscalibrated": check(miscalibrated_reference, y_reference),
        "cbpe": cbpe(raw_target, q_target, threshold),
        "atc": atc(q_reference, reference_correct, q_target),
    }
    text = json.dumps(reference, indent=1, allow_nan=False)
    with open(os.path.join(outdir, "label_free.json"), "w", encoding="ascii") as out:
        out.write(text + "\n")


if __name__ == "__main__":
    main()
