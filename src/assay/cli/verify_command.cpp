// `assay verify DIR [--rerun]`: is the evidence bundle still what was written,
// and does its protocol still give the same evidence?
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "assay/cli/commands.h"
#include "assay/evidence/bundle.h"
#include "assay/evidence/bundle_outputs.h"
#include "assay/registry/registry.h"

namespace assay::cli {
namespace {

struct VerifyArguments {
  std::string directory;
  std::string registry = registry::DefaultRegistryPath();
  bool rerun = false;
};

// What a verification found: every difference, and how many files it checked.
struct Verification {
  std::vector<evidence::Difference> differences;
  std::size_t files_checked = 0;
  bool passed() const { return differences.empty(); }
};

// Errors only when the bundle or its MANIFEST cannot be read; a rerun that
// cannot run is a difference.
Result<Verification> Verify(const VerifyArguments& arguments) {
  auto manifest = evidence::ReadManifest(arguments.directory);
  if (!manifest.ok()) return manifest.status();
  auto differences = evidence::VerifyBundle(arguments.directory);
  if (!differences.ok()) return differences.status();
  Verification verification{std::move(differences).value(),
                            manifest->inputs.size() + manifest->outputs.size()};
  if (!arguments.rerun) return verification;

  auto rerun = evidence::RerunBundle(arguments.directory, ASSAY_VERSION);
  if (!rerun.ok()) {
    verification.differences.push_back({"rerun", "cannot run: " + rerun.status().message(), ""});
  } else {
    verification.differences.insert(verification.differences.end(), rerun->begin(), rerun->end());
  }
  return verification;
}

// A damaged registry stops the check before anything is printed;
// the verification is recorded before its result is shown.
int VerifyCommand(const VerifyArguments& arguments) {
  auto verification = Verify(arguments);
  if (!verification.ok()) return ReportFailure(verification.status());
  auto registry = registry::Registry::Open(arguments.registry);
  if (!registry.ok()) return ReportFailure(registry.status());
  const registry::VerificationRecord record{0,
                                            UtcNow(),
                                            AbsolutePath(arguments.directory),
                                            arguments.rerun,
                                            verification->passed(),
                                            verification->differences.size()};
  if (auto recorded = registry->RecordVerification(record); !recorded.ok()) {
    return ReportFailure(recorded.status());
  }
  for (const auto& difference : verification->differences) {
    std::fputs((evidence::FormatDifference(difference) + "\n").c_str(), stdout);
  }
  if (!verification->passed()) return 1;
  std::fputs(fmt::format("bundle {} intact: {} files match MANIFEST{}\n", arguments.directory,
                         verification->files_checked,
                         arguments.rerun ? "; the rerun gives identical evidence" : "")
                 .c_str(),
             stdout);
  return 0;
}

}  // namespace

Runner AddVerifyCommand(CLI::App& app) {
  auto arguments = std::make_shared<VerifyArguments>();
  CLI::App* command = app.add_subcommand(
      "verify", "Check an evidence bundle against its MANIFEST (exit 1 on any difference)");
  command->add_option("directory", arguments->directory, "Bundle folder (holds MANIFEST)")
      ->required();
  command->add_option("--registry", arguments->registry, kRegistryHelp);
  command->add_flag("--rerun", arguments->rerun,
                    "Also rerun the protocol and check that the evidence is identical");
  return [arguments](const std::string& /*command_line*/) { return VerifyCommand(*arguments); };
}

}  // namespace assay::cli
