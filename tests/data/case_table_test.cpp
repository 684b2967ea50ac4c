#include "assay/data/case_table.h"

#include <gtest/gtest.h>

#include "test_files.h"

namespace assay::data {
namespace {

using assay::testing::TemporaryDirectory;

CaseRoles Roles() {
  CaseRoles roles;
  roles.truth = "truth";
  roles.positive = "yes";
  roles.score = "score";
  return roles;
}

// Loads `csv` and expects an invalid-input error containing `message`.
void ExpectError(const std::string& csv, const CaseRoles& roles, const std::string& message) {
  TemporaryDirectory dir;
  auto table = LoadCaseTable(dir.Write("cases.csv", csv), roles);
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(table.status().message().find(message), std::string::npos) << table.status().message();
}

TEST(LoadCaseTable, ReadsRolesAndLabels) {
  TemporaryDirectory dir;
  CaseRoles roles = Roles();
  roles.groups = {"site"};
  auto table = LoadCaseTable(
      dir.Write("cases.csv", "truth,score,site\nyes,0.9,A\nno,0.2,B\nno,0.4,\nyes,1e-1,A\n"),
      roles);
  ASSERT_TRUE(table.ok()) << table.status().message();
  EXPECT_EQ(table->size(), 4u);
  EXPECT_EQ(table->positives(), 2u);
  EXPECT_EQ(table->negative_label, "no");
  EXPECT_DOUBLE_EQ(table->score[3], 0.1);
  EXPECT_EQ(table->groups[0].levels, (std::vector<std::string>{"A", "B", kMissingLevel}));
  EXPECT_EQ(table->groups[0].codes, (std::vector<std::uint32_t>{0, 1, 2, 0}));
  EXPECT_EQ(table->flow.received, 4u);
  EXPECT_EQ(table->flow.analysed, 4u);
}

TEST(LoadCaseTable, NonNumericScoreNamesFileLineAndColumn) {
  ExpectError("truth,score\nyes,0.9\nno,n/a\n", Roles(),
              "cases.csv line 3, column 'score': 'n/a' is not a number");
}

TEST(LoadCaseTable, NanAndInfiniteScoresAreRejected) {
  ExpectError("truth,score\nyes,0.9\nno,NaN\n", Roles(), "line 3, column 'score'");
  ExpectError("truth,score\nyes,inf\nno,0.1\n", Roles(), "'inf' is not a finite number");
}

TEST(LoadCaseTable, ThirdTruthValueIsRejected) {
  ExpectError("truth,score\nyes,0.9\nno,0.1\nmaybe,0.5\n", Roles(),
              "line 4, column 'truth': truth 'maybe' is neither the positive value 'yes' nor "
              "the negative value 'no'");
}

TEST(LoadCaseTable, OneClassOnlyIsRejected) {
  ExpectError("truth,score\nno,0.9\nno,0.1\n", Roles(), "only one class is present");
}

TEST(LoadCaseTable, DuplicateIdsAreRejected) {
  CaseRoles roles = Roles();
  roles.id = "id";
  ExpectError("id,truth,score\na,yes,0.9\nb,no,0.1\na,no,0.3\n", roles,
              "line 4, column 'id': case id 'a' already appeared on line 2");
}

TEST(LoadCaseTable, MissingTruthIsAnErrorUnlessExcluded) {
  const std::string csv = "id,truth,score\na,yes,0.9\nb,,0.1\nc,no,0.3\nd,NA,0.4\n";
  CaseRoles roles = Roles();
  roles.id = "id";
  ExpectError(csv, roles, "line 3, column 'truth': the truth is missing");

  roles.exclude_missing_truth = true;
  TemporaryDirectory dir;
  auto table = LoadCaseTable(dir.Write("cases.csv", csv), roles);
  ASSERT_TRUE(table.ok()) << table.status().message();
  EXPECT_EQ(table->flow.received, 4u);
  EXPECT_EQ(table->flow.analysed, 2u);
  ASSERT_EQ(table->flow.exclusions.size(), 2u);
  EXPECT_EQ(table->flow.exclusions[0].reason, "missing_truth");
  EXPECT_EQ(table->flow.exclusions[0].line, 3u);
  EXPECT_EQ(table->flow.exclusions[1].id, "d");
}

TEST(LoadCaseTable, MissingScoreIsExcludedWhenAllowed) {
  CaseRoles roles = Roles();
  roles.exclude_missing_score = true;
  TemporaryDirectory dir;
  auto table = LoadCaseTable(dir.Write("cases.csv", "truth,score\nyes,0.9\nno,\nno,0.2\n"), roles);
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->size(), 2u);
  ASSERT_EQ(table->flow.exclusions.size(), 1u);
  EXPECT_EQ(table->flow.exclusions[0].reason, "missing_score");
}

TEST(LoadCaseTable, EmptyTableIsRejected) {
  ExpectError("truth,score\n", Roles(), "no cases to analyse (0 received, 0 excluded)");
}

TEST(LoadCaseTable, ReadsJsonLinesWithNumericTruth) {
  TemporaryDirectory dir;
  CaseRoles roles = Roles();
  roles.positive = "1";
  roles.cluster = "patient";
  auto table = LoadCaseTable(dir.Write("cases.jsonl",
                                       "{\"truth\":1,\"score\":0.8,\"patient\":\"p1\"}\n"
                                       "{\"truth\":0,\"score\":0.3,\"patient\":\"p1\"}\n"
                                       "{\"truth\":0,\"score\":\"0.1\",\"patient\":\"p2\"}\n"),
                             roles);
  ASSERT_TRUE(table.ok()) << table.status().message();
  EXPECT_EQ(table->positives(), 1u);
  EXPECT_EQ(table->negative_label, "0");
  ASSERT_TRUE(table->cluster.has_value());
  EXPECT_EQ(table->cluster->levels.size(), 2u);
  EXPECT_DOUBLE_EQ(table->score[2], 0.1);
}

}  // namespace
}  // namespace assay::data
