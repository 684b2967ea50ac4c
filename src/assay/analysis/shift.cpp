#include "assay/analysis/shift.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <boost/random/poisson_distribution.hpp>
#include <cmath>
#include <iterator>
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

// Percentile intervals of the N statistics that `statistics` returns over Poisson-bootstrap
// replicates of the two count vectors: each cell's count is redrawn as Poisson(count), the
// large-sample form of resampling every case (Hanley & MacGibbon 2006).
template <std::size_t N, typename Statistics>
std::array<stats::Interval, N> PoissonIntervals(const Counts& reference, const Counts& target,
                                                std::size_t index, const ShiftOptions& options,
                                                Statistics statistics) {
  std::array<std::vector<double>, N> values;
  for (auto& v : values) v.reserve(options.bootstrap);
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
    const std::array<double, N> replicate = statistics(r, t);
    for (std::size_t i = 0; i < N; ++i) values[i].push_back(replicate[i]);
  }
  std::array<stats::Interval, N> intervals;
  for (std::size_t i = 0; i < N; ++i) {
    if (values[i].empty()) {
      intervals[i] = {std::nan(""), std::nan(""), options.level, ""};
    } else {
      intervals[i] = stats::PercentileInterval(values[i], options.level);
    }
    intervals[i].method = "poisson_bootstrap_percentile";
  }
  return intervals;
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
  out.total_variation = stats::TotalVariation(reference, target);
  const auto intervals =
      PoissonIntervals<2>(reference, target, index, options, [](const Counts& r, const Counts& t) {
        return std::array{stats::PopulationStability(r, t), stats::TotalVariation(r, t)};
      });
  out.psi_ci = intervals[0];
  out.total_variation_ci = intervals[1];
  return out;
}

// Counts of two sorted samples on a grid of at most kGridCells cells: the distinct values of
// both when there are that few (the statistics below are then exact), else cells between pooled
// quantiles, each represented by the mean of the values in it. Bootstrapping cell counts is what
// makes the intervals of KS and W1 affordable on 10^6 cases (a pass over the cases per replicate
// would not be).
constexpr std::size_t kGridCells = 1024;

struct Grid {
  std::vector<double> points;  // increasing
  Counts reference, target;
};

Grid CountOnGrid(const std::vector<double>& reference, const std::vector<double>& target) {
  std::vector<double> pooled;
  pooled.reserve(reference.size() + target.size());
  std::merge(reference.begin(), reference.end(), target.begin(), target.end(),
             std::back_inserter(pooled));
  // Upper edges of the cells: every distinct value, or pooled quantiles (distinct).
  std::vector<double> edges;
  for (std::size_t i = 0; i < pooled.size(); ++i) {
    if (i + 1 == pooled.size() || pooled[i + 1] != pooled[i]) edges.push_back(pooled[i]);
  }
  if (edges.size() > kGridCells) {
    std::vector<double> quantiles;
    for (std::size_t k = 1; k <= kGridCells; ++k) {
      const double edge = pooled[k * pooled.size() / kGridCells - 1];
      if (quantiles.empty() || edge > quantiles.back()) quantiles.push_back(edge);
    }
    edges = std::move(quantiles);
  }
  Grid grid;
  grid.points.assign(edges.size(), 0.0);
  grid.reference.assign(edges.size(), 0);
  grid.target.assign(edges.size(), 0);
  std::vector<double> sums(edges.size(), 0.0);
  auto count = [&](const std::vector<double>& values, Counts& counts) {
    std::size_t cell = 0;
    for (double v : values) {
      while (v > edges[cell]) ++cell;
      ++counts[cell];
      sums[cell] += v;
    }
  };
  count(reference, grid.reference);
  count(target, grid.target);
  for (std::size_t k = 0; k < edges.size(); ++k) {
    grid.points[k] = sums[k] / static_cast<double>(grid.reference[k] + grid.target[k]);
  }
  return grid;
}

// The Kolmogorov-Smirnov distance and the Wasserstein-1 distance of two count vectors on the
// grid's points: the largest gap between the two distribution functions, and its integral.
std::pair<double, double> GridDistances(const std::vector<double>& points, const Counts& reference,
                                        const Counts& target) {
  double total_r = 0.0, total_t = 0.0;
  for (auto c : reference) total_r += static_cast<double>(c);
  for (auto c : target) total_t += static_cast<double>(c);
  double cumulative_r = 0.0, cumulative_t = 0.0, ks = 0.0, w1 = 0.0;
  for (std::size_t k = 0; k + 1 < points.size(); ++k) {
    cumulative_r += static_cast<double>(reference[k]);
    cumulative_t += static_cast<double>(target[k]);
    const double gap = std::abs(cumulative_r / total_r - cumulative_t / total_t);
    ks = std::max(ks, gap);
    w1 += gap * (points[k + 1] - points[k]);
  }
  return {ks, w1};
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
  out.psi_ci = PoissonIntervals<1>(r, t, index, options, [](const Counts& a, const Counts& b) {
    return std::array{stats::PopulationStability(a, b)};
  })[0];

  // KS and W1 on the grid; replicates are moved by the gap between the exact and the grid
  // statistic so that the interval sits around the exact estimate (the gap is 0 when the grid
  // holds every distinct value). Distances are never negative: near 0 the interval lies above
  // it, and the test, not the interval, says whether there is a difference.
  const Grid grid = CountOnGrid(reference, target);
  const auto [grid_ks, grid_w1] = GridDistances(grid.points, grid.reference, grid.target);
  const double ks_gap = test.statistic - grid_ks, w1_gap = *out.wasserstein - grid_w1;
  const auto distances = PoissonIntervals<2>(
      grid.reference, grid.target, index, options, [&](const Counts& a, const Counts& b) {
        const auto [ks, w1] = GridDistances(grid.points, a, b);
        return std::array{std::max(0.0, ks + ks_gap), std::max(0.0, w1 + w1_gap)};
      });
  out.statistic_ci = distances[0];
  out.wasserstein_ci = distances[1];
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
