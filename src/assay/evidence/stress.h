// Stress tests: the model run again on perturbed images, each perturbation at
// each severity, judged on the same cases as the clean images.
//
// For every point (perturbation, severity) and every endpoint: the metric on
// the perturbed scores with its interval; the paired difference to the clean
// scores of the same cases (DeLong for AUC, McNemar/Tango-style for
// proportions, as assay's comparisons compute them); the verdict against the
// endpoint's goal; and, at the protocol's operating threshold, the share of
// cases whose decision flips. Per perturbation, the lowest severity at which
// an endpoint's verdict differs from its verdict on the clean images.
//
// The cases are those with a clean score (indeterminate clean outputs are
// left out: there is nothing to compare); a case whose perturbed image gives
// no score is counted in `failed` and left out of that point.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "assay/analysis/evaluation.h"
#include "assay/core/status.h"
#include "assay/data/case_table.h"
#include "assay/evidence/protocol.h"
#include "assay/evidence/verdict.h"
#include "assay/model/predictions.h"

namespace assay::evidence {

struct StressEndpoint {
  std::string endpoint;  // the endpoint's id
  std::string metric;
  std::optional<analysis::Finding> clean;          // on the clean scores of the same cases
  std::optional<analysis::Finding> perturbed;      // on the perturbed scores
  std::optional<analysis::Comparison> difference;  // perturbed minus clean, paired
  std::optional<Verdict> clean_verdict, verdict;   // goal endpoints
  std::string note;                                // why something is missing
};

struct StressPoint {
  std::string perturbation;
  int severity = 1;
  std::string meaning;              // physical meaning of the severity
  std::uint64_t cases = 0;          // cases analysed at this point
  std::uint64_t failed = 0;         // cases whose perturbed images gave no score
  std::optional<double> threshold;  // the operating threshold of the flip count
  std::uint64_t flips = 0;          // decisions that differ from the clean ones
  std::uint64_t flips_to_positive = 0, flips_to_negative = 0;
  std::vector<StressEndpoint> endpoints;
};

// The lowest severity at which an endpoint's verdict changed (none when it
// held at every severity tested).
struct VerdictChange {
  std::string perturbation;
  std::string endpoint;
  std::optional<int> severity;
  std::string from, to;  // the verdicts, when it changed
};

struct StressResult {
  std::uint64_t seed = 0;
  std::uint64_t cases = 0;  // cases with a clean score
  std::vector<StressPoint> points;
  std::vector<VerdictChange> changes;
};

// Everything the stress run needs from the study.
struct StressInputs {
  const Protocol* protocol = nullptr;
  model::Model* model = nullptr;
  const model::ImageList* images = nullptr;
  const data::CaseTable* table = nullptr;  // analysed cases with ids (the case keys)
  std::vector<std::uint8_t> clean_valid;   // per row of `table`: a clean score exists
  // Called after each batch: (point label, images done, images total).
  std::function<void(const std::string&, std::size_t, std::size_t)> progress;
};

Result<StressResult> RunStress(const StressInputs& inputs);

}  // namespace assay::evidence
