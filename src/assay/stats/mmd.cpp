#include "assay/stats/mmd.h"

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>
#include <vector>

#include "assay/core/random.h"

namespace assay::stats {
namespace {

constexpr std::uint64_t kSubsamplePurpose = PurposeId("mmd_subsample");
constexpr std::uint64_t kBandwidthPurpose = PurposeId("mmd_bandwidth");
constexpr std::uint64_t kPermutationPurpose = PurposeId("mmd_permutation");
constexpr std::size_t kBandwidthPoints = 1000;
// Permutations that share one pass over the kernel matrix: each row is read
// from memory once per batch rather than once per permutation.
constexpr std::size_t kPermutationBatch = 32;

using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

Status CheckPoints(const PointMatrix& points, const char* cohort) {
  if (points.dimensions == 0) {
    return InvalidInput(fmt::format("MMD test: the {} points have no dimension", cohort));
  }
  if (points.values.size() % points.dimensions != 0) {
    return InvalidInput(fmt::format("MMD test: {} values of the {} cohort are not rows of {}",
                                    points.values.size(), cohort, points.dimensions));
  }
  if (points.values.size() / points.dimensions < 2) {
    return InvalidInput(fmt::format("MMD test: the {} cohort has fewer than 2 rows", cohort));
  }
  const auto bad = std::find_if(points.values.begin(), points.values.end(),
                                [](double v) { return !std::isfinite(v); });
  if (bad != points.values.end()) {
    const auto at = static_cast<std::size_t>(bad - points.values.begin());
    return InvalidInput(fmt::format("MMD test: the {} cohort's row {}, dimension {} is not finite",
                                    cohort, at / points.dimensions, at % points.dimensions));
  }
  return Status::Ok();
}

// The `count` smallest of `keys` (ties by position), as positions in increasing order.
std::vector<std::size_t> SmallestKeys(const std::vector<std::uint64_t>& keys, std::size_t count) {
  std::vector<std::size_t> order(keys.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  if (count >= keys.size()) return order;
  auto before = [&](std::size_t a, std::size_t b) {
    return keys[a] != keys[b] ? keys[a] < keys[b] : a < b;
  };
  std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(count), order.end(),
                   before);
  order.resize(count);
  std::sort(order.begin(), order.end());
  return order;
}

std::vector<std::size_t> KeptRows(std::size_t rows, std::size_t maximum, std::uint64_t seed,
                                  int cohort) {
  std::vector<std::uint64_t> keys(rows);
  for (std::size_t i = 0; i < rows; ++i) keys[i] = MmdSubsampleKey(seed, cohort, i);
  return SmallestKeys(keys, maximum);
}

// The kept rows of both cohorts, reference first, centred on their mean (distances do
// not change; the Gram matrix below loses less to cancellation).
RowMajor PooledPoints(const PointMatrix& reference, const std::vector<std::size_t>& reference_rows,
                      const PointMatrix& target, const std::vector<std::size_t>& target_rows) {
  const std::size_t d = reference.dimensions;
  RowMajor pooled(static_cast<Eigen::Index>(reference_rows.size() + target_rows.size()),
                  static_cast<Eigen::Index>(d));
  Eigen::Index row = 0;
  for (const auto& [points, rows] :
       {std::pair{&reference, &reference_rows}, std::pair{&target, &target_rows}}) {
    for (std::size_t i : *rows) {
      for (std::size_t k = 0; k < d; ++k) {
        pooled(row, static_cast<Eigen::Index>(k)) = points->values[i * d + k];
      }
      ++row;
    }
  }
  pooled.rowwise() -= pooled.colwise().mean();
  return pooled;
}

// The strict upper triangle of a symmetric matrix over the pooled points, row after row:
// row i holds the entries (i, j) for j = i + 1 .. size - 1. Half the memory of the full
// matrix, and each row is contiguous for the sums over a group's members.
class UpperTriangle {
 public:
  explicit UpperTriangle(std::size_t size) : size_(size), values_(size * (size - 1) / 2) {}

  std::size_t size() const { return size_; }
  double* Row(std::size_t i) { return values_.data() + Offset(i); }
  const double* Row(std::size_t i) const { return values_.data() + Offset(i); }
  std::size_t Length(std::size_t i) const { return size_ - i - 1; }
  double At(std::size_t i, std::size_t j) const { return Row(i)[j - i - 1]; }  // i < j
  const double* data() const { return values_.data(); }

  // data()[Shift(i) + j] is entry (i, j), j > i (unsigned arithmetic wraps for i = 0).
  std::size_t Shift(std::size_t i) const { return Offset(i) - i - 1; }

 private:
  std::size_t Offset(std::size_t i) const { return i * size_ - i * (i + 1) / 2; }

  std::size_t size_;
  std::vector<double> values_;
};

// |z_i - z_j|² for every pair, from the Gram matrix. Blocks of rows in parallel; the blocks
// are fixed, so the products (and their rounding) do not depend on the thread count.
UpperTriangle SquaredDistances(const RowMajor& points) {
  constexpr Eigen::Index kBlock = 64;
  const Eigen::Index size = points.rows();
  const Eigen::VectorXd norms = points.rowwise().squaredNorm();
  UpperTriangle squared(static_cast<std::size_t>(size));
  tbb::parallel_for(Eigen::Index{0}, (size + kBlock - 1) / kBlock, [&](Eigen::Index block) {
    const Eigen::Index first = block * kBlock;
    const Eigen::Index count = std::min(kBlock, size - first);
    const RowMajor gram =
        points.middleRows(first, count) * points.bottomRows(size - first).transpose();
    for (Eigen::Index r = 0; r < count; ++r) {
      const Eigen::Index i = first + r;
      double* row = squared.Row(static_cast<std::size_t>(i));
      for (Eigen::Index j = i + 1; j < size; ++j) {
        row[j - i - 1] = std::max(0.0, norms(i) + norms(j) - 2.0 * gram(r, j - first));
      }
    }
  });
  return squared;
}

// The median of the values (the mean of the two middle ones for an even count); NaN if none.
double Median(std::vector<double> values) {
  if (values.empty()) return std::nan("");
  const std::size_t half = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(half),
                   values.end());
  const double upper = values[half];
  if (values.size() % 2 == 1) return upper;
  const double lower =
      *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(half));
  return 0.5 * (lower + upper);
}

// The median pairwise distance among (up to kBandwidthPoints of) the pooled points.
double MedianBandwidth(const UpperTriangle& squared, std::uint64_t seed) {
  std::vector<std::uint64_t> keys(squared.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    keys[i] = RandomStream(seed, kBandwidthPurpose, 0, i)();
  }
  const std::vector<std::size_t> points = SmallestKeys(keys, kBandwidthPoints);
  std::vector<double> distances, positive;
  distances.reserve(points.size() * (points.size() - 1) / 2);
  for (std::size_t a = 0; a < points.size(); ++a) {
    for (std::size_t b = a + 1; b < points.size(); ++b) {
      const double distance = std::sqrt(squared.At(points[a], points[b]));
      distances.push_back(distance);
      if (distance > 0.0) positive.push_back(distance);
    }
  }
  const double median = Median(std::move(distances));
  if (median > 0.0) return median;
  return positive.empty() ? 1.0 : Median(std::move(positive));
}

// The kernel between distinct points (the unbiased statistic leaves out i = j), each
// point's sum over the others, and the total over ordered pairs.
struct Kernel {
  UpperTriangle values;
  std::vector<double> row_sums;
  double total = 0.0;
};

Kernel GaussianKernel(UpperTriangle squared, double bandwidth) {
  const double scale = -1.0 / (2.0 * bandwidth * bandwidth);
  const std::size_t size = squared.size();
  std::vector<double> row_sums(size, 0.0);
  tbb::parallel_for(std::size_t{0}, size, [&](std::size_t i) {
    Eigen::Map<Eigen::ArrayXd> row(squared.Row(i), static_cast<Eigen::Index>(squared.Length(i)));
    row = (row * scale).exp();
    row_sums[i] = row.sum();
  });
  // Each entry (i, j) also counts toward point j's sum: added row after row, in order.
  Eigen::Map<Eigen::ArrayXd> sums(row_sums.data(), static_cast<Eigen::Index>(size));
  for (std::size_t i = 0; i + 1 < size; ++i) {
    const auto length = static_cast<Eigen::Index>(squared.Length(i));
    sums.tail(length) += Eigen::Map<const Eigen::ArrayXd>(squared.Row(i), length);
  }
  const double total = sums.sum();
  return Kernel{std::move(squared), std::move(row_sums), total};
}

// Sum of the entries data[shift + j] over the given columns j, with four running sums so
// that the additions do not wait on each other. The order is fixed: one set, one result.
double RowSum(const double* data, std::size_t shift, const std::size_t* columns,
              std::size_t count) {
  double sums[4] = {0.0, 0.0, 0.0, 0.0};
  std::size_t t = 0;
  for (; t + 4 <= count; t += 4) {
    sums[0] += data[shift + columns[t]];
    sums[1] += data[shift + columns[t + 1]];
    sums[2] += data[shift + columns[t + 2]];
    sums[3] += data[shift + columns[t + 3]];
  }
  for (; t < count; ++t) sums[0] += data[shift + columns[t]];
  return (sums[0] + sums[1]) + (sums[2] + sums[3]);
}

// The unbiased MMD² of each labelling in `groups`: each the sorted pooled rows of one
// cohort's label, all of one size s, the other label holding the rest. With
// q = sum of k over distinct pairs within the group, the cross sum is
// sum_(i in group) rowsum_i - q and the other cohort's within sum is total - q - 2 cross.
// Reads each row of the kernel once for all the groups.
std::vector<double> Statistics(const Kernel& kernel,
                               const std::vector<std::vector<std::size_t>>& groups) {
  const std::size_t size = kernel.values.size();
  std::vector<double> within(groups.size(), 0.0), row_total(groups.size(), 0.0);
  std::vector<std::size_t> next(groups.size(), 0);
  for (std::size_t i = 0; i < size; ++i) {
    for (std::size_t g = 0; g < groups.size(); ++g) {
      const std::vector<std::size_t>& members = groups[g];
      if (next[g] == members.size() || members[next[g]] != i) continue;
      ++next[g];
      within[g] += RowSum(kernel.values.data(), kernel.values.Shift(i), members.data() + next[g],
                          members.size() - next[g]);
      row_total[g] += kernel.row_sums[i];
    }
  }
  std::vector<double> statistics(groups.size());
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const auto s = static_cast<double>(groups[g].size());
    const double h = static_cast<double>(size) - s;
    const double same = 2.0 * within[g];
    const double cross = row_total[g] - same;
    const double other = kernel.total - same - 2.0 * cross;
    statistics[g] = same / (s * (s - 1.0)) + other / (h * (h - 1.0)) - 2.0 * cross / (s * h);
  }
  return statistics;
}

// Permutation `replicate`'s group: `size` of the pooled rows drawn without replacement, sorted.
std::vector<std::size_t> PermutedGroup(std::size_t pooled, std::size_t size, std::uint64_t seed,
                                       std::size_t replicate) {
  RandomStream stream(seed, kPermutationPurpose, replicate);
  std::vector<std::size_t> rows(pooled);
  std::iota(rows.begin(), rows.end(), std::size_t{0});
  for (std::size_t t = 0; t < size; ++t) {
    std::swap(rows[t], rows[t + stream.NextBelow(pooled - t)]);
  }
  rows.resize(size);
  std::sort(rows.begin(), rows.end());
  return rows;
}

// k: the permutations whose statistic is at least `observed` (batches in parallel).
std::size_t CountExceeding(const Kernel& kernel, std::size_t group_size, double observed,
                           const MmdOptions& options) {
  const std::size_t pooled = kernel.values.size();
  const std::size_t batches = (options.permutations + kPermutationBatch - 1) / kPermutationBatch;
  std::vector<std::size_t> exceeding(batches, 0);
  tbb::parallel_for(std::size_t{0}, batches, [&](std::size_t batch) {
    const std::size_t first = batch * kPermutationBatch;
    const std::size_t last = std::min(first + kPermutationBatch, options.permutations);
    std::vector<std::vector<std::size_t>> groups;
    for (std::size_t r = first; r < last; ++r) {
      groups.push_back(PermutedGroup(pooled, group_size, options.seed, r));
    }
    for (double statistic : Statistics(kernel, groups)) {
      if (statistic >= observed) ++exceeding[batch];
    }
  });
  return std::accumulate(exceeding.begin(), exceeding.end(), std::size_t{0});
}

}  // namespace

std::uint64_t MmdSubsampleKey(std::uint64_t seed, int cohort, std::size_t row) {
  return RandomStream(seed, kSubsamplePurpose, static_cast<std::uint64_t>(cohort), row)();
}

Result<MmdResult> MmdTest(PointMatrix reference, PointMatrix target, const MmdOptions& options) {
  ASSAY_RETURN_IF_ERROR(CheckPoints(reference, "reference"));
  ASSAY_RETURN_IF_ERROR(CheckPoints(target, "target"));
  if (reference.dimensions != target.dimensions) {
    return InvalidInput(
        fmt::format("MMD test: the reference points have {} dimensions, the "
                    "target points {}",
                    reference.dimensions, target.dimensions));
  }
  if (options.permutations == 0) return InvalidInput("MMD test: no permutation asked for");
  if (options.maximum_per_cohort < 2) {
    return InvalidInput("MMD test: the maximum per cohort must be at least 2");
  }

  // Subsample, pool, and compute the kernel once.
  const std::vector<std::size_t> reference_rows = KeptRows(
      reference.values.size() / reference.dimensions, options.maximum_per_cohort, options.seed, 0);
  const std::vector<std::size_t> target_rows = KeptRows(
      target.values.size() / target.dimensions, options.maximum_per_cohort, options.seed, 1);
  UpperTriangle squared =
      SquaredDistances(PooledPoints(reference, reference_rows, target, target_rows));
  MmdResult result;
  result.bandwidth = MedianBandwidth(squared, options.seed);
  const Kernel kernel = GaussianKernel(std::move(squared), result.bandwidth);
  result.reference_cases = reference_rows.size();
  result.target_cases = target_rows.size();
  result.dimensions = reference.dimensions;

  // The statistic is symmetric in the two labels: the permutations draw the smaller one.
  const std::size_t n = reference_rows.size(), m = target_rows.size();
  std::vector<std::size_t> observed(std::min(n, m));
  std::iota(observed.begin(), observed.end(), n <= m ? std::size_t{0} : n);
  result.statistic = Statistics(kernel, {observed}).front();
  result.permutations = options.permutations;
  result.exceeding = CountExceeding(kernel, observed.size(), result.statistic, options);
  result.p_value =
      static_cast<double>(1 + result.exceeding) / static_cast<double>(1 + result.permutations);
  return result;
}

}  // namespace assay::stats
