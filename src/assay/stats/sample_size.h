// Sufficiency: how many cases would decide a question that the data at hand
// leave open (an interval that straddles the goal), and how many a new study
// needs to decide it with a stated power.
//
// Proportions use the intervals of proportion.h; the AUC uses the variance of
// Hanley & McNeil (1982), Radiology 143:29. Distributions come from
// Boost.Math. Pure functions; thread-safe.
//
// Search rule for proportions. With whole counts the criteria are not
// monotone in n (the count round(p n), and the count an interval needs, move
// by whole cases), so a proportion that decides the goal at n can fail again
// at n + 4, and the power can dip below its target after first reaching it
// (the "saw-tooth"; Chernick & Liu 2002). Bisection would be wrong. The
// proportion searches therefore (1) check n = start, (2) double n (start,
// 2 start, 4 start, ..., capped at the maximum) until a doubling point decides
// it, and give nullopt if none does, then (3) scan upward one case at a time
// from start + 1 and return the first n that decides it. The answer is the
// smallest n >= start that decides it; larger n may fail again (see
// docs/methods.md, "Cases needed"). The one approximation: if no doubling
// point up to the maximum decides it, an isolated n in between that does is
// not reported. The AUC criteria are monotone in n, so their search doubles,
// then bisects.
#pragma once

#include <cstdint>
#include <optional>

#include "assay/stats/proportion.h"

namespace assay::stats {

// Precision-based: the smallest total n >= current_n such that, if the
// observed proportion held exactly (successes = round(estimate * n)), the
// interval of `method` at `level` would lie wholly above `goal` (when
// estimate > goal) or wholly below it (estimate < goal). Returns current_n
// when the data at hand already decide it. nullopt when estimate == goal, or
// no n in [max(current_n, 1), max_n] decides it (by the search rule above; in
// particular when current_n > max_n).
// Requires 0 <= estimate <= 1, 0 <= goal <= 1, 0 < level < 1.
std::optional<std::uint64_t> CasesToDecideProportion(double estimate, std::uint64_t current_n,
                                                     double goal, double level,
                                                     ProportionMethod method,
                                                     std::uint64_t max_n = 10'000'000);

// Power-based planning: the smallest n (search rule above, from n = 1) such
// that, when the true proportion is `proportion`, the probability that the
// interval's lower bound exceeds `goal` is at least `power`. The probability
// is exact: P(X >= x_c) for X ~ Binomial(n, proportion), x_c the smallest
// count whose lower bound exceeds the goal (the lower bound of every method is
// nondecreasing in the count wherever it exceeds a goal >= 0), from Boost's
// binomial distribution. nullopt when proportion <= goal or no n <= max_n
// reaches the power.
// Requires 0 <= goal < 1, 0 < level < 1, 0 < power < 1.
std::optional<std::uint64_t> CasesForPower(double proportion, double goal, double level,
                                           ProportionMethod method, double power,
                                           std::uint64_t max_n = 1'000'000);

// Hanley & McNeil (1982) variance of the AUC A for n1 positives and n0
// negatives: Q1 = A/(2 - A), Q2 = 2A^2/(1 + A),
// var = (A(1 - A) + (n1 - 1)(Q1 - A^2) + (n0 - 1)(Q2 - A^2)) / (n1 n0).
// Requires 0 <= auc <= 1, positives > 0, negatives > 0.
double HanleyMcNeilVariance(double auc, double positives, double negatives);

struct ClassCounts {
  std::uint64_t positives;
  std::uint64_t negatives;
};

// Precision-based for the AUC: keeping the ratio of negatives to positives
// (negatives for n1 positives: round(n1 * negatives / positives), at least
// 1), the smallest number of positives n1 >= `positives` such that
// auc - z sqrt(var) > goal (auc > goal) or auc + z sqrt(var) < goal
// (auc < goal), with var = HanleyMcNeilVariance and z = Φ⁻¹(1 − α/2). Returns
// the totals {n1, n0}; the counts at hand when they already decide it.
// nullopt when auc == goal, positives or negatives is 0, or max_positives is
// not enough.
std::optional<ClassCounts> CasesToDecideAuc(double auc, std::uint64_t positives,
                                            std::uint64_t negatives, double goal, double level,
                                            std::uint64_t max_positives = 10'000'000);

// Power-based for the AUC with the same variance (evaluated at the planned
// AUC) and n0 = round(n1 * negatives_per_positive), at least 1: the smallest
// n1 with (auc - goal) / sqrt(var(n1, n0)) >= z_{1-α/2} + z_{power}, i.e.
// P(lower bound > goal) >= power under the normal approximation. nullopt when
// auc <= goal or max_positives is not enough.
// Requires negatives_per_positive > 0, 0 < level < 1, 0 < power < 1.
std::optional<ClassCounts> CasesForAucPower(double auc, double goal, double negatives_per_positive,
                                            double level, double power,
                                            std::uint64_t max_positives = 10'000'000);

}  // namespace assay::stats
