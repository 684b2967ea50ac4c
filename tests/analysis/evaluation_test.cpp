// analysis::Evaluate end to end on pROC's aSAH data, loaded from the CSV that
// tests/reference/proc_asah.R writes, against the values pROC computes on it;
// and on the simulated clustered data against the numpy Obuchowski reference.
#include "assay/analysis/evaluation.h"

#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../reference/reference_files.h"
#include "assay/data/case_table.h"

namespace assay::analysis {
namespace {

using assay::testing::kClosedForm;
using assay::testing::NearRelative;
using assay::testing::ReferenceJson;
using assay::testing::ReferencePath;

const nlohmann::json& Proc() { return ReferenceJson("proc_asah.json"); }

data::CaseTable LoadAsah(const std::string& score, std::optional<std::string> compare = {}) {
  data::CaseRoles roles;
  roles.truth = "outcome";
  roles.positive = "Poor";
  roles.score = score;
  roles.compare = std::move(compare);
  auto table = data::LoadCaseTable(ReferencePath("asah.csv"), roles);
  if (!table.ok()) throw std::runtime_error(table.status().message());
  return std::move(table).value();
}

Evaluation EvaluateOrThrow(const data::CaseTable& table, const EvaluationOptions& options = {}) {
  auto evaluation = Evaluate(table, options);
  if (!evaluation.ok()) throw std::runtime_error(evaluation.status().message());
  return std::move(evaluation).value();
}

// The finding for `metric` on all cases, at `rule` when given.
const Finding& Find(const Evaluation& e, const std::string& metric, const std::string& rule = "",
                    double threshold = 0.0) {
  for (const auto& f : e.findings) {
    if (f.metric != metric || f.subgroup) continue;
    if (rule.empty() && !f.operating_point) return f;
    if (f.operating_point && f.operating_point->rule == rule &&
        (rule != "threshold" || f.operating_point->threshold == threshold)) {
      return f;
    }
  }
  throw std::runtime_error("no finding " + metric + " " + rule);
}

// Findings are looked up by reference: never in a temporary evaluation.
const Finding& Find(Evaluation&&, const std::string&, const std::string& = "",
                    double = 0.0) = delete;

TEST(EvaluateAsah, CountsTheCases) {
  const Evaluation e = EvaluateOrThrow(LoadAsah("s100b"));
  EXPECT_EQ(e.n, 113u);
  EXPECT_EQ(e.n_positive, Proc()["s100b"]["n_positive"].get<std::uint64_t>());
  EXPECT_EQ(e.n_negative, Proc()["s100b"]["n_negative"].get<std::uint64_t>());
}

TEST(EvaluateAsah, AucAndDelongIntervalMatchProc) {
  const Evaluation e = EvaluateOrThrow(LoadAsah("s100b"));
  const Finding& auc = Find(e, "auc");
  const auto ci = Proc()["s100b"]["ci95"].get<std::vector<double>>();
  EXPECT_TRUE(NearRelative(auc.estimate, Proc()["s100b"]["auc"].get<double>(), kClosedForm));
  ASSERT_TRUE(auc.ci.has_value());
  EXPECT_EQ(auc.ci->method, "delong");
  EXPECT_TRUE(NearRelative(auc.ci->lower, ci[0], kClosedForm));
  EXPECT_TRUE(NearRelative(auc.ci->upper, ci[1], kClosedForm));
}

TEST(EvaluateAsah, DelongIntervalAt90MatchesProc) {
  EvaluationOptions options;
  options.level = 0.90;
  const Evaluation e = EvaluateOrThrow(LoadAsah("ndka"), options);
  const Finding& auc = Find(e, "auc");
  const auto ci = Proc()["ndka"]["ci90"].get<std::vector<double>>();
  EXPECT_TRUE(NearRelative(auc.ci->lower, ci[0], kClosedForm));
  EXPECT_TRUE(NearRelative(auc.ci->upper, ci[1], kClosedForm));
}

TEST(EvaluateAsah, QuotedOrdinalScoresLoadAndMatchProc) {
  const Evaluation e = EvaluateOrThrow(LoadAsah("wfns"));
  const Finding& auc = Find(e, "auc");
  EXPECT_TRUE(NearRelative(auc.estimate, Proc()["wfns"]["auc"].get<double>(), kClosedForm));
}

TEST(EvaluateAsah, SensitivityAndSpecificityAtThresholdsMatchCoords) {
  EvaluationOptions options;
  for (const auto& c : Proc()["s100b"]["coords"])
    options.thresholds.push_back(c["threshold"].get<double>());
  const Evaluation e = EvaluateOrThrow(LoadAsah("s100b"), options);
  for (const auto& c : Proc()["s100b"]["coords"]) {
    const double t = c["threshold"].get<double>();
    EXPECT_NEAR(Find(e, "sensitivity", "threshold", t).estimate, c["sensitivity"].get<double>(),
                1e-12)
        << "threshold " << t;
    EXPECT_NEAR(Find(e, "specificity", "threshold", t).estimate, c["specificity"].get<double>(),
                1e-12)
        << "threshold " << t;
  }
}

// pROC reports the Youden threshold as a midpoint between two scores; assay
// reports the lowest score called positive. Same cut, so the same 2x2 table.
TEST(EvaluateAsah, YoudenPointMatchesProcBest) {
  for (const std::string score : {"s100b", "ndka", "wfns"}) {
    const Evaluation e = EvaluateOrThrow(LoadAsah(score));
    const auto& best = Proc()[score]["youden"];
    EXPECT_NEAR(Find(e, "sensitivity", "youden").estimate, best["sensitivity"].get<double>(), 1e-12)
        << score;
    EXPECT_NEAR(Find(e, "specificity", "youden").estimate, best["specificity"].get<double>(), 1e-12)
        << score;
    EXPECT_GE(Find(e, "sensitivity", "youden").operating_point->threshold,
              best["threshold"].get<double>())
        << score;
  }
}

TEST(EvaluateAsah, YoudenFindingsAreExploratory) {
  const Evaluation e = EvaluateOrThrow(LoadAsah("s100b"));
  const Finding& sensitivity = Find(e, "sensitivity", "youden");
  EXPECT_TRUE(sensitivity.exploratory);
  EXPECT_TRUE(sensitivity.operating_point->chosen_on_test_data);
}

TEST(EvaluateAsah, StandardizedPartialAucMatchesProc) {
  EvaluationOptions options;
  options.partial_auc = PartialAucRange{stats::PartialAucFocus::kSpecificity, 0.8, 1.0};
  const Evaluation e = EvaluateOrThrow(LoadAsah("s100b"), options);
  const Finding& pauc = Find(e, "pauc");
  EXPECT_TRUE(NearRelative(pauc.estimate, Proc()["s100b"]["pauc_specificity_1_08"].get<double>(),
                           kClosedForm));
}

TEST(EvaluateAsah, RawPartialAucMatchesProc) {
  EvaluationOptions options;
  options.partial_auc = PartialAucRange{stats::PartialAucFocus::kSensitivity, 0.9, 1.0};
  const Evaluation e = EvaluateOrThrow(LoadAsah("wfns"), options);
  const Finding& pauc = Find(e, "pauc");
  EXPECT_TRUE(NearRelative(pauc.partial_auc_raw,
                           Proc()["wfns"]["pauc_sensitivity_1_09_raw"].get<double>(), kClosedForm));
  EXPECT_TRUE(NearRelative(pauc.estimate, Proc()["wfns"]["pauc_sensitivity_1_09"].get<double>(),
                           kClosedForm));
}

TEST(EvaluateAsah, PartialAucIntervalIsCloseToProcBootstrap) {
  EvaluationOptions options;
  options.partial_auc = PartialAucRange{stats::PartialAucFocus::kSpecificity, 0.8, 1.0};
  const Evaluation e = EvaluateOrThrow(LoadAsah("s100b"), options);
  const Finding& pauc = Find(e, "pauc");
  ASSERT_TRUE(pauc.ci.has_value());
  const auto expected =
      Proc()["s100b_pauc_specificity_1_08_bootstrap"]["ci95"].get<std::vector<double>>();
  EXPECT_NEAR(pauc.ci->lower, expected[0], 0.02);
  EXPECT_NEAR(pauc.ci->upper, expected[1], 0.02);
}

const Comparison& PairedAuc(const Evaluation& e) {
  for (const auto& c : e.comparisons) {
    if (c.test == "delong_paired") return c;
  }
  throw std::runtime_error("no delong_paired comparison");
}
const Comparison& PairedAuc(Evaluation&&) = delete;

TEST(EvaluateAsah, PairedDelongAgainstWfnsMatchesRocTest) {
  const Evaluation e = EvaluateOrThrow(LoadAsah("s100b", "wfns"));
  const Comparison& c = PairedAuc(e);
  const auto& expected = Proc()["s100b_vs_wfns"];
  const auto ci = expected["ci95"].get<std::vector<double>>();
  EXPECT_TRUE(NearRelative(c.statistic, expected["z"].get<double>(), kClosedForm));
  EXPECT_TRUE(NearRelative(c.p_value, expected["p_value"].get<double>(), kClosedForm));
  EXPECT_TRUE(NearRelative(c.ci.lower, ci[0], kClosedForm));
  EXPECT_TRUE(NearRelative(c.ci.upper, ci[1], kClosedForm));
}

TEST(EvaluateAsah, PairedDelongAgainstNdkaMatchesRocTest) {
  const Evaluation e = EvaluateOrThrow(LoadAsah("s100b", "ndka"));
  const Comparison& c = PairedAuc(e);
  const auto& expected = Proc()["s100b_vs_ndka"];
  EXPECT_TRUE(NearRelative(
      c.estimate, expected["auc_first"].get<double>() - expected["auc_second"].get<double>(),
      kClosedForm));
  EXPECT_TRUE(NearRelative(c.statistic, expected["z"].get<double>(), kClosedForm));
  EXPECT_TRUE(NearRelative(c.p_value, expected["p_value"].get<double>(), kClosedForm));
}

TEST(EvaluateAsah, LowerIsPositiveGivesOneMinusTheAuc) {
  data::CaseRoles roles;
  roles.truth = "outcome";
  roles.positive = "Poor";
  roles.score = "s100b";
  roles.direction = data::ScoreDirection::kLowerIsPositive;
  const auto table = data::LoadCaseTable(ReferencePath("asah.csv"), roles);
  ASSERT_TRUE(table.ok()) << table.status().message();
  const Evaluation e = EvaluateOrThrow(*table);
  const Finding& auc = Find(e, "auc");
  EXPECT_NEAR(auc.estimate, 1.0 - Proc()["s100b"]["auc"].get<double>(), 1e-12);
}

TEST(EvaluateAsah, BootstrapResultsDoNotDependOnThreadCount) {
  const data::CaseTable table = LoadAsah("s100b");
  EvaluationOptions options;
  options.auc_method = AucMethod::kBootstrapBca;
  options.thresholds = {0.205};
  Evaluation single;
  {
    tbb::global_control one(tbb::global_control::max_allowed_parallelism, 1);
    single = EvaluateOrThrow(table, options);
  }
  const std::size_t all = std::max(4u, std::thread::hardware_concurrency());
  tbb::global_control many(tbb::global_control::max_allowed_parallelism, all);
  const Evaluation parallel = EvaluateOrThrow(table, options);
  ASSERT_EQ(single.findings.size(), parallel.findings.size());
  for (std::size_t i = 0; i < single.findings.size(); ++i) {
    EXPECT_EQ(single.findings[i].estimate, parallel.findings[i].estimate) << i;
    ASSERT_EQ(single.findings[i].ci.has_value(), parallel.findings[i].ci.has_value()) << i;
    if (!single.findings[i].ci) continue;
    EXPECT_EQ(single.findings[i].ci->lower, parallel.findings[i].ci->lower) << i;
    EXPECT_EQ(single.findings[i].ci->upper, parallel.findings[i].ci->upper) << i;
  }
}

TEST(EvaluateClustered, AucUsesObuchowskiAndMatchesNumpy) {
  data::CaseRoles roles;
  roles.truth = "truth";
  roles.positive = "1";
  roles.score = "score";
  roles.cluster = "cluster";
  const auto table = data::LoadCaseTable(ReferencePath("clustered_data.csv"), roles);
  ASSERT_TRUE(table.ok()) << table.status().message();
  const Evaluation e = EvaluateOrThrow(*table);
  const Finding& auc = Find(e, "auc");
  const auto& expected = ReferenceJson("statsmodels_reference.json")["obuchowski"];
  EXPECT_TRUE(NearRelative(auc.estimate, expected["auc"].get<double>(), kClosedForm));
  ASSERT_TRUE(auc.design_effect.has_value());
  EXPECT_TRUE(
      NearRelative(*auc.design_effect, expected["design_effect"].get<double>(), kClosedForm));
  EXPECT_EQ(auc.ci->method, "obuchowski_clustered");
}

}  // namespace
}  // namespace assay::analysis
