// Writing CSV (RFC 4180) fields.
#pragma once

#include <string>
#include <string_view>

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

}  // namespace assay::io
