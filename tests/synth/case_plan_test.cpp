#include "assay/synth/case_plan.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace assay::synth {
namespace {

CohortConfig TwoSites() {
  CohortConfig config;
  config.path = "cohort.toml";
  config.seed = 11;
  config.image_size = 64;
  config.lesion.size_mm = {2.0, 10.0};
  config.lesion.contrast = {0.1, 0.5};
  for (const char* name : {"a", "b"}) {
    SiteConfig site;
    site.name = name;
    site.institution = "I";
    site.role = name[0] == 'a' ? "development" : "test";
    site.cases = 2000;
    site.prevalence = 0.4;
    site.age = {30, 60};
    site.female = 0.25;
    ScannerConfig v, w;
    v.vendor = "V";
    v.model = "M1";
    v.share = 0.5;
    w.vendor = "W";
    w.model = "M2";
    w.share = 0.5;
    w.blur = 1.0;
    site.scanners = {v, w};
    config.sites.push_back(site);
  }
  return config;
}

TEST(CasePlanTest, IsAFunctionOfSeedSiteAndIndex) {
  const CohortConfig config = TwoSites();
  const CasePlan a = PlanCase(config, 5, 0, 17);
  const CasePlan b = PlanCase(config, 5, 0, 17);
  EXPECT_EQ(a.study_uid, b.study_uid);
  EXPECT_EQ(a.lesion_x, b.lesion_x);
  EXPECT_NE(a.study_uid, PlanCase(config, 6, 0, 17).study_uid);
  EXPECT_NE(a.study_uid, PlanCase(config, 5, 1, 17).study_uid);
  // Keyed by the site's name, not its position.
  CohortConfig reordered = config;
  std::swap(reordered.sites[0], reordered.sites[1]);
  EXPECT_EQ(PlanCase(reordered, 5, 1, 17).study_uid, a.study_uid);
}

TEST(CasePlanTest, UidsAreValidAndUnique) {
  const CohortConfig config = TwoSites();
  std::set<std::string> uids;
  for (std::uint64_t i = 0; i < 500; ++i) {
    const CasePlan plan = PlanCase(config, 1, 0, i);
    for (const std::string& uid : {plan.study_uid, plan.series_uid, plan.instance_uid}) {
      EXPECT_LE(uid.size(), 64u);
      EXPECT_EQ(uid.rfind("2.25.", 0), 0u);
      EXPECT_NE(uid[5], '0');
      EXPECT_TRUE(uids.insert(uid).second) << uid;
    }
  }
}

TEST(CasePlanTest, DrawsFollowTheConfiguration) {
  const CohortConfig config = TwoSites();
  int positives = 0, female = 0, second_scanner = 0;
  const int n = 2000;
  for (int i = 0; i < n; ++i) {
    const CasePlan plan = PlanCase(config, 3, 0, static_cast<std::uint64_t>(i));
    positives += plan.lesion ? 1 : 0;
    female += plan.sex == 'F' ? 1 : 0;
    second_scanner += plan.scanner == 1 ? 1 : 0;
    EXPECT_GE(plan.age, 30);
    EXPECT_LE(plan.age, 60);
    EXPECT_GE(plan.lesion_size_mm, 2.0);
    EXPECT_LE(plan.lesion_size_mm, 10.0);
    EXPECT_EQ(plan.recorded_lesion, plan.lesion);  // no label noise configured
    EXPECT_DOUBLE_EQ(plan.blur, plan.scanner == 1 ? 1.0 : 0.0);
  }
  // Four binomial standard deviations.
  auto near = [n](int count, double p) {
    return std::abs(count - n * p) < 4 * std::sqrt(n * p * (1 - p));
  };
  EXPECT_TRUE(near(positives, 0.4)) << positives;
  EXPECT_TRUE(near(female, 0.25)) << female;
  EXPECT_TRUE(near(second_scanner, 0.5)) << second_scanner;
}

TEST(CasePlanTest, PlantsActOnlyWhereTheirConditionsHold) {
  CohortConfig config = TwoSites();
  PlantConfig noisy;
  noisy.name = "noisy W";
  noisy.where.vendors = {"W"};
  noisy.effect.noise = 3.0;
  noisy.effect.blur = 2.0;
  PlantConfig faint;
  faint.name = "faint small";
  faint.where.size_max_mm = 4.0;
  faint.where.contrast_max = 0.2;
  faint.effect.lesion_contrast = 0.5;
  PlantConfig labels;
  labels.name = "site b labels";
  labels.where.sites = {"b"};
  labels.effect.label_noise = 0.3;
  config.plants = {noisy, faint, labels};

  int flipped_a = 0, flipped_b = 0, cases_b = 0;
  for (std::size_t site = 0; site < 2; ++site) {
    for (std::uint64_t i = 0; i < 1500; ++i) {
      const CasePlan plan = PlanCase(config, 9, site, i);
      const bool w = plan.scanner == 1;
      EXPECT_DOUBLE_EQ(plan.noise, w ? 3.0 : 1.0);
      EXPECT_NEAR(plan.blur, w ? std::sqrt(5.0) : 0.0, 1e-12);
      const bool faint_case =
          plan.lesion && plan.lesion_size_mm <= 4.0 && plan.lesion_contrast <= 0.2;
      EXPECT_DOUBLE_EQ(plan.applied_contrast,
                       !plan.lesion ? 0.0 : plan.lesion_contrast * (faint_case ? 0.5 : 1.0));
      std::set<std::size_t> expected;
      if (w) expected.insert(0);
      if (faint_case) expected.insert(1);
      if (site == 1) expected.insert(2);
      EXPECT_EQ(std::set<std::size_t>(plan.plants.begin(), plan.plants.end()), expected);
      (site == 0 ? flipped_a : flipped_b) += plan.label_flipped() ? 1 : 0;
      cases_b += site == 1 ? 1 : 0;
    }
  }
  EXPECT_EQ(flipped_a, 0);
  EXPECT_NEAR(flipped_b, 0.3 * cases_b, 4 * std::sqrt(cases_b * 0.3 * 0.7));
}

TEST(CasePlanTest, AddingAPlantLeavesEveryOtherDrawAsItWas) {
  CohortConfig config = TwoSites();
  const CasePlan before = PlanCase(config, 4, 1, 99);
  PlantConfig plant;
  plant.name = "p";
  plant.where.sites = {"a"};
  plant.effect.noise = 2.0;
  config.plants = {plant};
  const CasePlan after = PlanCase(config, 4, 1, 99);
  EXPECT_EQ(after.study_uid, before.study_uid);
  EXPECT_EQ(after.lesion, before.lesion);
  EXPECT_EQ(after.lesion_size_mm, before.lesion_size_mm);
  EXPECT_EQ(after.recorded_lesion, before.recorded_lesion);
}

}  // namespace
}  // namespace assay::synth
