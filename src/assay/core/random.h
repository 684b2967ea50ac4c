// Counter-based random numbers keyed by (seed, purpose, replicate, index).
//
// Every random procedure in assay draws from a stream identified by a key
// rather than from a shared sequential generator, so results do not depend
// on thread count, shard count or order of work. A stream is a pure function
// of its key: two threads holding the same key see the same numbers.
//
// The mixer is SplitMix64's finalizer applied to a Weyl sequence over the
// key; hand-written because no Debian-packaged library (Boost 1.74 included)
// offers a counter-based generator. Thread-safe: a Stream is a small value.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace assay {

// Stable 64-bit identifier of a procedure ("bootstrap_auc", ...), so that two
// procedures with the same seed draw independent numbers.
constexpr std::uint64_t PurposeId(std::string_view purpose) {
  std::uint64_t hash = 1469598103934665603ULL;  // FNV-1a offset basis
  for (char c : purpose) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

constexpr std::uint64_t Mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

class RandomStream {
 public:
  // Lets a stream drive standard and Boost distributions.
  using result_type = std::uint64_t;
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return ~result_type{0}; }
  result_type operator()() { return NextU64(); }

  RandomStream(std::uint64_t seed, std::uint64_t purpose, std::uint64_t replicate,
               std::uint64_t index = 0)
      : state_(Mix64(Mix64(Mix64(seed ^ Mix64(purpose)) ^ replicate) ^ index)) {}

  std::uint64_t NextU64() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return Mix64(state_);
  }

  // Uniform on [0, 1) with 53 random bits.
  double NextUniform() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }

  // Uniform integer in [0, bound) without modulo bias (Lemire's method).
  std::uint64_t NextBelow(std::uint64_t bound) {
    __extension__ using Wide = unsigned __int128;
    Wide product = static_cast<Wide>(NextU64()) * bound;
    auto low = static_cast<std::uint64_t>(product);
    if (low < bound) {
      const std::uint64_t threshold = -bound % bound;
      while (low < threshold) {
        product = static_cast<Wide>(NextU64()) * bound;
        low = static_cast<std::uint64_t>(product);
      }
    }
    return static_cast<std::uint64_t>(product >> 64);
  }

 private:
  std::uint64_t state_;
};

// A Poisson(1) count from `stream`, by inversion of its distribution function (a table of 20
// cumulative probabilities; a count above 19 has probability below 1e-19): the weight of one
// case in a Poisson bootstrap, without Boost's sampler's transcendental call per draw.
inline std::uint32_t PoissonOne(RandomStream& stream) {
  static const std::array<double, 20> kCumulative = [] {
    std::array<double, 20> cumulative{};
    double term = std::exp(-1.0), sum = 0.0;
    for (std::size_t k = 0; k < cumulative.size(); ++k) {
      sum += term;
      cumulative[k] = sum;
      term /= static_cast<double>(k + 1);
    }
    return cumulative;
  }();
  const double u = stream.NextUniform();
  std::uint32_t k = 0;
  while (k + 1 < kCumulative.size() && u >= kCumulative[k]) ++k;
  return k;
}

}  // namespace assay
