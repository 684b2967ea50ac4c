#include "assay/model/image.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "assay/io/dicom_pixels.h"
#include "assay/io/volume.h"

namespace assay::model {

namespace {

bool IsVolumeFile(const std::string& path) {
  auto ends_with = [&](std::string_view suffix) {
    if (path.size() < suffix.size()) return false;
    return std::equal(suffix.rbegin(), suffix.rend(), path.rbegin(), [](char a, char b) {
      return a == std::tolower(static_cast<unsigned char>(b));
    });
  };
  for (std::string_view suffix : {".nii", ".nii.gz", ".nrrd", ".nhdr", ".mha", ".mhd", ".png"}) {
    if (ends_with(suffix)) return true;
  }
  return false;
}

// The values at percentiles `low` < `high` (0..100) of `values` (finite,
// reordered), by linear interpolation between order statistics (numpy's
// default). Two partitions and two short scans: the order statistic above
// the high position lies in the short tail above it, the one below the low
// position in the short head below it.
std::pair<double, double> Percentiles(std::vector<float>& values, double low, double high) {
  const double last = static_cast<double>(values.size() - 1);
  auto interpolate = [](double position, double below, double above) {
    return below + (position - std::floor(position)) * (above - below);
  };
  const double high_position = high / 100.0 * last;
  const auto kh = static_cast<std::ptrdiff_t>(std::floor(high_position));
  const auto begin = values.begin();
  std::nth_element(begin, begin + kh, values.end());
  const double high_below = values[static_cast<std::size_t>(kh)];
  const double high_above =
      begin + kh + 1 < values.end() ? *std::min_element(begin + kh + 1, values.end()) : high_below;
  const double low_position = low / 100.0 * last;
  const auto kl = static_cast<std::ptrdiff_t>(std::floor(low_position));
  double low_below = values[static_cast<std::size_t>(kl)], low_above = low_below;
  if (kl < kh) {
    // The (kl+1)-th order statistic, then the kl-th as the largest value before it.
    std::nth_element(begin, begin + kl + 1, begin + kh + 1);
    low_above = values[static_cast<std::size_t>(kl + 1)];
    low_below = *std::max_element(begin, begin + kl + 1);
  } else {
    low_below = high_below;
    low_above = high_above;
  }
  return {interpolate(low_position, low_below, low_above),
          interpolate(high_position, high_below, high_above)};
}

}  // namespace

Result<Image> LoadImage(const std::string& path, Intensity intensity) {
  Image image;
  if (IsVolumeFile(path)) {
    auto volume = io::LoadVolume(path);
    if (!volume.ok()) return volume.status();
    if (volume->size[2] != 1) {
      return InvalidInput(fmt::format("{}: a volume of {} slices; assay's models take one 2D image",
                                      path, volume->size[2]));
    }
    image.rows = volume->size[1];
    image.columns = volume->size[0];
    image.channels = volume->components;
    image.values = std::move(volume->values);
    if (intensity == Intensity::kDisplay && volume->format == "PNG") {
      const float top =
          *std::max_element(image.values.begin(), image.values.end()) > 255.0f ? 65535.0f : 255.0f;
      for (float& v : image.values) v /= top;
    }
  } else {
    auto pixels =
        io::LoadDicomPixels(path, intensity == Intensity::kDisplay ? io::PixelValues::kDisplay
                                                                   : io::PixelValues::kModality);
    if (!pixels.ok()) return pixels.status();
    if (pixels->frames != 1) {
      return InvalidInput(
          fmt::format("{}: {} frames; assay's models take one 2D image", path, pixels->frames));
    }
    image.rows = pixels->rows;
    image.columns = pixels->columns;
    image.channels = pixels->samples;
    image.values = std::move(pixels->values);
  }
  if (image.channels != 1 && image.channels != 3) {
    return InvalidInput(
        fmt::format("{}: {} channels; assay reads grey or RGB images", path, image.channels));
  }
  if (image.values.empty()) return InvalidInput(fmt::format("{}: no pixels", path));
  return image;
}

Status Preprocess(const Image& image, const ModelSpec& spec, std::span<float> out) {
  const std::size_t plane = spec.width * spec.height;
  if (out.size() != plane * spec.channels) {
    return InvalidInput("internal: the preprocessing buffer has the wrong size");
  }
  // Intensity, to [0, 1] except for raw values.
  std::vector<float> values = image.values;
  double low = 0, width = 1;
  if (spec.intensity == Intensity::kWindow) {
    low = spec.window_center - spec.window_width / 2;
    width = spec.window_width;
  } else if (spec.intensity == Intensity::kPercentile) {
    std::vector<float> finite;
    finite.reserve(values.size());
    std::copy_if(values.begin(), values.end(), std::back_inserter(finite),
                 [](float v) { return std::isfinite(v); });
    if (finite.empty()) return InvalidInput("the image has no finite value");
    const auto [lower, upper] = Percentiles(finite, spec.percentile_low, spec.percentile_high);
    low = lower;
    const double high = upper;
    width = high > low ? high - low : 1.0;
  }
  if (spec.intensity == Intensity::kWindow || spec.intensity == Intensity::kPercentile) {
    for (float& v : values) {
      v = static_cast<float>(std::clamp((v - low) / width, 0.0, 1.0));
    }
  }
  // Resize (OpenCV keeps the channels interleaved).
  const int type = CV_32FC(static_cast<int>(image.channels));
  cv::Mat source(static_cast<int>(image.rows), static_cast<int>(image.columns), type,
                 values.data());
  cv::Mat sized;
  if (image.rows == spec.height && image.columns == spec.width) {
    sized = source;
  } else if (spec.resize == Resize::kNone) {
    return InvalidInput(fmt::format("the image is {} x {}, the model takes {} x {} (resize = none)",
                                    image.columns, image.rows, spec.width, spec.height));
  } else {
    cv::resize(source, sized, cv::Size(static_cast<int>(spec.width), static_cast<int>(spec.height)),
               0, 0, spec.resize == Resize::kArea ? cv::INTER_AREA : cv::INTER_LINEAR);
  }
  // Channels, normalization, channels-first.
  const auto* pixels = sized.ptr<float>();
  const std::size_t in_channels = image.channels;
  for (std::size_t c = 0; c < spec.channels; ++c) {
    const double mean = spec.mean.size() == 1 ? spec.mean[0] : spec.mean[c];
    const double std = spec.std.size() == 1 ? spec.std[0] : spec.std[c];
    float* target = out.data() + c * plane;
    for (std::size_t i = 0; i < plane; ++i) {
      const float* pixel = pixels + i * in_channels;
      double value = pixel[0];
      if (in_channels == 3 && spec.channels == 3) {
        value = pixel[c];
      } else if (in_channels == 3) {
        value = 0.299 * pixel[0] + 0.587 * pixel[1] + 0.114 * pixel[2];
      }
      target[i] = static_cast<float>((value - mean) / std);
    }
  }
  return Status();
}

}  // namespace assay::model
