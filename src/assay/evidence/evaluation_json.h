// The evidence.json document of `assay evaluate`: findings, comparisons,
// subgroup tests, case flow, curves and methods, in the versioned schema
// documented in docs/evidence.schema.json.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "assay/analysis/evaluation.h"
#include "assay/data/case_table.h"

namespace assay::evidence {

inline constexpr const char* kSchemaVersion = "0.9.0";

// What produced the evaluation, recorded for reproducibility.
struct RunContext {
  std::string tool_version;
  std::string created;  // ISO 8601 UTC timestamp
  std::string command_line;
  nlohmann::json options;  // the options as given
};

// A number as evidence.json writes it: JSON has no infinity or NaN, so those are null.
nlohmann::json JsonNumber(double value);

// An interval as evidence.json writes it (lower, upper, level, method; an unbounded end
// null); null without one.
nlohmann::json IntervalJson(const std::optional<stats::Interval>& ci);

// One finding or paired comparison as it appears in evidence.json.
nlohmann::json FindingJson(const analysis::Finding& finding);
nlohmann::json ComparisonJson(const analysis::Comparison& comparison);

nlohmann::json EvaluationToJson(const data::CaseTable& table,
                                const analysis::Evaluation& evaluation, const RunContext& context);

// Writes `document` to `directory`/evidence.json via a temporary file and a
// rename, so a failed run never leaves a partial file. Creates the directory.
Status WriteEvidence(const std::string& directory, const nlohmann::json& document);

}  // namespace assay::evidence
