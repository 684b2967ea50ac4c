#include "assay/evidence/stress.h"

#include <fmt/format.h>

#include <unordered_map>

#include "assay/evidence/endpoint_options.h"

namespace assay::evidence {

namespace {

// The operating threshold decisions are counted at: the first primary
// endpoint's fixed threshold, else any endpoint's.
std::optional<double> FlipThreshold(const Protocol& protocol) {
  for (const bool primary : {true, false}) {
    for (const auto& spec : protocol.endpoints) {
      if (spec.primary == primary && spec.threshold) return spec.threshold;
    }
  }
  return std::nullopt;
}

std::optional<analysis::Comparison> FindComparison(const analysis::Evaluation& evaluation,
                                                   const std::string& metric) {
  for (const auto& comparison : evaluation.comparisons) {
    if (comparison.metric == metric) return comparison;
  }
  return std::nullopt;
}

bool OperatingPointChosenOnData(const EndpointSpec& spec) {
  return spec.target_sensitivity || spec.target_specificity;
}

// The endpoint's finding on the clean scores (the comparator column) of the paired cases.
Result<std::optional<analysis::Finding>> CleanFinding(const Protocol& protocol,
                                                      const EndpointSpec& spec,
                                                      const data::CaseTable& paired) {
  auto options = EndpointOptions(protocol, &spec);
  if (!options.ok()) return options.status();
  data::CaseTable clean = paired;
  clean.score = paired.compare;
  clean.compare.clear();
  auto baseline = analysis::Evaluate(clean, *options);
  if (!baseline.ok()) return baseline.status();
  return OverallFinding(*baseline, spec.metric);
}

// One endpoint at one point: the clean (given) and perturbed findings on the
// same cases, their paired difference and the verdicts.
Result<StressEndpoint> JudgeAtPoint(const Protocol& protocol, const EndpointSpec& spec,
                                    const data::CaseTable& paired,
                                    const std::optional<analysis::Finding>& clean) {
  StressEndpoint result;
  result.endpoint = spec.id;
  result.metric = spec.metric;
  if (OperatingPointChosenOnData(spec)) {
    result.note = "its operating point is chosen on the data; not re-chosen under perturbation";
    return result;
  }
  auto options = EndpointOptions(protocol, &spec);
  if (!options.ok()) return options.status();
  auto perturbed = analysis::Evaluate(paired, *options);
  if (!perturbed.ok()) return perturbed.status();
  result.perturbed = OverallFinding(*perturbed, spec.metric);
  result.clean = clean;
  result.difference = FindComparison(*perturbed, spec.metric);
  if (!result.perturbed || !result.perturbed->ci) {
    result.note = NotEvaluableReason(*perturbed, spec.metric);
  } else if (!result.difference) {
    result.note = fmt::format("assay has no paired comparison of {}", spec.metric);
  }
  if (spec.hypothesis == Hypothesis::kGoal && spec.goal) {
    result.clean_verdict = result.clean && result.clean->ci
                               ? JudgeAgainstGoal(*result.clean->ci, *spec.goal)
                               : Verdict::kNotEvaluable;
    result.verdict = result.perturbed && result.perturbed->ci
                         ? JudgeAgainstGoal(*result.perturbed->ci, *spec.goal)
                         : Verdict::kNotEvaluable;
  } else if (result.note.empty()) {
    result.note = "a comparison endpoint: its metric is shown, its claim is not re-judged";
  }
  return result;
}

}  // namespace

Result<StressResult> RunStress(const StressInputs& inputs) {
  const Protocol& protocol = *inputs.protocol;
  const StressPlan& plan = *protocol.stress;
  const data::CaseTable& table = *inputs.table;
  StressResult result;
  result.seed = plan.seed;
  for (std::uint8_t valid : inputs.clean_valid) result.cases += valid;
  const std::optional<double> threshold = FlipThreshold(protocol);
  const bool higher = table.direction == data::ScoreDirection::kHigherIsPositive;
  // Per endpoint, its clean finding on every case with a clean score, once known.
  std::vector<std::optional<std::optional<analysis::Finding>>> all_cases_clean(
      protocol.endpoints.size());

  for (const perturb::Kind kind : plan.perturbations) {
    for (const int severity : plan.severities) {
      if (severity > perturb::MaxSeverity(kind)) break;
      StressPoint point;
      point.perturbation = perturb::PerturbationName(kind);
      point.severity = severity;
      point.meaning = perturb::PerturbationMeaning(kind, severity);
      point.threshold = threshold;
      model::InferenceOptions options;
      options.perturbation = model::PerturbationSetting{kind, severity, plan.seed};
      const std::string label = fmt::format("{} {}", point.perturbation, severity);
      if (inputs.progress) {
        options.progress = [&](std::size_t done, std::size_t total) {
          inputs.progress(label, done, total);
        };
      }
      auto results =
          model::RunInference(*inputs.model, *protocol.model, inputs.images->images, options);
      if (!results.ok()) return results.status();
      const auto cases = model::AggregateByKey(*inputs.images, *results, model::Aggregate::kMax);
      std::unordered_map<std::string, const model::CasePrediction*> by_key;
      for (const auto& prediction : cases) by_key.emplace(prediction.key, &prediction);

      // The paired table: perturbed scores, with the clean ones as the comparator.
      std::vector<std::uint8_t> keep(table.size(), 0);
      std::vector<double> perturbed_scores(table.size(), 0.0);
      for (std::size_t i = 0; i < table.size(); ++i) {
        if (!inputs.clean_valid[i]) continue;
        auto found = by_key.find(table.id[i]);
        if (found == by_key.end() || !found->second->ok) {
          ++point.failed;
          continue;
        }
        keep[i] = 1;
        perturbed_scores[i] = found->second->score;
      }
      data::CaseTable paired = table;
      paired.compare = paired.score;
      paired.score = perturbed_scores;
      paired.groups.clear();
      paired.indeterminate.clear();
      paired = data::SelectRows(paired, keep);
      point.cases = paired.size();
      if (threshold) {
        for (std::size_t i = 0; i < paired.size(); ++i) {
          const bool before =
              higher ? paired.compare[i] >= *threshold : paired.compare[i] <= *threshold;
          const bool after = higher ? paired.score[i] >= *threshold : paired.score[i] <= *threshold;
          if (before == after) continue;
          ++point.flips;
          ++(after ? point.flips_to_positive : point.flips_to_negative);
        }
      }
      const bool both_classes = paired.positives() > 0 && paired.positives() < paired.size();
      for (std::size_t e = 0; e < protocol.endpoints.size(); ++e) {
        const EndpointSpec& spec = protocol.endpoints[e];
        if (!both_classes) {
          point.endpoints.push_back(
              {spec.id, spec.metric, {}, {}, {}, {}, {}, "the cases scored hold one class only"});
          continue;
        }
        // The clean finding depends only on the cases kept: computed once for the points
        // where every perturbed image gave a score, again only where some did not.
        std::optional<analysis::Finding> clean;
        if (!OperatingPointChosenOnData(spec)) {
          if (point.failed == 0 && all_cases_clean[e]) {
            clean = *all_cases_clean[e];
          } else {
            auto computed = CleanFinding(protocol, spec, paired);
            if (!computed.ok()) return computed.status();
            clean = *computed;
            if (point.failed == 0) all_cases_clean[e] = clean;
          }
        }
        auto judged = JudgeAtPoint(protocol, spec, paired, clean);
        if (!judged.ok()) return judged.status();
        point.endpoints.push_back(*std::move(judged));
      }
      result.points.push_back(std::move(point));
    }
  }

  // The lowest severity at which each goal endpoint's verdict changed.
  for (const perturb::Kind kind : plan.perturbations) {
    const std::string name = perturb::PerturbationName(kind);
    for (std::size_t e = 0; e < protocol.endpoints.size(); ++e) {
      const EndpointSpec& spec = protocol.endpoints[e];
      if (spec.hypothesis != Hypothesis::kGoal) continue;
      VerdictChange change{name, spec.id, std::nullopt, "", ""};
      for (const StressPoint& point : result.points) {
        if (point.perturbation != name || e >= point.endpoints.size()) continue;
        const StressEndpoint& at = point.endpoints[e];
        if (!at.verdict || !at.clean_verdict || *at.verdict == *at.clean_verdict) continue;
        change.severity = point.severity;
        change.from = VerdictName(*at.clean_verdict);
        change.to = VerdictName(*at.verdict);
        break;
      }
      result.changes.push_back(std::move(change));
    }
  }
  return result;
}

}  // namespace assay::evidence
