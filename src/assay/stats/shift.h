// Two-sample comparisons of one attribute between a reference and a target
// cohort, for distribution-shift analysis: Pearson's chi-square test of
// homogeneity with the total-variation distance and the population stability
// index for categorical attributes; the Kolmogorov-Smirnov test with the
// Wasserstein-1 distance and the population stability index for numeric ones.
// Pure functions over counts or sorted values; thread-safe. Tested against
// scipy (chi2_contingency, ks_2samp, kstwobign, wasserstein_distance) and, for
// the PSI, its definition written out in numpy.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace assay::stats {

struct ChiSquareTest {
  double statistic = 0.0;
  double degrees_of_freedom = 0.0;
  double p_value = 1.0;
};

// Pearson's chi-square test that two cohorts share one categorical
// distribution (the levels x 2 table, no continuity correction; scipy's
// chi2_contingency(correction=False)). Levels empty in both are left out;
// fewer than two levels left gives p = 1 with 0 degrees of freedom.
ChiSquareTest CategoricalChiSquare(std::span<const std::uint64_t> reference,
                                   std::span<const std::uint64_t> target);

// Half the L1 distance between the two cohorts' level proportions, in [0, 1].
double TotalVariation(std::span<const std::uint64_t> reference,
                      std::span<const std::uint64_t> target);

// Population stability index: sum over bins of (t - r) ln(t / r), t and r
// the target's and reference's proportions; a bin empty in one cohort counts
// half a case there, so the index stays finite (a common convention).
double PopulationStability(std::span<const std::uint64_t> reference,
                           std::span<const std::uint64_t> target);

struct KolmogorovSmirnov {
  double statistic = 0.0;  // sup |F_reference - F_target|
  double p_value = 1.0;    // asymptotic: Kolmogorov's distribution at sqrt(nm/(n+m)) D
};

// The two-sample Kolmogorov-Smirnov test on sorted samples (no NaN). The
// p-value is the limiting distribution's (scipy's kstwobign.sf), accurate
// for the large cohorts shift analysis compares; both samples non-empty.
KolmogorovSmirnov KolmogorovSmirnovTest(std::span<const double> reference_sorted,
                                        std::span<const double> target_sorted);

// The survival function of Kolmogorov's limiting distribution,
// P(sup |B(t)| > x) for a Brownian bridge B.
double KolmogorovSurvival(double x);

// The Wasserstein-1 (earth mover's) distance between two empirical
// distributions, the integral of |F_reference - F_target|, on sorted samples.
double Wasserstein1(std::span<const double> reference_sorted,
                    std::span<const double> target_sorted);

// The counts of both sorted samples in the bins cut at the reference's
// deciles (distinct cut points only), for the population stability index of a
// numeric attribute. Returns {reference counts, target counts}.
std::pair<std::vector<std::uint64_t>, std::vector<std::uint64_t>> DecileCounts(
    std::span<const double> reference_sorted, std::span<const double> target_sorted);

}  // namespace assay::stats
