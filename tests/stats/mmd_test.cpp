// The MMD test: statistic and bandwidth against numpy (tests/reference/mmd_reference.py),
// the permutation p-value's form, its behaviour under the null and under a shift, thread
// independence, the subsample rule, and refused inputs.
#include "assay/stats/mmd.h"

#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>
#include <vector>

#include "../reference/reference_files.h"
#include "assay/core/random.h"

namespace assay::stats {
namespace {

using assay::testing::kClosedForm;
using assay::testing::NearRelative;
using assay::testing::ReadNumericCsv;
using assay::testing::ReferenceJson;

// rows x dimensions standard normal values (Box-Muller), `shift` added to the first
// `shifted` coordinates.
std::vector<double> Normal(std::uint64_t seed, std::size_t rows, std::size_t dimensions,
                           double shift = 0.0, std::size_t shifted = 0) {
  RandomStream stream(seed, PurposeId("mmd_test_points"), 0);
  std::vector<double> values(rows * dimensions);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double u = 1.0 - stream.NextUniform(), v = stream.NextUniform();
    values[i] = std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * std::numbers::pi * v);
    if (i % dimensions < shifted) values[i] += shift;
  }
  return values;
}

MmdOptions Permutations(std::size_t count, std::uint64_t seed = 20240101) {
  MmdOptions options;
  options.permutations = count;
  options.seed = seed;
  return options;
}

TEST(MmdTest, StatisticAndBandwidthMatchNumpy) {
  const nlohmann::json& cases = ReferenceJson("mmd.json")["cases"];
  ASSERT_EQ(cases.size(), 4U);
  for (const auto& c : cases) {
    const auto columns = ReadNumericCsv(c["file"].get<std::string>());
    const auto d = c["dimensions"].get<std::size_t>();
    std::vector<double> points[2];
    for (std::size_t i = 0; i < columns.at("cohort").size(); ++i) {
      auto& cohort = points[columns.at("cohort")[i] == 0 ? 0 : 1];
      for (std::size_t k = 0; k < d; ++k) cohort.push_back(columns.at("x" + std::to_string(k))[i]);
    }
    const auto test = MmdTest({points[0], d}, {points[1], d}, Permutations(19));
    ASSERT_TRUE(test.ok()) << test.status().message();
    EXPECT_TRUE(NearRelative(test->statistic, c["statistic"].get<double>(), kClosedForm))
        << c["name"];
    EXPECT_TRUE(NearRelative(test->bandwidth, c["bandwidth"].get<double>(), kClosedForm))
        << c["name"];
    EXPECT_EQ(test->reference_cases * d, points[0].size());
    EXPECT_EQ(test->target_cases * d, points[1].size());
  }
}

TEST(MmdTest, PValueIsOnePlusExceedingOverOnePlusPermutations) {
  const auto x = Normal(1, 40, 3), y = Normal(2, 50, 3);
  const auto test = MmdTest({x, 3}, {y, 3}, Permutations(199));
  ASSERT_TRUE(test.ok());
  EXPECT_EQ(test->permutations, 199U);
  EXPECT_DOUBLE_EQ(test->p_value, (1.0 + static_cast<double>(test->exceeding)) / 200.0);

  // Far apart: no permutation reaches the observed statistic, yet p is not 0.
  const auto far = Normal(3, 50, 3, 10.0, 3);
  const auto apart = MmdTest({x, 3}, {far, 3}, Permutations(199));
  ASSERT_TRUE(apart.ok());
  EXPECT_EQ(apart->exceeding, 0U);
  EXPECT_DOUBLE_EQ(apart->p_value, 1.0 / 200.0);
}

TEST(MmdTest, SameDistributionIsNotFlagged) {
  const auto x = Normal(11, 100, 4), y = Normal(12, 120, 4);
  const auto test = MmdTest({x, 4}, {y, 4}, Permutations(499));
  ASSERT_TRUE(test.ok());
  EXPECT_GT(test->p_value, 0.05);
}

TEST(MmdTest, FalsePositiveRateIsAboutAlpha) {
  std::size_t rejected = 0;
  constexpr std::size_t kRuns = 100;
  for (std::uint64_t seed = 0; seed < kRuns; ++seed) {
    const auto x = Normal(1000 + seed, 25, 2), y = Normal(5000 + seed, 25, 2);
    const auto test = MmdTest({x, 2}, {y, 2}, Permutations(99, seed));
    ASSERT_TRUE(test.ok());
    if (test->p_value <= 0.05) ++rejected;
  }
  // Binomial(100, 0.05): 12 or more has probability 0.004.
  EXPECT_LE(rejected, 11U);
  EXPECT_GE(rejected, 1U);
}

TEST(MmdTest, DetectsHalfAStandardDeviationInOneOfEightDimensions) {
  const auto x = Normal(21, 300, 8), y = Normal(22, 300, 8, 0.5, 1);
  const auto test = MmdTest({x, 8}, {y, 8}, Permutations(999));
  ASSERT_TRUE(test.ok());
  EXPECT_LT(test->p_value, 0.01);
  EXPECT_GT(test->statistic, 0.0);
}

TEST(MmdTest, OneThreadAndTwoAgreeExactly) {
  const auto x = Normal(31, 300, 6), y = Normal(32, 260, 6, 0.1, 2);
  MmdOptions options = Permutations(200);
  options.maximum_per_cohort = 250;
  MmdResult single, two;
  {
    tbb::global_control one(tbb::global_control::max_allowed_parallelism, 1);
    single = *MmdTest({x, 6}, {y, 6}, options);
  }
  {
    tbb::global_control both(tbb::global_control::max_allowed_parallelism, 2);
    two = *MmdTest({x, 6}, {y, 6}, options);
  }
  EXPECT_EQ(single.statistic, two.statistic);
  EXPECT_EQ(single.bandwidth, two.bandwidth);
  EXPECT_EQ(single.exceeding, two.exceeding);
  EXPECT_EQ(single.reference_cases, 250U);
  EXPECT_EQ(single.target_cases, 250U);
}

TEST(MmdTest, SubsampleKeepsTheRowsWithTheSmallestKeys) {
  constexpr std::size_t kRows = 60, kKept = 25, kD = 3;
  const auto x = Normal(41, kRows, kD), y = Normal(42, 20, kD, 0.3, 1);
  MmdOptions options = Permutations(99);
  options.maximum_per_cohort = kKept;
  const auto subsampled = MmdTest({x, kD}, {y, kD}, options);
  ASSERT_TRUE(subsampled.ok());
  EXPECT_EQ(subsampled->reference_cases, kKept);
  EXPECT_EQ(subsampled->target_cases, 20U);

  // The same rows chosen by hand, in their order, give the same test.
  std::vector<std::size_t> rows(kRows);
  std::iota(rows.begin(), rows.end(), std::size_t{0});
  std::sort(rows.begin(), rows.end(), [&](std::size_t a, std::size_t b) {
    return MmdSubsampleKey(options.seed, 0, a) < MmdSubsampleKey(options.seed, 0, b);
  });
  rows.resize(kKept);
  std::sort(rows.begin(), rows.end());
  std::vector<double> kept;
  for (std::size_t row : rows) kept.insert(kept.end(), &x[row * kD], &x[row * kD] + kD);
  const auto by_hand = MmdTest({kept, kD}, {y, kD}, options);
  ASSERT_TRUE(by_hand.ok());
  EXPECT_EQ(by_hand->statistic, subsampled->statistic);
  EXPECT_EQ(by_hand->p_value, subsampled->p_value);
}

TEST(MmdTest, BandwidthFromAThousandPointsIsNearTheFullMedian) {
  constexpr std::size_t kD = 2;
  const auto x = Normal(51, 700, kD), y = Normal(52, 600, kD);
  const auto test = MmdTest({x, kD}, {y, kD}, Permutations(9));
  ASSERT_TRUE(test.ok());
  std::vector<double> pooled = x;
  pooled.insert(pooled.end(), y.begin(), y.end());
  std::vector<double> distances;
  for (std::size_t i = 0; i < pooled.size() / kD; ++i) {
    for (std::size_t j = i + 1; j < pooled.size() / kD; ++j) {
      distances.push_back(
          std::hypot(pooled[i * kD] - pooled[j * kD], pooled[i * kD + 1] - pooled[j * kD + 1]));
    }
  }
  std::nth_element(distances.begin(), distances.begin() + distances.size() / 2, distances.end());
  EXPECT_NEAR(test->bandwidth, distances[distances.size() / 2], 0.03 * test->bandwidth);
}

TEST(MmdTest, IdenticalPointsGiveZeroAndPOne) {
  const std::vector<double> x(10, 1.5), y(8, 1.5);
  const auto test = MmdTest({x, 2}, {y, 2}, Permutations(49));
  ASSERT_TRUE(test.ok());
  EXPECT_EQ(test->bandwidth, 1.0);
  EXPECT_NEAR(test->statistic, 0.0, 1e-15);
  EXPECT_EQ(test->p_value, 1.0);
}

TEST(MmdTest, RefusesBadInput) {
  const auto x = Normal(61, 10, 3), y = Normal(62, 10, 3);
  const std::vector<double> one_row = {1.0, 2.0, 3.0};
  std::vector<double> with_nan = y;
  with_nan[7] = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> with_infinity = y;
  with_infinity[0] = std::numeric_limits<double>::infinity();
  const MmdOptions ok = Permutations(9);
  EXPECT_FALSE(MmdTest({x, 3}, {y, 2}, ok).ok());  // 30 values are rows of 2, but d differs
  EXPECT_FALSE(MmdTest({x, 4}, {y, 3}, ok).ok());  // 30 values are not rows of 4
  EXPECT_FALSE(MmdTest({x, 0}, {y, 0}, ok).ok());
  EXPECT_FALSE(MmdTest({one_row, 3}, {y, 3}, ok).ok());
  EXPECT_FALSE(MmdTest({x, 3}, {one_row, 3}, ok).ok());
  const auto not_finite = MmdTest({x, 3}, {with_nan, 3}, ok);
  ASSERT_FALSE(not_finite.ok());
  EXPECT_EQ(not_finite.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(not_finite.status().message().find("row 2, dimension 1"), std::string::npos)
      << not_finite.status().message();
  EXPECT_FALSE(MmdTest({with_infinity, 3}, {y, 3}, ok).ok());
  EXPECT_FALSE(MmdTest({x, 3}, {y, 3}, Permutations(0)).ok());
  MmdOptions tiny = ok;
  tiny.maximum_per_cohort = 1;
  EXPECT_FALSE(MmdTest({x, 3}, {y, 3}, tiny).ok());
}

}  // namespace
}  // namespace assay::stats
