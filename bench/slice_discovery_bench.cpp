// Failure-slice discovery where the answer is known: over 20 seeds of random
// configurations with 1–2 planted slices (bench/planted_slices.h: each holds
// 5–25% of 20,000 cases and loses 10–25 points of sensitivity), how many
// planted slices are among the first 5 reported (overlap of case sets >= 0.5);
// over 20 seeds with nothing planted, how many slices are reported on
// average. The peer is the truth the generator planted.
//
// Usage: slice_discovery_bench [--seeds=N] [--cases=N] [--check]
// With --check (the CTest test "slice_discovery", label "slow") it exits 1
// unless at least 90% of planted slices are in the top 5 and the null
// configurations report at most 0.5 slices on average.
#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "assay/analysis/failure_slices.h"
#include "bench_support.h"
#include "planted_slices.h"

namespace assay::bench {
namespace {

constexpr std::uint64_t kPlantedSeed = 20261204;
constexpr std::uint64_t kNullSeed = 20261205'000;
constexpr std::size_t kTop = 5;
constexpr double kRecallTarget = 0.90;
constexpr double kNullTarget = 0.5;

struct Outcome {
  std::size_t planted = 0, found = 0, reported = 0, tests = 0;
  double seconds = 0;
  std::string detail;
};

Outcome RunOne(std::uint64_t seed, std::size_t cases, bool plant) {
  const PlantedTable t = MakePlantedTable(seed, cases, plant);
  const auto start = std::chrono::steady_clock::now();
  const analysis::SliceSearchResult result =
      analysis::FindFailureSlices(t.truth, t.predicted, t.margin, {}, t.features, {});
  Outcome o;
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  o.reported = result.slices.size();
  o.tests = result.tests;
  o.planted = t.planted.size();
  for (const PlantedSlice& p : t.planted) {
    const bool found = FoundInTop(p, result, kTop);
    o.found += found ? 1 : 0;
    o.detail += fmt::format("\n    planted {} ({} cases, -{:.2f} sensitivity): {}", p.description,
                            p.cases, p.sensitivity_drop, found ? "in top 5" : "MISSED");
  }
  for (std::size_t k = 0; k < result.slices.size() && k < kTop; ++k) {
    const auto& s = result.slices[k];
    o.detail += fmt::format("\n    #{} {} [{} {:.3f} vs {:.3f}, q={:.2g}]", k + 1, s.description,
                            analysis::SliceMetricName(s.result.metric), s.result.estimate,
                            s.result.rest_estimate, s.result.q_value);
  }
  return o;
}

int Run(int argc, char** argv) {
  std::size_t seeds = 20, cases = 20000;
  bool check = false;
  TakeFlags(argc, argv,
            {{"--seeds=", [&](const char* v) { seeds = std::stoull(v); }},
             {"--cases=", [&](const char* v) { cases = std::stoull(v); }},
             {"--check", [&](const char*) { check = true; }}});
  if (argc > 1) throw std::invalid_argument(fmt::format("unknown argument '{}'", argv[1]));

  std::vector<Outcome> planted(seeds), null(seeds);
  tbb::parallel_for(std::size_t{0}, 2 * seeds, [&](std::size_t k) {
    if (k < seeds) {
      planted[k] = RunOne(kPlantedSeed + k, cases, true);
    } else {
      null[k - seeds] = RunOne(kNullSeed + k - seeds, cases, false);
    }
  });
  std::size_t total = 0, found = 0, null_reported = 0;
  double seconds = 0;
  for (std::size_t k = 0; k < seeds; ++k) {
    fmt::print("planted seed {}: {}/{} in top 5, {} reported, {} tests, {:.2f} s{}\n",
               kPlantedSeed + k, planted[k].found, planted[k].planted, planted[k].reported,
               planted[k].tests, planted[k].seconds, planted[k].detail);
    total += planted[k].planted;
    found += planted[k].found;
    seconds += planted[k].seconds;
  }
  for (std::size_t k = 0; k < seeds; ++k) {
    fmt::print("null seed {}: {} reported{}\n", kNullSeed + k, null[k].reported, null[k].detail);
    null_reported += null[k].reported;
    seconds += null[k].seconds;
  }
  const double recall = static_cast<double>(found) / static_cast<double>(total);
  const double null_mean = static_cast<double>(null_reported) / static_cast<double>(seeds);
  fmt::print("\nplanted slices in the top {}: {}/{} = {:.3f} (target >= {:.2f})\n", kTop, found,
             total, recall, kRecallTarget);
  fmt::print("slices reported with nothing planted: {:.2f} per configuration (target <= {:.2f})\n",
             null_mean, kNullTarget);
  fmt::print("search time: {:.2f} s per configuration of {} cases\n",
             seconds / static_cast<double>(2 * seeds), cases);
  fmt::print(
      "summary\tplanted failure slices in the top 5, {} seeds of {} cases\t{:.3f}\t>= {:.2f}\t{}\n",
      seeds, cases, recall, kRecallTarget, recall >= kRecallTarget ? "met" : "NOT MET");
  fmt::print(
      "summary\tfailure slices reported with nothing planted, per configuration\t{:.2f}\t<= "
      "{:.2f}\t{}\n",
      null_mean, kNullTarget, null_mean <= kNullTarget ? "met" : "NOT MET");
  if (check && (recall < kRecallTarget || null_mean > kNullTarget)) return 1;
  return 0;
}

}  // namespace
}  // namespace assay::bench

int main(int argc, char** argv) { return assay::bench::GuardedMain(argc, argv, assay::bench::Run); }
