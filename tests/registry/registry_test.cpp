#include "assay/registry/registry.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "assay/core/sha256.h"
#include "test_files.h"

namespace assay::registry {
namespace {

using assay::testing::TemporaryDirectory;

// Runs SQL on the file directly, as another program or an older assay would.
void ExecuteRaw(const std::string& path, const std::string& sql) {
  sqlite3* database = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &database), SQLITE_OK);
  char* error = nullptr;
  const int code = sqlite3_exec(database, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(database);
  ASSERT_EQ(code, SQLITE_OK) << message;
}

// The first column of the first row of `sql`, as text.
std::string QueryRaw(const std::string& path, const std::string& sql) {
  sqlite3* database = nullptr;
  if (sqlite3_open(path.c_str(), &database) != SQLITE_OK) return "open failed";
  sqlite3_stmt* statement = nullptr;
  std::string value = "query failed";
  if (sqlite3_prepare_v2(database, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
      sqlite3_step(statement) == SQLITE_ROW) {
    value = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
  }
  sqlite3_finalize(statement);
  sqlite3_close(database);
  return value;
}

RunRecord ExampleRun(const std::string& model_version) {
  RunRecord run;
  run.recorded_at = "2026-12-03T21:00:00Z";
  run.model_name = "ChestTriage";
  run.model_version = model_version;
  run.model_sha256 = Sha256("weights " + model_version);
  run.protocol_path = "/studies/triage_protocol.toml";
  run.protocol_sha256 = Sha256("protocol");
  run.locked_at = "2026-12-01T08:30:00Z";
  run.purpose = "local_acceptance";
  run.overall_verdict = "sufficient";
  run.endpoints = {{"sensitivity_at_lock", "supported"}, {"specificity_at_lock", "inconclusive"}};
  run.out_dir = "/studies/out 'quoted' é";
  run.evidence_sha256 = Sha256("evidence");
  run.assay_version = "0.1.0";
  run.command_line = "assay run /studies/triage_protocol.toml --out /studies/out";
  return run;
}

void ExpectSameRun(const RunRecord& actual, const RunRecord& expected) {
  EXPECT_EQ(actual.recorded_at, expected.recorded_at);
  EXPECT_EQ(actual.model_name, expected.model_name);
  EXPECT_EQ(actual.model_version, expected.model_version);
  EXPECT_EQ(actual.model_sha256, expected.model_sha256);
  EXPECT_EQ(actual.protocol_path, expected.protocol_path);
  EXPECT_EQ(actual.protocol_sha256, expected.protocol_sha256);
  EXPECT_EQ(actual.locked_at, expected.locked_at);
  EXPECT_EQ(actual.purpose, expected.purpose);
  EXPECT_EQ(actual.overall_verdict, expected.overall_verdict);
  ASSERT_EQ(actual.endpoints.size(), expected.endpoints.size());
  for (std::size_t i = 0; i < expected.endpoints.size(); ++i) {
    EXPECT_EQ(actual.endpoints[i].endpoint, expected.endpoints[i].endpoint);
    EXPECT_EQ(actual.endpoints[i].verdict, expected.endpoints[i].verdict);
  }
  EXPECT_EQ(actual.out_dir, expected.out_dir);
  EXPECT_EQ(actual.evidence_sha256, expected.evidence_sha256);
  EXPECT_EQ(actual.assay_version, expected.assay_version);
  EXPECT_EQ(actual.command_line, expected.command_line);
}

void ExpectOpenFails(const std::string& path, const std::string& message) {
  auto registry = Registry::Open(path);
  ASSERT_FALSE(registry.ok());
  EXPECT_EQ(registry.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(registry.status().message().find(path), std::string::npos)
      << registry.status().message();
  EXPECT_NE(registry.status().message().find(message), std::string::npos)
      << registry.status().message();
}

TEST(Registry, OpenCreatesFoldersAndFileInWalModeAtCurrentSchema) {
  TemporaryDirectory directory;
  const std::string path = directory.Path("nested/folder/registry.sqlite");
  auto registry = Registry::Open(path);
  ASSERT_TRUE(registry.ok()) << registry.status().message();
  EXPECT_EQ(registry->path(), path);
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_EQ(QueryRaw(path, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(QueryRaw(path, "PRAGMA user_version"), std::to_string(Registry::kSchemaVersion));
}

TEST(Registry, LockingTwiceKeepsTheEarliestLock) {
  TemporaryDirectory directory;
  auto registry = Registry::Open(directory.Path("registry.sqlite"));
  ASSERT_TRUE(registry.ok()) << registry.status().message();
  const std::string hash = Sha256("protocol text");

  auto first = registry->Lock(hash, "/a/protocol.toml", "Triage study", "2026-12-03T21:00:00Z");
  ASSERT_TRUE(first.ok()) << first.status().message();
  auto second = registry->Lock(hash, "/b/copy.toml", "Other title", "2027-01-01T00:00:00Z");
  ASSERT_TRUE(second.ok()) << second.status().message();

  EXPECT_EQ(second->id, first->id);
  EXPECT_EQ(second->protocol_sha256, hash);
  EXPECT_EQ(second->protocol_path, "/a/protocol.toml");
  EXPECT_EQ(second->title, "Triage study");
  EXPECT_EQ(second->locked_at, "2026-12-03T21:00:00Z");
  auto found = registry->FindLock(hash);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->locked_at, "2026-12-03T21:00:00Z");
}

TEST(Registry, UnknownHashHasNoLockAndAMalformedHashIsRefused) {
  TemporaryDirectory directory;
  auto registry = Registry::Open(directory.Path("registry.sqlite"));
  ASSERT_TRUE(registry.ok()) << registry.status().message();
  auto found = registry->FindLock(Sha256("never locked"));
  ASSERT_TRUE(found.ok()) << found.status().message();
  EXPECT_FALSE(found->has_value());

  auto bad = registry->Lock("ABC", "/p.toml", "", "2026-12-03T21:00:00Z");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidInput);
}

TEST(Registry, RunsRoundTripEveryFieldOldestFirst) {
  TemporaryDirectory directory;
  const std::string path = directory.Path("registry.sqlite");
  RunRecord full = ExampleRun("2.1.0");
  RunRecord sparse = ExampleRun("2.2.0");
  sparse.model_sha256 = sparse.locked_at = sparse.out_dir = sparse.evidence_sha256 = "";
  sparse.endpoints.clear();
  sparse.overall_verdict = "insufficient";
  std::int64_t full_id = 0;
  {
    auto registry = Registry::Open(path);
    ASSERT_TRUE(registry.ok()) << registry.status().message();
    auto id = registry->RecordRun(full);
    ASSERT_TRUE(id.ok()) << id.status().message();
    full_id = *id;
    ASSERT_TRUE(registry->RecordRun(sparse).ok());
  }

  // Reopened: the rows were committed to the file.
  auto registry = Registry::Open(path);
  ASSERT_TRUE(registry.ok()) << registry.status().message();
  auto runs = registry->ListRuns();
  ASSERT_TRUE(runs.ok()) << runs.status().message();
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].id, full_id);
  EXPECT_GT((*runs)[1].id, full_id);
  ExpectSameRun((*runs)[0], full);
  ExpectSameRun((*runs)[1], sparse);

  auto found = registry->FindRun(full_id);
  ASSERT_TRUE(found.ok()) << found.status().message();
  EXPECT_EQ(found->id, full_id);
  ExpectSameRun(*found, full);
}

TEST(Registry, UnknownRunIdNamesTheIdAndTheRegistry) {
  TemporaryDirectory directory;
  const std::string path = directory.Path("registry.sqlite");
  auto registry = Registry::Open(path);
  ASSERT_TRUE(registry.ok()) << registry.status().message();
  auto run = registry->FindRun(99);
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(run.status().message(), "no run 99 in " + path);
}

TEST(Registry, VerificationsRoundTrip) {
  TemporaryDirectory directory;
  auto registry = Registry::Open(directory.Path("registry.sqlite"));
  ASSERT_TRUE(registry.ok()) << registry.status().message();
  ASSERT_TRUE(
      registry->RecordVerification({0, "2026-12-04T10:00:00Z", "/out/a", false, true, 0}).ok());
  auto id = registry->RecordVerification({0, "2026-12-05T10:00:00Z", "/out/b", true, false, 7});
  ASSERT_TRUE(id.ok()) << id.status().message();

  auto verifications = registry->ListVerifications();
  ASSERT_TRUE(verifications.ok()) << verifications.status().message();
  ASSERT_EQ(verifications->size(), 2u);
  const auto& second = (*verifications)[1];
  EXPECT_EQ(second.id, *id);
  EXPECT_EQ(second.verified_at, "2026-12-05T10:00:00Z");
  EXPECT_EQ(second.bundle_dir, "/out/b");
  EXPECT_TRUE(second.rerun);
  EXPECT_FALSE(second.passed);
  EXPECT_EQ(second.differences, 7u);
  EXPECT_TRUE((*verifications)[0].passed);
  EXPECT_FALSE((*verifications)[0].rerun);
}

TEST(Registry, DefaultPathFollowsTheEnvironment) {
  const auto saved = [](const char* name) -> std::optional<std::string> {
    const char* value = std::getenv(name);
    return value != nullptr ? std::optional<std::string>(value) : std::nullopt;
  };
  const auto registry = saved("ASSAY_REGISTRY"), data_home = saved("XDG_DATA_HOME"),
             home = saved("HOME");

  setenv("HOME", "/home/reader", 1);
  unsetenv("XDG_DATA_HOME");
  setenv("ASSAY_REGISTRY", "", 1);
  EXPECT_EQ(DefaultRegistryPath(), "/home/reader/.local/share/assay/registry.sqlite");
  setenv("XDG_DATA_HOME", "/data", 1);
  EXPECT_EQ(DefaultRegistryPath(), "/data/assay/registry.sqlite");
  setenv("ASSAY_REGISTRY", "/team/registry.sqlite", 1);
  EXPECT_EQ(DefaultRegistryPath(), "/team/registry.sqlite");

  for (const auto& [name, value] :
       {std::pair{"ASSAY_REGISTRY", registry}, std::pair{"XDG_DATA_HOME", data_home},
        std::pair{"HOME", home}}) {
    if (value) {
      setenv(name, value->c_str(), 1);
    } else {
      unsetenv(name);
    }
  }
}

// One child process: opens the registry itself and records 50 runs, a shared and an own lock,
// and a verification. Returns 0 on success, else the number of the failed step.
int WriteFromChild(const std::string& path, int child) {
  auto registry = Registry::Open(path);
  if (!registry.ok()) {
    std::fprintf(stderr, "child %d: %s\n", child, registry.status().message().c_str());
    return 10;
  }
  if (!registry->Lock(Sha256("shared protocol"), "/shared.toml", "", "2026-01-01T00:00:00Z").ok()) {
    return 11;
  }
  for (int i = 0; i < 50; ++i) {
    RunRecord run = ExampleRun(std::to_string(i));
    run.model_name = "child-" + std::to_string(child);
    run.endpoints.push_back({"run-" + std::to_string(i), "supported"});
    if (!registry->RecordRun(run).ok()) return 12;
  }
  const std::string own = Sha256("protocol of child " + std::to_string(child));
  if (!registry->Lock(own, "/own.toml", "", "2026-01-01T00:00:00Z").ok()) return 13;
  if (!registry->RecordVerification({0, "2026-01-01T00:00:00Z", "/out", false, true, 0}).ok()) {
    return 14;
  }
  return 0;
}

TEST(RegistryConcurrency, SeveralProcessesWritingAtOnceLoseNoRow) {
  TemporaryDirectory directory;
  const std::string path = directory.Path("registry.sqlite");
  constexpr int kChildren = 6;

  // The children also race to create the file and its schema.
  std::vector<pid_t> children;
  for (int child = 0; child < kChildren; ++child) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) _exit(WriteFromChild(path, child));
    children.push_back(pid);
  }
  for (const pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "child " << pid << " failed";
  }

  auto registry = Registry::Open(path);
  ASSERT_TRUE(registry.ok()) << registry.status().message();
  auto runs = registry->ListRuns();
  ASSERT_TRUE(runs.ok()) << runs.status().message();
  ASSERT_EQ(runs->size(), 300u);
  std::set<std::int64_t> ids;
  std::map<std::string, std::set<std::string>> versions_by_model;
  for (const auto& run : *runs) {
    ids.insert(run.id);
    versions_by_model[run.model_name].insert(run.model_version);
    RunRecord expected = ExampleRun(run.model_version);
    expected.model_name = run.model_name;
    expected.endpoints.push_back({"run-" + run.model_version, "supported"});
    ExpectSameRun(run, expected);
  }
  EXPECT_EQ(ids.size(), 300u);
  ASSERT_EQ(versions_by_model.size(), static_cast<std::size_t>(kChildren));
  for (const auto& [model, versions] : versions_by_model) EXPECT_EQ(versions.size(), 50u) << model;
  for (int child = 0; child < kChildren; ++child) {
    auto lock = registry->FindLock(Sha256("protocol of child " + std::to_string(child)));
    ASSERT_TRUE(lock.ok());
    EXPECT_TRUE(lock->has_value()) << "child " << child;
  }
  EXPECT_EQ(QueryRaw(path, "SELECT count(*) FROM locks"), std::to_string(kChildren + 1));
  auto verifications = registry->ListVerifications();
  ASSERT_TRUE(verifications.ok());
  EXPECT_EQ(verifications->size(), static_cast<std::size_t>(kChildren));
}

TEST(RegistryDamage, RandomBytesAreNotARegistry) {
  TemporaryDirectory directory;
  std::mt19937 generator(20240101);
  std::string bytes;
  for (int i = 0; i < 8192; ++i) bytes.push_back(static_cast<char>(generator() & 0xFF));
  ExpectOpenFails(directory.Write("random.sqlite", bytes),
                  "is not an assay registry or is damaged");
}

TEST(RegistryDamage, SqliteHeaderFollowedByGarbageIsDamaged) {
  TemporaryDirectory directory;
  std::string bytes("SQLite format 3", 16);
  bytes += std::string(4080, '\x5a');
  ExpectOpenFails(directory.Write("garbage.sqlite", bytes),
                  "is not an assay registry or is damaged");
}

TEST(RegistryDamage, TruncatedRegistryIsDamagedNotACrash) {
  TemporaryDirectory directory;
  const std::string path = directory.Path("registry.sqlite");
  {
    auto registry = Registry::Open(path);
    ASSERT_TRUE(registry.ok()) << registry.status().message();
    for (int i = 0; i < 200; ++i) ASSERT_TRUE(registry->RecordRun(ExampleRun("1.0")).ok());
  }  // closing the last connection checkpoints the WAL into the file
  ASSERT_GT(std::filesystem::file_size(path), 40000u);
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 3 + 100);

  // Damage may show on opening or on reading the lost pages; either way as a clear error.
  auto registry = Registry::Open(path);
  Status status = registry.status();
  if (registry.ok()) status = registry->ListRuns().status();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kInvalidInput);
  EXPECT_NE(status.message().find(path + " is not an assay registry or is damaged"),
            std::string::npos)
      << status.message();
}

TEST(RegistryDamage, DatabaseOfAnotherProgramIsRefused) {
  TemporaryDirectory directory;
  const std::string path = directory.Path("other.sqlite");
  ExecuteRaw(path, "CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)");
  ExpectOpenFails(path, "is not an assay registry");
  EXPECT_EQ(QueryRaw(path, "SELECT count(*) FROM sqlite_schema"), "1");  // left untouched
}

TEST(RegistryDamage, NewerSchemaIsRefusedClearly) {
  TemporaryDirectory directory;
  const std::string path = directory.Path("registry.sqlite");
  ASSERT_TRUE(Registry::Open(path).ok());
  const int newer = Registry::kSchemaVersion + 1;
  ExecuteRaw(path, "PRAGMA user_version = " + std::to_string(newer));
  ExpectOpenFails(path, "was written by a newer assay (schema " + std::to_string(newer) +
                            "; this assay reads up to " + std::to_string(Registry::kSchemaVersion) +
                            ")");
}

TEST(RegistryMigration, EmptyFileBecomesARegistry) {
  TemporaryDirectory directory;
  const std::string path = directory.Write("empty.sqlite", "");
  auto registry = Registry::Open(path);
  ASSERT_TRUE(registry.ok()) << registry.status().message();
  EXPECT_EQ(QueryRaw(path, "PRAGMA user_version"), std::to_string(Registry::kSchemaVersion));
}

// Schema 1 as the first assay release wrote it (frozen copy: locks, runs, endpoint verdicts).
constexpr const char* kSchemaOne = R"sql(
CREATE TABLE locks (id INTEGER PRIMARY KEY AUTOINCREMENT, protocol_sha256 TEXT NOT NULL UNIQUE,
  protocol_path TEXT NOT NULL, title TEXT NOT NULL, locked_at TEXT NOT NULL) STRICT;
CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, recorded_at TEXT NOT NULL,
  model_name TEXT NOT NULL, model_version TEXT NOT NULL, model_sha256 TEXT,
  protocol_path TEXT NOT NULL, protocol_sha256 TEXT NOT NULL, locked_at TEXT,
  purpose TEXT NOT NULL, overall_verdict TEXT NOT NULL, out_dir TEXT, evidence_sha256 TEXT,
  assay_version TEXT NOT NULL, command_line TEXT NOT NULL) STRICT;
CREATE INDEX runs_by_model ON runs (model_name, model_version);
CREATE TABLE run_endpoints (run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  position INTEGER NOT NULL, endpoint TEXT NOT NULL, verdict TEXT NOT NULL,
  PRIMARY KEY (run_id, position)) STRICT, WITHOUT ROWID;
INSERT INTO runs VALUES (7, '2025-05-05T05:05:05Z', 'OldModel', '1.0', NULL, '/p.toml',
  'aa', NULL, 'change_control', 'contradicted', NULL, NULL, '0.0.9', 'assay run /p.toml');
INSERT INTO run_endpoints VALUES (7, 0, 'auc_goal', 'not_supported');
PRAGMA application_id = 1095979865;  -- 0x41535359, "ASSY"
PRAGMA user_version = 1;
)sql";

TEST(RegistryMigration, SchemaOneMigratesAndKeepsItsRuns) {
  TemporaryDirectory directory;
  const std::string path = directory.Path("old.sqlite");
  ExecuteRaw(path, kSchemaOne);

  auto registry = Registry::Open(path);
  ASSERT_TRUE(registry.ok()) << registry.status().message();
  EXPECT_EQ(QueryRaw(path, "PRAGMA user_version"), std::to_string(Registry::kSchemaVersion));
  auto run = registry->FindRun(7);
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(run->model_name, "OldModel");
  EXPECT_EQ(run->overall_verdict, "contradicted");
  ASSERT_EQ(run->endpoints.size(), 1u);
  EXPECT_EQ(run->endpoints[0].verdict, "not_supported");
  EXPECT_TRUE(registry->RecordVerification({0, "2026-01-01T00:00:00Z", "/b", false, true, 0}).ok());
  auto next = registry->RecordRun(ExampleRun("2.0"));
  ASSERT_TRUE(next.ok());
  EXPECT_GT(*next, 7);
}

}  // namespace
}  // namespace assay::registry
