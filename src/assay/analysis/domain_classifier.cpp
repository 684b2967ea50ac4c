#include "assay/analysis/domain_classifier.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "assay/core/random.h"
#include "assay/stats/logistic.h"
#include "assay/stats/roc.h"

namespace assay::analysis {
namespace {

constexpr std::uint64_t kSubsamplePurpose = PurposeId("domain_classifier_subsample");
constexpr std::uint64_t kFoldPurpose = PurposeId("domain_classifier_fold");

// The rows of one cohort kept: all, or a keyed Bernoulli sample of about `maximum`.
std::vector<std::size_t> Kept(std::size_t size, std::size_t maximum, std::uint64_t seed,
                              std::uint64_t cohort) {
  std::vector<std::size_t> rows;
  const double keep =
      size <= maximum ? 1.0 : static_cast<double>(maximum) / static_cast<double>(size);
  for (std::size_t i = 0; i < size; ++i) {
    if (keep >= 1.0 || RandomStream(seed, kSubsamplePurpose, cohort, i).NextUniform() < keep)
      rows.push_back(i);
  }
  return rows;
}

std::size_t CohortSize(const ShiftSample& s, int cohort) {
  if (s.numeric) return cohort == 0 ? s.reference.size() : s.target.size();
  return cohort == 0 ? s.reference_codes.size() : s.target_codes.size();
}

}  // namespace

DomainClassifierResult ClassifyDomains(std::span<const ShiftSample> samples,
                                       const DomainClassifierOptions& options) {
  DomainClassifierResult result;
  result.auc_ci = {std::nan(""), std::nan(""), options.level, "delong"};
  if (samples.empty()) {
    result.note = "no attribute";
    return result;
  }
  const std::size_t sizes[2] = {CohortSize(samples[0], 0), CohortSize(samples[0], 1)};
  if (sizes[0] == 0 || sizes[1] == 0) {
    result.note = "a cohort without cases";
    return result;
  }
  const std::vector<std::size_t> rows[2] = {
      Kept(sizes[0], options.maximum_per_cohort, options.seed, 0),
      Kept(sizes[1], options.maximum_per_cohort, options.seed, 1)};
  result.reference_cases = rows[0].size();
  result.target_cases = rows[1].size();
  const std::size_t n = rows[0].size() + rows[1].size();

  // The design: one block of columns per attribute.
  std::vector<std::string> names;
  std::vector<std::vector<double>> columns;
  for (const ShiftSample& s : samples) {
    if (s.numeric) {
      std::vector<double> value, missing;
      double sum = 0, squares = 0;
      std::size_t present = 0;
      for (int cohort = 0; cohort < 2; ++cohort) {
        const std::vector<double>& all = cohort == 0 ? s.reference : s.target;
        for (std::size_t i : rows[cohort]) {
          value.push_back(all[i]);
          if (!std::isnan(all[i])) {
            sum += all[i];
            squares += all[i] * all[i];
            ++present;
          }
        }
      }
      if (present < 2) continue;
      const double mean = sum / static_cast<double>(present);
      const double sd =
          std::sqrt(std::max(0.0, squares / static_cast<double>(present) - mean * mean));
      bool any_missing = false;
      for (double& v : value) {
        const bool absent = std::isnan(v);
        any_missing = any_missing || absent;
        missing.push_back(absent ? 1.0 : 0.0);
        v = absent || sd == 0.0 ? 0.0 : (v - mean) / sd;
      }
      if (sd > 0.0) {
        names.push_back(s.name);
        columns.push_back(std::move(value));
      }
      if (any_missing) {
        names.push_back(s.name + " missing");
        columns.push_back(std::move(missing));
      }
      continue;
    }
    std::vector<std::size_t> count(s.levels.size(), 0);
    for (int cohort = 0; cohort < 2; ++cohort) {
      const auto& codes = cohort == 0 ? s.reference_codes : s.target_codes;
      for (std::size_t i : rows[cohort]) ++count[codes[i]];
    }
    const auto commonest =
        static_cast<std::size_t>(std::max_element(count.begin(), count.end()) - count.begin());
    for (std::size_t level = 0; level < s.levels.size(); ++level) {
      if (level == commonest || count[level] == 0) continue;
      std::vector<double> indicator;
      indicator.reserve(n);
      for (int cohort = 0; cohort < 2; ++cohort) {
        const auto& codes = cohort == 0 ? s.reference_codes : s.target_codes;
        for (std::size_t i : rows[cohort]) indicator.push_back(codes[i] == level ? 1.0 : 0.0);
      }
      names.push_back(s.name + " = " + s.levels[level]);
      columns.push_back(std::move(indicator));
    }
  }
  result.features = columns.size();
  if (columns.empty()) {
    result.note = "no attribute varies";
    return result;
  }
  Eigen::MatrixXd x(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(columns.size()));
  for (std::size_t c = 0; c < columns.size(); ++c) {
    for (std::size_t i = 0; i < n; ++i)
      x(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(c)) = columns[c][i];
  }
  std::vector<std::uint8_t> target(n, 0);
  std::vector<std::size_t> fold(n);
  for (std::size_t i = 0; i < n; ++i) {
    const int cohort = i < rows[0].size() ? 0 : 1;
    const std::size_t row = cohort == 0 ? rows[0][i] : rows[1][i - rows[0].size()];
    target[i] = static_cast<std::uint8_t>(cohort);
    fold[i] = RandomStream(options.seed, kFoldPurpose, static_cast<std::uint64_t>(cohort), row)
                  .NextBelow(options.folds);
  }

  // Out-of-fold scores.
  std::vector<double> score(n, 0.0);
  for (std::size_t k = 0; k < options.folds; ++k) {
    std::vector<Eigen::Index> train, test;
    for (std::size_t i = 0; i < n; ++i)
      (fold[i] == k ? test : train).push_back(static_cast<Eigen::Index>(i));
    if (test.empty() || train.empty()) continue;
    std::vector<std::uint8_t> y;
    y.reserve(train.size());
    for (auto i : train) y.push_back(target[static_cast<std::size_t>(i)]);
    const stats::LogisticFit fit = stats::FitLogistic(x(train, Eigen::all), y, options.l2);
    result.converged = result.converged && fit.converged;
    const Eigen::VectorXd eta = stats::LinearPredictor(fit, x(test, Eigen::all));
    for (std::size_t t = 0; t < test.size(); ++t)
      score[static_cast<std::size_t>(test[t])] = eta[static_cast<Eigen::Index>(t)];
  }
  const stats::AucVariance auc = stats::DelongSummary(stats::SplitAndSortScores(score, target));
  result.auc = auc.auc;
  if (std::isfinite(auc.variance)) {
    const double half = stats::NormalQuantileTwoSided(options.level) * std::sqrt(auc.variance);
    result.auc_ci = {std::max(0.0, auc.auc - half), std::min(1.0, auc.auc + half), options.level,
                     "delong"};
  }

  // What separates the cohorts: a fit on every case.
  const stats::LogisticFit all = stats::FitLogistic(x, target, options.l2);
  result.converged = result.converged && all.converged;
  std::vector<std::size_t> order(columns.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::abs(all.coefficients[static_cast<Eigen::Index>(a) + 1]) >
           std::abs(all.coefficients[static_cast<Eigen::Index>(b) + 1]);
  });
  for (std::size_t k = 0; k < order.size() && k < 10; ++k) {
    result.strongest.push_back(
        {names[order[k]], all.coefficients[static_cast<Eigen::Index>(order[k]) + 1]});
  }
  return result;
}

}  // namespace assay::analysis
