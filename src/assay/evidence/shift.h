// `assay shift`: two cohorts' case tables read into attribute samples, the
// comparison's JSON (shift.json, the `shift` section of docs/evidence.md) and
// its terminal table.
//
//   auto samples = evidence::LoadShiftSamples("dev.csv", "site.csv", {"age", "vendor"});
//   auto result = analysis::CompareCohorts(*samples, {});
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "assay/analysis/domain_classifier.h"
#include "assay/analysis/shift.h"
#include "assay/core/status.h"

namespace assay::evidence {

// Reads `columns` from both tables (CSV or JSON Lines). A column is numeric
// when every present value in both cohorts is a finite number and there are
// more than six distinct ones; otherwise categorical, an empty value forming
// the level "(missing)". Errors (kInvalidInput, exit 2): a file or column
// that is missing, a malformed record (named by file and line), a
// non-numeric column with more than 1,000 distinct values.
Result<std::vector<analysis::ShiftSample>> LoadShiftSamples(
    const std::string& reference, const std::string& target,
    const std::vector<std::string>& columns);

nlohmann::json ShiftToJson(const analysis::ShiftResult& result,
                           const analysis::DomainClassifierResult& domain);

// One line per attribute, shifted ones first, then the domain classifier.
std::string FormatShift(const analysis::ShiftResult& result,
                        const analysis::DomainClassifierResult& domain);

}  // namespace assay::evidence
