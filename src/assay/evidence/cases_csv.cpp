#include "assay/evidence/cases_csv.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <unordered_set>

#include "assay/core/sha256.h"
#include "assay/io/csv_writer.h"

namespace assay::evidence {
namespace {

// An operating point with its own decision@ / correct@ columns.
struct DecisionColumn {
  std::string label;                // "0.5", or the endpoint id for a target
  std::optional<double> threshold;  // absent: the run chose none
};

// One column per distinct fixed threshold and per target endpoint, in endpoint order.
std::vector<DecisionColumn> DecisionColumns(const StudyResult& study) {
  std::vector<DecisionColumn> columns;
  std::unordered_set<std::string> labels;
  for (const auto& endpoint : study.endpoints) {
    const EndpointSpec& spec = endpoint.spec;
    if (spec.threshold) {
      std::string label = fmt::format("{}", *spec.threshold);
      if (labels.insert(label).second) columns.push_back({std::move(label), spec.threshold});
    } else if (spec.target_sensitivity || spec.target_specificity) {
      std::optional<double> chosen;
      if (endpoint.finding && endpoint.finding->operating_point) {
        chosen = endpoint.finding->operating_point->threshold;
      }
      if (labels.insert(spec.id).second) columns.push_back({spec.id, chosen});
    }
  }
  return columns;
}

bool CalledPositive(double score, double threshold, data::ScoreDirection direction) {
  return direction == data::ScoreDirection::kHigherIsPositive ? score >= threshold
                                                              : score <= threshold;
}

std::string Header(const data::CaseTable& table, const std::vector<DecisionColumn>& decisions) {
  std::string line = "case";
  if (table.cluster) line += ",cluster";
  line += ",truth,score,output";
  for (const auto& column : decisions) {
    line += "," + io::CsvField("decision@" + column.label) + "," +
            io::CsvField("correct@" + column.label);
  }
  for (const auto& group : table.groups) line += "," + io::CsvField("subgroup:" + group.name);
  return line + "\n";
}

// "ok", or why the output of each row is indeterminate.
std::vector<const char*> OutputStates(const data::CaseTable& table) {
  std::vector<const char*> states(table.size(), "ok");
  for (const auto& item : table.indeterminate) {
    if (item.index < states.size()) states[item.index] = data::OutputProblemName(item.problem);
  }
  return states;
}

std::string Row(const Protocol& protocol, const data::CaseTable& table,
                const std::vector<DecisionColumn>& decisions, const char* output, std::size_t i) {
  std::string line =
      table.id.empty() ? std::to_string(i + 1) : Pseudonym(protocol.seed, table.id[i]);
  if (table.cluster) {
    line += "," + Pseudonym(protocol.seed, table.cluster->levels[table.cluster->codes[i]]);
  }
  // An indeterminate output has no score of its own; its decisions follow the
  // score the analysis imputed for it.
  const bool ok = std::string_view(output) == "ok";
  line += ok ? fmt::format(",{},{},ok", table.truth[i], table.score[i])
             : fmt::format(",{},,{}", table.truth[i], output);
  for (const auto& column : decisions) {
    if (!column.threshold) {
      line += ",,";
      continue;
    }
    const bool positive = CalledPositive(table.score[i], *column.threshold, table.direction);
    line += fmt::format(",{},{}", positive ? 1 : 0, positive == (table.truth[i] == 1) ? 1 : 0);
  }
  for (const auto& group : table.groups) line += "," + io::CsvField(group.levels[group.codes[i]]);
  return line + "\n";
}

}  // namespace

std::string Pseudonym(std::uint64_t seed, std::string_view id) {
  return Sha256(fmt::format("{}:{}", seed, id)).substr(0, 16);
}

std::string CasesCsv(const Protocol& protocol, const StudyResult& study) {
  const data::CaseTable& table = study.table;
  const std::vector<DecisionColumn> decisions = DecisionColumns(study);
  const std::vector<const char*> outputs = OutputStates(table);
  std::string out = Header(table, decisions);
  for (std::size_t i = 0; i < table.size(); ++i) {
    out += Row(protocol, table, decisions, outputs[i], i);
  }
  return out;
}

}  // namespace assay::evidence
