// Penalized logistic regression against scikit-learn's LogisticRegression
// (solver newton-cg, C = 0.7, tight tolerance) on a simulated data set
// (tests/reference/statsmodels_reference.py, "logistic").
#include "assay/stats/logistic.h"

#include <gtest/gtest.h>

#include <vector>

#include "../reference/reference_files.h"

namespace assay::stats {
namespace {

using assay::testing::NearRelative;
using assay::testing::ReadNumericCsv;
using assay::testing::ReferenceJson;

TEST(FitLogistic, MatchesScikitLearn) {
  const auto& reference = ReferenceJson("statsmodels_reference.json")["logistic"];
  const auto data = ReadNumericCsv(reference["file"].get<std::string>());
  const std::vector<std::string> names = {"a", "b", "c", "d"};
  const auto n = static_cast<Eigen::Index>(data.at("y").size());
  Eigen::MatrixXd x(n, 4);
  std::vector<std::uint8_t> y;
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < 4; ++j) x(i, j) = data.at(names[j])[i];
    y.push_back(data.at("y")[i] > 0.5 ? 1 : 0);
  }
  const LogisticFit fit = FitLogistic(x, y, 1.0 / reference["C"].get<double>());
  EXPECT_TRUE(fit.converged);
  const auto expected = reference["coefficients"].get<std::vector<double>>();  // intercept first
  ASSERT_EQ(fit.coefficients.size(), 5);
  for (Eigen::Index k = 0; k < 5; ++k) {
    EXPECT_TRUE(NearRelative(fit.coefficients[k], expected[static_cast<std::size_t>(k)], 1e-6))
        << "coefficient " << k;
  }
  const Eigen::VectorXd eta = LinearPredictor(fit, x.topRows(1));
  EXPECT_NEAR(eta[0], fit.coefficients[0] + x.row(0).dot(fit.coefficients.tail(4)), 1e-12);
}

TEST(FitLogistic, SeparableDataStaysFinite) {
  Eigen::MatrixXd x(6, 1);
  x << -3, -2, -1, 1, 2, 3;
  const std::vector<std::uint8_t> y = {0, 0, 0, 1, 1, 1};
  const LogisticFit fit = FitLogistic(x, y, 0.1);
  EXPECT_TRUE(fit.converged);
  EXPECT_GT(fit.coefficients[1], 0.0);
  EXPECT_TRUE(std::isfinite(fit.coefficients[1]));
}

}  // namespace
}  // namespace assay::stats
