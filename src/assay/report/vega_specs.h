// Vega-Lite specifications of the report's plots, built from the content of
// an `assay run` evidence.json. Every plot of the report is one of these
// JSON documents, rendered in the browser by Vega-Lite; assay draws nothing
// itself. Each function returns null when the evidence holds nothing to plot.
//
// Verdict and status colours come from the Okabe-Ito palette (distinguishable
// with the common colour-vision deficiencies) and always travel with a shape
// and a word in the tooltip and legend, never as the only carrier.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace assay::report {

// `object[key]` without copying, or a null value when `object` is not an
// object or lacks the key (the evidence documents are read, never changed).
const nlohmann::json& Member(const nlohmann::json& object, std::string_view key);

// object.value(key, fallback) that gives `fallback` for a non-object, a
// missing key or a value of another type, instead of throwing.
template <typename T>
T ValueOr(const nlohmann::json& object, std::string_view key, T fallback) {
  const nlohmann::json& member = Member(object, key);
  if (member.is_null()) return fallback;
  if constexpr (std::is_same_v<T, bool>) {
    return member.is_boolean() ? member.get<bool>() : fallback;
  } else if constexpr (std::is_arithmetic_v<T>) {
    return member.is_number() ? member.get<T>() : fallback;
  } else {
    return member.is_string() ? member.get<T>() : fallback;
  }
}
inline std::string ValueOr(const nlohmann::json& object, std::string_view key,
                           const char* fallback) {
  return ValueOr(object, key, std::string(fallback));
}

// Counts of scores by truth over equal-width bins of [lower, upper].
struct ScoreHistogram {
  double lower = 0.0, upper = 0.0;
  std::vector<std::uint64_t> positives, negatives;  // one count per bin
};

// `bins` equal-width bins spanning the smallest to the largest score (one
// bin when all scores are equal). Empty histogram without scores.
ScoreHistogram MakeScoreHistogram(const std::vector<double>& positive_scores,
                                  const std::vector<double>& negative_scores, std::size_t bins);

// A colour and a shape for each verdict or subgroup status word
// ("supported", "signal", ...); grey and a square for unknown words.
struct VerdictStyle {
  std::string_view colour, shape, symbol;  // symbol: a character shown beside the word
};
VerdictStyle StyleOf(std::string_view verdict_or_status);

// The ROC curve (at most `max_points` points kept where it bends most), the
// diagonal, a pointwise Wilson band for sensitivity at each threshold and the
// protocol's operating points.
nlohmann::json RocSpec(const nlohmann::json& evidence, std::size_t max_points = 600);

// Observed event rate against mean predicted probability per reliability bin,
// with the line of perfect calibration.
nlohmann::json ReliabilitySpec(const nlohmann::json& evidence);

// Subgroup estimates with intervals for one primary endpoint, the goal line
// (the subgroup goal, else the endpoint's goal) and colour by status.
nlohmann::json ForestSpec(const nlohmann::json& evidence, const std::string& endpoint);

// Score histograms of positives and negatives.
nlohmann::json ScoreDistributionSpec(const ScoreHistogram& histogram,
                                     const std::string& positive_label,
                                     const std::string& negative_label);

// Positives and negatives per subgroup level, as stacked bars.
nlohmann::json SubgroupCountsSpec(const nlohmann::json& evidence);

// Degradation curves of one endpoint under the stress tests: its estimate and
// interval against severity, one line per perturbation (severity 0 is the
// clean images), with the goal line. Null without a `stress` section.
nlohmann::json StressSpec(const nlohmann::json& evidence, const std::string& endpoint);

// Deployment strata (rows) against the endpoints judged in them (columns), coloured
// by coverage, with each stratum's estimate and cases. Null without `deployment`.
nlohmann::json CoverageSpec(const nlohmann::json& evidence);

// [mrmc]: each reader's figure of merit under each modality, a line per reader, with the
// reader-averaged figure and its interval (random readers and cases); null without it.
nlohmann::json ReaderFiguresSpec(const nlohmann::json& evidence);

}  // namespace assay::report
