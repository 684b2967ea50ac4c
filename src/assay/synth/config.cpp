#include "assay/synth/config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <string_view>
#include <tuple>
#include <utility>

namespace assay::synth {
namespace {

std::string Dotted(std::string_view prefix, std::string_view key) {
  if (prefix.empty()) return std::string(key);
  return fmt::format("{}.{}", prefix, key);
}

std::string JoinNames(const std::vector<std::string_view>& names) {
  std::string joined;
  for (std::string_view name : names) {
    if (!joined.empty()) joined += ", ";
    joined += name;
  }
  return joined;
}

// Reads one configuration file; every error names the file, the line and the dotted key.
class ConfigReader {
 public:
  explicit ConfigReader(std::string path) : path_(std::move(path)) {}

  // "cohort.toml line 14, key 'sites[0].prevalence': message"; no line when
  // toml++ gives none (a key missing from the top level).
  Status Error(const toml::source_region& where, std::string_view key,
               std::string_view message) const {
    if (where.begin.line == 0) {
      return InvalidInput(fmt::format("{}, key '{}': {}", path_, key, message));
    }
    return InvalidInput(
        fmt::format("{} line {}, key '{}': {}", path_, where.begin.line, key, message));
  }

  Status ErrorAt(const toml::table& table, std::string_view prefix, std::string_view key,
                 std::string_view message) const {
    const toml::node* node = table.get(key);
    return Error(node != nullptr ? node->source() : table.source(), Dotted(prefix, key), message);
  }

  // Rejects the first key of `table` (in file order) that is not in `allowed`.
  Status CheckKeys(const toml::table& table, std::string_view prefix,
                   const std::vector<std::string_view>& allowed) const {
    const toml::key* first = nullptr;
    for (const auto& [key, node] : table) {
      if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end()) continue;
      const auto& here = key.source().begin;
      if (first == nullptr ||
          std::pair(here.line, here.column) <
              std::pair(first->source().begin.line, first->source().begin.column)) {
        first = &key;
      }
    }
    if (first == nullptr) return Status::Ok();
    const std::string where = prefix.empty() ? "the top level" : fmt::format("'{}'", prefix);
    return Error(first->source(), Dotted(prefix, first->str()),
                 fmt::format("unknown key; {} takes {}", where, JoinNames(allowed)));
  }

  Status Missing(const toml::table& table, std::string_view prefix, std::string_view key) const {
    const std::string where = prefix.empty() ? "the top level" : fmt::format("'{}'", prefix);
    return Error(prefix.empty() ? toml::source_region{} : table.source(), Dotted(prefix, key),
                 fmt::format("required key is missing from {}", where));
  }

  Status WrongType(const toml::node& node, std::string_view dotted,
                   std::string_view expected) const {
    return Error(node.source(), dotted, fmt::format("expected {}", expected));
  }

  // A non-empty string; absent keys leave `out` unchanged unless `required`.
  Status ReadString(const toml::table& table, std::string_view prefix, std::string_view key,
                    bool required, std::string& out) const {
    const toml::node* node = table.get(key);
    if (node == nullptr) return required ? Missing(table, prefix, key) : Status::Ok();
    const auto* value = node->as_string();
    if (value == nullptr) return WrongType(*node, Dotted(prefix, key), "a string");
    if (value->get().empty()) {
      return Error(node->source(), Dotted(prefix, key), "must not be empty");
    }
    out = value->get();
    return Status::Ok();
  }

  // A finite number in [low, high] (low open when `low_open`).
  Status ReadNumber(const toml::table& table, std::string_view prefix, std::string_view key,
                    double low, bool low_open, double high, std::optional<double>& out) const {
    const toml::node* node = table.get(key);
    if (node == nullptr) return Status::Ok();
    auto number = NumberOf(*node, Dotted(prefix, key));
    if (!number.ok()) return number.status();
    if ((low_open ? *number <= low : *number < low) || *number > high) {
      return Error(
          node->source(), Dotted(prefix, key),
          fmt::format("{} is outside {}{}, {}]", *number, low_open ? '(' : '[', low, high));
    }
    out = *number;
    return Status::Ok();
  }

  // As ReadNumber, into a plain double that keeps its default when absent.
  Status ReadNumber(const toml::table& table, std::string_view prefix, std::string_view key,
                    double low, bool low_open, double high, bool required, double& out) const {
    if (required && table.get(key) == nullptr) return Missing(table, prefix, key);
    std::optional<double> value;
    ASSAY_RETURN_IF_ERROR(ReadNumber(table, prefix, key, low, low_open, high, value));
    if (value) out = *value;
    return Status::Ok();
  }

  // An integer in [low, high].
  Status ReadInteger(const toml::table& table, std::string_view prefix, std::string_view key,
                     std::int64_t low, std::int64_t high, bool required, std::uint64_t& out) const {
    const toml::node* node = table.get(key);
    if (node == nullptr) return required ? Missing(table, prefix, key) : Status::Ok();
    const auto* integer = node->as_integer();
    if (integer == nullptr) return WrongType(*node, Dotted(prefix, key), "an integer");
    if (integer->get() < low || integer->get() > high) {
      return Error(node->source(), Dotted(prefix, key),
                   fmt::format("{} is outside [{}, {}]", integer->get(), low, high));
    }
    out = static_cast<std::uint64_t>(integer->get());
    return Status::Ok();
  }

  // A pair [low, high] of numbers within [minimum, maximum], low <= high.
  Status ReadRange(const toml::table& table, std::string_view prefix, std::string_view key,
                   double minimum, bool minimum_open, double maximum, Range& out) const {
    const toml::node* node = table.get(key);
    if (node == nullptr) return Status::Ok();
    const std::string dotted = Dotted(prefix, key);
    const auto* array = node->as_array();
    if (array == nullptr || array->size() != 2) {
      return WrongType(*node, dotted, "a range [low, high] of two numbers");
    }
    auto low = NumberOf(*array->get(0), dotted);
    if (!low.ok()) return low.status();
    auto high = NumberOf(*array->get(1), dotted);
    if (!high.ok()) return high.status();
    if ((minimum_open ? *low <= minimum : *low < minimum) || *high > maximum) {
      return Error(node->source(), dotted,
                   fmt::format("[{}, {}] is not within {}{}, {}]", *low, *high,
                               minimum_open ? '(' : '[', minimum, maximum));
    }
    if (*low > *high) {
      return Error(node->source(), dotted, fmt::format("low {} is above high {}", *low, *high));
    }
    out = Range{*low, *high};
    return Status::Ok();
  }

  // A string or an array of strings, as a list.
  Status ReadNames(const toml::table& table, std::string_view prefix, std::string_view key,
                   std::vector<std::string>& out) const {
    const toml::node* node = table.get(key);
    if (node == nullptr) return Status::Ok();
    const std::string dotted = Dotted(prefix, key);
    if (const auto* text = node->as_string()) {
      out = {text->get()};
      return Status::Ok();
    }
    const auto* array = node->as_array();
    if (array == nullptr || array->empty()) {
      return WrongType(*node, dotted, "a string or a non-empty array of strings");
    }
    for (const toml::node& element : *array) {
      const auto* text = element.as_string();
      if (text == nullptr) return WrongType(element, dotted, "a string or an array of strings");
      out.push_back(text->get());
    }
    return Status::Ok();
  }

  // The array of tables at `key` (e.g. [[sites]]); empty when absent.
  Result<std::vector<const toml::table*>> ReadTables(const toml::table& table,
                                                     std::string_view prefix,
                                                     std::string_view key) const {
    std::vector<const toml::table*> tables;
    const toml::node* node = table.get(key);
    if (node == nullptr) return tables;
    const auto* array = node->as_array();
    if (array == nullptr) return WrongType(*node, Dotted(prefix, key), "an array of tables");
    for (const toml::node& element : *array) {
      const auto* sub = element.as_table();
      if (sub == nullptr) return WrongType(element, Dotted(prefix, key), "an array of tables");
      tables.push_back(sub);
    }
    return tables;
  }

 private:
  Result<double> NumberOf(const toml::node& node, std::string_view dotted) const {
    double number = 0.0;
    if (const auto* integer = node.as_integer()) {
      number = static_cast<double>(integer->get());
    } else if (const auto* floating = node.as_floating_point()) {
      number = floating->get();
    } else {
      return WrongType(node, dotted, "a number");
    }
    if (!std::isfinite(number)) {
      return Error(node.source(), dotted, fmt::format("{} is not a finite number", number));
    }
    return number;
  }

  std::string path_;
};

Result<toml::table> ParseToml(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) return IoError(fmt::format("{}: cannot read the cohort configuration", path));
  std::ostringstream text;
  text << in.rdbuf();
#if TOML_EXCEPTIONS
  try {
    return toml::parse(text.str(), path);
  } catch (const toml::parse_error& error) {
    return InvalidInput(fmt::format("{} line {}, column {}: not valid TOML: {}", path,
                                    error.source().begin.line, error.source().begin.column,
                                    error.description()));
  }
#else
  toml::parse_result parsed = toml::parse(text.str(), path);
  if (!parsed) {
    const auto& error = parsed.error();
    return InvalidInput(fmt::format("{} line {}, column {}: not valid TOML: {}", path,
                                    error.source().begin.line, error.source().begin.column,
                                    error.description()));
  }
  return std::move(parsed).table();
#endif
}

bool IsFolderName(std::string_view name) {
  return !name.empty() && name != "." && name != ".." &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' ||
                  c == '.';
         });
}

bool IsDate(std::string_view text) {
  return text.size() == 8 && std::all_of(text.begin(), text.end(), [](char c) {
           return std::isdigit(static_cast<unsigned char>(c)) != 0;
         });
}

Status ReadTopLevel(const ConfigReader& reader, const toml::table& root, CohortConfig& config) {
  ASSAY_RETURN_IF_ERROR(
      reader.CheckKeys(root, "",
                       {"seed", "image_size", "study_date", "label_noise", "missing_metadata",
                        "duplicates", "corrupt", "lesion", "sites", "plant"}));
  ASSAY_RETURN_IF_ERROR(
      reader.ReadInteger(root, "", "seed", 0, INT64_MAX, /*required=*/true, config.seed));
  std::uint64_t size = config.image_size;
  ASSAY_RETURN_IF_ERROR(reader.ReadInteger(root, "", "image_size", 32, 2048, false, size));
  config.image_size = static_cast<std::size_t>(size);
  ASSAY_RETURN_IF_ERROR(reader.ReadString(root, "", "study_date", false, config.study_date));
  if (!IsDate(config.study_date)) {
    return reader.ErrorAt(root, "", "study_date", "expected a date as YYYYMMDD");
  }
  ASSAY_RETURN_IF_ERROR(
      reader.ReadNumber(root, "", "label_noise", 0.0, false, 0.5, false, config.label_noise));
  for (auto [key, rate] :
       {std::pair{"missing_metadata", &config.missing_metadata},
        std::pair{"duplicates", &config.duplicates}, std::pair{"corrupt", &config.corrupt}}) {
    ASSAY_RETURN_IF_ERROR(reader.ReadNumber(root, "", key, 0.0, false, 1.0, false, *rate));
  }
  return Status::Ok();
}

Status ReadLesion(const ConfigReader& reader, const toml::table& root, LesionConfig& lesion) {
  const toml::node* node = root.get("lesion");
  if (node == nullptr) return Status::Ok();
  const auto* table = node->as_table();
  if (table == nullptr) return reader.WrongType(*node, "lesion", "a table");
  ASSAY_RETURN_IF_ERROR(reader.CheckKeys(*table, "lesion", {"size_mm", "contrast"}));
  ASSAY_RETURN_IF_ERROR(reader.ReadRange(*table, "lesion", "size_mm", 0.0, /*minimum_open=*/true,
                                         1000.0, lesion.size_mm));
  return reader.ReadRange(*table, "lesion", "contrast", 0.0, true, 10.0, lesion.contrast);
}

Status ReadScanner(const ConfigReader& reader, const toml::table& table, const std::string& prefix,
                   bool share_required, ScannerConfig& scanner) {
  ASSAY_RETURN_IF_ERROR(reader.CheckKeys(table, prefix,
                                         {"vendor", "model", "share", "noise", "noise_grain",
                                          "blur", "contrast", "bias", "pixel_spacing", "kvp"}));
  ASSAY_RETURN_IF_ERROR(reader.ReadString(table, prefix, "vendor", true, scanner.vendor));
  ASSAY_RETURN_IF_ERROR(reader.ReadString(table, prefix, "model", true, scanner.model));
  ASSAY_RETURN_IF_ERROR(
      reader.ReadNumber(table, prefix, "share", 0.0, true, 1.0, share_required, scanner.share));
  ASSAY_RETURN_IF_ERROR(
      reader.ReadNumber(table, prefix, "noise", 0.0, false, 100.0, false, scanner.noise));
  ASSAY_RETURN_IF_ERROR(reader.ReadNumber(table, prefix, "noise_grain", 0.0, false, 10.0, false,
                                          scanner.noise_grain));
  ASSAY_RETURN_IF_ERROR(
      reader.ReadNumber(table, prefix, "blur", 0.0, false, 20.0, false, scanner.blur));
  ASSAY_RETURN_IF_ERROR(
      reader.ReadNumber(table, prefix, "contrast", 0.0, true, 10.0, false, scanner.contrast));
  ASSAY_RETURN_IF_ERROR(
      reader.ReadNumber(table, prefix, "bias", 0.0, false, 0.9, false, scanner.bias));
  ASSAY_RETURN_IF_ERROR(reader.ReadNumber(table, prefix, "pixel_spacing", 0.0, true, 100.0, false,
                                          scanner.pixel_spacing));
  return reader.ReadNumber(table, prefix, "kvp", 0.0, true, 1000.0, false, scanner.kvp);
}

Status ReadScanners(const ConfigReader& reader, const toml::table& table, const std::string& prefix,
                    SiteConfig& site) {
  auto scanners = reader.ReadTables(table, prefix, "scanners");
  if (!scanners.ok()) return scanners.status();
  if (scanners->empty()) {
    return table.get("scanners") == nullptr
               ? reader.Missing(table, prefix, "scanners")
               : reader.ErrorAt(table, prefix, "scanners", "a site needs at least one scanner");
  }
  double total = 0.0;
  for (std::size_t i = 0; i < scanners->size(); ++i) {
    const std::string scanner_prefix = fmt::format("{}.scanners[{}]", prefix, i);
    ScannerConfig scanner;
    ASSAY_RETURN_IF_ERROR(
        ReadScanner(reader, *(*scanners)[i], scanner_prefix, scanners->size() > 1, scanner));
    total += scanner.share;
    site.scanners.push_back(std::move(scanner));
  }
  if (std::abs(total - 1.0) > 1e-3) {
    return reader.ErrorAt(table, prefix, "scanners",
                          fmt::format("the scanners' shares sum to {:.4g}, not 1", total));
  }
  return Status::Ok();
}

Status ReadSite(const ConfigReader& reader, const toml::table& table, const std::string& prefix,
                SiteConfig& site) {
  ASSAY_RETURN_IF_ERROR(reader.CheckKeys(
      table, prefix,
      {"name", "institution", "role", "cases", "prevalence", "age", "female", "scanners"}));
  ASSAY_RETURN_IF_ERROR(reader.ReadString(table, prefix, "name", true, site.name));
  if (!IsFolderName(site.name)) {
    return reader.ErrorAt(table, prefix, "name",
                          fmt::format("'{}' is not usable as a folder name (letters, digits, "
                                      "'-', '_' and '.' only)",
                                      site.name));
  }
  ASSAY_RETURN_IF_ERROR(reader.ReadString(table, prefix, "institution", true, site.institution));
  ASSAY_RETURN_IF_ERROR(reader.ReadString(table, prefix, "role", true, site.role));
  if (site.role != kRoles[0] && site.role != kRoles[1]) {
    return reader.ErrorAt(table, prefix, "role",
                          fmt::format("'{}' is not one of development, test", site.role));
  }
  ASSAY_RETURN_IF_ERROR(
      reader.ReadInteger(table, prefix, "cases", 1, 10'000'000, true, site.cases));
  ASSAY_RETURN_IF_ERROR(
      reader.ReadNumber(table, prefix, "prevalence", 0.0, false, 1.0, true, site.prevalence));
  ASSAY_RETURN_IF_ERROR(reader.ReadRange(table, prefix, "age", 0.0, false, 130.0, site.age));
  ASSAY_RETURN_IF_ERROR(
      reader.ReadNumber(table, prefix, "female", 0.0, false, 1.0, false, site.female));
  return ReadScanners(reader, table, prefix, site);
}

Status ReadSites(const ConfigReader& reader, const toml::table& root, CohortConfig& config) {
  auto sites = reader.ReadTables(root, "", "sites");
  if (!sites.ok()) return sites.status();
  if (sites->empty()) {
    return root.get("sites") == nullptr
               ? reader.Missing(root, "", "sites")
               : reader.ErrorAt(root, "", "sites", "a cohort needs at least one site");
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < sites->size(); ++i) {
    const std::string prefix = fmt::format("sites[{}]", i);
    SiteConfig site;
    ASSAY_RETURN_IF_ERROR(ReadSite(reader, *(*sites)[i], prefix, site));
    if (!names.insert(site.name).second) {
      return reader.ErrorAt(*(*sites)[i], prefix, "name",
                            fmt::format("a second site is named '{}'", site.name));
    }
    config.sites.push_back(std::move(site));
  }
  return Status::Ok();
}

// Each value of a plant's list condition must name something the sites have.
Status CheckKnown(const ConfigReader& reader, const toml::table& where, const std::string& prefix,
                  std::string_view key, const std::vector<std::string>& values,
                  const std::set<std::string>& known) {
  for (const std::string& value : values) {
    if (known.count(value) == 0) {
      std::vector<std::string_view> names(known.begin(), known.end());
      return reader.ErrorAt(
          where, prefix, key,
          fmt::format("no site has {} '{}' (the sites have {})", key, value, JoinNames(names)));
    }
  }
  return Status::Ok();
}

Status CheckOrder(const ConfigReader& reader, const toml::table& where, const std::string& prefix,
                  std::string_view low_key, const std::optional<double>& low,
                  const std::optional<double>& high) {
  if (low && high && *low > *high) {
    return reader.ErrorAt(where, prefix, low_key,
                          fmt::format("{} is above the matching maximum {}", *low, *high));
  }
  return Status::Ok();
}

// The conditions on names (vendor, model, site, role): each value must be one the sites have.
Status ReadWhereNames(const ConfigReader& reader, const toml::table& where,
                      const std::string& prefix, const CohortConfig& config,
                      PlantCondition& condition) {
  ASSAY_RETURN_IF_ERROR(reader.ReadNames(where, prefix, "vendor", condition.vendors));
  ASSAY_RETURN_IF_ERROR(reader.ReadNames(where, prefix, "model", condition.models));
  ASSAY_RETURN_IF_ERROR(reader.ReadNames(where, prefix, "site", condition.sites));
  ASSAY_RETURN_IF_ERROR(reader.ReadNames(where, prefix, "role", condition.roles));
  std::set<std::string> vendors, models, sites, roles(std::begin(kRoles), std::end(kRoles));
  for (const SiteConfig& site : config.sites) {
    sites.insert(site.name);
    for (const ScannerConfig& scanner : site.scanners) {
      vendors.insert(scanner.vendor);
      models.insert(scanner.model);
    }
  }
  ASSAY_RETURN_IF_ERROR(CheckKnown(reader, where, prefix, "vendor", condition.vendors, vendors));
  ASSAY_RETURN_IF_ERROR(CheckKnown(reader, where, prefix, "model", condition.models, models));
  ASSAY_RETURN_IF_ERROR(CheckKnown(reader, where, prefix, "site", condition.sites, sites));
  return CheckKnown(reader, where, prefix, "role", condition.roles, roles);
}

// The conditions on the patient (sex, age) and the lesion (size, contrast).
Status ReadWhereBounds(const ConfigReader& reader, const toml::table& where,
                       const std::string& prefix, PlantCondition& condition) {
  std::string sex;
  ASSAY_RETURN_IF_ERROR(reader.ReadString(where, prefix, "sex", false, sex));
  if (!sex.empty() && sex != "F" && sex != "M") {
    return reader.ErrorAt(where, prefix, "sex", fmt::format("'{}' is not F or M", sex));
  }
  if (!sex.empty()) condition.sex = sex;
  const std::tuple<const char*, const char*, double, std::optional<double>*, std::optional<double>*>
      bounds[] = {
          {"age_min", "age_max", 130.0, &condition.age_min, &condition.age_max},
          {"size_min_mm", "size_max_mm", 1000.0, &condition.size_min_mm, &condition.size_max_mm},
          {"contrast_min", "contrast_max", 10.0, &condition.contrast_min, &condition.contrast_max}};
  for (const auto& [low_key, high_key, maximum, low, high] : bounds) {
    ASSAY_RETURN_IF_ERROR(reader.ReadNumber(where, prefix, low_key, 0, false, maximum, *low));
    ASSAY_RETURN_IF_ERROR(reader.ReadNumber(where, prefix, high_key, 0, false, maximum, *high));
    ASSAY_RETURN_IF_ERROR(CheckOrder(reader, where, prefix, low_key, *low, *high));
  }
  return Status::Ok();
}

Status ReadWhere(const ConfigReader& reader, const toml::table& where, const std::string& prefix,
                 const CohortConfig& config, PlantCondition& condition) {
  ASSAY_RETURN_IF_ERROR(
      reader.CheckKeys(where, prefix,
                       {"vendor", "model", "site", "role", "sex", "age_min", "age_max",
                        "size_min_mm", "size_max_mm", "contrast_min", "contrast_max"}));
  ASSAY_RETURN_IF_ERROR(ReadWhereNames(reader, where, prefix, config, condition));
  return ReadWhereBounds(reader, where, prefix, condition);
}

Status ReadPlant(const ConfigReader& reader, const toml::table& table, const std::string& prefix,
                 const CohortConfig& config, PlantConfig& plant) {
  ASSAY_RETURN_IF_ERROR(reader.CheckKeys(
      table, prefix, {"name", "where", "noise", "blur", "lesion_contrast", "label_noise"}));
  ASSAY_RETURN_IF_ERROR(reader.ReadString(table, prefix, "name", true, plant.name));
  if (plant.name.find_first_of(";\r\n") != std::string::npos) {
    return reader.ErrorAt(table, prefix, "name",
                          "a plant's name may not hold ';' (it separates names in the tables) "
                          "or a line break");
  }
  const toml::node* where = table.get("where");
  if (where == nullptr) return reader.Missing(table, prefix, "where");
  if (where->as_table() == nullptr) {
    return reader.WrongType(*where, Dotted(prefix, "where"), "a table of conditions");
  }
  ASSAY_RETURN_IF_ERROR(
      ReadWhere(reader, *where->as_table(), Dotted(prefix, "where"), config, plant.where));

  PlantEffect& effect = plant.effect;
  ASSAY_RETURN_IF_ERROR(reader.ReadNumber(table, prefix, "noise", 0.0, true, 100.0, effect.noise));
  ASSAY_RETURN_IF_ERROR(reader.ReadNumber(table, prefix, "blur", 0.0, false, 20.0, effect.blur));
  ASSAY_RETURN_IF_ERROR(reader.ReadNumber(table, prefix, "lesion_contrast", 0.0, false, 10.0,
                                          effect.lesion_contrast));
  ASSAY_RETURN_IF_ERROR(
      reader.ReadNumber(table, prefix, "label_noise", 0.0, false, 1.0, effect.label_noise));
  if (!effect.noise && !effect.blur && !effect.lesion_contrast && !effect.label_noise) {
    return reader.Error(table.source(), prefix,
                        "a plant needs an effect: noise, blur, lesion_contrast or label_noise");
  }
  return Status::Ok();
}

Status ReadPlants(const ConfigReader& reader, const toml::table& root, CohortConfig& config) {
  auto plants = reader.ReadTables(root, "", "plant");
  if (!plants.ok()) return plants.status();
  std::set<std::string> names;
  for (std::size_t i = 0; i < plants->size(); ++i) {
    const std::string prefix = fmt::format("plant[{}]", i);
    PlantConfig plant;
    ASSAY_RETURN_IF_ERROR(ReadPlant(reader, *(*plants)[i], prefix, config, plant));
    if (!names.insert(plant.name).second) {
      return reader.ErrorAt(*(*plants)[i], prefix, "name",
                            fmt::format("a second plant is named '{}'", plant.name));
    }
    config.plants.push_back(std::move(plant));
  }
  return Status::Ok();
}

}  // namespace

Result<CohortConfig> LoadCohortConfig(const std::string& path) {
  auto root = ParseToml(path);
  if (!root.ok()) return root.status();
  const ConfigReader reader(path);
  CohortConfig config;
  config.path = path;
  ASSAY_RETURN_IF_ERROR(ReadTopLevel(reader, *root, config));
  ASSAY_RETURN_IF_ERROR(ReadLesion(reader, *root, config.lesion));
  ASSAY_RETURN_IF_ERROR(ReadSites(reader, *root, config));
  ASSAY_RETURN_IF_ERROR(ReadPlants(reader, *root, config));
  return config;
}

}  // namespace assay::synth
