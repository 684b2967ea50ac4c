#include "assay/evidence/protocol.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "assay/analysis/evaluation.h"
#include "assay/stats/multiplicity.h"
#include "assay/stats/proportion.h"

namespace assay::evidence {

namespace {

constexpr std::array<std::string_view, 6> kMetrics = {"auc", "sensitivity", "specificity",
                                                      "ppv", "npv",         "accuracy"};
constexpr std::array<std::string_view, 4> kPurposes = {"regulatory_submission", "local_acceptance",
                                                       "change_control", "postmarket_periodic"};
constexpr std::array<std::string_view, 2> kCombines = {"all", "holm"};
constexpr std::array<std::string_view, 2> kDirections = {"higher", "lower"};
constexpr std::array<std::string_view, 2> kIndeterminate = {"count_against_model",
                                                            "scope_out_rejected"};

template <std::size_t N>
bool Contains(const std::array<std::string_view, N>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

template <typename Range>
std::string JoinNames(const Range& names) {
  std::string joined;
  for (const auto& name : names) {
    if (!joined.empty()) joined += ", ";
    joined += name;
  }
  return joined;
}

std::string_view TypeName(toml::node_type type) {
  switch (type) {
    case toml::node_type::none:
      return "nothing";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
  }
  return "an unknown value";
}

std::string Dotted(std::string_view prefix, std::string_view key) {
  if (prefix.empty()) return std::string(key);
  return fmt::format("{}.{}", prefix, key);
}

// The hypothesis names a protocol uses.
std::string_view ProtocolHypothesisName(Hypothesis hypothesis) {
  switch (hypothesis) {
    case Hypothesis::kGoal:
      return "goal";
    case Hypothesis::kNonInferiority:
      return "non_inferiority";
    case Hypothesis::kSuperiority:
      return "superiority";
  }
  return "unknown";
}

std::optional<Hypothesis> ParseProtocolHypothesis(std::string_view name) {
  for (auto hypothesis :
       {Hypothesis::kGoal, Hypothesis::kNonInferiority, Hypothesis::kSuperiority}) {
    if (ProtocolHypothesisName(hypothesis) == name) return hypothesis;
  }
  return std::nullopt;
}

// Reads one protocol file: every error names the file, the dotted key and its line.
class ProtocolReader {
 public:
  explicit ProtocolReader(std::string path) : path_(std::move(path)) {}

  // "protocol.toml line 14, key 'endpoints.sens.goal': message"; the line is
  // left out when toml++ gives no position (a key missing from the root table).
  Status Error(const toml::source_region& where, std::string_view key,
               std::string_view message) const {
    if (where.begin.line == 0) {
      return InvalidInput(fmt::format("{}, key '{}': {}", path_, key, message));
    }
    return InvalidInput(
        fmt::format("{} line {}, key '{}': {}", path_, where.begin.line, key, message));
  }

  // An error about the value of `key` in `table` (the key must be present).
  Status ErrorAt(const toml::table& table, std::string_view prefix, std::string_view key,
                 std::string_view message) const {
    const toml::node* node = table.get(key);
    return Error(node != nullptr ? node->source() : table.source(), Dotted(prefix, key), message);
  }

  // Rejects keys of `table` not in `allowed`; the first unknown key in file order is named.
  Status CheckKeys(const toml::table& table, std::string_view prefix,
                   const std::vector<std::string_view>& allowed) const {
    const toml::key* first = nullptr;
    for (const auto& [key, node] : table) {
      if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end()) continue;
      if (first == nullptr || Before(key.source(), first->source())) first = &key;
    }
    if (first == nullptr) return Status::Ok();
    const std::string where = prefix.empty() ? "the top level" : fmt::format("[{}]", prefix);
    return Error(first->source(), Dotted(prefix, first->str()),
                 fmt::format("unknown key; {} takes {}", where, JoinNames(allowed)));
  }

  Status Missing(const toml::table& table, std::string_view prefix, std::string_view key) const {
    const std::string where = prefix.empty() ? "the top level" : fmt::format("[{}]", prefix);
    // A key missing from the top level has no line to point at.
    return Error(prefix.empty() ? toml::source_region{} : table.source(), Dotted(prefix, key),
                 fmt::format("required key is missing from {}", where));
  }

  Status WrongType(const toml::node& node, std::string_view dotted,
                   std::string_view expected) const {
    return Error(node.source(), dotted,
                 fmt::format("expected {}, found {}", expected, TypeName(node.type())));
  }

  // Reads a string; absent keys leave `out` unchanged. Empty strings are errors.
  Status ReadString(const toml::table& table, std::string_view prefix, std::string_view key,
                    std::optional<std::string>& out) const {
    const toml::node* node = table.get(key);
    if (node == nullptr) return Status::Ok();
    const auto* value = node->as_string();
    if (value == nullptr) return WrongType(*node, Dotted(prefix, key), "a string");
    if (value->get().empty())
      return Error(node->source(), Dotted(prefix, key), "must not be empty");
    out = value->get();
    return Status::Ok();
  }

  Status RequireString(const toml::table& table, std::string_view prefix, std::string_view key,
                       std::string& out) const {
    std::optional<std::string> value;
    ASSAY_RETURN_IF_ERROR(ReadString(table, prefix, key, value));
    if (!value) return Missing(table, prefix, key);
    out = *std::move(value);
    return Status::Ok();
  }

  // Reads a string that must be one of `allowed`.
  template <std::size_t N>
  Status ReadChoice(const toml::table& table, std::string_view prefix, std::string_view key,
                    const std::array<std::string_view, N>& allowed, std::string& out) const {
    std::optional<std::string> value;
    ASSAY_RETURN_IF_ERROR(ReadString(table, prefix, key, value));
    if (!value) return Status::Ok();
    if (!Contains(allowed, *value)) {
      return ErrorAt(table, prefix, key,
                     fmt::format("'{}' is not one of {}", *value, JoinNames(allowed)));
    }
    out = *std::move(value);
    return Status::Ok();
  }

  // Reads a finite number (integer or floating point).
  Status ReadNumber(const toml::table& table, std::string_view prefix, std::string_view key,
                    std::optional<double>& out) const {
    const toml::node* node = table.get(key);
    if (node == nullptr) return Status::Ok();
    double number = 0.0;
    if (const auto* integer = node->as_integer()) {
      number = static_cast<double>(integer->get());
    } else if (const auto* floating = node->as_floating_point()) {
      number = floating->get();
    } else {
      return WrongType(*node, Dotted(prefix, key), "a number");
    }
    if (!std::isfinite(number)) {
      return Error(node->source(), Dotted(prefix, key),
                   fmt::format("{} is not a finite number", number));
    }
    out = number;
    return Status::Ok();
  }

  // Reads a number in [low, high] (or (low, high] etc. per the open flags).
  Status ReadBounded(const toml::table& table, std::string_view prefix, std::string_view key,
                     double low, bool low_open, double high, bool high_open,
                     std::optional<double>& out) const {
    std::optional<double> value;
    ASSAY_RETURN_IF_ERROR(ReadNumber(table, prefix, key, value));
    if (!value) return Status::Ok();
    const bool above = low_open ? *value > low : *value >= low;
    const bool below = high_open ? *value < high : *value <= high;
    if (!above || !below) {
      return ErrorAt(table, prefix, key,
                     fmt::format("{} is outside {}{}, {}{}", *value, low_open ? '(' : '[', low,
                                 high, high_open ? ')' : ']'));
    }
    out = value;
    return Status::Ok();
  }

  // Reads an integer of at least `minimum`.
  Status ReadCount(const toml::table& table, std::string_view prefix, std::string_view key,
                   std::int64_t minimum, std::optional<std::uint64_t>& out) const {
    const toml::node* node = table.get(key);
    if (node == nullptr) return Status::Ok();
    const auto* integer = node->as_integer();
    if (integer == nullptr) return WrongType(*node, Dotted(prefix, key), "an integer");
    if (integer->get() < minimum) {
      return Error(node->source(), Dotted(prefix, key),
                   fmt::format("{} is below the minimum of {}", integer->get(), minimum));
    }
    out = static_cast<std::uint64_t>(integer->get());
    return Status::Ok();
  }

  Status ReadSize(const toml::table& table, std::string_view prefix, std::string_view key,
                  std::int64_t minimum, std::size_t& out) const {
    std::optional<std::uint64_t> value;
    ASSAY_RETURN_IF_ERROR(ReadCount(table, prefix, key, minimum, value));
    if (value) out = static_cast<std::size_t>(*value);
    return Status::Ok();
  }

  Status ReadBool(const toml::table& table, std::string_view prefix, std::string_view key,
                  bool& out) const {
    const toml::node* node = table.get(key);
    if (node == nullptr) return Status::Ok();
    const auto* value = node->as_boolean();
    if (value == nullptr) return WrongType(*node, Dotted(prefix, key), "true or false");
    out = value->get();
    return Status::Ok();
  }

  // Returns the sub-table `key` of `table`, nullptr when absent, or an error
  // when `key` holds something else.
  Result<const toml::table*> ReadTable(const toml::table& table, std::string_view prefix,
                                       std::string_view key) const {
    const toml::node* node = table.get(key);
    if (node == nullptr) return static_cast<const toml::table*>(nullptr);
    const auto* sub = node->as_table();
    if (sub == nullptr) return WrongType(*node, Dotted(prefix, key), "a table");
    return sub;
  }

  const std::string& path() const { return path_; }

 private:
  static bool Before(const toml::source_region& a, const toml::source_region& b) {
    return std::pair(a.begin.line, a.begin.column) < std::pair(b.begin.line, b.begin.column);
  }

  std::string path_;
};

// Parses the text of the file; a TOML syntax error names its line and column.
Result<toml::table> ParseToml(const std::string& path, const std::string& text) {
#if TOML_EXCEPTIONS
  try {
    return toml::parse(text, path);
  } catch (const toml::parse_error& error) {
    return InvalidInput(fmt::format("{} line {}, column {}: not valid TOML: {}", path,
                                    error.source().begin.line, error.source().begin.column,
                                    error.description()));
  }
#else
  toml::parse_result parsed = toml::parse(text, path);
  if (!parsed) {
    const auto& error = parsed.error();
    return InvalidInput(fmt::format("{} line {}, column {}: not valid TOML: {}", path,
                                    error.source().begin.line, error.source().begin.column,
                                    error.description()));
  }
  return std::move(parsed).table();
#endif
}

// A data or model path, relative to the protocol file's folder unless absolute.
std::string ResolveCases(const std::string& protocol_path, const std::string& cases) {
  const std::filesystem::path cases_path(cases);
  if (cases_path.is_absolute()) return cases;
  const std::filesystem::path folder = std::filesystem::path(protocol_path).parent_path();
  if (folder.empty()) return cases;
  return (folder / cases_path).lexically_normal().string();
}

bool IsEndpointId(std::string_view id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
  });
}

Status ReadTopLevel(const ProtocolReader& reader, const toml::table& root, Protocol& protocol) {
  ASSAY_RETURN_IF_ERROR(reader.CheckKeys(
      root, "",
      {"title", "intended_use", "purpose", "seed", "bootstrap", "combine", "data", "model",
       "endpoints", "subgroups", "stress", "failure_slices", "deployment", "shift", "mrmc"}));
  ASSAY_RETURN_IF_ERROR(reader.RequireString(root, "", "title", protocol.title));
  ASSAY_RETURN_IF_ERROR(reader.RequireString(root, "", "intended_use", protocol.intended_use));
  if (root.get("purpose") == nullptr) return reader.Missing(root, "", "purpose");
  ASSAY_RETURN_IF_ERROR(reader.ReadChoice(root, "", "purpose", kPurposes, protocol.purpose));
  std::optional<std::uint64_t> seed;
  ASSAY_RETURN_IF_ERROR(reader.ReadCount(root, "", "seed", 0, seed));
  if (seed) protocol.seed = *seed;
  ASSAY_RETURN_IF_ERROR(reader.ReadSize(root, "", "bootstrap", 100, protocol.bootstrap));
  ASSAY_RETURN_IF_ERROR(reader.ReadChoice(root, "", "combine", kCombines, protocol.combine));
  return Status::Ok();
}

// An array of non-empty strings, e.g. valid_status = ["ok"].
Status ReadStringList(const ProtocolReader& reader, const toml::table& table,
                      std::string_view prefix, std::string_view key,
                      std::vector<std::string>& out) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return Status::Ok();
  const std::string dotted = Dotted(prefix, key);
  const auto* array = node->as_array();
  if (array == nullptr) return reader.WrongType(*node, dotted, "an array of strings");
  out.clear();
  for (const toml::node& element : *array) {
    const auto* text = element.as_string();
    if (text == nullptr) return reader.WrongType(element, dotted, "an array of strings");
    if (text->get().empty()) return reader.Error(element.source(), dotted, "a value is empty");
    out.push_back(text->get());
  }
  if (out.empty()) return reader.Error(node->source(), dotted, "the list is empty");
  return Status::Ok();
}

// How indeterminate model outputs (no score, failed inference, rejected input) are handled.
Status ReadIndeterminate(const ProtocolReader& reader, const toml::table& table,
                         Protocol& protocol) {
  constexpr std::string_view kPrefix = "data";
  data::CaseRoles& roles = protocol.roles;
  ASSAY_RETURN_IF_ERROR(reader.ReadString(table, kPrefix, "output_status", roles.output_status));
  ASSAY_RETURN_IF_ERROR(ReadStringList(reader, table, kPrefix, "valid_status", roles.valid_status));
  ASSAY_RETURN_IF_ERROR(
      ReadStringList(reader, table, kPrefix, "rejected_status", roles.rejected_status));
  for (const std::string& value : roles.rejected_status) {
    if (std::find(roles.valid_status.begin(), roles.valid_status.end(), value) !=
        roles.valid_status.end()) {
      return reader.ErrorAt(table, kPrefix, "rejected_status",
                            fmt::format("'{}' is also a valid status", value));
    }
  }
  if (!roles.output_status) {
    for (const char* key : {"valid_status", "rejected_status"}) {
      if (table.get(key) != nullptr) {
        return reader.ErrorAt(table, kPrefix, key, "needs data.output_status (the column)");
      }
    }
  }
  std::string handling = "count_against_model";
  ASSAY_RETURN_IF_ERROR(
      reader.ReadChoice(table, kPrefix, "indeterminate", kIndeterminate, handling));
  protocol.scope_out_rejected = handling == "scope_out_rejected";
  ASSAY_RETURN_IF_ERROR(reader.ReadBounded(table, kPrefix, "maximum_rejection_rate", 0.0, false,
                                           1.0, false, protocol.maximum_rejection_rate));
  if (protocol.scope_out_rejected) {
    if (!roles.output_status) {
      return reader.ErrorAt(table, kPrefix, "indeterminate",
                            "scoping rejected inputs out needs data.output_status (the column "
                            "that says which inputs the model rejected)");
    }
    if (!protocol.maximum_rejection_rate) {
      return reader.ErrorAt(table, kPrefix, "indeterminate",
                            "scoping rejected inputs out makes the rejection rate its own claim: "
                            "set data.maximum_rejection_rate");
    }
  } else if (protocol.maximum_rejection_rate) {
    return reader.ErrorAt(table, kPrefix, "maximum_rejection_rate",
                          "applies only with indeterminate = \"scope_out_rejected\"");
  }
  roles.keep_indeterminate = true;
  return Status::Ok();
}

// [data.imaging]: an inventory joined with labels and model outputs.
Status ReadImaging(const ProtocolReader& reader, const toml::table& data_table,
                   Protocol& protocol) {
  auto imaging = reader.ReadTable(data_table, "data", "imaging");
  if (!imaging.ok()) return imaging.status();
  if (*imaging == nullptr) return Status::Ok();
  const toml::table& table = **imaging;
  constexpr std::string_view kPrefix = "data.imaging";
  ASSAY_RETURN_IF_ERROR(
      reader.CheckKeys(table, kPrefix,
                       {"inventory", "labels", "predictions", "development", "key", "label_key",
                        "prediction_key", "images", "label_columns"}));
  ImagingSource source;
  ASSAY_RETURN_IF_ERROR(reader.RequireString(table, kPrefix, "inventory", source.inventory));
  ASSAY_RETURN_IF_ERROR(reader.RequireString(table, kPrefix, "labels", source.labels));
  std::optional<std::string> predictions;  // required unless [model] runs the model
  ASSAY_RETURN_IF_ERROR(reader.ReadString(table, kPrefix, "predictions", predictions));
  source.inventory = ResolveCases(reader.path(), source.inventory);
  source.labels = ResolveCases(reader.path(), source.labels);
  if (predictions) source.predictions = ResolveCases(reader.path(), *predictions);
  std::optional<std::string> images;
  ASSAY_RETURN_IF_ERROR(reader.ReadString(table, kPrefix, "images", images));
  if (images) source.images = ResolveCases(reader.path(), *images);
  ASSAY_RETURN_IF_ERROR(reader.ReadString(table, kPrefix, "development", source.development));
  if (source.development) source.development = ResolveCases(reader.path(), *source.development);
  std::optional<std::string> text;
  ASSAY_RETURN_IF_ERROR(reader.ReadString(table, kPrefix, "key", text));
  if (text) source.key = *text;
  text.reset();
  ASSAY_RETURN_IF_ERROR(reader.ReadString(table, kPrefix, "label_key", text));
  source.label_key = text.value_or(source.key);
  text.reset();
  ASSAY_RETURN_IF_ERROR(reader.ReadString(table, kPrefix, "prediction_key", text));
  source.prediction_key = text.value_or(source.key);
  ASSAY_RETURN_IF_ERROR(
      ReadStringList(reader, table, kPrefix, "label_columns", source.label_columns));
  protocol.imaging = std::move(source);
  return Status::Ok();
}

Status ReadData(const ProtocolReader& reader, const toml::table& root, Protocol& protocol) {
  auto data = reader.ReadTable(root, "", "data");
  if (!data.ok()) return data.status();
  if (*data == nullptr) return reader.Missing(root, "", "data");
  const toml::table& table = **data;
  constexpr std::string_view kPrefix = "data";
  ASSAY_RETURN_IF_ERROR(reader.CheckKeys(
      table, kPrefix,
      {"cases", "imaging", "truth", "positive", "score", "id", "cluster", "direction",
       "exclude_missing_truth", "exclude_missing_score", "minimum_positives", "minimum_negatives",
       "allow_naive_interval", "output_status", "valid_status", "rejected_status", "indeterminate",
       "maximum_rejection_rate"}));
  ASSAY_RETURN_IF_ERROR(ReadImaging(reader, table, protocol));
  data::CaseRoles& roles = protocol.roles;
  if (protocol.imaging) {
    if (table.get("cases") != nullptr) {
      return reader.ErrorAt(table, kPrefix, "cases",
                            "give the cases either as a table (cases) or as an imaging cohort "
                            "([data.imaging]), not both");
    }
    roles.id = "case";  // the case key, as the audit's case table names it
  } else {
    std::string cases;
    ASSAY_RETURN_IF_ERROR(reader.RequireString(table, kPrefix, "cases", cases));
    protocol.cases = ResolveCases(reader.path(), cases);
  }
  ASSAY_RETURN_IF_ERROR(reader.RequireString(table, kPrefix, "truth", roles.truth));
  ASSAY_RETURN_IF_ERROR(reader.RequireString(table, kPrefix, "positive", roles.positive));
  ASSAY_RETURN_IF_ERROR(reader.RequireString(table, kPrefix, "score", roles.score));
  if (!protocol.imaging) {
    ASSAY_RETURN_IF_ERROR(reader.ReadString(table, kPrefix, "id", roles.id));
  } else if (table.get("id") != nullptr) {
    return reader.ErrorAt(table, kPrefix, "id",
                          "an imaging cohort's cases are identified by data.imaging.key");
  }
  ASSAY_RETURN_IF_ERROR(reader.ReadString(table, kPrefix, "cluster", roles.cluster));
  std::string direction = "higher";
  ASSAY_RETURN_IF_ERROR(reader.ReadChoice(table, kPrefix, "direction", kDirections, direction));
  roles.direction = direction == "lower" ? data::ScoreDirection::kLowerIsPositive
                                         : data::ScoreDirection::kHigherIsPositive;
  ASSAY_RETURN_IF_ERROR(
      reader.ReadBool(table, kPrefix, "exclude_missing_truth", roles.exclude_missing_truth));
  ASSAY_RETURN_IF_ERROR(
      reader.ReadBool(table, kPrefix, "exclude_missing_score", roles.exclude_missing_score));
  ASSAY_RETURN_IF_ERROR(
      reader.ReadSize(table, kPrefix, "minimum_positives", 1, protocol.minimum_positives));
  ASSAY_RETURN_IF_ERROR(
      reader.ReadSize(table, kPrefix, "minimum_negatives", 1, protocol.minimum_negatives));
  ASSAY_RETURN_IF_ERROR(
      reader.ReadBool(table, kPrefix, "allow_naive_interval", protocol.allow_naive_interval));
  ASSAY_RETURN_IF_ERROR(ReadIndeterminate(reader, table, protocol));

  // Two roles on one column would make the analysis meaningless.
  std::vector<std::pair<std::string_view, const std::string*>> columns = {{"truth", &roles.truth},
                                                                          {"score", &roles.score}};
  if (roles.id) columns.emplace_back("id", &*roles.id);
  if (roles.cluster) columns.emplace_back("cluster", &*roles.cluster);
  if (roles.output_status) columns.emplace_back("output_status", &*roles.output_status);
  for (std::size_t i = 0; i < columns.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (*columns[i].second == *columns[j].second) {
        return reader.ErrorAt(table, kPrefix, columns[i].first,
                              fmt::format("column '{}' is already the {} column",
                                          *columns[i].second, columns[j].first));
      }
    }
  }
  return Status::Ok();
}

// An array of numbers (integers or floating point), each finite.
Status ReadNumberList(const ProtocolReader& reader, const toml::table& table,
                      std::string_view prefix, std::string_view key, std::vector<double>& out) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return Status::Ok();
  const std::string dotted = Dotted(prefix, key);
  const auto* array = node->as_array();
  if (array == nullptr) return reader.WrongType(*node, dotted, "an array of numbers");
  out.clear();
  for (const toml::node& element : *array) {
    if (const auto* integer = element.as_integer()) {
      out.push_back(static_cast<double>(integer->get()));
    } else if (const auto* floating = element.as_floating_point();
               floating != nullptr && std::isfinite(floating->get())) {
      out.push_back(floating->get());
    } else {
      return reader.WrongType(element, dotted, "a finite number");
    }
  }
  if (out.empty()) return reader.Error(node->source(), dotted, "the list is empty");
  return Status::Ok();
}

// The keys of [model] that say how to run the model (all but name, version, sha256).
constexpr std::array<std::string_view, 16> kModelRunKeys = {
    "backend",          "input_size",   "channels", "intensity",    "window",      "percentiles",
    "resize",           "mean",         "std",      "score_output", "score_index", "score",
    "embedding_output", "output_names", "batch",    "threads"};

// Reads how to run the model from [model]; `file` is already resolved.
Result<model::ModelSpec> ReadModelRun(const ProtocolReader& reader, const toml::table& table,
                                      const std::string& file) {
  constexpr std::string_view kPrefix = "model";
  model::ModelSpec spec;
  spec.file = file;
  std::string text;
  ASSAY_RETURN_IF_ERROR(reader.RequireString(table, kPrefix, "backend", text));
  auto backend = model::ParseBackend(text);
  if (!backend.ok()) return reader.ErrorAt(table, kPrefix, "backend", backend.status().message());
  spec.backend = *backend;
  std::vector<double> numbers;
  if (table.get("input_size") == nullptr) return reader.Missing(table, kPrefix, "input_size");
  ASSAY_RETURN_IF_ERROR(ReadNumberList(reader, table, kPrefix, "input_size", numbers));
  if (numbers.size() != 2 || numbers[0] < 1 || numbers[1] < 1 || numbers[0] > 16384 ||
      numbers[1] > 16384 || numbers[0] != std::floor(numbers[0]) ||
      numbers[1] != std::floor(numbers[1])) {
    return reader.ErrorAt(table, kPrefix, "input_size",
                          "expected [width, height], two whole numbers in 1..16384");
  }
  spec.width = static_cast<std::size_t>(numbers[0]);
  spec.height = static_cast<std::size_t>(numbers[1]);
  ASSAY_RETURN_IF_ERROR(reader.ReadSize(table, kPrefix, "channels", 1, spec.channels));
  if (spec.channels != 1 && spec.channels != 3) {
    return reader.ErrorAt(table, kPrefix, "channels", "must be 1 or 3");
  }
  auto choice = [&](std::string_view key, auto parse, auto& out) -> Status {
    std::optional<std::string> value;
    ASSAY_RETURN_IF_ERROR(reader.ReadString(table, kPrefix, key, value));
    if (!value) return Status::Ok();
    auto parsed = parse(*value);
    if (!parsed.ok()) return reader.ErrorAt(table, kPrefix, key, parsed.status().message());
    out = *parsed;
    return Status::Ok();
  };
  ASSAY_RETURN_IF_ERROR(choice("intensity", model::ParseIntensity, spec.intensity));
  ASSAY_RETURN_IF_ERROR(choice("resize", model::ParseResize, spec.resize));
  ASSAY_RETURN_IF_ERROR(choice("score", model::ParseScoreKind, spec.score));
  if (spec.intensity == model::Intensity::kWindow) {
    if (table.get("window") == nullptr) return reader.Missing(table, kPrefix, "window");
    ASSAY_RETURN_IF_ERROR(ReadNumberList(reader, table, kPrefix, "window", numbers));
    if (numbers.size() != 2 || !(numbers[1] > 0)) {
      return reader.ErrorAt(table, kPrefix, "window", "expected [center, width] with width > 0");
    }
    spec.window_center = numbers[0];
    spec.window_width = numbers[1];
  } else if (table.get("window") != nullptr) {
    return reader.ErrorAt(table, kPrefix, "window", "only for intensity = \"window\"");
  }
  if (table.get("percentiles") != nullptr) {
    if (spec.intensity != model::Intensity::kPercentile) {
      return reader.ErrorAt(table, kPrefix, "percentiles", "only for intensity = \"percentile\"");
    }
    ASSAY_RETURN_IF_ERROR(ReadNumberList(reader, table, kPrefix, "percentiles", numbers));
    if (numbers.size() != 2 || !(numbers[0] >= 0 && numbers[0] < numbers[1] && numbers[1] <= 100)) {
      return reader.ErrorAt(table, kPrefix, "percentiles",
                            "expected [low, high] with 0 <= low < high <= 100");
    }
    spec.percentile_low = numbers[0];
    spec.percentile_high = numbers[1];
  }
  for (auto [key, out] : {std::pair{"mean", &spec.mean}, std::pair{"std", &spec.std}}) {
    ASSAY_RETURN_IF_ERROR(ReadNumberList(reader, table, kPrefix, key, *out));
    if (out->size() != 1 && out->size() != spec.channels) {
      return reader.ErrorAt(
          table, kPrefix, key,
          fmt::format("expected 1 or {} values (one per channel)", spec.channels));
    }
  }
  for (double s : spec.std) {
    if (!(s > 0)) return reader.ErrorAt(table, kPrefix, "std", "every value must be > 0");
  }
  ASSAY_RETURN_IF_ERROR(reader.ReadSize(table, kPrefix, "score_output", 0, spec.score_output));
  ASSAY_RETURN_IF_ERROR(reader.ReadSize(table, kPrefix, "score_index", 0, spec.score_index));
  std::optional<std::uint64_t> embedding;
  ASSAY_RETURN_IF_ERROR(reader.ReadCount(table, kPrefix, "embedding_output", 0, embedding));
  if (embedding) spec.embedding_output = static_cast<std::size_t>(*embedding);
  ASSAY_RETURN_IF_ERROR(ReadStringList(reader, table, kPrefix, "output_names", spec.output_names));
  ASSAY_RETURN_IF_ERROR(reader.ReadSize(table, kPrefix, "batch", 1, spec.batch));
  if (spec.batch > 4096) return reader.ErrorAt(table, kPrefix, "batch", "at most 4096");
  ASSAY_RETURN_IF_ERROR(reader.ReadSize(table, kPrefix, "threads", 0, spec.threads));
  return spec;
}

Status ReadModel(const ProtocolReader& reader, const toml::table& root, Protocol& protocol) {
  auto model = reader.ReadTable(root, "", "model");
  if (!model.ok()) return model.status();
  if (*model == nullptr) return reader.Missing(root, "", "model");
  const toml::table& table = **model;
  constexpr std::string_view kPrefix = "model";
  std::vector<std::string_view> allowed = {"name", "version", "sha256", "file"};
  allowed.insert(allowed.end(), kModelRunKeys.begin(), kModelRunKeys.end());
  ASSAY_RETURN_IF_ERROR(reader.CheckKeys(table, kPrefix, allowed));
  std::optional<std::string> file;
  ASSAY_RETURN_IF_ERROR(reader.ReadString(table, kPrefix, "file", file));
  if (file) protocol.model_file = ResolveCases(reader.path(), *file);
  ASSAY_RETURN_IF_ERROR(reader.RequireString(table, kPrefix, "name", protocol.model_name));
  ASSAY_RETURN_IF_ERROR(reader.RequireString(table, kPrefix, "version", protocol.model_version));
  ASSAY_RETURN_IF_ERROR(reader.ReadString(table, kPrefix, "sha256", protocol.model_sha256));
  if (protocol.model_sha256) {
    std::string& digest = *protocol.model_sha256;
    const bool hex = std::all_of(digest.begin(), digest.end(), [](char c) {
      return std::isxdigit(static_cast<unsigned char>(c)) != 0;
    });
    if (digest.size() != 64 || !hex) {
      return reader.ErrorAt(
          table, kPrefix, "sha256",
          fmt::format("'{}' is not a SHA-256 digest (64 hexadecimal digits)", digest));
    }
    std::transform(digest.begin(), digest.end(), digest.begin(), [](char c) {
      return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    });
  }
  const bool runs = std::any_of(kModelRunKeys.begin(), kModelRunKeys.end(),
                                [&](std::string_view key) { return table.get(key) != nullptr; });
  if (!runs) {
    if (protocol.imaging && protocol.imaging->predictions.empty()) {
      return reader.Error(root["data"]["imaging"].node()->source(), "data.imaging.predictions",
                          "required key is missing from [data.imaging] (or let assay run the "
                          "model: [model] with backend and input_size)");
    }
    return Status::Ok();
  }
  if (!protocol.model_file) return reader.Missing(table, kPrefix, "file");
  auto spec = ReadModelRun(reader, table, *protocol.model_file);
  if (!spec.ok()) return spec.status();
  protocol.model = *std::move(spec);
  if (!protocol.imaging) {
    return reader.Error(table.source(), kPrefix,
                        "assay runs the model on images: the cases must come from "
                        "[data.imaging]");
  }
  if (protocol.imaging->images.empty()) {
    return reader.Error(root["data"]["imaging"].node()->source(), "data.imaging.images",
                        "required when assay runs the model: the folder that was scanned (the "
                        "inventory's paths start there)");
  }
  if (!protocol.imaging->predictions.empty()) {
    return reader.Error(root["data"]["imaging"]["predictions"].node()->source(),
                        "data.imaging.predictions",
                        "[model] runs the model, so assay computes the predictions; remove "
                        "this key (or the model's backend)");
  }
  return Status::Ok();
}

Status ReadStress(const ProtocolReader& reader, const toml::table& root, Protocol& protocol) {
  auto stress = reader.ReadTable(root, "", "stress");
  if (!stress.ok()) return stress.status();
  if (*stress == nullptr) return Status::Ok();
  const toml::table& table = **stress;
  constexpr std::string_view kPrefix = "stress";
  ASSAY_RETURN_IF_ERROR(reader.CheckKeys(table, kPrefix, {"perturbations", "severities", "seed"}));
  if (!protocol.model) {
    return reader.Error(table.source(), kPrefix,
                        "stress tests run the model: [model] needs file, backend and input_size");
  }
  StressPlan plan;
  plan.seed = protocol.seed;
  std::vector<std::string> names;
  if (table.get("perturbations") == nullptr) {
    return reader.Missing(table, kPrefix, "perturbations");
  }
  ASSAY_RETURN_IF_ERROR(ReadStringList(reader, table, kPrefix, "perturbations", names));
  for (const std::string& name : names) {
    auto kind = perturb::ParsePerturbation(name);
    if (!kind.ok()) return reader.ErrorAt(table, kPrefix, "perturbations", kind.status().message());
    if (std::find(plan.perturbations.begin(), plan.perturbations.end(), *kind) !=
        plan.perturbations.end()) {
      return reader.ErrorAt(table, kPrefix, "perturbations",
                            fmt::format("'{}' is listed twice", name));
    }
    plan.perturbations.push_back(*kind);
  }
  std::vector<double> severities;
  ASSAY_RETURN_IF_ERROR(ReadNumberList(reader, table, kPrefix, "severities", severities));
  if (!severities.empty()) {
    plan.severities.clear();
    for (double severity : severities) {
      if (severity < 1 || severity > 5 || severity != std::floor(severity) ||
          (!plan.severities.empty() && severity <= plan.severities.back())) {
        return reader.ErrorAt(table, kPrefix, "severities",
                              "expected ascending whole numbers in 1..5");
      }
      plan.severities.push_back(static_cast<int>(severity));
    }
  }
  std::optional<std::uint64_t> seed;
  ASSAY_RETURN_IF_ERROR(reader.ReadCount(table, kPrefix, "seed", 0, seed));
  if (seed) plan.seed = *seed;
  protocol.stress = std::move(plan);
  return Status::Ok();
}

// The interval methods assay knows for `metric`.
std::vector<std::string> IntervalMethods(std::string_view metric) {
  std::vector<std::string> names;
  if (metric == "auc") {
    for (auto method : {analysis::AucMethod::kDelong, analysis::AucMethod::kBootstrapPercentile,
                        analysis::AucMethod::kBootstrapBca}) {
      names.emplace_back(analysis::AucMethodName(method));
    }
  } else {
    for (auto method : {stats::ProportionMethod::kWilson, stats::ProportionMethod::kClopperPearson,
                        stats::ProportionMethod::kJeffreys, stats::ProportionMethod::kAgrestiCoull,
                        stats::ProportionMethod::kWald}) {
      names.emplace_back(stats::ProportionMethodName(method));
    }
  }
  return names;
}

Result<EndpointSpec> ReadEndpoint(const ProtocolReader& reader, const std::string& id,
                                  const toml::node& node) {
  const std::string prefix = Dotted("endpoints", id);
  const auto* table_pointer = node.as_table();
  if (table_pointer == nullptr) return reader.WrongType(node, prefix, "a table [" + prefix + "]");
  const toml::table& table = *table_pointer;
  if (!IsEndpointId(id)) {
    return reader.Error(node.source(), prefix,
                        "endpoint ids are letters, digits, '_' and '-' only");
  }
  ASSAY_RETURN_IF_ERROR(reader.CheckKeys(
      table, prefix,
      {"metric", "threshold", "target_sensitivity", "target_specificity", "hypothesis", "goal",
       "margin", "comparator", "interval", "level", "primary"}));

  EndpointSpec endpoint;
  endpoint.id = id;
  endpoint.line = node.source().begin.line;
  if (table.get("metric") == nullptr) return reader.Missing(table, prefix, "metric");
  ASSAY_RETURN_IF_ERROR(reader.ReadChoice(table, prefix, "metric", kMetrics, endpoint.metric));
  ASSAY_RETURN_IF_ERROR(reader.ReadNumber(table, prefix, "threshold", endpoint.threshold));
  ASSAY_RETURN_IF_ERROR(reader.ReadBounded(table, prefix, "target_sensitivity", 0.0, true, 1.0,
                                           false, endpoint.target_sensitivity));
  ASSAY_RETURN_IF_ERROR(reader.ReadBounded(table, prefix, "target_specificity", 0.0, true, 1.0,
                                           false, endpoint.target_specificity));
  std::optional<std::string> hypothesis;
  ASSAY_RETURN_IF_ERROR(reader.ReadString(table, prefix, "hypothesis", hypothesis));
  if (hypothesis) {
    auto parsed = ParseProtocolHypothesis(*hypothesis);
    if (!parsed) {
      return reader.ErrorAt(
          table, prefix, "hypothesis",
          fmt::format("'{}' is not one of goal, non_inferiority, superiority", *hypothesis));
    }
    endpoint.hypothesis = *parsed;
  }
  ASSAY_RETURN_IF_ERROR(
      reader.ReadBounded(table, prefix, "goal", 0.0, false, 1.0, false, endpoint.goal));
  ASSAY_RETURN_IF_ERROR(
      reader.ReadBounded(table, prefix, "margin", 0.0, false, 1.0, false, endpoint.margin));
  ASSAY_RETURN_IF_ERROR(reader.ReadString(table, prefix, "comparator", endpoint.comparator));
  std::optional<std::string> interval;
  ASSAY_RETURN_IF_ERROR(reader.ReadString(table, prefix, "interval", interval));
  std::optional<double> level;
  ASSAY_RETURN_IF_ERROR(reader.ReadBounded(table, prefix, "level", 0.0, true, 1.0, true, level));
  if (level) endpoint.level = *level;
  ASSAY_RETURN_IF_ERROR(reader.ReadBool(table, prefix, "primary", endpoint.primary));

  // The operating point: exactly one for threshold metrics, none for auc.
  std::vector<std::string_view> points;
  if (endpoint.threshold) points.push_back("threshold");
  if (endpoint.target_sensitivity) points.push_back("target_sensitivity");
  if (endpoint.target_specificity) points.push_back("target_specificity");
  const auto metric_line = [&](std::string_view message) {
    return reader.ErrorAt(table, prefix, "metric", message);
  };
  if (endpoint.metric == "auc") {
    if (!points.empty()) {
      return reader.ErrorAt(table, prefix, points.front(),
                            "auc is computed over every threshold and takes no operating point");
    }
  } else {
    if (points.empty()) {
      return metric_line(fmt::format(
          "{} needs an operating point: threshold, target_sensitivity or target_specificity",
          endpoint.metric));
    }
    if (points.size() > 1) {
      return reader.ErrorAt(
          table, prefix, points[1],
          fmt::format("an endpoint has one operating point, but {} is also given", points[0]));
    }
    if ((endpoint.metric == "sensitivity" && endpoint.target_sensitivity) ||
        (endpoint.metric == "specificity" && endpoint.target_specificity)) {
      return reader.ErrorAt(
          table, prefix, points[0],
          fmt::format("a target on {0} fixes the very {0} the endpoint tests", endpoint.metric));
    }
    if (endpoint.primary && !endpoint.threshold) {
      return reader.ErrorAt(table, prefix, points[0],
                            "a primary endpoint needs a prespecified threshold; a target chooses "
                            "the operating point on the test data (exploratory)");
    }
  }

  // The hypothesis and what it needs.
  const std::string hypothesis_name(ProtocolHypothesisName(endpoint.hypothesis));
  if (endpoint.hypothesis == Hypothesis::kGoal) {
    if (endpoint.margin) {
      return reader.ErrorAt(table, prefix, "margin",
                            "a margin belongs to non_inferiority or superiority, not goal");
    }
    if (endpoint.comparator) {
      return reader.ErrorAt(table, prefix, "comparator",
                            "a comparator belongs to non_inferiority or superiority, not goal");
    }
    if (!endpoint.goal) return reader.Missing(table, prefix, "goal");
  } else {
    if (endpoint.goal) {
      return reader.ErrorAt(
          table, prefix, "goal",
          fmt::format("{} compares with a comparator by a margin; it takes no goal",
                      hypothesis_name));
    }
    if (!endpoint.comparator) return reader.Missing(table, prefix, "comparator");
    if (!endpoint.margin) return reader.Missing(table, prefix, "margin");
  }

  if (interval) {
    const auto methods = IntervalMethods(endpoint.metric);
    if (std::find(methods.begin(), methods.end(), *interval) == methods.end()) {
      return reader.ErrorAt(table, prefix, "interval",
                            fmt::format("'{}' is not an interval method for {}; use one of {}",
                                        *interval, endpoint.metric, JoinNames(methods)));
    }
    endpoint.interval = *interval;
  }
  return endpoint;
}

Status ReadEndpoints(const ProtocolReader& reader, const toml::table& root, Protocol& protocol) {
  auto endpoints = reader.ReadTable(root, "", "endpoints");
  if (!endpoints.ok()) return endpoints.status();
  if (*endpoints == nullptr || (*endpoints)->empty()) {
    return reader.Error((*endpoints != nullptr ? *endpoints : &root)->source(), "endpoints",
                        "no endpoints: add at least one [endpoints.<id>] table");
  }
  for (const auto& [key, node] : **endpoints) {
    auto endpoint = ReadEndpoint(reader, std::string(key.str()), node);
    if (!endpoint.ok()) return endpoint.status();
    protocol.endpoints.push_back(*std::move(endpoint));
  }
  // File order, not toml++'s key order.
  std::stable_sort(protocol.endpoints.begin(), protocol.endpoints.end(),
                   [](const EndpointSpec& a, const EndpointSpec& b) { return a.line < b.line; });
  // Comparator columns must differ from the score column.
  for (const EndpointSpec& endpoint : protocol.endpoints) {
    if (endpoint.comparator && *endpoint.comparator == protocol.roles.score) {
      return reader.ErrorAt(
          *(*endpoints)->get_as<toml::table>(endpoint.id), Dotted("endpoints", endpoint.id),
          "comparator", fmt::format("'{}' is the model's own score column", *endpoint.comparator));
    }
  }
  if (protocol.combine == "holm") {
    const EndpointSpec* first = nullptr;
    for (const EndpointSpec& endpoint : protocol.endpoints) {
      if (!endpoint.primary) continue;
      if (first == nullptr) {
        first = &endpoint;
      } else if (endpoint.level != first->level) {
        return reader.ErrorAt(*(*endpoints)->get_as<toml::table>(endpoint.id),
                              Dotted("endpoints", endpoint.id), "level",
                              fmt::format("combine = \"holm\" controls one family-wise level: "
                                          "every primary endpoint needs level {:g}, as '{}' has",
                                          first->level, first->id));
      }
    }
  }
  return Status::Ok();
}

// Ascending, finite cut points of a numeric column, e.g. bins.age = [40, 65].
Status ReadCuts(const ProtocolReader& reader, const toml::node& node, const std::string& dotted,
                std::vector<double>& cuts) {
  const auto* array = node.as_array();
  if (array == nullptr) return reader.WrongType(node, dotted, "an array of numbers");
  if (array->empty()) return reader.Error(node.source(), dotted, "needs at least one cut point");
  for (const toml::node& element : *array) {
    double cut = 0.0;
    if (const auto* integer = element.as_integer()) {
      cut = static_cast<double>(integer->get());
    } else if (const auto* floating = element.as_floating_point()) {
      cut = floating->get();
    } else {
      return reader.WrongType(element, dotted, "an array of numbers");
    }
    if (!std::isfinite(cut)) {
      return reader.Error(element.source(), dotted, fmt::format("{} is not a finite number", cut));
    }
    if (!cuts.empty() && !(cut > cuts.back())) {
      return reader.Error(element.source(), dotted,
                          fmt::format("cut points must be strictly ascending, but {} follows {}",
                                      cut, cuts.back()));
    }
    cuts.push_back(cut);
  }
  return Status::Ok();
}

// [deployment]: a profile or declared mix, the strata, and the precision that counts as enough.
Status ReadDeployment(const ProtocolReader& reader, const toml::table& root, Protocol& protocol) {
  auto found = reader.ReadTable(root, "", "deployment");
  if (!found.ok()) return found.status();
  if (*found == nullptr) return Status::Ok();
  const toml::table& table = **found;
  constexpr std::string_view kPrefix = "deployment";
  ASSAY_RETURN_IF_ERROR(
      reader.CheckKeys(table, kPrefix,
                       {"profile", "strata", "bins", "mix", "score", "calibrate_by",
                        "maximum_half_width", "power", "minimum_class_cases"}));
  DeploymentPlan plan;
  plan.line = static_cast<std::uint64_t>(table.source().begin.line);
  ASSAY_RETURN_IF_ERROR(reader.ReadString(table, kPrefix, "profile", plan.profile));
  if (plan.profile) plan.profile = ResolveCases(reader.path(), *plan.profile);
  if (table.get("strata") == nullptr) return reader.Missing(table, kPrefix, "strata");
  ASSAY_RETURN_IF_ERROR(ReadStringList(reader, table, kPrefix, "strata", plan.strata));
  std::set<std::string> columns;
  for (std::size_t i = 0; i < plan.strata.size(); ++i) {
    const std::string& dimension = plan.strata[i];
    if (std::count(plan.strata.begin(), plan.strata.end(), dimension) > 1) {
      return reader.ErrorAt(table, kPrefix, "strata",
                            fmt::format("'{}' is listed twice", dimension));
    }
    for (const std::string& column : StratumColumns(dimension)) {
      if (column.empty()) {
        return reader.ErrorAt(table, kPrefix, "strata",
                              fmt::format("'{}' has an empty column name", dimension));
      }
      columns.insert(column);
    }
  }
  ASSAY_RETURN_IF_ERROR(reader.ReadString(table, kPrefix, "score", plan.score));
  ASSAY_RETURN_IF_ERROR(reader.ReadString(table, kPrefix, "calibrate_by", plan.calibrate_by));
  if (plan.calibrate_by && !plan.score) {
    return reader.ErrorAt(table, kPrefix, "calibrate_by",
                          "calibrates the site's scores: set deployment.score too");
  }
  std::optional<double> value;
  ASSAY_RETURN_IF_ERROR(
      reader.ReadBounded(table, kPrefix, "maximum_half_width", 0.0, true, 0.5, false, value));
  if (value) plan.maximum_half_width = *value;
  value.reset();
  ASSAY_RETURN_IF_ERROR(reader.ReadBounded(table, kPrefix, "power", 0.0, true, 1.0, true, value));
  if (value) plan.power = *value;
  ASSAY_RETURN_IF_ERROR(
      reader.ReadCount(table, kPrefix, "minimum_class_cases", 1, plan.minimum_class_cases));

  auto bins = reader.ReadTable(table, kPrefix, "bins");
  if (!bins.ok()) return bins.status();
  if (*bins != nullptr) {
    for (const auto& [key, node] : **bins) {
      const std::string column(key.str());
      const std::string dotted = Dotted("deployment.bins", column);
      if (columns.count(column) == 0) {
        return reader.Error(node.source(), dotted,
                            fmt::format("'{}' is not a column of deployment.strata", column));
      }
      std::vector<double> cuts;
      ASSAY_RETURN_IF_ERROR(ReadCuts(reader, node, dotted, cuts));
      plan.bins.emplace(column, std::move(cuts));
    }
  }

  auto mix = reader.ReadTable(table, kPrefix, "mix");
  if (!mix.ok()) return mix.status();
  if (*mix != nullptr) {
    for (const auto& [key, node] : **mix) {
      const std::string dimension(key.str());
      const std::string dotted = Dotted("deployment.mix", dimension);
      if (std::find(plan.strata.begin(), plan.strata.end(), dimension) == plan.strata.end()) {
        return reader.Error(node.source(), dotted,
                            fmt::format("'{}' is not in deployment.strata", dimension));
      }
      const auto* levels = node.as_table();
      if (levels == nullptr) return reader.WrongType(node, dotted, "a table of level = share");
      std::vector<std::pair<std::string, double>> shares;
      double sum = 0.0;
      for (const auto& [level, share_node] : *levels) {
        std::optional<double> share;
        ASSAY_RETURN_IF_ERROR(
            reader.ReadBounded(*levels, dotted, level.str(), 0.0, false, 1.0, false, share));
        shares.emplace_back(std::string(level.str()), *share);
        sum += *share;
      }
      if (shares.empty() || std::abs(sum - 1.0) > 1e-3) {
        return reader.Error(node.source(), dotted,
                            fmt::format("the shares sum to {:g}, not 1", sum));
      }
      for (auto& entry : shares) entry.second /= sum;
      plan.mix.emplace(dimension, std::move(shares));
    }
  }
  if (!plan.profile) {
    for (const std::string& dimension : plan.strata) {
      if (plan.mix.count(dimension) == 0) {
        return reader.ErrorAt(
            table, kPrefix, "strata",
            fmt::format("'{}' has no deployment shares: name deployment.profile (the site's "
                        "cases) or declare [deployment.mix.{}]",
                        dimension, dimension));
      }
    }
    if (plan.score) {
      return reader.ErrorAt(table, kPrefix, "score",
                            "estimates without labels need the site's scores: name "
                            "deployment.profile");
    }
  }
  bool thresholded = false;
  for (const auto& spec : protocol.endpoints) {
    thresholded = thresholded || (spec.primary && spec.threshold &&
                                  (spec.metric == "sensitivity" || spec.metric == "specificity"));
  }
  if (!thresholded) {
    return reader.Error(table.source(), kPrefix,
                        "needs a primary sensitivity or specificity endpoint with a threshold, "
                        "the performance judged stratum by stratum");
  }
  protocol.deployment = std::move(plan);
  return Status::Ok();
}

// [shift]: what to compare the evidence with, on which columns, and how strictly.
Status ReadShift(const ProtocolReader& reader, const toml::table& root, Protocol& protocol) {
  auto found = reader.ReadTable(root, "", "shift");
  if (!found.ok()) return found.status();
  if (*found == nullptr) return Status::Ok();
  const toml::table& table = **found;
  constexpr std::string_view kPrefix = "shift";
  ASSAY_RETURN_IF_ERROR(reader.CheckKeys(
      table, kPrefix, {"target", "columns", "alpha", "psi_threshold", "multiplicity"}));
  ShiftPlan plan;
  plan.line = static_cast<std::uint64_t>(table.source().begin.line);
  std::optional<std::string> target;
  ASSAY_RETURN_IF_ERROR(reader.ReadString(table, kPrefix, "target", target));
  if (target) {
    plan.target = ResolveCases(reader.path(), *target);
  } else if (protocol.deployment && protocol.deployment->profile) {
    plan.target = *protocol.deployment->profile;
  } else {
    return reader.Error(table.source(), kPrefix,
                        "nothing to compare with: set shift.target or deployment.profile");
  }
  ASSAY_RETURN_IF_ERROR(ReadStringList(reader, table, kPrefix, "columns", plan.columns));
  if (plan.columns.empty() && protocol.deployment) {
    for (const std::string& dimension : protocol.deployment->strata) {
      for (const std::string& column : StratumColumns(dimension)) {
        if (std::find(plan.columns.begin(), plan.columns.end(), column) == plan.columns.end())
          plan.columns.push_back(column);
      }
    }
    if (protocol.deployment->score) plan.columns.push_back(*protocol.deployment->score);
  }
  if (plan.columns.empty()) return reader.Missing(table, kPrefix, "columns");
  for (std::size_t i = 0; i < plan.columns.size(); ++i) {
    if (std::count(plan.columns.begin(), plan.columns.end(), plan.columns[i]) > 1) {
      return reader.ErrorAt(table, kPrefix, "columns",
                            fmt::format("column '{}' is listed twice", plan.columns[i]));
    }
  }
  std::optional<double> value;
  ASSAY_RETURN_IF_ERROR(reader.ReadBounded(table, kPrefix, "alpha", 0.0, true, 1.0, true, value));
  if (value) plan.alpha = *value;
  value.reset();
  ASSAY_RETURN_IF_ERROR(
      reader.ReadBounded(table, kPrefix, "psi_threshold", 0.0, true, 10.0, false, value));
  if (value) plan.psi_threshold = *value;
  std::optional<std::string> multiplicity;
  ASSAY_RETURN_IF_ERROR(reader.ReadString(table, kPrefix, "multiplicity", multiplicity));
  if (multiplicity) {
    if (!stats::ParseMultiplicity(*multiplicity)) {
      return reader.ErrorAt(table, kPrefix, "multiplicity",
                            fmt::format("'{}' is not one of holm, bonferroni, "
                                        "benjamini_hochberg, none",
                                        *multiplicity));
    }
    plan.multiplicity = *multiplicity;
  }
  protocol.shift = std::move(plan);
  return Status::Ok();
}

// At least one primary claim: an endpoint, or the reader study's ([mrmc]). Checked once every
// section is read; ReadEndpoints has made sure [endpoints] exists.
Status CheckPrimaryClaim(const ProtocolReader& reader, const toml::table& root,
                         const Protocol& protocol) {
  const bool primary_endpoint =
      std::any_of(protocol.endpoints.begin(), protocol.endpoints.end(),
                  [](const EndpointSpec& endpoint) { return endpoint.primary; });
  if (primary_endpoint || (protocol.mrmc && protocol.mrmc->primary)) return Status::Ok();
  return reader.Error(root.get("endpoints")->source(), "endpoints",
                      "no primary endpoint: set primary = true on at least one endpoint "
                      "(or on [mrmc])");
}

// [mrmc]: the reader study, the claim on its difference and how it is analysed.
Status ReadMrmc(const ProtocolReader& reader, const toml::table& root, Protocol& protocol) {
  auto found = reader.ReadTable(root, "", "mrmc");
  if (!found.ok()) return found.status();
  if (*found == nullptr) return Status::Ok();
  const toml::table& table = **found;
  constexpr std::string_view kPrefix = "mrmc";
  ASSAY_RETURN_IF_ERROR(reader.CheckKeys(
      table, kPrefix,
      {"id",           "ratings",       "reader_column", "modality_column", "case_column",
       "truth_column", "rating_column", "figure",        "threshold",       "covariance",
       "level",        "test",          "reference",     "hypothesis",      "margin",
       "analysis",     "primary",       "power",         "standalone",      "standalone_score"}));
  MrmcPlan plan;
  plan.line = static_cast<std::uint64_t>(table.source().begin.line);
  std::optional<std::string> text;
  ASSAY_RETURN_IF_ERROR(reader.ReadString(table, kPrefix, "id", text));
  if (text) {
    if (!IsEndpointId(*text)) {
      return reader.ErrorAt(table, kPrefix, "id", "use letters, digits, '_' and '-' only");
    }
    plan.id = *text;
  }
  for (const auto& endpoint : protocol.endpoints) {
    if (endpoint.id == plan.id) {
      return reader.ErrorAt(table, kPrefix, "id",
                            fmt::format("'{}' is also an endpoint's id", plan.id));
    }
  }
  ASSAY_RETURN_IF_ERROR(reader.RequireString(table, kPrefix, "ratings", plan.ratings));
  plan.ratings = ResolveCases(reader.path(), plan.ratings);
  const std::pair<const char*, std::string*> columns[] = {
      {"reader_column", &plan.columns.reader},
      {"modality_column", &plan.columns.modality},
      {"case_column", &plan.columns.case_id},
      {"truth_column", &plan.columns.truth},
      {"rating_column", &plan.columns.rating}};
  for (const auto& [key, out] : columns) {
    text.reset();
    ASSAY_RETURN_IF_ERROR(reader.ReadString(table, kPrefix, key, text));
    if (text) *out = *text;
  }
  constexpr std::array<std::string_view, 3> kFigures = {"auc", "sensitivity", "specificity"};
  std::string figure = "auc";
  ASSAY_RETURN_IF_ERROR(reader.ReadChoice(table, kPrefix, "figure", kFigures, figure));
  plan.options.figure = *stats::ParseFigureOfMerit(figure);  // one of kFigures
  std::optional<double> value;
  ASSAY_RETURN_IF_ERROR(reader.ReadNumber(table, kPrefix, "threshold", value));
  if (plan.options.figure == stats::FigureOfMerit::kAuc && value) {
    return reader.ErrorAt(table, kPrefix, "threshold", "the AUC takes no threshold");
  }
  if (plan.options.figure != stats::FigureOfMerit::kAuc) {
    if (!value) return reader.Missing(table, kPrefix, "threshold");
    plan.options.threshold = *value;
  }
  constexpr std::array<std::string_view, 3> kCovariances = {"jackknife", "delong", "unbiased"};
  std::string covariance = "jackknife";
  ASSAY_RETURN_IF_ERROR(reader.ReadChoice(table, kPrefix, "covariance", kCovariances, covariance));
  plan.options.covariance = *stats::ParseMrmcCovariance(covariance);  // one of kCovariances
  value.reset();
  ASSAY_RETURN_IF_ERROR(reader.ReadBounded(table, kPrefix, "level", 0.5, false, 1.0, true, value));
  if (value) plan.options.level = *value;
  ASSAY_RETURN_IF_ERROR(reader.RequireString(table, kPrefix, "test", plan.test));
  ASSAY_RETURN_IF_ERROR(reader.RequireString(table, kPrefix, "reference", plan.reference));
  if (plan.test == plan.reference) {
    return reader.ErrorAt(table, kPrefix, "reference", "must differ from mrmc.test");
  }
  constexpr std::array<std::string_view, 2> kHypotheses = {"superiority", "non_inferiority"};
  ASSAY_RETURN_IF_ERROR(
      reader.ReadChoice(table, kPrefix, "hypothesis", kHypotheses, plan.hypothesis));
  value.reset();
  ASSAY_RETURN_IF_ERROR(
      reader.ReadBounded(table, kPrefix, "margin", 0.0, false, 1.0, false, value));
  if (value) plan.margin = *value;
  if (plan.hypothesis == "non_inferiority" && !(plan.margin > 0.0)) {
    return reader.ErrorAt(table, kPrefix, "margin",
                          "a non-inferiority claim needs a margin above 0");
  }
  constexpr std::array<std::string_view, 3> kAnalyses = {"random_readers_random_cases",
                                                         "fixed_readers", "fixed_cases"};
  ASSAY_RETURN_IF_ERROR(reader.ReadChoice(table, kPrefix, "analysis", kAnalyses, plan.analysis));
  ASSAY_RETURN_IF_ERROR(reader.ReadBool(table, kPrefix, "primary", plan.primary));
  value.reset();
  ASSAY_RETURN_IF_ERROR(reader.ReadBounded(table, kPrefix, "power", 0.5, false, 1.0, true, value));
  if (value) plan.power = *value;
  text.reset();
  ASSAY_RETURN_IF_ERROR(reader.ReadString(table, kPrefix, "standalone", text));
  if (text) plan.standalone = ResolveCases(reader.path(), *text);
  text.reset();
  ASSAY_RETURN_IF_ERROR(reader.ReadString(table, kPrefix, "standalone_score", text));
  if (text) plan.standalone_score = *text;
  protocol.mrmc = std::move(plan);
  return Status::Ok();
}

Status ReadFailureSlices(const ProtocolReader& reader, const toml::table& root,
                         Protocol& protocol) {
  auto found = reader.ReadTable(root, "", "failure_slices");
  if (!found.ok()) return found.status();
  if (*found == nullptr) return Status::Ok();
  const toml::table& table = **found;
  constexpr std::string_view kPrefix = "failure_slices";
  ASSAY_RETURN_IF_ERROR(reader.CheckKeys(
      table, kPrefix,
      {"columns", "threshold", "metrics", "max_conditions", "minimum_cases", "minimum_share",
       "maximum_share", "minimum_class_cases", "fdr", "minimum_deficit", "max_reported", "examples",
       "image_quality", "score_margin"}));
  FailureSlicePlan plan;
  plan.line = static_cast<std::uint64_t>(table.source().begin.line);
  analysis::SliceSearchOptions& search = plan.search;
  ASSAY_RETURN_IF_ERROR(ReadStringList(reader, table, kPrefix, "columns", plan.columns));
  for (std::size_t i = 0; i < plan.columns.size(); ++i) {
    if (std::find(plan.columns.begin(), plan.columns.begin() + static_cast<std::ptrdiff_t>(i),
                  plan.columns[i]) != plan.columns.begin() + static_cast<std::ptrdiff_t>(i)) {
      return reader.ErrorAt(table, kPrefix, "columns",
                            fmt::format("column '{}' is listed twice", plan.columns[i]));
    }
  }
  ASSAY_RETURN_IF_ERROR(reader.ReadNumber(table, kPrefix, "threshold", plan.threshold));
  std::vector<std::string> metrics;
  ASSAY_RETURN_IF_ERROR(ReadStringList(reader, table, kPrefix, "metrics", metrics));
  if (!metrics.empty()) {
    search.metrics.clear();
    for (const std::string& name : metrics) {
      auto metric = analysis::ParseSliceMetric(name);
      if (!metric) {
        return reader.ErrorAt(
            table, kPrefix, "metrics",
            fmt::format("'{}' is not one of sensitivity, specificity, error_rate", name));
      }
      search.metrics.push_back(*metric);
    }
  }
  ASSAY_RETURN_IF_ERROR(
      reader.ReadSize(table, kPrefix, "max_conditions", 1, search.max_conditions));
  if (search.max_conditions > 3) {
    return reader.ErrorAt(table, kPrefix, "max_conditions",
                          fmt::format("{} is above the maximum of 3", search.max_conditions));
  }
  ASSAY_RETURN_IF_ERROR(reader.ReadSize(table, kPrefix, "minimum_cases", 1, search.minimum_cases));
  ASSAY_RETURN_IF_ERROR(
      reader.ReadSize(table, kPrefix, "minimum_class_cases", 1, search.minimum_class_cases));
  ASSAY_RETURN_IF_ERROR(reader.ReadSize(table, kPrefix, "max_reported", 1, search.max_reported));
  ASSAY_RETURN_IF_ERROR(reader.ReadSize(table, kPrefix, "examples", 0, search.examples));
  std::optional<double> value;
  ASSAY_RETURN_IF_ERROR(
      reader.ReadBounded(table, kPrefix, "minimum_share", 0.0, false, 1.0, true, value));
  if (value) search.minimum_share = *value;
  value.reset();
  ASSAY_RETURN_IF_ERROR(
      reader.ReadBounded(table, kPrefix, "maximum_share", 0.0, true, 1.0, false, value));
  if (value) search.maximum_share = *value;
  if (search.maximum_share <= search.minimum_share) {
    return reader.ErrorAt(table, kPrefix, "maximum_share",
                          fmt::format("{} is not above minimum_share ({})", search.maximum_share,
                                      search.minimum_share));
  }
  value.reset();
  ASSAY_RETURN_IF_ERROR(reader.ReadBounded(table, kPrefix, "fdr", 0.0, true, 1.0, true, value));
  if (value) search.fdr = *value;
  value.reset();
  ASSAY_RETURN_IF_ERROR(
      reader.ReadBounded(table, kPrefix, "minimum_deficit", 0.0, false, 1.0, true, value));
  if (value) search.minimum_deficit = *value;
  ASSAY_RETURN_IF_ERROR(reader.ReadBool(table, kPrefix, "image_quality", plan.image_quality));
  ASSAY_RETURN_IF_ERROR(reader.ReadBool(table, kPrefix, "score_margin", plan.score_margin));
  if (plan.columns.empty() && !(plan.image_quality && protocol.model) && !plan.score_margin) {
    return reader.Error(table.source(), kPrefix,
                        "nothing to slice by: name columns, or let assay run the model "
                        "(image_quality) or set score_margin = true");
  }
  if (!plan.threshold) {
    for (const auto& spec : protocol.endpoints) {
      if (spec.primary && spec.threshold) {
        plan.threshold = spec.threshold;
        break;
      }
    }
  }
  if (!plan.threshold) {
    return reader.Error(table.source(), kPrefix,
                        "needs an operating point: set failure_slices.threshold, or give a "
                        "primary endpoint a threshold");
  }
  protocol.failure_slices = std::move(plan);
  return Status::Ok();
}

Status ReadSubgroups(const ProtocolReader& reader, const toml::table& root, Protocol& protocol) {
  auto subgroups = reader.ReadTable(root, "", "subgroups");
  if (!subgroups.ok()) return subgroups.status();
  if (*subgroups == nullptr) return Status::Ok();
  const toml::table& table = **subgroups;
  constexpr std::string_view kPrefix = "subgroups";
  SubgroupPlan& plan = protocol.subgroups;
  ASSAY_RETURN_IF_ERROR(reader.CheckKeys(
      table, kPrefix, {"columns", "bins", "minimum_cases", "multiplicity", "goal"}));

  if (const toml::node* node = table.get("columns")) {
    const auto* array = node->as_array();
    if (array == nullptr)
      return reader.WrongType(*node, "subgroups.columns", "an array of strings");
    std::set<std::string> seen;
    for (const toml::node& element : *array) {
      const auto* name = element.as_string();
      if (name == nullptr) {
        return reader.WrongType(element, "subgroups.columns", "an array of strings");
      }
      if (name->get().empty()) {
        return reader.Error(element.source(), "subgroups.columns", "a column name is empty");
      }
      if (!seen.insert(name->get()).second) {
        return reader.Error(element.source(), "subgroups.columns",
                            fmt::format("column '{}' is listed twice", name->get()));
      }
      plan.columns.push_back(name->get());
    }
  }
  ASSAY_RETURN_IF_ERROR(reader.ReadSize(table, kPrefix, "minimum_cases", 1, plan.minimum_cases));
  std::optional<std::string> multiplicity;
  ASSAY_RETURN_IF_ERROR(reader.ReadString(table, kPrefix, "multiplicity", multiplicity));
  if (multiplicity) {
    if (!stats::ParseMultiplicity(*multiplicity)) {
      return reader.ErrorAt(
          table, kPrefix, "multiplicity",
          fmt::format("'{}' is not one of holm, bonferroni, benjamini_hochberg, none",
                      *multiplicity));
    }
    plan.multiplicity = *multiplicity;
  }
  ASSAY_RETURN_IF_ERROR(
      reader.ReadBounded(table, kPrefix, "goal", 0.0, false, 1.0, false, plan.goal));

  auto bins = reader.ReadTable(table, kPrefix, "bins");
  if (!bins.ok()) return bins.status();
  if (*bins != nullptr) {
    for (const auto& [key, node] : **bins) {
      const std::string column(key.str());
      const std::string dotted = Dotted("subgroups.bins", column);
      if (std::find(plan.columns.begin(), plan.columns.end(), column) == plan.columns.end()) {
        return reader.Error(node.source(), dotted,
                            fmt::format("'{}' is not in subgroups.columns", column));
      }
      std::vector<double> cuts;
      ASSAY_RETURN_IF_ERROR(ReadCuts(reader, node, dotted, cuts));
      plan.bins.emplace(column, std::move(cuts));
    }
  }
  return Status::Ok();
}

}  // namespace

std::string BinLabel(const std::vector<double>& cuts, std::size_t bin) {
  if (bin == 0) return fmt::format("<{:g}", cuts.front());
  if (bin == cuts.size()) return fmt::format(">={:g}", cuts.back());
  return fmt::format("[{:g},{:g})", cuts[bin - 1], cuts[bin]);
}

std::vector<std::string> StratumColumns(const std::string& dimension) {
  std::vector<std::string> columns;
  std::size_t start = 0;
  while (true) {
    const std::size_t star = dimension.find('*', start);
    columns.push_back(dimension.substr(start, star - start));
    if (star == std::string::npos) break;
    start = star + 1;
  }
  return columns;
}

bool IsThresholdMetric(std::string_view metric) {
  return metric != "auc" && Contains(kMetrics, metric);
}

Result<Protocol> LoadProtocol(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return IoError(fmt::format("{}: cannot open the file for reading", path));
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) return IoError(fmt::format("{}: reading the file failed", path));

  auto root = ParseToml(path, text.str());
  if (!root.ok()) return root.status();

  const ProtocolReader reader(path);
  Protocol protocol;
  protocol.path = path;
  ASSAY_RETURN_IF_ERROR(ReadTopLevel(reader, *root, protocol));
  ASSAY_RETURN_IF_ERROR(ReadData(reader, *root, protocol));
  ASSAY_RETURN_IF_ERROR(ReadModel(reader, *root, protocol));
  ASSAY_RETURN_IF_ERROR(ReadStress(reader, *root, protocol));
  ASSAY_RETURN_IF_ERROR(ReadEndpoints(reader, *root, protocol));
  ASSAY_RETURN_IF_ERROR(ReadSubgroups(reader, *root, protocol));
  ASSAY_RETURN_IF_ERROR(ReadFailureSlices(reader, *root, protocol));
  ASSAY_RETURN_IF_ERROR(ReadDeployment(reader, *root, protocol));
  ASSAY_RETURN_IF_ERROR(ReadShift(reader, *root, protocol));
  ASSAY_RETURN_IF_ERROR(ReadMrmc(reader, *root, protocol));
  ASSAY_RETURN_IF_ERROR(CheckPrimaryClaim(reader, *root, protocol));
  return protocol;
}

Result<model::ModelSpec> LoadModelSpec(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return IoError(fmt::format("{}: cannot open the file for reading", path));
  std::ostringstream text;
  text << file.rdbuf();
  auto root = ParseToml(path, text.str());
  if (!root.ok()) return root.status();
  const ProtocolReader reader(path);
  auto table = reader.ReadTable(*root, "", "model");
  if (!table.ok()) return table.status();
  if (*table == nullptr) return reader.Missing(*root, "", "model");
  std::string model_file;
  ASSAY_RETURN_IF_ERROR(reader.RequireString(**table, "model", "file", model_file));
  return ReadModelRun(reader, **table, ResolveCases(path, model_file));
}

}  // namespace assay::evidence
