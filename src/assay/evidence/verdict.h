// Verdicts: what an interval says about a pre-specified claim.
//
// A claim is judged by where its confidence interval lies relative to the
// goal: wholly on the good side (supported), wholly on the bad side (not
// supported), or straddling it (inconclusive). A gate that failed before any
// statistics (too few cases, no cluster-aware interval, ...) makes the claim
// not evaluable. The overall verdict for a purpose combines the primary
// claims. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "assay/stats/interval.h"

namespace assay::evidence {

enum class Verdict { kSupported, kNotSupported, kInconclusive, kNotEvaluable };
enum class OverallVerdict { kSufficient, kContradicted, kInsufficient };

// "supported", "not_supported", "inconclusive", "not_evaluable".
std::string_view VerdictName(Verdict verdict);
// "sufficient", "contradicted", "insufficient".
std::string_view OverallVerdictName(OverallVerdict verdict);

// For a metric where higher is better: supported when the lower bound is
// above `goal`, not supported when the upper bound is below it, otherwise
// inconclusive (a bound equal to the goal does not clear it).
Verdict JudgeAgainstGoal(const stats::Interval& interval, double goal);

// For a difference (model minus comparator, higher is better):
// non-inferiority is supported when the lower bound is above -margin;
// superiority when it is above +margin; symmetrically not supported when the
// upper bound is below that value. Requires margin >= 0.
Verdict JudgeDifference(const stats::Interval& difference, double margin, bool superiority);

// Contradicted when any primary claim is not supported; sufficient when every
// primary claim is supported and no critical subgroup concern is raised;
// otherwise insufficient. No primary claim at all is insufficient.
OverallVerdict CombinePrimary(std::span<const Verdict> primary, bool subgroup_concern);

}  // namespace assay::evidence
