// The tables a synthetic cohort is written with: what an evaluator would have
// (labels.csv) and the hidden truth (ground_truth.csv, files.csv,
// planted.json). Pure functions of the plans; numbers are written with fixed
// precision, so the same plans give the same bytes. docs/synth.md describes
// every column.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "assay/synth/case_plan.h"
#include "assay/synth/config.h"

namespace assay::synth {

// The files written for one case, paths relative to the output folder.
struct CaseFiles {
  std::string image, duplicate, corrupt;  // "" when there is none
  std::size_t image_bytes = 0, duplicate_bytes = 0, corrupt_bytes = 0;
  std::string image_sha256, corrupt_sha256;
};

// "images/<site>/<case>.dcm", and the names of its extra files.
std::string CaseFileName(const CohortConfig& config, const CasePlan& plan);
std::string DuplicateFileName(const CohortConfig& config, const CasePlan& plan);
std::string CorruptFileName(const CohortConfig& config, const CasePlan& plan);

// study, patient, finding (as recorded), lesion_size_mm, site: one row per case.
std::string LabelsCsv(const CohortConfig& config, const std::vector<CasePlan>& plans);

// Every case with its hidden truth, one row per case.
std::string GroundTruthCsv(const CohortConfig& config, const std::vector<CasePlan>& plans,
                           const std::vector<CaseFiles>& files);

// Every file under images/: file, kind (case, duplicate, corrupt), case,
// study, corruption, bytes, sha256.
std::string FilesCsv(const std::vector<CasePlan>& plans, const std::vector<CaseFiles>& files);

// The seed, the cohort-wide rates and what they did, and every plant with its
// conditions, its effect and the cases, positives and labels it affected.
std::string PlantedJson(const CohortConfig& config, std::uint64_t seed,
                        const std::optional<std::string>& role, const std::vector<CasePlan>& plans);

}  // namespace assay::synth
