#include "assay/evidence/bundle_outputs.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "assay/core/sha256.h"
#include "assay/evidence/cases_csv.h"
#include "assay/evidence/study_json.h"
#include "assay/report/html_report.h"

namespace assay::evidence {
namespace {

using nlohmann::json;

constexpr std::size_t kShownCharacters = 60;

std::optional<std::string> ReadBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return text.str();
}

std::string Shorten(std::string text) {
  if (text.size() <= kShownCharacters) return text;
  return text.substr(0, kShownCharacters) + "...";
}

// RFC 6901: "~" and "/" inside a key become "~0" and "~1".
std::string PointerToken(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

// Walks two documents together and notes every place where they differ,
// keeping the first `limit` as messages.
class JsonComparer {
 public:
  explicit JsonComparer(std::size_t limit) : limit_(limit) {}

  void Compare(const json& recorded, const json& rerun, const std::string& pointer) {
    if (recorded.is_object() && rerun.is_object()) {
      for (const auto& [key, value] : recorded.items()) {
        const std::string child = pointer + "/" + PointerToken(key);
        const auto other = rerun.find(key);
        if (other == rerun.end()) {
          Note(child, value.dump(), "absent");
        } else {
          Compare(value, *other, child);
        }
      }
      for (const auto& [key, value] : rerun.items()) {
        if (!recorded.contains(key))
          Note(pointer + "/" + PointerToken(key), "absent", value.dump());
      }
      return;
    }
    if (recorded.is_array() && rerun.is_array()) {
      const std::size_t common = std::min(recorded.size(), rerun.size());
      for (std::size_t i = 0; i < common; ++i) {
        Compare(recorded[i], rerun[i], fmt::format("{}/{}", pointer, i));
      }
      if (recorded.size() != rerun.size()) {
        Note(pointer, fmt::format("{} items", recorded.size()),
             fmt::format("{} items", rerun.size()));
      }
      return;
    }
    if (recorded != rerun) Note(pointer, recorded.dump(), rerun.dump());
  }

  std::vector<std::string> Messages() const {
    std::vector<std::string> out = messages_;
    if (total_ > messages_.size()) {
      out.push_back(fmt::format("rerun differs at {} more places", total_ - messages_.size()));
    }
    return out;
  }

 private:
  void Note(const std::string& pointer, const std::string& recorded, const std::string& rerun) {
    if (++total_ > limit_) return;
    messages_.push_back(fmt::format("rerun differs at {}: {} vs {}",
                                    pointer.empty() ? "/" : pointer, Shorten(recorded),
                                    Shorten(rerun)));
  }

  std::size_t limit_;
  std::size_t total_ = 0;
  std::vector<std::string> messages_;
};

std::string StringField(const json& document, const char* key) {
  if (!document.is_object()) return "";
  const auto found = document.find(key);
  return found != document.end() && found->is_string() ? found->get<std::string>() : "";
}

// The invocation record of the bundle's evidence.json, reused by the rerun.
RunContext RecordedContext(const json& recorded, const std::string& tool_version) {
  json options = json::object();
  if (recorded.is_object() && recorded.contains("options")) options = recorded["options"];
  return {tool_version, StringField(recorded, "created"), StringField(recorded, "command"),
          std::move(options)};
}

// The protocol's digest now, and the lock time the bundle recorded.
Result<StudyContext> RecordedStudyContext(const json& recorded, const std::string& protocol_path) {
  auto digest = Sha256File(protocol_path);
  if (!digest.ok()) return digest.status();
  StudyContext context;
  context.protocol_sha256 = *digest;
  if (recorded.is_object() && recorded.contains("protocol")) {
    const std::string locked_at = StringField(recorded["protocol"], "locked_at");
    if (!locked_at.empty()) context.locked_at = locked_at;
  }
  return context;
}

std::vector<std::string> CompareJsonText(const std::string& recorded, const std::string& rerun,
                                         std::size_t limit) {
  const json recorded_document = json::parse(recorded, nullptr, false);
  if (recorded_document.is_discarded()) return {"rerun cannot compare: not valid JSON"};
  JsonComparer comparer(limit);
  comparer.Compare(recorded_document, json::parse(rerun), "");
  std::vector<std::string> messages = comparer.Messages();
  if (messages.empty() && recorded != rerun) {
    messages.push_back("rerun differs in layout only (same values, different bytes)");
  }
  return messages;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> CompareLines(const std::string& recorded, const std::string& rerun) {
  if (recorded == rerun) return {};
  const auto a = SplitLines(recorded), b = SplitLines(rerun);
  std::size_t first = 0, differing = 0;
  for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    const bool same = i < a.size() && i < b.size() && a[i] == b[i];
    if (!same && differing++ == 0) first = i;
  }
  if (differing == 0) return {"rerun differs in line ends only"};
  const auto line = [](const std::vector<std::string>& lines, std::size_t i) {
    return i < lines.size() ? "'" + Shorten(lines[i]) + "'" : std::string("absent");
  };
  return {fmt::format("rerun differs at line {}: {} vs {} ({} lines differ)", first + 1,
                      line(a, first), line(b, first), differing)};
}

}  // namespace

BundleOutputs StudyOutputs(const Protocol& protocol, const StudyResult& study,
                           const RunContext& context) {
  const json evidence = StudyToJson(protocol, study, context);
  BundleOutputs outputs;
  outputs.emplace_back("evidence.json", evidence.dump(2) + "\n");
  outputs.emplace_back("cases.csv", CasesCsv(protocol, study));
  outputs.emplace_back(report::kReportName,
                       report::RenderHtmlReport(evidence, report::ReportCasesOf(study.table)));
  return outputs;
}

Result<std::vector<Difference>> RerunBundle(const std::string& directory,
                                            const std::string& tool_version, std::size_t limit) {
  auto manifest = ReadManifest(directory);
  if (!manifest.ok()) return manifest.status();
  auto protocol = LoadProtocol(manifest->protocol_path);
  if (!protocol.ok()) return protocol.status();
  const std::filesystem::path folder(directory);
  const auto recorded_evidence = ReadBytes(folder / "evidence.json");
  const json recorded = json::parse(recorded_evidence.value_or(""), nullptr, false);
  auto context = RecordedStudyContext(recorded, manifest->protocol_path);
  if (!context.ok()) return context.status();
  auto study = RunStudy(*protocol, *context);
  if (!study.ok()) return study.status();

  std::vector<Difference> differences;
  for (const auto& [name, bytes] :
       StudyOutputs(*protocol, *study, RecordedContext(recorded, tool_version))) {
    const auto recorded_bytes = ReadBytes(folder / name);
    std::vector<std::string> messages;
    if (!recorded_bytes) {
      messages = {"rerun cannot compare: not in the bundle"};
    } else if (name == "evidence.json") {
      messages = CompareJsonText(*recorded_bytes, bytes, limit);
    } else {
      messages = CompareLines(*recorded_bytes, bytes);
    }
    for (auto& message : messages) differences.push_back({name, std::move(message), ""});
  }
  return differences;
}

}  // namespace assay::evidence
