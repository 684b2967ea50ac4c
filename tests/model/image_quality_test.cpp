// Image-quality measures: Immerkaer's noise estimate recovers the standard
// deviation of Gaussian noise added to a smooth image (his paper's claim for
// images without fine structure), and blur lowers the sharpness.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "assay/model/image.h"

namespace assay::model {
namespace {

// A 128 x 128 ramp from 0 to 1000 across the columns plus N(0, sigma) noise.
Image NoisyRamp(double sigma, unsigned seed) {
  Image image{128, 128, 1, {}};
  std::mt19937 random(seed);
  std::normal_distribution<double> noise(0.0, sigma);
  for (std::size_t r = 0; r < 128; ++r) {
    for (std::size_t c = 0; c < 128; ++c) {
      image.values.push_back(
          static_cast<float>(1000.0 * static_cast<double>(c) / 127.0 + noise(random)));
    }
  }
  return image;
}

double Range(const Image& image) {
  const auto [low, high] = Percentiles(image.values, 5.0, 95.0);
  return high - low;
}

TEST(MeasureQuality, NoiseRecoversTheAddedStandardDeviation) {
  for (double sigma : {5.0, 20.0, 60.0}) {
    const Image image = NoisyRamp(sigma, 11);
    const ImageQuality q = MeasureQuality(image);
    EXPECT_NEAR(q.noise * Range(image), sigma, 0.05 * sigma) << sigma;
  }
}

TEST(MeasureQuality, BlurLowersSharpnessAndFlatImagesHaveNone) {
  const Image sharp = NoisyRamp(20.0, 5);
  Image blurred = sharp;
  // A 3 x 3 box filter inside the border.
  for (std::size_t r = 1; r + 1 < 128; ++r) {
    for (std::size_t c = 1; c + 1 < 128; ++c) {
      float sum = 0;
      for (int dr = -1; dr <= 1; ++dr)
        for (int dc = -1; dc <= 1; ++dc) sum += sharp.values[(r + dr) * 128 + (c + dc)];
      blurred.values[r * 128 + c] = sum / 9.0f;
    }
  }
  EXPECT_LT(MeasureQuality(blurred).sharpness, 0.5 * MeasureQuality(sharp).sharpness);
  const Image flat{16, 16, 1, std::vector<float>(256, 7.0f)};
  EXPECT_TRUE(std::isnan(MeasureQuality(flat).noise));
  const Image tiny{2, 2, 1, {1, 2, 3, 4}};
  EXPECT_TRUE(std::isnan(MeasureQuality(tiny).sharpness));
}

TEST(MeasureStatistics, OneFrameAgreesWithMeasureQualityAndSkipsNonFiniteValues) {
  Image image = NoisyRamp(20.0, 3);
  const ImageQuality quality = MeasureQuality(image);
  const ImageStatistics one = MeasureStatistics(
      {.frames = 1, .rows = 128, .columns = 128, .channels = 1, .values = image.values});
  EXPECT_DOUBLE_EQ(one.quality.noise, quality.noise);
  EXPECT_DOUBLE_EQ(one.quality.sharpness, quality.sharpness);
  EXPECT_EQ(one.finite_values, 128u * 128u);

  // Two frames: a copy of the first, and the first shifted up by 100. The shift moves the
  // percentiles and the mean but neither the noise (relative to a wider range) nor the Laplacian.
  std::vector<float> stacked = image.values;
  for (float v : image.values) stacked.push_back(v + 100.0f);
  const ImageStatistics clean = MeasureStatistics(
      {.frames = 2, .rows = 128, .columns = 128, .channels = 1, .values = stacked});
  EXPECT_NEAR(clean.quality.noise * (clean.p95 - clean.p5), quality.noise * Range(image), 0.5);
  EXPECT_NEAR(clean.quality.sharpness * (clean.p95 - clean.p5), quality.sharpness * Range(image),
              1e-4 * quality.sharpness * Range(image));

  // A value that is not finite is left out of the moments.
  stacked[5] = std::numeric_limits<float>::quiet_NaN();
  const ImageStatistics two = MeasureStatistics(
      {.frames = 2, .rows = 128, .columns = 128, .channels = 1, .values = stacked});
  EXPECT_EQ(two.finite_values, 2u * 128u * 128u - 1u);
  double sum = 0.0;
  for (std::size_t i = 0; i < stacked.size(); ++i) {
    if (i != 5) sum += stacked[i];
  }
  EXPECT_NEAR(two.mean, sum / static_cast<double>(two.finite_values), 1e-9);

  const ImageStatistics wrong_size = MeasureStatistics(
      {.frames = 3, .rows = 128, .columns = 128, .channels = 1, .values = image.values});
  EXPECT_TRUE(std::isnan(wrong_size.mean));
  EXPECT_EQ(wrong_size.finite_values, 0u);
}

}  // namespace
}  // namespace assay::model
