#include "assay/report/vega_specs.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <numeric>

namespace assay::report {
namespace {

using nlohmann::json;

// A staircase ROC curve with `steps` points from (spec 1, sens 0) to (0, 1).
json Evidence(int steps) {
  json curve = json::array();
  for (int i = 0; i <= steps; ++i) {
    const double t = static_cast<double>(i) / steps;
    curve.push_back(
        {{"threshold", 1.0 - t}, {"sensitivity", std::sqrt(t)}, {"specificity", 1 - t}});
  }
  return {{"roc_curve", curve},
          {"n_positive", 100},
          {"n_negative", 100},
          {"operating_points", json::array({{{"rule", "threshold"}, {"threshold", 0.5}}})},
          {"findings", json::array({{{"metric", "sensitivity"},
                                     {"threshold", 0.5},
                                     {"subgroup", nullptr},
                                     {"estimate", 0.7}},
                                    {{"metric", "specificity"},
                                     {"threshold", 0.5},
                                     {"subgroup", nullptr},
                                     {"estimate", 0.5}}})}};
}

const json& Layer(const json& spec, std::size_t i) { return spec["layer"][i]; }

TEST(RocSpec, ThinsLongCurvesAndKeepsBothEnds) {
  const json spec = RocSpec(Evidence(100000), 500);
  const json& values = Layer(spec, 2)["data"]["values"];
  EXPECT_LE(values.size(), 2 * 500u + 2);  // each kept step moves >= 1/500 on one axis
  EXPECT_GE(values.size(), 500u);
  EXPECT_DOUBLE_EQ(values.front()["fpr"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(values.back()["fpr"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(values.back()["tpr"].get<double>(), 1.0);
}

TEST(RocSpec, BandHoldsTheCurveAndOperatingPointsAreMarked) {
  const json spec = RocSpec(Evidence(50));
  for (const auto& value : Layer(spec, 1)["data"]["values"]) {
    EXPECT_LE(value["lower"].get<double>(), value["tpr"].get<double>() + 0.01);
    EXPECT_GE(value["upper"].get<double>(), value["tpr"].get<double>() - 0.01);
  }
  const json& points = Layer(spec, 3)["data"]["values"];
  ASSERT_EQ(points.size(), 1u);
  EXPECT_DOUBLE_EQ(points[0]["tpr"].get<double>(), 0.7);
  EXPECT_DOUBLE_EQ(points[0]["fpr"].get<double>(), 0.5);
}

TEST(RocSpec, NothingToPlotIsNull) { EXPECT_TRUE(RocSpec(json::object()).is_null()); }

TEST(MakeScoreHistogram, CountsEveryScoreOnce) {
  const auto histogram = MakeScoreHistogram({0.0, 0.5, 1.0, 1.0}, {0.25, 0.26}, 4);
  EXPECT_EQ(histogram.lower, 0.0);
  EXPECT_EQ(histogram.upper, 1.0);
  EXPECT_EQ(histogram.positives, (std::vector<std::uint64_t>{1, 0, 1, 2}));
  EXPECT_EQ(histogram.negatives, (std::vector<std::uint64_t>{0, 2, 0, 0}));
  const auto constant = MakeScoreHistogram({2.0, 2.0}, {2.0}, 10);
  EXPECT_EQ(constant.positives, (std::vector<std::uint64_t>{2}));
  EXPECT_TRUE(MakeScoreHistogram({}, {}, 10).positives.empty());
}

TEST(ForestSpec, GoalLineAndAStatusForEverySubgroup) {
  const json evidence = {
      {"endpoints", json::array({{{"id", "sens"}, {"goal", 0.8}}})},
      {"subgroup_results", json::array({{{"endpoint", "sens"},
                                         {"subgroup", {{"column", "site"}, {"value", "a"}}},
                                         {"status", "signal"},
                                         {"verdict", nullptr},
                                         {"adjusted_ci", nullptr},
                                         {"finding",
                                          {{"metric", "sensitivity"},
                                           {"estimate", 0.6},
                                           {"n", 50},
                                           {"ci", {{"lower", 0.5}, {"upper", 0.7}}}}}}})}};
  const json spec = ForestSpec(evidence, "sens");
  ASSERT_EQ(spec["data"]["values"].size(), 1u);
  EXPECT_EQ(spec["data"]["values"][0]["status"], "signal");
  EXPECT_EQ(spec["layer"][1]["encoding"]["color"]["scale"]["domain"], json::array({"signal"}));
  EXPECT_EQ(spec["layer"].back()["data"]["values"][0]["goal"], 0.8);
  EXPECT_TRUE(ForestSpec(evidence, "other").is_null());
}

TEST(StyleOf, EveryVerdictHasItsOwnColourAndShape) {
  const auto good = StyleOf("supported"), bad = StyleOf("not_supported"),
             open = StyleOf("inconclusive");
  EXPECT_NE(good.colour, bad.colour);
  EXPECT_NE(good.shape, bad.shape);
  EXPECT_NE(open.shape, good.shape);
  EXPECT_NE(open.symbol, bad.symbol);
}

}  // namespace
}  // namespace assay::report
