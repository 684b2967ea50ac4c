// `assay audit --inventory inventory.csv [--labels labels.csv] [--development dev.csv]`:
// what is wrong with a cohort before any statistic, and its case flow.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>

#include "assay/cli/commands.h"
#include "assay/data/audit.h"

namespace assay::cli {
namespace {

struct AuditArguments {
  data::AuditInputs inputs;
  std::string labels;
  std::string development;
  std::string predictions;
  std::string out;
  std::string cases_out;
};

int AuditCommand(AuditArguments& arguments) {
  if (!arguments.labels.empty()) arguments.inputs.labels = arguments.labels;
  if (!arguments.development.empty()) arguments.inputs.development = arguments.development;
  if (!arguments.predictions.empty()) arguments.inputs.predictions = arguments.predictions;
  auto report = data::Audit(arguments.inputs);
  if (!report.ok()) return ReportFailure(report.status());
  if (!arguments.out.empty()) {
    const nlohmann::json document = {{"audit", data::AuditToJson(*report)}};
    if (Status written = WriteOutputFile(arguments.out, document.dump(2) + "\n"); !written.ok()) {
      return ReportFailure(written);
    }
  }
  if (!arguments.cases_out.empty()) {
    if (Status written = WriteOutputFile(arguments.cases_out, data::AuditCasesCsv(*report));
        !written.ok()) {
      return ReportFailure(written);
    }
  }
  std::fputs(data::FormatAudit(*report).c_str(), stdout);
  if (!arguments.out.empty()) spdlog::info("wrote {}", arguments.out);
  if (!arguments.cases_out.empty()) {
    spdlog::info("wrote {} ({} analysed cases)", arguments.cases_out, report->case_rows.size());
  }
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
  command->add_option("--predictions", arguments->predictions,
                      "Model outputs (.csv, or .jsonl/.ndjson) joined by the case key");
  command->add_option("--prediction-key", arguments->inputs.prediction_key,
                      "Predictions column matched to --key (default: the same name)");
  command->add_option("--score", arguments->inputs.score,
                      "Predictions column holding the model's score (default score)");
  command->add_option("--out", arguments->out, "Write the audit as JSON to this file");
  command->add_option("--cases-out", arguments->cases_out,
                      "Write the analysed cases (truth, score, acquisition attributes) as CSV");
  return [arguments](const std::string&) { return AuditCommand(*arguments); };
}

}  // namespace assay::cli
