#include "assay/evidence/cases_csv.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "assay/core/sha256.h"
#include "test_files.h"

namespace assay::evidence {
namespace {

using assay::testing::TemporaryDirectory;
using Records = std::vector<std::vector<std::string>>;

// A strict RFC 4180 reader for the tests: quoted fields, doubled quotes, "\n" line ends.
Records ParseCsv(const std::string& text) {
  Records records(1, std::vector<std::string>(1));
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    std::string& field = records.back().back();
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      records.back().emplace_back();
    } else if (c == '\n') {
      records.emplace_back(1);
    } else {
      field += c;
    }
  }
  EXPECT_EQ(records.back(), std::vector<std::string>(1)) << "the last line must end with \\n";
  records.pop_back();
  return records;
}

std::size_t Column(const Records& records, const std::string& name) {
  const auto& header = records.front();
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return i;
  }
  ADD_FAILURE() << "no column " << name;
  return 0;
}

struct StudyRun {
  Protocol protocol;
  StudyResult study;
};

StudyRun RunFile(const std::string& path) {
  auto protocol = LoadProtocol(path);
  EXPECT_TRUE(protocol.ok()) << protocol.status().message();
  auto study = RunStudy(*protocol);
  EXPECT_TRUE(study.ok()) << study.status().message();
  return {std::move(protocol).value(), std::move(study).value()};
}

TEST(CasesCsv, TriageExampleHasOneRowPerAnalysedCase) {
  const StudyRun run = RunFile(std::string(ASSAY_SOURCE_DIR) + "/examples/triage_protocol.toml");
  const data::CaseTable& table = run.study.table;
  const std::string text = CasesCsv(run.protocol, run.study);
  const Records records = ParseCsv(text);

  const std::vector<std::string> header = {"case",         "cluster",         "truth",
                                           "score",        "output",          "decision@0.5",
                                           "correct@0.5",  "subgroup:vendor", "subgroup:site",
                                           "subgroup:sex", "subgroup:age"};
  EXPECT_EQ(records.front(), header);
  ASSERT_EQ(records.size(), table.size() + 1);
  EXPECT_EQ(table.size(), table.flow.analysed);

  std::set<std::string> ages;
  std::size_t indeterminate = 0;
  for (std::size_t i = 0; i < table.size(); ++i) {
    const auto& row = records[i + 1];
    ASSERT_EQ(row.size(), header.size()) << "row " << i;
    EXPECT_EQ(row[2], table.truth[i] ? "1" : "0");
    if (row[4] == "ok") {
      EXPECT_EQ(std::stod(row[3]), table.score[i]) << "row " << i;
    } else {
      // An indeterminate output: no score; decided as the analysis imputed it.
      EXPECT_EQ(row[3], "") << "row " << i;
      ++indeterminate;
    }
    const bool positive = table.score[i] >= 0.5;
    EXPECT_EQ(row[5], positive ? "1" : "0") << "row " << i;
    EXPECT_EQ(row[6], positive == (table.truth[i] == 1) ? "1" : "0") << "row " << i;
    for (std::size_t g = 7; g < header.size(); ++g) EXPECT_FALSE(row[g].empty());
    ages.insert(row[10]);
  }
  EXPECT_EQ(ages, (std::set<std::string>{"<40", "[40,65)", ">=65"}));
  EXPECT_EQ(indeterminate, table.indeterminate.size());
  // A label holding a comma is quoted.
  EXPECT_NE(text.find(",\"[40,65)\""), std::string::npos);
  EXPECT_EQ(text.find(",[40,65)"), std::string::npos);
}

TEST(CasesCsv, IdsAreSeededPseudonyms) {
  const StudyRun run = RunFile(std::string(ASSAY_SOURCE_DIR) + "/examples/triage_protocol.toml");
  const Records records = ParseCsv(CasesCsv(run.protocol, run.study));
  ASSERT_FALSE(run.study.table.id.empty());
  EXPECT_EQ(run.study.table.id.front(), "S0001");
  EXPECT_EQ(records[1][0], Sha256("20240101:S0001").substr(0, 16));
  EXPECT_EQ(records[1][1], Pseudonym(20240101, "P0000"));
  EXPECT_NE(Pseudonym(1, "S0001"), Pseudonym(2, "S0001"));
  EXPECT_EQ(Pseudonym(1, "S0001").size(), 16u);
  EXPECT_TRUE(IsSha256Hex(Pseudonym(1, "x") + std::string(48, '0')));
  std::set<std::string> ids;
  for (std::size_t i = 1; i < records.size(); ++i) ids.insert(records[i][0]);
  EXPECT_EQ(ids.size(), records.size() - 1) << "pseudonyms of distinct ids collide";
  EXPECT_EQ(CasesCsv(run.protocol, run.study), CasesCsv(run.protocol, run.study));
}

constexpr const char* kLowerProtocol =
    "title = \"T\"\nintended_use = \"U\"\npurpose = \"local_acceptance\"\n"
    "[data]\ncases = \"cases.csv\"\ntruth = \"truth\"\npositive = \"yes\"\nscore = \"score\"\n"
    "direction = \"lower\"\nminimum_positives = 2\nminimum_negatives = 2\n"
    "[model]\nname = \"M\"\nversion = \"1\"\n"
    "[endpoints.sens]\nmetric = \"sensitivity\"\nthreshold = 0.5\ngoal = 0.5\n"
    "[endpoints.spec_at_target]\nmetric = \"specificity\"\ntarget_sensitivity = 0.75\n"
    "goal = 0.5\nprimary = false\n"
    "[subgroups]\ncolumns = [\"site\"]\n";

TEST(CasesCsv, LowerScoresPositiveTargetsOrdinalsAndQuoting) {
  TemporaryDirectory dir;
  dir.Write("cases.csv",
            "truth,score,site\n"
            "yes,0.1,\"Hospital \"\"A\"\", east\"\n"
            "yes,0.3,b\nyes,0.6,b\nyes,0.45,b\n"
            "no,0.9,\"Hospital \"\"A\"\", east\"\n"
            "no,0.4,b\nno,0.7,b\nno,0.8,b\n");
  const StudyRun run = RunFile(dir.Write("protocol.toml", kLowerProtocol));
  const std::string text = CasesCsv(run.protocol, run.study);
  const Records records = ParseCsv(text);
  ASSERT_EQ(records.size(), 9u);
  EXPECT_EQ(records.front(),
            (std::vector<std::string>{"case", "truth", "score", "output", "decision@0.5",
                                      "correct@0.5", "decision@spec_at_target",
                                      "correct@spec_at_target", "subgroup:site"}));

  const auto& target = run.study.endpoints.at(1);
  ASSERT_TRUE(target.finding && target.finding->operating_point);
  const double chosen = target.finding->operating_point->threshold;
  const auto& table = run.study.table;
  for (std::size_t i = 0; i < table.size(); ++i) {
    const auto& row = records[i + 1];
    EXPECT_EQ(row[0], std::to_string(i + 1));
    EXPECT_EQ(row[4], table.score[i] <= 0.5 ? "1" : "0") << "row " << i;
    EXPECT_EQ(row[6], table.score[i] <= chosen ? "1" : "0") << "row " << i;
    EXPECT_EQ(row[7], (table.score[i] <= chosen) == (table.truth[i] == 1) ? "1" : "0");
  }
  EXPECT_EQ(records[1][8], "Hospital \"A\", east");
  EXPECT_NE(text.find(",\"Hospital \"\"A\"\", east\"\n"), std::string::npos);
}

TEST(CasesCsv, IndeterminateOutputHasNoScoreAndCountsAsWrong) {
  TemporaryDirectory dir;
  dir.Write("cases.csv",
            "id,truth,score,status,site\n"
            "a,yes,0.9,ok,x\nb,yes,0.8,ok,x\nc,yes,,failed,x\nd,no,0.1,ok,y\ne,no,0.2,ok,y\n"
            "f,no,0.3,ok,y\n");
  std::string protocol = kLowerProtocol;
  protocol.replace(protocol.find("direction = \"lower\""), 19,
                   "direction = \"higher\"\nid = \"id\"\noutput_status = \"status\"");
  const StudyRun run = RunFile(dir.Write("protocol.toml", protocol));
  const Records records = ParseCsv(CasesCsv(run.protocol, run.study));
  ASSERT_EQ(records.size(), 7u);
  const auto& failed = records[3];
  EXPECT_EQ(failed[0], Pseudonym(run.protocol.seed, "c"));
  EXPECT_EQ(failed[Column(records, "score")], "");
  EXPECT_EQ(failed[Column(records, "output")], "technical_failure");
  EXPECT_EQ(failed[Column(records, "decision@0.5")], "0");
  EXPECT_EQ(failed[Column(records, "correct@0.5")], "0");
  EXPECT_EQ(records[1][Column(records, "output")], "ok");
}

}  // namespace
}  // namespace assay::evidence
