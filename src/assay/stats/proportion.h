// Binomial proportions and their confidence intervals.
//
// Intervals follow Brown, Cai & DasGupta (2001) and the definitions used by
// statsmodels' proportion_confint, against which they are tested. Quantiles
// come from Boost.Math. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "assay/stats/interval.h"

namespace assay::stats {

enum class ProportionMethod { kWilson, kClopperPearson, kJeffreys, kAgrestiCoull, kWald };

// "wilson", "clopper_pearson", "jeffreys", "agresti_coull", "wald".
std::string_view ProportionMethodName(ProportionMethod method);
std::optional<ProportionMethod> ParseProportionMethod(std::string_view name);

// Two-sided interval for successes/trials at `level`.
// Requires trials > 0, successes <= trials, 0 < level < 1.
Interval ProportionInterval(std::uint64_t successes, std::uint64_t trials, double level,
                            ProportionMethod method);

// The difference first − second of two independent proportions with
// Newcombe's hybrid score interval (Newcombe 1998, method 10), built from the
// two Wilson intervals; statsmodels' confint_proportions_2indep(method="newcomb").
// Requires both trials > 0.
struct ProportionDifference {
  double estimate = 0.0;
  Interval interval;
};
ProportionDifference NewcombeDifference(std::uint64_t first_successes, std::uint64_t first_trials,
                                        std::uint64_t second_successes, std::uint64_t second_trials,
                                        double level);

// Design effect of a proportion whose cases come in clusters (patients):
// the ratio-estimator variance of sum(x_k) / sum(n_k) over clusters k,
// K/(K-1) * sum (x_k - p n_k)^2 / n^2, divided by the binomial p(1-p)/n
// (Rao & Scott 1992). Never below 1, so clustering never narrows an interval.
double ClusterDesignEffect(std::span<const std::uint64_t> cluster_successes,
                           std::span<const std::uint64_t> cluster_trials);

// The interval of `method` on the effective counts successes/d of trials/d
// (Korn & Graubard 1998 for Clopper–Pearson). Requires design_effect >= 1.
Interval ClusteredProportionInterval(std::uint64_t successes, std::uint64_t trials,
                                     double design_effect, double level, ProportionMethod method);

// Likelihood ratios LR+ = sens / (1 - spec) and LR- = (1 - sens) / spec with
// the log-method interval of Simel, Samsa & Matchar (1991). When a cell of
// the 2x2 table is zero the interval uses counts with 1/2 added to each cell
// (Haldane); a zero ratio then has lower bound 0 and an infinite one an
// unbounded upper end. nullopt when the ratio is 0/0 (undefined).
struct RatioEstimate {
  double estimate;
  Interval interval;
};
std::optional<RatioEstimate> PositiveLikelihoodRatio(std::uint64_t true_positives,
                                                     std::uint64_t positives,
                                                     std::uint64_t true_negatives,
                                                     std::uint64_t negatives, double level);
std::optional<RatioEstimate> NegativeLikelihoodRatio(std::uint64_t true_positives,
                                                     std::uint64_t positives,
                                                     std::uint64_t true_negatives,
                                                     std::uint64_t negatives, double level);

// PPV (or NPV) at a stated prevalence from sensitivity and specificity, with
// the logit interval of Mercaldo, Lau & Zhou (2007); when a cell is zero,
// their adjusted logit (z^2/2 added to each cell) gives the interval.
// nullopt when the value is 0/0. Requires 0 < prevalence < 1.
std::optional<RatioEstimate> PredictiveValueAtPrevalence(
    bool positive_predictive, std::uint64_t true_positives, std::uint64_t positives,
    std::uint64_t true_negatives, std::uint64_t negatives, double prevalence, double level);

}  // namespace assay::stats
