// Empirical ROC analysis: the curve, AUC, partial AUC and DeLong variances.
//
// Inputs are the scores of positive and negative cases, oriented so that a
// higher score means "more likely positive" (callers negate scores for
// `--direction lower`). A case is called positive at threshold t when its
// score is >= t. The AUC is the Mann–Whitney statistic with ties counted one
// half. Variances follow DeLong, DeLong & Clarke-Pearson (1988), computed in
// O(n log n) from placement values as in Sun & Xu (2014); clustered data use
// Obuchowski (1997). Pure functions; thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace assay::stats {

// Scores of each class, sorted ascending.
struct SortedScores {
  std::vector<double> positives;
  std::vector<double> negatives;
};

// Copies and sorts the scores of each class (in parallel, with Boost's float sort).
SortedScores SortScores(std::span<const double> positives, std::span<const double> negatives);
// Sorts the given vectors in place, without a copy.
SortedScores SortScores(std::vector<double>&& positives, std::vector<double>&& negatives);
// Splits case scores by truth (1 = positive) and sorts each class; the two
// classes are gathered and sorted in parallel.
SortedScores SplitAndSortScores(std::span<const double> score, std::span<const std::uint8_t> truth);

struct RocPoint {
  double threshold;  // cases with score >= threshold are called positive
  std::uint64_t true_positives;
  std::uint64_t false_positives;
  double sensitivity;
  double specificity;
};

// One point per distinct score, from the highest threshold (+inf: nothing
// called positive) down to the lowest score (everything positive).
std::vector<RocPoint> RocCurve(const SortedScores& scores);

// Calls visit(const RocPoint&) for each point of RocCurve(scores), in the
// same order, without storing the curve (it has as many points as cases).
template <typename Visit>
void ForEachRocPoint(const SortedScores& scores, Visit visit);

// AUC and its DeLong variance, with the placement values they come from.
// V10[i] = P(negative < positive i) + P(tie)/2 over negatives, and
// V01[j] = P(positive > negative j) + P(tie)/2 over positives, each in the
// sorted order of its class.
struct DelongAuc {
  double auc = 0.0;
  double variance = 0.0;
  std::vector<double> positive_placements;  // V10
  std::vector<double> negative_placements;  // V01
};

// Requires at least one score of each class; the variance needs two of each
// (it is NaN otherwise).
DelongAuc Delong(const SortedScores& scores);

// AUC and DeLong variance only, from running sums over the placements
// without storing them: half the memory and time of Delong().
struct AucVariance {
  double auc = 0.0;
  double variance = 0.0;
};
AucVariance DelongSummary(const SortedScores& scores);

// Placement of one score among the sorted scores of the other class:
// (#below + #equal / 2) / size.
double PlacementAmong(std::span<const double> sorted_other_class, double score);

// Paired DeLong comparison of two scores measured on the same cases.
struct PairedDelong {
  double auc_first = 0.0;
  double auc_second = 0.0;
  double difference = 0.0;  // first - second
  double variance = 0.0;    // of the difference
  double z = 0.0;
  double p_value = 1.0;  // two-sided
};
// `first` and `second` hold each case's two scores; `truth` marks positives.
// The variance is NaN with fewer than two cases of a class.
PairedDelong ComparePairedDelong(std::span<const double> first, std::span<const double> second,
                                 std::span<const std::uint8_t> truth);

// Obuchowski's (1997) clustered AUC: several cases per cluster (patient).
struct ClusteredAuc {
  double auc = 0.0;
  double variance = 0.0;
  double design_effect = 0.0;  // clustered variance / DeLong variance
  std::size_t clusters = 0;
};
// `cluster` gives each case's cluster code in [0, cluster_count). The
// variance (and design effect) is NaN unless at least two clusters hold
// positives and two hold negatives.
ClusteredAuc ObuchowskiClusteredAuc(std::span<const double> score,
                                    std::span<const std::uint8_t> truth,
                                    std::span<const std::uint32_t> cluster,
                                    std::size_t cluster_count);

enum class PartialAucFocus { kSpecificity, kSensitivity };

struct PartialAuc {
  double raw = 0.0;           // area over the range
  double standardized = 0.0;  // McClish (1989): 0.5 = chance, 1 = perfect
};
// Area under the empirical ROC curve (linear between points) where the
// focused quantity lies in [from, to] (0 <= from < to <= 1), standardized as
// McClish proposed.
PartialAuc ComputePartialAuc(const std::vector<RocPoint>& curve, PartialAucFocus focus, double from,
                             double to);

template <typename Visit>
void ForEachRocPoint(const SortedScores& scores, Visit visit) {
  const auto& pos = scores.positives;
  const auto& neg = scores.negatives;
  const auto n1 = static_cast<double>(pos.size());
  const auto n0 = static_cast<double>(neg.size());
  constexpr double kHighest = std::numeric_limits<double>::infinity();
  visit(RocPoint{kHighest, 0, 0, 0.0, 1.0});
  // Walk thresholds from the highest score down; i, j count cases below the threshold.
  std::size_t i = pos.size(), j = neg.size();
  while (i > 0 || j > 0) {
    const double threshold =
        std::max(i > 0 ? pos[i - 1] : -kHighest, j > 0 ? neg[j - 1] : -kHighest);
    while (i > 0 && pos[i - 1] >= threshold) --i;
    while (j > 0 && neg[j - 1] >= threshold) --j;
    const std::uint64_t tp = pos.size() - i;
    const std::uint64_t fp = neg.size() - j;
    visit(RocPoint{threshold, tp, fp, static_cast<double>(tp) / n1,
                   1.0 - static_cast<double>(fp) / n0});
  }
}

}  // namespace assay::stats
