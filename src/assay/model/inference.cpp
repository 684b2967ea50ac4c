#include "assay/model/inference.h"

#include <fmt/format.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include <chrono>
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
  std::vector<ImageQuality> quality;
};

void PrepareBatch(const ModelSpec& spec, const std::vector<ImageInput>& inputs,
                  const InferenceOptions& options, Batch& batch) {
  const std::size_t per_image = spec.channels * spec.width * spec.height;
  batch.pixels.assign(batch.size * per_image, 0.0f);
  batch.errors.assign(batch.size, "");
  batch.quality.assign(batch.size, ImageQuality{});
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
    if (options.measure_quality) batch.quality[i] = MeasureQuality(*image);
    std::span<float> out(batch.pixels.data() + i * per_image, per_image);
    Status prepared = Preprocess(*image, spec, out);
    if (!prepared.ok()) batch.errors[i] = fmt::format("{}: {}", input.path, prepared.message());
  });
}

// Runs the model on one prepared batch and stores its results.
Status ForwardBatch(Model& model, const ModelSpec& spec, const std::vector<ImageInput>& inputs,
                    Batch& batch, std::vector<ImageResult>& results) {
  const std::size_t per_image = spec.channels * spec.width * spec.height;
  // Images that failed are left out of the forward pass.
  std::vector<std::size_t> good;
  for (std::size_t i = 0; i < batch.size; ++i) {
    results[batch.first + i].quality = batch.quality[i];
    if (!batch.errors[i].empty()) {
      results[batch.first + i].error = batch.errors[i];
      continue;
    }
    if (good.size() != i) {
      std::copy_n(batch.pixels.begin() + static_cast<std::ptrdiff_t>(i * per_image), per_image,
                  batch.pixels.begin() + static_cast<std::ptrdiff_t>(good.size() * per_image));
    }
    good.push_back(i);
  }
  if (good.empty()) return Status();
  auto outputs = model.Forward(std::span<const float>(batch.pixels.data(), good.size() * per_image),
                               good.size());
  if (!outputs.ok()) return outputs.status();
  auto scores = ScoresFromOutputs(*outputs, spec);
  if (!scores.ok()) return scores.status();
  const Output* embedding = nullptr;
  if (spec.embedding_output) {
    if (*spec.embedding_output >= outputs->size()) {
      return InvalidInput(fmt::format("model {}: embedding output {} asked for, the model gave {}",
                                      spec.file, *spec.embedding_output, outputs->size()));
    }
    embedding = &(*outputs)[*spec.embedding_output];
  }
  for (std::size_t k = 0; k < good.size(); ++k) {
    ImageResult& result = results[batch.first + good[k]];
    if (std::isnan((*scores)[k])) {
      result.error = fmt::format("{}: the model's output is NaN or infinite",
                                 inputs[batch.first + good[k]].path);
      continue;
    }
    result.score = (*scores)[k];
    if (embedding != nullptr) {
      const float* row = embedding->values.data() + k * embedding->columns;
      result.embedding.assign(row, row + embedding->columns);
    }
  }
  return Status();
}

}  // namespace

Result<std::vector<ImageResult>> RunInference(Model& model, const ModelSpec& spec,
                                              const std::vector<ImageInput>& inputs,
                                              const InferenceOptions& options) {
  std::vector<ImageResult> results(inputs.size());
  if (inputs.empty()) return results;
  auto batch_at = [&](std::size_t index) {
    Batch batch;
    batch.first = index * spec.batch;
    batch.size = std::min(spec.batch, inputs.size() - batch.first);
    return batch;
  };
  const std::size_t batches = (inputs.size() + spec.batch - 1) / spec.batch;
  // The model always runs on this thread (so the backend keeps one thread team), while
  // oneTBB's workers decode the next batch.
  Batch current = batch_at(0);
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  PrepareBatch(spec, inputs, options, current);
  Clock::duration decode_time = Clock::now() - start, forward_time{};
  // When the model takes much longer than decoding, one thread decodes (the backend keeps
  // the other cores: a second decoding thread preempting one of its threads stalls all of
  // them at its next barrier); otherwise every core decodes.
  tbb::task_arena one_thread(1, 0);  // no slot kept for this thread: a worker decodes
  std::size_t done = 0;
  for (std::size_t index = 0; index < batches; ++index) {
    tbb::task_group decoding;
    Batch next;
    const bool model_bound = forward_time > 4 * decode_time;
    if (index + 1 < batches) {
      next = batch_at(index + 1);
      auto decode = [&] {
        const auto begin = Clock::now();
        PrepareBatch(spec, inputs, options, next);
        decode_time = Clock::now() - begin;
      };
      if (model_bound) {
        one_thread.execute([&] { decoding.run(decode); });
      } else {
        decoding.run(decode);
      }
    }
    start = Clock::now();
    Status status = ForwardBatch(model, spec, inputs, current, results);
    forward_time = Clock::now() - start;
    if (model_bound) {
      one_thread.execute([&] { decoding.wait(); });
    } else {
      decoding.wait();
    }
    if (!status.ok()) return status;
    done += current.size;
    if (options.progress) options.progress(done, inputs.size());
    current = std::move(next);
  }
  return results;
}

}  // namespace assay::model
