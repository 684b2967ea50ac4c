#include "assay/report/vega_specs.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <set>

#include "assay/stats/proportion.h"

namespace assay::report {
namespace {

using nlohmann::json;

constexpr const char* kSchema = "https://vega.github.io/schema/vega-lite/v6.json";
constexpr const char* kBlue = "#0072B2";
constexpr const char* kOrange = "#E69F00";
constexpr const char* kGrey = "#999999";

json Base(std::string_view title, std::string_view description) {
  return {{"$schema", kSchema},
          {"title", title},
          {"description", description},
          {"width", 420},
          {"height", 320},
          {"config", {{"font", "system-ui, sans-serif"}, {"view", {{"stroke", nullptr}}}}}};
}

double NumberOr(const json& value, double fallback) {
  return value.is_number() ? value.get<double>() : fallback;
}

// The overall (subgroup null) finding of `metric` at `threshold`, or null.
const json* OverallFinding(const json& evidence, std::string_view metric, double threshold) {
  for (const auto& finding : Member(evidence, "findings")) {
    if (ValueOr(finding, "metric", "") != metric || !Member(finding, "subgroup").is_null())
      continue;
    if (NumberOr(Member(finding, "threshold"), NAN) == threshold) return &finding;
  }
  return nullptr;
}

// Keeps the curve's corners and enough points that no kept segment moves
// more than 1/max_points in sensitivity or in 1 - specificity.
std::vector<std::size_t> ThinCurve(const json& curve, std::size_t max_points) {
  std::vector<std::size_t> kept;
  if (curve.empty()) return kept;
  const double step = 1.0 / static_cast<double>(std::max<std::size_t>(max_points, 2));
  kept.push_back(0);
  for (std::size_t i = 1; i + 1 < curve.size(); ++i) {
    const json& last = curve[kept.back()];
    const double moved = std::max(std::fabs(NumberOr(Member(curve[i], "sensitivity"), 0.0) -
                                            NumberOr(Member(last, "sensitivity"), 0.0)),
                                  std::fabs(NumberOr(Member(curve[i], "specificity"), 0.0) -
                                            NumberOr(Member(last, "specificity"), 0.0)));
    if (moved >= step) kept.push_back(i);
  }
  if (curve.size() > 1) kept.push_back(curve.size() - 1);
  return kept;
}

json OperatingPointLayer(const json& evidence) {
  json values = json::array();
  for (const auto& point : Member(evidence, "operating_points")) {
    if (!Member(point, "threshold").is_number()) continue;
    const double threshold = Member(point, "threshold").get<double>();
    const json* sensitivity = OverallFinding(evidence, "sensitivity", threshold);
    const json* specificity = OverallFinding(evidence, "specificity", threshold);
    if (sensitivity == nullptr || specificity == nullptr) continue;
    if (!Member(*sensitivity, "estimate").is_number()) continue;
    if (!Member(*specificity, "estimate").is_number()) continue;
    values.push_back(
        {{"fpr", 1.0 - NumberOr(Member(*specificity, "estimate"), NAN)},
         {"tpr", NumberOr(Member(*sensitivity, "estimate"), NAN)},
         {"label", fmt::format("{} {:g}", ValueOr(point, "rule", "threshold"), threshold)}});
  }
  return {{"data", {{"values", values}}},
          {"mark", {{"type", "point"}, {"filled", true}, {"size", 90}, {"shape", "diamond"}}},
          {"encoding",
           {{"x", {{"field", "fpr"}, {"type", "quantitative"}}},
            {"y", {{"field", "tpr"}, {"type", "quantitative"}}},
            {"color", {{"value", kOrange}}},
            {"tooltip",
             json::array({{{"field", "label"}, {"title", "operating point"}},
                          {{"field", "tpr"}, {"title", "sensitivity"}, {"format", ".3f"}},
                          {{"field", "fpr"}, {"title", "1 - specificity"}, {"format", ".3f"}}})}}}};
}

// "not_supported" -> "not supported", as the report's tables write it.
std::string Spaced(std::string_view word) {
  std::string out(word);
  std::replace(out.begin(), out.end(), '_', ' ');
  return out;
}

}  // namespace

const json& Member(const json& object, std::string_view key) {
  static const json kAbsent;
  if (!object.is_object()) return kAbsent;
  const auto found = object.find(key);
  return found == object.end() ? kAbsent : *found;
}

ScoreHistogram MakeScoreHistogram(const std::vector<double>& positive_scores,
                                  const std::vector<double>& negative_scores, std::size_t bins) {
  ScoreHistogram histogram;
  if (positive_scores.empty() && negative_scores.empty()) return histogram;
  const auto range = [](const std::vector<double>& scores) {
    if (scores.empty()) return std::pair<double, double>{INFINITY, -INFINITY};
    const auto [low, high] = std::minmax_element(scores.begin(), scores.end());
    return std::pair<double, double>{*low, *high};
  };
  const auto [low_positive, high_positive] = range(positive_scores);
  const auto [low_negative, high_negative] = range(negative_scores);
  histogram.lower = std::min(low_positive, low_negative);
  histogram.upper = std::max(high_positive, high_negative);
  if (!(histogram.upper > histogram.lower)) bins = 1;
  histogram.positives.assign(bins, 0);
  histogram.negatives.assign(bins, 0);
  const double width = (histogram.upper - histogram.lower) / static_cast<double>(bins);
  const auto bin_of = [&](double score) {
    if (!(width > 0.0)) return std::size_t{0};
    const auto bin = static_cast<std::size_t>((score - histogram.lower) / width);
    return std::min(bin, bins - 1);
  };
  for (double score : positive_scores) ++histogram.positives[bin_of(score)];
  for (double score : negative_scores) ++histogram.negatives[bin_of(score)];
  return histogram;
}

VerdictStyle StyleOf(std::string_view word) {
  if (word == "supported" || word == "consistent" || word == "sufficient" || word == "passed" ||
      word == "covered") {
    return {"#009E73", "circle", "\u2714"};
  }
  if (word == "not_supported" || word == "signal" || word == "contradicted" || word == "failed" ||
      word == "below_goal" || word == "not_covered" || word == "shifted") {
    return {"#D55E00", "cross", "\u2716"};
  }
  if (word == "inconclusive" || word == "insufficient" || word == "thin" || word == "minor") {
    return {kOrange, "diamond", "?"};
  }
  return {kGrey, "square", "\u2013"};
}

json RocSpec(const json& evidence, std::size_t max_points) {
  const json& curve = Member(evidence, "roc_curve");
  if (curve.size() < 2) return nullptr;
  const double positives = NumberOr(Member(evidence, "n_positive"), 0.0);
  json values = json::array();
  for (std::size_t i : ThinCurve(curve, max_points)) {
    const double sensitivity = NumberOr(Member(curve[i], "sensitivity"), 0.0);
    const auto successes = static_cast<std::uint64_t>(std::llround(sensitivity * positives));
    const auto band = stats::ProportionInterval(successes, static_cast<std::uint64_t>(positives),
                                                0.95, stats::ProportionMethod::kWilson);
    values.push_back({{"fpr", 1.0 - NumberOr(Member(curve[i], "specificity"), 0.0)},
                      {"tpr", sensitivity},
                      {"lower", band.lower},
                      {"upper", band.upper}});
  }
  const json x = {{"field", "fpr"},
                  {"type", "quantitative"},
                  {"title", "1 - specificity (false positive rate)"},
                  {"scale", {{"domain", {0, 1}}}}};
  const json y = {{"field", "tpr"},
                  {"type", "quantitative"},
                  {"title", "sensitivity (true positive rate)"},
                  {"scale", {{"domain", {0, 1}}}}};
  json spec = Base("ROC curve",
                   "Empirical ROC curve with a pointwise 95% Wilson band for "
                   "sensitivity and the protocol's operating points");
  spec["layer"] = json::array(
      {{{"data", {{"values", json::array({{{"fpr", 0}, {"tpr", 0}}, {{"fpr", 1}, {"tpr", 1}}})}}},
        {"mark", {{"type", "line"}, {"strokeDash", {4, 4}}, {"color", kGrey}}},
        {"encoding", {{"x", x}, {"y", y}}}},
       {{"data", {{"values", values}}},
        {"mark", {{"type", "area"}, {"opacity", 0.25}, {"color", kBlue}}},
        {"encoding",
         {{"x", x},
          {"y", {{"field", "lower"}, {"type", "quantitative"}}},
          {"y2", {{"field", "upper"}}}}}},
       {{"data", {{"values", values}}},
        {"mark", {{"type", "line"}, {"color", kBlue}, {"interpolate", "step-after"}}},
        {"encoding", {{"x", x}, {"y", y}}}},
       OperatingPointLayer(evidence)});
  return spec;
}

json ReliabilitySpec(const json& evidence) {
  json values = json::array();
  for (const auto& bin : Member(evidence, "reliability")) {
    if (NumberOr(Member(bin, "count"), 0.0) <= 0.0) continue;
    values.push_back({{"predicted", Member(bin, "mean_predicted")},
                      {"observed", Member(bin, "observed_rate")},
                      {"cases", Member(bin, "count")}});
  }
  if (values.empty()) return nullptr;
  const json x = {{"field", "predicted"},
                  {"type", "quantitative"},
                  {"title", "mean predicted probability"},
                  {"scale", {{"domain", {0, 1}}}}};
  const json y = {{"field", "observed"},
                  {"type", "quantitative"},
                  {"title", "observed rate of positives"},
                  {"scale", {{"domain", {0, 1}}}}};
  json spec = Base("Reliability (calibration)",
                   "Observed rate of positives against mean predicted probability per bin");
  spec["layer"] =
      json::array({{{"data",
                     {{"values", json::array({{{"predicted", 0}, {"observed", 0}},
                                              {{"predicted", 1}, {"observed", 1}}})}}},
                    {"mark", {{"type", "line"}, {"strokeDash", {4, 4}}, {"color", kGrey}}},
                    {"encoding", {{"x", x}, {"y", y}}}},
                   {{"data", {{"values", values}}},
                    {"mark", {{"type", "line"}, {"point", true}, {"color", kBlue}}},
                    {"encoding",
                     {{"x", x},
                      {"y", y},
                      {"tooltip", json::array({{{"field", "predicted"}, {"format", ".3f"}},
                                               {{"field", "observed"}, {"format", ".3f"}},
                                               {{"field", "cases"}}})}}}}});
  return spec;
}

json ForestSpec(const json& evidence, const std::string& endpoint) {
  json values = json::array();
  std::string metric;
  std::vector<std::string> present;
  for (const auto& result : Member(evidence, "subgroup_results")) {
    if (ValueOr(result, "endpoint", "") != endpoint || !Member(result, "finding").is_object())
      continue;
    const json& finding = Member(result, "finding");
    const json& ci = Member(result, "adjusted_ci").is_object() ? Member(result, "adjusted_ci")
                                                               : Member(finding, "ci");
    if (!ci.is_object() || !Member(finding, "estimate").is_number()) continue;
    metric = ValueOr(finding, "metric", "");
    // The verdict against a subgroup goal where there is one, else the status.
    const std::string status = Member(result, "verdict").is_string()
                                   ? Member(result, "verdict").get<std::string>()
                                   : ValueOr(result, "status", std::string());
    if (std::find(present.begin(), present.end(), status) == present.end()) {
      present.push_back(status);
    }
    values.push_back(
        {{"subgroup", fmt::format("{} = {}", ValueOr(Member(result, "subgroup"), "column", ""),
                                  ValueOr(Member(result, "subgroup"), "value", ""))},
         {"estimate", Member(finding, "estimate")},
         {"lower", Member(ci, "lower")},
         {"upper", Member(ci, "upper")},
         {"cases", Member(finding, "n")},
         {"status", Spaced(status)}});
  }
  if (values.empty()) return nullptr;

  std::optional<double> goal;
  for (const auto& item : Member(evidence, "endpoints")) {
    if (ValueOr(item, "id", "") == endpoint && Member(item, "goal").is_number())
      goal = Member(item, "goal");
  }
  json domain = json::array(), colours = json::array(), shapes = json::array();
  // Only the words that occur, so the legend never shows two words in one style.
  for (const char* word : {"consistent", "supported", "signal", "not_supported", "inconclusive",
                           "insufficient_data", "not_evaluable"}) {
    if (std::find(present.begin(), present.end(), word) == present.end()) continue;
    const VerdictStyle style = StyleOf(word);
    domain.push_back(Spaced(word));
    colours.push_back(style.colour);
    shapes.push_back(style.shape);
  }
  const json y = {
      {"field", "subgroup"}, {"type", "nominal"}, {"sort", nullptr}, {"title", nullptr}};
  const json x = {{"field", "estimate"}, {"type", "quantitative"}, {"title", metric}};
  json spec = Base(fmt::format("Subgroups: {}", endpoint),
                   "Estimate and interval per subgroup with the goal line");
  spec["height"] = json{{"step", 18}};
  spec["data"] = {{"values", values}};
  json layers =
      json::array({{{"mark", {{"type", "rule"}, {"color", "#555555"}}},
                    {"encoding",
                     {{"y", y},
                      {"x", {{"field", "lower"}, {"type", "quantitative"}, {"title", metric}}},
                      {"x2", {{"field", "upper"}}}}}},
                   {{"mark", {{"type", "point"}, {"filled", true}, {"size", 70}}},
                    {"encoding",
                     {{"y", y},
                      {"x", x},
                      {"color",
                       {{"field", "status"},
                        {"type", "nominal"},
                        {"scale", {{"domain", domain}, {"range", colours}}}}},
                      {"shape",
                       {{"field", "status"},
                        {"type", "nominal"},
                        {"scale", {{"domain", domain}, {"range", shapes}}}}},
                      {"tooltip", json::array({{{"field", "subgroup"}},
                                               {{"field", "estimate"}, {"format", ".3f"}},
                                               {{"field", "lower"}, {"format", ".3f"}},
                                               {{"field", "upper"}, {"format", ".3f"}},
                                               {{"field", "cases"}},
                                               {{"field", "status"}}})}}}}});
  if (goal) {
    layers.push_back({{"data", {{"values", json::array({{{"goal", *goal}}})}}},
                      {"mark", {{"type", "rule"}, {"strokeDash", {6, 3}}, {"color", "#000000"}}},
                      {"encoding", {{"x", {{"field", "goal"}, {"type", "quantitative"}}}}}});
  }
  spec["layer"] = std::move(layers);
  return spec;
}

json StressSpec(const json& evidence, const std::string& endpoint) {
  const json& stress = Member(evidence, "stress");
  if (!stress.is_object()) return nullptr;
  json values = json::array();
  std::string metric;
  std::vector<std::string> seen;
  for (const auto& point : Member(stress, "points")) {
    const std::string perturbation = ValueOr(point, "perturbation", "");
    for (const auto& at : Member(point, "endpoints")) {
      if (ValueOr(at, "endpoint", "") != endpoint) continue;
      metric = ValueOr(at, "metric", "");
      const json& perturbed = Member(at, "perturbed");
      if (!Member(perturbed, "estimate").is_number()) continue;
      // Severity 0: the clean images of the same cases, once per perturbation.
      const json& clean = Member(at, "clean");
      if (std::find(seen.begin(), seen.end(), perturbation) == seen.end() &&
          Member(clean, "estimate").is_number()) {
        seen.push_back(perturbation);
        values.push_back({{"perturbation", perturbation},
                          {"severity", 0},
                          {"estimate", Member(clean, "estimate")},
                          {"lower", Member(Member(clean, "ci"), "lower")},
                          {"upper", Member(Member(clean, "ci"), "upper")},
                          {"verdict", Spaced(ValueOr(at, "clean_verdict", "not_evaluable"))}});
      }
      values.push_back({{"perturbation", perturbation},
                        {"severity", Member(point, "severity")},
                        {"estimate", Member(perturbed, "estimate")},
                        {"lower", Member(Member(perturbed, "ci"), "lower")},
                        {"upper", Member(Member(perturbed, "ci"), "upper")},
                        {"verdict", Spaced(ValueOr(at, "verdict", "not_evaluable"))}});
    }
  }
  if (values.empty()) return nullptr;
  std::optional<double> goal;
  for (const auto& item : Member(evidence, "endpoints")) {
    if (ValueOr(item, "id", "") == endpoint && Member(item, "goal").is_number())
      goal = Member(item, "goal");
  }
  json spec = Base(fmt::format("Stress: {}", endpoint),
                   "Estimate and interval against perturbation severity (0 = clean images), "
                   "one line per perturbation, with the goal line");
  spec["data"] = {{"values", values}};
  const json x = {{"field", "severity"},
                  {"type", "quantitative"},
                  {"title", "severity (0 = clean)"},
                  {"scale", {{"domain", {0, 5}}}},
                  {"axis", {{"tickMinStep", 1}}}};
  const json colour = {{"field", "perturbation"}, {"type", "nominal"}, {"sort", nullptr}};
  json layers =
      json::array({{{"mark", {{"type", "errorband"}, {"opacity", 0.12}}},
                    {"encoding",
                     {{"x", x},
                      {"y", {{"field", "lower"}, {"type", "quantitative"}, {"title", metric}}},
                      {"y2", {{"field", "upper"}}},
                      {"color", colour}}}},
                   {{"mark", {{"type", "line"}, {"point", true}}},
                    {"encoding",
                     {{"x", x},
                      {"y",
                       {{"field", "estimate"},
                        {"type", "quantitative"},
                        {"title", metric},
                        {"scale", {{"zero", false}}}}},
                      {"color", colour},
                      {"tooltip", json::array({{{"field", "perturbation"}},
                                               {{"field", "severity"}},
                                               {{"field", "estimate"}, {"format", ".3f"}},
                                               {{"field", "lower"}, {"format", ".3f"}},
                                               {{"field", "upper"}, {"format", ".3f"}},
                                               {{"field", "verdict"}}})}}}}});
  if (goal) {
    layers.push_back({{"data", {{"values", json::array({{{"goal", *goal}}})}}},
                      {"mark", {{"type", "rule"}, {"strokeDash", {6, 3}}, {"color", "#000000"}}},
                      {"encoding", {{"y", {{"field", "goal"}, {"type", "quantitative"}}}}}});
  }
  spec["layer"] = std::move(layers);
  return spec;
}

json ScoreDistributionSpec(const ScoreHistogram& histogram, const std::string& positive_label,
                           const std::string& negative_label) {
  if (histogram.positives.empty()) return nullptr;
  const double width =
      (histogram.upper - histogram.lower) / static_cast<double>(histogram.positives.size());
  json values = json::array();
  for (std::size_t i = 0; i < histogram.positives.size(); ++i) {
    const double from = histogram.lower + width * static_cast<double>(i);
    const double to = i + 1 == histogram.positives.size() ? histogram.upper : from + width;
    values.push_back(
        {{"from", from}, {"to", to}, {"truth", positive_label}, {"cases", histogram.positives[i]}});
    values.push_back(
        {{"from", from}, {"to", to}, {"truth", negative_label}, {"cases", histogram.negatives[i]}});
  }
  json spec = Base("Score distributions by truth",
                   "Histogram of model scores of positives and "
                   "negatives");
  spec["data"] = {{"values", values}};
  spec["mark"] = {{"type", "bar"}, {"opacity", 0.6}, {"binSpacing", 0}};
  spec["encoding"] = {
      {"x", {{"field", "from"}, {"type", "quantitative"}, {"title", "score"}}},
      {"x2", {{"field", "to"}}},
      {"y", {{"field", "cases"}, {"type", "quantitative"}, {"stack", nullptr}, {"title", "cases"}}},
      {"y2", {{"datum", 0}}},  // bars rise from zero, not centred on the count
      {"color",
       {{"field", "truth"},
        {"type", "nominal"},
        {"scale", {{"domain", {positive_label, negative_label}}, {"range", {kOrange, kBlue}}}}}},
      {"tooltip", json::array({{{"field", "truth"}},
                               {{"field", "from"}, {"format", ".3g"}},
                               {{"field", "to"}, {"format", ".3g"}},
                               {{"field", "cases"}}})}};
  return spec;
}

json SubgroupCountsSpec(const json& evidence) {
  json values = json::array();
  std::set<std::string> seen;  // every finding of a level carries the same counts
  for (const auto& finding : Member(evidence, "findings")) {
    if (!Member(finding, "subgroup").is_object()) continue;
    const std::string level =
        fmt::format("{} = {}", ValueOr(Member(finding, "subgroup"), "column", ""),
                    ValueOr(Member(finding, "subgroup"), "value", ""));
    if (!seen.insert(level).second) continue;
    values.push_back(
        {{"subgroup", level}, {"class", "positives"}, {"cases", Member(finding, "n_positive")}});
    values.push_back(
        {{"subgroup", level}, {"class", "negatives"}, {"cases", Member(finding, "n_negative")}});
  }
  if (values.empty()) return nullptr;
  json spec = Base("Cases per subgroup", "Positives and negatives per subgroup level");
  spec["height"] = json{{"step", 18}};
  spec["data"] = {{"values", values}};
  spec["mark"] = "bar";
  spec["encoding"] = {
      {"y", {{"field", "subgroup"}, {"type", "nominal"}, {"sort", nullptr}, {"title", nullptr}}},
      {"x", {{"field", "cases"}, {"type", "quantitative"}, {"title", "cases"}}},
      {"color",
       {{"field", "class"},
        {"type", "nominal"},
        {"scale", {{"domain", {"positives", "negatives"}}, {"range", {kOrange, kBlue}}}}}},
      {"tooltip",
       json::array({{{"field", "subgroup"}}, {{"field", "class"}}, {{"field", "cases"}}})}};
  return spec;
}

json CoverageSpec(const json& evidence) {
  const json& deployment = Member(evidence, "deployment");
  json values = json::array();
  for (const auto& stratum : Member(deployment, "strata")) {
    const double share = NumberOr(Member(stratum, "deployment_share"), 0.0);
    const std::string label =
        fmt::format("{} = {} ({:.0f}% of deployment)", ValueOr(stratum, "dimension", ""),
                    ValueOr(stratum, "level", ""), 100.0 * share);
    for (const auto& metric : Member(stratum, "metrics")) {
      const json& estimate = Member(metric, "estimate");
      const std::string text = estimate.is_number()
                                   ? fmt::format("{:.2f} (n={})", estimate.get<double>(),
                                                 NumberOr(Member(metric, "trials"), 0.0))
                                   : std::string("no cases");
      values.push_back({{"stratum", label},
                        {"endpoint", ValueOr(metric, "endpoint", "")},
                        {"coverage", ValueOr(metric, "coverage", "")},
                        {"text", text},
                        {"cases_needed", Member(metric, "cases_needed")}});
    }
  }
  if (values.empty()) return nullptr;
  json spec = Base("Evidence coverage of the deployment",
                   "Deployment strata against each endpoint: coverage status, the estimate and "
                   "the cases it rests on");
  spec["height"] = json{{"step", 20}};
  spec["width"] = json{{"step", 150}};
  spec["data"] = {{"values", values}};
  const json y = {{"field", "stratum"}, {"type", "nominal"}, {"sort", nullptr}, {"title", nullptr}};
  const json x = {{"field", "endpoint"},
                  {"type", "nominal"},
                  {"title", nullptr},
                  {"axis", {{"orient", "top"}, {"labelAngle", 0}}}};
  spec["layer"] = json::array(
      {{{"mark", "rect"},
        {"encoding",
         {{"y", y},
          {"x", x},
          {"color",
           {{"field", "coverage"},
            {"type", "nominal"},
            {"scale",
             {{"domain", {"covered", "thin", "below_goal", "not_covered", "not_deployed"}},
              {"range", {"#009E73", kOrange, "#D55E00", "#8B0000", "#DDDDDD"}}}}}},
          {"tooltip", json::array({{{"field", "stratum"}},
                                   {{"field", "endpoint"}},
                                   {{"field", "coverage"}},
                                   {{"field", "text"}, {"title", "estimate"}},
                                   {{"field", "cases_needed"}, {"title", "cases needed"}}})}}}},
       {{"mark", {{"type", "text"}, {"fontSize", 10}}},
        {"encoding", {{"y", y}, {"x", x}, {"text", {{"field", "text"}}}}}}});
  return spec;
}

json ReaderFiguresSpec(const json& evidence) {
  const json& mrmc = Member(evidence, "mrmc");
  json readers = json::array(), means = json::array();
  for (const auto& reader : Member(mrmc, "readers")) {
    for (const auto& [modality, value] : Member(reader, "figures").items()) {
      readers.push_back(
          {{"reader", ValueOr(reader, "reader", "")}, {"modality", modality}, {"value", value}});
    }
  }
  const json& random = Member(Member(mrmc, "obuchowski_rockette"), "random_readers_random_cases");
  for (const auto& m : Member(random, "modalities")) {
    const json& ci = Member(m, "ci");
    means.push_back({{"modality", ValueOr(m, "label", "")},
                     {"value", Member(m, "estimate")},
                     {"lower", Member(ci, "lower")},
                     {"upper", Member(ci, "upper")}});
  }
  if (readers.empty()) return nullptr;
  const std::string figure = ValueOr(mrmc, "figure_of_merit", "auc");
  json spec = Base("Reader-level " + figure,
                   "Each reader's " + figure +
                       " under each modality (grey lines), and the reader average with its "
                       "interval for random readers and cases (black)");
  spec["width"] = 360;
  spec["height"] = 260;
  const json x = {
      {"field", "modality"}, {"type", "nominal"}, {"sort", nullptr}, {"axis", {{"labelAngle", 0}}}};
  const json y = {{"field", "value"},
                  {"type", "quantitative"},
                  {"title", figure},
                  {"scale", {{"zero", false}}}};
  spec["layer"] = json::array(
      {{{"data", {{"values", readers}}},
        {"mark", {{"type", "line"}, {"point", true}, {"color", "#999999"}}},
        {"encoding",
         {{"x", x},
          {"y", y},
          {"detail", {{"field", "reader"}}},
          {"tooltip", json::array({{{"field", "reader"}},
                                   {{"field", "modality"}},
                                   {{"field", "value"}, {"format", ".4f"}}})}}}},
       {{"data", {{"values", means}}},
        {"mark", {{"type", "errorbar"}, {"color", "black"}, {"thickness", 2}}},
        {"encoding",
         {{"x", x},
          {"y", {{"field", "lower"}, {"type", "quantitative"}, {"title", figure}}},
          {"y2", {{"field", "upper"}}}}}},
       {{"data", {{"values", means}}},
        {"mark", {{"type", "point"}, {"filled", true}, {"color", "black"}, {"size", 80}}},
        {"encoding", {{"x", x}, {"y", y}}}}});
  return spec;
}

}  // namespace assay::report
