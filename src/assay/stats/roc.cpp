#include "assay/stats/roc.h"

#include <tbb/parallel_for.h>
#include <tbb/parallel_invoke.h>

#include <algorithm>
#include <bit>
#include <boost/math/distributions/normal.hpp>
#include <boost/sort/spreadsort/float_sort.hpp>
#include <boost/sort/spreadsort/integer_sort.hpp>
#include <cmath>
#include <cstdint>
#include <limits>

namespace assay::stats {
namespace {

double SampleVariance(std::span<const double> values, double mean) {
  double sum = 0.0;
  for (double v : values) sum += (v - mean) * (v - mean);
  return sum / static_cast<double>(values.size() - 1);
}

// Calls visit(placement) for every score of `own` in order, its placement
// among `other` (both sorted), found by one merge. With `count_below`:
// (#other < s + #other == s / 2) / |other|; else (#other > s + #other == s / 2) / |other|.
template <typename Visit>
void ForEachPlacement(const std::vector<double>& own, const std::vector<double>& other,
                      bool count_below, Visit visit) {
  const double size = static_cast<double>(other.size());
  std::size_t below = 0;      // other[below-1] < s
  std::size_t not_above = 0;  // other[not_above-1] <= s
  for (const double s : own) {
    while (below < other.size() && other[below] < s) ++below;
    if (not_above < below) not_above = below;
    while (not_above < other.size() && other[not_above] <= s) ++not_above;
    const double ties = static_cast<double>(not_above - below);
    const double strictly =
        count_below ? static_cast<double>(below) : static_cast<double>(other.size() - not_above);
    visit((strictly + ties / 2.0) / size);
  }
}

std::vector<double> MergePlacements(const std::vector<double>& own,
                                    const std::vector<double>& other, bool count_below) {
  std::vector<double> placements;
  placements.reserve(own.size());
  ForEachPlacement(own, other, count_below, [&](double v) { placements.push_back(v); });
  return placements;
}

// Sum and sum of squares of the placements of `own` among `other`.
std::pair<double, double> PlacementMoments(const std::vector<double>& own,
                                           const std::vector<double>& other, bool count_below) {
  double sum = 0.0, squares = 0.0;
  ForEachPlacement(own, other, count_below, [&](double v) {
    sum += v;
    squares += v * v;
  });
  return {sum, squares};
}

double Mean(std::span<const double> values) {
  double sum = 0.0;
  for (double v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

// Sorts finite doubles ascending. Boost 1.74's float_sort subtracts the bit patterns of
// the extremes as signed integers, which overflows (undefined behaviour) when the values
// have both signs; those are sorted as order-preserving unsigned keys instead.
void SortFinite(std::vector<double>& values) {
  if (values.empty()) return;
  const auto [low, high] = std::minmax_element(values.begin(), values.end());
  if (std::signbit(*low) == std::signbit(*high)) {
    boost::sort::spreadsort::float_sort(values.begin(), values.end());
    return;
  }
  constexpr std::uint64_t kSign = std::uint64_t{1} << 63;
  std::vector<std::uint64_t> keys(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto bits = std::bit_cast<std::uint64_t>(values[i]);
    keys[i] = (bits & kSign) != 0 ? ~bits : bits | kSign;
  }
  boost::sort::spreadsort::integer_sort(keys.begin(), keys.end());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::uint64_t key = keys[i];
    values[i] = std::bit_cast<double>((key & kSign) != 0 ? key & ~kSign : ~key);
  }
}

}  // namespace

SortedScores SortScores(std::span<const double> positives, std::span<const double> negatives) {
  return SortScores(std::vector<double>(positives.begin(), positives.end()),
                    std::vector<double>(negatives.begin(), negatives.end()));
}

SortedScores SortScores(std::vector<double>&& positives, std::vector<double>&& negatives) {
  SortedScores sorted{std::move(positives), std::move(negatives)};
  tbb::parallel_invoke([&] { SortFinite(sorted.positives); },
                       [&] { SortFinite(sorted.negatives); });
  return sorted;
}

SortedScores SplitAndSortScores(std::span<const double> score,
                                std::span<const std::uint8_t> truth) {
  // Fixed chunks: count each chunk's positives, then copy every chunk to its
  // offsets in parallel. The result is the sequential split, whatever the threads.
  constexpr std::size_t kChunk = 1 << 16;
  const std::size_t chunks = (score.size() + kChunk - 1) / kChunk;
  std::vector<std::size_t> positive_offset(chunks + 1, 0), negative_offset(chunks + 1, 0);
  tbb::parallel_for(std::size_t{0}, chunks, [&](std::size_t c) {
    const std::size_t begin = c * kChunk, end = std::min(score.size(), begin + kChunk);
    const auto positives =
        static_cast<std::size_t>(std::count(truth.begin() + static_cast<std::ptrdiff_t>(begin),
                                            truth.begin() + static_cast<std::ptrdiff_t>(end), 1));
    positive_offset[c + 1] = positives;
    negative_offset[c + 1] = end - begin - positives;
  });
  for (std::size_t c = 0; c < chunks; ++c) {
    positive_offset[c + 1] += positive_offset[c];
    negative_offset[c + 1] += negative_offset[c];
  }
  std::vector<double> positives(positive_offset[chunks]), negatives(negative_offset[chunks]);
  tbb::parallel_for(std::size_t{0}, chunks, [&](std::size_t c) {
    const std::size_t begin = c * kChunk, end = std::min(score.size(), begin + kChunk);
    double* positive = positives.data() + positive_offset[c];
    double* negative = negatives.data() + negative_offset[c];
    for (std::size_t i = begin; i < end; ++i) *(truth[i] ? positive++ : negative++) = score[i];
  });
  return SortScores(std::move(positives), std::move(negatives));
}

std::vector<RocPoint> RocCurve(const SortedScores& scores) {
  std::vector<RocPoint> curve;
  ForEachRocPoint(scores, [&curve](const RocPoint& point) { curve.push_back(point); });
  return curve;
}

DelongAuc Delong(const SortedScores& scores) {
  DelongAuc result;
  tbb::parallel_invoke(
      [&] {
        result.positive_placements = MergePlacements(scores.positives, scores.negatives, true);
      },
      [&] {
        result.negative_placements = MergePlacements(scores.negatives, scores.positives, false);
      });
  result.auc = Mean(result.positive_placements);
  const double n1 = static_cast<double>(scores.positives.size());
  const double n0 = static_cast<double>(scores.negatives.size());
  if (n1 < 2 || n0 < 2) {
    result.variance = std::numeric_limits<double>::quiet_NaN();
    return result;
  }
  result.variance = SampleVariance(result.positive_placements, result.auc) / n1 +
                    SampleVariance(result.negative_placements, result.auc) / n0;
  return result;
}

AucVariance DelongSummary(const SortedScores& scores) {
  std::pair<double, double> positive, negative;
  tbb::parallel_invoke(
      [&] { positive = PlacementMoments(scores.positives, scores.negatives, true); },
      [&] { negative = PlacementMoments(scores.negatives, scores.positives, false); });
  const double n1 = static_cast<double>(scores.positives.size());
  const double n0 = static_cast<double>(scores.negatives.size());
  AucVariance result;
  result.auc = positive.first / n1;
  if (n1 < 2 || n0 < 2) {
    result.variance = std::numeric_limits<double>::quiet_NaN();
    return result;
  }
  // Sample variances from the moments; placements lie in [0, 1], so the
  // subtraction loses no meaningful precision.
  const double s10 = (positive.second - n1 * result.auc * result.auc) / (n1 - 1.0);
  const double s01 = (negative.second - n0 * result.auc * result.auc) / (n0 - 1.0);
  result.variance = s10 / n1 + s01 / n0;
  return result;
}

double PlacementAmong(std::span<const double> sorted_other_class, double score) {
  const auto [first, last] =
      std::equal_range(sorted_other_class.begin(), sorted_other_class.end(), score);
  const auto below = static_cast<double>(first - sorted_other_class.begin());
  const auto ties = static_cast<double>(last - first);
  return (below + ties / 2.0) / static_cast<double>(sorted_other_class.size());
}

PairedDelong ComparePairedDelong(std::span<const double> first, std::span<const double> second,
                                 std::span<const std::uint8_t> truth) {
  // Placements of each case under each score, in case order.
  const SortedScores a = SplitAndSortScores(first, truth);
  const SortedScores b = SplitAndSortScores(second, truth);
  const double n1 = static_cast<double>(a.positives.size());
  const double n0 = static_cast<double>(a.negatives.size());

  std::vector<double> v10a, v10b, v01a, v01b;
  for (std::size_t k = 0; k < truth.size(); ++k) {
    if (truth[k]) {
      v10a.push_back(PlacementAmong(a.negatives, first[k]));
      v10b.push_back(PlacementAmong(b.negatives, second[k]));
    } else {
      v01a.push_back(1.0 - PlacementAmong(a.positives, first[k]));
      v01b.push_back(1.0 - PlacementAmong(b.positives, second[k]));
    }
  }

  PairedDelong result;
  result.auc_first = Mean(v10a);
  result.auc_second = Mean(v10b);
  result.difference = result.auc_first - result.auc_second;
  // var(A - B) = var(A) + var(B) - 2 cov(A, B), each term from the placement covariances.
  auto covariance = [](const std::vector<double>& x, double mx, const std::vector<double>& y,
                       double my) {
    double sum = 0.0;
    for (std::size_t k = 0; k < x.size(); ++k) sum += (x[k] - mx) * (y[k] - my);
    return sum / static_cast<double>(x.size() - 1);
  };
  const double ma = result.auc_first, mb = result.auc_second;
  const double s10 = covariance(v10a, ma, v10a, ma) + covariance(v10b, mb, v10b, mb) -
                     2.0 * covariance(v10a, ma, v10b, mb);
  const double s01 = covariance(v01a, ma, v01a, ma) + covariance(v01b, mb, v01b, mb) -
                     2.0 * covariance(v01a, ma, v01b, mb);
  result.variance = s10 / n1 + s01 / n0;
  if (result.variance > 0.0) {
    result.z = result.difference / std::sqrt(result.variance);
    result.p_value = 2.0 * boost::math::cdf(boost::math::complement(
                               boost::math::normal_distribution<double>(), std::abs(result.z)));
  }
  return result;
}

ClusteredAuc ObuchowskiClusteredAuc(std::span<const double> score,
                                    std::span<const std::uint8_t> truth,
                                    std::span<const std::uint32_t> cluster,
                                    std::size_t cluster_count) {
  const SortedScores sorted = SplitAndSortScores(score, truth);
  const double n1 = static_cast<double>(sorted.positives.size());
  const double n0 = static_cast<double>(sorted.negatives.size());

  // Per cluster: summed placements and unit counts of each class.
  std::vector<double> v10(cluster_count, 0.0), v01(cluster_count, 0.0);
  std::vector<double> m(cluster_count, 0.0), n(cluster_count, 0.0);
  for (std::size_t k = 0; k < score.size(); ++k) {
    const std::uint32_t c = cluster[k];
    if (truth[k]) {
      v10[c] += PlacementAmong(sorted.negatives, score[k]);
      m[c] += 1.0;
    } else {
      v01[c] += 1.0 - PlacementAmong(sorted.positives, score[k]);
      n[c] += 1.0;
    }
  }

  ClusteredAuc result;
  result.clusters = cluster_count;
  double total = 0.0;
  for (double v : v10) total += v;
  const double auc = total / n1;
  // Obuchowski's small-sample factors count the clusters holding positives
  // (I10), negatives (I01), and all clusters (I).
  double with_positive = 0.0, with_negative = 0.0;
  double s10 = 0.0, s01 = 0.0, s11 = 0.0;
  for (std::size_t c = 0; c < cluster_count; ++c) {
    const double d10 = v10[c] - m[c] * auc;
    const double d01 = v01[c] - n[c] * auc;
    with_positive += m[c] > 0.0;
    with_negative += n[c] > 0.0;
    s10 += d10 * d10;
    s01 += d01 * d01;
    s11 += d10 * d01;
  }
  result.auc = auc;
  if (with_positive < 2.0 || with_negative < 2.0) {
    result.variance = result.design_effect = std::numeric_limits<double>::quiet_NaN();
    return result;
  }
  const double all = static_cast<double>(cluster_count);
  s10 *= with_positive / ((with_positive - 1.0) * n1);
  s01 *= with_negative / ((with_negative - 1.0) * n0);
  s11 *= all / (all - 1.0);
  result.auc = auc;
  result.variance = s10 / n1 + s01 / n0 + 2.0 * s11 / (n1 * n0);
  result.design_effect = result.variance / Delong(sorted).variance;
  return result;
}

PartialAuc ComputePartialAuc(const std::vector<RocPoint>& curve, PartialAucFocus focus, double from,
                             double to) {
  // Express the curve as y(x), x the focused quantity, in increasing x.
  struct XY {
    double x, y;
  };
  std::vector<XY> points;
  points.reserve(curve.size());
  for (const auto& p : curve) {
    points.push_back(focus == PartialAucFocus::kSpecificity ? XY{p.specificity, p.sensitivity}
                                                            : XY{p.sensitivity, p.specificity});
  }
  // y never rises with x. Where several points share an x (a vertical step),
  // the curve enters the step at its top and leaves at its bottom, so equal
  // x are ordered by falling y.
  std::sort(points.begin(), points.end(),
            [](const XY& a, const XY& b) { return a.x < b.x || (a.x == b.x && a.y > b.y); });

  // Trapezoids clipped to [from, to]; y interpolated linearly between points.
  double area = 0.0;
  for (std::size_t k = 1; k < points.size(); ++k) {
    const XY& a = points[k - 1];
    const XY& b = points[k];
    const double lo = std::max(a.x, from), hi = std::min(b.x, to);
    if (hi <= lo || b.x == a.x) continue;
    auto y_at = [&](double x) { return a.y + (b.y - a.y) * (x - a.x) / (b.x - a.x); };
    area += (hi - lo) * (y_at(lo) + y_at(hi)) / 2.0;
  }

  // McClish: the chance diagonal y = 1 - x gives the minimum, y = 1 the maximum.
  const double width = to - from;
  const double minimum = width * (1.0 - (from + to) / 2.0);
  PartialAuc result;
  result.raw = area;
  result.standardized = 0.5 * (1.0 + (area - minimum) / (width - minimum));
  return result;
}

}  // namespace assay::stats
