// Binomial proportions and their confidence intervals.
//
// Intervals follow Brown, Cai & DasGupta (2001) and the definitions used by
// statsmodels' proportion_confint, against which they are tested. Quantiles
// come from Boost.Math. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
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

// Likelihood ratios LR+ = sens / (1 - spec) and LR- = (1 - sens) / spec with
// the log-method interval of Simel, Samsa & Matchar (1991). A zero count in a
// denominator makes the ratio infinite; the interval is then unbounded above.
struct RatioEstimate {
  double estimate;
  Interval interval;
};
RatioEstimate PositiveLikelihoodRatio(std::uint64_t true_positives, std::uint64_t positives,
                                      std::uint64_t true_negatives, std::uint64_t negatives,
                                      double level);
RatioEstimate NegativeLikelihoodRatio(std::uint64_t true_positives, std::uint64_t positives,
                                      std::uint64_t true_negatives, std::uint64_t negatives,
                                      double level);

// PPV and NPV at a stated prevalence from sensitivity and specificity, with
// the logit interval of Mercaldo, Lau & Zhou (2007). Requires 0 < prevalence < 1.
RatioEstimate PredictiveValueAtPrevalence(bool positive_predictive, std::uint64_t true_positives,
                                          std::uint64_t positives, std::uint64_t true_negatives,
                                          std::uint64_t negatives, double prevalence, double level);

}  // namespace assay::stats
