// Two-sample shift statistics against scipy (chi2_contingency without
// correction, ks_2samp's statistic, kstwobign's survival function,
// wasserstein_distance) and the PSI and total variation written out in numpy
// (tests/reference/statsmodels_reference.py, "shift").
#include "assay/stats/shift.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "../reference/reference_files.h"

namespace assay::stats {
namespace {

using assay::testing::kClosedForm;
using assay::testing::NearRelative;
using assay::testing::ReadNumericCsv;
using assay::testing::ReferenceJson;

const nlohmann::json& Shift() { return ReferenceJson("statsmodels_reference.json")["shift"]; }

std::vector<std::uint64_t> Counts(const nlohmann::json& values) {
  return values.get<std::vector<std::uint64_t>>();
}

TEST(ShiftStatistics, CategoricalMatchScipyAndNumpy) {
  ASSERT_EQ(Shift()["tables"].size(), 3U);
  for (const auto& t : Shift()["tables"]) {
    const auto r = Counts(t["reference"]), g = Counts(t["target"]);
    const ChiSquareTest test = CategoricalChiSquare(r, g);
    EXPECT_TRUE(NearRelative(test.statistic, t["statistic"].get<double>(), kClosedForm));
    EXPECT_TRUE(NearRelative(test.p_value, t["p_value"].get<double>(), 1e-9));
    EXPECT_EQ(test.degrees_of_freedom, t["degrees_of_freedom"].get<double>());
    EXPECT_TRUE(
        NearRelative(TotalVariation(r, g), t["total_variation"].get<double>(), kClosedForm));
    EXPECT_TRUE(NearRelative(PopulationStability(r, g), t["psi"].get<double>(), kClosedForm));
  }
}

TEST(ShiftStatistics, NumericMatchScipyAndNumpy) {
  ASSERT_EQ(Shift()["samples"].size(), 3U);
  for (const auto& s : Shift()["samples"]) {
    const auto columns = ReadNumericCsv(s["file"].get<std::string>());
    std::vector<double> a, b;
    for (std::size_t i = 0; i < columns.at("cohort").size(); ++i) {
      (columns.at("cohort")[i] == 0 ? a : b).push_back(columns.at("value")[i]);
    }
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    const KolmogorovSmirnov ks = KolmogorovSmirnovTest(a, b);
    EXPECT_TRUE(NearRelative(ks.statistic, s["ks_statistic"].get<double>(), kClosedForm));
    EXPECT_TRUE(NearRelative(ks.p_value, s["ks_p_asymptotic"].get<double>(), 1e-9));
    EXPECT_TRUE(NearRelative(Wasserstein1(a, b), s["wasserstein"].get<double>(), 1e-9));
    const auto [r, g] = DecileCounts(a, b);
    EXPECT_EQ(r, Counts(s["decile_reference"]));
    EXPECT_EQ(g, Counts(s["decile_target"]));
    EXPECT_TRUE(NearRelative(PopulationStability(r, g), s["psi"].get<double>(), kClosedForm));
  }
}

TEST(ShiftStatistics, KolmogorovSurvivalMatchesKstwobignOnBothSeries) {
  for (const auto& k : Shift()["kolmogorov"]) {
    EXPECT_TRUE(NearRelative(KolmogorovSurvival(k["x"].get<double>()), k["sf"].get<double>(), 1e-9))
        << k["x"];
  }
  EXPECT_EQ(KolmogorovSurvival(0.0), 1.0);
}

TEST(ShiftStatistics, IdenticalSamplesShowNoShift) {
  const std::vector<double> a{1, 2, 2, 3, 5}, b{1, 2, 2, 3, 5};
  EXPECT_EQ(KolmogorovSmirnovTest(a, b).statistic, 0.0);
  EXPECT_EQ(KolmogorovSmirnovTest(a, b).p_value, 1.0);
  EXPECT_EQ(Wasserstein1(a, b), 0.0);
  const std::vector<std::uint64_t> c{4, 0, 6}, d{4, 0, 6};
  EXPECT_EQ(CategoricalChiSquare(c, d).statistic, 0.0);
  EXPECT_EQ(CategoricalChiSquare(c, d).degrees_of_freedom, 1.0);
  EXPECT_EQ(PopulationStability(c, d), 0.0);
}

}  // namespace
}  // namespace assay::stats
