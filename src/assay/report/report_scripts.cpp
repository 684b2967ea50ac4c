#include "assay/report/report_scripts.h"

#include "assay/core/embed.h"

// Each script is included by the assembler from the path CMake passes in
// ASSAY_VEGA_JS, ASSAY_VEGA_LITE_JS and ASSAY_VEGA_EMBED_JS.
ASSAY_EMBED_FILE(assay_vega_script, ASSAY_VEGA_JS);
ASSAY_EMBED_FILE(assay_vega_lite_script, ASSAY_VEGA_LITE_JS);
ASSAY_EMBED_FILE(assay_vega_embed_script, ASSAY_VEGA_EMBED_JS);

extern "C" {
extern const char assay_vega_script_begin[], assay_vega_script_end[];
extern const char assay_vega_lite_script_begin[], assay_vega_lite_script_end[];
extern const char assay_vega_embed_script_begin[], assay_vega_embed_script_end[];
}

namespace assay::report {
namespace {

std::string_view Between(const char* begin, const char* end) {
  return {begin, static_cast<std::size_t>(end - begin)};
}

}  // namespace

const std::vector<ReportScript>& ReportScripts() {
  static const std::vector<ReportScript> scripts = {
      {"vega", ASSAY_VEGA_VERSION, Between(assay_vega_script_begin, assay_vega_script_end)},
      {"vega-lite", ASSAY_VEGA_LITE_VERSION,
       Between(assay_vega_lite_script_begin, assay_vega_lite_script_end)},
      {"vega-embed", ASSAY_VEGA_EMBED_VERSION,
       Between(assay_vega_embed_script_begin, assay_vega_embed_script_end)},
  };
  return scripts;
}

}  // namespace assay::report
