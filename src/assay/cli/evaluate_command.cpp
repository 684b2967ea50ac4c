// `assay evaluate`: diagnostic performance of one score on a case table.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <tbb/global_control.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>

#include "assay/analysis/evaluation.h"
#include "assay/cli/commands.h"
#include "assay/data/case_table.h"
#include "assay/evidence/bundle.h"
#include "assay/evidence/evaluation_json.h"
#include "assay/report/terminal.h"

namespace assay::cli {
namespace {

struct EvaluateArguments {
  std::string cases;
  data::CaseRoles roles;
  std::string direction = "higher";
  analysis::EvaluationOptions options;
  std::string auc_method = "delong";
  std::string proportion_method = "wilson";
  std::string multiplicity = "holm";
  std::string pauc_specificity, pauc_sensitivity;
  bool no_youden = false;
  std::string out;
  std::size_t threads = 0;
  std::string command_line;
};

Result<analysis::PartialAucRange> ParseRange(const std::string& text, const char* option,
                                             stats::PartialAucFocus focus) {
  const auto colon = text.find(':');
  analysis::PartialAucRange range;
  range.focus = focus;
  try {
    if (colon == std::string::npos) throw std::invalid_argument(text);
    std::size_t used = 0;
    range.from = std::stod(text.substr(0, colon), &used);
    if (used != colon) throw std::invalid_argument(text);
    range.to = std::stod(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1) throw std::invalid_argument(text);
  } catch (const std::exception&) {
    return InvalidInput(fmt::format("{} '{}': expected FROM:TO, e.g. 0.8:1", option, text));
  }
  return range;
}

// Turns the method names of the command line into options; fails on unknown names.
Status ResolveNames(EvaluateArguments& arguments) {
  auto& options = arguments.options;
  if (auto method = analysis::ParseAucMethod(arguments.auc_method)) {
    options.auc_method = *method;
  } else {
    return InvalidInput(
        fmt::format("--ci-auc '{}': expected delong, bootstrap_percentile or bootstrap_bca",
                    arguments.auc_method));
  }
  if (auto method = stats::ParseProportionMethod(arguments.proportion_method)) {
    options.proportion_method = *method;
  } else {
    return InvalidInput(fmt::format(
        "--ci-proportion '{}': expected wilson, clopper_pearson, jeffreys, agresti_coull or wald",
        arguments.proportion_method));
  }
  if (auto method = stats::ParseMultiplicity(arguments.multiplicity)) {
    options.multiplicity = *method;
  } else {
    return InvalidInput(
        fmt::format("--multiplicity '{}': expected holm, bonferroni, benjamini_hochberg or none",
                    arguments.multiplicity));
  }
  if (!arguments.pauc_specificity.empty() && !arguments.pauc_sensitivity.empty()) {
    return InvalidInput("give --pauc-specificity or --pauc-sensitivity, not both");
  }
  for (auto [text, option, focus] : {std::tuple{&arguments.pauc_specificity, "--pauc-specificity",
                                                stats::PartialAucFocus::kSpecificity},
                                     {&arguments.pauc_sensitivity, "--pauc-sensitivity",
                                      stats::PartialAucFocus::kSensitivity}}) {
    if (text->empty()) continue;
    auto range = ParseRange(*text, option, focus);
    if (!range.ok()) return range.status();
    options.partial_auc = *range;
  }
  options.youden = !arguments.no_youden;
  arguments.roles.direction = arguments.direction == "lower"
                                  ? data::ScoreDirection::kLowerIsPositive
                                  : data::ScoreDirection::kHigherIsPositive;
  return Status::Ok();
}

nlohmann::json OptionsJson(const EvaluateArguments& arguments) {
  const auto& options = arguments.options;
  nlohmann::json out = {{"truth", arguments.roles.truth},
                        {"positive", arguments.roles.positive},
                        {"score", arguments.roles.score},
                        {"direction", arguments.direction},
                        {"groups", arguments.roles.groups},
                        {"thresholds", options.thresholds},
                        {"ci_auc", arguments.auc_method},
                        {"ci_proportion", arguments.proportion_method},
                        {"level", options.level},
                        {"bootstrap", options.bootstrap_replicates},
                        {"seed", options.seed},
                        {"multiplicity", arguments.multiplicity},
                        {"calibration_bins", options.calibration_bins}};
  if (arguments.roles.id) out["id"] = *arguments.roles.id;
  if (arguments.roles.cluster) out["cluster"] = *arguments.roles.cluster;
  if (arguments.roles.compare) out["compare"] = *arguments.roles.compare;
  if (options.prevalence) out["prevalence"] = *options.prevalence;
  if (options.target_sensitivity) out["target_sensitivity"] = *options.target_sensitivity;
  if (options.target_specificity) out["target_specificity"] = *options.target_specificity;
  if (options.compare_threshold) out["compare_threshold"] = *options.compare_threshold;
  if (!arguments.pauc_specificity.empty()) out["pauc_specificity"] = arguments.pauc_specificity;
  if (!arguments.pauc_sensitivity.empty()) out["pauc_sensitivity"] = arguments.pauc_sensitivity;
  out["youden"] = options.youden;
  out["exclude_missing_truth"] = arguments.roles.exclude_missing_truth;
  out["exclude_missing_score"] = arguments.roles.exclude_missing_score;
  return out;
}

int RunEvaluate(EvaluateArguments& arguments) {
  std::unique_ptr<tbb::global_control> threads;
  if (arguments.threads > 0) {
    threads = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                    arguments.threads);
  }
  if (Status status = ResolveNames(arguments); !status.ok()) return ReportFailure(status);

  auto table = data::LoadCaseTable(arguments.cases, arguments.roles);
  if (!table.ok()) return ReportFailure(table.status());
  auto evaluation = analysis::Evaluate(*table, arguments.options);
  if (!evaluation.ok()) return ReportFailure(evaluation.status());

  // The evidence is written first, so that a failed write prints no results.
  if (!arguments.out.empty()) {
    const evidence::RunContext context{ASSAY_VERSION, UtcNow(), arguments.command_line,
                                       OptionsJson(arguments)};
    const auto document = evidence::EvaluationToJson(*table, *evaluation, context);
    if (Status status = evidence::WriteEvidence(arguments.out, document); !status.ok()) {
      return ReportFailure(status);
    }
  }
  std::fputs(report::FormatEvaluation(*table, *evaluation).c_str(), stdout);
  if (!arguments.out.empty()) spdlog::info("wrote {}/evidence.json", arguments.out);
  return 0;
}

}  // namespace

Status WriteOutputFile(const std::string& path, std::string_view bytes) {
  const std::filesystem::path out(path);
  const std::filesystem::path folder =
      out.has_parent_path() ? out.parent_path() : std::filesystem::path(".");
  return evidence::WriteBundleFile(folder.string(), out.filename().string(), bytes);
}

std::string UtcNow() {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

int ReportFailure(const Status& status) {
  spdlog::error("{}", status.message());
  return status.code() == StatusCode::kInternal ? 1 : 2;
}

Runner AddEvaluateCommand(CLI::App& app) {
  auto arguments = std::make_shared<EvaluateArguments>();
  CLI::App* command = app.add_subcommand(
      "evaluate", "Diagnostic performance of a score against ground truth, with intervals");
  auto& roles = arguments->roles;
  auto& options = arguments->options;

  command->add_option("--cases", arguments->cases, "Case table (.csv, or .jsonl/.ndjson)")
      ->required();
  command->add_option("--truth", roles.truth, "Column holding the ground truth")->required();
  command->add_option("--positive", roles.positive, "Truth value of a positive case")->required();
  command->add_option("--score", roles.score, "Column holding the model's score")->required();
  command->add_option("--id", roles.id, "Column holding a unique case id");
  command->add_option("--cluster", roles.cluster,
                      "Column grouping cases of one patient (clustered intervals)");
  command->add_option("--group", roles.groups, "Subgroup column (repeatable)");
  command->add_option("--compare", roles.compare, "Comparator score column (paired tests)");
  command
      ->add_option("--direction", arguments->direction,
                   "'higher' (default) or 'lower': which scores mean positive")
      ->check(CLI::IsMember({"higher", "lower"}));
  command->add_flag("--exclude-missing-truth", roles.exclude_missing_truth,
                    "Exclude cases without truth (listed in the case flow)");
  command->add_flag("--exclude-missing-score", roles.exclude_missing_score,
                    "Exclude cases without a score (listed in the case flow)");
  command->add_option(
      "--threshold", options.thresholds,
      "Operating threshold: score >= T is positive (<= T with --direction lower); repeatable");
  command->add_option("--target-sensitivity", options.target_sensitivity,
                      "Operating point reaching this sensitivity (exploratory)");
  command->add_option("--target-specificity", options.target_specificity,
                      "Operating point reaching this specificity (exploratory)");
  command->add_flag("--no-youden", arguments->no_youden, "Omit the Youden-optimal point");
  command->add_option("--prevalence", options.prevalence,
                      "Intended-use prevalence for PPV and NPV");
  command->add_option("--pauc-specificity", arguments->pauc_specificity,
                      "Partial AUC over a specificity range FROM:TO");
  command->add_option("--pauc-sensitivity", arguments->pauc_sensitivity,
                      "Partial AUC over a sensitivity range FROM:TO");
  command->add_option("--compare-threshold", options.compare_threshold,
                      "Threshold for McNemar (default: the first --threshold)");
  command->add_option("--ci-auc", arguments->auc_method,
                      "delong (default), bootstrap_percentile, bootstrap_bca");
  command->add_option("--ci-proportion", arguments->proportion_method,
                      "wilson (default), clopper_pearson, jeffreys, agresti_coull, wald");
  command->add_option("--level", options.level, "Confidence level (default 0.95)");
  command
      ->add_option("--bootstrap", options.bootstrap_replicates,
                   "Bootstrap replicates (default 2000)")
      ->check(CLI::Range(100, 1000000));
  command->add_option("--seed", options.seed, "Seed of every resampling procedure");
  command->add_option("--multiplicity", arguments->multiplicity,
                      "holm (default), bonferroni, benjamini_hochberg, none");
  command
      ->add_option("--calibration-bins", options.calibration_bins, "Bins for ECE/MCE (default 10)")
      ->check(CLI::Range(1, 1000));
  command->add_option("--out", arguments->out, "Write DIR/evidence.json");
  command->add_option("--threads", arguments->threads, "Worker threads (default: all cores)")
      ->check(CLI::Range(0, 4096));

  return [arguments](const std::string& command_line) {
    arguments->command_line = command_line;
    return RunEvaluate(*arguments);
  };
}

}  // namespace assay::cli
