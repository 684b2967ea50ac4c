// Plain-text rendering of an evaluation for the terminal: the case flow,
// then one line per finding, then comparisons and subgroup tests.
#pragma once

#include <string>

#include "assay/analysis/evaluation.h"
#include "assay/data/case_table.h"

namespace assay::report {

std::string FormatEvaluation(const data::CaseTable& table, const analysis::Evaluation& evaluation);

}  // namespace assay::report
