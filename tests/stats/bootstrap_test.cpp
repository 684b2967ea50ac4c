// Bootstrap AUC intervals. pROC's bootstrap draws from R's generator, so its
// replicates cannot be matched number for number; these tests check what must
// hold whatever the generator: reproducibility from the seed, independence
// from the thread count, the jackknife against leave-one-out AUCs computed
// directly, and intervals close to pROC's DeLong interval on aSAH s100b
// (tests/reference/proc_asah.R) and to Obuchowski's on clustered data.
#include "assay/stats/bootstrap.h"

#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <thread>
#include <vector>

#include "../reference/reference_files.h"
#include "assay/stats/roc.h"

namespace assay::stats {
namespace {

using assay::testing::ColumnAs;
using assay::testing::ReadNumericCsv;
using assay::testing::ReferenceJson;

struct Cases {
  std::vector<double> score;
  std::vector<std::uint8_t> truth;
  std::vector<std::uint32_t> cluster;  // empty unless clustered
  std::size_t cluster_count = 0;
};

const nlohmann::json& Proc() { return ReferenceJson("proc_asah.json"); }

Cases S100b() {
  return {Proc()["data"]["s100b"].get<std::vector<double>>(),
          ColumnAs<std::uint8_t>(Proc()["data"]["truth"].get<std::vector<double>>()),
          {},
          0};
}

Cases Clustered() {
  const auto data = ReadNumericCsv("clustered_data.csv");
  Cases cases{data.at("score"), ColumnAs<std::uint8_t>(data.at("truth")),
              ColumnAs<std::uint32_t>(data.at("cluster")), 0};
  cases.cluster_count = *std::max_element(cases.cluster.begin(), cases.cluster.end()) + 1;
  return cases;
}

BootstrapAuc Stratified(const Cases& c, const BootstrapOptions& options = {}) {
  return StratifiedBootstrapAuc(c.score, c.truth, options);
}

BootstrapAuc Cluster(const Cases& c, const BootstrapOptions& options = {}) {
  return ClusterBootstrapAuc(c.score, c.truth, c.cluster, c.cluster_count, options);
}

// Mann-Whitney AUC of the cases with keep[i] set, through the DeLong path.
double AucOf(const Cases& c, const std::vector<bool>& keep) {
  std::vector<double> positives, negatives;
  for (std::size_t i = 0; i < c.score.size(); ++i) {
    if (keep[i]) (c.truth[i] ? positives : negatives).push_back(c.score[i]);
  }
  return Delong(SortScores(positives, negatives)).auc;
}

std::vector<double> Sorted(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values;
}

TEST(StratifiedBootstrapAuc, SameSeedGivesIdenticalReplicates) {
  const Cases c = S100b();
  const BootstrapAuc first = Stratified(c), second = Stratified(c);
  ASSERT_EQ(first.replicates.size(), 2000u);
  EXPECT_EQ(first.replicates, second.replicates);
}

TEST(StratifiedBootstrapAuc, DifferentSeedsGiveDifferentReplicates) {
  const Cases c = S100b();
  BootstrapOptions other;
  other.seed = 7;
  EXPECT_NE(Stratified(c).replicates, Stratified(c, other).replicates);
}

TEST(StratifiedBootstrapAuc, OneThreadAndAllThreadsAgreeExactly) {
  const Cases c = S100b();
  BootstrapAuc single;
  {
    tbb::global_control one(tbb::global_control::max_allowed_parallelism, 1);
    single = Stratified(c);
  }
  const std::size_t all = std::max(4u, std::thread::hardware_concurrency());
  tbb::global_control many(tbb::global_control::max_allowed_parallelism, all);
  const BootstrapAuc parallel = Stratified(c);
  EXPECT_EQ(single.replicates, parallel.replicates);
  EXPECT_EQ(single.jackknife, parallel.jackknife);
}

TEST(StratifiedBootstrapAuc, EstimateIsProcAuc) {
  EXPECT_NEAR(Stratified(S100b()).auc, Proc()["s100b"]["auc"].get<double>(), 1e-12);
}

TEST(StratifiedBootstrapAuc, JackknifeIsLeaveOneCaseOutAuc) {
  const Cases c = S100b();
  std::vector<double> expected;
  for (std::size_t i = 0; i < c.score.size(); ++i) {
    std::vector<bool> keep(c.score.size(), true);
    keep[i] = false;
    expected.push_back(AucOf(c, keep));
  }
  const auto jackknife = Sorted(Stratified(c).jackknife);
  ASSERT_EQ(jackknife.size(), expected.size());
  expected = Sorted(expected);
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(jackknife[i], expected[i], 1e-12);
}

// With 2000 replicates the percentile interval for s100b lies within 0.02 of
// pROC's DeLong interval (0.6301, 0.8326).
TEST(PercentileInterval, S100bIsCloseToProcDelong) {
  const Interval interval = PercentileInterval(Stratified(S100b()), 0.95);
  const auto delong = Proc()["s100b"]["ci95"].get<std::vector<double>>();
  EXPECT_NEAR(interval.lower, delong[0], 0.02);
  EXPECT_NEAR(interval.upper, delong[1], 0.02);
  EXPECT_EQ(interval.level, 0.95);
}

TEST(PercentileInterval, IsTheType7QuantilesOfTheReplicates) {
  const BootstrapAuc bootstrap = Stratified(S100b());
  const Interval interval = PercentileInterval(bootstrap, 0.9);
  EXPECT_DOUBLE_EQ(interval.lower, Quantile(bootstrap.replicates, 0.05));
  EXPECT_DOUBLE_EQ(interval.upper, Quantile(bootstrap.replicates, 0.95));
}

TEST(BcaInterval, S100bIsDefinedAndCloseToProcDelong) {
  const BootstrapAuc bootstrap = Stratified(S100b());
  const auto interval = BcaInterval(bootstrap, 0.95);
  ASSERT_TRUE(interval.has_value());
  const auto delong = Proc()["s100b"]["ci95"].get<std::vector<double>>();
  EXPECT_NEAR(interval->lower, delong[0], 0.03);
  EXPECT_NEAR(interval->upper, delong[1], 0.03);
  EXPECT_LT(interval->lower, bootstrap.auc);
  EXPECT_GT(interval->upper, bootstrap.auc);
}

TEST(BcaInterval, UndefinedWhenEveryReplicateEqualsTheEstimate) {
  const Cases tied{std::vector<double>(20, 0.5),
                   {1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0},
                   {},
                   0};
  BootstrapOptions options;
  options.replicates = 200;
  EXPECT_FALSE(BcaInterval(Stratified(tied, options), 0.95).has_value());
}

// R: quantile(c(1, 2, 3, 4, 10), c(0.1, 0.5, 0.9)) is 1.4, 3, 7.6 (type 7).
TEST(Quantile, MatchesRType7) {
  const std::vector<double> values = {10, 3, 1, 4, 2};
  EXPECT_DOUBLE_EQ(Quantile(values, 0.1), 1.4);
  EXPECT_DOUBLE_EQ(Quantile(values, 0.5), 3.0);
  EXPECT_DOUBLE_EQ(Quantile(values, 0.9), 7.6);
}

TEST(ClusterBootstrapAuc, OneThreadAndAllThreadsAgreeExactly) {
  const Cases c = Clustered();
  BootstrapAuc single;
  {
    tbb::global_control one(tbb::global_control::max_allowed_parallelism, 1);
    single = Cluster(c);
  }
  const std::size_t all = std::max(4u, std::thread::hardware_concurrency());
  tbb::global_control many(tbb::global_control::max_allowed_parallelism, all);
  const BootstrapAuc parallel = Cluster(c);
  EXPECT_EQ(single.replicates, parallel.replicates);
  EXPECT_EQ(single.jackknife, parallel.jackknife);
}

TEST(ClusterBootstrapAuc, JackknifeIsLeaveOneClusterOutAuc) {
  const Cases c = Clustered();
  std::vector<double> expected;
  for (std::uint32_t k = 0; k < c.cluster_count; ++k) {
    std::vector<bool> keep(c.score.size());
    for (std::size_t i = 0; i < keep.size(); ++i) keep[i] = c.cluster[i] != k;
    expected.push_back(AucOf(c, keep));
  }
  const auto jackknife = Sorted(Cluster(c).jackknife);
  ASSERT_EQ(jackknife.size(), expected.size());
  expected = Sorted(expected);
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(jackknife[i], expected[i], 1e-12);
}

// Resampling singleton clusters is a case bootstrap that does not fix the
// class sizes: its interval is about as wide as the stratified one.
TEST(ClusterBootstrapAuc, SingletonClustersGiveAboutTheStratifiedWidth) {
  Cases c = S100b();
  c.cluster.resize(c.score.size());
  std::iota(c.cluster.begin(), c.cluster.end(), 0u);
  c.cluster_count = c.score.size();
  const Interval cluster = PercentileInterval(Cluster(c), 0.95);
  const Interval stratified = PercentileInterval(Stratified(c), 0.95);
  const double width = stratified.upper - stratified.lower;
  EXPECT_NEAR(cluster.upper - cluster.lower, width, 0.1 * width);
  EXPECT_NEAR(cluster.lower, stratified.lower, 0.02);
  EXPECT_NEAR(cluster.upper, stratified.upper, 0.02);
}

// On the clustered data, the cluster bootstrap and Obuchowski's variance
// describe the same sampling variation.
TEST(ClusterBootstrapAuc, IntervalIsCloseToObuchowski) {
  const Cases c = Clustered();
  const auto obuchowski = ObuchowskiClusteredAuc(c.score, c.truth, c.cluster, c.cluster_count);
  const double half = NormalQuantileTwoSided(0.95) * std::sqrt(obuchowski.variance);
  const Interval interval = PercentileInterval(Cluster(c), 0.95);
  EXPECT_NEAR(interval.lower, obuchowski.auc - half, 0.02);
  EXPECT_NEAR(interval.upper, obuchowski.auc + half, 0.02);
}

Interval S100bPartialAucInterval(const BootstrapOptions& options = {}) {
  const Cases c = S100b();
  return PartialAucBootstrapInterval(c.score, c.truth, PartialAucFocus::kSpecificity, 0.8, 1.0,
                                     options);
}

// pROC: ci.auc(method = "bootstrap", boot.n = 2000, boot.stratified = TRUE) of
// the McClish-corrected pAUC over specificity 1-0.8, with R's generator.
TEST(PartialAucBootstrapInterval, S100bIsCloseToProcBootstrap) {
  const auto expected =
      Proc()["s100b_pauc_specificity_1_08_bootstrap"]["ci95"].get<std::vector<double>>();
  const Interval interval = S100bPartialAucInterval();
  EXPECT_NEAR(interval.lower, expected[0], 0.02);
  EXPECT_NEAR(interval.upper, expected[1], 0.02);
}

TEST(PartialAucBootstrapInterval, BracketsTheProcEstimate) {
  const Interval interval = S100bPartialAucInterval();
  EXPECT_LT(interval.lower, Proc()["s100b"]["pauc_specificity_1_08"].get<double>());
  EXPECT_GT(interval.upper, Proc()["s100b"]["pauc_specificity_1_08"].get<double>());
}

TEST(PartialAucBootstrapInterval, OneThreadAndAllThreadsAgreeExactly) {
  Interval single;
  {
    tbb::global_control one(tbb::global_control::max_allowed_parallelism, 1);
    single = S100bPartialAucInterval();
  }
  const std::size_t all = std::max(4u, std::thread::hardware_concurrency());
  tbb::global_control many(tbb::global_control::max_allowed_parallelism, all);
  const Interval parallel = S100bPartialAucInterval();
  EXPECT_EQ(single.lower, parallel.lower);
  EXPECT_EQ(single.upper, parallel.upper);
}

}  // namespace
}  // namespace assay::stats
