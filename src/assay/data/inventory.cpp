#include "assay/data/inventory.h"

#include <fmt/format.h>
#include <tbb/concurrent_vector.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_for_each.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>

#include "assay/core/large_stack.h"
#include "assay/core/sha256.h"
#include "assay/io/csv_writer.h"
#include "assay/io/dicom_header.h"
#include "assay/io/dicom_pixels.h"
#include "assay/model/image.h"

namespace assay::data {
namespace {

namespace fs = std::filesystem;

// Harmonized columns, written after the attributes as read.
const std::vector<std::string> kHarmonizedColumns = {
    "vendor",
    "age_years",
    "sex",
    "kvp_kv",
    "slice_thickness_mm",
    "pixel_spacing_row_mm",
    "pixel_spacing_column_mm",
    "field_strength_t",
    "study_date_iso",
};

// One readable file: its path (identifiers replaced) and its values in
// Layout::keywords order, then the pseudonyms, then the harmonized values.
struct InstanceRow {
  std::string path;
  std::vector<std::string> values;
};

// One file as read, in the worker thread: a row, or the reason it has none.
struct FileRecord {
  std::string failure_code;  // empty when read
  std::string failure_message;
  InstanceRow instance;
};

// Every entry under a folder, listed in parallel (a task per folder).
struct Listing {
  std::vector<std::string> files;                             // relative, '/'-separated, sorted
  std::vector<std::pair<std::string, std::string>> unlisted;  // "folder/", why; sorted
};

Result<Listing> ListTree(const std::string& directory) {
  const fs::path root(directory);
  tbb::concurrent_vector<std::string> files;
  tbb::concurrent_vector<std::pair<std::string, std::string>> unlisted;
  std::string root_error;
  tbb::parallel_for_each(std::vector<std::string>{""},
                         [&](const std::string& folder, tbb::feeder<std::string>& feeder) {
                           std::error_code error;
                           fs::directory_iterator it(root / folder, error);
                           for (; !error && it != fs::directory_iterator(); it.increment(error)) {
                             std::string name = folder;
                             if (!name.empty()) name += '/';
                             name += it->path().filename().string();
                             std::error_code kind;
                             // Links to folders are not followed (they can loop); they are files
                             // that cannot be read.
                             if (it->is_directory(kind) && !it->is_symlink(kind)) {
                               feeder.add(std::move(name));
                             } else {
                               files.push_back(std::move(name));
                             }
                           }
                           if (!error) return;
                           if (folder.empty()) {
                             root_error = error.message();  // only the task of the root writes it
                           } else {
                             unlisted.emplace_back(folder + "/", error.message());
                           }
                         });
  if (!root_error.empty())
    return IoError(fmt::format("{}: cannot list: {}", directory, root_error));
  Listing listing{{files.begin(), files.end()}, {unlisted.begin(), unlisted.end()}};
  std::sort(listing.files.begin(), listing.files.end());
  std::sort(listing.unlisted.begin(), listing.unlisted.end());
  return listing;
}

// Valid UTF-8 for the CSV: bytes that do not form a UTF-8 character (a value
// in a character set DCMTK could not convert) become U+FFFD.
std::string ValidUtf8(const std::string& text) {
  if (std::all_of(text.begin(), text.end(),
                  [](char c) { return c != '\0' && static_cast<unsigned char>(c) < 0x80; })) {
    return text;
  }
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    std::size_t length = byte < 0x80           ? 1
                         : (byte >> 5) == 0x6  ? 2
                         : (byte >> 4) == 0xE  ? 3
                         : (byte >> 3) == 0x1E ? 4
                                               : 0;
    bool valid = length > 0 && i + length <= text.size();
    for (std::size_t k = 1; valid && k < length; ++k) {
      valid = (static_cast<unsigned char>(text[i + k]) >> 6) == 0x2;
    }
    if (valid && byte == 0) valid = false;
    if (valid) {
      out.append(text, i, length);
      i += length;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

std::string Number(double value) { return fmt::format("{}", value); }

std::string OptionalNumber(const std::optional<double>& value) {
  return value ? Number(*value) : std::string();
}

std::size_t IndexOf(const std::vector<std::string>& names, const std::string& name) {
  return static_cast<std::size_t>(std::find(names.begin(), names.end(), name) - names.begin());
}

// The harmonized values of one header, in kHarmonizedColumns order.
std::vector<std::string> Harmonize(const std::vector<std::string>& keywords,
                                   const std::vector<std::string>& values,
                                   const VendorTable& vendors) {
  auto raw = [&](const char* keyword) -> const std::string& {
    return values[IndexOf(keywords, keyword)];
  };
  std::vector<std::string> out;
  out.reserve(kHarmonizedColumns.size());
  out.push_back(vendors.Canonical(raw("Manufacturer")).value_or(""));
  const auto age = AgeInYears(raw("PatientAge"));
  out.push_back(age ? fmt::format("{:.6g}", *age) : std::string());
  out.push_back(SexCode(raw("PatientSex")).value_or(""));
  out.push_back(OptionalNumber(Quantity(raw("KVP"), "kV")));
  out.push_back(OptionalNumber(Quantity(raw("SliceThickness"), "mm")));
  const auto spacing = SplitValues(raw("PixelSpacing"));
  std::optional<double> row_spacing;
  std::optional<double> column_spacing;
  if (spacing.size() == 2) {
    row_spacing = Quantity(spacing[0], "mm");
    column_spacing = Quantity(spacing[1], "mm");
  }
  out.push_back(OptionalNumber(row_spacing));
  out.push_back(OptionalNumber(column_spacing));
  out.push_back(OptionalNumber(Quantity(raw("MagneticFieldStrength"), "T")));
  out.push_back(IsoDate(raw("StudyDate")).value_or(""));
  return out;
}

// Folder names often carry the patient id or accession number; they are
// replaced in the written path by their pseudonyms (ids shorter than four
// characters are left alone: they would match by chance).
std::string RedactedPath(std::string path, const std::optional<std::string>& id,
                         const std::string& pseudonym) {
  if (!id || id->size() < 4) return path;
  for (std::size_t at = path.find(*id); at != std::string::npos;
       at = path.find(*id, at + pseudonym.size())) {
    path.replace(at, id->size(), pseudonym);
  }
  return path;
}

// Columns of --image-stats, written after those of --pixel-hash.
const std::vector<std::string> kImageStatisticsColumns = {
    "image_mean",  "image_sd",        "image_p5",    "image_p95",
    "image_noise", "image_sharpness", "image_error",
};

// The SHA-256 of an image's decoded modality values (with its dimensions).
// Equal digests mean equal images whatever the transfer syntax they were
// stored in (lossless ones).
std::string PixelDigest(const io::PixelImage& image) {
  std::string bytes =
      fmt::format("{}x{}x{}x{}:", image.frames, image.rows, image.columns, image.samples);
  bytes.append(reinterpret_cast<const char*>(image.values.data()),
               image.values.size() * sizeof(float));
  return Sha256(bytes);
}

// A statistic with nine significant digits; "" when it is not defined.
std::string Statistic(double value) {
  return std::isfinite(value) ? fmt::format("{:.9g}", value) : std::string();
}

// The kImageStatisticsColumns values of a decoded image (model::MeasureStatistics).
std::vector<std::string> ImageStatisticsValues(const io::PixelImage& image) {
  const model::ImageStatistics statistics = model::MeasureStatistics({.frames = image.frames,
                                                                      .rows = image.rows,
                                                                      .columns = image.columns,
                                                                      .channels = image.samples,
                                                                      .values = image.values});
  if (statistics.finite_values == 0) return {"", "", "", "", "", "", "no finite pixel value"};
  return {Statistic(statistics.mean),
          Statistic(statistics.standard_deviation),
          Statistic(statistics.p5),
          Statistic(statistics.p95),
          Statistic(statistics.quality.noise),
          Statistic(statistics.quality.sharpness),
          ""};
}

// Decodes the pixels of the file at `full_path` once and appends the columns of
// --pixel-hash and --image-stats, as asked. Why the pixels cannot be decoded is
// written without the file's path (the row has it, with identifiers replaced).
void AppendPixelColumns(const std::string& full_path, const ScanOptions& options,
                        std::vector<std::string>& values) {
  if (!options.pixel_hash && !options.image_statistics) return;
  const auto image = io::LoadDicomPixels(full_path, io::PixelValues::kModality);
  std::string error;
  if (!image.ok()) {
    error = image.status().message();
    if (error.starts_with(full_path + ": ")) error.erase(0, full_path.size() + 2);
    error = ValidUtf8(error);
  }
  if (options.pixel_hash) {
    values.push_back(image.ok() ? PixelDigest(*image) : std::string());
    values.push_back(error);
  }
  if (!options.image_statistics) return;
  if (!image.ok()) {
    values.insert(values.end(), kImageStatisticsColumns.size() - 1, std::string());
    values.push_back(error);
    return;
  }
  std::vector<std::string> statistics = ImageStatisticsValues(*image);
  values.insert(values.end(), std::make_move_iterator(statistics.begin()),
                std::make_move_iterator(statistics.end()));
}

struct Layout {
  std::vector<std::string> keywords;  // attributes as read, in column order
};

}  // namespace

Result<InventoryLevel> ParseInventoryLevel(const std::string& text) {
  if (text == "instance") return InventoryLevel::kInstance;
  if (text == "series") return InventoryLevel::kSeries;
  if (text == "study") return InventoryLevel::kStudy;
  return InvalidInput(
      fmt::format("inventory level '{}': expected instance, series or study", text));
}

namespace {

// The pseudonym of an identifier: the first 32 hex digits of HMAC-SHA-256
// under the study's key; "" for a blank id.
std::string KeyedPseudonym(const HmacSha256Key& key, const std::string& id) {
  if (id.empty()) return {};
  return key.Digest(id).substr(0, 32);
}

}  // namespace

Result<Inventory> ScanDicomFolder(const std::string& directory, const ScanOptions& options) {
  std::vector<std::string> names = io::StandardDicomKeywords();
  for (const auto& extra : options.extra_attributes) {
    if (std::find(names.begin(), names.end(), extra) == names.end()) names.push_back(extra);
  }
  std::error_code root_error;
  if (!fs::is_directory(directory, root_error)) {
    return IoError(fmt::format("{}: not a folder", directory));
  }
  // DCMTK loads its data dictionary (tens of milliseconds) while the folder is listed.
  std::optional<Result<std::vector<io::DicomAttribute>>> resolved;
  std::thread loader([&] { resolved.emplace(io::ResolveDicomAttributes(names)); });
  auto listing = ListTree(directory);
  loader.join();
  if (!resolved->ok()) return resolved->status();
  if (!listing.ok()) return listing.status();
  const std::vector<io::DicomAttribute>& attributes = resolved->value();

  Layout layout;
  for (const auto& attribute : attributes) layout.keywords.push_back(attribute.name);
  // TransferSyntaxUID sits after the standard attributes, before the user's.
  const std::size_t standard = io::StandardDicomKeywords().size();
  layout.keywords.insert(layout.keywords.begin() + static_cast<std::ptrdiff_t>(standard),
                         "TransferSyntaxUID");

  // Reading, pseudonyms and harmonization run in the workers.
  const HmacSha256Key pseudonym_key(options.secret);
  auto process = [&](const std::string& path) {
    FileRecord record;
    const auto outcome = io::ReadDicomHeader((fs::path(directory) / path).string(), attributes);
    if (const auto* failure = std::get_if<io::DicomReadFailure>(&outcome)) {
      record.failure_code = io::DicomFailureCode(failure->reason);
      record.failure_message = ValidUtf8(failure->message);
      record.instance.path = path;
      return record;
    }
    const auto& header = std::get<io::DicomHeader>(outcome);
    auto& values = record.instance.values;
    values.reserve(layout.keywords.size() + 2 + kHarmonizedColumns.size() + 2 +
                   kImageStatisticsColumns.size());
    for (std::size_t k = 0; k < header.values.size(); ++k) {
      if (k == standard) values.push_back(ValidUtf8(header.transfer_syntax_uid));
      values.push_back(header.values[k] ? ValidUtf8(*header.values[k]) : std::string());
    }
    if (header.values.size() == standard) values.push_back(ValidUtf8(header.transfer_syntax_uid));
    const std::string patient = KeyedPseudonym(pseudonym_key, header.patient_id.value_or(""));
    const std::string accession =
        KeyedPseudonym(pseudonym_key, header.accession_number.value_or(""));
    record.instance.path = RedactedPath(RedactedPath(path, header.patient_id, patient),
                                        header.accession_number, accession);
    values.push_back(patient);
    values.push_back(accession);
    auto harmonized = Harmonize(layout.keywords, values, options.vendors);
    values.insert(values.end(), harmonized.begin(), harmonized.end());
    AppendPixelColumns((fs::path(directory) / path).string(), options, values);
    return record;
  };
  std::vector<FileRecord> records(listing->files.size());
  std::atomic<std::size_t> done{0};
  RunWithLargeStack([&] {
    tbb::parallel_for(std::size_t{0}, records.size(), [&](std::size_t i) {
      records[i] = process(listing->files[i]);
      const std::size_t finished = done.fetch_add(1) + 1;
      if (options.progress) options.progress(finished, records.size());
    });
  });
  // A folder that cannot be listed is accounted for like a file that cannot be read.
  for (const auto& [folder, message] : listing->unlisted) {
    FileRecord record;
    record.failure_code = io::DicomFailureCode(io::DicomFailureReason::kCannotOpen);
    record.failure_message = fmt::format("cannot list the folder: {}", message);
    record.instance.path = folder;
    records.push_back(std::move(record));
  }

  Inventory inventory;
  inventory.files_found = records.size();
  inventory.columns = {"path", "read_status", "read_error"};
  if (options.level != InventoryLevel::kInstance) {
    inventory.columns.push_back("instances");
    if (options.level == InventoryLevel::kStudy) inventory.columns.push_back("series");
    inventory.columns.push_back("varying");
  }
  inventory.columns.insert(inventory.columns.end(), layout.keywords.begin(), layout.keywords.end());
  inventory.columns.push_back("patient_pseudonym");
  inventory.columns.push_back("accession_pseudonym");
  inventory.columns.insert(inventory.columns.end(), kHarmonizedColumns.begin(),
                           kHarmonizedColumns.end());
  if (options.pixel_hash) {
    inventory.columns.push_back("pixel_sha256");
    inventory.columns.push_back("pixel_error");
  }
  if (options.image_statistics) {
    inventory.columns.insert(inventory.columns.end(), kImageStatisticsColumns.begin(),
                             kImageStatisticsColumns.end());
  }

  std::vector<InstanceRow> instances;
  std::vector<std::vector<std::string>> failures;
  for (auto& record : records) {
    if (!record.failure_code.empty()) {
      ++inventory.unreadable[record.failure_code];
      std::vector<std::string> row(inventory.columns.size());
      row[0] = std::move(record.instance.path);
      row[1] = "unreadable";
      row[2] = fmt::format("{}: {}", record.failure_code, record.failure_message);
      failures.push_back(std::move(row));
      continue;
    }
    ++inventory.files_read;
    instances.push_back(std::move(record.instance));
  }

  if (options.level == InventoryLevel::kInstance) {
    inventory.rows.reserve(instances.size() + failures.size());
    for (auto& instance : instances) {
      std::vector<std::string> row;
      row.reserve(3 + instance.values.size());
      row.push_back(std::move(instance.path));
      row.emplace_back("ok");
      row.emplace_back();
      row.insert(row.end(), std::make_move_iterator(instance.values.begin()),
                 std::make_move_iterator(instance.values.end()));
      inventory.rows.push_back(std::move(row));
    }
  } else {
    // Group by series or study UID, in order of each group's first file; a
    // file without the UID is a group of its own.
    const std::size_t key =
        IndexOf(layout.keywords, options.level == InventoryLevel::kSeries ? "SeriesInstanceUID"
                                                                          : "StudyInstanceUID");
    const std::size_t series_key = IndexOf(layout.keywords, "SeriesInstanceUID");
    std::unordered_map<std::string, std::size_t> group_of;
    std::vector<std::vector<const InstanceRow*>> groups;
    for (const auto& instance : instances) {
      const std::string& uid = instance.values[key];
      if (uid.empty()) {
        groups.push_back({&instance});
        continue;
      }
      auto [it, inserted] = group_of.emplace(uid, groups.size());
      if (inserted) groups.emplace_back();
      groups[it->second].push_back(&instance);
    }
    for (const auto& members : groups) {
      const InstanceRow& first = *members.front();
      std::vector<std::string> varying;
      for (std::size_t k = 0; k < layout.keywords.size(); ++k) {
        const bool differs = std::any_of(members.begin(), members.end(), [&](const auto* member) {
          return member->values[k] != first.values[k];
        });
        if (differs && layout.keywords[k] != "SOPInstanceUID" &&
            (options.level == InventoryLevel::kStudy ||
             layout.keywords[k] != "SeriesInstanceUID")) {
          varying.push_back(layout.keywords[k]);
        }
      }
      std::vector<std::string> row = {first.path, "ok", "", std::to_string(members.size())};
      if (options.level == InventoryLevel::kStudy) {
        std::set<std::string> series;
        for (const auto* member : members) series.insert(member->values[series_key]);
        row.push_back(std::to_string(series.size()));
        std::erase(varying, "SeriesInstanceUID");
      }
      row.push_back(fmt::format("{}", fmt::join(varying, ";")));
      row.insert(row.end(), first.values.begin(), first.values.end());
      inventory.rows.push_back(std::move(row));
    }
  }
  for (auto& failure : failures) inventory.rows.push_back(std::move(failure));
  const std::size_t vendor_column = IndexOf(inventory.columns, "vendor");
  for (const auto& row : inventory.rows) {
    if (row[1] == "ok") ++inventory.vendors[row[vendor_column]];
  }
  return inventory;
}

std::string InventoryCsv(const Inventory& inventory) {
  std::vector<std::string> lines(inventory.rows.size());
  tbb::parallel_for(std::size_t{0}, lines.size(),
                    [&](std::size_t i) { lines[i] = io::CsvRow(inventory.rows[i]); });
  std::string out = io::CsvRow(inventory.columns);
  std::size_t size = out.size();
  for (const auto& line : lines) size += line.size();
  out.reserve(size);
  for (const auto& line : lines) out += line;
  return out;
}

}  // namespace assay::data
