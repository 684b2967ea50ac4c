#include "assay/stats/mrmc.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/fisher_f.hpp>
#include <boost/math/distributions/non_central_f.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

namespace assay::stats {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

double Square(double x) { return x * x; }

// Sums of one reader x modality kernel psi(x, y) over the positive cases x and negative cases
// y, in units of 1/2 so that they are exact: psi = 1 when the positive case is ranked above
// the negative one (AUC) or called positive (sensitivity) or the negative called negative
// (specificity), 1/2 for an AUC tie.
struct Kernel {
  std::vector<std::uint8_t> doubled;  // 2 psi, m x n, positive-major
  std::vector<double> rows, columns;  // sums over y for each x, over x for each y (of psi)
  double total = 0.0;
};

Kernel MakeKernel(const MrmcDesign& design, std::size_t modality, std::size_t reader,
                  const MrmcOptions& options) {
  const auto& positives = design.positives();
  const auto& negatives = design.negatives();
  const std::size_t m = positives.size(), n = negatives.size();
  Kernel kernel;
  kernel.doubled.resize(m * n);
  kernel.rows.assign(m, 0.0);
  kernel.columns.assign(n, 0.0);
  for (std::size_t x = 0; x < m; ++x) {
    const double positive = design.rating(modality, reader, positives[x]);
    for (std::size_t y = 0; y < n; ++y) {
      const double negative = design.rating(modality, reader, negatives[y]);
      std::uint8_t value = 0;
      switch (options.figure) {
        case FigureOfMerit::kAuc:
          value = positive > negative ? 2 : positive == negative ? 1 : 0;
          break;
        case FigureOfMerit::kSensitivity:
          value = positive >= options.threshold ? 2 : 0;
          break;
        case FigureOfMerit::kSpecificity:
          value = negative < options.threshold ? 2 : 0;
          break;
      }
      kernel.doubled[x * n + y] = value;
      kernel.rows[x] += 0.5 * value;
      kernel.columns[y] += 0.5 * value;
    }
  }
  kernel.total = std::accumulate(kernel.rows.begin(), kernel.rows.end(), 0.0);
  return kernel;
}

std::vector<Kernel> MakeKernels(const MrmcDesign& design, const MrmcOptions& options) {
  std::vector<Kernel> kernels;
  kernels.reserve(design.modality_count() * design.reader_count());
  for (std::size_t i = 0; i < design.modality_count(); ++i) {
    for (std::size_t j = 0; j < design.reader_count(); ++j) {
      kernels.push_back(MakeKernel(design, i, j, options));
    }
  }
  return kernels;
}

double Figure(const Kernel& kernel, std::size_t m, std::size_t n) {
  return kernel.total / (static_cast<double>(m) * static_cast<double>(n));
}

// The unbiased estimate of E[psi_a] E[psi_b] from distinct positives and distinct negatives:
// sum over x != x', y != y' of psi_a(x, y) psi_b(x', y') / (m (m - 1) n (n - 1)).
double ProductOfMeans(const Kernel& a, const Kernel& b, std::size_t m, std::size_t n) {
  double same_cell = 0.0;
  for (std::size_t k = 0; k < a.doubled.size(); ++k) {
    same_cell += static_cast<double>(a.doubled[k]) * static_cast<double>(b.doubled[k]);
  }
  same_cell *= 0.25;
  double same_positive = 0.0, same_negative = 0.0;
  for (std::size_t x = 0; x < m; ++x) same_positive += a.rows[x] * b.rows[x];
  for (std::size_t y = 0; y < n; ++y) same_negative += a.columns[y] * b.columns[y];
  const double distinct = a.total * b.total - same_positive - same_negative + same_cell;
  const auto md = static_cast<double>(m), nd = static_cast<double>(n);
  return distinct / (md * (md - 1.0) * nd * (nd - 1.0));
}

using Matrix = std::vector<std::vector<double>>;

// The cases a figure depends on, which the jackknife leaves out one at a time: all for the AUC,
// the positive ones for sensitivity, the negative ones for specificity (MRMCaov's convention).
// Cases are numbered positives first: [first, first + count) of [0, m + n).
struct CaseRange {
  std::size_t first = 0, count = 0;
};

CaseRange JackknifeCases(FigureOfMerit figure, std::size_t m, std::size_t n) {
  switch (figure) {
    case FigureOfMerit::kSensitivity:
      return {0, m};
    case FigureOfMerit::kSpecificity:
      return {m, n};
    case FigureOfMerit::kAuc:
      break;
  }
  return {0, m + n};
}

// The figure without case k (numbered as in CaseRange).
double LeftOut(const Kernel& kernel, std::size_t k, std::size_t m, std::size_t n) {
  const auto md = static_cast<double>(m), nd = static_cast<double>(n);
  if (k < m) return (kernel.total - kernel.rows[k]) / ((md - 1.0) * nd);
  return (kernel.total - kernel.columns[k - m]) / (md * (nd - 1.0));
}

Matrix Covariance(const std::vector<Kernel>& kernels, std::size_t m, std::size_t n,
                  MrmcCovariance method, FigureOfMerit figure_of_merit) {
  const std::size_t p = kernels.size();
  const auto md = static_cast<double>(m), nd = static_cast<double>(n);
  Matrix cov(p, std::vector<double>(p, 0.0));
  std::vector<double> figure(p);
  for (std::size_t a = 0; a < p; ++a) figure[a] = Figure(kernels[a], m, n);
  switch (method) {
    case MrmcCovariance::kJackknife: {
      const CaseRange cases = JackknifeCases(figure_of_merit, m, n);
      const std::size_t c = cases.count;
      Matrix left(p, std::vector<double>(c));
      for (std::size_t a = 0; a < p; ++a) {
        for (std::size_t k = 0; k < c; ++k) left[a][k] = LeftOut(kernels[a], cases.first + k, m, n);
        const double mean = std::accumulate(left[a].begin(), left[a].end(), 0.0) / double(c);
        for (double& v : left[a]) v -= mean;
      }
      const double factor = (static_cast<double>(c) - 1.0) / static_cast<double>(c);
      for (std::size_t a = 0; a < p; ++a) {
        for (std::size_t b = a; b < p; ++b) {
          double sum = 0.0;
          for (std::size_t k = 0; k < c; ++k) sum += left[a][k] * left[b][k];
          cov[a][b] = cov[b][a] = factor * sum;
        }
      }
      break;
    }
    case MrmcCovariance::kDeLong: {
      for (std::size_t a = 0; a < p; ++a) {
        for (std::size_t b = a; b < p; ++b) {
          double s10 = 0.0, s01 = 0.0;
          for (std::size_t x = 0; x < m; ++x) {
            s10 += (kernels[a].rows[x] / nd - figure[a]) * (kernels[b].rows[x] / nd - figure[b]);
          }
          for (std::size_t y = 0; y < n; ++y) {
            s01 +=
                (kernels[a].columns[y] / md - figure[a]) * (kernels[b].columns[y] / md - figure[b]);
          }
          cov[a][b] = cov[b][a] = s10 / (md - 1.0) / md + s01 / (nd - 1.0) / nd;
        }
      }
      break;
    }
    case MrmcCovariance::kUnbiased: {
      for (std::size_t a = 0; a < p; ++a) {
        for (std::size_t b = a; b < p; ++b) {
          cov[a][b] = cov[b][a] =
              figure[a] * figure[b] - ProductOfMeans(kernels[a], kernels[b], m, n);
        }
      }
      break;
    }
  }
  return cov;
}

Status CheckDesign(const MrmcDesign& design, const MrmcOptions& options) {
  if (!(options.level > 0.0 && options.level < 1.0)) {
    return InvalidInput(
        fmt::format("the confidence level {} is not between 0 and 1", options.level));
  }
  if (options.figure != FigureOfMerit::kAuc && !std::isfinite(options.threshold)) {
    return InvalidInput("sensitivity and specificity need a finite rating threshold");
  }
  if (options.covariance != MrmcCovariance::kJackknife &&
      (design.positive_count() < 2 || design.negative_count() < 2)) {
    return InvalidInput(fmt::format(
        "{} covariance needs at least two positive and two negative cases ({} and {} here)",
        MrmcCovarianceName(options.covariance), design.positive_count(), design.negative_count()));
  }
  return Status::Ok();
}

double TwoSidedT(double statistic, double df) {
  if (!std::isfinite(statistic)) return 0.0;
  if (std::isinf(df)) {
    return 2.0 *
           boost::math::cdf(boost::math::complement(boost::math::normal(), std::abs(statistic)));
  }
  return 2.0 * boost::math::cdf(
                   boost::math::complement(boost::math::students_t(df), std::abs(statistic)));
}

double Quantile(double level, double df) {
  const double tail = 0.5 + 0.5 * level;
  if (std::isinf(df)) return boost::math::quantile(boost::math::normal(), tail);
  return boost::math::quantile(boost::math::students_t(df), tail);
}

MrmcEstimate Estimate(std::string label, double estimate, double standard_error, double df,
                      double level, bool difference) {
  MrmcEstimate out;
  out.label = std::move(label);
  out.estimate = estimate;
  out.standard_error = standard_error;
  out.degrees_of_freedom = df;
  const double q = standard_error > 0.0 ? Quantile(level, df) : 0.0;
  out.interval = {estimate - q * standard_error, estimate + q * standard_error, level,
                  std::isinf(df) ? "normal" : "t"};
  if (difference) {
    out.statistic = standard_error > 0.0 ? estimate / standard_error
                    : estimate == 0.0    ? 0.0
                                         : std::copysign(kInfinity, estimate);
    out.p_value = standard_error > 0.0 || estimate != 0.0 ? TwoSidedT(out.statistic, df) : 1.0;
  }
  return out;
}

// F (or, with an infinite denominator, the chi-square of (t - 1) F) and its p-value.
void FinishTest(MrmcTest& test, double mean_square, double error_term) {
  test.error_term = error_term;
  if (!(error_term > 0.0)) {
    test.statistic = mean_square > 0.0 ? kInfinity : 0.0;
    test.p_value = mean_square > 0.0 ? 0.0 : 1.0;
    return;
  }
  const double f = mean_square / error_term;
  if (std::isinf(test.denominator_df)) {
    test.statistic = test.numerator_df * f;
    test.p_value = boost::math::cdf(
        boost::math::complement(boost::math::chi_squared(test.numerator_df), test.statistic));
  } else {
    test.statistic = f;
    test.p_value = boost::math::cdf(
        boost::math::complement(boost::math::fisher_f(test.numerator_df, test.denominator_df), f));
  }
}

MrmcTest NewTest(std::string analysis, double numerator_df, double denominator_df) {
  MrmcTest test;
  test.analysis = std::move(analysis);
  test.numerator_df = numerator_df;
  test.denominator_df = denominator_df;
  return test;
}

// Hillis's degrees of freedom for an error term `error` whose ANOVA part is `mean_square`
// with `df` degrees of freedom.
double HillisDf(double error, double mean_square, double df) {
  if (!(mean_square > 0.0)) return kInfinity;
  return Square(error) / (Square(mean_square) / df);
}

struct Means {
  std::vector<double> modality, reader;
  double grand = 0.0;
};

Means FigureMeans(const FigureTable& figures) {
  const std::size_t t = figures.size(), r = figures.front().size();
  Means means;
  means.modality.assign(t, 0.0);
  means.reader.assign(r, 0.0);
  for (std::size_t i = 0; i < t; ++i) {
    for (std::size_t j = 0; j < r; ++j) {
      means.modality[i] += figures[i][j] / static_cast<double>(r);
      means.reader[j] += figures[i][j] / static_cast<double>(t);
      means.grand += figures[i][j] / static_cast<double>(t * r);
    }
  }
  return means;
}

}  // namespace

Result<MrmcDesign> MrmcDesign::Create(std::vector<std::string> modalities,
                                      std::vector<std::string> readers,
                                      std::vector<std::string> cases,
                                      std::vector<std::uint8_t> truth,
                                      std::vector<double> ratings) {
  if (modalities.empty() || readers.empty() || cases.empty()) {
    return InvalidInput("a reader study needs at least one modality, reader and case");
  }
  if (truth.size() != cases.size() ||
      ratings.size() != modalities.size() * readers.size() * cases.size()) {
    return InvalidInput("the ratings do not fill the modality x reader x case design");
  }
  MrmcDesign design;
  for (std::size_t k = 0; k < truth.size(); ++k) {
    if (truth[k] > 1) {
      return InvalidInput(fmt::format("case {}: truth must be 0 or 1", cases[k]));
    }
    (truth[k] == 1 ? design.positives_ : design.negatives_).push_back(k);
  }
  if (design.positives_.empty() || design.negatives_.empty()) {
    return InvalidInput(fmt::format("a reader study needs positive and negative cases ({} and {})",
                                    design.positives_.size(), design.negatives_.size()));
  }
  for (std::size_t v = 0; v < ratings.size(); ++v) {
    if (!std::isfinite(ratings[v])) {
      const std::size_t k = v % cases.size(), j = (v / cases.size()) % readers.size(),
                        i = v / (cases.size() * readers.size());
      return InvalidInput(fmt::format("reader {}, modality {}, case {}: the rating is not a number",
                                      readers[j], modalities[i], cases[k]));
    }
  }
  design.modalities_ = std::move(modalities);
  design.readers_ = std::move(readers);
  design.cases_ = std::move(cases);
  design.truth_ = std::move(truth);
  design.ratings_ = std::move(ratings);
  return design;
}

std::string FigureOfMeritName(FigureOfMerit figure) {
  switch (figure) {
    case FigureOfMerit::kAuc:
      return "auc";
    case FigureOfMerit::kSensitivity:
      return "sensitivity";
    case FigureOfMerit::kSpecificity:
      return "specificity";
  }
  return "";
}

std::string MrmcCovarianceName(MrmcCovariance covariance) {
  switch (covariance) {
    case MrmcCovariance::kJackknife:
      return "jackknife";
    case MrmcCovariance::kDeLong:
      return "delong";
    case MrmcCovariance::kUnbiased:
      return "unbiased";
  }
  return "";
}

std::optional<FigureOfMerit> ParseFigureOfMerit(std::string_view name) {
  for (FigureOfMerit figure :
       {FigureOfMerit::kAuc, FigureOfMerit::kSensitivity, FigureOfMerit::kSpecificity}) {
    if (FigureOfMeritName(figure) == name) return figure;
  }
  return std::nullopt;
}

std::optional<MrmcCovariance> ParseMrmcCovariance(std::string_view name) {
  for (MrmcCovariance covariance :
       {MrmcCovariance::kJackknife, MrmcCovariance::kDeLong, MrmcCovariance::kUnbiased}) {
    if (MrmcCovarianceName(covariance) == name) return covariance;
  }
  return std::nullopt;
}

FigureTable ReaderFigures(const MrmcDesign& design, const MrmcOptions& options) {
  const std::size_t m = design.positive_count(), n = design.negative_count();
  FigureTable figures(design.modality_count(), std::vector<double>(design.reader_count()));
  for (std::size_t i = 0; i < design.modality_count(); ++i) {
    for (std::size_t j = 0; j < design.reader_count(); ++j) {
      figures[i][j] = Figure(MakeKernel(design, i, j, options), m, n);
    }
  }
  return figures;
}

std::vector<std::vector<double>> FigureCovariance(const MrmcDesign& design,
                                                  const MrmcOptions& options) {
  return Covariance(MakeKernels(design, options), design.positive_count(), design.negative_count(),
                    options.covariance, options.figure);
}

Result<OrResult> ObuchowskiRockette(const MrmcDesign& design, const MrmcOptions& options) {
  ASSAY_RETURN_IF_ERROR(CheckDesign(design, options));
  const std::size_t t = design.modality_count(), r = design.reader_count();
  if (r < 2) return InvalidInput("Obuchowski-Rockette needs at least two readers");
  const auto td = static_cast<double>(t), rd = static_cast<double>(r);
  const std::vector<Kernel> kernels = MakeKernels(design, options);
  const std::size_t m = design.positive_count(), n = design.negative_count();
  const Matrix cov = Covariance(kernels, m, n, options.covariance, options.figure);

  OrResult result;
  result.options = options;
  result.figures.assign(t, std::vector<double>(r));
  for (std::size_t i = 0; i < t; ++i) {
    for (std::size_t j = 0; j < r; ++j) result.figures[i][j] = Figure(kernels[i * r + j], m, n);
  }
  const Means means = FigureMeans(result.figures);
  result.modality_means = means.modality;

  // Mean squares of the figures.
  OrComponents& c = result.components;
  double ss_t = 0.0, ss_r = 0.0, ss_tr = 0.0;
  for (std::size_t i = 0; i < t; ++i) ss_t += rd * Square(means.modality[i] - means.grand);
  for (std::size_t j = 0; j < r; ++j) ss_r += td * Square(means.reader[j] - means.grand);
  for (std::size_t i = 0; i < t; ++i) {
    for (std::size_t j = 0; j < r; ++j) {
      ss_tr += Square(result.figures[i][j] - means.modality[i] - means.reader[j] + means.grand);
    }
  }
  c.ms_t = t > 1 ? ss_t / (td - 1.0) : 0.0;
  c.ms_r = ss_r / (rd - 1.0);
  c.ms_tr = t > 1 ? ss_tr / ((td - 1.0) * (rd - 1.0)) : 0.0;

  // Averages of the covariances by kind: Var, Cov1 (same reader), Cov2 (same modality), Cov3.
  double sums[4] = {0, 0, 0, 0};
  double counts[4] = {0, 0, 0, 0};
  result.modality_error.assign(t, 0.0);
  result.modality_cov2.assign(t, 0.0);
  for (std::size_t a = 0; a < t * r; ++a) {
    for (std::size_t b = 0; b < t * r; ++b) {
      const bool same_modality = a / r == b / r, same_reader = a % r == b % r;
      const int kind = same_modality && same_reader ? 0 : same_reader ? 1 : same_modality ? 2 : 3;
      sums[kind] += cov[a][b];
      counts[kind] += 1.0;
      if (kind == 0) result.modality_error[a / r] += cov[a][b] / rd;
      if (kind == 2) result.modality_cov2[a / r] += cov[a][b] / (rd * (rd - 1.0));
    }
  }
  c.error = sums[0] / counts[0];
  c.cov1 = counts[1] > 0 ? sums[1] / counts[1] : 0.0;
  c.cov2 = sums[2] / counts[2];
  c.cov3 = counts[3] > 0 ? sums[3] / counts[3] : 0.0;
  c.var_tr = t > 1 ? c.ms_tr - c.error + c.cov1 + c.cov2 - c.cov3 : 0.0;
  c.var_r = (c.ms_r - c.var_tr - c.error + c.cov2 - (td - 1.0) * (c.cov1 - c.cov3)) / td;

  // Each modality alone (Hillis 2007 for random readers and cases).
  std::vector<double> ms_r_modality(t, 0.0);
  for (std::size_t i = 0; i < t; ++i) {
    for (std::size_t j = 0; j < r; ++j) {
      ms_r_modality[i] += Square(result.figures[i][j] - means.modality[i]) / (rd - 1.0);
    }
  }
  const double level = options.level;
  result.random = NewTest("random_readers_random_cases", td - 1.0, kInfinity);
  result.fixed_readers = NewTest("fixed_readers", td - 1.0, kInfinity);
  result.fixed_cases = NewTest("fixed_cases", td - 1.0, (td - 1.0) * (rd - 1.0));
  for (std::size_t i = 0; i < t; ++i) {
    const std::string& name = design.modalities()[i];
    const double cov2 = std::max(result.modality_cov2[i], 0.0);
    const double random_error = ms_r_modality[i] / rd + cov2;
    result.random.modalities.push_back(
        Estimate(name, means.modality[i], std::sqrt(random_error),
                 HillisDf(ms_r_modality[i] + rd * cov2, ms_r_modality[i], rd - 1.0), level, false));
    result.fixed_readers.modalities.push_back(Estimate(
        name, means.modality[i], std::sqrt((result.modality_error[i] + (rd - 1.0) * cov2) / rd),
        kInfinity, level, false));
    result.fixed_cases.modalities.push_back(Estimate(
        name, means.modality[i], std::sqrt(ms_r_modality[i] / rd), rd - 1.0, level, false));
  }
  if (t < 2) return result;

  const double cov2_minus_cov3 = std::max(c.cov2 - c.cov3, 0.0);
  const double random_error = c.ms_tr + rd * cov2_minus_cov3;
  const double fixed_readers_error = c.error - c.cov1 + (rd - 1.0) * cov2_minus_cov3;
  result.random.denominator_df = HillisDf(random_error, c.ms_tr, (td - 1.0) * (rd - 1.0));
  FinishTest(result.random, c.ms_t, random_error);
  FinishTest(result.fixed_readers, c.ms_t, fixed_readers_error);
  FinishTest(result.fixed_cases, c.ms_t, c.ms_tr);
  for (std::size_t i = 0; i < t; ++i) {
    for (std::size_t k = i + 1; k < t; ++k) {
      const std::string label = design.modalities()[i] + " - " + design.modalities()[k];
      const double difference = means.modality[i] - means.modality[k];
      result.random.differences.push_back(Estimate(label, difference,
                                                   std::sqrt(2.0 / rd * random_error),
                                                   result.random.denominator_df, level, true));
      result.fixed_readers.differences.push_back(Estimate(
          label, difference, std::sqrt(2.0 / rd * fixed_readers_error), kInfinity, level, true));
      result.fixed_cases.differences.push_back(Estimate(
          label, difference, std::sqrt(2.0 / rd * c.ms_tr), (td - 1.0) * (rd - 1.0), level, true));
    }
  }
  if (t == 2) {
    for (std::size_t j = 0; j < r; ++j) {
      OrReaderComparison reader;
      reader.reader = design.readers()[j];
      reader.error = 0.5 * (cov[j][j] + cov[r + j][r + j]);
      reader.cov1 = cov[j][r + j];
      reader.difference = Estimate(design.modalities()[0] + " - " + design.modalities()[1],
                                   result.figures[0][j] - result.figures[1][j],
                                   std::sqrt(std::max(2.0 * (reader.error - reader.cov1), 0.0)),
                                   kInfinity, level, true);
      result.readers.push_back(std::move(reader));
    }
  }
  return result;
}

Result<DbmResult> DorfmanBerbaumMetz(const MrmcDesign& design, const MrmcOptions& options) {
  ASSAY_RETURN_IF_ERROR(CheckDesign(design, options));
  const std::size_t t = design.modality_count(), r = design.reader_count();
  const std::size_t m = design.positive_count(), n = design.negative_count();
  const CaseRange cases = JackknifeCases(options.figure, m, n);
  const std::size_t c = cases.count;
  if (r < 2 || t < 2) {
    return InvalidInput("Dorfman-Berbaum-Metz needs at least two readers and two modalities");
  }
  const auto td = static_cast<double>(t), rd = static_cast<double>(r), cd = static_cast<double>(c);
  const std::vector<Kernel> kernels = MakeKernels(design, options);

  // Pseudovalues Y[i][j][k] = c theta - (c - 1) theta(-k), shifted so that their mean over
  // cases is theta (RJafroc's and the Iowa program's normalization).
  std::vector<double> y(t * r * c);
  auto at = [&](std::size_t i, std::size_t j, std::size_t k) -> double& {
    return y[(i * r + j) * c + k];
  };
  for (std::size_t i = 0; i < t; ++i) {
    for (std::size_t j = 0; j < r; ++j) {
      const Kernel& kernel = kernels[i * r + j];
      const double theta = Figure(kernel, m, n);
      double mean = 0.0;
      for (std::size_t k = 0; k < c; ++k) {
        at(i, j, k) = cd * theta - (cd - 1.0) * LeftOut(kernel, cases.first + k, m, n);
        mean += at(i, j, k) / cd;
      }
      for (std::size_t k = 0; k < c; ++k) at(i, j, k) += theta - mean;
    }
  }

  // Marginal means.
  std::vector<double> mt(t, 0), mr(r, 0), mc(c, 0), mtr(t * r, 0), mtc(t * c, 0), mrc(r * c, 0);
  double grand = 0.0;
  for (std::size_t i = 0; i < t; ++i) {
    for (std::size_t j = 0; j < r; ++j) {
      for (std::size_t k = 0; k < c; ++k) {
        const double v = at(i, j, k);
        mt[i] += v / (rd * cd);
        mr[j] += v / (td * cd);
        mc[k] += v / (td * rd);
        mtr[i * r + j] += v / cd;
        mtc[i * c + k] += v / rd;
        mrc[j * c + k] += v / td;
        grand += v / (td * rd * cd);
      }
    }
  }
  DbmResult result;
  result.options = options;
  DbmComponents& d = result.components;
  double ss_t = 0, ss_r = 0, ss_c = 0, ss_tr = 0, ss_tc = 0, ss_rc = 0, ss_trc = 0;
  for (std::size_t i = 0; i < t; ++i) ss_t += rd * cd * Square(mt[i] - grand);
  for (std::size_t j = 0; j < r; ++j) ss_r += td * cd * Square(mr[j] - grand);
  for (std::size_t k = 0; k < c; ++k) ss_c += td * rd * Square(mc[k] - grand);
  for (std::size_t i = 0; i < t; ++i) {
    for (std::size_t j = 0; j < r; ++j) {
      ss_tr += cd * Square(mtr[i * r + j] - mt[i] - mr[j] + grand);
    }
    for (std::size_t k = 0; k < c; ++k) {
      ss_tc += rd * Square(mtc[i * c + k] - mt[i] - mc[k] + grand);
    }
  }
  for (std::size_t j = 0; j < r; ++j) {
    for (std::size_t k = 0; k < c; ++k) {
      ss_rc += td * Square(mrc[j * c + k] - mr[j] - mc[k] + grand);
    }
  }
  for (std::size_t i = 0; i < t; ++i) {
    for (std::size_t j = 0; j < r; ++j) {
      for (std::size_t k = 0; k < c; ++k) {
        ss_trc += Square(at(i, j, k) - mtr[i * r + j] - mtc[i * c + k] - mrc[j * c + k] + mt[i] +
                         mr[j] + mc[k] - grand);
      }
    }
  }
  d.ms_t = ss_t / (td - 1.0);
  d.ms_r = ss_r / (rd - 1.0);
  d.ms_c = ss_c / (cd - 1.0);
  d.ms_tr = ss_tr / ((td - 1.0) * (rd - 1.0));
  d.ms_tc = ss_tc / ((td - 1.0) * (cd - 1.0));
  d.ms_rc = ss_rc / ((rd - 1.0) * (cd - 1.0));
  d.ms_trc = ss_trc / ((td - 1.0) * (rd - 1.0) * (cd - 1.0));
  d.var_error = d.ms_trc;
  d.var_tr = (d.ms_tr - d.ms_trc) / cd;
  d.var_tc = (d.ms_tc - d.ms_trc) / rd;
  d.var_rc = (d.ms_rc - d.ms_trc) / td;
  d.var_r = (d.ms_r - d.ms_tr - d.ms_rc + d.ms_trc) / (td * cd);
  d.var_c = (d.ms_c - d.ms_tc - d.ms_rc + d.ms_trc) / (td * rd);

  const double random_error = d.ms_tr + std::max(d.ms_tc - d.ms_trc, 0.0);
  result.random = NewTest("random_readers_random_cases", td - 1.0,
                          HillisDf(random_error, d.ms_tr, (td - 1.0) * (rd - 1.0)));
  result.fixed_readers = NewTest("fixed_readers", td - 1.0, (td - 1.0) * (cd - 1.0));
  result.fixed_cases = NewTest("fixed_cases", td - 1.0, (td - 1.0) * (rd - 1.0));
  FinishTest(result.random, d.ms_t, random_error);
  FinishTest(result.fixed_readers, d.ms_t, d.ms_tc);
  FinishTest(result.fixed_cases, d.ms_t, d.ms_tr);
  const double level = options.level;
  for (std::size_t i = 0; i < t; ++i) {
    for (std::size_t k = i + 1; k < t; ++k) {
      const std::string label = design.modalities()[i] + " - " + design.modalities()[k];
      const double difference = mt[i] - mt[k];
      for (auto [test, error] :
           {std::pair{&result.random, random_error}, std::pair{&result.fixed_readers, d.ms_tc},
            std::pair{&result.fixed_cases, d.ms_tr}}) {
        test->differences.push_back(Estimate(label, difference, std::sqrt(2.0 * error / (rd * cd)),
                                             test->denominator_df, level, true));
      }
    }
  }
  // Each modality alone, from its own reader x case ANOVA of pseudovalues.
  for (std::size_t i = 0; i < t; ++i) {
    double ss_r_i = 0.0, ss_c_i = 0.0, ss_rc_i = 0.0;
    std::vector<double> case_mean(c, 0.0);
    for (std::size_t k = 0; k < c; ++k) {
      for (std::size_t j = 0; j < r; ++j) case_mean[k] += at(i, j, k) / rd;
    }
    for (std::size_t j = 0; j < r; ++j) ss_r_i += cd * Square(mtr[i * r + j] - mt[i]);
    for (std::size_t k = 0; k < c; ++k) ss_c_i += rd * Square(case_mean[k] - mt[i]);
    for (std::size_t j = 0; j < r; ++j) {
      for (std::size_t k = 0; k < c; ++k) {
        ss_rc_i += Square(at(i, j, k) - mtr[i * r + j] - case_mean[k] + mt[i]);
      }
    }
    const double ms_r_i = ss_r_i / (rd - 1.0), ms_c_i = ss_c_i / (cd - 1.0),
                 ms_rc_i = ss_rc_i / ((rd - 1.0) * (cd - 1.0));
    const std::string& name = design.modalities()[i];
    const double random = ms_r_i + std::max(ms_c_i - ms_rc_i, 0.0);
    result.random.modalities.push_back(Estimate(name, mt[i], std::sqrt(random / (rd * cd)),
                                                HillisDf(random, ms_r_i, rd - 1.0), level, false));
    result.fixed_readers.modalities.push_back(
        Estimate(name, mt[i], std::sqrt(ms_c_i / (rd * cd)), cd - 1.0, level, false));
    result.fixed_cases.modalities.push_back(
        Estimate(name, mt[i], std::sqrt(ms_r_i / (rd * cd)), rd - 1.0, level, false));
  }
  return result;
}

Result<std::vector<UStatisticEstimate>> GallasVariance(const MrmcDesign& design,
                                                       const MrmcOptions& options) {
  ASSAY_RETURN_IF_ERROR(CheckDesign(design, options));
  const std::size_t t = design.modality_count(), r = design.reader_count();
  const std::size_t m = design.positive_count(), n = design.negative_count();
  if (r < 2 || m < 2 || n < 2) {
    return InvalidInput(
        "the U-statistic variance needs at least two readers, two positive and two negative "
        "cases");
  }
  const auto rd = static_cast<double>(r);
  const std::vector<Kernel> kernels = MakeKernels(design, options);
  // Product-of-means estimates between every pair of kernels of distinct readers.
  const std::size_t p = kernels.size();
  Matrix product(p, std::vector<double>(p, 0.0));
  for (std::size_t a = 0; a < p; ++a) {
    for (std::size_t b = a; b < p; ++b) {
      if (a % r == b % r) continue;
      product[a][b] = product[b][a] = ProductOfMeans(kernels[a], kernels[b], m, n);
    }
  }
  const double z = boost::math::quantile(boost::math::normal(), 0.5 + 0.5 * options.level);
  auto estimate = [&](std::string label, const std::vector<double>& weights) {
    // Weights over the modalities: +1 for a modality, +1/-1 for a difference.
    double theta = 0.0, squared_mean = 0.0;
    for (std::size_t a = 0; a < p; ++a) {
      theta += weights[a / r] * Figure(kernels[a], m, n) / rd;
      for (std::size_t b = 0; b < p; ++b) {
        if (a % r == b % r) continue;
        squared_mean += weights[a / r] * weights[b / r] * product[a][b] / (rd * (rd - 1.0));
      }
    }
    UStatisticEstimate out{std::move(label), theta, theta * theta - squared_mean, {}};
    const double se = std::sqrt(std::max(out.variance, 0.0));
    out.interval = {theta - z * se, theta + z * se, options.level, "normal"};
    return out;
  };
  std::vector<UStatisticEstimate> out;
  for (std::size_t i = 0; i < t; ++i) {
    std::vector<double> weights(t, 0.0);
    weights[i] = 1.0;
    out.push_back(estimate(design.modalities()[i], weights));
  }
  for (std::size_t i = 0; i < t; ++i) {
    for (std::size_t k = i + 1; k < t; ++k) {
      std::vector<double> weights(t, 0.0);
      weights[i] = 1.0;
      weights[k] = -1.0;
      out.push_back(estimate(design.modalities()[i] + " - " + design.modalities()[k], weights));
    }
  }
  return out;
}

Result<StandaloneComparison> CompareStandalone(const MrmcDesign& design, std::size_t modality,
                                               const std::vector<double>& standalone,
                                               const MrmcOptions& options) {
  ASSAY_RETURN_IF_ERROR(CheckDesign(design, options));
  const std::size_t r = design.reader_count(), c = design.case_count();
  if (r < 2) return InvalidInput("comparing with a reader panel needs at least two readers");
  if (modality >= design.modality_count() || standalone.size() != c) {
    return InvalidInput("the standalone scores do not match the design's cases");
  }
  // The modality's readers and the standalone reader as one design of r + 1 readers.
  std::vector<std::string> readers = design.readers();
  readers.push_back("standalone");
  std::vector<double> ratings;
  ratings.reserve((r + 1) * c);
  for (std::size_t j = 0; j < r; ++j) {
    for (std::size_t k = 0; k < c; ++k) ratings.push_back(design.rating(modality, j, k));
  }
  ratings.insert(ratings.end(), standalone.begin(), standalone.end());
  auto joint = MrmcDesign::Create({design.modalities()[modality]}, std::move(readers),
                                  design.cases(), design.truth(), std::move(ratings));
  if (!joint.ok()) return joint.status();
  const std::vector<Kernel> kernels = MakeKernels(*joint, options);
  const std::size_t m = design.positive_count(), n = design.negative_count();
  const Matrix cov = Covariance(kernels, m, n, options.covariance, options.figure);
  const auto rd = static_cast<double>(r);

  StandaloneComparison out;
  out.modality = design.modalities()[modality];
  out.standalone = Figure(kernels[r], m, n);
  // Differences D_j = theta_j - theta_AI, their mean square and mean covariance.
  std::vector<double> differences(r);
  for (std::size_t j = 0; j < r; ++j) {
    differences[j] = Figure(kernels[j], m, n) - out.standalone;
    out.panel += Figure(kernels[j], m, n) / rd;
  }
  const double mean = out.panel - out.standalone;
  double ms = 0.0, cov2 = 0.0;
  for (std::size_t j = 0; j < r; ++j) ms += Square(differences[j] - mean) / (rd - 1.0);
  for (std::size_t j = 0; j < r; ++j) {
    for (std::size_t k = 0; k < r; ++k) {
      if (j == k) continue;
      cov2 += (cov[j][k] - cov[j][r] - cov[k][r] + cov[r][r]) / (rd * (rd - 1.0));
    }
  }
  const double error = ms + rd * std::max(cov2, 0.0);
  const std::string label = "readers - standalone";
  out.random = Estimate(label, mean, std::sqrt(error / rd), HillisDf(error, ms, rd - 1.0),
                        options.level, true);
  out.fixed_cases = Estimate(label, mean, std::sqrt(ms / rd), rd - 1.0, options.level, true);
  return out;
}

PowerPlan MrmcPower(const OrComponents& pilot, std::size_t pilot_cases, double effect,
                    std::size_t readers, std::size_t cases, double alpha) {
  PowerPlan plan;
  plan.readers = readers;
  plan.cases = cases;
  const double rd = static_cast<double>(readers);
  const double scale = static_cast<double>(pilot_cases) / static_cast<double>(cases);
  const double error = pilot.error * scale, cov1 = pilot.cov1 * scale;
  const double cov2 = pilot.cov2 * scale, cov3 = pilot.cov3 * scale;
  const double var_tr = std::max(pilot.var_tr, 0.0);
  // Expected MS(T*R) and the random-readers, random-cases error term of the planned study.
  const double ms_tr = var_tr + error - cov1 - cov2 + cov3;
  const double denominator = ms_tr + rd * std::max(cov2 - cov3, 0.0);
  if (!(denominator > 0.0) || readers < 2) return plan;
  plan.noncentrality = rd * effect * effect / (2.0 * denominator);
  plan.denominator_df = ms_tr > 0.0 ? Square(denominator) / (Square(ms_tr) / (rd - 1.0)) : 1e6;
  plan.denominator_df = std::min(plan.denominator_df, 1e6);
  const double critical =
      boost::math::quantile(boost::math::fisher_f(1.0, plan.denominator_df), 1.0 - alpha);
  plan.power = boost::math::cdf(boost::math::complement(
      boost::math::non_central_f(1.0, plan.denominator_df, plan.noncentrality), critical));
  return plan;
}

std::vector<PowerPlan> PlanReaderStudy(const OrComponents& pilot, std::size_t pilot_cases,
                                       double effect, double power, double alpha,
                                       std::size_t minimum_readers, std::size_t maximum_readers,
                                       std::size_t maximum_cases) {
  std::vector<PowerPlan> plans;
  for (std::size_t readers = std::max<std::size_t>(minimum_readers, 2); readers <= maximum_readers;
       ++readers) {
    // Power grows with the cases: bisect for the fewest that reach it.
    if (MrmcPower(pilot, pilot_cases, effect, readers, maximum_cases, alpha).power < power) {
      plans.push_back({readers, 0, 0.0, 0.0, 0.0});
      continue;
    }
    std::size_t low = 1, high = maximum_cases;
    while (low < high) {
      const std::size_t middle = low + (high - low) / 2;
      if (MrmcPower(pilot, pilot_cases, effect, readers, middle, alpha).power >= power) {
        high = middle;
      } else {
        low = middle + 1;
      }
    }
    plans.push_back(MrmcPower(pilot, pilot_cases, effect, readers, low, alpha));
  }
  return plans;
}

}  // namespace assay::stats
