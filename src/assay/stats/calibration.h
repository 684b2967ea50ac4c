// Calibration of probability scores: Brier score, expected and maximum
// calibration error with equal-width or equal-mass bins, logistic
// recalibration (slope and intercept, Cox 1958) and calibration-in-the-large.
//
// Scores must be probabilities in [0, 1]; callers check this first
// (ScoresAreProbabilities). For logit(score), scores are clipped to
// [1e-12, 1 - 1e-12] so that outputs of exactly 0 or 1 stay finite.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "assay/core/status.h"
#include "assay/stats/interval.h"

namespace assay::stats {

bool ScoresAreProbabilities(std::span<const double> score);

struct BrierScore {
  double estimate = 0.0;
  Interval interval;  // normal approximation: mean of (p - y)^2 ± z * sd / sqrt(n)
};
BrierScore ComputeBrier(std::span<const double> probability, std::span<const std::uint8_t> truth,
                        double level);

enum class Binning { kEqualWidth, kEqualMass };

struct ReliabilityBin {
  double lower = 0.0, upper = 0.0;  // score range of the bin
  std::size_t count = 0;
  double mean_predicted = 0.0;
  double observed_rate = 0.0;
};

struct CalibrationError {
  double expected = 0.0;  // ECE: count-weighted mean |observed - predicted|
  double maximum = 0.0;   // MCE: the largest gap over non-empty bins
  std::vector<ReliabilityBin> bins;
};
// Requires bins >= 1. Equal-mass bins split the sorted scores into groups of
// (nearly) equal size; tied scores may straddle a boundary.
CalibrationError ComputeCalibrationError(std::span<const double> probability,
                                         std::span<const std::uint8_t> truth, std::size_t bins,
                                         Binning binning);

struct Coefficient {
  double estimate = 0.0;
  double standard_error = 0.0;
  Interval interval;  // Wald
};

struct LogisticRecalibration {
  Coefficient intercept;                 // a in logit P(y) = a + b logit(p)
  Coefficient slope;                     // b
  Coefficient calibration_in_the_large;  // a in logit P(y) = a + logit(p)
};
// Maximum-likelihood fits by Newton–Raphson (Eigen). Fails (not evaluable)
// when the fit does not converge, e.g. under complete separation.
Result<LogisticRecalibration> FitLogisticRecalibration(std::span<const double> probability,
                                                       std::span<const std::uint8_t> truth,
                                                       double level);

}  // namespace assay::stats
