// cases.csv of the evidence bundle: one row per analysed case with its
// pseudonymous id, truth, score, the decision and whether it was correct at
// each operating point of the protocol's endpoints, and its subgroups, so
// that a reviewer can recount any finding of evidence.json by hand.
//
// Columns, in order:
//   case                  pseudonymous id (below), or the case's 1-based ordinal
//                         among the analysed cases when the protocol names no id
//   cluster               pseudonymous cluster id, when the protocol names a cluster
//   truth                 1 positive, 0 negative
//   score                 the score as read (shortest text that reads back exactly);
//                         empty when the model gave no usable output
//   output                "ok", or why the output is indeterminate: "no_output",
//                         "technical_failure", "rejected_input" (such cases are
//                         counted as the primary analysis counts them: wrong)
//   decision@T, correct@T for each operating point of the endpoints, in endpoint
//                         order: T is a fixed threshold (each distinct value once,
//                         written as the shortest text that reads back exactly) or
//   decision@E, correct@E the id E of an endpoint with a target sensitivity or
//                         specificity, at the threshold the run chose on the data
//                         (empty cells when it chose none). decision is 1 when
//                         the case is called positive (score >= threshold, or
//                         score <= threshold when lower scores are positive);
//                         correct is 1 when that call equals the truth
//   subgroup:C            for each subgroup column C, the case's level, or its bin
//                         label ("<40", "[40,65)", ">=65") for binned columns
// Fields holding a comma, a double quote or a line break are quoted as RFC 4180
// says; lines end with "\n". The bytes depend only on the protocol and the data.
//
// Pseudonymous ids: the first 16 hex digits of SHA-256("<seed>:<id>"), where
// <seed> is the protocol's seed in decimal. They let cases be matched across
// runs of one protocol without printing the ids; they are not anonymous (anyone
// who knows the seed and a candidate id can recompute them).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "assay/evidence/protocol.h"
#include "assay/evidence/study.h"

namespace assay::evidence {

// The pseudonym of a case or cluster id under `seed`: 16 lower-case hex digits.
std::string Pseudonym(std::uint64_t seed, std::string_view id);

// cases.csv for the analysed cases of `study.table` (ids from its `id`
// column, pseudonymised with `protocol.seed`).
std::string CasesCsv(const Protocol& protocol, const StudyResult& study);

}  // namespace assay::evidence
