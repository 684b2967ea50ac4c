// Opens the TorchScript backend module (libassay_torch.so) on first use.
#include <dlfcn.h>
#include <fmt/format.h>

#include <filesystem>
#include <string>
#include <vector>

#include "assay/model/backends.h"

namespace assay::model {

#ifdef ASSAY_TORCH_MODULE
namespace {

using LoadFunction = Model* (*)(const ModelSpec*, std::string*);

struct Module {
  LoadFunction load = nullptr;
  std::string error;
};

// The module is looked for beside the running program, then where the build put it.
const Module& OpenModule() {
  static const Module module = [] {
    Module opened;
    std::vector<std::string> candidates;
    std::error_code error;
    const auto program = std::filesystem::read_symlink("/proc/self/exe", error);
    if (!error) candidates.push_back((program.parent_path() / "libassay_torch.so").string());
    candidates.emplace_back(ASSAY_TORCH_MODULE);
    std::string reasons;
    for (const std::string& path : candidates) {
      if (!std::filesystem::exists(path, error)) continue;
      void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (handle == nullptr) {
        reasons += fmt::format(" {}: {};", path, ::dlerror());
        continue;
      }
      opened.load = reinterpret_cast<LoadFunction>(::dlsym(handle, "AssayLoadTorchScript"));
      if (opened.load != nullptr) return opened;
      reasons += fmt::format(" {}: no entry point;", path);
    }
    opened.error = reasons.empty() ? "libassay_torch.so is not beside the assay program"
                                   : "libassay_torch.so cannot be opened:" + reasons;
    return opened;
  }();
  return module;
}

}  // namespace
#endif

Result<std::unique_ptr<Model>> LoadTorchScriptModel(const ModelSpec& spec) {
#ifdef ASSAY_TORCH_MODULE
  const Module& module = OpenModule();
  if (module.load == nullptr) {
    return InvalidInput(
        fmt::format("{}: the TorchScript backend is missing: {}", spec.file, module.error));
  }
  std::string error;
  Model* model = module.load(&spec, &error);
  if (model == nullptr) return InvalidInput(error);
  return std::unique_ptr<Model>(model);
#else
  return InvalidInput(fmt::format(
      "{}: this assay was built without LibTorch (CMake option ASSAY_WITH_TORCH)", spec.file));
#endif
}

}  // namespace assay::model
