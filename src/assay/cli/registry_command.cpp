// `assay lock` and `assay runs`: protocol locks (pre-registration) and the history of runs kept
// in the registry.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "assay/cli/commands.h"
#include "assay/core/sha256.h"
#include "assay/evidence/protocol.h"
#include "assay/registry/registry.h"

namespace assay::cli {
namespace {

struct LockArguments {
  std::string protocol;
  std::string registry = registry::DefaultRegistryPath();
};

struct RunsArguments {
  std::string registry = registry::DefaultRegistryPath();
  bool json = false;
  std::int64_t id = 0;
  CLI::App* list = nullptr;
  CLI::App* show = nullptr;
};

// A protocol is locked only when it validates, so a lock always names a runnable protocol.
int RunLock(const LockArguments& arguments) {
  auto protocol = evidence::LoadProtocol(arguments.protocol);
  if (!protocol.ok()) return ReportFailure(protocol.status());
  auto digest = Sha256File(arguments.protocol);
  if (!digest.ok()) return ReportFailure(digest.status());
  auto registry = registry::Registry::Open(arguments.registry);
  if (!registry.ok()) return ReportFailure(registry.status());

  auto existing = registry->FindLock(*digest);
  if (!existing.ok()) return ReportFailure(existing.status());
  if (existing->has_value()) {
    const auto& lock = **existing;
    fmt::print("{} (sha256 {}) already locked since {}", arguments.protocol, *digest,
               lock.locked_at);
    if (lock.protocol_path != AbsolutePath(arguments.protocol)) {
      fmt::print(" as {}", lock.protocol_path);
    }
    fmt::print("\n");
    return 0;
  }

  auto lock = registry->Lock(*digest, AbsolutePath(arguments.protocol), protocol->title, UtcNow());
  if (!lock.ok()) return ReportFailure(lock.status());
  fmt::print("locked {} (sha256 {}) at {}\n", arguments.protocol, lock->protocol_sha256,
             lock->locked_at);
  spdlog::info("recorded in {}", registry->path());
  return 0;
}

nlohmann::json OptionalText(const std::string& text) {
  return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
}

nlohmann::json RunToJson(const registry::RunRecord& run) {
  nlohmann::json endpoints = nlohmann::json::array();
  for (const auto& endpoint : run.endpoints) {
    endpoints.push_back({{"endpoint", endpoint.endpoint}, {"verdict", endpoint.verdict}});
  }
  return {{"id", run.id},
          {"recorded_at", run.recorded_at},
          {"model_name", run.model_name},
          {"model_version", run.model_version},
          {"model_sha256", OptionalText(run.model_sha256)},
          {"protocol_path", run.protocol_path},
          {"protocol_sha256", run.protocol_sha256},
          {"locked", !run.locked_at.empty()},
          {"locked_at", OptionalText(run.locked_at)},
          {"purpose", run.purpose},
          {"overall_verdict", run.overall_verdict},
          {"endpoints", endpoints},
          {"out_dir", OptionalText(run.out_dir)},
          {"evidence_sha256", OptionalText(run.evidence_sha256)},
          {"assay_version", run.assay_version},
          {"command_line", run.command_line}};
}

// One line per run under a header, columns as wide as their widest cell.
std::string FormatRunTable(const std::vector<registry::RunRecord>& runs) {
  constexpr std::size_t kColumns = 8;
  std::vector<std::array<std::string, kColumns>> rows = {
      {"id", "time", "model", "version", "purpose", "verdict", "protocol", "locked"}};
  for (const auto& run : runs) {
    rows.push_back({std::to_string(run.id), run.recorded_at, run.model_name, run.model_version,
                    run.purpose, run.overall_verdict, run.protocol_sha256.substr(0, 12),
                    run.locked_at.empty() ? "no" : "yes"});
  }
  std::array<std::size_t, kColumns> widths{};
  for (const auto& row : rows) {
    for (std::size_t column = 0; column < kColumns; ++column) {
      widths[column] = std::max(widths[column], row[column].size());
    }
  }
  std::string table;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t column = 0; column < kColumns; ++column) {
      line += fmt::format("{:<{}}  ", row[column], widths[column]);
    }
    line.erase(line.find_last_not_of(' ') + 1);
    table += line + "\n";
  }
  return table;
}

std::string FormatRun(const registry::RunRecord& run) {
  const auto line = [](std::string_view label, std::string_view value) {
    return fmt::format("  {:<17}{}\n", label, value.empty() ? "-" : value);
  };
  std::string text = fmt::format("run {}\n", run.id);
  text += line("recorded", run.recorded_at);
  text += line("model", run.model_name);
  text += line("version", run.model_version);
  text += line("model sha256", run.model_sha256);
  text += line("purpose", run.purpose);
  text += line("overall verdict", run.overall_verdict);
  text += line("protocol", run.protocol_path);
  text += line("protocol sha256", run.protocol_sha256);
  text += line("locked", run.locked_at.empty() ? "no" : "since " + run.locked_at);
  text += line("evidence", run.out_dir);
  text += line("evidence sha256", run.evidence_sha256);
  text += line("assay version", run.assay_version);
  text += line("command", run.command_line);
  text += "  endpoints\n";
  std::size_t width = 0;
  for (const auto& endpoint : run.endpoints) width = std::max(width, endpoint.endpoint.size());
  for (const auto& endpoint : run.endpoints) {
    text += fmt::format("    {:<{}}  {}\n", endpoint.endpoint, width, endpoint.verdict);
  }
  if (run.endpoints.empty()) text += "    -\n";
  return text;
}

// Listing and showing never create a registry: a missing file simply holds no runs.
int RunRuns(const RunsArguments& arguments) {
  std::error_code error;
  const bool exists = std::filesystem::exists(arguments.registry, error);
  if (!exists && arguments.show->parsed()) {
    return ReportFailure(InvalidInput(
        fmt::format("no run {} in {} (no registry there yet)", arguments.id, arguments.registry)));
  }
  if (!exists) {
    std::fputs(arguments.json ? "[]\n" : fmt::format("no runs in {}\n", arguments.registry).c_str(),
               stdout);
    return 0;
  }
  auto registry = registry::Registry::Open(arguments.registry);
  if (!registry.ok()) return ReportFailure(registry.status());

  if (arguments.show->parsed()) {
    auto run = registry->FindRun(arguments.id);
    if (!run.ok()) return ReportFailure(run.status());
    const std::string text = arguments.json ? RunToJson(*run).dump(2) + "\n" : FormatRun(*run);
    std::fputs(text.c_str(), stdout);
    return 0;
  }

  auto runs = registry->ListRuns();
  if (!runs.ok()) return ReportFailure(runs.status());
  std::string text;
  if (arguments.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& run : *runs) list.push_back(RunToJson(run));
    text = list.dump(2) + "\n";
  } else {
    text = runs->empty() ? fmt::format("no runs in {}\n", registry->path()) : FormatRunTable(*runs);
  }
  std::fputs(text.c_str(), stdout);
  return 0;
}

}  // namespace

std::string AbsolutePath(const std::string& path) {
  std::error_code error;
  const auto absolute = std::filesystem::absolute(path, error);
  return error ? path : absolute.lexically_normal().string();
}

Runner AddLockCommand(CLI::App& app) {
  auto arguments = std::make_shared<LockArguments>();
  CLI::App* command = app.add_subcommand(
      "lock", "Lock a protocol before its results are seen: record its hash and the time");
  command->add_option("protocol", arguments->protocol, "Protocol file (TOML)")->required();
  command->add_option("--registry", arguments->registry, kRegistryHelp);
  return [arguments](const std::string&) { return RunLock(*arguments); };
}

Runner AddRunsCommand(CLI::App& app) {
  auto arguments = std::make_shared<RunsArguments>();
  CLI::App* command = app.add_subcommand(
      "runs", "The runs recorded in the registry: every model version over time");
  command->require_subcommand(1);

  arguments->list = command->add_subcommand("list", "One line per run, oldest first");
  arguments->show = command->add_subcommand("show", "Everything recorded about one run");
  arguments->show->add_option("id", arguments->id, "Run id, as listed")->required();
  for (CLI::App* verb : {arguments->list, arguments->show}) {
    verb->add_option("--registry", arguments->registry, kRegistryHelp);
    verb->add_flag("--json", arguments->json, "Print JSON instead of text");
  }
  return [arguments](const std::string&) { return RunRuns(*arguments); };
}

}  // namespace assay::cli
