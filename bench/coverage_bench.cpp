// Coverage simulation: how often the 95% intervals of assay contain the true
// value, over 2,000 simulated binormal studies of 100 positives and 100
// negatives (negatives' scores ~ N(0, 1), positives' ~ N(1, 1)). The peer
// is the truth itself: AUC = Phi(1 / sqrt(2)) = 0.7602 and, at threshold 0.5,
// sensitivity = Phi(0.5) = 0.6915, both known analytically.
//
// Intervals: DeLong for the AUC; stratified bootstrap BCa (and percentile,
// for information) for the AUC, 2,000 replicates per study; Wilson for the
// sensitivity, whose exact coverage is also computed from the binomial law.
// Each study s draws from RandomStream(seed, "bench_coverage_study", s), so
// the figures do not depend on the number of threads.
//
// Usage: coverage_bench [--studies=N] [--replicates=N] [--check]
// With --check (the CTest test "coverage_simulation", label "slow") it exits
// 1 unless the DeLong, BCa and Wilson coverages lie in [0.94, 0.96].
#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <boost/math/distributions/binomial.hpp>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "assay/stats/bootstrap.h"
#include "assay/stats/proportion.h"
#include "assay/stats/roc.h"
#include "bench_support.h"
#include "binormal.h"

namespace assay::bench {
namespace {

constexpr std::size_t kPositives = 100;
constexpr std::size_t kNegatives = 100;
constexpr double kSeparation = 1.0;
constexpr double kThreshold = 0.5;
constexpr double kLevel = 0.95;
constexpr std::uint64_t kSeed = 20240103;
constexpr std::uint64_t kStudyPurpose = PurposeId("bench_coverage_study");
constexpr double kCheckLow = 0.94;
constexpr double kCheckHigh = 0.96;

struct Options {
  std::size_t studies = 2000;
  std::size_t replicates = 2000;
  bool check = false;
};

Options ParseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("--studies=")) {
      options.studies = std::stoull(std::string(arg.substr(10)));
    } else if (arg.starts_with("--replicates=")) {
      options.replicates = std::stoull(std::string(arg.substr(13)));
    } else if (arg == "--check") {
      options.check = true;
    } else {
      throw std::invalid_argument(fmt::format("unknown argument '{}'", arg));
    }
  }
  return options;
}

double NormalCdf(double x) {
  return boost::math::cdf(boost::math::normal_distribution<double>(), x);
}

bool Covers(const stats::Interval& interval, double truth) {
  return interval.lower <= truth && truth <= interval.upper;
}

struct StudyResult {
  bool delong = false;
  bool bca = false;
  bool bca_defined = false;
  bool percentile = false;
  bool wilson = false;
};

StudyResult SimulateStudy(std::size_t study, std::size_t replicates, double true_auc,
                          double true_sensitivity) {
  NormalDraws draws(RandomStream(kSeed, kStudyPurpose, study));
  CaseSample sample;
  AppendBinormalCases(draws, kPositives, kNegatives, kSeparation, sample);

  StudyResult result;
  const std::span<const double> positives(sample.score.data(), kPositives);
  const std::span<const double> negatives(sample.score.data() + kPositives, kNegatives);
  const stats::DelongAuc delong = stats::Delong(stats::SortScores(positives, negatives));
  const double half = stats::NormalQuantileTwoSided(kLevel) * std::sqrt(delong.variance);
  result.delong = Covers(stats::Interval{std::max(0.0, delong.auc - half),
                                         std::min(1.0, delong.auc + half), kLevel, "delong"},
                         true_auc);

  const auto bootstrap = stats::StratifiedBootstrapAuc(sample.score, sample.truth,
                                                       {replicates, kSeed + study, kLevel});
  const std::optional<stats::Interval> bca = stats::BcaInterval(bootstrap, kLevel);
  result.bca_defined = bca.has_value();
  result.bca = bca && Covers(*bca, true_auc);
  result.percentile = Covers(stats::PercentileInterval(bootstrap, kLevel), true_auc);

  std::uint64_t true_positives = 0;
  for (double s : positives) true_positives += s >= kThreshold ? 1 : 0;
  result.wilson = Covers(stats::ProportionInterval(true_positives, kPositives, kLevel,
                                                   stats::ProportionMethod::kWilson),
                         true_sensitivity);
  return result;
}

// Exact coverage of the Wilson interval for `trials` trials at proportion p.
double ExactWilsonCoverage(std::uint64_t trials, double p) {
  const boost::math::binomial_distribution<double> law(static_cast<double>(trials), p);
  double coverage = 0.0;
  for (std::uint64_t k = 0; k <= trials; ++k) {
    if (Covers(stats::ProportionInterval(k, trials, kLevel, stats::ProportionMethod::kWilson), p)) {
      coverage += boost::math::pdf(law, static_cast<double>(k));
    }
  }
  return coverage;
}

int Run(int argc, char** argv) {
  Options options;
  try {
    options = ParseOptions(argc, argv);
  } catch (const std::logic_error&) {  // an unknown flag, a number that does not parse
    fmt::print(stderr, "usage: coverage_bench [--studies=N] [--replicates=N] [--check]\n");
    return 2;
  }
  const double true_auc = NormalCdf(kSeparation / std::sqrt(2.0));
  const double true_sensitivity = NormalCdf(kSeparation - kThreshold);
  fmt::print(
      "{} binormal studies of {} positives + {} negatives (separation {}): true AUC "
      "{:.4f}, true sensitivity at threshold {} {:.4f}; {} bootstrap replicates a study\n",
      options.studies, kPositives, kNegatives, kSeparation, true_auc, kThreshold, true_sensitivity,
      options.replicates);

  std::vector<StudyResult> studies(options.studies);
  tbb::parallel_for(std::size_t{0}, options.studies, [&](std::size_t s) {
    studies[s] = SimulateStudy(s, options.replicates, true_auc, true_sensitivity);
  });

  const auto count = static_cast<double>(options.studies);
  auto coverage = [&](bool StudyResult::*covered) {
    double hits = 0.0;
    for (const StudyResult& study : studies) hits += study.*covered ? 1.0 : 0.0;
    return hits / count;
  };
  std::size_t bca_undefined = 0;
  for (const StudyResult& study : studies) bca_undefined += study.bca_defined ? 0 : 1;
  const double exact_wilson = ExactWilsonCoverage(kPositives, true_sensitivity);

  struct Row {
    std::string name;
    double coverage;
    bool checked;
    std::string note;
  };
  const std::vector<Row> rows = {
      {"DeLong 95% interval, AUC", coverage(&StudyResult::delong), true, ""},
      {fmt::format("BCa 95% bootstrap interval, AUC ({} replicates)", options.replicates),
       coverage(&StudyResult::bca), true,
       bca_undefined > 0 ? fmt::format("{} studies without BCa count as misses", bca_undefined)
                         : ""},
      {fmt::format("percentile 95% bootstrap interval, AUC ({} replicates)", options.replicates),
       coverage(&StudyResult::percentile), false, "for information"},
      {"Wilson 95% interval, sensitivity", coverage(&StudyResult::wilson), true,
       fmt::format("exact coverage at n = {}, p = {:.4f}: {:.4f}", kPositives, true_sensitivity,
                   exact_wilson)},
  };

  bool all_in_range = true;
  for (const Row& row : rows) {
    const double standard_error = std::sqrt(row.coverage * (1.0 - row.coverage) / count);
    const bool in_range = row.coverage >= kCheckLow && row.coverage <= kCheckHigh;
    if (row.checked) all_in_range = all_in_range && in_range;
    fmt::print("{:<58} coverage {:.4f} (Monte Carlo SE {:.4f}){}{}\n", row.name, row.coverage,
               standard_error, row.checked ? (in_range ? "" : "  OUTSIDE [0.94, 0.96]") : "",
               row.note.empty() ? "" : "; " + row.note);
    fmt::print("summary\tcoverage: {}, {} studies\t{:.4f}\t{}\t{}\n", row.name, options.studies,
               row.coverage, row.checked ? "[0.94, 0.96]" : "",
               row.checked ? (in_range ? "met" : "NOT MET") : "");
  }
  if (options.check && !all_in_range) {
    fmt::print(stderr, "a checked coverage lies outside [{}, {}]\n", kCheckLow, kCheckHigh);
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace assay::bench

int main(int argc, char** argv) { return assay::bench::GuardedMain(argc, argv, assay::bench::Run); }
