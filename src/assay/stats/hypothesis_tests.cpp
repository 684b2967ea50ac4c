#include "assay/stats/hypothesis_tests.h"

#include <algorithm>
#include <boost/math/distributions/binomial.hpp>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/special_functions/gamma.hpp>
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

double FisherExactLess(std::uint64_t first_successes, std::uint64_t first_trials,
                       std::uint64_t second_successes, std::uint64_t second_trials) {
  if (first_trials == 0 || second_trials == 0) return 1.0;
  const auto total = static_cast<double>(first_trials + second_trials);
  const auto successes = static_cast<double>(first_successes + second_successes);
  if (successes == 0.0 || successes == total) return 1.0;
  // The hypergeometric tail summed outward from the observed count with the ratio of
  // neighbouring probabilities, from the log-gamma form of the first: hand-written because
  // Boost's hypergeometric CDF is ~100x slower, and the failure-slice search makes 10^4 tests.
  const auto draws = static_cast<double>(first_trials);
  const auto x = static_cast<double>(first_successes);
  const double failures = total - successes;
  const double lowest = std::max(0.0, draws - failures), highest = std::min(draws, successes);
  auto log_choose = [](double n, double k) {
    return boost::math::lgamma(n + 1) - boost::math::lgamma(k + 1) - boost::math::lgamma(n - k + 1);
  };
  auto probability = [&](double k) {
    return std::exp(log_choose(successes, k) + log_choose(failures, draws - k) -
                    log_choose(total, draws));
  };
  const double mode = std::floor((draws + 1) * (successes + 1) / (total + 2));
  if (x < mode) {  // the lower tail is the small side: sum it directly
    double term = probability(x), sum = term;
    for (double k = x; k > lowest && term > sum * 1e-17; --k) {
      term *= k * (failures - draws + k) / ((successes - k + 1) * (draws - k + 1));
      sum += term;
    }
    return std::min(1.0, sum);
  }
  double term = x < highest ? probability(x + 1) : 0.0, upper = term;
  for (double k = x + 1; k < highest && term > upper * 1e-17; ++k) {
    term *= (successes - k) * (draws - k) / ((k + 1) * (failures - draws + k + 1));
    upper += term;
  }
  return std::clamp(1.0 - upper, 0.0, 1.0);
}

}  // namespace assay::stats
