// The hidden truth of one synthetic case, drawn before its image is made:
// who the patient is, which scanner took the image, whether there is a
// lesion and what it looks like, which planted failure modes act on it and
// with what effect, what label was recorded, and which data-quality faults
// (missing attributes, a duplicate file, a corrupt file) come with it.
//
// A plan is a pure function of (seed, site name, case index): every draw
// comes from RandomStreams keyed by them, each aspect under a purpose of its
// own, so the plan of a case does not depend on other cases, on the order of
// the sites or which of them are written, or on thread count.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "assay/synth/config.h"
#include "assay/synth/phantom.h"

namespace assay::synth {

// The attributes missing_metadata may leave out, in this order.
inline constexpr std::array<const char*, 4> kOptionalAttributes = {"PatientAge", "PatientSex",
                                                                   "KVP", "ManufacturerModelName"};

enum class Corruption { kNone, kTruncatedHeader, kTruncatedPixels, kGarbage };

// "truncated_header", "truncated_pixels", "garbage"; "" for kNone.
const char* CorruptionName(Corruption corruption);

struct CasePlan {
  std::size_t site = 0;        // index into CohortConfig::sites
  std::uint64_t site_key = 0;  // PurposeId of the site's name: keys the case's streams
  std::uint64_t index = 0;     // within the site
  std::string case_id;         // "<site>-00042"
  std::string patient_id;
  std::string study_uid, series_uid, instance_uid;
  std::size_t scanner = 0;  // index into the site's scanners
  int age = 0;
  char sex = 'F';

  bool lesion = false;            // the truth
  double lesion_size_mm = 0.0;    // drawn for every case; the image has it only when `lesion`
  double lesion_contrast = 0.0;   // as drawn, before plant effects
  double applied_contrast = 0.0;  // after plant effects (0 without a lesion)
  double lesion_x = 0.0, lesion_y = 0.0;  // pixels

  bool recorded_lesion = false;         // the label an evaluator sees
  bool global_flip = false;             // the cohort-wide label_noise flipped it
  std::vector<std::size_t> plants;      // indices of the plants whose conditions hold
  std::vector<std::size_t> flipped_by;  // plants whose label_noise fired

  double noise = 1.0, blur = 0.0;  // as applied (scanner and plants)
  std::array<bool, kOptionalAttributes.size()> missing{};
  bool duplicate = false;
  Corruption corruption = Corruption::kNone;
  double corruption_point = 0.0;  // where in its part a truncated file ends, 0..1

  bool label_flipped() const { return lesion != recorded_lesion; }
};

// Draws the plan of case `index` of site `site`. Requires a checked config
// (LoadCohortConfig) and site < config.sites.size().
CasePlan PlanCase(const CohortConfig& config, std::uint64_t seed, std::size_t site,
                  std::uint64_t index);

// The image parameters of a plan (its anatomy and noise are drawn when rendered).
PhantomParameters PhantomFor(const CohortConfig& config, std::uint64_t seed, const CasePlan& plan);

// The two streams the image of a case is rendered from.
RandomStream AnatomyStream(std::uint64_t seed, const CasePlan& plan);
RandomStream AcquisitionStream(std::uint64_t seed, const CasePlan& plan);

// True when every condition of `plant` holds for the case (before effects).
bool PlantApplies(const PlantConfig& plant, const CohortConfig& config, const CasePlan& plan);

}  // namespace assay::synth
