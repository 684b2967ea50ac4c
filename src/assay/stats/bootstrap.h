// Bootstrap intervals for the AUC: stratified case bootstrap and cluster
// bootstrap, with percentile and BCa (Efron 1987) intervals.
//
// Cases are sorted once; each replicate is a vector of resampling counts and
// its AUC one weighted pass over the sorted order, so a replicate costs O(n).
// Replicate r draws from RandomStream(seed, purpose, r): the replicates, and
// therefore the interval, are the same for any number of threads.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "assay/stats/interval.h"
#include "assay/stats/roc.h"

namespace assay::stats {

struct BootstrapOptions {
  std::size_t replicates = 2000;
  std::uint64_t seed = 20240101;
  double level = 0.95;
};

struct BootstrapAuc {
  double auc = 0.0;                // on the original sample
  std::vector<double> replicates;  // one AUC per replicate, in replicate order
  std::vector<double> jackknife;   // leave-one-out (case or cluster) AUCs, for BCa
};

// Stratified bootstrap: positives and negatives are resampled separately, so
// every replicate keeps the sample's class sizes. `score` is oriented
// (higher = more likely positive). Requires both classes present.
BootstrapAuc StratifiedBootstrapAuc(std::span<const double> score,
                                    std::span<const std::uint8_t> truth,
                                    const BootstrapOptions& options);

// Cluster bootstrap: whole clusters (patients) are resampled with all their
// cases. Replicates in which a class is absent are redrawn deterministically
// (the next sub-stream of the same replicate).
BootstrapAuc ClusterBootstrapAuc(std::span<const double> score, std::span<const std::uint8_t> truth,
                                 std::span<const std::uint32_t> cluster, std::size_t cluster_count,
                                 const BootstrapOptions& options);

// Stratified bootstrap percentile interval of McClish's standardized partial
// AUC over [from, to] of the focused quantity (pROC's default for pAUC).
Interval PartialAucBootstrapInterval(std::span<const double> score,
                                     std::span<const std::uint8_t> truth, PartialAucFocus focus,
                                     double from, double to, const BootstrapOptions& options);

// Percentile interval: quantiles (type 7, as R's default) of the replicates.
Interval PercentileInterval(const BootstrapAuc& bootstrap, double level);
// The same for any statistic's replicates (non-empty), with method
// "bootstrap_percentile".
Interval PercentileInterval(std::span<const double> replicates, double level);

// Sample variance (denominator B - 1) of the replicates; requires B >= 2.
double ReplicateVariance(std::span<const double> replicates);

// Bias-corrected and accelerated interval; the acceleration comes from the
// jackknife. Falls back to nothing (nullopt) when every replicate equals the
// estimate (no spread to correct).
std::optional<Interval> BcaInterval(const BootstrapAuc& bootstrap, double level);

// Quantile of unsorted values, type 7 (linear interpolation); requires values.
double Quantile(std::vector<double> values, double probability);

}  // namespace assay::stats
