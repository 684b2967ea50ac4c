// Binomial proportion intervals against statsmodels' proportion_confint
// (tests/reference/statsmodels_reference.py), over a grid of counts that
// includes x = 0, x = n, n = 1, n = 7, 88/100 and n up to 10^6, at levels
// 0.90, 0.95 and 0.99.
#include "assay/stats/proportion.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "../reference/reference_files.h"

namespace assay::stats {
namespace {

using assay::testing::kClosedForm;
using assay::testing::NearRelative;
using assay::testing::ReferenceJson;

const nlohmann::json& Cases() { return ReferenceJson("statsmodels_reference.json")["proportion"]; }

// Compares every grid case of one method; returns how many were compared.
int CompareMethod(ProportionMethod method, bool jeffreys_boundary = false) {
  int compared = 0;
  for (const auto& c : Cases()) {
    if (c["method"] != std::string(ProportionMethodName(method))) continue;
    const auto x = c["successes"].get<std::uint64_t>();
    const auto n = c["trials"].get<std::uint64_t>();
    const double level = c["level"].get<double>();
    double lower = c["lower"].get<double>();
    double upper = c["upper"].get<double>();
    if (jeffreys_boundary) {
      // statsmodels gives the plain Beta(x + 1/2, n - x + 1/2) quantiles. assay
      // follows Brown, Cai & DasGupta (2001, section 4.1.2): the lower bound is
      // 0 when x = 0 and the upper bound 1 when x = n. Adjust the reference.
      if (x == 0) lower = 0.0;
      if (x == n) upper = 1.0;
    }
    const Interval interval = ProportionInterval(x, n, level, method);
    const std::string where =
        std::to_string(x) + "/" + std::to_string(n) + " at " + std::to_string(level);
    EXPECT_TRUE(NearRelative(interval.lower, lower, kClosedForm)) << where << " lower";
    EXPECT_TRUE(NearRelative(interval.upper, upper, kClosedForm)) << where << " upper";
    ++compared;
  }
  return compared;
}

constexpr int kGridCases = 19 * 3;  // (x, n) pairs times levels

TEST(ProportionInterval, WilsonMatchesStatsmodels) {
  EXPECT_EQ(CompareMethod(ProportionMethod::kWilson), kGridCases);
}

TEST(ProportionInterval, ClopperPearsonMatchesStatsmodelsBeta) {
  EXPECT_EQ(CompareMethod(ProportionMethod::kClopperPearson), kGridCases);
}

TEST(ProportionInterval, JeffreysMatchesStatsmodelsWithBoundaryRule) {
  EXPECT_EQ(CompareMethod(ProportionMethod::kJeffreys, /*jeffreys_boundary=*/true), kGridCases);
}

TEST(ProportionInterval, AgrestiCoullMatchesStatsmodels) {
  EXPECT_EQ(CompareMethod(ProportionMethod::kAgrestiCoull), kGridCases);
}

TEST(ProportionInterval, WaldMatchesStatsmodelsNormal) {
  EXPECT_EQ(CompareMethod(ProportionMethod::kWald), kGridCases);
}

// The evidence the project cites: 88 of 100 at 95%.
TEST(ProportionInterval, EightyEightOfHundredClopperPearsonLowerIs07998) {
  const Interval interval = ProportionInterval(88, 100, 0.95, ProportionMethod::kClopperPearson);
  EXPECT_NEAR(interval.lower, 0.7998, 5e-5);
}

TEST(ProportionInterval, EightyEightOfHundredWilsonLowerIs08019) {
  const Interval interval = ProportionInterval(88, 100, 0.95, ProportionMethod::kWilson);
  EXPECT_NEAR(interval.lower, 0.8019, 5e-5);
}

TEST(ProportionInterval, JeffreysLowerIsZeroWhenNoSuccesses) {
  EXPECT_EQ(ProportionInterval(0, 7, 0.95, ProportionMethod::kJeffreys).lower, 0.0);
  EXPECT_GT(ProportionInterval(0, 7, 0.95, ProportionMethod::kJeffreys).upper, 0.0);
}

TEST(ProportionInterval, JeffreysUpperIsOneWhenAllSuccesses) {
  EXPECT_EQ(ProportionInterval(7, 7, 0.95, ProportionMethod::kJeffreys).upper, 1.0);
  EXPECT_LT(ProportionInterval(7, 7, 0.95, ProportionMethod::kJeffreys).lower, 1.0);
}

TEST(ProportionInterval, CarriesLevelAndMethodName) {
  const Interval interval = ProportionInterval(3, 7, 0.9, ProportionMethod::kAgrestiCoull);
  EXPECT_EQ(interval.level, 0.9);
  EXPECT_EQ(interval.method, "agresti_coull");
}

TEST(ProportionInterval, MethodNamesRoundTrip) {
  for (auto method :
       {ProportionMethod::kWilson, ProportionMethod::kClopperPearson, ProportionMethod::kJeffreys,
        ProportionMethod::kAgrestiCoull, ProportionMethod::kWald}) {
    EXPECT_EQ(ParseProportionMethod(ProportionMethodName(method)), method);
  }
  EXPECT_FALSE(ParseProportionMethod("beta").has_value());
}

}  // namespace
}  // namespace assay::stats
