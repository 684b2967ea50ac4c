// Type I error of the MRMC tests on null reader studies simulated from the Roe-Metz model
// (Roe & Metz 1997, Acad Radiol 4:298): a case's rating by reader j under modality i is
//   mu * truth + R_j + TR_ij + C_k + TC_ik + RC_jk + TRC_ijk + e_ijk,
// every term normal with mean 0; the reader terms R and TR are drawn separately for positive
// and negative cases (as Roe and Metz do: a reader effect common to both would shift every
// rating alike and leave the AUC unchanged), and mu is the same under both modalities (the
// null). Each configuration is simulated
// `studies` times; the benchmark prints the share of studies whose test rejects at alpha 0.05:
// Obuchowski-Rockette with jackknife, DeLong and unbiased covariance (random readers and
// cases, Hillis df), and, as a contrast, the fixed-readers and fixed-cases tests, which are
// not meant to generalize to both.
//
// Usage: mrmc_null_bench [--studies=N] [--check]
// With --check (the CTest test "mrmc_type_one_error", label "slow") it exits 1 when the
// random-readers, random-cases rate with jackknife covariance of the first configuration
// lies outside [0.04, 0.06]. Studies are keyed by (seed, configuration, study): the rates do
// not depend on the thread count.
#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "assay/core/random.h"
#include "assay/stats/mrmc.h"
#include "bench_support.h"
#include "binormal.h"

namespace assay::bench {
namespace {

constexpr std::uint64_t kSeed = 20261204;
constexpr double kAlpha = 0.05;

// Variances of the Roe-Metz terms; e makes the case-level variance 1.
struct Configuration {
  const char* name;
  std::size_t readers, positives, negatives;
  double mu, var_r, var_tr, var_c, var_tc, var_rc, var_trc;
};

// Roe & Metz's structures: low and high reader variability, with low and high case correlation.
const std::vector<Configuration>& Configurations() {
  static const std::vector<Configuration> configurations = {
      {"5 readers, 50+50 cases, AUC 0.86, HL", 5, 50, 50, 1.5, 0.011, 0.011, 0.1, 0.1, 0.2, 0.2},
      {"5 readers, 50+50 cases, AUC 0.86, LH", 5, 50, 50, 1.5, 0.0055, 0.0055, 0.3, 0.1, 0.2, 0.1},
      {"3 readers, 25+25 cases, AUC 0.70, HH", 3, 25, 25, 0.75, 0.03, 0.03, 0.3, 0.1, 0.2, 0.1},
      {"10 readers, 100+100 cases, AUC 0.96, HL", 10, 100, 100, 2.5, 0.011, 0.011, 0.1, 0.1, 0.2,
       0.2},
  };
  return configurations;
}

stats::MrmcDesign Simulate(const Configuration& c, std::size_t configuration, std::size_t study) {
  NormalDraws draws(RandomStream(kSeed, PurposeId("mrmc_null_bench"), configuration, study));
  const std::size_t t = 2, r = c.readers, n = c.positives + c.negatives;
  const double var_e = 1.0 - c.var_c - c.var_tc - c.var_rc - c.var_trc;
  // Reader terms per truth state: [2 * j + truth], [2 * (i * r + j) + truth].
  std::vector<double> reader(2 * r), reader_modality(2 * t * r), case_effect(n),
      case_modality(t * n), reader_case(r * n);
  for (double& v : reader) v = std::sqrt(c.var_r) * draws.Next();
  for (double& v : reader_modality) v = std::sqrt(c.var_tr) * draws.Next();
  for (double& v : case_effect) v = std::sqrt(c.var_c) * draws.Next();
  for (double& v : case_modality) v = std::sqrt(c.var_tc) * draws.Next();
  for (double& v : reader_case) v = std::sqrt(c.var_rc) * draws.Next();
  std::vector<double> ratings;
  ratings.reserve(t * r * n);
  for (std::size_t i = 0; i < t; ++i) {
    for (std::size_t j = 0; j < r; ++j) {
      for (std::size_t k = 0; k < n; ++k) {
        const std::size_t positive = k < c.positives ? 1 : 0;
        const double mean = positive == 1 ? c.mu : 0.0;
        ratings.push_back(mean + reader[2 * j + positive] +
                          reader_modality[2 * (i * r + j) + positive] + case_effect[k] +
                          case_modality[i * n + k] + reader_case[j * n + k] +
                          std::sqrt(c.var_trc) * draws.Next() + std::sqrt(var_e) * draws.Next());
      }
    }
  }
  std::vector<std::uint8_t> truth(n);
  std::vector<std::string> cases(n);
  for (std::size_t k = 0; k < n; ++k) {
    truth[k] = k < c.positives ? 1 : 0;
    cases[k] = std::to_string(k);
  }
  std::vector<std::string> readers(r);
  for (std::size_t j = 0; j < r; ++j) readers[j] = std::to_string(j);
  auto design = stats::MrmcDesign::Create({"A", "B"}, readers, cases, truth, ratings);
  if (!design.ok()) throw std::runtime_error(design.status().message());
  return *design;
}

// Rejections: OR random with jackknife, DeLong, unbiased; OR fixed readers; OR fixed cases.
constexpr std::size_t kTests = 5;
const std::array<const char*, kTests> kTestNames = {"OR-jackknife", "OR-DeLong", "OR-unbiased",
                                                    "fixed readers", "fixed cases"};

std::array<bool, kTests> Rejections(const stats::MrmcDesign& design) {
  std::array<bool, kTests> rejected{};
  const stats::MrmcCovariance methods[3] = {stats::MrmcCovariance::kJackknife,
                                            stats::MrmcCovariance::kDeLong,
                                            stats::MrmcCovariance::kUnbiased};
  for (std::size_t m = 0; m < 3; ++m) {
    auto result = stats::ObuchowskiRockette(design, {.covariance = methods[m]});
    if (!result.ok()) throw std::runtime_error(result.status().message());
    rejected[m] = result->random.p_value < kAlpha;
    if (m == 0) {
      rejected[3] = result->fixed_readers.p_value < kAlpha;
      rejected[4] = result->fixed_cases.p_value < kAlpha;
    }
  }
  return rejected;
}

int Run(int argc, char** argv) {
  std::size_t studies = 2000;
  bool check = false;
  TakeFlags(argc, argv,
            {{"--studies=", [&](const char* v) { studies = std::stoull(v); }},
             {"--check", [&](const char*) { check = true; }}});
  if (argc > 1) throw std::invalid_argument(fmt::format("unknown argument '{}'", argv[1]));

  const auto start = std::chrono::steady_clock::now();
  const auto& configurations = Configurations();
  std::vector<std::array<bool, kTests>> outcomes(configurations.size() * studies);
  tbb::parallel_for(std::size_t{0}, outcomes.size(), [&](std::size_t k) {
    const std::size_t configuration = k / studies, study = k % studies;
    outcomes[k] = Rejections(Simulate(configurations[configuration], configuration, study));
  });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  fmt::print("Type I error at alpha {} over {} null studies per configuration (Roe-Metz)\n", kAlpha,
             studies);
  fmt::print("  {:<42}", "configuration");
  for (const char* name : kTestNames) fmt::print(" {:>14}", name);
  fmt::print("\n");
  double headline = 0.0;
  for (std::size_t c = 0; c < configurations.size(); ++c) {
    fmt::print("  {:<42}", configurations[c].name);
    for (std::size_t test = 0; test < kTests; ++test) {
      std::size_t rejected = 0;
      for (std::size_t s = 0; s < studies; ++s) rejected += outcomes[c * studies + s][test];
      const double rate = static_cast<double>(rejected) / static_cast<double>(studies);
      if (c == 0 && test == 0) headline = rate;
      fmt::print(" {:>14.4f}", rate);
    }
    fmt::print("\n");
  }
  const bool met = headline >= 0.04 && headline <= 0.06;
  fmt::print("  (binomial SE of a rate near 0.05: {:.4f}); {:.1f} s\n",
             std::sqrt(0.05 * 0.95 / static_cast<double>(studies)), seconds);
  fmt::print(
      "summary\tMRMC type I error, OR jackknife, random readers and cases, {} null studies\t"
      "{:.4f}\tin [0.04, 0.06]\t{}\n",
      studies, headline, met ? "met" : "NOT MET");
  return check && !met ? 1 : 0;
}

}  // namespace
}  // namespace assay::bench

int main(int argc, char** argv) { return assay::bench::GuardedMain(argc, argv, assay::bench::Run); }
