// `assay demo`: everything assay does, end to end, on data whose answers are
// known. It writes a synthetic four-site DICOM cohort with planted failure
// modes (examples/demo/cohort.toml), inventories it, runs the shipped
// reference model on every image clean and perturbed, applies the demo
// protocol (examples/demo/protocol.toml: endpoints, subgroups, stress tests,
// failure-slice search), writes the evidence bundle with its report, and
// checks the failure slices it found against the failure modes it planted.
// The three files are linked into the program, so the demo needs nothing else.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "assay/cli/commands.h"
#include "assay/cli/progress_bar.h"
#include "assay/core/embed.h"
#include "assay/core/sha256.h"
#include "assay/data/audit.h"
#include "assay/data/inventory.h"
#include "assay/evidence/protocol.h"
#include "assay/evidence/study.h"
#include "assay/model/inference.h"
#include "assay/model/model.h"
#include "assay/model/predictions.h"
#include "assay/synth/synth.h"

ASSAY_EMBED_FILE(assay_demo_cohort, ASSAY_DEMO_COHORT);
ASSAY_EMBED_FILE(assay_demo_site, ASSAY_DEMO_SITE);
ASSAY_EMBED_FILE(assay_demo_protocol, ASSAY_DEMO_PROTOCOL);
ASSAY_EMBED_FILE(assay_demo_model, ASSAY_DEMO_MODEL);
extern "C" const char assay_demo_cohort_begin[], assay_demo_cohort_end[];
extern "C" const char assay_demo_site_begin[], assay_demo_site_end[];
extern "C" const char assay_demo_protocol_begin[], assay_demo_protocol_end[];
extern "C" const char assay_demo_model_begin[], assay_demo_model_end[];

namespace assay::cli {
namespace {

namespace fs = std::filesystem;

// Marks a folder as the demo's own, so a rerun may replace it and nothing else is touched.
constexpr const char* kMarker = ".assay-demo";

struct DemoArguments {
  std::string out = "assay-demo";
  std::size_t threads = 0;
};

std::string_view Embedded(const char* begin, const char* end) {
  return {begin, static_cast<std::size_t>(end - begin)};
}

// The demo's folder, empty: a folder that holds anything but a previous demo is refused.
Status PrepareFolder(const fs::path& dir) {
  std::error_code error;
  if (fs::exists(dir, error) && !fs::is_empty(dir, error)) {
    if (!fs::exists(dir / kMarker, error)) {
      return InvalidInput(fmt::format(
          "{}: the folder exists and was not made by assay demo; name another with --out",
          dir.string()));
    }
    fs::remove_all(dir, error);
    if (error) {
      return IoError(
          fmt::format("{}: cannot remove the previous demo: {}", dir.string(), error.message()));
    }
  }
  fs::create_directories(dir, error);
  if (error) return IoError(fmt::format("{}: cannot create: {}", dir.string(), error.message()));
  return WriteOutputFile((dir / kMarker).string(), "made by assay demo; rerunning replaces it\n");
}

// Each planted failure mode against the slices the search reported. Among the cases a
// slice's metric counts (recorded positives for sensitivity, negatives for specificity),
// a slice names a plant when it holds at least half of the plant's cases and at least a
// third of its own cases are the plant's; the best such slice is shown.
void CompareWithPlants(const synth::CohortConfig& config, const std::vector<synth::CasePlan>& plans,
                       const evidence::StudyResult& study) {
  if (!study.failure_slices) return;
  const auto& slices = study.failure_slices->search.slices;
  const data::CaseTable& table = study.table;
  std::fputs("\nPlanted failure modes against the slices found (the search was not told):\n",
             stdout);
  for (std::size_t p = 0; p < config.plants.size(); ++p) {
    const synth::PlantConfig& plant = config.plants[p];
    std::set<std::string> affected;
    for (const synth::CasePlan& plan : plans) {
      const bool applies =
          std::find(plan.plants.begin(), plan.plants.end(), p) != plan.plants.end();
      if (applies && (plan.lesion || !plant.where.ConditionsOnLesion()))
        affected.insert(plan.study_uid);
    }
    // The best match: the highest harmonic mean of the two shares.
    std::string found = "not among the reported slices";
    double best = 0.0;
    for (std::size_t k = 0; k < slices.size(); ++k) {
      const analysis::SliceMetric metric = slices[k].result.metric;
      auto counted = [&](std::size_t row) {
        return analysis::MetricCounts(metric, table.truth[row] != 0);
      };
      std::size_t planted = 0, in_slice = 0, shared = 0;
      for (std::size_t row = 0; row < table.size(); ++row) {
        if (counted(row) && affected.count(table.id[row]) > 0) ++planted;
      }
      for (std::size_t row : slices[k].rows) {
        if (!counted(row)) continue;
        ++in_slice;
        shared += affected.count(table.id[row]);
      }
      if (planted == 0 || in_slice == 0) continue;
      const double held = static_cast<double>(shared) / static_cast<double>(planted);
      const double purity = static_cast<double>(shared) / static_cast<double>(in_slice);
      const double score = held + purity > 0 ? 2 * held * purity / (held + purity) : 0.0;
      if (held >= 0.5 && purity >= 1.0 / 3.0 && score > best) {
        best = score;
        found = fmt::format(
            "found as slice {}: {} (it holds {:.0f}% of them; {:.0f}% of its "
            "cases were planted)",
            k + 1, slices[k].description, 100.0 * held, 100.0 * purity);
      }
    }
    std::fputs(
        fmt::format("  {:<28} {:>5} cases  {}\n", plant.name, affected.size(), found).c_str(),
        stdout);
  }
}

// What the demo knows of the site and the analysis does not: each case's truth and score.
struct SiteTruth {
  std::vector<std::pair<bool, double>> cases;  // (lesion, score) of the cases with a score
};

// The deployment site's profile (site_cases.csv): as `assay synth`, `assay scan`, `assay
// infer` and `assay audit --cases-out` would make it, from the site's archive without labels.
Status PrepareSite(const fs::path& dir, const data::ScanOptions& scan, SiteTruth& truth) {
  auto config = synth::LoadCohortConfig((dir / "site_cohort.toml").string());
  if (!config.ok()) return config.status();
  auto site = synth::GenerateCohort(*config, (dir / "site").string(), {});
  if (!site.ok()) return site.status();
  auto inventory = data::ScanDicomFolder((dir / "site" / "images").string(), scan);
  if (!inventory.ok()) return inventory.status();
  const std::string inventory_path = (dir / "site_inventory.csv").string();
  ASSAY_RETURN_IF_ERROR(WriteOutputFile(inventory_path, data::InventoryCsv(*inventory)));

  auto spec = evidence::LoadModelSpec((dir / "protocol.toml").string());
  if (!spec.ok()) return spec.status();
  auto model = model::LoadModel(*spec);
  if (!model.ok()) return model.status();
  auto list = model::ReadImageList(inventory_path, (dir / "site" / "images").string(), "path",
                                   "StudyInstanceUID");
  if (!list.ok()) return list.status();
  auto results = model::RunInference(**model, *spec, list->images, {});
  if (!results.ok()) return results.status();
  const auto cases = model::AggregateByKey(*list, *results, model::Aggregate::kMax);
  const std::string predictions_path = (dir / "site_predictions.csv").string();
  ASSAY_RETURN_IF_ERROR(
      WriteOutputFile(predictions_path, model::PredictionsCsv(cases, "StudyInstanceUID")));

  data::AuditInputs inputs;
  inputs.inventory = inventory_path;
  inputs.predictions = predictions_path;
  inputs.score = "score";
  auto audit = data::Audit(inputs);
  if (!audit.ok()) return audit.status();
  ASSAY_RETURN_IF_ERROR(
      WriteOutputFile((dir / "site_cases.csv").string(), data::AuditCasesCsv(*audit)));
  auto plans = synth::PlanCohort(*config, site->seed, std::nullopt);
  if (!plans.ok()) return plans.status();
  std::unordered_map<std::string, bool> lesion;
  for (const synth::CasePlan& plan : *plans) lesion[plan.study_uid] = plan.lesion;
  for (const model::CasePrediction& prediction : cases) {
    const auto found = lesion.find(prediction.key);
    if (prediction.ok && found != lesion.end()) {
      truth.cases.emplace_back(found->second, prediction.score);
    }
  }
  std::fputs(fmt::format("   {} cases at {}, {} files read, {} scored\n", site->cases,
                         config->sites.front().institution, inventory->files_read, cases.size())
                 .c_str(),
             stdout);
  return Status::Ok();
}

// Performance at the site as the evidence predicted it (reweighted by the site's mix, and
// without labels) against what the site's hidden labels show.
void CompareWithSite(const SiteTruth& truth, const evidence::StudyResult& study) {
  if (!study.deployment || !study.deployment->label_free) return;
  const evidence::DeploymentSection& deployment = *study.deployment;
  std::fputs(
      "\nAt the site, as predicted against its hidden labels (read only now, by the demo):\n",
      stdout);
  auto interval = [](double value, const stats::Interval& ci) {
    return fmt::format("{:.3f} ({:.3f} to {:.3f})", value, ci.lower, ci.upper);
  };
  for (const evidence::LabelFreeThreshold& estimate : deployment.label_free->estimates) {
    std::size_t tp = 0, positives = 0, tn = 0, negatives = 0;
    for (const auto& [lesion, score] : truth.cases) {
      const bool called = score >= estimate.threshold;
      positives += lesion ? 1 : 0;
      tp += lesion && called ? 1 : 0;
      negatives += lesion ? 0 : 1;
      tn += !lesion && !called ? 1 : 0;
    }
    const std::pair<const char*, const stats::LabelFreeMetric*> metrics[] = {
        {"sensitivity", &estimate.cbpe.sensitivity}, {"specificity", &estimate.cbpe.specificity}};
    for (const auto& [metric, cbpe] : metrics) {
      const bool sensitivity = std::string_view(metric) == "sensitivity";
      const double realized = sensitivity
                                  ? static_cast<double>(tp) / static_cast<double>(positives)
                                  : static_cast<double>(tn) / static_cast<double>(negatives);
      std::string line = fmt::format(
          "  {} at {:g}: validated {:.3f}, realized at the site {:.3f}\n", metric,
          estimate.threshold,
          sensitivity ? estimate.validated_sensitivity : estimate.validated_specificity, realized);
      for (const analysis::ExpectedPerformance& expected : deployment.readiness.expected) {
        if (expected.metric != metric || !expected.expected) continue;
        line += fmt::format(
            "    reweighted by {:<14} {}{}\n", expected.dimension,
            interval(*expected.expected, *expected.expected_ci),
            expected.uncovered_share > 0
                ? fmt::format(", {:.0f}% of the site not covered", 100.0 * expected.uncovered_share)
                : "");
      }
      line += fmt::format("    without labels (CBPE)     {}\n",
                          interval(cbpe->estimate, cbpe->interval));
      std::fputs(line.c_str(), stdout);
    }
  }
}

int DemoCommand(const DemoArguments& arguments, const std::string& command_line) {
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<tbb::global_control> threads;
  if (arguments.threads > 0) {
    threads = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                    arguments.threads);
  }
  const fs::path dir = AbsolutePath(arguments.out);
  if (Status status = PrepareFolder(dir); !status.ok()) return ReportFailure(status);
  const std::pair<const char*, std::string_view> files[] = {
      {"cohort.toml", Embedded(assay_demo_cohort_begin, assay_demo_cohort_end)},
      {"site_cohort.toml", Embedded(assay_demo_site_begin, assay_demo_site_end)},
      {"protocol.toml", Embedded(assay_demo_protocol_begin, assay_demo_protocol_end)},
      {"reference_model.pt", Embedded(assay_demo_model_begin, assay_demo_model_end)}};
  for (const auto& [name, bytes] : files) {
    if (Status status = WriteOutputFile((dir / name).string(), bytes); !status.ok())
      return ReportFailure(status);
  }

  std::fputs(fmt::format("assay demo in {}\n\n1. A synthetic four-site cohort with planted "
                         "failure modes (cohort.toml)\n",
                         dir.string())
                 .c_str(),
             stdout);
  auto config = synth::LoadCohortConfig((dir / "cohort.toml").string());
  if (!config.ok()) return ReportFailure(config.status());
  synth::SynthOptions synth_options;
  auto synth_bar = std::make_shared<ProgressBar>("synthesizing", "cases");
  synth_options.progress = [synth_bar](std::size_t done, std::size_t total) {
    synth_bar->Update(done, total);
  };
  auto cohort = synth::GenerateCohort(*config, (dir / "cohort").string(), synth_options);
  synth_bar->Finish();
  if (!cohort.ok()) return ReportFailure(cohort.status());
  std::fputs(fmt::format("   {} cases ({} with a lesion), {} files with {} duplicates and {} "
                         "corrupt; {} labels flipped\n",
                         cohort->cases, cohort->positives, cohort->files, cohort->duplicates,
                         cohort->corrupt, cohort->labels_flipped)
                 .c_str(),
             stdout);

  std::fputs("2. An inventory of the DICOM files (assay scan)\n", stdout);
  data::ScanOptions scan;
  // The cohort is synthetic: a fixed key for its pseudonyms identifies no one.
  scan.secret = Sha256("assay demo: synthetic patients");
  auto inventory = data::ScanDicomFolder((dir / "cohort" / "images").string(), scan);
  if (!inventory.ok()) return ReportFailure(inventory.status());
  if (Status status =
          WriteOutputFile((dir / "inventory.csv").string(), data::InventoryCsv(*inventory));
      !status.ok()) {
    return ReportFailure(status);
  }
  std::fputs(
      fmt::format("   {} files found, {} read\n", inventory->files_found, inventory->files_read)
          .c_str(),
      stdout);

  std::fputs(
      "3. The site where the model would be switched on (site_cohort.toml): its archive, "
      "scanned, scored by the reference model and made one row per case; no labels\n",
      stdout);
  SiteTruth site_truth;
  if (Status status = PrepareSite(dir, scan, site_truth); !status.ok()) {
    return ReportFailure(status);
  }

  std::fputs(
      "4. The demo protocol (protocol.toml): the reference model on clean and perturbed "
      "images, endpoints, subgroups, failure slices, deployment readiness at the site\n\n",
      stdout);
  auto plans = synth::PlanCohort(*config, cohort->seed, std::nullopt);
  if (!plans.ok()) return ReportFailure(plans.status());
  StudyRun run;
  run.protocol = (dir / "protocol.toml").string();
  run.out = (dir / "results").string();
  run.registry = (dir / "registry.sqlite").string();
  run.print_evaluation = false;
  run.inspect = [&](const evidence::StudyResult& study) {
    CompareWithPlants(*config, *plans, study);
    CompareWithSite(site_truth, study);
  };
  if (int code = RunStudyFile(run, command_line); code != 0) return code;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fputs(fmt::format("\nDone in {:.0f} s. The report: {}\nThe hidden truth: {} and {}\n",
                         seconds, (dir / "results" / "report.html").string(),
                         (dir / "cohort" / "planted.json").string(),
                         (dir / "cohort" / "ground_truth.csv").string())
                 .c_str(),
             stdout);
  return 0;
}

}  // namespace

Runner AddDemoCommand(CLI::App& app) {
  auto arguments = std::make_shared<DemoArguments>();
  CLI::App* command = app.add_subcommand(
      "demo",
      "Everything end to end on a synthetic cohort with planted failure modes: the reference "
      "model, the demo protocol, the evidence bundle and its report");
  command->add_option("--out", arguments->out,
                      "Working folder (default: assay-demo); a previous demo there is replaced");
  command->add_option("--threads", arguments->threads, "Worker threads (default: all cores)")
      ->check(CLI::Range(0, 4096));
  return [arguments](const std::string& command_line) {
    return DemoCommand(*arguments, command_line);
  };
}

}  // namespace assay::cli
