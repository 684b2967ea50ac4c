// `assay run`: a study protocol applied to its cases, with verdicts.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <tbb/global_control.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "assay/cli/commands.h"
#include "assay/cli/progress_bar.h"
#include "assay/core/sha256.h"
#include "assay/evidence/bundle.h"
#include "assay/evidence/bundle_outputs.h"
#include "assay/evidence/protocol.h"
#include "assay/evidence/study.h"
#include "assay/evidence/study_json.h"
#include "assay/registry/registry.h"
#include "assay/report/terminal.h"

namespace assay::cli {
namespace {

// The registry row of a finished run.
registry::RunRecord MakeRunRecord(const evidence::Protocol& protocol,
                                  const evidence::StudyResult& study, const std::string& now,
                                  const std::string& command_line) {
  registry::RunRecord record;
  record.recorded_at = now;
  record.model_name = protocol.model_name;
  record.model_version = protocol.model_version;
  record.model_sha256 = study.model_sha256.value_or("");
  record.protocol_path = protocol.path;
  record.protocol_sha256 = study.context.protocol_sha256;
  record.locked_at = study.context.locked_at.value_or("");
  record.purpose = protocol.purpose;
  record.overall_verdict = evidence::OverallVerdictName(study.overall);
  for (const auto& endpoint : study.endpoints) {
    record.endpoints.push_back(
        {endpoint.spec.id, std::string(evidence::VerdictName(endpoint.verdict))});
  }
  record.assay_version = ASSAY_VERSION;
  record.command_line = command_line;
  return record;
}

// The bundle's MANIFEST header; WriteBundle adds the hashes.
evidence::Manifest MakeManifest(const evidence::Protocol& protocol, const std::string& now,
                                const std::string& command_line) {
  evidence::Manifest manifest;
  manifest.assay_version = ASSAY_VERSION;
  manifest.build_id = ASSAY_BUILD_ID;
  manifest.created = now;
  manifest.command_line = command_line;
  manifest.seed = protocol.seed;
  return manifest;
}

std::vector<evidence::BundleFile> BundleInputs(const evidence::Protocol& protocol) {
  std::vector<evidence::BundleFile> inputs = {{"protocol", protocol.path}};
  if (protocol.imaging) {
    inputs.push_back({"inventory", protocol.imaging->inventory});
    inputs.push_back({"labels", protocol.imaging->labels});
    // Empty when assay runs the model ([model] with a backend) and computes them.
    if (!protocol.imaging->predictions.empty()) {
      inputs.push_back({"predictions", protocol.imaging->predictions});
    }
    if (protocol.imaging->development) {
      inputs.push_back({"development", *protocol.imaging->development});
    }
  } else {
    inputs.push_back({"cases", protocol.cases});
  }
  if (protocol.model_file) inputs.push_back({"model", *protocol.model_file});
  return inputs;
}

}  // namespace

// Order: validate the protocol, open the registry (so a damaged one stops the run before any
// output), judge, write the bundle, then record the run.
int RunStudyFile(const StudyRun& arguments, const std::string& command_line) {
  std::unique_ptr<tbb::global_control> threads;
  if (arguments.threads > 0) {
    threads = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                    arguments.threads);
  }
  // Loaded by its absolute path, so the bundle names a protocol `assay verify --rerun` can find.
  auto protocol = evidence::LoadProtocol(AbsolutePath(arguments.protocol));
  if (!protocol.ok()) return ReportFailure(protocol.status());
  if (protocol->model) KeepFreedPagesForInference();
  evidence::StudyContext context;
  auto digest = Sha256File(protocol->path);
  if (!digest.ok()) return ReportFailure(digest.status());
  context.protocol_sha256 = *digest;
  std::shared_ptr<ProgressBar> bar;
  std::string pass;
  context.progress = [&](const std::string& label, std::size_t done, std::size_t total) {
    if (label != pass) {
      if (bar) bar->Finish();
      bar = std::make_shared<ProgressBar>("model: " + label, "images");
      pass = label;
    }
    bar->Update(done, total);
    if (done == total) bar->Finish();
  };

  auto registry = registry::Registry::Open(arguments.registry);
  if (!registry.ok()) return ReportFailure(registry.status());
  auto lock = registry->FindLock(context.protocol_sha256);
  if (!lock.ok()) return ReportFailure(lock.status());
  if (lock->has_value()) context.locked_at = (*lock)->locked_at;

  auto study = evidence::RunStudy(*protocol, context);
  if (!study.ok()) return ReportFailure(study.status());

  const std::string now = UtcNow();
  registry::RunRecord record = MakeRunRecord(*protocol, *study, now, command_line);
  if (!arguments.out.empty()) {
    const evidence::RunContext run_context{ASSAY_VERSION, now, command_line,
                                           nlohmann::json{{"protocol", arguments.protocol}}};
    const auto outputs = evidence::StudyOutputs(*protocol, *study, run_context);
    if (Status status = evidence::WriteBundle(arguments.out, outputs, BundleInputs(*protocol),
                                              MakeManifest(*protocol, now, command_line));
        !status.ok()) {
      return ReportFailure(status);
    }
    record.out_dir = AbsolutePath(arguments.out);
    record.evidence_sha256 = Sha256(outputs.front().second);
  }
  auto run_id = registry->RecordRun(record);
  if (!run_id.ok()) return ReportFailure(run_id.status());

  const char* no_colour = std::getenv("NO_COLOR");
  const bool colour = ::isatty(::fileno(stdout)) != 0 && (no_colour == nullptr || *no_colour == 0);
  std::fputs(evidence::FormatStudySummary(*protocol, *study, colour).c_str(), stdout);
  if (arguments.print_evaluation) {
    std::fputs("\n", stdout);
    std::fputs(report::FormatEvaluation(study->table, study->evaluation).c_str(), stdout);
  }
  std::fflush(stdout);  // before the log lines on stderr
  if (!arguments.out.empty()) spdlog::info("wrote the evidence bundle {}", arguments.out);
  spdlog::info("recorded as run {} in {}", *run_id, registry->path());
  if (arguments.inspect) arguments.inspect(*study);
  return 0;
}

Runner AddRunCommand(CLI::App& app) {
  auto arguments = std::make_shared<StudyRun>();
  arguments->registry = registry::DefaultRegistryPath();
  CLI::App* command =
      app.add_subcommand("run", "Apply a study protocol to its cases: verdicts per endpoint");
  command->add_option("protocol", arguments->protocol, "Protocol file (TOML)")->required();
  command->add_option("--out", arguments->out,
                      "Write the evidence bundle DIR (evidence.json, cases.csv, MANIFEST)");
  command->add_option("--registry", arguments->registry, kRegistryHelp);
  command->add_option("--threads", arguments->threads, "Worker threads (default: all cores)")
      ->check(CLI::Range(0, 4096));
  return [arguments](const std::string& command_line) {
    return RunStudyFile(*arguments, command_line);
  };
}

}  // namespace assay::cli
