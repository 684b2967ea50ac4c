// Measures 2,000 stratified bootstrap replicates of the AUC on 10^5 binormal
// cases (stats::StratifiedBootstrapAuc and its percentile interval) against
// R pROC's ci.auc(method = "bootstrap", boot.n = 2000, boot.stratified = TRUE)
// on the same cases, run in the same run by bench/peers/proc_bootstrap.R.
// Target: assay at least 100x faster.
//
// pROC needs about 45 ms a replicate at 10^5 cases, so by default it runs 200
// replicates and its time is scaled linearly to 2,000 (the output says so);
// --proc_replicates=2000 runs it in full. The target applies to wall time
// with every core; ratios on one thread, in wall and in CPU time, are printed
// too (CPU time suffers less from other load on the machine).
//
// Usage: bootstrap_bench [--cases=N] [--replicates=N] [--proc_replicates=N]
//                        [--repetitions=N] [--rscript=PATH] [Google Benchmark flags]
// Exits 1 when the peer fails or the two AUCs differ by more than 1e-9.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <tbb/global_control.h>
#include <tbb/info.h>

#include <cmath>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>

#include "assay/stats/bootstrap.h"
#include "bench_support.h"
#include "binormal.h"
#include "median_reporter.h"
#include "peer.h"

namespace assay::bench {
namespace {

constexpr double kSeparation = 1.0;  // true AUC 0.760
constexpr double kPrevalence = 0.5;
constexpr std::uint64_t kSeed = 20240102;
constexpr double kTargetRatio = 100.0;
constexpr double kAucTolerance = 1e-9;

struct Options {
  std::size_t cases = 100'000;
  std::size_t replicates = 2000;
  std::size_t proc_replicates = 200;
  int repetitions = 5;
  std::string rscript = "Rscript";
};

// Takes this program's own flags out of argv, leaving Google Benchmark's.
Options ParseOptions(int& argc, char** argv) {
  Options options;
  TakeFlags(
      argc, argv,
      {{"--cases=", [&](const char* v) { options.cases = std::stoull(v); }},
       {"--replicates=", [&](const char* v) { options.replicates = std::stoull(v); }},
       {"--proc_replicates=", [&](const char* v) { options.proc_replicates = std::stoull(v); }},
       {"--repetitions=", [&](const char* v) { options.repetitions = std::stoi(v); }},
       {"--rscript=", [&](const char* v) { options.rscript = v; }}});
  return options;
}

int Run(int argc, char** argv) {
  Options options;
  try {
    options = ParseOptions(argc, argv);
  } catch (const std::logic_error&) {  // an unknown flag, a number that does not parse
    fmt::print(stderr,
               "usage: bootstrap_bench [--cases=N] [--replicates=N] [--proc_replicates=N] "
               "[--repetitions=N] [--rscript=PATH] [Google Benchmark flags]\n");
    return 2;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;

  fmt::print(
      "{} stratified bootstrap replicates of the AUC on {} binormal cases; "
      "assay uses {} threads, pROC one\n",
      options.replicates, options.cases, tbb::info::default_concurrency());
  const CaseSample sample = BinormalCases(options.cases, kPrevalence, kSeparation, kSeed);
  const stats::BootstrapOptions bootstrap{options.replicates, kSeed, 0.95};
  auto percentile_interval = [&] {
    const auto result = stats::StratifiedBootstrapAuc(sample.score, sample.truth, bootstrap);
    return stats::PercentileInterval(result, bootstrap.level);
  };

  ConfigureRepeated(
      benchmark::RegisterBenchmark("assay_bootstrap_1_thread",
                                   [&](benchmark::State& state) {
                                     tbb::global_control one_thread(
                                         tbb::global_control::max_allowed_parallelism, 1);
                                     for (auto _ : state) {
                                       benchmark::DoNotOptimize(percentile_interval());
                                     }
                                   }),
      options.repetitions);
  ConfigureRepeated(
      benchmark::RegisterBenchmark("assay_bootstrap",
                                   [&](benchmark::State& state) {
                                     for (auto _ : state) {
                                       benchmark::DoNotOptimize(percentile_interval());
                                     }
                                   }),
      options.repetitions);
  MedianReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  const auto ours = stats::StratifiedBootstrapAuc(sample.score, sample.truth, bootstrap);
  const auto ours_interval = stats::PercentileInterval(ours, bootstrap.level);
  fmt::print("assay: AUC {:.12f}, 95% percentile interval [{:.4f}, {:.4f}] ({} replicates)\n",
             ours.auc, ours_interval.lower, ours_interval.upper, options.replicates);

  TempDirectory directory;
  if (!directory.ok() || !WriteCaseFiles(directory.path(), sample)) {
    fmt::print(stderr, "cannot write the cases for the peer\n");
    return 1;
  }
  const std::string command =
      fmt::format("{} --vanilla {} {} {}", ShellQuote(options.rscript),
                  ShellQuote(std::string(ASSAY_BENCH_DIR) + "/peers/proc_bootstrap.R"),
                  ShellQuote(directory.path().string()), options.proc_replicates);
  const auto peer = RunPeer(command);
  if (!peer) {
    fmt::print(stderr, "peer failed: {}\n", command);
    return 1;
  }
  const double peer_auc = peer->at("auc").get<double>();
  const double peer_seconds = peer->at("seconds").get<double>();
  const double peer_cpu_seconds = peer->at("cpu_seconds").get<double>();
  const double difference = std::abs(peer_auc - ours.auc);
  fmt::print(
      "{}: AUC {:.12f} (|difference| {:.2e}), 95% percentile interval [{:.4f}, {:.4f}] "
      "({} replicates) in {:.2f} s (CPU {:.2f} s)\n",
      peer->at("tool").get<std::string>(), peer_auc, difference, peer->at("lower").get<double>(),
      peer->at("upper").get<double>(), options.proc_replicates, peer_seconds, peer_cpu_seconds);

  const bool scaled = options.proc_replicates != options.replicates;
  const double scale =
      static_cast<double>(options.replicates) / static_cast<double>(options.proc_replicates);
  const double peer_full_seconds = peer_seconds * scale;
  const double peer_full_cpu_seconds = peer_cpu_seconds * scale;
  const std::string how =
      scaled ? fmt::format("SCALED linearly from {} replicates", options.proc_replicates)
             : std::string("measured in full");
  if (scaled) {
    fmt::print(
        "pROC time for {} replicates SCALED linearly from {} replicates: {:.2f} s x {} / {} "
        "= {:.1f} s (CPU {:.1f} s)\n",
        options.replicates, options.proc_replicates, peer_seconds, options.replicates,
        options.proc_replicates, peer_full_seconds, peer_full_cpu_seconds);
  }
  const auto all_threads = reporter.MedianOf("assay_bootstrap");
  const auto one_thread = reporter.MedianOf("assay_bootstrap_1_thread");
  const double ratio = peer_full_seconds / all_threads.wall_seconds;
  const double ratio_one_thread = peer_full_seconds / one_thread.wall_seconds;
  const double ratio_cpu = peer_full_cpu_seconds / one_thread.cpu_seconds;
  const unsigned threads = tbb::info::default_concurrency();
  const char* verdict = ratio >= kTargetRatio ? "met" : "NOT MET";
  fmt::print("assay median {:.3f} s ({} threads), {:.3f} s (1 thread, CPU {:.3f} s)\n",
             all_threads.wall_seconds, threads, one_thread.wall_seconds, one_thread.cpu_seconds);
  fmt::print(
      "ratio pROC / assay: {:.0f}x wall ({} threads); {:.0f}x wall and {:.0f}x CPU time on "
      "one thread; target >= {}x (wall, {} threads): {}\n",
      ratio, threads, ratio_one_thread, ratio_cpu, kTargetRatio, threads, verdict);
  fmt::print(
      "summary\tbootstrap {}x AUC, {} cases: assay, {} threads (median wall)\t{:.3f} s\t\t\n",
      options.replicates, options.cases, threads, all_threads.wall_seconds);
  fmt::print("summary\tbootstrap {}x AUC, {} cases: pROC ci.auc, wall ({})\t{:.1f} s\t\t\n",
             options.replicates, options.cases, how, peer_full_seconds);
  fmt::print("summary\tratio pROC / assay, wall, {} threads ({})\t{:.0f}x\t>= {}x\t{}\n", threads,
             scaled ? "pROC scaled" : "pROC in full", ratio, kTargetRatio, verdict);
  fmt::print("summary\tratio pROC / assay, wall, 1 thread\t{:.0f}x\t\t\n", ratio_one_thread);
  fmt::print("summary\tratio pROC / assay, CPU time, 1 thread\t{:.0f}x\t\t\n", ratio_cpu);
  if (difference > kAucTolerance) {
    fmt::print(stderr, "AUCs differ by {:.3e} > {:.0e}\n", difference, kAucTolerance);
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace assay::bench

int main(int argc, char** argv) { return assay::bench::GuardedMain(argc, argv, assay::bench::Run); }
