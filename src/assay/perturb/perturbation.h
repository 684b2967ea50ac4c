// Acquisition perturbations for stress tests: physically meaningful changes
// to an image, each at severities 1 (mild) to 5 (severe), deterministic
// given the seed and the case.
//
// Intensities are expressed relative to the image's own range R = p99 - p1
// (its 1st to 99th percentile), so the same severity means the same thing
// for a radiograph in detector units and a CT in Hounsfield units. The
// physical meaning of every severity is in docs/perturbations.md and in
// PerturbationMeaning().
//
//   auto kind = ParsePerturbation("gaussian_blur");
//   Perturb(image, *kind, 3, seed, case_key);  // sigma = 1.5 pixels
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "assay/core/status.h"
#include "assay/model/image.h"

namespace assay::perturb {

enum class Kind {
  kGaussianNoise,  // electronic noise
  kPoissonNoise,   // quantum noise of a lower dose
  kGaussianBlur,   // resolution (MTF) loss
  kResample,       // acquisition at a coarser matrix, shown at the original one
  kContrast,       // lower contrast (e.g. higher kVp, scatter)
  kGamma,          // a different look-up curve
  kLevelShift,     // window level / brightness offset
  kBiasField,      // MRI receive-coil inhomogeneity
  kGhosting,       // MRI N/2 ghosting (alternate k-space lines in error)
  kMotion,         // MRI rigid motion during the acquisition (k-space)
  kJpeg,           // lossy JPEG compression
  kRotation,       // patient positioning: small rotation
  kTranslation,    // patient positioning: shift in the field of view
  kFlip,           // left-right flip (one severity)
};

// Every perturbation, in the order above.
const std::vector<Kind>& AllPerturbations();
std::string PerturbationName(Kind kind);  // "gaussian_noise", ...
Result<Kind> ParsePerturbation(std::string_view name);
// The severities a perturbation has: 1..5, or just 1 for kFlip.
int MaxSeverity(Kind kind);
// One line on what severity `severity` means physically, e.g.
// "Gaussian blur, sigma = 1.5 pixels (MTF 0.5 at 0.25 cycles/pixel)".
std::string PerturbationMeaning(Kind kind, int severity);

// Perturbs `image` in place. The random draws (noise, directions) come from
// a stream keyed by (seed, perturbation, case key): the same case gets the
// same perturbation in every run and on any number of threads, and the same
// draws at every severity, scaled.
// Errors: a severity out of range.
Status Perturb(model::Image& image, Kind kind, int severity, std::uint64_t seed,
               std::string_view case_key);

}  // namespace assay::perturb
