#include "assay/data/case_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "assay/io/record_source.h"

namespace assay::data {
namespace {

std::string_view Trim(std::string_view text) {
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

// Absent, blank, or "NA" (surrounding spaces ignored).
bool IsMissing(const std::optional<std::string_view>& value) {
  if (!value) return true;
  const std::string_view trimmed = Trim(*value);
  return trimmed.empty() || trimmed == "NA";
}

// Parses a finite number; on failure returns why the text is not one (the
// caller adds the place, so that no message is formatted on the hot path).
Result<double> ParseScore(std::string_view text) {
  const std::string_view trimmed = Trim(text);
  double value = 0.0;
  const char* first = trimmed.data();
  const char* last = first + trimmed.size();
  if (!trimmed.empty() && *first == '+') ++first;
  const auto [end, error] = std::from_chars(first, last, value);
  if (error != std::errc() || end != last || trimmed.empty()) {
    return InvalidInput(fmt::format("'{}' is not a number", text));
  }
  if (!std::isfinite(value)) return InvalidInput(fmt::format("'{}' is not a finite number", text));
  return value;
}

// Builds a categorical column value by value.
class CategoricalBuilder {
 public:
  explicit CategoricalBuilder(std::string name) { column_.name = std::move(name); }

  void Add(const std::optional<std::string_view>& value) {
    const std::string level = IsMissing(value) ? kMissingLevel : std::string(Trim(*value));
    auto [found, inserted] =
        index_.emplace(level, static_cast<std::uint32_t>(column_.levels.size()));
    if (inserted) column_.levels.push_back(level);
    column_.codes.push_back(found->second);
  }

  CategoricalColumn Take() { return std::move(column_); }

 private:
  CategoricalColumn column_;
  std::unordered_map<std::string, std::uint32_t> index_;
};

struct ColumnIndex {
  std::size_t truth = 0, score = 1;
  std::optional<std::size_t> id, cluster, compare, status;
  std::size_t first_group = 0;
};

class Loader {
 public:
  Loader(const std::string& path, const CaseRoles& roles) : roles_(roles) {
    table_.source = path;
    table_.positive_label = roles.positive;
    table_.direction = roles.direction;
  }

  Result<CaseTable> Run() {
    auto source = io::OpenRecordSource(table_.source, RequestedColumns());
    if (!source.ok()) return source.status();
    source_ = source->get();

    for (;;) {
      auto more = source_->Next();
      if (!more.ok()) return more.status();
      if (!*more) break;
      ++table_.flow.received;
      ASSAY_RETURN_IF_ERROR(AddRecord());
    }
    return Finish();
  }

 private:
  std::vector<std::string> RequestedColumns() {
    std::vector<std::string> columns = {roles_.truth, roles_.score};
    auto add = [&columns](const std::optional<std::string>& name) -> std::optional<std::size_t> {
      if (!name) return std::nullopt;
      columns.push_back(*name);
      return columns.size() - 1;
    };
    index_.id = add(roles_.id);
    index_.cluster = add(roles_.cluster);
    index_.compare = add(roles_.compare);
    index_.status = add(roles_.output_status);
    index_.first_group = columns.size();
    for (const auto& group : roles_.groups) {
      columns.push_back(group);
      groups_.emplace_back(group);
    }
    if (roles_.cluster) cluster_.emplace(*roles_.cluster);
    return columns;
  }

  std::string Where(const std::string& column) const {
    return fmt::format("{} line {}, column '{}'", table_.source, source_->line(), column);
  }

  Status AddRecord() {
    std::string id;
    if (index_.id) {
      const auto value = source_->Value(*index_.id);
      if (IsMissing(value)) return InvalidInput(Where(*roles_.id) + ": the case id is empty");
      id = std::string(Trim(*value));
    }

    // Exclusions allowed by the caller are recorded before any other check.
    const auto truth = source_->Value(index_.truth);
    if (IsMissing(truth)) {
      if (!roles_.exclude_missing_truth) {
        return InvalidInput(Where(roles_.truth) +
                            ": the truth is missing (use --exclude-missing-truth to exclude "
                            "such cases; they are then listed in the case flow)");
      }
      return Exclude("missing_truth", std::move(id));
    }
    std::optional<OutputProblem> problem;
    if (index_.status) {
      const auto status = source_->Value(*index_.status);
      if (IsMissing(status)) {
        return InvalidInput(Where(*roles_.output_status) + ": the output status is empty");
      }
      const std::string_view text = Trim(*status);
      auto listed = [text](const std::vector<std::string>& values) {
        return std::find(values.begin(), values.end(), text) != values.end();
      };
      if (listed(roles_.rejected_status)) {
        problem = OutputProblem::kRejectedInput;
      } else if (!listed(roles_.valid_status)) {
        problem = OutputProblem::kTechnicalFailure;
      }
    }
    const auto score = source_->Value(index_.score);
    if (!problem && IsMissing(score) && roles_.keep_indeterminate &&
        !roles_.exclude_missing_score) {
      problem = OutputProblem::kNoOutput;
    }
    if (!problem && IsMissing(score)) {
      if (!roles_.exclude_missing_score) {
        return InvalidInput(Where(roles_.score) +
                            ": the score is missing (use --exclude-missing-score to exclude "
                            "such cases; they are then listed in the case flow)");
      }
      return Exclude("missing_score", std::move(id));
    }
    std::optional<std::string_view> compare;
    if (index_.compare) {
      compare = source_->Value(*index_.compare);
      if (IsMissing(compare)) {
        if (!roles_.exclude_missing_score) {
          return InvalidInput(Where(*roles_.compare) + ": the comparator score is missing");
        }
        return Exclude("missing_comparator_score", std::move(id));
      }
    }

    auto positive = ClassifyTruth(Trim(*truth));
    if (!positive.ok()) return positive.status();
    double value = std::numeric_limits<double>::quiet_NaN();
    if (problem) {
      if (!roles_.keep_indeterminate) {
        return InvalidInput(Where(*roles_.output_status) +
                            ": the model's output is indeterminate (" +
                            OutputProblemName(*problem) + ")");
      }
      table_.indeterminate.push_back({table_.score.size(), source_->line(), *problem});
    } else {
      auto parsed = ParseScore(*score);
      if (!parsed.ok()) return InvalidInput(Where(roles_.score) + ": " + parsed.status().message());
      value = *parsed;
    }
    if (compare) {
      auto compared = ParseScore(*compare);
      if (!compared.ok()) {
        return InvalidInput(Where(*roles_.compare) + ": " + compared.status().message());
      }
      table_.compare.push_back(*compared);
    }
    if (index_.id && !seen_ids_.emplace(id, source_->line()).second) {
      return InvalidInput(fmt::format("{}: case id '{}' already appeared on line {}",
                                      Where(*roles_.id), id, seen_ids_[id]));
    }

    table_.truth.push_back(*positive ? 1 : 0);
    table_.score.push_back(value);
    if (index_.id) table_.id.push_back(id);
    if (cluster_) {
      const auto cluster = source_->Value(*index_.cluster);
      if (IsMissing(cluster)) {
        return InvalidInput(Where(*roles_.cluster) +
                            ": the cluster (patient) is missing; every case needs one for "
                            "clustered intervals");
      }
      cluster_->Add(cluster);
    }
    for (std::size_t g = 0; g < groups_.size(); ++g) {
      groups_[g].Add(source_->Value(index_.first_group + g));
    }
    return Status::Ok();
  }

  Status Exclude(const char* reason, std::string id) {
    table_.flow.exclusions.push_back({reason, source_->line(), std::move(id)});
    return Status::Ok();
  }

  Result<bool> ClassifyTruth(std::string_view truth) {
    if (truth == roles_.positive) return true;
    if (!negative_label_) {
      negative_label_ = std::string(truth);
      negative_line_ = source_->line();
      return false;
    }
    if (truth == *negative_label_) return false;
    return InvalidInput(fmt::format(
        "{}: truth '{}' is neither the positive value '{}' nor the negative value '{}' first "
        "seen on line {}; the truth column must hold exactly two values",
        Where(roles_.truth), truth, roles_.positive, *negative_label_, negative_line_));
  }

  Result<CaseTable> Finish() {
    const std::size_t n = table_.size();
    if (n == 0) {
      return InvalidInput(fmt::format("{}: no cases to analyse ({} received, {} excluded)",
                                      table_.source, table_.flow.received,
                                      table_.flow.exclusions.size()));
    }
    const std::size_t positives = table_.positives();
    if (positives == 0 || positives == n) {
      return InvalidInput(fmt::format(
          "{}: only one class is present ({} cases, all '{}'); ROC analysis needs positives "
          "and negatives",
          table_.source, n, positives == 0 ? *negative_label_ : roles_.positive));
    }
    table_.flow.analysed = n;
    table_.negative_label = *negative_label_;
    if (cluster_) table_.cluster = cluster_->Take();
    for (auto& group : groups_) table_.groups.push_back(group.Take());
    return std::move(table_);
  }

  const CaseRoles& roles_;
  CaseTable table_;
  io::RecordSource* source_ = nullptr;
  ColumnIndex index_;
  std::optional<CategoricalBuilder> cluster_;
  std::vector<CategoricalBuilder> groups_;
  std::unordered_map<std::string, std::uint64_t> seen_ids_;
  std::optional<std::string> negative_label_;
  std::uint64_t negative_line_ = 0;
};

}  // namespace

const char* OutputProblemName(OutputProblem problem) {
  switch (problem) {
    case OutputProblem::kNoOutput:
      return "no_output";
    case OutputProblem::kTechnicalFailure:
      return "technical_failure";
    case OutputProblem::kRejectedInput:
      return "rejected_input";
  }
  return "unknown";
}

CaseTable SelectRows(const CaseTable& table, const std::vector<std::uint8_t>& keep) {
  CaseTable out;
  out.source = table.source;
  out.positive_label = table.positive_label;
  out.negative_label = table.negative_label;
  out.direction = table.direction;
  out.flow = table.flow;
  auto select_codes = [&](const CategoricalColumn& column) {
    CategoricalColumn selected{column.name, column.levels, {}};
    for (std::size_t i = 0; i < column.codes.size(); ++i) {
      if (keep[i]) selected.codes.push_back(column.codes[i]);
    }
    return selected;
  };
  std::vector<std::size_t> new_index(table.size(), 0);
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (!keep[i]) continue;
    new_index[i] = out.score.size();
    out.score.push_back(table.score[i]);
    out.truth.push_back(table.truth[i]);
    if (!table.compare.empty()) out.compare.push_back(table.compare[i]);
    if (!table.id.empty()) out.id.push_back(table.id[i]);
  }
  if (table.cluster) out.cluster = select_codes(*table.cluster);
  for (const auto& group : table.groups) out.groups.push_back(select_codes(group));
  for (const auto& item : table.indeterminate) {
    if (keep[item.index])
      out.indeterminate.push_back({new_index[item.index], item.line, item.problem});
  }
  return out;
}

std::size_t CaseTable::positives() const {
  return static_cast<std::size_t>(std::count(truth.begin(), truth.end(), std::uint8_t{1}));
}

Result<CaseTable> LoadCaseTable(const std::string& path, const CaseRoles& roles) {
  return Loader(path, roles).Run();
}

}  // namespace assay::data
