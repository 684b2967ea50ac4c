#include "assay/evidence/shift.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "assay/data/case_table.h"
#include "assay/io/record_source.h"

namespace assay::evidence {
namespace {

constexpr std::size_t kMaximumLevels = 1000;

// One column as read from both files: codes into shared levels, and the numbers
// while every present value is one.
struct ColumnReader {
  std::string name;
  std::unordered_map<std::string, std::uint32_t> index;
  std::vector<std::string> levels;
  std::vector<std::uint32_t> codes[2];
  std::vector<double> numbers[2];
  bool numeric = true;
  bool overflow = false;

  void Add(int cohort, std::optional<std::string_view> value) {
    const std::string_view text = value.value_or(std::string_view());
    if (numeric) {
      double number = std::numeric_limits<double>::quiet_NaN();
      if (!text.empty()) {
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
        if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(number)) {
          numeric = false;
          numbers[0] = {};
          numbers[1] = {};
        }
      }
      if (numeric) numbers[cohort].push_back(number);
    }
    if (overflow) return;
    const std::string key = text.empty() ? std::string(data::kMissingLevel) : std::string(text);
    auto [it, inserted] = index.try_emplace(key, static_cast<std::uint32_t>(levels.size()));
    if (inserted) {
      levels.push_back(key);
      if (levels.size() > kMaximumLevels) {
        overflow = true;
        codes[0] = {};
        codes[1] = {};
        return;
      }
    }
    codes[cohort].push_back(it->second);
  }
};

}  // namespace

Result<std::vector<analysis::ShiftSample>> LoadShiftSamples(
    const std::string& reference, const std::string& target,
    const std::vector<std::string>& columns) {
  if (columns.empty()) return InvalidInput("no column to compare: name at least one");
  std::vector<ColumnReader> readers(columns.size());
  for (std::size_t c = 0; c < columns.size(); ++c) readers[c].name = columns[c];
  const std::string paths[2] = {reference, target};
  for (int cohort = 0; cohort < 2; ++cohort) {
    auto source = io::OpenRecordSource(paths[cohort], columns);
    if (!source.ok()) return source.status();
    while (true) {
      auto more = (*source)->Next();
      if (!more.ok()) return more.status();
      if (!*more) break;
      for (std::size_t c = 0; c < columns.size(); ++c) readers[c].Add(cohort, (*source)->Value(c));
    }
  }
  std::vector<analysis::ShiftSample> samples;
  for (ColumnReader& reader : readers) {
    analysis::ShiftSample sample;
    sample.name = reader.name;
    std::size_t present_levels = reader.levels.size();
    if (reader.index.count(std::string(data::kMissingLevel)) > 0) --present_levels;
    sample.numeric = reader.numeric && (reader.overflow || present_levels > 6);
    if (sample.numeric) {
      sample.reference = std::move(reader.numbers[0]);
      sample.target = std::move(reader.numbers[1]);
    } else if (reader.overflow) {
      return InvalidInput(fmt::format(
          "column '{}' of {} and {}: more than {} distinct values that are not all numbers "
          "(an identifier?); compare it binned, or leave it out",
          reader.name, reference, target, kMaximumLevels));
    } else {
      sample.levels = std::move(reader.levels);
      sample.reference_codes = std::move(reader.codes[0]);
      sample.target_codes = std::move(reader.codes[1]);
    }
    samples.push_back(std::move(sample));
  }
  return samples;
}

namespace {

nlohmann::json IntervalJson(const stats::Interval& interval) {
  auto number = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); };
  return {{"lower", number(interval.lower)},
          {"upper", number(interval.upper)},
          {"level", interval.level},
          {"method", interval.method}};
}

nlohmann::json DomainJson(const analysis::DomainClassifierResult& domain) {
  nlohmann::json strongest = nlohmann::json::array();
  for (const auto& f : domain.strongest) {
    strongest.push_back({{"feature", f.feature}, {"coefficient", f.coefficient}});
  }
  return {{"method",
           "L2-penalized logistic regression (C = 1 / l2) over every attribute, k-fold "
           "cross-validated; AUC of the out-of-fold scores with the DeLong interval"},
          {"reference_cases", domain.reference_cases},
          {"target_cases", domain.target_cases},
          {"features", domain.features},
          {"auc", domain.note.empty() ? nlohmann::json(domain.auc) : nlohmann::json()},
          {"auc_ci", IntervalJson(domain.auc_ci)},
          {"strongest", std::move(strongest)},
          {"converged", domain.converged},
          {"note", domain.note.empty() ? nlohmann::json() : nlohmann::json(domain.note)}};
}

}  // namespace

nlohmann::json ShiftToJson(const analysis::ShiftResult& result,
                           const analysis::DomainClassifierResult& domain) {
  nlohmann::json attributes = nlohmann::json::array();
  for (const analysis::AttributeShift& a : result.attributes) {
    nlohmann::json entry = {{"name", a.name},
                            {"kind", a.numeric ? "numeric" : "categorical"},
                            {"status", a.status},
                            {"reference_cases", a.reference_cases},
                            {"target_cases", a.target_cases},
                            {"reference_missing", a.reference_missing},
                            {"target_missing", a.target_missing}};
    if (a.status == "not_comparable") {
      entry["note"] = a.note;
      attributes.push_back(std::move(entry));
      continue;
    }
    entry["test"] = a.test;
    entry["statistic"] = a.statistic;
    if (!a.numeric) entry["degrees_of_freedom"] = a.degrees_of_freedom;
    entry["p_value"] = a.p_value;
    entry["adjusted_p"] = a.adjusted_p;
    entry["psi"] = a.psi;
    entry["psi_ci"] = IntervalJson(a.psi_ci);
    if (a.total_variation) {
      entry["total_variation"] = *a.total_variation;
      entry["total_variation_ci"] = IntervalJson(*a.total_variation_ci);
    }
    if (a.wasserstein) {
      entry["wasserstein"] = *a.wasserstein;
      entry["reference_median"] = *a.reference_median;
      entry["target_median"] = *a.target_median;
    }
    if (!a.levels.empty()) {
      nlohmann::json levels = nlohmann::json::array();
      for (const auto& level : a.levels) {
        levels.push_back(
            {{"level", level.level}, {"reference", level.reference}, {"target", level.target}});
      }
      entry["levels"] = std::move(levels);
    }
    attributes.push_back(std::move(entry));
  }
  const analysis::ShiftOptions& o = result.options;
  return {{"method",
           "per attribute: chi-square test, total variation and PSI over the levels "
           "(categorical); Kolmogorov-Smirnov test (asymptotic p-value), Wasserstein-1 and PSI "
           "over the reference deciles (numeric); intervals by Poisson bootstrap of the counts"},
          {"alpha", o.alpha},
          {"multiplicity", stats::MultiplicityName(o.multiplicity)},
          {"psi_threshold", o.psi_threshold},
          {"bootstrap", o.bootstrap},
          {"seed", o.seed},
          {"attributes", std::move(attributes)},
          {"domain_classifier", DomainJson(domain)}};
}

std::string FormatShift(const analysis::ShiftResult& result,
                        const analysis::DomainClassifierResult& domain) {
  std::vector<const analysis::AttributeShift*> order;
  for (const auto& a : result.attributes) order.push_back(&a);
  auto rank = [](const std::string& status) {
    return status == "shifted" ? 0 : status == "minor" ? 1 : status == "no_evidence" ? 2 : 3;
  };
  std::stable_sort(order.begin(), order.end(), [&](const auto* a, const auto* b) {
    if (rank(a->status) != rank(b->status)) return rank(a->status) < rank(b->status);
    return a->psi > b->psi;
  });
  std::string out = fmt::format(
      "{:<24} {:<12} {:<14} {:>9} {:>19} {:>10} {:>12}\n", "attribute", "kind", "status", "PSI",
      fmt::format("{:g}% interval", 100 * result.options.level), "adjusted p", "effect");
  for (const auto* a : order) {
    if (a->status == "not_comparable") {
      out += fmt::format("{:<24} {:<12} {:<14} {}\n", a->name,
                         a->numeric ? "numeric" : "categorical", a->status, a->note);
      continue;
    }
    const std::string effect = a->numeric ? fmt::format("W1 {:.3g}", *a->wasserstein)
                                          : fmt::format("TV {:.3f}", *a->total_variation);
    out += fmt::format("{:<24} {:<12} {:<14} {:>9.4f} {:>19} {:>10.2g} {:>12}\n", a->name,
                       a->numeric ? "numeric" : "categorical", a->status, a->psi,
                       fmt::format("{:.4f} to {:.4f}", a->psi_ci.lower, a->psi_ci.upper),
                       a->adjusted_p, effect);
  }
  if (!domain.note.empty()) {
    out += fmt::format("\nDomain classifier: not fitted ({})\n", domain.note);
  } else {
    out += fmt::format(
        "\nDomain classifier (all attributes together, {} + {} cases): AUC {:.3f} ({:g}% CI "
        "{:.3f} to {:.3f}; 0.5 means the cohorts cannot be told apart)\n",
        domain.reference_cases, domain.target_cases, domain.auc, 100 * domain.auc_ci.level,
        domain.auc_ci.lower, domain.auc_ci.upper);
    for (std::size_t k = 0; k < domain.strongest.size() && k < 3; ++k) {
      out += fmt::format("  {} ({:+.3f})\n", domain.strongest[k].feature,
                         domain.strongest[k].coefficient);
    }
  }
  return out;
}

}  // namespace assay::evidence
