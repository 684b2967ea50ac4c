// Percentiles against the definition (numpy's linear interpolation between
// order statistics of the sorted values), on data with ties, negative and
// huge values, NaN and infinities left out, and tiny inputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "assay/model/image.h"

namespace assay::model {
namespace {

double Reference(std::vector<float> values, double percentile) {
  std::erase_if(values, [](float v) { return !std::isfinite(v); });
  std::sort(values.begin(), values.end());
  const double position = percentile / 100.0 * static_cast<double>(values.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  const std::size_t above = std::min(below + 1, values.size() - 1);
  const double low = values[below], high = values[above];
  return low + (position - static_cast<double>(below)) * (high - low);
}

TEST(Percentiles, EqualTheSortedDefinition) {
  std::mt19937 random(3);
  std::uniform_real_distribution<float> uniform(-1000.0f, 4000.0f);
  std::uniform_int_distribution<int> level(0, 40);
  for (std::size_t n : {1UL, 2UL, 3UL, 10UL, 257UL, 16384UL}) {
    for (int kind = 0; kind < 4; ++kind) {
      std::vector<float> values(n);
      for (float& v : values) {
        v = kind == 0   ? uniform(random)
            : kind == 1 ? static_cast<float>(level(random))  // many ties
            : kind == 2
                ? static_cast<float>(level(random)) * 1e30f - 2e31f
                : (level(random) == 0 ? std::numeric_limits<float>::quiet_NaN() : uniform(random));
      }
      if (kind == 3 && n > 2) values[1] = std::numeric_limits<float>::infinity();
      const bool any_finite =
          std::any_of(values.begin(), values.end(), [](float v) { return std::isfinite(v); });
      if (!any_finite) continue;
      for (const auto& [low, high] : {std::pair{0.5, 99.5}, std::pair{0.0, 100.0},
                                      std::pair{1.0, 99.0}, std::pair{25.0, 75.0}}) {
        const auto [lower, upper] = Percentiles(values, low, high);
        EXPECT_DOUBLE_EQ(lower, Reference(values, low)) << "n " << n << " kind " << kind;
        EXPECT_DOUBLE_EQ(upper, Reference(values, high)) << "n " << n << " kind " << kind;
      }
    }
  }
}

TEST(Percentiles, NoFiniteValueIsNaN) {
  const std::vector<float> values{std::numeric_limits<float>::quiet_NaN(),
                                  -std::numeric_limits<float>::infinity()};
  EXPECT_TRUE(std::isnan(Percentiles(values, 1, 99).first));
}

}  // namespace
}  // namespace assay::model
