// Multi-reader multi-case (MRMC) analysis of a reader study: several readers rate the same
// cases under two or more modalities (treatments), and the question is whether the
// reader-averaged figure of merit differs between modalities, generalizing to new readers
// and new cases.
//
//   Obuchowski-Rockette (OR): an ANOVA of the reader x modality figures of merit whose
//     error covariances (Var, Cov1 same reader, Cov2 same modality, Cov3 neither) are
//     estimated by the jackknife over cases, DeLong's structural components or the unbiased
//     U-statistic estimator; random readers and cases with Hillis's denominator degrees of
//     freedom (Hillis 2007, Stat Med 26:596), fixed readers, fixed cases.
//   Dorfman-Berbaum-Metz (DBM): a three-way ANOVA of jackknife pseudovalues (normalized so
//     that each reader x modality mean is its figure of merit), with Hillis's degrees of
//     freedom; for random readers and cases it is the OR jackknife test, exactly.
//   Gallas's U-statistic variance of the reader-averaged AUC, readers and cases random
//     (Gallas 2006, Acad Radiol 13:353), as iMRMC computes it.
//   A standalone reader (the AI's own score) against the panel, and the readers and cases a
//     planned study needs for a given power, from pilot OR variance components.
//
// Checked against the published results for the Van Dyke study (Iowa OR-DBM MRMC 2.51,
// RJafroc, MRMCaov) in tests/stats/mrmc_test.cpp.
//
//   auto design = stats::MrmcDesign::Create(modalities, readers, cases, truth, ratings);
//   auto result = stats::ObuchowskiRockette(*design, {.covariance = MrmcCovariance::kJackknife});
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "assay/core/status.h"
#include "assay/stats/interval.h"

namespace assay::stats {

// A fully crossed design: every reader rated every case under every modality. A higher
// rating means more confidence that the case is positive (truth 1).
class MrmcDesign {
 public:
  // `ratings` modality-major: ratings[(i * readers + j) * cases + k]. Errors (kInvalidInput):
  // sizes that disagree, a truth other than 0/1, a rating that is not finite, fewer than one
  // positive and one negative case.
  static Result<MrmcDesign> Create(std::vector<std::string> modalities,
                                   std::vector<std::string> readers, std::vector<std::string> cases,
                                   std::vector<std::uint8_t> truth, std::vector<double> ratings);

  std::size_t modality_count() const { return modalities_.size(); }
  std::size_t reader_count() const { return readers_.size(); }
  std::size_t case_count() const { return cases_.size(); }
  std::size_t positive_count() const { return positives_.size(); }
  std::size_t negative_count() const { return negatives_.size(); }
  const std::vector<std::string>& modalities() const { return modalities_; }
  const std::vector<std::string>& readers() const { return readers_; }
  const std::vector<std::string>& cases() const { return cases_; }
  const std::vector<std::uint8_t>& truth() const { return truth_; }
  const std::vector<std::size_t>& positives() const { return positives_; }  // case indices
  const std::vector<std::size_t>& negatives() const { return negatives_; }
  double rating(std::size_t modality, std::size_t reader, std::size_t case_index) const {
    return ratings_[(modality * readers_.size() + reader) * cases_.size() + case_index];
  }

 private:
  std::vector<std::string> modalities_, readers_, cases_;
  std::vector<std::uint8_t> truth_;
  std::vector<double> ratings_;
  std::vector<std::size_t> positives_, negatives_;
};

// The figure of merit: the empirical (trapezoidal, Wilcoxon) AUC, counting ties as one half;
// or the sensitivity or specificity with a case called positive when its rating >= threshold.
enum class FigureOfMerit { kAuc, kSensitivity, kSpecificity };
enum class MrmcCovariance { kJackknife, kDeLong, kUnbiased };

std::string FigureOfMeritName(FigureOfMerit figure);
std::string MrmcCovarianceName(MrmcCovariance covariance);
// The inverses of the names above; none for any other text.
std::optional<FigureOfMerit> ParseFigureOfMerit(std::string_view name);
std::optional<MrmcCovariance> ParseMrmcCovariance(std::string_view name);

struct MrmcOptions {
  FigureOfMerit figure = FigureOfMerit::kAuc;
  double threshold = 0.0;  // sensitivity and specificity only
  MrmcCovariance covariance = MrmcCovariance::kJackknife;
  double level = 0.95;
};

// The figure of merit of every reader under every modality: value[i][j].
using FigureTable = std::vector<std::vector<double>>;
FigureTable ReaderFigures(const MrmcDesign& design, const MrmcOptions& options);

// The covariance of the reader x modality figures of merit over cases, (t r) x (t r) with
// index i * r + j. Jackknife: (c - 1)/c sum over left-out cases (of the cases the figure
// depends on: every case for the AUC, the positive ones for sensitivity, the negative ones for
// specificity, as MRMCaov does); DeLong: S10/m + S01/n from
// the structural components; unbiased: the product of the estimates less the unbiased estimate
// of the product of their means (pairs of distinct positives and distinct negatives).
std::vector<std::vector<double>> FigureCovariance(const MrmcDesign& design,
                                                  const MrmcOptions& options);

// The estimate of a modality, or of the difference of two, with its standard error, degrees of
// freedom (infinite for a normal approximation) and interval.
struct MrmcEstimate {
  std::string label;  // "A", or "A - B"
  double estimate = 0.0;
  double standard_error = 0.0;
  double degrees_of_freedom = 0.0;  // infinity: z
  double statistic = 0.0;           // t or z of a difference; 0 for a modality
  double p_value = 1.0;             // two-sided, of a difference; 1 for a modality
  Interval interval;
};

// One of the three generalizations: readers and cases random, readers fixed, or cases fixed.
struct MrmcTest {
  std::string analysis;         // "random_readers_random_cases", "fixed_readers", "fixed_cases"
  double statistic = 0.0;       // F, or chi-square when denominator_df is infinite
  double numerator_df = 0.0;    // modalities - 1
  double denominator_df = 0.0;  // infinity for the chi-square test
  double p_value = 1.0;
  double error_term = 0.0;                // the denominator of F, in the ANOVA's units
  std::vector<MrmcEstimate> differences;  // every pair i < i', first minus second
  std::vector<MrmcEstimate> modalities;   // each modality alone
};

struct OrComponents {
  double ms_t = 0.0, ms_r = 0.0, ms_tr = 0.0;              // mean squares of the figures
  double var_r = 0.0, var_tr = 0.0;                        // reader, reader x modality
  double error = 0.0, cov1 = 0.0, cov2 = 0.0, cov3 = 0.0;  // Var(error) and the covariances
};

// Per reader, the fixed-readers comparison of each pair of modalities: its own error variance
// and Cov1, the difference, its z and interval.
struct OrReaderComparison {
  std::string reader;
  double error = 0.0, cov1 = 0.0;
  MrmcEstimate difference;
};

struct OrResult {
  MrmcOptions options;
  FigureTable figures;  // [modality][reader]
  std::vector<double> modality_means;
  OrComponents components;
  std::vector<double> modality_error, modality_cov2;  // per modality: mean Var, mean Cov2
  MrmcTest random, fixed_readers, fixed_cases;
  std::vector<OrReaderComparison> readers;  // two modalities only (else empty)
};

// Obuchowski-Rockette. Errors (kInvalidInput): fewer than two readers, a figure of merit or
// covariance the design cannot give (DeLong and unbiased need two positive and two negative
// cases).
Result<OrResult> ObuchowskiRockette(const MrmcDesign& design, const MrmcOptions& options);

struct DbmComponents {
  double ms_t = 0.0, ms_r = 0.0, ms_c = 0.0, ms_tr = 0.0, ms_tc = 0.0, ms_rc = 0.0, ms_trc = 0.0;
  double var_r = 0.0, var_c = 0.0, var_tr = 0.0, var_tc = 0.0, var_rc = 0.0, var_error = 0.0;
};

struct DbmResult {
  MrmcOptions options;
  DbmComponents components;
  MrmcTest random, fixed_readers, fixed_cases;
};

// Dorfman-Berbaum-Metz on normalized jackknife pseudovalues (options.covariance is ignored).
Result<DbmResult> DorfmanBerbaumMetz(const MrmcDesign& design, const MrmcOptions& options);

// Gallas's unbiased U-statistic variance of the reader-averaged figure of merit of each
// modality and of each difference, readers and cases random: the square of the estimate less
// the unbiased estimate of the square of its mean (distinct readers, distinct cases).
struct UStatisticEstimate {
  std::string label;
  double estimate = 0.0;
  double variance = 0.0;
  Interval interval;  // normal
};
Result<std::vector<UStatisticEstimate>> GallasVariance(const MrmcDesign& design,
                                                       const MrmcOptions& options);

// A standalone reader (the AI) against the panel in one modality: the panel's mean figure
// less the AI's, tested with readers and cases random (the one-modality OR test of the
// reader-minus-AI differences, Hillis's degrees of freedom) and with cases fixed (a t test
// over readers).
struct StandaloneComparison {
  std::string modality;
  double panel = 0.0, standalone = 0.0;
  MrmcEstimate random;       // readers and cases random
  MrmcEstimate fixed_cases;  // readers random, cases fixed
};
// `standalone` holds the AI's score for each case of `design`. Errors as ObuchowskiRockette.
Result<StandaloneComparison> CompareStandalone(const MrmcDesign& design, std::size_t modality,
                                               const std::vector<double>& standalone,
                                               const MrmcOptions& options);

// Power of the random-readers, random-cases OR test for a study of `readers` readers and
// `cases` cases, two modalities whose figures differ by `effect`, from pilot components
// (the covariances scale with pilot_cases / cases; Var(TR) is carried over as it is).
struct PowerPlan {
  std::size_t readers = 0, cases = 0;
  double noncentrality = 0.0, denominator_df = 0.0, power = 0.0;
};
PowerPlan MrmcPower(const OrComponents& pilot, std::size_t pilot_cases, double effect,
                    std::size_t readers, std::size_t cases, double alpha);

// The fewest cases (up to `maximum_cases`) that reach `power` with each number of readers in
// [minimum_readers, maximum_readers]; a plan with cases = 0 where none does.
std::vector<PowerPlan> PlanReaderStudy(const OrComponents& pilot, std::size_t pilot_cases,
                                       double effect, double power, double alpha,
                                       std::size_t minimum_readers, std::size_t maximum_readers,
                                       std::size_t maximum_cases);

}  // namespace assay::stats
