// `assay scan DIR --out inventory.csv`: the inventory of a folder of DICOM
// files, read header by header, with harmonized acquisition attributes and
// patient pseudonyms; every file accounted for.
#include <fmt/format.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "assay/cli/commands.h"
#include "assay/cli/progress_bar.h"
#include "assay/data/inventory.h"

namespace assay::cli {
namespace {

namespace fs = std::filesystem;

struct ScanArguments {
  std::string directory;
  std::string out;
  std::string level = "instance";
  std::vector<std::string> tags;
  std::string secret_file;
  std::string vendor_aliases;
  bool pixel_hash = false;
  bool image_statistics = false;
};

constexpr std::size_t kMinimumSecretBytes = 16;

// The study's pseudonym key: read from `path`, or made (32 random bytes, hex)
// and written there, readable by the owner only, when the file does not exist.
Result<std::string> LoadOrMakeSecret(const std::string& path) {
  std::error_code error;
  if (fs::exists(path, error)) {
    std::ifstream in(path, std::ios::binary);
    if (!in.is_open()) return IoError(fmt::format("{}: cannot read the pseudonym key", path));
    std::ostringstream text;
    text << in.rdbuf();
    std::string secret = text.str();
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    if (secret.size() < kMinimumSecretBytes) {
      return InvalidInput(fmt::format(
          "{}: a pseudonym key needs at least {} bytes (this one has {}); delete it to have "
          "assay make a new one",
          path, kMinimumSecretBytes, secret.size()));
    }
    return secret;
  }
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return Status(StatusCode::kInternal, "OpenSSL could not draw random bytes for a key");
  }
  std::string secret;
  for (unsigned char byte : bytes) secret += fmt::format("{:02x}", byte);
  {
    std::ofstream out(path, std::ios::binary);
    if (!out.is_open()) return IoError(fmt::format("{}: cannot write a new pseudonym key", path));
    out << secret << '\n';
    if (!out) return IoError(fmt::format("{}: cannot write a new pseudonym key", path));
  }
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace,
                  error);
  spdlog::info(
      "made a new pseudonym key in {}: keep it private, and use it for every scan of this "
      "study so that a patient keeps one pseudonym",
      path);
  return secret;
}

void PrintSummary(const data::Inventory& inventory, const ScanArguments& arguments) {
  std::string text =
      fmt::format("{} files found: {} read, {} unreadable\n", inventory.files_found,
                  inventory.files_read, inventory.files_found - inventory.files_read);
  for (const auto& [reason, count] : inventory.unreadable) {
    text += fmt::format("  unreadable, {}: {}\n", reason, count);
  }
  const std::size_t readable_rows =
      inventory.rows.size() - (inventory.files_found - inventory.files_read);
  text += fmt::format("{} {} rows; by vendor:\n", readable_rows, arguments.level);
  for (const auto& [vendor, count] : inventory.vendors) {
    text += fmt::format("  {:<24} {}\n", vendor.empty() ? "(unknown or missing)" : vendor, count);
  }
  std::fputs(text.c_str(), stdout);
}

int ScanCommand(const ScanArguments& arguments) {
  auto level = data::ParseInventoryLevel(arguments.level);
  if (!level.ok()) return ReportFailure(level.status());
  data::ScanOptions options;
  options.level = *level;
  options.extra_attributes = arguments.tags;
  options.pixel_hash = arguments.pixel_hash;
  options.image_statistics = arguments.image_statistics;
  if (!arguments.vendor_aliases.empty()) {
    if (Status added = options.vendors.AddFile(arguments.vendor_aliases); !added.ok()) {
      return ReportFailure(added);
    }
  }
  auto secret = LoadOrMakeSecret(arguments.secret_file);
  if (!secret.ok()) return ReportFailure(secret.status());
  options.secret = std::move(secret).value();
  auto bar = std::make_shared<ProgressBar>("scanning", "files");
  options.progress = [bar](std::size_t done, std::size_t total) { bar->Update(done, total); };

  auto inventory = data::ScanDicomFolder(arguments.directory, options);
  bar->Finish();
  if (!inventory.ok()) return ReportFailure(inventory.status());

  if (Status written = WriteOutputFile(arguments.out, data::InventoryCsv(*inventory));
      !written.ok()) {
    return ReportFailure(written);
  }
  PrintSummary(*inventory, arguments);
  spdlog::info("wrote {}", arguments.out);
  return 0;
}

}  // namespace

Runner AddScanCommand(CLI::App& app) {
  auto arguments = std::make_shared<ScanArguments>();
  CLI::App* command = app.add_subcommand(
      "scan", "Inventory of a folder of DICOM files (headers only), every file accounted for");
  command->add_option("directory", arguments->directory, "Folder to scan (recursively)")
      ->required();
  command->add_option("--out", arguments->out, "Inventory CSV to write")->required();
  command
      ->add_option("--level", arguments->level, "One row per instance (default), series or study")
      ->check(CLI::IsMember({"instance", "series", "study"}));
  command->add_option("--tag", arguments->tags,
                      "Further attribute, by keyword or as (gggg,eeee); repeatable");
  command
      ->add_option("--secret-file", arguments->secret_file,
                   "The study's pseudonym key (made there when the file does not exist)")
      ->required();
  command->add_option("--vendor-aliases", arguments->vendor_aliases,
                      "CSV (alias,vendor) extending the shipped vendor alias table");
  command->add_flag("--pixel-hash", arguments->pixel_hash,
                    "Also decode every image and write the SHA-256 of its pixel values "
                    "(finds duplicates stored under other UIDs; reads every file whole)");
  command->add_flag("--image-stats", arguments->image_statistics,
                    "Also decode every image and write statistics of its pixel values (mean, "
                    "SD, 5th and 95th percentiles, noise, sharpness; reads every file whole)");
  return [arguments](const std::string&) { return ScanCommand(*arguments); };
}

}  // namespace assay::cli
