// `assay shift`: two cohorts' case tables read into attribute samples, the
// comparison's JSON (shift.json, the `shift` section of docs/evidence.md) and
// its terminal table; with embeddings in the tables, the MMD test on them.
//
//   auto samples = evidence::LoadShiftSamples("dev.csv", "site.csv", {"age", "vendor"});
//   auto result = analysis::CompareCohorts(*samples, {});
//   auto embeddings = evidence::CompareEmbeddings("dev.csv", "site.csv", {});
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "assay/analysis/domain_classifier.h"
#include "assay/analysis/shift.h"
#include "assay/core/status.h"
#include "assay/stats/mmd.h"

namespace assay::evidence {

// Reads `columns` from both tables (CSV or JSON Lines). A column is numeric
// when every present value in both cohorts is a finite number and there are
// more than six distinct ones; otherwise categorical, an empty value forming
// the level "(missing)". Errors (kInvalidInput, exit 2): a file or column
// that is missing, a malformed record (named by file and line), a
// non-numeric column with more than 1,000 distinct values.
Result<std::vector<analysis::ShiftSample>> LoadShiftSamples(
    const std::string& reference, const std::string& target,
    const std::vector<std::string>& columns);

// The MMD test on the two cohorts' embeddings, and the rows it could use.
struct EmbeddingShift {
  stats::MmdResult mmd;  // reference_cases, target_cases: the rows used, after subsampling
  std::size_t maximum_per_cohort = 0;
  std::size_t reference_with_embedding = 0, target_with_embedding = 0;
  std::size_t reference_without_embedding = 0, target_without_embedding = 0;  // left out
};

// Reads the columns embedding_0, embedding_1, ... (as `assay infer --embeddings-out`
// writes them) from both tables and runs stats::MmdTest on them. A row with an empty
// embedding cell is left out and counted. A cohort larger than options.maximum_per_cohort
// is subsampled while it is read, by stats::MmdSubsampleKey's rule, so memory stays within
// that many rows. Errors (kInvalidInput, exit 2), each naming the file: a table without
// embedding columns, a different number of them in the two tables, a value that is not a
// finite number (with its line), fewer than 2 rows with an embedding.
// The readers list no header, so the count is found by asking for single names (doubling,
// then halving): a column past a gap in the numbers may go unseen.
Result<EmbeddingShift> CompareEmbeddings(const std::string& reference, const std::string& target,
                                         const stats::MmdOptions& options);

// shift.json's content; `embeddings`, when given, adds the `mmd` entry, its status
// "shifted" when the p-value is at most result.options.alpha, else "no_evidence".
nlohmann::json ShiftToJson(const analysis::ShiftResult& result,
                           const analysis::DomainClassifierResult& domain,
                           const EmbeddingShift* embeddings = nullptr);

// One line per attribute, shifted ones first, then the domain classifier, then the MMD
// test's line when `embeddings` is given. Without attributes, only that line.
std::string FormatShift(const analysis::ShiftResult& result,
                        const analysis::DomainClassifierResult& domain,
                        const EmbeddingShift* embeddings = nullptr);

}  // namespace assay::evidence
