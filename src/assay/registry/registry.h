// Registry: the embedded SQLite database that remembers every protocol lock,
// study run and bundle verification, so a team sees every evaluation of every
// model version over time and can tell whether a run followed a protocol that
// was fixed (locked) before the results were seen.
//
// One Registry object is one connection; use it from one thread at a time.
// Several processes may open the same file at once: the database runs in WAL
// mode with a busy timeout, and every write is one BEGIN IMMEDIATE
// transaction that is retried while another writer holds the lock, so no row
// is lost. The schema is versioned by PRAGMA user_version and migrated in
// order on open. Layout and commands: docs/registry.md.
//
//   auto registry = registry::Registry::Open(registry::DefaultRegistryPath());
//   if (!registry.ok()) return registry.status();
//   auto lock = registry->FindLock(protocol_sha256);
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "assay/core/status.h"

struct sqlite3;

namespace assay::registry {

// $ASSAY_REGISTRY if set and non-empty, else $XDG_DATA_HOME/assay/registry.sqlite, else
// $HOME/.local/share/assay/registry.sqlite; with neither variable set,
// assay-registry.sqlite in the current directory.
std::string DefaultRegistryPath();

// A protocol fixed before its results were seen (pre-registration).
struct LockRecord {
  std::int64_t id = 0;
  std::string protocol_sha256;  // 64 hex
  std::string protocol_path;    // as given (absolute path preferred by callers)
  std::string title;            // protocol title, may be empty
  std::string locked_at;        // ISO 8601 UTC, e.g. 2026-12-03T21:00:00Z
};

struct EndpointVerdictRecord {
  std::string endpoint, verdict;  // verdict strings like "supported"
};

// One `assay run`: which model and protocol, what was concluded, where the evidence went.
struct RunRecord {
  std::int64_t id = 0;      // assigned by RecordRun
  std::string recorded_at;  // ISO 8601 UTC, given by caller
  std::string model_name, model_version;
  std::string model_sha256;  // may be empty
  std::string protocol_path, protocol_sha256;
  std::string locked_at;                         // empty when the protocol was not locked
  std::string purpose;                           // e.g. "local_acceptance"
  std::string overall_verdict;                   // "sufficient" | "contradicted" | "insufficient"
  std::vector<EndpointVerdictRecord> endpoints;  // in the order given
  std::string out_dir;                           // may be empty
  std::string evidence_sha256;                   // may be empty
  std::string assay_version, command_line;
};

// One check of an evidence bundle (hashes, and optionally a re-run).
struct VerificationRecord {
  std::int64_t id = 0;
  std::string verified_at;  // ISO 8601 UTC
  std::string bundle_dir;
  bool rerun = false;
  bool passed = false;
  std::size_t differences = 0;
};

namespace detail {
struct DatabaseCloser {
  void operator()(sqlite3* database) const;
};
}  // namespace detail

class Registry {
 public:
  // Schema versions, kept in PRAGMA user_version: 1 locks and runs with their endpoint
  // verdicts; 2 verifications.
  static constexpr int kSchemaVersion = 2;

  // Opens or creates the database at `path` (creating parent directories), enables WAL and a
  // busy timeout, and migrates an older schema to the current one inside one transaction.
  // Fails, naming the path, with kIoError when the file cannot be opened or created, and with
  // kInvalidInput when it is not an assay registry or is damaged, or was written by a newer
  // assay (schema N; this assay reads up to kSchemaVersion).
  static Result<Registry> Open(const std::string& path);

  Registry(Registry&&) noexcept = default;
  Registry& operator=(Registry&&) noexcept = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;
  ~Registry() = default;

  // Records that the protocol with this hash is locked from `now` on. Locking a hash that is
  // already locked changes nothing and returns the earliest lock.
  Result<LockRecord> Lock(const std::string& protocol_sha256, const std::string& protocol_path,
                          const std::string& title, const std::string& now);

  // The lock of this hash, or nullopt when it was never locked.
  Result<std::optional<LockRecord>> FindLock(const std::string& protocol_sha256);

  // Records a run with its endpoint verdicts (run.id is ignored); returns the new id.
  Result<std::int64_t> RecordRun(const RunRecord& run);

  // Records a verification (verification.id is ignored); returns the new id.
  Result<std::int64_t> RecordVerification(const VerificationRecord& verification);

  // Every run, oldest first, with its endpoint verdicts.
  Result<std::vector<RunRecord>> ListRuns();

  // The run with this id; kInvalidInput "no run N in PATH" when there is none.
  Result<RunRecord> FindRun(std::int64_t id);

  // Every verification, oldest first.
  Result<std::vector<VerificationRecord>> ListVerifications();

  const std::string& path() const { return path_; }

 private:
  Registry(std::string path, std::unique_ptr<sqlite3, detail::DatabaseCloser> database);

  std::string path_;
  std::unique_ptr<sqlite3, detail::DatabaseCloser> database_;
};

}  // namespace assay::registry
