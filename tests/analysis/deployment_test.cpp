#include "assay/analysis/deployment.h"

#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <random>

#include "assay/stats/sample_size.h"

namespace assay::analysis {
namespace {

// Appends `count` cases of stratum `code` with `truth`, `correct` of them predicted right.
void AddCases(std::vector<std::uint8_t>& truth, std::vector<std::uint8_t>& predicted,
              std::vector<std::uint32_t>& codes, std::uint32_t code, std::uint8_t label, int count,
              int correct) {
  for (int k = 0; k < count; ++k) {
    truth.push_back(label);
    const bool right = k < correct;
    predicted.push_back(right ? label : static_cast<std::uint8_t>(1 - label));
    codes.push_back(code);
  }
}

struct Fixture {
  std::vector<std::uint8_t> truth, predicted;
  std::vector<std::uint32_t> codes;
  std::vector<ReadinessMetric> metrics;
  std::vector<DeploymentDimension> dimensions;
};

// Stratum A: 20 positives (16 found), 80 negatives (72 right); B: 10 positives (5 found),
// 10 negatives (9 right); C: deployed, never seen in the evidence.
Fixture TwoStrata(std::vector<double> shares) {
  Fixture f;
  AddCases(f.truth, f.predicted, f.codes, 0, 1, 20, 16);
  AddCases(f.truth, f.predicted, f.codes, 0, 0, 80, 72);
  AddCases(f.truth, f.predicted, f.codes, 1, 1, 10, 5);
  AddCases(f.truth, f.predicted, f.codes, 1, 0, 10, 9);
  f.metrics.push_back({"sens", "sensitivity", f.predicted, 0.6});
  f.metrics.push_back({"spec", "specificity", f.predicted, std::nullopt});
  DeploymentDimension dimension;
  dimension.name = "vendor";
  dimension.levels = {"A", "B", "C"};
  dimension.evidence_codes = f.codes;
  dimension.deployment_shares = std::move(shares);
  f.dimensions.push_back(dimension);
  return f;
}

TEST(DeploymentReadiness, ReweightsByShareAndPrevalence) {
  Fixture f = TwoStrata({0.5, 0.5, 0.0});
  ReadinessOptions options;
  options.bootstrap = 200;
  auto result = AssessReadiness(f.truth, f.metrics, f.dimensions, options);
  ASSERT_TRUE(result.ok()) << result.status().message();
  ASSERT_EQ(result->expected.size(), 2u);
  const ExpectedPerformance& sens = result->expected[0];
  EXPECT_DOUBLE_EQ(sens.validated, 21.0 / 30.0);
  // Weights share x prevalence: A 0.5 x 20/100 = 0.1, B 0.5 x 10/20 = 0.25.
  ASSERT_TRUE(sens.expected.has_value());
  EXPECT_NEAR(*sens.expected, (0.1 * 0.8 + 0.25 * 0.5) / 0.35, 1e-12);
  ASSERT_TRUE(sens.expected_ci.has_value());
  EXPECT_LT(sens.expected_ci->lower, *sens.expected);
  EXPECT_GT(sens.expected_ci->upper, *sens.expected);
  EXPECT_DOUBLE_EQ(sens.uncovered_share, 0.0);
  // Both strata have specificity 0.9.
  EXPECT_NEAR(*result->expected[1].expected, 0.9, 1e-12);
}

TEST(DeploymentReadiness, CoverageCasesNeededAndRisk) {
  Fixture f = TwoStrata({0.3, 0.5, 0.2});
  ReadinessOptions options;
  options.bootstrap = 100;
  auto result = AssessReadiness(f.truth, f.metrics, f.dimensions, options);
  ASSERT_TRUE(result.ok()) << result.status().message();
  ASSERT_EQ(result->strata.size(), 3u);
  const StratumMetric& a = result->strata[0].metrics[0];
  EXPECT_EQ(a.trials, 20u);
  EXPECT_EQ(a.coverage, "thin");  // 16/20: Wilson [0.584, 0.919] straddles the goal 0.6
  const auto total =
      stats::CasesToDecideProportion(0.8, 20, 0.6, 0.95, stats::ProportionMethod::kWilson);
  ASSERT_TRUE(total.has_value());
  EXPECT_EQ(a.cases_needed, *total - 20);
  EXPECT_EQ(a.cases_needed_basis, "goal");

  const StratumMetric& c = result->strata[2].metrics[0];
  EXPECT_EQ(c.coverage, "not_covered");
  EXPECT_EQ(c.cases_needed_basis, "planning");
  EXPECT_EQ(c.cases_needed,
            stats::CasesForPower(0.7, 0.6, 0.95, stats::ProportionMethod::kWilson, 0.8));
  EXPECT_NEAR(result->expected[0].uncovered_share, 0.2, 1e-12);

  // Without a goal, A's specificity 72/80 is precise to +-0.1: covered.
  EXPECT_EQ(result->strata[0].metrics[1].coverage, "covered");
  EXPECT_EQ(result->strata[0].metrics[1].cases_needed_basis, "precision");

  // Risks: C's sensitivity and specificity (no evidence, share 0.2) come first, then B's
  // sensitivity (deficit 0.7 - 0.5 = 0.2, share 0.5, risk 0.1).
  ASSERT_GE(result->risks.size(), 3u);
  EXPECT_EQ(result->risks[0].level, "C");
  EXPECT_FALSE(result->risks[0].risk.has_value());
  EXPECT_EQ(result->risks[2].level, "B");
  EXPECT_EQ(result->risks[2].metric, "sensitivity");
  EXPECT_NEAR(*result->risks[2].risk, 0.1, 1e-12);
}

TEST(DeploymentReadiness, NotDeployedStrataCarryNoRisk) {
  Fixture f = TwoStrata({1.0, 0.0, 0.0});
  auto result = AssessReadiness(f.truth, f.metrics, f.dimensions, {});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->strata[1].metrics[0].coverage, "not_deployed");
  for (const RiskEntry& risk : result->risks) EXPECT_EQ(risk.level, "A");
  EXPECT_NEAR(*result->expected[0].expected, 0.8, 1e-12);  // A alone
}

// The expected sensitivity predicts the one realized in a labelled deployment whose
// mix differs from the evidence's.
TEST(DeploymentReadiness, PredictsRealizedPerformanceUnderMixShift) {
  std::mt19937_64 rng(7);
  const std::array<double, 2> sensitivity{0.92, 0.60}, prevalence{0.3, 0.5};
  auto draw = [&](std::array<double, 2> mix, int n, Fixture& f) {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (int i = 0; i < n; ++i) {
      const std::uint32_t s = u(rng) < mix[0] ? 0 : 1;
      const std::uint8_t y = u(rng) < prevalence[s] ? 1 : 0;
      const bool right = y == 1 ? u(rng) < sensitivity[s] : u(rng) < 0.9;
      f.truth.push_back(y);
      f.predicted.push_back(right ? y : static_cast<std::uint8_t>(1 - y));
      f.codes.push_back(s);
    }
  };
  Fixture evidence, deployment;
  draw({0.85, 0.15}, 4000, evidence);
  draw({0.30, 0.70}, 200000, deployment);
  std::uint64_t found = 0, positives = 0;
  for (std::size_t i = 0; i < deployment.truth.size(); ++i) {
    positives += deployment.truth[i];
    found += deployment.truth[i] & deployment.predicted[i];
  }
  const double realized = static_cast<double>(found) / static_cast<double>(positives);

  DeploymentDimension dimension{"site", {"one", "two"}, evidence.codes, {0.30, 0.70}, {}};
  const std::vector<ReadinessMetric> metrics{{"sens", "sensitivity", evidence.predicted, {}}};
  ReadinessOptions options;
  options.bootstrap = 400;
  auto result = AssessReadiness(evidence.truth, metrics, std::vector{dimension}, options);
  ASSERT_TRUE(result.ok());
  const ExpectedPerformance& expected = result->expected[0];
  EXPECT_GT(expected.validated - realized, 0.1);  // the evidence alone is far off
  EXPECT_LT(expected.expected_ci->lower, realized);
  EXPECT_GT(expected.expected_ci->upper, realized);
  EXPECT_NEAR(*expected.expected, realized, 0.03);
}

TEST(DeploymentReadiness, IntervalIndependentOfThreadCount) {
  Fixture f = TwoStrata({0.5, 0.3, 0.2});
  ReadinessOptions options;
  options.bootstrap = 300;
  auto run = [&](int threads) {
    tbb::global_control control(tbb::global_control::max_allowed_parallelism, threads);
    return AssessReadiness(f.truth, f.metrics, f.dimensions, options);
  };
  auto one = run(1);
  auto two = run(2);
  ASSERT_TRUE(one.ok() && two.ok());
  for (std::size_t k = 0; k < one->expected.size(); ++k) {
    EXPECT_EQ(one->expected[k].expected_ci->lower, two->expected[k].expected_ci->lower);
    EXPECT_EQ(one->expected[k].expected_ci->upper, two->expected[k].expected_ci->upper);
  }
}

TEST(DeploymentReadiness, RejectsBadInput) {
  Fixture f = TwoStrata({0.5, 0.3, 0.1});
  auto result = AssessReadiness(f.truth, f.metrics, f.dimensions, {});
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("sum to"), std::string::npos);

  Fixture g = TwoStrata({0.5, 0.5, 0.0});
  g.metrics[0].metric = "auc";
  result = AssessReadiness(g.truth, g.metrics, g.dimensions, {});
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("'auc'"), std::string::npos);
}

}  // namespace
}  // namespace assay::analysis
