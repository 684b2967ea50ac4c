// `assay mrmc`: a reader study's ratings table read into a fully crossed design, every MRMC
// analysis of stats/mrmc.h run on it, and the result as JSON (mrmc.json, the `mrmc` object of
// docs/evidence.md) and as a terminal report.
//
//   auto design = evidence::LoadRatings("ratings.csv", {});
//   auto analysis = evidence::AnalyzeReaderStudy(*design, {}, std::nullopt);
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "assay/core/status.h"
#include "assay/stats/mrmc.h"

namespace assay::evidence {

// The ratings table's columns. An empty modality names the first of "modality" and
// "treatment" that the table has.
struct RatingColumns {
  std::string reader = "reader";
  std::string modality;
  std::string case_id = "case";
  std::string truth = "truth";
  std::string rating = "rating";
};

// Reads a ratings table (CSV or JSON Lines): one row per reader, modality and case, truth 0 or
// 1, the rating a finite number (higher: more confident the case is positive). Modalities,
// readers and cases keep the order they first appear in. Errors (kInvalidInput, exit 2), each
// naming file and line: a missing column, an empty or malformed value, a case whose truth
// differs between rows, a reader who rated a case twice under one modality, and a design that
// is not fully crossed (split-plot and partially paired designs), naming a missing cell.
Result<stats::MrmcDesign> LoadRatings(const std::string& path, RatingColumns columns);

// The standalone reader's (the AI's) score for every case of `design`, from a table with the
// case column and `score_column`. Errors (kInvalidInput): a case of the design without a
// score, a score that is not a finite number, a case given twice. `unused` counts the table's
// cases that are not in the design.
Result<std::vector<double>> LoadStandalone(const std::string& path, const std::string& case_column,
                                           const std::string& score_column,
                                           const stats::MrmcDesign& design, std::size_t& unused);

// A planned study: the readers and cases that reach `power` for a difference `effect`.
struct PlanningOptions {
  double effect = 0.0;  // 0: no plan
  double power = 0.8;
  double alpha = 0.05;
  std::size_t minimum_readers = 3, maximum_readers = 15, maximum_cases = 5000;
};

struct ReaderStudyAnalysis {
  std::string ratings;  // the file read
  stats::MrmcOptions options;
  std::size_t modalities = 0, readers = 0, cases = 0, positives = 0, negatives = 0;
  std::vector<std::string> modality_names, reader_names;
  stats::OrResult obuchowski_rockette;
  std::optional<stats::DbmResult> dorfman_berbaum_metz;  // two or more modalities
  std::vector<stats::UStatisticEstimate> gallas;
  std::string standalone;  // the standalone file; empty without one
  std::size_t standalone_unused = 0;
  std::vector<stats::StandaloneComparison> standalone_comparisons;  // one per modality
  PlanningOptions planning;
  std::vector<stats::PowerPlan> plans;
};

// Runs Obuchowski-Rockette, DBM, Gallas's variance, the standalone comparison (with scores)
// and the plan (planning.effect > 0). Errors as the analyses'.
Result<ReaderStudyAnalysis> AnalyzeReaderStudy(const stats::MrmcDesign& design,
                                               const stats::MrmcOptions& options,
                                               const std::optional<std::vector<double>>& standalone,
                                               const PlanningOptions& planning);

nlohmann::json ReaderStudyJson(const ReaderStudyAnalysis& analysis);
std::string FormatReaderStudy(const ReaderStudyAnalysis& analysis);

}  // namespace assay::evidence
