// The configuration of a synthetic cohort: sites with their scanners and
// patients, the lesions positives carry, data-quality faults, and planted
// failure modes (conditions on a case and the effect applied where they hold).
//
// A configuration is read from TOML and checked whole before anything is
// generated; docs/synth.md is the reference of every key. Plain values, no
// threads: a CohortConfig is built once and then only read.
//
//   auto config = LoadCohortConfig("cohort.toml");
//   if (!config.ok()) return config.status();  // names file, line and key
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "assay/core/status.h"

namespace assay::synth {

// A closed range [low, high] of a uniform draw.
struct Range {
  double low = 0.0, high = 0.0;
};

// One scanner model at a site: how often it is used there and how it images.
struct ScannerConfig {
  std::string vendor;          // written as Manufacturer
  std::string model;           // written as ManufacturerModelName
  double share = 1.0;          // of the site's cases
  double noise = 1.0;          // acquisition noise level, 1 = nominal
  double noise_grain = 0.0;    // noise correlation (Gaussian sigma, pixels); 0 = white noise
  double blur = 0.0;           // Gaussian blur sigma, pixels
  double contrast = 1.0;       // scale of every intensity difference
  double bias = 0.0;           // amplitude of a smooth multiplicative bias field
  double pixel_spacing = 0.5;  // mm per pixel
  double kvp = 110.0;
};

struct SiteConfig {
  std::string name;         // the folder of its images and the `site` column
  std::string institution;  // written as InstitutionName
  std::string role;         // "development" or "test"
  std::uint64_t cases = 0;
  double prevalence = 0.0;  // share of cases with a lesion
  Range age{20.0, 90.0};    // years, whole numbers
  double female = 0.5;      // share of female patients
  std::vector<ScannerConfig> scanners;
};

// Where a plant acts: every condition present must hold. Conditions on the
// lesion hold only for cases with a lesion.
struct PlantCondition {
  std::vector<std::string> vendors, models, sites, roles;  // any of, when not empty
  std::optional<std::string> sex;                          // "F" or "M"
  std::optional<double> age_min, age_max;                  // years, inclusive
  std::optional<double> size_min_mm, size_max_mm;          // lesion diameter, inclusive
  std::optional<double> contrast_min, contrast_max;        // lesion contrast before effects

  bool ConditionsOnLesion() const {
    return size_min_mm || size_max_mm || contrast_min || contrast_max;
  }
};

// What a plant does where its conditions hold. Absent effects change nothing.
struct PlantEffect {
  std::optional<double> noise;            // multiplies the acquisition noise
  std::optional<double> blur;             // extra blur sigma (pixels), added in quadrature
  std::optional<double> lesion_contrast;  // multiplies the lesion's contrast
  std::optional<double> label_noise;      // rate at which the recorded label is flipped
};

struct PlantConfig {
  std::string name;
  PlantCondition where;
  PlantEffect effect;
};

struct LesionConfig {
  Range size_mm{2.0, 12.0};    // diameter (full width at half maximum)
  Range contrast{0.05, 0.30};  // peak, relative to the background's intensity range
};

struct CohortConfig {
  std::string path;  // the file it was read from
  std::uint64_t seed = 0;
  std::size_t image_size = 128;
  std::string study_date = "20260101";  // YYYYMMDD, the same in every file
  double label_noise = 0.0;
  double missing_metadata = 0.0;
  double duplicates = 0.0;
  double corrupt = 0.0;
  LesionConfig lesion;
  std::vector<SiteConfig> sites;
  std::vector<PlantConfig> plants;
};

// Reads and checks the cohort configuration at `path`. Errors (kInvalidInput)
// name the file, the line and the dotted key: TOML syntax, an unknown key, a
// missing required key, a value of the wrong type or out of range, scanner
// shares that do not sum to 1, a plant naming a vendor, model or site that no
// site has. kIoError when the file cannot be read.
Result<CohortConfig> LoadCohortConfig(const std::string& path);

// The roles a site may have.
inline constexpr const char* kRoles[] = {"development", "test"};

}  // namespace assay::synth
