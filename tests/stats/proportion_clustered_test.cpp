#include <gtest/gtest.h>

#include "assay/stats/proportion.h"

namespace assay::stats {
namespace {

TEST(ClusterDesignEffect, IdenticalPairsDoubleTheVariance) {
  // 50 clusters of two cases with the same outcome: each pair carries the
  // information of one case: the design effect is 2, times the K / (K - 1) correction.
  std::vector<std::uint64_t> successes, trials;
  for (int k = 0; k < 50; ++k) {
    successes.push_back(k % 5 == 0 ? 0 : 2);
    trials.push_back(2);
  }
  EXPECT_NEAR(ClusterDesignEffect(successes, trials), 2.0 * 50.0 / 49.0, 1e-12);
}

TEST(ClusterDesignEffect, IndependentSingletonsGiveAboutOne) {
  std::vector<std::uint64_t> successes, trials(200, 1);
  for (int k = 0; k < 200; ++k) successes.push_back(k % 3 == 0 ? 1 : 0);
  EXPECT_NEAR(ClusterDesignEffect(successes, trials), 200.0 / 199.0, 1e-12);
}

TEST(ClusterDesignEffect, NeverBelowOneAndOneAtTheBoundary) {
  // Perfectly balanced clusters have less variance than binomial: floored at 1.
  const std::vector<std::uint64_t> balanced_successes(40, 1), balanced_trials(40, 2);
  EXPECT_DOUBLE_EQ(ClusterDesignEffect(balanced_successes, balanced_trials), 1.0);
  const std::vector<std::uint64_t> all_successes(10, 3), all_trials(10, 3);
  EXPECT_DOUBLE_EQ(ClusterDesignEffect(all_successes, all_trials), 1.0);
}

TEST(ClusteredProportionInterval, UsesEffectiveCounts) {
  // A design effect of 2 on 80/100 is the interval of 40/50.
  const Interval clustered =
      ClusteredProportionInterval(80, 100, 2.0, 0.95, ProportionMethod::kWilson);
  const Interval effective = ProportionInterval(40, 50, 0.95, ProportionMethod::kWilson);
  EXPECT_DOUBLE_EQ(clustered.lower, effective.lower);
  EXPECT_DOUBLE_EQ(clustered.upper, effective.upper);
  const Interval unit =
      ClusteredProportionInterval(80, 100, 1.0, 0.95, ProportionMethod::kClopperPearson);
  const Interval plain = ProportionInterval(80, 100, 0.95, ProportionMethod::kClopperPearson);
  EXPECT_DOUBLE_EQ(unit.lower, plain.lower);
}

}  // namespace
}  // namespace assay::stats
