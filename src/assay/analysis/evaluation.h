// Binary diagnostic performance of one score on one case table: the
// computation behind `assay evaluate`.
//
// Evaluate() turns a validated CaseTable and options into findings (metric,
// estimate, interval, counts, subgroup), paired comparisons, subgroup
// heterogeneity tests and the curves a report draws. It never prints and
// never reads files. Results are a pure function of the table and options
// (the seed included), whatever the number of threads.
//
//   auto table = data::LoadCaseTable("cases.csv", roles);
//   auto evaluation = analysis::Evaluate(*table, analysis::EvaluationOptions{});
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "assay/core/status.h"
#include "assay/data/case_table.h"
#include "assay/stats/calibration.h"
#include "assay/stats/interval.h"
#include "assay/stats/multiplicity.h"
#include "assay/stats/proportion.h"
#include "assay/stats/roc.h"

namespace assay::analysis {

enum class AucMethod { kDelong, kBootstrapPercentile, kBootstrapBca };
std::string_view AucMethodName(AucMethod method);
std::optional<AucMethod> ParseAucMethod(std::string_view name);

struct PartialAucRange {
  stats::PartialAucFocus focus = stats::PartialAucFocus::kSpecificity;
  double from = 0.8;
  double to = 1.0;
};

struct EvaluationOptions {
  double level = 0.95;
  AucMethod auc_method = AucMethod::kDelong;
  stats::ProportionMethod proportion_method = stats::ProportionMethod::kWilson;
  std::size_t bootstrap_replicates = 2000;
  std::uint64_t seed = 20240101;
  std::vector<double> thresholds;  // in the score's own scale
  std::optional<double> target_sensitivity;
  std::optional<double> target_specificity;
  bool youden = true;
  std::optional<double> prevalence;  // intended-use prevalence for PPV/NPV
  std::optional<PartialAucRange> partial_auc;
  std::optional<double> compare_threshold;  // McNemar; defaults to the first threshold
  stats::Multiplicity multiplicity = stats::Multiplicity::kHolm;
  std::size_t calibration_bins = 10;
};

struct Subgroup {
  std::string column;
  std::string value;
};

// How an operating point was chosen. Points chosen on the test data itself
// (target sensitivity/specificity, Youden) make their findings exploratory.
struct OperatingPoint {
  std::string rule;  // "threshold", "target_sensitivity", "target_specificity", "youden"
  double threshold;  // in the score's own scale
  std::optional<double> target;
  bool chosen_on_test_data = false;
};

struct Finding {
  std::string metric;
  double estimate = 0.0;
  std::optional<stats::Interval> ci;
  std::uint64_t n = 0, n_positive = 0, n_negative = 0;
  std::optional<OperatingPoint> operating_point;
  std::optional<Subgroup> subgroup;
  std::optional<double> prevalence;                  // PPV/NPV at a stated prevalence
  std::optional<double> design_effect;               // clustered AUC
  std::optional<std::string> binning;                // ECE/MCE: "equal_width" or "equal_mass"
  std::optional<PartialAucRange> partial_auc_range;  // pAUC: the range it covers
  double partial_auc_raw = 0.0;                      // pAUC: the unstandardized area
  bool exploratory = false;
};

struct Comparison {
  std::string test;       // "delong_paired", "mcnemar"
  std::string metric;     // "auc", "sensitivity", "specificity"
  double estimate = 0.0;  // score minus comparator
  stats::Interval ci;
  double statistic = 0.0;
  double p_value = 1.0;
  std::optional<double> mid_p_value;
  std::optional<double> threshold;
  std::uint64_t discordant_first = 0, discordant_second = 0;
};

struct Heterogeneity {
  std::string column;
  std::string metric;
  std::optional<double> threshold;
  std::string test;  // "cochran_q", "chi_square"
  double statistic = 0.0;
  double degrees_of_freedom = 0.0;
  double p_value = 1.0;
  double p_adjusted = 1.0;
  std::string adjustment;
};

// A requested result that the data cannot give, and why.
struct NotEvaluable {
  std::string metric;
  std::optional<Subgroup> subgroup;
  std::string reason;
};

struct Evaluation {
  std::uint64_t n = 0, n_positive = 0, n_negative = 0;
  std::vector<OperatingPoint> operating_points;
  std::vector<Finding> findings;
  std::vector<Comparison> comparisons;
  std::vector<Heterogeneity> heterogeneity;
  std::vector<NotEvaluable> not_evaluable;
  std::vector<stats::RocPoint> roc_curve;          // thresholds in the score's own scale
  std::vector<stats::ReliabilityBin> reliability;  // equal-width bins
};

// Requires a table from LoadCaseTable (both classes present). Fails on
// options the data cannot honour (e.g. a target sensitivity outside (0, 1]).
Result<Evaluation> Evaluate(const data::CaseTable& table, const EvaluationOptions& options);

}  // namespace assay::analysis
