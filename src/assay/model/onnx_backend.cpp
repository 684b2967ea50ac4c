#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "assay/model/backends.h"

#ifdef ASSAY_WITH_ONNX
#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/dnn.hpp>
#endif

namespace assay::model {

#ifdef ASSAY_WITH_ONNX

namespace {

// An ONNX graph run by OpenCV's DNN module on the CPU. Outputs are the
// spec's output names in their order, else the graph's unconnected outputs.
class OnnxModel final : public Model {
 public:
  // cv::dnn::Net is a shared handle: copying it shares the network.
  OnnxModel(const cv::dnn::Net& net, const ModelSpec& spec) : net_(net), spec_(spec) {
    names_ = spec.output_names.empty()
                 ? net_.getUnconnectedOutLayersNames()
                 : std::vector<cv::String>(spec.output_names.begin(), spec.output_names.end());
  }

  Result<std::vector<Output>> Forward(std::span<const float> input, std::size_t n) override {
    const int shape[] = {static_cast<int>(n), static_cast<int>(spec_.channels),
                         static_cast<int>(spec_.height), static_cast<int>(spec_.width)};
    try {
      // The Mat wraps the input without copying; setInput copies it.
      cv::Mat batch(4, shape, CV_32F, const_cast<float*>(input.data()));
      net_.setInput(batch);
      std::vector<cv::Mat> results;
      net_.forward(results, names_);
      std::vector<Output> outputs;
      for (const cv::Mat& result : results) {
        if (result.dims < 1 || result.size[0] != static_cast<int>(n)) {
          return InvalidInput(fmt::format("{}: output {} has {} rows, not one per image ({})",
                                          spec_.file, outputs.size(),
                                          result.dims < 1 ? 0 : result.size[0], n));
        }
        cv::Mat flat = result.reshape(1, static_cast<int>(n));
        cv::Mat as_float;
        flat.convertTo(as_float, CV_32F);
        Output output;
        output.rows = n;
        output.columns = static_cast<std::size_t>(as_float.cols);
        const auto* data = as_float.ptr<float>();
        output.values.assign(data, data + output.rows * output.columns);
        outputs.push_back(std::move(output));
      }
      return outputs;
    } catch (const cv::Exception& error) {
      return InvalidInput(fmt::format("{}: the model rejected a batch of {} x {} x {} x {}: {}",
                                      spec_.file, n, spec_.channels, spec_.height, spec_.width,
                                      error.msg));
    }
  }

  std::string Describe() const override { return "OpenCV DNN " CV_VERSION; }

 private:
  cv::dnn::Net net_;
  ModelSpec spec_;
  std::vector<cv::String> names_;
};

}  // namespace

Result<std::unique_ptr<Model>> LoadOnnxModel(const ModelSpec& spec) {
  // OpenCV's own log lines would repeat, unasked, what the errors below report.
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  try {
    cv::dnn::Net net = cv::dnn::readNetFromONNX(spec.file);
    if (net.empty()) {
      return InvalidInput(fmt::format("{}: OpenCV read no network from it", spec.file));
    }
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    if (spec.threads > 0) cv::setNumThreads(static_cast<int>(spec.threads));
    const std::vector<cv::String> layers = net.getLayerNames();
    for (const std::string& name : spec.output_names) {
      if (std::find(layers.begin(), layers.end(), name) == layers.end()) {
        return InvalidInput(fmt::format("{}: no output named '{}'; the graph's layers are: {}",
                                        spec.file, name, fmt::join(layers, ", ")));
      }
    }
    return std::unique_ptr<Model>(new OnnxModel(net, spec));
  } catch (const cv::Exception& error) {
    return InvalidInput(
        fmt::format("{}: not an ONNX model OpenCV can load: {}", spec.file, error.msg));
  }
}

#else

Result<std::unique_ptr<Model>> LoadOnnxModel(const ModelSpec& spec) {
  return InvalidInput(fmt::format(
      "{}: this assay was built without OpenCV DNN (CMake option ASSAY_WITH_ONNX)", spec.file));
}

#endif

}  // namespace assay::model
