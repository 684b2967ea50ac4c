// Distribution shift between a reference cohort (where the evidence comes
// from) and a target cohort (where the model will be used), attribute by
// attribute: is the difference real (a test, corrected for multiplicity) and
// does it matter (an effect size with its interval)?
//
// Categorical attributes: Pearson's chi-square test, the total-variation
// distance and the population stability index (PSI) over the levels.
// Numeric attributes: the Kolmogorov-Smirnov test, the Wasserstein-1 distance
// and the PSI over the reference's deciles. Intervals of the PSI and the
// total variation come from a Poisson bootstrap of the cell counts, keyed by
// (seed, attribute, replicate), so they do not depend on thread count; those of the KS
// distance and the Wasserstein-1 distance likewise, from counts on a grid of the values. An
// attribute is "shifted" when its adjusted p-value is at most alpha and its
// PSI reaches the threshold; "minor" when the difference is significant but
// smaller, as it always is somewhere in a large enough cohort.
//
//   auto result = analysis::CompareCohorts(samples, {});
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "assay/stats/interval.h"
#include "assay/stats/multiplicity.h"

namespace assay::analysis {

// One attribute in both cohorts.
struct ShiftSample {
  std::string name;
  bool numeric = false;
  std::vector<double> reference, target;  // numeric: the values, NaN where missing
  std::vector<std::string> levels;        // categorical: the levels of both cohorts
  std::vector<std::uint32_t> reference_codes, target_codes;
};

struct ShiftOptions {
  double alpha = 0.05;
  stats::Multiplicity multiplicity = stats::Multiplicity::kHolm;
  double psi_threshold =
      0.1;  // a PSI from 0.1 is conventionally a moderate shift, from 0.25 a major one
  double level = 0.95;
  std::size_t bootstrap = 200;
  std::uint64_t seed = 20240101;
};

struct LevelShare {
  std::string level;
  std::uint64_t reference = 0, target = 0;
};

struct AttributeShift {
  std::string name;
  bool numeric = false;
  std::uint64_t reference_cases = 0, target_cases = 0;  // with a value
  std::uint64_t reference_missing = 0, target_missing = 0;
  std::string test;  // "chi_square", "kolmogorov_smirnov"
  double statistic = 0.0;
  double degrees_of_freedom = 0.0;  // chi-square only
  double p_value = 1.0, adjusted_p = 1.0;
  double psi = 0.0;
  stats::Interval psi_ci;
  std::optional<double> total_variation;  // categorical
  std::optional<stats::Interval> total_variation_ci;
  std::optional<double> wasserstein;  // numeric, in the attribute's unit
  // Numeric: intervals of the KS distance (`statistic`) and of `wasserstein`, from a Poisson
  // bootstrap of the counts on a grid of at most 1,024 cells (the distinct values, or pooled
  // quantiles with each cell at its mean value).
  std::optional<stats::Interval> statistic_ci, wasserstein_ci;
  std::optional<double> reference_median, target_median;
  std::string status;              // "shifted", "minor", "no_evidence", "not_comparable"
  std::string note;                // why an attribute could not be compared
  std::vector<LevelShare> levels;  // categorical, in level order
};

struct ShiftResult {
  std::vector<AttributeShift> attributes;  // in the order given
  ShiftOptions options;
};

// Compares every attribute (in parallel). An attribute without a value in one
// of the cohorts is "not_comparable" and left out of the multiplicity family.
ShiftResult CompareCohorts(std::span<const ShiftSample> samples, const ShiftOptions& options);

}  // namespace assay::analysis
