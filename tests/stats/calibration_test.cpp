// Calibration against scikit-learn (Brier score), statsmodels (logistic
// recalibration by GLM) and numpy (expected/maximum calibration error from
// their definitions), on 600 simulated, deliberately miscalibrated
// probabilities (tests/reference/statsmodels_reference.py).
#include "assay/stats/calibration.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "../reference/reference_files.h"

namespace assay::stats {
namespace {

using assay::testing::ColumnAs;
using assay::testing::kClosedForm;
using assay::testing::NearRelative;
using assay::testing::ReadNumericCsv;
using assay::testing::ReferenceJson;

// The GLM fits are iterative on both sides (Newton-Raphson here, IRLS in
// statsmodels at tol 1e-14), so they are compared a little less tightly.
constexpr double kIterative = 1e-9;

struct Data {
  std::vector<double> probability;
  std::vector<std::uint8_t> truth;
};

Data Simulated() {
  const auto columns = ReadNumericCsv("calibration_data.csv");
  return {columns.at("probability"), ColumnAs<std::uint8_t>(columns.at("truth"))};
}

const nlohmann::json& Expected() {
  return ReferenceJson("statsmodels_reference.json")["calibration"];
}
const nlohmann::json& Recalibration() { return Expected()["recalibration"]; }

TEST(ComputeBrier, MatchesSklearnBrierScoreLoss) {
  const Data d = Simulated();
  ASSERT_EQ(d.truth.size(), Expected()["n"].get<std::size_t>());
  const BrierScore brier = ComputeBrier(d.probability, d.truth, 0.95);
  EXPECT_TRUE(NearRelative(brier.estimate, Expected()["brier"].get<double>(), kClosedForm));
}

// The header's definition: mean of (p - y)^2 +- z * sd / sqrt(n), with the
// sample standard deviation (n - 1 in the denominator) from numpy.
TEST(ComputeBrier, IntervalIsNormalApproximationWithSampleSd) {
  const Data d = Simulated();
  const BrierScore brier = ComputeBrier(d.probability, d.truth, 0.9);
  const double half = NormalQuantileTwoSided(0.9) * Expected()["brier_sd"].get<double>() /
                      std::sqrt(static_cast<double>(d.truth.size()));
  const double mean = Expected()["brier_mean"].get<double>();
  EXPECT_TRUE(NearRelative(brier.interval.lower, mean - half, kClosedForm));
  EXPECT_TRUE(NearRelative(brier.interval.upper, mean + half, kClosedForm));
  EXPECT_EQ(brier.interval.level, 0.9);
}

TEST(ComputeBrier, PerfectPredictionsScoreZero) {
  const std::vector<double> p = {0.0, 1.0, 1.0, 0.0};
  const std::vector<std::uint8_t> y = {0, 1, 1, 0};
  EXPECT_EQ(ComputeBrier(p, y, 0.95).estimate, 0.0);
}

TEST(FitLogisticRecalibration, InterceptMatchesStatsmodelsGlm) {
  const Data d = Simulated();
  const auto fit = FitLogisticRecalibration(d.probability, d.truth, 0.95);
  ASSERT_TRUE(fit.ok()) << fit.status().message();
  EXPECT_TRUE(NearRelative(fit->intercept.estimate, Recalibration()["intercept"].get<double>(),
                           kIterative));
  EXPECT_TRUE(NearRelative(fit->intercept.standard_error,
                           Recalibration()["intercept_se"].get<double>(), kIterative));
}

TEST(FitLogisticRecalibration, SlopeMatchesStatsmodelsGlm) {
  const Data d = Simulated();
  const auto fit = FitLogisticRecalibration(d.probability, d.truth, 0.95);
  ASSERT_TRUE(fit.ok()) << fit.status().message();
  EXPECT_TRUE(
      NearRelative(fit->slope.estimate, Recalibration()["slope"].get<double>(), kIterative));
  EXPECT_TRUE(NearRelative(fit->slope.standard_error, Recalibration()["slope_se"].get<double>(),
                           kIterative));
}

TEST(FitLogisticRecalibration, WaldIntervalsMatchStatsmodelsConfInt) {
  const Data d = Simulated();
  const auto fit = FitLogisticRecalibration(d.probability, d.truth, 0.95);
  ASSERT_TRUE(fit.ok()) << fit.status().message();
  for (auto [coefficient, key] : {std::pair{&fit->intercept, "intercept_ci95"},
                                  {&fit->slope, "slope_ci95"},
                                  {&fit->calibration_in_the_large, "citl_ci95"}}) {
    const auto expected = Recalibration()[key].get<std::vector<double>>();
    EXPECT_TRUE(NearRelative(coefficient->interval.lower, expected[0], kIterative)) << key;
    EXPECT_TRUE(NearRelative(coefficient->interval.upper, expected[1], kIterative)) << key;
  }
}

TEST(FitLogisticRecalibration, CalibrationInTheLargeMatchesGlmWithOffset) {
  const Data d = Simulated();
  const auto fit = FitLogisticRecalibration(d.probability, d.truth, 0.95);
  ASSERT_TRUE(fit.ok()) << fit.status().message();
  EXPECT_TRUE(NearRelative(fit->calibration_in_the_large.estimate,
                           Recalibration()["citl"].get<double>(), kIterative));
  EXPECT_TRUE(NearRelative(fit->calibration_in_the_large.standard_error,
                           Recalibration()["citl_se"].get<double>(), kIterative));
}

TEST(FitLogisticRecalibration, CompleteSeparationIsNotEvaluable) {
  const std::vector<double> p = {0.1, 0.2, 0.3, 0.7, 0.8, 0.9};
  const std::vector<std::uint8_t> y = {0, 0, 0, 1, 1, 1};
  const auto fit = FitLogisticRecalibration(p, y, 0.95);
  ASSERT_FALSE(fit.ok());
  EXPECT_EQ(fit.status().code(), StatusCode::kNotEvaluable);
}

TEST(ComputeCalibrationError, EqualWidthMatchesNumpy) {
  const Data d = Simulated();
  const auto error = ComputeCalibrationError(d.probability, d.truth, 10, Binning::kEqualWidth);
  EXPECT_TRUE(
      NearRelative(error.expected, Expected()["ece_equal_width"].get<double>(), kClosedForm));
  EXPECT_TRUE(
      NearRelative(error.maximum, Expected()["mce_equal_width"].get<double>(), kClosedForm));
}

TEST(ComputeCalibrationError, EqualMassMatchesNumpy) {
  const Data d = Simulated();
  const auto error = ComputeCalibrationError(d.probability, d.truth, 10, Binning::kEqualMass);
  EXPECT_TRUE(
      NearRelative(error.expected, Expected()["ece_equal_mass"].get<double>(), kClosedForm));
  EXPECT_TRUE(NearRelative(error.maximum, Expected()["mce_equal_mass"].get<double>(), kClosedForm));
}

TEST(ComputeCalibrationError, EqualMassBinsHoldSixtyCasesEach) {
  const Data d = Simulated();
  const auto error = ComputeCalibrationError(d.probability, d.truth, 10, Binning::kEqualMass);
  ASSERT_EQ(error.bins.size(), 10u);
  for (const auto& bin : error.bins) EXPECT_EQ(bin.count, 60u);
}

TEST(ScoresAreProbabilities, AcceptsTheUnitIntervalOnly) {
  EXPECT_TRUE(ScoresAreProbabilities(std::vector<double>{0.0, 0.5, 1.0}));
  EXPECT_FALSE(ScoresAreProbabilities(std::vector<double>{0.2, 1.0000001}));
  EXPECT_FALSE(ScoresAreProbabilities(std::vector<double>{-0.1, 0.5}));
}

}  // namespace
}  // namespace assay::stats
