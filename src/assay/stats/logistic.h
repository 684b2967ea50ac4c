// L2-penalized logistic regression by iteratively reweighted least squares
// (Newton's method; Eigen's LDLT solves each step). Minimizes
//   sum_i log(1 + exp(-s_i x_i'b)) + (l2 / 2) |b_1..p|^2,  s_i = +-1,
// with the intercept b_0 unpenalized: scikit-learn's LogisticRegression with
// C = 1 / l2, against which it is tested. Pure; thread-safe.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <span>

namespace assay::stats {

struct LogisticFit {
  Eigen::VectorXd coefficients;  // intercept first, then one per column of x
  int iterations = 0;
  bool converged = false;
};

// `x`: one row per case (no intercept column); `y`: 1 or 0 per row. Requires
// l2 > 0 (it keeps separable data finite).
LogisticFit FitLogistic(const Eigen::MatrixXd& x, std::span<const std::uint8_t> y, double l2,
                        int maximum_iterations = 100, double tolerance = 1e-10);

// The linear predictor b_0 + x'b of each row.
Eigen::VectorXd LinearPredictor(const LogisticFit& fit, const Eigen::MatrixXd& x);

}  // namespace assay::stats
