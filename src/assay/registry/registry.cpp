#include "assay/registry/registry.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>

#include "assay/core/sha256.h"

namespace assay::registry {

void detail::DatabaseCloser::operator()(sqlite3* database) const { sqlite3_close_v2(database); }

namespace {

// The SQLite C API is wrapped by hand: no C++ SQLite wrapper is packaged in the Debian we build on.

constexpr std::int64_t kApplicationId = 0x41535359;  // "ASSY" in the database header
constexpr int kBusyTimeoutMs = 10000;                // how long one statement waits for a lock
constexpr int kWriteAttempts = 6;                    // whole transactions, each after a timeout

// kMigrations[v] takes the schema from version v to v + 1. Each step runs once, in order, inside
// the transaction that also sets PRAGMA user_version; published steps are never edited.
constexpr std::array<const char*, Registry::kSchemaVersion> kMigrations = {
    // 1: protocol locks, and runs with their endpoint verdicts.
    R"sql(
CREATE TABLE locks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  protocol_sha256 TEXT NOT NULL UNIQUE,
  protocol_path TEXT NOT NULL,
  title TEXT NOT NULL,
  locked_at TEXT NOT NULL
) STRICT;
CREATE TABLE runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  recorded_at TEXT NOT NULL,
  model_name TEXT NOT NULL,
  model_version TEXT NOT NULL,
  model_sha256 TEXT,
  protocol_path TEXT NOT NULL,
  protocol_sha256 TEXT NOT NULL,
  locked_at TEXT,
  purpose TEXT NOT NULL,
  overall_verdict TEXT NOT NULL,
  out_dir TEXT,
  evidence_sha256 TEXT,
  assay_version TEXT NOT NULL,
  command_line TEXT NOT NULL
) STRICT;
CREATE INDEX runs_by_model ON runs (model_name, model_version);
CREATE TABLE run_endpoints (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  endpoint TEXT NOT NULL,
  verdict TEXT NOT NULL,
  PRIMARY KEY (run_id, position)
) STRICT, WITHOUT ROWID;
)sql",
    // 2: verifications of evidence bundles.
    R"sql(
CREATE TABLE verifications (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  verified_at TEXT NOT NULL,
  bundle_dir TEXT NOT NULL,
  rerun INTEGER NOT NULL CHECK (rerun IN (0, 1)),
  passed INTEGER NOT NULL CHECK (passed IN (0, 1)),
  differences INTEGER NOT NULL CHECK (differences >= 0)
) STRICT;
)sql",
};

bool IsBusy(int code) {
  const int primary = code & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

// A failed SQLite call as a Status naming the registry and what was being done.
Status DatabaseError(sqlite3* database, int code, const std::string& path, std::string_view doing) {
  const int primary = code & 0xff;
  if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT) {
    return InvalidInput(
        fmt::format("{} is not an assay registry or is damaged ({})", path, sqlite3_errstr(code)));
  }
  const char* detail = database != nullptr ? sqlite3_errmsg(database) : sqlite3_errstr(code);
  if (IsBusy(code)) {
    return IoError(
        fmt::format("registry {}: {}: {} (other processes kept it locked)", path, doing, detail));
  }
  return IoError(fmt::format("registry {}: {}: {}", path, doing, detail));
}

Status NewerSchemaError(const std::string& path, std::int64_t version) {
  return InvalidInput(
      fmt::format("{} was written by a newer assay (schema {}; this assay reads up to {})", path,
                  version, Registry::kSchemaVersion));
}

struct StatementFinalizer {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};

// One prepared statement: parameters bound in order, then stepped row by row.
class Statement {
 public:
  static Result<Statement> Prepare(sqlite3* database, const std::string& path, std::string_view sql,
                                   std::string_view doing) {
    sqlite3_stmt* raw = nullptr;
    const int code =
        sqlite3_prepare_v2(database, sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
    Statement statement(database, path, std::string(doing), raw);
    if (code != SQLITE_OK) return DatabaseError(database, code, path, doing);
    return statement;
  }

  Statement& BindText(std::string_view text) {
    Check(sqlite3_bind_text(handle_.get(), next_++, text.data(), static_cast<int>(text.size()),
                            SQLITE_TRANSIENT));
    return *this;
  }
  // Binds NULL for an empty text.
  Statement& BindOptionalText(std::string_view text) {
    if (!text.empty()) return BindText(text);
    Check(sqlite3_bind_null(handle_.get(), next_++));
    return *this;
  }
  Statement& BindInteger(std::int64_t value) {
    Check(sqlite3_bind_int64(handle_.get(), next_++, value));
    return *this;
  }

  // True with a row to read, false when the statement is done.
  Result<bool> Step() {
    if (!bind_status_.ok()) return bind_status_;
    const int code = sqlite3_step(handle_.get());
    if (code == SQLITE_ROW) return true;
    if (code == SQLITE_DONE) return false;
    return DatabaseError(database_, code, *path_, doing_);
  }
  // Steps to the end, ignoring rows.
  Status Run() {
    while (true) {
      auto row = Step();
      if (!row.ok()) return row.status();
      if (!*row) return Status::Ok();
    }
  }

  // NULL reads as empty.
  std::string Text(int column) const {
    const auto* text = sqlite3_column_text(handle_.get(), column);
    if (text == nullptr) return {};
    return std::string(reinterpret_cast<const char*>(text),
                       static_cast<std::size_t>(sqlite3_column_bytes(handle_.get(), column)));
  }
  std::int64_t Integer(int column) const { return sqlite3_column_int64(handle_.get(), column); }

 private:
  Statement(sqlite3* database, const std::string& path, std::string doing, sqlite3_stmt* raw)
      : database_(database), path_(&path), doing_(std::move(doing)), handle_(raw) {}

  void Check(int code) {
    if (code != SQLITE_OK && bind_status_.ok()) {
      bind_status_ = DatabaseError(database_, code, *path_, doing_);
    }
  }

  sqlite3* database_;
  const std::string* path_;
  std::string doing_;
  std::unique_ptr<sqlite3_stmt, StatementFinalizer> handle_;
  int next_ = 1;
  Status bind_status_;
};

// The single integer a query such as "PRAGMA user_version" returns.
Result<std::int64_t> QueryInteger(sqlite3* database, const std::string& path, const char* sql,
                                  std::string_view doing) {
  auto statement = Statement::Prepare(database, path, sql, doing);
  if (!statement.ok()) return statement.status();
  auto row = statement->Step();
  if (!row.ok()) return row.status();
  if (!*row) return IoError(fmt::format("registry {}: {}: no result", path, doing));
  return statement->Integer(0);
}

Status Execute(sqlite3* database, const std::string& path, const std::string& sql,
               std::string_view doing) {
  const int code = sqlite3_exec(database, sql.c_str(), nullptr, nullptr, nullptr);
  return code == SQLITE_OK ? Status::Ok() : DatabaseError(database, code, path, doing);
}

// Runs `body` inside BEGIN IMMEDIATE ... COMMIT. The write lock is taken up front, so the body
// never meets a lock it cannot wait for; a transaction that still finds the database busy after
// the busy timeout is rolled back and tried again, so a write is lost only after all attempts.
Status WriteTransaction(sqlite3* database, const std::string& path, std::string_view doing,
                        const std::function<Status()>& body) {
  for (int attempt = 1;; ++attempt) {
    int code = sqlite3_exec(database, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    if (code == SQLITE_OK) {
      Status status = body();
      if (status.ok()) {
        code = sqlite3_exec(database, "COMMIT", nullptr, nullptr, nullptr);
        if (code == SQLITE_OK) return Status::Ok();
        status = DatabaseError(database, code, path, doing);
      } else {
        code = sqlite3_extended_errcode(database);
      }
      sqlite3_exec(database, "ROLLBACK", nullptr, nullptr, nullptr);
      if (!IsBusy(code) || attempt == kWriteAttempts) return status;
    } else if (!IsBusy(code) || attempt == kWriteAttempts) {
      return DatabaseError(database, code, path, doing);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10 * attempt));
  }
}

// Refuses a database that belongs to another program or to a newer assay, before writing to it.
// The three header values are read in one statement, hence from one snapshot: another process
// may be creating the schema meanwhile.
Status CheckIdentity(sqlite3* database, const std::string& path) {
  auto header = Statement::Prepare(database, path,
                                   "SELECT (SELECT application_id FROM pragma_application_id), "
                                   "(SELECT user_version FROM pragma_user_version), "
                                   "(SELECT count(*) FROM sqlite_schema)",
                                   "reading the header");
  if (!header.ok()) return header.status();
  auto row = header->Step();
  if (!row.ok()) return row.status();
  const std::int64_t application_id = header->Integer(0);
  const std::int64_t version = header->Integer(1);
  const std::int64_t objects = header->Integer(2);

  const bool empty = application_id == 0 && version == 0 && objects == 0;
  if (application_id != kApplicationId && !empty) {
    return InvalidInput(fmt::format(
        "{} is not an assay registry or is damaged (it is a SQLite database of another program)",
        path));
  }
  if (version > Registry::kSchemaVersion) return NewerSchemaError(path, version);
  return Status::Ok();
}

// WAL lets readers run beside one writer; it needs a local file system.
Status EnableWal(sqlite3* database, const std::string& path) {
  constexpr std::string_view kDoing = "switching to WAL mode";
  for (int attempt = 1;; ++attempt) {
    auto statement = Statement::Prepare(database, path, "PRAGMA journal_mode = WAL", kDoing);
    auto row = statement.ok() ? statement->Step() : Result<bool>(statement.status());
    if (row.ok()) {
      const std::string mode = *row ? statement->Text(0) : "";
      if (mode == "wal") return Status::Ok();
      return IoError(fmt::format(
          "registry {}: SQLite cannot use WAL mode here (journal mode stays '{}'); put the "
          "registry on a local file system",
          path, mode));
    }
    if (!IsBusy(sqlite3_extended_errcode(database)) || attempt == kWriteAttempts) {
      return row.status();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10 * attempt));
  }
}

// Applies the migrations the database lacks, all in one transaction. The version is read again
// under the write lock, since another process may have migrated the file meanwhile.
Status Migrate(sqlite3* database, const std::string& path) {
  constexpr std::string_view kDoing = "migrating the schema";
  return WriteTransaction(database, path, kDoing, [&]() -> Status {
    auto version = QueryInteger(database, path, "PRAGMA user_version", kDoing);
    if (!version.ok()) return version.status();
    if (*version > Registry::kSchemaVersion) return NewerSchemaError(path, *version);
    if (*version == Registry::kSchemaVersion) return Status::Ok();

    for (auto step = static_cast<std::size_t>(*version); step < kMigrations.size(); ++step) {
      ASSAY_RETURN_IF_ERROR(Execute(database, path, kMigrations[step],
                                    fmt::format("migrating to schema {}", step + 1)));
    }
    return Execute(database, path,
                   fmt::format("PRAGMA application_id = {}; PRAGMA user_version = {};",
                               kApplicationId, Registry::kSchemaVersion),
                   kDoing);
  });
}

constexpr const char* kLockColumns = "id, protocol_sha256, protocol_path, title, locked_at";

LockRecord LockFromRow(const Statement& row) {
  return LockRecord{row.Integer(0), row.Text(1), row.Text(2), row.Text(3), row.Text(4)};
}

constexpr const char* kRunColumns =
    "id, recorded_at, model_name, model_version, model_sha256, protocol_path, protocol_sha256, "
    "locked_at, purpose, overall_verdict, out_dir, evidence_sha256, assay_version, command_line";

RunRecord RunFromRow(const Statement& row) {
  RunRecord run;
  run.id = row.Integer(0);
  run.recorded_at = row.Text(1);
  run.model_name = row.Text(2);
  run.model_version = row.Text(3);
  run.model_sha256 = row.Text(4);
  run.protocol_path = row.Text(5);
  run.protocol_sha256 = row.Text(6);
  run.locked_at = row.Text(7);
  run.purpose = row.Text(8);
  run.overall_verdict = row.Text(9);
  run.out_dir = row.Text(10);
  run.evidence_sha256 = row.Text(11);
  run.assay_version = row.Text(12);
  run.command_line = row.Text(13);
  return run;
}

// Reads every row of `statement` through `read`.
template <typename Read>
Status ForEachRow(Statement& statement, const Read& read) {
  while (true) {
    auto row = statement.Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
    read(statement);
  }
}

}  // namespace

std::string DefaultRegistryPath() {
  const auto variable = [](const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr ? std::string(value) : std::string();
  };
  if (auto explicit_path = variable("ASSAY_REGISTRY"); !explicit_path.empty()) {
    return explicit_path;
  }
  if (auto data_home = variable("XDG_DATA_HOME"); !data_home.empty()) {
    return (std::filesystem::path(data_home) / "assay" / "registry.sqlite").string();
  }
  if (auto home = variable("HOME"); !home.empty()) {
    return (std::filesystem::path(home) / ".local" / "share" / "assay" / "registry.sqlite")
        .string();
  }
  return "assay-registry.sqlite";
}

Registry::Registry(std::string path, std::unique_ptr<sqlite3, detail::DatabaseCloser> database)
    : path_(std::move(path)), database_(std::move(database)) {}

Result<Registry> Registry::Open(const std::string& path) {
  if (path.empty()) return InvalidInput("the registry path is empty");
  const auto folder = std::filesystem::path(path).parent_path();
  std::error_code error;
  if (!folder.empty()) std::filesystem::create_directories(folder, error);
  if (error) {
    return IoError(fmt::format("registry {}: cannot create the folder {}: {}", path,
                               folder.string(), error.message()));
  }

  sqlite3* raw = nullptr;
  const int code =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  std::unique_ptr<sqlite3, detail::DatabaseCloser> database(raw);
  if (code != SQLITE_OK) return DatabaseError(raw, code, path, "opening");
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);

  ASSAY_RETURN_IF_ERROR(CheckIdentity(raw, path));
  ASSAY_RETURN_IF_ERROR(EnableWal(raw, path));
  ASSAY_RETURN_IF_ERROR(Migrate(raw, path));
  ASSAY_RETURN_IF_ERROR(Execute(raw, path, "PRAGMA foreign_keys = ON", "opening"));
  return Registry(path, std::move(database));
}

Result<LockRecord> Registry::Lock(const std::string& protocol_sha256,
                                  const std::string& protocol_path, const std::string& title,
                                  const std::string& now) {
  if (!IsSha256Hex(protocol_sha256)) {
    return InvalidInput(fmt::format("cannot lock '{}': not a SHA-256 digest", protocol_sha256));
  }
  constexpr std::string_view kDoing = "locking a protocol";
  sqlite3* database = database_.get();
  Status written = WriteTransaction(database, path_, kDoing, [&]() -> Status {
    auto insert = Statement::Prepare(
        database, path_,
        "INSERT INTO locks (protocol_sha256, protocol_path, title, locked_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (protocol_sha256) DO NOTHING",
        kDoing);
    if (!insert.ok()) return insert.status();
    return insert->BindText(protocol_sha256)
        .BindText(protocol_path)
        .BindText(title)
        .BindText(now)
        .Run();
  });
  if (!written.ok()) return written;

  auto lock = FindLock(protocol_sha256);
  if (!lock.ok()) return lock.status();
  if (!lock->has_value()) {
    return IoError(fmt::format("registry {}: the lock of {} was not kept", path_, protocol_sha256));
  }
  return **lock;
}

Result<std::optional<LockRecord>> Registry::FindLock(const std::string& protocol_sha256) {
  auto query = Statement::Prepare(
      database_.get(), path_,
      fmt::format("SELECT {} FROM locks WHERE protocol_sha256 = ? ORDER BY id LIMIT 1",
                  kLockColumns),
      "looking up a lock");
  if (!query.ok()) return query.status();
  query->BindText(protocol_sha256);
  auto row = query->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<LockRecord>();
  return std::optional<LockRecord>(LockFromRow(*query));
}

Result<std::int64_t> Registry::RecordRun(const RunRecord& run) {
  constexpr std::string_view kDoing = "recording a run";
  sqlite3* database = database_.get();
  std::int64_t id = 0;
  Status written = WriteTransaction(database, path_, kDoing, [&]() -> Status {
    auto insert = Statement::Prepare(
        database, path_,
        "INSERT INTO runs (recorded_at, model_name, model_version, model_sha256, protocol_path, "
        "protocol_sha256, locked_at, purpose, overall_verdict, out_dir, evidence_sha256, "
        "assay_version, command_line) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        kDoing);
    if (!insert.ok()) return insert.status();
    ASSAY_RETURN_IF_ERROR(insert->BindText(run.recorded_at)
                              .BindText(run.model_name)
                              .BindText(run.model_version)
                              .BindOptionalText(run.model_sha256)
                              .BindText(run.protocol_path)
                              .BindText(run.protocol_sha256)
                              .BindOptionalText(run.locked_at)
                              .BindText(run.purpose)
                              .BindText(run.overall_verdict)
                              .BindOptionalText(run.out_dir)
                              .BindOptionalText(run.evidence_sha256)
                              .BindText(run.assay_version)
                              .BindText(run.command_line)
                              .Run());
    id = sqlite3_last_insert_rowid(database);

    std::int64_t position = 0;
    for (const auto& endpoint : run.endpoints) {
      auto verdict = Statement::Prepare(
          database, path_,
          "INSERT INTO run_endpoints (run_id, position, endpoint, verdict) VALUES (?, ?, ?, ?)",
          kDoing);
      if (!verdict.ok()) return verdict.status();
      ASSAY_RETURN_IF_ERROR(verdict->BindInteger(id)
                                .BindInteger(position++)
                                .BindText(endpoint.endpoint)
                                .BindText(endpoint.verdict)
                                .Run());
    }
    return Status::Ok();
  });
  if (!written.ok()) return written;
  return id;
}

Result<std::int64_t> Registry::RecordVerification(const VerificationRecord& verification) {
  constexpr std::string_view kDoing = "recording a verification";
  sqlite3* database = database_.get();
  std::int64_t id = 0;
  Status written = WriteTransaction(database, path_, kDoing, [&]() -> Status {
    auto insert = Statement::Prepare(
        database, path_,
        "INSERT INTO verifications (verified_at, bundle_dir, rerun, passed, differences) "
        "VALUES (?, ?, ?, ?, ?)",
        kDoing);
    if (!insert.ok()) return insert.status();
    ASSAY_RETURN_IF_ERROR(insert->BindText(verification.verified_at)
                              .BindText(verification.bundle_dir)
                              .BindInteger(verification.rerun ? 1 : 0)
                              .BindInteger(verification.passed ? 1 : 0)
                              .BindInteger(static_cast<std::int64_t>(verification.differences))
                              .Run());
    id = sqlite3_last_insert_rowid(database);
    return Status::Ok();
  });
  if (!written.ok()) return written;
  return id;
}

Result<std::vector<RunRecord>> Registry::ListRuns() {
  constexpr std::string_view kDoing = "listing runs";
  auto runs_query = Statement::Prepare(
      database_.get(), path_, fmt::format("SELECT {} FROM runs ORDER BY id", kRunColumns), kDoing);
  if (!runs_query.ok()) return runs_query.status();
  std::vector<RunRecord> runs;
  std::unordered_map<std::int64_t, std::size_t> index_of_id;
  ASSAY_RETURN_IF_ERROR(ForEachRow(*runs_query, [&](const Statement& row) {
    index_of_id[row.Integer(0)] = runs.size();
    runs.push_back(RunFromRow(row));
  }));

  // A run and its verdicts are written in one transaction, so every listed run finds all of
  // its verdicts here; verdicts of runs recorded after the first query are skipped.
  auto verdicts_query = Statement::Prepare(
      database_.get(), path_,
      "SELECT run_id, endpoint, verdict FROM run_endpoints ORDER BY run_id, position", kDoing);
  if (!verdicts_query.ok()) return verdicts_query.status();
  ASSAY_RETURN_IF_ERROR(ForEachRow(*verdicts_query, [&](const Statement& row) {
    const auto found = index_of_id.find(row.Integer(0));
    if (found == index_of_id.end()) return;
    runs[found->second].endpoints.push_back({row.Text(1), row.Text(2)});
  }));
  return runs;
}

Result<RunRecord> Registry::FindRun(std::int64_t id) {
  constexpr std::string_view kDoing = "looking up a run";
  auto run_query = Statement::Prepare(
      database_.get(), path_, fmt::format("SELECT {} FROM runs WHERE id = ?", kRunColumns), kDoing);
  if (!run_query.ok()) return run_query.status();
  run_query->BindInteger(id);
  auto row = run_query->Step();
  if (!row.ok()) return row.status();
  if (!*row) return InvalidInput(fmt::format("no run {} in {}", id, path_));
  RunRecord run = RunFromRow(*run_query);

  auto verdicts_query = Statement::Prepare(
      database_.get(), path_,
      "SELECT endpoint, verdict FROM run_endpoints WHERE run_id = ? ORDER BY position", kDoing);
  if (!verdicts_query.ok()) return verdicts_query.status();
  verdicts_query->BindInteger(id);
  ASSAY_RETURN_IF_ERROR(ForEachRow(*verdicts_query, [&](const Statement& verdict) {
    run.endpoints.push_back({verdict.Text(0), verdict.Text(1)});
  }));
  return run;
}

Result<std::vector<VerificationRecord>> Registry::ListVerifications() {
  auto query = Statement::Prepare(
      database_.get(), path_,
      "SELECT id, verified_at, bundle_dir, rerun, passed, differences FROM verifications "
      "ORDER BY id",
      "listing verifications");
  if (!query.ok()) return query.status();
  std::vector<VerificationRecord> verifications;
  ASSAY_RETURN_IF_ERROR(ForEachRow(*query, [&](const Statement& row) {
    verifications.push_back({row.Integer(0), row.Text(1), row.Text(2), row.Integer(3) != 0,
                             row.Integer(4) != 0, static_cast<std::size_t>(row.Integer(5))});
  }));
  return verifications;
}

}  // namespace assay::registry
