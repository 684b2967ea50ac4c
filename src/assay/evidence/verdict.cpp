#include "assay/evidence/verdict.h"

#include <algorithm>

namespace assay::evidence {

std::string_view VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kSupported:
      return "supported";
    case Verdict::kNotSupported:
      return "not_supported";
    case Verdict::kInconclusive:
      return "inconclusive";
    case Verdict::kNotEvaluable:
      return "not_evaluable";
  }
  return "unknown";
}

std::string_view OverallVerdictName(OverallVerdict verdict) {
  switch (verdict) {
    case OverallVerdict::kSufficient:
      return "sufficient";
    case OverallVerdict::kContradicted:
      return "contradicted";
    case OverallVerdict::kInsufficient:
      return "insufficient";
  }
  return "unknown";
}

Verdict JudgeAgainstGoal(const stats::Interval& interval, double goal) {
  if (interval.lower > goal) return Verdict::kSupported;
  if (interval.upper < goal) return Verdict::kNotSupported;
  return Verdict::kInconclusive;
}

Verdict JudgeDifference(const stats::Interval& difference, double margin, bool superiority) {
  return JudgeAgainstGoal(difference, superiority ? margin : -margin);
}

OverallVerdict CombinePrimary(std::span<const Verdict> primary, bool subgroup_concern) {
  auto any = [&primary](Verdict wanted) {
    return std::find(primary.begin(), primary.end(), wanted) != primary.end();
  };
  if (any(Verdict::kNotSupported)) return OverallVerdict::kContradicted;
  const bool all_supported =
      !primary.empty() && std::all_of(primary.begin(), primary.end(),
                                      [](Verdict v) { return v == Verdict::kSupported; });
  if (all_supported && !subgroup_concern) return OverallVerdict::kSufficient;
  return OverallVerdict::kInsufficient;
}

}  // namespace assay::evidence
