// `assay infer --model M --images LIST.csv --out predictions.csv`: runs an
// image classifier (TorchScript or ONNX) over a list of images, optionally
// perturbed, and writes a predictions case table.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <optional>

#include "assay/cli/commands.h"
#include "assay/cli/progress_bar.h"
#include "assay/evidence/protocol.h"
#include "assay/io/record_source.h"
#include "assay/model/predictions.h"

namespace assay::cli {
namespace {

struct InferArguments {
  std::string model;
  std::string images;
  std::string root;
  std::string path_column = "path";
  std::string key_column;
  std::string aggregate = "max";
  std::string out;
  std::string embeddings_out;
  std::string perturbation;
  int severity = 1;
  std::uint64_t seed = 20240101;
  // For a model file given directly (not a .toml with a [model] table).
  std::string backend;
  std::vector<std::size_t> input_size;
  std::size_t channels = 1;
  std::string intensity = "display";
  std::string resize = "bilinear";
  std::vector<double> mean{0.0}, std{1.0};
  std::string score = "probability";
  std::size_t score_output = 0, score_index = 0;
  std::optional<std::size_t> embedding_output;
  std::vector<std::string> output_names;
  std::size_t batch = 32;
  std::size_t threads = 0;
};

// The model to run: a [model] table in a TOML file, or a model file with
// the command line's options.
Result<model::ModelSpec> SpecFromArguments(const InferArguments& arguments) {
  if (arguments.model.ends_with(".toml")) return evidence::LoadModelSpec(arguments.model);
  model::ModelSpec spec;
  spec.file = arguments.model;
  std::string backend = arguments.backend;
  if (backend.empty()) {
    if (arguments.model.ends_with(".onnx")) {
      backend = "onnx";
    } else if (arguments.model.ends_with(".pt") || arguments.model.ends_with(".pth") ||
               arguments.model.ends_with(".torchscript")) {
      backend = "torchscript";
    } else {
      return InvalidInput(fmt::format(
          "{}: give --backend (torchscript or onnx), or a .toml file with a [model] table",
          arguments.model));
    }
  }
  auto parsed_backend = model::ParseBackend(backend);
  if (!parsed_backend.ok()) return parsed_backend.status();
  spec.backend = *parsed_backend;
  if (arguments.input_size.size() != 2) {
    return InvalidInput("--input-size WIDTH HEIGHT is required with a model file");
  }
  spec.width = arguments.input_size[0];
  spec.height = arguments.input_size[1];
  spec.channels = arguments.channels;
  auto intensity = model::ParseIntensity(arguments.intensity);
  if (!intensity.ok()) return intensity.status();
  spec.intensity = *intensity;
  auto resize = model::ParseResize(arguments.resize);
  if (!resize.ok()) return resize.status();
  spec.resize = *resize;
  auto score = model::ParseScoreKind(arguments.score);
  if (!score.ok()) return score.status();
  spec.score = *score;
  spec.mean = arguments.mean;
  spec.std = arguments.std;
  spec.score_output = arguments.score_output;
  spec.score_index = arguments.score_index;
  spec.embedding_output = arguments.embedding_output;
  spec.output_names = arguments.output_names;
  spec.batch = arguments.batch;
  spec.threads = arguments.threads;
  return spec;
}

int InferCommand(const InferArguments& arguments) {
  auto spec = SpecFromArguments(arguments);
  if (!spec.ok()) return ReportFailure(spec.status());
  if (arguments.embeddings_out.empty() != !spec->embedding_output) {
    return ReportFailure(
        InvalidInput("--embeddings-out and the model's embedding output (--embedding-output, or "
                     "embedding_output in [model]) go together"));
  }
  model::InferenceOptions options;
  if (!arguments.perturbation.empty()) {
    auto kind = perturb::ParsePerturbation(arguments.perturbation);
    if (!kind.ok()) return ReportFailure(kind.status());
    if (arguments.severity < 1 || arguments.severity > perturb::MaxSeverity(*kind)) {
      return ReportFailure(
          InvalidInput(fmt::format("--severity {} is outside 1..{} for {}", arguments.severity,
                                   perturb::MaxSeverity(*kind), arguments.perturbation)));
    }
    options.perturbation = model::PerturbationSetting{*kind, arguments.severity, arguments.seed};
  }
  auto aggregate = model::ParseAggregate(arguments.aggregate);
  if (!aggregate.ok()) return ReportFailure(aggregate.status());

  // The key: as asked, else the inventory's SOP Instance UID, else the path.
  std::string key_column = arguments.key_column;
  if (key_column.empty()) {
    // Reads the header only.
    const bool has_uid =
        io::OpenRecordSource(arguments.images, {arguments.path_column, "SOPInstanceUID"}).ok();
    key_column = has_uid ? "SOPInstanceUID" : arguments.path_column;
  }
  auto list =
      model::ReadImageList(arguments.images, arguments.root, arguments.path_column, key_column);
  if (!list.ok()) return ReportFailure(list.status());
  KeepFreedPagesForInference();
  auto loaded = model::LoadModel(*spec);
  if (!loaded.ok()) return ReportFailure(loaded.status());

  auto bar = std::make_shared<ProgressBar>("inference", "images");
  options.progress = [bar](std::size_t done, std::size_t total) { bar->Update(done, total); };
  const auto start = std::chrono::steady_clock::now();
  auto results = model::RunInference(**loaded, *spec, list->images, options);
  bar->Finish();
  if (!results.ok()) return ReportFailure(results.status());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const auto cases = model::AggregateByKey(*list, *results, *aggregate);
  if (Status written = WriteOutputFile(arguments.out, model::PredictionsCsv(cases, key_column));
      !written.ok()) {
    return ReportFailure(written);
  }
  if (!arguments.embeddings_out.empty()) {
    if (Status written =
            WriteOutputFile(arguments.embeddings_out, model::EmbeddingsCsv(cases, key_column));
        !written.ok()) {
      return ReportFailure(written);
    }
  }

  std::size_t failed_images = 0;
  for (const auto& result : *results) failed_images += result.error.empty() ? 0 : 1;
  std::size_t failed_cases = 0;
  for (const auto& prediction : cases) failed_cases += prediction.ok ? 0 : 1;
  std::string text = fmt::format(
      "{} ({}): {} images in {:.1f} s ({:.0f} images/s); {} without a score\n", spec->file,
      (*loaded)->Describe(), list->images.size(), seconds,
      seconds > 0 ? static_cast<double>(list->images.size()) / seconds : 0.0, failed_images);
  if (options.perturbation) {
    text += fmt::format(
        "perturbed: {} severity {} ({}), seed {}\n", arguments.perturbation, arguments.severity,
        perturb::PerturbationMeaning(options.perturbation->kind, arguments.severity),
        arguments.seed);
  }
  text += fmt::format("{} cases by {}: {} scored, {} without a score (output_status failed)\n",
                      cases.size(), key_column, cases.size() - failed_cases, failed_cases);
  if (list->without_key > 0) {
    text +=
        fmt::format("{} rows of {} have no {} (unreadable files) and are not in the predictions\n",
                    list->without_key, arguments.images, key_column);
  }
  std::fputs(text.c_str(), stdout);
  for (std::size_t i = 0, shown = 0; i < results->size() && shown < 5; ++i) {
    if ((*results)[i].error.empty()) continue;
    spdlog::warn("no score: {}", (*results)[i].error);
    ++shown;
  }
  spdlog::info("wrote {}", arguments.out);
  return 0;
}

}  // namespace

Runner AddInferCommand(CLI::App& app) {
  auto arguments = std::make_shared<InferArguments>();
  CLI::App* command = app.add_subcommand(
      "infer", "Run an image classifier (TorchScript or ONNX) over images; write predictions");
  command
      ->add_option("--model", arguments->model,
                   "Model file (.pt, .onnx) with the options below, or a .toml file whose [model] "
                   "table says how to run it (a protocol, say)")
      ->required();
  command
      ->add_option("--images", arguments->images,
                   "CSV of images: an inventory from `assay scan`, or any table with a path column")
      ->required();
  command->add_option("--root", arguments->root,
                      "Folder that relative paths start from (default: the CSV's folder)");
  command->add_option("--path-column", arguments->path_column, "Column of image paths (path)");
  command->add_option("--key", arguments->key_column,
                      "Column that identifies a case (default: SOPInstanceUID when present, else "
                      "the path); images sharing a key are one case");
  command->add_option("--aggregate", arguments->aggregate,
                      "Score of a case with several images: max (default) or mean");
  command->add_option("--out", arguments->out, "Predictions CSV to write")->required();
  command->add_option("--embeddings-out", arguments->embeddings_out,
                      "CSV of each case's embedding (needs the model's embedding output)");
  command->add_option("--perturb", arguments->perturbation,
                      "Perturb every image first (see docs/perturbations.md)");
  command->add_option("--severity", arguments->severity, "Severity of --perturb, 1..5");
  command->add_option("--seed", arguments->seed, "Seed of the perturbation's random draws");
  command->add_option("--backend", arguments->backend,
                      "torchscript or onnx (default: from the file's extension)");
  command->add_option("--input-size", arguments->input_size, "The model's input WIDTH HEIGHT")
      ->expected(2);
  command->add_option("--channels", arguments->channels, "Input channels, 1 or 3");
  command->add_option("--intensity", arguments->intensity, "display (default), percentile or raw");
  command->add_option("--resize", arguments->resize, "bilinear (default), area or none");
  command->add_option("--mean", arguments->mean, "Normalization mean, one or one per channel");
  command->add_option("--std", arguments->std, "Normalization std, one or one per channel");
  command->add_option("--score", arguments->score, "probability (default), logit or softmax");
  command->add_option("--score-output", arguments->score_output, "Output holding the score (0)");
  command->add_option("--score-index", arguments->score_index, "Column of the score (0)");
  command->add_option("--embedding-output", arguments->embedding_output,
                      "Output holding an embedding to write with --embeddings-out");
  command->add_option("--output-name", arguments->output_names,
                      "ONNX: the graph's outputs to compute, in order; repeatable");
  command->add_option("--batch", arguments->batch, "Images per forward pass (32)");
  command->add_option("--threads", arguments->threads, "Backend threads (default: every core)");
  return [arguments](const std::string&) { return InferCommand(*arguments); };
}

}  // namespace assay::cli
