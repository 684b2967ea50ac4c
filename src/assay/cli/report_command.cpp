// `assay report DIR [--pdf]`: rebuild the HTML report of an evidence bundle
// from its evidence.json and cases.csv, and optionally print it to PDF.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "assay/cli/commands.h"
#include "assay/evidence/bundle.h"
#include "assay/report/html_report.h"
#include "assay/report/pdf.h"

namespace assay::cli {
namespace {

namespace fs = std::filesystem;

struct ReportArguments {
  std::string directory;
  bool pdf = false;
};

bool IsReportFile(const std::string& name) {
  return name == report::kReportName || name == report::kPdfName;
}

// The report is rebuilt only from evidence that still matches its MANIFEST.
Status CheckEvidence(const std::string& directory) {
  auto differences = evidence::VerifyBundle(directory);
  if (!differences.ok()) return differences.status();
  std::vector<std::string> problems;
  for (const auto& difference : *differences) {
    if (!difference.role.empty()) {
      spdlog::warn("{}", evidence::FormatDifference(difference));
    } else if (!IsReportFile(difference.path)) {
      problems.push_back(evidence::FormatDifference(difference));
    }
  }
  if (problems.empty()) return Status::Ok();
  return InvalidInput(fmt::format(
      "{} does not match its MANIFEST, so no report is built from it ({}); see assay verify",
      directory, fmt::join(problems, "; ")));
}

Result<nlohmann::json> ReadEvidence(const std::string& directory) {
  const fs::path path = fs::path(directory) / "evidence.json";
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) return IoError(fmt::format("{}: cannot read", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  nlohmann::json document = nlohmann::json::parse(text.str(), nullptr, false);
  if (document.is_discarded() || !document.is_object()) {
    return InvalidInput(fmt::format("{}: not a JSON evidence document", path.string()));
  }
  if (!document.contains("endpoints")) {
    return InvalidInput(fmt::format(
        "{}: not the evidence of `assay run` (no endpoints); reports are built for study runs",
        path.string()));
  }
  return document;
}

Status PrintPdf(const std::string& directory) {
  const fs::path folder(directory);
  const fs::path partial = folder / (std::string(".") + report::kPdfName + ".assay-partial");
  Status printed = report::RenderPdf((folder / report::kReportName).string(), partial.string());
  std::error_code error;
  if (printed.ok()) fs::rename(partial, folder / report::kPdfName, error);
  if (!printed.ok() || error) {
    fs::remove(partial, error);
    if (printed.ok()) return IoError(fmt::format("{}: cannot write report.pdf", directory));
  }
  return printed;
}

int ReportCommand(const ReportArguments& arguments) {
  if (arguments.pdf && !report::FindChromium()) {
    return ReportFailure(InvalidInput(report::kChromiumMissing));
  }
  if (Status checked = CheckEvidence(arguments.directory); !checked.ok()) {
    return ReportFailure(checked);
  }
  auto document = ReadEvidence(arguments.directory);
  if (!document.ok()) return ReportFailure(document.status());
  auto cases = report::ReadReportCases((fs::path(arguments.directory) / "cases.csv").string());
  if (!cases.ok()) return ReportFailure(cases.status());

  std::vector<std::string> written = {report::kReportName};
  if (Status status = evidence::WriteBundleFile(arguments.directory, report::kReportName,
                                                report::RenderHtmlReport(*document, *cases));
      !status.ok()) {
    return ReportFailure(status);
  }
  if (arguments.pdf) {
    if (Status status = PrintPdf(arguments.directory); !status.ok()) return ReportFailure(status);
    written.push_back(report::kPdfName);
  }
  if (Status status = evidence::RecordBundleOutputs(arguments.directory, written); !status.ok()) {
    return ReportFailure(status);
  }
  for (const auto& name : written) {
    fmt::print("wrote {}\n", (fs::path(arguments.directory) / name).string());
  }
  return 0;
}

}  // namespace

Runner AddReportCommand(CLI::App& app) {
  auto arguments = std::make_shared<ReportArguments>();
  CLI::App* command = app.add_subcommand(
      "report", "Rebuild an evidence bundle's report.html (and report.pdf with --pdf)");
  command->add_option("directory", arguments->directory, "Bundle folder (holds MANIFEST)")
      ->required();
  command->add_flag("--pdf", arguments->pdf,
                    "Also print the report to report.pdf with headless Chromium");
  return [arguments](const std::string& /*command_line*/) { return ReportCommand(*arguments); };
}

}  // namespace assay::cli
