#include "assay/evidence/mrmc.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <unordered_map>
#include <utility>

#include "assay/evidence/evaluation_json.h"
#include "assay/io/record_source.h"

namespace assay::evidence {
namespace {

using nlohmann::json;

// Names in order of first appearance, with their indices.
struct Levels {
  std::vector<std::string> names;
  std::unordered_map<std::string, std::size_t> index;
  std::size_t Add(const std::string& name) {
    const auto [it, inserted] = index.emplace(name, names.size());
    if (inserted) names.push_back(name);
    return it->second;
  }
};

Result<double> ParseNumber(const io::RecordSource& source, const std::string& column,
                           std::string_view text) {
  double value = 0.0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return InvalidInput(fmt::format("{} line {}: {} '{}' is not a finite number", source.path(),
                                    source.line(), column, text));
  }
  return value;
}

// JSON has no infinity: unbounded degrees of freedom are null.
json Number(double value) { return JsonNumber(value); }

json EstimateJson(const stats::MrmcEstimate& estimate, bool difference) {
  json out = {{"label", estimate.label},
              {"estimate", estimate.estimate},
              {"standard_error", estimate.standard_error},
              {"degrees_of_freedom", Number(estimate.degrees_of_freedom)},
              {"ci", IntervalJson(estimate.interval)}};
  if (difference) {
    out["statistic"] = Number(estimate.statistic);
    out["p_value"] = estimate.p_value;
  }
  return out;
}

json TestJson(const stats::MrmcTest& test) {
  json differences = json::array(), modalities = json::array();
  for (const auto& d : test.differences) differences.push_back(EstimateJson(d, true));
  for (const auto& m : test.modalities) modalities.push_back(EstimateJson(m, false));
  const bool chi_square = std::isinf(test.denominator_df);
  return {{"analysis", test.analysis},
          {"test", chi_square ? "chi_square" : "f"},
          {"statistic", Number(test.statistic)},
          {"numerator_df", test.numerator_df},
          {"denominator_df", Number(test.denominator_df)},
          {"p_value", test.p_value},
          {"error_term", test.error_term},
          {"differences", std::move(differences)},
          {"modalities", std::move(modalities)}};
}

std::string Df(double df) { return std::isinf(df) ? "inf" : fmt::format("{:.2f}", df); }

}  // namespace

Result<stats::MrmcDesign> LoadRatings(const std::string& path, RatingColumns columns) {
  if (columns.modality.empty()) {
    columns.modality = io::OpenRecordSource(path, {"modality"}).ok() ? "modality" : "treatment";
  }
  const std::vector<std::string> names = {columns.reader, columns.modality, columns.case_id,
                                          columns.truth, columns.rating};
  auto opened = io::OpenRecordSource(path, names);
  if (!opened.ok()) return opened.status();
  io::RecordSource& source = **opened;

  struct Cell {
    std::size_t modality, reader, case_index;
    double rating;
    std::uint64_t line;
  };
  Levels modalities, readers, cases;
  std::vector<Cell> cells;
  std::vector<int> truth;  // per case; -1 until read
  std::vector<std::uint64_t> truth_line;
  while (true) {
    auto more = source.Next();
    if (!more.ok()) return more.status();
    if (!*more) break;
    std::string_view values[5];
    for (std::size_t k = 0; k < names.size(); ++k) {
      const auto value = source.Value(k);
      if (!value || value->empty()) {
        return InvalidInput(
            fmt::format("{} line {}: column '{}' is empty", path, source.line(), names[k]));
      }
      values[k] = *value;
    }
    const std::size_t case_index = cases.Add(std::string(values[2]));
    if (case_index == truth.size()) {
      truth.push_back(-1);
      truth_line.push_back(source.line());
    }
    int positive = -1;
    if (values[3] == "1" || values[3] == "true") positive = 1;
    if (values[3] == "0" || values[3] == "false") positive = 0;
    if (positive < 0) {
      return InvalidInput(fmt::format("{} line {}: {} '{}' is not 0 or 1", path, source.line(),
                                      columns.truth, values[3]));
    }
    if (truth[case_index] >= 0 && truth[case_index] != positive) {
      return InvalidInput(
          fmt::format("{} line {}: case {} has {} {} here and {} on line {}; a case's truth is one",
                      path, source.line(), values[2], columns.truth, positive, truth[case_index],
                      truth_line[case_index]));
    }
    truth[case_index] = positive;
    auto rating = ParseNumber(source, columns.rating, values[4]);
    if (!rating.ok()) return rating.status();
    cells.push_back({modalities.Add(std::string(values[1])), readers.Add(std::string(values[0])),
                     case_index, *rating, source.line()});
  }
  if (cells.empty()) return InvalidInput(fmt::format("{}: no ratings", path));

  const std::size_t t = modalities.names.size(), r = readers.names.size(), c = cases.names.size();
  std::vector<double> ratings(t * r * c, std::numeric_limits<double>::quiet_NaN());
  std::vector<std::uint64_t> line_of(t * r * c, 0);
  for (const Cell& cell : cells) {
    const std::size_t at = (cell.modality * r + cell.reader) * c + cell.case_index;
    if (line_of[at] != 0) {
      return InvalidInput(
          fmt::format("{} line {}: reader {} rated case {} under {} {} again (first on line {})",
                      path, cell.line, readers.names[cell.reader], cases.names[cell.case_index],
                      columns.modality, modalities.names[cell.modality], line_of[at]));
    }
    line_of[at] = cell.line;
    ratings[at] = cell.rating;
  }
  std::size_t missing = 0, first_missing = 0;
  for (std::size_t at = 0; at < line_of.size(); ++at) {
    if (line_of[at] == 0 && missing++ == 0) first_missing = at;
  }
  if (missing > 0) {
    const std::size_t k = first_missing % c, j = (first_missing / c) % r,
                      i = first_missing / (c * r);
    return InvalidInput(fmt::format(
        "{}: the design is not fully crossed: reader {} did not rate case {} under {} {} ({} of "
        "{} reader x {} x case cells have no rating). Split-plot and partially paired designs "
        "are not supported yet; give every reader every case under every {}",
        path, readers.names[j], cases.names[k], columns.modality, modalities.names[i], missing,
        line_of.size(), columns.modality, columns.modality));
  }
  std::vector<std::uint8_t> truth_values(truth.begin(), truth.end());
  return stats::MrmcDesign::Create(std::move(modalities.names), std::move(readers.names),
                                   std::move(cases.names), std::move(truth_values),
                                   std::move(ratings));
}

Result<std::vector<double>> LoadStandalone(const std::string& path, const std::string& case_column,
                                           const std::string& score_column,
                                           const stats::MrmcDesign& design, std::size_t& unused) {
  auto opened = io::OpenRecordSource(path, {case_column, score_column});
  if (!opened.ok()) return opened.status();
  io::RecordSource& source = **opened;
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t k = 0; k < design.case_count(); ++k) index.emplace(design.cases()[k], k);
  std::vector<double> scores(design.case_count(), std::numeric_limits<double>::quiet_NaN());
  std::unordered_map<std::string, std::uint64_t> seen;
  unused = 0;
  while (true) {
    auto more = source.Next();
    if (!more.ok()) return more.status();
    if (!*more) break;
    const auto id = source.Value(0);
    const auto text = source.Value(1);
    if (!id || id->empty()) {
      return InvalidInput(
          fmt::format("{} line {}: column '{}' is empty", path, source.line(), case_column));
    }
    const auto [previous, inserted] = seen.emplace(std::string(*id), source.line());
    if (!inserted) {
      return InvalidInput(fmt::format("{} line {}: case {} again (first on line {})", path,
                                      source.line(), *id, previous->second));
    }
    const auto found = index.find(std::string(*id));
    if (found == index.end()) {
      ++unused;
      continue;
    }
    auto score = ParseNumber(source, score_column, text.value_or(""));
    if (!score.ok()) return score.status();
    scores[found->second] = *score;
  }
  for (std::size_t k = 0; k < scores.size(); ++k) {
    if (std::isnan(scores[k])) {
      return InvalidInput(fmt::format("{}: case {} of the reader study has no standalone score",
                                      path, design.cases()[k]));
    }
  }
  return scores;
}

Result<ReaderStudyAnalysis> AnalyzeReaderStudy(const stats::MrmcDesign& design,
                                               const stats::MrmcOptions& options,
                                               const std::optional<std::vector<double>>& standalone,
                                               const PlanningOptions& planning) {
  ReaderStudyAnalysis out;
  out.options = options;
  out.modalities = design.modality_count();
  out.readers = design.reader_count();
  out.cases = design.case_count();
  out.positives = design.positive_count();
  out.negatives = design.negative_count();
  out.modality_names = design.modalities();
  out.reader_names = design.readers();
  auto oror = stats::ObuchowskiRockette(design, options);
  if (!oror.ok()) return oror.status();
  out.obuchowski_rockette = std::move(*oror);
  if (design.modality_count() >= 2) {
    auto dbm = stats::DorfmanBerbaumMetz(design, options);
    if (!dbm.ok()) return dbm.status();
    out.dorfman_berbaum_metz = std::move(*dbm);
  }
  if (design.positive_count() >= 2 && design.negative_count() >= 2) {
    auto gallas = stats::GallasVariance(design, options);
    if (!gallas.ok()) return gallas.status();
    out.gallas = std::move(*gallas);
  }
  if (standalone) {
    for (std::size_t i = 0; i < design.modality_count(); ++i) {
      auto comparison = stats::CompareStandalone(design, i, *standalone, options);
      if (!comparison.ok()) return comparison.status();
      out.standalone_comparisons.push_back(std::move(*comparison));
    }
  }
  out.planning = planning;
  if (planning.effect > 0.0 && design.modality_count() >= 2) {
    out.plans = stats::PlanReaderStudy(
        out.obuchowski_rockette.components, design.case_count(), planning.effect, planning.power,
        planning.alpha, planning.minimum_readers, planning.maximum_readers, planning.maximum_cases);
  }
  return out;
}

json ReaderStudyJson(const ReaderStudyAnalysis& a) {
  const stats::OrResult& oror = a.obuchowski_rockette;
  json readers = json::array();
  for (std::size_t j = 0; j < a.readers; ++j) {
    json figures = json::object();
    for (std::size_t i = 0; i < a.modalities; ++i) {
      figures[a.modality_names[i]] = oror.figures[i][j];
    }
    readers.push_back({{"reader", a.reader_names[j]}, {"figures", std::move(figures)}});
  }
  const stats::OrComponents& c = oror.components;
  json reader_comparisons = json::array();
  for (const auto& reader : oror.readers) {
    reader_comparisons.push_back({{"reader", reader.reader},
                                  {"error", reader.error},
                                  {"cov1", reader.cov1},
                                  {"difference", EstimateJson(reader.difference, true)}});
  }
  json out = {{"ratings", a.ratings},
              {"figure_of_merit", stats::FigureOfMeritName(a.options.figure)},
              {"covariance", stats::MrmcCovarianceName(a.options.covariance)},
              {"level", a.options.level},
              {"design",
               {{"modalities", a.modality_names},
                {"readers", a.readers},
                {"cases", a.cases},
                {"positive_cases", a.positives},
                {"negative_cases", a.negatives},
                {"crossing", "fully_crossed"}}},
              {"readers", std::move(readers)},
              {"obuchowski_rockette",
               {{"mean_squares", {{"t", c.ms_t}, {"r", c.ms_r}, {"tr", c.ms_tr}}},
                {"components",
                 {{"var_r", c.var_r},
                  {"var_tr", c.var_tr},
                  {"error", c.error},
                  {"cov1", c.cov1},
                  {"cov2", c.cov2},
                  {"cov3", c.cov3}}},
                {"random_readers_random_cases", TestJson(oror.random)},
                {"fixed_readers", TestJson(oror.fixed_readers)},
                {"fixed_cases", TestJson(oror.fixed_cases)},
                {"reader_comparisons", std::move(reader_comparisons)}}}};
  if (a.options.figure != stats::FigureOfMerit::kAuc) out["threshold"] = a.options.threshold;
  if (a.dorfman_berbaum_metz) {
    const stats::DbmComponents& d = a.dorfman_berbaum_metz->components;
    out["dorfman_berbaum_metz"] = {
        {"mean_squares",
         {{"t", d.ms_t},
          {"r", d.ms_r},
          {"c", d.ms_c},
          {"tr", d.ms_tr},
          {"tc", d.ms_tc},
          {"rc", d.ms_rc},
          {"trc", d.ms_trc}}},
        {"components",
         {{"var_r", d.var_r},
          {"var_c", d.var_c},
          {"var_tr", d.var_tr},
          {"var_tc", d.var_tc},
          {"var_rc", d.var_rc},
          {"var_error", d.var_error}}},
        {"random_readers_random_cases", TestJson(a.dorfman_berbaum_metz->random)},
        {"fixed_readers", TestJson(a.dorfman_berbaum_metz->fixed_readers)},
        {"fixed_cases", TestJson(a.dorfman_berbaum_metz->fixed_cases)}};
  }
  json gallas = json::array();
  for (const auto& g : a.gallas) {
    gallas.push_back({{"label", g.label},
                      {"estimate", g.estimate},
                      {"variance", g.variance},
                      {"ci", IntervalJson(g.interval)}});
  }
  out["u_statistic"] = std::move(gallas);
  if (!a.standalone.empty()) {
    json comparisons = json::array();
    for (const auto& s : a.standalone_comparisons) {
      comparisons.push_back({{"modality", s.modality},
                             {"panel", s.panel},
                             {"standalone", s.standalone},
                             {"random_readers_random_cases", EstimateJson(s.random, true)},
                             {"fixed_cases", EstimateJson(s.fixed_cases, true)}});
    }
    out["standalone"] = {{"scores", a.standalone},
                         {"unused_cases", a.standalone_unused},
                         {"comparisons", std::move(comparisons)}};
  }
  if (!a.plans.empty()) {
    json plans = json::array();
    for (const auto& p : a.plans) {
      json plan = {{"readers", p.readers}};
      if (p.cases == 0) {
        plan["cases"] = nullptr;
        plan["note"] = fmt::format("not reached with {} cases", a.planning.maximum_cases);
      } else {
        plan["cases"] = p.cases;
        plan["power"] = p.power;
        plan["denominator_df"] = p.denominator_df;
      }
      plans.push_back(std::move(plan));
    }
    out["plan"] = {{"effect", a.planning.effect},
                   {"power", a.planning.power},
                   {"alpha", a.planning.alpha},
                   {"method",
                    "Obuchowski-Rockette, random readers and cases, Hillis df; pilot covariances "
                    "scaled by pilot cases / planned cases, Var(TR) carried over"},
                   {"plans", std::move(plans)}};
  }
  return out;
}

std::string FormatReaderStudy(const ReaderStudyAnalysis& a) {
  const stats::OrResult& oror = a.obuchowski_rockette;
  const std::string figure = stats::FigureOfMeritName(a.options.figure);
  std::string out = fmt::format(
      "Reader study: {} readers x {} modalities x {} cases ({} positive, {} negative), fully "
      "crossed\nFigure of merit: {}{}; covariance: {}\n\n",
      a.readers, a.modalities, a.cases, a.positives, a.negatives, figure,
      a.options.figure == stats::FigureOfMerit::kAuc
          ? std::string(" (empirical)")
          : fmt::format(" at rating >= {:g}", a.options.threshold),
      stats::MrmcCovarianceName(a.options.covariance));
  out += fmt::format("{:<16}", "reader");
  for (const auto& m : a.modality_names) out += fmt::format(" {:>12}", m);
  out += "\n";
  for (std::size_t j = 0; j < a.readers; ++j) {
    out += fmt::format("{:<16}", a.reader_names[j]);
    for (std::size_t i = 0; i < a.modalities; ++i)
      out += fmt::format(" {:>12.6f}", oror.figures[i][j]);
    out += "\n";
  }
  out += fmt::format("{:<16}", "mean");
  for (double m : oror.modality_means) out += fmt::format(" {:>12.6f}", m);
  out += "\n";
  const double level = 100.0 * a.options.level;
  auto test_lines = [&](const char* title, const stats::MrmcTest& test) {
    std::string text = fmt::format("\n{}:\n", title);
    if (a.modalities >= 2) {
      text += std::isinf(test.denominator_df)
                  ? fmt::format("  chi-square {:.4f}, df {:g}, p = {:.4g}\n", test.statistic,
                                test.numerator_df, test.p_value)
                  : fmt::format("  F {:.4f}, df {:g} and {}, p = {:.4g}\n", test.statistic,
                                test.numerator_df, Df(test.denominator_df), test.p_value);
    }
    for (const auto& d : test.differences) {
      text += fmt::format("  {:<20} {:+.5f} (SE {:.5f}; {:g}% CI {:.5f} to {:.5f}), p = {:.4g}\n",
                          d.label, d.estimate, d.standard_error, level, d.interval.lower,
                          d.interval.upper, d.p_value);
    }
    for (const auto& m : test.modalities) {
      text += fmt::format("  {:<20} {:.5f} (SE {:.5f}, df {}; {:g}% CI {:.5f} to {:.5f})\n",
                          m.label, m.estimate, m.standard_error, Df(m.degrees_of_freedom), level,
                          m.interval.lower, m.interval.upper);
    }
    return text;
  };
  out +=
      test_lines("Obuchowski-Rockette, random readers and random cases (Hillis df)", oror.random);
  out += test_lines("Fixed readers, random cases", oror.fixed_readers);
  out += test_lines("Random readers, fixed cases", oror.fixed_cases);
  const stats::OrComponents& c = oror.components;
  out += fmt::format(
      "\nVariance components: Var(R) {:.6g}, Var(TR) {:.6g}, Var(error) {:.6g}, Cov1 {:.6g}, "
      "Cov2 {:.6g}, Cov3 {:.6g}\n",
      c.var_r, c.var_tr, c.error, c.cov1, c.cov2, c.cov3);
  if (a.dorfman_berbaum_metz) {
    const stats::MrmcTest& dbm = a.dorfman_berbaum_metz->random;
    out += fmt::format(
        "Dorfman-Berbaum-Metz (pseudovalues), random readers and cases: F {:.4f}, df {:g} and {}, "
        "p = {:.4g}\n",
        dbm.statistic, dbm.numerator_df, Df(dbm.denominator_df), dbm.p_value);
  }
  if (!a.gallas.empty()) {
    out += "\nU-statistic variance (Gallas), readers and cases random:\n";
    for (const auto& g : a.gallas) {
      const bool difference = g.label.find(" - ") != std::string::npos;
      out += fmt::format("  {:<20} {} (SE {:.5f}; {:g}% CI {:.5f} to {:.5f})\n", g.label,
                         fmt::format(fmt::runtime(difference ? "{:+.5f}" : "{:.5f}"), g.estimate),
                         std::sqrt(std::max(g.variance, 0.0)), level, g.interval.lower,
                         g.interval.upper);
    }
  }
  for (const auto& s : a.standalone_comparisons) {
    out += fmt::format(
        "\nStandalone against the panel under {}: panel {:.5f}, standalone {:.5f}\n"
        "  readers and cases random: {:+.5f} ({:g}% CI {:.5f} to {:.5f}, df {}), p = {:.4g}\n"
        "  cases fixed:              {:+.5f} ({:g}% CI {:.5f} to {:.5f}, df {}), p = {:.4g}\n",
        s.modality, s.panel, s.standalone, s.random.estimate, level, s.random.interval.lower,
        s.random.interval.upper, Df(s.random.degrees_of_freedom), s.random.p_value,
        s.fixed_cases.estimate, level, s.fixed_cases.interval.lower, s.fixed_cases.interval.upper,
        Df(s.fixed_cases.degrees_of_freedom), s.fixed_cases.p_value);
  }
  if (a.standalone_unused > 0) {
    out += fmt::format("  ({} cases of the standalone file are not in the reader study; unused)\n",
                       a.standalone_unused);
  }
  if (!a.plans.empty()) {
    out += fmt::format("\nPlanned study for a difference of {:g} with power {:g} at alpha {:g}:\n",
                       a.planning.effect, a.planning.power, a.planning.alpha);
    for (const auto& p : a.plans) {
      out += p.cases == 0 ? fmt::format("  {:>3} readers: not reached with {} cases\n", p.readers,
                                        a.planning.maximum_cases)
                          : fmt::format("  {:>3} readers: {:>5} cases (power {:.3f})\n", p.readers,
                                        p.cases, p.power);
    }
  }
  return out;
}

}  // namespace assay::evidence
