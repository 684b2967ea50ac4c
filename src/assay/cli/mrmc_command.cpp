// `assay mrmc`: multi-reader multi-case analysis of a reader study's ratings.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "assay/cli/commands.h"
#include "assay/evidence/mrmc.h"

namespace assay::cli {
namespace {

struct MrmcArguments {
  std::string ratings, out;
  evidence::RatingColumns columns;
  std::string figure = "auc", covariance = "jackknife";
  std::optional<double> threshold;
  double level = 0.95;
  std::string standalone, standalone_score = "score";
  evidence::PlanningOptions planning;
};

Result<stats::MrmcOptions> ParseOptions(const MrmcArguments& arguments) {
  stats::MrmcOptions options;
  options.level = arguments.level;
  const auto figure = stats::ParseFigureOfMerit(arguments.figure);
  if (!figure) {
    return InvalidInput(
        fmt::format("--figure '{}' is not one of auc, sensitivity, specificity", arguments.figure));
  }
  options.figure = *figure;
  if (options.figure != stats::FigureOfMerit::kAuc) {
    if (!arguments.threshold) {
      return InvalidInput(fmt::format(
          "--figure {} needs --threshold: the rating from which a case is called positive",
          arguments.figure));
    }
    options.threshold = *arguments.threshold;
  }
  const auto covariance = stats::ParseMrmcCovariance(arguments.covariance);
  if (!covariance) {
    return InvalidInput(
        fmt::format("--cov '{}' is not one of jackknife, delong, unbiased", arguments.covariance));
  }
  options.covariance = *covariance;
  return options;
}

int MrmcCommand(const MrmcArguments& arguments, const std::string& command_line) {
  const auto options = ParseOptions(arguments);
  if (!options.ok()) return ReportFailure(options.status());
  auto design = evidence::LoadRatings(arguments.ratings, arguments.columns);
  if (!design.ok()) return ReportFailure(design.status());
  std::optional<std::vector<double>> standalone;
  std::size_t unused = 0;
  if (!arguments.standalone.empty()) {
    auto scores = evidence::LoadStandalone(arguments.standalone, arguments.columns.case_id,
                                           arguments.standalone_score, *design, unused);
    if (!scores.ok()) return ReportFailure(scores.status());
    standalone = std::move(*scores);
  }
  auto analysis = evidence::AnalyzeReaderStudy(*design, *options, standalone, arguments.planning);
  if (!analysis.ok()) return ReportFailure(analysis.status());
  analysis->ratings = arguments.ratings;
  analysis->standalone = arguments.standalone;
  analysis->standalone_unused = unused;

  if (!arguments.out.empty()) {
    nlohmann::json document = evidence::ReaderStudyJson(*analysis);
    document["tool"] = {{"name", "assay"}, {"version", ASSAY_VERSION}};
    document["created"] = UtcNow();
    document["command"] = command_line;
    std::error_code error;
    std::filesystem::create_directories(arguments.out, error);
    if (error) {
      return ReportFailure(
          IoError(fmt::format("{}: cannot create the folder: {}", arguments.out, error.message())));
    }
    const std::string path = (std::filesystem::path(arguments.out) / "mrmc.json").string();
    if (Status status = WriteOutputFile(path, document.dump(1) + "\n"); !status.ok()) {
      return ReportFailure(status);
    }
    spdlog::info("wrote {}", path);
  }
  std::fputs(evidence::FormatReaderStudy(*analysis).c_str(), stdout);
  std::fflush(stdout);
  return 0;
}

}  // namespace

Runner AddMrmcCommand(CLI::App& app) {
  auto arguments = std::make_shared<MrmcArguments>();
  CLI::App* command = app.add_subcommand(
      "mrmc",
      "Multi-reader multi-case analysis of a reader study (Obuchowski-Rockette, DBM, U-statistic "
      "variance, standalone AI against the readers, study planning)");
  command
      ->add_option("--ratings", arguments->ratings,
                   "Ratings table (CSV/JSONL): reader, modality (or treatment), case, truth "
                   "(0/1), rating")
      ->required();
  command->add_option("--reader-column", arguments->columns.reader, "Reader column (reader)");
  command->add_option("--modality-column", arguments->columns.modality,
                      "Modality column (modality, else treatment)");
  command->add_option("--case-column", arguments->columns.case_id, "Case column (case)");
  command->add_option("--truth-column", arguments->columns.truth, "Truth column (truth)");
  command->add_option("--rating-column", arguments->columns.rating, "Rating column (rating)");
  command->add_option("--figure", arguments->figure,
                      "Figure of merit: auc (empirical, default), sensitivity, specificity");
  command->add_option("--threshold", arguments->threshold,
                      "Sensitivity and specificity: a case is called positive when its rating "
                      ">= this");
  command->add_option("--cov", arguments->covariance,
                      "Covariance of the Obuchowski-Rockette analysis: jackknife (default), "
                      "delong, unbiased");
  command->add_option("--level", arguments->level, "Confidence level (default 0.95)")
      ->check(CLI::Range(0.5, 0.9999));
  command->add_option("--standalone", arguments->standalone,
                      "The AI's scores (CSV/JSONL with the case column and --standalone-score): "
                      "compare it, as a reader, with the panel");
  command->add_option("--standalone-score", arguments->standalone_score,
                      "Score column of --standalone (score)");
  command
      ->add_option("--plan-effect", arguments->planning.effect,
                   "Plan a study: the difference in the figure of merit to detect")
      ->check(CLI::Range(0.0, 1.0));
  command->add_option("--plan-power", arguments->planning.power, "Power of the planned study (0.8)")
      ->check(CLI::Range(0.5, 0.999));
  command
      ->add_option("--plan-alpha", arguments->planning.alpha,
                   "Two-sided significance level of the planned study (0.05)")
      ->check(CLI::Range(0.0001, 0.5));
  command
      ->add_option("--plan-readers", arguments->planning.maximum_readers,
                   "Plan for 3 to this many readers (15)")
      ->check(CLI::Range(3, 100));
  command->add_option("--out", arguments->out, "Write mrmc.json into the folder DIR");
  return [arguments](const std::string& command_line) {
    return MrmcCommand(*arguments, command_line);
  };
}

}  // namespace assay::cli
