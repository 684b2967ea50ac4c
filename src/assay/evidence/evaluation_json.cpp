#include "assay/evidence/evaluation_json.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

namespace assay::evidence {

using nlohmann::json;

json JsonNumber(double value) { return std::isfinite(value) ? json(value) : json(nullptr); }

json IntervalJson(const std::optional<stats::Interval>& ci) {
  if (!ci) return nullptr;
  return {{"lower", JsonNumber(ci->lower)},
          {"upper", JsonNumber(ci->upper)},
          {"level", ci->level},
          {"method", ci->method}};
}

namespace {

json Number(double value) { return JsonNumber(value); }

json SubgroupJson(const std::optional<analysis::Subgroup>& subgroup) {
  if (!subgroup) return nullptr;
  return {{"column", subgroup->column}, {"value", subgroup->value}};
}

json OperatingPointJson(const analysis::OperatingPoint& point) {
  json out = {{"rule", point.rule},
              {"threshold", point.threshold},
              {"chosen_on_test_data", point.chosen_on_test_data}};
  if (point.target) out["target"] = *point.target;
  return out;
}

json CaseFlowJson(const data::CaseTable& table) {
  std::map<std::string, json> by_reason;
  for (const auto& exclusion : table.flow.exclusions) {
    json& entry = by_reason[exclusion.reason];
    if (entry.is_null())
      entry = {{"reason", exclusion.reason}, {"count", 0}, {"cases", json::array()}};
    entry["count"] = entry["count"].get<std::uint64_t>() + 1;
    json item = {{"line", exclusion.line}};
    if (!exclusion.id.empty()) item["id"] = exclusion.id;
    entry["cases"].push_back(std::move(item));
  }
  json excluded = json::array();
  for (auto& [reason, entry] : by_reason) excluded.push_back(std::move(entry));
  return {{"received", table.flow.received},
          {"excluded", std::move(excluded)},
          {"analysed", table.flow.analysed}};
}

// Citation of every method and test name that can appear in the document
// (partial AUC: McClish 1989; recalibration: Cox 1958, cited in docs/methods.md).
json MethodsJson() {
  return json::array({
      {{"name", "delong"},
       {"citation",
        "DeLong, DeLong & Clarke-Pearson, Biometrics 1988; "
        "algorithm of Sun & Xu, IEEE Signal Proc. Lett. 2014"}},
      {{"name", "obuchowski_clustered"}, {"citation", "Obuchowski, Biometrics 1997"}},
      {{"name", "bootstrap_percentile"}, {"citation", "Efron & Tibshirani, 1993"}},
      {{"name", "bootstrap_bca"}, {"citation", "Efron, JASA 1987"}},
      {{"name", "wilson"}, {"citation", "Wilson, JASA 1927"}},
      {{"name", "clopper_pearson"}, {"citation", "Clopper & Pearson, Biometrika 1934"}},
      {{"name", "jeffreys"}, {"citation", "Brown, Cai & DasGupta, Stat. Sci. 2001"}},
      {{"name", "agresti_coull"}, {"citation", "Agresti & Coull, Am. Stat. 1998"}},
      {{"name", "wald"}, {"citation", "normal approximation"}},
      {{"name", "log_ratio"}, {"citation", "Simel, Samsa & Matchar, J Clin Epidemiol 1991"}},
      {{"name", "logit_mercaldo"}, {"citation", "Mercaldo, Lau & Zhou, Stat. Med. 2007"}},
      {{"name", "cluster_bootstrap_percentile"},
       {"citation", "Field & Welsh, JRSS-B 2007 (resampling clusters)"}},
      {{"name", "cluster_bootstrap_bca"}, {"citation", "Efron, JASA 1987; Field & Welsh 2007"}},
      {{"name", "normal"}, {"citation", "normal approximation (Brier score)"}},
      {{"name", "chi_square"}, {"citation", "Pearson chi-square test of homogeneity"}},
      {{"name", "bonferroni"}, {"citation", "Bonferroni correction"}},
      {{"name", "delong_paired"}, {"citation", "DeLong, DeLong & Clarke-Pearson, 1988"}},
      {{"name", "mcnemar"},
       {"citation",
        "McNemar 1947; mid-p: Fagerland, Lydersen & Laake, "
        "BMC Med Res Methodol 2013"}},
      {{"name", "cochran_q"}, {"citation", "Cochran, Biometrics 1954"}},
      {{"name", "holm"}, {"citation", "Holm, Scand. J. Stat. 1979"}},
      {{"name", "benjamini_hochberg"}, {"citation", "Benjamini & Hochberg, JRSS-B 1995"}},
  });
}

}  // namespace

json FindingJson(const analysis::Finding& finding) {
  json out = {{"metric", finding.metric},
              {"estimate", Number(finding.estimate)},
              {"ci", IntervalJson(finding.ci)},
              {"n", finding.n},
              {"n_positive", finding.n_positive},
              {"n_negative", finding.n_negative},
              {"threshold",
               finding.operating_point ? json(finding.operating_point->threshold) : json(nullptr)},
              {"subgroup", SubgroupJson(finding.subgroup)},
              {"exploratory", finding.exploratory}};
  if (finding.operating_point)
    out["operating_point"] = OperatingPointJson(*finding.operating_point);
  if (finding.prevalence) out["prevalence"] = *finding.prevalence;
  if (finding.design_effect) out["design_effect"] = *finding.design_effect;
  if (finding.binning) out["binning"] = *finding.binning;
  if (const auto& range = finding.partial_auc_range) {
    out["partial_auc"] = {
        {"focus",
         range->focus == stats::PartialAucFocus::kSpecificity ? "specificity" : "sensitivity"},
        {"from", range->from},
        {"to", range->to},
        {"raw", finding.partial_auc_raw}};
  }
  return out;
}

json ComparisonJson(const analysis::Comparison& comparison) {
  json out = {{"test", comparison.test},
              {"metric", comparison.metric},
              {"estimate", comparison.estimate},
              {"ci", IntervalJson(comparison.ci)},
              {"statistic", comparison.statistic},
              {"p_value", comparison.p_value},
              {"threshold", comparison.threshold ? json(*comparison.threshold) : json(nullptr)}};
  if (comparison.mid_p_value) {
    out["mid_p_value"] = *comparison.mid_p_value;
    out["discordant"] = {{"score_only", comparison.discordant_first},
                         {"comparator_only", comparison.discordant_second}};
  }
  return out;
}

json EvaluationToJson(const data::CaseTable& table, const analysis::Evaluation& evaluation,
                      const RunContext& context) {
  json findings = json::array(), comparisons = json::array(), heterogeneity = json::array();
  for (const auto& finding : evaluation.findings) findings.push_back(FindingJson(finding));
  for (const auto& comparison : evaluation.comparisons) {
    comparisons.push_back(ComparisonJson(comparison));
  }
  for (const auto& test : evaluation.heterogeneity) {
    heterogeneity.push_back({{"column", test.column},
                             {"metric", test.metric},
                             {"threshold", test.threshold ? json(*test.threshold) : json(nullptr)},
                             {"test", test.test},
                             {"statistic", test.statistic},
                             {"degrees_of_freedom", test.degrees_of_freedom},
                             {"p_value", test.p_value},
                             {"p_adjusted", test.p_adjusted},
                             {"adjustment", test.adjustment}});
  }
  json not_evaluable = json::array();
  for (const auto& item : evaluation.not_evaluable) {
    not_evaluable.push_back({{"metric", item.metric},
                             {"subgroup", SubgroupJson(item.subgroup)},
                             {"reason", item.reason}});
  }
  json operating_points = json::array();
  for (const auto& point : evaluation.operating_points) {
    operating_points.push_back(OperatingPointJson(point));
  }
  json roc = json::array();
  for (const auto& point : evaluation.roc_curve) {
    roc.push_back({{"threshold", Number(point.threshold)},
                   {"sensitivity", point.sensitivity},
                   {"specificity", point.specificity}});
  }
  json reliability = json::array();
  for (const auto& bin : evaluation.reliability) {
    reliability.push_back({{"lower", bin.lower},
                           {"upper", bin.upper},
                           {"count", bin.count},
                           {"mean_predicted", bin.mean_predicted},
                           {"observed_rate", bin.observed_rate}});
  }

  return {{"schema_version", kSchemaVersion},
          {"tool", {{"name", "assay"}, {"version", context.tool_version}}},
          {"created", context.created},
          {"command", context.command_line},
          {"options", context.options},
          {"input",
           {{"cases", table.source},
            {"positive_label", table.positive_label},
            {"negative_label", table.negative_label},
            {"direction",
             table.direction == data::ScoreDirection::kHigherIsPositive ? "higher" : "lower"}}},
          {"case_flow", CaseFlowJson(table)},
          {"n", evaluation.n},
          {"n_positive", evaluation.n_positive},
          {"n_negative", evaluation.n_negative},
          {"operating_points", std::move(operating_points)},
          {"findings", std::move(findings)},
          {"comparisons", std::move(comparisons)},
          {"heterogeneity", std::move(heterogeneity)},
          {"not_evaluable", std::move(not_evaluable)},
          {"roc_curve", std::move(roc)},
          {"reliability", std::move(reliability)},
          {"methods", MethodsJson()}};
}

Status WriteEvidence(const std::string& directory, const json& document) {
  namespace fs = std::filesystem;
  std::error_code error;
  fs::create_directories(directory, error);
  if (error)
    return IoError(fmt::format("{}: cannot create the directory: {}", directory, error.message()));
  const fs::path target = fs::path(directory) / "evidence.json";
  const fs::path temporary = fs::path(directory) / ".evidence.json.partial";
  {
    std::ofstream out(temporary);
    out << document.dump(2) << '\n';
    out.close();
    if (!out) {
      fs::remove(temporary, error);
      return IoError(fmt::format("{}: cannot write", temporary.string()));
    }
  }
  fs::rename(temporary, target, error);
  if (error) {
    const std::string reason = error.message();
    fs::remove(temporary, error);
    return IoError(fmt::format("{}: cannot write: {}", target.string(), reason));
  }
  return Status::Ok();
}

}  // namespace assay::evidence
