// Deployment readiness: does the evidence reach the population the model
// will be used on? The deployment is cut into strata along each dimension
// (vendor, vendor*model, an age band, ...); each stratum gets its share of
// the deployment, its cases in the evidence and the evidence's precision
// there, a coverage status, and the cases that would settle it. The
// stratum-level results are then reweighted by the deployment shares into
// an expected deployment performance, and the strata are ranked by risk
// (performance deficit x deployment share).
//
// Reweighting transports each stratum's prevalence and performance from
// the evidence: sensitivity in deployment is the average of the strata's
// sensitivities weighted by share x prevalence (by share x (1 - prevalence)
// for specificity). Its interval is a percentile bootstrap with Poisson(1)
// case weights keyed by (seed, replicate, case), so it does not depend on
// thread count. Strata without evidence cannot be reweighted: their share
// is reported as uncovered, never imputed.
//
//   auto readiness = analysis::AssessReadiness(inputs, options);
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "assay/core/status.h"
#include "assay/stats/interval.h"
#include "assay/stats/proportion.h"

namespace assay::analysis {

// One way of cutting both populations into strata.
struct DeploymentDimension {
  std::string name;  // "vendor", "vendor*model", "age"
  std::vector<std::string> levels;
  std::vector<std::uint32_t> evidence_codes;    // per evidence case, into levels
  std::vector<double> deployment_shares;        // per level, summing to 1
  std::vector<std::uint64_t> deployment_cases;  // per level, when a profile was counted
};

// A primary endpoint judged stratum by stratum: "sensitivity" or "specificity".
struct ReadinessMetric {
  std::string endpoint;
  std::string metric;
  std::vector<std::uint8_t> predicted;  // per evidence case, at the endpoint's threshold
  std::optional<double> goal;
};

struct ReadinessOptions {
  double level = 0.95;
  stats::ProportionMethod method = stats::ProportionMethod::kWilson;
  std::uint64_t minimum_class_cases = 10;  // fewer positives (negatives) is too thin to judge
  double maximum_half_width = 0.10;        // without a goal: the precision that counts as enough
  double power = 0.8;                      // planning cases for strata without evidence
  std::size_t bootstrap = 1000;
  std::uint64_t seed = 20240101;
};

struct StratumMetric {
  std::string endpoint, metric;
  std::uint64_t successes = 0, trials = 0;  // trials: the stratum's positives (negatives)
  std::optional<double> estimate;
  std::optional<stats::Interval> ci;
  // "covered": above the goal (or, without one, precise enough); "below_goal": the
  // interval lies below the goal; "thin": too few cases or an interval that straddles
  // the goal; "not_covered": none of the metric's class in the evidence;
  // "not_deployed": the stratum has no share of the deployment.
  std::string coverage;
  std::optional<std::uint64_t> cases_needed;  // additional positives (negatives)
  std::string cases_needed_basis;             // "precision", "goal", "planning"
  std::optional<double> deficit;              // validated estimate minus the stratum's, >= 0
  std::optional<double> risk;                 // deficit x deployment share
};

struct Stratum {
  std::string dimension, level;
  double deployment_share = 0.0;
  std::optional<std::uint64_t> deployment_cases;
  std::uint64_t evidence_cases = 0, evidence_positives = 0;
  double evidence_share = 0.0;
  std::vector<StratumMetric> metrics;  // in the order of the inputs' metrics
};

// The validated metric and the metric expected in deployment along one dimension.
struct ExpectedPerformance {
  std::string dimension, endpoint, metric;
  double validated = 0.0;
  stats::Interval validated_ci;
  std::optional<double> expected;  // none when no deployed stratum has evidence
  std::optional<stats::Interval> expected_ci;
  double uncovered_share = 0.0;  // deployment share of strata without the metric's class
};

struct RiskEntry {
  std::string dimension, level, endpoint, metric;
  double deployment_share = 0.0;
  std::optional<double> deficit, risk;  // none: no evidence, the risk is unknown
  std::string coverage;
};

struct ReadinessResult {
  std::vector<Stratum> strata;  // dimension by dimension, levels in order
  std::vector<ExpectedPerformance> expected;
  // Strata without evidence first (by share), then by risk; only strata with a share
  // of the deployment and either no evidence or a deficit.
  std::vector<RiskEntry> risks;
  ReadinessOptions options;
};

// Errors (kInvalidInput): sizes that differ, a metric other than sensitivity or
// specificity, shares that are negative or do not sum to 1.
Result<ReadinessResult> AssessReadiness(std::span<const std::uint8_t> truth,
                                        std::span<const ReadinessMetric> metrics,
                                        std::span<const DeploymentDimension> dimensions,
                                        const ReadinessOptions& options);

}  // namespace assay::analysis
