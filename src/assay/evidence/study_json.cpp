#include "assay/evidence/study_json.h"

#include <fmt/format.h>

#include <cmath>

#include "assay/evidence/mrmc.h"
#include "assay/evidence/shift.h"

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
  if (spec.metric == "rejection_rate") out["goal_is_ceiling"] = true;
  if (endpoint.adjusted_ci) out["holm_adjusted_ci"] = IntervalJson(endpoint.adjusted_ci);
  if (!endpoint.bounding.empty()) {
    json bounding = json::object();
    for (const auto& analysis : endpoint.bounding) {
      bounding[analysis.name] = {
          {"finding", analysis.finding ? FindingJson(*analysis.finding) : json(nullptr)},
          {"verdict", analysis.verdict ? json(VerdictName(*analysis.verdict)) : json(nullptr)}};
    }
    out["bounding_analyses"] = std::move(bounding);
  }
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

// [stress]: every point, and the severity at which each verdict changed.
json StressJson(const StressResult& stress) {
  json points = json::array();
  for (const StressPoint& point : stress.points) {
    json endpoints = json::array();
    for (const StressEndpoint& at : point.endpoints) {
      auto optional_finding = [](const std::optional<analysis::Finding>& finding) {
        return finding ? FindingJson(*finding) : json(nullptr);
      };
      auto optional_verdict = [](const std::optional<Verdict>& verdict) {
        return verdict ? json(VerdictName(*verdict)) : json(nullptr);
      };
      endpoints.push_back(
          {{"endpoint", at.endpoint},
           {"metric", at.metric},
           {"clean", optional_finding(at.clean)},
           {"perturbed", optional_finding(at.perturbed)},
           {"difference", at.difference ? ComparisonJson(*at.difference) : json(nullptr)},
           {"clean_verdict", optional_verdict(at.clean_verdict)},
           {"verdict", optional_verdict(at.verdict)},
           {"note", at.note.empty() ? json(nullptr) : json(at.note)}});
    }
    points.push_back(
        {{"perturbation", point.perturbation},
         {"severity", point.severity},
         {"meaning", point.meaning},
         {"cases", point.cases},
         {"failed", point.failed},
         {"threshold", point.threshold ? json(*point.threshold) : json(nullptr)},
         {"flips", point.flips},
         {"flips_to_positive", point.flips_to_positive},
         {"flips_to_negative", point.flips_to_negative},
         {"flip_rate", point.cases > 0 && point.threshold ? json(static_cast<double>(point.flips) /
                                                                 static_cast<double>(point.cases))
                                                          : json(nullptr)},
         {"endpoints", std::move(endpoints)}});
  }
  json changes = json::array();
  for (const VerdictChange& change : stress.changes) {
    changes.push_back({{"perturbation", change.perturbation},
                       {"endpoint", change.endpoint},
                       {"severity", change.severity ? json(*change.severity) : json(nullptr)},
                       {"from", change.severity ? json(change.from) : json(nullptr)},
                       {"to", change.severity ? json(change.to) : json(nullptr)}});
  }
  return {{"seed", stress.seed},
          {"cases", stress.cases},
          {"points", std::move(points)},
          {"verdict_changes", std::move(changes)}};
}

json SliceMetricJson(const analysis::SliceMetricResult& r) {
  return {{"metric", analysis::SliceMetricName(r.metric)},
          {"trials", r.trials},
          {"events", r.events},
          {"estimate", r.estimate},
          {"ci", IntervalJson(r.interval)},
          {"rest",
           {{"trials", r.rest_trials},
            {"events", r.rest_events},
            {"estimate", r.rest_estimate},
            {"ci", IntervalJson(r.rest_interval)}}},
          {"deficit", r.deficit},
          {"deficit_ci", IntervalJson(r.deficit_interval)},
          {"p_value", r.p_value},
          {"q_value", r.q_value}};
}

json OptionalNumber(const std::optional<double>& value) {
  return value ? json(*value) : json(nullptr);
}

json LabelFreeMetricJson(const stats::LabelFreeMetric& metric) {
  if (!std::isfinite(metric.estimate)) return {{"estimate", nullptr}, {"ci", nullptr}};
  return {{"estimate", metric.estimate}, {"ci", IntervalJson(metric.interval)}};
}

json HosmerLemeshowJson(const stats::HosmerLemeshow& test) {
  return {{"statistic", test.statistic},
          {"degrees_of_freedom", test.degrees_of_freedom},
          {"p_value", test.p_value},
          {"groups", test.groups}};
}

// deployment.score: CBPE and ATC on the profile's scores, the calibration they rest on.
json LabelFreeJson(const LabelFreeSection& section) {
  json out = {{"score_column", section.score_column},
              {"reference_cases", section.reference_cases},
              {"target_cases", section.target_cases},
              {"target_missing", section.target_missing},
              {"not_evaluable",
               section.not_evaluable.empty() ? json(nullptr) : json(section.not_evaluable)},
              {"assumption",
               "valid when P(truth | score) is the same at the site as in the evidence "
               "(covariate shift); a concept or label shift biases both estimates, and "
               "nothing without labels can detect it"}};
  if (section.calibration) {
    const stats::ReferenceCalibration& c = *section.calibration;
    json calibration = {
        {"scores_are_probabilities", c.scores_are_probabilities},
        {"calibrated", c.calibrated},
        {"hosmer_lemeshow",
         c.hosmer_lemeshow ? HosmerLemeshowJson(*c.hosmer_lemeshow) : json(nullptr)},
        {"map",
         {{"intercept", c.map_intercept},
          {"slope", c.map_slope},
          {"on_logit", c.map_on_logit},
          {"hosmer_lemeshow", HosmerLemeshowJson(c.map_fit)}}},
        {"note", c.note}};
    if (c.recalibration) {
      calibration["slope"] = {{"estimate", c.recalibration->slope.estimate},
                              {"ci", IntervalJson(c.recalibration->slope.interval)}};
      calibration["calibration_in_the_large"] = {
          {"estimate", c.recalibration->calibration_in_the_large.estimate},
          {"ci", IntervalJson(c.recalibration->calibration_in_the_large.interval)}};
    }
    out["calibration"] = std::move(calibration);
  }
  if (!section.calibrate_by.empty()) {
    json strata = json::array();
    for (const CalibrationStratum& s : section.calibration_strata) {
      json stratum = {{"level", s.level},
                      {"reference_positives", s.reference_positives},
                      {"reference_negatives", s.reference_negatives},
                      {"target_cases", s.target_cases},
                      {"map", s.own_map ? "own" : "pooled"}};
      if (s.calibration) {
        stratum["calibrated"] = s.calibration->calibrated;
        stratum["intercept"] = s.calibration->map_intercept;
        stratum["slope"] = s.calibration->map_slope;
      }
      strata.push_back(std::move(stratum));
    }
    out["calibrate_by"] = {{"column", section.calibrate_by},
                           {"minimum_class_cases", kMinimumCalibrationClass},
                           {"strata", std::move(strata)}};
  }
  json estimates = json::array();
  for (const LabelFreeThreshold& e : section.estimates) {
    estimates.push_back({{"endpoints", e.endpoints},
                         {"threshold", e.threshold},
                         {"validated",
                          {{"sensitivity", e.validated_sensitivity},
                           {"specificity", e.validated_specificity},
                           {"accuracy", e.validated_accuracy}}},
                         {"cbpe",
                          {{"sensitivity", LabelFreeMetricJson(e.cbpe.sensitivity)},
                           {"specificity", LabelFreeMetricJson(e.cbpe.specificity)},
                           {"accuracy", LabelFreeMetricJson(e.cbpe.accuracy)},
                           {"ppv", LabelFreeMetricJson(e.cbpe.positive_predictive_value)},
                           {"npv", LabelFreeMetricJson(e.cbpe.negative_predictive_value)},
                           {"prevalence", LabelFreeMetricJson(e.cbpe.prevalence)},
                           {"auc", LabelFreeMetricJson(e.cbpe.auc)}}},
                         {"atc",
                          {{"confidence_threshold", e.atc.confidence_threshold},
                           {"reference_accuracy", e.atc.reference_accuracy},
                           {"accuracy", LabelFreeMetricJson(e.atc.accuracy)}}}});
  }
  out["estimates"] = std::move(estimates);
  return out;
}

// [mrmc]: the reader study (as `assay mrmc` writes it) with the claim and its verdict.
json MrmcJson(const MrmcSection& section) {
  json out = ReaderStudyJson(section.analysis);
  const MrmcPlan& plan = section.plan;
  const stats::MrmcEstimate& d = section.difference;
  json claim = {{"id", plan.id},
                {"test", plan.test},
                {"reference", plan.reference},
                {"hypothesis", plan.hypothesis},
                {"margin", plan.margin},
                {"analysis", plan.analysis},
                {"primary", plan.primary},
                {"exploratory", section.exploratory},
                {"difference",
                 {{"estimate", d.estimate},
                  {"standard_error", d.standard_error},
                  {"degrees_of_freedom",
                   std::isfinite(d.degrees_of_freedom) ? json(d.degrees_of_freedom) : json()},
                  {"p_value", d.p_value},
                  {"ci", IntervalJson(d.interval)}}},
                {"verdict", VerdictName(section.verdict)},
                {"reason", section.reason}};
  if (section.verdict == Verdict::kInconclusive) {
    json needed = json::array();
    for (const stats::PowerPlan& p : section.needed) {
      if (p.cases == 0) continue;
      needed.push_back({{"readers", p.readers}, {"cases", p.cases}, {"power", p.power}});
    }
    claim["needed"] = {
        {"power", plan.power},
        {"basis", "the observed difference, Obuchowski-Rockette random readers and cases"},
        {"plans", std::move(needed)}};
  }
  out["claim"] = std::move(claim);
  return out;
}

// [deployment]: strata with coverage, expected performance, risks.
json DeploymentJson(const DeploymentSection& section) {
  json out = {{"profile", section.profile.empty() ? json(nullptr) : json(section.profile)},
              {"source", section.profile.empty() ? "declared_mix" : "profile"},
              {"profile_cases", Optional(section.profile_cases)}};
  if (!section.skipped.empty()) {
    out["skipped"] = section.skipped;
    return out;
  }
  const analysis::ReadinessResult& r = section.readiness;
  json strata = json::array(), expected = json::array(), risks = json::array();
  for (const analysis::Stratum& stratum : r.strata) {
    json metrics = json::array();
    for (const analysis::StratumMetric& m : stratum.metrics) {
      metrics.push_back({{"endpoint", m.endpoint},
                         {"metric", m.metric},
                         {"successes", m.successes},
                         {"trials", m.trials},
                         {"estimate", OptionalNumber(m.estimate)},
                         {"ci", IntervalJson(m.ci)},
                         {"coverage", m.coverage},
                         {"cases_needed", Optional(m.cases_needed)},
                         {"cases_needed_basis", m.cases_needed_basis},
                         {"deficit", OptionalNumber(m.deficit)},
                         {"risk", OptionalNumber(m.risk)}});
    }
    strata.push_back({{"dimension", stratum.dimension},
                      {"level", stratum.level},
                      {"deployment_share", stratum.deployment_share},
                      {"deployment_cases", Optional(stratum.deployment_cases)},
                      {"evidence_cases", stratum.evidence_cases},
                      {"evidence_positives", stratum.evidence_positives},
                      {"evidence_share", stratum.evidence_share},
                      {"metrics", std::move(metrics)}});
  }
  for (const analysis::ExpectedPerformance& e : r.expected) {
    expected.push_back({{"dimension", e.dimension},
                        {"endpoint", e.endpoint},
                        {"metric", e.metric},
                        {"validated", e.validated},
                        {"validated_ci", IntervalJson(e.validated_ci)},
                        {"expected", OptionalNumber(e.expected)},
                        {"expected_ci", IntervalJson(e.expected_ci)},
                        {"uncovered_share", e.uncovered_share}});
  }
  for (const analysis::RiskEntry& e : r.risks) {
    risks.push_back({{"dimension", e.dimension},
                     {"level", e.level},
                     {"endpoint", e.endpoint},
                     {"metric", e.metric},
                     {"deployment_share", e.deployment_share},
                     {"deficit", OptionalNumber(e.deficit)},
                     {"risk", OptionalNumber(e.risk)},
                     {"coverage", e.coverage}});
  }
  out["method"] =
      "strata of each dimension with their deployment share and evidence; coverage against the "
      "endpoint's goal (else the interval half-width); expected performance reweighted by "
      "deployment share x the stratum's prevalence in the evidence, Poisson-bootstrap "
      "percentile interval; risk = deficit against the validated estimate x deployment share";
  out["level"] = r.options.level;
  out["minimum_class_cases"] = r.options.minimum_class_cases;
  out["maximum_half_width"] = r.options.maximum_half_width;
  out["power"] = r.options.power;
  out["bootstrap"] = r.options.bootstrap;
  out["strata"] = std::move(strata);
  out["expected"] = std::move(expected);
  out["risks"] = std::move(risks);
  out["notes"] = section.notes;
  if (section.label_free) out["label_free"] = LabelFreeJson(*section.label_free);
  return out;
}

// [failure_slices]: what was searched, how, and the slices found, best first.
json FailureSlicesJson(const FailureSliceResult& result) {
  const analysis::SliceSearchResult& search = result.search;
  const analysis::SliceSearchOptions& o = search.options;
  json features = json::array(), metrics = json::array(), slices = json::array();
  for (const auto& [name, kind] : result.features) {
    features.push_back({{"name", name}, {"kind", kind}});
  }
  for (auto metric : o.metrics) metrics.push_back(analysis::SliceMetricName(metric));
  for (const analysis::FailureSlice& slice : search.slices) {
    json conditions = json::array(), also = json::array();
    for (const auto& c : slice.conditions) {
      json condition = {{"feature", c.feature}, {"op", c.op}, {"text", c.text}};
      if (c.op == "=") condition["level"] = c.level;
      if (c.op == "<=" || c.op == ">") condition["cut"] = c.cut;
      conditions.push_back(std::move(condition));
    }
    for (const auto& r : slice.also) also.push_back(SliceMetricJson(r));
    slices.push_back({{"description", slice.description},
                      {"conditions", std::move(conditions)},
                      {"cases", slice.cases},
                      {"share", slice.share},
                      {"result", SliceMetricJson(slice.result)},
                      {"also_worse", std::move(also)},
                      {"rank_score", slice.rank_score},
                      {"merged", slice.merged},
                      {"examples", slice.examples}});
  }
  return {{"method",
           "conjunctions of up to max_conditions conditions, each slice against its complement "
           "by Fisher's one-sided exact test; Benjamini-Hochberg over every test; Wilson "
           "intervals, Newcombe interval for the deficit; ranked by deficit x share"},
          {"threshold", result.threshold},
          {"features", std::move(features)},
          {"metrics", std::move(metrics)},
          {"max_conditions", o.max_conditions},
          {"minimum_cases", o.minimum_cases},
          {"minimum_share", o.minimum_share},
          {"maximum_share", o.maximum_share},
          {"fdr", o.fdr},
          {"minimum_deficit", o.minimum_deficit},
          {"slices_tested", search.slices_tested},
          {"tests", search.tests},
          {"discoveries", search.discoveries},
          {"skipped", result.skipped.empty() ? json(nullptr) : json(result.skipped)},
          {"slices", std::move(slices)}};
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
         {"reason", subgroup.reason},
         {"adjusted_ci", IntervalJson(subgroup.adjusted_ci)}});
  }
  document["protocol"] = {
      {"path", protocol.path},
      {"title", protocol.title},
      {"intended_use", protocol.intended_use},
      {"purpose", protocol.purpose},
      {"model",
       {{"name", protocol.model_name},
        {"version", protocol.model_version},
        {"sha256", protocol.model_sha256 ? json(*protocol.model_sha256) : json(nullptr)},
        {"file_sha256", study.model_sha256 ? json(*study.model_sha256) : json(nullptr)}}},
      {"sha256",
       study.context.protocol_sha256.empty() ? json(nullptr) : json(study.context.protocol_sha256)},
      {"locked_at", study.context.locked_at ? json(*study.context.locked_at) : json(nullptr)},
      {"combine", protocol.combine},
      {"subgroup_multiplicity", protocol.subgroups.multiplicity},
      {"seed", protocol.seed},
      {"bootstrap", protocol.bootstrap}};
  const auto& indeterminate = study.indeterminate;
  document["indeterminate_outputs"] = {
      {"handling", indeterminate.handling},
      {"no_output", indeterminate.no_output},
      {"technical_failure", indeterminate.technical_failure},
      {"rejected_input", indeterminate.rejected_input},
      {"counted_against_model", indeterminate.counted_against_model},
      {"scoped_out", indeterminate.scoped_out}};
  if (study.audit) document["audit"] = data::AuditToJson(*study.audit);
  if (study.inference) {
    const InferenceSummary& run = *study.inference;
    const model::ModelSpec& spec = *protocol.model;
    document["model_run"] = {{"runtime", run.runtime},
                             {"backend", run.backend},
                             {"input_size", {spec.width, spec.height}},
                             {"channels", spec.channels},
                             {"images", run.images},
                             {"images_failed", run.images_failed},
                             {"rows_without_key", run.rows_without_key}};
  }
  if (study.stress) document["stress"] = StressJson(*study.stress);
  if (study.failure_slices) document["failure_slices"] = FailureSlicesJson(*study.failure_slices);
  if (study.shift) {
    json shift = ShiftToJson(study.shift->result, study.shift->domain);
    shift["target"] = study.shift->target;
    document["shift"] = std::move(shift);
  }
  if (study.deployment) document["deployment"] = DeploymentJson(*study.deployment);
  if (study.mrmc) document["mrmc"] = MrmcJson(*study.mrmc);
  document["gates"] = std::move(gates);
  document["endpoints"] = std::move(endpoints);
  document["subgroup_results"] = std::move(subgroups);
  document["overall"] = {{"verdict", OverallVerdictName(study.overall)},
                         {"purpose", protocol.purpose},
                         {"reasons", study.reasons}};
  return document;
}

// `word` padded to `width`, in the ANSI colour of its verdict when `colour` is set:
// green for supported/sufficient, red for not supported/contradicted, yellow otherwise.
std::string Painted(std::string_view word, std::size_t width, bool colour) {
  std::string padded = fmt::format("{:<{}}", word, width);
  if (!colour) return padded;
  const char* code = "33";
  if (word == "supported" || word == "sufficient") code = "32";
  if (word == "not_supported" || word == "contradicted") code = "31";
  if (word == "not_evaluable") code = "2";
  const std::size_t end = padded.find_last_not_of(' ') + 1;
  return fmt::format("\033[1;{}m{}\033[0m{}", code, padded.substr(0, end), padded.substr(end));
}

std::string FormatStudySummary(const Protocol& protocol, const StudyResult& study, bool colour) {
  std::string out = fmt::format("{}\nOverall for {}: {}\n", protocol.title, protocol.purpose,
                                Painted(OverallVerdictName(study.overall), 0, colour));
  out += study.context.locked_at
             ? fmt::format("Protocol: byte-identical to the one locked at {}\n",
                           *study.context.locked_at)
             : std::string("Protocol: not locked before this run; every claim is exploratory\n");
  for (const auto& reason : study.reasons) out += "  - " + reason + "\n";
  out += "\nEndpoints:\n";
  for (const auto& endpoint : study.endpoints) {
    out += fmt::format("  {:<28} {:<10} {} {}{}\n", endpoint.spec.id,
                       endpoint.spec.primary ? "primary" : "secondary",
                       Painted(VerdictName(endpoint.verdict), 14, colour), endpoint.reason,
                       CasesNeededText(endpoint));
    if (endpoint.bounding.size() == 2 && endpoint.bounding[0].finding &&
        endpoint.bounding[1].finding) {
      out += fmt::format(
          "  {:<28} {:<10} {:<14} bounds: {:.3f} with every indeterminate output "
          "counted against the model, {:.3f} with every one counted correct\n",
          "", "", "", endpoint.bounding[0].finding->estimate,
          endpoint.bounding[1].finding->estimate);
    }
  }
  if (study.mrmc) {
    const MrmcSection& section = *study.mrmc;
    out += fmt::format("\nReader study:\n  {:<28} {:<10} {} {}\n", section.plan.id,
                       section.plan.primary ? "primary" : "secondary",
                       Painted(VerdictName(section.verdict), 14, colour), section.reason);
    for (const stats::PowerPlan& p : section.needed) {
      if (p.cases == 0) continue;
      out += fmt::format(
          "  {:<28} {:<10} {:<14} a study of {} readers x {} cases would have "
          "power {:.2f} if the difference held\n",
          "", "", "", p.readers, p.cases, p.power);
      break;
    }
  }
  out += "\nGates:\n";
  for (const auto& gate : study.gates) {
    out += fmt::format("  {:<24} {:<6} {}\n", gate.name, gate.passed ? "passed" : "FAILED",
                       gate.detail);
  }
  if (study.inference) {
    const InferenceSummary& run = *study.inference;
    out += fmt::format("\nModel run: {} ({}), {} images in {:.1f} s, {} without a score\n",
                       run.runtime, run.backend, run.images, run.seconds, run.images_failed);
  }
  if (study.stress) {
    out += fmt::format("\nStress tests ({} cases; the lowest severity that changes a verdict):\n",
                       study.stress->cases);
    for (const VerdictChange& change : study.stress->changes) {
      out += fmt::format("  {:<16} {:<22} {}\n", change.perturbation, change.endpoint,
                         change.severity ? fmt::format("severity {}: {} -> {}", *change.severity,
                                                       change.from, change.to)
                                         : std::string("held at every severity tested"));
    }
  }
  if (study.failure_slices && !study.failure_slices->skipped.empty()) {
    out += fmt::format("\nFailure slices: not searched: {}\n", study.failure_slices->skipped);
  } else if (study.failure_slices) {
    const analysis::SliceSearchResult& search = study.failure_slices->search;
    out += fmt::format(
        "\nFailure slices (threshold {:g}; {} slices, {} tests, false-discovery rate {:g}): {}\n",
        study.failure_slices->threshold, search.slices_tested, search.tests, search.options.fdr,
        search.slices.empty() ? "none significantly worse than the rest"
                              : fmt::format("{} reported", search.slices.size()));
    for (std::size_t k = 0; k < search.slices.size() && k < 5; ++k) {
      const analysis::FailureSlice& slice = search.slices[k];
      const analysis::SliceMetricResult& r = slice.result;
      out +=
          fmt::format("  {}. {} ({} cases, {:.0f}%): {} {:.3f} vs {:.3f} in the rest, q = {:.2g}\n",
                      k + 1, slice.description, slice.cases, 100.0 * slice.share,
                      analysis::SliceMetricName(r.metric), r.estimate, r.rest_estimate, r.q_value);
    }
  }
  return out;
}

}  // namespace assay::evidence
