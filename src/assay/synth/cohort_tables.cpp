#include "assay/synth/cohort_tables.h"

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "assay/io/csv_writer.h"

namespace assay::synth {
namespace {

using Json = nlohmann::ordered_json;

const char* Finding(bool lesion) { return lesion ? "lesion" : "none"; }

std::string Join(const std::vector<std::string>& names) {
  std::string joined;
  for (const std::string& name : names) {
    if (!joined.empty()) joined += ';';
    joined += name;
  }
  return joined;
}

std::string PlantNames(const CohortConfig& config, const std::vector<std::size_t>& plants) {
  std::vector<std::string> names;
  names.reserve(plants.size());
  for (std::size_t p : plants) names.push_back(config.plants[p].name);
  return Join(names);
}

// What flipped the recorded label: "label_noise" (the cohort-wide rate) and plant names.
std::string FlippedBy(const CohortConfig& config, const CasePlan& plan) {
  std::vector<std::string> sources;
  if (plan.global_flip) sources.emplace_back("label_noise");
  for (std::size_t p : plan.flipped_by) sources.push_back(config.plants[p].name);
  return Join(sources);
}

std::string MissingAttributes(const CasePlan& plan) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < plan.missing.size(); ++i) {
    if (plan.missing[i]) names.emplace_back(kOptionalAttributes[i]);
  }
  return Join(names);
}

std::string Fixed(double value, int decimals) { return fmt::format("{:.{}f}", value, decimals); }

Json Conditions(const PlantCondition& where) {
  Json json = Json::object();
  for (auto [key, names] : {std::pair{"vendor", &where.vendors}, std::pair{"model", &where.models},
                            std::pair{"site", &where.sites}, std::pair{"role", &where.roles}}) {
    if (!names->empty()) json[key] = *names;
  }
  if (where.sex) json["sex"] = *where.sex;
  for (auto [key, value] :
       {std::pair{"age_min", &where.age_min}, std::pair{"age_max", &where.age_max},
        std::pair{"size_min_mm", &where.size_min_mm}, std::pair{"size_max_mm", &where.size_max_mm},
        std::pair{"contrast_min", &where.contrast_min},
        std::pair{"contrast_max", &where.contrast_max}}) {
    if (*value) json[key] = **value;
  }
  return json;
}

Json Effect(const PlantEffect& effect) {
  Json json = Json::object();
  for (auto [key, value] : {std::pair{"noise", &effect.noise}, std::pair{"blur", &effect.blur},
                            std::pair{"lesion_contrast", &effect.lesion_contrast},
                            std::pair{"label_noise", &effect.label_noise}}) {
    if (*value) json[key] = **value;
  }
  return json;
}

Json PlantJson(const CohortConfig& config, std::size_t p, const std::vector<CasePlan>& plans) {
  const PlantConfig& plant = config.plants[p];
  std::size_t cases = 0, positives = 0, flipped = 0;
  std::map<std::string, std::size_t> by_site;
  for (const CasePlan& plan : plans) {
    if (std::find(plan.plants.begin(), plan.plants.end(), p) == plan.plants.end()) continue;
    ++cases;
    positives += plan.lesion ? 1 : 0;
    ++by_site[config.sites[plan.site].name];
    flipped += std::count(plan.flipped_by.begin(), plan.flipped_by.end(), p) > 0 ? 1 : 0;
  }
  Json json;
  json["name"] = plant.name;
  json["where"] = Conditions(plant.where);
  json["effect"] = Effect(plant.effect);
  json["cases"] = cases;
  json["positives"] = positives;
  if (plant.effect.label_noise) json["labels_flipped"] = flipped;
  json["cases_by_site"] = by_site;
  return json;
}

Json CohortJson(const CohortConfig& config, const std::vector<CasePlan>& plans) {
  std::size_t positives = 0, flipped = 0, global_flips = 0, duplicates = 0, corrupt = 0;
  std::map<std::string, std::size_t> missing;
  for (const char* name : kOptionalAttributes) missing[name] = 0;
  for (const CasePlan& plan : plans) {
    positives += plan.lesion ? 1 : 0;
    flipped += plan.label_flipped() ? 1 : 0;
    global_flips += plan.global_flip ? 1 : 0;
    duplicates += plan.duplicate ? 1 : 0;
    corrupt += plan.corruption != Corruption::kNone ? 1 : 0;
    for (std::size_t i = 0; i < plan.missing.size(); ++i) {
      missing[kOptionalAttributes[i]] += plan.missing[i] ? 1 : 0;
    }
  }
  Json json;
  json["cases"] = plans.size();
  json["positives"] = positives;
  json["labels_flipped"] = flipped;
  json["label_noise"] = {{"rate", config.label_noise}, {"labels_flipped", global_flips}};
  json["missing_metadata"] = {{"rate", config.missing_metadata}, {"missing", missing}};
  json["duplicates"] = {{"rate", config.duplicates}, {"files", duplicates}};
  json["corrupt"] = {{"rate", config.corrupt}, {"files", corrupt}};
  return json;
}

}  // namespace

std::string CaseFileName(const CohortConfig& config, const CasePlan& plan) {
  return fmt::format("images/{}/{}.dcm", config.sites[plan.site].name, plan.case_id);
}

std::string DuplicateFileName(const CohortConfig& config, const CasePlan& plan) {
  return fmt::format("images/{}/{}-1.dcm", config.sites[plan.site].name, plan.case_id);
}

std::string CorruptFileName(const CohortConfig& config, const CasePlan& plan) {
  return fmt::format("images/{}/{}-2.dcm", config.sites[plan.site].name, plan.case_id);
}

std::string LabelsCsv(const CohortConfig& config, const std::vector<CasePlan>& plans) {
  std::string csv = "study,patient,finding,lesion_size_mm,site\n";
  for (const CasePlan& plan : plans) {
    // A recorded lesion has a recorded size, also where the label is wrong.
    csv += io::CsvRow({plan.study_uid, plan.patient_id, Finding(plan.recorded_lesion),
                       plan.recorded_lesion ? Fixed(plan.lesion_size_mm, 1) : "",
                       config.sites[plan.site].name});
  }
  return csv;
}

std::string GroundTruthCsv(const CohortConfig& config, const std::vector<CasePlan>& plans,
                           const std::vector<CaseFiles>& files) {
  std::string csv =
      "study,case,file,site,role,institution,vendor,model,patient,age,sex,true_finding,"
      "recorded_finding,label_flipped,flipped_by,lesion_size_mm,lesion_contrast,"
      "lesion_contrast_applied,lesion_x,lesion_y,pixel_spacing,noise,noise_grain,blur,contrast,"
      "bias,plants,"
      "missing_attributes,duplicate_file,corrupt_file\n";
  for (std::size_t i = 0; i < plans.size(); ++i) {
    const CasePlan& plan = plans[i];
    const SiteConfig& site = config.sites[plan.site];
    const ScannerConfig& scanner = site.scanners[plan.scanner];
    auto lesion = [&](double value, int decimals) {
      return plan.lesion ? Fixed(value, decimals) : std::string();
    };
    csv += io::CsvRow({plan.study_uid,
                       plan.case_id,
                       files[i].image,
                       site.name,
                       site.role,
                       site.institution,
                       scanner.vendor,
                       scanner.model,
                       plan.patient_id,
                       std::to_string(plan.age),
                       std::string(1, plan.sex),
                       Finding(plan.lesion),
                       Finding(plan.recorded_lesion),
                       plan.label_flipped() ? "true" : "false",
                       FlippedBy(config, plan),
                       lesion(plan.lesion_size_mm, 3),
                       lesion(plan.lesion_contrast, 4),
                       lesion(plan.applied_contrast, 4),
                       lesion(plan.lesion_x, 2),
                       lesion(plan.lesion_y, 2),
                       Fixed(scanner.pixel_spacing, 4),
                       Fixed(plan.noise, 4),
                       Fixed(scanner.noise_grain, 4),
                       Fixed(plan.blur, 4),
                       Fixed(scanner.contrast, 4),
                       Fixed(scanner.bias, 4),
                       PlantNames(config, plan.plants),
                       MissingAttributes(plan),
                       files[i].duplicate,
                       files[i].corrupt});
  }
  return csv;
}

std::string FilesCsv(const std::vector<CasePlan>& plans, const std::vector<CaseFiles>& files) {
  std::string csv = "file,kind,case,study,corruption,bytes,sha256\n";
  for (std::size_t i = 0; i < plans.size(); ++i) {
    const CasePlan& plan = plans[i];
    const CaseFiles& file = files[i];
    const std::string bytes = std::to_string(file.image_bytes);
    csv += io::CsvRow(
        {file.image, "case", plan.case_id, plan.study_uid, "", bytes, file.image_sha256});
    if (!file.duplicate.empty()) {
      csv += io::CsvRow({file.duplicate, "duplicate", plan.case_id, plan.study_uid, "",
                         std::to_string(file.duplicate_bytes), file.image_sha256});
    }
    if (!file.corrupt.empty()) {
      // A truncated file is the start of the case's file; garbage belongs to no study.
      const bool garbage = plan.corruption == Corruption::kGarbage;
      csv += io::CsvRow({file.corrupt, "corrupt", plan.case_id, garbage ? "" : plan.study_uid,
                         CorruptionName(plan.corruption), std::to_string(file.corrupt_bytes),
                         file.corrupt_sha256});
    }
  }
  return csv;
}

std::string PlantedJson(const CohortConfig& config, std::uint64_t seed,
                        const std::optional<std::string>& role,
                        const std::vector<CasePlan>& plans) {
  Json json;
  json["config"] = std::filesystem::path(config.path).filename().string();
  json["seed"] = seed;
  json["sites_written"] = role ? *role : "all";
  std::vector<std::string> sites;
  for (const SiteConfig& site : config.sites) {
    if (!role || site.role == *role) sites.push_back(site.name);
  }
  json["sites"] = sites;
  json["cohort"] = CohortJson(config, plans);
  json["plants"] = Json::array();
  for (std::size_t p = 0; p < config.plants.size(); ++p) {
    json["plants"].push_back(PlantJson(config, p, plans));
  }
  return json.dump(2) + "\n";
}

}  // namespace assay::synth
