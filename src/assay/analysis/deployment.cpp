#include "assay/analysis/deployment.h"

#include <fmt/format.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

#include "assay/core/random.h"
#include "assay/stats/bootstrap.h"
#include "assay/stats/sample_size.h"

namespace assay::analysis {
namespace {

constexpr std::uint64_t kReweightPurpose = PurposeId("deployment_reweight_bootstrap");

bool Positive(const std::string& metric) { return metric == "sensitivity"; }

// Smallest total n >= current with an interval half-width of at most `width` if the
// estimate held: the half-width falls with n, so a doubling then a bisection finds it.
std::optional<std::uint64_t> CasesForHalfWidth(double estimate, std::uint64_t current, double width,
                                               double level, stats::ProportionMethod method) {
  auto enough = [&](std::uint64_t n) {
    const auto successes =
        static_cast<std::uint64_t>(std::llround(estimate * static_cast<double>(n)));
    const stats::Interval ci = stats::ProportionInterval(successes, n, level, method);
    return (ci.upper - ci.lower) / 2.0 <= width;
  };
  std::uint64_t low = std::max<std::uint64_t>(current, 1);
  if (enough(low)) return low;
  std::uint64_t high = low;
  while (!enough(high)) {
    if (high > 100'000'000) return std::nullopt;
    low = high;
    high *= 2;
  }
  while (high - low > 1) {
    const std::uint64_t middle = low + (high - low) / 2;
    (enough(middle) ? high : low) = middle;
  }
  return high;
}

struct Counts {
  std::uint64_t cases = 0, positives = 0;
  std::vector<std::uint64_t> successes, trials;  // per metric
};

// Per level of `dimension`: cases, positives and each metric's successes and trials.
std::vector<Counts> CountStrata(std::span<const std::uint8_t> truth,
                                std::span<const ReadinessMetric> metrics,
                                const DeploymentDimension& dimension) {
  std::vector<Counts> counts(dimension.levels.size());
  for (Counts& c : counts) {
    c.successes.assign(metrics.size(), 0);
    c.trials.assign(metrics.size(), 0);
  }
  for (std::size_t i = 0; i < truth.size(); ++i) {
    Counts& c = counts[dimension.evidence_codes[i]];
    ++c.cases;
    c.positives += truth[i];
    for (std::size_t m = 0; m < metrics.size(); ++m) {
      const bool positive_metric = Positive(metrics[m].metric);
      if ((truth[i] == 1) != positive_metric) continue;
      ++c.trials[m];
      c.successes[m] += metrics[m].predicted[i] == truth[i] ? 1 : 0;
    }
  }
  return counts;
}

// Reweighted metric from per-stratum sums (weighted when bootstrapped): each stratum
// with the metric's class contributes share x class share of its cases.
std::optional<double> Reweight(const DeploymentDimension& dimension, std::span<const double> cases,
                               std::span<const double> class_cases,
                               std::span<const double> successes) {
  double weight_sum = 0.0, total = 0.0;
  for (std::size_t l = 0; l < dimension.levels.size(); ++l) {
    const double share = dimension.deployment_shares[l];
    if (share <= 0.0 || class_cases[l] <= 0.0) continue;
    const double weight = share * class_cases[l] / cases[l];
    weight_sum += weight;
    total += weight * successes[l] / class_cases[l];
  }
  if (weight_sum <= 0.0) return std::nullopt;
  return total / weight_sum;
}

Status CheckInputs(std::span<const std::uint8_t> truth, std::span<const ReadinessMetric> metrics,
                   std::span<const DeploymentDimension> dimensions) {
  for (const ReadinessMetric& metric : metrics) {
    if (metric.metric != "sensitivity" && metric.metric != "specificity") {
      return InvalidInput(fmt::format(
          "deployment readiness: endpoint '{}': metric '{}' is not sensitivity or specificity",
          metric.endpoint, metric.metric));
    }
    if (metric.predicted.size() != truth.size()) {
      return InvalidInput(
          fmt::format("deployment readiness: endpoint '{}' has {} predictions for {} cases",
                      metric.endpoint, metric.predicted.size(), truth.size()));
    }
  }
  for (const DeploymentDimension& dimension : dimensions) {
    if (dimension.evidence_codes.size() != truth.size() ||
        dimension.deployment_shares.size() != dimension.levels.size() ||
        (!dimension.deployment_cases.empty() &&
         dimension.deployment_cases.size() != dimension.levels.size())) {
      return InvalidInput(fmt::format("deployment readiness: dimension '{}' has inconsistent sizes",
                                      dimension.name));
    }
    for (std::uint32_t code : dimension.evidence_codes) {
      if (code >= dimension.levels.size()) {
        return InvalidInput(fmt::format(
            "deployment readiness: dimension '{}' has a case outside its levels", dimension.name));
      }
    }
    double sum = 0.0;
    for (double share : dimension.deployment_shares) {
      if (!(share >= 0.0)) {
        return InvalidInput(fmt::format("deployment readiness: dimension '{}' has a negative share",
                                        dimension.name));
      }
      sum += share;
    }
    if (std::abs(sum - 1.0) > 1e-6) {
      return InvalidInput(
          fmt::format("deployment readiness: the shares of dimension '{}' sum to {}, not 1",
                      dimension.name, sum));
    }
  }
  return Status::Ok();
}

// Coverage status and cases needed of one stratum for one metric.
void Judge(StratumMetric& out, const ReadinessMetric& metric, double validated, double share,
           const ReadinessOptions& options) {
  const std::uint64_t n = out.trials;
  if (n == 0) {
    out.coverage = share > 0.0 ? "not_covered" : "not_deployed";
    if (metric.goal && validated > *metric.goal) {
      out.cases_needed = stats::CasesForPower(validated, *metric.goal, options.level,
                                              options.method, options.power);
    } else {
      out.cases_needed = CasesForHalfWidth(validated, 0, options.maximum_half_width, options.level,
                                           options.method);
    }
    if (out.cases_needed) {
      out.cases_needed = std::max<std::uint64_t>(*out.cases_needed, options.minimum_class_cases);
    }
    out.cases_needed_basis = "planning";
    return;
  }
  const double estimate = *out.estimate;
  const stats::Interval& ci = *out.ci;
  std::optional<std::uint64_t> total;
  if (metric.goal) {
    out.cases_needed_basis = "goal";
    if (ci.lower > *metric.goal) {
      out.coverage = "covered";
    } else if (ci.upper < *metric.goal) {
      out.coverage = "below_goal";
    } else {
      out.coverage = "thin";
      total =
          stats::CasesToDecideProportion(estimate, n, *metric.goal, options.level, options.method);
    }
  } else {
    out.cases_needed_basis = "precision";
    if ((ci.upper - ci.lower) / 2.0 <= options.maximum_half_width) {
      out.coverage = "covered";
    } else {
      out.coverage = "thin";
      total =
          CasesForHalfWidth(estimate, n, options.maximum_half_width, options.level, options.method);
    }
  }
  if (n < options.minimum_class_cases) {
    out.coverage = "thin";
    total = std::max(total.value_or(0), options.minimum_class_cases);
  }
  if (share <= 0.0) out.coverage = "not_deployed";
  if (total && *total > n) out.cases_needed = *total - n;
}

}  // namespace

Result<ReadinessResult> AssessReadiness(std::span<const std::uint8_t> truth,
                                        std::span<const ReadinessMetric> metrics,
                                        std::span<const DeploymentDimension> dimensions,
                                        const ReadinessOptions& options) {
  ASSAY_RETURN_IF_ERROR(CheckInputs(truth, metrics, dimensions));
  ReadinessResult result;
  result.options = options;
  const std::size_t m_count = metrics.size();

  // The validated (whole-evidence) estimate of each metric.
  std::vector<double> validated(m_count, 0.0);
  std::vector<stats::Interval> validated_ci(m_count);
  for (std::size_t m = 0; m < m_count; ++m) {
    std::uint64_t successes = 0, trials = 0;
    for (std::size_t i = 0; i < truth.size(); ++i) {
      if ((truth[i] == 1) != Positive(metrics[m].metric)) continue;
      ++trials;
      successes += metrics[m].predicted[i] == truth[i] ? 1 : 0;
    }
    if (trials == 0) {
      return InvalidInput(fmt::format(
          "deployment readiness: endpoint '{}' has no {} in the evidence", metrics[m].endpoint,
          Positive(metrics[m].metric) ? "positives" : "negatives"));
    }
    validated[m] = static_cast<double>(successes) / static_cast<double>(trials);
    validated_ci[m] = stats::ProportionInterval(successes, trials, options.level, options.method);
  }

  for (const DeploymentDimension& dimension : dimensions) {
    const std::vector<Counts> counts = CountStrata(truth, metrics, dimension);
    for (std::size_t l = 0; l < dimension.levels.size(); ++l) {
      Stratum stratum;
      stratum.dimension = dimension.name;
      stratum.level = dimension.levels[l];
      stratum.deployment_share = dimension.deployment_shares[l];
      if (!dimension.deployment_cases.empty())
        stratum.deployment_cases = dimension.deployment_cases[l];
      stratum.evidence_cases = counts[l].cases;
      stratum.evidence_positives = counts[l].positives;
      stratum.evidence_share =
          truth.empty() ? 0.0
                        : static_cast<double>(counts[l].cases) / static_cast<double>(truth.size());
      for (std::size_t m = 0; m < m_count; ++m) {
        StratumMetric out;
        out.endpoint = metrics[m].endpoint;
        out.metric = metrics[m].metric;
        out.successes = counts[l].successes[m];
        out.trials = counts[l].trials[m];
        if (out.trials > 0) {
          out.estimate = static_cast<double>(out.successes) / static_cast<double>(out.trials);
          out.ci =
              stats::ProportionInterval(out.successes, out.trials, options.level, options.method);
          out.deficit = std::max(0.0, validated[m] - *out.estimate);
          out.risk = *out.deficit * stratum.deployment_share;
        }
        Judge(out, metrics[m], validated[m], stratum.deployment_share, options);
        if (stratum.deployment_share > 0.0 &&
            (out.trials == 0 || (out.deficit && *out.deficit > 0.0))) {
          result.risks.push_back({dimension.name, stratum.level, out.endpoint, out.metric,
                                  stratum.deployment_share, out.deficit, out.risk, out.coverage});
        }
        stratum.metrics.push_back(std::move(out));
      }
      result.strata.push_back(std::move(stratum));
    }
  }
  std::stable_sort(result.risks.begin(), result.risks.end(),
                   [](const RiskEntry& a, const RiskEntry& b) {
                     if (a.risk.has_value() != b.risk.has_value()) return !a.risk.has_value();
                     if (!a.risk) return a.deployment_share > b.deployment_share;
                     return *a.risk > *b.risk;
                   });

  // Expected performance: point estimates from the counts, intervals from replicates that
  // reweight every case by Poisson(1); one stream per (replicate, case) for all dimensions.
  const std::size_t d_count = dimensions.size();
  const std::size_t replicates = options.bootstrap;
  // replicate_values[(d * m_count + m) * replicates + r]
  std::vector<double> replicate_values(d_count * m_count * replicates, std::nan(""));
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, replicates), [&](const auto& range) {
    std::vector<std::uint32_t> weight(truth.size());
    for (std::size_t r = range.begin(); r != range.end(); ++r) {
      for (std::size_t i = 0; i < truth.size(); ++i) {
        RandomStream stream(options.seed, kReweightPurpose, r, i);
        weight[i] = PoissonOne(stream);
      }
      for (std::size_t d = 0; d < d_count; ++d) {
        const DeploymentDimension& dimension = dimensions[d];
        const std::size_t levels = dimension.levels.size();
        std::vector<double> cases(levels, 0.0);
        std::vector<std::vector<double>> class_cases(m_count, std::vector<double>(levels, 0.0));
        std::vector<std::vector<double>> successes(m_count, std::vector<double>(levels, 0.0));
        for (std::size_t i = 0; i < truth.size(); ++i) {
          if (weight[i] == 0) continue;
          const std::uint32_t l = dimension.evidence_codes[i];
          cases[l] += weight[i];
          for (std::size_t m = 0; m < m_count; ++m) {
            if ((truth[i] == 1) != Positive(metrics[m].metric)) continue;
            class_cases[m][l] += weight[i];
            if (metrics[m].predicted[i] == truth[i]) successes[m][l] += weight[i];
          }
        }
        for (std::size_t m = 0; m < m_count; ++m) {
          const auto value = Reweight(dimension, cases, class_cases[m], successes[m]);
          if (value) replicate_values[(d * m_count + m) * replicates + r] = *value;
        }
      }
    }
  });

  for (std::size_t d = 0; d < d_count; ++d) {
    const DeploymentDimension& dimension = dimensions[d];
    const std::vector<Counts> counts = CountStrata(truth, metrics, dimension);
    std::vector<double> cases;
    cases.reserve(counts.size());
    for (const Counts& c : counts) cases.push_back(static_cast<double>(c.cases));
    for (std::size_t m = 0; m < m_count; ++m) {
      ExpectedPerformance expected;
      expected.dimension = dimension.name;
      expected.endpoint = metrics[m].endpoint;
      expected.metric = metrics[m].metric;
      expected.validated = validated[m];
      expected.validated_ci = validated_ci[m];
      std::vector<double> class_cases, successes;
      for (std::size_t l = 0; l < counts.size(); ++l) {
        class_cases.push_back(static_cast<double>(counts[l].trials[m]));
        successes.push_back(static_cast<double>(counts[l].successes[m]));
        if (counts[l].trials[m] == 0) expected.uncovered_share += dimension.deployment_shares[l];
      }
      expected.expected = Reweight(dimension, cases, class_cases, successes);
      std::vector<double> values;
      for (std::size_t r = 0; r < replicates; ++r) {
        const double v = replicate_values[(d * m_count + m) * replicates + r];
        if (std::isfinite(v)) values.push_back(v);
      }
      if (expected.expected && values.size() >= 2) {
        stats::Interval ci = stats::PercentileInterval(values, options.level);
        ci.method = "poisson_bootstrap_percentile";
        expected.expected_ci = ci;
      }
      result.expected.push_back(std::move(expected));
    }
  }
  return result;
}

}  // namespace assay::analysis
