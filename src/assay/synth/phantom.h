// Rendering of one synthetic radiograph-like image: a smooth "anatomy" of
// low-frequency texture, a gentle gradient and a few faint curved ridges; an
// optional roughly round lesion (a Gaussian-profile blob); and the scanner's
// imaging chain in the order a detector applies it: contrast scale, smooth
// multiplicative bias field, blur, acquisition noise, 12-bit quantization.
//
// Intensities before the detector are in units of the background's own
// range (its 1st to 99th percentile = 1), so a lesion contrast of 0.1 is a
// tenth of what the anatomy spans. Pure function of its parameters and the
// two random streams: thread-safe, and the same image on any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "assay/core/random.h"

namespace assay::synth {

// Detector units: the background's mean maps to kDetectorLevel and its range
// to kDetectorScale times the scanner's contrast; noise level 1 has a
// standard deviation of kNominalNoise detector units.
inline constexpr double kDetectorLevel = 1800.0;
inline constexpr double kDetectorScale = 900.0;
inline constexpr double kNominalNoise = 18.0;
inline constexpr std::uint16_t kMaximumStored = 4095;  // 12 bits stored

// An elliptical Gaussian blob, in pixels (x to the right, y down).
struct Blob {
  double center_x = 0.0, center_y = 0.0;
  double sigma_major = 1.0, sigma_minor = 1.0;
  double angle = 0.0;     // radians, of the major axis
  double contrast = 0.0;  // peak, in units of the background's range
};

struct PhantomParameters {
  std::size_t size = 128;  // rows = columns
  std::optional<Blob> lesion;
  double noise = 1.0;        // multiple of kNominalNoise (the standard deviation of a pixel)
  double noise_grain = 0.0;  // correlation of the noise: Gaussian sigma in pixels, 0 = white
  double blur = 0.0;         // Gaussian sigma, pixels
  double contrast = 1.0;     // detector contrast scale
  double bias = 0.0;         // bias field amplitude (the field spans 1 - bias .. 1 + bias)
};

struct Phantom {
  std::size_t size = 0;
  std::vector<std::uint16_t> pixels;  // row-major stored values, 0..kMaximumStored
};

// Renders the image `parameters` describe. `anatomy` draws the background,
// `acquisition` the bias field and the noise; each is copied, so the caller's
// streams are left as they were.
Phantom RenderPhantom(const PhantomParameters& parameters, RandomStream anatomy,
                      RandomStream acquisition);

// The blob of a lesion of `diameter_px` (full width at half maximum along its
// major axis) centred at (x, y), slightly elliptical as `stream` draws it.
Blob LesionBlob(double x, double y, double diameter_px, double contrast, RandomStream& stream);

}  // namespace assay::synth
