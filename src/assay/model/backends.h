// The backends behind LoadModel, each compiled in a library of its own so
// that LibTorch's and OpenCV's headers reach no other source file. A backend
// built without its library (CMake option off) reports so when loading.
#pragma once

#include <memory>

#include "assay/core/status.h"
#include "assay/model/model.h"

namespace assay::model {

Result<std::unique_ptr<Model>> LoadTorchScriptModel(const ModelSpec& spec);

Result<std::unique_ptr<Model>> LoadOnnxModel(const ModelSpec& spec);

}  // namespace assay::model
