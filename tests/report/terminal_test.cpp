#include "assay/report/terminal.h"

#include <gtest/gtest.h>

#include "test_files.h"

namespace assay::report {
namespace {

using assay::testing::TemporaryDirectory;

// Loads and evaluates a small table with one excluded case and a subgroup.
std::string Render(const TemporaryDirectory& dir) {
  data::CaseRoles roles;
  roles.truth = "truth";
  roles.positive = "1";
  roles.score = "score";
  roles.groups = {"site"};
  roles.exclude_missing_truth = true;
  auto table =
      data::LoadCaseTable(dir.Write("c.csv",
                                    "truth,score,site\n1,0.9,A\n0,0.2,A\n,0.5,B\n1,0.6,B\n0,0.7,B\n"
                                    "1,0.8,A\n0,0.1,B\n"),
                          roles);
  EXPECT_TRUE(table.ok());
  analysis::EvaluationOptions options;
  options.thresholds = {0.5};
  auto evaluation = analysis::Evaluate(*table, options);
  EXPECT_TRUE(evaluation.ok());
  return FormatEvaluation(*table, *evaluation);
}

TEST(FormatEvaluation, LeadsWithTheCaseFlow) {
  TemporaryDirectory dir;
  const std::string text = Render(dir);
  EXPECT_EQ(text.rfind("Case flow: 7 received, 1 excluded (missing_truth), 6 analysed\n", 0), 0u)
      << text;
}

TEST(FormatEvaluation, ShowsEstimatesIntervalsAndExploratoryMarks) {
  TemporaryDirectory dir;
  const std::string text = Render(dir);
  EXPECT_NE(text.find("auc"), std::string::npos);
  EXPECT_NE(text.find("delong"), std::string::npos);
  EXPECT_NE(text.find("site=B"), std::string::npos);
  EXPECT_NE(text.find("threshold @0.5"), std::string::npos);
  EXPECT_NE(text.find("(exploratory: threshold chosen on these cases)"), std::string::npos);
  EXPECT_NE(text.find("Not evaluable:"), std::string::npos);
}

}  // namespace
}  // namespace assay::report
