#include "assay/perturb/perturbation.h"

#include <fmt/format.h>
#include <jpeglib.h>

#include <algorithm>
#include <array>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/poisson_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>
#include <cmath>
#include <csetjmp>
#include <numbers>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "assay/core/random.h"

namespace assay::perturb {

namespace {

struct Definition {
  Kind kind;
  const char* name;
  std::array<double, 5> level;  // the parameter at severities 1..5
};

// The parameter of each severity. Chosen so that severity 1 is within what
// differs between scanners in routine use and 5 is a clearly degraded image.
constexpr Definition kDefinitions[] = {
    {Kind::kGaussianNoise, "gaussian_noise", {0.01, 0.02, 0.04, 0.08, 0.16}},     // sigma / R
    {Kind::kPoissonNoise, "poisson_noise", {0.5, 0.25, 0.125, 0.0625, 0.03125}},  // dose
    {Kind::kGaussianBlur, "gaussian_blur", {0.5, 1.0, 1.5, 2.0, 3.0}},            // sigma, pixels
    {Kind::kResample, "resample", {1.5, 2.0, 3.0, 4.0, 6.0}},                     // factor
    {Kind::kContrast, "contrast", {0.85, 0.7, 0.55, 0.4, 0.25}},                  // contrast kept
    {Kind::kGamma, "gamma", {1.2, 1.4, 1.7, 2.0, 2.5}},                           // exponent
    {Kind::kLevelShift, "level_shift", {0.05, 0.1, 0.15, 0.2, 0.3}},              // offset / R
    {Kind::kBiasField, "bias_field", {0.1, 0.2, 0.3, 0.4, 0.5}},                  // log amplitude
    {Kind::kGhosting, "ghosting", {0.05, 0.1, 0.15, 0.2, 0.3}},                   // ghost / signal
    {Kind::kMotion, "motion", {1.0, 2.0, 3.0, 4.0, 6.0}},                         // pixels moved
    {Kind::kJpeg, "jpeg", {90, 70, 50, 30, 10}},                                  // quality
    {Kind::kRotation, "rotation", {2, 4, 6, 8, 10}},                              // degrees
    {Kind::kTranslation, "translation", {0.02, 0.04, 0.06, 0.08, 0.10}},          // of the side
    {Kind::kFlip, "flip", {1, 1, 1, 1, 1}},
};

// Full-dose quanta per pixel at the top of the image's range (p99): a
// low-dose radiograph's order of magnitude.
constexpr double kFullDoseQuanta = 2000.0;
// Quanta at the bottom of the range (p1), relative to the top: the darkest
// tissue still receives some signal.
constexpr double kDarkFraction = 0.05;

const Definition& Find(Kind kind) {
  for (const Definition& d : kDefinitions) {
    if (d.kind == kind) return d;
  }
  return kDefinitions[0];
}

// The image's reference range: its 1st and 99th percentiles.
struct Range {
  double low = 0, width = 1;
};

Range ReferenceRange(const model::Image& image) {
  std::vector<float> finite;
  finite.reserve(image.values.size());
  std::copy_if(image.values.begin(), image.values.end(), std::back_inserter(finite),
               [](float v) { return std::isfinite(v); });
  if (finite.empty()) return {};
  auto at = [&](double p) {
    const auto k =
        static_cast<std::size_t>(std::llround(p * static_cast<double>(finite.size() - 1)));
    std::nth_element(finite.begin(), finite.begin() + static_cast<std::ptrdiff_t>(k), finite.end());
    return static_cast<double>(finite[k]);
  };
  Range range;
  range.low = at(0.01);
  const double high = at(0.99);
  range.width = high > range.low ? high - range.low : 1.0;
  return range;
}

cv::Mat AsMat(model::Image& image) {
  return cv::Mat(static_cast<int>(image.rows), static_cast<int>(image.columns),
                 CV_32FC(static_cast<int>(image.channels)), image.values.data());
}

void Assign(model::Image& image, const cv::Mat& result) {
  const cv::Mat continuous = result.isContinuous() ? result : result.clone();
  const auto* data = continuous.ptr<float>();
  std::copy(data, data + image.values.size(), image.values.begin());
}

// A rigid warp about the image centre, edges mirrored, bilinear.
void Warp(model::Image& image, double degrees, double dx, double dy) {
  const cv::Point2f centre(static_cast<float>(image.columns - 1) / 2.0f,
                           static_cast<float>(image.rows - 1) / 2.0f);
  cv::Mat transform = cv::getRotationMatrix2D(centre, degrees, 1.0);
  transform.at<double>(0, 2) += dx;
  transform.at<double>(1, 2) += dy;
  cv::Mat source = AsMat(image);
  cv::Mat result;
  cv::warpAffine(source, result, transform, source.size(), cv::INTER_LINEAR,
                 cv::BORDER_REFLECT_101);
  Assign(image, result);
}

// Applies `edit` to each channel's 2D spectrum (rows are the phase-encoding
// direction), then keeps the real part.
template <typename Edit>
void EditKSpace(model::Image& image, Edit edit) {
  cv::Mat source = AsMat(image);
  std::vector<cv::Mat> channels;
  cv::split(source, channels);
  for (cv::Mat& channel : channels) {
    cv::Mat spectrum;
    cv::dft(channel, spectrum, cv::DFT_COMPLEX_OUTPUT);
    edit(spectrum);
    cv::dft(spectrum, channel, cv::DFT_INVERSE | cv::DFT_SCALE | cv::DFT_REAL_OUTPUT);
  }
  cv::Mat merged;
  cv::merge(channels, merged);
  Assign(image, merged);
}

// The spatial frequency (cycles/pixel, in [-0.5, 0.5)) of DFT index k of n.
double Frequency(int k, int n) {
  return static_cast<double>(k < (n + 1) / 2 ? k : k - n) / static_cast<double>(n);
}

struct JpegError {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
};

// Compresses 8-bit samples at `quality` and decodes them again, in place.
// libjpeg's error exit would end the process; it jumps back here instead.
bool JpegRoundTrip(std::vector<unsigned char>& samples, int width, int height, int components,
                   int quality) {
  JpegError error{};
  jpeg_compress_struct compress{};
  jpeg_decompress_struct decompress{};
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  compress.err = jpeg_std_error(&error.manager);
  decompress.err = compress.err;
  error.manager.error_exit = [](j_common_ptr info) {
    std::longjmp(reinterpret_cast<JpegError*>(info->err)->jump, 1);
  };
  if (setjmp(error.jump) != 0) {
    jpeg_destroy_compress(&compress);
    jpeg_destroy_decompress(&decompress);
    std::free(buffer);  // NOLINT(*-no-malloc,*-owning-memory): libjpeg allocated it with malloc
    return false;
  }
  jpeg_create_compress(&compress);
  jpeg_mem_dest(&compress, &buffer, &size);
  compress.image_width = static_cast<JDIMENSION>(width);
  compress.image_height = static_cast<JDIMENSION>(height);
  compress.input_components = components;
  compress.in_color_space = components == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&compress);
  jpeg_set_quality(&compress, quality, TRUE);
  jpeg_start_compress(&compress, TRUE);
  const std::size_t stride = static_cast<std::size_t>(width) * components;
  while (compress.next_scanline < compress.image_height) {
    JSAMPROW row = samples.data() + compress.next_scanline * stride;
    jpeg_write_scanlines(&compress, &row, 1);
  }
  jpeg_finish_compress(&compress);
  jpeg_destroy_compress(&compress);

  jpeg_create_decompress(&decompress);
  jpeg_mem_src(&decompress, buffer, size);
  jpeg_read_header(&decompress, TRUE);
  jpeg_start_decompress(&decompress);
  while (decompress.output_scanline < decompress.output_height) {
    JSAMPROW row = samples.data() + decompress.output_scanline * stride;
    jpeg_read_scanlines(&decompress, &row, 1);
  }
  jpeg_finish_decompress(&decompress);
  jpeg_destroy_decompress(&decompress);
  std::free(buffer);  // NOLINT(*-no-malloc,*-owning-memory): libjpeg allocated it with malloc
  return true;
}

}  // namespace

const std::vector<Kind>& AllPerturbations() {
  static const std::vector<Kind> all = [] {
    std::vector<Kind> kinds;
    for (const Definition& d : kDefinitions) kinds.push_back(d.kind);
    return kinds;
  }();
  return all;
}

std::string PerturbationName(Kind kind) { return Find(kind).name; }

Result<Kind> ParsePerturbation(std::string_view name) {
  std::vector<std::string> names;
  for (const Definition& d : kDefinitions) {
    if (name == d.name) return d.kind;
    names.push_back(d.name);
  }
  return InvalidInput(
      fmt::format("unknown perturbation '{}' (one of: {})", name, fmt::join(names, ", ")));
}

int MaxSeverity(Kind kind) { return kind == Kind::kFlip ? 1 : 5; }

std::string PerturbationMeaning(Kind kind, int severity) {
  const double p = Find(kind).level[static_cast<std::size_t>(std::clamp(severity, 1, 5) - 1)];
  switch (kind) {
    case Kind::kGaussianNoise:
      return fmt::format("additive Gaussian noise, sigma = {:g}% of the image's p1-p99 range",
                         100 * p);
    case Kind::kPoissonNoise:
      return fmt::format("quantum noise of {:g}% of the dose ({:g} quanta per pixel at p99)",
                         100 * p, kFullDoseQuanta * p);
    case Kind::kGaussianBlur:
      return fmt::format("Gaussian blur, sigma = {:g} pixels (MTF {:.2f} at 0.25 cycles/pixel)", p,
                         std::exp(-2 * std::numbers::pi * std::numbers::pi * p * p * 0.0625));
    case Kind::kResample:
      return fmt::format("acquired {:g}x coarser (area average), shown at the original matrix", p);
    case Kind::kContrast:
      return fmt::format("contrast reduced to {:g}% about the mean", 100 * p);
    case Kind::kGamma:
      return fmt::format("gamma {:g} applied to the p1-p99 range", p);
    case Kind::kLevelShift:
      return fmt::format("brightness offset of {:g}% of the p1-p99 range", 100 * p);
    case Kind::kBiasField:
      return fmt::format("smooth multiplicative field, gain between {:.2f} and {:.2f}",
                         std::exp(-p), std::exp(p));
    case Kind::kGhosting:
      return fmt::format("N/2 ghost at {:g}% of the signal (alternate k-space lines in error)",
                         100 * p);
    case Kind::kMotion:
      return fmt::format("rigid motion of {:g} pixels during the later part of the acquisition", p);
    case Kind::kJpeg:
      return fmt::format("JPEG compression at quality {:g} (error of an 8-bit encoding)", p);
    case Kind::kRotation:
      return fmt::format("rotation by {:g} degrees", p);
    case Kind::kTranslation:
      return fmt::format("shift by {:g}% of the image side", 100 * p);
    case Kind::kFlip:
      return "left-right flip";
  }
  return "";
}

Status Perturb(model::Image& image, Kind kind, int severity, std::uint64_t seed,
               std::string_view case_key) {
  if (severity < 1 || severity > MaxSeverity(kind)) {
    return InvalidInput(fmt::format("perturbation {}: severity {} is outside 1..{}",
                                    PerturbationName(kind), severity, MaxSeverity(kind)));
  }
  if (image.values.empty()) return Status();
  const double p = Find(kind).level[static_cast<std::size_t>(severity - 1)];
  // The stream leaves the severity out: a case gets the same noise field,
  // direction and bias field at every severity, only scaled (common random
  // numbers: the degradation curve is smooth and monotone per case).
  RandomStream random(seed, PurposeId("perturb") ^ PurposeId(PerturbationName(kind)), 0,
                      PurposeId(case_key));
  const Range range = ReferenceRange(image);
  const auto rows = static_cast<int>(image.rows);
  const auto columns = static_cast<int>(image.columns);

  switch (kind) {
    case Kind::kGaussianNoise: {
      boost::random::normal_distribution<double> normal(0.0, p * range.width);
      for (float& v : image.values) v = static_cast<float>(v + normal(random));
      break;
    }
    case Kind::kPoissonNoise: {
      // Expected quanta are proportional to intensity above p1 plus a dark
      // floor; the noisy count is scaled back, so the mean is unchanged.
      const double quanta = kFullDoseQuanta * p;
      for (float& v : image.values) {
        const double u = std::max(0.0, (v - range.low) / range.width) + kDarkFraction;
        const double mean = quanta * u / (1.0 + kDarkFraction);
        boost::random::poisson_distribution<long, double> poisson(std::max(mean, 1e-12));
        const double noisy = static_cast<double>(poisson(random)) * (1.0 + kDarkFraction) / quanta;
        v = static_cast<float>(v + (noisy - u) * range.width);
      }
      break;
    }
    case Kind::kGaussianBlur: {
      cv::Mat source = AsMat(image);
      cv::Mat result;
      cv::GaussianBlur(source, result, cv::Size(0, 0), p, p, cv::BORDER_REFLECT_101);
      Assign(image, result);
      break;
    }
    case Kind::kResample: {
      cv::Mat source = AsMat(image);
      const int small_rows = std::max(1, static_cast<int>(std::lround(rows / p)));
      const int small_columns = std::max(1, static_cast<int>(std::lround(columns / p)));
      cv::Mat coarse, result;
      cv::resize(source, coarse, cv::Size(small_columns, small_rows), 0, 0, cv::INTER_AREA);
      cv::resize(coarse, result, source.size(), 0, 0, cv::INTER_LINEAR);
      Assign(image, result);
      break;
    }
    case Kind::kContrast: {
      double sum = 0;
      for (float v : image.values) sum += v;
      const double mean = sum / static_cast<double>(image.values.size());
      for (float& v : image.values) v = static_cast<float>(mean + p * (v - mean));
      break;
    }
    case Kind::kGamma: {
      for (float& v : image.values) {
        const double u = (v - range.low) / range.width;
        if (u > 0 && u < 1) v = static_cast<float>(range.low + std::pow(u, p) * range.width);
      }
      break;
    }
    case Kind::kLevelShift: {
      for (float& v : image.values) v = static_cast<float>(v + p * range.width);
      break;
    }
    case Kind::kBiasField: {
      // log gain = p * (a smooth random field scaled to a maximum of 1):
      // products of Legendre polynomials of degree <= 2 in x and y.
      boost::random::uniform_real_distribution<double> uniform(-1.0, 1.0);
      double coefficients[3][3];
      for (auto& row : coefficients) {
        for (double& c : row) c = uniform(random);
      }
      auto legendre = [](int degree, double t) {
        return degree == 0 ? 1.0 : degree == 1 ? t : 1.5 * t * t - 0.5;
      };
      std::vector<double> field(image.rows * image.columns);
      double largest = 0;
      for (int r = 0; r < rows; ++r) {
        const double y = rows > 1 ? 2.0 * r / (rows - 1) - 1.0 : 0.0;
        for (int c = 0; c < columns; ++c) {
          const double x = columns > 1 ? 2.0 * c / (columns - 1) - 1.0 : 0.0;
          double value = 0;
          for (int i = 0; i < 3; ++i) {
            for (int j = 0; i + j <= 2; ++j) {
              if (i + j > 0) value += coefficients[i][j] * legendre(i, x) * legendre(j, y);
            }
          }
          field[static_cast<std::size_t>(r) * image.columns + c] = value;
          largest = std::max(largest, std::abs(value));
        }
      }
      for (std::size_t i = 0; i < field.size(); ++i) {
        const double gain = std::exp(largest > 0 ? p * field[i] / largest : 0.0);
        for (std::size_t ch = 0; ch < image.channels; ++ch) {
          float& v = image.values[i * image.channels + ch];
          v = static_cast<float>(range.low + (v - range.low) * gain);
        }
      }
      break;
    }
    case Kind::kGhosting: {
      // Odd phase-encoding lines scaled by (1 - 2g): the image becomes
      // (1 - g) x itself + g x itself shifted by half the field of view.
      EditKSpace(image, [&](cv::Mat& spectrum) {
        for (int r = 1; r < spectrum.rows; r += 2) {
          spectrum.row(r) *= (1.0 - 2.0 * p);
        }
      });
      break;
    }
    case Kind::kMotion: {
      // Lines are acquired top to bottom; from a random moment between 30%
      // and 70% of the acquisition on, the patient is displaced by p pixels
      // in a random direction (a phase ramp on those lines).
      boost::random::uniform_real_distribution<double> uniform(0.0, 1.0);
      const double angle = 2 * std::numbers::pi * uniform(random);
      const double dx = p * std::cos(angle), dy = p * std::sin(angle);
      const int first = static_cast<int>((0.3 + 0.4 * uniform(random)) * rows);
      EditKSpace(image, [&](cv::Mat& spectrum) {
        for (int order = first; order < rows; ++order) {
          // Acquisition order: from the lowest negative frequency to the highest positive.
          const int r = (order + rows / 2) % rows;
          const double fy = Frequency(r, rows);
          auto* line = spectrum.ptr<cv::Vec2f>(r);
          for (int c = 0; c < columns; ++c) {
            const double phase = -2 * std::numbers::pi * (Frequency(c, columns) * dx + fy * dy);
            const double re = line[c][0], im = line[c][1];
            line[c][0] = static_cast<float>(re * std::cos(phase) - im * std::sin(phase));
            line[c][1] = static_cast<float>(re * std::sin(phase) + im * std::cos(phase));
          }
        }
      });
      break;
    }
    case Kind::kJpeg: {
      // Only the compression error is added: the image keeps its bit depth.
      const std::size_t n = image.values.size();
      std::vector<unsigned char> samples(n);
      for (std::size_t i = 0; i < n; ++i) {
        const double u = std::clamp((image.values[i] - range.low) / range.width, 0.0, 1.0);
        samples[i] = static_cast<unsigned char>(std::lround(u * 255));
      }
      std::vector<unsigned char> decoded = samples;
      if (!JpegRoundTrip(decoded, columns, rows, static_cast<int>(image.channels),
                         static_cast<int>(p))) {
        return InvalidInput("perturbation jpeg: libjpeg could not encode the image");
      }
      for (std::size_t i = 0; i < n; ++i) {
        image.values[i] =
            static_cast<float>(image.values[i] + (decoded[i] - samples[i]) * range.width / 255.0);
      }
      break;
    }
    case Kind::kRotation: {
      const double sign = random.NextUniform() < 0.5 ? -1.0 : 1.0;
      Warp(image, sign * p, 0, 0);
      break;
    }
    case Kind::kTranslation: {
      const double angle = 2 * std::numbers::pi * random.NextUniform();
      Warp(image, 0, p * columns * std::cos(angle), p * rows * std::sin(angle));
      break;
    }
    case Kind::kFlip: {
      cv::Mat source = AsMat(image);
      cv::Mat result;
      cv::flip(source, result, 1);
      Assign(image, result);
      break;
    }
  }
  return Status();
}

}  // namespace assay::perturb
