// The browser scripts every HTML report carries inline: Vega, Vega-Lite and
// vega-embed, as pinned by the project's package-lock.json. They are linked
// into the library byte for byte at build time, so `assay` needs no files
// and no network to write a report, and a report needs none to be opened.
#pragma once

#include <string_view>
#include <vector>

namespace assay::report {

struct ReportScript {
  std::string_view name;     // npm package: "vega", "vega-lite", "vega-embed"
  std::string_view version;  // as installed when assay was built, e.g. "6.4.0"
  std::string_view source;   // the minified UMD build
};

// In load order (vega-lite needs vega; vega-embed needs both).
const std::vector<ReportScript>& ReportScripts();

}  // namespace assay::report
