// How an endpoint becomes an evaluation: shared by the study run and the
// stress tests, so that both judge an endpoint the same way.
#pragma once

#include <optional>
#include <string>

#include "assay/analysis/evaluation.h"
#include "assay/core/status.h"
#include "assay/evidence/protocol.h"

namespace assay::evidence {

// The evaluation options of one endpoint (its operating point, interval
// method and level), or, for spec == nullptr, of the whole protocol (every
// endpoint's threshold, default methods).
Result<analysis::EvaluationOptions> EndpointOptions(const Protocol& protocol,
                                                    const EndpointSpec* spec);

// The finding for `metric` on all cases (no subgroup, no stated prevalence).
std::optional<analysis::Finding> OverallFinding(const analysis::Evaluation& evaluation,
                                                const std::string& metric);

// Why the evaluation gives no interval for `metric`, in its own words.
std::string NotEvaluableReason(const analysis::Evaluation& evaluation, const std::string& metric);

}  // namespace assay::evidence
