// Entry point of the `assay` program: parses the command line and hands over
// to one verb.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>
#include <string>

#include "assay/cli/commands.h"

namespace {

int Run(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_color_st("assay"));
  spdlog::set_pattern("%^%l%$: %v");

  CLI::App app{"assay: defensible evidence about medical-imaging AI models"};
  app.require_subcommand(1);
  app.set_version_flag("--version", ASSAY_VERSION);
  const assay::cli::Runner evaluate = assay::cli::AddEvaluateCommand(app);
  const assay::cli::Runner run = assay::cli::AddRunCommand(app);
  const assay::cli::Runner verify = assay::cli::AddVerifyCommand(app);
  const assay::cli::Runner lock = assay::cli::AddLockCommand(app);
  const assay::cli::Runner runs = assay::cli::AddRunsCommand(app);
  const assay::cli::Runner report = assay::cli::AddReportCommand(app);
  const assay::cli::Runner scan = assay::cli::AddScanCommand(app);
  const assay::cli::Runner audit = assay::cli::AddAuditCommand(app);
  const assay::cli::Runner infer = assay::cli::AddInferCommand(app);
  const assay::cli::Runner synth = assay::cli::AddSynthCommand(app);
  const assay::cli::Runner demo = assay::cli::AddDemoCommand(app);
  const assay::cli::Runner shift = assay::cli::AddShiftCommand(app);
  const assay::cli::Runner mrmc = assay::cli::AddMrmcCommand(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForVersion& version) {
    return app.exit(version);
  } catch (const CLI::ParseError& error) {
    app.exit(error);
    return 2;  // a wrong command line is bad input
  }
  std::string command_line = "assay";
  for (int i = 1; i < argc; ++i) command_line += std::string(" ") + argv[i];
  if (app.got_subcommand("evaluate")) return evaluate(command_line);
  if (app.got_subcommand("run")) return run(command_line);
  if (app.got_subcommand("verify")) return verify(command_line);
  if (app.got_subcommand("lock")) return lock(command_line);
  if (app.got_subcommand("runs")) return runs(command_line);
  if (app.got_subcommand("report")) return report(command_line);
  if (app.got_subcommand("scan")) return scan(command_line);
  if (app.got_subcommand("audit")) return audit(command_line);
  if (app.got_subcommand("infer")) return infer(command_line);
  if (app.got_subcommand("synth")) return synth(command_line);
  if (app.got_subcommand("demo")) return demo(command_line);
  if (app.got_subcommand("shift")) return shift(command_line);
  if (app.got_subcommand("mrmc")) return mrmc(command_line);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& error) {
    // Expected failures are Status values; an exception here is a bug in assay.
    std::fprintf(stderr, "internal error: %s\n", error.what());
    return 1;
  }
}
