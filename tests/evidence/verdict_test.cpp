#include "assay/evidence/verdict.h"

#include <gtest/gtest.h>

#include <vector>

#include "assay/stats/proportion.h"

namespace assay::evidence {
namespace {

using stats::ProportionInterval;
using stats::ProportionMethod;

TEST(JudgeAgainstGoal, IntervalMethodCanFlipTheVerdict) {
  // 88/100 against a goal of 0.80: Clopper-Pearson's lower bound is 0.7998
  // (inconclusive), Wilson's 0.8019 (supported).
  EXPECT_EQ(
      JudgeAgainstGoal(ProportionInterval(88, 100, 0.95, ProportionMethod::kClopperPearson), 0.80),
      Verdict::kInconclusive);
  EXPECT_EQ(JudgeAgainstGoal(ProportionInterval(88, 100, 0.95, ProportionMethod::kWilson), 0.80),
            Verdict::kSupported);
}

TEST(JudgeAgainstGoal, WhollyBelowIsNotSupported) {
  EXPECT_EQ(JudgeAgainstGoal(stats::Interval{0.60, 0.75, 0.95, "wilson"}, 0.80),
            Verdict::kNotSupported);
}

TEST(JudgeAgainstGoal, ABoundOnTheGoalDoesNotClearIt) {
  EXPECT_EQ(JudgeAgainstGoal(stats::Interval{0.80, 0.90, 0.95, "wilson"}, 0.80),
            Verdict::kInconclusive);
  EXPECT_EQ(JudgeAgainstGoal(stats::Interval{0.70, 0.80, 0.95, "wilson"}, 0.80),
            Verdict::kInconclusive);
}

TEST(JudgeDifference, NonInferiorityAgainstMinusMargin) {
  const stats::Interval difference{-0.015, 0.03, 0.95, "delong"};
  EXPECT_EQ(JudgeDifference(difference, 0.02, false), Verdict::kSupported);
  EXPECT_EQ(JudgeDifference(difference, 0.01, false), Verdict::kInconclusive);
  EXPECT_EQ(JudgeDifference(stats::Interval{-0.09, -0.03, 0.95, "delong"}, 0.02, false),
            Verdict::kNotSupported);
}

TEST(JudgeDifference, SuperiorityAgainstPlusMargin) {
  EXPECT_EQ(JudgeDifference(stats::Interval{0.01, 0.05, 0.95, "delong"}, 0.0, true),
            Verdict::kSupported);
  EXPECT_EQ(JudgeDifference(stats::Interval{0.01, 0.05, 0.95, "delong"}, 0.02, true),
            Verdict::kInconclusive);
}

TEST(CombinePrimary, AnyNotSupportedContradicts) {
  const std::vector<Verdict> verdicts = {Verdict::kSupported, Verdict::kNotSupported,
                                         Verdict::kInconclusive};
  EXPECT_EQ(CombinePrimary(verdicts, false), OverallVerdict::kContradicted);
}

TEST(CombinePrimary, AllSupportedIsSufficientUnlessASubgroupConcerns) {
  const std::vector<Verdict> verdicts = {Verdict::kSupported, Verdict::kSupported};
  EXPECT_EQ(CombinePrimary(verdicts, false), OverallVerdict::kSufficient);
  EXPECT_EQ(CombinePrimary(verdicts, true), OverallVerdict::kInsufficient);
}

TEST(CombinePrimary, InconclusiveNotEvaluableOrNothingIsInsufficient) {
  EXPECT_EQ(
      CombinePrimary(std::vector<Verdict>{Verdict::kSupported, Verdict::kInconclusive}, false),
      OverallVerdict::kInsufficient);
  EXPECT_EQ(CombinePrimary(std::vector<Verdict>{Verdict::kNotEvaluable}, false),
            OverallVerdict::kInsufficient);
  EXPECT_EQ(CombinePrimary(std::vector<Verdict>{}, false), OverallVerdict::kInsufficient);
}

TEST(VerdictName, NamesAreTheSchemaValues) {
  EXPECT_EQ(VerdictName(Verdict::kNotSupported), "not_supported");
  EXPECT_EQ(OverallVerdictName(OverallVerdict::kInsufficient), "insufficient");
}

}  // namespace
}  // namespace assay::evidence
