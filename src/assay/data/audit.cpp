#include "assay/data/audit.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "assay/data/harmonize.h"
#include "assay/io/csv_writer.h"
#include "assay/io/record_source.h"

namespace assay::data {
namespace {

struct QualityRule {
  const char* column;
  const char* harmonized;
  const PlausibleRange* range;  // nullptr: no range check
};

const std::vector<QualityRule>& QualityRules() {
  static const std::vector<QualityRule> rules = {
      {"Manufacturer", "vendor", nullptr},
      {"PatientAge", "age_years", &kPlausibleAgeYears},
      {"PatientSex", "sex", nullptr},
      {"KVP", "kvp_kv", &kPlausibleKvp},
      {"SliceThickness", "slice_thickness_mm", &kPlausibleSliceThicknessMm},
      {"PixelSpacing", "pixel_spacing_row_mm", &kPlausiblePixelSpacingMm},
      {"MagneticFieldStrength", "field_strength_t", &kPlausibleFieldStrengthT},
      {"StudyDate", "study_date_iso", nullptr},
  };
  return rules;
}

std::string Blank(std::optional<std::string_view> value) {
  return value ? std::string(*value) : std::string();
}

void AddExample(ColumnQuality& quality, const std::string& value) {
  if (quality.examples.size() < 3 && std::find(quality.examples.begin(), quality.examples.end(),
                                               value) == quality.examples.end()) {
    quality.examples.push_back(value);
  }
}

// The patient pseudonyms of an inventory.
Result<std::unordered_set<std::string>> InventoryPatients(const std::string& path) {
  auto source = io::OpenRecordSource(path, {"read_status", "patient_pseudonym"});
  if (!source.ok()) return source.status();
  std::unordered_set<std::string> patients;
  while (true) {
    auto more = (*source)->Next();
    if (!more.ok()) return more.status();
    if (!*more) break;
    const std::string patient = Blank((*source)->Value(1));
    if (Blank((*source)->Value(0)) == "ok" && !patient.empty()) patients.insert(patient);
  }
  return patients;
}

}  // namespace

Result<AuditReport> Audit(const AuditInputs& inputs) {
  std::vector<std::string> columns = {"path", "read_status", "read_error", "SOPInstanceUID",
                                      "patient_pseudonym"};
  for (const auto& rule : QualityRules()) {
    columns.push_back(rule.column);
    columns.push_back(rule.harmonized);
  }
  // Acquisition attributes carried into the case table: inventory column -> case column.
  const std::vector<std::pair<std::string, std::string>> case_attributes = {
      {"Modality", "modality"},
      {"vendor", "vendor"},
      {"ManufacturerModelName", "scanner_model"},
      {"InstitutionName", "site"},
      {"age_years", "age_years"},
      {"sex", "sex"},
      {"kvp_kv", "kvp_kv"},
      {"slice_thickness_mm", "slice_thickness_mm"},
      {"pixel_spacing_row_mm", "pixel_spacing_mm"},
      {"field_strength_t", "field_strength_t"},
      {"study_date_iso", "study_date"},
  };
  std::vector<std::size_t> attribute_columns;
  for (const auto& [column, name] : case_attributes) {
    auto found = std::find(columns.begin(), columns.end(), column);
    if (found == columns.end()) {
      columns.push_back(column);
      found = columns.end() - 1;
    }
    attribute_columns.push_back(static_cast<std::size_t>(found - columns.begin()));
  }
  const bool key_is_new =
      std::find(columns.begin(), columns.end(), inputs.image_key) == columns.end();
  if (key_is_new) columns.push_back(inputs.image_key);
  const std::size_t key_column = static_cast<std::size_t>(
      std::find(columns.begin(), columns.end(), inputs.image_key) - columns.begin());

  // Inventories scanned with --pixel-hash also carry pixel_sha256.
  columns.push_back("pixel_sha256");
  auto source = io::OpenRecordSource(inputs.inventory, columns);
  const bool has_pixels = source.ok();
  if (!has_pixels) {
    columns.pop_back();
    source = io::OpenRecordSource(inputs.inventory, columns);
  }
  if (!source.ok()) return source.status();
  const std::size_t pixel_column = columns.size() - 1;

  AuditReport report;
  if (has_pixels) report.duplicate_images = 0;
  for (const auto& rule : QualityRules()) {
    ColumnQuality quality;
    quality.column = rule.column;
    quality.harmonized = rule.harmonized;
    report.columns.push_back(std::move(quality));
  }
  std::unordered_set<std::string> instances;
  std::unordered_set<std::string> images;
  std::unordered_map<std::string, std::unordered_set<std::string>> patients_of_case;
  std::vector<std::string> case_order;
  struct CaseImages {
    std::string patient;  // of the first instance
    std::size_t instances = 0;
    std::vector<std::string> attributes;
  };
  std::unordered_map<std::string, CaseImages> images_of_case;
  while (true) {
    auto more = (*source)->Next();
    if (!more.ok()) return more.status();
    if (!*more) break;
    ++report.files;
    const std::string status = Blank((*source)->Value(1));
    if (status != "ok") {
      const std::string error = Blank((*source)->Value(2));
      ++report.unreadable[error.substr(0, error.find(':'))];
      continue;
    }
    ++report.files_read;
    const std::string sop = Blank((*source)->Value(3));
    if (!sop.empty() && !instances.insert(sop).second) {
      ++report.duplicate_instances;
      continue;
    }
    if (has_pixels) {
      const std::string digest = Blank((*source)->Value(pixel_column));
      if (!digest.empty() && !images.insert(digest).second) {
        ++*report.duplicate_images;
        continue;
      }
    }
    for (std::size_t r = 0; r < QualityRules().size(); ++r) {
      const auto& rule = QualityRules()[r];
      ColumnQuality& quality = report.columns[r];
      const std::string original = Blank((*source)->Value(5 + 2 * r));
      const std::string harmonized = Blank((*source)->Value(6 + 2 * r));
      if (original.empty()) {
        ++quality.missing;
      } else if (harmonized.empty()) {
        ++quality.unparseable;
        AddExample(quality, original);
      } else if (rule.range != nullptr && !IsPlausible(std::stod(harmonized), *rule.range)) {
        ++quality.implausible;
        AddExample(quality, original);
      }
    }
    const std::string key = Blank((*source)->Value(key_column));
    if (key.empty()) {
      ++report.missing_key;
      continue;
    }
    auto [it, inserted] = patients_of_case.try_emplace(key);
    const std::string patient = Blank((*source)->Value(4));
    CaseImages& images_here = images_of_case[key];
    if (inserted) {
      case_order.push_back(key);
      images_here.patient = patient;
      for (std::size_t column : attribute_columns) {
        images_here.attributes.push_back(Blank((*source)->Value(column)));
      }
    }
    ++images_here.instances;
    if (!patient.empty()) it->second.insert(patient);
  }
  report.cases = case_order.size();

  report.flow.push_back({"received", "files", "", report.files});
  for (const auto& [reason, count] : report.unreadable) {
    report.flow.push_back({"excluded", "files", "unreadable_" + reason, count});
  }
  if (report.duplicate_instances > 0) {
    report.flow.push_back({"excluded", "files", "duplicate_instance", report.duplicate_instances});
  }
  if (report.duplicate_images.value_or(0) > 0) {
    report.flow.push_back({"excluded", "files", "duplicate_image", *report.duplicate_images});
  }
  if (report.missing_key > 0) {
    report.flow.push_back({"excluded", "files", "no_" + inputs.image_key, report.missing_key});
  }
  report.flow.push_back({"grouped", "cases", "", report.cases});

  std::unordered_set<std::string> excluded;
  if (inputs.development) {
    auto development = InventoryPatients(*inputs.development);
    if (!development.ok()) return development.status();
    std::set<std::string> shared;
    std::size_t shared_cases = 0;
    for (const auto& key : case_order) {
      bool in_development = false;
      for (const auto& patient : patients_of_case[key]) {
        if (development->count(patient) > 0) {
          shared.insert(patient);
          in_development = true;
        }
      }
      if (in_development) {
        ++shared_cases;
        excluded.insert(key);
      }
    }
    report.shared_patients = shared.size();
    report.shared_cases = shared_cases;
    if (shared_cases > 0) {
      report.flow.push_back({"excluded", "cases", "patient_in_development_cohort", shared_cases});
    }
  }

  std::unordered_map<std::string, std::string> truth_of_case;
  std::unordered_map<std::string, std::vector<std::string>> label_values;  // label_columns
  std::unordered_map<std::string, std::set<std::size_t>> label_conflicts;  // columns per case
  if (inputs.labels) {
    const std::string label_key = inputs.label_key.empty() ? inputs.image_key : inputs.label_key;
    std::vector<std::string> wanted = {label_key, inputs.truth};
    wanted.insert(wanted.end(), inputs.label_columns.begin(), inputs.label_columns.end());
    auto labels = io::OpenRecordSource(*inputs.labels, wanted);
    if (!labels.ok()) return labels.status();
    std::unordered_map<std::string, std::set<std::string>> truths;
    while (true) {
      auto more = (*labels)->Next();
      if (!more.ok()) return more.status();
      if (!*more) break;
      const std::string key = Blank((*labels)->Value(0));
      if (key.empty()) {
        return InvalidInput(fmt::format("{} line {}, column '{}': a label row without a key",
                                        (*labels)->path(), (*labels)->line(), label_key));
      }
      auto& values = truths[key];
      if (auto truth = (*labels)->Value(1); truth && !truth->empty()) {
        values.emplace(*truth);
      }
      if (!inputs.label_columns.empty()) {
        // Rows of one case that disagree on a label column leave it blank there, counted.
        auto [found, first] = label_values.try_emplace(key);
        for (std::size_t c = 0; c < inputs.label_columns.size(); ++c) {
          std::string value = Blank((*labels)->Value(2 + c));
          if (first) {
            found->second.push_back(std::move(value));
          } else if (found->second[c] != value && !label_conflicts[key].count(c)) {
            label_conflicts[key].insert(c);
          }
        }
      }
    }
    std::size_t unlabeled = 0;
    std::size_t conflicting = 0;
    for (const auto& key : case_order) {
      if (excluded.count(key) > 0) continue;
      auto found = truths.find(key);
      if (found == truths.end() || found->second.empty()) {
        ++unlabeled;
        excluded.insert(key);
      } else if (found->second.size() > 1) {
        ++conflicting;
        excluded.insert(key);
      } else {
        truth_of_case[key] = *found->second.begin();
      }
    }
    std::size_t without_images = 0;
    for (const auto& [key, values] : truths) {
      if (patients_of_case.count(key) == 0) ++without_images;
    }
    report.unlabeled_cases = unlabeled;
    report.conflicting_cases = conflicting;
    for (const auto& [key, disagreeing] : label_conflicts) {
      if (excluded.count(key) > 0) continue;
      for (std::size_t c : disagreeing) {
        label_values[key][c].clear();
        ++report.label_value_conflicts[inputs.label_columns[c]];
      }
    }
    report.labels_without_images = without_images;
    if (unlabeled > 0) report.flow.push_back({"excluded", "cases", "no_label", unlabeled});
    if (conflicting > 0) {
      report.flow.push_back({"excluded", "cases", "conflicting_labels", conflicting});
    }
  }
  report.analysed = report.cases - excluded.size();
  report.flow.push_back({"analysed", "cases", "", report.analysed});

  std::unordered_map<std::string, std::string> score_of_case;
  if (inputs.predictions) {
    const std::string key_name =
        inputs.prediction_key.empty() ? inputs.image_key : inputs.prediction_key;
    auto predictions = io::OpenRecordSource(*inputs.predictions, {key_name, inputs.score});
    if (!predictions.ok()) return predictions.status();
    std::unordered_map<std::string, std::uint64_t> first_line;
    while (true) {
      auto more = (*predictions)->Next();
      if (!more.ok()) return more.status();
      if (!*more) break;
      const std::string key = Blank((*predictions)->Value(0));
      const std::string score = Blank((*predictions)->Value(1));
      const std::uint64_t line = (*predictions)->line();
      if (key.empty()) {
        return InvalidInput(fmt::format("{} line {}, column '{}': a prediction without a key",
                                        (*predictions)->path(), line, key_name));
      }
      auto [it, inserted] = score_of_case.try_emplace(key, score);
      if (!inserted && it->second != score) {
        return InvalidInput(fmt::format(
            "{} line {}, column '{}': a second score for case '{}' (the first is on line {})",
            (*predictions)->path(), line, inputs.score, key, first_line[key]));
      }
      first_line.try_emplace(key, line);
    }
    std::size_t without_images = 0;
    for (const auto& [key, score] : score_of_case) {
      if (images_of_case.count(key) == 0) ++without_images;
    }
    report.predictions_without_images = without_images;
    report.cases_without_prediction = 0;
  }

  report.case_columns = {"case", "patient_pseudonym"};
  if (inputs.labels) report.case_columns.push_back(inputs.truth);
  if (inputs.predictions) report.case_columns.push_back(inputs.score);
  report.case_columns.push_back("instances");
  for (const auto& attribute : case_attributes) report.case_columns.push_back(attribute.second);
  for (const std::string& column :
       inputs.labels ? inputs.label_columns : std::vector<std::string>{}) {
    if (std::find(report.case_columns.begin(), report.case_columns.end(), column) !=
        report.case_columns.end()) {
      return InvalidInput(
          fmt::format("{}: label column '{}' has the name of a column the case table already has",
                      *inputs.labels, column));
    }
    report.case_columns.push_back(column);
  }
  for (const auto& key : case_order) {
    if (excluded.count(key) > 0) continue;
    const CaseImages& images_here = images_of_case[key];
    std::vector<std::string> row = {key, images_here.patient};
    if (inputs.labels) row.push_back(truth_of_case[key]);
    if (inputs.predictions) {
      auto found = score_of_case.find(key);
      if (found == score_of_case.end() || found->second.empty()) {
        ++*report.cases_without_prediction;
        row.emplace_back();
      } else {
        row.push_back(found->second);
      }
    }
    row.push_back(std::to_string(images_here.instances));
    row.insert(row.end(), images_here.attributes.begin(), images_here.attributes.end());
    if (inputs.labels && !inputs.label_columns.empty()) {
      const std::vector<std::string>& extra = label_values[key];
      row.insert(row.end(), extra.begin(), extra.end());
    }
    report.case_rows.push_back(std::move(row));
  }
  return report;
}

std::string AuditCasesCsv(const AuditReport& report) {
  std::string out = io::CsvRow(report.case_columns);
  for (const auto& row : report.case_rows) out += io::CsvRow(row);
  return out;
}

nlohmann::json AuditToJson(const AuditReport& report) {
  nlohmann::json columns = nlohmann::json::array();
  for (const auto& column : report.columns) {
    columns.push_back({{"column", column.column},
                       {"harmonized", column.harmonized},
                       {"missing", column.missing},
                       {"unparseable", column.unparseable},
                       {"implausible", column.implausible},
                       {"examples", column.examples}});
  }
  nlohmann::json flow = nlohmann::json::array();
  for (const auto& step : report.flow) {
    nlohmann::json entry = {{"stage", step.stage}, {"unit", step.unit}, {"count", step.count}};
    if (!step.reason.empty()) entry["reason"] = step.reason;
    flow.push_back(std::move(entry));
  }
  auto optional = [](const std::optional<std::size_t>& value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
  };
  return {{"files", report.files},
          {"files_read", report.files_read},
          {"unreadable", report.unreadable},
          {"columns", std::move(columns)},
          {"duplicate_instances", report.duplicate_instances},
          {"duplicate_images", optional(report.duplicate_images)},
          {"missing_key", report.missing_key},
          {"cases", report.cases},
          {"unlabeled_cases", optional(report.unlabeled_cases)},
          {"labels_without_images", optional(report.labels_without_images)},
          {"conflicting_cases", optional(report.conflicting_cases)},
          {"label_value_conflicts", report.label_value_conflicts},
          {"shared_patients", optional(report.shared_patients)},
          {"shared_cases", optional(report.shared_cases)},
          {"cases_without_prediction", optional(report.cases_without_prediction)},
          {"predictions_without_images", optional(report.predictions_without_images)},
          {"case_flow", std::move(flow)},
          {"analysed", report.analysed}};
}

std::string FormatAudit(const AuditReport& report) {
  std::string out = "Case flow\n";
  for (const auto& step : report.flow) {
    out += fmt::format("  {:<9} {:>8} {:<5} {}\n", step.stage, step.count, step.unit, step.reason);
  }
  out += "\nAttributes (readable, distinct instances)\n";
  out += fmt::format("  {:<22} {:>8} {:>12} {:>12}  {}\n", "attribute", "missing", "unharmonized",
                     "implausible", "examples");
  for (const auto& column : report.columns) {
    out += fmt::format("  {:<22} {:>8} {:>12} {:>12}  {}\n", column.column, column.missing,
                       column.unparseable, column.implausible, fmt::join(column.examples, ", "));
  }
  out += "\nFindings\n";
  auto line = [&out](std::size_t count, const std::string& text) {
    out += fmt::format("  {} {:>6}  {}\n", count == 0 ? "ok  " : "FLAG", count, text);
  };
  std::size_t unreadable = report.files - report.files_read;
  line(unreadable, "files that cannot be read");
  line(report.duplicate_instances, "duplicate instances (same SOP Instance UID)");
  if (report.duplicate_images) {
    line(*report.duplicate_images, "duplicate images (same pixels, another SOP Instance UID)");
  }
  line(report.missing_key, "instances without the case key");
  if (report.unlabeled_cases) line(*report.unlabeled_cases, "cases without a label");
  if (report.labels_without_images) line(*report.labels_without_images, "labels without images");
  if (report.conflicting_cases) line(*report.conflicting_cases, "cases with conflicting labels");
  if (report.cases_without_prediction) {
    line(*report.cases_without_prediction, "analysed cases without a model output (kept)");
  }
  if (report.predictions_without_images) {
    line(*report.predictions_without_images, "model outputs without images");
  }
  if (report.shared_patients) {
    line(*report.shared_patients, "patients also in the development cohort (leakage)");
  }
  return out;
}

}  // namespace assay::data
