// Cohort comparison: a planted shift is "shifted", the same distribution shows
// no evidence, a tiny shift in a huge cohort is only "minor", the intervals
// hold their estimates and do not depend on the thread count, and a cohort
// without values is "not_comparable" and outside the multiplicity family.
#include "assay/analysis/shift.h"

#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "../../bench/binormal.h"

namespace assay::analysis {
namespace {

ShiftSample Numeric(const std::string& name, std::size_t n, double shift, std::uint64_t seed) {
  ShiftSample s;
  s.name = name;
  s.numeric = true;
  bench::NormalDraws draws(RandomStream(seed, PurposeId("shift_test"), 0));
  for (std::size_t i = 0; i < n; ++i) s.reference.push_back(draws.Next());
  for (std::size_t i = 0; i < n; ++i) s.target.push_back(draws.Next() + shift);
  return s;
}

ShiftSample Categorical(const std::string& name, std::size_t n, double target_share_of_b) {
  ShiftSample s;
  s.name = name;
  s.levels = {"A", "B"};
  for (std::size_t i = 0; i < n; ++i) s.reference_codes.push_back(i % 2 == 0 ? 0 : 1);
  const auto b = static_cast<std::size_t>(target_share_of_b * static_cast<double>(n));
  for (std::size_t i = 0; i < n; ++i) s.target_codes.push_back(i < b ? 1 : 0);
  return s;
}

const AttributeShift& Find(const ShiftResult& r, const std::string& name) {
  for (const auto& a : r.attributes) {
    if (a.name == name) return a;
  }
  throw std::runtime_error(name);
}

TEST(CompareCohorts, NamesThePlantedShiftAndOnlyIt) {
  const std::vector<ShiftSample> samples = {
      Numeric("age", 5000, 0.8, 1), Numeric("same", 5000, 0, 2), Categorical("vendor", 4000, 0.8),
      Categorical("sex", 4000, 0.5)};
  const ShiftResult r = CompareCohorts(samples, {});
  EXPECT_EQ(Find(r, "age").status, "shifted");
  EXPECT_EQ(Find(r, "same").status, "no_evidence");
  EXPECT_EQ(Find(r, "vendor").status, "shifted");
  EXPECT_EQ(Find(r, "sex").status, "no_evidence");
  const AttributeShift& vendor = Find(r, "vendor");
  EXPECT_NEAR(*vendor.total_variation, 0.3, 1e-12);
  EXPECT_LE(vendor.total_variation_ci->lower, 0.3);
  EXPECT_GE(vendor.total_variation_ci->upper, 0.3);
  EXPECT_LE(vendor.psi_ci.lower, vendor.psi);
  EXPECT_GE(vendor.psi_ci.upper, vendor.psi);
  EXPECT_NEAR(*Find(r, "age").wasserstein, 0.8, 0.05);
  // Holm over the four tests: the adjusted p-value is at least the raw one.
  for (const auto& a : r.attributes) EXPECT_GE(a.adjusted_p, a.p_value);
}

TEST(CompareCohorts, ATinyShiftInAHugeCohortIsOnlyMinor) {
  const std::vector<ShiftSample> samples = {Numeric("lab", 400000, 0.03, 3)};
  const ShiftResult r = CompareCohorts(samples, {});
  const AttributeShift& lab = r.attributes[0];
  EXPECT_LT(lab.adjusted_p, 1e-6);
  EXPECT_LT(lab.psi, 0.01);
  EXPECT_EQ(lab.status, "minor");
}

TEST(CompareCohorts, IntervalsDoNotDependOnThreads) {
  const std::vector<ShiftSample> samples = {Numeric("a", 3000, 0.2, 4), Categorical("b", 3000, 0.6),
                                            Numeric("c", 3000, 0.0, 5)};
  ShiftResult one, many;
  {
    tbb::global_control single(tbb::global_control::max_allowed_parallelism, 1);
    one = CompareCohorts(samples, {});
  }
  many = CompareCohorts(samples, {});
  for (std::size_t a = 0; a < samples.size(); ++a) {
    EXPECT_EQ(one.attributes[a].psi_ci.lower, many.attributes[a].psi_ci.lower);
    EXPECT_EQ(one.attributes[a].psi_ci.upper, many.attributes[a].psi_ci.upper);
    if (one.attributes[a].numeric) {
      EXPECT_EQ(one.attributes[a].wasserstein_ci->lower, many.attributes[a].wasserstein_ci->lower);
      EXPECT_EQ(one.attributes[a].statistic_ci->upper, many.attributes[a].statistic_ci->upper);
    }
  }
}

// Two normal cohorts 0.4 SD apart: Wasserstein-1 is 0.4 and the KS distance 2 Phi(0.2) - 1.
// Their intervals (grid bootstrap) cover these in about 95% of 120 simulated pairs of cohorts.
TEST(CompareCohorts, KolmogorovSmirnovAndWassersteinIntervalsCoverTheTruth) {
  const double true_ks = std::erf(0.2 / std::sqrt(2.0));
  int ks_covered = 0, w1_covered = 0;
  constexpr int kPairs = 120;
  for (int pair = 0; pair < kPairs; ++pair) {
    const std::vector<ShiftSample> samples = {Numeric("x", 3000, 0.4, 100 + pair)};
    const AttributeShift x = CompareCohorts(samples, {}).attributes[0];
    ASSERT_TRUE(x.statistic_ci && x.wasserstein_ci);
    EXPECT_LE(x.statistic_ci->lower, x.statistic);
    EXPECT_GE(x.statistic_ci->upper, x.statistic);
    EXPECT_LE(x.wasserstein_ci->lower, *x.wasserstein);
    EXPECT_GE(x.wasserstein_ci->upper, *x.wasserstein);
    ks_covered += x.statistic_ci->lower <= true_ks && true_ks <= x.statistic_ci->upper;
    w1_covered += x.wasserstein_ci->lower <= 0.4 && 0.4 <= x.wasserstein_ci->upper;
  }
  // Binomial(120, 0.95) falls below 106 with probability under 0.3%.
  EXPECT_GE(ks_covered, 106);
  EXPECT_GE(w1_covered, 106);
}

// With few distinct values the grid holds them all. Identical cohorts: both distances are 0,
// and their intervals lie just above it (a resampled pair of cohorts is never quite identical).
TEST(CompareCohorts, FewDistinctValuesAreBootstrappedExactly) {
  ShiftSample kvp;
  kvp.name = "kvp";
  kvp.numeric = true;
  for (int i = 0; i < 900; ++i) {
    kvp.reference.push_back(100.0 + 10.0 * (i % 3));
    kvp.target.push_back(100.0 + 10.0 * (i % 3));
  }
  const AttributeShift same = CompareCohorts(std::vector{kvp}, {}).attributes[0];
  EXPECT_EQ(same.statistic, 0.0);
  EXPECT_EQ(*same.wasserstein, 0.0);
  EXPECT_GE(same.statistic_ci->lower, 0.0);
  EXPECT_GT(same.statistic_ci->upper, 0.0);
  EXPECT_LT(same.statistic_ci->upper, 0.1);
  EXPECT_GT(same.wasserstein_ci->upper, 0.0);
  EXPECT_LT(same.wasserstein_ci->upper, 2.0);
}

TEST(CompareCohorts, AnEmptyCohortIsNotComparable) {
  ShiftSample empty;
  empty.name = "kvp";
  empty.numeric = true;
  empty.reference = {100, 110, 120};
  empty.target = {std::nan(""), std::nan("")};
  const std::vector<ShiftSample> samples = {empty, Numeric("age", 1000, 0.5, 6)};
  const ShiftResult r = CompareCohorts(samples, {});
  EXPECT_EQ(r.attributes[0].status, "not_comparable");
  EXPECT_EQ(r.attributes[0].target_missing, 2U);
  // Only one test in the family: Holm leaves its p-value as it is.
  EXPECT_EQ(r.attributes[1].adjusted_p, r.attributes[1].p_value);
}

}  // namespace
}  // namespace assay::analysis
