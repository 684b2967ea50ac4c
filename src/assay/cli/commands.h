// The verbs of the `assay` program. Each verb registers its options on the
// CLI11 application and runs as a thin front on library calls; it returns
// the process exit code (0 success, 2 bad input, 1 internal error).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "assay/core/status.h"

namespace assay::cli {

// Runs the parsed verb; `command_line` is recorded in the evidence.
using Runner = std::function<int(const std::string& command_line)>;

// Adds `evaluate` to `app`; the returned runner executes it after parsing.
Runner AddEvaluateCommand(CLI::App& app);

// Adds `run` to `app`.
Runner AddRunCommand(CLI::App& app);

// The current UTC time, ISO 8601, for evidence headers.
std::string UtcNow();

// Maps a failed Status to a message on stderr and an exit code.
int ReportFailure(const Status& status);

}  // namespace assay::cli
