// The evidence report: one self-contained HTML file built from a run's
// evidence.json and its analysed cases, leading with the verdict in plain
// words and showing the evidence behind it (case flow, endpoints, ROC,
// calibration, subgroups, score distributions, methods and provenance).
//
// Everything is inline: styles, data, the Vega-Lite specifications and the
// scripts that render them, so the file opens on a closed network. Tables are
// plain HTML and readable without scripts. Text from the inputs is escaped.
// The report shows no case ids at all, only counts and aggregates, so no
// direct identifier can reach it.
//
// Sections are built by the functions listed in html_report.cpp's
// kSections, in that order; a later capability adds its section there.
//
//   auto cases = report::ReadReportCases("out/study/cases.csv");
//   std::string html = report::RenderHtmlReport(evidence, *cases);
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "assay/core/status.h"
#include "assay/data/case_table.h"

namespace assay::report {

inline constexpr const char* kReportName = "report.html";

// The per-case data the report plots: the scores of analysed cases by truth.
struct ReportCases {
  std::vector<double> positive_scores, negative_scores;
  std::uint64_t without_score = 0;  // indeterminate outputs: no score of their own
};

// From the analysed cases of a run (indeterminate outputs have no score).
ReportCases ReportCasesOf(const data::CaseTable& table);

// From a bundle's cases.csv (columns truth, score, output). Errors name the
// file and line: unreadable file, a missing column, a score that is not a number.
Result<ReportCases> ReadReportCases(const std::string& cases_csv);

// The report for an `assay run` evidence document. The bytes depend only on
// the arguments and on the versions of the embedded scripts.
std::string RenderHtmlReport(const nlohmann::json& evidence, const ReportCases& cases);

// `text` with &, <, >, " and ' replaced by character references.
std::string EscapeHtml(std::string_view text);

}  // namespace assay::report
