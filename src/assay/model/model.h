// Running an image classifier: TorchScript through LibTorch, ONNX through
// OpenCV's DNN module, behind one interface.
//
// A model takes a batch of N x C x H x W floats (already preprocessed, see
// assay/model/image.h) and returns its outputs, each a matrix with one row
// per image. The score is one column of one output, turned into a
// probability-like value as the spec says; an embedding, when asked for, is
// a whole output (e.g. the penultimate layer).
//
//   ModelSpec spec;
//   spec.file = "model.pt";
//   spec.backend = Backend::kTorchScript;
//   auto model = LoadModel(spec);
//   auto outputs = (*model)->Forward(batch, n);
//   auto scores = ScoresFromOutputs(*outputs, spec);
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "assay/core/status.h"

namespace assay::model {

enum class Backend { kTorchScript, kOnnx };

// What the score column holds. kProbability: used as is. kLogit: passed
// through the logistic function. kSoftmax: the column's softmax over the
// output's columns.
enum class ScoreKind { kProbability, kLogit, kSoftmax };

// How raw pixel values become the [0, 1] intensities the model's mean/std
// normalization starts from.
enum class Intensity {
  kDisplay,     // DICOM display values (the file's VOI window), already in [0, 1]
  kWindow,      // modality values through a fixed window (center, width)
  kPercentile,  // modality values scaled between two percentiles of the image
  kRaw,         // modality values unchanged (the model normalizes itself)
};

// How an image is brought to the model's input size.
enum class Resize { kBilinear, kArea, kNone };

struct ModelSpec {
  std::string file;
  Backend backend = Backend::kTorchScript;
  std::size_t width = 0, height = 0;  // the model's input size
  std::size_t channels = 1;           // 1 or 3; grey images are repeated to 3
  Intensity intensity = Intensity::kDisplay;
  double window_center = 0, window_width = 0;           // kWindow
  double percentile_low = 0.5, percentile_high = 99.5;  // kPercentile
  Resize resize = Resize::kBilinear;
  std::vector<double> mean{0.0}, std{1.0};  // per channel, or one for all
  std::size_t score_output = 0;             // which output holds the score
  std::size_t score_index = 0;              // its column
  ScoreKind score = ScoreKind::kProbability;
  std::optional<std::size_t> embedding_output;  // an output to keep whole
  // ONNX: the graph outputs to compute, in this order (their names); empty:
  // the graph's final outputs. TorchScript returns its outputs in order.
  std::vector<std::string> output_names;
  std::size_t batch = 32;
  std::size_t threads = 0;  // the backend's threads; 0 = every core
};

// One output of a forward pass: rows (images) x columns, row-major.
struct Output {
  std::size_t rows = 0, columns = 0;
  std::vector<float> values;
};

class Model {
 public:
  virtual ~Model() = default;
  // `input` holds n x channels x height x width floats. Errors
  // (kInvalidInput) carry the backend's words, e.g. a shape it rejects.
  virtual Result<std::vector<Output>> Forward(std::span<const float> input, std::size_t n) = 0;
  // "LibTorch 1.13.1", "OpenCV DNN 4.6.0".
  virtual std::string Describe() const = 0;
};

std::string BackendName(Backend backend);  // "torchscript", "onnx"
Result<Backend> ParseBackend(const std::string& name);
Result<ScoreKind> ParseScoreKind(const std::string& name);  // probability | logit | softmax
Result<Intensity> ParseIntensity(const std::string& name);  // display | window | percentile | raw
Result<Resize> ParseResize(const std::string& name);        // bilinear | area | none

// Checks the spec (sizes, channels, mean/std lengths, batch), loads the
// model and runs it twice on a batch of zeros (so a model that rejects the
// input shape fails here, and the backend is warm). Errors name the file:
// missing, not a model of that backend, a build without the backend, an
// input shape the model rejects.
Result<std::unique_ptr<Model>> LoadModel(const ModelSpec& spec);

// The score of each row of a forward pass, as the spec says. An output or
// column that does not exist is an error naming the shapes the model gave.
// NaN or infinite values are kept (as NaN) for the caller to report per image.
Result<std::vector<double>> ScoresFromOutputs(const std::vector<Output>& outputs,
                                              const ModelSpec& spec);

}  // namespace assay::model
