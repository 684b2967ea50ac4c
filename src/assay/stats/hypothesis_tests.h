// Hypothesis tests used by comparisons, subgroup analyses and the failure-slice
// search: McNemar's test for paired proportions, Pearson's chi-square test of
// homogeneity for proportions across groups, Cochran's Q for estimates with
// known variances (e.g. subgroup AUCs with DeLong variances), and Fisher's
// exact test of two independent proportions. Distributions from
// Boost.Math. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>

namespace assay::stats {

struct McNemar {
  std::uint64_t first_only = 0;   // discordant: positive by the first rule only (b)
  std::uint64_t second_only = 0;  // discordant: positive by the second rule only (c)
  double exact_p = 1.0;           // two-sided exact binomial test on b of b + c
  double mid_p = 1.0;             // exact p minus the point probability (Fagerland et al. 2013)
};
McNemar McNemarTest(std::uint64_t first_only, std::uint64_t second_only);

struct ChiSquare {
  double statistic = 0.0;
  double degrees_of_freedom = 0.0;
  double p_value = 1.0;
};

// Homogeneity of a proportion across groups (a 2 x k table, Pearson, no
// continuity correction). Groups with zero trials are ignored; fewer than two
// groups gives p = 1 with 0 degrees of freedom.
ChiSquare ProportionHomogeneity(std::span<const std::uint64_t> successes,
                                std::span<const std::uint64_t> trials);

// Cochran's Q: sum w_i (x_i - x_w)^2 with w_i = 1 / variance_i, chi-square on
// k - 1 degrees of freedom. Entries with non-positive or non-finite variance
// are ignored.
ChiSquare CochranQ(std::span<const double> estimates, std::span<const double> variances);

// Fisher's exact test, one-sided: the probability, given both margins of the
// 2 x 2 table, of a first proportion as low as or lower than
// first_successes / first_trials against second_successes / second_trials
// (the hypergeometric lower tail; scipy's fisher_exact(alternative="less")).
// 1 when either group is empty.
double FisherExactLess(std::uint64_t first_successes, std::uint64_t first_trials,
                       std::uint64_t second_successes, std::uint64_t second_trials);

}  // namespace assay::stats
