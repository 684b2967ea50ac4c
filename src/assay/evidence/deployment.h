// The protocol's [shift] and [deployment] sections applied to a study's
// analysis set: how the deployment population differs from the evidence
// (assay/analysis/shift.h, domain_classifier.h), whether the evidence covers
// each deployment stratum and what performance to expect there
// (assay/analysis/deployment.h). The part of `assay run` after the verdicts;
// it informs and never changes one.
//
//   auto outcome = evidence::AnalyzeDeployment(protocol, table, columns);
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "assay/analysis/deployment.h"
#include "assay/analysis/domain_classifier.h"
#include "assay/analysis/shift.h"
#include "assay/core/status.h"
#include "assay/data/case_table.h"
#include "assay/evidence/protocol.h"
#include "assay/stats/label_free.h"

namespace assay::evidence {

struct ShiftSection {
  std::string target;  // the file compared with the evidence
  analysis::ShiftResult result;
  analysis::DomainClassifierResult domain;
};

// Performance on the profile's cases without their labels (deployment.score).
struct LabelFreeThreshold {
  std::string endpoints;  // the primary endpoints at this threshold, "sens, spec"
  double threshold = 0.0;
  stats::CbpeEstimate cbpe;
  stats::AtcEstimate atc;
  // On the evidence's cases with a score of the model's own, for comparison.
  double validated_sensitivity = 0.0, validated_specificity = 0.0, validated_accuracy = 0.0;
};

// deployment.calibrate_by: a level needs this many evidence cases of each class for a
// calibration map of its own.
inline constexpr std::uint64_t kMinimumCalibrationClass = 20;

// deployment.calibrate_by: the calibration map used for one level's cases.
struct CalibrationStratum {
  std::string level;
  std::uint64_t reference_positives = 0, reference_negatives = 0, target_cases = 0;
  bool own_map = false;  // false: too few reference cases of a class, the pooled map used
  std::optional<stats::ReferenceCalibration> calibration;  // own_map only
};

struct LabelFreeSection {
  std::string score_column;
  std::string calibrate_by;  // empty: one map for every case
  std::vector<CalibrationStratum> calibration_strata;
  std::uint64_t reference_cases = 0;  // evidence cases with a score of the model's own
  std::uint64_t target_cases = 0, target_missing = 0;
  std::optional<stats::ReferenceCalibration> calibration;
  std::vector<LabelFreeThreshold> estimates;
  std::string not_evaluable;  // why there is no estimate
};

struct DeploymentSection {
  std::string profile;  // the profile file; empty for a declared mix
  std::optional<std::uint64_t> profile_cases;
  analysis::ReadinessResult readiness;
  std::vector<std::string> notes;  // how numeric strata were cut, what was assumed
  std::string skipped;             // why it did not run (a gate failed); empty when it ran
  std::optional<LabelFreeSection> label_free;  // with deployment.score
};

struct DeploymentOutcome {
  std::optional<ShiftSection> shift;
  std::optional<DeploymentSection> deployment;
};

// `table` is the analysis set; `columns` its case-table columns before any subgroup
// binning, row-aligned with it; `own_score` marks (1) its cases whose score is the
// model's own rather than imputed for an indeterminate output. Errors (kInvalidInput, exit 2): a
// profile or target that cannot be read or lacks a named column, a stratum column the evidence
// lacks.
Result<DeploymentOutcome> AnalyzeDeployment(const Protocol& protocol, const data::CaseTable& table,
                                            std::span<const data::CategoricalColumn> columns,
                                            std::span<const std::uint8_t> own_score);

}  // namespace assay::evidence
