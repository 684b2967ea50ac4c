// Multivariate shift: can a classifier tell the target cohort from the
// reference by the attributes together? An L2-penalized logistic regression
// over every attribute (numeric ones standardized, with a missing indicator;
// categorical ones one-hot against their commonest level) is cross-validated
// (k folds); the AUC of its out-of-fold scores, with the DeLong interval,
// says how separable the cohorts are: about 0.5 when they are alike, toward 1
// as they differ. A fit on all the cases gives the attributes that separate
// them most. Larger cohorts are subsampled to at most `maximum_per_cohort`
// cases each. Folds and subsample are drawn from streams keyed by (seed,
// cohort, case): independent of thread count.
//
//   auto domain = analysis::ClassifyDomains(samples, {});
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "assay/analysis/shift.h"
#include "assay/stats/interval.h"

namespace assay::analysis {

struct DomainClassifierOptions {
  std::size_t folds = 5;
  std::size_t maximum_per_cohort = 50000;
  double l2 = 1.0;  // scikit-learn's C = 1 / l2
  double level = 0.95;
  std::uint64_t seed = 20240101;
};

struct DomainFeature {
  std::string feature;       // "age", "vendor = Fujifilm", "kvp missing"
  double coefficient = 0.0;  // per standard deviation (numeric) or for the level (categorical)
};

struct DomainClassifierResult {
  std::size_t reference_cases = 0, target_cases = 0;  // used (after subsampling)
  std::size_t features = 0;
  double auc = 0.5;
  stats::Interval auc_ci;                // DeLong, on the out-of-fold scores
  std::vector<DomainFeature> strongest;  // up to 10, largest |coefficient| first
  bool converged = true;
  std::string note;  // why there is no result (an empty cohort, no feature)
};

DomainClassifierResult ClassifyDomains(std::span<const ShiftSample> samples,
                                       const DomainClassifierOptions& options);

}  // namespace assay::analysis
