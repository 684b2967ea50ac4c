// Protocol: a study protocol for `assay run`, read from a TOML file.
//
// A protocol fixes, before the data are seen, what is evaluated and what
// counts as success: the cases and their column roles, the model under test,
// the endpoints (metric, operating point, hypothesis, goal or margin,
// interval method), how primary endpoints combine, the subgroup plan and the
// evidence-sufficiency minimums. LoadProtocol reads and validates the whole
// file up front, so a run never starts on a protocol it would later reject.
// The file layout is documented in docs/protocol.md; a complete example is
// examples/triage_protocol.toml.
//
//   auto protocol = evidence::LoadProtocol("examples/triage_protocol.toml");
//   if (!protocol.ok()) return protocol.status();
//   auto table = data::LoadCaseTable(protocol->cases, protocol->roles);
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "assay/analysis/failure_slices.h"
#include "assay/core/status.h"
#include "assay/data/case_table.h"
#include "assay/evidence/mrmc.h"
#include "assay/model/model.h"
#include "assay/perturb/perturbation.h"

namespace assay::evidence {

// What an endpoint claims. kGoal: the lower bound of the metric's interval
// exceeds `goal`. kNonInferiority: the lower bound of (model − comparator)
// exceeds −margin. kSuperiority: that lower bound exceeds +margin.
enum class Hypothesis { kGoal, kNonInferiority, kSuperiority };

// True for the metrics computed at an operating point (every endpoint metric
// except "auc"): sensitivity, specificity, ppv, npv, accuracy.
bool IsThresholdMetric(std::string_view metric);

// One endpoint, from the table [endpoints.<id>]. Exactly one operating point
// (threshold, target_sensitivity or target_specificity) is set for threshold
// metrics, none for auc. kGoal endpoints have `goal` and neither `margin`
// nor `comparator`; kNonInferiority / kSuperiority endpoints have `margin`
// and `comparator` and no `goal`. Primary endpoints use a fixed threshold,
// never a target (a target chooses the operating point on the test data).
struct EndpointSpec {
  std::string id;                   // the key under [endpoints], e.g. "sensitivity_at_lock"
  std::string metric;               // auc | sensitivity | specificity | ppv | npv | accuracy
  std::optional<double> threshold;  // operating point for threshold metrics
  std::optional<double> target_sensitivity;  // or: operating point chosen on the data (exploratory)
  std::optional<double> target_specificity;
  Hypothesis hypothesis = Hypothesis::kGoal;
  std::optional<double> goal;             // kGoal: lower bound must exceed it
  std::optional<double> margin;           // kNonInferiority / kSuperiority, >= 0
  std::optional<std::string> comparator;  // comparator score column, required for NI/superiority
  std::string interval = "";  // "" = default (wilson for proportions, delong for auc); else a
                              // method name assay knows for the metric
  double level = 0.95;        // two-sided interval level; the test is one-sided at (1-level)/2
  bool primary = true;
  std::uint64_t line = 0;  // line of the endpoint's table in the protocol file
};

// The subgroup plan, from [subgroups] and [subgroups.bins].
struct SubgroupPlan {
  std::vector<std::string> columns;
  std::map<std::string, std::vector<double>> bins;  // numeric column -> ascending cut points, e.g.
                                                    // age -> {40, 65} meaning
                                                    // [-inf,40),[40,65),[65,inf)
  std::size_t minimum_cases = 30;
  std::string multiplicity = "holm";  // holm | bonferroni | benjamini_hochberg | none
  std::optional<double> goal;         // a subgroup goal for the primary endpoints' metric(s)
};

// [data.imaging]: the cases are built from an imaging cohort: an inventory
// written by `assay scan`, joined with labels and model outputs by a case key,
// after the data audit (assay/data/audit.h). Paths are resolved relative to
// the protocol file's folder.
struct ImagingSource {
  std::string inventory;
  std::string labels;
  std::string predictions;
  std::optional<std::string> development;  // development cohort's inventory (leakage check)
  std::string key = "StudyInstanceUID";    // inventory column that defines a case
  std::string label_key;                   // labels column matched to it (default: key)
  std::string prediction_key;              // predictions column matched to it (default: key)
  std::string images;  // the folder that was scanned (the inventory's paths start there);
                       // required when assay runs the model
  std::vector<std::string> label_columns;  // further label columns carried into the cases
};

// [stress]: the model is run again on perturbed images, each perturbation
// at each severity (flip has one), and every endpoint is computed on the
// perturbed scores next to the clean ones.
struct StressPlan {
  std::vector<perturb::Kind> perturbations;
  std::vector<int> severities{1, 2, 3, 4, 5};
  std::uint64_t seed = 0;  // default: the protocol's seed
};

// [failure_slices]: a search for slices of the cases (conjunctions of up to
// max_conditions conditions on the named columns and derived features) where
// the model is significantly worse than on the rest (assay/analysis/failure_slices.h).
// Exploratory by nature: it informs, it never changes a verdict.
struct FailureSlicePlan {
  std::vector<std::string> columns;  // case-table columns; numeric ones are cut at quantiles
  std::optional<double> threshold;   // default: the first primary endpoint's threshold
  bool image_quality = true;         // image_noise, image_sharpness when assay runs the model
  bool score_margin = false;         // |score - threshold| as a feature
  analysis::SliceSearchOptions search;
  std::uint64_t line = 0;
};

// [deployment]: the population the model will be used on, as a profile (a case
// table or an `assay scan` inventory of the site's archive, no labels needed) or a
// declared mix, cut into strata along each dimension; assay/analysis/deployment.h
// says what is computed. Informs; never changes a verdict.
struct DeploymentPlan {
  std::optional<std::string> profile;  // resolved relative to the protocol file's folder
  std::vector<std::string> strata;     // "vendor", "vendor*model" (the cross of two columns)
  std::map<std::string, std::vector<double>> bins;  // numeric columns' cut points
  // Declared shares, by dimension then level, where no profile is given.
  std::map<std::string, std::vector<std::pair<std::string, double>>> mix;
  std::optional<std::string> score;  // the profile's score column: estimates without labels
  // A categorical column of both tables: CBPE calibrates the scores level by level on the
  // evidence's cases of that level (the pooled map where a level has too few of either class).
  std::optional<std::string> calibrate_by;
  double maximum_half_width = 0.10;
  double power = 0.8;
  std::optional<std::uint64_t> minimum_class_cases;  // default: data.minimum_positives
  std::uint64_t line = 0;
};

// [shift]: the evidence cases compared with a target population attribute by
// attribute (assay/analysis/shift.h) and by a domain classifier.
struct ShiftPlan {
  std::string target;                // resolved; default: deployment.profile
  std::vector<std::string> columns;  // default: the columns of deployment.strata (and its score)
  double alpha = 0.05;
  double psi_threshold = 0.1;
  std::string multiplicity = "holm";
  std::uint64_t line = 0;
};

// [mrmc]: a reader study (assay/evidence/mrmc.h) whose difference between two modalities,
// reader-averaged, is a claim with a verdict: `test` minus `reference` judged for superiority
// (above `margin`, default 0) or non-inferiority (above -margin) on the interval of the chosen
// generalization. Primary by default: its verdict joins the overall verdict.
struct MrmcPlan {
  std::string id = "reader_study";
  std::string ratings;  // resolved relative to the protocol file's folder
  RatingColumns columns;
  stats::MrmcOptions options;              // level: the protocol's endpoints' default, 0.95
  std::string test, reference;             // modality labels as in the ratings
  std::string hypothesis = "superiority";  // superiority | non_inferiority
  double margin = 0.0;
  std::string analysis = "random_readers_random_cases";  // | fixed_readers | fixed_cases
  bool primary = true;
  double power = 0.8;                     // of the planned study when the verdict is inconclusive
  std::optional<std::string> standalone;  // the AI's scores, resolved; compared with the panel
  std::string standalone_score = "score";
  std::uint64_t line = 0;
};

// The columns a stratum dimension is made of: "vendor*model" -> {"vendor", "model"}.
std::vector<std::string> StratumColumns(const std::string& dimension);

// The label of bin `bin` of ascending cut points: "<40", "[40,65)", ">=65".
std::string BinLabel(const std::vector<double>& cuts, std::size_t bin);

struct Protocol {
  std::string path;  // file it came from
  std::string title, intended_use;
  std::string purpose;  // regulatory_submission | local_acceptance | change_control |
                        // postmarket_periodic
  std::string cases;    // data file path, resolved relative to the protocol file's folder;
                        // empty when the cases come from `imaging`
  std::optional<ImagingSource> imaging;
  data::CaseRoles roles;  // truth, positive, score, id, cluster, compare(unused here),
                          // groups(empty), direction, exclude flags
  std::string model_name, model_version;
  std::optional<std::string> model_sha256;  // 64 lower-case hex chars when given
  std::optional<std::string> model_file;    // the model artefact whose hash is checked; resolved
                                            // relative to the protocol file's folder
  // How to run the model, when [model] names a backend; then [data.imaging] has no
  // predictions: assay computes them.
  std::optional<model::ModelSpec> model;
  std::optional<StressPlan> stress;
  std::optional<FailureSlicePlan> failure_slices;
  std::optional<DeploymentPlan> deployment;
  std::optional<ShiftPlan> shift;
  std::optional<MrmcPlan> mrmc;
  std::vector<EndpointSpec> endpoints;  // in the order they appear in the file
  std::string combine = "all";          // all | holm  (how primary endpoints combine)
  SubgroupPlan subgroups;
  std::uint64_t seed = 20240101;
  std::size_t bootstrap = 2000;
  std::size_t minimum_positives = 10, minimum_negatives = 10;
  bool allow_naive_interval = false;  // clustered data: allow intervals that ignore the clusters
  // Indeterminate outputs (roles.output_status, valid_status, rejected_status; a missing score):
  // counted against the model unless rejected inputs are scoped out, which makes the rejection
  // rate its own claim with this ceiling.
  bool scope_out_rejected = false;
  std::optional<double> maximum_rejection_rate;
};

// Reads and validates a protocol. Errors (StatusCode::kInvalidInput) name the file, the
// key (dotted, e.g. "endpoints.sens.goal") and its line: "protocol.toml line 14, key
// 'endpoints.sens.goal': 1.2 is outside [0, 1]". Unknown keys, wrong types, goal/margin/
// level out of range, unknown metric/purpose/multiplicity/interval method, a threshold
// metric without an operating point, NI/superiority without comparator or margin,
// auc with a threshold, no endpoints, no primary endpoint, bins not ascending: all errors.
// A file that cannot be read is StatusCode::kIoError.
Result<Protocol> LoadProtocol(const std::string& path);

// Reads only the [model] table of a TOML file (a protocol or a file of its
// own) as a model to run: it must name a file and a backend. Errors as
// LoadProtocol's.
Result<model::ModelSpec> LoadModelSpec(const std::string& path);

}  // namespace assay::evidence
