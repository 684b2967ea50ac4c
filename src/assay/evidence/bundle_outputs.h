// The files a study run puts in its evidence bundle, made in one place so
// that `assay run` and `assay verify --rerun` produce the same bytes, and the
// rerun check itself.
//
//   const auto outputs = evidence::StudyOutputs(protocol, study, context);
//   Status written = evidence::WriteBundle(out, outputs, inputs, manifest);
//   ...
//   auto differences = evidence::RerunBundle(out, ASSAY_VERSION);  // empty: same evidence
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "assay/core/status.h"
#include "assay/evidence/bundle.h"
#include "assay/evidence/evaluation_json.h"
#include "assay/evidence/protocol.h"
#include "assay/evidence/study.h"

namespace assay::evidence {

using BundleOutputs = std::vector<std::pair<std::string, std::string>>;

// {"evidence.json", StudyToJson(...).dump(2) + "\n"}, {"cases.csv", CasesCsv(...)} and
// {"report.html", the HTML report of that evidence}.
BundleOutputs StudyOutputs(const Protocol& protocol, const StudyResult& study,
                           const RunContext& context);

// Reruns the protocol at the MANIFEST's protocol_path and compares what it
// gives with the bundle's evidence.json and cases.csv. Empty: identical.
//
// evidence.json is compared field by field, except four that record the
// invocation rather than the evidence; the rerun copies them from the bundle's
// own evidence.json: `created`, `command`, `options` (the options as typed)
// and `protocol.locked_at` (only the registry can establish a lock; the rerun
// does not). `protocol.sha256` is the digest of the protocol file now.
// `tool_version` is the version the rerun records, so evidence from another
// assay version differs at /tool/version. The protocol is loaded by the
// MANIFEST's absolute path, so a bundle reruns identically only when `assay
// run` loaded it by that same path (`protocol.path` and `input.cases` are
// compared). cases.csv is compared byte for byte. At most `limit` differences
// are listed for evidence.json, then one line counting the rest.
//
// Errors: those of ReadManifest, LoadProtocol and RunStudy (the protocol or
// its cases are missing or now invalid).
Result<std::vector<Difference>> RerunBundle(const std::string& directory,
                                            const std::string& tool_version, std::size_t limit = 5);

}  // namespace assay::evidence
