// Failure-slice discovery: exact counts, tests and intervals on a table built
// by hand; folding of duplicates and refinements; recovery of planted slices
// and silence on null tables (bench/planted_slices.h, the generator the
// discovery benchmark uses).
#include "assay/analysis/failure_slices.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "../../bench/planted_slices.h"
#include "assay/stats/hypothesis_tests.h"
#include "assay/stats/proportion.h"

namespace assay::analysis {
namespace {

// 400 cases, 200 per vendor, half positive. Vendor B misses half its positives
// (sensitivity 0.5 against 0.9 in vendor A); specificity is 0.9 in both.
struct HandTable {
  std::vector<std::uint8_t> truth, predicted;
  std::vector<double> margin;
  std::vector<std::string> ids;
  SliceFeature vendor{"vendor", {"A", "B"}, {}, {}};
};

HandTable MakeHandTable() {
  HandTable t;
  for (int i = 0; i < 400; ++i) {
    const bool b = i >= 200;
    const int within = i % 200;
    const bool positive = within < 100;
    const int k = within % 100;
    bool called = positive ? k < (b ? 50 : 90) : k >= 10;
    if (!positive) called = !called;  // 10 false positives per vendor
    t.truth.push_back(positive ? 1 : 0);
    t.predicted.push_back(called ? 1 : 0);
    t.margin.push_back(static_cast<double>(k));
    t.ids.push_back("case-" + std::to_string(i));
    t.vendor.codes.push_back(b ? 1 : 0);
  }
  return t;
}

TEST(FailureSlices, FindsTheWeakVendorWithExactCounts) {
  const HandTable t = MakeHandTable();
  const std::vector<SliceFeature> features{t.vendor};
  const SliceSearchResult r =
      FindFailureSlices(t.truth, t.predicted, t.margin, t.ids, features, {});
  ASSERT_EQ(r.slices.size(), 1U);
  const FailureSlice& s = r.slices[0];
  EXPECT_EQ(s.description, "vendor = B");
  EXPECT_EQ(s.cases, 200U);
  EXPECT_DOUBLE_EQ(s.share, 0.5);
  EXPECT_EQ(s.result.metric, SliceMetric::kSensitivity);
  EXPECT_EQ(s.result.trials, 100U);
  EXPECT_EQ(s.result.events, 50U);
  EXPECT_EQ(s.result.rest_trials, 100U);
  EXPECT_EQ(s.result.rest_events, 90U);
  EXPECT_DOUBLE_EQ(s.result.deficit, 0.4);
  EXPECT_DOUBLE_EQ(s.result.p_value, stats::FisherExactLess(50, 100, 90, 100));
  // Two slices (A, B) x two metrics were tested; B's sensitivity has the smallest p.
  EXPECT_EQ(r.slices_tested, 2U);
  EXPECT_EQ(r.tests, 4U);
  EXPECT_DOUBLE_EQ(s.result.q_value, s.result.p_value * 4.0);
  const stats::ProportionDifference d = stats::NewcombeDifference(90, 100, 50, 100, 0.95);
  EXPECT_DOUBLE_EQ(s.result.deficit_interval.lower, d.interval.lower);
  EXPECT_DOUBLE_EQ(s.result.deficit_interval.upper, d.interval.upper);
  const stats::Interval w =
      stats::ProportionInterval(50, 100, 0.95, stats::ProportionMethod::kWilson);
  EXPECT_DOUBLE_EQ(s.result.interval.lower, w.lower);
  EXPECT_DOUBLE_EQ(s.rank_score, 0.4 * 0.5);
  // Examples: vendor B's false negatives (k = 50..99), most confident (largest margin) first.
  ASSERT_EQ(s.examples.size(), 5U);
  EXPECT_EQ(s.examples[0], "case-299");
  EXPECT_EQ(s.examples[4], "case-295");
  EXPECT_EQ(s.rows.size(), 200U);
  EXPECT_EQ(s.rows.front(), 200U);
}

TEST(FailureSlices, FoldsADuplicateColumnIntoOneSlice) {
  const HandTable t = MakeHandTable();
  SliceFeature scanner = t.vendor;
  scanner.name = "scanner";
  scanner.levels = {"X-100", "Y-200"};
  const std::vector<SliceFeature> features{t.vendor, scanner};
  const SliceSearchResult r =
      FindFailureSlices(t.truth, t.predicted, t.margin, t.ids, features, {});
  ASSERT_EQ(r.slices.size(), 1U);
  EXPECT_EQ(r.slices[0].description, "vendor = B");
  const std::vector<std::string> merged{"scanner = Y-200", "vendor = B and scanner = Y-200"};
  EXPECT_EQ(r.slices[0].merged, merged);
}

TEST(FailureSlices, RefinementsNoWorseThanTheirSliceAreFolded) {
  HandTable t = MakeHandTable();
  // A sex column unrelated to errors: "vendor = B and sex = F" refines without adding.
  SliceFeature sex{"sex", {"F", "M"}, {}, {}};
  for (std::size_t i = 0; i < t.truth.size(); ++i) sex.codes.push_back(i % 2 == 0 ? 0 : 1);
  const std::vector<SliceFeature> features{t.vendor, sex};
  const SliceSearchResult r =
      FindFailureSlices(t.truth, t.predicted, t.margin, t.ids, features, {});
  ASSERT_EQ(r.slices.size(), 1U);
  EXPECT_EQ(r.slices[0].description, "vendor = B");
  EXPECT_GT(r.discoveries, 1U);  // the refinements were discoveries, folded
  EXPECT_FALSE(r.slices[0].merged.empty());
}

// Vendor B is worse only because of its site s2: the report names the site, with
// the vendor folded into it, whichever of the two ranked first.
TEST(FailureSlices, ACoarseSliceGivesWayToTheSliceThatHoldsItsDeficit) {
  std::vector<std::uint8_t> truth, predicted;
  SliceFeature vendor{"vendor", {"A", "B"}, {}, {}};
  SliceFeature site{"site", {"s1", "s2", "s3"}, {}, {}};
  for (int i = 0; i < 4000; ++i) {
    const bool b = i >= 2000;
    const std::uint32_t where = !b ? 0 : (i < 2600 ? 1 : 2);
    const bool positive = i % 2 == 0;
    const int k = (i / 2) % 10;
    const bool called = positive ? k < (where == 1 ? 4 : 9) : false;
    truth.push_back(positive ? 1 : 0);
    predicted.push_back(called ? 1 : 0);
    vendor.codes.push_back(b ? 1 : 0);
    site.codes.push_back(where);
  }
  const std::vector<SliceFeature> features{vendor, site};
  const SliceSearchResult r = FindFailureSlices(truth, predicted, {}, {}, features, {});
  ASSERT_EQ(r.slices.size(), 1U);
  EXPECT_EQ(r.slices[0].description, "site = s2");
  const auto& merged = r.slices[0].merged;
  EXPECT_NE(std::find(merged.begin(), merged.end(), "vendor = B"), merged.end());
}

TEST(FailureSlices, SlicesBelowTheMinimumAreNotTested) {
  const HandTable t = MakeHandTable();
  SliceSearchOptions options;
  options.minimum_cases = 201;
  const std::vector<SliceFeature> features{t.vendor};
  const SliceSearchResult r =
      FindFailureSlices(t.truth, t.predicted, t.margin, t.ids, features, options);
  EXPECT_EQ(r.slices_tested, 0U);
  EXPECT_TRUE(r.slices.empty());
}

TEST(FailureSlices, NumericCutsAndMissingValuesAreConditions) {
  HandTable t = MakeHandTable();
  // Age explains the errors: vendor B's positives are the old ones; a few ages are unknown.
  SliceFeature age{"age", {}, {}, {}};
  for (std::size_t i = 0; i < t.truth.size(); ++i) {
    age.values.push_back(i >= 200 ? 70.0 + static_cast<double>(i % 10)
                                  : 30.0 + static_cast<double>(i % 20));
  }
  age.values[3] = std::nan("");
  const std::vector<SliceFeature> features{age};
  const SliceSearchResult r =
      FindFailureSlices(t.truth, t.predicted, t.margin, t.ids, features, {});
  ASSERT_FALSE(r.slices.empty());
  EXPECT_EQ(r.slices[0].conditions.at(0).op, ">");
  EXPECT_EQ(r.slices[0].conditions[0].feature, "age");
}

TEST(FailureSlices, RecoversPlantedSlicesAndStaysQuietOnNullTables) {
  std::size_t planted = 0, found = 0, null_reported = 0;
  for (std::uint64_t seed = 0; seed < 6; ++seed) {
    const bench::PlantedTable t = bench::MakePlantedTable(20261204 + seed, 20000, true);
    const SliceSearchResult r =
        FindFailureSlices(t.truth, t.predicted, t.margin, {}, t.features, {});
    for (const auto& p : t.planted) {
      ++planted;
      found += bench::FoundInTop(p, r, 5) ? 1 : 0;
    }
    const bench::PlantedTable null = bench::MakePlantedTable(20261205'000 + seed, 20000, false);
    null_reported +=
        FindFailureSlices(null.truth, null.predicted, null.margin, {}, null.features, {})
            .slices.size();
  }
  EXPECT_GE(planted, 6U);
  EXPECT_GE(static_cast<double>(found) / static_cast<double>(planted), 0.9);
  EXPECT_LE(null_reported, 3U);
}

TEST(FailureSlices, ReportsAtMostMaxReportedAndNoSliceOverMaximumShare) {
  const HandTable t = MakeHandTable();
  // A flag on every tenth case, unrelated to the errors; vendor B (half the cases) is weak.
  SliceFeature flag{"flag", {"x", "y"}, {}, {}};
  for (std::size_t i = 0; i < t.truth.size(); ++i) flag.codes.push_back(i % 10 == 0 ? 0 : 1);
  const std::vector<SliceFeature> features{t.vendor, flag};
  SliceSearchOptions options;
  options.maximum_share = 0.4;  // vendor = B (half the cases) is tested but not reported
  const SliceSearchResult r =
      FindFailureSlices(t.truth, t.predicted, t.margin, t.ids, features, options);
  for (const auto& slice : r.slices) EXPECT_LE(slice.share, 0.4) << slice.description;
  EXPECT_GT(r.discoveries, 0U);
  options.maximum_share = 0.5;
  options.max_reported = 1;
  const SliceSearchResult one =
      FindFailureSlices(t.truth, t.predicted, t.margin, t.ids, features, options);
  ASSERT_EQ(one.slices.size(), 1U);
  EXPECT_EQ(one.slices[0].description, "vendor = B");
}

}  // namespace
}  // namespace assay::analysis
