// The evidence bundle: the folder `assay run --out DIR` writes, and the check
// that it is still what was written.
//
// A bundle holds the run's outputs (evidence.json, cases.csv) and a MANIFEST
// that records the SHA-256 and size of every output and of every input file
// (protocol, cases, model), with the assay version and build, the seed, the
// command line, the platform and the time. WriteBundle writes all of it or
// nothing; VerifyBundle re-hashes everything and lists each difference by
// file. The MANIFEST line format is documented in docs/bundle.md.
//
//   evidence::Manifest manifest;
//   manifest.assay_version = "0.1.0";
//   manifest.seed = protocol.seed;
//   Status written = evidence::WriteBundle("results", outputs,
//                                          {{"protocol", protocol.path}, {"cases",
//                                          protocol.cases}}, manifest);
//   auto differences = evidence::VerifyBundle("results");   // empty: intact
//
// Functions here touch the file system and are not synchronised: do not write
// or verify the same bundle from two threads or processes at once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "assay/core/status.h"

namespace assay::evidence {

inline constexpr const char* kManifestFormat = "assay-manifest 1";
inline constexpr const char* kManifestName = "MANIFEST";

// An input file of a run and what it is: "protocol", "cases", "model".
struct BundleFile {
  std::string role;
  std::string path;
};

struct ManifestEntry {
  std::string role;  // inputs: "protocol", "cases", "model"; outputs: "output"
  std::string path;  // inputs: absolute path; outputs: a file name inside the bundle
  std::string sha256;
  std::uint64_t bytes = 0;
};

struct Manifest {
  std::string format = kManifestFormat;
  std::string assay_version, build_id, created, command_line, platform, protocol_path;
  std::uint64_t seed = 0;
  std::vector<ManifestEntry> inputs;   // protocol, cases file(s), model file if any
  std::vector<ManifestEntry> outputs;  // evidence.json, cases.csv
};

// Writes every output (file name -> bytes) and a MANIFEST into `directory`.
// The inputs are hashed now and replace `manifest.inputs`, with absolute
// paths; `manifest.outputs` is replaced likewise. An empty `protocol_path`
// becomes the absolute path of the "protocol" input, an empty `platform`
// PlatformDescription().
//
// All or nothing: the files are written to a temporary sibling folder that is
// then renamed to `directory`; missing parent folders are created (and removed
// again on failure). An existing `directory` is replaced only when it is empty
// or is itself a bundle (holds a MANIFEST). Errors: kIoError when an input
// cannot be read or the bundle cannot be written (naming the path),
// kInvalidInput when `directory` exists and is neither, kInternal for an
// output name that is not a plain file name or a role that is not one word.
Status WriteBundle(const std::string& directory,
                   const std::vector<std::pair<std::string, std::string>>& outputs,
                   const std::vector<BundleFile>& inputs, Manifest manifest);

// Writes one output file into an existing bundle, whole or not at all (a
// hidden partial file renamed over the old one). It is not yet in the
// MANIFEST: follow with RecordBundleOutputs. kIoError naming the path.
Status WriteBundleFile(const std::string& directory, const std::string& name,
                       std::string_view bytes);

// Re-hashes the named output files of the bundle and records them in its
// MANIFEST (replacing their entries, or adding them), rewriting it whole.
// Used for outputs derived from the evidence after the run: report.html,
// report.pdf. Errors: those of ReadManifest, kIoError for a file that cannot
// be read or a MANIFEST that cannot be written.
Status RecordBundleOutputs(const std::string& directory, const std::vector<std::string>& names);

// The MANIFEST as text, and back. ParseManifest's errors are kInvalidInput
// naming `source` and the line: "results/MANIFEST line 4: seed 'x' is not a
// whole number".
std::string FormatManifest(const Manifest& manifest);
Result<Manifest> ParseManifest(const std::string& text, const std::string& source);

// Reads `directory`/MANIFEST. kIoError when it cannot be read, kInvalidInput
// when it is malformed (naming the line).
Result<Manifest> ReadManifest(const std::string& directory);

// One way a bundle differs from its MANIFEST.
struct Difference {
  std::string path;  // output file name, or an input's absolute path
  std::string what;  // "missing", "changed (sha256 X, MANIFEST says Y)", "unexpected file", ...
  std::string role;  // an input's role ("cases", ...); empty for the bundle's own files
};

// "evidence.json: missing", "/data/cases.csv (input cases): changed (...)".
std::string FormatDifference(const Difference& difference);

// Re-hashes every output and input named in the MANIFEST, and lists files in
// the bundle that the MANIFEST does not name. Empty: intact. Order: outputs,
// then unexpected files (by name), then inputs. Errors are those of
// ReadManifest.
Result<std::vector<Difference>> VerifyBundle(const std::string& directory);

// The operating system, its release, the machine and the compiler assay was
// built with: "Linux 6.1.0-18-amd64 x86_64, GCC 12.2.0".
std::string PlatformDescription();

}  // namespace assay::evidence
