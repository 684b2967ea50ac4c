#include "assay/model/model.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "assay/model/backends.h"

namespace assay::model {

std::string BackendName(Backend backend) {
  return backend == Backend::kTorchScript ? "torchscript" : "onnx";
}

Result<Backend> ParseBackend(const std::string& name) {
  if (name == "torchscript") return Backend::kTorchScript;
  if (name == "onnx") return Backend::kOnnx;
  return InvalidInput(fmt::format("unknown model backend '{}' (torchscript or onnx)", name));
}

Result<ScoreKind> ParseScoreKind(const std::string& name) {
  if (name == "probability") return ScoreKind::kProbability;
  if (name == "logit") return ScoreKind::kLogit;
  if (name == "softmax") return ScoreKind::kSoftmax;
  return InvalidInput(fmt::format("unknown score kind '{}' (probability, logit or softmax)", name));
}

Result<Intensity> ParseIntensity(const std::string& name) {
  if (name == "display") return Intensity::kDisplay;
  if (name == "window") return Intensity::kWindow;
  if (name == "percentile") return Intensity::kPercentile;
  if (name == "raw") return Intensity::kRaw;
  return InvalidInput(
      fmt::format("unknown intensity '{}' (display, window, percentile or raw)", name));
}

Result<Resize> ParseResize(const std::string& name) {
  if (name == "bilinear") return Resize::kBilinear;
  if (name == "area") return Resize::kArea;
  if (name == "none") return Resize::kNone;
  return InvalidInput(fmt::format("unknown resize '{}' (bilinear, area or none)", name));
}

namespace {

Status CheckSpec(const ModelSpec& spec) {
  auto fail = [&](const std::string& why) {
    return InvalidInput(fmt::format("model {}: {}", spec.file, why));
  };
  if (spec.width == 0 || spec.height == 0) return fail("the input width and height must be > 0");
  if (spec.width > 16384 || spec.height > 16384) return fail("an input side exceeds 16384");
  if (spec.channels != 1 && spec.channels != 3) return fail("channels must be 1 or 3");
  for (const auto* values : {&spec.mean, &spec.std}) {
    if (values->size() != 1 && values->size() != spec.channels) {
      return fail(fmt::format("mean and std need 1 or {} values", spec.channels));
    }
  }
  for (double s : spec.std) {
    if (!(s > 0) || !std::isfinite(s)) return fail("every std must be finite and > 0");
  }
  if (spec.batch == 0 || spec.batch > 4096) return fail("batch must be in [1, 4096]");
  if (spec.intensity == Intensity::kWindow && !(spec.window_width > 0)) {
    return fail("intensity 'window' needs a window width > 0");
  }
  if (spec.intensity == Intensity::kPercentile &&
      !(spec.percentile_low >= 0 && spec.percentile_low < spec.percentile_high &&
        spec.percentile_high <= 100)) {
    return fail("percentiles must satisfy 0 <= low < high <= 100");
  }
  return Status();
}

}  // namespace

Result<std::unique_ptr<Model>> LoadModel(const ModelSpec& spec) {
  ASSAY_RETURN_IF_ERROR(CheckSpec(spec));
  std::error_code error;
  if (!std::filesystem::is_regular_file(spec.file, error)) {
    return InvalidInput(fmt::format("model file {} does not exist or is not a file", spec.file));
  }
  auto model =
      spec.backend == Backend::kTorchScript ? LoadTorchScriptModel(spec) : LoadOnnxModel(spec);
  if (!model.ok()) return model;
  // Two passes on a zero batch: a model that rejects the input shape fails here, before any
  // image is read, and LibTorch's profiling executor has optimized the graph (its first
  // runs are slow) before the timed work starts.
  const std::vector<float> zeros(spec.batch * spec.channels * spec.width * spec.height, 0.0f);
  for (int pass = 0; pass < 2; ++pass) {
    auto outputs = (*model)->Forward(zeros, spec.batch);
    if (!outputs.ok()) return outputs.status();
  }
  return model;
}

Result<std::vector<double>> ScoresFromOutputs(const std::vector<Output>& outputs,
                                              const ModelSpec& spec) {
  if (spec.score_output >= outputs.size()) {
    return InvalidInput(fmt::format("model {}: score output {} asked for, the model gave {}",
                                    spec.file, spec.score_output, outputs.size()));
  }
  const Output& output = outputs[spec.score_output];
  if (spec.score_index >= output.columns) {
    return InvalidInput(fmt::format("model {}: score column {} asked for, output {} has {}",
                                    spec.file, spec.score_index, spec.score_output,
                                    output.columns));
  }
  std::vector<double> scores(output.rows);
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t row = 0; row < output.rows; ++row) {
    const float* values = output.values.data() + row * output.columns;
    const double value = values[spec.score_index];
    double score = value;
    if (spec.score == ScoreKind::kLogit) {
      score = 1.0 / (1.0 + std::exp(-value));
    } else if (spec.score == ScoreKind::kSoftmax) {
      double largest = -std::numeric_limits<double>::infinity();
      for (std::size_t c = 0; c < output.columns; ++c)
        largest = std::max<double>(largest, values[c]);
      double sum = 0;
      for (std::size_t c = 0; c < output.columns; ++c) sum += std::exp(values[c] - largest);
      score = std::exp(value - largest) / sum;
    }
    scores[row] = std::isfinite(value) && std::isfinite(score) ? score : kNaN;
  }
  return scores;
}

}  // namespace assay::model
