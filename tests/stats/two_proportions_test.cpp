// Two independent proportions: Fisher's one-sided exact test against
// scipy.stats.fisher_exact(alternative="less") and Newcombe's hybrid score
// interval against statsmodels' confint_proportions_2indep(method="newcomb")
// (tests/reference/statsmodels_reference.py).
#include <gtest/gtest.h>

#include "../reference/reference_files.h"
#include "assay/stats/hypothesis_tests.h"
#include "assay/stats/proportion.h"

namespace assay::stats {
namespace {

using assay::testing::kClosedForm;
using assay::testing::NearRelative;
using assay::testing::ReferenceJson;

const nlohmann::json& Tables() {
  return ReferenceJson("statsmodels_reference.json")["two_proportions"];
}

TEST(FisherExactLess, MatchesScipy) {
  ASSERT_GE(Tables().size(), 9U);  // the last one is summed from the upper tail
  for (const auto& t : Tables()) {
    const auto x1 = t["x1"].get<std::uint64_t>(), n1 = t["n1"].get<std::uint64_t>();
    const auto x2 = t["x2"].get<std::uint64_t>(), n2 = t["n2"].get<std::uint64_t>();
    EXPECT_TRUE(
        NearRelative(FisherExactLess(x1, n1, x2, n2), t["fisher_less"].get<double>(), kClosedForm))
        << x1 << "/" << n1 << " vs " << x2 << "/" << n2;
  }
}

TEST(FisherExactLess, EmptyGroupOrOneOutcomeGivesOne) {
  EXPECT_EQ(FisherExactLess(0, 0, 5, 10), 1.0);
  EXPECT_EQ(FisherExactLess(4, 4, 10, 10), 1.0);
  EXPECT_EQ(FisherExactLess(0, 4, 0, 10), 1.0);
}

TEST(NewcombeDifference, MatchesStatsmodels) {
  int compared = 0;
  for (const auto& t : Tables()) {
    if (!t.contains("newcombe_lower")) continue;
    const auto x1 = t["x1"].get<std::uint64_t>(), n1 = t["n1"].get<std::uint64_t>();
    const auto x2 = t["x2"].get<std::uint64_t>(), n2 = t["n2"].get<std::uint64_t>();
    const ProportionDifference d = NewcombeDifference(x1, n1, x2, n2, 0.95);
    EXPECT_DOUBLE_EQ(d.estimate, static_cast<double>(x1) / static_cast<double>(n1) -
                                     static_cast<double>(x2) / static_cast<double>(n2));
    EXPECT_TRUE(NearRelative(d.interval.lower, t["newcombe_lower"].get<double>(), 1e-9))
        << x1 << "/" << n1 << " vs " << x2 << "/" << n2;
    EXPECT_TRUE(NearRelative(d.interval.upper, t["newcombe_upper"].get<double>(), 1e-9))
        << x1 << "/" << n1 << " vs " << x2 << "/" << n2;
    EXPECT_EQ(d.interval.method, "newcombe");
    ++compared;
  }
  EXPECT_GE(compared, 7);
}

}  // namespace
}  // namespace assay::stats
