#include "assay/stats/multiplicity.h"

#include <gtest/gtest.h>

#include "../reference/reference_files.h"

namespace assay::stats {
namespace {

// Expected values from R 4.2: p.adjust(c(0.01, 0.04, 0.03, 0.005), method = ...).
const std::vector<double> kPValues = {0.01, 0.04, 0.03, 0.005};

TEST(AdjustPValues, HolmMatchesR) {
  const auto adjusted = AdjustPValues(kPValues, Multiplicity::kHolm);
  const std::vector<double> expected = {0.03, 0.06, 0.06, 0.02};
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(adjusted[i], expected[i], 1e-12);
}

TEST(AdjustPValues, BenjaminiHochbergMatchesR) {
  const auto adjusted = AdjustPValues(kPValues, Multiplicity::kBenjaminiHochberg);
  const std::vector<double> expected = {0.02, 0.04, 0.04, 0.02};
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(adjusted[i], expected[i], 1e-12);
}

TEST(AdjustPValues, BonferroniCapsAtOne) {
  const auto adjusted = AdjustPValues(std::vector<double>{0.5, 0.01}, Multiplicity::kBonferroni);
  EXPECT_DOUBLE_EQ(adjusted[0], 1.0);
  EXPECT_DOUBLE_EQ(adjusted[1], 0.02);
}

TEST(AdjustPValues, NamesRoundTrip) {
  for (auto method : {Multiplicity::kHolm, Multiplicity::kBonferroni,
                      Multiplicity::kBenjaminiHochberg, Multiplicity::kNone}) {
    EXPECT_EQ(ParseMultiplicity(MultiplicityName(method)), method);
  }
  EXPECT_FALSE(ParseMultiplicity("hochberg").has_value());
}

// statsmodels' multipletests on a longer family with ties
// (tests/reference/statsmodels_reference.py).
void ExpectMatchesStatsmodels(Multiplicity method, const char* key) {
  const auto& reference =
      assay::testing::ReferenceJson("statsmodels_reference.json")["multiplicity"];
  const auto p_values = reference["p_values"].get<std::vector<double>>();
  const auto expected = reference[key].get<std::vector<double>>();
  const auto adjusted = AdjustPValues(p_values, method);
  ASSERT_EQ(adjusted.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_TRUE(assay::testing::NearRelative(adjusted[i], expected[i], assay::testing::kClosedForm))
        << key << " p-value " << i;
  }
}

TEST(AdjustPValues, HolmMatchesStatsmodels) {
  ExpectMatchesStatsmodels(Multiplicity::kHolm, "holm");
}

TEST(AdjustPValues, BenjaminiHochbergMatchesStatsmodelsFdrBh) {
  ExpectMatchesStatsmodels(Multiplicity::kBenjaminiHochberg, "benjamini_hochberg");
}

TEST(AdjustPValues, BonferroniMatchesStatsmodels) {
  ExpectMatchesStatsmodels(Multiplicity::kBonferroni, "bonferroni");
}

}  // namespace
}  // namespace assay::stats
