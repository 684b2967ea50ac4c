#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <thread>

// LibTorch, in a module of its own (libassay_torch.so) that assay opens only when a
// TorchScript model is run: loading LibTorch costs every process about 0.4 s and 150 MB.
#include <ATen/Parallel.h>
#include <torch/script.h>
#include <torch/version.h>

#include "assay/model/backends.h"

namespace assay::model {

namespace {

// A TorchScript module in inference mode on the CPU. Forward is not
// re-entrant: one batch at a time (LibTorch parallelizes inside a batch).
class TorchScriptModel final : public Model {
 public:
  TorchScriptModel(torch::jit::Module module, const ModelSpec& spec)
      : module_(std::move(module)), spec_(spec) {}

  Result<std::vector<Output>> Forward(std::span<const float> input, std::size_t n) override {
    const std::vector<int64_t> shape{static_cast<int64_t>(n), static_cast<int64_t>(spec_.channels),
                                     static_cast<int64_t>(spec_.height),
                                     static_cast<int64_t>(spec_.width)};
    try {
      c10::InferenceMode inference;
      // from_blob does not copy; the input outlives the call.
      torch::Tensor batch = torch::from_blob(const_cast<float*>(input.data()), shape,
                                             torch::TensorOptions().dtype(torch::kFloat32));
      torch::jit::IValue result = module_.forward({batch});
      std::vector<Output> outputs;
      if (result.isTensor()) {
        ASSAY_RETURN_IF_ERROR(Append(result.toTensor(), n, outputs));
      } else if (result.isTuple()) {
        for (const auto& element : result.toTupleRef().elements()) {
          if (!element.isTensor()) return Unsupported(element);
          ASSAY_RETURN_IF_ERROR(Append(element.toTensor(), n, outputs));
        }
      } else if (result.isTensorList()) {
        for (const torch::Tensor& tensor : result.toTensorVector()) {
          ASSAY_RETURN_IF_ERROR(Append(tensor, n, outputs));
        }
      } else {
        return Unsupported(result);
      }
      return outputs;
    } catch (const c10::Error& error) {
      return Rejected(n, error.what_without_backtrace());
    } catch (const std::exception& error) {
      // The TorchScript interpreter reports a failing operation as a JITException.
      return Rejected(n, error.what());
    }
  }

  std::string Describe() const override { return "LibTorch " TORCH_VERSION; }

 private:
  Status Rejected(std::size_t n, std::string_view why) const {
    return InvalidInput(fmt::format("{}: the model rejected a batch of {} x {} x {} x {}: {}",
                                    spec_.file, n, spec_.channels, spec_.height, spec_.width, why));
  }

  Status Unsupported(const torch::jit::IValue& value) const {
    return InvalidInput(
        fmt::format("{}: the model returned a {}; assay reads a tensor or a tuple of tensors",
                    spec_.file, value.tagKind()));
  }

  // Flattens one output to rows x columns (a 1-D output is one column).
  Status Append(const torch::Tensor& tensor, std::size_t n, std::vector<Output>& outputs) const {
    if (tensor.dim() == 0 || tensor.size(0) != static_cast<int64_t>(n)) {
      return InvalidInput(fmt::format("{}: output {} has shape {}, not one row per image ({})",
                                      spec_.file, outputs.size(), fmt::join(tensor.sizes(), " x "),
                                      n));
    }
    torch::Tensor flat = tensor.to(torch::kFloat32).contiguous().reshape({tensor.size(0), -1});
    Output output;
    output.rows = n;
    output.columns = static_cast<std::size_t>(flat.size(1));
    const float* data = flat.data_ptr<float>();
    output.values.assign(data, data + output.rows * output.columns);
    outputs.push_back(std::move(output));
    return Status();
  }

  torch::jit::Module module_;
  ModelSpec spec_;
};

Result<std::unique_ptr<Model>> LoadInModule(const ModelSpec& spec) {
  try {
    torch::jit::Module module = torch::jit::load(spec.file, torch::kCPU);
    module.eval();
    // LibTorch's OpenMP pool may start with one thread whatever the cores; "every core" is
    // asked for explicitly.
    const unsigned cores = std::max(1U, std::thread::hardware_concurrency());
    at::set_num_threads(static_cast<int>(spec.threads > 0 ? spec.threads : cores));
    return std::unique_ptr<Model>(new TorchScriptModel(std::move(module), spec));
  } catch (const c10::Error& error) {
    return InvalidInput(fmt::format("{}: not a TorchScript model LibTorch can load: {}", spec.file,
                                    error.what_without_backtrace()));
  } catch (const std::exception& error) {
    return InvalidInput(
        fmt::format("{}: not a TorchScript model LibTorch can load: {}", spec.file, error.what()));
  }
}

}  // namespace

}  // namespace assay::model

// The module's one entry point, found by name (see torch_loader.cpp): the loaded model, or
// null with `error` set.
extern "C" __attribute__((visibility("default"))) assay::model::Model* AssayLoadTorchScript(
    const assay::model::ModelSpec* spec, std::string* error) {
  auto model = assay::model::LoadInModule(*spec);
  if (!model.ok()) {
    *error = model.status().message();
    return nullptr;
  }
  return std::move(model).value().release();
}
