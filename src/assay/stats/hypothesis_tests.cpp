#include "assay/stats/hypothesis_tests.h"

#include <algorithm>
#include <boost/math/distributions/binomial.hpp>
#include <boost/math/distributions/chi_squared.hpp>
#include <cmath>

namespace assay::stats {
namespace {

double ChiSquareUpperTail(double statistic, double degrees_of_freedom) {
  if (degrees_of_freedom <= 0.0) return 1.0;
  return boost::math::cdf(boost::math::complement(
      boost::math::chi_squared_distribution<double>(degrees_of_freedom), statistic));
}

}  // namespace

McNemar McNemarTest(std::uint64_t first_only, std::uint64_t second_only) {
  McNemar result{first_only, second_only, 1.0, 1.0};
  const std::uint64_t discordant = first_only + second_only;
  if (discordant == 0) return result;
  const boost::math::binomial_distribution<double> binomial(static_cast<double>(discordant), 0.5);
  const auto smaller = static_cast<double>(std::min(first_only, second_only));
  const double tail = boost::math::cdf(binomial, smaller);
  result.exact_p = std::min(1.0, 2.0 * tail);
  result.mid_p = std::min(1.0, 2.0 * tail - boost::math::pdf(binomial, smaller));
  return result;
}

ChiSquare ProportionHomogeneity(std::span<const std::uint64_t> successes,
                                std::span<const std::uint64_t> trials) {
  double total_successes = 0.0, total_trials = 0.0;
  int groups = 0;
  for (std::size_t i = 0; i < trials.size(); ++i) {
    if (trials[i] == 0) continue;
    total_successes += static_cast<double>(successes[i]);
    total_trials += static_cast<double>(trials[i]);
    ++groups;
  }
  const double pooled = total_successes / total_trials;
  if (groups < 2 || pooled <= 0.0 || pooled >= 1.0)
    return {0.0, groups < 2 ? 0.0 : groups - 1.0, 1.0};

  double statistic = 0.0;
  for (std::size_t i = 0; i < trials.size(); ++i) {
    if (trials[i] == 0) continue;
    const auto n = static_cast<double>(trials[i]);
    const auto x = static_cast<double>(successes[i]);
    const double expected_success = n * pooled, expected_failure = n * (1.0 - pooled);
    statistic += (x - expected_success) * (x - expected_success) / expected_success;
    statistic += (x - expected_success) * (x - expected_success) / expected_failure;
  }
  const double df = groups - 1.0;
  return {statistic, df, ChiSquareUpperTail(statistic, df)};
}

ChiSquare CochranQ(std::span<const double> estimates, std::span<const double> variances) {
  double weight_sum = 0.0, weighted = 0.0;
  int groups = 0;
  for (std::size_t i = 0; i < estimates.size(); ++i) {
    if (!(variances[i] > 0.0) || !std::isfinite(variances[i])) continue;
    weight_sum += 1.0 / variances[i];
    weighted += estimates[i] / variances[i];
    ++groups;
  }
  if (groups < 2) return {0.0, 0.0, 1.0};
  const double pooled = weighted / weight_sum;
  double statistic = 0.0;
  for (std::size_t i = 0; i < estimates.size(); ++i) {
    if (!(variances[i] > 0.0) || !std::isfinite(variances[i])) continue;
    statistic += (estimates[i] - pooled) * (estimates[i] - pooled) / variances[i];
  }
  const double df = groups - 1.0;
  return {statistic, df, ChiSquareUpperTail(statistic, df)};
}

}  // namespace assay::stats
