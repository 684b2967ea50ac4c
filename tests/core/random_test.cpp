// Keyed random streams: a stream is a function of its key, and PoissonOne draws
// Poisson(1) counts (checked against the distribution's probabilities).
#include "assay/core/random.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

namespace assay {
namespace {

TEST(RandomStream, TheSameKeyGivesTheSameNumbers) {
  RandomStream a(1, PurposeId("test"), 2, 3), b(1, PurposeId("test"), 2, 3);
  RandomStream other(1, PurposeId("test"), 2, 4);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const std::uint64_t x = a.NextU64();
    EXPECT_EQ(x, b.NextU64());
    differs = differs || x != other.NextU64();
  }
  EXPECT_TRUE(differs);
}

// Over 10^6 draws the share of each count k <= 5 is within 5 standard errors of
// e^-1 / k!, and the mean and variance are within 0.01 of 1.
TEST(PoissonOne, DrawsPoissonOneCounts) {
  RandomStream stream(7, PurposeId("poisson_one_test"), 0);
  constexpr int kDraws = 1000000;
  std::vector<int> counts(20, 0);
  double sum = 0.0, squares = 0.0;
  for (int i = 0; i < kDraws; ++i) {
    const std::uint32_t k = PoissonOne(stream);
    ASSERT_LT(k, 20U);
    ++counts[k];
    sum += k;
    squares += static_cast<double>(k) * k;
  }
  double probability = std::exp(-1.0);
  for (int k = 0; k <= 5; ++k) {
    if (k > 0) probability /= k;
    const double share = static_cast<double>(counts[k]) / kDraws;
    EXPECT_NEAR(share, probability, 5.0 * std::sqrt(probability * (1 - probability) / kDraws)) << k;
  }
  const double mean = sum / kDraws;
  EXPECT_NEAR(mean, 1.0, 0.01);
  EXPECT_NEAR(squares / kDraws - mean * mean, 1.0, 0.01);
}

}  // namespace
}  // namespace assay
