// Binormal case samples for the benchmarks: negatives' scores ~ N(0, 1),
// positives' ~ N(separation, 1), so the true AUC is Phi(separation / sqrt(2)).
//
// Normal draws use Box–Muller on assay::RandomStream; a sample is a pure
// function of (seed, stream), whatever the number of threads.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#include "assay/core/random.h"

namespace assay::bench {

inline constexpr std::uint64_t kBinormalPurpose = PurposeId("bench_binormal");

struct CaseSample {
  std::vector<double> score;
  std::vector<std::uint8_t> truth;  // 1 = positive
};

// Standard normal deviates from a stream, two per Box–Muller step.
class NormalDraws {
 public:
  explicit NormalDraws(RandomStream stream) : stream_(stream) {}

  double Next() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    // u1 in (0, 1], so the logarithm is finite.
    const double u1 = 1.0 - stream_.NextUniform();
    const double u2 = stream_.NextUniform();
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2.0 * std::numbers::pi * u2;
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return radius * std::cos(angle);
  }

  RandomStream& stream() { return stream_; }

 private:
  RandomStream stream_;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

// Appends `positives` positive then `negatives` negative cases drawn from `draws`.
inline void AppendBinormalCases(NormalDraws& draws, std::size_t positives, std::size_t negatives,
                                double separation, CaseSample& sample) {
  for (std::size_t i = 0; i < positives; ++i) {
    sample.score.push_back(separation + draws.Next());
    sample.truth.push_back(1);
  }
  for (std::size_t j = 0; j < negatives; ++j) {
    sample.score.push_back(draws.Next());
    sample.truth.push_back(0);
  }
}

// `count` cases, each positive with probability `prevalence`, in random
// order; drawn in blocks of 2^16 cases, block b from stream (seed, b).
inline CaseSample BinormalCases(std::size_t count, double prevalence, double separation,
                                std::uint64_t seed) {
  constexpr std::size_t kBlock = std::size_t{1} << 16;
  CaseSample sample;
  sample.score.resize(count);
  sample.truth.resize(count);
  for (std::size_t begin = 0; begin < count; begin += kBlock) {
    NormalDraws draws(RandomStream(seed, kBinormalPurpose, begin / kBlock));
    const std::size_t end = std::min(count, begin + kBlock);
    for (std::size_t k = begin; k < end; ++k) {
      const bool positive = draws.stream().NextUniform() < prevalence;
      sample.truth[k] = positive ? 1 : 0;
      sample.score[k] = (positive ? separation : 0.0) + draws.Next();
    }
  }
  return sample;
}

}  // namespace assay::bench
