// The verbs of the `assay` program. Each verb registers its options on the
// CLI11 application and runs as a thin front on library calls; it returns
// the process exit code (0 success, 2 bad input, 1 internal error).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <string_view>

#include "assay/core/status.h"

namespace assay::evidence {
struct StudyResult;
}

namespace assay::cli {

// Runs the parsed verb; `command_line` is recorded in the evidence.
using Runner = std::function<int(const std::string& command_line)>;

// Adds `evaluate` to `app`; the returned runner executes it after parsing.
Runner AddEvaluateCommand(CLI::App& app);

// Adds `run` to `app`.
Runner AddRunCommand(CLI::App& app);

// What `assay run` does with one protocol file, shared with `assay demo`: judge it, write
// the bundle to `out` (when set), record the run in `registry`, print the summary.
struct StudyRun {
  std::string protocol;
  std::string out;
  std::string registry;
  std::size_t threads = 0;       // 0: all cores
  bool print_evaluation = true;  // the full table of findings after the summary
  // Called with the finished study after the summary is printed.
  std::function<void(const evidence::StudyResult&)> inspect;
};
int RunStudyFile(const StudyRun& run, const std::string& command_line);

// Adds `demo` (a synthetic cohort, the reference model, the demo protocol, end to end) to `app`.
Runner AddDemoCommand(CLI::App& app);

// Adds `shift` (how a target cohort differs from the reference, attribute by attribute) to `app`.
Runner AddShiftCommand(CLI::App& app);

// Adds `mrmc` (multi-reader multi-case analysis of a reader study) to `app`.
Runner AddMrmcCommand(CLI::App& app);

// Adds `lock` (pre-register a protocol's hash in the registry) to `app`.
Runner AddLockCommand(CLI::App& app);

// Adds `runs` with `runs list` and `runs show ID` (the registry's history) to `app`.
Runner AddRunsCommand(CLI::App& app);

// Adds `verify` (check a bundle against its MANIFEST, optionally by rerunning) to `app`.
Runner AddVerifyCommand(CLI::App& app);

// Adds `report` (rebuild a bundle's HTML report, optionally a PDF) to `app`.
Runner AddReportCommand(CLI::App& app);

// Adds `scan` (inventory of a DICOM folder) to `app`.
Runner AddScanCommand(CLI::App& app);

// Adds `audit` (data audit and case flow of a scanned cohort) to `app`.
Runner AddAuditCommand(CLI::App& app);

// Adds `infer` (run a model over images, write predictions) to `app`.
Runner AddInferCommand(CLI::App& app);

// Adds `synth` (a synthetic multi-site DICOM cohort with planted failure modes) to `app`.
Runner AddSynthCommand(CLI::App& app);

// Before running a model: freed pages are kept for reuse rather than handed back to the
// system after a delay. A forward pass frees and reallocates tens of megabytes of
// activations per batch, and faulting them in again each time cost inference about 60% of
// its time (bench/infer_bench.py). Not for the other verbs: kept pages of one size are not
// always reused for another, which raised `assay evaluate`'s peak memory by 60%.
void KeepFreedPagesForInference();

// Help text of every verb's --registry option.
inline constexpr const char* kRegistryHelp =
    "Registry database (default: $ASSAY_REGISTRY, else $XDG_DATA_HOME/assay/registry.sqlite, "
    "else ~/.local/share/assay/registry.sqlite)";

// `path` made absolute and normal ("a/../b" -> "/cwd/b"); unchanged when that fails.
std::string AbsolutePath(const std::string& path);

// Writes `bytes` to `path` whole or not at all (a hidden partial file renamed
// over it); kIoError naming the path.
Status WriteOutputFile(const std::string& path, std::string_view bytes);

// The current UTC time, ISO 8601, for evidence headers.
std::string UtcNow();

// Maps a failed Status to a message on stderr and an exit code.
int ReportFailure(const Status& status);

}  // namespace assay::cli
