// The domain classifier: two uniform cohorts 0.3 apart give the analytic AUC
// 1 - 0.7^2 / 2 = 0.755 and name the shifted attribute first; alike cohorts
// give an interval that holds 0.5; large cohorts are subsampled to about the
// maximum; a cohort without cases gives a note, not a number.
#include "assay/analysis/domain_classifier.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "assay/core/random.h"

namespace assay::analysis {
namespace {

std::vector<ShiftSample> Cohorts(std::size_t n, double shift) {
  std::vector<ShiftSample> s(2);
  s[0].name = "age";
  s[0].numeric = true;
  s[1].name = "vendor";
  s[1].levels = {"A", "B"};
  RandomStream r(11, PurposeId("domain_classifier_test"), 0);
  for (std::size_t i = 0; i < n; ++i) {
    s[0].reference.push_back(r.NextUniform());
    s[0].target.push_back(r.NextUniform() + shift);
    s[1].reference_codes.push_back(static_cast<std::uint32_t>(r.NextBelow(2)));
    s[1].target_codes.push_back(static_cast<std::uint32_t>(r.NextBelow(2)));
  }
  return s;
}

TEST(ClassifyDomains, RecoversTheAnalyticAucAndNamesTheShiftedAttribute) {
  const DomainClassifierResult r = ClassifyDomains(Cohorts(20000, 0.3), {});
  EXPECT_NEAR(r.auc, 1.0 - 0.7 * 0.7 / 2.0, 0.01);
  EXPECT_LT(r.auc_ci.lower, r.auc);
  EXPECT_GT(r.auc_ci.upper, r.auc);
  ASSERT_FALSE(r.strongest.empty());
  EXPECT_EQ(r.strongest[0].feature, "age");
  EXPECT_GT(r.strongest[0].coefficient, 0.0);  // the target is older
  EXPECT_EQ(r.features, 2U);
  EXPECT_TRUE(r.converged);
}

TEST(ClassifyDomains, AlikeCohortsHoldHalfInTheInterval) {
  const DomainClassifierResult r = ClassifyDomains(Cohorts(20000, 0.0), {});
  EXPECT_LE(r.auc_ci.lower, 0.5);
  EXPECT_GE(r.auc_ci.upper, 0.5);
}

TEST(ClassifyDomains, SubsamplesLargeCohorts) {
  DomainClassifierOptions options;
  options.maximum_per_cohort = 5000;
  const DomainClassifierResult r = ClassifyDomains(Cohorts(40000, 0.3), options);
  EXPECT_NEAR(static_cast<double>(r.reference_cases), 5000.0, 300.0);
  EXPECT_NEAR(static_cast<double>(r.target_cases), 5000.0, 300.0);
}

TEST(ClassifyDomains, AnEmptyCohortGivesANote) {
  std::vector<ShiftSample> s = Cohorts(100, 0.3);
  s[0].target.clear();
  s[1].target_codes.clear();
  const DomainClassifierResult r = ClassifyDomains(s, {});
  EXPECT_FALSE(r.note.empty());
  EXPECT_TRUE(std::isnan(r.auc_ci.lower));
}

}  // namespace
}  // namespace assay::analysis
