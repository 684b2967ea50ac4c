// CaseTable: the cases of one cohort in columns, ready for analysis, and the
// case flow that accounts for every record received.
//
// LoadCaseTable reads a CSV or JSON Lines file with named column roles
// (truth, score, optional id, cluster, comparator score and subgroup columns),
// validates every value, and either returns the table or an error naming the
// file, line and column. Records left out on purpose (missing truth or score,
// when the caller allows it) are listed in the case flow with their reason;
// nothing else is ever dropped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "assay/core/status.h"

namespace assay::data {

enum class ScoreDirection { kHigherIsPositive, kLowerIsPositive };

struct CaseRoles {
  std::string truth;
  std::string positive;  // the truth value that marks a positive case
  std::string score;
  std::optional<std::string> id;
  std::optional<std::string> cluster;  // e.g. patient, when a patient has several cases
  std::optional<std::string> compare;  // comparator score on the same cases
  std::vector<std::string> groups;     // subgroup columns
  ScoreDirection direction = ScoreDirection::kHigherIsPositive;
  bool exclude_missing_truth = false;
  bool exclude_missing_score = false;
  // Indeterminate outputs. With keep_indeterminate, a record whose score is missing (and not
  // excluded), or whose output_status is not a valid status, stays in the table with a NaN
  // score and is listed in CaseTable::indeterminate; the caller decides how to count it.
  std::optional<std::string> output_status;        // column naming the model's output status
  std::vector<std::string> valid_status = {"ok"};  // statuses of a valid output
  std::vector<std::string> rejected_status;        // the model refused the input as out of scope
  bool keep_indeterminate = false;
};

// Why a model output is indeterminate.
enum class OutputProblem : std::uint8_t {
  kNoOutput,          // valid status (or none) but no score
  kTechnicalFailure,  // a status that is neither valid nor rejected
  kRejectedInput,     // a rejected status
};

// "no_output", "technical_failure", "rejected_input".
const char* OutputProblemName(OutputProblem problem);

// An analysed case whose model output is indeterminate (its score is NaN).
struct IndeterminateCase {
  std::size_t index;  // row in the table
  std::uint64_t line;
  OutputProblem problem;
};

// One record excluded from analysis, and why.
struct Exclusion {
  std::string reason;  // "missing_truth", "missing_score", "missing_comparator_score"
  std::uint64_t line;
  std::string id;  // the case id when an id column is given, else empty
};

// received → excluded (by reason) → analysed, as STARD asks.
struct CaseFlow {
  std::uint64_t received = 0;
  std::vector<Exclusion> exclusions;
  std::uint64_t analysed = 0;
};

// A categorical column as codes into its levels, in order of first appearance.
// Missing values form their own level, named "(missing)".
struct CategoricalColumn {
  std::string name;
  std::vector<std::string> levels;
  std::vector<std::uint32_t> codes;
};

struct CaseTable {
  std::string source;          // path the cases came from
  std::string positive_label;  // truth value of positives
  std::string negative_label;  // the single other truth value
  ScoreDirection direction = ScoreDirection::kHigherIsPositive;

  // One entry per analysed case, in file order. Scores are as in the file;
  // analyses orient them with `direction`.
  std::vector<double> score;
  std::vector<std::uint8_t> truth;  // 1 = positive
  std::vector<double> compare;      // empty without a comparator
  std::optional<CategoricalColumn> cluster;
  std::vector<CategoricalColumn> groups;
  std::vector<std::string> id;                   // case ids; empty without an id column
  std::vector<IndeterminateCase> indeterminate;  // in row order; empty unless kept

  CaseFlow flow;

  std::size_t size() const { return score.size(); }
  std::size_t positives() const;
};

inline constexpr const char* kMissingLevel = "(missing)";

// The rows of `table` where keep[i] is non-zero, with the case flow unchanged.
CaseTable SelectRows(const CaseTable& table, const std::vector<std::uint8_t>& keep);

// Reads and validates the cases of `path`. Errors (exit code 2 at the command
// line): unreadable file, missing column, empty table, a score that is not a
// finite number, a truth value that is neither `positive` nor the single
// other value, a duplicate id, only one class present.
Result<CaseTable> LoadCaseTable(const std::string& path, const CaseRoles& roles);

}  // namespace assay::data
