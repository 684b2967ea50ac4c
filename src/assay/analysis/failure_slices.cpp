#include "assay/analysis/failure_slices.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <numeric>

#include "assay/stats/hypothesis_tests.h"
#include "assay/stats/multiplicity.h"
#include "assay/stats/proportion.h"

namespace assay::analysis {
namespace {

// A set of cases as one bit per row.
using Bits = std::vector<std::uint64_t>;

std::uint64_t Count(const Bits& bits) {
  std::uint64_t n = 0;
  for (std::uint64_t word : bits) n += static_cast<std::uint64_t>(std::popcount(word));
  return n;
}

Bits And(const Bits& a, const Bits& b) {
  Bits out(a.size());
  for (std::size_t w = 0; w < a.size(); ++w) out[w] = a[w] & b[w];
  return out;
}

std::uint64_t CountAnd(const Bits& a, const Bits& b) {
  std::uint64_t n = 0;
  for (std::size_t w = 0; w < a.size(); ++w)
    n += static_cast<std::uint64_t>(std::popcount(a[w] & b[w]));
  return n;
}

struct Atom {
  std::size_t feature;
  SliceCondition condition;
  Bits bits;
};

// The counts a slice's three metrics need.
struct Counts {
  std::uint64_t cases = 0, positives = 0, true_positives = 0, true_negatives = 0;
};

struct Slice {
  std::array<std::uint32_t, 3> atoms{};
  std::uint32_t size = 0;
  Counts counts;
};

struct Test {
  std::uint32_t slice;
  SliceMetric metric;
  double p;
};

// (correct calls, trials) of `metric` in counts.
std::pair<std::uint64_t, std::uint64_t> Correct(const Counts& c, SliceMetric metric) {
  switch (metric) {
    case SliceMetric::kSensitivity:
      return {c.true_positives, c.positives};
    case SliceMetric::kSpecificity:
      return {c.true_negatives, c.cases - c.positives};
    case SliceMetric::kErrorRate:
      break;
  }
  return {c.true_positives + c.true_negatives, c.cases};
}

Counts Minus(const Counts& all, const Counts& part) {
  return {all.cases - part.cases, all.positives - part.positives,
          all.true_positives - part.true_positives, all.true_negatives - part.true_negatives};
}

// The p-value that the cases of `part` are worse at `metric` than those of `rest`.
double WorseP(const Counts& part, const Counts& rest, SliceMetric metric) {
  const auto [part_correct, part_trials] = Correct(part, metric);
  const auto [rest_correct, rest_trials] = Correct(rest, metric);
  return stats::FisherExactLess(part_correct, part_trials, rest_correct, rest_trials);
}

// Whether `part` is worse than `rest` by at least the minimum deficit, significantly at
// the nominal level `fdr` (a check between two slices, outside the FDR family).
bool Worse(const Counts& part, const Counts& rest, SliceMetric metric,
           const SliceSearchOptions& options) {
  const auto [part_correct, part_trials] = Correct(part, metric);
  const auto [rest_correct, rest_trials] = Correct(rest, metric);
  if (part_trials == 0 || rest_trials == 0) return false;
  const double deficit = static_cast<double>(rest_correct) / static_cast<double>(rest_trials) -
                         static_cast<double>(part_correct) / static_cast<double>(part_trials);
  return deficit >= options.minimum_deficit && WorseP(part, rest, metric) <= options.fdr;
}

SliceMetricResult Describe(const Counts& slice, const Counts& all, SliceMetric metric,
                           double level) {
  const Counts rest = Minus(all, slice);
  const auto [correct, trials] = Correct(slice, metric);
  const auto [rest_correct, rest_trials] = Correct(rest, metric);
  SliceMetricResult r;
  r.metric = metric;
  r.trials = trials;
  r.rest_trials = rest_trials;
  const bool errors = metric == SliceMetric::kErrorRate;
  r.events = errors ? trials - correct : correct;
  r.rest_events = errors ? rest_trials - rest_correct : rest_correct;
  r.estimate = static_cast<double>(r.events) / static_cast<double>(trials);
  r.rest_estimate = static_cast<double>(r.rest_events) / static_cast<double>(rest_trials);
  r.interval = stats::ProportionInterval(r.events, trials, level, stats::ProportionMethod::kWilson);
  r.rest_interval = stats::ProportionInterval(r.rest_events, rest_trials, level,
                                              stats::ProportionMethod::kWilson);
  // Worse is lower for sensitivity and specificity, higher for the error rate.
  const stats::ProportionDifference d =
      errors ? stats::NewcombeDifference(r.events, trials, r.rest_events, rest_trials, level)
             : stats::NewcombeDifference(r.rest_events, rest_trials, r.events, trials, level);
  r.deficit = d.estimate;
  r.deficit_interval = d.interval;
  return r;
}

std::string FormatCut(double value) { return fmt::format("{:.4g}", value); }

// The conditions single features offer: each level of a categorical feature, and
// "<= c" / "> c" at each distinct quantile c of a numeric one, plus "missing".
std::vector<Atom> MakeAtoms(std::span<const SliceFeature> features, std::size_t cases,
                            std::size_t words, std::uint64_t minimum,
                            const SliceSearchOptions& options) {
  std::vector<Atom> atoms;
  for (std::size_t f = 0; f < features.size(); ++f) {
    const SliceFeature& feature = features[f];
    auto add = [&](SliceCondition condition, auto&& member) {
      Atom atom{f, std::move(condition), Bits(words, 0)};
      for (std::size_t i = 0; i < cases; ++i) {
        if (member(i)) atom.bits[i / 64] |= std::uint64_t{1} << (i % 64);
      }
      atoms.push_back(std::move(atom));
    };
    if (!feature.numeric()) {
      // Levels too small to be a slice get no bit set: a column of many levels (an
      // identifier, say) costs one pass over the cases, not one per level.
      std::vector<std::uint64_t> size(feature.levels.size(), 0);
      for (std::uint32_t code : feature.codes) ++size[code];
      std::vector<std::size_t> atom_of(feature.levels.size(), SIZE_MAX);
      for (std::uint32_t level = 0; level < feature.levels.size(); ++level) {
        if (size[level] < minimum) continue;
        const std::string& name = feature.levels[level];
        atom_of[level] = atoms.size();
        atoms.push_back(
            Atom{f, SliceCondition{feature.name, "=", name, 0.0, feature.name + " = " + name},
                 Bits(words, 0)});
      }
      for (std::size_t i = 0; i < cases; ++i) {
        const std::size_t a = atom_of[feature.codes[i]];
        if (a != SIZE_MAX) atoms[a].bits[i / 64] |= std::uint64_t{1} << (i % 64);
      }
      continue;
    }
    std::vector<double> sorted;
    for (double v : feature.values) {
      if (!std::isnan(v)) sorted.push_back(v);
    }
    if (sorted.size() < feature.values.size()) {
      add(SliceCondition{feature.name, "missing", "", 0.0, feature.name + " missing"},
          [&](std::size_t i) { return std::isnan(feature.values[i]); });
    }
    if (sorted.empty()) continue;
    std::sort(sorted.begin(), sorted.end());
    std::vector<double> cuts;
    for (double q : options.quantiles) {
      const auto k = static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1));
      const double cut = sorted[k];
      if (cut < sorted.back() && std::find(cuts.begin(), cuts.end(), cut) == cuts.end())
        cuts.push_back(cut);
    }
    for (double cut : cuts) {
      add(SliceCondition{feature.name, "<=", "", cut, feature.name + " <= " + FormatCut(cut)},
          [&](std::size_t i) { return feature.values[i] <= cut; });
      add(SliceCondition{feature.name, ">", "", cut, feature.name + " > " + FormatCut(cut)},
          [&](std::size_t i) { return feature.values[i] > cut; });
    }
  }
  return atoms;
}

struct Kept {
  FailureSlice slice;
  Bits bits;
  Counts counts;
  double plain_rank = 0.0;           // deficit x share
  std::vector<std::size_t> parents;  // reported slices it refines (its rank discounts theirs)
};

}  // namespace

std::string_view SliceMetricName(SliceMetric metric) {
  switch (metric) {
    case SliceMetric::kErrorRate:
      return "error_rate";
    case SliceMetric::kSensitivity:
      return "sensitivity";
    case SliceMetric::kSpecificity:
      return "specificity";
  }
  return "error_rate";
}

bool MetricCounts(SliceMetric metric, bool positive) {
  return metric == SliceMetric::kErrorRate || (metric == SliceMetric::kSensitivity) == positive;
}

std::optional<SliceMetric> ParseSliceMetric(std::string_view name) {
  for (SliceMetric m :
       {SliceMetric::kErrorRate, SliceMetric::kSensitivity, SliceMetric::kSpecificity}) {
    if (SliceMetricName(m) == name) return m;
  }
  return std::nullopt;
}

SliceSearchResult FindFailureSlices(std::span<const std::uint8_t> truth,
                                    std::span<const std::uint8_t> predicted,
                                    std::span<const double> margin,
                                    std::span<const std::string> ids,
                                    std::span<const SliceFeature> features,
                                    const SliceSearchOptions& options) {
  SliceSearchResult result;
  result.options = options;
  for (const SliceFeature& f : features) result.features.push_back(f.name);
  const std::size_t n = truth.size();
  if (n == 0) return result;
  const std::size_t words = (n + 63) / 64;

  Bits all(words, 0), positive(words, 0), true_positive(words, 0), true_negative(words, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t bit = std::uint64_t{1} << (i % 64);
    all[i / 64] |= bit;
    if (truth[i] != 0) positive[i / 64] |= bit;
    if (truth[i] != 0 && predicted[i] != 0) true_positive[i / 64] |= bit;
    if (truth[i] == 0 && predicted[i] == 0) true_negative[i / 64] |= bit;
  }
  auto counts_of = [&](const Bits& s) {
    return Counts{Count(s), CountAnd(s, positive), CountAnd(s, true_positive),
                  CountAnd(s, true_negative)};
  };
  const Counts total = counts_of(all);
  const auto minimum = std::max<std::uint64_t>(
      options.minimum_cases,
      static_cast<std::uint64_t>(std::ceil(options.minimum_share * static_cast<double>(n))));
  const std::uint64_t maximum = n - 1;  // a slice needs a complement

  const std::vector<Atom> atoms = MakeAtoms(features, n, words, minimum, options);
  std::vector<Slice> slices;
  auto consider = [&](const Bits& bits, std::array<std::uint32_t, 3> members, std::uint32_t size) {
    Counts c = counts_of(bits);
    if (c.cases < minimum || c.cases > maximum) return false;
    slices.push_back({members, size, c});
    return true;
  };
  // Level by level: a conjunction can only be as large as each of its parts.
  std::vector<std::pair<std::array<std::uint32_t, 3>, Bits>> pairs;
  std::vector<std::uint32_t> usable;
  for (std::uint32_t a = 0; a < atoms.size(); ++a) {
    if (consider(atoms[a].bits, {a, 0, 0}, 1)) usable.push_back(a);
  }
  if (options.max_conditions >= 2) {
    for (std::size_t x = 0; x < usable.size(); ++x) {
      for (std::size_t y = x + 1; y < usable.size(); ++y) {
        const std::uint32_t a = usable[x], b = usable[y];
        if (atoms[a].feature == atoms[b].feature) continue;
        Bits bits = And(atoms[a].bits, atoms[b].bits);
        if (consider(bits, {a, b, 0}, 2) && options.max_conditions >= 3)
          pairs.emplace_back(std::array<std::uint32_t, 3>{a, b, 0}, std::move(bits));
      }
    }
  }
  for (const auto& [members, bits] : pairs) {
    for (std::uint32_t c : usable) {
      if (c <= members[1] || atoms[c].feature == atoms[members[0]].feature ||
          atoms[c].feature == atoms[members[1]].feature)
        continue;
      consider(And(bits, atoms[c].bits), {members[0], members[1], c}, 3);
    }
  }
  pairs.clear();
  result.slices_tested = slices.size();

  std::vector<Test> tests;
  for (std::uint32_t s = 0; s < slices.size(); ++s) {
    const Counts rest = Minus(total, slices[s].counts);
    for (SliceMetric metric : options.metrics) {
      const auto trials = Correct(slices[s].counts, metric).second;
      const auto rest_trials = Correct(rest, metric).second;
      const std::uint64_t needed = metric == SliceMetric::kErrorRate
                                       ? 1
                                       : std::max<std::uint64_t>(1, options.minimum_class_cases);
      if (trials < needed || rest_trials == 0) continue;
      tests.push_back({s, metric, WorseP(slices[s].counts, rest, metric)});
    }
  }
  result.tests = tests.size();
  std::vector<double> p(tests.size());
  for (std::size_t t = 0; t < tests.size(); ++t) p[t] = tests[t].p;
  const std::vector<double> q = stats::AdjustPValues(p, stats::Multiplicity::kBenjaminiHochberg);

  struct Discovery {
    std::size_t test;
    SliceMetricResult metric;
    double rank;
  };
  std::vector<Discovery> found;
  for (std::size_t t = 0; t < tests.size(); ++t) {
    if (q[t] > options.fdr) continue;
    SliceMetricResult r =
        Describe(slices[tests[t].slice].counts, total, tests[t].metric, options.level);
    if (r.deficit < options.minimum_deficit) continue;
    r.p_value = tests[t].p;
    r.q_value = q[t];
    const double share =
        static_cast<double>(slices[tests[t].slice].counts.cases) / static_cast<double>(n);
    found.push_back({t, r, r.deficit * share});
  }
  result.discoveries = found.size();
  std::stable_sort(found.begin(), found.end(), [](const Discovery& a, const Discovery& b) {
    if (a.rank != b.rank) return a.rank > b.rank;
    return a.metric.p_value < b.metric.p_value;
  });

  // A reported slice from a discovery: its cases, its most confident errors, its rank.
  auto make_kept = [&](const Discovery& d, const Slice& s, Bits bits,
                       std::vector<SliceCondition> conditions, std::string description,
                       std::optional<double> parent_deficit) {
    const SliceMetric metric = d.metric.metric;
    FailureSlice slice;
    slice.conditions = std::move(conditions);
    slice.description = std::move(description);
    slice.cases = s.counts.cases;
    slice.share = static_cast<double>(s.counts.cases) / static_cast<double>(n);
    slice.result = d.metric;
    // A refinement ranks by what it adds to the slice it refines.
    slice.rank_score =
        parent_deficit ? std::max(0.0, d.metric.deficit - *parent_deficit) * slice.share : d.rank;
    std::vector<std::size_t> errors;
    for (std::size_t i = 0; i < n; ++i) {
      if ((bits[i / 64] >> (i % 64) & 1U) == 0) continue;
      slice.rows.push_back(i);
      const bool wrong = truth[i] != predicted[i];
      if (wrong && MetricCounts(metric, truth[i] != 0)) errors.push_back(i);
    }
    if (!margin.empty()) {
      // NaN margins (indeterminate outputs) last.
      auto key = [&](std::size_t i) {
        return std::isnan(margin[i]) ? -std::numeric_limits<double>::infinity() : margin[i];
      };
      std::stable_sort(errors.begin(), errors.end(),
                       [&](std::size_t a, std::size_t b) { return key(a) > key(b); });
    }
    for (std::size_t k = 0; k < errors.size() && k < options.examples; ++k) {
      slice.examples.push_back(ids.empty() ? fmt::format("row {}", errors[k] + 1) : ids[errors[k]]);
    }
    return Kept{std::move(slice), std::move(bits), s.counts, d.rank, {}};
  };

  std::vector<Kept> kept;
  for (const Discovery& d : found) {
    const Slice& s = slices[tests[d.test].slice];
    Bits bits = atoms[s.atoms[0]].bits;
    std::vector<SliceCondition> conditions;
    std::string description;
    for (std::uint32_t k = 0; k < s.size; ++k) {
      if (k > 0) {
        bits = And(bits, atoms[s.atoms[k]].bits);
        description += " and ";
      }
      conditions.push_back(atoms[s.atoms[k]].condition);
      description += conditions.back().text;
    }
    const SliceMetric metric = d.metric.metric;
    bool folded = false;
    std::optional<double> parent_deficit;  // of the reported slices it refines
    std::vector<std::size_t> parents;      // their indices in `kept`
    // First near-duplicates of any reported slice, then the slices it refines or overlaps.
    for (int pass = 0; pass < 2 && !folded; ++pass) {
      for (Kept& k : kept) {
        const std::uint64_t shared = CountAnd(bits, k.bits);
        const double jaccard = static_cast<double>(shared) /
                               static_cast<double>(s.counts.cases + k.counts.cases - shared);
        const bool same_metric = k.slice.result.metric == metric;
        // A slice too large to report absorbs nothing: what folds into it would be lost.
        const bool reportable = k.slice.share <= options.maximum_share;
        bool fold = pass == 0 && reportable && jaccard >= options.merge_overlap;
        if (pass == 1 && same_metric && reportable && shared == s.counts.cases) {
          // A refinement: kept only when it is worse than the rest of what it refines.
          fold = !Worse(s.counts, Minus(k.counts, s.counts), metric, options);
          if (!fold) {
            parent_deficit = std::max(parent_deficit.value_or(0.0), k.slice.result.deficit);
            parents.push_back(static_cast<std::size_t>(&k - kept.data()));
          }
        } else if (pass == 1 && same_metric && reportable && 2 * shared >= s.counts.cases) {
          // Mostly inside the reported slice (or coarser than it): kept only when its cases
          // outside the reported slice are worse than the cases in neither.
          Bits neither(words);
          for (std::size_t w = 0; w < words; ++w) neither[w] = all[w] & ~bits[w] & ~k.bits[w];
          fold = !Worse(Minus(s.counts, counts_of(And(bits, k.bits))), counts_of(neither), metric,
                        options);
        }
        if (!fold) continue;
        folded = true;
        // Of two near-duplicates with the same metric, the one with fewer conditions speaks.
        if (pass == 0 && same_metric && conditions.size() < k.slice.conditions.size()) {
          Kept simpler = make_kept(d, s, bits, conditions, description, std::nullopt);
          simpler.slice.also = std::move(k.slice.also);
          simpler.slice.merged = std::move(k.slice.merged);
          simpler.slice.merged.insert(simpler.slice.merged.begin(), k.slice.description);
          k = std::move(simpler);
          break;
        }
        const bool known_metric =
            same_metric ||
            std::any_of(k.slice.also.begin(), k.slice.also.end(),
                        [&](const SliceMetricResult& r) { return r.metric == metric; });
        if (!known_metric && pass == 0 && shared == k.counts.cases && shared == s.counts.cases)
          k.slice.also.push_back(d.metric);
        if (description != k.slice.description &&
            std::find(k.slice.merged.begin(), k.slice.merged.end(), description) ==
                k.slice.merged.end())
          k.slice.merged.push_back(description);
        break;
      }
    }
    if (folded) continue;
    kept.push_back(make_kept(d, s, std::move(bits), std::move(conditions), std::move(description),
                             parent_deficit));
    kept.back().plain_rank = d.rank;
    kept.back().parents = std::move(parents);
  }
  // A reported slice that holds a later one (same metric) and is, outside it, shown not
  // to be worse than the cases outside both (the deficit's upper bound is under the
  // minimum): its deficit lies in the later slice, which replaces it.
  std::vector<bool> replaced(kept.size(), false);
  for (std::size_t i = 0; i < kept.size(); ++i) {
    for (std::size_t j = i + 1; j < kept.size() && !replaced[i]; ++j) {
      const SliceMetric metric = kept[i].slice.result.metric;
      if (replaced[j] || kept[j].slice.result.metric != metric ||
          CountAnd(kept[i].bits, kept[j].bits) != kept[j].counts.cases)
        continue;
      const Counts outside = Minus(kept[i].counts, kept[j].counts);
      if (Correct(outside, metric).second > 0 &&
          Correct(Minus(total, kept[i].counts), metric).second > 0 &&
          Describe(outside, Minus(total, kept[j].counts), metric, options.level)
                  .deficit_interval.upper >= options.minimum_deficit)
        continue;
      replaced[i] = true;
      std::vector<std::string>& merged = kept[j].slice.merged;
      merged.push_back(kept[i].slice.description);
      merged.insert(merged.end(), kept[i].slice.merged.begin(), kept[i].slice.merged.end());
    }
  }
  // One holding most cases describes the model, not a slice: it takes part in the folding
  // but is not reported.
  for (std::size_t i = 0; i < kept.size(); ++i) {
    if (replaced[i] || kept[i].slice.share > options.maximum_share) continue;
    // A refinement whose every parent gave way ranks on its own again.
    if (!kept[i].parents.empty() &&
        std::all_of(kept[i].parents.begin(), kept[i].parents.end(),
                    [&](std::size_t parent) { return replaced[parent]; }))
      kept[i].slice.rank_score = kept[i].plain_rank;
    result.slices.push_back(std::move(kept[i].slice));
  }
  std::stable_sort(
      result.slices.begin(), result.slices.end(),
      [](const FailureSlice& a, const FailureSlice& b) { return a.rank_score > b.rank_score; });
  if (result.slices.size() > options.max_reported) result.slices.resize(options.max_reported);
  return result;
}

}  // namespace assay::analysis
