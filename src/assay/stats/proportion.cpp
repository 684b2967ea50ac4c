#include "assay/stats/proportion.h"

#include <algorithm>
#include <boost/math/distributions/beta.hpp>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <limits>

namespace assay::stats {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

Interval Make(double lower, double upper, double level, ProportionMethod method) {
  return Interval{lower, upper, level, std::string(ProportionMethodName(method))};
}

double BetaQuantile(double a, double b, double p) {
  return boost::math::quantile(boost::math::beta_distribution<double>(a, b), p);
}

// Logit-scale interval around log(ratio) with standard error `se`.
Interval LogInterval(double log_ratio, double se, double level, const char* method) {
  const double z = NormalQuantileTwoSided(level);
  return Interval{std::exp(log_ratio - z * se), std::exp(log_ratio + z * se), level, method};
}

}  // namespace

double NormalQuantileTwoSided(double level) {
  return boost::math::quantile(boost::math::normal_distribution<double>(), 0.5 + level / 2.0);
}

std::string_view ProportionMethodName(ProportionMethod method) {
  switch (method) {
    case ProportionMethod::kWilson:
      return "wilson";
    case ProportionMethod::kClopperPearson:
      return "clopper_pearson";
    case ProportionMethod::kJeffreys:
      return "jeffreys";
    case ProportionMethod::kAgrestiCoull:
      return "agresti_coull";
    case ProportionMethod::kWald:
      return "wald";
  }
  return "unknown";
}

std::optional<ProportionMethod> ParseProportionMethod(std::string_view name) {
  for (auto method :
       {ProportionMethod::kWilson, ProportionMethod::kClopperPearson, ProportionMethod::kJeffreys,
        ProportionMethod::kAgrestiCoull, ProportionMethod::kWald}) {
    if (ProportionMethodName(method) == name) return method;
  }
  return std::nullopt;
}

namespace {

// The interval for x successes of n trials; x and n may be effective
// (non-integer) counts.
Interval IntervalFromCounts(double x, double n, double level, ProportionMethod method) {
  const double p = x / n;
  const double alpha = 1.0 - level;
  const double z = NormalQuantileTwoSided(level);

  switch (method) {
    case ProportionMethod::kWilson: {
      const double z2 = z * z;
      const double center = (x + z2 / 2.0) / (n + z2);
      const double half = z / (n + z2) * std::sqrt(x * (n - x) / n + z2 / 4.0);
      return Make(std::max(0.0, center - half), std::min(1.0, center + half), level, method);
    }
    case ProportionMethod::kClopperPearson: {
      const double lower = x == 0.0 ? 0.0 : BetaQuantile(x, n - x + 1.0, alpha / 2.0);
      const double upper = x == n ? 1.0 : BetaQuantile(x + 1.0, n - x, 1.0 - alpha / 2.0);
      return Make(lower, upper, level, method);
    }
    case ProportionMethod::kJeffreys: {
      // Equal-tailed interval of the Beta(x + 1/2, n - x + 1/2) posterior, with
      // Brown, Cai & DasGupta's ends: lower 0 at x = 0, upper 1 at x = n.
      const double lower = x == 0.0 ? 0.0 : BetaQuantile(x + 0.5, n - x + 0.5, alpha / 2.0);
      const double upper = x == n ? 1.0 : BetaQuantile(x + 0.5, n - x + 0.5, 1.0 - alpha / 2.0);
      return Make(lower, upper, level, method);
    }
    case ProportionMethod::kAgrestiCoull: {
      const double n_adjusted = n + z * z;
      const double p_adjusted = (x + z * z / 2.0) / n_adjusted;
      const double half = z * std::sqrt(p_adjusted * (1.0 - p_adjusted) / n_adjusted);
      return Make(std::max(0.0, p_adjusted - half), std::min(1.0, p_adjusted + half), level,
                  method);
    }
    case ProportionMethod::kWald: {
      const double half = z * std::sqrt(p * (1.0 - p) / n);
      return Make(std::max(0.0, p - half), std::min(1.0, p + half), level, method);
    }
  }
  return Make(0.0, 1.0, level, method);
}

}  // namespace

Interval ProportionInterval(std::uint64_t successes, std::uint64_t trials, double level,
                            ProportionMethod method) {
  return IntervalFromCounts(static_cast<double>(successes), static_cast<double>(trials), level,
                            method);
}

ProportionDifference NewcombeDifference(std::uint64_t first_successes, std::uint64_t first_trials,
                                        std::uint64_t second_successes, std::uint64_t second_trials,
                                        double level) {
  const double p1 = static_cast<double>(first_successes) / static_cast<double>(first_trials);
  const double p2 = static_cast<double>(second_successes) / static_cast<double>(second_trials);
  const Interval w1 =
      ProportionInterval(first_successes, first_trials, level, ProportionMethod::kWilson);
  const Interval w2 =
      ProportionInterval(second_successes, second_trials, level, ProportionMethod::kWilson);
  const double lower = (p1 - p2) - std::hypot(p1 - w1.lower, w2.upper - p2);
  const double upper = (p1 - p2) + std::hypot(w1.upper - p1, p2 - w2.lower);
  return {p1 - p2, Interval{lower, upper, level, "newcombe"}};
}

double ClusterDesignEffect(std::span<const std::uint64_t> cluster_successes,
                           std::span<const std::uint64_t> cluster_trials) {
  double x = 0.0, n = 0.0, clusters = 0.0;
  for (std::size_t k = 0; k < cluster_trials.size(); ++k) {
    if (cluster_trials[k] == 0) continue;
    x += static_cast<double>(cluster_successes[k]);
    n += static_cast<double>(cluster_trials[k]);
    clusters += 1.0;
  }
  const double p = x / n;
  if (clusters < 2.0 || p <= 0.0 || p >= 1.0) return 1.0;
  double sum = 0.0;
  for (std::size_t k = 0; k < cluster_trials.size(); ++k) {
    const double residual =
        static_cast<double>(cluster_successes[k]) - p * static_cast<double>(cluster_trials[k]);
    sum += residual * residual;
  }
  const double clustered = clusters / (clusters - 1.0) * sum / (n * n);
  return std::max(1.0, clustered / (p * (1.0 - p) / n));
}

Interval ClusteredProportionInterval(std::uint64_t successes, std::uint64_t trials,
                                     double design_effect, double level, ProportionMethod method) {
  return IntervalFromCounts(static_cast<double>(successes) / design_effect,
                            static_cast<double>(trials) / design_effect, level, method);
}

namespace {

// LR = (a / n1) / (b / n0) with its log-method interval; a, b are the
// numerator cells (TP, FP for LR+; FN, TN for LR-).
std::optional<RatioEstimate> LikelihoodRatio(double a, double n1, double b, double n0,
                                             double level) {
  if (a == 0.0 && b == 0.0) return std::nullopt;
  const double estimate = b == 0.0 ? std::numeric_limits<double>::infinity() : (a / n1) / (b / n0);
  // Haldane's correction for the interval when any cell of the table is zero.
  const bool zero_cell = a == 0.0 || b == 0.0 || a == n1 || b == n0;
  const double shift = zero_cell ? 0.5 : 0.0;
  const double ac = a + shift, bc = b + shift, n1c = n1 + 2 * shift, n0c = n0 + 2 * shift;
  const double se = std::sqrt(1.0 / ac - 1.0 / n1c + 1.0 / bc - 1.0 / n0c);
  Interval interval = LogInterval(std::log((ac / n1c) / (bc / n0c)), se, level, "log_ratio");
  if (estimate == 0.0) interval.lower = 0.0;
  if (std::isinf(estimate)) interval.upper = kInfinity;
  return RatioEstimate{estimate, interval};
}

}  // namespace

std::optional<RatioEstimate> PositiveLikelihoodRatio(std::uint64_t true_positives,
                                                     std::uint64_t positives,
                                                     std::uint64_t true_negatives,
                                                     std::uint64_t negatives, double level) {
  return LikelihoodRatio(static_cast<double>(true_positives), static_cast<double>(positives),
                         static_cast<double>(negatives - true_negatives),
                         static_cast<double>(negatives), level);
}

std::optional<RatioEstimate> NegativeLikelihoodRatio(std::uint64_t true_positives,
                                                     std::uint64_t positives,
                                                     std::uint64_t true_negatives,
                                                     std::uint64_t negatives, double level) {
  return LikelihoodRatio(static_cast<double>(positives - true_positives),
                         static_cast<double>(positives), static_cast<double>(true_negatives),
                         static_cast<double>(negatives), level);
}

std::optional<RatioEstimate> PredictiveValueAtPrevalence(
    bool positive_predictive, std::uint64_t true_positives, std::uint64_t positives,
    std::uint64_t true_negatives, std::uint64_t negatives, double prevalence, double level) {
  const auto tp = static_cast<double>(true_positives), n1 = static_cast<double>(positives);
  const auto tn = static_cast<double>(true_negatives), n0 = static_cast<double>(negatives);
  // PPV = sens prev / (sens prev + (1 - spec)(1 - prev)); NPV symmetrically.
  auto parts = [&](double sensitivity, double specificity) {
    return positive_predictive
               ? std::pair{sensitivity * prevalence, (1.0 - specificity) * (1.0 - prevalence)}
               : std::pair{specificity * (1.0 - prevalence), (1.0 - sensitivity) * prevalence};
  };
  const auto [numerator, denominator] = parts(tp / n1, tn / n0);
  if (numerator + denominator == 0.0) return std::nullopt;
  const double estimate = numerator / (numerator + denominator);

  // Mercaldo's adjusted logit when a cell is zero: z^2/2 added to each cell.
  const double z = NormalQuantileTwoSided(level);
  const bool zero_cell = tp == 0.0 || tp == n1 || tn == 0.0 || tn == n0;
  const double add = zero_cell ? z * z / 2.0 : 0.0;
  const double sensitivity = (tp + add) / (n1 + 2.0 * add);
  const double specificity = (tn + add) / (n0 + 2.0 * add);
  const auto [adjusted_numerator, adjusted_denominator] = parts(sensitivity, specificity);
  const double variance = positive_predictive
                              ? (1.0 - sensitivity) / (sensitivity * (n1 + 2.0 * add)) +
                                    specificity / ((1.0 - specificity) * (n0 + 2.0 * add))
                              : sensitivity / ((1.0 - sensitivity) * (n1 + 2.0 * add)) +
                                    (1.0 - specificity) / (specificity * (n0 + 2.0 * add));
  const double logit = std::log(adjusted_numerator / adjusted_denominator);
  auto expit = [](double t) { return 1.0 / (1.0 + std::exp(-t)); };
  Interval interval{expit(logit - z * std::sqrt(variance)), expit(logit + z * std::sqrt(variance)),
                    level, "logit_mercaldo"};
  if (estimate == 0.0) interval.lower = 0.0;
  if (estimate == 1.0) interval.upper = 1.0;
  return RatioEstimate{estimate, interval};
}

}  // namespace assay::stats
