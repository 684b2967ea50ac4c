#include "assay/report/terminal.h"

#include <fmt/format.h>

#include <cmath>
#include <map>

namespace assay::report {
namespace {

std::string FormatNumber(double value) {
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return fmt::format("{:.4f}", value);
}

std::string FormatInterval(const std::optional<stats::Interval>& ci,
                           std::optional<double> design_effect = std::nullopt) {
  if (!ci) return "-";
  std::string text =
      fmt::format("[{}, {}] {}", FormatNumber(ci->lower), FormatNumber(ci->upper), ci->method);
  if (design_effect) text += fmt::format(" (design effect {:.2f})", *design_effect);
  return text;
}

std::string Population(const std::optional<analysis::Subgroup>& subgroup) {
  return subgroup ? fmt::format("{}={}", subgroup->column, subgroup->value) : "all";
}

std::string OperatingPointLabel(const analysis::Finding& finding) {
  if (!finding.operating_point) return finding.binning.value_or("");
  const auto& point = *finding.operating_point;
  std::string label = fmt::format("{} @{:.4g}", point.rule, point.threshold);
  if (finding.prevalence) label += fmt::format(" prev={:.3g}", *finding.prevalence);
  return label;
}

void AppendCaseFlow(const data::CaseTable& table, std::string& out) {
  std::map<std::string, std::size_t> excluded;
  for (const auto& exclusion : table.flow.exclusions) ++excluded[exclusion.reason];
  out += fmt::format("Case flow: {} received", table.flow.received);
  for (const auto& [reason, count] : excluded)
    out += fmt::format(", {} excluded ({})", count, reason);
  out += fmt::format(", {} analysed\n", table.flow.analysed);
}

}  // namespace

std::string FormatEvaluation(const data::CaseTable& table, const analysis::Evaluation& evaluation) {
  std::string out;
  AppendCaseFlow(table, out);
  out += fmt::format("Cases: {} ({} positive '{}', {} negative '{}')\n\n", evaluation.n,
                     evaluation.n_positive, table.positive_label, evaluation.n_negative,
                     table.negative_label);

  out += fmt::format("{:<26} {:<24} {:<28} {:>9}  {}\n", "metric", "population", "operating point",
                     "estimate", "interval");
  for (const auto& finding : evaluation.findings) {
    out += fmt::format(
        "{:<26} {:<24} {:<28} {:>9}  {}{}\n", finding.metric, Population(finding.subgroup),
        OperatingPointLabel(finding), FormatNumber(finding.estimate),
        FormatInterval(finding.ci, finding.design_effect),
        finding.exploratory ? "  (exploratory: threshold chosen on these cases)" : "");
  }

  if (!evaluation.comparisons.empty()) out += "\nPaired comparisons (score - comparator):\n";
  for (const auto& comparison : evaluation.comparisons) {
    out += fmt::format("  {:<14} {:<12} {:>9}  {}  p={:.4g}\n", comparison.test, comparison.metric,
                       FormatNumber(comparison.estimate), FormatInterval(comparison.ci),
                       comparison.p_value);
  }
  if (!evaluation.heterogeneity.empty()) out += "\nSubgroup heterogeneity:\n";
  for (const auto& test : evaluation.heterogeneity) {
    out += fmt::format("  {:<16} {:<12} {:<10} stat={:.4g} df={:g} p={:.4g} p_{}={:.4g}\n",
                       test.column, test.metric, test.test, test.statistic, test.degrees_of_freedom,
                       test.p_value, test.adjustment, test.p_adjusted);
  }
  if (!evaluation.not_evaluable.empty()) out += "\nNot evaluable:\n";
  for (const auto& item : evaluation.not_evaluable) {
    out += fmt::format("  {} ({}): {}\n", item.metric, Population(item.subgroup), item.reason);
  }
  return out;
}

}  // namespace assay::report
