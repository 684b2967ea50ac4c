// `assay audit --inventory inventory.csv [--labels labels.csv] [--development dev.csv]`:
// what is wrong with a cohort before any statistic, and its case flow.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "assay/cli/commands.h"
#include "assay/data/audit.h"
#include "assay/evidence/bundle.h"

namespace assay::cli {
namespace {

namespace fs = std::filesystem;

struct AuditArguments {
  data::AuditInputs inputs;
  std::string labels;
  std::string development;
  std::string out;
};

int AuditCommand(AuditArguments& arguments) {
  if (!arguments.labels.empty()) arguments.inputs.labels = arguments.labels;
  if (!arguments.development.empty()) arguments.inputs.development = arguments.development;
  auto report = data::Audit(arguments.inputs);
  if (!report.ok()) return ReportFailure(report.status());
  if (!arguments.out.empty()) {
    const nlohmann::json document = {{"audit", data::AuditToJson(*report)}};
    const fs::path out(arguments.out);
    const fs::path folder = out.has_parent_path() ? out.parent_path() : fs::path(".");
    if (Status written = evidence::WriteBundleFile(folder.string(), out.filename().string(),
                                                   document.dump(2) + "\n");
        !written.ok()) {
      return ReportFailure(written);
    }
  }
  std::fputs(data::FormatAudit(*report).c_str(), stdout);
  if (!arguments.out.empty()) spdlog::info("wrote {}", arguments.out);
  return 0;
}

}  // namespace

Runner AddAuditCommand(CLI::App& app) {
  auto arguments = std::make_shared<AuditArguments>();
  CLI::App* command = app.add_subcommand(
      "audit",
      "Data audit of a scanned cohort: missing and implausible values, duplicates, "
      "labels, leakage, case flow");
  command
      ->add_option("--inventory", arguments->inputs.inventory,
                   "Instance-level inventory from assay scan")
      ->required();
  command->add_option("--labels", arguments->labels, "Label table (.csv, or .jsonl/.ndjson)");
  command->add_option("--key", arguments->inputs.image_key,
                      "Inventory column that defines a case (default StudyInstanceUID)");
  command->add_option("--label-key", arguments->inputs.label_key,
                      "Label column matched to --key (default: the same name)");
  command->add_option("--truth", arguments->inputs.truth,
                      "Label column holding the ground truth (default truth)");
  command->add_option("--development", arguments->development,
                      "Inventory of the development cohort, scanned with the same key (leakage)");
  command->add_option("--out", arguments->out, "Write the audit as JSON to this file");
  return [arguments](const std::string&) { return AuditCommand(*arguments); };
}

}  // namespace assay::cli
