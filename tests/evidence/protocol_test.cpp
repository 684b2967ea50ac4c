#include "assay/evidence/protocol.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "assay/data/case_table.h"
#include "test_files.h"

namespace assay::evidence {
namespace {

using assay::testing::TemporaryDirectory;

// A minimal valid protocol; the line numbers matter to the tests below.
constexpr const char* kBase =
    "title = \"T\"\n"                   // 1
    "intended_use = \"U\"\n"            // 2
    "purpose = \"local_acceptance\"\n"  // 3
    "[data]\n"                          // 4
    "cases = \"cases.csv\"\n"           // 5
    "truth = \"truth\"\n"               // 6
    "positive = \"yes\"\n"              // 7
    "score = \"score\"\n"               // 8
    "[model]\n"                         // 9
    "name = \"M\"\n"                    // 10
    "version = \"1\"\n"                 // 11
    "[endpoints.sens]\n"                // 12
    "metric = \"sensitivity\"\n"        // 13
    "threshold = 0.5\n"                 // 14
    "goal = 0.7\n";                     // 15

// kBase with the first occurrence of `from` replaced by `to`.
std::string Replace(const std::string& from, const std::string& to) {
  std::string text = kBase;
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// kBase followed by `more` (which starts on line 16).
std::string Append(const std::string& more) { return std::string(kBase) + more; }

Result<Protocol> Load(const std::string& text) {
  TemporaryDirectory dir;
  return LoadProtocol(dir.Write("protocol.toml", text));
}

// Loads `text` and expects an invalid-input error whose message contains `where`
// ("line 15, key 'endpoints.sens.goal'") and `what`.
void ExpectError(const std::string& text, const std::string& where, const std::string& what) {
  TemporaryDirectory dir;
  const std::string path = dir.Write("protocol.toml", text);
  auto protocol = LoadProtocol(path);
  ASSERT_FALSE(protocol.ok());
  const std::string message = protocol.status().message();
  EXPECT_EQ(protocol.status().code(), StatusCode::kInvalidInput) << message;
  EXPECT_EQ(message.rfind(path, 0), 0u) << message;
  EXPECT_NE(message.find(where), std::string::npos) << message;
  EXPECT_NE(message.find(what), std::string::npos) << message;
}

TEST(LoadProtocol, ReadsTheTriageExample) {
  const std::string source = ASSAY_SOURCE_DIR;
  auto protocol = LoadProtocol(source + "/examples/triage_protocol.toml");
  ASSERT_TRUE(protocol.ok()) << protocol.status().message();
  EXPECT_EQ(protocol->purpose, "local_acceptance");
  EXPECT_FALSE(protocol->title.empty());
  EXPECT_FALSE(protocol->intended_use.empty());
  EXPECT_EQ(std::filesystem::path(protocol->cases),
            std::filesystem::path(source + "/examples/triage_cases.csv").lexically_normal());
  EXPECT_EQ(protocol->roles.truth, "truth");
  EXPECT_EQ(protocol->roles.positive, "pneumothorax");
  EXPECT_EQ(protocol->roles.score, "score");
  EXPECT_EQ(protocol->roles.id, "study_id");
  EXPECT_EQ(protocol->roles.cluster, "patient");
  EXPECT_EQ(protocol->roles.output_status, "inference_status");
  EXPECT_EQ(protocol->roles.rejected_status, (std::vector<std::string>{"rejected"}));
  EXPECT_TRUE(protocol->roles.keep_indeterminate);
  EXPECT_FALSE(protocol->scope_out_rejected);
  EXPECT_FALSE(protocol->roles.compare);
  EXPECT_TRUE(protocol->roles.groups.empty());
  EXPECT_EQ(protocol->combine, "all");
  EXPECT_EQ(protocol->seed, 20240101u);
  EXPECT_EQ(protocol->bootstrap, 2000u);

  ASSERT_EQ(protocol->endpoints.size(), 4u);
  const EndpointSpec& sensitivity = protocol->endpoints[0];
  EXPECT_EQ(sensitivity.id, "sensitivity_at_lock");
  EXPECT_EQ(sensitivity.metric, "sensitivity");
  EXPECT_EQ(sensitivity.threshold, 0.5);
  EXPECT_EQ(sensitivity.goal, 0.70);
  EXPECT_EQ(sensitivity.interval, "wilson");
  EXPECT_TRUE(sensitivity.primary);
  EXPECT_EQ(protocol->endpoints[1].id, "specificity_at_lock");
  EXPECT_EQ(protocol->endpoints[1].goal, 0.85);
  EXPECT_TRUE(protocol->endpoints[1].primary);
  EXPECT_EQ(protocol->endpoints[2].metric, "auc");
  EXPECT_FALSE(protocol->endpoints[2].primary);
  const EndpointSpec& non_inferiority = protocol->endpoints[3];
  EXPECT_EQ(non_inferiority.hypothesis, Hypothesis::kNonInferiority);
  EXPECT_EQ(non_inferiority.comparator, "cleared_score");
  EXPECT_EQ(non_inferiority.margin, 0.05);
  EXPECT_FALSE(non_inferiority.goal);
  EXPECT_FALSE(non_inferiority.primary);

  EXPECT_EQ(protocol->subgroups.columns,
            (std::vector<std::string>{"vendor", "site", "sex", "age"}));
  EXPECT_EQ(protocol->subgroups.bins.at("age"), (std::vector<double>{40, 65}));
  EXPECT_EQ(protocol->subgroups.minimum_cases, 30u);
  EXPECT_EQ(protocol->subgroups.multiplicity, "holm");

  // The example's columns exist in the example's cases.
  data::CaseRoles roles = protocol->roles;
  roles.compare = non_inferiority.comparator;
  roles.groups = protocol->subgroups.columns;
  auto table = data::LoadCaseTable(protocol->cases, roles);
  EXPECT_TRUE(table.ok()) << table.status().message();
}

TEST(LoadProtocol, MinimalProtocolTakesTheDefaults) {
  auto protocol = Load(kBase);
  ASSERT_TRUE(protocol.ok()) << protocol.status().message();
  EXPECT_EQ(protocol->seed, 20240101u);
  EXPECT_EQ(protocol->bootstrap, 2000u);
  EXPECT_EQ(protocol->minimum_positives, 10u);
  EXPECT_EQ(protocol->minimum_negatives, 10u);
  EXPECT_EQ(protocol->combine, "all");
  EXPECT_EQ(protocol->roles.direction, data::ScoreDirection::kHigherIsPositive);
  EXPECT_FALSE(protocol->roles.id);
  EXPECT_FALSE(protocol->roles.cluster);
  EXPECT_FALSE(protocol->model_sha256);
  ASSERT_EQ(protocol->endpoints.size(), 1u);
  const EndpointSpec& endpoint = protocol->endpoints[0];
  EXPECT_EQ(endpoint.hypothesis, Hypothesis::kGoal);
  EXPECT_EQ(endpoint.interval, "");
  EXPECT_EQ(endpoint.level, 0.95);
  EXPECT_TRUE(endpoint.primary);
  EXPECT_EQ(endpoint.line, 12u);
  EXPECT_TRUE(protocol->subgroups.columns.empty());
  EXPECT_EQ(protocol->subgroups.minimum_cases, 30u);
  EXPECT_EQ(protocol->subgroups.multiplicity, "holm");
}

TEST(LoadProtocol, ReadsEveryOptionalField) {
  auto full = Load(Replace("[data]\n",
                           "seed = 7\nbootstrap = 500\ncombine = \"holm\"\n[data]\n"
                           "id = \"case\"\ncluster = \"patient\"\ndirection = \"lower\"\n"
                           "exclude_missing_truth = true\nexclude_missing_score = true\n"
                           "minimum_positives = 3\nminimum_negatives = 4\n") +
                   "interval = \"clopper_pearson\"\nlevel = 0.9\n"
                   "[endpoints.spec]\nmetric = \"specificity\"\ntarget_sensitivity = 0.9\n"
                   "goal = 0.5\nprimary = false\n"
                   "[subgroups]\ncolumns = [\"site\", \"age\"]\nminimum_cases = 5\n"
                   "multiplicity = \"none\"\ngoal = 0.6\n[subgroups.bins]\nage = [18.5, 40, 65]\n");
  ASSERT_TRUE(full.ok()) << full.status().message();
  EXPECT_EQ(full->seed, 7u);
  EXPECT_EQ(full->bootstrap, 500u);
  EXPECT_EQ(full->combine, "holm");
  EXPECT_EQ(full->roles.id, "case");
  EXPECT_EQ(full->roles.cluster, "patient");
  EXPECT_EQ(full->roles.direction, data::ScoreDirection::kLowerIsPositive);
  EXPECT_TRUE(full->roles.exclude_missing_truth);
  EXPECT_TRUE(full->roles.exclude_missing_score);
  EXPECT_EQ(full->minimum_positives, 3u);
  EXPECT_EQ(full->minimum_negatives, 4u);
  ASSERT_EQ(full->endpoints.size(), 2u);
  EXPECT_EQ(full->endpoints[0].interval, "clopper_pearson");
  EXPECT_EQ(full->endpoints[0].level, 0.9);
  EXPECT_EQ(full->endpoints[1].target_sensitivity, 0.9);
  EXPECT_FALSE(full->endpoints[1].threshold);
  EXPECT_EQ(full->subgroups.columns, (std::vector<std::string>{"site", "age"}));
  EXPECT_EQ(full->subgroups.bins.at("age"), (std::vector<double>{18.5, 40, 65}));
  EXPECT_EQ(full->subgroups.minimum_cases, 5u);
  EXPECT_EQ(full->subgroups.multiplicity, "none");
  EXPECT_EQ(full->subgroups.goal, 0.6);
}

TEST(LoadProtocol, KeepsEndpointsInFileOrder) {
  auto protocol = Load(Replace("[endpoints.sens]", "[endpoints.z_first]") +
                       "[endpoints.a_second]\nmetric = \"auc\"\ngoal = 0.8\n"
                       "[endpoints.m_third]\nmetric = \"npv\"\nthreshold = 0.2\ngoal = 0.9\n");
  ASSERT_TRUE(protocol.ok()) << protocol.status().message();
  ASSERT_EQ(protocol->endpoints.size(), 3u);
  EXPECT_EQ(protocol->endpoints[0].id, "z_first");
  EXPECT_EQ(protocol->endpoints[1].id, "a_second");
  EXPECT_EQ(protocol->endpoints[2].id, "m_third");
}

TEST(LoadProtocol, ResolvesCasesAgainstTheProtocolFolder) {
  TemporaryDirectory dir;
  std::filesystem::create_directories(dir.Path("study"));
  auto relative = LoadProtocol(dir.Write("study/protocol.toml", kBase));
  ASSERT_TRUE(relative.ok()) << relative.status().message();
  EXPECT_EQ(relative->cases, dir.Path("study/cases.csv"));
  EXPECT_EQ(relative->path, dir.Path("study/protocol.toml"));

  auto absolute = LoadProtocol(
      dir.Write("study/absolute.toml", Replace("\"cases.csv\"", "\"/data/elsewhere/cases.csv\"")));
  ASSERT_TRUE(absolute.ok()) << absolute.status().message();
  EXPECT_EQ(absolute->cases, "/data/elsewhere/cases.csv");
}

TEST(LoadProtocol, LowercasesTheModelDigest) {
  const std::string digest(64, 'A');
  auto protocol =
      Load(Replace("version = \"1\"\n", "version = \"1\"\nsha256 = \"" + digest + "\"\n"));
  ASSERT_TRUE(protocol.ok()) << protocol.status().message();
  EXPECT_EQ(protocol->model_sha256, std::string(64, 'a'));
}

TEST(LoadProtocol, AcceptsNonInferiorityAndSuperiorityEndpoints) {
  auto protocol =
      Load(Append("[endpoints.ni]\nmetric = \"sensitivity\"\nthreshold = 0.5\n"
                  "hypothesis = \"non_inferiority\"\ncomparator = \"old\"\nmargin = 0.05\n"
                  "[endpoints.sup]\nmetric = \"auc\"\nhypothesis = \"superiority\"\n"
                  "comparator = \"old\"\nmargin = 0\nprimary = false\n"));
  ASSERT_TRUE(protocol.ok()) << protocol.status().message();
  EXPECT_EQ(protocol->endpoints[1].hypothesis, Hypothesis::kNonInferiority);
  EXPECT_EQ(protocol->endpoints[2].hypothesis, Hypothesis::kSuperiority);
  EXPECT_EQ(protocol->endpoints[2].margin, 0.0);
}

TEST(LoadProtocol, AMissingFileIsAnIoError) {
  TemporaryDirectory dir;
  auto protocol = LoadProtocol(dir.Path("absent.toml"));
  ASSERT_FALSE(protocol.ok());
  EXPECT_EQ(protocol.status().code(), StatusCode::kIoError);
  EXPECT_NE(protocol.status().message().find("absent.toml"), std::string::npos);
}

TEST(IsThresholdMetric, NamesTheMetricsThatNeedAnOperatingPoint) {
  EXPECT_TRUE(IsThresholdMetric("sensitivity"));
  EXPECT_TRUE(IsThresholdMetric("accuracy"));
  EXPECT_FALSE(IsThresholdMetric("auc"));
  EXPECT_FALSE(IsThresholdMetric("f1"));
}

// ---- Bad protocols: each error names the key and its line.

TEST(ProtocolErrors, TomlSyntax) {
  ExpectError(Replace("goal = 0.7", "goal = = 0.7"), "line 15", "not valid TOML");
}

TEST(ProtocolErrors, RedefinedTableIsTomlError) {
  ExpectError(Append("[data]\n"), "line 16", "not valid TOML");
}

TEST(ProtocolErrors, GoalOutOfRange) {
  ExpectError(Replace("goal = 0.7", "goal = 1.2"), "line 15, key 'endpoints.sens.goal'",
              "1.2 is outside [0, 1]");
}

TEST(ProtocolErrors, GoalWrongType) {
  ExpectError(Replace("goal = 0.7", "goal = \"0.7\""), "line 15, key 'endpoints.sens.goal'",
              "expected a number, found a string");
}

TEST(ProtocolErrors, UnknownEndpointKey) {
  ExpectError(Replace("goal = 0.7", "gaol = 0.7"), "line 15, key 'endpoints.sens.gaol'",
              "unknown key");
}

TEST(ProtocolErrors, UnknownTopLevelKey) {
  ExpectError(Replace("[data]", "colour = \"blue\"\n[data]"), "line 4, key 'colour'",
              "unknown key");
}

TEST(ProtocolErrors, UnknownDataKey) {
  ExpectError(Replace("score = \"score\"", "score = \"score\"\nweights = \"w\""),
              "line 9, key 'data.weights'", "unknown key");
}

TEST(ProtocolErrors, MissingTitle) {
  ExpectError(Replace("title = \"T\"\n", ""), "key 'title'", "required key is missing");
}

TEST(ProtocolErrors, MissingDataColumnNamesTheTable) {
  ExpectError(Replace("truth = \"truth\"\n", ""), "line 4, key 'data.truth'",
              "required key is missing from [data]");
}

TEST(ProtocolErrors, MissingModelTable) {
  ExpectError(Replace("[model]\nname = \"M\"\nversion = \"1\"\n", ""), "key 'model'",
              "required key is missing");
}

TEST(ProtocolErrors, DataIsNotATable) {
  ExpectError(Replace("[data]\ncases = \"cases.csv\"\ntruth = \"truth\"\npositive = \"yes\"\n"
                      "score = \"score\"\n",
                      "data = \"cases.csv\"\n"),
              "line 4, key 'data'", "expected a table, found a string");
}

TEST(ProtocolErrors, EmptyString) {
  ExpectError(Replace("positive = \"yes\"", "positive = \"\""), "line 7, key 'data.positive'",
              "must not be empty");
}

TEST(ProtocolErrors, UnknownPurpose) {
  ExpectError(Replace("\"local_acceptance\"", "\"marketing\""), "line 3, key 'purpose'",
              "'marketing' is not one of regulatory_submission");
}

TEST(ProtocolErrors, UnknownCombine) {
  ExpectError(Replace("[data]", "combine = \"any\"\n[data]"), "line 4, key 'combine'",
              "'any' is not one of all, holm");
}

TEST(ProtocolErrors, UnknownDirection) {
  ExpectError(Replace("score = \"score\"", "score = \"score\"\ndirection = \"up\""),
              "line 9, key 'data.direction'", "'up' is not one of higher, lower");
}

TEST(ProtocolErrors, BootstrapTooSmall) {
  ExpectError(Replace("[data]", "bootstrap = 50\n[data]"), "line 4, key 'bootstrap'",
              "50 is below the minimum of 100");
}

TEST(ProtocolErrors, NegativeSeed) {
  ExpectError(Replace("[data]", "seed = -1\n[data]"), "line 4, key 'seed'",
              "-1 is below the minimum of 0");
}

TEST(ProtocolErrors, SeedIsNotAnInteger) {
  ExpectError(Replace("[data]", "seed = 1.5\n[data]"), "line 4, key 'seed'",
              "expected an integer, found a floating-point number");
}

TEST(ProtocolErrors, MinimumPositivesZero) {
  ExpectError(Replace("score = \"score\"", "score = \"score\"\nminimum_positives = 0"),
              "line 9, key 'data.minimum_positives'", "below the minimum of 1");
}

TEST(ProtocolErrors, ExcludeFlagNotBoolean) {
  ExpectError(Replace("score = \"score\"", "score = \"score\"\nexclude_missing_truth = \"yes\""),
              "line 9, key 'data.exclude_missing_truth'", "expected true or false");
}

TEST(ProtocolErrors, OneColumnInTwoRoles) {
  ExpectError(Replace("score = \"score\"", "score = \"score\"\nid = \"truth\""),
              "line 9, key 'data.id'", "column 'truth' is already the truth column");
}

TEST(ProtocolErrors, BadDigest) {
  ExpectError(Replace("version = \"1\"", "version = \"1\"\nsha256 = \"abc\""),
              "line 12, key 'model.sha256'", "not a SHA-256 digest");
}

TEST(ProtocolErrors, UnknownMetric) {
  ExpectError(Replace("\"sensitivity\"", "\"f1\""), "line 13, key 'endpoints.sens.metric'",
              "'f1' is not one of auc, sensitivity");
}

TEST(ProtocolErrors, MissingMetric) {
  ExpectError(Replace("metric = \"sensitivity\"\n", ""), "line 12, key 'endpoints.sens.metric'",
              "required key is missing from [endpoints.sens]");
}

TEST(ProtocolErrors, ThresholdMetricWithoutOperatingPoint) {
  ExpectError(Replace("threshold = 0.5\n", ""), "line 13, key 'endpoints.sens.metric'",
              "sensitivity needs an operating point");
}

TEST(ProtocolErrors, TwoOperatingPoints) {
  ExpectError(Replace("goal = 0.7", "goal = 0.7\ntarget_specificity = 0.9"),
              "line 16, key 'endpoints.sens.target_specificity'", "one operating point");
}

TEST(ProtocolErrors, AucWithThreshold) {
  ExpectError(Replace("\"sensitivity\"", "\"auc\""), "line 14, key 'endpoints.sens.threshold'",
              "auc is computed over every threshold");
}

TEST(ProtocolErrors, ThresholdNotFinite) {
  ExpectError(Replace("threshold = 0.5", "threshold = inf"),
              "line 14, key 'endpoints.sens.threshold'", "inf is not a finite number");
}

TEST(ProtocolErrors, TargetOutOfRange) {
  ExpectError(Append("[endpoints.spec]\nmetric = \"specificity\"\ntarget_sensitivity = 0\n"
                     "goal = 0.5\nprimary = false\n"),
              "line 18, key 'endpoints.spec.target_sensitivity'", "0 is outside (0, 1]");
}

TEST(ProtocolErrors, TargetOnTheTestedMetric) {
  ExpectError(Append("[endpoints.sens2]\nmetric = \"sensitivity\"\ntarget_sensitivity = 0.9\n"
                     "goal = 0.5\nprimary = false\n"),
              "line 18, key 'endpoints.sens2.target_sensitivity'", "fixes the very sensitivity");
}

TEST(ProtocolErrors, PrimaryEndpointWithTarget) {
  ExpectError(Replace("threshold = 0.5", "target_specificity = 0.9"),
              "line 14, key 'endpoints.sens.target_specificity'",
              "a primary endpoint needs a prespecified threshold");
}

TEST(ProtocolErrors, GoalEndpointWithoutGoal) {
  ExpectError(Replace("goal = 0.7\n", ""), "line 12, key 'endpoints.sens.goal'",
              "required key is missing");
}

TEST(ProtocolErrors, UnknownHypothesis) {
  ExpectError(Replace("goal = 0.7", "goal = 0.7\nhypothesis = \"equivalence\""),
              "line 16, key 'endpoints.sens.hypothesis'", "'equivalence' is not one of goal");
}

TEST(ProtocolErrors, NonInferiorityWithoutComparator) {
  ExpectError(Append("[endpoints.ni]\nmetric = \"auc\"\nhypothesis = \"non_inferiority\"\n"
                     "margin = 0.05\n"),
              "line 16, key 'endpoints.ni.comparator'", "required key is missing");
}

TEST(ProtocolErrors, NonInferiorityWithoutMargin) {
  ExpectError(Append("[endpoints.ni]\nmetric = \"auc\"\nhypothesis = \"non_inferiority\"\n"
                     "comparator = \"old\"\n"),
              "line 16, key 'endpoints.ni.margin'", "required key is missing");
}

TEST(ProtocolErrors, SuperiorityWithGoal) {
  ExpectError(Append("[endpoints.sup]\nmetric = \"auc\"\nhypothesis = \"superiority\"\n"
                     "comparator = \"old\"\nmargin = 0.02\ngoal = 0.8\n"),
              "line 21, key 'endpoints.sup.goal'", "superiority compares with a comparator");
}

TEST(ProtocolErrors, NegativeMargin) {
  ExpectError(Append("[endpoints.ni]\nmetric = \"auc\"\nhypothesis = \"non_inferiority\"\n"
                     "comparator = \"old\"\nmargin = -0.05\n"),
              "line 20, key 'endpoints.ni.margin'", "-0.05 is outside [0, 1]");
}

TEST(ProtocolErrors, MarginOnAGoalEndpoint) {
  ExpectError(Replace("goal = 0.7", "goal = 0.7\nmargin = 0.05"),
              "line 16, key 'endpoints.sens.margin'", "a margin belongs to non_inferiority");
}

TEST(ProtocolErrors, ComparatorOnAGoalEndpoint) {
  ExpectError(Replace("goal = 0.7", "goal = 0.7\ncomparator = \"old\""),
              "line 16, key 'endpoints.sens.comparator'", "a comparator belongs to");
}

TEST(ProtocolErrors, ComparatorIsTheScoreColumn) {
  ExpectError(Append("[endpoints.ni]\nmetric = \"auc\"\nhypothesis = \"non_inferiority\"\n"
                     "comparator = \"score\"\nmargin = 0.05\n"),
              "line 19, key 'endpoints.ni.comparator'", "the model's own score column");
}

TEST(ProtocolErrors, LevelOutOfRange) {
  ExpectError(Replace("goal = 0.7", "goal = 0.7\nlevel = 1"), "line 16, key 'endpoints.sens.level'",
              "1 is outside (0, 1)");
}

TEST(ProtocolErrors, UnknownIntervalMethod) {
  ExpectError(Replace("goal = 0.7", "goal = 0.7\ninterval = \"exact\""),
              "line 16, key 'endpoints.sens.interval'",
              "'exact' is not an interval method for sensitivity; use one of wilson");
}

TEST(ProtocolErrors, AucIntervalOnAProportion) {
  ExpectError(Replace("goal = 0.7", "goal = 0.7\ninterval = \"delong\""),
              "line 16, key 'endpoints.sens.interval'", "not an interval method for sensitivity");
}

TEST(ProtocolErrors, ProportionIntervalOnAuc) {
  ExpectError(Append("[endpoints.auc]\nmetric = \"auc\"\ngoal = 0.8\ninterval = \"wilson\"\n"),
              "line 19, key 'endpoints.auc.interval'",
              "use one of delong, bootstrap_percentile, bootstrap_bca");
}

TEST(ProtocolErrors, PrimaryNotBoolean) {
  ExpectError(Replace("goal = 0.7", "goal = 0.7\nprimary = 1"),
              "line 16, key 'endpoints.sens.primary'", "expected true or false, found an integer");
}

TEST(ProtocolErrors, EndpointIsNotATable) {
  ExpectError(Replace("[endpoints.sens]\nmetric = \"sensitivity\"\nthreshold = 0.5\ngoal = 0.7\n",
                      "[endpoints]\nsens = 3\n"),
              "line 13, key 'endpoints.sens'", "expected a table");
}

TEST(ProtocolErrors, EndpointIdWithSpaces) {
  ExpectError(Replace("[endpoints.sens]", "[endpoints.\"my endpoint\"]"),
              "line 12, key 'endpoints.my endpoint'", "letters, digits");
}

TEST(ProtocolErrors, NoEndpoints) {
  ExpectError(
      Replace("[endpoints.sens]\nmetric = \"sensitivity\"\nthreshold = 0.5\ngoal = 0.7\n", ""),
      "key 'endpoints'", "no endpoints");
}

TEST(ProtocolErrors, EmptyEndpointsTable) {
  ExpectError(Replace("[endpoints.sens]\nmetric = \"sensitivity\"\nthreshold = 0.5\ngoal = 0.7\n",
                      "[endpoints]\n"),
              "line 12, key 'endpoints'", "no endpoints");
}

TEST(ProtocolErrors, NoPrimaryEndpoint) {
  ExpectError(Replace("goal = 0.7", "goal = 0.7\nprimary = false"), "key 'endpoints'",
              "no primary endpoint");
}

TEST(ProtocolErrors, UnknownSubgroupKey) {
  ExpectError(Append("[subgroups]\ncolumns = [\"site\"]\nminimum = 30\n"),
              "line 18, key 'subgroups.minimum'", "unknown key");
}

TEST(ProtocolErrors, UnknownMultiplicity) {
  ExpectError(Append("[subgroups]\ncolumns = [\"site\"]\nmultiplicity = \"sidak\"\n"),
              "line 18, key 'subgroups.multiplicity'", "'sidak' is not one of holm");
}

TEST(ProtocolErrors, SubgroupColumnsNotStrings) {
  ExpectError(Append("[subgroups]\ncolumns = [\"site\", 3]\n"), "line 17, key 'subgroups.columns'",
              "expected an array of strings, found an integer");
}

TEST(ProtocolErrors, SubgroupColumnTwice) {
  ExpectError(Append("[subgroups]\ncolumns = [\"site\", \"site\"]\n"),
              "line 17, key 'subgroups.columns'", "column 'site' is listed twice");
}

TEST(ProtocolErrors, SubgroupGoalOutOfRange) {
  ExpectError(Append("[subgroups]\ncolumns = [\"site\"]\ngoal = 70\n"),
              "line 18, key 'subgroups.goal'", "70 is outside [0, 1]");
}

TEST(ProtocolErrors, SubgroupMinimumCasesZero) {
  ExpectError(Append("[subgroups]\ncolumns = [\"site\"]\nminimum_cases = 0\n"),
              "line 18, key 'subgroups.minimum_cases'", "below the minimum of 1");
}

TEST(ProtocolErrors, BinsNotAscending) {
  ExpectError(Append("[subgroups]\ncolumns = [\"age\"]\n[subgroups.bins]\nage = [65, 40]\n"),
              "line 19, key 'subgroups.bins.age'", "strictly ascending, but 40 follows 65");
}

TEST(ProtocolErrors, BinsRepeatACutPoint) {
  ExpectError(Append("[subgroups]\ncolumns = [\"age\"]\n[subgroups.bins]\nage = [40, 40]\n"),
              "line 19, key 'subgroups.bins.age'", "strictly ascending");
}

TEST(ProtocolErrors, BinsForAColumnNotListed) {
  ExpectError(Append("[subgroups]\ncolumns = [\"site\"]\n[subgroups.bins]\nage = [40]\n"),
              "line 19, key 'subgroups.bins.age'", "'age' is not in subgroups.columns");
}

TEST(ProtocolErrors, BinsNotNumbers) {
  ExpectError(Append("[subgroups]\ncolumns = [\"age\"]\n[subgroups.bins]\nage = [\"40\"]\n"),
              "line 19, key 'subgroups.bins.age'", "expected an array of numbers, found a string");
}

TEST(ProtocolErrors, BinsEmpty) {
  ExpectError(Append("[subgroups]\ncolumns = [\"age\"]\n[subgroups.bins]\nage = []\n"),
              "line 19, key 'subgroups.bins.age'", "at least one cut point");
}

// Indeterminate outputs, the model file and Holm: lines 4..8 are in [data],
// so keys inserted after line 8 ("score = ...") land on line 9 onwards.
std::string WithData(const std::string& keys) {
  return Replace("score = \"score\"\n", "score = \"score\"\n" + keys);
}

TEST(ProtocolErrors, ScopingOutRejectedInputsNeedsTheStatusColumn) {
  ExpectError(WithData("indeterminate = \"scope_out_rejected\"\nmaximum_rejection_rate = 0.1\n"),
              "line 9, key 'data.indeterminate'", "needs data.output_status");
}

TEST(ProtocolErrors, ScopingOutRejectedInputsNeedsACeiling) {
  ExpectError(WithData("output_status = \"s\"\nindeterminate = \"scope_out_rejected\"\n"),
              "line 10, key 'data.indeterminate'", "maximum_rejection_rate");
}

TEST(ProtocolErrors, RejectionCeilingWithoutScopingOut) {
  ExpectError(WithData("maximum_rejection_rate = 0.1\n"),
              "line 9, key 'data.maximum_rejection_rate'", "scope_out_rejected");
}

TEST(ProtocolErrors, RejectedStatusThatIsAlsoValid) {
  ExpectError(WithData("output_status = \"s\"\nvalid_status = [\"ok\", \"x\"]\n"
                       "rejected_status = [\"x\"]\n"),
              "line 11, key 'data.rejected_status'", "'x' is also a valid status");
}

TEST(ProtocolErrors, StatusValuesWithoutTheStatusColumn) {
  ExpectError(WithData("valid_status = [\"ok\"]\n"), "line 9, key 'data.valid_status'",
              "needs data.output_status");
}

TEST(ProtocolErrors, StatusColumnThatIsTheScoreColumn) {
  ExpectError(WithData("output_status = \"score\"\n"), "key 'data.output_status'",
              "already the score column");
}

TEST(ProtocolErrors, UnknownIndeterminateHandling) {
  ExpectError(WithData("indeterminate = \"ignore\"\n"), "line 9, key 'data.indeterminate'",
              "count_against_model");
}

TEST(ProtocolErrors, HolmNeedsOneLevelForThePrimaryEndpoints) {
  ExpectError(Append("level = 0.95\n[endpoints.spec]\nmetric = \"specificity\"\nthreshold = 0.5\n"
                     "goal = 0.8\nlevel = 0.9\n")
                  .insert(0, "combine = \"holm\"\n"),
              "line 22, key 'endpoints.spec.level'", "every primary endpoint needs level 0.95");
}

TEST(LoadProtocol, ReadsIndeterminateHandlingAndTheModelFile) {
  std::string text = WithData(
      "output_status = \"status\"\nvalid_status = [\"ok\", \"done\"]\n"
      "rejected_status = [\"refused\"]\nindeterminate = \"scope_out_rejected\"\n"
      "maximum_rejection_rate = 0.05\n");
  text.replace(text.find("version = \"1\"\n"), 14, "version = \"1\"\nfile = \"w/m.onnx\"\n");
  TemporaryDirectory dir;
  auto protocol = LoadProtocol(dir.Write("protocol.toml", text));
  ASSERT_TRUE(protocol.ok()) << protocol.status().message();
  EXPECT_EQ(protocol->roles.output_status, "status");
  EXPECT_EQ(protocol->roles.valid_status, (std::vector<std::string>{"ok", "done"}));
  EXPECT_EQ(protocol->roles.rejected_status, (std::vector<std::string>{"refused"}));
  EXPECT_TRUE(protocol->scope_out_rejected);
  EXPECT_EQ(protocol->maximum_rejection_rate, 0.05);
  EXPECT_EQ(protocol->model_file, dir.Path("w/m.onnx"));
}

TEST(LoadProtocol, ReadsFailureSlicesWithTheirDefaults) {
  auto protocol = Load(Append("[failure_slices]\ncolumns = [\"site\", \"age\"]\nfdr = 0.1\n"));
  ASSERT_TRUE(protocol.ok()) << protocol.status().message();
  ASSERT_TRUE(protocol->failure_slices);
  const FailureSlicePlan& plan = *protocol->failure_slices;
  EXPECT_EQ(plan.columns, (std::vector<std::string>{"site", "age"}));
  EXPECT_EQ(plan.threshold, 0.5);  // the primary endpoint's
  EXPECT_EQ(plan.search.fdr, 0.1);
  EXPECT_EQ(plan.search.max_conditions, 3U);
  EXPECT_EQ(plan.search.metrics.size(), 2U);
  EXPECT_EQ(plan.line, 16U);
}

TEST(ProtocolErrors, MaximumShareMustExceedMinimumShare) {
  ExpectError(Append("[failure_slices]\ncolumns = [\"site\"]\nminimum_share = 0.3\n"
                     "maximum_share = 0.2\n"),
              "key 'failure_slices.maximum_share'", "not above minimum_share");
}

TEST(ProtocolErrors, FailureSlicesKeysAreChecked) {
  ExpectError(Append("[failure_slices]\ncolumns = [\"site\"]\nfdr = 1.5\n"),
              "line 18, key 'failure_slices.fdr'", "outside (0, 1)");
  ExpectError(Append("[failure_slices]\ncolumns = [\"site\"]\nmax_conditions = 4\n"),
              "key 'failure_slices.max_conditions'", "above the maximum of 3");
  ExpectError(Append("[failure_slices]\ncolumns = [\"site\"]\nmetrics = [\"auc\"]\n"),
              "key 'failure_slices.metrics'", "'auc' is not one of");
  ExpectError(Append("[failure_slices]\ncolumns = [\"site\", \"site\"]\n"),
              "key 'failure_slices.columns'", "listed twice");
  ExpectError(Append("[failure_slices]\ncolums = [\"site\"]\n"), "failure_slices.colums",
              "unknown key");
  ExpectError(Append("[failure_slices]\nfdr = 0.1\n"), "failure_slices", "nothing to slice by");
}

TEST(ProtocolErrors, FailureSlicesNeedAnOperatingPoint) {
  const std::string text = Replace("metric = \"sensitivity\"\nthreshold = 0.5\ngoal = 0.7\n",
                                   "metric = \"auc\"\ngoal = 0.7\n") +
                           "[failure_slices]\ncolumns = [\"site\"]\n";
  ExpectError(text, "failure_slices", "needs an operating point");
}

}  // namespace
}  // namespace assay::evidence
