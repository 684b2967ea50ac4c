"""Reference values from statsmodels, scikit-learn, scipy and numpy.

Usage: /usr/bin/python3 statsmodels_reference.py OUTDIR

Writes OUTDIR/statsmodels_reference.json and the simulated data sets the
values were computed on (OUTDIR/calibration_data.csv,
OUTDIR/clustered_data.csv), with 17 significant digits so that the C++ tests
read exactly the same numbers. Everything is seeded: the files are identical
on every run.

Nothing here reads or imitates assay's C++: each value comes from a library
function or, for Obuchowski's clustered AUC variance, from the formulas of
the paper (Obuchowski 1997, Biometrics 53:567-578) written out in numpy.
"""

import json
import os
import sys
import warnings

import numpy as np
import scipy
import sklearn
import statsmodels
import statsmodels.api as sm
from scipy import stats
from sklearn.metrics import brier_score_loss, roc_auc_score
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint


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


# --- binomial proportion intervals -------------------------------------------

# statsmodels method name -> assay's ProportionMethodName
PROPORTION_METHODS = {
    "wilson": "wilson",
    "beta": "clopper_pearson",
    "jeffreys": "jeffreys",
    "agresti_coull": "agresti_coull",
    "normal": "wald",
}
PROPORTION_GRID = [
    (0, 1), (1, 1),
    (0, 7), (1, 7), (3, 7), (6, 7), (7, 7),
    (0, 20), (1, 20), (19, 20), (20, 20),
    (88, 100),
    (0, 50), (50, 50), (25, 50),
    (1, 100000), (99999, 100000),
    (123456, 1000000), (500000, 1000000),
]
PROPORTION_LEVELS = [0.90, 0.95, 0.99]


def proportion_references():
    cases = []
    for x, n in PROPORTION_GRID:
        for level in PROPORTION_LEVELS:
            for sm_method, assay_method in PROPORTION_METHODS.items():
                lower, upper = proportion_confint(x, n, alpha=1 - level, method=sm_method)
                cases.append({
                    "successes": x, "trials": n, "level": level, "method": assay_method,
                    "lower": float(lower), "upper": float(upper),
                })
    return cases


# --- calibration and discrimination on simulated probabilities ----------------


def expit(z):
    return 1.0 / (1.0 + np.exp(-z))


def logit(p):
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.log(p) - np.log1p(-p)


def calibration_references(outdir):
    rng = np.random.default_rng(20240517)
    n = 600
    x = rng.normal(size=n)
    y = rng.binomial(1, expit(-1.0 + 1.3 * x)).astype(int)
    # A miscalibrated model: its logits are shifted and too narrow, so the
    # recalibration slope is well above 1 and the intercept away from 0.
    p = expit(-0.6 + 0.8 * x + rng.normal(scale=0.4, size=n))
    # Round-tripped through the 17-digit text so that numpy and assay see the
    # very same doubles.
    p = np.array([float("%.17g" % v) for v in p])
    p_rounded = np.round(p, 2)  # ties, for the AUC
    write_csv(os.path.join(outdir, "calibration_data.csv"),
              {"truth": y, "probability": p, "probability_rounded": p_rounded})

    brier_terms = (p - y) ** 2
    lp = logit(p)
    full = sm.GLM(y, sm.add_constant(lp), family=sm.families.Binomial()).fit(tol=1e-14)
    full_ci = full.conf_int(alpha=0.05)
    citl = sm.GLM(y, np.ones((n, 1)), family=sm.families.Binomial(), offset=lp).fit(tol=1e-14)
    citl_ci = citl.conf_int(alpha=0.05)

    # Expected / maximum calibration error, written from the definitions:
    # equal-width bins [k/B, (k+1)/B) (the last one closed), and equal-mass
    # bins of the sorted scores split into B nearly equal groups.
    def calibration_error(groups):
        gaps = [abs(y[g].mean() - p[g].mean()) for g in groups if len(g) > 0]
        weights = [len(g) for g in groups if len(g) > 0]
        return float(np.average(gaps, weights=weights)), float(max(gaps))

    bins = 10
    width_index = np.minimum((p * bins).astype(int), bins - 1)
    width_groups = [np.flatnonzero(width_index == k) for k in range(bins)]
    mass_groups = np.array_split(np.argsort(p, kind="stable"), bins)
    ece_width, mce_width = calibration_error(width_groups)
    ece_mass, mce_mass = calibration_error(mass_groups)

    return {
        "n": n,
        "brier": float(brier_score_loss(y, p)),
        "brier_mean": float(brier_terms.mean()),
        "brier_sd": float(brier_terms.std(ddof=1)),
        "auc": float(roc_auc_score(y, p)),
        "auc_rounded": float(roc_auc_score(y, p_rounded)),
        "recalibration": {
            "intercept": float(full.params[0]),
            "intercept_se": float(full.bse[0]),
            "intercept_ci95": [float(full_ci[0][0]), float(full_ci[0][1])],
            "slope": float(full.params[1]),
            "slope_se": float(full.bse[1]),
            "slope_ci95": [float(full_ci[1][0]), float(full_ci[1][1])],
            "citl": float(citl.params[0]),
            "citl_se": float(citl.bse[0]),
            "citl_ci95": [float(citl_ci[0][0]), float(citl_ci[0][1])],
        },
        "ece_equal_width": ece_width,
        "mce_equal_width": mce_width,
        "ece_equal_mass": ece_mass,
        "mce_equal_mass": mce_mass,
        "bins": bins,
    }


# --- McNemar, chi-square homogeneity, multiplicity ---------------------------

MCNEMAR_PAIRS = [(0, 5), (5, 0), (1, 0), (3, 11), (10, 4), (25, 40), (100, 130), (2, 9)]


def mcnemar_references():
    rows = []
    for b, c in MCNEMAR_PAIRS:
        n = b + c
        exact = stats.binomtest(b, n, 0.5, alternative="two-sided").pvalue
        # Fagerland, Lydersen & Laake (2013): mid-p = exact p - P(X = b).
        mid = exact - stats.binom.pmf(b, n, 0.5)
        rows.append({"b": b, "c": c, "exact_p": float(exact), "mid_p": float(mid)})
    return rows


HOMOGENEITY_TABLES = [
    {"successes": [30, 45, 12], "trials": [50, 60, 30]},
    {"successes": [8, 9], "trials": [20, 21]},
    {"successes": [90, 80, 70, 60, 55], "trials": [100, 100, 100, 100, 100]},
]


def homogeneity_references():
    rows = []
    for table in HOMOGENEITY_TABLES:
        s = np.array(table["successes"])
        t = np.array(table["trials"])
        statistic, p_value, dof, _ = stats.chi2_contingency(np.vstack([s, t - s]),
                                                            correction=False)
        rows.append(dict(table, statistic=float(statistic), p_value=float(p_value),
                         degrees_of_freedom=float(dof)))
    return rows


COCHRAN_ESTIMATES = [0.71, 0.80, 0.66, 0.75]
COCHRAN_VARIANCES = [0.0021, 0.0035, 0.0018, 0.0050]


def cochran_q_reference():
    """Cochran's Q from its definition, with scipy's chi-square tail."""
    x = np.array(COCHRAN_ESTIMATES)
    w = 1.0 / np.array(COCHRAN_VARIANCES)
    pooled = np.sum(w * x) / np.sum(w)
    q = float(np.sum(w * (x - pooled) ** 2))
    dof = len(x) - 1
    return {"estimates": COCHRAN_ESTIMATES, "variances": COCHRAN_VARIANCES, "statistic": q,
            "degrees_of_freedom": float(dof), "p_value": float(stats.chi2.sf(q, dof))}


MULTIPLICITY_P = [0.01, 0.04, 0.03, 0.005, 0.2, 0.04, 0.0001, 0.5, 0.013]


def multiplicity_references():
    return {
        "p_values": MULTIPLICITY_P,
        "holm": [float(v) for v in multipletests(MULTIPLICITY_P, method="holm")[1]],
        "benjamini_hochberg": [float(v)
                               for v in multipletests(MULTIPLICITY_P, method="fdr_bh")[1]],
        "bonferroni": [float(v) for v in multipletests(MULTIPLICITY_P, method="bonferroni")[1]],
    }


# --- two independent proportions: Fisher's exact test, Newcombe's interval ----

TWO_PROPORTION_TABLES = [(0, 10, 5, 10), (3, 12, 40, 50), (30, 100, 50, 120), (7, 40, 700, 1000),
                         (150, 400, 7000, 8000), (12, 12, 30, 40), (1, 30, 0, 25),
                         (45, 60, 1800, 2000), (30, 50, 20, 50)]


def two_proportion_references():
    rows = []
    for x1, n1, x2, n2 in TWO_PROPORTION_TABLES:
        table = [[x1, n1 - x1], [x2, n2 - x2]]
        fisher = stats.fisher_exact(table, alternative="less")[1]
        rows.append({"x1": x1, "n1": n1, "x2": x2, "n2": n2, "fisher_less": float(fisher)})
        if 0 < x1 + x2 < n1 + n2:
            low, high = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb",
                                                   compare="diff", alpha=0.05)
            rows[-1].update(newcombe_lower=float(low), newcombe_upper=float(high))
    return rows


# --- distribution shift: chi-square, KS, Wasserstein-1, PSI, total variation ---

SHIFT_TABLES = [([120, 340, 95, 0, 12], [80, 410, 60, 7, 30]), ([500, 500], [480, 520]),
                ([3, 9, 1], [10, 2, 4])]


def stability_index(reference, target):
    """Population stability index; a bin empty in one cohort counts half a case there."""
    r = np.asarray(reference, dtype=float)
    t = np.asarray(target, dtype=float)
    keep = (r + t) > 0
    r = np.maximum(r[keep], 0.5)
    t = np.maximum(t[keep], 0.5)
    r /= r.sum()
    t /= t.sum()
    return float(np.sum((t - r) * np.log(t / r)))


def decile_counts(reference, target):
    ref = np.sort(reference)
    n = len(ref)
    cuts = []
    for k in range(1, 10):
        cut = ref[min(n - 1, k * n // 10)]
        if not cuts or cut > cuts[-1]:
            cuts.append(cut)
    def count(values):
        edges = np.searchsorted(np.sort(values), cuts, side="right")
        return np.diff(np.concatenate([[0], edges, [len(values)]])).tolist()
    return count(reference), count(target)


def shift_references(outdir):
    rows = []
    for reference, target in SHIFT_TABLES:
        statistic, p_value, dof, _ = stats.chi2_contingency(
            np.array([[r, t] for r, t in zip(reference, target) if r + t > 0]), correction=False)
        r = np.array(reference, dtype=float) / sum(reference)
        t = np.array(target, dtype=float) / sum(target)
        rows.append({"reference": reference, "target": target, "statistic": float(statistic),
                     "p_value": float(p_value), "degrees_of_freedom": float(dof),
                     "total_variation": float(0.5 * np.abs(r - t).sum()),
                     "psi": stability_index(reference, target)})
    rng = np.random.default_rng(20261204)
    samples = []
    for k, (n, m, shift, scale) in enumerate([(3000, 2000, 0.1, 1.1), (500, 800, 0.0, 1.0),
                                              (200, 150, 0.8, 0.7)]):
        # Rounded to 0.01 so that the samples have ties.
        a = np.round(rng.normal(0, 1, n), 2)
        b = np.round(rng.normal(shift, scale, m), 2)
        write_csv(os.path.join(outdir, f"shift_sample_{k}.csv"),
                  {"cohort": [0] * n + [1] * m, "value": np.concatenate([a, b])})
        d = stats.ks_2samp(a, b).statistic
        effective = n * m / (n + m)
        ref_counts, tgt_counts = decile_counts(a, b)
        samples.append({"file": f"shift_sample_{k}.csv", "ks_statistic": float(d),
                        "ks_p_asymptotic": float(stats.kstwobign.sf(np.sqrt(effective) * d)),
                        "wasserstein": float(stats.wasserstein_distance(a, b)),
                        "decile_reference": ref_counts, "decile_target": tgt_counts,
                        "psi": stability_index(ref_counts, tgt_counts)})
    kolmogorov = [{"x": x, "sf": float(stats.kstwobign.sf(x))}
                  for x in (0.05, 0.3, 0.7, 0.99, 1.0, 1.01, 1.36, 2.0, 3.5)]
    return {"tables": rows, "samples": samples, "kolmogorov": kolmogorov}


# --- penalized logistic regression (the domain classifier's fit) --------------


def logistic_reference(outdir):
    from sklearn.linear_model import LogisticRegression
    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, 4))
    x[:, 3] = (x[:, 3] > 0.5).astype(float)
    eta = 0.3 + x @ np.array([1.0, -0.5, 0.0, 2.0])
    y = (rng.random(400) < 1 / (1 + np.exp(-eta))).astype(int)
    write_csv(os.path.join(outdir, "logistic_data.csv"),
              {"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "d": x[:, 3], "y": y})
    # Fitted on the numbers as written, so that both sides see the same data.
    data = np.loadtxt(os.path.join(outdir, "logistic_data.csv"), delimiter=",", skiprows=1)
    model = LogisticRegression(C=0.7, tol=1e-12, max_iter=100000, solver="newton-cg")
    with warnings.catch_warnings():
        # newton-cg reports that it cannot reach 1e-12; its answer agrees with itself to 1e-8.
        warnings.simplefilter("ignore")
        model.fit(data[:, :4], data[:, 4].astype(int))
    return {"file": "logistic_data.csv", "C": 0.7,
            "coefficients": [float(model.intercept_[0])] + [float(c) for c in model.coef_[0]]}


# --- Obuchowski (1997) clustered AUC, from the paper's formulas ---------------


def psi(x, y):
    """Mann-Whitney kernel: 1 if x > y, 1/2 if tied, 0 otherwise (all pairs)."""
    return (x[:, None] > y[None, :]) + 0.5 * (x[:, None] == y[None, :])


def obuchowski(score, truth, cluster):
    """AUC and its variance for clustered data (Obuchowski 1997, section 2).

    Cluster i holds m_i diseased units X_ik and n_i non-diseased units Y_ij.
      theta    = 1/(M N) sum over all (X, Y) pairs of psi(X, Y)
      V10(X)   = 1/N sum_Y psi(X, Y);   V10_i = sum_k V10(X_ik)
      V01(Y)   = 1/M sum_X psi(X, Y);   V01_i = sum_j V01(Y_ij)
      S10 = I10 / ((I10 - 1) M) sum_i (V10_i - m_i theta)^2
      S01 = I01 / ((I01 - 1) N) sum_i (V01_i - n_i theta)^2
      S11 = I / (I - 1) sum_i (V10_i - m_i theta)(V01_i - n_i theta)
      var(theta) = S10 / M + S01 / N + 2 S11 / (M N)
    with I10 (I01) the number of clusters holding at least one diseased
    (non-diseased) unit and I the number of clusters.
    """
    x_mask = truth == 1
    y_mask = truth == 0
    X, Y = score[x_mask], score[y_mask]
    M, N = len(X), len(Y)
    kernel = psi(X, Y)
    theta = kernel.sum() / (M * N)
    v10 = kernel.sum(axis=1) / N
    v01 = kernel.sum(axis=0) / M
    ids = np.unique(cluster)
    I = len(ids)
    v10_i = np.array([v10[cluster[x_mask] == c].sum() for c in ids])
    v01_i = np.array([v01[cluster[y_mask] == c].sum() for c in ids])
    m_i = np.array([np.sum(x_mask & (cluster == c)) for c in ids])
    n_i = np.array([np.sum(y_mask & (cluster == c)) for c in ids])
    I10 = int(np.sum(m_i > 0))
    I01 = int(np.sum(n_i > 0))
    d10 = v10_i - m_i * theta
    d01 = v01_i - n_i * theta
    s10 = I10 / ((I10 - 1) * M) * np.sum(d10 ** 2)
    s01 = I01 / ((I01 - 1) * N) * np.sum(d01 ** 2)
    s11 = I / (I - 1) * np.sum(d10 * d01)
    variance = s10 / M + s01 / N + 2 * s11 / (M * N)
    # DeLong (1988), no clustering: sample variances of the placement values.
    delong = v10.var(ddof=1) / M + v01.var(ddof=1) / N
    return {
        "auc": float(theta), "variance": float(variance), "delong_variance": float(delong),
        "design_effect": float(variance / delong), "clusters": I,
        "clusters_with_positive": I10, "clusters_with_negative": I01,
    }


def clustered_references(outdir):
    rng = np.random.default_rng(19970601)
    clusters = 80
    cluster, truth, score = [], [], []
    for i in range(clusters):
        size = int(rng.integers(1, 7))  # 1 to 6 lesions per patient
        patient_effect = rng.normal()
        for _ in range(size):
            diseased = int(rng.random() < 0.35)
            value = 1.1 * diseased + 0.9 * patient_effect + rng.normal()
            cluster.append(i)
            truth.append(diseased)
            score.append(round(value, 1))  # one decimal: many ties
    cluster = np.array(cluster)
    truth = np.array(truth)
    score = np.array(score)
    write_csv(os.path.join(outdir, "clustered_data.csv"),
              {"cluster": cluster, "truth": truth, "score": score})
    result = obuchowski(score, truth, cluster)
    result["singleton_clusters"] = obuchowski(score, truth, np.arange(len(score)))
    return result


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: statsmodels_reference.py OUTDIR")
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    reference = {
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__,
                     "sklearn": sklearn.__version__, "statsmodels": statsmodels.__version__},
        "proportion": proportion_references(),
        "calibration": calibration_references(outdir),
        "mcnemar": mcnemar_references(),
        "homogeneity": homogeneity_references(),
        "cochran_q": cochran_q_reference(),
        "multiplicity": multiplicity_references(),
        "obuchowski": clustered_references(outdir),
        "two_proportions": two_proportion_references(),
        "shift": shift_references(outdir),
        "logistic": logistic_reference(outdir),
    }
    text = json.dumps(reference, indent=1, allow_nan=False)
    with open(os.path.join(outdir, "statsmodels_reference.json"), "w", encoding="ascii") as out:
        out.write(text + "\n")


if __name__ == "__main__":
    main()
