// PDF rendering of an HTML report with headless Chromium (Debian package
// `chromium`), which runs the report's scripts so the plots are drawn.
//
//   Status printed = report::RenderPdf("out/study/report.html", "out/study/report.pdf");
#pragma once

#include <optional>
#include <string>

#include "assay/core/status.h"

namespace assay::report {

inline constexpr const char* kPdfName = "report.pdf";

// What to do when no Chromium is found.
inline constexpr const char* kChromiumMissing =
    "headless Chromium is needed for --pdf and was not found: install the Debian package "
    "'chromium' (apt-get install chromium), or set ASSAY_CHROMIUM to a Chromium program";

// The Chromium program: $ASSAY_CHROMIUM when set (nullopt when that is not an
// executable), else the first of chromium, chromium-browser, google-chrome on
// PATH; nullopt when none is found.
std::optional<std::string> FindChromium();

// Prints `html_path` to `pdf_path` (A4, no header or footer, backgrounds kept).
// Fails with kInvalidInput, saying how to install Chromium, when none is found;
// with kIoError when Chromium fails, exceeds `timeout_seconds` or writes no PDF.
Status RenderPdf(const std::string& html_path, const std::string& pdf_path,
                 int timeout_seconds = 120);

}  // namespace assay::report
