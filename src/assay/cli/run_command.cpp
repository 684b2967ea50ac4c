// `assay run`: a study protocol applied to its cases, with verdicts.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <tbb/global_control.h>

#include <chrono>
#include <cstdio>
#include <memory>

#include "assay/cli/commands.h"
#include "assay/evidence/protocol.h"
#include "assay/evidence/study.h"
#include "assay/evidence/study_json.h"
#include "assay/report/terminal.h"

namespace assay::cli {
namespace {

struct RunArguments {
  std::string protocol;
  std::string out;
  std::size_t threads = 0;
};

int RunStudyCommand(const RunArguments& arguments, const std::string& command_line) {
  std::unique_ptr<tbb::global_control> threads;
  if (arguments.threads > 0) {
    threads = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                    arguments.threads);
  }
  auto protocol = evidence::LoadProtocol(arguments.protocol);
  if (!protocol.ok()) return ReportFailure(protocol.status());
  auto study = evidence::RunStudy(*protocol);
  if (!study.ok()) return ReportFailure(study.status());

  if (!arguments.out.empty()) {
    const evidence::RunContext context{ASSAY_VERSION, UtcNow(), command_line,
                                       nlohmann::json{{"protocol", arguments.protocol}}};
    const auto document = evidence::StudyToJson(*protocol, *study, context);
    if (Status status = evidence::WriteEvidence(arguments.out, document); !status.ok()) {
      return ReportFailure(status);
    }
  }
  std::fputs(evidence::FormatStudySummary(*protocol, *study).c_str(), stdout);
  std::fputs("\n", stdout);
  std::fputs(report::FormatEvaluation(study->table, study->evaluation).c_str(), stdout);
  if (!arguments.out.empty()) spdlog::info("wrote {}/evidence.json", arguments.out);
  return 0;
}

}  // namespace

Runner AddRunCommand(CLI::App& app) {
  auto arguments = std::make_shared<RunArguments>();
  CLI::App* command =
      app.add_subcommand("run", "Apply a study protocol to its cases: verdicts per endpoint");
  command->add_option("protocol", arguments->protocol, "Protocol file (TOML)")->required();
  command->add_option("--out", arguments->out, "Write DIR/evidence.json");
  command->add_option("--threads", arguments->threads, "Worker threads (default: all cores)")
      ->check(CLI::Range(0, 4096));
  return [arguments](const std::string& command_line) {
    return RunStudyCommand(*arguments, command_line);
  };
}

}  // namespace assay::cli
