// ROC curve, AUC, DeLong variance and intervals, partial AUC and the paired
// DeLong test against R's pROC on its aSAH data (tests/reference/proc_asah.R);
// the AUC against scikit-learn's roc_auc_score; Obuchowski's clustered AUC
// variance against a numpy implementation written from the paper
// (tests/reference/statsmodels_reference.py).
#include "assay/stats/roc.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "../reference/reference_files.h"
#include "assay/stats/interval.h"

namespace assay::stats {
namespace {

using assay::testing::ColumnAs;
using assay::testing::kClosedForm;
using assay::testing::NearRelative;
using assay::testing::ReadNumericCsv;
using assay::testing::ReferenceJson;

const nlohmann::json& Proc() { return ReferenceJson("proc_asah.json"); }
const nlohmann::json& Numpy() { return ReferenceJson("statsmodels_reference.json"); }

std::vector<double> Doubles(const nlohmann::json& array) {
  return array.get<std::vector<double>>();
}

std::vector<std::uint8_t> AsahTruth() {
  return ColumnAs<std::uint8_t>(Doubles(Proc()["data"]["truth"]));
}

// Splits scores by class and sorts them.
SortedScores Split(const std::vector<double>& score, const std::vector<std::uint8_t>& truth) {
  std::vector<double> positives, negatives;
  for (std::size_t i = 0; i < score.size(); ++i) {
    (truth[i] ? positives : negatives).push_back(score[i]);
  }
  return SortScores(positives, negatives);
}

SortedScores AsahScores(const std::string& name) {
  return Split(Doubles(Proc()["data"][name]), AsahTruth());
}

std::string ParamName(const ::testing::TestParamInfo<std::string>& param) { return param.param; }

// One test per aSAH score: s100b (continuous), ndka (continuous, weak) and
// wfns (five ordered levels, heavily tied).
class ProcAsah : public ::testing::TestWithParam<std::string> {
 protected:
  const nlohmann::json& Expected() const { return Proc()[GetParam()]; }
  SortedScores Scores() const { return AsahScores(GetParam()); }
};

TEST_P(ProcAsah, ClassSizesMatch) {
  const SortedScores scores = Scores();
  EXPECT_EQ(scores.positives.size(), Expected()["n_positive"].get<std::size_t>());
  EXPECT_EQ(scores.negatives.size(), Expected()["n_negative"].get<std::size_t>());
}

TEST_P(ProcAsah, AucMatches) {
  EXPECT_TRUE(NearRelative(Delong(Scores()).auc, Expected()["auc"].get<double>(), kClosedForm));
}

TEST_P(ProcAsah, DelongVarianceMatches) {
  EXPECT_TRUE(
      NearRelative(Delong(Scores()).variance, Expected()["variance"].get<double>(), kClosedForm));
}

TEST_P(ProcAsah, DelongIntervalsMatchAt95And90) {
  const DelongAuc result = Delong(Scores());
  for (auto [level, key] : {std::pair{0.95, "ci95"}, {0.90, "ci90"}}) {
    const double half = NormalQuantileTwoSided(level) * std::sqrt(result.variance);
    const auto expected = Doubles(Expected()[key]);
    EXPECT_TRUE(NearRelative(result.auc - half, expected[0], kClosedForm)) << key;
    EXPECT_TRUE(NearRelative(result.auc + half, expected[1], kClosedForm)) << key;
  }
}

TEST_P(ProcAsah, CurveMatchesPointForPoint) {
  const auto curve = RocCurve(Scores());
  const auto sensitivity = Doubles(Expected()["curve_sensitivity"]);
  const auto specificity = Doubles(Expected()["curve_specificity"]);
  ASSERT_EQ(curve.size(), sensitivity.size());
  for (std::size_t k = 0; k < curve.size(); ++k) {
    EXPECT_TRUE(NearRelative(curve[k].sensitivity, sensitivity[k], kClosedForm)) << "point " << k;
    EXPECT_TRUE(NearRelative(curve[k].specificity, specificity[k], kClosedForm)) << "point " << k;
  }
}

// pROC's coords() at a threshold t calls a case positive when score >= t, as
// assay does: the curve point for t is the last one whose threshold is >= t.
TEST_P(ProcAsah, SensitivityAndSpecificityAtThresholdsMatchCoords) {
  const auto curve = RocCurve(Scores());
  for (const auto& expected : Expected()["coords"]) {
    const double t = expected["threshold"].get<double>();
    std::size_t k = 0;
    while (k + 1 < curve.size() && curve[k + 1].threshold >= t) ++k;
    EXPECT_TRUE(NearRelative(curve[k].sensitivity, expected["sensitivity"].get<double>(), 1e-12))
        << "threshold " << t;
    EXPECT_TRUE(NearRelative(curve[k].specificity, expected["specificity"].get<double>(), 1e-12))
        << "threshold " << t;
  }
}

TEST_P(ProcAsah, PartialAucOverSpecificity08To1Matches) {
  const auto result = ComputePartialAuc(RocCurve(Scores()), PartialAucFocus::kSpecificity, 0.8, 1);
  EXPECT_TRUE(
      NearRelative(result.raw, Expected()["pauc_specificity_1_08_raw"].get<double>(), kClosedForm));
  EXPECT_TRUE(NearRelative(result.standardized, Expected()["pauc_specificity_1_08"].get<double>(),
                           kClosedForm));
}

TEST_P(ProcAsah, PartialAucOverSensitivity09To1Matches) {
  const auto result = ComputePartialAuc(RocCurve(Scores()), PartialAucFocus::kSensitivity, 0.9, 1);
  EXPECT_TRUE(
      NearRelative(result.raw, Expected()["pauc_sensitivity_1_09_raw"].get<double>(), kClosedForm));
  const auto& standardized = Expected()["pauc_sensitivity_1_09"];
  if (standardized.is_null()) {
    // pROC leaves McClish's correction undefined below the diagonal (ndka):
    // the raw area is under the diagonal's 0.1^2 / 2, so the index is < 0.5.
    EXPECT_LT(result.raw, 0.005);
    EXPECT_LT(result.standardized, 0.5);
  } else {
    EXPECT_TRUE(NearRelative(result.standardized, standardized.get<double>(), kClosedForm));
  }
}

INSTANTIATE_TEST_SUITE_P(Scores, ProcAsah, ::testing::Values("s100b", "ndka", "wfns"), ParamName);

// roc.test(..., method = "delong", paired = TRUE) for s100b against another score.
class ProcPairedDelong : public ::testing::TestWithParam<std::string> {
 protected:
  const nlohmann::json& Expected() const { return Proc()["s100b_vs_" + GetParam()]; }
  PairedDelong Compare() const {
    return ComparePairedDelong(Doubles(Proc()["data"]["s100b"]),
                               Doubles(Proc()["data"][GetParam()]), AsahTruth());
  }
};

TEST_P(ProcPairedDelong, AucsMatch) {
  const PairedDelong result = Compare();
  EXPECT_TRUE(NearRelative(result.auc_first, Expected()["auc_first"].get<double>(), kClosedForm));
  EXPECT_TRUE(NearRelative(result.auc_second, Expected()["auc_second"].get<double>(), kClosedForm));
  EXPECT_DOUBLE_EQ(result.difference, result.auc_first - result.auc_second);
}

TEST_P(ProcPairedDelong, ZMatches) {
  EXPECT_TRUE(NearRelative(Compare().z, Expected()["z"].get<double>(), kClosedForm));
}

TEST_P(ProcPairedDelong, PValueMatches) {
  EXPECT_TRUE(NearRelative(Compare().p_value, Expected()["p_value"].get<double>(), kClosedForm));
}

TEST_P(ProcPairedDelong, DifferenceIntervalMatches) {
  const PairedDelong result = Compare();
  const double half = NormalQuantileTwoSided(0.95) * std::sqrt(result.variance);
  const auto expected = Doubles(Expected()["ci95"]);
  EXPECT_TRUE(NearRelative(result.difference - half, expected[0], kClosedForm));
  EXPECT_TRUE(NearRelative(result.difference + half, expected[1], kClosedForm));
}

INSTANTIATE_TEST_SUITE_P(Comparators, ProcPairedDelong, ::testing::Values("wfns", "ndka"),
                         ParamName);

TEST(PairedDelong, ScoreAgainstItselfHasZeroDifference) {
  const auto s100b = Doubles(Proc()["data"]["s100b"]);
  const PairedDelong result = ComparePairedDelong(s100b, s100b, AsahTruth());
  EXPECT_EQ(result.difference, 0.0);
  EXPECT_NEAR(result.variance, 0.0, 1e-15);
}

// scikit-learn's roc_auc_score on simulated probabilities, with and without ties.
TEST(Delong, AucMatchesSklearnOnSimulatedProbabilities) {
  const auto data = ReadNumericCsv("calibration_data.csv");
  const auto truth = ColumnAs<std::uint8_t>(data.at("truth"));
  const double expected = Numpy()["calibration"]["auc"].get<double>();
  EXPECT_TRUE(
      NearRelative(Delong(Split(data.at("probability"), truth)).auc, expected, kClosedForm));
}

TEST(Delong, AucMatchesSklearnWithTiedScores) {
  const auto data = ReadNumericCsv("calibration_data.csv");
  const auto truth = ColumnAs<std::uint8_t>(data.at("truth"));
  const double expected = Numpy()["calibration"]["auc_rounded"].get<double>();
  EXPECT_TRUE(NearRelative(Delong(Split(data.at("probability_rounded"), truth)).auc, expected,
                           kClosedForm));
}

TEST(Delong, PlacementsAverageToTheAuc) {
  const DelongAuc result = Delong(AsahScores("wfns"));
  const auto mean = [](const std::vector<double>& v) {
    return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  };
  EXPECT_NEAR(mean(result.positive_placements), result.auc, 1e-14);
  EXPECT_NEAR(mean(result.negative_placements), result.auc, 1e-14);
}

TEST(PlacementAmong, CountsTiesAsOneHalf) {
  const std::vector<double> sorted = {1.0, 2.0, 2.0, 3.0};
  EXPECT_DOUBLE_EQ(PlacementAmong(sorted, 2.0), (1.0 + 2.0 / 2.0) / 4.0);
  EXPECT_DOUBLE_EQ(PlacementAmong(sorted, 0.5), 0.0);
  EXPECT_DOUBLE_EQ(PlacementAmong(sorted, 3.5), 1.0);
}

// Obuchowski (1997): numpy from the paper's formulas, on 80 simulated patients
// with 1 to 6 lesions each and many tied scores.
struct ClusteredData {
  std::vector<double> score;
  std::vector<std::uint8_t> truth;
  std::vector<std::uint32_t> cluster;
  std::size_t cluster_count = 0;
};

ClusteredData LoadClustered() {
  const auto data = ReadNumericCsv("clustered_data.csv");
  ClusteredData out{data.at("score"), ColumnAs<std::uint8_t>(data.at("truth")),
                    ColumnAs<std::uint32_t>(data.at("cluster")), 0};
  out.cluster_count = *std::max_element(out.cluster.begin(), out.cluster.end()) + 1;
  return out;
}

const nlohmann::json& ObuchowskiReference() { return Numpy()["obuchowski"]; }

TEST(ObuchowskiClusteredAuc, AucMatchesNumpy) {
  const ClusteredData d = LoadClustered();
  const auto result = ObuchowskiClusteredAuc(d.score, d.truth, d.cluster, d.cluster_count);
  EXPECT_TRUE(NearRelative(result.auc, ObuchowskiReference()["auc"].get<double>(), kClosedForm));
  EXPECT_EQ(result.clusters, ObuchowskiReference()["clusters"].get<std::size_t>());
}

TEST(ObuchowskiClusteredAuc, VarianceMatchesNumpyFromThePaper) {
  const ClusteredData d = LoadClustered();
  const auto result = ObuchowskiClusteredAuc(d.score, d.truth, d.cluster, d.cluster_count);
  EXPECT_TRUE(
      NearRelative(result.variance, ObuchowskiReference()["variance"].get<double>(), kClosedForm));
}

TEST(ObuchowskiClusteredAuc, DesignEffectMatchesNumpy) {
  const ClusteredData d = LoadClustered();
  const auto result = ObuchowskiClusteredAuc(d.score, d.truth, d.cluster, d.cluster_count);
  EXPECT_TRUE(NearRelative(result.design_effect,
                           ObuchowskiReference()["design_effect"].get<double>(), kClosedForm));
}

TEST(ObuchowskiClusteredAuc, SingletonClustersReduceToDelong) {
  const ClusteredData d = LoadClustered();
  std::vector<std::uint32_t> own(d.score.size());
  std::iota(own.begin(), own.end(), 0u);
  const auto result = ObuchowskiClusteredAuc(d.score, d.truth, own, own.size());
  const double expected = ObuchowskiReference()["singleton_clusters"]["variance"].get<double>();
  EXPECT_TRUE(NearRelative(result.variance, expected, kClosedForm));
  EXPECT_TRUE(NearRelative(result.design_effect, 1.0, kClosedForm));
}

TEST(Delong, VarianceMatchesNumpyOnTiedClusteredScores) {
  const ClusteredData d = LoadClustered();
  const double expected = ObuchowskiReference()["delong_variance"].get<double>();
  EXPECT_TRUE(NearRelative(Delong(Split(d.score, d.truth)).variance, expected, kClosedForm));
}

// Scores of both signs (logits) over a range wide enough for the radix path: sorted as
// std::sort sorts them (Boost's float_sort alone overflows a signed subtraction here).
TEST(SortScores, BothSignsSortLikeStdSort) {
  std::vector<double> values;
  for (int i = 0; i < 50000; ++i) {
    const double x = static_cast<double>((i * 7919) % 50000) - 25000.0;
    values.push_back(x * (i % 3 == 0 ? 1e-3 : 1e3));
  }
  values.push_back(-0.0);
  values.push_back(0.0);
  std::vector<double> expected = values;
  std::sort(expected.begin(), expected.end());
  const SortedScores sorted = SortScores(values, std::vector<double>{1.0});
  ASSERT_EQ(sorted.positives.size(), expected.size());
  for (std::size_t k = 0; k < expected.size(); ++k)
    EXPECT_EQ(sorted.positives[k], expected[k]) << k;
}

}  // namespace
}  // namespace assay::stats
