// The data audit: what is wrong with an imaging cohort before any statistic
// is computed, and the case flow from files received to cases analysed.
//
// Reads an instance-level inventory written by `assay scan`, optionally the
// labels (joined by a key the user names) and the inventory of the
// development cohort (for patient overlap), and reports per column missing,
// unreadable and implausible values; unreadable files by reason; duplicate
// instances; cases without labels and labels without images; conflicting
// labels; patients shared with the development cohort. Nothing is dropped
// without appearing in the case flow.
#pragma once

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "assay/core/status.h"

namespace assay::data {

struct AuditInputs {
  std::string inventory;  // instance-level inventory CSV from `assay scan`
  // Inventory of the development (training) cohort, scanned with the same key.
  std::optional<std::string> development;
  // Labels: a CSV or JSON Lines table, its key column, and the truth column.
  std::optional<std::string> labels;
  std::string image_key = "StudyInstanceUID";  // inventory column that defines a case
  std::string label_key;                       // labels column matched to it (default: same name)
  std::string truth = "truth";
  // Further label columns carried into the case table (e.g. a lesion size), after the
  // acquisition attributes; a case's value comes from its first label row.
  std::vector<std::string> label_columns;
  // Model outputs: a table with the case key and a score column.
  std::optional<std::string> predictions;
  std::string prediction_key;  // default: the same name as image_key
  std::string score = "score";
};

// Missing, unreadable and implausible values of one attribute.
struct ColumnQuality {
  std::string column;                 // the attribute as read (e.g. PatientAge)
  std::string harmonized;             // its harmonized column (e.g. age_years)
  std::size_t missing = 0;            // original blank
  std::size_t unparseable = 0;        // original present, harmonized value empty
  std::size_t implausible = 0;        // harmonized value outside its plausible range
  std::vector<std::string> examples;  // up to 3 distinct unreadable or implausible originals
};

// One step of the case flow: `count` files or cases leaving (or reaching) a stage.
struct CaseFlowStep {
  std::string stage;   // "received", "excluded", "analysed"
  std::string unit;    // "files" or "cases"
  std::string reason;  // for exclusions: a reason code
  std::size_t count = 0;
};

struct AuditReport {
  std::size_t files = 0;
  std::size_t files_read = 0;
  std::map<std::string, std::size_t> unreadable;  // reason code -> files
  std::vector<ColumnQuality> columns;
  std::size_t duplicate_instances = 0;  // rows repeating an earlier SOPInstanceUID
  // Rows whose decoded pixels equal an earlier row's (inventories scanned with --pixel-hash).
  std::optional<std::size_t> duplicate_images;
  std::size_t missing_key = 0;  // readable instances without the case key
  std::size_t cases = 0;        // distinct keys with at least one image
  std::optional<std::size_t> unlabeled_cases;
  std::optional<std::size_t> labels_without_images;
  std::optional<std::size_t> conflicting_cases;  // keys whose label rows disagree
  // label_columns: per column, analysed cases whose label rows disagree on it (left blank).
  std::map<std::string, std::size_t> label_value_conflicts;
  std::optional<std::size_t> shared_patients;             // pseudonyms also in development
  std::optional<std::size_t> shared_cases;                // cases of those patients
  std::optional<std::size_t> cases_without_prediction;    // analysed cases with no score
  std::optional<std::size_t> predictions_without_images;  // prediction keys with no image
  std::vector<CaseFlowStep> flow;
  std::size_t analysed = 0;
  // The analysed cases, one row each: the key, the patient pseudonym, the
  // truth and score where given, the number of instances, and the
  // acquisition attributes of the case's first instance (in path order).
  std::vector<std::string> case_columns;
  std::vector<std::vector<std::string>> case_rows;
};

// Errors (kInvalidInput / kIoError) name the file, line and column: a missing
// column, an unreadable table, a label row without a key.
Result<AuditReport> Audit(const AuditInputs& inputs);

// The `audit` section of evidence.json.
nlohmann::json AuditToJson(const AuditReport& report);

// The analysed cases as CSV: a case table that `assay evaluate` and `assay run` read.
std::string AuditCasesCsv(const AuditReport& report);

// A readable table for the terminal.
std::string FormatAudit(const AuditReport& report);

}  // namespace assay::data
