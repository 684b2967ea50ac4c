#include "assay/evidence/study.h"

#include <gtest/gtest.h>

#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "assay/core/sha256.h"
#include "assay/evidence/study_json.h"
#include "assay/stats/multiplicity.h"
#include "test_files.h"

namespace assay::evidence {
namespace {

using assay::testing::TemporaryDirectory;

struct Rows {
  std::string text = "id,truth,score,status,site\n";
  int next = 0;
  // Adds `count` cases of one kind; an empty score is written as a blank field.
  void Add(int count, const char* truth, const char* score, const char* status = "ok",
           const char* site = "a") {
    for (int i = 0; i < count; ++i) {
      text += "c" + std::to_string(next++) + "," + truth + "," + score + "," + status + "," + site +
              "\n";
    }
  }
};

// Sensitivity x/100 and specificity y/200 at threshold 0.5.
std::string TwoByTwo(int true_positives, int true_negatives) {
  Rows rows;
  rows.Add(true_positives, "yes", "0.9");
  rows.Add(100 - true_positives, "yes", "0.1");
  rows.Add(true_negatives, "no", "0.1");
  rows.Add(200 - true_negatives, "no", "0.9");
  return rows.text;
}

std::string ProtocolText(const std::string& extra_top, const std::string& extra_data,
                         const std::string& extra_model = "") {
  return extra_top +
         "title = \"T\"\nintended_use = \"U\"\npurpose = \"local_acceptance\"\n"
         "[data]\ncases = \"cases.csv\"\ntruth = \"truth\"\npositive = \"yes\"\nscore = "
         "\"score\"\nid = \"id\"\n" +
         extra_data + "[model]\nname = \"M\"\nversion = \"1\"\n" + extra_model +
         "[endpoints.sens]\nmetric = \"sensitivity\"\nthreshold = 0.5\ngoal = 0.7\n"
         "[endpoints.spec]\nmetric = \"specificity\"\nthreshold = 0.5\ngoal = 0.85\n";
}

StudyResult RunProtocol(const TemporaryDirectory& dir, const std::string& protocol_text,
                        const std::string& cases, const StudyContext& context = {}) {
  dir.Write("cases.csv", cases);
  auto protocol = LoadProtocol(dir.Write("protocol.toml", protocol_text));
  EXPECT_TRUE(protocol.ok()) << protocol.status().message();
  auto study = RunStudy(*protocol, context);
  EXPECT_TRUE(study.ok()) << study.status().message();
  return std::move(study).value();
}

const EndpointResult& Endpoint(const StudyResult& study, const std::string& id) {
  for (const auto& endpoint : study.endpoints) {
    if (endpoint.spec.id == id) return endpoint;
  }
  ADD_FAILURE() << "no endpoint " << id;
  return study.endpoints.front();
}

const Gate& FindGate(const StudyResult& study, const std::string& name) {
  for (const auto& gate : study.gates) {
    if (gate.name == name) return gate;
  }
  ADD_FAILURE() << "no gate " << name;
  return study.gates.front();
}

// The one-sided score-test p-value of x/n against p0: the Wilson interval at
// level 1 - 2a clears p0 exactly when this p-value is below a.
double ScorePValue(double x, double n, double p0) {
  const double z = (x / n - p0) / std::sqrt(p0 * (1.0 - p0) / n);
  return boost::math::cdf(boost::math::complement(boost::math::normal(), z));
}

// Holm across the primary endpoints: the verdicts match Holm on the score-test
// p-values (adjusted p below 0.025), both when the step-down rescues the
// weaker claim and when neither claim clears the first step.
TEST(StudyHolm, MatchesHolmOnScoreTestPValues) {
  struct Case {
    int true_positives, true_negatives;
  };
  for (const Case c : {Case{80, 181}, Case{80, 190}, Case{79, 181}}) {
    TemporaryDirectory dir;
    const auto study = RunProtocol(dir, ProtocolText("combine = \"holm\"\n", ""),
                                   TwoByTwo(c.true_positives, c.true_negatives));
    const std::vector<double> p = {ScorePValue(c.true_positives, 100, 0.7),
                                   ScorePValue(c.true_negatives, 200, 0.85)};
    const auto adjusted = stats::AdjustPValues(p, stats::Multiplicity::kHolm);
    const char* ids[] = {"sens", "spec"};
    for (int i = 0; i < 2; ++i) {
      const auto& endpoint = Endpoint(study, ids[i]);
      const bool supported = adjusted[i] < 0.025;
      EXPECT_EQ(endpoint.verdict == Verdict::kSupported, supported)
          << c.true_positives << "/" << c.true_negatives << " " << ids[i] << " p=" << p[i]
          << " adjusted=" << adjusted[i] << ": " << endpoint.reason;
      ASSERT_TRUE(endpoint.adjusted_ci.has_value());
    }
  }
}

TEST(StudyHolm, AllRuleSupportsWhatHolmLeavesInconclusive) {
  TemporaryDirectory dir;
  // Both one-sided p-values lie in (0.0125, 0.025): each clears alone, neither under Holm.
  const auto all = RunProtocol(dir, ProtocolText("", ""), TwoByTwo(80, 181));
  EXPECT_EQ(Endpoint(all, "sens").verdict, Verdict::kSupported);
  EXPECT_EQ(Endpoint(all, "spec").verdict, Verdict::kSupported);
  const auto holm = RunProtocol(dir, ProtocolText("combine = \"holm\"\n", ""), TwoByTwo(80, 181));
  EXPECT_EQ(Endpoint(holm, "sens").verdict, Verdict::kInconclusive);
  EXPECT_EQ(Endpoint(holm, "spec").verdict, Verdict::kInconclusive);
  EXPECT_NEAR(Endpoint(holm, "sens").adjusted_ci->level, 0.975, 1e-12);
}

// Indeterminate outputs: 100 positives (30 detected, 6 missed, 2 failed, 2
// rejected) and 60 negatives (50 cleared, 5 flagged, 3 failed, 2 rejected).
std::string Indeterminate() {
  Rows rows;
  rows.Add(30, "yes", "0.9");
  rows.Add(6, "yes", "0.1");
  rows.Add(2, "yes", "", "failed");
  rows.Add(2, "yes", "0.9", "rejected");
  rows.Add(50, "no", "0.1");
  rows.Add(5, "no", "0.9");
  rows.Add(3, "no", "", "failed");
  rows.Add(2, "no", "0.1", "rejected");
  return rows.text;
}

TEST(StudyIndeterminate, CountedAgainstTheModelWithBothBounds) {
  TemporaryDirectory dir;
  const auto study =
      RunProtocol(dir,
                  ProtocolText("",
                               "output_status = \"status\"\nrejected_status = [\"rejected\"]\n"
                               "minimum_positives = 5\nminimum_negatives = 5\n"),
                  Indeterminate());
  EXPECT_EQ(study.indeterminate.technical_failure, 5u);
  EXPECT_EQ(study.indeterminate.rejected_input, 4u);
  EXPECT_EQ(study.indeterminate.counted_against_model, 9u);
  EXPECT_EQ(study.table.flow.analysed, 100u);
  const auto& sens = Endpoint(study, "sens");
  ASSERT_TRUE(sens.finding.has_value());
  EXPECT_DOUBLE_EQ(sens.finding->estimate, 30.0 / 40.0);
  EXPECT_EQ(sens.finding->n_positive, 40u);
  EXPECT_DOUBLE_EQ(Endpoint(study, "spec").finding->estimate, 50.0 / 60.0);
  ASSERT_EQ(sens.bounding.size(), 2u);
  EXPECT_EQ(sens.bounding[0].name, "all_against_model");
  EXPECT_DOUBLE_EQ(sens.bounding[0].finding->estimate, 30.0 / 40.0);
  EXPECT_EQ(sens.bounding[1].name, "all_for_model");
  EXPECT_DOUBLE_EQ(sens.bounding[1].finding->estimate, 34.0 / 40.0);
  EXPECT_DOUBLE_EQ(Endpoint(study, "spec").bounding[1].finding->estimate, 55.0 / 60.0);
}

TEST(StudyIndeterminate, ScopingRejectedInputsOutMakesTheRejectionRateAClaim) {
  TemporaryDirectory dir;
  const auto study = RunProtocol(
      dir,
      ProtocolText("",
                   "output_status = \"status\"\nrejected_status = [\"rejected\"]\n"
                   "indeterminate = \"scope_out_rejected\"\nmaximum_rejection_rate = 0.2\n"
                   "minimum_positives = 5\nminimum_negatives = 5\n"),
      Indeterminate());
  EXPECT_EQ(study.indeterminate.scoped_out, 4u);
  EXPECT_EQ(study.indeterminate.counted_against_model, 5u);
  EXPECT_DOUBLE_EQ(Endpoint(study, "sens").finding->estimate, 30.0 / 38.0);
  EXPECT_DOUBLE_EQ(Endpoint(study, "spec").finding->estimate, 50.0 / 58.0);
  // The case flow still closes: the scoped-out inputs are exclusions, by line.
  const auto& flow = study.table.flow;
  EXPECT_EQ(flow.received, 100u);
  EXPECT_EQ(flow.analysed, 96u);
  std::size_t scoped = 0;
  for (const auto& exclusion : flow.exclusions) {
    if (exclusion.reason == "rejected_input_scoped_out") ++scoped;
  }
  EXPECT_EQ(scoped, 4u);
  EXPECT_TRUE(FindGate(study, "case_flow_closes").passed);
  // 4/100 rejected: Wilson 95% upper bound 0.098 < 0.2, so the ceiling claim is supported.
  const auto& rejection = Endpoint(study, "rejection_rate");
  EXPECT_DOUBLE_EQ(rejection.finding->estimate, 0.04);
  EXPECT_NEAR(rejection.finding->ci->upper, 0.0984, 5e-4);
  EXPECT_EQ(rejection.verdict, Verdict::kSupported);
  EXPECT_TRUE(rejection.spec.primary);
}

TEST(StudyGates, ModelHashMismatchMakesEveryEndpointNotEvaluable) {
  TemporaryDirectory dir;
  dir.Write("model.bin", "weights v2");
  const std::string declared = "sha256 = \"" + Sha256("weights v2") + "\"\nfile = \"model.bin\"\n";
  const auto same = RunProtocol(dir, ProtocolText("", "", declared), TwoByTwo(90, 190));
  EXPECT_TRUE(FindGate(same, "model_identity").passed);
  EXPECT_EQ(Endpoint(same, "sens").verdict, Verdict::kSupported);

  dir.Write("model.bin", "weights v3");
  const auto other = RunProtocol(dir, ProtocolText("", "", declared), TwoByTwo(90, 190));
  EXPECT_FALSE(FindGate(other, "model_identity").passed);
  EXPECT_EQ(Endpoint(other, "sens").verdict, Verdict::kNotEvaluable);
  EXPECT_EQ(other.overall, OverallVerdict::kInsufficient);
}

TEST(StudyGates, OnlyALockedProtocolCanBeSufficient) {
  TemporaryDirectory dir;
  const auto unlocked = RunProtocol(dir, ProtocolText("", ""), TwoByTwo(90, 190));
  EXPECT_FALSE(FindGate(unlocked, "protocol_locked").passed);
  EXPECT_TRUE(Endpoint(unlocked, "sens").exploratory);
  EXPECT_EQ(unlocked.overall, OverallVerdict::kInsufficient);

  const auto locked = RunProtocol(dir, ProtocolText("", ""), TwoByTwo(90, 190),
                                  StudyContext{std::string(64, 'a'), "2026-01-01T00:00:00Z", {}});
  EXPECT_TRUE(FindGate(locked, "protocol_locked").passed);
  EXPECT_FALSE(Endpoint(locked, "sens").exploratory);
  EXPECT_EQ(locked.overall, OverallVerdict::kSufficient);
}

// Subgroup goals are judged on intervals widened for the family: Bonferroni
// over three sites uses level 1 - 0.05 / 3.
TEST(StudySubgroups, GoalsAreJudgedOnMultiplicityAdjustedIntervals) {
  Rows rows;
  for (const char* site : {"a", "b", "c"}) {
    rows.Add(45, "yes", "0.9", "ok", site);
    rows.Add(5, "yes", "0.1", "ok", site);
    rows.Add(45, "no", "0.1", "ok", site);
    rows.Add(5, "no", "0.9", "ok", site);
  }
  for (const char* method : {"bonferroni", "holm", "none"}) {
    TemporaryDirectory dir;
    const std::string plan =
        std::string("[subgroups]\ncolumns = [\"site\"]\nminimum_cases = 20\n") +
        "multiplicity = \"" + method + "\"\ngoal = 0.75\n";
    const auto study = RunProtocol(dir, ProtocolText("", "") + plan, rows.text);
    std::size_t judged = 0;
    for (const auto& subgroup : study.subgroups) {
      if (subgroup.endpoint != "sens") continue;
      ASSERT_TRUE(subgroup.adjusted_ci.has_value()) << method;
      ++judged;
      // 45/50 = 0.9 clears 0.75 even at level 1 - 0.05/3.
      EXPECT_EQ(subgroup.verdict, Verdict::kSupported) << method;
      const double expected = std::string(method) == "bonferroni" ? 1.0 - 0.05 / 3.0
                              : std::string(method) == "holm"     ? 1.0 - 0.05 / 3.0
                                                                  : 0.95;
      EXPECT_NEAR(subgroup.adjusted_ci->level, expected, 1e-12) << method;
    }
    EXPECT_EQ(judged, 3u) << method;
  }
}

// Paired sensitivities on 100k positives (both right `both`k, only the model
// `model_only`k, only the comparator `comparator_only`k, both wrong the rest)
// and 100k negatives.
std::string Paired(int k, int both = 75, int model_only = 10, int comparator_only = 10) {
  std::string text = "id,truth,score,old\n";
  int next = 0;
  auto add = [&](int count, const char* truth, const char* score, const char* old) {
    for (int i = 0; i < count * k; ++i) {
      text += "c" + std::to_string(next++) + "," + truth + "," + score + "," + old + "\n";
    }
  };
  add(both, "yes", "0.9", "0.9");
  add(model_only, "yes", "0.9", "0.1");
  add(comparator_only, "yes", "0.1", "0.9");
  add(100 - both - model_only - comparator_only, "yes", "0.1", "0.1");
  add(100, "no", "0.1", "0.1");
  return text;
}

// Sensitivity of `score` non-inferior to that of `old` within 0.05, on Paired() data.
constexpr const char* kNonInferiorityProtocol =
    "title = \"T\"\nintended_use = \"U\"\npurpose = \"change_control\"\n"
    "[data]\ncases = \"cases.csv\"\ntruth = \"truth\"\npositive = \"yes\"\nscore = \"score\"\n"
    "id = \"id\"\n[model]\nname = \"M\"\nversion = \"2\"\n"
    "[endpoints.sens_ni]\nmetric = \"sensitivity\"\nthreshold = 0.5\n"
    "hypothesis = \"non_inferiority\"\ncomparator = \"old\"\nmargin = 0.05\n";

// The cases needed for an inconclusive non-inferiority claim: scaling the
// data up to the predicted size decides it, and one step short does not.
TEST(StudyCasesNeeded, NonInferiorityPredictionDecidesWhenTheDataGrow) {
  const std::string protocol = kNonInferiorityProtocol;
  TemporaryDirectory dir;
  const auto study = RunProtocol(dir, protocol, Paired(1));
  const auto& endpoint = Endpoint(study, "sens_ni");
  ASSERT_EQ(endpoint.verdict, Verdict::kInconclusive) << endpoint.reason;
  ASSERT_TRUE(endpoint.cases_needed.has_value());
  const auto& needed = *endpoint.cases_needed;
  EXPECT_EQ(needed.unit, "positives");
  ASSERT_TRUE(needed.precision_positives.has_value());
  EXPECT_FALSE(needed.precision_negatives.has_value());
  const double total = 100.0 + static_cast<double>(*needed.precision_positives);
  const int enough = static_cast<int>(std::ceil(total / 100.0));
  ASSERT_GE(enough, 2);
  EXPECT_EQ(Endpoint(RunProtocol(dir, protocol, Paired(enough)), "sens_ni").verdict,
            Verdict::kSupported);
  if (static_cast<double>(enough - 1) * 100.0 < total) {
    EXPECT_EQ(Endpoint(RunProtocol(dir, protocol, Paired(enough - 1)), "sens_ni").verdict,
              Verdict::kInconclusive);
  }
  // The planning total is larger than the precision total (it adds z for 80% power).
  EXPECT_GT(static_cast<double>(*needed.power_positives), total);
}

// The same when the model is worse than the margin allows (sensitivity 0.75
// against 0.85): the predicted size decides it the other way, not supported.
TEST(StudyCasesNeeded, NonInferiorityOnTheBadSideIsDecidedAgainst) {
  const std::string protocol = kNonInferiorityProtocol;
  TemporaryDirectory dir;
  const auto endpoint = Endpoint(RunProtocol(dir, protocol, Paired(1, 70, 5, 15)), "sens_ni");
  ASSERT_EQ(endpoint.verdict, Verdict::kInconclusive) << endpoint.reason;
  ASSERT_TRUE(endpoint.cases_needed && endpoint.cases_needed->precision_positives);
  const double total = 100.0 + static_cast<double>(*endpoint.cases_needed->precision_positives);
  const int enough = static_cast<int>(std::ceil(total / 100.0));
  ASSERT_GE(enough, 2);
  EXPECT_EQ(Endpoint(RunProtocol(dir, protocol, Paired(enough, 70, 5, 15)), "sens_ni").verdict,
            Verdict::kNotSupported);
}

}  // namespace
}  // namespace assay::evidence

namespace assay::evidence {
namespace {

// Site b misses half its positives: the search names it, with its counts, and the
// search's columns make no subgroups of their own.
TEST(StudyFailureSlices, NamesTheWeakSite) {
  TemporaryDirectory dir;
  Rows rows;
  rows.Add(90, "yes", "0.9", "ok", "a");
  rows.Add(10, "yes", "0.1", "ok", "a");
  rows.Add(180, "no", "0.1", "ok", "a");
  rows.Add(20, "no", "0.9", "ok", "a");
  rows.Add(40, "yes", "0.9", "ok", "b");
  rows.Add(40, "yes", "0.1", "ok", "b");
  rows.Add(90, "no", "0.1", "ok", "b");
  rows.Add(10, "no", "0.9", "ok", "b");
  const StudyResult study = RunProtocol(
      dir, ProtocolText("", "", "") + "[failure_slices]\ncolumns = [\"site\"]\n", rows.text);
  ASSERT_TRUE(study.failure_slices);
  const auto& found = *study.failure_slices;
  EXPECT_EQ(found.threshold, 0.5);
  ASSERT_EQ(found.features.size(), 1U);
  EXPECT_EQ(found.features[0].second, "categorical");
  ASSERT_EQ(found.search.slices.size(), 1U);
  const auto& slice = found.search.slices[0];
  EXPECT_EQ(slice.description, "site = b");
  EXPECT_EQ(slice.cases, 180U);
  EXPECT_EQ(slice.result.metric, analysis::SliceMetric::kSensitivity);
  EXPECT_EQ(slice.result.events, 40U);
  EXPECT_EQ(slice.result.trials, 80U);
  EXPECT_EQ(slice.result.rest_events, 90U);
  ASSERT_EQ(slice.examples.size(), 5U);
  EXPECT_TRUE(study.table.groups.empty());  // site is not a subgroup column here
  EXPECT_TRUE(study.subgroups.empty());
  const auto document =
      StudyToJson(LoadProtocol(dir.Path("protocol.toml")).value(), study, RunContext{});
  EXPECT_EQ(document["failure_slices"]["slices"][0]["description"], "site = b");
  EXPECT_NE(FormatStudySummary(LoadProtocol(dir.Path("protocol.toml")).value(), study, false)
                .find("%): sensitivity 0.500 vs 0.900 in the rest"),
            std::string::npos);
}

// Verdict words are coloured only when asked (a terminal), and the columns stay aligned.
TEST(FormatStudySummary, ColoursVerdictsOnlyWhenAsked) {
  TemporaryDirectory dir;
  const std::string text = ProtocolText("", "");
  dir.Write("cases.csv", TwoByTwo(75, 170));
  auto protocol = LoadProtocol(dir.Write("protocol.toml", text));
  ASSERT_TRUE(protocol.ok());
  auto study = RunStudy(*protocol);
  ASSERT_TRUE(study.ok());
  const std::string plain = FormatStudySummary(*protocol, *study);
  const std::string coloured = FormatStudySummary(*protocol, *study, true);
  EXPECT_EQ(plain.find('\033'), std::string::npos);
  EXPECT_NE(coloured.find("\033[1;33minconclusive\033[0m"), std::string::npos) << coloured;
  std::string stripped = coloured;
  for (const char* code : {"\033[1;33m", "\033[1;32m", "\033[1;31m", "\033[1;2m", "\033[0m"}) {
    for (auto at = stripped.find(code); at != std::string::npos; at = stripped.find(code)) {
      stripped.erase(at, std::string(code).size());
    }
  }
  EXPECT_EQ(stripped, plain);
}

}  // namespace
}  // namespace assay::evidence
