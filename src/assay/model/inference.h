// Batched inference over a list of image files, optionally perturbed.
//
// Images are decoded and preprocessed in parallel (oneTBB) while the model
// runs the previous batch; the backend parallelizes inside a batch. Results
// are in input order and do not depend on the number of threads.
//
// One image that cannot be decoded, or whose output is NaN or infinite, is
// a result with its reason, not an error; a model that rejects a batch (a
// shape it does not take) stops the run with an error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "assay/core/status.h"
#include "assay/model/image.h"
#include "assay/model/model.h"
#include "assay/perturb/perturbation.h"

namespace assay::model {

struct ImageInput {
  std::string path;  // as opened
  std::string key;   // the case or image key, seeds the perturbation
};

struct ImageResult {
  double score = 0;              // valid when error is empty
  std::string error;             // why there is no score
  std::vector<float> embedding;  // when the spec names an embedding output
  ImageQuality quality;          // of the image as decoded, when InferenceOptions asks for it
};

struct PerturbationSetting {
  perturb::Kind kind;
  int severity = 1;
  std::uint64_t seed = 0;
};

struct InferenceOptions {
  std::optional<PerturbationSetting> perturbation;
  bool measure_quality = false;  // fill ImageResult::quality (MeasureQuality on every image)
  // Called from the model's thread after each batch (images done, total).
  std::function<void(std::size_t, std::size_t)> progress;
};

Result<std::vector<ImageResult>> RunInference(Model& model, const ModelSpec& spec,
                                              const std::vector<ImageInput>& inputs,
                                              const InferenceOptions& options);

}  // namespace assay::model
