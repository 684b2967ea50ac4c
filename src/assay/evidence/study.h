// A study run: a pre-specified protocol applied to its cases, giving a
// verdict per endpoint, subgroup results, the cases needed where the
// evidence is inconclusive, and the overall verdict for the protocol's
// purpose. The computation behind `assay run`; it never prints.
//
//   auto protocol = evidence::LoadProtocol("protocol.toml");
//   auto study = evidence::RunStudy(*protocol);
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "assay/analysis/evaluation.h"
#include "assay/analysis/failure_slices.h"
#include "assay/core/status.h"
#include "assay/data/audit.h"
#include "assay/data/case_table.h"
#include "assay/evidence/deployment.h"
#include "assay/evidence/protocol.h"
#include "assay/evidence/stress.h"
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

// The endpoint's estimate when every indeterminate output is counted one way:
// "all_against_model" (each such positive a false negative, each negative a
// false positive) or "all_for_model" (each counted as correct).
struct BoundingAnalysis {
  std::string name;
  std::optional<analysis::Finding> finding;
  std::optional<Verdict> verdict;
};

struct EndpointResult {
  EndpointSpec spec;  // metric "rejection_rate" (goal = the ceiling) for the rejection claim
  Verdict verdict = Verdict::kNotEvaluable;
  std::string reason;                              // plain words: why this verdict
  std::optional<analysis::Finding> finding;        // goal endpoints
  std::optional<analysis::Comparison> comparison;  // non-inferiority / superiority
  bool exploratory = false;
  std::optional<CasesNeeded> cases_needed;
  std::vector<BoundingAnalysis> bounding;  // when some outputs were indeterminate
  // combine = "holm": the interval at the level of the Holm step that decided the endpoint.
  std::optional<stats::Interval> adjusted_ci;
};

struct SubgroupResult {
  std::string endpoint;  // the primary endpoint it refines
  analysis::Subgroup subgroup;
  std::optional<analysis::Finding> finding;
  std::string status;              // "consistent", "signal", "insufficient_data"
  std::optional<Verdict> verdict;  // against the subgroup goal, when one is set
  std::string reason;
  // The multiplicity-adjusted interval the subgroup goal was judged on.
  std::optional<stats::Interval> adjusted_ci;
};

// Model outputs that were indeterminate, and how the primary analysis counted them.
struct IndeterminateSummary {
  std::uint64_t no_output = 0, technical_failure = 0, rejected_input = 0;
  std::uint64_t counted_against_model = 0;  // in the primary analysis
  std::uint64_t scoped_out = 0;             // rejected inputs left out of the primary analysis
  std::string handling;                     // "count_against_model" or "scope_out_rejected"
};

// How assay ran the model on the clean images.
struct InferenceSummary {
  std::string runtime;  // "LibTorch 1.13.0"
  std::string backend;  // "torchscript", "onnx"
  std::uint64_t images = 0, images_failed = 0;
  std::uint64_t rows_without_key = 0;  // inventory rows without the case key (unreadable files)
  double seconds = 0;
};

// What the caller knows about the run that the protocol file does not say.
struct StudyContext {
  std::string protocol_sha256;           // of the protocol file's bytes
  std::optional<std::string> locked_at;  // when those exact bytes were locked, if before the run
  // Model passes ([model] runs the model, [stress]): (pass label, images done, images total).
  std::function<void(const std::string&, std::size_t, std::size_t)> progress;
};

// A check made before any statistics, and whether it passed.
struct Gate {
  std::string name;  // "case_flow_closes", "enough_positives", ...
  bool passed = false;
  std::string detail;
};

// [failure_slices]: the search and what it searched over.
struct FailureSliceResult {
  double threshold = 0.0;
  std::string skipped;  // why the search did not run (a gate failed); empty when it ran
  std::vector<std::pair<std::string, std::string>> features;  // (name, "categorical"|"numeric")
  analysis::SliceSearchResult search;
};

// [mrmc]: the reader study and the verdict on its claim.
struct MrmcSection {
  MrmcPlan plan;
  ReaderStudyAnalysis analysis;
  stats::MrmcEstimate difference;  // test minus reference, in plan.analysis
  Verdict verdict = Verdict::kNotEvaluable;
  std::string reason;
  bool exploratory = false;
  // Inconclusive: readers and cases that would reach plan.power if the observed difference
  // held (empty when it does not favour the claim).
  std::vector<stats::PowerPlan> needed;
};

struct StudyResult {
  data::CaseTable table;            // the primary analysis set; indeterminate scores imputed
  analysis::Evaluation evaluation;  // all endpoints' operating points, default methods
  std::vector<Gate> gates;
  std::vector<EndpointResult> endpoints;
  std::vector<SubgroupResult> subgroups;
  OverallVerdict overall = OverallVerdict::kInsufficient;
  std::vector<std::string> reasons;  // plain-language reasons for the overall verdict
  IndeterminateSummary indeterminate;
  std::optional<std::string> model_sha256;    // of protocol.model_file, when one is named
  std::optional<data::AuditReport> audit;     // [data.imaging]: the data audit the cases came from
  std::optional<InferenceSummary> inference;  // when assay ran the model
  std::optional<StressResult> stress;         // [stress]
  std::optional<FailureSliceResult> failure_slices;  // [failure_slices]
  std::optional<ShiftSection> shift;                 // [shift]
  std::optional<DeploymentSection> deployment;       // [deployment]
  std::optional<MrmcSection> mrmc;                   // [mrmc]
  StudyContext context;
};

// Loads the protocol's cases and judges every endpoint. Errors: the cases
// cannot be loaded (bad input, exit 2), endpoints naming different comparator
// columns, a binned subgroup column holding a non-number, a model file that
// cannot be read. Without a lock in `context` every claim is exploratory.
Result<StudyResult> RunStudy(const Protocol& protocol, const StudyContext& context = {});

}  // namespace assay::evidence
