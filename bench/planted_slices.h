// Case tables with planted failure slices, for measuring failure-slice
// discovery where the answer is known (bench/slice_discovery_bench.cpp and
// tests/analysis/failure_slices_test.cpp).
//
// A configuration draws, from its seed: 3–5 categorical features (2–6 levels
// of random weights, one with 3% missing values), 2–3 numeric ones (age; a
// lesion size present for positives only; a noise estimate), the prevalence,
// and binormal scores (negatives N(0, 1), positives N(2.07, 1), threshold
// 1.036: sensitivity and specificity 0.85). Then 1–2 slices are planted, each
// a conjunction of 1–2 random conditions (a level, or a numeric cut at a
// random quantile) holding 5–25% of the cases, in which the positives' scores
// are lowered so that the sensitivity falls by a random 10–25 points. A null
// configuration plants nothing. Everything is a pure function of the seed.
#pragma once

#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "assay/analysis/failure_slices.h"
#include "assay/core/random.h"
#include "binormal.h"

namespace assay::bench {

struct PlantedSlice {
  std::string description;
  double sensitivity_drop = 0.0;
  std::vector<std::uint8_t> member;  // per case
  std::size_t cases = 0;
};

struct PlantedTable {
  std::vector<std::uint8_t> truth, predicted;
  std::vector<double> margin;
  std::vector<analysis::SliceFeature> features;
  std::vector<PlantedSlice> planted;
};

inline PlantedTable MakePlantedTable(std::uint64_t seed, std::size_t cases, bool plant) {
  constexpr double kSeparation = 2.0 * 1.0364333894937898;  // 2 z(0.85)
  constexpr double kThreshold = kSeparation / 2.0;
  RandomStream draw(seed, PurposeId("planted_slices_config"), 0);
  NormalDraws normal(RandomStream(seed, PurposeId("planted_slices_cases"), 0));
  auto uniform = [&](double lo, double hi) { return lo + (hi - lo) * draw.NextUniform(); };

  PlantedTable t;
  const double prevalence = uniform(0.25, 0.5);
  t.truth.resize(cases);
  for (auto& y : t.truth) y = draw.NextUniform() < prevalence ? 1 : 0;

  static const char* kNames[] = {"vendor", "site", "protocol", "view", "sex"};
  const auto categorical = 3 + draw.NextBelow(3);
  const auto with_missing = draw.NextBelow(categorical);
  for (std::size_t f = 0; f < categorical; ++f) {
    analysis::SliceFeature feature;
    feature.name = kNames[f];
    const auto levels = 2 + draw.NextBelow(5);
    std::vector<double> weight(levels);
    double sum = 0;
    for (auto& w : weight) sum += (w = 0.3 + draw.NextUniform());
    for (std::size_t l = 0; l < levels; ++l)
      feature.levels.push_back(feature.name + "-" + std::to_string(l + 1));
    if (f == with_missing) feature.levels.push_back("(missing)");
    for (std::size_t i = 0; i < cases; ++i) {
      if (f == with_missing && draw.NextUniform() < 0.03) {
        feature.codes.push_back(static_cast<std::uint32_t>(levels));
        continue;
      }
      double u = draw.NextUniform() * sum;
      std::uint32_t l = 0;
      while (l + 1 < levels && u >= weight[l]) u -= weight[l++];
      feature.codes.push_back(l);
    }
    t.features.push_back(std::move(feature));
  }
  const auto numeric = 2 + draw.NextBelow(2);
  for (std::size_t f = 0; f < numeric; ++f) {
    analysis::SliceFeature feature;
    feature.name = f == 0 ? "age" : f == 1 ? "lesion_size_mm" : "noise";
    for (std::size_t i = 0; i < cases; ++i) {
      if (f == 0) feature.values.push_back(std::round(uniform(20, 90)));
      if (f == 1) feature.values.push_back(t.truth[i] ? uniform(2, 12) : std::nan(""));
      if (f == 2) feature.values.push_back(std::exp(0.4 * normal.Next()));
    }
    t.features.push_back(std::move(feature));
  }

  std::vector<double> score(cases);
  for (std::size_t i = 0; i < cases; ++i) score[i] = normal.Next() + (t.truth[i] ? kSeparation : 0);

  const std::size_t plants = plant ? 1 + draw.NextBelow(2) : 0;
  const boost::math::normal_distribution<double> standard;
  for (std::size_t p = 0; p < plants; ++p) {
    PlantedSlice slice;
    for (int attempt = 0; attempt < 200; ++attempt) {
      const auto conditions = 1 + draw.NextBelow(2);
      slice.member.assign(cases, 1);
      slice.description.clear();
      std::size_t used = t.features.size();
      for (std::size_t c = 0; c < conditions; ++c) {
        std::size_t f = draw.NextBelow(t.features.size());
        if (f == used) f = (f + 1) % t.features.size();
        used = f;
        const auto& feature = t.features[f];
        if (!slice.description.empty()) slice.description += " and ";
        if (!feature.numeric()) {
          const auto level = static_cast<std::uint32_t>(draw.NextBelow(feature.levels.size()));
          slice.description += feature.name + " = " + feature.levels[level];
          for (std::size_t i = 0; i < cases; ++i)
            if (feature.codes[i] != level) slice.member[i] = 0;
        } else {
          std::vector<double> sorted;
          for (double v : feature.values)
            if (!std::isnan(v)) sorted.push_back(v);
          std::sort(sorted.begin(), sorted.end());
          const bool below = draw.NextBelow(2) == 0;
          const double q = below ? uniform(0.1, 0.4) : uniform(0.6, 0.9);
          const double cut =
              sorted[static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1))];
          slice.description += feature.name + (below ? " <= " : " > ") + std::to_string(cut);
          for (std::size_t i = 0; i < cases; ++i) {
            const double v = feature.values[i];
            if (std::isnan(v) || (below ? v > cut : v <= cut)) slice.member[i] = 0;
          }
        }
      }
      slice.cases = 0;
      for (auto m : slice.member) slice.cases += m;
      const double share = static_cast<double>(slice.cases) / static_cast<double>(cases);
      if (share >= 0.05 && share <= 0.25) break;
      slice.cases = 0;
    }
    if (slice.cases == 0) continue;
    slice.sensitivity_drop = uniform(0.10, 0.25);
    const double shift =
        kSeparation - kThreshold - boost::math::quantile(standard, 0.85 - slice.sensitivity_drop);
    for (std::size_t i = 0; i < cases; ++i) {
      if (slice.member[i] && t.truth[i]) score[i] -= shift;
    }
    t.planted.push_back(std::move(slice));
  }
  for (std::size_t i = 0; i < cases; ++i) {
    t.predicted.push_back(score[i] > kThreshold ? 1 : 0);
    t.margin.push_back(std::abs(score[i] - kThreshold));
  }
  return t;
}

// The Jaccard index between a planted slice and a reported one.
inline double Overlap(const PlantedSlice& planted, const analysis::FailureSlice& found) {
  std::size_t shared = 0;
  for (std::size_t row : found.rows) shared += planted.member[row];
  return static_cast<double>(shared) /
         static_cast<double>(planted.cases + found.rows.size() - shared);
}

// Whether a planted slice is among the first `top` reported slices (overlap >= 0.5).
inline bool FoundInTop(const PlantedSlice& planted, const analysis::SliceSearchResult& result,
                       std::size_t top) {
  for (std::size_t k = 0; k < result.slices.size() && k < top; ++k) {
    if (Overlap(planted, result.slices[k]) >= 0.5) return true;
  }
  return false;
}

}  // namespace assay::bench
