// Sufficiency numbers. Checked against the project's evidence notes (88/100
// against a goal of 0.80), against smallest n found by brute force with
// statsmodels' proportion_confint and scipy's binomial distribution (values
// written in below), against brute-force scans and exact binomial sums done
// here independently of the library's search, and by simulation: studies of
// the planned size, drawn from RandomStream, must reach the planned power.
#include "assay/stats/sample_size.h"

#include <gtest/gtest.h>

#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <cstdint>
#include <vector>

#include "assay/core/random.h"
#include "assay/stats/proportion.h"

namespace assay::stats {
namespace {

constexpr auto kWilson = ProportionMethod::kWilson;
constexpr auto kClopperPearson = ProportionMethod::kClopperPearson;
constexpr std::uint64_t kSeed = 20240611;

std::uint64_t Held(double estimate, std::uint64_t n) {
  return static_cast<std::uint64_t>(std::llround(estimate * static_cast<double>(n)));
}

// The criterion of CasesToDecideProportion, written out.
bool Decides(double estimate, std::uint64_t n, double goal, ProportionMethod method) {
  const Interval interval = ProportionInterval(Held(estimate, n), n, 0.95, method);
  return estimate > goal ? interval.lower > goal : interval.upper < goal;
}

// The smallest n >= start that decides it, one case at a time from start.
std::uint64_t BruteForceCases(double estimate, std::uint64_t start, double goal,
                              ProportionMethod method) {
  std::uint64_t n = start;
  while (!Decides(estimate, n, goal, method)) ++n;
  return n;
}

// P(lower bound > goal) for X ~ Binomial(n, p): every count is checked and
// its probability summed (no monotonicity assumed, no Boost binomial).
double ExactPower(std::uint64_t n, double p, double goal, ProportionMethod method) {
  const auto nd = static_cast<double>(n);
  double power = 0.0;
  for (std::uint64_t x = 0; x <= n; ++x) {
    if (ProportionInterval(x, n, 0.95, method).lower <= goal) continue;
    const auto xd = static_cast<double>(x);
    const double log_choose =
        std::lgamma(nd + 1.0) - std::lgamma(xd + 1.0) - std::lgamma(nd - xd + 1.0);
    const double log_p = x == 0 ? 0.0 : xd * std::log(p);
    const double log_q = x == n ? 0.0 : (nd - xd) * std::log1p(-p);
    power += std::exp(log_choose + log_p + log_q);
  }
  return power;
}

TEST(CasesToDecideProportion, ClopperPearson88Of100NeedsOneMoreCaseByTheRoundingRule) {
  // The evidence notes: 88/100 at 95% has Clopper-Pearson lower bound 0.7998
  // (statsmodels 0.7997643163800312), so "> 0.80" is inconclusive.
  const double lower_at_100 = ProportionInterval(88, 100, 0.95, kClopperPearson).lower;
  EXPECT_NEAR(lower_at_100, 0.7997643163800312, 1e-10);
  const auto n = CasesToDecideProportion(0.88, 100, 0.80, 0.95, kClopperPearson);
  ASSERT_TRUE(n.has_value());
  EXPECT_GT(*n, 100u);
  EXPECT_TRUE(Decides(0.88, *n, 0.80, kClopperPearson));
  EXPECT_FALSE(Decides(0.88, *n - 1, 0.80, kClopperPearson));
  EXPECT_EQ(*n, BruteForceCases(0.88, 100, 0.80, kClopperPearson));
  // round(0.88 * 101) = 89, and 89/101 has lower bound 0.8017 (statsmodels
  // 0.8016549367364285): one more case, if it is a success, decides it.
  EXPECT_EQ(*n, 101u);
  EXPECT_NEAR(ProportionInterval(89, 101, 0.95, kClopperPearson).lower, 0.8016549367364285, 1e-10);
  // Discreteness: at 105 (92/105, lower 0.7976) it is undecided again. The
  // answer is the smallest n, not an n from which every larger one decides.
  EXPECT_FALSE(Decides(0.88, 105, 0.80, kClopperPearson));
}

TEST(CasesToDecideProportion, Wilson88Of100IsAlreadyDecided) {
  // Wilson's lower bound for 88/100 is 0.8019 > 0.80.
  EXPECT_EQ(CasesToDecideProportion(0.88, 100, 0.80, 0.95, kWilson), 100u);
}

TEST(CasesToDecideProportion, MatchesBruteForceScans) {
  // Smallest n >= start found by brute force with statsmodels' proportion_confint
  // ("beta", "wilson", "jeffreys", "agresti_coull", "normal") at 95%.
  struct Case {
    double estimate;
    std::uint64_t start;
    double goal;
    ProportionMethod method;
    std::uint64_t expected;
  };
  const std::vector<Case> cases = {
      {0.85, 100, 0.80, kClopperPearson, 242},
      {0.83, 100, 0.80, kWilson, 650},
      {0.70, 50, 0.80, kWilson, 59},  // below the goal: the upper bound decides
      {0.70, 50, 0.80, kClopperPearson, 72},
      {0.81, 100, 0.80, kClopperPearson, 6113},
      {0.93, 40, 0.85, ProportionMethod::kJeffreys, 61},
      {0.88, 100, 0.80, ProportionMethod::kAgrestiCoull, 100},
      {0.88, 100, 0.80, ProportionMethod::kWald, 100},
      {0.62, 60, 0.70, ProportionMethod::kAgrestiCoull, 120},
  };
  for (const Case& c : cases) {
    const auto n = CasesToDecideProportion(c.estimate, c.start, c.goal, 0.95, c.method);
    ASSERT_TRUE(n.has_value()) << c.estimate << " vs " << c.goal;
    EXPECT_EQ(*n, c.expected) << c.estimate << " vs " << c.goal;
    EXPECT_EQ(*n, BruteForceCases(c.estimate, c.start, c.goal, c.method))
        << c.estimate << " vs " << c.goal;
  }
}

TEST(CasesToDecideProportion, SmallestAcrossAGridLikeAFullScan) {
  // The block skipping (Wilson, Clopper-Pearson, Jeffreys) against a plain scan.
  int compared = 0;
  for (auto method : {kWilson, kClopperPearson, ProportionMethod::kJeffreys}) {
    for (double estimate : {0.62, 0.71, 0.84, 0.905, 0.97}) {
      for (double goal : {0.65, 0.8, 0.9}) {
        if (std::fabs(estimate - goal) < 0.02) continue;
        for (std::uint64_t start : {1u, 37u, 250u}) {
          const auto n = CasesToDecideProportion(estimate, start, goal, 0.95, method);
          ASSERT_TRUE(n.has_value());
          EXPECT_EQ(*n, BruteForceCases(estimate, start, goal, method))
              << ProportionMethodName(method) << " " << estimate << " vs " << goal << " from "
              << start;
          ++compared;
        }
      }
    }
  }
  EXPECT_GT(compared, 100);
}

TEST(CasesToDecideProportion, NoAnswer) {
  EXPECT_FALSE(CasesToDecideProportion(0.80, 100, 0.80, 0.95, kWilson).has_value());
  // 0.81 against 0.80 needs about 6000 cases.
  EXPECT_FALSE(CasesToDecideProportion(0.81, 100, 0.80, 0.95, kWilson, 1000).has_value());
  EXPECT_FALSE(CasesToDecideProportion(0.95, 200, 0.80, 0.95, kWilson, 100).has_value());
}

TEST(CasesForPower, MatchesExactBruteForce) {
  // Smallest n with P(lower bound > goal) >= 0.80, found with statsmodels'
  // proportion_confint and scipy.stats.binom.pmf summed over every count, n
  // from 1 upward. The power dips below 0.80 again just after (saw-tooth).
  struct Case {
    double p;
    double goal;
    ProportionMethod method;
    std::uint64_t expected;
  };
  const std::vector<Case> cases = {{0.90, 0.80, kWilson, 100},
                                   {0.85, 0.75, kWilson, 127},
                                   {0.95, 0.90, kWilson, 217},
                                   {0.90, 0.80, kClopperPearson, 107}};
  for (const Case& c : cases) {
    const auto n = CasesForPower(c.p, c.goal, 0.95, c.method, 0.80);
    ASSERT_TRUE(n.has_value());
    EXPECT_EQ(*n, c.expected) << c.p << " vs " << c.goal;
    EXPECT_GE(ExactPower(*n, c.p, c.goal, c.method), 0.80);
    for (std::uint64_t m = 1; m < *n; ++m) {
      ASSERT_LT(ExactPower(m, c.p, c.goal, c.method), 0.80)
          << c.p << " vs " << c.goal << " at " << m;
    }
  }
  EXPECT_FALSE(CasesForPower(0.80, 0.80, 0.95, kWilson, 0.80).has_value());
  EXPECT_FALSE(CasesForPower(0.70, 0.80, 0.95, kWilson, 0.80).has_value());
  EXPECT_FALSE(CasesForPower(0.90, 0.80, 0.95, kWilson, 0.80, 50).has_value());
}

TEST(CasesForPower, SimulatedStudiesReachThePlannedPower) {
  // 1,000 studies of the planned size per design, X ~ Binomial(n, p) drawn
  // case by case from RandomStream; the share whose Wilson lower bound
  // exceeds the goal must match the exact power at n (binomial standard error
  // about 0.013 at 0.80, so 0.04 is three of them), which must be >= 0.80.
  struct Design {
    double p;
    double goal;
  };
  for (const Design& d : {Design{0.90, 0.80}, Design{0.85, 0.75}, Design{0.95, 0.90}}) {
    const auto n = CasesForPower(d.p, d.goal, 0.95, kWilson, 0.80);
    ASSERT_TRUE(n.has_value());
    const double exact = ExactPower(*n, d.p, d.goal, kWilson);
    constexpr int kStudies = 1000;
    int decided = 0;
    for (int study = 0; study < kStudies; ++study) {
      RandomStream stream(kSeed, PurposeId("sample_size_test_binomial"),
                          static_cast<std::uint64_t>(study));
      std::uint64_t successes = 0;
      for (std::uint64_t i = 0; i < *n; ++i) successes += stream.NextUniform() < d.p ? 1 : 0;
      if (ProportionInterval(successes, *n, 0.95, kWilson).lower > d.goal) ++decided;
    }
    const double achieved = decided / static_cast<double>(kStudies);
    RecordProperty("power_" + std::to_string(d.p) + "_" + std::to_string(d.goal),
                   std::to_string(achieved));
    EXPECT_GE(exact, 0.80);
    EXPECT_LE(exact, 0.85) << "discreteness pushed the exact power well above the target";
    EXPECT_NEAR(achieved, exact, 0.04) << d.p << " vs " << d.goal << " at n = " << *n;
    EXPECT_NEAR(achieved, 0.80, 0.05) << d.p << " vs " << d.goal << " at n = " << *n;
  }
}

TEST(HanleyMcNeilVariance, MatchesHandComputedValues) {
  // Q1 = A/(2 - A), Q2 = 2A^2/(1 + A),
  // var = (A(1 - A) + (n1 - 1)(Q1 - A^2) + (n0 - 1)(Q2 - A^2)) / (n1 n0),
  // evaluated in exact rational arithmetic (Python fractions.Fraction).
  EXPECT_NEAR(HanleyMcNeilVariance(0.80, 50, 70), 0.001820952380952381, 1e-15);
  EXPECT_NEAR(HanleyMcNeilVariance(0.75, 30, 120), 0.003010416666666667, 1e-15);
  EXPECT_NEAR(HanleyMcNeilVariance(0.92, 100, 400), 0.0003671183333333333, 1e-16);
  EXPECT_NEAR(HanleyMcNeilVariance(0.5, 10, 10), 0.0175, 1e-15);
  EXPECT_DOUBLE_EQ(HanleyMcNeilVariance(1.0, 20, 30), 0.0);
}

double AucLower(double auc, std::uint64_t n1, std::uint64_t n0) {
  const double z = NormalQuantileTwoSided(0.95);
  return auc -
         z * std::sqrt(HanleyMcNeilVariance(auc, static_cast<double>(n1), static_cast<double>(n0)));
}

double AucUpper(double auc, std::uint64_t n1, std::uint64_t n0) {
  return 2.0 * auc - AucLower(auc, n1, n0);
}

TEST(CasesToDecideAuc, SmallestPositivesAtTheSameRatio) {
  // 0.80 with 50 positives and 70 negatives: lower bound 0.716 < 0.75.
  ASSERT_LT(AucLower(0.80, 50, 70), 0.75);
  const auto counts = CasesToDecideAuc(0.80, 50, 70, 0.75, 0.95);
  ASSERT_TRUE(counts.has_value());
  EXPECT_GT(counts->positives, 50u);
  EXPECT_EQ(counts->negatives, Held(1.4, counts->positives));
  EXPECT_GT(AucLower(0.80, counts->positives, counts->negatives), 0.75);
  const std::uint64_t one_fewer = counts->positives - 1;
  EXPECT_LE(AucLower(0.80, one_fewer, Held(1.4, one_fewer)), 0.75);

  // Below the goal: the upper bound must fall under it.
  const auto below = CasesToDecideAuc(0.70, 30, 120, 0.80, 0.95);
  ASSERT_TRUE(below.has_value());
  EXPECT_EQ(below->negatives, 4 * below->positives);
  EXPECT_LT(AucUpper(0.70, below->positives, below->negatives), 0.80);
  EXPECT_GE(AucUpper(0.70, below->positives - 1, 4 * (below->positives - 1)), 0.80);
}

TEST(CasesToDecideAuc, AlreadyDecidedAndNoAnswer) {
  // 0.92 with 100 and 400: lower bound 0.882 > 0.85.
  const auto counts = CasesToDecideAuc(0.92, 100, 400, 0.85, 0.95);
  ASSERT_TRUE(counts.has_value());
  EXPECT_EQ(counts->positives, 100u);
  EXPECT_EQ(counts->negatives, 400u);
  EXPECT_FALSE(CasesToDecideAuc(0.80, 50, 70, 0.80, 0.95).has_value());
  EXPECT_FALSE(CasesToDecideAuc(0.80, 0, 70, 0.75, 0.95).has_value());
  EXPECT_FALSE(CasesToDecideAuc(0.80, 50, 70, 0.75, 0.95, 60).has_value());
}

TEST(CasesForAucPower, SmallestPositivesMeetingTheNormalCriterion) {
  const double z_sum = NormalQuantileTwoSided(0.95) +
                       boost::math::quantile(boost::math::normal_distribution<double>(), 0.80);
  const auto counts = CasesForAucPower(0.85, 0.75, 3.0, 0.95, 0.80);
  ASSERT_TRUE(counts.has_value());
  EXPECT_EQ(counts->negatives, 3 * counts->positives);
  auto criterion = [&](std::uint64_t n1) {
    const double se = std::sqrt(
        HanleyMcNeilVariance(0.85, static_cast<double>(n1), 3.0 * static_cast<double>(n1)));
    return (0.85 - 0.75) / se >= z_sum;
  };
  EXPECT_TRUE(criterion(counts->positives));
  EXPECT_FALSE(criterion(counts->positives - 1));
  EXPECT_FALSE(CasesForAucPower(0.75, 0.75, 1.0, 0.95, 0.80).has_value());
  EXPECT_FALSE(CasesForAucPower(0.85, 0.75, 1.0, 0.95, 0.80, 10).has_value());
}

// Mann-Whitney AUC: the share of (positive, negative) pairs ordered correctly.
double MannWhitneyAuc(const std::vector<double>& positives, const std::vector<double>& negatives) {
  double wins = 0.0;
  for (double x : positives) {
    for (double y : negatives) wins += x > y ? 1.0 : (x == y ? 0.5 : 0.0);
  }
  return wins / (static_cast<double>(positives.size()) * static_cast<double>(negatives.size()));
}

TEST(CasesForAucPower, SimulatedBinormalStudiesReachThePlannedPower) {
  // Binormal studies: negatives N(0, 1), positives N(d, 1) with
  // d = sqrt(2) Phi^-1(A), so the true AUC Phi(d / sqrt 2) is the planned A.
  // 1,000 studies of the planned size; the share whose lower bound
  // AUC - z sqrt(HanleyMcNeilVariance(observed AUC)) exceeds the goal must be
  // within 0.05 of the planned 0.80 (normal scores by inversion of Boost's
  // normal distribution at uniforms from RandomStream).
  struct Design {
    double auc;
    double goal;
    double ratio;
  };
  const boost::math::normal_distribution<double> normal;
  const double z = NormalQuantileTwoSided(0.95);
  for (const Design& d :
       {Design{0.80, 0.70, 2.0}, Design{0.75, 0.65, 1.0}, Design{0.85, 0.75, 3.0}}) {
    const auto counts = CasesForAucPower(d.auc, d.goal, d.ratio, 0.95, 0.80);
    ASSERT_TRUE(counts.has_value());
    const double separation = std::sqrt(2.0) * boost::math::quantile(normal, d.auc);
    constexpr int kStudies = 1000;
    int decided = 0;
    std::vector<double> positives(counts->positives), negatives(counts->negatives);
    for (int study = 0; study < kStudies; ++study) {
      RandomStream stream(kSeed, PurposeId("sample_size_test_binormal"),
                          static_cast<std::uint64_t>(study));
      auto draw = [&] {
        const double u = (static_cast<double>(stream.NextU64() >> 11) + 0.5) * 0x1.0p-53;
        return boost::math::quantile(normal, u);
      };
      for (double& x : positives) x = separation + draw();
      for (double& y : negatives) y = draw();
      const double auc = MannWhitneyAuc(positives, negatives);
      const double se = std::sqrt(HanleyMcNeilVariance(auc, static_cast<double>(counts->positives),
                                                       static_cast<double>(counts->negatives)));
      if (auc - z * se > d.goal) ++decided;
    }
    const double achieved = decided / static_cast<double>(kStudies);
    RecordProperty("auc_power_" + std::to_string(d.auc) + "_" + std::to_string(d.goal),
                   std::to_string(achieved));
    EXPECT_NEAR(achieved, 0.80, 0.05)
        << d.auc << " vs " << d.goal << " with " << counts->positives << " + " << counts->negatives;
  }
}

}  // namespace
}  // namespace assay::stats
