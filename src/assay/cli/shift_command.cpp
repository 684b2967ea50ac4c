// `assay shift`: how a target cohort differs from the reference cohort the
// evidence comes from, attribute by attribute, with tests and effect sizes, and
// in the model's embeddings by the MMD test.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "assay/analysis/domain_classifier.h"
#include "assay/analysis/shift.h"
#include "assay/cli/commands.h"
#include "assay/evidence/shift.h"
#include "assay/stats/mmd.h"

namespace assay::cli {
namespace {

struct ShiftArguments {
  std::string reference, target, out;
  std::vector<std::string> columns;
  std::string multiplicity = "holm";
  analysis::ShiftOptions options;
  analysis::DomainClassifierOptions domain;
  bool embeddings = false;
  stats::MmdOptions mmd;
};

// The MMD test on the tables' embeddings, run first: its input errors are the quickest found.
Result<std::optional<evidence::EmbeddingShift>> RunEmbeddingTest(const ShiftArguments& arguments) {
  if (!arguments.embeddings) return std::optional<evidence::EmbeddingShift>();
  stats::MmdOptions options = arguments.mmd;
  options.seed = arguments.options.seed;
  auto shift = evidence::CompareEmbeddings(arguments.reference, arguments.target, options);
  if (!shift.ok()) return shift.status();
  return std::optional<evidence::EmbeddingShift>(*shift);
}

int ShiftCommand(const ShiftArguments& arguments, const std::string& command_line) {
  analysis::ShiftOptions options = arguments.options;
  const auto multiplicity = stats::ParseMultiplicity(arguments.multiplicity);
  if (!multiplicity) {
    return ReportFailure(InvalidInput(
        fmt::format("--multiplicity '{}' is not one of holm, bonferroni, benjamini_hochberg, none",
                    arguments.multiplicity)));
  }
  options.multiplicity = *multiplicity;
  if (arguments.columns.empty() && !arguments.embeddings) {
    return ReportFailure(InvalidInput("nothing to compare: name a --column, or give --embeddings"));
  }
  const auto embeddings = RunEmbeddingTest(arguments);
  if (!embeddings.ok()) return ReportFailure(embeddings.status());

  // The attributes, when any is named (without, the classifier notes "no attribute").
  std::vector<analysis::ShiftSample> samples;
  if (!arguments.columns.empty()) {
    auto loaded =
        evidence::LoadShiftSamples(arguments.reference, arguments.target, arguments.columns);
    if (!loaded.ok()) return ReportFailure(loaded.status());
    samples = std::move(*loaded);
  }
  const analysis::ShiftResult result = analysis::CompareCohorts(samples, options);
  analysis::DomainClassifierOptions domain_options = arguments.domain;
  domain_options.seed = options.seed;
  const analysis::DomainClassifierResult domain =
      analysis::ClassifyDomains(samples, domain_options);

  const evidence::EmbeddingShift* mmd = embeddings->has_value() ? &**embeddings : nullptr;
  if (!arguments.out.empty()) {
    nlohmann::json document = evidence::ShiftToJson(result, domain, mmd);
    document["tool"] = {{"name", "assay"}, {"version", ASSAY_VERSION}};
    document["created"] = UtcNow();
    document["command"] = command_line;
    document["reference"] = arguments.reference;
    document["target"] = arguments.target;
    if (Status status = WriteOutputFile(arguments.out, document.dump(1) + "\n"); !status.ok())
      return ReportFailure(status);
  }
  std::fputs(evidence::FormatShift(result, domain, mmd).c_str(), stdout);
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
  command->add_option("--column", arguments->columns, "An attribute to compare (repeatable)");
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
                      "Seed of every random draw: bootstrap, classifier folds and subsample, "
                      "MMD test subsample and permutations");
  command
      ->add_option("--classifier-cases", arguments->domain.maximum_per_cohort,
                   "Cases per cohort the domain classifier uses at most (default 50000)")
      ->check(CLI::Range(100, 10000000));
  command->add_flag("--embeddings", arguments->embeddings,
                    "Compare the columns embedding_0, embedding_1, ... of both tables by the MMD "
                    "test (alone or with --column)");
  command
      ->add_option("--mmd-permutations", arguments->mmd.permutations,
                   "Permutations of the MMD test's p-value (default 1000)")
      ->check(CLI::Range(1, 100000));
  command
      ->add_option("--mmd-max-cases", arguments->mmd.maximum_per_cohort,
                   "Cases per cohort the MMD test uses at most (default 2000; memory 4 (2N)^2 "
                   "bytes)")
      ->check(CLI::Range(10, 10000));
  command->add_option("--out", arguments->out, "Write the comparison as JSON to FILE");
  return [arguments](const std::string& command_line) {
    return ShiftCommand(*arguments, command_line);
  };
}

}  // namespace assay::cli
