#include "assay/synth/case_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace assay::synth {
namespace {

// Each aspect of a case draws from a stream of its own, so that adding a draw
// to one aspect leaves every other aspect of every case as it was.
RandomStream Stream(std::uint64_t seed, std::string_view purpose, const CasePlan& plan) {
  return RandomStream(seed, PurposeId(purpose), plan.site_key, plan.index);
}

double Uniform(RandomStream& stream, double low, double high) {
  return low + (high - low) * stream.NextUniform();
}

// "2.25." and a 128-bit number in decimal: a UID without a registered root (PS3.5 B.2).
std::string Uid(RandomStream& stream) {
  __extension__ using Wide = unsigned __int128;
  Wide number = (static_cast<Wide>(stream.NextU64()) << 64) | stream.NextU64();
  std::string digits;
  do {
    digits.push_back(static_cast<char>('0' + static_cast<int>(number % 10)));
    number /= 10;
  } while (number != 0);
  std::reverse(digits.begin(), digits.end());
  return "2.25." + digits;
}

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return names.empty() || std::find(names.begin(), names.end(), name) != names.end();
}

void DrawIdentity(const SiteConfig& site, std::uint64_t seed, CasePlan& plan) {
  plan.case_id = fmt::format("{}-{:05}", site.name, plan.index);
  plan.patient_id = fmt::format("SYN{:06X}{:06}", plan.site_key & 0xffffffU, plan.index);
  RandomStream uids = Stream(seed, "synth.uid", plan);
  plan.study_uid = Uid(uids);
  plan.series_uid = Uid(uids);
  plan.instance_uid = Uid(uids);
}

void DrawPatient(const SiteConfig& site, std::uint64_t seed, CasePlan& plan) {
  RandomStream patient = Stream(seed, "synth.patient", plan);
  const double u = patient.NextUniform();
  double cumulative = 0.0;
  plan.scanner = site.scanners.size() - 1;
  for (std::size_t i = 0; i < site.scanners.size(); ++i) {
    cumulative += site.scanners[i].share;
    if (u < cumulative) {
      plan.scanner = i;
      break;
    }
  }
  const auto low = static_cast<int>(std::ceil(site.age.low));
  const auto high = std::max(low, static_cast<int>(std::floor(site.age.high)));
  const auto ages = static_cast<std::uint64_t>(high) - static_cast<std::uint64_t>(low) + 1;
  plan.age = low + static_cast<int>(patient.NextBelow(ages));
  plan.sex = patient.NextUniform() < site.female ? 'F' : 'M';
}

// The lesion is drawn for every case, so that negatives and positives use the
// same draws; only positives carry it in their image.
void DrawLesion(const CohortConfig& config, const SiteConfig& site, std::uint64_t seed,
                CasePlan& plan) {
  RandomStream lesion = Stream(seed, "synth.lesion", plan);
  plan.lesion = lesion.NextUniform() < site.prevalence;
  plan.lesion_size_mm = Uniform(lesion, config.lesion.size_mm.low, config.lesion.size_mm.high);
  plan.lesion_contrast = Uniform(lesion, config.lesion.contrast.low, config.lesion.contrast.high);
  // Centre away from the border: at least a diameter, and at least a tenth of the image.
  const auto size = static_cast<double>(config.image_size);
  const double diameter = plan.lesion_size_mm / site.scanners[plan.scanner].pixel_spacing;
  const double margin = std::min(std::max(diameter, 0.1 * size), 0.45 * size);
  plan.lesion_x = Uniform(lesion, margin, size - 1.0 - margin);
  plan.lesion_y = Uniform(lesion, margin, size - 1.0 - margin);
}

void DrawFaults(const CohortConfig& config, std::uint64_t seed, CasePlan& plan) {
  RandomStream faults = Stream(seed, "synth.faults", plan);
  for (bool& missing : plan.missing) missing = faults.NextUniform() < config.missing_metadata;
  plan.duplicate = faults.NextUniform() < config.duplicates;
  const bool corrupt = faults.NextUniform() < config.corrupt;
  const std::uint64_t kind = faults.NextBelow(3);
  plan.corruption_point = faults.NextUniform();
  if (!corrupt) return;
  plan.corruption = kind == 0   ? Corruption::kTruncatedHeader
                    : kind == 1 ? Corruption::kTruncatedPixels
                                : Corruption::kGarbage;
}

// Plant effects, then the recorded label: the cohort's label noise and every
// applying plant's label noise each flip it independently (one draw per
// source, always taken, so that plants do not shift each other's draws).
void ApplyPlants(const CohortConfig& config, const ScannerConfig& scanner, std::uint64_t seed,
                 CasePlan& plan) {
  plan.noise = scanner.noise;
  double blur_variance = scanner.blur * scanner.blur;
  double contrast = plan.lesion_contrast;
  RandomStream label = Stream(seed, "synth.label", plan);
  bool flip = label.NextUniform() < config.label_noise;
  plan.global_flip = flip;
  for (std::size_t p = 0; p < config.plants.size(); ++p) {
    const double draw = label.NextUniform();
    const PlantConfig& plant = config.plants[p];
    if (!PlantApplies(plant, config, plan)) continue;
    plan.plants.push_back(p);
    if (plant.effect.noise) plan.noise *= *plant.effect.noise;
    if (plant.effect.blur) blur_variance += *plant.effect.blur * *plant.effect.blur;
    if (plant.effect.lesion_contrast) contrast *= *plant.effect.lesion_contrast;
    if (plant.effect.label_noise && draw < *plant.effect.label_noise) {
      plan.flipped_by.push_back(p);
      flip = true;
    }
  }
  plan.blur = std::sqrt(blur_variance);
  plan.applied_contrast = plan.lesion ? contrast : 0.0;
  plan.recorded_lesion = flip ? !plan.lesion : plan.lesion;
}

}  // namespace

const char* CorruptionName(Corruption corruption) {
  switch (corruption) {
    case Corruption::kNone:
      return "";
    case Corruption::kTruncatedHeader:
      return "truncated_header";
    case Corruption::kTruncatedPixels:
      return "truncated_pixels";
    case Corruption::kGarbage:
      return "garbage";
  }
  return "";
}

bool PlantApplies(const PlantConfig& plant, const CohortConfig& config, const CasePlan& plan) {
  const PlantCondition& where = plant.where;
  const SiteConfig& site = config.sites[plan.site];
  const ScannerConfig& scanner = site.scanners[plan.scanner];
  if (!Contains(where.vendors, scanner.vendor) || !Contains(where.models, scanner.model) ||
      !Contains(where.sites, site.name) || !Contains(where.roles, site.role)) {
    return false;
  }
  if (where.sex && (*where.sex)[0] != plan.sex) return false;
  const auto age = static_cast<double>(plan.age);
  if ((where.age_min && age < *where.age_min) || (where.age_max && age > *where.age_max)) {
    return false;
  }
  if (!where.ConditionsOnLesion()) return true;
  if (!plan.lesion) return false;
  if ((where.size_min_mm && plan.lesion_size_mm < *where.size_min_mm) ||
      (where.size_max_mm && plan.lesion_size_mm > *where.size_max_mm)) {
    return false;
  }
  return !((where.contrast_min && plan.lesion_contrast < *where.contrast_min) ||
           (where.contrast_max && plan.lesion_contrast > *where.contrast_max));
}

CasePlan PlanCase(const CohortConfig& config, std::uint64_t seed, std::size_t site,
                  std::uint64_t index) {
  CasePlan plan;
  plan.site = site;
  plan.index = index;
  const SiteConfig& site_config = config.sites[site];
  plan.site_key = PurposeId(site_config.name);
  DrawIdentity(site_config, seed, plan);
  DrawPatient(site_config, seed, plan);
  DrawLesion(config, site_config, seed, plan);
  DrawFaults(config, seed, plan);
  ApplyPlants(config, site_config.scanners[plan.scanner], seed, plan);
  return plan;
}

PhantomParameters PhantomFor(const CohortConfig& config, std::uint64_t seed, const CasePlan& plan) {
  const ScannerConfig& scanner = config.sites[plan.site].scanners[plan.scanner];
  PhantomParameters parameters;
  parameters.size = config.image_size;
  parameters.noise = plan.noise;
  parameters.noise_grain = scanner.noise_grain;
  parameters.blur = plan.blur;
  parameters.contrast = scanner.contrast;
  parameters.bias = scanner.bias;
  if (plan.lesion) {
    RandomStream shape = Stream(seed, "synth.lesion_shape", plan);
    parameters.lesion =
        LesionBlob(plan.lesion_x, plan.lesion_y, plan.lesion_size_mm / scanner.pixel_spacing,
                   plan.applied_contrast, shape);
  }
  return parameters;
}

RandomStream AnatomyStream(std::uint64_t seed, const CasePlan& plan) {
  return Stream(seed, "synth.anatomy", plan);
}

RandomStream AcquisitionStream(std::uint64_t seed, const CasePlan& plan) {
  return Stream(seed, "synth.acquisition", plan);
}

}  // namespace assay::synth
