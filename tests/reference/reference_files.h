// Access to the reference values computed at test time by the scripts in
// tests/reference/ (R pROC, statsmodels, scikit-learn, scipy, numpy), and a
// relative-tolerance comparison for them.
//
// The scripts write into ASSAY_REFERENCE_DIR (the `reference_values` ctest
// fixture runs them before any test). A missing or unreadable file throws,
// which fails the test that asked for it.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace assay::testing {

inline std::string ReferencePath(const std::string& name) {
  return std::string(ASSAY_REFERENCE_DIR) + "/" + name;
}

// Parsed once per file and kept for the life of the test binary.
inline const nlohmann::json& ReferenceJson(const std::string& name) {
  static std::map<std::string, nlohmann::json> cache;
  auto found = cache.find(name);
  if (found != cache.end()) return found->second;
  std::ifstream in(ReferencePath(name));
  if (!in) throw std::runtime_error("cannot read reference file " + ReferencePath(name));
  return cache.emplace(name, nlohmann::json::parse(in)).first->second;
}

// A CSV of numbers with a header line (as the reference scripts write them),
// as named columns.
using NumericColumns = std::map<std::string, std::vector<double>>;

inline NumericColumns ReadNumericCsv(const std::string& name) {
  std::ifstream in(ReferencePath(name));
  if (!in) throw std::runtime_error("cannot read reference file " + ReferencePath(name));
  std::string line;
  std::getline(in, line);
  std::vector<std::string> names;
  std::stringstream header(line);
  for (std::string field; std::getline(header, field, ',');) names.push_back(field);
  NumericColumns columns;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::stringstream row(line);
    std::size_t k = 0;
    for (std::string field; std::getline(row, field, ','); ++k) {
      columns[names.at(k)].push_back(std::stod(field));
    }
    if (k != names.size()) throw std::runtime_error(name + ": ragged line: " + line);
  }
  return columns;
}

template <typename T>
std::vector<T> ColumnAs(const std::vector<double>& column) {
  std::vector<T> out;
  out.reserve(column.size());
  for (double value : column) out.push_back(static_cast<T>(value));
  return out;
}

// |actual - expected| <= relative * |expected| + 1e-15: a relative tolerance
// that still accepts an exact zero.
inline ::testing::AssertionResult NearRelative(double actual, double expected, double relative) {
  const double allowed = relative * std::fabs(expected) + 1e-15;
  if (std::fabs(actual - expected) <= allowed) return ::testing::AssertionSuccess();
  std::ostringstream message;
  message.precision(17);
  message << "actual " << actual << " vs reference " << expected << " (difference "
          << actual - expected << ", allowed " << allowed << ")";
  return ::testing::AssertionFailure() << message.str();
}

// Closed-form statistics are compared at this relative tolerance.
inline constexpr double kClosedForm = 1e-10;

}  // namespace assay::testing
