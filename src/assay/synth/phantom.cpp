#include "assay/synth/phantom.h"

#include <algorithm>
#include <boost/random/normal_distribution.hpp>
#include <cmath>
#include <numbers>

namespace assay::synth {
namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;

// A square image of doubles, row-major.
struct Field {
  explicit Field(std::size_t n) : size(n), values(n * n, 0.0) {}
  double& at(std::size_t x, std::size_t y) { return values[y * size + x]; }
  std::size_t size;
  std::vector<double> values;
};

double Uniform(RandomStream& stream, double low, double high) {
  return low + (high - low) * stream.NextUniform();
}

// The normalized Gaussian kernel of `sigma`, out to three sigmas.
std::vector<double> GaussianKernel(double sigma) {
  const auto radius = static_cast<std::ptrdiff_t>(std::ceil(3.0 * sigma));
  std::vector<double> kernel(static_cast<std::size_t>(2 * radius + 1));
  double total = 0.0;
  for (std::ptrdiff_t i = -radius; i <= radius; ++i) {
    const double d = static_cast<double>(i);
    total += kernel[static_cast<std::size_t>(i + radius)] = std::exp(-d * d / (2 * sigma * sigma));
  }
  for (double& k : kernel) k /= total;
  return kernel;
}

// How much blurring by `sigma` (both axes) scales the deviation of white noise:
// the sum of the squared 1D weights (the 2D variance gain is its square).
double NoiseDeviationGain(double sigma) {
  if (sigma < 0.05) return 1.0;
  double sum = 0.0;
  for (double k : GaussianKernel(sigma)) sum += k * k;
  return sum;
}

// Separable Gaussian blur with mirrored edges.
void Blur(Field& field, double sigma) {
  if (sigma < 0.05) return;
  const std::vector<double> kernel = GaussianKernel(sigma);
  const std::size_t n = field.size, radius = kernel.size() / 2;
  std::vector<double> padded(n + 2 * radius);
  for (int pass = 0; pass < 2; ++pass) {
    for (std::size_t a = 0; a < n; ++a) {
      // Pass 0 blurs along x (row a), pass 1 along y (column a).
      auto value = [&](std::size_t b) -> double& {
        return pass == 0 ? field.at(b, a) : field.at(a, b);
      };
      for (std::size_t i = 0; i < padded.size(); ++i) {
        auto b = static_cast<std::ptrdiff_t>(i) - static_cast<std::ptrdiff_t>(radius);
        const auto last = static_cast<std::ptrdiff_t>(n) - 1;
        while (b < 0 || b > last) b = b < 0 ? -b - 1 : 2 * last - b + 1;
        padded[i] = value(static_cast<std::size_t>(b));
      }
      for (std::size_t b = 0; b < n; ++b) {
        double sum = 0.0;
        for (std::size_t k = 0; k < kernel.size(); ++k) sum += kernel[k] * padded[b + k];
        value(b) = sum;
      }
    }
  }
}

// Adds amplitude * sin(u x + v y + phase) to `field`, through the identity
// sin(a + b) = sin a cos b + cos a sin b so that only 4n sines are taken.
void AddPlaneWave(Field& field, double u, double v, double phase, double amplitude) {
  const std::size_t n = field.size;
  std::vector<double> sin_x(n), cos_x(n), sin_y(n), cos_y(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(i);
    sin_x[i] = std::sin(u * d + phase);
    cos_x[i] = std::cos(u * d + phase);
    sin_y[i] = std::sin(v * d);
    cos_y[i] = std::cos(v * d);
  }
  for (std::size_t y = 0; y < n; ++y) {
    for (std::size_t x = 0; x < n; ++x) {
      field.at(x, y) += amplitude * (sin_x[x] * cos_y[y] + cos_x[x] * sin_y[y]);
    }
  }
}

// A few plane waves of 0.3 to 1.6 cycles per image, amplitude falling with frequency.
void AddWaves(Field& field, RandomStream& stream) {
  const double n = static_cast<double>(field.size);
  for (int k = 0; k < 4; ++k) {
    const double cycles = Uniform(stream, 0.3, 1.6);
    const double direction = Uniform(stream, 0.0, std::numbers::pi);
    const double phase = Uniform(stream, 0.0, kTwoPi);
    const double amplitude = Uniform(stream, 0.4, 1.0) / std::sqrt(cycles);
    const double omega = kTwoPi * cycles / n;
    AddPlaneWave(field, omega * std::cos(direction), omega * std::sin(direction), phase, amplitude);
  }
}

// Smoothed noise: a coarse grid of normal draws, interpolated with a smooth step.
void AddSmoothNoise(Field& field, RandomStream& stream) {
  constexpr std::size_t kGrid = 5;
  boost::random::normal_distribution<double> normal(0.0, 0.3);
  double grid[kGrid][kGrid];
  for (auto& row : grid) {
    for (double& value : row) value = normal(stream);
  }
  const std::size_t n = field.size;
  const double step = static_cast<double>(kGrid - 1) / static_cast<double>(n - 1);
  auto weight = [](double t) { return t * t * (3.0 - 2.0 * t); };
  for (std::size_t y = 0; y < n; ++y) {
    const double gy = static_cast<double>(y) * step;
    const auto y0 = std::min(static_cast<std::size_t>(gy), kGrid - 2);
    const double wy = weight(gy - static_cast<double>(y0));
    for (std::size_t x = 0; x < n; ++x) {
      const double gx = static_cast<double>(x) * step;
      const auto x0 = std::min(static_cast<std::size_t>(gx), kGrid - 2);
      const double wx = weight(gx - static_cast<double>(x0));
      const double top = grid[y0][x0] + wx * (grid[y0][x0 + 1] - grid[y0][x0]);
      const double bottom = grid[y0 + 1][x0] + wx * (grid[y0 + 1][x0 + 1] - grid[y0 + 1][x0]);
      field.at(x, y) += top + wy * (bottom - top);
    }
  }
}

void AddGradient(Field& field, RandomStream& stream) {
  const double slope = Uniform(stream, 0.0, 1.2);
  const double direction = Uniform(stream, 0.0, kTwoPi);
  const double n = static_cast<double>(field.size);
  const double dx = slope * std::cos(direction) / n, dy = slope * std::sin(direction) / n;
  for (std::size_t y = 0; y < field.size; ++y) {
    for (std::size_t x = 0; x < field.size; ++x) {
      field.at(x, y) +=
          dx * (static_cast<double>(x) - n / 2) + dy * (static_cast<double>(y) - n / 2);
    }
  }
}

struct RidgeKind {
  int count;
  double width_low, width_high;          // Gaussian sigma across, fraction of the image
  double amplitude_low, amplitude_high;  // units of the background's range
};

// Curved ridges: a Gaussian profile across a line whose offset wanders
// sinusoidally along it. Broad bright bands (rib-like) and thin faint lines
// (vessel-like): elongated structures a detector must not mistake for lesions.
void AddRidges(Field& field, const RidgeKind& kind, RandomStream& stream) {
  const std::size_t n = field.size;
  const double size = static_cast<double>(n);
  for (int k = 0; k < kind.count; ++k) {
    const double angle = Uniform(stream, 0.0, std::numbers::pi);
    const double offset = Uniform(stream, -0.4, 0.4) * size;
    const double width = Uniform(stream, kind.width_low, kind.width_high) * size;
    const double amplitude = Uniform(stream, kind.amplitude_low, kind.amplitude_high);
    const double wander = Uniform(stream, 0.0, 0.08) * size;
    const double wavelength = Uniform(stream, 0.6, 1.5) * size;
    const double phase = Uniform(stream, 0.0, kTwoPi);
    const double c = std::cos(angle), s = std::sin(angle);
    const double reach = 4.0 * width;
    // The wander sin(k along + phase), along = -s x + c y, split by the identity
    // sin(a + b) = sin a cos b + cos a sin b into 4n sines rather than n^2.
    const double k_along = kTwoPi / wavelength;
    std::vector<double> sin_x(n), cos_x(n), sin_y(n), cos_y(n);
    for (std::size_t i = 0; i < n; ++i) {
      const double centred = static_cast<double>(i) - size / 2;
      sin_x[i] = std::sin(-k_along * s * centred + phase);
      cos_x[i] = std::cos(-k_along * s * centred + phase);
      sin_y[i] = std::sin(k_along * c * centred);
      cos_y[i] = std::cos(k_along * c * centred);
    }
    for (std::size_t y = 0; y < n; ++y) {
      const double py = static_cast<double>(y) - size / 2;
      for (std::size_t x = 0; x < n; ++x) {
        const double px = static_cast<double>(x) - size / 2;
        const double wave = sin_x[x] * cos_y[y] + cos_x[x] * sin_y[y];
        const double across = px * c + py * s - offset - wander * wave;
        if (std::abs(across) > reach) continue;
        field.at(x, y) += amplitude * std::exp(-across * across / (2.0 * width * width));
      }
    }
  }
}

// Fine parenchyma-like texture: white noise blurred to a correlation of about
// two pixels, with a standard deviation of 2% of the background's range.
void AddFineTexture(Field& field, RandomStream& stream) {
  constexpr double kSigma = 1.2;
  Field texture(field.size);
  boost::random::normal_distribution<double> normal(0.0, 1.0);
  for (double& v : texture.values) v = normal(stream);
  Blur(texture, kSigma);
  const double gain = 0.02 / NoiseDeviationGain(kSigma);
  for (std::size_t i = 0; i < field.values.size(); ++i) field.values[i] += gain * texture.values[i];
}

// The value at `fraction` (0..1) of the sorted values, nearest rank.
double Quantile(std::vector<double> values, double fraction) {
  const auto rank = static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(rank),
                   values.end());
  return values[rank];
}

// The anatomy with mean 0 and 1st-to-99th percentile range 1.
Field Anatomy(std::size_t n, RandomStream& stream) {
  Field field(n);
  AddWaves(field, stream);
  AddSmoothNoise(field, stream);
  AddGradient(field, stream);
  const double range = Quantile(field.values, 0.99) - Quantile(field.values, 0.01);
  const double scale = range > 0.0 ? 1.0 / range : 1.0;
  for (double& v : field.values) v *= scale;
  AddRidges(field, {3, 0.02, 0.04, 0.06, 0.15}, stream);    // rib-like
  AddRidges(field, {3, 0.006, 0.012, 0.02, 0.05}, stream);  // vessel-like
  AddFineTexture(field, stream);
  double mean = 0.0;
  for (double v : field.values) mean += v;
  mean /= static_cast<double>(field.values.size());
  for (double& v : field.values) v -= mean;
  return field;
}

void AddBlob(Field& field, const Blob& blob) {
  const double c = std::cos(blob.angle), s = std::sin(blob.angle);
  const double reach = 4.0 * blob.sigma_major;
  const double last = static_cast<double>(field.size - 1);
  const auto x0 = static_cast<std::size_t>(std::clamp(blob.center_x - reach, 0.0, last));
  const auto x1 = static_cast<std::size_t>(std::clamp(blob.center_x + reach, 0.0, last));
  const auto y0 = static_cast<std::size_t>(std::clamp(blob.center_y - reach, 0.0, last));
  const auto y1 = static_cast<std::size_t>(std::clamp(blob.center_y + reach, 0.0, last));
  for (std::size_t y = y0; y <= y1; ++y) {
    for (std::size_t x = x0; x <= x1; ++x) {
      const double dx = static_cast<double>(x) - blob.center_x;
      const double dy = static_cast<double>(y) - blob.center_y;
      const double major = (dx * c + dy * s) / blob.sigma_major;
      const double minor = (-dx * s + dy * c) / blob.sigma_minor;
      field.at(x, y) += blob.contrast * std::exp(-0.5 * (major * major + minor * minor));
    }
  }
}

// A smooth multiplicative field 1 + bias * b(x, y), b in [-1, 1].
void ApplyBias(Field& field, double bias, RandomStream& stream) {
  const double cycles = Uniform(stream, 0.3, 0.8);
  const double direction = Uniform(stream, 0.0, kTwoPi);
  const double phase = Uniform(stream, 0.0, kTwoPi);
  if (bias <= 0.0) return;
  Field shape(field.size);
  const double omega = kTwoPi * cycles / static_cast<double>(field.size);
  AddPlaneWave(shape, omega * std::cos(direction), omega * std::sin(direction), phase, 1.0);
  for (std::size_t i = 0; i < field.values.size(); ++i) {
    field.values[i] *= 1.0 + bias * shape.values[i];
  }
}

// Acquisition noise of deviation `deviation`, white or, with `grain`, correlated
// over about that many pixels (the same per-pixel deviation, more of it at
// the scale of small lesions).
void AddNoise(Field& field, double deviation, double grain, RandomStream& stream) {
  if (deviation <= 0.0) return;
  boost::random::normal_distribution<double> normal(0.0, 1.0);
  Field noise(field.size);
  for (double& v : noise.values) v = normal(stream);
  Blur(noise, grain);
  const double scale = deviation / NoiseDeviationGain(grain);
  for (std::size_t i = 0; i < field.values.size(); ++i) field.values[i] += scale * noise.values[i];
}

}  // namespace

Blob LesionBlob(double x, double y, double diameter_px, double contrast, RandomStream& stream) {
  // Full width at half maximum = 2 sqrt(2 ln 2) sigma.
  const double sigma = diameter_px / (2.0 * std::sqrt(2.0 * std::numbers::ln2));
  Blob blob;
  blob.center_x = x;
  blob.center_y = y;
  blob.sigma_major = sigma;
  blob.sigma_minor = sigma * Uniform(stream, 0.75, 1.0);
  blob.angle = Uniform(stream, 0.0, std::numbers::pi);
  blob.contrast = contrast;
  return blob;
}

Phantom RenderPhantom(const PhantomParameters& parameters, RandomStream anatomy,
                      RandomStream acquisition) {
  Field field = Anatomy(parameters.size, anatomy);
  if (parameters.lesion) AddBlob(field, *parameters.lesion);

  // The detector: contrast, bias field, blur, noise, quantization.
  const double gain = kDetectorScale * parameters.contrast;
  for (double& v : field.values) v = kDetectorLevel + gain * v;
  ApplyBias(field, parameters.bias, acquisition);
  Blur(field, parameters.blur);
  AddNoise(field, kNominalNoise * parameters.noise, parameters.noise_grain, acquisition);
  Phantom phantom;
  phantom.size = parameters.size;
  phantom.pixels.resize(field.values.size());
  for (std::size_t i = 0; i < field.values.size(); ++i) {
    const double value = std::clamp(std::round(field.values[i]), 0.0, double{kMaximumStored});
    phantom.pixels[i] = static_cast<std::uint16_t>(value);
  }
  return phantom;
}

}  // namespace assay::synth
