// Shift analysis at scale: 50 attributes (25 numeric, 25 categorical with 2-12
// levels) between two cohorts of 10^6 cases each, ten of them shifted (a
// fifth of the target moved to one level, or a numeric mean moved by 0.3 SD); the
// peer is scipy's ks_2samp and chi2_contingency over the same attributes, run
// in the same run by bench/shift_peer.py on the same numbers (written to a
// temporary folder as raw arrays). Prints both times, the ratio, and the
// largest difference between the KS statistics and chi-square statistics.
//
// Usage: shift_bench [--cases=N] [--attributes=N]
// Target: assay's analysis (with 200 Poisson-bootstrap replicates per effect
// size) under 30 s on two cores.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "assay/analysis/shift.h"
#include "bench_support.h"
#include "binormal.h"

namespace assay::bench {
namespace {

namespace fs = std::filesystem;

template <typename T>
void WriteRaw(const fs::path& path, const std::vector<T>& values) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(values.data()),
            static_cast<std::streamsize>(values.size() * sizeof(T)));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

int Run(int argc, char** argv) {
  std::size_t cases = 1'000'000, attributes = 50;
  TakeFlags(argc, argv,
            {{"--cases=", [&](const char* v) { cases = std::stoull(v); }},
             {"--attributes=", [&](const char* v) { attributes = std::stoull(v); }}});
  std::vector<analysis::ShiftSample> samples(attributes);
  for (std::size_t a = 0; a < attributes; ++a) {
    analysis::ShiftSample& s = samples[a];
    s.name = fmt::format("attribute_{:02}", a);
    const bool shifted = a % 10 == 3 || a % 10 == 4;
    RandomStream stream(20261204, PurposeId("shift_bench"), a);
    if (a % 2 == 0) {
      s.numeric = true;
      NormalDraws normal(stream);
      for (std::size_t i = 0; i < cases; ++i)
        s.reference.push_back(std::round(100 * normal.Next()) / 100);
      for (std::size_t i = 0; i < cases; ++i)
        s.target.push_back(std::round(100 * (normal.Next() + (shifted ? 0.3 : 0.0))) / 100);
    } else {
      const std::size_t levels = 2 + a % 11;
      for (std::size_t l = 0; l < levels; ++l) s.levels.push_back(fmt::format("level {}", l));
      for (std::size_t i = 0; i < cases; ++i)
        s.reference_codes.push_back(static_cast<std::uint32_t>(stream.NextBelow(levels)));
      for (std::size_t i = 0; i < cases; ++i) {
        const bool first = shifted && stream.NextUniform() < 0.2;
        s.target_codes.push_back(first ? 0 : static_cast<std::uint32_t>(stream.NextBelow(levels)));
      }
    }
  }
  const auto start = std::chrono::steady_clock::now();
  const analysis::ShiftResult result = analysis::CompareCohorts(samples, {});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::size_t shifted = 0, minor = 0;
  for (const auto& a : result.attributes) {
    shifted += a.status == "shifted" ? 1 : 0;
    minor += a.status == "minor" ? 1 : 0;
  }
  fmt::print(
      "assay: {} attributes x 2 x {} cases in {:.2f} s; of the {} planted shifts (the "
      "fourth and fifth of every ten), {} attributes are shifted and {} minor\n",
      attributes, cases, seconds, 2 * ((attributes + 6) / 10), shifted, minor);

  // The same numbers for scipy.
  const fs::path folder =
      fs::temp_directory_path() / fmt::format("assay-shift-bench-{}", ::getpid());
  fs::create_directories(folder);
  nlohmann::json manifest = nlohmann::json::array();
  for (std::size_t a = 0; a < attributes; ++a) {
    const auto& s = samples[a];
    if (s.numeric) {
      WriteRaw(folder / (s.name + ".reference.f64"), s.reference);
      WriteRaw(folder / (s.name + ".target.f64"), s.target);
    } else {
      WriteRaw(folder / (s.name + ".reference.u32"), s.reference_codes);
      WriteRaw(folder / (s.name + ".target.u32"), s.target_codes);
    }
    manifest.push_back({{"name", s.name},
                        {"numeric", s.numeric},
                        {"levels", s.levels.size()},
                        {"statistic", result.attributes[a].statistic}});
  }
  std::ofstream(folder / "manifest.json") << manifest.dump();
  const std::string command =
      fmt::format("/usr/bin/python3 {}/shift_peer.py {}", ASSAY_BENCH_DIR, folder.string());
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run " + command);
  std::string output;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  const int status = ::pclose(pipe);
  fs::remove_all(folder);
  if (status != 0) throw std::runtime_error("the scipy peer failed:\n" + output);
  const nlohmann::json peer = nlohmann::json::parse(output);
  const double peer_seconds = peer["seconds"].get<double>();
  fmt::print(
      "scipy ks_2samp + chi2_contingency: {:.2f} s; largest relative difference of the "
      "statistics {:.2g}\n",
      peer_seconds, peer["largest_difference"].get<double>());
  fmt::print("summary\tshift analysis, {} attributes x 2 x 10^{:.0f} cases\t{:.1f} s\t< 30 s\t{}\n",
             attributes, std::log10(static_cast<double>(cases)), seconds,
             seconds < 30 ? "met" : "NOT MET");
  fmt::print("summary\tshift analysis vs scipy (tests only, no effect sizes)\t{:.1f}x\t\t\n",
             peer_seconds / seconds);
  return 0;
}

}  // namespace
}  // namespace assay::bench

int main(int argc, char** argv) { return assay::bench::GuardedMain(argc, argv, assay::bench::Run); }
