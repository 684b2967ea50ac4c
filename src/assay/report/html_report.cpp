#include "assay/report/html_report.h"

#include <fmt/format.h>

#include <filesystem>
#include <optional>
#include <string_view>

#include "assay/io/record_source.h"
#include "assay/report/report_scripts.h"
#include "assay/report/vega_specs.h"

namespace assay::report {
namespace {

using nlohmann::json;

constexpr std::size_t kScoreBins = 40;
constexpr std::size_t kMostRisksShown = 8;

// What every section builder reads, and where it leaves its plots.
struct ReportContext {
  const json& evidence;
  const ReportCases& cases;
  std::vector<std::pair<std::string, json>> plots;  // element id -> Vega-Lite spec
};

struct Section {
  std::string id, title, body;
};

using SectionBuilder = std::optional<Section> (*)(ReportContext&);

std::string Text(const json& value) {
  if (value.is_string()) return EscapeHtml(value.get<std::string>());
  if (value.is_null()) return "&ndash;";
  return EscapeHtml(value.dump());
}

std::string Number(const json& value, int digits = 3) {
  if (!value.is_number()) return "&ndash;";
  if (value.is_number_integer() || value.is_number_unsigned()) return value.dump();
  return fmt::format("{:.{}f}", value.get<double>(), digits);
}

std::string Words(std::string_view identifier) {
  std::string out(identifier);
  for (char& c : out) {
    if (c == '_') c = ' ';
  }
  return out;
}

// A verdict or status as a coloured badge that also carries a symbol and the word.
std::string Badge(std::string_view word) {
  const VerdictStyle style = StyleOf(word);
  return fmt::format(R"(<span class="badge" style="border-color:{0};background:{0}22">)"
                     R"(<span aria-hidden="true">{1}</span> {2}</span>)",
                     style.colour, style.symbol, EscapeHtml(Words(word)));
}

std::string Interval(const json& ci) {
  if (!ci.is_object()) return "&ndash;";
  return fmt::format("{} to {} <span class=\"muted\">({:g}%, {})</span>",
                     Number(Member(ci, "lower")), Number(Member(ci, "upper")),
                     100.0 * ValueOr(ci, "level", 0.95),
                     EscapeHtml(Words(ValueOr(ci, "method", ""))));
}

// A plot placeholder that the page script fills; without scripts the note stays.
std::string Plot(ReportContext& context, json spec) {
  if (spec.is_null()) return "";
  const std::string id = fmt::format("plot-{}", context.plots.size() + 1);
  context.plots.emplace_back(id, std::move(spec));
  return fmt::format(
      R"(<div class="plot" id="{}"><p class="plot-note">This plot is drawn by the report's )"
      R"(scripts, which are disabled; the table gives the same numbers.</p></div>)",
      id);
}

std::string Row(std::initializer_list<std::string> cells, bool header = false) {
  std::string row = "<tr>";
  const char* tag = header ? "th" : "td";
  for (const auto& cell : cells) row += fmt::format("<{0}>{1}</{0}>", tag, cell);
  return row + "</tr>\n";
}

std::string Subgroup(const json& subgroup) {
  if (!subgroup.is_object()) return "all cases";
  return Text(Member(subgroup, "column")) + " = " + Text(Member(subgroup, "value"));
}

// "about 143 more positives" from an endpoint's cases_needed, or empty.
std::string CasesNeededText(const json& needed) {
  if (!needed.is_object()) return "";
  std::vector<std::string> parts;
  if (Member(needed, "precision_additional_positives").is_number()) {
    parts.push_back(
        fmt::format("{} more positive", Member(needed, "precision_additional_positives").dump()));
  }
  if (Member(needed, "precision_additional_negatives").is_number()) {
    parts.push_back(
        fmt::format("{} more negative", Member(needed, "precision_additional_negatives").dump()));
  }
  if (parts.empty()) return "no realistic number of further cases decides it at this estimate";
  std::string text = "about " + parts[0];
  if (parts.size() > 1) text += " and " + parts[1];
  return text + " cases would decide it if the estimate holds";
}

const char* VerdictMeaning(std::string_view verdict) {
  if (verdict == "sufficient") {
    return "The evidence supports every primary claim of the protocol, and no pre-specified "
           "subgroup raises a concern.";
  }
  if (verdict == "contradicted") {
    return "The evidence contradicts at least one primary claim: on these cases the model does not "
           "meet it.";
  }
  return "The evidence does not yet decide the primary claims: more or better evidence is needed "
         "before the model can be relied on for this purpose.";
}

const char* Recommendation(std::string_view verdict) {
  if (verdict == "sufficient") {
    return "Use the model only within the intended use stated below, on scanners and populations "
           "like those studied, and monitor its performance after deployment.";
  }
  if (verdict == "contradicted") {
    return "Do not deploy the model for this purpose on this evidence. Investigate the failing "
           "claims and subgroups before any further study.";
  }
  return "Collect the further, independent cases listed above (new patients, ideally new sites), "
         "then rerun the same locked protocol.";
}

std::vector<std::string> TopRisks(const json& evidence) {
  std::vector<std::string> risks;
  for (const auto& endpoint : Member(evidence, "endpoints")) {
    if (ValueOr(endpoint, "verdict", "") == "not_supported") {
      risks.push_back(fmt::format("Claim <b>{}</b> is not supported: {}.",
                                  Text(Member(endpoint, "id")), Text(Member(endpoint, "reason"))));
    }
  }
  for (const auto& result : Member(evidence, "subgroup_results")) {
    const bool below_goal = Member(result, "verdict") == "not_supported";
    if (ValueOr(result, "status", "") != "signal" && !below_goal) continue;
    const json& finding = Member(result, "finding");
    risks.push_back(fmt::format(
        "Subgroup <b>{}</b> ({}): {} {} ({}), {}.", Subgroup(Member(result, "subgroup")),
        Text(Member(result, "endpoint")), Text(Member(finding, "metric")),
        Number(Member(finding, "estimate")), Interval(Member(finding, "ci")),
        below_goal ? "below the subgroup goal" : "a signal of lower performance"));
  }
  const json& indeterminate = Member(evidence, "indeterminate_outputs");
  if (ValueOr(indeterminate, "counted_against_model", 0) > 0) {
    risks.push_back(
        fmt::format("{} model outputs were indeterminate (failed or rejected input) "
                    "and are counted against the model.",
                    Member(indeterminate, "counted_against_model").dump()));
  }
  if (risks.size() > kMostRisksShown) risks.resize(kMostRisksShown);
  return risks;
}

std::optional<Section> SummarySection(ReportContext& context) {
  const json& evidence = context.evidence;
  const json& overall = Member(evidence, "overall");
  const std::string verdict = ValueOr(overall, "verdict", "insufficient");
  std::string body =
      fmt::format(R"(<div class="verdict" style="border-color:{}"><p class="verdict-word">{} )"
                  R"(<span class="muted">for {}</span></p><p>{}</p></div>)",
                  StyleOf(verdict).colour, Badge(verdict), Text(Member(overall, "purpose")),
                  VerdictMeaning(verdict));
  body += "<h3>Why</h3><ul>";
  for (const auto& reason : Member(overall, "reasons")) {
    body += "<li>" + Text(reason) + "</li>";
  }
  body += "</ul><h3>Top risks</h3>";
  const auto risks = TopRisks(evidence);
  if (risks.empty()) body += "<p>None of the claims, subgroups or outputs raises a concern.</p>";
  if (!risks.empty()) {
    body += "<ul>";
    for (const auto& risk : risks) body += "<li>" + risk + "</li>";
    body += "</ul>";
  }
  body += "<h3>What more evidence is needed</h3><ul>";
  std::size_t needs = 0;
  for (const auto& endpoint : Member(evidence, "endpoints")) {
    if (ValueOr(endpoint, "verdict", "") != "inconclusive") continue;
    body += fmt::format("<li><b>{}</b> is inconclusive: {}.</li>", Text(Member(endpoint, "id")),
                        CasesNeededText(Member(endpoint, "cases_needed")));
    ++needs;
  }
  if (!Member(Member(evidence, "protocol"), "locked_at").is_string()) {
    body +=
        "<li>The protocol was not locked before the run, so every claim is exploratory: lock "
        "it (<code>assay lock</code>) before a confirmatory run on new data.</li>";
    ++needs;
  }
  if (needs == 0) body += "<li>Nothing further for the primary claims.</li>";
  body += fmt::format("</ul><h3>Recommendation</h3><p>{}</p>", Recommendation(verdict));
  return Section{"summary", "Summary", std::move(body)};
}

std::optional<Section> IdentitySection(ReportContext& context) {
  const json& protocol = Member(context.evidence, "protocol");
  const json& model = Member(protocol, "model");
  std::string body = "<table class=\"facts\">\n";
  body += Row({"Study", Text(Member(protocol, "title"))});
  body += Row({"Intended use", Text(Member(protocol, "intended_use"))});
  body += Row({"Purpose", Text(Member(protocol, "purpose"))});
  body +=
      Row({"Model", Text(Member(model, "name")) + " version " + Text(Member(model, "version"))});
  body += Row({"Model hash (declared)", "<code>" + Text(Member(model, "sha256")) + "</code>"});
  body += Row({"Model file hash", "<code>" + Text(Member(model, "file_sha256")) + "</code>"});
  body += Row({"Protocol", "<code>" + Text(Member(protocol, "sha256")) + "</code>"});
  const json& locked = Member(protocol, "locked_at");
  body += Row(
      {"Locked", locked.is_string() ? "since " + Text(locked) : "no: every claim is exploratory"});
  body += "</table>";
  return Section{"identity", "Study, intended use and model", std::move(body)};
}

// The imaging cohort's part of the flow (files received, files excluded,
// cases, cases excluded), drawn before the analysis part.
std::string AuditFlowBoxes(const json& audit) {
  std::string body;
  std::string files_out;
  std::string cases_out;
  std::uint64_t files_total = 0;
  std::uint64_t cases_total = 0;
  for (const auto& step : Member(audit, "case_flow")) {
    const std::string stage = ValueOr(step, "stage", std::string());
    const std::string unit = ValueOr(step, "unit", std::string());
    const auto count = ValueOr(step, "count", std::uint64_t{0});
    if (stage != "excluded") continue;
    const std::string item =
        fmt::format("<li>{}: {}</li>", Text(Member(step, "reason")), Number(Member(step, "count")));
    if (unit == "files") {
      files_out += item;
      files_total += count;
    } else {
      cases_out += item;
      cases_total += count;
    }
  }
  if (files_out.empty()) files_out = "<li>none</li>";
  if (cases_out.empty()) cases_out = "<li>none</li>";
  body += fmt::format("<div class=\"box\"><b>Image files received</b><br>{} files</div>",
                      Number(Member(audit, "files")));
  body += fmt::format(
      "<div class=\"arrow\" aria-hidden=\"true\">&darr;</div><div class=\"box side\">"
      "<b>Files excluded</b>: {}<ul>{}</ul></div>",
      files_total, files_out);
  body += fmt::format(
      "<div class=\"arrow\" aria-hidden=\"true\">&darr;</div><div class=\"box\"><b>Cases</b>"
      "<br>{} cases with images</div>",
      Number(Member(audit, "cases")));
  body += fmt::format(
      "<div class=\"arrow\" aria-hidden=\"true\">&darr;</div><div class=\"box side\">"
      "<b>Cases excluded</b>: {}<ul>{}</ul></div>"
      "<div class=\"arrow\" aria-hidden=\"true\">&darr;</div>",
      cases_total, cases_out);
  return body;
}

std::optional<Section> CaseFlowSection(ReportContext& context) {
  const json& evidence = context.evidence;
  const json& flow = Member(evidence, "case_flow");
  const json& indeterminate = Member(evidence, "indeterminate_outputs");
  std::string excluded;
  std::uint64_t excluded_total = 0;
  for (const auto& group : Member(flow, "excluded")) {
    excluded += fmt::format("<li>{}: {}</li>", Text(Member(group, "reason")),
                            Number(Member(group, "count")));
    excluded_total += ValueOr(group, "count", std::uint64_t{0});
  }
  if (excluded.empty()) excluded = "<li>none</li>";
  std::string body = "<div class=\"flow\">";
  if (const json& audit = Member(evidence, "audit"); audit.is_object()) {
    body += AuditFlowBoxes(audit);
  }
  body += fmt::format("<div class=\"box\"><b>Received</b><br>{} cases</div>",
                      Number(Member(flow, "received")));
  body += fmt::format(
      "<div class=\"arrow\" aria-hidden=\"true\">&darr;</div><div class=\"box side\">"
      "<b>Excluded</b>: {}<ul>{}</ul></div>",
      excluded_total, excluded);
  body += fmt::format(
      "<div class=\"arrow\" aria-hidden=\"true\">&darr;</div><div class=\"box side\">"
      "<b>Indeterminate model outputs</b>: {} without output, {} technical failures, {} rejected "
      "inputs; {} counted against the model, {} scoped out</div>",
      Number(Member(indeterminate, "no_output")),
      Number(Member(indeterminate, "technical_failure")),
      Number(Member(indeterminate, "rejected_input")),
      Number(Member(indeterminate, "counted_against_model")),
      Number(Member(indeterminate, "scoped_out")));
  body += fmt::format(
      "<div class=\"arrow\" aria-hidden=\"true\">&darr;</div><div class=\"box\"><b>Analysed</b>"
      "<br>{} cases: {} positive ({}), {} negative ({})</div></div>",
      Number(Member(flow, "analysed")), Number(Member(evidence, "n_positive")),
      Text(Member(Member(evidence, "input"), "positive_label")),
      Number(Member(evidence, "n_negative")),
      Text(Member(Member(evidence, "input"), "negative_label")));
  return Section{"case-flow", "Case flow", std::move(body)};
}

// The imaging cohort's data audit: findings, then per-attribute data quality.
// Only for runs whose cases came from an inventory ([data.imaging]).
std::optional<Section> AuditSection(ReportContext& context) {
  const json& audit = Member(context.evidence, "audit");
  if (!audit.is_object()) return std::nullopt;
  std::string body = "<table>\n" + Row({"finding", "count"}, true);
  auto finding = [&body, &audit](std::string_view field, std::string_view words) {
    const json& value = Member(audit, field);
    if (value.is_null()) return;  // not checked (no labels, outputs or development cohort)
    const bool flag = ValueOr(audit, field, std::uint64_t{0}) > 0;
    body += Row({std::string(words), (flag ? "<b>" : "") + Number(value) + (flag ? "</b>" : "")});
  };
  std::uint64_t unreadable = 0;
  for (const auto& [reason, count] : Member(audit, "unreadable").items()) {
    unreadable += count.is_number_unsigned() ? count.get<std::uint64_t>() : 0;
  }
  body += Row({"files that cannot be read",
               unreadable > 0 ? "<b>" + std::to_string(unreadable) + "</b>" : "0"});
  finding("duplicate_instances", "duplicate instances (same SOP Instance UID)");
  finding("duplicate_images", "duplicate images (same pixels, another UID)");
  finding("missing_key", "images without the case key");
  finding("unlabeled_cases", "cases without a label");
  finding("conflicting_cases", "cases whose readers disagree");
  finding("labels_without_images", "labels without images");
  finding("cases_without_prediction", "cases without a model output (counted against it)");
  finding("predictions_without_images", "model outputs without images");
  finding("shared_patients", "patients also in the development cohort (leakage)");
  body += "</table>\n<h3>Acquisition and patient attributes</h3>\n<table>\n" +
          Row({"attribute", "missing", "not harmonized", "implausible", "examples"}, true);
  for (const auto& column : Member(audit, "columns")) {
    std::vector<std::string> examples;
    for (const auto& example : Member(column, "examples")) examples.push_back(Text(example));
    body += Row({Text(Member(column, "column")), Number(Member(column, "missing")),
                 Number(Member(column, "unparseable")), Number(Member(column, "implausible")),
                 fmt::format("{}", fmt::join(examples, ", "))});
  }
  body +=
      "</table>\n<p class=\"muted\">Counted over the readable, distinct images. Missing "
      "values are blank in the file; not harmonized ones could not be read (an age "
      "&ldquo;sixty&rdquo;, a manufacturer no alias matches); implausible ones lie outside "
      "the plausible range (an age of 250 years, a slice thickness of 0).</p>";
  return Section{"data-audit", "Data audit", std::move(body)};
}

std::string OperatingPoint(const json& endpoint) {
  if (Member(endpoint, "threshold").is_number())
    return "threshold " + Number(Member(endpoint, "threshold"), 4);
  if (endpoint.contains("target_sensitivity")) {
    return "target sensitivity " + Number(Member(endpoint, "target_sensitivity"));
  }
  if (endpoint.contains("target_specificity")) {
    return "target specificity " + Number(Member(endpoint, "target_specificity"));
  }
  return "&ndash;";
}

std::optional<Section> EndpointSection(ReportContext& context) {
  std::string body = "<table>\n";
  body += Row({"endpoint", "role", "metric", "operating point", "estimate", "interval",
               "goal or margin", "verdict", "cases needed"},
              true);
  for (const auto& endpoint : Member(context.evidence, "endpoints")) {
    const json& result = Member(endpoint, "comparison").is_object() ? Member(endpoint, "comparison")
                                                                    : Member(endpoint, "finding");
    const bool comparison = Member(endpoint, "comparison").is_object();
    std::string target =
        Member(endpoint, "goal").is_number() ? "goal " + Number(Member(endpoint, "goal")) : "";
    if (Member(endpoint, "margin").is_number()) {
      target =
          fmt::format("{} margin {} vs {}", Words(ValueOr(endpoint, "hypothesis", "")),
                      Number(Member(endpoint, "margin")), Text(Member(endpoint, "comparator")));
    }
    std::string verdict = Badge(ValueOr(endpoint, "verdict", ""));
    if (ValueOr(endpoint, "exploratory", false))
      verdict += " <span class=\"muted\">exploratory</span>";
    body += Row({Text(Member(endpoint, "id")),
                 ValueOr(endpoint, "primary", false) ? "primary" : "secondary",
                 Text(Member(endpoint, "metric")) + (comparison ? " difference" : ""),
                 OperatingPoint(endpoint),
                 result.is_object() ? Number(Member(result, "estimate")) : "&ndash;",
                 result.is_object() ? Interval(Member(result, "ci")) : "&ndash;",
                 target.empty() ? "&ndash;" : target, verdict,
                 ValueOr(endpoint, "verdict", "") == "inconclusive"
                     ? CasesNeededText(Member(endpoint, "cases_needed"))
                     : ""});
  }
  body += "</table>\n<h3>Checks before any statistics</h3>\n<table>\n";
  body += Row({"gate", "result", "detail"}, true);
  for (const auto& gate : Member(context.evidence, "gates")) {
    body += Row({Text(Member(gate, "name")),
                 Badge(ValueOr(gate, "passed", false) ? "passed" : "failed"),
                 Text(Member(gate, "detail"))});
  }
  body += "</table>";
  return Section{"endpoints", "Endpoints and verdicts", std::move(body)};
}

std::optional<Section> RocSection(ReportContext& context) {
  std::string body = Plot(context, RocSpec(context.evidence));
  if (body.empty()) return std::nullopt;
  body +=
      "<p class=\"caption\">The band is a pointwise 95% Wilson interval for sensitivity at "
      "each threshold; it ignores clustering and is not a simultaneous band.</p>";
  body += "<table>\n" + Row({"metric", "operating point", "estimate", "interval"}, true);
  for (const auto& finding : Member(context.evidence, "findings")) {
    if (!Member(finding, "subgroup").is_null()) continue;
    const std::string metric = ValueOr(finding, "metric", "");
    if (metric != "auc" && metric != "sensitivity" && metric != "specificity") continue;
    body += Row({EscapeHtml(metric),
                 Member(finding, "threshold").is_number()
                     ? "threshold " + Number(Member(finding, "threshold"), 4)
                     : "&ndash;",
                 Number(Member(finding, "estimate")), Interval(Member(finding, "ci"))});
  }
  body += "</table>";
  return Section{"roc", "ROC curve", std::move(body)};
}

std::optional<Section> CalibrationSection(ReportContext& context) {
  std::string body = Plot(context, ReliabilitySpec(context.evidence));
  if (body.empty()) {
    for (const auto& item : Member(context.evidence, "not_evaluable")) {
      if (ValueOr(item, "metric", "") == "calibration" && Member(item, "subgroup").is_null()) {
        body = "<p>Calibration is not evaluable: " + Text(Member(item, "reason")) + ".</p>";
      }
    }
    if (body.empty()) body = "<p>No calibration results in this evidence.</p>";
    return Section{"calibration", "Calibration", std::move(body)};
  }
  body += "<table>\n" + Row({"metric", "estimate", "interval"}, true);
  for (const auto& finding : Member(context.evidence, "findings")) {
    const std::string metric = ValueOr(finding, "metric", "");
    if (!Member(finding, "subgroup").is_null()) continue;
    if (metric != "brier" && metric != "ece" && metric != "mce" &&
        metric.rfind("calibration", 0) != 0) {
      continue;
    }
    body += Row(
        {EscapeHtml(metric), Number(Member(finding, "estimate")), Interval(Member(finding, "ci"))});
  }
  body += "</table>";
  return Section{"calibration", "Calibration", std::move(body)};
}

std::optional<Section> SubgroupSection(ReportContext& context) {
  const json results = Member(context.evidence, "subgroup_results");
  if (results.empty()) return std::nullopt;
  std::string body;
  for (const auto& endpoint : Member(context.evidence, "endpoints")) {
    body += Plot(context, ForestSpec(context.evidence, ValueOr(endpoint, "id", "")));
  }
  body += "<table>\n" + Row({"endpoint", "subgroup", "cases", "positives", "estimate", "interval",
                             "adjusted interval", "status", "verdict against subgroup goal"},
                            true);
  for (const auto& result : results) {
    const json& finding = Member(result, "finding");
    const json& verdict = Member(result, "verdict");
    body += Row({Text(Member(result, "endpoint")), Subgroup(Member(result, "subgroup")),
                 Number(Member(finding, "n")), Number(Member(finding, "n_positive")),
                 Number(Member(finding, "estimate")), Interval(Member(finding, "ci")),
                 Interval(Member(result, "adjusted_ci")), Badge(ValueOr(result, "status", "")),
                 verdict.is_string() ? Badge(verdict.get<std::string>()) : "&ndash;"});
  }
  body += "</table>";
  return Section{"subgroups", "Subgroups", std::move(body)};
}

std::optional<Section> ScoreSection(ReportContext& context) {
  const json input = Member(context.evidence, "input");
  const auto histogram =
      MakeScoreHistogram(context.cases.positive_scores, context.cases.negative_scores, kScoreBins);
  std::string body =
      Plot(context, ScoreDistributionSpec(histogram, ValueOr(input, "positive_label", "positive"),
                                          ValueOr(input, "negative_label", "negative")));
  if (body.empty()) return std::nullopt;
  body += fmt::format(
      "<p class=\"caption\">{} positive and {} negative scores; {} indeterminate outputs have no "
      "score and are not shown.</p>",
      context.cases.positive_scores.size(), context.cases.negative_scores.size(),
      context.cases.without_score);
  return Section{"scores", "Score distributions by truth", std::move(body)};
}

std::optional<Section> CountSection(ReportContext& context) {
  std::string body = Plot(context, SubgroupCountsSpec(context.evidence));
  if (body.empty()) return std::nullopt;
  body += "<table>\n" + Row({"subgroup", "cases", "positives", "negatives"}, true);
  std::vector<std::string> seen;
  for (const auto& finding : Member(context.evidence, "findings")) {
    if (!Member(finding, "subgroup").is_object()) continue;
    const std::string label = Subgroup(Member(finding, "subgroup"));
    if (std::find(seen.begin(), seen.end(), label) != seen.end()) continue;
    seen.push_back(label);
    body += Row({label, Number(Member(finding, "n")), Number(Member(finding, "n_positive")),
                 Number(Member(finding, "n_negative"))});
  }
  body += "</table>";
  return Section{"counts", "Cases per subgroup", std::move(body)};
}

std::optional<Section> MethodsSection(ReportContext& context) {
  const json& evidence = context.evidence;
  const json& protocol = Member(evidence, "protocol");
  std::string body = "<table>\n" + Row({"method", "reference"}, true);
  for (const auto& method : Member(evidence, "methods")) {
    body += Row({Text(Member(method, "name")), Text(Member(method, "citation"))});
  }
  body += "</table>\n<h3>Provenance</h3>\n<table class=\"facts\">\n";
  body += Row({"assay version", Text(Member(Member(evidence, "tool"), "version"))});
  body += Row({"Evidence schema", Text(Member(evidence, "schema_version"))});
  body += Row({"Created", Text(Member(evidence, "created"))});
  body += Row({"Command", "<code>" + Text(Member(evidence, "command")) + "</code>"});
  body += Row({"Protocol file", "<code>" + Text(Member(protocol, "path")) + "</code>"});
  body += Row({"Protocol SHA-256", "<code>" + Text(Member(protocol, "sha256")) + "</code>"});
  body +=
      Row({"Cases file", "<code>" + Text(Member(Member(evidence, "input"), "cases")) + "</code>"});
  body += Row({"Seed", Number(Member(protocol, "seed"))});
  body += Row({"Bootstrap replicates", Number(Member(protocol, "bootstrap"))});
  std::string scripts;
  for (const auto& script : ReportScripts()) {
    scripts += fmt::format("{} {} ", script.name, script.version);
  }
  body += Row({"Plots drawn by", EscapeHtml(scripts)});
  body +=
      "</table><p class=\"caption\">Every input and output is hashed in the bundle's MANIFEST; "
      "<code>assay verify</code> checks them.</p>";
  return Section{"methods", "Methods and provenance", std::move(body)};
}

// Stress tests: a degradation curve per endpoint, the lowest severity that
// changed each verdict, and every point with its flips and paired difference.
std::optional<Section> StressSection(ReportContext& context) {
  const json& stress = Member(context.evidence, "stress");
  if (!stress.is_object()) return std::nullopt;
  std::string body = fmt::format(
      "<p>The model was run again on perturbed images of the {} cases with a clean score "
      "(seed {}); each point compares the same cases, clean against perturbed. What each "
      "severity means physically: docs/perturbations.md.</p>\n",
      Number(Member(stress, "cases")), Number(Member(stress, "seed")));
  for (const auto& endpoint : Member(context.evidence, "endpoints")) {
    body += Plot(context, StressSpec(context.evidence, ValueOr(endpoint, "id", "")));
  }
  body += "<h3>Where verdicts change</h3>\n<table>\n" +
          Row({"perturbation", "endpoint", "lowest severity that changes the verdict"}, true);
  for (const auto& change : Member(stress, "verdict_changes")) {
    const json& severity = Member(change, "severity");
    body += Row({Text(Member(change, "perturbation")), Text(Member(change, "endpoint")),
                 severity.is_number() ? fmt::format("<b>{}</b>: {} &rarr; {}", Number(severity),
                                                    Badge(ValueOr(change, "from", "")),
                                                    Badge(ValueOr(change, "to", "")))
                                      : std::string("held at every severity tested")});
  }
  body += "</table>\n<h3>Every point</h3>\n<table>\n" +
          Row({"perturbation", "severity", "meaning", "cases", "no score", "decisions flipped",
               "endpoint", "perturbed", "interval", "difference to clean", "interval", "verdict"},
              true);
  for (const auto& point : Member(stress, "points")) {
    const json& rate = Member(point, "flip_rate");
    const std::string flips =
        rate.is_number()
            ? fmt::format("{} ({:.1f}%)", Number(Member(point, "flips")), 100 * rate.get<double>())
            : "&ndash;";
    for (const auto& at : Member(point, "endpoints")) {
      const json& perturbed = Member(at, "perturbed");
      const json& difference = Member(at, "difference");
      const json& verdict = Member(at, "verdict");
      body += Row({Text(Member(point, "perturbation")), Number(Member(point, "severity")),
                   Text(Member(point, "meaning")), Number(Member(point, "cases")),
                   Number(Member(point, "failed")), flips, Text(Member(at, "endpoint")),
                   Number(Member(perturbed, "estimate")), Interval(Member(perturbed, "ci")),
                   Number(Member(difference, "estimate")), Interval(Member(difference, "ci")),
                   verdict.is_string() ? Badge(verdict.get<std::string>()) : "&ndash;"});
    }
  }
  body += "</table>";
  return Section{"stress", "Stress tests", std::move(body)};
}

// Failure slices: where the model is significantly worse than on the rest, best first.
std::optional<Section> FailureSliceSection(ReportContext& context) {
  const json& found = Member(context.evidence, "failure_slices");
  if (!found.is_object()) return std::nullopt;
  if (const json& skipped = Member(found, "skipped"); skipped.is_string()) {
    return Section{"failure_slices", "Failure slices",
                   "<p><b>Not searched:</b> " + Text(skipped) + ".</p>"};
  }
  std::string features;
  for (const auto& feature : Member(found, "features")) {
    if (!features.empty()) features += ", ";
    features += Text(Member(feature, "name"));
  }
  const json& slices = Member(found, "slices");
  std::string body = fmt::format(
      "<p>An exploratory search, not a pre-specified claim: every slice of up to {} conditions "
      "on {} with at least {} cases and {} of all cases ({} slices, {} tests) was compared with "
      "the rest of the "
      "cases at threshold {}, by Fisher's exact test; the false-discovery rate is controlled at "
      "{} (Benjamini&ndash;Hochberg), and deficits under {} are not reported. Slices are ranked "
      "by deficit &times; share of cases; slices that repeat a better-ranked one are folded "
      "into it.</p>\n",
      Number(Member(found, "max_conditions")), features, Number(Member(found, "minimum_cases")),
      Number(Member(found, "minimum_share")), Number(Member(found, "slices_tested")),
      Number(Member(found, "tests")), Number(Member(found, "threshold")),
      Number(Member(found, "fdr")), Number(Member(found, "minimum_deficit")));
  if (slices.empty()) {
    body += "<p><b>No slice is significantly worse than the rest.</b></p>";
    return Section{"failure_slices", "Failure slices", std::move(body)};
  }
  body +=
      "<table>\n" + Row({"#", "slice", "cases", "metric", "in the slice", "interval", "in the rest",
                         "deficit", "interval", "q", "also worse", "folded in", "example cases"},
                        true);
  int rank = 0;
  for (const auto& slice : slices) {
    const json& r = Member(slice, "result");
    std::string also;
    for (const auto& other : Member(slice, "also_worse")) {
      if (!also.empty()) also += ", ";
      also += Text(Member(other, "metric"));
    }
    std::string examples;
    for (const auto& id : Member(slice, "examples")) {
      if (!examples.empty()) examples += ", ";
      examples += Text(id);
    }
    const json& share = Member(slice, "share");
    const json& q = Member(r, "q_value");
    body += Row({std::to_string(++rank), "<b>" + Text(Member(slice, "description")) + "</b>",
                 fmt::format("{} ({:.1f}%)", Number(Member(slice, "cases")),
                             share.is_number() ? 100 * share.get<double>() : 0.0),
                 Text(Member(r, "metric")), Number(Member(r, "estimate")),
                 Interval(Member(r, "ci")), Number(Member(Member(r, "rest"), "estimate")),
                 Number(Member(r, "deficit")), Interval(Member(r, "deficit_ci")),
                 q.is_number() ? fmt::format("{:.2g}", q.get<double>()) : "&ndash;",
                 also.empty() ? "&ndash;" : also, std::to_string(Member(slice, "merged").size()),
                 examples});
  }
  body += "</table>";
  return Section{"failure_slices", "Failure slices", std::move(body)};
}

// The last part of a path: the report names files, not the folders of the machine it ran on.
std::string FileName(const json& path) {
  if (!path.is_string()) return "&ndash;";
  return EscapeHtml(std::filesystem::path(path.get<std::string>()).filename().string());
}

// Shift: how the deployment population differs from the evidence, attribute by attribute.
std::optional<Section> ShiftSection(ReportContext& context) {
  const json& shift = Member(context.evidence, "shift");
  if (!shift.is_object()) return std::nullopt;
  std::string body = fmt::format(
      "<p>The evidence's cases against <b>{}</b>. An attribute is <i>shifted</i> when its "
      "difference is significant after {} adjustment at {} and its population stability index "
      "reaches {}; <i>minor</i> when significant but smaller, as some difference always is in a "
      "large enough cohort.</p>\n<table>\n",
      FileName(Member(shift, "target")), Text(Member(shift, "multiplicity")),
      Number(Member(shift, "alpha")), Number(Member(shift, "psi_threshold")));
  body += Row(
      {"attribute", "status", "test", "adjusted p", "PSI", "interval",
       "total variation / Wasserstein", "interval", "median: evidence &rarr; target", "missing"},
      true);
  for (const auto& a : Member(shift, "attributes")) {
    const json& tv = Member(a, "total_variation");
    const json& p = Member(a, "adjusted_p");
    body += Row(
        {"<b>" + Text(Member(a, "name")) + "</b>", Badge(ValueOr(a, "status", "")),
         Text(Member(a, "test")),
         p.is_number() ? fmt::format("{:.2g}", p.get<double>()) : "&ndash;",
         Number(Member(a, "psi")), Interval(Member(a, "psi_ci")),
         tv.is_number() ? Number(tv) : Number(Member(a, "wasserstein")),
         Interval(tv.is_number() ? Member(a, "total_variation_ci") : Member(a, "wasserstein_ci")),
         Member(a, "reference_median").is_number()
             ? Number(Member(a, "reference_median")) + " &rarr; " +
                   Number(Member(a, "target_median"))
             : "&ndash;",
         Number(Member(a, "reference_missing")) + " / " + Number(Member(a, "target_missing"))});
  }
  body += "</table>\n";
  const json& domain = Member(shift, "domain_classifier");
  if (Member(domain, "auc").is_number()) {
    std::string strongest;
    for (const auto& feature : Member(domain, "strongest")) {
      if (!strongest.empty()) strongest += ", ";
      strongest += Text(Member(feature, "feature"));
    }
    body += fmt::format(
        "<p>A classifier told the two populations apart with a cross-validated AUC of <b>{}</b> "
        "({}); 0.5 means indistinguishable. Strongest features: {}.</p>\n",
        Number(Member(domain, "auc")), Interval(Member(domain, "auc_ci")),
        strongest.empty() ? "&ndash;" : strongest);
  }
  return Section{"shift", "Distribution shift", std::move(body)};
}

// deployment.label_free: CBPE and ATC on the site's scores beside the validated figures.
std::string LabelFreeTable(const json& found) {
  if (!found.is_object()) return "";
  std::string body = "<h3>Expected performance from the site's scores, without labels</h3>\n";
  if (const json& reason = Member(found, "not_evaluable"); reason.is_string()) {
    return body + "<p><b>Not evaluable:</b> " + Text(reason) + ".</p>\n";
  }
  const json& calibration = Member(found, "calibration");
  body += fmt::format(
      "<p>{} scores at the site ({} without one), read as probabilities through the evidence's "
      "{} cases with a score of the model's own. <b>Calibration on the evidence:</b> {}. "
      "<b>Assumption:</b> {}.</p>\n",
      Number(Member(found, "target_cases")), Number(Member(found, "target_missing")),
      Number(Member(found, "reference_cases")), Text(Member(calibration, "note")),
      Text(Member(found, "assumption")));
  body += "<table>\n" + Row({"threshold", "metric", "validated (evidence)", "CBPE at the site",
                             "interval", "ATC at the site", "interval"},
                            true);
  for (const auto& e : Member(found, "estimates")) {
    const json& cbpe = Member(e, "cbpe");
    const json& validated = Member(e, "validated");
    for (const char* metric : {"sensitivity", "specificity", "accuracy", "auc"}) {
      const json& estimate = Member(cbpe, metric);
      const bool atc = std::string_view(metric) == "accuracy";
      const json& atc_accuracy = Member(Member(e, "atc"), "accuracy");
      body += Row({Number(Member(e, "threshold")) + " (" + Text(Member(e, "endpoints")) + ")",
                   metric, Number(Member(validated, metric)),
                   "<b>" + Number(Member(estimate, "estimate")) + "</b>",
                   Interval(Member(estimate, "ci")),
                   atc ? Number(Member(atc_accuracy, "estimate")) : "&ndash;",
                   atc ? Interval(Member(atc_accuracy, "ci")) : "&ndash;"});
    }
  }
  return body + "</table>\n";
}

// Deployment readiness: coverage of each deployment stratum, expected performance, risks.
std::optional<Section> DeploymentSection(ReportContext& context) {
  const json& deployment = Member(context.evidence, "deployment");
  if (!deployment.is_object()) return std::nullopt;
  const std::string source =
      Member(deployment, "profile").is_string()
          ? fmt::format("the profile <b>{}</b> ({} cases)", FileName(Member(deployment, "profile")),
                        Number(Member(deployment, "profile_cases")))
          : std::string("the declared mix of the protocol");
  if (const json& skipped = Member(deployment, "skipped"); skipped.is_string()) {
    return Section{"deployment", "Deployment readiness",
                   "<p><b>Not assessed:</b> " + Text(skipped) + ".</p>"};
  }
  std::string body = fmt::format(
      "<p>Where the model would be deployed, from {}, cut into strata. Each stratum is judged "
      "against each endpoint's goal: <i>covered</i> when its interval lies above the goal (or, "
      "without a goal, is within &plusmn;{}), <i>thin</i> when there are too few cases to "
      "judge, <i>below goal</i> when its interval lies below, <i>not covered</i> when the "
      "evidence has none of its cases.</p>\n",
      source, Number(Member(deployment, "maximum_half_width"), 2));
  body += Plot(context, CoverageSpec(context.evidence));
  body += "<h3>Expected performance in deployment</h3>\n<table>\n" +
          Row({"reweighted by", "endpoint", "validated", "interval", "expected in deployment",
               "interval", "share without evidence"},
              true);
  for (const auto& e : Member(deployment, "expected")) {
    const json& uncovered = Member(e, "uncovered_share");
    body += Row({Text(Member(e, "dimension")), Text(Member(e, "endpoint")),
                 Number(Member(e, "validated")), Interval(Member(e, "validated_ci")),
                 "<b>" + Number(Member(e, "expected")) + "</b>", Interval(Member(e, "expected_ci")),
                 uncovered.is_number() ? fmt::format("{:.1f}%", 100 * uncovered.get<double>())
                                       : "&ndash;"});
  }
  body += "</table>\n";
  body += LabelFreeTable(Member(deployment, "label_free"));
  body += "<h3>Risk ranking</h3>\n";
  const json& risks = Member(deployment, "risks");
  if (risks.empty()) {
    body += "<p>No deployed stratum is worse than the evidence as a whole.</p>\n";
  } else {
    body +=
        "<p>Strata without evidence first (their risk is unknown), then by deficit "
        "&times; deployment share.</p>\n<table>\n" +
        Row({"#", "stratum", "endpoint", "deployment share", "deficit", "risk", "coverage"}, true);
    int rank = 0;
    for (const auto& r : risks) {
      const json& share = Member(r, "deployment_share");
      body +=
          Row({std::to_string(++rank),
               Text(Member(r, "dimension")) + " = <b>" + Text(Member(r, "level")) + "</b>",
               Text(Member(r, "endpoint")),
               share.is_number() ? fmt::format("{:.1f}%", 100 * share.get<double>()) : "&ndash;",
               Number(Member(r, "deficit")), Number(Member(r, "risk")),
               Badge(ValueOr(r, "coverage", ""))});
      if (rank == 20) break;
    }
    body += "</table>\n";
  }
  body += "<h3>Every stratum</h3>\n<table>\n" +
          Row({"stratum", "deployment share", "evidence cases", "endpoint", "estimate", "interval",
               "coverage", "cases needed"},
              true);
  for (const auto& stratum : Member(deployment, "strata")) {
    const json& share = Member(stratum, "deployment_share");
    for (const auto& m : Member(stratum, "metrics")) {
      const json& needed = Member(m, "cases_needed");
      body +=
          Row({Text(Member(stratum, "dimension")) + " = " + Text(Member(stratum, "level")),
               share.is_number() ? fmt::format("{:.1f}%", 100 * share.get<double>()) : "&ndash;",
               Number(Member(stratum, "evidence_cases")), Text(Member(m, "endpoint")),
               Number(Member(m, "estimate")), Interval(Member(m, "ci")),
               Badge(ValueOr(m, "coverage", "")),
               needed.is_number() ? fmt::format("{} more ({})", Number(needed),
                                                Text(Member(m, "cases_needed_basis")))
                                  : "&ndash;"});
    }
  }
  body += "</table>\n";
  for (const auto& note : Member(deployment, "notes"))
    body += "<p class=\"muted\">" + Text(note) + "</p>\n";
  return Section{"deployment", "Deployment readiness", std::move(body)};
}

// One analysis of a reader study as table rows: its test, then each difference and modality.
std::string MrmcTestRows(const json& test, const std::string& title) {
  const json& ddf = Member(test, "denominator_df");
  std::string rows =
      Row({"<b>" + title + "</b>",
           fmt::format("{} = {}", ValueOr(test, "test", "") == "f" ? "F" : "&chi;&sup2;",
                       Number(Member(test, "statistic"), 4)),
           fmt::format("df {}{}", Number(Member(test, "numerator_df"), 0),
                       ddf.is_number() ? ", " + Number(ddf, 2) : ""),
           "p = " + Number(Member(test, "p_value"), 4), "", ""});
  for (const json* list : {&Member(test, "differences"), &Member(test, "modalities")}) {
    for (const auto& e : *list) {
      const json& df = Member(e, "degrees_of_freedom");
      rows += Row({"&nbsp;&nbsp;" + Text(Member(e, "label")), Number(Member(e, "estimate"), 4),
                   "SE " + Number(Member(e, "standard_error"), 4),
                   Member(e, "p_value").is_number() ? "p = " + Number(Member(e, "p_value"), 4) : "",
                   Interval(Member(e, "ci")), df.is_number() ? "df " + Number(df, 2) : "normal"});
    }
  }
  return rows;
}

std::optional<Section> MrmcSection(ReportContext& context) {
  const json& mrmc = Member(context.evidence, "mrmc");
  if (!mrmc.is_object()) return std::nullopt;
  const json& design = Member(mrmc, "design");
  const json& claim = Member(mrmc, "claim");
  std::string body = fmt::format(
      "<p>The reader study <b>{}</b>: {} readers, {} cases ({} positive, {} negative), every "
      "reader reading every case under each modality. Figure of merit: {}; covariance: {}.</p>\n",
      FileName(Member(mrmc, "ratings")), Number(Member(design, "readers")),
      Number(Member(design, "cases")), Number(Member(design, "positive_cases")),
      Number(Member(design, "negative_cases")), Text(Member(mrmc, "figure_of_merit")),
      Text(Member(mrmc, "covariance")));
  if (claim.is_object()) {
    body += fmt::format("<p>Claim <b>{}</b> ({}): {} {}.</p>\n", Text(Member(claim, "id")),
                        ValueOr(claim, "primary", false) ? "primary" : "secondary",
                        Badge(ValueOr(claim, "verdict", "")), Text(Member(claim, "reason")));
    const json& needed = Member(Member(claim, "needed"), "plans");
    if (needed.is_array() && !needed.empty()) {
      std::vector<std::string> plans;
      for (const auto& p : needed) {
        plans.push_back(fmt::format("{} readers &times; {} cases", Number(Member(p, "readers")),
                                    Number(Member(p, "cases"))));
        if (plans.size() == 4) break;
      }
      body += fmt::format(
          "<p>If the observed difference held, these studies would reach the planned power: "
          "{}.</p>\n",
          fmt::join(plans, "; "));
    }
  }
  body += Plot(context, ReaderFiguresSpec(context.evidence));
  const json& oror = Member(mrmc, "obuchowski_rockette");
  body += "<h3>Obuchowski&ndash;Rockette analysis</h3>\n<table>\n" +
          Row({"analysis / estimate", "statistic or estimate", "df or SE", "p", "interval", "df"},
              true);
  body += MrmcTestRows(Member(oror, "random_readers_random_cases"),
                       "Random readers, random cases (Hillis df)");
  body += MrmcTestRows(Member(oror, "fixed_readers"), "Fixed readers, random cases");
  body += MrmcTestRows(Member(oror, "fixed_cases"), "Random readers, fixed cases");
  body += "</table>\n";
  const json& components = Member(oror, "components");
  const json& squares = Member(oror, "mean_squares");
  body += "<h3>ANOVA of the reader &times; modality figures</h3>\n<table>\n" +
          Row({"source", "mean square"}, true) +
          Row({"modality (T)", Number(Member(squares, "t"), 6)}) +
          Row({"reader (R)", Number(Member(squares, "r"), 6)}) +
          Row({"T &times; R", Number(Member(squares, "tr"), 6)}) + "</table>\n<table>\n" +
          Row({"variance component", "estimate"}, true);
  const std::pair<const char*, const char*> names[] = {{"var_r", "Var(R)"},
                                                       {"var_tr", "Var(T&times;R)"},
                                                       {"error", "Var(error)"},
                                                       {"cov1", "Cov1 (same reader)"},
                                                       {"cov2", "Cov2 (same modality)"},
                                                       {"cov3", "Cov3"}};
  for (const auto& [name, label] : names) {
    body += Row({label, Number(Member(components, name), 6)});
  }
  body += "</table>\n";
  if (const json& dbm = Member(mrmc, "dorfman_berbaum_metz"); dbm.is_object()) {
    const json& random = Member(dbm, "random_readers_random_cases");
    body += fmt::format(
        "<p class=\"muted\">Dorfman&ndash;Berbaum&ndash;Metz on jackknife pseudovalues, random "
        "readers and cases: F = {}, df {} and {}, p = {} (the same test as Obuchowski&ndash;"
        "Rockette with jackknife covariance).</p>\n",
        Number(Member(random, "statistic"), 4), Number(Member(random, "numerator_df"), 0),
        Number(Member(random, "denominator_df"), 2), Number(Member(random, "p_value"), 4));
  }
  if (const json& standalone = Member(mrmc, "standalone"); standalone.is_object()) {
    body +=
        "<h3>Standalone AI against the readers</h3>\n<table>\n" +
        Row({"modality", "panel", "standalone", "panel &minus; standalone", "interval", "p"}, true);
    for (const auto& c : Member(standalone, "comparisons")) {
      const json& random = Member(c, "random_readers_random_cases");
      body += Row({Text(Member(c, "modality")), Number(Member(c, "panel"), 4),
                   Number(Member(c, "standalone"), 4), Number(Member(random, "estimate"), 4),
                   Interval(Member(random, "ci")), Number(Member(random, "p_value"), 4)});
    }
    body += "</table>\n";
  }
  return Section{"mrmc", "Reader study", std::move(body)};
}

// The report's sections, in reading order. A later capability adds its builder here.
constexpr SectionBuilder kSections[] = {
    SummarySection,    IdentitySection, CaseFlowSection,     AuditSection,
    EndpointSection,   MrmcSection,     RocSection,          CalibrationSection,
    SubgroupSection,   StressSection,   FailureSliceSection, ShiftSection,
    DeploymentSection, ScoreSection,    CountSection,        MethodsSection,
};

constexpr const char* kStyle = R"(
body{font:15px/1.5 system-ui,sans-serif;color:#1a1a1a;max-width:1100px;margin:0 auto;padding:1em 2em}
h1{font-size:1.6em;margin-bottom:0}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f2f2f2}.facts th,.facts td:first-child{font-weight:600;width:14em}
.badge{border:2px solid;border-radius:.8em;padding:0 .5em;white-space:nowrap;font-weight:600}
.verdict{border-left:8px solid;padding:.5em 1em;background:#fafafa}
.verdict-word{font-size:1.4em;margin:.2em 0}.muted{color:#666;font-size:.9em}
.caption{color:#444;font-size:.9em}.plot{margin:1em 0}.plot-note{color:#666;font-style:italic}
.flow{display:flex;flex-direction:column;align-items:flex-start;gap:.2em}
.box{border:2px solid #444;padding:.4em .8em;min-width:18em}.box.side{border-style:dashed}
.box ul{margin:.2em 0}.arrow{font-size:1.4em;padding-left:2em}
nav a{margin-right:1em}code{font-size:.88em;word-break:break-all}
@media print{nav{display:none}body{max-width:none;padding:0}h2{break-after:avoid}
section,.plot,tr{break-inside:avoid}table{width:100%}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
)";

constexpr const char* kScript = R"(
(function () {
  document.querySelectorAll('script[type="application/json"][data-plot]').forEach(function (node) {
    var target = document.getElementById(node.getAttribute('data-plot'));
    target.textContent = '';
    vegaEmbed(target, JSON.parse(node.textContent), {actions: false, renderer: 'svg'})
      .then(function () { target.setAttribute('data-rendered', 'yes'); })
      .catch(function (error) {
        target.textContent = 'The plot could not be drawn: ' + error;
        console.error(error);
      });
  });
})();
)";

// JSON inside a <script> element: "<" written as \u003c, so no value can end the element.
std::string ScriptJson(const json& value) {
  std::string text = value.dump();
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '<') {
      out += "\\u003c";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

ReportCases ReportCasesOf(const data::CaseTable& table) {
  std::vector<std::uint8_t> indeterminate(table.size(), 0);
  for (const auto& item : table.indeterminate) {
    if (item.index < indeterminate.size()) indeterminate[item.index] = 1;
  }
  ReportCases cases;
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (indeterminate[i] != 0) {
      ++cases.without_score;
    } else {
      (table.truth[i] == 1 ? cases.positive_scores : cases.negative_scores)
          .push_back(table.score[i]);
    }
  }
  return cases;
}

Result<ReportCases> ReadReportCases(const std::string& cases_csv) {
  auto source = io::OpenRecordSource(cases_csv, {"truth", "score", "output"});
  if (!source.ok()) return source.status();
  ReportCases cases;
  while (true) {
    auto more = (*source)->Next();
    if (!more.ok()) return more.status();
    if (!*more) break;
    const auto truth = (*source)->Value(0), score = (*source)->Value(1);
    const auto output = (*source)->Value(2);
    const auto where = [&](std::string_view what) {
      return InvalidInput(fmt::format("{} line {}: {}", cases_csv, (*source)->line(), what));
    };
    if (!truth || (*truth != "0" && *truth != "1")) return where("truth is neither 0 nor 1");
    if (output && *output != "ok") {
      ++cases.without_score;
      continue;
    }
    char* end = nullptr;
    const std::string text(score.value_or(""));
    const double value = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value)) {
      return where(fmt::format("score '{}' is not a finite number", text));
    }
    (*truth == "1" ? cases.positive_scores : cases.negative_scores).push_back(value);
  }
  return cases;
}

std::string RenderHtmlReport(const json& evidence, const ReportCases& cases) {
  ReportContext context{evidence, cases, {}};
  std::vector<Section> sections;
  for (SectionBuilder build : kSections) {
    if (auto section = build(context)) sections.push_back(std::move(*section));
  }
  const json& protocol = Member(evidence, "protocol");
  const std::string title = EscapeHtml(ValueOr(protocol, "title", std::string("assay evidence")));

  std::string html = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>{0} &mdash; evidence report</title>\n<style>{1}</style>\n</head>\n<body>\n"
      "<header><h1>{0}</h1><p class=\"muted\">Evidence report by assay {2}, from the evidence "
      "of {3}</p></header>\n<nav>",
      title, kStyle, Text(Member(Member(evidence, "tool"), "version")),
      Text(Member(evidence, "created")));
  for (const auto& section : sections) {
    html += fmt::format("<a href=\"#{}\">{}</a>", section.id, section.title);
  }
  html += "</nav>\n";
  for (const auto& section : sections) {
    html += fmt::format("<section id=\"{}\">\n<h2>{}</h2>\n{}\n</section>\n", section.id,
                        section.title, section.body);
  }
  for (const auto& [id, spec] : context.plots) {
    html += fmt::format("<script type=\"application/json\" data-plot=\"{}\">{}</script>\n", id,
                        ScriptJson(spec));
  }
  for (const auto& script : ReportScripts()) {
    html += fmt::format("<script data-library=\"{} {}\">\n", script.name, script.version);
    html += script.source;
    html += "\n</script>\n";
  }
  html += fmt::format("<script>{}</script>\n</body>\n</html>\n", kScript);
  return html;
}

}  // namespace assay::report
