// `assay synth`: a synthetic multi-site imaging cohort with planted failure
// modes, written as real DICOM files with the tables an evaluator would have
// (labels.csv) and the hidden truth they would not (ground_truth.csv,
// files.csv, planted.json).
//
// Every draw comes from RandomStreams keyed by (seed, purpose, site, case),
// and cases are generated in parallel (oneTBB) into slots of their own: the
// output is the same, byte for byte, for any thread count. docs/synth.md
// describes the configuration and every output.
//
//   auto config = LoadCohortConfig("cohort.toml");
//   SynthOptions options;
//   options.role = "development";
//   auto summary = GenerateCohort(*config, "out/cohort", options);
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "assay/core/status.h"
#include "assay/synth/case_plan.h"
#include "assay/synth/config.h"

namespace assay::synth {

struct SynthOptions {
  std::optional<std::uint64_t> seed;  // replaces the configuration's seed
  std::optional<std::string> role;    // write only sites of this role
  bool force = false;                 // replace a folder that is not empty
  // Called from worker threads as cases are written (done, total); thread-safe.
  std::function<void(std::size_t, std::size_t)> progress;
};

struct SiteSummary {
  std::string name, role;
  std::size_t cases = 0, positives = 0, recorded_positives = 0;
};

struct SynthSummary {
  std::uint64_t seed = 0;
  std::vector<SiteSummary> sites;  // the sites written, in configuration order
  std::size_t cases = 0, positives = 0;
  std::size_t files = 0;       // every file under images/
  std::size_t duplicates = 0;  // extra byte-identical copies
  std::size_t corrupt = 0;     // extra unreadable files
  std::size_t labels_flipped = 0;
};

// The plans of every case of the sites `options.role` selects, in
// configuration order and case order. Errors: a role that no site has.
Result<std::vector<CasePlan>> PlanCohort(const CohortConfig& config, std::uint64_t seed,
                                         const std::optional<std::string>& role);

// Generates the cohort into the folder `out`, which must not exist or be
// empty (unless options.force): the files are written into a temporary folder
// beside it, which replaces `out` only when everything is written, so a
// failed run leaves no partial output. Errors: kInvalidInput for a folder
// that is not empty or a role no site has; kIoError naming the path that
// could not be written.
Result<SynthSummary> GenerateCohort(const CohortConfig& config, const std::string& out,
                                    const SynthOptions& options);

}  // namespace assay::synth
