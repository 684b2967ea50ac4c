// The defining property of each perturbation: noise has its stated standard
// deviation, blur has its stated MTF, flip is an involution, the ghost sits
// half a field of view away at its stated intensity, every perturbation is
// deterministic per (seed, case) and its effect grows with severity.
#include "assay/perturb/perturbation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <numeric>

namespace assay::perturb {
namespace {

model::Image Flat(std::size_t size, float value) {
  model::Image image;
  image.rows = image.columns = size;
  image.values.assign(size * size, value);
  return image;
}

// A test image: a ramp (so percentiles are spread) plus blobs of several
// sizes; nothing periodic, so a larger shift or coarser sampling always
// changes it more.
model::Image Textured(std::size_t size) {
  model::Image image = Flat(size, 0);
  for (std::size_t r = 0; r < size; ++r) {
    for (std::size_t c = 0; c < size; ++c) {
      const double x = static_cast<double>(c), y = static_cast<double>(r);
      const double side = static_cast<double>(size);
      double value = 100.0 * x / side;
      const double blobs[][3] = {
          {0.5, 0.33, 20.0}, {0.25, 0.7, 4.0}, {0.75, 0.6, 60.0}, {0.3, 0.2, 8.0}};
      for (const auto& blob : blobs) {
        const double dx = x - blob[0] * side, dy = y - blob[1] * side;
        value += 50.0 * std::exp(-(dx * dx + dy * dy) / blob[2]);
      }
      image.values[r * size + c] = static_cast<float>(value);
    }
  }
  return image;
}

double Rms(const model::Image& a, const model::Image& b) {
  double sum = 0;
  for (std::size_t i = 0; i < a.values.size(); ++i) {
    sum += (a.values[i] - b.values[i]) * (a.values[i] - b.values[i]);
  }
  return std::sqrt(sum / static_cast<double>(a.values.size()));
}

// The 1st-99th percentile range the perturbations scale with, of a ramp from 0 to 100.
model::Image Ramp(std::size_t size) {
  model::Image image = Flat(size, 0);
  for (std::size_t i = 0; i < image.values.size(); ++i) {
    image.values[i] = static_cast<float>(100.0 * static_cast<double>(i) /
                                         static_cast<double>(image.values.size() - 1));
  }
  return image;
}

TEST(Perturbation, GaussianNoiseHasItsStatedStandardDeviation) {
  const model::Image clean = Ramp(256);  // p1..p99 spans 98 units
  for (int severity = 1; severity <= 5; ++severity) {
    model::Image noisy = clean;
    ASSERT_TRUE(Perturb(noisy, Kind::kGaussianNoise, severity, 7, "case").ok());
    const double expected = 98.0 * std::array{0.01, 0.02, 0.04, 0.08, 0.16}[severity - 1];
    EXPECT_NEAR(Rms(noisy, clean) / expected, 1.0, 0.02) << "severity " << severity;
  }
}

TEST(Perturbation, PoissonNoiseKeepsTheMeanAndScalesWithDose) {
  // A flat image at the middle of a two-level range: p1 = 0, p99 = 100.
  model::Image clean = Flat(200, 50);
  for (std::size_t i = 0; i < 4000; ++i) clean.values[i] = 0;
  for (std::size_t i = 4000; i < 8000; ++i) clean.values[i] = 100;
  for (int severity : {1, 3, 5}) {
    model::Image noisy = clean;
    ASSERT_TRUE(Perturb(noisy, Kind::kPoissonNoise, severity, 7, "case").ok());
    double sum = 0, squares = 0;
    const double n = static_cast<double>(clean.values.size() - 8000);
    for (std::size_t i = 8000; i < clean.values.size(); ++i) {
      sum += noisy.values[i];
      squares += (noisy.values[i] - 50.0) * (noisy.values[i] - 50.0);
    }
    const double dose = std::ldexp(1.0, -severity);
    // u = 0.5 + 0.05 dark floor; quanta 2000 * dose * u / 1.05; sd in image units:
    const double quanta = 2000.0 * dose * 0.55 / 1.05;
    const double expected_sd = 100.0 * std::sqrt(quanta) * 1.05 / (2000.0 * dose);
    EXPECT_NEAR(sum / n, 50.0, 4 * expected_sd / std::sqrt(n));
    EXPECT_NEAR(std::sqrt(squares / n) / expected_sd, 1.0, 0.03) << "severity " << severity;
  }
}

// The MTF at frequency f of the sampled Gaussian OpenCV applies for float
// images: weights exp(-i^2 / 2 sigma^2) for |i| <= (round(8 sigma + 1) | 1) / 2,
// normalized (close to the continuous exp(-2 pi^2 sigma^2 f^2) from sigma 1 up).
double SampledGaussianMtf(double sigma, double f) {
  const long radius = (std::lround(sigma * 8 + 1) | 1) / 2;
  double sum = 0, response = 0;
  for (long i = -radius; i <= radius; ++i) {
    const double w = std::exp(-static_cast<double>(i * i) / (2 * sigma * sigma));
    sum += w;
    response += w * std::cos(2 * std::numbers::pi * f * static_cast<double>(i));
  }
  return response / sum;
}

TEST(Perturbation, BlurAttenuatesASinusoidAsItsMtfSays) {
  // A sinusoid of 0.125 cycles/pixel along x.
  const std::size_t size = 128;
  const double f = 0.125;
  model::Image clean = Flat(size, 0);
  for (std::size_t r = 0; r < size; ++r) {
    for (std::size_t c = 0; c < size; ++c) {
      clean.values[r * size + c] =
          static_cast<float>(std::sin(2 * std::numbers::pi * f * static_cast<double>(c)));
    }
  }
  double previous = 1.0;
  for (int severity = 1; severity <= 5; ++severity) {
    model::Image blurred = clean;
    ASSERT_TRUE(Perturb(blurred, Kind::kGaussianBlur, severity, 7, "case").ok());
    // Amplitude by projection on the sinusoid, away from the borders.
    double dot = 0, norm = 0;
    for (std::size_t r = 16; r < size - 16; ++r) {
      for (std::size_t c = 16; c < size - 16; ++c) {
        dot += blurred.values[r * size + c] * clean.values[r * size + c];
        norm += clean.values[r * size + c] * clean.values[r * size + c];
      }
    }
    const double sigma = std::array{0.5, 1.0, 1.5, 2.0, 3.0}[severity - 1];
    EXPECT_NEAR(dot / norm, SampledGaussianMtf(sigma, f), 1e-3) << "severity " << severity;
    if (sigma >= 1) {
      const double continuous =
          std::exp(-2 * std::numbers::pi * std::numbers::pi * sigma * sigma * f * f);
      EXPECT_NEAR(dot / norm, continuous, 2e-3) << "severity " << severity;
    }
    EXPECT_LT(dot / norm, previous);
    previous = dot / norm;
  }
}

TEST(Perturbation, FlipIsAnInvolution) {
  const model::Image clean = Textured(33);
  model::Image twice = clean;
  ASSERT_TRUE(Perturb(twice, Kind::kFlip, 1, 7, "case").ok());
  EXPECT_GT(Rms(twice, clean), 1.0);
  ASSERT_TRUE(Perturb(twice, Kind::kFlip, 1, 7, "case").ok());
  EXPECT_EQ(twice.values, clean.values);
  EXPECT_FALSE(Perturb(twice, Kind::kFlip, 2, 7, "case").ok());
}

TEST(Perturbation, GhostSitsHalfAFieldAwayAtItsStatedIntensity) {
  const std::size_t size = 64;
  model::Image clean = Flat(size, 0);
  clean.values[10 * size + 20] = 1000;  // a point
  for (int severity = 1; severity <= 5; ++severity) {
    model::Image ghosted = clean;
    ASSERT_TRUE(Perturb(ghosted, Kind::kGhosting, severity, 7, "case").ok());
    const double g = std::array{0.05, 0.1, 0.15, 0.2, 0.3}[severity - 1];
    EXPECT_NEAR(ghosted.values[(10 + size / 2) * size + 20], 1000 * g, 1e-2);
    EXPECT_NEAR(ghosted.values[10 * size + 20], 1000 * (1 - g), 1e-2);
  }
}

TEST(Perturbation, DeterministicPerSeedAndCase) {
  for (Kind kind : AllPerturbations()) {
    const model::Image clean = Textured(48);
    model::Image a = clean, b = clean, c = clean;
    ASSERT_TRUE(Perturb(a, kind, 1, 11, "case-1").ok());
    ASSERT_TRUE(Perturb(b, kind, 1, 11, "case-1").ok());
    EXPECT_EQ(a.values, b.values) << PerturbationName(kind);
    ASSERT_TRUE(Perturb(c, kind, 1, 11, "case-2").ok());
    const bool random = kind == Kind::kGaussianNoise || kind == Kind::kPoissonNoise ||
                        kind == Kind::kBiasField || kind == Kind::kMotion;
    if (random) {
      EXPECT_NE(a.values, c.values) << PerturbationName(kind);
    }
  }
}

TEST(Perturbation, EffectGrowsWithSeverity) {
  const model::Image clean = Textured(64);
  for (Kind kind : AllPerturbations()) {
    if (MaxSeverity(kind) == 1) continue;
    double previous = 0;
    for (int severity = 1; severity <= 5; ++severity) {
      model::Image perturbed = clean;
      ASSERT_TRUE(Perturb(perturbed, kind, severity, 3, "case").ok());
      const double effect = Rms(perturbed, clean);
      EXPECT_GT(effect, previous) << PerturbationName(kind) << " severity " << severity;
      previous = effect;
      EXPECT_FALSE(PerturbationMeaning(kind, severity).empty());
    }
  }
}

TEST(Perturbation, NamesRoundTripAndBadSeverityIsRefused) {
  for (Kind kind : AllPerturbations()) {
    auto parsed = ParsePerturbation(PerturbationName(kind));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, kind);
  }
  auto unknown = ParsePerturbation("sharpen");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("gaussian_noise"), std::string::npos);
  model::Image image = Textured(16);
  EXPECT_FALSE(Perturb(image, Kind::kGaussianBlur, 6, 1, "case").ok());
  EXPECT_FALSE(Perturb(image, Kind::kGaussianBlur, 0, 1, "case").ok());
}

}  // namespace
}  // namespace assay::perturb
