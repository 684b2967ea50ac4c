#include "assay/stats/bootstrap.h"

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <limits>
#include <numeric>

#include "assay/core/random.h"
#include "assay/stats/roc.h"

namespace assay::stats {
namespace {

constexpr std::uint64_t kStratifiedPurpose = PurposeId("bootstrap_auc_stratified");
constexpr std::uint64_t kClusterPurpose = PurposeId("bootstrap_auc_cluster");
constexpr std::uint64_t kPartialPurpose = PurposeId("bootstrap_pauc_stratified");

// The cases in ascending score order, with what a weighted AUC pass needs.
struct SortedCases {
  std::vector<std::uint32_t> order;      // case index at each sorted position
  std::vector<std::uint8_t> positive;    // per sorted position
  std::vector<std::uint8_t> ends_group;  // 1 where the next position has a higher score
};

SortedCases SortCases(std::span<const double> score, std::span<const std::uint8_t> truth) {
  SortedCases sorted;
  const std::size_t n = score.size();
  sorted.order.resize(n);
  std::iota(sorted.order.begin(), sorted.order.end(), 0U);
  std::sort(sorted.order.begin(), sorted.order.end(),
            [&score](std::uint32_t a, std::uint32_t b) { return score[a] < score[b]; });
  sorted.positive.resize(n);
  sorted.ends_group.resize(n);
  for (std::size_t k = 0; k < n; ++k) {
    sorted.positive[k] = truth[sorted.order[k]];
    sorted.ends_group[k] = k + 1 == n || score[sorted.order[k + 1]] > score[sorted.order[k]];
  }
  return sorted;
}

// AUC of the sample in which sorted position k appears weight[k] times.
// Hand-written single pass: ties within a score group count one half.
double WeightedAuc(const SortedCases& sorted, std::span<const std::uint32_t> weight) {
  std::uint64_t doubled = 0;  // 2 * sum over pairs of psi, in integer arithmetic
  std::uint64_t negatives_below = 0, group_positive = 0, group_negative = 0;
  std::uint64_t total_positive = 0;
  const std::size_t n = weight.size();
  for (std::size_t k = 0; k < n; ++k) {
    const std::uint64_t w = weight[k];
    if (sorted.positive[k]) {
      group_positive += w;
    } else {
      group_negative += w;
    }
    if (sorted.ends_group[k]) {
      doubled += group_positive * (2 * negatives_below + group_negative);
      negatives_below += group_negative;
      total_positive += group_positive;
      group_positive = group_negative = 0;
    }
  }
  return static_cast<double>(doubled) /
         (2.0 * static_cast<double>(total_positive) * static_cast<double>(negatives_below));
}

// The ROC curve of the weighted sample, from the highest threshold down.
std::vector<RocPoint> WeightedRocCurve(const SortedCases& sorted,
                                       std::span<const std::uint32_t> weight) {
  std::uint64_t total_positive = 0, total_negative = 0;
  for (std::size_t k = 0; k < weight.size(); ++k) {
    (sorted.positive[k] ? total_positive : total_negative) += weight[k];
  }
  std::vector<RocPoint> curve;
  curve.push_back({std::numeric_limits<double>::infinity(), 0, 0, 0.0, 1.0});
  std::uint64_t true_positive = 0, false_positive = 0;
  for (std::size_t k = weight.size(); k-- > 0;) {
    (sorted.positive[k] ? true_positive : false_positive) += weight[k];
    // A group ends, going down, where the position below has a lower score.
    if (k > 0 && !sorted.ends_group[k - 1]) continue;
    curve.push_back(
        {0.0, true_positive, false_positive,
         static_cast<double>(true_positive) / static_cast<double>(total_positive),
         1.0 - static_cast<double>(false_positive) / static_cast<double>(total_negative)});
  }
  return curve;
}

// Draws a stratified resample: as many positives and negatives as the sample has.
void DrawStratified(RandomStream& stream, std::span<const std::uint32_t> positive_positions,
                    std::span<const std::uint32_t> negative_positions,
                    std::vector<std::uint32_t>& weights) {
  for (std::size_t i = 0; i < positive_positions.size(); ++i) {
    ++weights[positive_positions[stream.NextBelow(positive_positions.size())]];
  }
  for (std::size_t j = 0; j < negative_positions.size(); ++j) {
    ++weights[negative_positions[stream.NextBelow(negative_positions.size())]];
  }
}

// Sorted positions of the positive and of the negative cases.
std::pair<std::vector<std::uint32_t>, std::vector<std::uint32_t>> ClassPositions(
    const SortedCases& sorted) {
  std::vector<std::uint32_t> positives, negatives;
  for (std::uint32_t k = 0; k < sorted.positive.size(); ++k) {
    (sorted.positive[k] ? positives : negatives).push_back(k);
  }
  return {std::move(positives), std::move(negatives)};
}

// Runs `replicate(r, weights)` for every replicate in parallel, each thread
// with its own weight buffer of n entries.
template <typename Replicate>
std::vector<double> RunReplicates(std::size_t n, std::size_t count, Replicate replicate) {
  std::vector<double> result(count);
  tbb::enumerable_thread_specific<std::vector<std::uint32_t>> buffers(
      [n] { return std::vector<std::uint32_t>(n); });
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, count),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      auto& weights = buffers.local();
                      for (std::size_t r = range.begin(); r != range.end(); ++r) {
                        std::fill(weights.begin(), weights.end(), 0U);
                        result[r] = replicate(r, weights);
                      }
                    });
  return result;
}

double NormalCdf(double x) {
  return boost::math::cdf(boost::math::normal_distribution<double>(), x);
}
double NormalQuantile(double p) {
  return boost::math::quantile(boost::math::normal_distribution<double>(), p);
}

// Leave-one-cluster-out AUCs in O(n log n + sum over clusters of m_c n_c).
// With S = 2 * sum over all pairs of psi, removing cluster c removes its
// positives' pairs P_c, its negatives' pairs Q_c, and adds back the pairs
// inside c counted twice, W_c: AUC_-c = (S - P_c - Q_c + W_c) / (2 (N1 - m_c)(N0 - n_c)).
// Clusters whose removal leaves a class empty give no value.
std::vector<double> LeaveOneClusterOutAucs(std::span<const double> score,
                                           std::span<const std::uint8_t> truth,
                                           std::span<const std::uint32_t> cluster,
                                           std::size_t cluster_count) {
  const SortedScores sorted = SplitAndSortScores(score, truth);
  const auto& pos = sorted.positives;
  const auto& neg = sorted.negatives;
  auto below = [](const std::vector<double>& v, double x) {
    return static_cast<double>(std::lower_bound(v.begin(), v.end(), x) - v.begin());
  };
  auto not_above = [](const std::vector<double>& v, double x) {
    return static_cast<double>(std::upper_bound(v.begin(), v.end(), x) - v.begin());
  };

  std::vector<double> removed(cluster_count, 0.0), positives(cluster_count, 0.0),
      negatives(cluster_count, 0.0);
  std::vector<std::vector<std::uint32_t>> members(cluster_count);
  double total = 0.0;
  const auto n1 = static_cast<double>(pos.size()), n0 = static_cast<double>(neg.size());
  for (std::size_t k = 0; k < score.size(); ++k) {
    const std::uint32_t c = cluster[k];
    members[c].push_back(static_cast<std::uint32_t>(k));
    if (truth[k]) {
      const double pairs = below(neg, score[k]) + not_above(neg, score[k]);
      total += pairs;
      removed[c] += pairs;
      positives[c] += 1.0;
    } else {
      removed[c] += 2.0 * n1 - below(pos, score[k]) - not_above(pos, score[k]);
      negatives[c] += 1.0;
    }
  }

  std::vector<double> jackknife;
  for (std::size_t c = 0; c < cluster_count; ++c) {
    if (positives[c] == n1 || negatives[c] == n0) continue;
    double within = 0.0;  // pairs inside the cluster, counted twice (ties once each way)
    for (std::uint32_t i : members[c]) {
      if (!truth[i]) continue;
      for (std::uint32_t j : members[c]) {
        if (truth[j]) continue;
        within += score[i] > score[j] ? 2.0 : score[i] == score[j] ? 1.0 : 0.0;
      }
    }
    jackknife.push_back((total - removed[c] + within) /
                        (2.0 * (n1 - positives[c]) * (n0 - negatives[c])));
  }
  return jackknife;
}

}  // namespace

BootstrapAuc StratifiedBootstrapAuc(std::span<const double> score,
                                    std::span<const std::uint8_t> truth,
                                    const BootstrapOptions& options) {
  const SortedScores sorted = SplitAndSortScores(score, truth);
  const std::size_t n1 = sorted.positives.size(), n0 = sorted.negatives.size();

  // For the i-th positive (sorted), the negatives strictly below it and those
  // not above it: [0, below[i]) and [0, not_above[i]) in sorted order.
  std::vector<std::uint32_t> below(n1), not_above(n1);
  for (std::size_t i = 0, lo = 0, hi = 0; i < n1; ++i) {
    while (lo < n0 && sorted.negatives[lo] < sorted.positives[i]) ++lo;
    hi = std::max(hi, lo);
    while (hi < n0 && sorted.negatives[hi] <= sorted.positives[i]) ++hi;
    below[i] = static_cast<std::uint32_t>(lo);
    not_above[i] = static_cast<std::uint32_t>(hi);
  }

  // A replicate is a count per positive and per negative (in sorted order).
  // With prefix sums P of the negative counts, twice the sum of psi over
  // pairs is sum_i w_i (P[below_i] + P[not_above_i]): one branch-free pass.
  struct Buffers {
    std::vector<std::uint32_t> positive, negative;
    std::vector<std::uint64_t> prefix;
  };
  tbb::enumerable_thread_specific<Buffers> buffers([&] {
    return Buffers{std::vector<std::uint32_t>(n1), std::vector<std::uint32_t>(n0),
                   std::vector<std::uint64_t>(n0 + 1)};
  });
  BootstrapAuc result;
  result.replicates.resize(options.replicates);
  const double pairs = 2.0 * static_cast<double>(n1) * static_cast<double>(n0);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, options.replicates),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      Buffers& buffer = buffers.local();
                      for (std::size_t r = range.begin(); r != range.end(); ++r) {
                        std::fill(buffer.positive.begin(), buffer.positive.end(), 0U);
                        std::fill(buffer.negative.begin(), buffer.negative.end(), 0U);
                        RandomStream stream(options.seed, kStratifiedPurpose, r);
                        for (std::size_t i = 0; i < n1; ++i)
                          ++buffer.positive[stream.NextBelow(n1)];
                        for (std::size_t j = 0; j < n0; ++j)
                          ++buffer.negative[stream.NextBelow(n0)];
                        for (std::size_t j = 0; j < n0; ++j) {
                          buffer.prefix[j + 1] = buffer.prefix[j] + buffer.negative[j];
                        }
                        std::uint64_t doubled = 0;
                        for (std::size_t i = 0; i < n1; ++i) {
                          doubled += buffer.positive[i] *
                                     (buffer.prefix[below[i]] + buffer.prefix[not_above[i]]);
                        }
                        result.replicates[r] = static_cast<double>(doubled) / pairs;
                      }
                    });

  // Leave-one-case-out AUCs from DeLong placements:
  // removing positive i gives (n1 A - V10_i) / (n1 - 1), and symmetrically.
  // The estimate in the replicates' own arithmetic, so that BCa's count of
  // replicates below it is exact: every weight 1 gives P[k] = k.
  std::uint64_t doubled = 0;
  for (std::size_t i = 0; i < n1; ++i) doubled += below[i] + not_above[i];
  result.auc = static_cast<double>(doubled) / pairs;
  const DelongAuc delong = Delong(sorted);
  const double m = static_cast<double>(n1), n = static_cast<double>(n0);
  result.jackknife.reserve(n1 + n0);
  for (double v : delong.positive_placements) {
    result.jackknife.push_back((m * delong.auc - v) / (m - 1.0));
  }
  for (double v : delong.negative_placements) {
    result.jackknife.push_back((n * delong.auc - v) / (n - 1.0));
  }
  return result;
}

BootstrapAuc ClusterBootstrapAuc(std::span<const double> score, std::span<const std::uint8_t> truth,
                                 std::span<const std::uint32_t> cluster, std::size_t cluster_count,
                                 const BootstrapOptions& options) {
  const SortedCases sorted = SortCases(score, truth);
  std::vector<std::uint32_t> cluster_at(score.size());  // cluster of each sorted position
  for (std::size_t k = 0; k < score.size(); ++k) cluster_at[k] = cluster[sorted.order[k]];

  BootstrapAuc result;
  std::vector<std::uint32_t> ones(score.size(), 1U);
  result.auc = WeightedAuc(sorted, ones);

  const std::size_t n = score.size();
  tbb::enumerable_thread_specific<std::vector<std::uint32_t>> cluster_counts(
      [cluster_count] { return std::vector<std::uint32_t>(cluster_count); });
  result.replicates =
      RunReplicates(n, options.replicates, [&](std::size_t r, std::vector<std::uint32_t>& weights) {
        auto& counts = cluster_counts.local();
        for (std::uint64_t attempt = 0;; ++attempt) {
          std::fill(counts.begin(), counts.end(), 0U);
          RandomStream stream(options.seed, kClusterPurpose, r, attempt);
          for (std::size_t c = 0; c < cluster_count; ++c) ++counts[stream.NextBelow(cluster_count)];
          bool has_positive = false, has_negative = false;
          for (std::size_t k = 0; k < n; ++k) {
            weights[k] = counts[cluster_at[k]];
            if (weights[k] > 0) (sorted.positive[k] ? has_positive : has_negative) = true;
          }
          if (has_positive && has_negative) return WeightedAuc(sorted, weights);
        }
      });

  result.jackknife = LeaveOneClusterOutAucs(score, truth, cluster, cluster_count);
  return result;
}

Interval PartialAucBootstrapInterval(std::span<const double> score,
                                     std::span<const std::uint8_t> truth, PartialAucFocus focus,
                                     double from, double to, const BootstrapOptions& options) {
  const SortedCases sorted = SortCases(score, truth);
  const auto positions = ClassPositions(sorted);
  const auto& positive_positions = positions.first;
  const auto& negative_positions = positions.second;
  BootstrapAuc bootstrap;
  bootstrap.replicates = RunReplicates(
      score.size(), options.replicates, [&](std::size_t r, std::vector<std::uint32_t>& weights) {
        RandomStream stream(options.seed, kPartialPurpose, r);
        DrawStratified(stream, positive_positions, negative_positions, weights);
        return ComputePartialAuc(WeightedRocCurve(sorted, weights), focus, from, to).standardized;
      });
  return PercentileInterval(bootstrap, options.level);
}

double Quantile(std::vector<double> values, double probability) {
  std::sort(values.begin(), values.end());
  const double position = probability * static_cast<double>(values.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  const std::size_t above = std::min(below + 1, values.size() - 1);
  const double fraction = position - static_cast<double>(below);
  return values[below] + fraction * (values[above] - values[below]);
}

Interval PercentileInterval(std::span<const double> replicates, double level) {
  const double alpha = 1.0 - level;
  std::vector<double> values(replicates.begin(), replicates.end());
  return Interval{Quantile(values, alpha / 2.0), Quantile(values, 1.0 - alpha / 2.0), level,
                  "bootstrap_percentile"};
}

Interval PercentileInterval(const BootstrapAuc& bootstrap, double level) {
  return PercentileInterval(bootstrap.replicates, level);
}

double ReplicateVariance(std::span<const double> replicates) {
  double mean = 0.0, squares = 0.0;
  for (double r : replicates) mean += r;
  mean /= static_cast<double>(replicates.size());
  for (double r : replicates) squares += (r - mean) * (r - mean);
  return squares / static_cast<double>(replicates.size() - 1);
}

std::optional<Interval> BcaInterval(const BootstrapAuc& bootstrap, double level) {
  const auto count = static_cast<double>(bootstrap.replicates.size());
  const bool no_spread = std::all_of(bootstrap.replicates.begin(), bootstrap.replicates.end(),
                                     [&bootstrap](double value) { return value == bootstrap.auc; });
  if (no_spread) return std::nullopt;
  double below = 0.0;
  for (double value : bootstrap.replicates) {
    if (value < bootstrap.auc) below += 1.0;
    if (value == bootstrap.auc) below += 0.5;
  }
  if (below <= 0.0 || below >= count) return std::nullopt;
  const double bias = NormalQuantile(below / count);

  // Acceleration from the jackknife's skewness.
  double mean = 0.0;
  for (double value : bootstrap.jackknife) mean += value;
  mean /= static_cast<double>(bootstrap.jackknife.size());
  double squares = 0.0, cubes = 0.0;
  for (double value : bootstrap.jackknife) {
    const double d = mean - value;
    squares += d * d;
    cubes += d * d * d;
  }
  const double acceleration = squares > 0.0 ? cubes / (6.0 * std::pow(squares, 1.5)) : 0.0;

  auto adjusted = [&](double probability) {
    const double z = NormalQuantile(probability);
    return NormalCdf(bias + (bias + z) / (1.0 - acceleration * (bias + z)));
  };
  const double alpha = 1.0 - level;
  return Interval{Quantile(bootstrap.replicates, adjusted(alpha / 2.0)),
                  Quantile(bootstrap.replicates, adjusted(1.0 - alpha / 2.0)), level,
                  "bootstrap_bca"};
}

}  // namespace assay::stats
