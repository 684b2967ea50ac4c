// Measures the AUC with its 95% DeLong interval on 10^7 binormal cases
// (stats::SplitAndSortScores, stats::DelongSummary: the path `assay evaluate`
// takes) against scikit-learn's
// roc_auc_score (the AUC alone, no interval) on the same cases, run in the
// same run by bench/peers/sklearn_auc.py. Target: assay at least 10x faster.
//
// Usage: auc_delong_bench [--cases=N] [--repetitions=N] [--peer_runs=N]
//                         [--python=PATH] [Google Benchmark flags]
// Prints Google Benchmark's table (wall and whole-process CPU times over the
// repetitions, with the split-and-sort and the DeLong pass also timed on
// their own), the peer's medians, the ratios (the target applies
// to wall time with every core; CPU-time ratios on one thread are printed
// too, as they suffer less from other load on the machine), and "summary"
// lines for bench/run_all.sh.
// Exits 1 when the peer fails or the two AUCs differ by more than 1e-9.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <tbb/global_control.h>
#include <tbb/info.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "assay/stats/interval.h"
#include "assay/stats/roc.h"
#include "bench_support.h"
#include "binormal.h"
#include "median_reporter.h"
#include "peer.h"

namespace assay::bench {
namespace {

constexpr double kSeparation = 1.0;  // true AUC Phi(1 / sqrt(2)) = 0.760
constexpr double kPrevalence = 0.5;
constexpr std::uint64_t kSeed = 20240101;
constexpr double kTargetRatio = 10.0;
constexpr double kAucTolerance = 1e-9;

struct Options {
  std::size_t cases = 10'000'000;
  int repetitions = 5;
  int peer_runs = 3;
  std::string python = "/usr/bin/python3";
};

// Takes this program's own flags out of argv, leaving Google Benchmark's.
Options ParseOptions(int& argc, char** argv) {
  Options options;
  TakeFlags(argc, argv,
            {{"--cases=", [&](const char* v) { options.cases = std::stoull(v); }},
             {"--repetitions=", [&](const char* v) { options.repetitions = std::stoi(v); }},
             {"--peer_runs=", [&](const char* v) { options.peer_runs = std::stoi(v); }},
             {"--python=", [&](const char* v) { options.python = v; }}});
  return options;
}

// Everything from the case columns to the interval, as `assay evaluate` does it.
struct AucWithInterval {
  double auc, lower, upper;
};
AucWithInterval AucAndDelongInterval(const CaseSample& sample) {
  const stats::AucVariance delong =
      stats::DelongSummary(stats::SplitAndSortScores(sample.score, sample.truth));
  const double half = stats::NormalQuantileTwoSided(0.95) * std::sqrt(delong.variance);
  return {delong.auc, std::max(0.0, delong.auc - half), std::min(1.0, delong.auc + half)};
}

int Run(int argc, char** argv) {
  Options options;
  try {
    options = ParseOptions(argc, argv);
  } catch (const std::logic_error&) {  // an unknown flag, a number that does not parse
    fmt::print(stderr,
               "usage: auc_delong_bench [--cases=N] [--repetitions=N] [--peer_runs=N] "
               "[--python=PATH] [Google Benchmark flags]\n");
    return 2;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;

  fmt::print(
      "AUC + DeLong interval on {} binormal cases (separation {}, prevalence {}); "
      "assay uses {} threads, scikit-learn one\n",
      options.cases, kSeparation, kPrevalence, tbb::info::default_concurrency());
  const CaseSample sample = BinormalCases(options.cases, kPrevalence, kSeparation, kSeed);
  const stats::SortedScores sorted = stats::SplitAndSortScores(sample.score, sample.truth);

  ConfigureRepeated(
      benchmark::RegisterBenchmark("SplitAndSortScores",
                                   [&](benchmark::State& state) {
                                     for (auto _ : state) {
                                       benchmark::DoNotOptimize(
                                           stats::SplitAndSortScores(sample.score, sample.truth));
                                     }
                                   }),
      options.repetitions);
  ConfigureRepeated(
      benchmark::RegisterBenchmark("DelongSummary",
                                   [&](benchmark::State& state) {
                                     for (auto _ : state) {
                                       benchmark::DoNotOptimize(stats::DelongSummary(sorted));
                                     }
                                   }),
      options.repetitions);
  ConfigureRepeated(
      benchmark::RegisterBenchmark("assay_auc_delong_1_thread",
                                   [&](benchmark::State& state) {
                                     tbb::global_control one_thread(
                                         tbb::global_control::max_allowed_parallelism, 1);
                                     for (auto _ : state) {
                                       benchmark::DoNotOptimize(AucAndDelongInterval(sample));
                                     }
                                   }),
      options.repetitions);
  ConfigureRepeated(
      benchmark::RegisterBenchmark("assay_auc_delong",
                                   [&](benchmark::State& state) {
                                     for (auto _ : state) {
                                       benchmark::DoNotOptimize(AucAndDelongInterval(sample));
                                     }
                                   }),
      options.repetitions);
  MedianReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  const AucWithInterval ours = AucAndDelongInterval(sample);
  fmt::print("assay: AUC {:.12f}, 95% DeLong interval [{:.6f}, {:.6f}]\n", ours.auc, ours.lower,
             ours.upper);

  TempDirectory directory;
  if (!directory.ok() || !WriteCaseFiles(directory.path(), sample)) {
    fmt::print(stderr, "cannot write the cases for the peer\n");
    return 1;
  }
  const std::string command =
      fmt::format("{} {} {} {}", ShellQuote(options.python),
                  ShellQuote(std::string(ASSAY_BENCH_DIR) + "/peers/sklearn_auc.py"),
                  ShellQuote(directory.path().string()), options.peer_runs);
  const auto peer = RunPeer(command);
  if (!peer) {
    fmt::print(stderr, "peer failed: {}\n", command);
    return 1;
  }
  const double peer_auc = peer->at("auc").get<double>();
  const double peer_seconds = peer->at("median_seconds").get<double>();
  const double peer_cpu_seconds = peer->at("median_cpu_seconds").get<double>();
  const double difference = std::abs(peer_auc - ours.auc);
  fmt::print("{}: AUC {:.12f} (|difference| {:.2e}), median of {} runs {:.3f} s (CPU {:.3f} s)\n",
             peer->at("tool").get<std::string>(), peer_auc, difference, options.peer_runs,
             peer_seconds, peer_cpu_seconds);

  const auto all_threads = reporter.MedianOf("assay_auc_delong");
  const auto one_thread = reporter.MedianOf("assay_auc_delong_1_thread");
  const double ratio = peer_seconds / all_threads.wall_seconds;
  const double ratio_one_thread = peer_seconds / one_thread.wall_seconds;
  const double ratio_cpu = peer_cpu_seconds / one_thread.cpu_seconds;
  const unsigned threads = tbb::info::default_concurrency();
  const char* verdict = ratio >= kTargetRatio ? "met" : "NOT MET";
  fmt::print("assay median {:.3f} s ({} threads), {:.3f} s (1 thread, CPU {:.3f} s)\n",
             all_threads.wall_seconds, threads, one_thread.wall_seconds, one_thread.cpu_seconds);
  fmt::print(
      "ratio scikit-learn / assay: {:.2f}x wall ({} threads); {:.2f}x wall and {:.2f}x CPU "
      "time on one thread; target >= {}x (wall, {} threads): {}\n",
      ratio, threads, ratio_one_thread, ratio_cpu, kTargetRatio, threads, verdict);
  fmt::print("summary\tAUC+DeLong, {} cases: assay, {} threads (median wall)\t{:.3f} s\t\t\n",
             options.cases, threads, all_threads.wall_seconds);
  fmt::print("summary\tAUC, {} cases: scikit-learn roc_auc_score (median wall)\t{:.3f} s\t\t\n",
             options.cases, peer_seconds);
  fmt::print("summary\tratio scikit-learn / assay, wall, {} threads\t{:.2f}x\t>= {}x\t{}\n",
             threads, ratio, kTargetRatio, verdict);
  fmt::print("summary\tratio scikit-learn / assay, wall, 1 thread\t{:.2f}x\t\t\n",
             ratio_one_thread);
  fmt::print("summary\tratio scikit-learn / assay, CPU time, 1 thread\t{:.2f}x\t\t\n", ratio_cpu);
  if (difference > kAucTolerance) {
    fmt::print(stderr, "AUCs differ by {:.3e} > {:.0e}\n", difference, kAucTolerance);
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace assay::bench

int main(int argc, char** argv) { return assay::bench::GuardedMain(argc, argv, assay::bench::Run); }
