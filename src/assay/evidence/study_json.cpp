#include "assay/evidence/study_json.h"

#include <fmt/format.h>

namespace assay::evidence {
namespace {

using nlohmann::json;

json Optional(const std::optional<std::uint64_t>& value) {
  return value ? json(*value) : json(nullptr);
}

const char* HypothesisName(Hypothesis hypothesis) {
  switch (hypothesis) {
    case Hypothesis::kGoal:
      return "goal";
    case Hypothesis::kNonInferiority:
      return "non_inferiority";
    case Hypothesis::kSuperiority:
      return "superiority";
  }
  return "goal";
}

json EndpointJson(const EndpointResult& endpoint) {
  const auto& spec = endpoint.spec;
  json out = {
      {"id", spec.id},
      {"metric", spec.metric},
      {"hypothesis", HypothesisName(spec.hypothesis)},
      {"primary", spec.primary},
      {"verdict", VerdictName(endpoint.verdict)},
      {"reason", endpoint.reason},
      {"exploratory", endpoint.exploratory},
      {"finding", endpoint.finding ? FindingJson(*endpoint.finding) : json(nullptr)},
      {"comparison", endpoint.comparison ? ComparisonJson(*endpoint.comparison) : json(nullptr)}};
  if (spec.goal) out["goal"] = *spec.goal;
  if (spec.margin) out["margin"] = *spec.margin;
  if (spec.comparator) out["comparator"] = *spec.comparator;
  if (spec.threshold) out["threshold"] = *spec.threshold;
  if (const auto& needed = endpoint.cases_needed) {
    out["cases_needed"] = {
        {"unit", needed->unit},
        {"precision_additional_positives", Optional(needed->precision_positives)},
        {"precision_additional_negatives", Optional(needed->precision_negatives)},
        {"power", needed->power},
        {"power_total_positives", Optional(needed->power_positives)},
        {"power_total_negatives", Optional(needed->power_negatives)}};
  }
  return out;
}

// "about 110 more positive cases would decide it", or nothing.
std::string CasesNeededText(const EndpointResult& endpoint) {
  if (!endpoint.cases_needed) return "";
  const auto& needed = *endpoint.cases_needed;
  if (needed.precision_positives && needed.precision_negatives) {
    return fmt::format(
        "; about {} more positive and {} more negative cases would decide it if "
        "the estimate holds",
        *needed.precision_positives, *needed.precision_negatives);
  }
  const auto& more =
      needed.precision_positives ? needed.precision_positives : needed.precision_negatives;
  if (!more) return "; no realistic number of further cases decides it at this estimate";
  const char* kind = needed.unit == "positives"   ? "positive "
                     : needed.unit == "negatives" ? "negative "
                                                  : "";
  return fmt::format("; about {} more {}cases would decide it if the estimate holds", *more, kind);
}

}  // namespace

json StudyToJson(const Protocol& protocol, const StudyResult& study, const RunContext& context) {
  json document = EvaluationToJson(study.table, study.evaluation, context);
  json gates = json::array(), endpoints = json::array(), subgroups = json::array();
  for (const auto& gate : study.gates) {
    gates.push_back({{"name", gate.name}, {"passed", gate.passed}, {"detail", gate.detail}});
  }
  for (const auto& endpoint : study.endpoints) endpoints.push_back(EndpointJson(endpoint));
  for (const auto& subgroup : study.subgroups) {
    subgroups.push_back(
        {{"endpoint", subgroup.endpoint},
         {"subgroup", {{"column", subgroup.subgroup.column}, {"value", subgroup.subgroup.value}}},
         {"finding", subgroup.finding ? FindingJson(*subgroup.finding) : json(nullptr)},
         {"status", subgroup.status},
         {"verdict", subgroup.verdict ? json(VerdictName(*subgroup.verdict)) : json(nullptr)},
         {"reason", subgroup.reason}});
  }
  document["protocol"] = {
      {"path", protocol.path},
      {"title", protocol.title},
      {"intended_use", protocol.intended_use},
      {"purpose", protocol.purpose},
      {"model",
       {{"name", protocol.model_name},
        {"version", protocol.model_version},
        {"sha256", protocol.model_sha256 ? json(*protocol.model_sha256) : json(nullptr)}}}};
  document["gates"] = std::move(gates);
  document["endpoints"] = std::move(endpoints);
  document["subgroup_results"] = std::move(subgroups);
  document["overall"] = {{"verdict", OverallVerdictName(study.overall)},
                         {"purpose", protocol.purpose},
                         {"reasons", study.reasons}};
  return document;
}

std::string FormatStudySummary(const Protocol& protocol, const StudyResult& study) {
  std::string out = fmt::format("{}\nOverall for {}: {}\n", protocol.title, protocol.purpose,
                                OverallVerdictName(study.overall));
  for (const auto& reason : study.reasons) out += "  - " + reason + "\n";
  out += "\nEndpoints:\n";
  for (const auto& endpoint : study.endpoints) {
    out += fmt::format("  {:<28} {:<10} {:<14} {}{}\n", endpoint.spec.id,
                       endpoint.spec.primary ? "primary" : "secondary",
                       VerdictName(endpoint.verdict), endpoint.reason, CasesNeededText(endpoint));
  }
  out += "\nGates:\n";
  for (const auto& gate : study.gates) {
    out += fmt::format("  {:<20} {:<6} {}\n", gate.name, gate.passed ? "passed" : "FAILED",
                       gate.detail);
  }
  return out;
}

}  // namespace assay::evidence
