#include "assay/model/image.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <numeric>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <tuple>

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

// An unsigned key with the order of the float: flip every bit of a negative
// number, only the sign bit of a positive one.
std::uint32_t OrderedKey(float value) {
  const auto bits = std::bit_cast<std::uint32_t>(value);
  return (bits & 0x80000000U) != 0 ? ~bits : bits | 0x80000000U;
}

float FromOrderedKey(std::uint32_t key) {
  return std::bit_cast<float>((key & 0x80000000U) != 0 ? key & 0x7fffffffU : ~key);
}

// The key of rank `rank` (0-based) among `keys`: a radix select over 11, 11
// and 10 bits, each pass keeping only the keys of the bin that holds the rank.
// Hand-written: std::nth_element costs an image's preprocessing most of its
// time, and no packaged library selects over float bits.
std::uint32_t SelectKey(std::span<const std::uint32_t> keys, std::size_t rank,
                        std::vector<std::uint32_t>& scratch) {
  scratch.assign(keys.begin(), keys.end());
  for (const auto& [shift, bins] :
       {std::pair{21, 2048U}, std::pair{10, 2048U}, std::pair{0, 1024U}}) {
    std::array<std::uint32_t, 2048> count{};
    for (std::uint32_t key : scratch) ++count[(key >> shift) & (bins - 1)];
    std::uint32_t bin = 0;
    while (rank >= count[bin]) rank -= count[bin++];
    std::size_t kept = 0;
    for (std::uint32_t key : scratch) {
      if (((key >> shift) & (bins - 1)) == bin) scratch[kept++] = key;
    }
    scratch.resize(kept);
  }
  return scratch.front();
}

}  // namespace

std::pair<double, double> Percentiles(std::span<const float> values, double low, double high) {
  std::vector<std::uint32_t> keys;
  keys.reserve(values.size());
  for (float v : values) {
    if (std::isfinite(v)) keys.push_back(OrderedKey(v));
  }
  if (keys.empty()) {
    constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
    return {kNaN, kNaN};
  }
  std::vector<std::uint32_t> scratch;
  const double last = static_cast<double>(keys.size() - 1);
  auto at = [&](double percentile) {
    const double position = percentile / 100.0 * last;
    const auto rank = static_cast<std::size_t>(std::floor(position));
    const std::uint32_t key = SelectKey(keys, rank, scratch);
    // The next order statistic: the same key while it repeats, else the least key above.
    std::size_t not_above = 0;
    std::uint32_t above = std::numeric_limits<std::uint32_t>::max();
    bool any_above = false;
    for (std::uint32_t k : keys) {
      not_above += k <= key ? 1 : 0;
      if (k > key && k <= above) {
        above = k;
        any_above = true;
      }
    }
    const double below_value = FromOrderedKey(key);
    const double above_value =
        not_above >= rank + 2 || !any_above ? below_value : FromOrderedKey(above);
    return below_value + (position - static_cast<double>(rank)) * (above_value - below_value);
  };
  return {at(low), at(high)};
}

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
    const auto [lower, upper] = Percentiles(values, spec.percentile_low, spec.percentile_high);
    if (std::isnan(lower)) return InvalidInput("the image has no finite value");
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

namespace {

// The first channel of every pixel: the values themselves for a single-channel image, else a copy
// kept in `copy`.
std::span<const float> FirstChannel(std::span<const float> values, std::size_t channels,
                                    std::vector<float>& copy) {
  if (channels == 1) return values;
  copy.resize(values.size() / channels);
  for (std::size_t i = 0; i < copy.size(); ++i) copy[i] = values[i * channels];
  return copy;
}

// Noise and sharpness of `frames` stacked rows x columns frames (at least 3 x 3), relative to
// `low`..`high`: the absolute responses to Immerkaer's mask summed over the inner pixels of every
// frame, and the standard deviation of the Laplacian pooled over them.
ImageQuality FramesQuality(std::span<const float> first, std::size_t frames, std::size_t rows,
                           std::size_t columns, double low, double high) {
  ImageQuality quality;
  const double range = high - low;
  if (!(range > 0.0) || !std::isfinite(range)) return quality;
  // Immerkaer's mask is the difference of two Laplacians; it cancels image structure
  // up to second order, leaving the noise.
  const cv::Mat mask = (cv::Mat_<double>(3, 3) << 1, -2, 1, -2, 4, -2, 1, -2, 1);
  const cv::Rect inner(1, 1, static_cast<int>(columns) - 2, static_cast<int>(rows) - 2);
  double absolute_sum = 0.0;
  std::vector<double> means, deviations;
  for (std::size_t frame = 0; frame < frames; ++frame) {
    const auto frame_values = first.subspan(frame * rows * columns, rows * columns);
    cv::Mat pixels(static_cast<int>(rows), static_cast<int>(columns), CV_64F);
    std::copy(frame_values.begin(), frame_values.end(), pixels.ptr<double>());
    cv::Mat response;
    cv::filter2D(pixels, response, CV_64F, mask);
    absolute_sum += cv::sum(cv::abs(response(inner)))[0];
    cv::Mat laplacian;
    cv::Laplacian(pixels, laplacian, CV_64F);
    cv::Scalar mean, deviation;
    cv::meanStdDev(laplacian(inner), mean, deviation);
    means.push_back(mean[0]);
    deviations.push_back(deviation[0]);
  }

  const double inner_pixels = static_cast<double>(inner.area()) * static_cast<double>(frames);
  const double sigma = std::sqrt(std::numbers::pi / 2.0) / (6.0 * inner_pixels) * absolute_sum;
  // Frames of equal size pool as the mean of their variances plus the variance of their means.
  double deviation = deviations.front();
  if (frames > 1) {
    const double grand_mean =
        std::accumulate(means.begin(), means.end(), 0.0) / static_cast<double>(frames);
    double variance = 0.0;
    for (std::size_t frame = 0; frame < frames; ++frame) {
      const double offset = means[frame] - grand_mean;
      variance += deviations[frame] * deviations[frame] + offset * offset;
    }
    deviation = std::sqrt(variance / static_cast<double>(frames));
  }
  quality.noise = sigma / range;
  quality.sharpness = deviation / range;
  return quality;
}

}  // namespace

ImageQuality MeasureQuality(const Image& image) {
  if (image.rows < 3 || image.columns < 3 || image.values.empty()) return {};
  std::vector<float> copy;
  const std::span<const float> first = FirstChannel(image.values, image.channels, copy);
  const auto [low, high] = Percentiles(first, 5.0, 95.0);
  return FramesQuality(first, 1, image.rows, image.columns, low, high);
}

ImageStatistics MeasureStatistics(const FrameStack& image) {
  ImageStatistics statistics;
  const std::size_t plane = image.rows * image.columns;
  if (image.channels == 0 || image.values.size() != image.frames * plane * image.channels) {
    return statistics;
  }
  std::vector<float> copy;
  const std::span<const float> first = FirstChannel(image.values, image.channels, copy);

  // Mean and standard deviation in two passes, in double precision.
  double sum = 0.0;
  for (float v : first) {
    if (std::isfinite(v)) {
      sum += v;
      ++statistics.finite_values;
    }
  }
  if (statistics.finite_values == 0) return statistics;
  const auto count = static_cast<double>(statistics.finite_values);
  statistics.mean = sum / count;
  double squares = 0.0;
  for (float v : first) {
    if (std::isfinite(v)) squares += (v - statistics.mean) * (v - statistics.mean);
  }
  statistics.standard_deviation = std::sqrt(squares / count);

  std::tie(statistics.p5, statistics.p95) = Percentiles(first, 5.0, 95.0);
  if (image.rows >= 3 && image.columns >= 3 && image.frames > 0) {
    statistics.quality = FramesQuality(first, image.frames, image.rows, image.columns,
                                       statistics.p5, statistics.p95);
  }
  return statistics;
}

}  // namespace assay::model
