#include "assay/synth/phantom.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

namespace assay::synth {
namespace {

RandomStream Anatomy(std::uint64_t index) {
  return RandomStream(1, PurposeId("phantom_test.anatomy"), 0, index);
}
RandomStream Acquisition(std::uint64_t index) {
  return RandomStream(1, PurposeId("phantom_test.acquisition"), 0, index);
}

// The deviation of the noise: Immerkaer's estimate from the mask that cancels
// smooth structure (the same estimate assay measures image quality with).
double NoiseDeviation(const Phantom& phantom) {
  const std::size_t n = phantom.size;
  auto at = [&](std::size_t x, std::size_t y) {
    return static_cast<double>(phantom.pixels[y * n + x]);
  };
  double sum = 0.0;
  for (std::size_t y = 1; y + 1 < n; ++y) {
    for (std::size_t x = 1; x + 1 < n; ++x) {
      const double response = at(x - 1, y - 1) - 2 * at(x, y - 1) + at(x + 1, y - 1) -
                              2 * at(x - 1, y) + 4 * at(x, y) - 2 * at(x + 1, y) +
                              at(x - 1, y + 1) - 2 * at(x, y + 1) + at(x + 1, y + 1);
      sum += std::abs(response);
    }
  }
  const double inner = static_cast<double>((n - 2) * (n - 2));
  return std::sqrt(std::acos(-1.0) / 2.0) / (6.0 * inner) * sum;
}

double MeanAround(const Phantom& phantom, double cx, double cy, double radius) {
  double sum = 0.0;
  int count = 0;
  for (std::size_t y = 0; y < phantom.size; ++y) {
    for (std::size_t x = 0; x < phantom.size; ++x) {
      const double dx = static_cast<double>(x) - cx, dy = static_cast<double>(y) - cy;
      if (dx * dx + dy * dy > radius * radius) continue;
      sum += phantom.pixels[y * phantom.size + x];
      ++count;
    }
  }
  return sum / count;
}

TEST(PhantomTest, SameStreamsGiveTheSameImage) {
  PhantomParameters parameters;
  parameters.size = 64;
  const Phantom a = RenderPhantom(parameters, Anatomy(3), Acquisition(3));
  const Phantom b = RenderPhantom(parameters, Anatomy(3), Acquisition(3));
  const Phantom c = RenderPhantom(parameters, Anatomy(4), Acquisition(4));
  EXPECT_EQ(a.pixels, b.pixels);
  EXPECT_NE(a.pixels, c.pixels);
  ASSERT_EQ(a.pixels.size(), 64u * 64u);
  for (std::uint16_t value : a.pixels) EXPECT_LE(value, kMaximumStored);
}

TEST(PhantomTest, NoiseLevelScalesTheMeasuredNoise) {
  PhantomParameters parameters;
  parameters.size = 128;
  parameters.noise = 1.0;
  const double nominal = NoiseDeviation(RenderPhantom(parameters, Anatomy(1), Acquisition(1)));
  parameters.noise = 3.0;
  const double tripled = NoiseDeviation(RenderPhantom(parameters, Anatomy(1), Acquisition(1)));
  // The anatomy adds a little of its own fine texture to the estimate.
  EXPECT_NEAR(nominal, kNominalNoise, 0.25 * kNominalNoise);
  EXPECT_NEAR(tripled / nominal, 3.0, 0.3);
}

TEST(PhantomTest, BlurAndGrainLowerThePixelToPixelNoise) {
  PhantomParameters parameters;
  parameters.size = 128;
  const double sharp = NoiseDeviation(RenderPhantom(parameters, Anatomy(2), Acquisition(2)));
  parameters.blur = 1.5;
  const double blurred = NoiseDeviation(RenderPhantom(parameters, Anatomy(2), Acquisition(2)));
  parameters.blur = 0.0;
  parameters.noise_grain = 1.5;
  const double grainy = NoiseDeviation(RenderPhantom(parameters, Anatomy(2), Acquisition(2)));
  // Blur comes before the noise: it smooths the anatomy, not the noise.
  EXPECT_NEAR(blurred, sharp, 0.15 * sharp);
  // Correlated noise of the same per-pixel deviation has less pixel-to-pixel difference.
  EXPECT_LT(grainy, 0.6 * sharp);
}

TEST(PhantomTest, LesionRaisesTheImageWhereItIs) {
  PhantomParameters parameters;
  parameters.size = 128;
  parameters.noise = 0.0;
  const Phantom without = RenderPhantom(parameters, Anatomy(5), Acquisition(5));
  RandomStream shape(1, PurposeId("phantom_test.shape"), 0, 0);
  parameters.lesion = LesionBlob(40.0, 70.0, 10.0, 0.2, shape);
  const Phantom with = RenderPhantom(parameters, Anatomy(5), Acquisition(5));
  // Peak 0.2 of the range, which maps to kDetectorScale detector units.
  const double at_lesion = MeanAround(with, 40, 70, 1.5) - MeanAround(without, 40, 70, 1.5);
  EXPECT_NEAR(at_lesion, 0.2 * kDetectorScale, 0.03 * kDetectorScale);
  const double far_away = MeanAround(with, 100, 20, 5) - MeanAround(without, 100, 20, 5);
  EXPECT_NEAR(far_away, 0.0, 1.0);
}

TEST(PhantomTest, LesionBlobHasTheDiameterAsFullWidthAtHalfMaximum) {
  RandomStream shape(1, PurposeId("phantom_test.shape"), 0, 1);
  const Blob blob = LesionBlob(10, 20, 2.0 * std::sqrt(2.0 * std::log(2.0)) * 3.0, 0.1, shape);
  EXPECT_NEAR(blob.sigma_major, 3.0, 1e-12);
  EXPECT_LE(blob.sigma_minor, blob.sigma_major);
  EXPECT_GE(blob.sigma_minor, 0.75 * blob.sigma_major);
}

}  // namespace
}  // namespace assay::synth
