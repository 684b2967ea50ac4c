#include "assay/model/inference.h"

#include <fmt/format.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_pipeline.h>

#include <cmath>

#include "assay/model/image.h"

namespace assay::model {

namespace {

// One batch in flight: its first input, its size, the preprocessed pixels
// and each image's error.
struct Batch {
  std::size_t first = 0, size = 0;
  std::vector<float> pixels;
  std::vector<std::string> errors;
};

void PrepareBatch(const ModelSpec& spec, const std::vector<ImageInput>& inputs,
                  const InferenceOptions& options, Batch& batch) {
  const std::size_t per_image = spec.channels * spec.width * spec.height;
  batch.pixels.assign(batch.size * per_image, 0.0f);
  batch.errors.assign(batch.size, "");
  tbb::parallel_for(std::size_t{0}, batch.size, [&](std::size_t i) {
    const ImageInput& input = inputs[batch.first + i];
    auto image = LoadImage(input.path, spec.intensity);
    if (!image.ok()) {
      batch.errors[i] = image.status().message();
      return;
    }
    if (options.perturbation) {
      const PerturbationSetting& setting = *options.perturbation;
      Status perturbed =
          perturb::Perturb(*image, setting.kind, setting.severity, setting.seed, input.key);
      if (!perturbed.ok()) {
        batch.errors[i] = perturbed.message();
        return;
      }
    }
    std::span<float> out(batch.pixels.data() + i * per_image, per_image);
    Status prepared = Preprocess(*image, spec, out);
    if (!prepared.ok()) batch.errors[i] = fmt::format("{}: {}", input.path, prepared.message());
  });
}

}  // namespace

Result<std::vector<ImageResult>> RunInference(Model& model, const ModelSpec& spec,
                                              const std::vector<ImageInput>& inputs,
                                              const InferenceOptions& options) {
  std::vector<ImageResult> results(inputs.size());
  const std::size_t per_image = spec.channels * spec.width * spec.height;
  const std::size_t batches = (inputs.size() + spec.batch - 1) / spec.batch;
  std::size_t next = 0, done = 0;
  Status failure;
  // Two batches in flight: one being decoded while the model runs the other.
  tbb::parallel_pipeline(
      2, tbb::make_filter<void, std::shared_ptr<Batch>>(
             tbb::filter_mode::serial_in_order,
             [&](tbb::flow_control& control) -> std::shared_ptr<Batch> {
               if (next >= batches || !failure.ok()) {
                 control.stop();
                 return nullptr;
               }
               auto batch = std::make_shared<Batch>();
               batch->first = next * spec.batch;
               batch->size = std::min(spec.batch, inputs.size() - batch->first);
               ++next;
               return batch;
             }) &
             tbb::make_filter<std::shared_ptr<Batch>, std::shared_ptr<Batch>>(
                 tbb::filter_mode::parallel,
                 [&](std::shared_ptr<Batch> batch) {
                   PrepareBatch(spec, inputs, options, *batch);
                   return batch;
                 }) &
             tbb::make_filter<std::shared_ptr<Batch>, void>(
                 tbb::filter_mode::serial_in_order, [&](const std::shared_ptr<Batch>& batch) {
                   if (!failure.ok()) return;
                   // Images that failed are left out of the forward pass.
                   std::vector<std::size_t> good;
                   for (std::size_t i = 0; i < batch->size; ++i) {
                     if (batch->errors[i].empty()) {
                       if (good.size() != i) {
                         std::copy_n(
                             batch->pixels.begin() + static_cast<std::ptrdiff_t>(i * per_image),
                             per_image,
                             batch->pixels.begin() +
                                 static_cast<std::ptrdiff_t>(good.size() * per_image));
                       }
                       good.push_back(i);
                     } else {
                       results[batch->first + i].error = batch->errors[i];
                     }
                   }
                   if (!good.empty()) {
                     auto outputs = model.Forward(
                         std::span<const float>(batch->pixels.data(), good.size() * per_image),
                         good.size());
                     if (!outputs.ok()) {
                       failure = outputs.status();
                       return;
                     }
                     auto scores = ScoresFromOutputs(*outputs, spec);
                     if (!scores.ok()) {
                       failure = scores.status();
                       return;
                     }
                     const Output* embedding = nullptr;
                     if (spec.embedding_output) {
                       if (*spec.embedding_output >= outputs->size()) {
                         failure = InvalidInput(fmt::format(
                             "model {}: embedding output {} asked for, the model gave {}",
                             spec.file, *spec.embedding_output, outputs->size()));
                         return;
                       }
                       embedding = &(*outputs)[*spec.embedding_output];
                     }
                     for (std::size_t k = 0; k < good.size(); ++k) {
                       ImageResult& result = results[batch->first + good[k]];
                       if (std::isnan((*scores)[k])) {
                         result.error = fmt::format("{}: the model's output is NaN or infinite",
                                                    inputs[batch->first + good[k]].path);
                         continue;
                       }
                       result.score = (*scores)[k];
                       if (embedding != nullptr) {
                         const float* row = embedding->values.data() + k * embedding->columns;
                         result.embedding.assign(row, row + embedding->columns);
                       }
                     }
                   }
                   done += batch->size;
                   if (options.progress) options.progress(done, inputs.size());
                 }));
  if (!failure.ok()) return failure;
  return results;
}

}  // namespace assay::model
