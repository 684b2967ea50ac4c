// The evidence.json document of `assay run`: the evaluation document of
// `assay evaluate` extended with the protocol, the gates, a verdict per
// endpoint with the cases needed, subgroup results and the overall verdict.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "assay/evidence/evaluation_json.h"
#include "assay/evidence/study.h"

namespace assay::evidence {

nlohmann::json StudyToJson(const Protocol& protocol, const StudyResult& study,
                           const RunContext& context);

// Plain-language summary, verdict first, for the terminal; verdict words in
// ANSI colours when `colour` is set (the caller decides: a terminal, no NO_COLOR).
std::string FormatStudySummary(const Protocol& protocol, const StudyResult& study,
                               bool colour = false);

}  // namespace assay::evidence
