// Failure-slice discovery: where is the model significantly worse than on the
// rest of the cases, among slices nobody pre-specified?
//
// A slice is a conjunction of up to three conditions on different features:
// a categorical level ("vendor = Vendor C", "sex = (missing)") or a cut of a
// numeric feature at one of its quantiles ("lesion_size_mm <= 4.1"). Every
// slice with enough cases is tested, for each metric, against its complement
// with Fisher's one-sided exact test; the Benjamini–Hochberg procedure
// controls the false-discovery rate over every test made. Discoveries are
// ranked by deficit × share of cases. A discovery is folded into a better-ranked
// reported slice it repeats: a near-duplicate (case sets that mostly coincide),
// a refinement not significantly worse than the rest of the slice it refines,
// or an overlapping slice whose cases outside the reported one are not
// significantly worse than the cases in neither; and a reported slice that
// holds a later-ranked one gives way to it when, outside it, the slice is shown
// not to be worse (the deficit's upper bound under the minimum). A refinement
// of a reported slice ranks by its deficit beyond that slice's. Pure computation over
// arrays; thread-safe; deterministic (no randomness).
//
//   auto found = analysis::FindFailureSlices(truth, predicted, margin, ids, features, {});
//   for (const auto& slice : found.slices) std::cout << slice.description << "\n";
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "assay/stats/interval.h"

namespace assay::analysis {

// A column slices may condition on: categorical (levels and one code per
// case) or numeric (one value per case, NaN where missing).
struct SliceFeature {
  std::string name;
  std::vector<std::string> levels;  // categorical
  std::vector<std::uint32_t> codes;
  std::vector<double> values;  // numeric
  bool numeric() const { return !values.empty(); }
};

enum class SliceMetric { kErrorRate, kSensitivity, kSpecificity };

// "error_rate", "sensitivity", "specificity".
std::string_view SliceMetricName(SliceMetric metric);

// Whether a case of this truth enters the metric: positives for sensitivity,
// negatives for specificity, every case for the error rate.
bool MetricCounts(SliceMetric metric, bool positive);
std::optional<SliceMetric> ParseSliceMetric(std::string_view name);

struct SliceSearchOptions {
  std::size_t max_conditions = 3;
  std::size_t minimum_cases = 30;  // and at least minimum_share of all cases
  double minimum_share = 0.01;
  // Larger slices are tested but not reported: when most cases are worse than the rest, the
  // rest is the exception and the weakness is the model's, not a slice's.
  double maximum_share = 0.5;
  std::size_t minimum_class_cases = 10;  // positives (sensitivity), negatives (specificity)
  // The error rate is opt-in: it moves with a slice's share of positives, so slices that
  // merely select more positives (a feature only positives have) would crowd the list.
  std::vector<SliceMetric> metrics = {SliceMetric::kSensitivity, SliceMetric::kSpecificity};
  double fdr = 0.05;              // Benjamini–Hochberg level over every test
  double minimum_deficit = 0.05;  // discoveries smaller than this are not reported
  double level = 0.95;            // of the intervals
  std::vector<double> quantiles = {0.1, 0.25, 0.5, 0.75, 0.9};  // cuts of numeric features
  double merge_overlap = 0.8;                                   // Jaccard index of near-duplicates
  std::size_t max_reported = 20;
  std::size_t examples = 5;
};

struct SliceCondition {
  std::string feature;
  std::string op;     // "=", "<=", ">", "missing"
  std::string level;  // for "="
  double cut = 0.0;   // for "<=" and ">"
  std::string text;   // "vendor = Vendor C", "age <= 42.5", "age missing"
};

// One metric in a slice against the rest of the cases.
struct SliceMetricResult {
  SliceMetric metric = SliceMetric::kErrorRate;
  std::uint64_t trials = 0, events = 0;  // events: correct calls (sens/spec) or errors
  double estimate = 0.0;
  stats::Interval interval;  // Wilson
  std::uint64_t rest_trials = 0, rest_events = 0;
  double rest_estimate = 0.0;
  stats::Interval rest_interval;
  // How much worse the slice is (positive = worse): rest − slice for sensitivity and
  // specificity, slice − rest for the error rate; Newcombe's interval.
  double deficit = 0.0;
  stats::Interval deficit_interval;
  double p_value = 1.0;  // Fisher's exact, one-sided (slice worse)
  double q_value = 1.0;  // Benjamini–Hochberg over every test of the search
};

struct FailureSlice {
  std::vector<SliceCondition> conditions;
  std::string description;  // the conditions joined by " and "
  std::uint64_t cases = 0;
  double share = 0.0;                   // of all cases
  SliceMetricResult result;             // the metric that ranked it
  std::vector<SliceMetricResult> also;  // other metrics significantly worse in the same cases
  double rank_score = 0.0;            // deficit × share; for a refinement of a reported slice, the
                                      // deficit beyond that slice's × share
  std::vector<std::string> merged;    // descriptions of slices folded into this one
  std::vector<std::string> examples;  // ids of its most confident errors for `result.metric`
  std::vector<std::size_t> rows;      // the slice's cases (row indices), ascending
};

struct SliceSearchResult {
  std::vector<FailureSlice> slices;  // reported, best first
  std::uint64_t slices_tested = 0;   // slices with enough cases
  std::uint64_t tests = 0;           // slice × metric tests in the FDR family
  std::uint64_t discoveries = 0;     // tests with q <= fdr and deficit >= minimum_deficit
  std::vector<std::string> features;
  SliceSearchOptions options;
};

// Searches the cases for failure slices. truth[i] is 1 for a positive case,
// predicted[i] 1 where the model calls it positive at the operating point;
// margin[i] (optional, may be empty) how confident the call is (e.g.
// |score − threshold|), which orders the example errors; ids may be empty
// (examples then give row numbers). Features must have one entry per case.
SliceSearchResult FindFailureSlices(std::span<const std::uint8_t> truth,
                                    std::span<const std::uint8_t> predicted,
                                    std::span<const double> margin,
                                    std::span<const std::string> ids,
                                    std::span<const SliceFeature> features,
                                    const SliceSearchOptions& options);

}  // namespace assay::analysis
