// Images on their way into a model: loading a DICOM file or a 2D volume
// file, and the preprocessing a ModelSpec describes.
//
// Preprocessing runs in this order: intensity (display window, fixed window,
// percentiles, or raw) -> resize to the model's size -> channels (grey
// repeated to RGB, RGB to grey by Rec. 601 luma) -> (x - mean) / std ->
// channels-first layout. Perturbations (assay/perturb/perturbation.h) act on
// the loaded image before all of it, as an acquisition change would.
#pragma once

#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "assay/core/status.h"
#include "assay/model/model.h"

namespace assay::model {

// One 2D image: rows x columns x channels, row-major, channels interleaved.
struct Image {
  std::size_t rows = 0, columns = 0, channels = 1;
  std::vector<float> values;
};

// Loads the file at `path`: NIfTI, NRRD, MetaImage and PNG by their
// extensions (through ITK), anything else as DICOM. kDisplay asks DICOM
// files for display values (PNG values are scaled from 0..255 or 0..65535);
// every other intensity for modality values. Errors (kInvalidInput) name the
// file: undecodable, several frames or slices (assay's models take one 2D
// image), no pixels.
Result<Image> LoadImage(const std::string& path, Intensity intensity);

// The values at percentiles `low` < `high` (0..100) of the finite values, by
// linear interpolation between order statistics (numpy's default); NaN when
// there is no finite value.
std::pair<double, double> Percentiles(std::span<const float> values, double low, double high);

// Acquisition-quality estimates of one image (its first channel), relative to
// its 5th-95th percentile range (which a small bright lesion leaves alone) so that they compare
// across scanners and bit depths: noise, Immerkaer's (1996) estimate of the standard deviation of
// additive noise; sharpness, the standard deviation of the Laplacian
// (Pech-Pacheco et al. 2000). NaN when the image is flat or under 3x3.
struct ImageQuality {
  double noise = std::numeric_limits<double>::quiet_NaN();
  double sharpness = std::numeric_limits<double>::quiet_NaN();
};
ImageQuality MeasureQuality(const Image& image);

// Frames of one size, stacked: frames x rows x columns x channels floats, row-major, channels
// interleaved (as io::PixelImage holds a multi-frame file). Borrows the values.
struct FrameStack {
  std::size_t frames = 1, rows = 0, columns = 0, channels = 1;
  std::span<const float> values;
};

// Intensity statistics of an image's first channel, all frames together, in the image's own
// units: the mean and standard deviation (population: n in the denominator) and the 5th and 95th
// percentiles (as Percentiles) of its finite values, and MeasureQuality's noise and sharpness
// with the inner pixels of every frame pooled, relative to the pooled 5th-95th percentile range.
// Values NaN where there is no finite value, quality NaN where MeasureQuality's would be. Requires
// values.size() == frames * rows * columns * channels (else every value is NaN). Deterministic:
// one thread, a fixed order.
struct ImageStatistics {
  std::size_t finite_values = 0;
  double mean = std::numeric_limits<double>::quiet_NaN();
  double standard_deviation = std::numeric_limits<double>::quiet_NaN();
  double p5 = std::numeric_limits<double>::quiet_NaN();
  double p95 = std::numeric_limits<double>::quiet_NaN();
  ImageQuality quality;
};
ImageStatistics MeasureStatistics(const FrameStack& image);

// The model input for one image: channels x height x width floats, written
// to `out` (spec.channels * spec.height * spec.width of them). Errors: an
// image of another size with resize 'none', an image without any finite value.
Status Preprocess(const Image& image, const ModelSpec& spec, std::span<float> out);

}  // namespace assay::model
