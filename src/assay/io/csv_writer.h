// Writing CSV (RFC 4180) fields.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace assay::io {

// `text` as one CSV field: quoted when it holds a comma, a double quote or a
// line break, with inner quotes doubled.
inline std::string CsvField(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// `fields` as one CSV line, line break included.
inline std::string CsvRow(const std::vector<std::string>& fields) {
  std::string line;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line += ',';
    line += CsvField(fields[i]);
  }
  line += '\n';
  return line;
}

}  // namespace assay::io
