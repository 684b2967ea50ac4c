#include "assay/stats/shift.h"

#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <cmath>
#include <numbers>

namespace assay::stats {
namespace {

double Total(std::span<const std::uint64_t> counts) {
  double total = 0.0;
  for (std::uint64_t c : counts) total += static_cast<double>(c);
  return total;
}

}  // namespace

ChiSquareTest CategoricalChiSquare(std::span<const std::uint64_t> reference,
                                   std::span<const std::uint64_t> target) {
  const double n_reference = Total(reference), n_target = Total(target);
  const double n = n_reference + n_target;
  double statistic = 0.0;
  int levels = 0;
  for (std::size_t l = 0; l < reference.size(); ++l) {
    const double row = static_cast<double>(reference[l]) + static_cast<double>(target[l]);
    if (row == 0.0) continue;
    ++levels;
    const double expected_reference = row * n_reference / n;
    const double expected_target = row * n_target / n;
    const double dr = static_cast<double>(reference[l]) - expected_reference;
    const double dt = static_cast<double>(target[l]) - expected_target;
    statistic += dr * dr / expected_reference + dt * dt / expected_target;
  }
  if (levels < 2 || n_reference == 0.0 || n_target == 0.0) return {0.0, 0.0, 1.0};
  const double df = levels - 1.0;
  const double p = boost::math::cdf(
      boost::math::complement(boost::math::chi_squared_distribution<double>(df), statistic));
  return {statistic, df, p};
}

double TotalVariation(std::span<const std::uint64_t> reference,
                      std::span<const std::uint64_t> target) {
  const double n_reference = Total(reference), n_target = Total(target);
  double sum = 0.0;
  for (std::size_t l = 0; l < reference.size(); ++l) {
    sum += std::abs(static_cast<double>(reference[l]) / n_reference -
                    static_cast<double>(target[l]) / n_target);
  }
  return 0.5 * sum;
}

double PopulationStability(std::span<const std::uint64_t> reference,
                           std::span<const std::uint64_t> target) {
  double n_reference = 0.0, n_target = 0.0;
  for (std::size_t l = 0; l < reference.size(); ++l) {
    if (reference[l] == 0 && target[l] == 0) continue;
    n_reference += std::max(0.5, static_cast<double>(reference[l]));
    n_target += std::max(0.5, static_cast<double>(target[l]));
  }
  double psi = 0.0;
  for (std::size_t l = 0; l < reference.size(); ++l) {
    if (reference[l] == 0 && target[l] == 0) continue;
    const double r = std::max(0.5, static_cast<double>(reference[l])) / n_reference;
    const double t = std::max(0.5, static_cast<double>(target[l])) / n_target;
    psi += (t - r) * std::log(t / r);
  }
  return psi;
}

double KolmogorovSurvival(double x) {
  if (!(x > 0.0)) return 1.0;
  // Two series of the same function; each converges fast on its side of ~1.
  if (x < 1.0) {
    // 1 - sqrt(2 pi)/x sum exp(-(2k-1)^2 pi^2 / (8 x^2))
    double sum = 0.0;
    for (int k = 1; k <= 20; ++k) {
      const double m = 2.0 * k - 1.0;
      sum += std::exp(-m * m * std::numbers::pi * std::numbers::pi / (8.0 * x * x));
    }
    return std::clamp(1.0 - std::sqrt(2.0 * std::numbers::pi) / x * sum, 0.0, 1.0);
  }
  // 2 sum (-1)^(k-1) exp(-2 k^2 x^2)
  double sum = 0.0;
  for (int k = 1; k <= 100; ++k) {
    const double term = std::exp(-2.0 * k * k * x * x);
    sum += (k % 2 == 1 ? term : -term);
    if (term < 1e-300) break;
  }
  return std::clamp(2.0 * sum, 0.0, 1.0);
}

KolmogorovSmirnov KolmogorovSmirnovTest(std::span<const double> reference_sorted,
                                        std::span<const double> target_sorted) {
  const auto n = static_cast<double>(reference_sorted.size());
  const auto m = static_cast<double>(target_sorted.size());
  std::size_t i = 0, j = 0;
  double d = 0.0;
  // Walk the merged order; the ECDFs are compared after every distinct value.
  while (i < reference_sorted.size() && j < target_sorted.size()) {
    const double x = std::min(reference_sorted[i], target_sorted[j]);
    while (i < reference_sorted.size() && reference_sorted[i] == x) ++i;
    while (j < target_sorted.size() && target_sorted[j] == x) ++j;
    d = std::max(d, std::abs(static_cast<double>(i) / n - static_cast<double>(j) / m));
  }
  const double effective = n * m / (n + m);
  return {d, KolmogorovSurvival(std::sqrt(effective) * d)};
}

double Wasserstein1(std::span<const double> reference_sorted,
                    std::span<const double> target_sorted) {
  const auto n = static_cast<double>(reference_sorted.size());
  const auto m = static_cast<double>(target_sorted.size());
  std::size_t i = 0, j = 0;
  double area = 0.0;
  double previous = std::min(reference_sorted.front(), target_sorted.front());
  while (i < reference_sorted.size() || j < target_sorted.size()) {
    const double a =
        i < reference_sorted.size() ? reference_sorted[i] : std::numeric_limits<double>::infinity();
    const double b =
        j < target_sorted.size() ? target_sorted[j] : std::numeric_limits<double>::infinity();
    const double x = std::min(a, b);
    area += std::abs(static_cast<double>(i) / n - static_cast<double>(j) / m) * (x - previous);
    while (i < reference_sorted.size() && reference_sorted[i] == x) ++i;
    while (j < target_sorted.size() && target_sorted[j] == x) ++j;
    previous = x;
  }
  return area;
}

std::pair<std::vector<std::uint64_t>, std::vector<std::uint64_t>> DecileCounts(
    std::span<const double> reference_sorted, std::span<const double> target_sorted) {
  std::vector<double> cuts;
  const std::size_t n = reference_sorted.size();
  for (int k = 1; k < 10; ++k) {
    const double cut = reference_sorted[std::min(n - 1, k * n / 10)];
    if (cuts.empty() || cut > cuts.back()) cuts.push_back(cut);
  }
  // Bin b holds values in (cuts[b-1], cuts[b]]; the last bin everything above.
  auto count = [&](std::span<const double> sorted) {
    std::vector<std::uint64_t> counts(cuts.size() + 1, 0);
    std::size_t start = 0;
    for (std::size_t b = 0; b < cuts.size(); ++b) {
      const auto end = static_cast<std::size_t>(
          std::upper_bound(sorted.begin(), sorted.end(), cuts[b]) - sorted.begin());
      counts[b] = end - start;
      start = end;
    }
    counts.back() = sorted.size() - start;
    return counts;
  };
  return {count(reference_sorted), count(target_sorted)};
}

}  // namespace assay::stats
