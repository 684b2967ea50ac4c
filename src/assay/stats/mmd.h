// The maximum mean discrepancy (MMD) two-sample test: do two sets of points,
// e.g. a model's embeddings of the reference and the target cohort, come from
// one distribution? The statistic is the unbiased estimate of MMD² (Gretton et
// al. 2012, JMLR 13:723, eq. 3) under a Gaussian kernel
// k(x, y) = exp(-|x - y|² / (2 s²)) whose bandwidth s is the median pairwise
// Euclidean distance of the pooled points. It is about 0 (and may be negative)
// when the distributions agree and grows as they differ in any way the kernel
// sees: location, spread or shape, in any direction of the space.
//
// The p-value is that of a permutation test: the share of B random
// relabellings of the pooled points whose statistic is at least the observed
// one, counting the observed labelling, (1 + k) / (1 + B). It is never 0, and
// under the null hypothesis P(p <= a) <= a for every a; its resolution is
// 1 / (1 + B).
//
// The kernel matrix of the pooled points is computed once (8 (n + m)² bytes)
// and reused by every permutation, so each cohort larger than
// `maximum_per_cohort` is first subsampled. Every draw (subsample, bandwidth
// subsample, permutations) comes from streams keyed by (seed, purpose, ...):
// the result does not depend on thread count. Thread-safe; the permutations
// run in parallel (TBB).
//
//   auto test = stats::MmdTest({reference, 16}, {target, 16}, {});
//   if (test.ok() && test->p_value <= 0.05) { ... }
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "assay/core/status.h"

namespace assay::stats {

// Points borrowed from the caller: values.size() / dimensions rows of
// `dimensions` coordinates each, row after row.
struct PointMatrix {
  std::span<const double> values;
  std::size_t dimensions = 0;
};

struct MmdOptions {
  std::size_t permutations = 1000;        // B
  std::size_t maximum_per_cohort = 2000;  // larger cohorts are subsampled to this many rows
  std::uint64_t seed = 20240101;
};

struct MmdResult {
  double statistic = 0.0;  // unbiased MMD², on the rows used
  double bandwidth = 0.0;  // s of the Gaussian kernel
  double p_value = 1.0;    // (1 + k) / (1 + permutations)
  std::size_t permutations = 0;
  std::size_t exceeding = 0;  // k: permutations whose statistic is >= the observed one
  std::size_t reference_cases = 0, target_cases = 0;  // rows used, after subsampling
  std::size_t dimensions = 0;
};

// The MMD test of `reference` against `target` (see the top of this file).
// The bandwidth is the median of the pairwise distances (the mean of the two
// middle ones for an even count, as numpy's median) among the pooled rows, or
// among 1,000 of them drawn without replacement when there are more; when
// that median is 0 (many repeated points), the median of the positive
// distances; when every distance is 0, 1 (the kernel is then 1 everywhere).
// Errors (kInvalidInput): dimensions 0 or not dividing the values, a
// different number of dimensions in the two cohorts, fewer than 2 rows in a
// cohort, a value that is not finite, no permutation, a maximum below 2.
Result<MmdResult> MmdTest(PointMatrix reference, PointMatrix target, const MmdOptions& options);

// The subsample's rule, for callers that would rather not hold a large cohort
// in memory: a cohort (0 reference, 1 target) with more than
// `maximum_per_cohort` rows keeps the rows with the smallest keys, in their
// order (a uniform sample without replacement). Rows read as a stream can be
// kept by the same rule, so that MmdTest on the rows kept gives the result it
// would give on all of them.
std::uint64_t MmdSubsampleKey(std::uint64_t seed, int cohort, std::size_t row);

}  // namespace assay::stats
