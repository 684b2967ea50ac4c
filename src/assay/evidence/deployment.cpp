#include "assay/evidence/deployment.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "assay/evidence/shift.h"
#include "assay/io/csv_writer.h"
#include "assay/stats/bootstrap.h"

namespace assay::evidence {
namespace {

// A temporary file that is removed when it goes out of scope.
class TemporaryCsv {
 public:
  static Result<TemporaryCsv> Write(const std::string& bytes) {
    static std::atomic<unsigned> counter{0};
    TemporaryCsv file;
    file.path_ = (std::filesystem::temp_directory_path() /
                  fmt::format("assay-evidence-{}-{}.csv", ::getpid(), counter.fetch_add(1)))
                     .string();
    std::ofstream out(file.path_, std::ios::binary);
    out << bytes;
    out.close();
    if (!out) return IoError(fmt::format("{}: cannot write", file.path_));
    return file;
  }
  TemporaryCsv() = default;
  TemporaryCsv(TemporaryCsv&& other) noexcept : path_(std::exchange(other.path_, {})) {}
  TemporaryCsv& operator=(TemporaryCsv&&) = delete;
  TemporaryCsv(const TemporaryCsv&) = delete;
  TemporaryCsv& operator=(const TemporaryCsv&) = delete;
  ~TemporaryCsv() {
    std::error_code error;
    if (!path_.empty()) std::filesystem::remove(path_, error);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The evidence's values of `names`, one CSV row per case of the analysis set. The
// profile's score column takes the evidence's scores.
Result<std::string> EvidenceCsv(const Protocol& protocol, const data::CaseTable& table,
                                std::span<const data::CategoricalColumn> columns,
                                const std::vector<std::string>& names) {
  const std::optional<std::string> score_name =
      protocol.deployment ? protocol.deployment->score : std::nullopt;
  std::vector<const data::CategoricalColumn*> sources;
  for (const std::string& name : names) {
    if (name == score_name || name == protocol.roles.score) {
      sources.push_back(nullptr);
      continue;
    }
    const auto found = std::find_if(columns.begin(), columns.end(),
                                    [&](const auto& column) { return column.name == name; });
    if (found == columns.end()) {
      return InvalidInput(fmt::format(
          "{}: the evidence cases have no column '{}' (named in [deployment] or [shift])",
          table.source, name));
    }
    if (found->codes.size() != table.size()) {
      return Status(StatusCode::kInternal,
                    fmt::format("column '{}' is not aligned with the analysis set", name));
    }
    sources.push_back(&*found);
  }
  std::string csv = io::CsvRow(names);
  std::vector<std::string> row(names.size());
  for (std::size_t i = 0; i < table.size(); ++i) {
    for (std::size_t c = 0; c < names.size(); ++c) {
      if (sources[c] == nullptr) {
        row[c] = fmt::format("{:.17g}", table.score[i]);
        continue;
      }
      const std::string& level = sources[c]->levels[sources[c]->codes[i]];
      row[c] = level == data::kMissingLevel ? std::string() : level;
    }
    csv += io::CsvRow(row);
  }
  return csv;
}

// Per case, the stratum label of one column in one cohort.
std::vector<std::string> ColumnLabels(const analysis::ShiftSample& sample, bool reference,
                                      const std::vector<double>& cuts) {
  std::vector<std::string> labels;
  if (sample.numeric) {
    for (double value : reference ? sample.reference : sample.target) {
      if (!std::isfinite(value)) {
        labels.emplace_back(data::kMissingLevel);
        continue;
      }
      const auto bin = static_cast<std::size_t>(std::upper_bound(cuts.begin(), cuts.end(), value) -
                                                cuts.begin());
      labels.push_back(BinLabel(cuts, bin));
    }
  } else {
    for (std::uint32_t code : reference ? sample.reference_codes : sample.target_codes)
      labels.push_back(sample.levels[code]);
  }
  return labels;
}

// Cut points of a numeric stratum column: [deployment.bins], else [subgroups.bins], else
// the evidence's quartiles.
std::vector<double> CutsFor(const Protocol& protocol, const analysis::ShiftSample& sample,
                            std::vector<std::string>& notes) {
  if (auto found = protocol.deployment->bins.find(sample.name);
      found != protocol.deployment->bins.end())
    return found->second;
  if (auto found = protocol.subgroups.bins.find(sample.name);
      found != protocol.subgroups.bins.end())
    return found->second;
  std::vector<double> present;
  for (double value : sample.reference)
    if (std::isfinite(value)) present.push_back(value);
  std::vector<double> cuts;
  for (double p : {0.25, 0.5, 0.75}) {
    if (present.empty()) break;
    const double cut = stats::Quantile(present, p);
    if (cuts.empty() || cut > cuts.back()) cuts.push_back(cut);
  }
  if (cuts.empty()) cuts.push_back(0.0);
  notes.push_back(fmt::format(
      "numeric column '{}' has no bins in the protocol; its strata are cut at the evidence's "
      "quartiles",
      sample.name));
  return cuts;
}

// One dimension of strata: the labels of its columns joined, levels by deployment share.
Result<analysis::DeploymentDimension> BuildDimension(
    const Protocol& protocol, const std::string& dimension,
    const std::map<std::string, const analysis::ShiftSample*>& samples, bool have_profile,
    std::vector<std::string>& notes) {
  std::vector<std::string> reference, target;
  bool first = true;
  for (const std::string& column : StratumColumns(dimension)) {
    const analysis::ShiftSample& sample = *samples.at(column);
    const std::vector<double> cuts =
        sample.numeric ? CutsFor(protocol, sample, notes) : std::vector<double>{};
    const auto ref = ColumnLabels(sample, true, cuts);
    const auto tgt = ColumnLabels(sample, false, cuts);
    if (first) {
      reference = ref;
      target = tgt;
      first = false;
      continue;
    }
    for (std::size_t i = 0; i < ref.size(); ++i) reference[i] += " / " + ref[i];
    for (std::size_t i = 0; i < tgt.size(); ++i) target[i] += " / " + tgt[i];
  }
  std::map<std::string, std::uint64_t> evidence_count, deployment_count;
  std::map<std::string, double> share;
  for (const std::string& label : reference) ++evidence_count[label];
  if (have_profile) {
    for (const std::string& label : target) ++deployment_count[label];
    if (target.empty()) {
      return InvalidInput(
          fmt::format("{}: the deployment profile has no cases", *protocol.deployment->profile));
    }
    for (const auto& [label, count] : deployment_count)
      share[label] = static_cast<double>(count) / static_cast<double>(target.size());
  } else {
    for (const auto& [label, value] : protocol.deployment->mix.at(dimension)) share[label] = value;
  }
  std::vector<std::string> levels;
  levels.reserve(evidence_count.size() + share.size());
  for (const auto& [label, count] : evidence_count) levels.push_back(label);
  for (const auto& [label, value] : share) {
    if (evidence_count.count(label) == 0) levels.push_back(label);
  }
  std::stable_sort(levels.begin(), levels.end(), [&](const auto& a, const auto& b) {
    const double sa = share.count(a) != 0 ? share.at(a) : 0.0;
    const double sb = share.count(b) != 0 ? share.at(b) : 0.0;
    if (sa != sb) return sa > sb;
    const auto ea = evidence_count.count(a) != 0 ? evidence_count.at(a) : 0;
    const auto eb = evidence_count.count(b) != 0 ? evidence_count.at(b) : 0;
    return ea > eb;
  });
  analysis::DeploymentDimension out;
  out.name = dimension;
  std::map<std::string, std::uint32_t> code;
  for (const std::string& level : levels) {
    code[level] = static_cast<std::uint32_t>(out.levels.size());
    out.levels.push_back(level);
    out.deployment_shares.push_back(share.count(level) != 0 ? share.at(level) : 0.0);
    if (have_profile) {
      out.deployment_cases.push_back(deployment_count.count(level) != 0 ? deployment_count.at(level)
                                                                        : 0);
    }
  }
  for (const std::string& label : reference) out.evidence_codes.push_back(code.at(label));
  return out;
}

// CBPE and ATC on the profile's scores, with the evidence's own-score cases as reference.
// deployment.calibrate_by: each level's target probabilities from a map fitted on the
// evidence's cases of that level, or from the pooled map where the level has too few.
std::vector<double> StratifiedProbabilities(
    const stats::ReferenceCalibration& pooled, std::span<const double> reference_score,
    std::span<const std::uint8_t> reference_truth, std::span<const std::uint32_t> reference_level,
    std::span<const double> target_score, std::span<const std::uint32_t> target_level,
    const std::vector<std::string>& levels, LabelFreeSection& section) {
  std::vector<double> probability(target_score.size());
  for (std::uint32_t level = 0; level < levels.size(); ++level) {
    CalibrationStratum stratum;
    stratum.level = levels[level];
    std::vector<double> scores, targets;
    std::vector<std::uint8_t> truth;
    std::vector<std::size_t> rows;
    for (std::size_t i = 0; i < reference_score.size(); ++i) {
      if (reference_level[i] != level) continue;
      scores.push_back(reference_score[i]);
      truth.push_back(reference_truth[i]);
      (reference_truth[i] == 1 ? stratum.reference_positives : stratum.reference_negatives) += 1;
    }
    for (std::size_t i = 0; i < target_score.size(); ++i) {
      if (target_level[i] != level) continue;
      rows.push_back(i);
      targets.push_back(target_score[i]);
    }
    stratum.target_cases = rows.size();
    const stats::ReferenceCalibration* map = &pooled;
    if (stratum.reference_positives >= kMinimumCalibrationClass &&
        stratum.reference_negatives >= kMinimumCalibrationClass) {
      auto own = stats::CheckReferenceCalibration(scores, truth, 0.95);
      if (own.ok()) {
        stratum.own_map = true;
        stratum.calibration = std::move(*own);
        map = &*stratum.calibration;
      }
    }
    const std::vector<double> mapped = stats::CalibratedProbabilities(*map, targets);
    for (std::size_t k = 0; k < rows.size(); ++k) probability[rows[k]] = mapped[k];
    if (stratum.target_cases > 0 || stratum.reference_positives + stratum.reference_negatives > 0)
      section.calibration_strata.push_back(std::move(stratum));
  }
  return probability;
}

LabelFreeSection EstimateWithoutLabels(const Protocol& protocol, const data::CaseTable& table,
                                       std::span<const std::uint8_t> own_score,
                                       const analysis::ShiftSample& target,
                                       const analysis::ShiftSample* stratum) {
  LabelFreeSection section;
  section.score_column = *protocol.deployment->score;
  // Scores oriented so that a case is called positive when score >= threshold.
  const double sign = table.direction == data::ScoreDirection::kHigherIsPositive ? 1.0 : -1.0;
  std::vector<double> reference_score, target_score;
  std::vector<std::uint8_t> reference_truth;
  std::vector<std::uint32_t> reference_level, target_level;
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (own_score[i] == 0) continue;
    reference_score.push_back(sign * table.score[i]);
    reference_truth.push_back(table.truth[i]);
    if (stratum != nullptr) reference_level.push_back(stratum->reference_codes[i]);
  }
  section.reference_cases = reference_score.size();
  if (!target.numeric) {
    section.not_evaluable =
        fmt::format("the profile's column '{}' does not hold scores (numbers)", target.name);
    return section;
  }
  for (std::size_t i = 0; i < target.target.size(); ++i) {
    if (std::isfinite(target.target[i])) {
      target_score.push_back(sign * target.target[i]);
      if (stratum != nullptr) target_level.push_back(stratum->target_codes[i]);
    } else {
      ++section.target_missing;
    }
  }
  section.target_cases = target_score.size();
  if (target_score.empty()) {
    section.not_evaluable = "the profile has no scores";
    return section;
  }
  auto calibration = stats::CheckReferenceCalibration(reference_score, reference_truth, 0.95);
  if (!calibration.ok()) {
    section.not_evaluable = calibration.status().message();
    return section;
  }
  section.calibration = *calibration;
  std::vector<double> probability;
  if (stratum != nullptr) {
    section.calibrate_by = stratum->name;
    probability =
        StratifiedProbabilities(*calibration, reference_score, reference_truth, reference_level,
                                target_score, target_level, stratum->levels, section);
  } else {
    probability = stats::CalibratedProbabilities(*calibration, target_score);
  }
  stats::LabelFreeOptions options;
  options.seed = protocol.seed;
  options.replicates = protocol.bootstrap;
  for (const EndpointSpec& spec : protocol.endpoints) {
    if (!spec.primary || !spec.threshold ||
        (spec.metric != "sensitivity" && spec.metric != "specificity"))
      continue;
    const double threshold = sign * *spec.threshold;
    auto same = std::find_if(section.estimates.begin(), section.estimates.end(),
                             [&](const auto& e) { return e.threshold == threshold; });
    if (same != section.estimates.end()) {
      same->endpoints += ", " + spec.id;
      continue;
    }
    options.level = spec.level;
    auto cbpe = stats::EstimateCbpe(target_score, probability, threshold, options);
    auto atc = stats::EstimateAtc(*calibration, reference_score, reference_truth, target_score,
                                  threshold, options);
    if (!cbpe.ok() || !atc.ok()) {
      section.not_evaluable = !cbpe.ok() ? cbpe.status().message() : atc.status().message();
      continue;
    }
    LabelFreeThreshold estimate;
    estimate.endpoints = spec.id;
    estimate.threshold = threshold;
    estimate.cbpe = *cbpe;
    estimate.atc = *atc;
    double tp = 0, fn = 0, tn = 0, fp = 0;
    for (std::size_t i = 0; i < reference_score.size(); ++i) {
      const bool called = reference_score[i] >= threshold;
      if (reference_truth[i] == 1) {
        (called ? tp : fn) += 1;
      } else {
        (called ? fp : tn) += 1;
      }
    }
    estimate.validated_sensitivity = tp / std::max(1.0, tp + fn);
    estimate.validated_specificity = tn / std::max(1.0, tn + fp);
    estimate.validated_accuracy = (tp + tn) / std::max(1.0, tp + tn + fp + fn);
    section.estimates.push_back(std::move(estimate));
  }
  return section;
}

}  // namespace

Result<DeploymentOutcome> AnalyzeDeployment(const Protocol& protocol, const data::CaseTable& table,
                                            std::span<const data::CategoricalColumn> columns,
                                            std::span<const std::uint8_t> own_score) {
  DeploymentOutcome outcome;
  if (!protocol.deployment && !protocol.shift) return outcome;
  std::vector<std::string> names;
  auto add = [&](const std::string& name) {
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  };
  if (protocol.deployment) {
    for (const std::string& dimension : protocol.deployment->strata) {
      for (const std::string& column : StratumColumns(dimension)) add(column);
    }
  }
  if (protocol.deployment && protocol.deployment->score) add(*protocol.deployment->score);
  if (protocol.deployment && protocol.deployment->calibrate_by) {
    add(*protocol.deployment->calibrate_by);
  }
  if (protocol.shift) {
    for (const std::string& column : protocol.shift->columns) add(column);
  }
  auto csv = EvidenceCsv(protocol, table, columns, names);
  if (!csv.ok()) return csv.status();
  auto evidence = TemporaryCsv::Write(*csv);
  if (!evidence.ok()) return evidence.status();

  // The deployment's columns, and the table they are compared with (without a profile the
  // evidence stands in as the target; only its own side is used).
  std::vector<std::string> strata_columns;
  std::string deployment_target;
  if (protocol.deployment) {
    const DeploymentPlan& plan = *protocol.deployment;
    auto add_stratum_column = [&](const std::string& column) {
      if (std::find(strata_columns.begin(), strata_columns.end(), column) == strata_columns.end())
        strata_columns.push_back(column);
    };
    for (const std::string& dimension : plan.strata) {
      for (const std::string& column : StratumColumns(dimension)) add_stratum_column(column);
    }
    if (plan.score) strata_columns.push_back(*plan.score);
    if (plan.calibrate_by) add_stratum_column(*plan.calibrate_by);
    deployment_target = plan.profile ? *plan.profile : evidence->path();
  }
  // Each table is read once: when [shift] compares with the deployment's table, the columns
  // of both sections are loaded together, the shift's first.
  const bool read_together =
      protocol.shift && protocol.deployment && protocol.shift->target == deployment_target;
  std::vector<analysis::ShiftSample> shift_samples, deployment_samples;
  if (protocol.shift) {
    std::vector<std::string> wanted = protocol.shift->columns;
    if (read_together) {
      for (const std::string& column : strata_columns) {
        if (std::find(wanted.begin(), wanted.end(), column) == wanted.end())
          wanted.push_back(column);
      }
    }
    auto loaded = LoadShiftSamples(evidence->path(), protocol.shift->target, wanted);
    if (!loaded.ok()) return loaded.status();
    shift_samples = std::move(*loaded);
  }
  if (protocol.deployment && !read_together) {
    auto loaded = LoadShiftSamples(evidence->path(), deployment_target, strata_columns);
    if (!loaded.ok()) return loaded.status();
    deployment_samples = std::move(*loaded);
  }

  if (protocol.shift) {
    const ShiftPlan& plan = *protocol.shift;
    const std::span<const analysis::ShiftSample> samples(shift_samples.data(), plan.columns.size());
    analysis::ShiftOptions options;
    options.alpha = plan.alpha;
    options.psi_threshold = plan.psi_threshold;
    options.multiplicity =
        stats::ParseMultiplicity(plan.multiplicity).value_or(stats::Multiplicity::kHolm);
    options.seed = protocol.seed;
    ShiftSection section;
    section.target = plan.target;
    section.result = analysis::CompareCohorts(samples, options);
    analysis::DomainClassifierOptions domain;
    domain.seed = protocol.seed;
    section.domain = analysis::ClassifyDomains(samples, domain);
    outcome.shift = std::move(section);
  }

  if (protocol.deployment) {
    const DeploymentPlan& plan = *protocol.deployment;
    const std::vector<analysis::ShiftSample>& samples =
        read_together ? shift_samples : deployment_samples;
    std::map<std::string, const analysis::ShiftSample*> by_name;
    for (const auto& sample : samples) by_name[sample.name] = &sample;

    DeploymentSection section;
    section.profile = plan.profile.value_or("");
    if (plan.profile && !samples.empty()) {
      const auto& first = samples.front();
      section.profile_cases = first.numeric ? first.target.size() : first.target_codes.size();
    }
    std::vector<analysis::DeploymentDimension> dimensions;
    for (const std::string& dimension : plan.strata) {
      auto built =
          BuildDimension(protocol, dimension, by_name, plan.profile.has_value(), section.notes);
      if (!built.ok()) return built.status();
      dimensions.push_back(std::move(built).value());
    }

    std::vector<analysis::ReadinessMetric> metrics;
    analysis::ReadinessOptions options;
    const double sign = table.direction == data::ScoreDirection::kHigherIsPositive ? 1.0 : -1.0;
    for (const EndpointSpec& spec : protocol.endpoints) {
      if (!spec.primary || !spec.threshold ||
          (spec.metric != "sensitivity" && spec.metric != "specificity"))
        continue;
      analysis::ReadinessMetric metric;
      metric.endpoint = spec.id;
      metric.metric = spec.metric;
      if (spec.hypothesis == Hypothesis::kGoal) metric.goal = spec.goal;
      metric.predicted.reserve(table.size());
      for (double score : table.score)
        metric.predicted.push_back(sign * score >= sign * *spec.threshold ? 1 : 0);
      if (metrics.empty()) {
        options.level = spec.level;
        options.method =
            stats::ParseProportionMethod(spec.interval).value_or(stats::ProportionMethod::kWilson);
      }
      metrics.push_back(std::move(metric));
    }
    options.minimum_class_cases = plan.minimum_class_cases.value_or(
        std::max(protocol.minimum_positives, protocol.minimum_negatives));
    options.maximum_half_width = plan.maximum_half_width;
    options.power = plan.power;
    options.bootstrap = protocol.bootstrap;
    options.seed = protocol.seed;
    auto readiness = analysis::AssessReadiness(table.truth, metrics, dimensions, options);
    if (!readiness.ok()) return readiness.status();
    section.readiness = std::move(readiness).value();
    if (plan.score) {
      const analysis::ShiftSample* stratum = nullptr;
      if (plan.calibrate_by) {
        stratum = by_name.at(*plan.calibrate_by);
        if (stratum->numeric) {
          return InvalidInput(fmt::format(
              "{} line {}, key 'deployment.calibrate_by': column '{}' holds numbers; name a "
              "categorical column (a vendor, a scanner model)",
              protocol.path, plan.line, *plan.calibrate_by));
        }
      }
      section.label_free =
          EstimateWithoutLabels(protocol, table, own_score, *by_name.at(*plan.score), stratum);
    }
    section.notes.emplace_back(
        "expected performance transports each stratum's prevalence and performance from the "
        "evidence; strata without evidence are left out of it and reported as uncovered");
    outcome.deployment = std::move(section);
  }
  return outcome;
}

}  // namespace assay::evidence
