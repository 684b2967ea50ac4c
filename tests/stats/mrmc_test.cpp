// MRMC analyses of the Van Dyke reader study (tests/data/mrmc/vandyke.csv) against the
// published outputs of the reference programs, each to the precision printed:
//   [Iowa]    OR-DBM MRMC 2.51 (Univ. of Iowa), output for VanDyke.lrc, as stored in
//             github.com/dpc10ster/RJafroc tests/testthat/goodValues361/Iowa/VanDyke.txt
//   [RJafroc] StSignificanceTesting(dataset02, FOM = "Wilcoxon", method = "OR"/"DBM"), printed
//             in the RJafroc book (github.com/dpc10ster/RJafrocBook, docs/10C-OR-Analysis*.md,
//             09b-dbm-analysis-significance-testing.md) and RJafroc's DBMH text report
//             (tests/testthat/goodValues361/OutputReport/dataset02WilcoxonDBMH.txt)
//   [MRMCaov] mrmc(empirical_auc(truth, rating), treatment, reader, case, data = VanDyke),
//             covariance jackknife, DeLong and unbiased: the package's user guide (CRAN
//             MRMCaov 0.3.1, inst/doc/UserGuide.html) and JSS manuscript (docs/jss/MRMCaov.tex)
// Then properties no published table holds: OR with jackknife covariance and DBM give the same
// random-readers test on random designs, and the unbiased estimators are unbiased.
#include "assay/stats/mrmc.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace assay::stats {
namespace {

MrmcDesign VanDyke() {
  std::ifstream in(std::string(ASSAY_SOURCE_DIR) + "/tests/data/mrmc/vandyke.csv");
  std::string line;
  std::getline(in, line);  // reader,treatment,case,truth,rating
  std::vector<double> ratings(2 * 5 * 114, std::nan(""));
  std::vector<std::uint8_t> truth(114, 0);
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    int reader = 0, treatment = 0, case_id = 0, positive = 0;
    double rating = 0;
    char comma = 0;
    fields >> reader >> comma >> treatment >> comma >> case_id >> comma >> positive >> comma >>
        rating;
    ratings[((treatment - 1) * 5 + (reader - 1)) * 114 + (case_id - 1)] = rating;
    truth[case_id - 1] = static_cast<std::uint8_t>(positive);
  }
  std::vector<std::string> cases;
  for (int k = 1; k <= 114; ++k) cases.push_back(std::to_string(k));
  auto design = MrmcDesign::Create({"1", "2"}, {"1", "2", "3", "4", "5"}, cases, truth, ratings);
  EXPECT_TRUE(design.ok()) << design.status().message();
  return *design;
}

// Agreement to the printed digits: within half a unit of the last one ("0.0517": 0.00005).
void ExpectPrinted(double value, const std::string& printed, const char* what) {
  const std::size_t exponent_at = printed.find_first_of("eE");
  const std::string mantissa = printed.substr(0, exponent_at);
  const int exponent =
      exponent_at == std::string::npos ? 0 : std::stoi(printed.substr(exponent_at + 1));
  const std::size_t point = mantissa.find('.');
  const int decimals =
      point == std::string::npos ? 0 : static_cast<int>(mantissa.size() - point - 1);
  const double last_digit = std::pow(10.0, exponent - decimals);
  EXPECT_NEAR(value, std::stod(printed), 0.5 * last_digit * (1 + 1e-9)) << what << " " << printed;
}

TEST(VanDyke, ReaderAucsAndMeans) {
  const MrmcDesign design = VanDyke();
  EXPECT_EQ(design.positive_count(), 45U);
  EXPECT_EQ(design.negative_count(), 69U);
  const FigureTable auc = ReaderFigures(design, {});
  // [Iowa] TREATMENT x READER AUC ESTIMATES.
  const char* published[2][5] = {
      {"0.91964573", "0.85877617", "0.90386473", "0.97310789", "0.82979066"},
      {"0.94782609", "0.90531401", "0.92173913", "0.99935588", "0.92995169"}};
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 5; ++j) ExpectPrinted(auc[i][j], published[i][j], "reader AUC");
  }
}

TEST(VanDyke, ObuchowskiRocketteJackknife) {
  const auto result = ObuchowskiRockette(VanDyke(), {});
  ASSERT_TRUE(result.ok()) << result.status().message();
  const OrComponents& c = result->components;
  // [RJafroc] $TRanova and $VarCom.
  ExpectPrinted(result->modality_means[0], "0.89703704", "mean 1");
  ExpectPrinted(result->modality_means[1], "0.94083736", "mean 2");
  ExpectPrinted(c.ms_t, "0.00479617053", "MS(T)");
  ExpectPrinted(c.ms_r, "0.00383619999", "MS(R)");
  ExpectPrinted(c.ms_tr, "0.00055103062", "MS(TR)");
  ExpectPrinted(c.var_r, "0.00153499935", "Var(R)");
  ExpectPrinted(c.var_tr, "0.00020040252", "Var(TR)");
  ExpectPrinted(c.cov1, "0.00034661371", "Cov1");
  ExpectPrinted(c.cov2, "0.00034407483", "Cov2");
  ExpectPrinted(c.cov3, "0.00023902837", "Cov3");
  ExpectPrinted(c.error, "0.00080228827", "Var(error)");
  // [RJafroc] $IndividualTrt.
  ExpectPrinted(result->modality_error[0], "0.00101410277", "Var trt0");
  ExpectPrinted(result->modality_cov2[1], "0.00020418785", "Cov2 trt1");

  // [RJafroc] $RRRC; [Iowa] F 4.46, ddf 15.26, p 0.0517.
  const MrmcTest& random = result->random;
  ExpectPrinted(random.statistic, "4.4563187", "F");
  ExpectPrinted(random.denominator_df, "15.259675", "ddf");
  ExpectPrinted(random.p_value, "0.051665686", "p");
  ExpectPrinted(random.error_term, "0.0010762629", "error term");
  ASSERT_EQ(random.differences.size(), 1U);
  const MrmcEstimate& d = random.differences[0];
  ExpectPrinted(d.estimate, "-0.043800322", "difference");
  ExpectPrinted(d.standard_error, "0.020748618", "SE");
  ExpectPrinted(d.statistic, "-2.1109995", "t");
  ExpectPrinted(d.interval.lower, "-0.087959499", "lower");
  ExpectPrinted(d.interval.upper, "0.00035885444", "upper");
  ExpectPrinted(random.modalities[0].standard_error, "0.033173597", "SE trt0");
  ExpectPrinted(random.modalities[0].degrees_of_freedom, "12.744648", "df trt0");
  ExpectPrinted(random.modalities[0].interval.lower, "0.82522360", "lower trt0");
  ExpectPrinted(random.modalities[1].interval.upper, "0.98753689", "upper trt1");
  ExpectPrinted(random.modalities[1].degrees_of_freedom, "12.710190", "df trt1");

  // [RJafroc] $FRRC: chi-square, z intervals.
  const MrmcTest& fixed_readers = result->fixed_readers;
  EXPECT_TRUE(std::isinf(fixed_readers.denominator_df));
  ExpectPrinted(fixed_readers.statistic, "5.4759532", "chi-square");
  ExpectPrinted(fixed_readers.p_value, "0.019279843", "p");
  ExpectPrinted(fixed_readers.error_term, "0.00087586039", "error term");
  ExpectPrinted(fixed_readers.differences[0].standard_error, "0.018717483", "SE");
  ExpectPrinted(fixed_readers.differences[0].interval.lower, "-0.080485914", "lower");
  ExpectPrinted(fixed_readers.differences[0].interval.upper, "-0.0071147303", "upper");
  ExpectPrinted(fixed_readers.modalities[0].standard_error, "0.024289710", "SE trt0");
  ExpectPrinted(fixed_readers.modalities[1].interval.lower, "0.90795637", "lower trt1");
  // Reader by reader ([RJafroc] $FRRC, $IndividualRdr).
  ASSERT_EQ(result->readers.size(), 5U);
  const char* se[5] = {"0.025512133", "0.026301827", "0.031209647", "0.017291289", "0.044057460"};
  const char* p[5] = {"0.269338854", "0.076831017", "0.566834139", "0.129017153", "0.023000993"};
  for (int j = 0; j < 5; ++j) {
    ExpectPrinted(result->readers[j].difference.standard_error, se[j], "reader SE");
    ExpectPrinted(result->readers[j].difference.p_value, p[j], "reader p");
  }
  ExpectPrinted(result->readers[3].cov1, "1.0833995e-06", "reader 3 Cov1");
  ExpectPrinted(result->readers[4].error, "0.00121356676", "reader 4 Var");

  // [RJafroc] $RRFC.
  const MrmcTest& fixed_cases = result->fixed_cases;
  EXPECT_EQ(fixed_cases.denominator_df, 4.0);
  ExpectPrinted(fixed_cases.statistic, "8.704", "F");
  ExpectPrinted(fixed_cases.p_value, "0.041958752", "p");
  ExpectPrinted(fixed_cases.differences[0].standard_error, "0.014846287", "SE");
  ExpectPrinted(fixed_cases.differences[0].interval.lower, "-0.085020224", "lower");
  ExpectPrinted(fixed_cases.modalities[0].standard_error, "0.024829936", "SE trt0");
  ExpectPrinted(fixed_cases.modalities[1].interval.upper, "0.98568536", "upper trt1");
}

TEST(VanDyke, ObuchowskiRocketteDeLongAndUnbiased) {
  const MrmcDesign design = VanDyke();
  // [MRMCaov] cov = DeLong.
  auto delong = ObuchowskiRockette(design, {.covariance = MrmcCovariance::kDeLong});
  ASSERT_TRUE(delong.ok());
  ExpectPrinted(delong->components.var_r, "0.0015364254", "DeLong Var(R)");
  ExpectPrinted(delong->components.var_tr, "0.0002045840", "DeLong Var(TR)");
  ExpectPrinted(delong->components.error, "0.0007921325", "DeLong error");
  ExpectPrinted(delong->components.cov1, "0.0003420090", "DeLong Cov1");
  ExpectPrinted(delong->components.cov2, "0.0003395265", "DeLong Cov2");
  ExpectPrinted(delong->components.cov3, "0.0002358497", "DeLong Cov3");
  ExpectPrinted(delong->random.statistic, "4.484854", "DeLong F");
  ExpectPrinted(delong->random.denominator_df, "15.06611", "DeLong ddf");
  ExpectPrinted(delong->random.p_value, "0.05123303", "DeLong p");
  ExpectPrinted(delong->random.error_term, "0.001069415", "DeLong denominator");
  ExpectPrinted(delong->random.differences[0].standard_error, "0.0206825", "DeLong SE");
  ExpectPrinted(delong->random.differences[0].interval.lower, "-0.0878671960", "lower");
  ExpectPrinted(delong->random.differences[0].interval.upper, "0.0002665519", "upper");
  ExpectPrinted(delong->random.modalities[0].standard_error, "0.03307642", "SE 1");
  ExpectPrinted(delong->random.modalities[1].degrees_of_freedom, "12.56530", "df 2");

  // [MRMCaov] cov = unbiased.
  auto unbiased = ObuchowskiRockette(design, {.covariance = MrmcCovariance::kUnbiased});
  ASSERT_TRUE(unbiased.ok());
  ExpectPrinted(unbiased->components.var_r, "0.0015365290", "unbiased Var(R)");
  ExpectPrinted(unbiased->components.var_tr, "0.0002077588", "unbiased Var(TR)");
  ExpectPrinted(unbiased->components.error, "0.0007883925", "unbiased error");
  ExpectPrinted(unbiased->components.cov1, "0.0003416706", "unbiased Cov1");
  ExpectPrinted(unbiased->components.cov2, "0.0003390650", "unbiased Cov2");
  ExpectPrinted(unbiased->components.cov3, "0.0002356148", "unbiased Cov3");
  ExpectPrinted(unbiased->random.statistic, "4.489614", "unbiased F");
  ExpectPrinted(unbiased->random.denominator_df, "15.03418", "unbiased ddf");
  ExpectPrinted(unbiased->random.p_value, "0.0511618", "unbiased p");
  ExpectPrinted(unbiased->random.error_term, "0.001068281", "unbiased denominator");
  ExpectPrinted(unbiased->random.differences[0].standard_error, "0.02067154", "SE");
  ExpectPrinted(unbiased->random.differences[0].interval.lower, "-0.0878519409", "lower");
  ExpectPrinted(unbiased->random.modalities[0].standard_error, "0.0330712", "SE 1");
  ExpectPrinted(unbiased->random.modalities[1].degrees_of_freedom, "12.53391", "df 2");
}

// Gallas's U-statistic variance of the reader-averaged AUC is, for a fully crossed design and
// when no max(., 0) clips, the random-readers, random-cases OR variance with the unbiased
// covariance: its standard errors are [MRMCaov]'s unbiased ones.
TEST(VanDyke, GallasVarianceIsTheUnbiasedObuchowskiRockette) {
  auto gallas = GallasVariance(VanDyke(), {});
  ASSERT_TRUE(gallas.ok()) << gallas.status().message();
  ASSERT_EQ(gallas->size(), 3U);  // 1, 2, 1 - 2
  ExpectPrinted(std::sqrt((*gallas)[0].variance), "0.0330712", "SE 1");
  ExpectPrinted(std::sqrt((*gallas)[1].variance), "0.0214912", "SE 2");
  ExpectPrinted(std::sqrt((*gallas)[2].variance), "0.02067154", "SE 1 - 2");
  ExpectPrinted((*gallas)[2].estimate, "-0.04380032", "difference");
}

TEST(VanDyke, SensitivityAtARatingThreshold) {
  // [MRMCaov] binary sensitivity, rating >= 3, jackknife: F 6.689493, df2 15.71732.
  auto result =
      ObuchowskiRockette(VanDyke(), {.figure = FigureOfMerit::kSensitivity, .threshold = 3.0});
  ASSERT_TRUE(result.ok());
  ExpectPrinted(result->random.statistic, "6.689493", "F");
  ExpectPrinted(result->random.denominator_df, "15.71732", "ddf");
  ExpectPrinted(result->random.p_value, "0.02008822", "p");
}

TEST(VanDyke, DorfmanBerbaumMetz) {
  auto result = DorfmanBerbaumMetz(VanDyke(), {});
  ASSERT_TRUE(result.ok()) << result.status().message();
  const DbmComponents& d = result->components;
  // [RJafroc] DBMH report: TREATMENT X READER X CASE ANOVA and DBM components.
  ExpectPrinted(d.ms_t, "0.54676344", "MS(T)");
  ExpectPrinted(d.ms_r, "0.43732680", "MS(R)");
  ExpectPrinted(d.ms_c, "0.39686988", "MS(C)");
  ExpectPrinted(d.ms_tr, "0.06281749", "MS(TR)");
  ExpectPrinted(d.ms_tc, "0.09984808", "MS(TC)");
  ExpectPrinted(d.ms_rc, "0.06450106", "MS(RC)");
  ExpectPrinted(d.ms_trc, "0.03997160", "MS(TRC)");
  ExpectPrinted(d.var_r, "0.00153500", "Var(R)");
  ExpectPrinted(d.var_c, "0.02724923", "Var(C)");
  ExpectPrinted(d.var_tr, "0.00020040", "Var(TR)");
  ExpectPrinted(d.var_tc, "0.01197530", "Var(TC)");
  ExpectPrinted(d.var_rc, "0.01226473", "Var(RC)");
  // RRRC: the OR jackknife test ([RJafroc] DBM chapter: 4.4563187, 15.259675, 0.051665686).
  ExpectPrinted(result->random.statistic, "4.4563187", "F");
  ExpectPrinted(result->random.denominator_df, "15.259675", "ddf");
  ExpectPrinted(result->random.p_value, "0.051665686", "p");
  ExpectPrinted(result->random.error_term, "0.12269397", "error MS");
  ExpectPrinted(result->random.modalities[0].standard_error, "0.03317360", "SE trt0");
  ExpectPrinted(result->random.modalities[1].degrees_of_freedom, "12.71", "df trt1");
  // FRRC: F(1, 113) with MS(TC).
  EXPECT_EQ(result->fixed_readers.denominator_df, 113.0);
  ExpectPrinted(result->fixed_readers.statistic, "5.48", "F");
  ExpectPrinted(result->fixed_readers.p_value, "0.0210", "p");
  ExpectPrinted(result->fixed_readers.differences[0].standard_error, "0.01872", "SE");
  ExpectPrinted(result->fixed_readers.differences[0].interval.lower, "-0.08088", "lower");
  ExpectPrinted(result->fixed_readers.differences[0].interval.upper, "-0.00672", "upper");
  ExpectPrinted(result->fixed_readers.modalities[0].interval.lower, "0.84891474", "lower 0");
  // RRFC: F(1, 4) with MS(TR).
  ExpectPrinted(result->fixed_cases.statistic, "8.70", "F");
  ExpectPrinted(result->fixed_cases.p_value, "0.0420", "p");
}

// A design simulated from the Roe-Metz model: ratings are a case's truth shift plus reader,
// case, reader x case and modality interactions and noise.
MrmcDesign Simulated(std::mt19937_64& random, std::size_t modalities, std::size_t readers,
                     std::size_t positives, std::size_t negatives, double effect) {
  std::normal_distribution<double> normal(0.0, 1.0);
  const std::size_t cases = positives + negatives;
  std::vector<double> reader(readers), case_effect(cases), ratings;
  for (double& v : reader) v = 0.2 * normal(random);
  for (double& v : case_effect) v = 0.5 * normal(random);
  std::vector<double> reader_case(readers * cases);
  for (double& v : reader_case) v = 0.4 * normal(random);
  std::vector<std::uint8_t> truth(cases);
  for (std::size_t k = 0; k < cases; ++k) truth[k] = k < positives ? 1 : 0;
  for (std::size_t i = 0; i < modalities; ++i) {
    for (std::size_t j = 0; j < readers; ++j) {
      const double interaction = 0.1 * normal(random);
      for (std::size_t k = 0; k < cases; ++k) {
        const double mean = truth[k] != 0 ? 1.2 + (i == 0 ? effect : 0.0) : 0.0;
        // Rounded to tenths: ties occur, as with rating scales.
        ratings.push_back(std::round(10.0 * (mean + reader[j] + interaction + case_effect[k] +
                                             reader_case[j * cases + k] + 0.6 * normal(random))) /
                          10.0);
      }
    }
  }
  std::vector<std::string> m, r, c;
  for (std::size_t i = 0; i < modalities; ++i) m.push_back("M" + std::to_string(i));
  for (std::size_t j = 0; j < readers; ++j) r.push_back("R" + std::to_string(j));
  for (std::size_t k = 0; k < cases; ++k) c.push_back(std::to_string(k));
  return *MrmcDesign::Create(m, r, c, truth, ratings);
}

TEST(Mrmc, JackknifeObuchowskiRocketteIsDorfmanBerbaumMetz) {
  std::mt19937_64 random(7);
  for (int study = 0; study < 25; ++study) {
    const std::size_t t = 2 + study % 2, r = 3 + study % 4;
    const MrmcDesign design =
        Simulated(random, t, r, 15 + study, 25 + 2 * study, 0.1 * (study % 3));
    for (FigureOfMerit figure : {FigureOfMerit::kAuc, FigureOfMerit::kSensitivity}) {
      const MrmcOptions options{.figure = figure, .threshold = 0.6};
      auto oror = ObuchowskiRockette(design, options);
      auto dbm = DorfmanBerbaumMetz(design, options);
      ASSERT_TRUE(oror.ok() && dbm.ok());
      EXPECT_NEAR(oror->random.statistic, dbm->random.statistic,
                  1e-9 * std::max(1.0, oror->random.statistic));
      EXPECT_NEAR(oror->random.denominator_df, dbm->random.denominator_df,
                  1e-8 * std::max(1.0, oror->random.denominator_df));
      EXPECT_NEAR(oror->random.p_value, dbm->random.p_value, 1e-10);
      for (std::size_t i = 0; i < t; ++i) {
        EXPECT_NEAR(oror->random.modalities[i].standard_error,
                    dbm->random.modalities[i].standard_error, 1e-10);
      }
    }
  }
}

// Unbiasedness, which the estimators are named for: over many studies simulated from one
// model, the mean of the unbiased covariance and of Gallas's variance equals the spread of
// the estimates themselves (within Monte Carlo error; DeLong's, biased upward, is larger).
TEST(Mrmc, UnbiasedEstimatorsAreUnbiased) {
  std::mt19937_64 random(11);
  constexpr int kStudies = 1500;
  std::vector<double> first, averaged;
  double unbiased_variance = 0.0, gallas_variance = 0.0;
  for (int study = 0; study < kStudies; ++study) {
    const MrmcDesign design = Simulated(random, 1, 3, 12, 15, 0.0);
    const MrmcOptions options{.covariance = MrmcCovariance::kUnbiased};
    const auto cov = FigureCovariance(design, options);
    const FigureTable figures = ReaderFigures(design, options);
    first.push_back(figures[0][0]);
    unbiased_variance += cov[0][0] / kStudies;
    auto gallas = GallasVariance(design, options);
    ASSERT_TRUE(gallas.ok());
    averaged.push_back((*gallas)[0].estimate);
    gallas_variance += (*gallas)[0].variance / kStudies;
  }
  auto spread = [](const std::vector<double>& v) {
    double mean = 0.0, sum = 0.0;
    for (double x : v) mean += x / static_cast<double>(v.size());
    for (double x : v) sum += (x - mean) * (x - mean);
    return sum / static_cast<double>(v.size() - 1);
  };
  // The empirical variance of 1,500 estimates is within about 7% (2 SE) of the true one.
  EXPECT_NEAR(unbiased_variance / spread(first), 1.0, 0.08);
  EXPECT_NEAR(gallas_variance / spread(averaged), 1.0, 0.08);
}

TEST(Mrmc, StandaloneAgainstThePanel) {
  // A standalone reader equal to reader 1 of modality 1: the panel minus it is the mean of the
  // other readers' AUCs less reader 1's, over five readers.
  const MrmcDesign design = VanDyke();
  std::vector<double> standalone;
  for (std::size_t k = 0; k < design.case_count(); ++k)
    standalone.push_back(design.rating(0, 0, k));
  auto result = CompareStandalone(design, 0, standalone, {});
  ASSERT_TRUE(result.ok()) << result.status().message();
  ExpectPrinted(result->standalone, "0.91964573", "standalone AUC");
  ExpectPrinted(result->panel, "0.89703704", "panel AUC");
  EXPECT_NEAR(result->random.estimate, 0.89703704 - 0.91964573, 1e-8);
  EXPECT_GT(result->random.standard_error, 0.0);
  EXPECT_GE(result->random.standard_error, result->fixed_cases.standard_error);
  EXPECT_EQ(result->fixed_cases.degrees_of_freedom, 4.0);
}

TEST(Mrmc, PowerGrowsWithReadersAndCases) {
  auto pilot = ObuchowskiRockette(VanDyke(), {});
  ASSERT_TRUE(pilot.ok());
  const OrComponents& c = pilot->components;
  const double small = MrmcPower(c, 114, 0.05, 5, 114, 0.05).power;
  EXPECT_GT(MrmcPower(c, 114, 0.05, 10, 114, 0.05).power, small);
  EXPECT_GT(MrmcPower(c, 114, 0.05, 5, 300, 0.05).power, small);
  // The pilot's own design and observed effect: noncentrality r d^2 / (2 error term) =
  // MS(T) / error term, the observed F.
  const PowerPlan same = MrmcPower(c, 114, 0.043800322, 5, 114, 0.05);
  EXPECT_NEAR(same.noncentrality, 4.4563187, 1e-6);
  EXPECT_NEAR(same.denominator_df, 15.259675, 1e-5);
  const auto plans = PlanReaderStudy(c, 114, 0.05, 0.8, 0.05, 4, 8, 2000);
  ASSERT_EQ(plans.size(), 5U);
  for (std::size_t k = 0; k < plans.size(); ++k) {
    if (plans[k].cases == 0) continue;
    EXPECT_GE(plans[k].power, 0.8);
    EXPECT_LT(MrmcPower(c, 114, 0.05, plans[k].readers, plans[k].cases - 1, 0.05).power, 0.8);
    if (k > 0 && plans[k - 1].cases > 0) {
      EXPECT_LE(plans[k].cases, plans[k - 1].cases);
    }
  }
}

TEST(Mrmc, RefusesWhatItCannotAnalyse) {
  EXPECT_FALSE(MrmcDesign::Create({"A"}, {"r"}, {"1", "2"}, {1, 1}, {0.5, 0.6}).ok());
  EXPECT_FALSE(MrmcDesign::Create({"A"}, {"r"}, {"1", "2"}, {1, 0}, {0.5}).ok());
  EXPECT_FALSE(MrmcDesign::Create({"A"}, {"r"}, {"1", "2"}, {1, 0}, {0.5, std::nan("")}).ok());
  auto one_reader = MrmcDesign::Create({"A", "B"}, {"r"}, {"1", "2"}, {1, 0}, {1, 0, 1, 0});
  ASSERT_TRUE(one_reader.ok());
  EXPECT_FALSE(ObuchowskiRockette(*one_reader, {}).ok());
}

}  // namespace
}  // namespace assay::stats
