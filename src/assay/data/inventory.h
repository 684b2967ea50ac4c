// The inventory of a folder of DICOM files: one row per instance, series or
// study, with the acquisition attributes that imaging models fail along,
// their harmonized values, and patient pseudonyms (the first 32 hex digits of
// HMAC-SHA-256 of the id under the study's key). Every file found is
// accounted for: a file that cannot be read is a row with its reason.
//
//   ScanOptions options;
//   options.secret = key;  // the study's pseudonym key, kept by the user
//   auto inventory = ScanDicomFolder("archive/", options);
//   std::string csv = InventoryCsv(*inventory);
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "assay/core/status.h"
#include "assay/data/harmonize.h"

namespace assay::data {

enum class InventoryLevel { kInstance, kSeries, kStudy };

struct ScanOptions {
  InventoryLevel level = InventoryLevel::kInstance;
  // Further attributes by keyword or "(gggg,eeee)"; identifying ones are refused.
  std::vector<std::string> extra_attributes;
  // Key of the HMAC-SHA-256 pseudonyms of patient ids and accession numbers.
  std::string secret;
  VendorTable vendors = VendorTable::Shipped();
  // Also decode the pixels of every readable file and write the SHA-256 of
  // its modality values (columns pixel_sha256 and pixel_error), so that the
  // audit finds the same image stored twice under different UIDs. Reads
  // every file whole: much slower than a header scan.
  bool pixel_hash = false;
  // Also decode the pixels of every readable file (once, with pixel_hash) and
  // write statistics of its modality values, all frames together, for
  // comparing cohorts: image_mean, image_sd, image_p5, image_p95,
  // image_noise, image_sharpness (model::MeasureStatistics) and image_error
  // (why they are empty). Reads every file whole, like pixel_hash.
  bool image_statistics = false;
  // Called from worker threads as files are read (files done, and 0: the
  // total is not known while folders are still being listed); thread-safe.
  std::function<void(std::size_t, std::size_t)> progress;
};

struct Inventory {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;  // "" for a missing value
  std::size_t files_found = 0;
  std::size_t files_read = 0;
  std::map<std::string, std::size_t> unreadable;  // reason code -> files
  std::map<std::string, std::size_t> vendors;     // harmonized vendor -> rows ("" when unknown)
};

// The name of a level as written on the command line ("instance", ...).
Result<InventoryLevel> ParseInventoryLevel(const std::string& text);

// Scans `directory` recursively (files in path order; directory links are
// not followed), reading headers only (whole files with pixel_hash or
// image_statistics), in parallel. Fails only when the folder cannot be
// listed or an attribute is refused; unreadable files are rows with
// read_status "unreadable".
Result<Inventory> ScanDicomFolder(const std::string& directory, const ScanOptions& options);

// The inventory as CSV (RFC 4180, UTF-8), header first.
std::string InventoryCsv(const Inventory& inventory);

}  // namespace assay::data
