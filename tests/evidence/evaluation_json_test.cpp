#include "assay/evidence/evaluation_json.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_files.h"

namespace assay::evidence {
namespace {

using assay::testing::TemporaryDirectory;

TEST(WriteEvidence, WritesTheDocumentAndNoTemporaryFile) {
  TemporaryDirectory dir;
  const std::string out = dir.Path("bundle/nested");
  ASSERT_TRUE(WriteEvidence(out, nlohmann::json{{"schema_version", kSchemaVersion}}).ok());
  std::ifstream file(out + "/evidence.json");
  EXPECT_EQ(nlohmann::json::parse(file)["schema_version"], kSchemaVersion);
  EXPECT_FALSE(std::filesystem::exists(out + "/.evidence.json.partial"));
}

TEST(WriteEvidence, FailsWhenTheDirectoryCannotBeMade) {
  TemporaryDirectory dir;
  const std::string blocker = dir.Write("file", "");
  const Status status = WriteEvidence(blocker + "/sub", nlohmann::json::object());
  EXPECT_EQ(status.code(), StatusCode::kIoError);
  EXPECT_NE(status.message().find("cannot create the directory"), std::string::npos);
}

TEST(EvaluationToJson, InfiniteValuesBecomeNull) {
  TemporaryDirectory dir;
  data::CaseRoles roles;
  roles.truth = "truth";
  roles.positive = "1";
  roles.score = "score";
  auto table =
      data::LoadCaseTable(dir.Write("c.csv", "truth,score\n1,0.9\n1,0.8\n0,0.1\n0,0.2\n"), roles);
  ASSERT_TRUE(table.ok());
  analysis::EvaluationOptions options;
  options.thresholds = {0.5};
  auto evaluation = analysis::Evaluate(*table, options);
  ASSERT_TRUE(evaluation.ok());
  const auto document = EvaluationToJson(*table, *evaluation, RunContext{"0", "now", "assay", {}});
  bool saw_lr_positive = false;
  for (const auto& finding : document["findings"]) {
    if (finding["metric"] != "lr_positive") continue;
    saw_lr_positive = true;
    EXPECT_TRUE(finding["estimate"].is_null());
    EXPECT_TRUE(finding["ci"]["upper"].is_null());
  }
  EXPECT_TRUE(saw_lr_positive);
  EXPECT_EQ(document["roc_curve"].front()["threshold"], nullptr);
}

}  // namespace
}  // namespace assay::evidence
