// Label-free performance estimation: a binary classifier's performance on
// deployment (target) cases whose labels are not yet known, from its scores
// there and a labelled reference cohort.
//
// CheckReferenceCalibration decides, on the reference, whether the scores can
// be read as probabilities P(y = 1 | score) and otherwise fits a logistic map
// that makes them so (Platt scaling; on logit(score) when the scores are
// probabilities). Two estimators use those probabilities q:
//  - CBPE (confidence-based performance estimation, as in NannyML): the
//    expected confusion matrix and ROC AUC when each target label is an
//    independent Bernoulli(q) draw.
//  - ATC (average thresholded confidence, Garg et al. 2022): the share of
//    target cases whose confidence max(q, 1 - q) exceeds the threshold at
//    which that share equals the accuracy on the reference. Accuracy only.
//
// Assumptions. CBPE is valid when P(y | score) is the same in the target as
// in the reference: covariate shift is allowed (the score distribution may
// change), concept shift is not, and neither is prior (label) shift, which
// changes P(y | score) too. ATC rests on the same assumption and is a
// heuristic even then. Nothing here can detect a violation: without labels
// a concept shift looks like no shift.
//
// Intervals are percentile bootstraps. CBPE's replicates draw Poisson(1)
// case weights and labels y ~ Bernoulli(q), so they cover the metric
// realized on the target cases (and the target population's metric) if the
// probabilities are right; they do not carry the error of the map fitted on
// the reference. ATC's replicates resample the reference (refitting the
// threshold) and the target: they carry ATC's sampling error, not its bias.
// Replicate r draws from RandomStream(seed, purpose, r, ...): results are the
// same for any number of threads. Pure functions; thread-safe.
//
// Usage:
//   auto calibration = CheckReferenceCalibration(reference_score, reference_truth, 0.95);
//   if (!calibration.ok()) return calibration.status();
//   auto q = CalibratedProbabilities(*calibration, target_score);
//   auto cbpe = EstimateCbpe(target_score, q, threshold, {});
//   auto atc = EstimateAtc(*calibration, reference_score, reference_truth, target_score,
//                          threshold, {});
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "assay/core/status.h"
#include "assay/stats/calibration.h"
#include "assay/stats/interval.h"

namespace assay::stats {

struct HosmerLemeshow {
  double statistic = 0.0;
  double degrees_of_freedom = 0.0;  // groups - 2
  double p_value = 1.0;             // chi-square upper tail
  std::size_t groups = 0;
};

// The Hosmer-Lemeshow goodness-of-fit test of probabilities against 0/1
// outcomes: cases sorted by probability (ties kept in case order) are cut into
// `groups` groups of nearly equal size (case at rank k joins group
// k * groups / n), and the statistic sums (O - E)^2 / (E (1 - E / n_g)) over
// groups, O and E the observed and expected positives. A group whose
// expected count is 0 or n_g adds 0 when O = E and makes the statistic
// infinite (p = 0) otherwise. Requires n >= groups >= 3.
HosmerLemeshow HosmerLemeshowTest(std::span<const double> probability,
                                  std::span<const std::uint8_t> truth, std::size_t groups = 10);

struct ReferenceCalibration {
  std::size_t cases = 0;
  std::size_t positives = 0;
  bool scores_are_probabilities = false;  // every score in [0, 1]
  // Of the scores themselves (10 groups), when they are probabilities.
  std::optional<HosmerLemeshow> hosmer_lemeshow;
  // Logistic recalibration (slope, intercept, calibration-in-the-large with
  // Wald intervals), when the scores are probabilities.
  std::optional<LogisticRecalibration> recalibration;
  // Scores are probabilities, Hosmer-Lemeshow p >= 0.05, the slope's interval
  // covers 1 and calibration-in-the-large's covers 0. Then the scores are
  // used as they are; otherwise the map below.
  bool calibrated = false;
  // The map q = 1 / (1 + exp(-(map_intercept + map_slope * x))), with
  // x = logit(score clipped to [1e-12, 1 - 1e-12]) when map_on_logit (the
  // scores are probabilities: the recalibration's fit), else x = score.
  double map_intercept = 0.0;
  double map_slope = 1.0;
  bool map_on_logit = true;
  HosmerLemeshow map_fit;  // of the map's probabilities on the reference
  std::string note;        // plain-language summary of the above, for reports
};

// Checks the scores' calibration on a labelled reference cohort and fits the
// map CBPE and ATC use. `truth` is 1 (positive) or 0 per case; `level` sets the
// recalibration intervals. Fails with kInvalidInput when the sizes differ, a
// score is not finite, a truth value is not 0 or 1, the level is not in
// (0, 1), or there are fewer than 10 cases; with kNotEvaluable when a class is
// absent or the scores separate the classes (no finite map exists).
Result<ReferenceCalibration> CheckReferenceCalibration(std::span<const double> score,
                                                       std::span<const std::uint8_t> truth,
                                                       double level);

// The probability CBPE and ATC use for `score`: the score itself (clamped to
// [0, 1]) when the reference found it calibrated, else the map's value.
double CalibratedProbability(const ReferenceCalibration& calibration, double score);
std::vector<double> CalibratedProbabilities(const ReferenceCalibration& calibration,
                                            std::span<const double> score);

struct LabelFreeOptions {
  double level = 0.95;
  std::size_t replicates = 1000;  // bootstrap replicates, >= 1
  std::uint64_t seed = 20240101;
};

struct LabelFreeMetric {
  // NaN when its expected denominator is 0 (e.g. PPV with no case called
  // positive); the interval is then NaN too. Replicates in which the metric is
  // undefined are left out of the interval.
  double estimate = std::numeric_limits<double>::quiet_NaN();
  Interval interval;  // "bootstrap_percentile"
};

struct CbpeEstimate {
  std::size_t cases = 0;
  double threshold = 0.0;  // a case is called positive when score >= threshold
  double expected_true_positives = 0.0;
  double expected_false_positives = 0.0;
  double expected_true_negatives = 0.0;
  double expected_false_negatives = 0.0;
  LabelFreeMetric sensitivity;
  LabelFreeMetric specificity;
  LabelFreeMetric accuracy;
  LabelFreeMetric positive_predictive_value;
  LabelFreeMetric negative_predictive_value;
  LabelFreeMetric prevalence;
  // Expected concordant pairs over expected positive-negative pairs,
  // sum_{i != j} q_i (1 - q_j) K(s_i, s_j) / sum_{i != j} q_i (1 - q_j), with
  // K = 1 when s_i > s_j and 1/2 when tied; O(n log n).
  LabelFreeMetric auc;
};

// CBPE on target cases: `score` oriented (higher = more likely positive) and
// `probability` each case's calibrated probability (CalibratedProbabilities).
// E[TP] = sum q_i [s_i >= threshold], E[FN] = sum q_i [s_i < threshold], and
// likewise with 1 - q_i for FP and TN; the metrics are ratios of these.
// Fails with kInvalidInput when the inputs are empty or differ in size, a
// score or the threshold is not finite, a probability is outside [0, 1], or
// the options are out of range.
Result<CbpeEstimate> EstimateCbpe(std::span<const double> score,
                                  std::span<const double> probability, double threshold,
                                  const LabelFreeOptions& options);

struct AtcEstimate {
  double reference_accuracy = 0.0;     // at the operating threshold
  double confidence_threshold = 0.0;   // tau: reference share with confidence > tau = accuracy
  double reference_share_above = 0.0;  // that share (equal to the accuracy up to ties)
  LabelFreeMetric accuracy;            // target share with confidence > tau
};

// ATC with confidence max(q, 1 - q), q = CalibratedProbability. Tau is chosen
// between two adjacent distinct reference confidences (their midpoint; half
// the smallest when every case counts, the largest when none does) so that
// the share above it is as close as ties allow to the reference accuracy at
// `threshold` (score >= threshold called positive). Fails with kInvalidInput
// on empty or mismatched inputs, non-finite scores or threshold, truth values
// other than 0/1, or options out of range.
Result<AtcEstimate> EstimateAtc(const ReferenceCalibration& calibration,
                                std::span<const double> reference_score,
                                std::span<const std::uint8_t> reference_truth,
                                std::span<const double> target_score, double threshold,
                                const LabelFreeOptions& options);

}  // namespace assay::stats
