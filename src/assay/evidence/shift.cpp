#include "assay/evidence/shift.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <utility>

#include "assay/data/case_table.h"
#include "assay/evidence/evaluation_json.h"
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

std::string EmbeddingColumn(std::size_t k) { return fmt::format("embedding_{}", k); }

bool HasColumn(const std::string& path, const std::string& column) {
  return io::OpenRecordSource(path, {column}).ok();
}

// The number d of columns embedding_0 .. embedding_{d-1} in the table's header (CSV) or
// first record (JSON Lines), found by asking the reader for single columns: doubling, then
// halving, so a table with d of them is opened about 2 log2(d) times. 0 when there is none.
Result<std::size_t> EmbeddingDimensions(const std::string& path) {
  auto source = io::OpenRecordSource(path, {});
  if (!source.ok()) return source.status();
  if (!HasColumn(path, EmbeddingColumn(0))) return std::size_t{0};
  std::size_t present = 0, absent = 1;  // embedding_<present> is there, embedding_<absent> not
  while (HasColumn(path, EmbeddingColumn(absent))) {
    present = absent;
    absent *= 2;
  }
  while (absent - present > 1) {
    const std::size_t middle = present + (absent - present) / 2;
    (HasColumn(path, EmbeddingColumn(middle)) ? present : absent) = middle;
  }
  return present + 1;
}

// One cohort's embeddings as read: the rows kept (all, or those with the smallest
// subsample keys, by stats::MmdSubsampleKey), in the order read.
struct CohortEmbeddings {
  std::vector<double> points;
  std::size_t with_embedding = 0, without_embedding = 0;
};

// The rows with the `maximum` smallest (key, row) pairs seen so far: a max-heap on them.
class SmallestKeyRows {
 public:
  explicit SmallestKeyRows(std::size_t maximum) : maximum_(maximum) {}

  void Offer(std::uint64_t key, std::size_t row, const std::vector<double>& values) {
    if (rows_.size() == maximum_) {
      if (std::pair(key, row) >= std::pair(rows_.front().key, rows_.front().row)) return;
      std::pop_heap(rows_.begin(), rows_.end(), Before);
      rows_.back().key = key;
      rows_.back().row = row;
      rows_.back().values = values;
    } else {
      rows_.push_back({key, row, values});
    }
    std::push_heap(rows_.begin(), rows_.end(), Before);
  }

  // The rows kept in the order read, one after the other.
  std::vector<double> Points() {
    std::sort(rows_.begin(), rows_.end(),
              [](const Kept& a, const Kept& b) { return a.row < b.row; });
    std::vector<double> points;
    for (const Kept& kept : rows_) {
      points.insert(points.end(), kept.values.begin(), kept.values.end());
    }
    return points;
  }

 private:
  struct Kept {
    std::uint64_t key;
    std::size_t row;
    std::vector<double> values;
  };
  static bool Before(const Kept& a, const Kept& b) {
    return std::pair(a.key, a.row) < std::pair(b.key, b.row);
  }

  std::size_t maximum_;
  std::vector<Kept> rows_;
};

// The current record's embedding into `values`. False when a cell is empty (the case is
// left out); an error when one is not a finite number.
Result<bool> ParseEmbedding(const io::RecordSource& source, const std::vector<std::string>& columns,
                            std::vector<double>& values) {
  for (std::size_t k = 0; k < columns.size(); ++k) {
    const std::string_view text = source.Value(k).value_or(std::string_view());
    if (text.empty()) return false;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), values[k]);
    if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(values[k])) {
      return InvalidInput(fmt::format("{} line {}: {} '{}' is not a finite number", source.path(),
                                      source.line(), columns[k], text));
    }
  }
  return true;
}

Result<CohortEmbeddings> ReadEmbeddings(const std::string& path, std::size_t dimensions, int cohort,
                                        const stats::MmdOptions& options) {
  std::vector<std::string> columns;
  for (std::size_t k = 0; k < dimensions; ++k) columns.push_back(EmbeddingColumn(k));
  auto source = io::OpenRecordSource(path, columns);
  if (!source.ok()) {
    return InvalidInput(
        fmt::format("{}: the embedding columns are not numbered from 0 without a gap ({})", path,
                    source.status().message()));
  }
  CohortEmbeddings cohort_embeddings;
  SmallestKeyRows kept(options.maximum_per_cohort);
  std::vector<double> values(dimensions);
  while (true) {
    auto more = (*source)->Next();
    if (!more.ok()) return more.status();
    if (!*more) break;
    auto complete = ParseEmbedding(**source, columns, values);
    if (!complete.ok()) return complete.status();
    if (!*complete) {
      ++cohort_embeddings.without_embedding;
      continue;
    }
    const std::size_t row = cohort_embeddings.with_embedding++;
    kept.Offer(stats::MmdSubsampleKey(options.seed, cohort, row), row, values);
  }
  if (cohort_embeddings.with_embedding < 2) {
    return InvalidInput(
        fmt::format("{}: {} rows with a complete embedding; the MMD test needs at least 2", path,
                    cohort_embeddings.with_embedding));
  }
  cohort_embeddings.points = kept.Points();
  return cohort_embeddings;
}

}  // namespace

Result<EmbeddingShift> CompareEmbeddings(const std::string& reference, const std::string& target,
                                         const stats::MmdOptions& options) {
  const std::string paths[2] = {reference, target};
  std::size_t dimensions[2] = {0, 0};
  for (int cohort = 0; cohort < 2; ++cohort) {
    auto found = EmbeddingDimensions(paths[cohort]);
    if (!found.ok()) return found.status();
    if (*found == 0) {
      return InvalidInput(
          fmt::format("{}: no embedding columns (embedding_0, embedding_1, ...; "
                      "`assay infer --embeddings-out` writes them)",
                      paths[cohort]));
    }
    dimensions[cohort] = *found;
  }
  if (dimensions[0] != dimensions[1]) {
    return InvalidInput(
        fmt::format("{} has {} embedding columns but {} has {}: the embeddings "
                    "are not from one model output",
                    reference, dimensions[0], target, dimensions[1]));
  }
  if (options.maximum_per_cohort < 2) {
    return InvalidInput("the MMD test needs at least 2 cases per cohort");
  }

  CohortEmbeddings cohorts[2];
  for (int cohort = 0; cohort < 2; ++cohort) {
    auto read = ReadEmbeddings(paths[cohort], dimensions[0], cohort, options);
    if (!read.ok()) return read.status();
    cohorts[cohort] = std::move(*read);
  }
  auto mmd = stats::MmdTest({cohorts[0].points, dimensions[0]}, {cohorts[1].points, dimensions[0]},
                            options);
  if (!mmd.ok()) return mmd.status();
  EmbeddingShift shift;
  shift.mmd = *mmd;
  shift.maximum_per_cohort = options.maximum_per_cohort;
  shift.reference_with_embedding = cohorts[0].with_embedding;
  shift.target_with_embedding = cohorts[1].with_embedding;
  shift.reference_without_embedding = cohorts[0].without_embedding;
  shift.target_without_embedding = cohorts[1].without_embedding;
  return shift;
}

namespace {

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

nlohmann::json EmbeddingJson(const EmbeddingShift& embeddings, double alpha) {
  const stats::MmdResult& mmd = embeddings.mmd;
  return {{"method",
           "maximum mean discrepancy: the unbiased MMD^2 (Gretton et al. 2012) of the embeddings "
           "under a Gaussian kernel whose bandwidth is the median pairwise distance; "
           "permutation p-value (1 + k) / (1 + permutations)"},
          {"status", mmd.p_value <= alpha ? "shifted" : "no_evidence"},
          {"statistic", mmd.statistic},
          {"bandwidth", mmd.bandwidth},
          {"p_value", mmd.p_value},
          {"permutations", mmd.permutations},
          {"dimensions", mmd.dimensions},
          {"maximum_per_cohort", embeddings.maximum_per_cohort},
          {"reference_cases", mmd.reference_cases},
          {"target_cases", mmd.target_cases},
          {"cases_with_embedding",
           {{"reference", embeddings.reference_with_embedding},
            {"target", embeddings.target_with_embedding}}},
          {"cases_without_embedding",
           {{"reference", embeddings.reference_without_embedding},
            {"target", embeddings.target_without_embedding}}}};
}

}  // namespace

nlohmann::json ShiftToJson(const analysis::ShiftResult& result,
                           const analysis::DomainClassifierResult& domain,
                           const EmbeddingShift* embeddings) {
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
      entry["wasserstein_ci"] = IntervalJson(*a.wasserstein_ci);
      entry["statistic_ci"] = IntervalJson(*a.statistic_ci);
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
  nlohmann::json document = {
      {"method",
       "per attribute: chi-square test, total variation and PSI over the levels "
       "(categorical); Kolmogorov-Smirnov test (asymptotic p-value), Wasserstein-1 and PSI "
       "over the reference deciles (numeric); intervals by Poisson bootstrap of the counts "
       "(of KS and Wasserstein-1: of the counts on a grid of at most 1,024 cells)"},
      {"alpha", o.alpha},
      {"multiplicity", stats::MultiplicityName(o.multiplicity)},
      {"psi_threshold", o.psi_threshold},
      {"bootstrap", o.bootstrap},
      {"seed", o.seed},
      {"attributes", std::move(attributes)},
      {"domain_classifier", DomainJson(domain)}};
  if (embeddings != nullptr) document["mmd"] = EmbeddingJson(*embeddings, o.alpha);
  return document;
}

namespace {

std::string AttributeLines(const analysis::ShiftResult& result,
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
      "{:<24} {:<12} {:<14} {:>9} {:>19} {:>10}  {}\n", "attribute", "kind", "status", "PSI",
      fmt::format("{:g}% interval", 100 * result.options.level), "adjusted p", "effect");
  for (const auto* a : order) {
    if (a->status == "not_comparable") {
      out += fmt::format("{:<24} {:<12} {:<14} {}\n", a->name,
                         a->numeric ? "numeric" : "categorical", a->status, a->note);
      continue;
    }
    const std::string effect =
        a->numeric ? fmt::format("W1 {:.3g} ({:.3g} to {:.3g})", *a->wasserstein,
                                 a->wasserstein_ci->lower, a->wasserstein_ci->upper)
                   : fmt::format("TV {:.3f} ({:.3f} to {:.3f})", *a->total_variation,
                                 a->total_variation_ci->lower, a->total_variation_ci->upper);
    out += fmt::format("{:<24} {:<12} {:<14} {:>9.4f} {:>19} {:>10.2g}  {}\n", a->name,
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

std::string EmbeddingLine(const EmbeddingShift& embeddings, double alpha) {
  const stats::MmdResult& mmd = embeddings.mmd;
  std::string cases = fmt::format("{} + {}", mmd.reference_cases, mmd.target_cases);
  if (mmd.reference_cases < embeddings.reference_with_embedding ||
      mmd.target_cases < embeddings.target_with_embedding) {
    cases += fmt::format(" of {} + {}", embeddings.reference_with_embedding,
                         embeddings.target_with_embedding);
  }
  std::string line = fmt::format(
      "Embeddings (MMD test, {} dimensions, {} cases): MMD^2 {:.3g}, p {:.3g} ({} "
      "permutations): {}",
      mmd.dimensions, cases, mmd.statistic, mmd.p_value, mmd.permutations,
      mmd.p_value <= alpha ? "shifted" : "no_evidence");
  if (embeddings.reference_without_embedding + embeddings.target_without_embedding > 0) {
    line +=
        fmt::format("; {} + {} cases without an embedding left out",
                    embeddings.reference_without_embedding, embeddings.target_without_embedding);
  }
  return line + "\n";
}

}  // namespace

std::string FormatShift(const analysis::ShiftResult& result,
                        const analysis::DomainClassifierResult& domain,
                        const EmbeddingShift* embeddings) {
  std::string out;
  if (!result.attributes.empty()) out = AttributeLines(result, domain);
  if (embeddings != nullptr) {
    if (!out.empty()) out += "\n";
    out += EmbeddingLine(*embeddings, result.options.alpha);
  }
  return out;
}

}  // namespace assay::evidence
