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

// Fits logit P(y=1) = X beta + offset by Newton–Raphson; returns beta and
// the inverse Fisher information.
Result<std::pair<Eigen::VectorXd, Eigen::MatrixXd>> FitLogistic(const Eigen::MatrixXd& x,
                                                                const Eigen::VectorXd& offset,
                                                                std::span<const std::uint8_t> y) {
  const Eigen::Index n = x.rows(), k = x.cols();
  Eigen::VectorXd beta = Eigen::VectorXd::Zero(k);
  Eigen::MatrixXd information(k, k);
  for (int iteration = 0; iteration < 100; ++iteration) {
    Eigen::VectorXd gradient = Eigen::VectorXd::Zero(k);
    information.setZero();
    const Eigen::VectorXd eta = x * beta + offset;
    for (Eigen::Index i = 0; i < n; ++i) {
      const double mu = 1.0 / (1.0 + std::exp(-eta[i]));
      const double w = mu * (1.0 - mu);
      gradient += x.row(i).transpose() * (static_cast<double>(y[i]) - mu);
      information.noalias() += w * x.row(i).transpose() * x.row(i);
    }
    const Eigen::VectorXd step = information.ldlt().solve(gradient);
    if (!step.allFinite()) break;
    beta += step;
    if (step.cwiseAbs().maxCoeff() < 1e-10) {
      return std::make_pair(beta, Eigen::MatrixXd(information.inverse()));
    }
  }
  return NotEvaluable(
      "logistic recalibration did not converge (are the outcomes perfectly separated by the "
      "score?)");
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
  std::vector<std::size_t> bin_of(n);
  if (binning == Binning::kEqualWidth) {
    for (std::size_t i = 0; i < n; ++i) {
      const auto b = static_cast<std::size_t>(probability[i] * static_cast<double>(bins));
      bin_of[i] = std::min(b, bins - 1);
    }
  } else {
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return probability[a] < probability[b]; });
    for (std::size_t rank = 0; rank < n; ++rank) bin_of[order[rank]] = rank * bins / n;
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
  const auto n = static_cast<Eigen::Index>(probability.size());
  Eigen::MatrixXd design(n, 2);
  Eigen::VectorXd logit(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    logit[i] = Logit(probability[i]);
    design(i, 0) = 1.0;
    design(i, 1) = logit[i];
  }

  auto full = FitLogistic(design, Eigen::VectorXd::Zero(n), truth);
  if (!full.ok()) return full.status();
  auto in_the_large = FitLogistic(Eigen::MatrixXd::Ones(n, 1), logit, truth);
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
