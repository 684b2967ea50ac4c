// `assay shift`: how a target cohort differs from the reference cohort the
// evidence comes from, attribute by attribute, with tests and effect sizes.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "assay/analysis/domain_classifier.h"
#include "assay/analysis/shift.h"
#include "assay/cli/commands.h"
#include "assay/evidence/shift.h"

namespace assay::cli {
namespace {

struct ShiftArguments {
  std::string reference, target, out;
  std::vector<std::string> columns;
  std::string multiplicity = "holm";
  analysis::ShiftOptions options;
  analysis::DomainClassifierOptions domain;
};

int ShiftCommand(const ShiftArguments& arguments, const std::string& command_line) {
  analysis::ShiftOptions options = arguments.options;
  const auto multiplicity = stats::ParseMultiplicity(arguments.multiplicity);
  if (!multiplicity) {
    return ReportFailure(InvalidInput(
        fmt::format("--multiplicity '{}' is not one of holm, bonferroni, benjamini_hochberg, none",
                    arguments.multiplicity)));
  }
  options.multiplicity = *multiplicity;
  auto samples =
      evidence::LoadShiftSamples(arguments.reference, arguments.target, arguments.columns);
  if (!samples.ok()) return ReportFailure(samples.status());
  const analysis::ShiftResult result = analysis::CompareCohorts(*samples, options);
  analysis::DomainClassifierOptions domain_options = arguments.domain;
  domain_options.seed = options.seed;
  const analysis::DomainClassifierResult domain =
      analysis::ClassifyDomains(*samples, domain_options);
  if (!arguments.out.empty()) {
    nlohmann::json document = evidence::ShiftToJson(result, domain);
    document["tool"] = {{"name", "assay"}, {"version", ASSAY_VERSION}};
    document["created"] = UtcNow();
    document["command"] = command_line;
    document["reference"] = arguments.reference;
    document["target"] = arguments.target;
    if (Status status = WriteOutputFile(arguments.out, document.dump(1) + "\n"); !status.ok())
      return ReportFailure(status);
  }
  std::fputs(evidence::FormatShift(result, domain).c_str(), stdout);
  std::fflush(stdout);
  if (!arguments.out.empty()) spdlog::info("wrote {}", arguments.out);
  return 0;
}

}  // namespace

Runner AddShiftCommand(CLI::App& app) {
  auto arguments = std::make_shared<ShiftArguments>();
  CLI::App* command = app.add_subcommand(
      "shift", "How a target cohort differs from the reference cohort, attribute by attribute");
  command->add_option("--reference", arguments->reference, "Reference cohort's cases (CSV/JSONL)")
      ->required();
  command->add_option("--target", arguments->target, "Target cohort's cases (CSV/JSONL)")
      ->required();
  command->add_option("--column", arguments->columns, "An attribute to compare (repeatable)")
      ->required();
  command
      ->add_option("--alpha", arguments->options.alpha,
                   "Significance level after multiplicity adjustment (default 0.05)")
      ->check(CLI::Range(0.0, 1.0));
  command
      ->add_option("--psi-threshold", arguments->options.psi_threshold,
                   "PSI from which a significant shift counts as one (default 0.1)")
      ->check(CLI::Range(0.0, 100.0));
  command->add_option("--multiplicity", arguments->multiplicity,
                      "holm (default), bonferroni, benjamini_hochberg, none");
  command
      ->add_option("--bootstrap", arguments->options.bootstrap,
                   "Poisson-bootstrap replicates of the effect sizes (default 200)")
      ->check(CLI::Range(10, 100000));
  command->add_option("--seed", arguments->options.seed,
                      "Seed of the bootstrap, the classifier's folds and subsample");
  command
      ->add_option("--classifier-cases", arguments->domain.maximum_per_cohort,
                   "Cases per cohort the domain classifier uses at most (default 50000)")
      ->check(CLI::Range(100, 10000000));
  command->add_option("--out", arguments->out, "Write the comparison as JSON to FILE");
  return [arguments](const std::string& command_line) {
    return ShiftCommand(*arguments, command_line);
  };
}

}  // namespace assay::cli
