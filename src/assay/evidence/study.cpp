#include "assay/evidence/study.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>

#include "assay/stats/sample_size.h"

namespace assay::evidence {
namespace {

constexpr double kPlanningPower = 0.8;

bool IsProportion(const std::string& metric) {
  return metric == "sensitivity" || metric == "specificity" || metric == "ppv" || metric == "npv" ||
         metric == "accuracy";
}

std::string BinLabel(const std::vector<double>& cuts, std::size_t bin) {
  if (bin == 0) return fmt::format("<{:g}", cuts.front());
  if (bin == cuts.size()) return fmt::format(">={:g}", cuts.back());
  return fmt::format("[{:g},{:g})", cuts[bin - 1], cuts[bin]);
}

// Replaces the levels of each binned numeric subgroup column by its bins.
Status BinNumericGroups(data::CaseTable& table, const SubgroupPlan& plan) {
  for (auto& column : table.groups) {
    const auto found = plan.bins.find(column.name);
    if (found == plan.bins.end()) continue;
    const std::vector<double>& cuts = found->second;
    // Level index -> bin index (cuts.size() + 1 is "(missing)").
    std::vector<std::size_t> bin_of_level(column.levels.size());
    for (std::size_t level = 0; level < column.levels.size(); ++level) {
      const std::string& text = column.levels[level];
      if (text == data::kMissingLevel) {
        bin_of_level[level] = cuts.size() + 1;
        continue;
      }
      double value = 0.0;
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
        return InvalidInput(fmt::format(
            "{}: column '{}' is binned by the protocol, but holds '{}', which is not a number",
            table.source, column.name, text));
      }
      bin_of_level[level] = static_cast<std::size_t>(
          std::upper_bound(cuts.begin(), cuts.end(), value) - cuts.begin());
    }
    // Keep only the bins that occur, in ascending order, missing last.
    std::set<std::size_t> used(bin_of_level.begin(), bin_of_level.end());
    std::map<std::size_t, std::uint32_t> code_of_bin;
    data::CategoricalColumn binned{column.name, {}, {}};
    for (std::size_t bin : used) {
      code_of_bin[bin] = static_cast<std::uint32_t>(binned.levels.size());
      binned.levels.push_back(bin > cuts.size() ? data::kMissingLevel : BinLabel(cuts, bin));
    }
    binned.codes.reserve(column.codes.size());
    for (std::uint32_t code : column.codes) binned.codes.push_back(code_of_bin[bin_of_level[code]]);
    column = std::move(binned);
  }
  return Status::Ok();
}

Result<analysis::EvaluationOptions> OptionsFor(const Protocol& protocol, const EndpointSpec* spec) {
  analysis::EvaluationOptions options;
  options.seed = protocol.seed;
  options.bootstrap_replicates = protocol.bootstrap;
  options.youden = false;
  if (auto method = stats::ParseMultiplicity(protocol.subgroups.multiplicity)) {
    options.multiplicity = *method;
  }
  if (spec == nullptr) {
    for (const auto& endpoint : protocol.endpoints) {
      const auto& thresholds = options.thresholds;
      if (endpoint.threshold && std::find(thresholds.begin(), thresholds.end(),
                                          *endpoint.threshold) == thresholds.end()) {
        options.thresholds.push_back(*endpoint.threshold);
      }
    }
    return options;
  }
  options.level = spec->level;
  if (spec->threshold) options.thresholds = {*spec->threshold};
  options.target_sensitivity = spec->target_sensitivity;
  options.target_specificity = spec->target_specificity;
  options.compare_threshold = spec->threshold;
  if (!spec->interval.empty()) {
    if (spec->metric == "auc") {
      auto method = analysis::ParseAucMethod(spec->interval);
      if (!method) return InvalidInput("endpoint '" + spec->id + "': unknown AUC interval");
      options.auc_method = *method;
    } else {
      auto method = stats::ParseProportionMethod(spec->interval);
      if (!method) return InvalidInput("endpoint '" + spec->id + "': unknown interval");
      options.proportion_method = *method;
    }
  }
  return options;
}

// The endpoint's finding on all cases.
std::optional<analysis::Finding> OverallFinding(const analysis::Evaluation& evaluation,
                                                const std::string& metric) {
  for (const auto& finding : evaluation.findings) {
    if (finding.metric == metric && !finding.subgroup && !finding.prevalence) return finding;
  }
  return std::nullopt;
}

std::string NotEvaluableReason(const analysis::Evaluation& evaluation, const std::string& metric) {
  for (const auto& item : evaluation.not_evaluable) {
    if (item.metric == metric && !item.subgroup) return item.reason;
  }
  return "the data give no interval for this metric";
}

// Successes and trials behind a proportion finding (its denominator by metric).
std::uint64_t Trials(const analysis::Finding& finding) {
  if (finding.metric == "sensitivity") return finding.n_positive;
  if (finding.metric == "specificity") return finding.n_negative;
  return finding.n;
}

std::optional<CasesNeeded> CasesNeededFor(const EndpointSpec& spec,
                                          const analysis::Finding& finding,
                                          const analysis::EvaluationOptions& options) {
  if (!spec.goal || !finding.ci) return std::nullopt;
  CasesNeeded needed;
  needed.power = kPlanningPower;
  const double goal = *spec.goal;
  if (spec.metric == "auc") {
    needed.unit = "positives+negatives";
    if (auto total = stats::CasesToDecideAuc(finding.estimate, finding.n_positive,
                                             finding.n_negative, goal, spec.level)) {
      needed.precision_positives =
          total->positives - std::min(total->positives, finding.n_positive);
      needed.precision_negatives =
          total->negatives - std::min(total->negatives, finding.n_negative);
    }
    if (finding.estimate > goal) {
      const double ratio =
          static_cast<double>(finding.n_negative) / static_cast<double>(finding.n_positive);
      if (auto plan =
              stats::CasesForAucPower(finding.estimate, goal, ratio, spec.level, kPlanningPower)) {
        needed.power_positives = plan->positives;
        needed.power_negatives = plan->negatives;
      }
    }
    return needed;
  }
  if (!IsProportion(spec.metric)) return std::nullopt;
  const std::uint64_t trials = Trials(finding);
  needed.unit = spec.metric == "sensitivity"   ? "positives"
                : spec.metric == "specificity" ? "negatives"
                                               : "cases";
  std::optional<std::uint64_t> more;
  if (auto total = stats::CasesToDecideProportion(finding.estimate, trials, goal, spec.level,
                                                  options.proportion_method)) {
    more = *total - std::min(*total, trials);
  }
  std::optional<std::uint64_t> planned;
  if (finding.estimate > goal) {
    planned = stats::CasesForPower(finding.estimate, goal, spec.level, options.proportion_method,
                                   kPlanningPower);
  }
  if (spec.metric == "specificity") {
    needed.precision_negatives = more;
    needed.power_negatives = planned;
  } else {
    needed.precision_positives = more;
    needed.power_positives = planned;
  }
  return needed;
}

std::string Describe(const EndpointSpec& spec) {
  std::string text = spec.metric;
  if (spec.threshold) text += fmt::format(" at threshold {:g}", *spec.threshold);
  if (spec.target_sensitivity)
    text += fmt::format(" at target sensitivity {:g}", *spec.target_sensitivity);
  if (spec.target_specificity)
    text += fmt::format(" at target specificity {:g}", *spec.target_specificity);
  return text;
}

}  // namespace

namespace {

class StudyRunner {
 public:
  explicit StudyRunner(const Protocol& protocol) : protocol_(protocol) {}

  Result<StudyResult> Run() {
    ASSAY_RETURN_IF_ERROR(LoadCases());
    auto options = OptionsFor(protocol_, nullptr);
    if (!options.ok()) return options.status();
    auto evaluation = analysis::Evaluate(result_.table, *options);
    if (!evaluation.ok()) return evaluation.status();
    result_.evaluation = std::move(evaluation).value();

    CheckGates();
    for (const auto& spec : protocol_.endpoints) {
      ASSAY_RETURN_IF_ERROR(JudgeEndpoint(spec));
    }
    Combine();
    return std::move(result_);
  }

 private:
  Status LoadCases() {
    data::CaseRoles roles = protocol_.roles;
    roles.groups = protocol_.subgroups.columns;
    for (const auto& spec : protocol_.endpoints) {
      if (!spec.comparator) continue;
      if (roles.compare && *roles.compare != *spec.comparator) {
        return InvalidInput(fmt::format(
            "{}: endpoints compare against both '{}' and '{}'; one comparator column per protocol",
            protocol_.path, *roles.compare, *spec.comparator));
      }
      roles.compare = spec.comparator;
    }
    auto table = data::LoadCaseTable(protocol_.cases, roles);
    if (!table.ok()) return table.status();
    result_.table = std::move(table).value();
    return BinNumericGroups(result_.table, protocol_.subgroups);
  }

  void CheckGates() {
    const auto& flow = result_.table.flow;
    const std::uint64_t ended = flow.analysed + flow.exclusions.size();
    auto& gates = result_.gates;
    gates.push_back({"case_flow_closes", ended == flow.received,
                     fmt::format("{} received, {} excluded, {} analysed", flow.received,
                                 flow.exclusions.size(), flow.analysed)});
    const auto& evaluation = result_.evaluation;
    gates.push_back({"enough_positives", evaluation.n_positive >= protocol_.minimum_positives,
                     fmt::format("{} positives, at least {} required", evaluation.n_positive,
                                 protocol_.minimum_positives)});
    gates.push_back({"enough_negatives", evaluation.n_negative >= protocol_.minimum_negatives,
                     fmt::format("{} negatives, at least {} required", evaluation.n_negative,
                                 protocol_.minimum_negatives)});
    // Pre-registration needs the registry (`assay lock`), which is not built yet:
    // every claim is therefore exploratory, and says so.
    gates.push_back({"protocol_locked", false,
                     "the protocol was not locked before the run (no registry yet), so every "
                     "claim is exploratory"});
  }

  bool StatisticalGatesPass() const {
    return std::all_of(result_.gates.begin(), result_.gates.end(), [](const Gate& gate) {
      return gate.passed || gate.name == "protocol_locked";
    });
  }

  Status JudgeEndpoint(const EndpointSpec& spec) {
    EndpointResult endpoint;
    endpoint.spec = spec;
    endpoint.exploratory = true;  // see the protocol_locked gate
    if (!StatisticalGatesPass()) {
      endpoint.reason = "a gate failed before any statistics (see gates)";
      result_.endpoints.push_back(std::move(endpoint));
      return Status::Ok();
    }
    auto options = OptionsFor(protocol_, &spec);
    if (!options.ok()) return options.status();
    auto evaluation = analysis::Evaluate(result_.table, *options);
    if (!evaluation.ok()) return evaluation.status();

    if (spec.hypothesis == Hypothesis::kGoal) {
      JudgeGoal(spec, *evaluation, *options, endpoint);
    } else {
      JudgeComparison(spec, *evaluation, endpoint);
    }
    if (spec.primary && spec.hypothesis == Hypothesis::kGoal) AddSubgroups(spec, *evaluation);
    result_.endpoints.push_back(std::move(endpoint));
    return Status::Ok();
  }

  void JudgeGoal(const EndpointSpec& spec, const analysis::Evaluation& evaluation,
                 const analysis::EvaluationOptions& options, EndpointResult& endpoint) {
    endpoint.finding = OverallFinding(evaluation, spec.metric);
    if (!endpoint.finding || !endpoint.finding->ci) {
      endpoint.reason = NotEvaluableReason(evaluation, spec.metric);
      return;
    }
    const auto& finding = *endpoint.finding;
    endpoint.verdict = JudgeAgainstGoal(*finding.ci, *spec.goal);
    if (finding.exploratory) endpoint.exploratory = true;
    endpoint.reason =
        fmt::format("{} {:.3f} ({:g}% CI {:.3f} to {:.3f}, {}) against a goal of {:g}",
                    Describe(spec), finding.estimate, 100.0 * finding.ci->level, finding.ci->lower,
                    finding.ci->upper, finding.ci->method, *spec.goal);
    if (endpoint.verdict == Verdict::kInconclusive) {
      endpoint.cases_needed = CasesNeededFor(spec, finding, options);
    }
  }

  void JudgeComparison(const EndpointSpec& spec, const analysis::Evaluation& evaluation,
                       EndpointResult& endpoint) {
    const char* test = spec.metric == "auc" ? "delong_paired" : "mcnemar";
    for (const auto& comparison : evaluation.comparisons) {
      if (comparison.test == test && comparison.metric == spec.metric)
        endpoint.comparison = comparison;
    }
    if (!endpoint.comparison) {
      endpoint.reason =
          "no paired comparison for this metric (it needs a threshold for "
          "sensitivity or specificity, and two cases of each class)";
      return;
    }
    const bool superiority = spec.hypothesis == Hypothesis::kSuperiority;
    const double margin = spec.margin.value_or(0.0);
    endpoint.verdict = JudgeDifference(endpoint.comparison->ci, margin, superiority);
    endpoint.reason = fmt::format(
        "{} difference to '{}' {:+.3f} ({:g}% CI {:+.3f} to {:+.3f}) against {} margin {:g}",
        Describe(spec), spec.comparator.value_or(""), endpoint.comparison->estimate,
        100.0 * endpoint.comparison->ci.level, endpoint.comparison->ci.lower,
        endpoint.comparison->ci.upper, superiority ? "a superiority" : "a non-inferiority", margin);
  }

  void AddSubgroups(const EndpointSpec& spec, const analysis::Evaluation& evaluation) {
    const auto overall = OverallFinding(evaluation, spec.metric);
    for (const auto& finding : evaluation.findings) {
      if (finding.metric != spec.metric || !finding.subgroup || finding.prevalence) continue;
      SubgroupResult subgroup{spec.id, *finding.subgroup, finding, "consistent", std::nullopt, ""};
      if (finding.n < protocol_.subgroups.minimum_cases || !finding.ci) {
        subgroup.status = "insufficient_data";
        subgroup.reason = fmt::format("{} cases, at least {} required", finding.n,
                                      protocol_.subgroups.minimum_cases);
      } else if (overall && HeterogeneitySignal(evaluation, finding) &&
                 finding.ci->upper < overall->estimate) {
        subgroup.status = "signal";
        subgroup.reason =
            "below the overall estimate, and the heterogeneity test is significant "
            "after multiplicity correction";
      }
      // Subgroup goals are judged on unadjusted intervals; a multiplicity-adjusted
      // interval for them is not built yet.
      if (protocol_.subgroups.goal && finding.ci && subgroup.status != "insufficient_data") {
        subgroup.verdict = JudgeAgainstGoal(*finding.ci, *protocol_.subgroups.goal);
      }
      result_.subgroups.push_back(std::move(subgroup));
    }
  }

  static bool HeterogeneitySignal(const analysis::Evaluation& evaluation,
                                  const analysis::Finding& finding) {
    for (const auto& test : evaluation.heterogeneity) {
      if (test.column == finding.subgroup->column && test.metric == finding.metric &&
          test.p_adjusted < 0.05) {
        return true;
      }
    }
    return false;
  }

  void Combine() {
    std::vector<Verdict> primary;
    auto& reasons = result_.reasons;
    for (const auto& endpoint : result_.endpoints) {
      if (!endpoint.spec.primary) continue;
      primary.push_back(endpoint.verdict);
      reasons.push_back(fmt::format("Primary endpoint '{}' is {}: {}.", endpoint.spec.id,
                                    VerdictName(endpoint.verdict), endpoint.reason));
    }
    bool concern = false;
    for (const auto& subgroup : result_.subgroups) {
      const bool below_goal = subgroup.verdict == Verdict::kNotSupported;
      if (subgroup.status != "signal" && !below_goal) continue;
      concern = true;
      reasons.push_back(
          fmt::format("Subgroup {}={} raises a concern for '{}': {}.", subgroup.subgroup.column,
                      subgroup.subgroup.value, subgroup.endpoint,
                      below_goal ? "its interval lies below the subgroup goal" : subgroup.reason));
    }
    result_.overall = CombinePrimary(primary, concern);
    // Exploratory claims never make the evidence sufficient.
    if (result_.overall == OverallVerdict::kSufficient) {
      result_.overall = OverallVerdict::kInsufficient;
      reasons.push_back(
          "The claims would be supported, but the protocol was not locked before "
          "the run, so they are exploratory.");
    }
  }

  const Protocol& protocol_;
  StudyResult result_;
};

}  // namespace

Result<StudyResult> RunStudy(const Protocol& protocol) { return StudyRunner(protocol).Run(); }

}  // namespace assay::evidence
