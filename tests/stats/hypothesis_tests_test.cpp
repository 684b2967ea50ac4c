// McNemar's exact and mid-p tests against scipy.stats.binomtest, Pearson's
// chi-square homogeneity test against scipy.stats.chi2_contingency
// (correction=False), and Cochran's Q against its definition evaluated with
// numpy and scipy's chi-square tail (tests/reference/statsmodels_reference.py).
#include "assay/stats/hypothesis_tests.h"

#include <gtest/gtest.h>

#include <vector>

#include "../reference/reference_files.h"

namespace assay::stats {
namespace {

using assay::testing::kClosedForm;
using assay::testing::NearRelative;
using assay::testing::ReferenceJson;

const nlohmann::json& Reference() { return ReferenceJson("statsmodels_reference.json"); }

TEST(McNemarTest, ExactPMatchesScipyBinomtest) {
  ASSERT_FALSE(Reference()["mcnemar"].empty());
  for (const auto& c : Reference()["mcnemar"]) {
    const auto b = c["b"].get<std::uint64_t>(), d = c["c"].get<std::uint64_t>();
    EXPECT_TRUE(NearRelative(McNemarTest(b, d).exact_p, c["exact_p"].get<double>(), kClosedForm))
        << "b = " << b << ", c = " << d;
  }
}

TEST(McNemarTest, MidPMatchesExactMinusPointProbability) {
  for (const auto& c : Reference()["mcnemar"]) {
    const auto b = c["b"].get<std::uint64_t>(), d = c["c"].get<std::uint64_t>();
    EXPECT_TRUE(NearRelative(McNemarTest(b, d).mid_p, c["mid_p"].get<double>(), kClosedForm))
        << "b = " << b << ", c = " << d;
  }
}

TEST(McNemarTest, KeepsTheDiscordantCounts) {
  const McNemar test = McNemarTest(3, 11);
  EXPECT_EQ(test.first_only, 3u);
  EXPECT_EQ(test.second_only, 11u);
}

TEST(McNemarTest, IsSymmetricInTheTwoRules) {
  EXPECT_DOUBLE_EQ(McNemarTest(25, 40).exact_p, McNemarTest(40, 25).exact_p);
  EXPECT_DOUBLE_EQ(McNemarTest(25, 40).mid_p, McNemarTest(40, 25).mid_p);
}

TEST(McNemarTest, NoDiscordantPairsGivesPOne) { EXPECT_EQ(McNemarTest(0, 0).exact_p, 1.0); }

ChiSquare Homogeneity(const nlohmann::json& table) {
  return ProportionHomogeneity(table["successes"].get<std::vector<std::uint64_t>>(),
                               table["trials"].get<std::vector<std::uint64_t>>());
}

TEST(ProportionHomogeneity, StatisticMatchesScipyChi2Contingency) {
  ASSERT_FALSE(Reference()["homogeneity"].empty());
  for (const auto& table : Reference()["homogeneity"]) {
    const ChiSquare result = Homogeneity(table);
    EXPECT_TRUE(NearRelative(result.statistic, table["statistic"].get<double>(), kClosedForm));
    EXPECT_EQ(result.degrees_of_freedom, table["degrees_of_freedom"].get<double>());
  }
}

TEST(ProportionHomogeneity, PValueMatchesScipyChi2Contingency) {
  for (const auto& table : Reference()["homogeneity"]) {
    EXPECT_TRUE(
        NearRelative(Homogeneity(table).p_value, table["p_value"].get<double>(), kClosedForm));
  }
}

TEST(ProportionHomogeneity, IgnoresGroupsWithoutTrials) {
  const auto& table = Reference()["homogeneity"][0];
  auto successes = table["successes"].get<std::vector<std::uint64_t>>();
  auto trials = table["trials"].get<std::vector<std::uint64_t>>();
  successes.push_back(0);
  trials.push_back(0);
  const ChiSquare result = ProportionHomogeneity(successes, trials);
  EXPECT_TRUE(NearRelative(result.p_value, table["p_value"].get<double>(), kClosedForm));
  EXPECT_EQ(result.degrees_of_freedom, table["degrees_of_freedom"].get<double>());
}

TEST(ProportionHomogeneity, OneGroupGivesPOneWithZeroDegreesOfFreedom) {
  const ChiSquare result =
      ProportionHomogeneity(std::vector<std::uint64_t>{4, 0}, std::vector<std::uint64_t>{9, 0});
  EXPECT_EQ(result.p_value, 1.0);
  EXPECT_EQ(result.degrees_of_freedom, 0.0);
}

TEST(CochranQ, MatchesItsDefinition) {
  const auto& c = Reference()["cochran_q"];
  const ChiSquare result = CochranQ(c["estimates"].get<std::vector<double>>(),
                                    c["variances"].get<std::vector<double>>());
  EXPECT_TRUE(NearRelative(result.statistic, c["statistic"].get<double>(), kClosedForm));
  EXPECT_EQ(result.degrees_of_freedom, c["degrees_of_freedom"].get<double>());
  EXPECT_TRUE(NearRelative(result.p_value, c["p_value"].get<double>(), kClosedForm));
}

TEST(CochranQ, IgnoresEntriesWithoutAPositiveVariance) {
  const auto& c = Reference()["cochran_q"];
  auto estimates = c["estimates"].get<std::vector<double>>();
  auto variances = c["variances"].get<std::vector<double>>();
  estimates.insert(estimates.end(), {0.1, 0.9});
  variances.insert(variances.end(), {0.0, -1.0});
  const ChiSquare result = CochranQ(estimates, variances);
  EXPECT_TRUE(NearRelative(result.statistic, c["statistic"].get<double>(), kClosedForm));
  EXPECT_EQ(result.degrees_of_freedom, c["degrees_of_freedom"].get<double>());
}

}  // namespace
}  // namespace assay::stats
