#include "assay/stats/label_free.h"

#include <fmt/format.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <Eigen/Dense>
#include <algorithm>
#include <array>
#include <boost/math/distributions/chi_squared.hpp>
#include <cmath>
#include <numeric>

#include "assay/core/random.h"
#include "assay/stats/bootstrap.h"
#include "assay/stats/logistic.h"

namespace assay::stats {
namespace {

constexpr double kClip = 1e-12;  // as calibration.h clips before the logit
constexpr std::size_t kMinimumReferenceCases = 10;
constexpr std::size_t kHosmerLemeshowGroups = 10;
constexpr double kCalibrationAlpha = 0.05;
// The Platt fit has no penalty in principle; FitLogistic needs one > 0, and
// this one moves a standardized slope by a relative 1e-9 / n at most.
constexpr double kPlattPenalty = 1e-9;
constexpr std::uint64_t kCbpePurpose = PurposeId("label_free_cbpe");
constexpr std::uint64_t kAtcPurpose = PurposeId("label_free_atc");
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double Logit(double p) {
  p = std::clamp(p, kClip, 1.0 - kClip);
  return std::log(p / (1.0 - p));
}

double Expit(double x) { return 1.0 / (1.0 + std::exp(-x)); }

double Ratio(double numerator, double denominator) {
  return denominator > 0.0 ? numerator / denominator : kNaN;
}

// --- input checks ------------------------------------------------------------

Status CheckOptions(const LabelFreeOptions& options) {
  if (!(options.level > 0.0 && options.level < 1.0)) {
    return InvalidInput(fmt::format("level {} is not in (0, 1)", options.level));
  }
  if (options.replicates < 1) return InvalidInput("bootstrap replicates must be at least 1");
  return Status::Ok();
}

Status CheckScores(std::span<const double> score, const char* what) {
  if (score.empty()) return InvalidInput(fmt::format("{}: no cases", what));
  for (std::size_t i = 0; i < score.size(); ++i) {
    if (!std::isfinite(score[i])) {
      return InvalidInput(
          fmt::format("{}: case {} has score {}, not a finite number", what, i, score[i]));
    }
  }
  return Status::Ok();
}

Status CheckLabelled(std::span<const double> score, std::span<const std::uint8_t> truth,
                     const char* what) {
  if (score.size() != truth.size()) {
    return InvalidInput(
        fmt::format("{}: {} scores but {} truth values", what, score.size(), truth.size()));
  }
  ASSAY_RETURN_IF_ERROR(CheckScores(score, what));
  for (std::size_t i = 0; i < truth.size(); ++i) {
    if (truth[i] > 1) {
      return InvalidInput(
          fmt::format("{}: case {} has truth {}, not 0 or 1", what, i, int{truth[i]}));
    }
  }
  return Status::Ok();
}

Status CheckThreshold(double threshold) {
  if (!std::isfinite(threshold)) {
    return InvalidInput(fmt::format("threshold {} is not a finite number", threshold));
  }
  return Status::Ok();
}

// True when some cut point has every positive on one side and every negative
// on the other (ties at the cut allowed): the logistic likelihood then has no
// maximum, and no finite map exists.
bool SeparatesClasses(std::span<const double> score, std::span<const std::uint8_t> truth) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  double min_positive = kInf, max_positive = -kInf, min_negative = kInf, max_negative = -kInf;
  for (std::size_t i = 0; i < score.size(); ++i) {
    if (truth[i] != 0) {
      min_positive = std::min(min_positive, score[i]);
      max_positive = std::max(max_positive, score[i]);
    } else {
      min_negative = std::min(min_negative, score[i]);
      max_negative = std::max(max_negative, score[i]);
    }
  }
  return max_negative <= min_positive || max_positive <= min_negative;
}

// --- reference calibration -----------------------------------------------------

// Platt scaling: logit P(y) = a + b * score, fitted on the standardized score
// (for conditioning) and mapped back. Requires varying, non-separating scores.
Result<std::pair<double, double>> FitPlatt(std::span<const double> score,
                                           std::span<const std::uint8_t> truth) {
  const auto n = static_cast<double>(score.size());
  const double mean = std::accumulate(score.begin(), score.end(), 0.0) / n;
  double squares = 0.0;
  for (double s : score) squares += (s - mean) * (s - mean);
  const double scale = std::sqrt(squares / n);

  Eigen::MatrixXd x(static_cast<Eigen::Index>(score.size()), 1);
  for (std::size_t i = 0; i < score.size(); ++i) {
    x(static_cast<Eigen::Index>(i), 0) = (score[i] - mean) / scale;
  }
  const LogisticFit fit = FitLogistic(x, truth, kPlattPenalty);
  if (!fit.converged || !fit.coefficients.allFinite()) {
    return NotEvaluable("the logistic map of the reference scores did not converge");
  }
  const double slope = fit.coefficients[1] / scale;
  return std::make_pair(fit.coefficients[0] - slope * mean, slope);
}

bool Covers(const Interval& interval, double value) {
  return interval.lower <= value && value <= interval.upper;
}

std::string DescribeInterval(const Coefficient& coefficient) {
  return fmt::format("{:.2f}, {:g}% CI {:.2f} to {:.2f}", coefficient.estimate,
                     100.0 * coefficient.interval.level, coefficient.interval.lower,
                     coefficient.interval.upper);
}

// Why probability scores failed the calibration check, as a list.
std::string MiscalibrationReasons(const ReferenceCalibration& c) {
  std::vector<std::string> reasons;
  if (c.hosmer_lemeshow->p_value < kCalibrationAlpha) {
    reasons.push_back(fmt::format("Hosmer-Lemeshow p = {:.2g}", c.hosmer_lemeshow->p_value));
  }
  if (!Covers(c.recalibration->slope.interval, 1.0)) {
    reasons.push_back(
        fmt::format("calibration slope {}, excludes 1", DescribeInterval(c.recalibration->slope)));
  }
  if (!Covers(c.recalibration->calibration_in_the_large.interval, 0.0)) {
    reasons.push_back(fmt::format("calibration-in-the-large {}, excludes 0",
                                  DescribeInterval(c.recalibration->calibration_in_the_large)));
  }
  return fmt::format("{}", fmt::join(reasons, "; "));
}

std::string DescribeCalibration(const ReferenceCalibration& c) {
  std::string note;
  if (c.calibrated) {
    note = fmt::format(
        "scores are calibrated on the reference (Hosmer-Lemeshow p = {:.2g}; calibration slope "
        "{}); CBPE and ATC use the scores as probabilities",
        c.hosmer_lemeshow->p_value, DescribeInterval(c.recalibration->slope));
  } else if (c.scores_are_probabilities) {
    note = fmt::format(
        "scores are not calibrated on the reference ({}); CBPE and ATC use probabilities "
        "recalibrated on the reference",
        MiscalibrationReasons(c));
  } else {
    note =
        "scores are not probabilities (some lie outside [0, 1]); CBPE and ATC use probabilities "
        "from a logistic map of the score fitted on the reference (Platt scaling)";
  }
  if (!c.calibrated && c.map_fit.p_value < kCalibrationAlpha) {
    note += fmt::format(
        "; the map itself fits the reference poorly (Hosmer-Lemeshow p = {:.2g}), so the "
        "estimates may be biased",
        c.map_fit.p_value);
  }
  return note;
}

// --- CBPE ----------------------------------------------------------------------

enum Metric : std::size_t {
  kSensitivity,
  kSpecificity,
  kAccuracy,
  kPositivePredictive,
  kNegativePredictive,
  kPrevalence,
  kAuc,
  kMetricCount
};
using Metrics = std::array<double, kMetricCount>;

struct ConfusionCounts {
  double true_positives = 0, false_positives = 0, true_negatives = 0, false_negatives = 0;
};

// Every metric but the AUC, from (expected or realized) counts.
Metrics FromCounts(const ConfusionCounts& c) {
  const double positives = c.true_positives + c.false_negatives;
  const double negatives = c.true_negatives + c.false_positives;
  Metrics m{};
  m[kSensitivity] = Ratio(c.true_positives, positives);
  m[kSpecificity] = Ratio(c.true_negatives, negatives);
  m[kAccuracy] = Ratio(c.true_positives + c.true_negatives, positives + negatives);
  m[kPositivePredictive] = Ratio(c.true_positives, c.true_positives + c.false_positives);
  m[kNegativePredictive] = Ratio(c.true_negatives, c.true_negatives + c.false_negatives);
  m[kPrevalence] = Ratio(positives, positives + negatives);
  return m;
}

// Target cases in ascending score order.
struct SortedTarget {
  std::vector<double> probability;
  std::vector<std::uint8_t> called;      // score >= threshold
  std::vector<std::uint8_t> ends_group;  // 1 where the next position has a higher score
};

SortedTarget SortTarget(std::span<const double> score, std::span<const double> probability,
                        double threshold) {
  const std::size_t n = score.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&score](std::size_t a, std::size_t b) { return score[a] < score[b]; });
  SortedTarget sorted;
  sorted.probability.resize(n);
  sorted.called.resize(n);
  sorted.ends_group.resize(n);
  for (std::size_t k = 0; k < n; ++k) {
    sorted.probability[k] = probability[order[k]];
    sorted.called[k] = score[order[k]] >= threshold ? 1 : 0;
    sorted.ends_group[k] = k + 1 == n || score[order[k + 1]] > score[order[k]] ? 1 : 0;
  }
  return sorted;
}

// The AUC expected under independent Bernoulli(q) labels: expected concordant
// pairs over expected positive-negative pairs, a case never paired with itself.
double ExpectedAuc(const SortedTarget& t) {
  double negatives_below = 0.0, concordant = 0.0;
  double group_positive = 0.0, group_negative = 0.0, group_self = 0.0;
  double total_positive = 0.0, total_self = 0.0;
  for (std::size_t k = 0; k < t.probability.size(); ++k) {
    const double q = t.probability[k];
    group_positive += q;
    group_negative += 1.0 - q;
    group_self += q * (1.0 - q);
    if (!t.ends_group[k]) continue;
    concordant +=
        group_positive * negatives_below + 0.5 * (group_positive * group_negative - group_self);
    negatives_below += group_negative;
    total_positive += group_positive;
    total_self += group_self;
    group_positive = group_negative = group_self = 0.0;
  }
  return Ratio(concordant, total_positive * negatives_below - total_self);
}

Metrics ExpectedMetrics(const SortedTarget& t, ConfusionCounts& expected) {
  for (std::size_t k = 0; k < t.probability.size(); ++k) {
    const double q = t.probability[k];
    if (t.called[k]) {
      expected.true_positives += q;
      expected.false_positives += 1.0 - q;
    } else {
      expected.false_negatives += q;
      expected.true_negatives += 1.0 - q;
    }
  }
  Metrics m = FromCounts(expected);
  m[kAuc] = ExpectedAuc(t);
  return m;
}

// One replicate: Poisson(1) weights and Bernoulli(q) labels, in sorted order,
// and the metrics realized on that weighted, labelled sample.
Metrics CbpeReplicate(const SortedTarget& t, std::uint64_t seed, std::size_t replicate) {
  RandomStream stream(seed, kCbpePurpose, replicate);
  std::array<std::uint64_t, 4> counts{};  // TP, FP, TN, FN
  std::uint64_t doubled = 0, negatives_below = 0, group_positive = 0, group_negative = 0;
  std::uint64_t total_positive = 0;
  for (std::size_t k = 0; k < t.probability.size(); ++k) {
    const std::uint64_t w = PoissonOne(stream);
    const bool positive = stream.NextUniform() < t.probability[k];
    counts[t.called[k] ? (positive ? 0 : 1) : (positive ? 3 : 2)] += w;
    (positive ? group_positive : group_negative) += w;
    if (!t.ends_group[k]) continue;
    doubled += group_positive * (2 * negatives_below + group_negative);
    negatives_below += group_negative;
    total_positive += group_positive;
    group_positive = group_negative = 0;
  }
  const auto as_double = [](std::uint64_t v) { return static_cast<double>(v); };
  Metrics m = FromCounts(
      {as_double(counts[0]), as_double(counts[1]), as_double(counts[2]), as_double(counts[3])});
  m[kAuc] = Ratio(as_double(doubled), 2.0 * as_double(total_positive) * as_double(negatives_below));
  return m;
}

// Percentile interval of the replicates that are defined; NaN when the
// estimate or every replicate is undefined.
LabelFreeMetric WithInterval(double estimate, std::vector<double> replicates, double level) {
  std::erase_if(replicates, [](double v) { return std::isnan(v); });
  LabelFreeMetric metric{estimate, Interval{kNaN, kNaN, level, "bootstrap_percentile"}};
  if (std::isnan(estimate) || replicates.empty()) return metric;
  metric.interval = PercentileInterval(replicates, level);
  return metric;
}

// --- ATC -----------------------------------------------------------------------

double Confidence(double q) { return std::max(q, 1.0 - q); }

// Reference cases in descending confidence order.
struct SortedReference {
  std::vector<double> confidence;
  std::vector<std::uint8_t> correct;     // called class equals truth
  std::vector<std::uint8_t> ends_block;  // 1 where the next position has a lower confidence
};

SortedReference SortReference(std::span<const double> confidence,
                              std::span<const std::uint8_t> correct) {
  const std::size_t n = confidence.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&confidence](std::size_t a, std::size_t b) {
    return confidence[a] > confidence[b];
  });
  SortedReference sorted;
  sorted.confidence.resize(n);
  sorted.correct.resize(n);
  sorted.ends_block.resize(n);
  for (std::size_t k = 0; k < n; ++k) {
    sorted.confidence[k] = confidence[order[k]];
    sorted.correct[k] = correct[order[k]];
    sorted.ends_block[k] = k + 1 == n || confidence[order[k + 1]] < confidence[order[k]] ? 1 : 0;
  }
  return sorted;
}

struct AtcThreshold {
  double accuracy = kNaN;
  double tau = kNaN;
  double share_above = kNaN;
};

// Tau on the (weighted) reference: among the cuts between blocks of equal
// confidence, the one whose weighted share above is closest to the weighted
// accuracy (the first such cut from the top on a tie). `weight(k)` gives
// sorted position k's weight; zero-weight positions are absent.
template <typename Weight>
AtcThreshold ChooseTau(const SortedReference& r, Weight weight) {
  std::vector<std::uint64_t> w(r.confidence.size());
  std::uint64_t total = 0, correct = 0;
  for (std::size_t k = 0; k < w.size(); ++k) {
    w[k] = weight(k);
    total += w[k];
    correct += r.correct[k] ? w[k] : 0;
  }
  if (total == 0) return {};
  const auto target = static_cast<double>(correct);
  double best_gap = target, best_above = 0.0, pending_confidence = kNaN, tau = kNaN;
  std::uint64_t above = 0, block = 0;
  for (std::size_t k = 0; k < w.size(); ++k) {
    block += w[k];
    if (!r.ends_block[k] || block == 0) continue;
    const double c = r.confidence[k];
    if (std::isnan(tau)) tau = c;  // the cut above everything
    if (!std::isnan(pending_confidence)) tau = 0.5 * (pending_confidence + c);
    pending_confidence = kNaN;
    above += block;
    block = 0;
    const double gap = std::abs(static_cast<double>(above) - target);
    if (gap < best_gap) {
      best_gap = gap;
      best_above = static_cast<double>(above);
      pending_confidence = c;  // tau lies below c, set at the next non-empty block
    }
  }
  if (!std::isnan(pending_confidence)) tau = 0.5 * pending_confidence;
  const auto n = static_cast<double>(total);
  return {target / n, tau, best_above / n};
}

// Weighted share of target confidences above tau.
template <typename Weight>
double ShareAbove(std::span<const double> confidence, double tau, Weight weight) {
  std::uint64_t total = 0, above = 0;
  for (std::size_t i = 0; i < confidence.size(); ++i) {
    const std::uint64_t w = weight(i);
    total += w;
    above += confidence[i] > tau ? w : 0;
  }
  return total == 0 ? kNaN : static_cast<double>(above) / static_cast<double>(total);
}

}  // namespace

HosmerLemeshow HosmerLemeshowTest(std::span<const double> probability,
                                  std::span<const std::uint8_t> truth, std::size_t groups) {
  const std::size_t n = probability.size();
  HosmerLemeshow result{kNaN, static_cast<double>(groups) - 2.0, kNaN, groups};
  if (groups < 3 || n < groups) return result;
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&probability](std::size_t a, std::size_t b) {
    return probability[a] < probability[b];
  });

  // Observed and expected positives and size of each group.
  std::vector<double> observed(groups), expected(groups), size(groups);
  for (std::size_t rank = 0; rank < n; ++rank) {
    const std::size_t g = rank * groups / n, i = order[rank];
    observed[g] += truth[i];
    expected[g] += probability[i];
    size[g] += 1.0;
  }
  double statistic = 0.0;
  for (std::size_t g = 0; g < groups; ++g) {
    const double difference = observed[g] - expected[g];
    const double variance = expected[g] * (1.0 - expected[g] / size[g]);
    if (variance > 0.0) {
      statistic += difference * difference / variance;
    } else if (difference != 0.0) {
      statistic = std::numeric_limits<double>::infinity();
    }
  }
  result.statistic = statistic;
  result.p_value =
      std::isinf(statistic)
          ? 0.0
          : boost::math::cdf(boost::math::complement(
                boost::math::chi_squared_distribution<double>(result.degrees_of_freedom),
                statistic));
  return result;
}

Result<ReferenceCalibration> CheckReferenceCalibration(std::span<const double> score,
                                                       std::span<const std::uint8_t> truth,
                                                       double level) {
  ASSAY_RETURN_IF_ERROR(CheckLabelled(score, truth, "reference"));
  if (!(level > 0.0 && level < 1.0)) {
    return InvalidInput(fmt::format("level {} is not in (0, 1)", level));
  }
  if (score.size() < kMinimumReferenceCases) {
    return InvalidInput(fmt::format("reference: {} cases; the calibration check needs at least {}",
                                    score.size(), kMinimumReferenceCases));
  }
  ReferenceCalibration result;
  result.cases = score.size();
  result.positives = static_cast<std::size_t>(std::count(truth.begin(), truth.end(), 1));
  if (result.positives == 0 || result.positives == result.cases) {
    return NotEvaluable(fmt::format("reference: no {} cases; calibration needs both classes",
                                    result.positives == 0 ? "positive" : "negative"));
  }
  if (SeparatesClasses(score, truth)) {
    return NotEvaluable(
        "reference: the scores separate the classes perfectly; no calibration map can be fitted");
  }

  result.scores_are_probabilities = ScoresAreProbabilities(score);
  if (result.scores_are_probabilities) {
    result.hosmer_lemeshow = HosmerLemeshowTest(score, truth, kHosmerLemeshowGroups);
    auto fit = FitLogisticRecalibration(score, truth, level);
    if (!fit.ok()) return fit.status();
    result.recalibration = *fit;
    result.map_intercept = fit->intercept.estimate;
    result.map_slope = fit->slope.estimate;
    result.calibrated = result.hosmer_lemeshow->p_value >= kCalibrationAlpha &&
                        Covers(fit->slope.interval, 1.0) &&
                        Covers(fit->calibration_in_the_large.interval, 0.0);
  } else {
    auto platt = FitPlatt(score, truth);
    if (!platt.ok()) return platt.status();
    std::tie(result.map_intercept, result.map_slope) = *platt;
    result.map_on_logit = false;
  }

  // The map's own fit, judged on the probabilities it gives.
  std::vector<double> mapped(score.size());
  for (std::size_t i = 0; i < score.size(); ++i) {
    const double x = result.map_on_logit ? Logit(score[i]) : score[i];
    mapped[i] = Expit(result.map_intercept + result.map_slope * x);
  }
  result.map_fit = HosmerLemeshowTest(mapped, truth, kHosmerLemeshowGroups);
  result.note = DescribeCalibration(result);
  return result;
}

double CalibratedProbability(const ReferenceCalibration& calibration, double score) {
  if (calibration.calibrated) return std::clamp(score, 0.0, 1.0);
  const double x = calibration.map_on_logit ? Logit(score) : score;
  return Expit(calibration.map_intercept + calibration.map_slope * x);
}

std::vector<double> CalibratedProbabilities(const ReferenceCalibration& calibration,
                                            std::span<const double> score) {
  std::vector<double> probability(score.size());
  std::transform(score.begin(), score.end(), probability.begin(),
                 [&calibration](double s) { return CalibratedProbability(calibration, s); });
  return probability;
}

Result<CbpeEstimate> EstimateCbpe(std::span<const double> score,
                                  std::span<const double> probability, double threshold,
                                  const LabelFreeOptions& options) {
  ASSAY_RETURN_IF_ERROR(CheckOptions(options));
  ASSAY_RETURN_IF_ERROR(CheckThreshold(threshold));
  ASSAY_RETURN_IF_ERROR(CheckScores(score, "target"));
  if (probability.size() != score.size()) {
    return InvalidInput(
        fmt::format("target: {} scores but {} probabilities", score.size(), probability.size()));
  }
  for (std::size_t i = 0; i < probability.size(); ++i) {
    if (!(probability[i] >= 0.0 && probability[i] <= 1.0)) {
      return InvalidInput(
          fmt::format("target: case {} has probability {}, not in [0, 1]", i, probability[i]));
    }
  }

  const SortedTarget sorted = SortTarget(score, probability, threshold);
  ConfusionCounts expected;
  const Metrics estimate = ExpectedMetrics(sorted, expected);

  std::array<std::vector<double>, kMetricCount> replicates;
  for (auto& values : replicates) values.resize(options.replicates);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, options.replicates),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      for (std::size_t r = range.begin(); r != range.end(); ++r) {
                        const Metrics m = CbpeReplicate(sorted, options.seed, r);
                        for (std::size_t k = 0; k < kMetricCount; ++k) replicates[k][r] = m[k];
                      }
                    });

  CbpeEstimate result;
  result.cases = score.size();
  result.threshold = threshold;
  result.expected_true_positives = expected.true_positives;
  result.expected_false_positives = expected.false_positives;
  result.expected_true_negatives = expected.true_negatives;
  result.expected_false_negatives = expected.false_negatives;
  const auto metric = [&](Metric k) {
    return WithInterval(estimate[k], std::move(replicates[k]), options.level);
  };
  result.sensitivity = metric(kSensitivity);
  result.specificity = metric(kSpecificity);
  result.accuracy = metric(kAccuracy);
  result.positive_predictive_value = metric(kPositivePredictive);
  result.negative_predictive_value = metric(kNegativePredictive);
  result.prevalence = metric(kPrevalence);
  result.auc = metric(kAuc);
  return result;
}

Result<AtcEstimate> EstimateAtc(const ReferenceCalibration& calibration,
                                std::span<const double> reference_score,
                                std::span<const std::uint8_t> reference_truth,
                                std::span<const double> target_score, double threshold,
                                const LabelFreeOptions& options) {
  ASSAY_RETURN_IF_ERROR(CheckOptions(options));
  ASSAY_RETURN_IF_ERROR(CheckThreshold(threshold));
  ASSAY_RETURN_IF_ERROR(CheckLabelled(reference_score, reference_truth, "reference"));
  ASSAY_RETURN_IF_ERROR(CheckScores(target_score, "target"));

  std::vector<double> reference_confidence(reference_score.size());
  std::vector<std::uint8_t> correct(reference_score.size());
  for (std::size_t i = 0; i < reference_score.size(); ++i) {
    reference_confidence[i] = Confidence(CalibratedProbability(calibration, reference_score[i]));
    correct[i] = (reference_score[i] >= threshold) == (reference_truth[i] != 0) ? 1 : 0;
  }
  std::vector<double> target_confidence(target_score.size());
  for (std::size_t i = 0; i < target_score.size(); ++i) {
    target_confidence[i] = Confidence(CalibratedProbability(calibration, target_score[i]));
  }
  const SortedReference sorted = SortReference(reference_confidence, correct);
  const auto unit = [](std::size_t) { return std::uint64_t{1}; };
  const AtcThreshold fitted = ChooseTau(sorted, unit);

  // Replicate r weighs the reference (sub-stream 0, in sorted order) and the
  // target (sub-stream 1, in case order) with Poisson(1) counts.
  std::vector<double> replicates(options.replicates);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, options.replicates),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      for (std::size_t r = range.begin(); r != range.end(); ++r) {
                        RandomStream reference(options.seed, kAtcPurpose, r, 0);
                        RandomStream target(options.seed, kAtcPurpose, r, 1);
                        const AtcThreshold refit = ChooseTau(
                            sorted, [&reference](std::size_t) { return PoissonOne(reference); });
                        replicates[r] =
                            std::isnan(refit.tau)
                                ? kNaN
                                : ShareAbove(target_confidence, refit.tau,
                                             [&target](std::size_t) { return PoissonOne(target); });
                      }
                    });

  AtcEstimate result;
  result.reference_accuracy = fitted.accuracy;
  result.confidence_threshold = fitted.tau;
  result.reference_share_above = fitted.share_above;
  result.accuracy = WithInterval(ShareAbove(target_confidence, fitted.tau, unit),
                                 std::move(replicates), options.level);
  return result;
}

}  // namespace assay::stats
