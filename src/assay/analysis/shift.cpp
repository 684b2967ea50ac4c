#include "assay/analysis/shift.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <boost/random/poisson_distribution.hpp>
#include <cmath>
#include <vector>

#include "assay/core/random.h"
#include "assay/stats/bootstrap.h"
#include "assay/stats/shift.h"

namespace assay::analysis {
namespace {

constexpr std::uint64_t kBootstrapPurpose = PurposeId("shift_poisson_bootstrap");

using Counts = std::vector<std::uint64_t>;

double Median(const std::vector<double>& sorted) {
  const std::size_t n = sorted.size();
  return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
}

// The percentile interval of `statistic` over Poisson-bootstrap replicates of the two
// count vectors: each cell's count is redrawn as Poisson(count), the large-sample form
// of resampling every case (Hanley & MacGibbon 2006).
template <typename Statistic>
stats::Interval PoissonInterval(const Counts& reference, const Counts& target, std::size_t index,
                                const ShiftOptions& options, Statistic statistic) {
  std::vector<double> values;
  values.reserve(options.bootstrap);
  Counts r(reference.size()), t(target.size());
  for (std::size_t b = 0; b < options.bootstrap; ++b) {
    RandomStream stream(options.seed, kBootstrapPurpose, index, b);
    auto redraw = [&](const Counts& from, Counts& to) {
      for (std::size_t k = 0; k < from.size(); ++k) {
        if (from[k] == 0) {
          to[k] = 0;
          continue;
        }
        boost::random::poisson_distribution<std::uint64_t, double> poisson(
            static_cast<double>(from[k]));
        to[k] = poisson(stream);
      }
    };
    redraw(reference, r);
    redraw(target, t);
    double total_r = 0, total_t = 0;
    for (auto c : r) total_r += static_cast<double>(c);
    for (auto c : t) total_t += static_cast<double>(c);
    if (total_r == 0 || total_t == 0) continue;
    values.push_back(statistic(r, t));
  }
  if (values.empty()) {
    return {std::nan(""), std::nan(""), options.level, "poisson_bootstrap_percentile"};
  }
  stats::Interval interval = stats::PercentileInterval(values, options.level);
  interval.method = "poisson_bootstrap_percentile";
  return interval;
}

AttributeShift CompareCategorical(const ShiftSample& sample, std::size_t index,
                                  const ShiftOptions& options) {
  AttributeShift out;
  out.name = sample.name;
  out.test = "chi_square";
  Counts reference(sample.levels.size(), 0), target(sample.levels.size(), 0);
  for (auto code : sample.reference_codes) ++reference[code];
  for (auto code : sample.target_codes) ++target[code];
  for (std::size_t l = 0; l < sample.levels.size(); ++l) {
    out.levels.push_back({sample.levels[l], reference[l], target[l]});
  }
  out.reference_cases = sample.reference_codes.size();
  out.target_cases = sample.target_codes.size();
  if (out.reference_cases == 0 || out.target_cases == 0) {
    out.status = "not_comparable";
    out.note = "no case in one of the cohorts";
    return out;
  }
  const stats::ChiSquareTest test = stats::CategoricalChiSquare(reference, target);
  out.statistic = test.statistic;
  out.degrees_of_freedom = test.degrees_of_freedom;
  out.p_value = test.p_value;
  out.psi = stats::PopulationStability(reference, target);
  out.psi_ci = PoissonInterval(
      reference, target, index, options,
      [](const Counts& r, const Counts& t) { return stats::PopulationStability(r, t); });
  out.total_variation = stats::TotalVariation(reference, target);
  out.total_variation_ci =
      PoissonInterval(reference, target, index, options,
                      [](const Counts& r, const Counts& t) { return stats::TotalVariation(r, t); });
  return out;
}

AttributeShift CompareNumeric(const ShiftSample& sample, std::size_t index,
                              const ShiftOptions& options) {
  AttributeShift out;
  out.name = sample.name;
  out.numeric = true;
  out.test = "kolmogorov_smirnov";
  auto present = [](const std::vector<double>& values, std::uint64_t& missing) {
    std::vector<double> kept;
    kept.reserve(values.size());
    for (double v : values) {
      if (std::isnan(v)) {
        ++missing;
      } else {
        kept.push_back(v);
      }
    }
    std::sort(kept.begin(), kept.end());
    return kept;
  };
  const std::vector<double> reference = present(sample.reference, out.reference_missing);
  const std::vector<double> target = present(sample.target, out.target_missing);
  out.reference_cases = reference.size();
  out.target_cases = target.size();
  if (reference.empty() || target.empty()) {
    out.status = "not_comparable";
    out.note = "no value in one of the cohorts";
    return out;
  }
  const stats::KolmogorovSmirnov test = stats::KolmogorovSmirnovTest(reference, target);
  out.statistic = test.statistic;
  out.p_value = test.p_value;
  out.wasserstein = stats::Wasserstein1(reference, target);
  out.reference_median = Median(reference);
  out.target_median = Median(target);
  const auto [r, t] = stats::DecileCounts(reference, target);
  out.psi = stats::PopulationStability(r, t);
  out.psi_ci = PoissonInterval(r, t, index, options, [](const Counts& a, const Counts& b) {
    return stats::PopulationStability(a, b);
  });
  return out;
}

}  // namespace

ShiftResult CompareCohorts(std::span<const ShiftSample> samples, const ShiftOptions& options) {
  ShiftResult result;
  result.options = options;
  result.attributes.resize(samples.size());
  tbb::parallel_for(std::size_t{0}, samples.size(), [&](std::size_t a) {
    result.attributes[a] = samples[a].numeric ? CompareNumeric(samples[a], a, options)
                                              : CompareCategorical(samples[a], a, options);
  });
  std::vector<double> p;
  std::vector<std::size_t> tested;
  for (std::size_t a = 0; a < result.attributes.size(); ++a) {
    if (result.attributes[a].status == "not_comparable") continue;
    tested.push_back(a);
    p.push_back(result.attributes[a].p_value);
  }
  const std::vector<double> adjusted = stats::AdjustPValues(p, options.multiplicity);
  for (std::size_t k = 0; k < tested.size(); ++k) {
    AttributeShift& attribute = result.attributes[tested[k]];
    attribute.adjusted_p = adjusted[k];
    if (adjusted[k] > options.alpha) {
      attribute.status = "no_evidence";
    } else {
      attribute.status = attribute.psi >= options.psi_threshold ? "shifted" : "minor";
    }
  }
  return result;
}

}  // namespace assay::analysis
