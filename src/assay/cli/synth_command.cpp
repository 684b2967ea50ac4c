// `assay synth --config cohort.toml --out DIR`: a synthetic multi-site DICOM
// cohort with planted failure modes, its labels and its hidden ground truth.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <tbb/global_control.h>

#include <chrono>
#include <memory>
#include <optional>

#include "assay/cli/commands.h"
#include "assay/cli/progress_bar.h"
#include "assay/synth/synth.h"

namespace assay::cli {
namespace {

struct SynthArguments {
  std::string config;
  std::string out;
  std::optional<std::uint64_t> seed;
  std::string sites;
  bool force = false;
  std::size_t threads = 0;
};

void PrintSummary(const synth::SynthSummary& summary, const std::string& out, double seconds) {
  std::string text = fmt::format(
      "{} cases ({} with a lesion) in {:.1f} s, seed {}; {} files under {}/images ({} duplicate, "
      "{} corrupt); {} labels flipped\n",
      summary.cases, summary.positives, seconds, summary.seed, summary.files, out,
      summary.duplicates, summary.corrupt, summary.labels_flipped);
  for (const synth::SiteSummary& site : summary.sites) {
    text += fmt::format("  {:<16} {:<12} {:>6} cases, {:>5} with a lesion ({} recorded)\n",
                        site.name, site.role, site.cases, site.positives, site.recorded_positives);
  }
  std::fputs(text.c_str(), stdout);
}

int SynthCommand(const SynthArguments& arguments) {
  std::unique_ptr<tbb::global_control> threads;
  if (arguments.threads > 0) {
    threads = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                    arguments.threads);
  }
  auto config = synth::LoadCohortConfig(arguments.config);
  if (!config.ok()) return ReportFailure(config.status());
  synth::SynthOptions options;
  options.seed = arguments.seed;
  options.force = arguments.force;
  if (!arguments.sites.empty()) options.role = arguments.sites;
  auto bar = std::make_shared<ProgressBar>("synthesizing", "cases");
  options.progress = [bar](std::size_t done, std::size_t total) { bar->Update(done, total); };

  const auto start = std::chrono::steady_clock::now();
  auto summary = synth::GenerateCohort(*config, arguments.out, options);
  bar->Finish();
  if (!summary.ok()) return ReportFailure(summary.status());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  PrintSummary(*summary, arguments.out, seconds);
  spdlog::info("wrote {} (labels.csv, ground_truth.csv, files.csv, planted.json, images/)",
               arguments.out);
  return 0;
}

}  // namespace

Runner AddSynthCommand(CLI::App& app) {
  auto arguments = std::make_shared<SynthArguments>();
  CLI::App* command = app.add_subcommand(
      "synth",
      "Write a synthetic multi-site DICOM cohort with planted failure modes (see docs/synth.md)");
  command->add_option("--config", arguments->config, "Cohort configuration (TOML)")->required();
  command->add_option("--out", arguments->out, "Folder to write (must not exist, or be empty)")
      ->required();
  command->add_option("--seed", arguments->seed, "Seed (default: the configuration's seed)");
  command
      ->add_option("--sites", arguments->sites,
                   "Write only the sites of this role: development or test")
      ->check(CLI::IsMember({"development", "test"}));
  command->add_flag("--force", arguments->force, "Replace the folder when it is not empty");
  command->add_option("--threads", arguments->threads, "Worker threads (default: all cores)")
      ->check(CLI::PositiveNumber);
  return [arguments](const std::string&) { return SynthCommand(*arguments); };
}

}  // namespace assay::cli
