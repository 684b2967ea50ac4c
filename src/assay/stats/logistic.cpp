#include "assay/stats/logistic.h"

#include <cmath>

namespace assay::stats {

LogisticFit FitLogistic(const Eigen::MatrixXd& x, std::span<const std::uint8_t> y, double l2,
                        int maximum_iterations, double tolerance) {
  const Eigen::Index n = x.rows(), p = x.cols();
  Eigen::MatrixXd design(n, p + 1);
  design.col(0).setOnes();
  design.rightCols(p) = x;
  Eigen::VectorXd target(n);
  for (Eigen::Index i = 0; i < n; ++i) target[i] = y[static_cast<std::size_t>(i)] != 0 ? 1.0 : 0.0;
  Eigen::VectorXd penalty = Eigen::VectorXd::Constant(p + 1, l2);
  penalty[0] = 0.0;  // the intercept is not penalized
  LogisticFit fit;
  fit.coefficients = Eigen::VectorXd::Zero(p + 1);
  for (fit.iterations = 1; fit.iterations <= maximum_iterations; ++fit.iterations) {
    const Eigen::VectorXd eta = design * fit.coefficients;
    Eigen::VectorXd mu(n), weight(n);
    for (Eigen::Index i = 0; i < n; ++i) {
      mu[i] = 1.0 / (1.0 + std::exp(-eta[i]));
      weight[i] = std::max(mu[i] * (1.0 - mu[i]), 1e-12);
    }
    // Newton step on the penalized log-likelihood.
    const Eigen::VectorXd gradient =
        design.transpose() * (target - mu) - penalty.cwiseProduct(fit.coefficients);
    Eigen::MatrixXd hessian = design.transpose() * weight.asDiagonal() * design;
    hessian.diagonal() += penalty;
    const Eigen::VectorXd step = hessian.ldlt().solve(gradient);
    fit.coefficients += step;
    if (step.cwiseAbs().maxCoeff() < tolerance) {
      fit.converged = true;
      break;
    }
  }
  return fit;
}

Eigen::VectorXd LinearPredictor(const LogisticFit& fit, const Eigen::MatrixXd& x) {
  return (x * fit.coefficients.tail(x.cols())).array() + fit.coefficients[0];
}

}  // namespace assay::stats
