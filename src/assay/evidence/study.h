// A study run: a pre-specified protocol applied to its cases, giving a
// verdict per endpoint, subgroup results, the cases needed where the
// evidence is inconclusive, and the overall verdict for the protocol's
// purpose. The computation behind `assay run`; it never prints.
//
//   auto protocol = evidence::LoadProtocol("protocol.toml");
//   auto study = evidence::RunStudy(*protocol);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "assay/analysis/evaluation.h"
#include "assay/core/status.h"
#include "assay/data/case_table.h"
#include "assay/evidence/protocol.h"
#include "assay/evidence/verdict.h"

namespace assay::evidence {

// How many more independent cases would decide an inconclusive claim if the
// observed estimate held (precision-based) and for the stated power
// (planning). Counts are additional cases, by class where the metric has one.
struct CasesNeeded {
  std::string unit;  // "positives", "negatives", "cases" (PPV/NPV/accuracy), "positives+negatives"
  std::optional<std::uint64_t> precision_positives, precision_negatives;
  std::optional<std::uint64_t> power_positives, power_negatives;
  double power = 0.8;
};

struct EndpointResult {
  EndpointSpec spec;
  Verdict verdict = Verdict::kNotEvaluable;
  std::string reason;                              // plain words: why this verdict
  std::optional<analysis::Finding> finding;        // goal endpoints
  std::optional<analysis::Comparison> comparison;  // non-inferiority / superiority
  bool exploratory = false;
  std::optional<CasesNeeded> cases_needed;
};

struct SubgroupResult {
  std::string endpoint;  // the primary endpoint it refines
  analysis::Subgroup subgroup;
  std::optional<analysis::Finding> finding;
  std::string status;              // "consistent", "signal", "insufficient_data"
  std::optional<Verdict> verdict;  // against the subgroup goal, when one is set
  std::string reason;
};

// A check made before any statistics, and whether it passed.
struct Gate {
  std::string name;  // "case_flow_closes", "enough_positives", ...
  bool passed = false;
  std::string detail;
};

struct StudyResult {
  data::CaseTable table;
  analysis::Evaluation evaluation;  // all endpoints' operating points, default methods
  std::vector<Gate> gates;
  std::vector<EndpointResult> endpoints;
  std::vector<SubgroupResult> subgroups;
  OverallVerdict overall = OverallVerdict::kInsufficient;
  std::vector<std::string> reasons;  // plain-language reasons for the overall verdict
};

// Loads the protocol's cases and judges every endpoint. Errors: the cases
// cannot be loaded (bad input, exit 2), endpoints naming different comparator
// columns, a binned subgroup column holding a non-number.
Result<StudyResult> RunStudy(const Protocol& protocol);

}  // namespace assay::evidence
