#include "assay/data/harmonize.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "assay/core/embed.h"
#include "assay/io/record_source.h"

ASSAY_EMBED_FILE(assay_vendor_aliases, ASSAY_VENDOR_ALIASES_CSV);
extern "C" {
extern const char assay_vendor_aliases_begin[], assay_vendor_aliases_end[];
}

namespace assay::data {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

// The leading number of `text` and what follows it.
std::optional<std::pair<double, std::string_view>> LeadingNumber(std::string_view text) {
  text = Trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double value = 0.0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || !std::isfinite(value)) return std::nullopt;
  return std::make_pair(value, Trim(std::string_view(end, text.data() + text.size() - end)));
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::string NormalizeName(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    // Bytes of multi-byte UTF-8 characters are kept as they are.
    if (std::isalnum(byte) || byte >= 0x80) {
      if (pending_space && !out.empty()) out += ' ';
      pending_space = false;
      out += static_cast<char>(std::tolower(byte));
    } else {
      pending_space = true;
    }
  }
  return out;
}

VendorTable VendorTable::Shipped() {
  VendorTable table;
  const std::string_view text(
      assay_vendor_aliases_begin,
      static_cast<std::size_t>(assay_vendor_aliases_end - assay_vendor_aliases_begin));
  // The shipped file is plain "alias,vendor" lines without quoting.
  std::size_t start = text.find('\n') + 1;  // after the header
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    const std::size_t comma = line.find(',');
    if (comma != std::string_view::npos) {
      table.aliases_.emplace_back(NormalizeName(line.substr(0, comma)),
                                  std::string(Trim(line.substr(comma + 1))));
    }
    start = end + 1;
  }
  return table;
}

Status VendorTable::AddFile(const std::string& path) {
  auto source = io::OpenRecordSource(path, {"alias", "vendor"});
  if (!source.ok()) return source.status();
  std::vector<std::pair<std::string, std::string>> added;
  while (true) {
    auto more = (*source)->Next();
    if (!more.ok()) return more.status();
    if (!*more) break;
    const auto alias = (*source)->Value(0);
    const auto vendor = (*source)->Value(1);
    const std::string normalized = alias ? NormalizeName(*alias) : std::string();
    if (normalized.empty() || !vendor || Trim(*vendor).empty()) {
      return InvalidInput(fmt::format("{} line {}: an alias row needs both an alias and a vendor",
                                      path, (*source)->line()));
    }
    added.emplace_back(normalized, std::string(Trim(*vendor)));
  }
  // Earlier entries win ties in Canonical, so the user's rows go first.
  aliases_.insert(aliases_.begin(), added.begin(), added.end());
  return Status::Ok();
}

std::optional<std::string> VendorTable::Canonical(std::string_view manufacturer) const {
  const std::string value = NormalizeName(manufacturer);
  if (value.empty()) return std::nullopt;
  const std::pair<std::string, std::string>* best = nullptr;
  for (const auto& entry : aliases_) {
    const std::string& alias = entry.first;
    const bool matches = value == alias ||
                         (value.size() > alias.size() &&
                          value.compare(0, alias.size(), alias) == 0 && value[alias.size()] == ' ');
    if (matches && (best == nullptr || alias.size() > best->first.size())) best = &entry;
  }
  if (best == nullptr) return std::nullopt;
  return best->second;
}

std::optional<double> AgeInYears(std::string_view text) {
  auto number = LeadingNumber(text);
  if (!number || number->first < 0.0) return std::nullopt;
  const auto [value, unit] = *number;
  if (unit.empty() || EqualsIgnoringCase(unit, "Y")) return value;
  if (EqualsIgnoringCase(unit, "M")) return value / 12.0;
  if (EqualsIgnoringCase(unit, "W")) return value * 7.0 / 365.25;
  if (EqualsIgnoringCase(unit, "D")) return value / 365.25;
  return std::nullopt;
}

std::optional<std::string> SexCode(std::string_view text) {
  text = Trim(text);
  if (EqualsIgnoringCase(text, "M") || EqualsIgnoringCase(text, "male")) return "M";
  if (EqualsIgnoringCase(text, "F") || EqualsIgnoringCase(text, "female")) return "F";
  if (EqualsIgnoringCase(text, "O") || EqualsIgnoringCase(text, "other")) return "O";
  return std::nullopt;
}

std::optional<double> Quantity(std::string_view text, std::string_view unit) {
  auto number = LeadingNumber(text);
  if (!number) return std::nullopt;
  if (number->second.empty() || EqualsIgnoringCase(number->second, unit)) return number->first;
  return std::nullopt;
}

std::vector<std::string> SplitValues(std::string_view text) {
  std::vector<std::string> values;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find('\\', start);
    values.emplace_back(Trim(text.substr(start, end - start)));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return values;
}

std::optional<std::string> IsoDate(std::string_view text) {
  text = Trim(text);
  if (text.size() != 8 || !std::all_of(text.begin(), text.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      })) {
    return std::nullopt;
  }
  const int year = std::stoi(std::string(text.substr(0, 4)));
  const int month = std::stoi(std::string(text.substr(4, 2)));
  const int day = std::stoi(std::string(text.substr(6, 2)));
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1850 || month < 1 || month > 12 || day < 1 || day > kDays[month - 1]) {
    return std::nullopt;
  }
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month == 2 && day == 29 && !leap) return std::nullopt;
  return fmt::format("{:04d}-{:02d}-{:02d}", year, month, day);
}

bool IsPlausible(double value, const PlausibleRange& range) {
  const bool above_low = range.low_inclusive ? value >= range.low : value > range.low;
  return above_low && value <= range.high;
}

}  // namespace assay::data
