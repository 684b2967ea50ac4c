// Harmonization of DICOM and spreadsheet metadata into comparable values.
//
// Real archives spell one vendor many ways ("GE MEDICAL SYSTEMS", "GE
// Healthcare", "ge"), write ages as "065Y" or "018M", and attach units to
// numbers. These functions map such text to canonical values; they return
// nullopt for text they cannot read, so the caller keeps the original beside
// the harmonized value and the audit counts what could not be read.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "assay/core/status.h"

namespace assay::data {

// Lower case, every run of characters other than letters and digits turned
// into one space, no space at either end: "GE  Medical-Systems." -> "ge medical systems".
std::string NormalizeName(std::string_view text);

// Canonical vendor names by alias. Starts from the table shipped with assay
// (src/assay/data/vendor_aliases.csv) and takes the user's additions.
class VendorTable {
 public:
  // The shipped table.
  static VendorTable Shipped();

  // Adds the rows of a CSV with columns `alias` and `vendor`; they take
  // precedence over rows added before. Errors name the file and line.
  Status AddFile(const std::string& path);

  // The canonical vendor of a Manufacturer value: the vendor of the longest
  // alias that equals the normalized value or is a whole-word prefix of it;
  // nullopt when none matches (or the value is blank).
  std::optional<std::string> Canonical(std::string_view manufacturer) const;

 private:
  std::vector<std::pair<std::string, std::string>> aliases_;  // normalized alias, vendor
};

// An age in years from a DICOM Age String ("065Y", "018M", "003W", "010D") or a
// bare number of years ("65", "65.5"); nullopt otherwise.
std::optional<double> AgeInYears(std::string_view text);

// "M", "F" or "O" from DICOM sex codes or words ("male", "Female", "other");
// nullopt otherwise.
std::optional<std::string> SexCode(std::string_view text);

// A number, optionally followed by `unit` (case-insensitive, spaces allowed
// between): Quantity("120 kV", "kv") -> 120. Finite values only.
std::optional<double> Quantity(std::string_view text, std::string_view unit);

// The values of a multi-valued DICOM field ("0.5\0.5" -> {"0.5", "0.5"}).
std::vector<std::string> SplitValues(std::string_view text);

// "20210315" (DICOM DA) -> "2021-03-15"; nullopt for an impossible date.
std::optional<std::string> IsoDate(std::string_view text);

// The range in which a harmonized value is plausible; values outside it are
// flagged by the audit (an age of 250 years, a slice thickness of 0).
struct PlausibleRange {
  double low;
  double high;
  bool low_inclusive;
};
inline constexpr PlausibleRange kPlausibleAgeYears{0.0, 120.0, true};
inline constexpr PlausibleRange kPlausibleSliceThicknessMm{0.0, 30.0, false};
inline constexpr PlausibleRange kPlausibleKvp{20.0, 160.0, true};
inline constexpr PlausibleRange kPlausiblePixelSpacingMm{0.0, 20.0, false};
inline constexpr PlausibleRange kPlausibleFieldStrengthT{0.0, 12.0, false};

bool IsPlausible(double value, const PlausibleRange& range);

}  // namespace assay::data
