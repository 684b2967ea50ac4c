#include "assay/analysis/evaluation.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/random/binomial_distribution.hpp>
#include <cmath>
#include <span>

#include "assay/core/random.h"
#include "assay/stats/bootstrap.h"
#include "assay/stats/hypothesis_tests.h"

namespace assay::analysis {
namespace {

constexpr std::uint64_t kF1Purpose = PurposeId("bootstrap_f1");
constexpr std::size_t kMaxStoredRocPoints = 2000;

// The cases one set of findings is computed on: all cases or one subgroup.
// Scores are oriented (higher = more likely positive). Move-only: the spans
// may point into its own vectors.
struct CaseView {
  CaseView() = default;
  CaseView(CaseView&&) = default;
  CaseView& operator=(CaseView&&) = default;
  CaseView(const CaseView&) = delete;
  CaseView& operator=(const CaseView&) = delete;

  std::span<const double> score;
  std::span<const std::uint8_t> truth;
  std::span<const std::uint32_t> cluster;  // empty without clusters
  // Storage behind the spans when they cannot point into the table.
  std::vector<double> owned_score;
  std::vector<std::uint8_t> owned_truth;
  std::vector<std::uint32_t> owned_cluster;
  std::size_t cluster_count = 0;
  std::optional<Subgroup> subgroup;
  std::uint64_t positives = 0;
  std::uint64_t negatives = 0;
};

// 2x2 counts at one threshold.
struct Counts {
  std::uint64_t true_positive = 0, false_negative = 0, true_negative = 0, false_positive = 0;
  std::uint64_t positives() const { return true_positive + false_negative; }
  std::uint64_t negatives() const { return true_negative + false_positive; }
};

Counts CountAt(const stats::SortedScores& sorted, double oriented_threshold) {
  auto at_or_above = [oriented_threshold](const std::vector<double>& scores) {
    return static_cast<std::uint64_t>(
        scores.end() - std::lower_bound(scores.begin(), scores.end(), oriented_threshold));
  };
  Counts counts;
  counts.true_positive = at_or_above(sorted.positives);
  counts.false_negative = sorted.positives.size() - counts.true_positive;
  counts.false_positive = at_or_above(sorted.negatives);
  counts.true_negative = sorted.negatives.size() - counts.false_positive;
  return counts;
}

// Design effects of the proportions at one threshold; all empty without clusters.
struct ClusterEffects {
  std::optional<double> sensitivity, specificity, ppv, npv, accuracy;
};

ClusterEffects DesignEffects(const CaseView& view, double oriented_threshold) {
  if (view.cluster_count == 0) return {};
  // Per cluster: true positives, positives, true negatives, negatives, called positive.
  const std::size_t k = view.cluster_count;
  std::vector<std::uint64_t> tp(k), pos(k), tn(k), neg(k), called(k), correct(k), all(k);
  for (std::size_t i = 0; i < view.score.size(); ++i) {
    const std::uint32_t c = view.cluster[i];
    const bool positive_call = view.score[i] >= oriented_threshold;
    if (view.truth[i]) {
      ++pos[c];
      tp[c] += positive_call;
    } else {
      ++neg[c];
      tn[c] += !positive_call;
    }
    called[c] += positive_call;
    correct[c] += positive_call == static_cast<bool>(view.truth[i]);
    ++all[c];
  }
  std::vector<std::uint64_t> not_called(k);
  for (std::size_t c = 0; c < k; ++c) not_called[c] = all[c] - called[c];
  return {stats::ClusterDesignEffect(tp, pos), stats::ClusterDesignEffect(tn, neg),
          stats::ClusterDesignEffect(tp, called), stats::ClusterDesignEffect(tn, not_called),
          stats::ClusterDesignEffect(correct, all)};
}

// estimate ± z sqrt(variance), clipped to [0, 1]; nothing when the variance is
// undefined (too few cases or clusters of a class).
std::optional<stats::Interval> AucInterval(double estimate, double variance, double level,
                                           const char* method) {
  if (!std::isfinite(variance) || variance < 0.0) return std::nullopt;
  const double half = stats::NormalQuantileTwoSided(level) * std::sqrt(variance);
  return stats::Interval{std::max(0.0, estimate - half), std::min(1.0, estimate + half), level,
                         method};
}

// Renumbers the clusters present in `cluster` to 0..k-1; returns k.
std::size_t CompactClusters(std::vector<std::uint32_t>& cluster) {
  std::vector<std::uint32_t> seen;
  std::uint32_t next = 0;
  for (auto& c : cluster) {
    if (c >= seen.size()) seen.resize(c + 1, UINT32_MAX);
    if (seen[c] == UINT32_MAX) seen[c] = next++;
    c = seen[c];
  }
  return next;
}

class Evaluator {
 public:
  Evaluator(const data::CaseTable& table, const EvaluationOptions& options)
      : table_(table), options_(options) {}

  Result<Evaluation> Run();

 private:
  double Orient(double score) const {
    return table_.direction == data::ScoreDirection::kHigherIsPositive ? score : -score;
  }
  CaseView MakeView(const std::vector<std::uint8_t>* keep, std::optional<Subgroup> subgroup) const;
  Status ChooseOperatingPoints(const stats::SortedScores& sorted);
  void AddAuc(const CaseView& view, const stats::SortedScores& sorted, double* variance);
  void AddPartialAuc(const CaseView& view, const std::vector<stats::RocPoint>& curve);
  void AddOperatingPoint(const CaseView& view, const stats::SortedScores& sorted,
                         const OperatingPoint& point);
  void AddProportion(const CaseView& view, const OperatingPoint& point, const char* metric,
                     std::uint64_t successes, std::uint64_t trials,
                     std::optional<double> design_effect);
  Finding MakeFinding(const CaseView& view, const char* metric, double estimate,
                      std::optional<stats::Interval> ci) const;
  stats::Interval F1Interval(const Counts& counts) const;
  void AddCalibration(const CaseView& view);
  void AddComparisons(const CaseView& view);
  void AddSubgroups();
  void NoteNotEvaluable(std::string metric, const std::optional<Subgroup>& subgroup,
                        std::string reason) {
    evaluation_.not_evaluable.push_back({std::move(metric), subgroup, std::move(reason)});
  }

  const data::CaseTable& table_;
  const EvaluationOptions& options_;
  Evaluation evaluation_;
};

CaseView Evaluator::MakeView(const std::vector<std::uint8_t>* keep,
                             std::optional<Subgroup> subgroup) const {
  CaseView view;
  view.subgroup = std::move(subgroup);
  const bool oriented = table_.direction == data::ScoreDirection::kHigherIsPositive;
  if (keep == nullptr) {
    // All cases: point into the table; copy only scores that must be negated.
    if (oriented) {
      view.score = table_.score;
    } else {
      for (double s : table_.score) view.owned_score.push_back(-s);
      view.score = view.owned_score;
    }
    view.truth = table_.truth;
    if (table_.cluster) {
      view.cluster = table_.cluster->codes;
      view.cluster_count = table_.cluster->levels.size();
    }
  } else {
    for (std::size_t i = 0; i < table_.size(); ++i) {
      if (!(*keep)[i]) continue;
      view.owned_score.push_back(Orient(table_.score[i]));
      view.owned_truth.push_back(table_.truth[i]);
      if (table_.cluster) view.owned_cluster.push_back(table_.cluster->codes[i]);
    }
    if (table_.cluster) view.cluster_count = CompactClusters(view.owned_cluster);
    view.score = view.owned_score;
    view.truth = view.owned_truth;
    view.cluster = view.owned_cluster;
  }
  view.positives = static_cast<std::uint64_t>(std::count(view.truth.begin(), view.truth.end(), 1));
  view.negatives = view.truth.size() - view.positives;
  return view;
}

Result<Evaluation> Evaluator::Run() {
  const CaseView all = MakeView(nullptr, std::nullopt);
  evaluation_.n = all.score.size();
  evaluation_.n_positive = all.positives;
  evaluation_.n_negative = all.negatives;

  const stats::SortedScores sorted = stats::SplitAndSortScores(all.score, all.truth);
  ASSAY_RETURN_IF_ERROR(ChooseOperatingPoints(sorted));

  double variance = 0.0;
  AddAuc(all, sorted, &variance);
  if (options_.partial_auc) AddPartialAuc(all, stats::RocCurve(sorted));
  for (const auto& point : evaluation_.operating_points) AddOperatingPoint(all, sorted, point);
  AddCalibration(all);
  if (!table_.compare.empty()) AddComparisons(all);
  AddSubgroups();

  // The stored curve is thinned evenly for very large samples; its last point is kept.
  const std::size_t stride = std::max<std::size_t>(1, (evaluation_.n + 1) / kMaxStoredRocPoints);
  std::size_t index = 0;
  stats::RocPoint last{};
  stats::ForEachRocPoint(sorted, [&](stats::RocPoint point) {
    point.threshold = Orient(point.threshold);
    if (index++ % stride == 0) evaluation_.roc_curve.push_back(point);
    last = point;
  });
  if (evaluation_.roc_curve.back().threshold != last.threshold) {
    evaluation_.roc_curve.push_back(last);
  }
  return std::move(evaluation_);
}

Status Evaluator::ChooseOperatingPoints(const stats::SortedScores& sorted) {
  for (double threshold : options_.thresholds) {
    evaluation_.operating_points.push_back({"threshold", threshold, std::nullopt, false});
  }
  // Picks the curve point (finite threshold) passing `keep` with the largest
  // value(point), a pair compared in order (the second breaks ties).
  auto choose = [&](auto keep, auto value) -> std::optional<stats::RocPoint> {
    std::optional<stats::RocPoint> best;
    stats::ForEachRocPoint(sorted, [&](const stats::RocPoint& point) {
      if (std::isinf(point.threshold) || !keep(point)) return;
      if (!best || value(point) > value(*best)) best = point;
    });
    return best;
  };
  using Score = std::pair<double, double>;

  if (auto target = options_.target_sensitivity) {
    if (!(*target > 0.0 && *target <= 1.0)) {
      return InvalidInput(fmt::format("--target-sensitivity {} is not in (0, 1]", *target));
    }
    auto point = choose([&](const stats::RocPoint& p) { return p.sensitivity >= *target; },
                        [](const stats::RocPoint& p) {
                          return Score{p.specificity, p.sensitivity};
                        });
    evaluation_.operating_points.push_back(
        {"target_sensitivity", Orient(point->threshold), *target, true});
  }
  if (auto target = options_.target_specificity) {
    if (!(*target > 0.0 && *target <= 1.0)) {
      return InvalidInput(fmt::format("--target-specificity {} is not in (0, 1]", *target));
    }
    auto point = choose([&](const stats::RocPoint& p) { return p.specificity >= *target; },
                        [](const stats::RocPoint& p) {
                          return Score{p.sensitivity, p.specificity};
                        });
    if (!point) {
      return InvalidInput(fmt::format(
          "--target-specificity {}: no threshold reaches it (a negative case has the highest "
          "score)",
          *target));
    }
    evaluation_.operating_points.push_back(
        {"target_specificity", Orient(point->threshold), *target, true});
  }
  if (options_.youden) {
    auto point = choose([](const stats::RocPoint&) { return true; },
                        [](const stats::RocPoint& p) {
                          return Score{p.sensitivity + p.specificity, p.sensitivity};
                        });
    evaluation_.operating_points.push_back(
        {"youden", Orient(point->threshold), std::nullopt, true});
  }
  return Status::Ok();
}

Finding Evaluator::MakeFinding(const CaseView& view, const char* metric, double estimate,
                               std::optional<stats::Interval> ci) const {
  Finding finding;
  finding.metric = metric;
  finding.estimate = estimate;
  finding.ci = std::move(ci);
  finding.n = view.positives + view.negatives;
  finding.n_positive = view.positives;
  finding.n_negative = view.negatives;
  finding.subgroup = view.subgroup;
  return finding;
}

void Evaluator::AddAuc(const CaseView& view, const stats::SortedScores& sorted, double* variance) {
  const double level = options_.level;
  const bool clustered = view.cluster_count > 0;
  if (options_.auc_method == AucMethod::kDelong) {
    Finding finding;
    if (clustered) {
      const auto result =
          stats::ObuchowskiClusteredAuc(view.score, view.truth, view.cluster, view.cluster_count);
      finding =
          MakeFinding(view, "auc", result.auc,
                      AucInterval(result.auc, result.variance, level, "obuchowski_clustered"));
      if (std::isfinite(result.design_effect)) finding.design_effect = result.design_effect;
      *variance = result.variance;
    } else {
      const auto result = stats::DelongSummary(sorted);
      finding = MakeFinding(view, "auc", result.auc,
                            AucInterval(result.auc, result.variance, level, "delong"));
      *variance = result.variance;
    }
    if (!finding.ci) {
      NoteNotEvaluable("auc", view.subgroup,
                       clustered ? "no AUC interval: fewer than two clusters (patients) hold "
                                   "positives, or fewer than two hold negatives"
                                 : "no AUC interval: it needs at least two positives and two "
                                   "negatives");
    }
    evaluation_.findings.push_back(std::move(finding));
    return;
  }

  const stats::BootstrapOptions bootstrap{options_.bootstrap_replicates, options_.seed, level};
  const auto replicates = clustered
                              ? stats::ClusterBootstrapAuc(view.score, view.truth, view.cluster,
                                                           view.cluster_count, bootstrap)
                              : stats::StratifiedBootstrapAuc(view.score, view.truth, bootstrap);
  std::optional<stats::Interval> ci;
  if (options_.auc_method == AucMethod::kBootstrapPercentile) {
    ci = stats::PercentileInterval(replicates, level);
  } else {
    ci = stats::BcaInterval(replicates, level);
    if (!ci) NoteNotEvaluable("auc", view.subgroup, "BCa interval undefined: no bootstrap spread");
  }
  if (ci && clustered) ci->method = "cluster_" + ci->method;
  evaluation_.findings.push_back(MakeFinding(view, "auc", replicates.auc, ci));
  *variance = stats::ReplicateVariance(replicates.replicates);
}

void Evaluator::AddPartialAuc(const CaseView& view, const std::vector<stats::RocPoint>& curve) {
  const auto& range = *options_.partial_auc;
  const auto result = stats::ComputePartialAuc(curve, range.focus, range.from, range.to);
  const stats::BootstrapOptions bootstrap{options_.bootstrap_replicates, options_.seed,
                                          options_.level};
  // Partial AUC intervals ignore clusters: the cluster bootstrap of pAUC is not built yet.
  Finding finding =
      MakeFinding(view, "pauc", result.standardized,
                  stats::PartialAucBootstrapInterval(view.score, view.truth, range.focus,
                                                     range.from, range.to, bootstrap));
  finding.partial_auc_range = range;
  finding.partial_auc_raw = result.raw;
  evaluation_.findings.push_back(std::move(finding));
}

void Evaluator::AddProportion(const CaseView& view, const OperatingPoint& point, const char* metric,
                              std::uint64_t successes, std::uint64_t trials,
                              std::optional<double> design_effect) {
  if (trials == 0) {
    NoteNotEvaluable(metric, view.subgroup,
                     fmt::format("no cases in the denominator at threshold {}", point.threshold));
    return;
  }
  const auto method = options_.proportion_method;
  Finding finding = MakeFinding(
      view, metric, static_cast<double>(successes) / static_cast<double>(trials),
      design_effect ? stats::ClusteredProportionInterval(successes, trials, *design_effect,
                                                         options_.level, method)
                    : stats::ProportionInterval(successes, trials, options_.level, method));
  finding.operating_point = point;
  finding.exploratory = point.chosen_on_test_data;
  finding.design_effect = design_effect;
  evaluation_.findings.push_back(std::move(finding));
}

stats::Interval Evaluator::F1Interval(const Counts& counts) const {
  // Stratified bootstrap of the 2x2 table: the resampled true positives and
  // false positives are binomial given the class sizes.
  const double sensitivity =
      static_cast<double>(counts.true_positive) / static_cast<double>(counts.positives());
  const double false_positive_rate =
      static_cast<double>(counts.false_positive) / static_cast<double>(counts.negatives());
  std::vector<double> replicates(options_.bootstrap_replicates);
  for (std::size_t r = 0; r < replicates.size(); ++r) {
    RandomStream stream(options_.seed, kF1Purpose, r);
    boost::random::binomial_distribution<std::int64_t> positives(
        static_cast<std::int64_t>(counts.positives()), sensitivity);
    boost::random::binomial_distribution<std::int64_t> negatives(
        static_cast<std::int64_t>(counts.negatives()), false_positive_rate);
    const auto tp = static_cast<double>(positives(stream));
    const auto fp = static_cast<double>(negatives(stream));
    const double fn = static_cast<double>(counts.positives()) - tp;
    replicates[r] = tp == 0.0 ? 0.0 : 2.0 * tp / (2.0 * tp + fp + fn);
  }
  return stats::PercentileInterval(replicates, options_.level);
}

void Evaluator::AddOperatingPoint(const CaseView& view, const stats::SortedScores& sorted,
                                  const OperatingPoint& point) {
  const Counts c = CountAt(sorted, Orient(point.threshold));
  const ClusterEffects effects = DesignEffects(view, Orient(point.threshold));
  AddProportion(view, point, "sensitivity", c.true_positive, c.positives(), effects.sensitivity);
  AddProportion(view, point, "specificity", c.true_negative, c.negatives(), effects.specificity);
  AddProportion(view, point, "ppv", c.true_positive, c.true_positive + c.false_positive,
                effects.ppv);
  AddProportion(view, point, "npv", c.true_negative, c.true_negative + c.false_negative,
                effects.npv);
  AddProportion(view, point, "accuracy", c.true_positive + c.true_negative,
                c.positives() + c.negatives(), effects.accuracy);
  if (c.positives() == 0 || c.negatives() == 0) return;

  auto add_ratio = [&](const char* metric, const std::optional<stats::RatioEstimate>& ratio,
                       std::optional<double> prevalence) {
    if (!ratio) {
      NoteNotEvaluable(metric, view.subgroup,
                       fmt::format("0/0 at threshold {}: undefined", point.threshold));
      return;
    }
    Finding finding = MakeFinding(view, metric, ratio->estimate, ratio->interval);
    finding.operating_point = point;
    finding.exploratory = point.chosen_on_test_data;
    finding.prevalence = prevalence;
    evaluation_.findings.push_back(std::move(finding));
  };
  const double two_tp = 2.0 * static_cast<double>(c.true_positive);
  const double f1_denominator = two_tp + static_cast<double>(c.false_positive + c.false_negative);
  add_ratio("f1",
            stats::RatioEstimate{f1_denominator > 0 ? two_tp / f1_denominator : 0.0, F1Interval(c)},
            std::nullopt);
  const double level = options_.level;
  add_ratio("lr_positive",
            stats::PositiveLikelihoodRatio(c.true_positive, c.positives(), c.true_negative,
                                           c.negatives(), level),
            std::nullopt);
  add_ratio("lr_negative",
            stats::NegativeLikelihoodRatio(c.true_positive, c.positives(), c.true_negative,
                                           c.negatives(), level),
            std::nullopt);
  if (auto prevalence = options_.prevalence) {
    for (bool positive_predictive : {true, false}) {
      add_ratio(
          positive_predictive ? "ppv" : "npv",
          stats::PredictiveValueAtPrevalence(positive_predictive, c.true_positive, c.positives(),
                                             c.true_negative, c.negatives(), *prevalence, level),
          prevalence);
    }
  }
}

void Evaluator::AddCalibration(const CaseView& view) {
  if (table_.direction == data::ScoreDirection::kLowerIsPositive) {
    NoteNotEvaluable("calibration", view.subgroup,
                     "calibration needs scores that are probabilities of the positive class; "
                     "with --direction lower they are not");
    return;
  }
  // Decided once for the whole table: a subgroup whose scores happen to lie
  // in [0, 1] does not make them probabilities.
  if (!stats::ScoresAreProbabilities(table_.score)) {
    NoteNotEvaluable("calibration", view.subgroup,
                     "calibration needs probabilities, but some scores lie outside [0, 1]");
    return;
  }
  const double level = options_.level;
  const auto brier = stats::ComputeBrier(view.score, view.truth, level);
  evaluation_.findings.push_back(MakeFinding(view, "brier", brier.estimate, brier.interval));

  using stats::Binning;
  for (Binning binning : {Binning::kEqualWidth, Binning::kEqualMass}) {
    const auto error =
        stats::ComputeCalibrationError(view.score, view.truth, options_.calibration_bins, binning);
    const char* name = binning == Binning::kEqualWidth ? "equal_width" : "equal_mass";
    for (auto [metric, value] : {std::pair{"ece", error.expected}, {"mce", error.maximum}}) {
      Finding finding = MakeFinding(view, metric, value, std::nullopt);
      finding.binning = name;
      evaluation_.findings.push_back(std::move(finding));
    }
    if (binning == Binning::kEqualWidth && !view.subgroup) evaluation_.reliability = error.bins;
  }

  auto fit = stats::FitLogisticRecalibration(view.score, view.truth, level);
  if (!fit.ok()) {
    NoteNotEvaluable("calibration_slope", view.subgroup, fit.status().message());
    return;
  }
  for (auto [metric, coefficient] :
       {std::pair{"calibration_intercept", &fit->intercept},
        {"calibration_slope", &fit->slope},
        {"calibration_in_the_large", &fit->calibration_in_the_large}}) {
    evaluation_.findings.push_back(
        MakeFinding(view, metric, coefficient->estimate, coefficient->interval));
  }
}

void Evaluator::AddComparisons(const CaseView& view) {
  std::vector<double> compare(table_.compare.size());
  for (std::size_t i = 0; i < compare.size(); ++i) compare[i] = Orient(table_.compare[i]);

  const auto delong = stats::ComparePairedDelong(view.score, compare, view.truth);
  if (!std::isfinite(delong.variance) || view.positives < 2 || view.negatives < 2) {
    NoteNotEvaluable("auc_difference", view.subgroup,
                     "the paired DeLong test needs at least two positives and two negatives");
    return;
  }
  const double half = stats::NormalQuantileTwoSided(options_.level) * std::sqrt(delong.variance);
  Comparison auc;
  auc.test = "delong_paired";
  auc.metric = "auc";
  auc.estimate = delong.difference;
  auc.ci = {delong.difference - half, delong.difference + half, options_.level, "delong"};
  auc.statistic = delong.z;
  auc.p_value = delong.p_value;
  evaluation_.comparisons.push_back(auc);

  std::optional<double> threshold = options_.compare_threshold;
  if (!threshold && !options_.thresholds.empty()) threshold = options_.thresholds.front();
  if (!threshold) return;
  const double t = Orient(*threshold);
  for (const bool positives : {true, false}) {
    // Discordant pairs among positives (sensitivity) or negatives (specificity).
    std::uint64_t first_only = 0, second_only = 0, total = 0;
    for (std::size_t i = 0; i < view.score.size(); ++i) {
      if (static_cast<bool>(view.truth[i]) != positives) continue;
      ++total;
      const bool first = (view.score[i] >= t) == positives;
      const bool second = (compare[i] >= t) == positives;
      first_only += first && !second;
      second_only += second && !first;
    }
    const auto test = stats::McNemarTest(first_only, second_only);
    const double n = static_cast<double>(total);
    const double b = static_cast<double>(first_only), c = static_cast<double>(second_only);
    const double difference = (b - c) / n;
    const double se = std::sqrt((b + c) - (b - c) * (b - c) / n) / n;
    const double z = stats::NormalQuantileTwoSided(options_.level);
    Comparison comparison;
    comparison.test = "mcnemar";
    comparison.metric = positives ? "sensitivity" : "specificity";
    comparison.estimate = difference;
    comparison.ci = {difference - z * se, difference + z * se, options_.level, "wald"};
    comparison.statistic = b + c > 0 ? (b - c) * (b - c) / (b + c) : 0.0;
    comparison.p_value = test.exact_p;
    comparison.mid_p_value = test.mid_p;
    comparison.threshold = *threshold;
    comparison.discordant_first = first_only;
    comparison.discordant_second = second_only;
    evaluation_.comparisons.push_back(comparison);
  }
}

void Evaluator::AddSubgroups() {
  std::vector<std::size_t> family;  // indices into heterogeneity of this run's tests
  for (const auto& column : table_.groups) {
    std::vector<double> auc_estimates, auc_variances;
    // Per operating point: sensitivity and specificity counts per level.
    const std::size_t points = evaluation_.operating_points.size();
    std::vector<std::vector<std::uint64_t>> tp(points), n1(points), tn(points), n0(points);

    for (std::uint32_t level = 0; level < column.levels.size(); ++level) {
      std::vector<std::uint8_t> keep(table_.size());
      for (std::size_t i = 0; i < keep.size(); ++i) keep[i] = column.codes[i] == level;
      const CaseView view = MakeView(&keep, Subgroup{column.name, column.levels[level]});
      const stats::SortedScores sorted = stats::SplitAndSortScores(view.score, view.truth);

      if (view.positives >= 2 && view.negatives >= 2) {
        double variance = 0.0;
        AddAuc(view, sorted, &variance);
        if (std::isfinite(variance) && variance > 0.0) {
          auc_estimates.push_back(evaluation_.findings.back().estimate);
          auc_variances.push_back(variance);
        } else {
          NoteNotEvaluable("auc_heterogeneity", view.subgroup,
                           "the AUC variance is zero or undefined here (e.g. AUC = 1); this "
                           "level is left out of Cochran's Q");
        }
        if (options_.partial_auc) AddPartialAuc(view, stats::RocCurve(sorted));
        AddCalibration(view);
      } else {
        NoteNotEvaluable("auc", view.subgroup,
                         fmt::format("{} positives and {} negatives; the AUC, partial AUC and "
                                     "calibration need at least 2 of each",
                                     view.positives, view.negatives));
      }
      for (std::size_t p = 0; p < points; ++p) {
        const auto& point = evaluation_.operating_points[p];
        AddOperatingPoint(view, sorted, point);
        const Counts c = CountAt(sorted, Orient(point.threshold));
        tp[p].push_back(c.true_positive);
        n1[p].push_back(c.positives());
        tn[p].push_back(c.true_negative);
        n0[p].push_back(c.negatives());
      }
    }

    auto add_test = [&](const char* metric, std::optional<double> threshold, const char* test,
                        const stats::ChiSquare& result) {
      if (result.degrees_of_freedom <= 0.0) {
        NoteNotEvaluable(
            std::string(metric) + "_heterogeneity", std::nullopt,
            fmt::format("column '{}': fewer than two levels with a usable estimate (levels "
                        "need cases of both classes, and for the AUC a positive variance)",
                        column.name));
        return;
      }
      evaluation_.heterogeneity.push_back(
          {column.name, metric, threshold, test, result.statistic, result.degrees_of_freedom,
           result.p_value, result.p_value, std::string(MultiplicityName(options_.multiplicity))});
      family.push_back(evaluation_.heterogeneity.size() - 1);
    };
    add_test("auc", std::nullopt, "cochran_q", stats::CochranQ(auc_estimates, auc_variances));
    // With clusters this chi-square treats cases as independent; no Rao–Scott correction yet.
    for (std::size_t p = 0; p < points; ++p) {
      const double threshold = evaluation_.operating_points[p].threshold;
      add_test("sensitivity", threshold, "chi_square", stats::ProportionHomogeneity(tp[p], n1[p]));
      add_test("specificity", threshold, "chi_square", stats::ProportionHomogeneity(tn[p], n0[p]));
    }
  }

  std::vector<double> p_values;
  p_values.reserve(family.size());
  for (std::size_t index : family) p_values.push_back(evaluation_.heterogeneity[index].p_value);
  const auto adjusted = stats::AdjustPValues(p_values, options_.multiplicity);
  for (std::size_t k = 0; k < family.size(); ++k) {
    evaluation_.heterogeneity[family[k]].p_adjusted = adjusted[k];
  }
}

}  // namespace

std::string_view AucMethodName(AucMethod method) {
  switch (method) {
    case AucMethod::kDelong:
      return "delong";
    case AucMethod::kBootstrapPercentile:
      return "bootstrap_percentile";
    case AucMethod::kBootstrapBca:
      return "bootstrap_bca";
  }
  return "unknown";
}

std::optional<AucMethod> ParseAucMethod(std::string_view name) {
  for (auto method :
       {AucMethod::kDelong, AucMethod::kBootstrapPercentile, AucMethod::kBootstrapBca}) {
    if (AucMethodName(method) == name) return method;
  }
  return std::nullopt;
}

Result<Evaluation> Evaluate(const data::CaseTable& table, const EvaluationOptions& options) {
  if (!(options.level > 0.0 && options.level < 1.0)) {
    return InvalidInput(fmt::format("--level {} is not in (0, 1)", options.level));
  }
  for (double threshold : options.thresholds) {
    if (!std::isfinite(threshold)) {
      return InvalidInput(fmt::format("--threshold {} is not a finite number", threshold));
    }
  }
  if (options.compare_threshold && !std::isfinite(*options.compare_threshold)) {
    return InvalidInput(
        fmt::format("--compare-threshold {} is not a finite number", *options.compare_threshold));
  }
  if (options.bootstrap_replicates < 100) {
    return InvalidInput(
        fmt::format("--bootstrap {}: use at least 100 replicates", options.bootstrap_replicates));
  }
  if (options.prevalence && !(*options.prevalence > 0.0 && *options.prevalence < 1.0)) {
    return InvalidInput(fmt::format("--prevalence {} is not in (0, 1)", *options.prevalence));
  }
  if (auto range = options.partial_auc;
      range && !(range->from >= 0.0 && range->from < range->to && range->to <= 1.0)) {
    return InvalidInput(fmt::format("partial AUC range {}:{} must satisfy 0 <= from < to <= 1",
                                    range->from, range->to));
  }
  return Evaluator(table, options).Run();
}

}  // namespace assay::analysis
