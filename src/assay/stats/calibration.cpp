#include "assay/stats/calibration.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <numeric>

namespace assay::stats {
namespace {

constexpr double kClip = 1e-12;

double Logit(double p) {
  p = std::clamp(p, kClip, 1.0 - kClip);
  return std::log(p / (1.0 - p));
}

Coefficient MakeCoefficient(double estimate, double variance, double level) {
  const double se = std::sqrt(variance);
  const double z = NormalQuantileTwoSided(level);
  return Coefficient{estimate, se, Interval{estimate - z * se, estimate + z * se, level, "wald"}};
}

// Fits logit P(y = 1) = a + b * logit(p) (with_slope) or a + logit(p) by
// Newton–Raphson, accumulating the score and information over the cases
// directly so that memory stays O(1) per case. Returns the estimates and the
// inverse information (their covariance).
Result<std::pair<Eigen::VectorXd, Eigen::MatrixXd>> FitLogistic(std::span<const double> logit,
                                                                std::span<const std::uint8_t> y,
                                                                bool with_slope) {
  const Eigen::Index k = with_slope ? 2 : 1;
  Eigen::VectorXd beta = Eigen::VectorXd::Zero(k);
  Eigen::MatrixXd information(k, k);
  Eigen::VectorXd gradient(k);
  for (int iteration = 0; iteration < 100; ++iteration) {
    // Sums for the score (g) and information (h) with x = (1, logit), in scalars.
    double g0 = 0.0, g1 = 0.0, h00 = 0.0, h01 = 0.0, h11 = 0.0;
    for (std::size_t i = 0; i < logit.size(); ++i) {
      const double eta = with_slope ? beta[0] + beta[1] * logit[i] : beta[0] + logit[i];
      const double mu = 1.0 / (1.0 + std::exp(-eta));
      const double residual = static_cast<double>(y[i]) - mu, weight = mu * (1.0 - mu);
      g0 += residual;
      g1 += residual * logit[i];
      h00 += weight;
      h01 += weight * logit[i];
      h11 += weight * logit[i] * logit[i];
    }
    if (with_slope) {
      gradient << g0, g1;
      information << h00, h01, h01, h11;
    } else {
      gradient << g0;
      information << h00;
    }
    // A flat score (all cases alike) leaves the information singular: no fit.
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> spectrum(information,
                                                                  Eigen::EigenvaluesOnly);
    const auto& eigenvalues = spectrum.eigenvalues();
    if (!(eigenvalues.minCoeff() > 1e-12 * eigenvalues.maxCoeff())) break;
    const Eigen::VectorXd step = information.ldlt().solve(gradient);
    if (!step.allFinite()) break;
    beta += step;
    if (step.cwiseAbs().maxCoeff() < 1e-10) {
      return std::make_pair(beta, Eigen::MatrixXd(information.inverse()));
    }
  }
  return NotEvaluable(
      "logistic recalibration has no fit: the outcomes are perfectly separated by the score, or "
      "the scores do not vary");
}

}  // namespace

bool ScoresAreProbabilities(std::span<const double> score) {
  return std::all_of(score.begin(), score.end(), [](double s) { return s >= 0.0 && s <= 1.0; });
}

BrierScore ComputeBrier(std::span<const double> probability, std::span<const std::uint8_t> truth,
                        double level) {
  const auto n = static_cast<double>(probability.size());
  double sum = 0.0, sum_squares = 0.0;
  for (std::size_t i = 0; i < probability.size(); ++i) {
    const double d = probability[i] - truth[i];
    sum += d * d;
    sum_squares += d * d * d * d;
  }
  const double mean = sum / n;
  const double variance = (sum_squares - n * mean * mean) / (n - 1.0);
  const double half = NormalQuantileTwoSided(level) * std::sqrt(variance / n);
  return {mean, Interval{std::max(0.0, mean - half), mean + half, level, "normal"}};
}

CalibrationError ComputeCalibrationError(std::span<const double> probability,
                                         std::span<const std::uint8_t> truth, std::size_t bins,
                                         Binning binning) {
  const std::size_t n = probability.size();
  std::vector<std::uint32_t> bin_of(n);  // 4 bytes a case: assumes bins < 2^32
  if (binning == Binning::kEqualWidth) {
    for (std::size_t i = 0; i < n; ++i) {
      const auto b = static_cast<std::size_t>(probability[i] * static_cast<double>(bins));
      bin_of[i] = static_cast<std::uint32_t>(std::min(b, bins - 1));
    }
  } else {
    // Rank order with ties kept in case order: sort (score, case) pairs.
    std::vector<std::pair<double, std::uint32_t>> ranked(n);  // assumes fewer than 2^32 cases
    for (std::size_t i = 0; i < n; ++i) ranked[i] = {probability[i], static_cast<std::uint32_t>(i)};
    std::sort(ranked.begin(), ranked.end());
    for (std::size_t rank = 0; rank < n; ++rank) {
      bin_of[ranked[rank].second] = static_cast<std::uint32_t>(rank * bins / n);
    }
  }

  CalibrationError result;
  result.bins.resize(bins);
  for (std::size_t b = 0; b < bins; ++b) {
    result.bins[b].lower = binning == Binning::kEqualWidth ? double(b) / double(bins) : 1.0;
    result.bins[b].upper = binning == Binning::kEqualWidth ? double(b + 1) / double(bins) : 0.0;
  }
  for (std::size_t i = 0; i < n; ++i) {
    ReliabilityBin& bin = result.bins[bin_of[i]];
    ++bin.count;
    bin.mean_predicted += probability[i];
    bin.observed_rate += truth[i];
    if (binning == Binning::kEqualMass) {
      bin.lower = std::min(bin.lower, probability[i]);
      bin.upper = std::max(bin.upper, probability[i]);
    }
  }
  for (auto& bin : result.bins) {
    if (bin.count == 0) continue;
    bin.mean_predicted /= static_cast<double>(bin.count);
    bin.observed_rate /= static_cast<double>(bin.count);
    const double gap = std::abs(bin.observed_rate - bin.mean_predicted);
    result.expected += gap * static_cast<double>(bin.count) / static_cast<double>(n);
    result.maximum = std::max(result.maximum, gap);
  }
  std::erase_if(result.bins, [](const ReliabilityBin& bin) { return bin.count == 0; });
  return result;
}

Result<LogisticRecalibration> FitLogisticRecalibration(std::span<const double> probability,
                                                       std::span<const std::uint8_t> truth,
                                                       double level) {
  std::vector<double> logit(probability.size());
  std::transform(probability.begin(), probability.end(), logit.begin(), Logit);

  auto full = FitLogistic(logit, truth, /*with_slope=*/true);
  if (!full.ok()) return full.status();
  auto in_the_large = FitLogistic(logit, truth, /*with_slope=*/false);
  if (!in_the_large.ok()) return in_the_large.status();

  const auto& [beta, covariance] = *full;
  const auto& [alpha, alpha_covariance] = *in_the_large;
  LogisticRecalibration result;
  result.intercept = MakeCoefficient(beta[0], covariance(0, 0), level);
  result.slope = MakeCoefficient(beta[1], covariance(1, 1), level);
  result.calibration_in_the_large = MakeCoefficient(alpha[0], alpha_covariance(0, 0), level);
  return result;
}

}  // namespace assay::stats
