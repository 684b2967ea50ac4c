#include "assay/report/html_report.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "assay/evidence/bundle_outputs.h"
#include "assay/evidence/cases_csv.h"
#include "assay/evidence/protocol.h"
#include "assay/evidence/study.h"
#include "assay/evidence/study_json.h"
#include "assay/report/vega_specs.h"
#include "test_files.h"

namespace assay::report {
namespace {

using assay::testing::TemporaryDirectory;
using nlohmann::json;

constexpr const char* kHostileSite = "<script>alert('site')</script>";

// 400 cases with identifying columns (id, name, birth date, patient id used
// as the cluster) and a subgroup whose name is a script element.
std::string IdentifyingCases() {
  std::mt19937 generator(7);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::string text = "id,patient_name,birth_date,mrn,site,truth,score\n";
  for (int i = 0; i < 400; ++i) {
    const bool positive = i % 3 == 0;
    const double score = 1.0 / (1.0 + std::exp(-(positive ? 1.5 : -1.5) - noise(generator)));
    text += fmt::format("ACC{:06d},\"Doe^Jane{:03d}\",19{:02d}-02-{:02d},MRN{:07d},{},{},{:.6f}\n",
                        i, i, 40 + i % 50, 1 + i % 28, 1000 + i / 2,
                        i % 2 == 0 ? kHostileSite : "plain site", positive ? "yes" : "no", score);
  }
  return text;
}

constexpr const char* kProtocol =
    "title = \"Report <b>test</b>\"\nintended_use = \"U & V\"\npurpose = \"local_acceptance\"\n"
    "[data]\ncases = \"cases.csv\"\ntruth = \"truth\"\npositive = \"yes\"\nscore = \"score\"\n"
    "id = \"id\"\ncluster = \"mrn\"\n[model]\nname = \"M\"\nversion = \"1\"\n"
    "[endpoints.sens]\nmetric = \"sensitivity\"\nthreshold = 0.5\ngoal = 0.7\n"
    "[endpoints.auc]\nmetric = \"auc\"\ngoal = 0.8\nprimary = false\n"
    "[subgroups]\ncolumns = [\"site\"]\nminimum_cases = 30\n";

struct Built {
  evidence::Protocol protocol;
  evidence::StudyResult study;
  std::string html;
};

Built BuildReport(const TemporaryDirectory& dir) {
  dir.Write("cases.csv", IdentifyingCases());
  auto protocol = evidence::LoadProtocol(dir.Write("protocol.toml", kProtocol));
  EXPECT_TRUE(protocol.ok()) << protocol.status().message();
  auto study = evidence::RunStudy(*protocol);
  EXPECT_TRUE(study.ok()) << study.status().message();
  const evidence::RunContext context{"0.0.0", "2026-01-01T00:00:00Z", "assay run", json::object()};
  std::string html;
  for (const auto& [name, bytes] : evidence::StudyOutputs(*protocol, *study, context)) {
    if (name == kReportName) html = bytes;
  }
  return {std::move(protocol).value(), std::move(study).value(), std::move(html)};
}

TEST(HtmlReport, ShowsNoIdentifyingValue) {
  TemporaryDirectory dir;
  const Built built = BuildReport(dir);
  ASSERT_FALSE(built.html.empty());
  for (const char* value : {"ACC000", "Doe^Jane", "1940-02", "MRN000", "MRN00010"}) {
    EXPECT_EQ(built.html.find(value), std::string::npos) << value;
  }
}

TEST(HtmlReport, InputTextIsEscaped) {
  TemporaryDirectory dir;
  const Built built = BuildReport(dir);
  EXPECT_EQ(built.html.find(kHostileSite), std::string::npos);
  EXPECT_NE(built.html.find("&lt;script&gt;alert(&#39;site&#39;)&lt;/script&gt;"),
            std::string::npos);
  EXPECT_NE(built.html.find("Report &lt;b&gt;test&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(built.html.find("U &amp; V"), std::string::npos);
  // Inside the plot data the value cannot close its <script> element either.
  EXPECT_NE(built.html.find("\\u003cscript>alert('site')\\u003c/script>"), std::string::npos);
}

TEST(HtmlReport, SectionsInReadingOrderAndEveryPlotHasANote) {
  TemporaryDirectory dir;
  const std::string& html = BuildReport(dir).html;
  std::size_t last = 0;
  for (const char* id : {"summary", "identity", "case-flow", "endpoints", "roc", "calibration",
                         "subgroups", "scores", "counts", "methods"}) {
    const std::size_t at = html.find(fmt::format("<section id=\"{}\">", id));
    ASSERT_NE(at, std::string::npos) << id;
    EXPECT_GT(at, last) << id;
    last = at;
  }
  std::size_t plots = 0, notes = 0;
  for (std::size_t at = html.find("<div class=\"plot\""); at != std::string::npos;
       at = html.find("<div class=\"plot\"", at + 1)) {
    ++plots;
    const std::string note = "<p class=\"plot-note\">";
    if (html.compare(html.find('>', at) + 1, note.size(), note) == 0) ++notes;
  }
  // ROC, reliability, the forest plot of the primary endpoint, scores, counts.
  EXPECT_EQ(plots, 5u);
  EXPECT_EQ(notes, plots);
  // The page itself (before the embedded libraries) refers to nothing outside.
  const std::string page = html.substr(0, html.find("<script"));
  EXPECT_EQ(page.find("http"), std::string::npos);
  EXPECT_EQ(page.find("src="), std::string::npos);
}

TEST(HtmlReport, VerdictsCarryAWordBesideTheColour) {
  TemporaryDirectory dir;
  const Built built = BuildReport(dir);
  for (const auto& endpoint : built.study.endpoints) {
    std::string word(evidence::VerdictName(endpoint.verdict));
    std::replace(word.begin(), word.end(), '_', ' ');
    EXPECT_NE(built.html.find("</span> " + word + "</span>"), std::string::npos) << word;
  }
}

TEST(ReadReportCases, GivesWhatTheRunPlotted) {
  TemporaryDirectory dir;
  const Built built = BuildReport(dir);
  const std::string path =
      dir.Write("bundle_cases.csv", evidence::CasesCsv(built.protocol, built.study));
  auto read = ReadReportCases(path);
  ASSERT_TRUE(read.ok()) << read.status().message();
  const ReportCases direct = ReportCasesOf(built.study.table);
  EXPECT_EQ(read->positive_scores, direct.positive_scores);
  EXPECT_EQ(read->negative_scores, direct.negative_scores);
  EXPECT_EQ(read->without_score, direct.without_score);
  EXPECT_EQ(direct.positive_scores.size() + direct.negative_scores.size(), 400u);
}

TEST(ReadReportCases, NamesTheLineOfABadScore) {
  TemporaryDirectory dir;
  const std::string path =
      dir.Write("cases.csv", "case,truth,score,output\na,1,0.5,ok\nb,0,x,ok\n");
  auto read = ReadReportCases(path);
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("cases.csv line 3: score 'x'"), std::string::npos)
      << read.status().message();
}

// Evidence with fields missing or of the wrong type gives a report, not a crash.
TEST(HtmlReport, SparseOrOddEvidenceStillRenders) {
  for (const json& evidence :
       {json::object(), json{{"endpoints", json::array()}},
        json{{"endpoints", json::array({{{"id", 3}, {"verdict", nullptr}, {"threshold", "x"}}})},
             {"overall", "not an object"},
             {"protocol", {{"title", 7}}},
             {"findings", json::array({{{"metric", "auc"}, {"subgroup", "odd"}}})},
             {"roc_curve", json::array({json::object(), json::object()})}}}) {
    const std::string html = RenderHtmlReport(evidence, {});
    EXPECT_NE(html.find("<section id=\"summary\">"), std::string::npos);
    EXPECT_NE(html.find("</html>"), std::string::npos);
  }
}

TEST(EscapeHtml, ReplacesTheFiveSpecialCharacters) {
  EXPECT_EQ(EscapeHtml("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(EscapeHtml("plain text"), "plain text");
}

}  // namespace
}  // namespace assay::report
