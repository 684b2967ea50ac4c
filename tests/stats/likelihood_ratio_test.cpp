// Likelihood ratios and predictive values at a stated prevalence. Expected
// values were computed with numpy/scipy from the published formulas (Simel,
// Samsa & Matchar 1991; Mercaldo, Lau & Zhou 2007) for the 2x2 table
// TP = 26 of 41 positives, TN = 58 of 72 negatives (s100b >= 0.205 on aSAH).
#include <gtest/gtest.h>

#include <cmath>

#include "assay/stats/proportion.h"

namespace assay::stats {
namespace {

constexpr double kTolerance = 1e-12;

void ExpectRatio(const std::optional<RatioEstimate>& ratio, double estimate, double lower,
                 double upper) {
  ASSERT_TRUE(ratio.has_value());
  EXPECT_NEAR(ratio->estimate, estimate, kTolerance);
  EXPECT_NEAR(ratio->interval.lower, lower, kTolerance);
  EXPECT_NEAR(ratio->interval.upper, upper, kTolerance);
}

TEST(LikelihoodRatio, PositiveMatchesSimelFormula) {
  ExpectRatio(PositiveLikelihoodRatio(26, 41, 58, 72, 0.95), 3.2613240418118465, 1.9302363205817787,
              5.510327617550044);
}

TEST(LikelihoodRatio, NegativeMatchesSimelFormula) {
  ExpectRatio(NegativeLikelihoodRatio(26, 41, 58, 72, 0.95), 0.45416316232127835,
              0.29880466876981554, 0.6902977080607787);
}

TEST(LikelihoodRatio, ZeroFalsePositivesGivesInfiniteRatioWithHaldaneLowerBound) {
  const auto ratio = PositiveLikelihoodRatio(20, 40, 30, 30, 0.95);
  ASSERT_TRUE(ratio.has_value());
  EXPECT_TRUE(std::isinf(ratio->estimate));
  EXPECT_NEAR(ratio->interval.lower, 1.9496248113704318, kTolerance);
  EXPECT_TRUE(std::isinf(ratio->interval.upper));
}

TEST(LikelihoodRatio, NothingCalledPositiveIsUndefinedNotZero) {
  // TP = 0 and FP = 0: LR+ is 0/0.
  EXPECT_FALSE(PositiveLikelihoodRatio(0, 10, 20, 20, 0.95).has_value());
  // LR- is then 1, but its interval must not collapse to [1, 1].
  const auto negative = NegativeLikelihoodRatio(0, 10, 20, 20, 0.95);
  ASSERT_TRUE(negative.has_value());
  EXPECT_DOUBLE_EQ(negative->estimate, 1.0);
  EXPECT_LT(negative->interval.lower, 1.0);
  EXPECT_GT(negative->interval.upper, 1.0);
}

TEST(PredictiveValueAtPrevalence, PpvMatchesMercaldoLogitInterval) {
  ExpectRatio(PredictiveValueAtPrevalence(true, 26, 41, 58, 72, 0.1, 0.95), 0.2659846547314578,
              0.17659602811579822, 0.37975211606424225);
}

TEST(PredictiveValueAtPrevalence, NpvMatchesMercaldoLogitInterval) {
  ExpectRatio(PredictiveValueAtPrevalence(false, 26, 41, 58, 72, 0.1, 0.95), 0.9519615692554043,
              0.9287640350320133, 0.9678663355760815);
}

TEST(PredictiveValueAtPrevalence, PerfectSpecificityStillGivesAnIntervalOfWidth) {
  const auto ppv = PredictiveValueAtPrevalence(true, 5, 10, 4, 4, 0.1, 0.95);
  ASSERT_TRUE(ppv.has_value());
  EXPECT_DOUBLE_EQ(ppv->estimate, 1.0);
  EXPECT_DOUBLE_EQ(ppv->interval.upper, 1.0);
  EXPECT_LT(ppv->interval.lower, 0.9);
}

TEST(PredictiveValueAtPrevalence, NothingCalledPositiveIsUndefined) {
  EXPECT_FALSE(PredictiveValueAtPrevalence(true, 0, 10, 20, 20, 0.1, 0.95).has_value());
}

}  // namespace
}  // namespace assay::stats
