#include "assay/evidence/study.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/math/distributions/normal.hpp>
#include <charconv>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <set>

#include "assay/core/sha256.h"
#include "assay/data/audit.h"
#include "assay/evidence/endpoint_options.h"
#include "assay/model/predictions.h"
#include "assay/stats/interval.h"
#include "assay/stats/proportion.h"
#include "assay/stats/sample_size.h"

namespace assay::evidence {
namespace {

constexpr double kPlanningPower = 0.8;

// Writes `bytes` to a private temporary file named after `stem`, the process
// and a counter; the caller removes it.
Result<std::filesystem::path> WriteTemporaryFile(std::string_view stem, std::string_view bytes) {
  static std::atomic<unsigned> counter{0};
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() /
      fmt::format("assay-{}-{}-{}.csv", stem, ::getpid(), counter.fetch_add(1));
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  out.close();
  if (!out) return IoError(fmt::format("{}: cannot write", path.string()));
  return path;
}

bool IsProportion(const std::string& metric) {
  return metric == "sensitivity" || metric == "specificity" || metric == "ppv" || metric == "npv" ||
         metric == "accuracy";
}

// The whole of `text` as a finite number, or nullopt.
std::optional<double> FiniteNumber(std::string_view text) {
  double value = 0.0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// Replaces the levels of each binned numeric subgroup column by its bins.
Status BinNumericGroups(data::CaseTable& table, const SubgroupPlan& plan) {
  for (auto& column : table.groups) {
    const auto found = plan.bins.find(column.name);
    if (found == plan.bins.end()) continue;
    const std::vector<double>& cuts = found->second;
    // Level index -> bin index (cuts.size() + 1 is "(missing)").
    std::vector<std::size_t> bin_of_level(column.levels.size());
    for (std::size_t level = 0; level < column.levels.size(); ++level) {
      const std::string& text = column.levels[level];
      if (text == data::kMissingLevel) {
        bin_of_level[level] = cuts.size() + 1;
        continue;
      }
      const std::optional<double> value = FiniteNumber(text);
      if (!value) {
        return InvalidInput(fmt::format(
            "{}: column '{}' is binned by the protocol, but holds '{}', which is not a number",
            table.source, column.name, text));
      }
      bin_of_level[level] = static_cast<std::size_t>(
          std::upper_bound(cuts.begin(), cuts.end(), *value) - cuts.begin());
    }
    // Keep only the bins that occur, in ascending order, missing last.
    std::set<std::size_t> used(bin_of_level.begin(), bin_of_level.end());
    std::map<std::size_t, std::uint32_t> code_of_bin;
    data::CategoricalColumn binned{column.name, {}, {}};
    for (std::size_t bin : used) {
      code_of_bin[bin] = static_cast<std::uint32_t>(binned.levels.size());
      binned.levels.push_back(bin > cuts.size() ? data::kMissingLevel : BinLabel(cuts, bin));
    }
    binned.codes.reserve(column.codes.size());
    for (std::uint32_t code : column.codes) binned.codes.push_back(code_of_bin[bin_of_level[code]]);
    column = std::move(binned);
  }
  return Status::Ok();
}

// Successes and trials behind a proportion finding (its denominator by metric).
std::uint64_t Trials(const analysis::Finding& finding) {
  if (finding.metric == "sensitivity") return finding.n_positive;
  if (finding.metric == "specificity") return finding.n_negative;
  return finding.n;
}

std::optional<CasesNeeded> CasesNeededFor(const EndpointSpec& spec,
                                          const analysis::Finding& finding,
                                          const analysis::EvaluationOptions& options) {
  if (!spec.goal || !finding.ci) return std::nullopt;
  CasesNeeded needed;
  needed.power = kPlanningPower;
  const double goal = *spec.goal;
  if (spec.metric == "auc") {
    needed.unit = "positives+negatives";
    if (auto total = stats::CasesToDecideAuc(finding.estimate, finding.n_positive,
                                             finding.n_negative, goal, spec.level)) {
      needed.precision_positives =
          total->positives - std::min(total->positives, finding.n_positive);
      needed.precision_negatives =
          total->negatives - std::min(total->negatives, finding.n_negative);
    }
    if (finding.estimate > goal) {
      const double ratio =
          static_cast<double>(finding.n_negative) / static_cast<double>(finding.n_positive);
      if (auto plan =
              stats::CasesForAucPower(finding.estimate, goal, ratio, spec.level, kPlanningPower)) {
        needed.power_positives = plan->positives;
        needed.power_negatives = plan->negatives;
      }
    }
    return needed;
  }
  if (!IsProportion(spec.metric)) return std::nullopt;
  const std::uint64_t trials = Trials(finding);
  needed.unit = spec.metric == "sensitivity"   ? "positives"
                : spec.metric == "specificity" ? "negatives"
                                               : "cases";
  std::optional<std::uint64_t> more;
  if (auto total = stats::CasesToDecideProportion(finding.estimate, trials, goal, spec.level,
                                                  options.proportion_method)) {
    more = *total - std::min(*total, trials);
  }
  std::optional<std::uint64_t> planned;
  if (finding.estimate > goal) {
    planned = stats::CasesForPower(finding.estimate, goal, spec.level, options.proportion_method,
                                   kPlanningPower);
  }
  if (spec.metric == "specificity") {
    needed.precision_negatives = more;
    needed.power_negatives = planned;
  } else {
    needed.precision_positives = more;
    needed.power_positives = planned;
  }
  return needed;
}

std::string Describe(const EndpointSpec& spec) {
  std::string text = spec.metric;
  if (spec.threshold) text += fmt::format(" at threshold {:g}", *spec.threshold);
  if (spec.target_sensitivity)
    text += fmt::format(" at target sensitivity {:g}", *spec.target_sensitivity);
  if (spec.target_specificity)
    text += fmt::format(" at target specificity {:g}", *spec.target_specificity);
  return text;
}

}  // namespace

Result<analysis::EvaluationOptions> EndpointOptions(const Protocol& protocol,
                                                    const EndpointSpec* spec) {
  analysis::EvaluationOptions options;
  options.seed = protocol.seed;
  options.bootstrap_replicates = protocol.bootstrap;
  options.youden = false;
  if (auto method = stats::ParseMultiplicity(protocol.subgroups.multiplicity)) {
    options.multiplicity = *method;
  }
  if (spec == nullptr) {
    for (const auto& endpoint : protocol.endpoints) {
      const auto& thresholds = options.thresholds;
      if (endpoint.threshold && std::find(thresholds.begin(), thresholds.end(),
                                          *endpoint.threshold) == thresholds.end()) {
        options.thresholds.push_back(*endpoint.threshold);
      }
    }
    return options;
  }
  options.level = spec->level;
  if (spec->threshold) options.thresholds = {*spec->threshold};
  options.target_sensitivity = spec->target_sensitivity;
  options.target_specificity = spec->target_specificity;
  options.compare_threshold = spec->threshold;
  if (!spec->interval.empty()) {
    if (spec->metric == "auc") {
      auto method = analysis::ParseAucMethod(spec->interval);
      if (!method) return InvalidInput("endpoint '" + spec->id + "': unknown AUC interval");
      options.auc_method = *method;
    } else {
      auto method = stats::ParseProportionMethod(spec->interval);
      if (!method) return InvalidInput("endpoint '" + spec->id + "': unknown interval");
      options.proportion_method = *method;
    }
  }
  return options;
}

// The endpoint's finding on all cases.
std::optional<analysis::Finding> OverallFinding(const analysis::Evaluation& evaluation,
                                                const std::string& metric) {
  for (const auto& finding : evaluation.findings) {
    if (finding.metric == metric && !finding.subgroup && !finding.prevalence) return finding;
  }
  return std::nullopt;
}

std::string NotEvaluableReason(const analysis::Evaluation& evaluation, const std::string& metric) {
  for (const auto& item : evaluation.not_evaluable) {
    if (item.metric == metric && !item.subgroup) return item.reason;
  }
  return "the data give no interval for this metric";
}

namespace {

// Intervals of a family of claims at a given two-sided level; nullopt where a
// member has none.
using IntervalsAt = std::function<Result<std::vector<std::optional<stats::Interval>>>(double)>;
using JudgeMember = std::function<Verdict(std::size_t, const stats::Interval&)>;

struct FamilyOutcome {
  std::vector<Verdict> verdicts;
  std::vector<std::optional<stats::Interval>> intervals;  // the interval each verdict rests on
};

// Judges a family of claims with family-wise (Holm, Bonferroni) or false
// coverage-rate (Benjamini–Hochberg, via Benjamini–Yekutieli selected
// intervals) control, by recomputing the intervals at adjusted levels. Holm
// step-down: at each step the remaining claims are judged at level
// 1 - (1 - level) / remaining; those cleared are supported and the rest go on
// to the next step, until a step clears none.
Result<FamilyOutcome> JudgeFamily(stats::Multiplicity method, double level, std::size_t size,
                                  const IntervalsAt& intervals_at, const JudgeMember& judge) {
  FamilyOutcome outcome{std::vector<Verdict>(size, Verdict::kNotEvaluable),
                        std::vector<std::optional<stats::Interval>>(size)};
  if (size == 0) return outcome;
  const double alpha = 1.0 - level;
  auto judge_all_at = [&](double at, const std::vector<bool>& skip) -> Result<std::size_t> {
    auto intervals = intervals_at(at);
    if (!intervals.ok()) return intervals.status();
    std::size_t cleared = 0;
    for (std::size_t i = 0; i < size; ++i) {
      if (skip[i]) continue;
      outcome.intervals[i] = (*intervals)[i];
      outcome.verdicts[i] = (*intervals)[i] ? judge(i, *(*intervals)[i]) : Verdict::kNotEvaluable;
      if (outcome.verdicts[i] == Verdict::kSupported) ++cleared;
    }
    return cleared;
  };
  const auto n = static_cast<double>(size);
  switch (method) {
    case stats::Multiplicity::kNone:
    case stats::Multiplicity::kBonferroni: {
      const double at = method == stats::Multiplicity::kNone ? level : 1.0 - alpha / n;
      auto cleared = judge_all_at(at, std::vector<bool>(size, false));
      if (!cleared.ok()) return cleared.status();
      return outcome;
    }
    case stats::Multiplicity::kHolm: {
      std::vector<bool> decided(size, false);
      std::size_t remaining = size;
      while (remaining > 0) {
        auto cleared = judge_all_at(1.0 - alpha / static_cast<double>(remaining), decided);
        if (!cleared.ok()) return cleared.status();
        if (*cleared == 0) break;
        for (std::size_t i = 0; i < size; ++i) {
          if (!decided[i] && outcome.verdicts[i] == Verdict::kSupported) decided[i] = true;
        }
        remaining -= *cleared;
      }
      return outcome;
    }
    case stats::Multiplicity::kBenjaminiHochberg: {
      // The largest R whose level 1 - R*alpha/n clears at least R claims.
      for (std::size_t r = size; r >= 1; --r) {
        auto cleared =
            judge_all_at(1.0 - static_cast<double>(r) * alpha / n, std::vector<bool>(size, false));
        if (!cleared.ok()) return cleared.status();
        if (*cleared >= r) return outcome;
      }
      auto cleared = judge_all_at(1.0 - alpha / n, std::vector<bool>(size, false));
      if (!cleared.ok()) return cleared.status();
      return outcome;
    }
  }
  return outcome;
}

// A ceiling claim (rejection rate at most `ceiling`) judged as the floor claim
// on its complement.
Verdict JudgeAgainstCeiling(const stats::Interval& interval, double ceiling) {
  stats::Interval complement = interval;
  complement.lower = 1.0 - interval.upper;
  complement.upper = 1.0 - interval.lower;
  return JudgeAgainstGoal(complement, 1.0 - ceiling);
}

// Extra cases for a paired difference whose interval straddles the margin, to
// decide it either way (supported when the estimate is on the good side of the
// bound, not supported when it is on the bad side, as for goals):
// the interval's half-width shrinks as 1/sqrt(n), so the precision-based total
// is n (h / distance)^2 and the planning total n ((z_a + z_b) se / distance)^2
// (normal approximation on the observed standard error of the difference).
std::optional<CasesNeeded> CasesNeededForDifference(const EndpointSpec& spec,
                                                    const analysis::Comparison& comparison,
                                                    std::uint64_t positives,
                                                    std::uint64_t negatives) {
  const double bound = spec.hypothesis == Hypothesis::kSuperiority ? spec.margin.value_or(0.0)
                                                                   : -spec.margin.value_or(0.0);
  const double distance = std::fabs(comparison.estimate - bound);
  CasesNeeded needed;
  needed.power = kPlanningPower;
  needed.unit = spec.metric == "sensitivity"   ? "positives"
                : spec.metric == "specificity" ? "negatives"
                                               : "positives+negatives";
  if (!(distance > 0.0)) return needed;  // the estimate is on the bound: no size decides it
  const double half_width = 0.5 * (comparison.ci.upper - comparison.ci.lower);
  const double z = stats::NormalQuantileTwoSided(comparison.ci.level);
  const double se = half_width / z;
  const boost::math::normal normal;
  const double z_power = boost::math::quantile(normal, kPlanningPower);
  const double precision_factor = std::pow(half_width / distance, 2.0);
  const double power_factor = std::pow((z + z_power) * se / distance, 2.0);
  auto scaled = [](std::uint64_t n, double factor) {
    return static_cast<std::uint64_t>(std::ceil(static_cast<double>(n) * factor));
  };
  auto more = [&](std::uint64_t n) {
    return scaled(n, precision_factor) - std::min(scaled(n, precision_factor), n);
  };
  if (spec.metric != "specificity") {
    needed.precision_positives = more(positives);
    needed.power_positives = scaled(positives, power_factor);
  }
  if (spec.metric != "sensitivity") {
    needed.precision_negatives = more(negatives);
    needed.power_negatives = scaled(negatives, power_factor);
  }
  return needed;
}

class StudyRunner {
 public:
  StudyRunner(const Protocol& protocol, const StudyContext& context)
      : protocol_(protocol), context_(context) {}

  Result<StudyResult> Run() {
    result_.context = context_;
    ASSAY_RETURN_IF_ERROR(LoadCases());
    ASSAY_RETURN_IF_ERROR(HashModel());
    PrepareAnalysisSets();
    auto options = EndpointOptions(protocol_, nullptr);
    if (!options.ok()) return options.status();
    auto evaluation = analysis::Evaluate(result_.table, *options);
    if (!evaluation.ok()) return evaluation.status();
    result_.evaluation = std::move(evaluation).value();

    CheckGates();
    for (const auto& spec : protocol_.endpoints) {
      ASSAY_RETURN_IF_ERROR(JudgeEndpoint(spec));
    }
    JudgeRejectionRate();
    if (protocol_.combine == "holm") ASSAY_RETURN_IF_ERROR(ApplyHolmToPrimary());
    ASSAY_RETURN_IF_ERROR(JudgeReaderStudy());
    Combine();
    ASSAY_RETURN_IF_ERROR(RunStressTests());
    FindSlices();
    ASSAY_RETURN_IF_ERROR(AnalyzeDeploymentPopulation());
    return std::move(result_);
  }

 private:
  Status LoadCases() {
    data::CaseRoles roles = protocol_.roles;
    roles.groups = protocol_.subgroups.columns;
    auto add_group = [&](const std::string& column) {
      if (std::find(roles.groups.begin(), roles.groups.end(), column) == roles.groups.end())
        roles.groups.push_back(column);
    };
    if (protocol_.failure_slices) {
      for (const std::string& column : protocol_.failure_slices->columns) add_group(column);
    }
    // Deployment strata and shift attributes (the scores excepted: the table has them).
    const std::optional<std::string> profile_score =
        protocol_.deployment ? protocol_.deployment->score : std::nullopt;
    auto add_attribute = [&](const std::string& column) {
      if (column != protocol_.roles.score && column != profile_score) add_group(column);
    };
    if (protocol_.deployment) {
      for (const std::string& dimension : protocol_.deployment->strata) {
        for (const std::string& column : StratumColumns(dimension)) add_attribute(column);
      }
    }
    if (protocol_.shift) {
      for (const std::string& column : protocol_.shift->columns) add_attribute(column);
    }
    for (const auto& spec : protocol_.endpoints) {
      if (!spec.comparator) continue;
      if (roles.compare && *roles.compare != *spec.comparator) {
        return InvalidInput(fmt::format(
            "{}: endpoints compare against both '{}' and '{}'; one comparator column per protocol",
            protocol_.path, *roles.compare, *spec.comparator));
      }
      roles.compare = spec.comparator;
    }
    auto table =
        protocol_.imaging ? LoadImagingCases(roles) : data::LoadCaseTable(protocol_.cases, roles);
    if (!table.ok()) return table.status();
    loaded_ = std::move(table).value();
    raw_columns_ = loaded_.groups;  // before binning: [deployment] and [shift] cut their own
    TakeSliceColumns();
    // The columns only the slice search, [deployment] or [shift] use make no subgroups.
    const auto& subgroups = protocol_.subgroups.columns;
    std::erase_if(loaded_.groups, [&](const data::CategoricalColumn& column) {
      return std::find(subgroups.begin(), subgroups.end(), column.name) == subgroups.end();
    });
    ASSAY_RETURN_IF_ERROR(BinNumericGroups(loaded_, protocol_.subgroups));
    if (loaded_.cluster && protocol_.allow_naive_interval) loaded_.cluster.reset();
    return Status::Ok();
  }

  // [data.imaging]: the data audit joins the inventory with labels and
  // outputs; its case table is then loaded like any other.
  Result<data::CaseTable> LoadImagingCases(const data::CaseRoles& roles) {
    const ImagingSource& source = *protocol_.imaging;
    data::AuditInputs inputs;
    inputs.inventory = source.inventory;
    inputs.development = source.development;
    inputs.labels = source.labels;
    inputs.image_key = source.key;
    inputs.label_key = source.label_key;
    inputs.truth = roles.truth;
    inputs.label_columns = source.label_columns;
    inputs.predictions = source.predictions;
    inputs.prediction_key = source.prediction_key;
    std::optional<std::filesystem::path> predictions_file;
    if (protocol_.model) {
      auto written = RunModel(source, roles.score);
      if (!written.ok()) return written.status();
      predictions_file = *written;
      inputs.predictions = written->string();
    }
    inputs.score = roles.score;
    auto audit = data::Audit(inputs);
    if (predictions_file) {
      std::error_code removed;
      std::filesystem::remove(*predictions_file, removed);
    }
    if (!audit.ok()) return audit.status();
    // The joined cases go through the case-table loader from a private temporary file.
    auto temporary = WriteTemporaryFile("cases", data::AuditCasesCsv(*audit));
    if (!temporary.ok()) return temporary.status();
    auto table = data::LoadCaseTable(temporary->string(), roles);
    std::error_code error;
    std::filesystem::remove(*temporary, error);
    if (!table.ok()) {
      return Status(table.status().code(), fmt::format("the cases joined from {}: {}",
                                                       source.inventory, table.status().message()));
    }
    table->source = source.inventory;
    result_.audit = std::move(audit).value();
    return table;
  }

  // Runs the model on the inventory's images; writes the case predictions to
  // a private temporary file for the audit to join.
  Result<std::filesystem::path> RunModel(const ImagingSource& source,
                                         const std::string& score_column) {
    const model::ModelSpec& spec = *protocol_.model;
    auto loaded = model::LoadModel(spec);
    if (!loaded.ok()) return loaded.status();
    model_ = std::move(loaded).value();
    auto list = model::ReadImageList(source.inventory, source.images, "path", source.key);
    if (!list.ok()) return list.status();
    images_ = std::move(list).value();
    model::InferenceOptions options;
    // Image quality only feeds the failure-slice search.
    options.measure_quality = protocol_.failure_slices && protocol_.failure_slices->image_quality;
    if (context_.progress) {
      options.progress = [this](std::size_t done, std::size_t total) {
        context_.progress("clean images", done, total);
      };
    }
    const auto start = std::chrono::steady_clock::now();
    auto results = model::RunInference(*model_, spec, images_.images, options);
    if (!results.ok()) return results.status();
    InferenceSummary summary;
    summary.runtime = model_->Describe();
    summary.backend = model::BackendName(spec.backend);
    summary.images = images_.images.size();
    for (const auto& image : *results) summary.images_failed += image.error.empty() ? 0 : 1;
    summary.rows_without_key = images_.without_key;
    summary.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    result_.inference = summary;
    const auto cases = model::AggregateByKey(images_, *results, model::Aggregate::kMax);
    for (const auto& c : cases) case_quality_.emplace(c.key, c.quality);
    return WriteTemporaryFile("predictions",
                              model::PredictionsCsv(cases, source.prediction_key, score_column));
  }

  // The failure-slice columns as features, before subgroup binning.
  void TakeSliceColumns() {
    if (!protocol_.failure_slices) return;
    const auto& wanted = protocol_.failure_slices->columns;
    for (const data::CategoricalColumn& column : loaded_.groups) {
      if (std::find(wanted.begin(), wanted.end(), column.name) == wanted.end()) continue;
      slice_features_.push_back(SliceFeatureOf(column));
    }
  }

  // Numeric when every present value is a finite number and there are more than six
  // distinct ones (then cut at quantiles); otherwise one condition per level.
  static analysis::SliceFeature SliceFeatureOf(const data::CategoricalColumn& column) {
    analysis::SliceFeature feature;
    feature.name = column.name;
    std::vector<double> level_values(column.levels.size(), std::nan(""));
    std::size_t numbers = 0;
    bool numeric = true;
    for (std::size_t l = 0; l < column.levels.size() && numeric; ++l) {
      const std::string& level = column.levels[l];
      if (level == data::kMissingLevel) continue;
      const std::optional<double> value = FiniteNumber(level);
      numeric = value.has_value();
      level_values[l] = value.value_or(0.0);
      ++numbers;
    }
    if (numeric && numbers > 6) {
      for (std::uint32_t code : column.codes) feature.values.push_back(level_values[code]);
    } else {
      feature.levels = column.levels;
      feature.codes = column.codes;
    }
    return feature;
  }

  // The rows of loaded_ that are in the analysis set (rejected inputs may be scoped out).
  std::vector<std::size_t> AnalysisRows() const {
    std::vector<std::size_t> rows;
    std::vector<std::uint8_t> dropped(loaded_.size(), 0);
    if (protocol_.scope_out_rejected) {
      for (const auto& item : loaded_.indeterminate) {
        if (item.problem == data::OutputProblem::kRejectedInput) dropped[item.index] = 1;
      }
    }
    for (std::size_t i = 0; i < loaded_.size(); ++i) {
      if (dropped[i] == 0) rows.push_back(i);
    }
    return rows;
  }

  // [shift] and [deployment] on the primary analysis set.
  Status AnalyzeDeploymentPopulation() {
    if (!protocol_.shift && !protocol_.deployment) return Status::Ok();
    if (!StatisticalGatesPass()) {
      if (protocol_.deployment) {
        DeploymentSection skipped;
        skipped.profile = protocol_.deployment->profile.value_or("");
        skipped.skipped = "a gate failed before any statistics (see gates)";
        result_.deployment = std::move(skipped);
      }
      return Status::Ok();
    }
    const std::vector<std::size_t> rows = AnalysisRows();
    if (rows.size() != result_.table.size()) {
      return Status(StatusCode::kInternal,
                    "the analysis set does not match the cases of [deployment]");
    }
    std::vector<data::CategoricalColumn> columns;
    for (const data::CategoricalColumn& all : raw_columns_) {
      data::CategoricalColumn column{all.name, all.levels, {}};
      column.codes.reserve(rows.size());
      for (std::size_t row : rows) column.codes.push_back(all.codes[row]);
      columns.push_back(std::move(column));
    }
    // Cases whose score was imputed for an indeterminate output are not the model's scores.
    std::vector<std::uint8_t> own_score(rows.size(), 1);
    for (const auto& item : loaded_.indeterminate) {
      const auto at = std::lower_bound(rows.begin(), rows.end(), item.index);
      if (at != rows.end() && *at == item.index) own_score[at - rows.begin()] = 0;
    }
    auto outcome = AnalyzeDeployment(protocol_, result_.table, columns, own_score);
    if (!outcome.ok()) return outcome.status();
    result_.shift = std::move(outcome->shift);
    result_.deployment = std::move(outcome->deployment);
    return Status::Ok();
  }

  // [failure_slices] on the primary analysis set, at the plan's operating point.
  void FindSlices() {
    if (!protocol_.failure_slices) return;
    const FailureSlicePlan& plan = *protocol_.failure_slices;
    if (!StatisticalGatesPass()) {
      FailureSliceResult skipped;
      skipped.threshold = *plan.threshold;
      skipped.search.options = plan.search;
      skipped.skipped = "a gate failed before any statistics (see gates)";
      result_.failure_slices = std::move(skipped);
      return;
    }
    const std::vector<std::size_t> rows = AnalysisRows();
    const data::CaseTable& table = result_.table;
    if (rows.size() != table.size()) {  // Imputed() drops exactly these rows
      FailureSliceResult broken;
      broken.threshold = *plan.threshold;
      broken.search.options = plan.search;
      broken.skipped = "internal error: the analysis set does not match the cases searched";
      result_.failure_slices = std::move(broken);
      return;
    }
    FailureSliceResult out;
    out.threshold = *plan.threshold;
    std::vector<analysis::SliceFeature> features;
    auto subset = [&](const analysis::SliceFeature& all) {
      analysis::SliceFeature f;
      f.name = all.name;
      f.levels = all.levels;
      for (std::size_t row : rows) {
        if (all.numeric()) {
          f.values.push_back(all.values[row]);
        } else {
          f.codes.push_back(all.codes[row]);
        }
      }
      return f;
    };
    for (const auto& feature : slice_features_) features.push_back(subset(feature));
    if (plan.image_quality && !case_quality_.empty() && !loaded_.id.empty()) {
      analysis::SliceFeature noise{"image_noise", {}, {}, {}};
      analysis::SliceFeature sharpness{"image_sharpness", {}, {}, {}};
      for (std::size_t row : rows) {
        const auto found = case_quality_.find(loaded_.id[row]);
        const model::ImageQuality q =
            found == case_quality_.end() ? model::ImageQuality{} : found->second;
        noise.values.push_back(q.noise);
        sharpness.values.push_back(q.sharpness);
      }
      features.push_back(std::move(noise));
      features.push_back(std::move(sharpness));
    }
    const bool higher = table.direction == data::ScoreDirection::kHigherIsPositive;
    const double sign = higher ? 1.0 : -1.0;
    std::vector<std::uint8_t> predicted(table.size());
    std::vector<double> margin(table.size());
    for (std::size_t i = 0; i < table.size(); ++i) {
      predicted[i] = sign * table.score[i] >= sign * out.threshold ? 1 : 0;
      margin[i] = std::abs(table.score[i] - out.threshold);
    }
    // Indeterminate outputs carry imputed scores: no margin (they are errors, not confident ones).
    for (const auto& item : loaded_.indeterminate) {
      const auto at = std::lower_bound(rows.begin(), rows.end(), item.index);
      if (at != rows.end() && *at == item.index) margin[at - rows.begin()] = std::nan("");
    }
    if (plan.score_margin) features.push_back({"score_margin", {}, {}, margin});
    for (const auto& f : features) {
      out.features.emplace_back(f.name, f.numeric() ? "numeric" : "categorical");
    }
    out.search = analysis::FindFailureSlices(table.truth, predicted, margin, table.id, features,
                                             plan.search);
    result_.failure_slices = std::move(out);
  }

  Status RunStressTests() {
    if (!protocol_.stress || !model_) return Status::Ok();
    StressInputs inputs;
    inputs.protocol = &protocol_;
    inputs.model = model_.get();
    inputs.images = &images_;
    inputs.table = &loaded_;
    inputs.clean_valid.assign(loaded_.size(), 1);
    for (const auto& item : loaded_.indeterminate) inputs.clean_valid[item.index] = 0;
    inputs.progress = context_.progress;
    auto stress = RunStress(inputs);
    if (!stress.ok()) return stress.status();
    result_.stress = *std::move(stress);
    return Status::Ok();
  }

  Status HashModel() {
    if (!protocol_.model_file) return Status::Ok();
    auto digest = Sha256File(*protocol_.model_file);
    if (!digest.ok()) return digest.status();
    result_.model_sha256 = *digest;
    return Status::Ok();
  }

  // Oriented extremes below and above every valid score and threshold, so an
  // imputed score is wrong (or right) at every operating point.
  std::pair<double, double> Extremes() const {
    const double sign = loaded_.direction == data::ScoreDirection::kLowerIsPositive ? -1.0 : 1.0;
    double low = std::numeric_limits<double>::infinity(), high = -low;
    for (double score : loaded_.score) {
      if (std::isnan(score)) continue;
      low = std::min(low, sign * score);
      high = std::max(high, sign * score);
    }
    for (const auto& spec : protocol_.endpoints) {
      if (!spec.threshold) continue;
      low = std::min(low, sign * *spec.threshold);
      high = std::max(high, sign * *spec.threshold);
    }
    if (!std::isfinite(low)) low = high = 0.0;
    return {sign * (low - 1.0), sign * (high + 1.0)};
  }

  // A copy of the loaded cases with each indeterminate output scored wrong
  // (`against`) or right, and rejected inputs left out when `drop_rejected`.
  data::CaseTable Imputed(bool against, bool drop_rejected) const {
    const auto [low, high] = Extremes();
    data::CaseTable table = loaded_;
    std::vector<std::uint8_t> keep(table.size(), 1);
    for (const auto& item : table.indeterminate) {
      if (drop_rejected && item.problem == data::OutputProblem::kRejectedInput) {
        keep[item.index] = 0;
        continue;
      }
      const bool positive = table.truth[item.index] == 1;
      table.score[item.index] = (positive == against) ? low : high;
    }
    if (std::all_of(keep.begin(), keep.end(), [](std::uint8_t k) { return k != 0; })) {
      return table;
    }
    return data::SelectRows(table, keep);
  }

  void PrepareAnalysisSets() {
    auto& summary = result_.indeterminate;
    summary.handling = protocol_.scope_out_rejected ? "scope_out_rejected" : "count_against_model";
    for (const auto& item : loaded_.indeterminate) {
      switch (item.problem) {
        case data::OutputProblem::kNoOutput:
          ++summary.no_output;
          break;
        case data::OutputProblem::kTechnicalFailure:
          ++summary.technical_failure;
          break;
        case data::OutputProblem::kRejectedInput:
          ++summary.rejected_input;
          break;
      }
    }
    result_.table = Imputed(/*against=*/true, protocol_.scope_out_rejected);
    if (protocol_.scope_out_rejected) {
      summary.scoped_out = summary.rejected_input;
      auto& flow = result_.table.flow;
      for (const auto& item : loaded_.indeterminate) {
        if (item.problem != data::OutputProblem::kRejectedInput) continue;
        flow.exclusions.push_back({"rejected_input_scoped_out", item.line,
                                   loaded_.id.empty() ? std::string() : loaded_.id[item.index]});
      }
      flow.analysed -= summary.scoped_out;
    }
    summary.counted_against_model = loaded_.indeterminate.size() - summary.scoped_out;
    if (!loaded_.indeterminate.empty()) {
      bounding_tables_.emplace_back("all_against_model", Imputed(true, false));
      bounding_tables_.emplace_back("all_for_model", Imputed(false, false));
    }
  }

  void CheckGates() {
    const auto& flow = result_.table.flow;
    const std::uint64_t ended = flow.analysed + flow.exclusions.size();
    auto& gates = result_.gates;
    gates.push_back({"case_flow_closes", ended == flow.received,
                     fmt::format("{} received, {} excluded, {} analysed", flow.received,
                                 flow.exclusions.size(), flow.analysed)});
    const auto& evaluation = result_.evaluation;
    gates.push_back({"enough_positives", evaluation.n_positive >= protocol_.minimum_positives,
                     fmt::format("{} positives, at least {} required", evaluation.n_positive,
                                 protocol_.minimum_positives)});
    gates.push_back({"enough_negatives", evaluation.n_negative >= protocol_.minimum_negatives,
                     fmt::format("{} negatives, at least {} required", evaluation.n_negative,
                                 protocol_.minimum_negatives)});
    gates.push_back(ModelGate());
    gates.push_back(ClusterGate());
    if (context_.locked_at) {
      gates.push_back({"protocol_locked", true,
                       fmt::format("the protocol's exact bytes (sha256 {}) were locked at {}",
                                   context_.protocol_sha256, *context_.locked_at)});
    } else {
      gates.push_back({"protocol_locked", false,
                       "the protocol was not locked before the run (assay lock), so every "
                       "claim is exploratory"});
    }
  }

  Gate ModelGate() const {
    if (!protocol_.model_sha256) {
      return {"model_identity", true,
              result_.model_sha256 ? fmt::format("no hash declared; the model file hashes to {}",
                                                 *result_.model_sha256)
                                   : std::string("no model hash declared; identity not checked")};
    }
    if (!result_.model_sha256) {
      return {"model_identity", false,
              "the protocol declares the model's hash but names no model file to check it "
              "against (model.file)"};
    }
    const bool same = *result_.model_sha256 == *protocol_.model_sha256;
    return {"model_identity", same,
            same ? fmt::format("model file matches the declared sha256 {}", *protocol_.model_sha256)
                 : fmt::format("model file hashes to {}, but the protocol declares {}",
                               *result_.model_sha256, *protocol_.model_sha256)};
  }

  Gate ClusterGate() const {
    if (!protocol_.roles.cluster) {
      return {"cluster_aware_interval", true,
              "no cluster column declared: every case is an independent unit"};
    }
    if (protocol_.allow_naive_interval) {
      return {"cluster_aware_interval", true,
              fmt::format("clustered by '{}', but the protocol allows intervals that ignore the "
                          "clusters (allow_naive_interval); they are too narrow",
                          *protocol_.roles.cluster)};
    }
    return {"cluster_aware_interval", true,
            fmt::format("clustered by '{}': cluster-aware intervals (Rao-Scott design effect for "
                        "proportions, Obuchowski or cluster bootstrap for the AUC)",
                        *protocol_.roles.cluster)};
  }

  bool StatisticalGatesPass() const {
    return std::all_of(result_.gates.begin(), result_.gates.end(), [](const Gate& gate) {
      return gate.passed || gate.name == "protocol_locked";
    });
  }

  bool Exploratory() const { return !context_.locked_at.has_value(); }

  Status JudgeEndpoint(const EndpointSpec& spec) {
    EndpointResult endpoint;
    endpoint.spec = spec;
    endpoint.exploratory = Exploratory();
    if (!StatisticalGatesPass()) {
      endpoint.reason = "a gate failed before any statistics (see gates)";
      result_.endpoints.push_back(std::move(endpoint));
      return Status::Ok();
    }
    auto options = EndpointOptions(protocol_, &spec);
    if (!options.ok()) return options.status();
    auto evaluation = analysis::Evaluate(result_.table, *options);
    if (!evaluation.ok()) return evaluation.status();

    if (spec.hypothesis == Hypothesis::kGoal) {
      JudgeGoal(spec, *evaluation, *options, endpoint);
      ASSAY_RETURN_IF_ERROR(AddBounding(spec, *options, endpoint));
    } else {
      JudgeComparison(spec, *evaluation, endpoint);
    }
    if (spec.primary && spec.hypothesis == Hypothesis::kGoal) {
      ASSAY_RETURN_IF_ERROR(AddSubgroups(spec, *evaluation, *options));
    }
    result_.endpoints.push_back(std::move(endpoint));
    return Status::Ok();
  }

  void JudgeGoal(const EndpointSpec& spec, const analysis::Evaluation& evaluation,
                 const analysis::EvaluationOptions& options, EndpointResult& endpoint) {
    endpoint.finding = OverallFinding(evaluation, spec.metric);
    if (!endpoint.finding || !endpoint.finding->ci) {
      endpoint.reason = NotEvaluableReason(evaluation, spec.metric);
      return;
    }
    const auto& finding = *endpoint.finding;
    endpoint.verdict = JudgeAgainstGoal(*finding.ci, *spec.goal);
    if (finding.exploratory) endpoint.exploratory = true;
    endpoint.reason =
        fmt::format("{} {:.3f} ({:g}% CI {:.3f} to {:.3f}, {}) against a goal of {:g}",
                    Describe(spec), finding.estimate, 100.0 * finding.ci->level, finding.ci->lower,
                    finding.ci->upper, finding.ci->method, *spec.goal);
    if (endpoint.verdict == Verdict::kInconclusive) {
      endpoint.cases_needed = CasesNeededFor(spec, finding, options);
    }
  }

  Status AddBounding(const EndpointSpec& spec, const analysis::EvaluationOptions& options,
                     EndpointResult& endpoint) const {
    for (const auto& [name, table] : bounding_tables_) {
      auto evaluation = analysis::Evaluate(table, options);
      if (!evaluation.ok()) return evaluation.status();
      BoundingAnalysis bounding{name, OverallFinding(*evaluation, spec.metric), std::nullopt};
      if (bounding.finding && bounding.finding->ci) {
        bounding.verdict = JudgeAgainstGoal(*bounding.finding->ci, *spec.goal);
      }
      endpoint.bounding.push_back(std::move(bounding));
    }
    return Status::Ok();
  }

  void JudgeComparison(const EndpointSpec& spec, const analysis::Evaluation& evaluation,
                       EndpointResult& endpoint) {
    endpoint.comparison = FindComparison(spec, evaluation);
    if (!endpoint.comparison) {
      endpoint.reason =
          "no paired comparison for this metric (it needs a threshold for "
          "sensitivity or specificity, and two cases of each class)";
      return;
    }
    const bool superiority = spec.hypothesis == Hypothesis::kSuperiority;
    const double margin = spec.margin.value_or(0.0);
    endpoint.verdict = JudgeDifference(endpoint.comparison->ci, margin, superiority);
    endpoint.reason = fmt::format(
        "{} difference to '{}' {:+.3f} ({:g}% CI {:+.3f} to {:+.3f}) against {} margin {:g}",
        Describe(spec), spec.comparator.value_or(""), endpoint.comparison->estimate,
        100.0 * endpoint.comparison->ci.level, endpoint.comparison->ci.lower,
        endpoint.comparison->ci.upper, superiority ? "a superiority" : "a non-inferiority", margin);
    if (endpoint.verdict == Verdict::kInconclusive) {
      endpoint.cases_needed = CasesNeededForDifference(
          spec, *endpoint.comparison, evaluation.n_positive, evaluation.n_negative);
    }
  }

  static std::optional<analysis::Comparison> FindComparison(
      const EndpointSpec& spec, const analysis::Evaluation& evaluation) {
    const char* test = spec.metric == "auc" ? "delong_paired" : "mcnemar";
    std::optional<analysis::Comparison> found;
    for (const auto& comparison : evaluation.comparisons) {
      if (comparison.test == test && comparison.metric == spec.metric) found = comparison;
    }
    return found;
  }

  // The rejection rate is its own claim when rejected inputs are scoped out:
  // supported when the whole interval lies below the protocol's ceiling.
  void JudgeRejectionRate() {
    if (!protocol_.scope_out_rejected || !protocol_.maximum_rejection_rate) return;
    EndpointResult endpoint;
    endpoint.spec.id = "rejection_rate";
    endpoint.spec.metric = "rejection_rate";
    endpoint.spec.goal = *protocol_.maximum_rejection_rate;
    endpoint.spec.primary = true;
    endpoint.exploratory = Exploratory();
    const std::uint64_t rejected = result_.indeterminate.rejected_input;
    const std::uint64_t trials = loaded_.size();
    const auto method = stats::ProportionMethod::kWilson;
    analysis::Finding finding;
    finding.metric = "rejection_rate";
    finding.estimate = static_cast<double>(rejected) / static_cast<double>(trials);
    finding.ci = stats::ProportionInterval(rejected, trials, endpoint.spec.level, method);
    finding.n = trials;
    finding.n_positive = loaded_.positives();
    finding.n_negative = trials - finding.n_positive;
    endpoint.verdict = JudgeAgainstCeiling(*finding.ci, *endpoint.spec.goal);
    endpoint.reason = fmt::format(
        "the model rejected {} of {} inputs: {:.3f} ({:g}% CI {:.3f} to {:.3f}, wilson) against "
        "a ceiling of {:g}",
        rejected, trials, finding.estimate, 100.0 * finding.ci->level, finding.ci->lower,
        finding.ci->upper, *endpoint.spec.goal);
    endpoint.finding = std::move(finding);
    result_.endpoints.push_back(std::move(endpoint));
  }

  // The endpoint's interval at another level, on the primary analysis set.
  Result<std::optional<stats::Interval>> EndpointIntervalAt(const EndpointSpec& spec,
                                                            double level) const {
    auto options = EndpointOptions(protocol_, &spec);
    if (!options.ok()) return options.status();
    options->level = level;
    auto evaluation = analysis::Evaluate(result_.table, *options);
    if (!evaluation.ok()) return evaluation.status();
    if (spec.hypothesis == Hypothesis::kGoal) {
      const auto finding = OverallFinding(*evaluation, spec.metric);
      if (!finding || !finding->ci) return std::optional<stats::Interval>();
      return std::optional<stats::Interval>(*finding->ci);
    }
    const auto comparison = FindComparison(spec, *evaluation);
    if (!comparison) return std::optional<stats::Interval>();
    return std::optional<stats::Interval>(comparison->ci);
  }

  static Verdict JudgeSpec(const EndpointSpec& spec, const stats::Interval& interval) {
    if (spec.metric == "rejection_rate") return JudgeAgainstCeiling(interval, *spec.goal);
    if (spec.hypothesis == Hypothesis::kGoal) return JudgeAgainstGoal(interval, *spec.goal);
    return JudgeDifference(interval, spec.margin.value_or(0.0),
                           spec.hypothesis == Hypothesis::kSuperiority);
  }

  // combine = "holm": the primary claims as one family at the protocol's level.
  Status ApplyHolmToPrimary() {
    std::vector<EndpointResult*> family;
    for (auto& endpoint : result_.endpoints) {
      if (endpoint.spec.primary) family.push_back(&endpoint);
    }
    if (family.empty()) return Status::Ok();
    const double level = family.front()->spec.level;
    auto intervals_at = [&](double at) -> Result<std::vector<std::optional<stats::Interval>>> {
      std::vector<std::optional<stats::Interval>> intervals;
      for (const EndpointResult* endpoint : family) {
        if (endpoint->verdict == Verdict::kNotEvaluable) {
          intervals.emplace_back();
        } else if (endpoint->spec.metric == "rejection_rate") {
          const auto& finding = *endpoint->finding;
          const auto rejected = static_cast<std::uint64_t>(
              std::llround(finding.estimate * static_cast<double>(finding.n)));
          intervals.emplace_back(
              stats::ProportionInterval(rejected, finding.n, at, stats::ProportionMethod::kWilson));
        } else {
          auto interval = EndpointIntervalAt(endpoint->spec, at);
          if (!interval.ok()) return interval.status();
          intervals.push_back(*interval);
        }
      }
      return intervals;
    };
    auto outcome = JudgeFamily(stats::Multiplicity::kHolm, level, family.size(), intervals_at,
                               [&](std::size_t i, const stats::Interval& interval) {
                                 return JudgeSpec(family[i]->spec, interval);
                               });
    if (!outcome.ok()) return outcome.status();
    for (std::size_t i = 0; i < family.size(); ++i) {
      EndpointResult& endpoint = *family[i];
      if (endpoint.verdict == Verdict::kNotEvaluable || !outcome->intervals[i]) continue;
      const Verdict nominal = endpoint.verdict;
      endpoint.adjusted_ci = outcome->intervals[i];
      // A claim not cleared by Holm is inconclusive unless even its nominal interval fails.
      endpoint.verdict = outcome->verdicts[i] == Verdict::kSupported ? Verdict::kSupported
                         : nominal == Verdict::kNotSupported         ? Verdict::kNotSupported
                                                                     : Verdict::kInconclusive;
      endpoint.reason +=
          fmt::format("; Holm across {} primary endpoints: {:g}% interval {:.3f} to {:.3f}",
                      family.size(), 100.0 * endpoint.adjusted_ci->level,
                      endpoint.adjusted_ci->lower, endpoint.adjusted_ci->upper);
    }
    return Status::Ok();
  }

  Status AddSubgroups(const EndpointSpec& spec, const analysis::Evaluation& evaluation,
                      const analysis::EvaluationOptions& options) {
    const auto overall = OverallFinding(evaluation, spec.metric);
    std::vector<std::size_t> judged;  // indices into result_.subgroups with a subgroup goal
    for (const auto& finding : evaluation.findings) {
      if (finding.metric != spec.metric || !finding.subgroup || finding.prevalence) continue;
      SubgroupResult subgroup{spec.id, *finding.subgroup, finding, "consistent", std::nullopt,
                              "",      std::nullopt};
      if (finding.n < protocol_.subgroups.minimum_cases || !finding.ci) {
        subgroup.status = "insufficient_data";
        subgroup.reason = fmt::format("{} cases, at least {} required", finding.n,
                                      protocol_.subgroups.minimum_cases);
      } else if (overall && HeterogeneitySignal(evaluation, finding) &&
                 finding.ci->upper < overall->estimate) {
        subgroup.status = "signal";
        subgroup.reason =
            "below the overall estimate, and the heterogeneity test is significant "
            "after multiplicity correction";
      }
      if (protocol_.subgroups.goal && finding.ci && subgroup.status != "insufficient_data") {
        judged.push_back(result_.subgroups.size());
      }
      result_.subgroups.push_back(std::move(subgroup));
    }
    if (judged.empty()) return Status::Ok();

    // Subgroup goals as one family per endpoint, under the plan's multiplicity method.
    const double goal = *protocol_.subgroups.goal;
    auto intervals_at = [&](double at) -> Result<std::vector<std::optional<stats::Interval>>> {
      analysis::EvaluationOptions adjusted = options;
      adjusted.level = at;
      auto evaluation_at = analysis::Evaluate(result_.table, adjusted);
      if (!evaluation_at.ok()) return evaluation_at.status();
      std::vector<std::optional<stats::Interval>> intervals;
      for (std::size_t index : judged) {
        const auto& wanted = result_.subgroups[index].subgroup;
        std::optional<stats::Interval> interval;
        for (const auto& finding : evaluation_at->findings) {
          if (finding.metric == spec.metric && finding.subgroup && !finding.prevalence &&
              finding.subgroup->column == wanted.column &&
              finding.subgroup->value == wanted.value) {
            interval = finding.ci;
          }
        }
        intervals.push_back(interval);
      }
      return intervals;
    };
    const auto method = stats::ParseMultiplicity(protocol_.subgroups.multiplicity)
                            .value_or(stats::Multiplicity::kHolm);
    auto outcome = JudgeFamily(method, spec.level, judged.size(), intervals_at,
                               [goal](std::size_t, const stats::Interval& interval) {
                                 return JudgeAgainstGoal(interval, goal);
                               });
    if (!outcome.ok()) return outcome.status();
    for (std::size_t k = 0; k < judged.size(); ++k) {
      SubgroupResult& subgroup = result_.subgroups[judged[k]];
      subgroup.verdict = outcome->verdicts[k];
      subgroup.adjusted_ci = outcome->intervals[k];
    }
    return Status::Ok();
  }

  static bool HeterogeneitySignal(const analysis::Evaluation& evaluation,
                                  const analysis::Finding& finding) {
    for (const auto& test : evaluation.heterogeneity) {
      if (test.column == finding.subgroup->column && test.metric == finding.metric &&
          test.p_adjusted < 0.05) {
        return true;
      }
    }
    return false;
  }

  // [mrmc]: the reader study analysed, and its claim judged on the difference's interval.
  Status JudgeReaderStudy() {
    if (!protocol_.mrmc) return Status::Ok();
    const MrmcPlan& plan = *protocol_.mrmc;
    auto design = LoadRatings(plan.ratings, plan.columns);
    if (!design.ok()) return design.status();
    const auto& modalities = design->modalities();
    for (const std::string* label : {&plan.test, &plan.reference}) {
      if (std::find(modalities.begin(), modalities.end(), *label) == modalities.end()) {
        return InvalidInput(fmt::format(
            "{} line {}, key 'mrmc': modality '{}' is not in {} (it has {})", protocol_.path,
            plan.line, *label, plan.ratings, fmt::join(modalities, ", ")));
      }
    }
    std::optional<std::vector<double>> standalone;
    std::size_t unused = 0;
    if (plan.standalone) {
      auto scores = LoadStandalone(*plan.standalone, plan.columns.case_id, plan.standalone_score,
                                   *design, unused);
      if (!scores.ok()) return scores.status();
      standalone = std::move(*scores);
    }
    auto analysis = AnalyzeReaderStudy(*design, plan.options, standalone, {});
    if (!analysis.ok()) return analysis.status();
    MrmcSection section;
    section.plan = plan;
    section.analysis = std::move(*analysis);
    section.analysis.ratings = plan.ratings;
    section.analysis.standalone = plan.standalone.value_or("");
    section.analysis.standalone_unused = unused;
    section.exploratory = Exploratory();
    const stats::OrResult& oror = section.analysis.obuchowski_rockette;
    const stats::MrmcTest& chosen = plan.analysis == "fixed_readers" ? oror.fixed_readers
                                    : plan.analysis == "fixed_cases" ? oror.fixed_cases
                                                                     : oror.random;
    // The pair's difference is listed first minus second in the ratings' order.
    const std::string forward = plan.test + " - " + plan.reference;
    const std::string backward = plan.reference + " - " + plan.test;
    for (const stats::MrmcEstimate& d : chosen.differences) {
      if (d.label != forward && d.label != backward) continue;
      section.difference = d;
      if (d.label == backward) {
        section.difference.label = forward;
        section.difference.estimate = -d.estimate;
        section.difference.statistic = -d.statistic;
        section.difference.interval = {-d.interval.upper, -d.interval.lower, d.interval.level,
                                       d.interval.method};
      }
    }
    const bool superiority = plan.hypothesis == "superiority";
    section.verdict = JudgeDifference(section.difference.interval, plan.margin, superiority);
    const double boundary = superiority ? plan.margin : -plan.margin;
    const std::string figure = stats::FigureOfMeritName(plan.options.figure);
    section.reason = fmt::format(
        "reader-averaged {} of {} minus {} is {:.4f} ({:g}% CI {:.4f} to {:.4f}; {} readers x {} "
        "cases, {}) against {} {}",
        figure, plan.test, plan.reference, section.difference.estimate, 100.0 * plan.options.level,
        section.difference.interval.lower, section.difference.interval.upper,
        design->reader_count(), design->case_count(), plan.analysis,
        superiority ? "a superiority boundary of" : "a non-inferiority margin of",
        superiority ? fmt::format("{:g}", boundary) : fmt::format("{:g}", plan.margin));
    if (section.verdict == Verdict::kInconclusive) {
      const double effect = section.difference.estimate - boundary;
      if (effect > 0.0) {
        section.needed = stats::PlanReaderStudy(
            oror.components, design->case_count(), effect, plan.power, 1.0 - plan.options.level,
            std::max<std::size_t>(design->reader_count(), 3),
            std::max<std::size_t>(design->reader_count(), 3) + 10, 20000);
      }
    }
    result_.mrmc = std::move(section);
    return Status::Ok();
  }

  void Combine() {
    std::vector<Verdict> primary;
    auto& reasons = result_.reasons;
    for (const auto& endpoint : result_.endpoints) {
      if (!endpoint.spec.primary) continue;
      primary.push_back(endpoint.verdict);
      reasons.push_back(fmt::format("Primary endpoint '{}' is {}: {}.", endpoint.spec.id,
                                    VerdictName(endpoint.verdict), endpoint.reason));
    }
    if (result_.mrmc && result_.mrmc->plan.primary) {
      primary.push_back(result_.mrmc->verdict);
      reasons.push_back(fmt::format("Primary reader-study claim '{}' is {}: {}.",
                                    result_.mrmc->plan.id, VerdictName(result_.mrmc->verdict),
                                    result_.mrmc->reason));
    }
    bool concern = false;
    for (const auto& subgroup : result_.subgroups) {
      const bool below_goal = subgroup.verdict == Verdict::kNotSupported;
      if (subgroup.status != "signal" && !below_goal) continue;
      concern = true;
      reasons.push_back(
          fmt::format("Subgroup {}={} raises a concern for '{}': {}.", subgroup.subgroup.column,
                      subgroup.subgroup.value, subgroup.endpoint,
                      below_goal ? "its interval lies below the subgroup goal after multiplicity "
                                   "correction"
                                 : subgroup.reason));
    }
    const auto& indeterminate = result_.indeterminate;
    if (indeterminate.counted_against_model > 0) {
      reasons.push_back(fmt::format(
          "{} indeterminate model outputs ({} without output, {} technical failures, {} rejected "
          "inputs) are counted against the model; the bounding analyses show the range.",
          indeterminate.counted_against_model, indeterminate.no_output,
          indeterminate.technical_failure,
          indeterminate.rejected_input - indeterminate.scoped_out));
    }
    result_.overall = CombinePrimary(primary, concern);
    // Exploratory claims never make the evidence sufficient.
    if (result_.overall == OverallVerdict::kSufficient && Exploratory()) {
      result_.overall = OverallVerdict::kInsufficient;
      reasons.push_back(
          "The claims would be supported, but the protocol was not locked before "
          "the run, so they are exploratory; lock it (assay lock) before a confirmatory run.");
    }
  }

  const Protocol& protocol_;
  const StudyContext& context_;
  data::CaseTable loaded_;                                   // as read; indeterminate scores NaN
  std::unique_ptr<model::Model> model_;                      // when assay runs the model
  model::ImageList images_;                                  // the images it runs on
  std::map<std::string, model::ImageQuality> case_quality_;  // by case key, when the model ran
  std::vector<analysis::SliceFeature> slice_features_;       // per loaded_ row
  std::vector<data::CategoricalColumn> raw_columns_;         // loaded_'s columns before binning
  std::vector<std::pair<std::string, data::CaseTable>> bounding_tables_;
  StudyResult result_;
};

}  // namespace

Result<StudyResult> RunStudy(const Protocol& protocol, const StudyContext& context) {
  return StudyRunner(protocol, context).Run();
}

}  // namespace assay::evidence
