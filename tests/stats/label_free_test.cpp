// Label-free estimation (CBPE, ATC and the reference calibration check)
// against numpy, scipy, scikit-learn and statsmodels on seeded cohorts
// (tests/reference/label_free_reference.py), and its statistical behaviour on
// simulated covariate shifts: estimates near the realized metrics, intervals
// covering them, the same intervals on any thread count.
#include "assay/stats/label_free.h"

#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "../reference/reference_files.h"
#include "assay/core/random.h"
#include "assay/stats/roc.h"

namespace assay::stats {
namespace {

using assay::testing::ColumnAs;
using assay::testing::kClosedForm;
using assay::testing::NearRelative;
using assay::testing::NumericColumns;
using assay::testing::ReadNumericCsv;
using assay::testing::ReferenceJson;

constexpr double kIterativeFit = 1e-6;  // scikit-learn's newton-cg against FitLogistic
constexpr double kFitDependent = 1e-5;  // statistics of probabilities from those fits

const nlohmann::json& Expected() { return ReferenceJson("label_free.json"); }
const NumericColumns& Reference() {
  static const NumericColumns columns = ReadNumericCsv("label_free_reference.csv");
  return columns;
}
const NumericColumns& Target() {
  static const NumericColumns columns = ReadNumericCsv("label_free_target.csv");
  return columns;
}
std::vector<std::uint8_t> ReferenceTruth() {
  return ColumnAs<std::uint8_t>(Reference().at("truth"));
}

void ExpectHosmerLemeshow(const HosmerLemeshow& actual, const nlohmann::json& expected,
                          double tolerance) {
  EXPECT_TRUE(NearRelative(actual.statistic, expected["statistic"].get<double>(), tolerance));
  EXPECT_EQ(actual.degrees_of_freedom, expected["df"].get<double>());
  EXPECT_TRUE(NearRelative(actual.p_value, expected["p_value"].get<double>(), tolerance));
}

TEST(LabelFreeHosmerLemeshow, MatchesNumpyAndScipy) {
  for (const char* column : {"calibrated", "miscalibrated"}) {
    SCOPED_TRACE(column);
    const HosmerLemeshow hl = HosmerLemeshowTest(Reference().at(column), ReferenceTruth());
    ExpectHosmerLemeshow(hl, Expected()[column]["hosmer_lemeshow"], kClosedForm);
    EXPECT_EQ(hl.groups, 10U);
  }
}

TEST(LabelFreeCalibration, CalibratedScoresAreUsedAsTheyAre) {
  const auto c = CheckReferenceCalibration(Reference().at("calibrated"), ReferenceTruth(), 0.95);
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_TRUE(Expected()["calibrated"]["calibrated"].get<bool>());
  EXPECT_TRUE(c->scores_are_probabilities);
  EXPECT_TRUE(c->calibrated);
  EXPECT_EQ(CalibratedProbability(*c, 0.37), 0.37);
  EXPECT_NE(c->note.find("scores are calibrated"), std::string::npos) << c->note;
}

TEST(LabelFreeCalibration, MiscalibratedScoresAreRecalibratedAsScikitLearnFits) {
  const auto c = CheckReferenceCalibration(Reference().at("miscalibrated"), ReferenceTruth(), 0.95);
  ASSERT_TRUE(c.ok()) << c.status().message();
  const auto& expected = Expected()["miscalibrated"];
  EXPECT_FALSE(c->calibrated);
  EXPECT_TRUE(c->map_on_logit);
  ExpectHosmerLemeshow(*c->hosmer_lemeshow, expected["hosmer_lemeshow"], kClosedForm);
  EXPECT_TRUE(NearRelative(c->map_intercept, expected["intercept"].get<double>(), kIterativeFit));
  EXPECT_TRUE(NearRelative(c->map_slope, expected["slope"].get<double>(), kIterativeFit));
  EXPECT_TRUE(NearRelative(c->recalibration->slope.interval.upper,
                           expected["wald"]["slope_upper"].get<double>(), kIterativeFit));
  ExpectHosmerLemeshow(c->map_fit, expected["map_fit"], kFitDependent);
  EXPECT_NE(c->note.find("not calibrated on the reference (Hosmer-Lemeshow p = 3.5e-69"),
            std::string::npos)
      << c->note;
  EXPECT_NE(c->note.find("recalibrated on the reference"), std::string::npos) << c->note;
}

TEST(LabelFreeCalibration, RawScoresGetScikitLearnsPlattMap) {
  const auto c = CheckReferenceCalibration(Reference().at("raw"), ReferenceTruth(), 0.95);
  ASSERT_TRUE(c.ok()) << c.status().message();
  const auto& expected = Expected()["platt"];
  EXPECT_FALSE(c->scores_are_probabilities);
  EXPECT_FALSE(c->calibrated);
  EXPECT_FALSE(c->map_on_logit);
  EXPECT_FALSE(c->hosmer_lemeshow.has_value());
  EXPECT_TRUE(NearRelative(c->map_intercept, expected["intercept"].get<double>(), kIterativeFit));
  EXPECT_TRUE(NearRelative(c->map_slope, expected["slope"].get<double>(), kIterativeFit));
  ExpectHosmerLemeshow(c->map_fit, expected["map_fit"], kFitDependent);
  EXPECT_NE(c->note.find("Platt scaling"), std::string::npos) << c->note;
}

TEST(LabelFreeCbpe, PointEstimatesMatchNumpy) {
  const auto& expected = Expected()["cbpe"];
  const auto cbpe = EstimateCbpe(Target().at("raw"), Target().at("probability"),
                                 expected["threshold"].get<double>(), {.replicates = 1});
  ASSERT_TRUE(cbpe.ok()) << cbpe.status().message();
  const auto near = [&](double actual, const char* name) {
    EXPECT_TRUE(NearRelative(actual, expected[name].get<double>(), 1e-9)) << name;
  };
  near(cbpe->expected_true_positives, "true_positives");
  near(cbpe->expected_false_positives, "false_positives");
  near(cbpe->expected_true_negatives, "true_negatives");
  near(cbpe->expected_false_negatives, "false_negatives");
  near(cbpe->sensitivity.estimate, "sensitivity");
  near(cbpe->specificity.estimate, "specificity");
  near(cbpe->accuracy.estimate, "accuracy");
  near(cbpe->positive_predictive_value.estimate, "ppv");
  near(cbpe->negative_predictive_value.estimate, "npv");
  near(cbpe->prevalence.estimate, "prevalence");
  near(cbpe->auc.estimate, "auc");
}

TEST(LabelFreeAtc, ThresholdAndEstimateMatchNumpy) {
  const auto& expected = Expected()["atc"];
  ReferenceCalibration map;  // scikit-learn's Platt map, exactly as the script used it
  map.map_on_logit = false;
  map.map_intercept = Expected()["platt"]["intercept"].get<double>();
  map.map_slope = Expected()["platt"]["slope"].get<double>();
  const auto atc = EstimateAtc(map, Reference().at("raw"), ReferenceTruth(), Target().at("raw"),
                               Expected()["cbpe"]["threshold"].get<double>(), {.replicates = 1});
  ASSERT_TRUE(atc.ok()) << atc.status().message();
  EXPECT_TRUE(
      NearRelative(atc->reference_accuracy, expected["reference_accuracy"].get<double>(), 1e-12));
  EXPECT_TRUE(NearRelative(atc->confidence_threshold, expected["tau"].get<double>(), 1e-9));
  EXPECT_TRUE(NearRelative(atc->reference_share_above,
                           expected["reference_share_above"].get<double>(), 1e-12));
  EXPECT_TRUE(NearRelative(atc->accuracy.estimate, expected["estimate"].get<double>(), 1e-12));
}

// --- statistical behaviour on simulated cohorts ----------------------------------

// Cases with risk x ~ N(mean, scale^2), P(y = 1 | x) = expit(-1 + 1.5 x), and
// the model's score: the true probability, or an overconfident distortion of it.
struct Cohort {
  std::vector<double> score;
  std::vector<std::uint8_t> truth;
};

Cohort Simulate(std::uint64_t seed, std::size_t n, double mean, double scale, bool calibrated) {
  RandomStream stream(seed, PurposeId("label_free_test"), 0);
  Cohort c;
  for (std::size_t i = 0; i < n; ++i) {
    const double u = 1.0 - stream.NextUniform(), v = stream.NextUniform();
    const double x =
        mean + scale * std::sqrt(-2.0 * std::log(u)) * std::cos(2 * std::numbers::pi * v);
    const double logit = -1.0 + 1.5 * x;
    c.truth.push_back(stream.NextUniform() < 1.0 / (1.0 + std::exp(-logit)) ? 1 : 0);
    c.score.push_back(1.0 / (1.0 + std::exp(-(calibrated ? logit : 0.8 + 2.0 * logit))));
  }
  return c;
}

double Realized(const Cohort& c, double threshold, bool sensitivity) {
  double hits = 0, total = 0;
  for (std::size_t i = 0; i < c.score.size(); ++i) {
    if (c.truth[i] != (sensitivity ? 1 : 0)) continue;
    total += 1;
    hits += (c.score[i] >= threshold) == sensitivity ? 1 : 0;
  }
  return hits / total;
}

void ExpectNearAndCovered(const LabelFreeMetric& metric, double realized, const char* name) {
  EXPECT_NEAR(metric.estimate, realized, 0.02) << name;
  EXPECT_LE(metric.interval.lower, realized) << name;
  EXPECT_GE(metric.interval.upper, realized) << name;
}

void ExpectCbpeTracksRealized(bool calibrated_model) {
  const Cohort reference = Simulate(11, 20000, 0.0, 1.0, calibrated_model);
  const Cohort target = Simulate(12, 20000, 0.8, 1.4, calibrated_model);  // covariate shift
  const auto calibration = CheckReferenceCalibration(reference.score, reference.truth, 0.95);
  ASSERT_TRUE(calibration.ok()) << calibration.status().message();
  // Holds for these seeds; a calibrated model fails the check in about 1 cohort in 7.
  EXPECT_EQ(calibration->calibrated, calibrated_model) << calibration->note;

  const double threshold = 0.5;
  const auto q = CalibratedProbabilities(*calibration, target.score);
  const auto cbpe = EstimateCbpe(target.score, q, threshold, {.replicates = 200});
  ASSERT_TRUE(cbpe.ok()) << cbpe.status().message();
  ExpectNearAndCovered(cbpe->sensitivity, Realized(target, threshold, true), "sensitivity");
  ExpectNearAndCovered(cbpe->specificity, Realized(target, threshold, false), "specificity");
  const double auc = DelongSummary(SplitAndSortScores(target.score, target.truth)).auc;
  ExpectNearAndCovered(cbpe->auc, auc, "auc");
}

TEST(LabelFreeCbpe, TracksRealizedMetricsUnderCovariateShift) { ExpectCbpeTracksRealized(true); }

TEST(LabelFreeCbpe, RecalibratedEstimatesTrackRealizedMetricsOfAMiscalibratedModel) {
  ExpectCbpeTracksRealized(false);
}

TEST(LabelFreeCbpe, IntervalsAreTheSameOnOneAndTwoThreads) {
  const Cohort reference = Simulate(21, 2000, 0.0, 1.0, false);
  const Cohort target = Simulate(22, 2000, 0.5, 1.2, false);
  const auto calibration = CheckReferenceCalibration(reference.score, reference.truth, 0.95);
  ASSERT_TRUE(calibration.ok());
  const auto q = CalibratedProbabilities(*calibration, target.score);
  const LabelFreeOptions options{.replicates = 200, .seed = 5};
  const auto run = [&](int threads) {
    tbb::global_control control(tbb::global_control::max_allowed_parallelism, threads);
    const auto cbpe = EstimateCbpe(target.score, q, 0.4, options);
    const auto atc =
        EstimateAtc(*calibration, reference.score, reference.truth, target.score, 0.4, options);
    return std::vector<double>{cbpe->sensitivity.interval.lower, cbpe->specificity.interval.upper,
                               cbpe->auc.interval.lower,         cbpe->auc.interval.upper,
                               atc->accuracy.interval.lower,     atc->accuracy.interval.upper};
  };
  const std::vector<double> one = run(1);
  EXPECT_EQ(one, run(2));
  EXPECT_LT(one[2], one[3]);
}

TEST(LabelFreeCbpe, MetricWithoutDenominatorIsNaN) {
  const std::vector<double> score = {0.1, 0.2, 0.3}, q = {0.1, 0.2, 0.3};
  const auto cbpe = EstimateCbpe(score, q, 0.9, {.replicates = 20});
  ASSERT_TRUE(cbpe.ok());
  EXPECT_TRUE(std::isnan(cbpe->positive_predictive_value.estimate));
  EXPECT_TRUE(std::isnan(cbpe->positive_predictive_value.interval.lower));
  EXPECT_NEAR(cbpe->negative_predictive_value.estimate, 0.8, 1e-15);
}

// --- bad input ---------------------------------------------------------------------

TEST(LabelFreeInput, ReferenceProblemsAreErrors) {
  const std::vector<double> score = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95};
  const std::vector<std::uint8_t> mixed = {0, 1, 0, 0, 1, 0, 1, 1, 0, 1};
  const std::vector<std::uint8_t> ordered = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1};
  const auto code = [](std::span<const double> s, std::span<const std::uint8_t> y) {
    return CheckReferenceCalibration(s, y, 0.95).status().code();
  };
  EXPECT_EQ(code(score, mixed), StatusCode::kOk);
  EXPECT_EQ(code(score, std::vector<std::uint8_t>(10, 0)), StatusCode::kNotEvaluable);
  EXPECT_EQ(code(score, std::vector<std::uint8_t>(10, 1)), StatusCode::kNotEvaluable);
  EXPECT_EQ(code(score, ordered), StatusCode::kNotEvaluable);  // separated
  EXPECT_EQ(code(std::span(score).first(9), mixed), StatusCode::kInvalidInput);
  EXPECT_EQ(code(std::span(score).first(9), std::span(mixed).first(9)),
            StatusCode::kInvalidInput);  // too few cases
  std::vector<double> bad = score;
  bad[3] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(code(bad, mixed), StatusCode::kInvalidInput);
  EXPECT_EQ(CheckReferenceCalibration(score, mixed, 1.0).status().code(),
            StatusCode::kInvalidInput);
}

TEST(LabelFreeInput, TargetProblemsAreErrors) {
  constexpr double kInfinity = std::numeric_limits<double>::infinity();
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> score = {0.1, 0.5, 0.9}, q = {0.2, 0.5, 0.8};
  const auto code = [](std::span<const double> s, std::span<const double> p, double threshold,
                       LabelFreeOptions options) {
    return EstimateCbpe(s, p, threshold, options).status().code();
  };
  EXPECT_EQ(code(score, q, 0.5, {.replicates = 5}), StatusCode::kOk);
  EXPECT_EQ(code(score, std::span(q).first(2), 0.5, {}), StatusCode::kInvalidInput);
  EXPECT_EQ(code({}, {}, 0.5, {}), StatusCode::kInvalidInput);
  EXPECT_EQ(code(score, std::vector<double>{0.2, 1.5, 0.8}, 0.5, {}), StatusCode::kInvalidInput);
  EXPECT_EQ(code(std::vector<double>{0.1, kInfinity, 0.9}, q, 0.5, {}), StatusCode::kInvalidInput);
  EXPECT_EQ(code(score, q, kNaN, {}), StatusCode::kInvalidInput);
  EXPECT_EQ(code(score, q, 0.5, {.replicates = 0}), StatusCode::kInvalidInput);
  EXPECT_EQ(code(score, q, 0.5, {.level = 0.0}), StatusCode::kInvalidInput);
  const std::vector<std::uint8_t> truth = {0, 2, 1};
  EXPECT_EQ(EstimateAtc({}, score, truth, score, 0.5, {}).status().code(),
            StatusCode::kInvalidInput);
}

}  // namespace
}  // namespace assay::stats
