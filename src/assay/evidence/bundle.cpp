#include "assay/evidence/bundle.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string_view>

#include "assay/core/sha256.h"

namespace assay::evidence {
namespace {

namespace fs = std::filesystem;

// The header keys of a MANIFEST, in the order they are written and required.
constexpr std::array<const char*, 8> kHeaderKeys = {"format",       "assay_version", "build_id",
                                                    "created",      "seed",          "platform",
                                                    "command_line", "protocol_path"};

constexpr std::uintmax_t kLargestManifest = 16u << 20;

bool IsControl(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte < 0x20 || byte == 0x7f;
}

// Backslash escapes keep every value on one line: \\ \n \r and \xHH for the
// other control characters. Everything else, UTF-8 included, is as is.
std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (IsControl(c)) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out;
}

// The inverse of Escape; nullopt for a malformed escape or a raw control character.
std::optional<std::string> Unescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (IsControl(c)) return std::nullopt;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i == text.size()) return std::nullopt;
    if (text[i] == '\\') {
      out += '\\';
    } else if (text[i] == 'n') {
      out += '\n';
    } else if (text[i] == 'r') {
      out += '\r';
    } else if (text[i] == 'x' && i + 2 < text.size()) {
      unsigned value = 0;
      const char* first = text.data() + i + 1;
      const auto [end, error] = std::from_chars(first, first + 2, value, 16);
      if (error != std::errc() || end != first + 2) return std::nullopt;
      out += static_cast<char>(value);
      i += 2;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

// A file name inside the bundle: one path component, not MANIFEST.
bool IsPlainName(std::string_view name) {
  if (name.empty() || name == "." || name == ".." || name == kManifestName) return false;
  return std::none_of(name.begin(), name.end(),
                      [](char c) { return c == '/' || c == '\0' || IsControl(c); });
}

bool IsWord(std::string_view text) {
  return !text.empty() &&
         std::none_of(text.begin(), text.end(), [](char c) { return c == ' ' || IsControl(c); });
}

std::optional<std::uint64_t> ParseCount(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Splits off the text before the first space of `rest`.
std::optional<std::string_view> NextField(std::string_view& rest) {
  const auto space = rest.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const std::string_view field = rest.substr(0, space);
  rest.remove_prefix(space + 1);
  return field;
}

// Reads a MANIFEST's text line by line, naming the line in every error.
class ManifestParser {
 public:
  ManifestParser(const std::string& text, const std::string& source)
      : text_(text), source_(source) {}

  Result<Manifest> Run() {
    Manifest manifest;
    for (const char* key : kHeaderKeys) {
      auto value = HeaderValue(key);
      if (!value.ok()) return value.status();
      ASSAY_RETURN_IF_ERROR(SetHeader(manifest, key, *value));
    }
    while (NextLine()) ASSAY_RETURN_IF_ERROR(AddEntry(manifest));
    return manifest;
  }

 private:
  bool NextLine() {
    if (position_ >= text_.size()) return false;
    const auto end = text_.find('\n', position_);
    const auto stop = end == std::string_view::npos ? text_.size() : end;
    line_ = text_.substr(position_, stop - position_);
    position_ = stop + 1;
    ++line_number_;
    return true;
  }

  Status Error(const std::string& what) const {
    return InvalidInput(fmt::format("{} line {}: {}", source_, line_number_, what));
  }

  Result<std::string> HeaderValue(const char* key) {
    if (!NextLine()) {
      ++line_number_;
      return Error(fmt::format("expected '{}: ...', found the end of the file", key));
    }
    const std::string prefix = std::string(key) + ":";
    if (line_.substr(0, prefix.size()) != prefix) {
      return Error(fmt::format("expected '{}: ...', found '{}'", key, Escape(line_)));
    }
    std::string_view value = line_.substr(prefix.size());
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    auto text = Unescape(value);
    if (!text) return Error(fmt::format("'{}' holds a malformed escape or control character", key));
    return *text;
  }

  static std::string* TextField(Manifest& manifest, std::string_view key) {
    if (key == "assay_version") return &manifest.assay_version;
    if (key == "build_id") return &manifest.build_id;
    if (key == "created") return &manifest.created;
    if (key == "platform") return &manifest.platform;
    if (key == "command_line") return &manifest.command_line;
    return &manifest.protocol_path;
  }

  Status SetHeader(Manifest& manifest, std::string_view key, std::string value) {
    if (key == "format") {
      if (value != kManifestFormat) {
        return Error(fmt::format("format '{}' is not '{}', the one this assay reads", Escape(value),
                                 kManifestFormat));
      }
      manifest.format = std::move(value);
    } else if (key == "seed") {
      auto seed = ParseCount(value);
      if (!seed) return Error(fmt::format("seed '{}' is not a whole number", Escape(value)));
      manifest.seed = *seed;
    } else {
      *TextField(manifest, key) = std::move(value);
    }
    return Status::Ok();
  }

  // "input <role> <sha256> <bytes> <path>" or "output <sha256> <bytes> <name>".
  Status AddEntry(Manifest& manifest) {
    std::string_view rest = line_;
    const auto kind = NextField(rest);
    ManifestEntry entry;
    if (kind == "input") {
      const auto role = NextField(rest);
      if (!role || !IsWord(*role)) return Error("expected 'input <role> <sha256> <bytes> <path>'");
      entry.role = std::string(*role);
    } else if (kind == "output") {
      entry.role = "output";
    } else {
      return Error(
          fmt::format("expected a line 'input ...' or 'output ...', found '{}'", Escape(line_)));
    }
    ASSAY_RETURN_IF_ERROR(ParseDigestAndSize(rest, entry));
    auto path = Unescape(rest);
    if (!path) return Error("the path holds a malformed escape or control character");
    entry.path = std::move(*path);
    if (entry.role != "output") return AddInput(manifest, std::move(entry));
    return AddOutput(manifest, std::move(entry));
  }

  Status ParseDigestAndSize(std::string_view& rest, ManifestEntry& entry) {
    const auto digest = NextField(rest);
    if (!digest || !IsSha256Hex(*digest)) {
      return Error("expected a SHA-256 of 64 lower-case hex digits");
    }
    const auto bytes = NextField(rest);
    const auto count = bytes ? ParseCount(*bytes) : std::nullopt;
    if (!count) return Error("expected the size in bytes after the SHA-256");
    entry.sha256 = std::string(*digest);
    entry.bytes = *count;
    return Status::Ok();
  }

  Status AddInput(Manifest& manifest, ManifestEntry entry) {
    if (!fs::path(entry.path).is_absolute()) {
      return Error(fmt::format("input path '{}' is not absolute", Escape(entry.path)));
    }
    manifest.inputs.push_back(std::move(entry));
    return Status::Ok();
  }

  Status AddOutput(Manifest& manifest, ManifestEntry entry) {
    if (!IsPlainName(entry.path)) {
      return Error(
          fmt::format("output '{}' is not a file name inside the bundle", Escape(entry.path)));
    }
    if (!output_names_.insert(entry.path).second) {
      return Error(fmt::format("output '{}' is listed twice", Escape(entry.path)));
    }
    manifest.outputs.push_back(std::move(entry));
    return Status::Ok();
  }

  std::string_view text_;
  const std::string& source_;
  std::size_t position_ = 0;
  std::string_view line_;
  std::uint64_t line_number_ = 0;
  std::set<std::string> output_names_;
};

// What differs between the file at `path` and its MANIFEST entry, if anything.
std::optional<std::string> CompareFile(const fs::path& path, const ManifestEntry& entry) {
  std::error_code error;
  const auto status = fs::status(path, error);
  if (!fs::exists(status)) return "missing";
  if (!fs::is_regular_file(status)) return "not a regular file";
  auto digest = Sha256File(path.string());
  if (!digest.ok()) return "unreadable: " + digest.status().message();
  if (*digest != entry.sha256) {
    return fmt::format("changed (sha256 {}, MANIFEST says {})", *digest, entry.sha256);
  }
  const std::uintmax_t bytes = fs::file_size(path, error);
  if (error || bytes != entry.bytes) {
    return fmt::format("changed ({} bytes, MANIFEST says {})", bytes, entry.bytes);
  }
  return std::nullopt;
}

// Entries of the bundle folder that the MANIFEST does not name, by name.
Result<std::vector<Difference>> UnexpectedFiles(const fs::path& directory,
                                                const Manifest& manifest) {
  std::set<std::string> expected = {kManifestName};
  for (const auto& output : manifest.outputs) expected.insert(output.path);
  std::error_code error;
  std::vector<Difference> found;
  for (fs::directory_iterator it(directory, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (expected.count(name) > 0) continue;
    std::error_code kind_error;
    found.push_back(
        {name, it->is_directory(kind_error) ? "unexpected folder" : "unexpected file", ""});
  }
  if (error) {
    return IoError(
        fmt::format("{}: cannot list the folder: {}", directory.string(), error.message()));
  }
  std::sort(found.begin(), found.end(),
            [](const Difference& a, const Difference& b) { return a.path < b.path; });
  return found;
}

// ---- writing ----

Status CheckNames(const std::vector<std::pair<std::string, std::string>>& outputs,
                  const std::vector<BundleFile>& inputs) {
  std::set<std::string> names;
  for (const auto& output : outputs) {
    if (!IsPlainName(output.first) || !names.insert(output.first).second) {
      return Status(StatusCode::kInternal,
                    fmt::format("bundle output '{}' is not a distinct plain file name",
                                Escape(output.first)));
    }
  }
  for (const auto& input : inputs) {
    if (!IsWord(input.role) || input.role == "output") {
      return Status(StatusCode::kInternal,
                    fmt::format("bundle input role '{}' is not one word", Escape(input.role)));
    }
  }
  return Status::Ok();
}

Result<std::vector<ManifestEntry>> HashInputs(const std::vector<BundleFile>& inputs) {
  std::vector<ManifestEntry> entries;
  for (const auto& input : inputs) {
    std::error_code error;
    const fs::path path = fs::absolute(input.path, error).lexically_normal();
    if (error) return IoError(fmt::format("{}: {}", input.path, error.message()));
    auto digest = Sha256File(path.string());
    if (!digest.ok()) return digest.status();
    const std::uintmax_t bytes = fs::file_size(path, error);
    if (error) return IoError(fmt::format("{}: cannot read: {}", path.string(), error.message()));
    entries.push_back({input.role, path.string(), *digest, bytes});
  }
  return entries;
}

// The absolute bundle folder, without a trailing separator.
Result<fs::path> BundlePath(const std::string& directory) {
  std::error_code error;
  fs::path path = fs::absolute(directory, error).lexically_normal();
  if (error || directory.empty()) {
    return InvalidInput(fmt::format("'{}' is not a usable bundle folder", directory));
  }
  if (path.filename().empty()) path = path.parent_path();
  if (path.filename().empty() || path.filename() == "..") {
    return InvalidInput(fmt::format("'{}' cannot be a bundle folder", directory));
  }
  return path;
}

// A bundle may replace nothing, an empty folder, or an earlier bundle.
Status CheckReplaceable(const fs::path& target) {
  std::error_code error;
  const auto status = fs::symlink_status(target, error);
  if (!fs::exists(status)) return Status::Ok();
  if (!fs::is_directory(status)) {
    return IoError(fmt::format("{}: exists and is not a folder", target.string()));
  }
  if (fs::is_empty(target, error) || fs::is_regular_file(target / kManifestName, error)) {
    return Status::Ok();
  }
  return InvalidInput(fmt::format(
      "{}: the folder exists, holds files and is not an evidence bundle (it has no {}); "
      "choose a new or empty folder",
      target.string(), kManifestName));
}

// Creates `folder` and its missing parents; returns the topmost folder it
// created (empty when `folder` existed), so that a failure can remove it.
Result<fs::path> CreateFolders(const fs::path& folder) {
  std::error_code error;
  fs::path topmost;
  for (fs::path at = folder; !at.empty() && !fs::exists(at, error); at = at.parent_path()) {
    topmost = at;
    if (at == at.parent_path()) break;
  }
  fs::create_directories(folder, error);
  if (error) {
    return IoError(
        fmt::format("{}: cannot create the folder: {}", folder.string(), error.message()));
  }
  return topmost;
}

// A sibling of `target` that does not exist yet: ".results.assay-partial-1f2e3d4c".
fs::path SiblingName(const fs::path& target, const char* kind) {
  static std::mt19937_64 generator{std::random_device{}()};
  return target.parent_path() / fmt::format(".{}.assay-{}-{:08x}", target.filename().string(), kind,
                                            generator() & 0xffffffffu);
}

Result<fs::path> CreateTemporaryFolder(const fs::path& target) {
  std::error_code error;
  for (int attempt = 0; attempt < 16; ++attempt) {
    const fs::path folder = SiblingName(target, "partial");
    if (fs::create_directory(folder, error)) return folder;
    if (error) break;
  }
  return IoError(fmt::format("{}: cannot create a temporary folder beside it: {}", target.string(),
                             error ? error.message() : "name clash"));
}

// Writes and flushes to disk; the file is complete or the call fails.
Status WriteFile(const fs::path& path, std::string_view bytes) {
  const int descriptor = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (descriptor < 0) {
    return IoError(fmt::format("{}: cannot write: {}", path.string(), std::strerror(errno)));
  }
  while (!bytes.empty()) {
    const ssize_t written = ::write(descriptor, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) break;
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  const bool complete = bytes.empty() && ::fsync(descriptor) == 0;
  const int error_number = errno;
  if (::close(descriptor) != 0 || !complete) {
    return IoError(fmt::format("{}: cannot write: {}", path.string(),
                               std::strerror(complete ? errno : error_number)));
  }
  return Status::Ok();
}

void SyncFolder(const fs::path& folder) {
  const int descriptor = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (descriptor < 0) return;
  ::fsync(descriptor);
  ::close(descriptor);
}

// Moves the complete `temporary` folder to `target`, replacing an empty folder
// or an earlier bundle there.
Status Replace(const fs::path& temporary, const fs::path& target) {
  std::error_code error;
  const bool earlier = fs::exists(target, error) && !fs::is_empty(target, error);
  fs::path aside;
  if (earlier) {
    aside = SiblingName(target, "old");
    fs::rename(target, aside, error);
    if (error) {
      return IoError(fmt::format("{}: cannot replace the earlier bundle: {}", target.string(),
                                 error.message()));
    }
  }
  fs::rename(temporary, target, error);
  if (error) {
    const std::string reason = error.message();
    if (earlier) fs::rename(aside, target, error);
    return IoError(fmt::format("{}: cannot write the bundle: {}", target.string(), reason));
  }
  if (earlier) fs::remove_all(aside, error);
  SyncFolder(target.parent_path());
  return Status::Ok();
}

Status WriteAndReplace(const fs::path& target,
                       const std::vector<std::pair<std::string, std::string>>& outputs,
                       const std::string& manifest_text) {
  auto temporary = CreateTemporaryFolder(target);
  if (!temporary.ok()) return temporary.status();
  Status status;
  for (const auto& [name, bytes] : outputs) {
    status = WriteFile(*temporary / name, bytes);
    if (!status.ok()) break;
  }
  if (status.ok()) status = WriteFile(*temporary / kManifestName, manifest_text);
  if (status.ok()) {
    SyncFolder(*temporary);
    status = Replace(*temporary, target);
  }
  std::error_code error;
  if (!status.ok()) fs::remove_all(*temporary, error);
  return status;
}

// Writes `folder`/`name` through a hidden partial file renamed over it, so
// readers see the old file or the new one, never half of one.
Status ReplaceFile(const fs::path& folder, const std::string& name, std::string_view bytes) {
  const fs::path target = folder / name;
  const fs::path partial = folder / ("." + name + ".assay-partial");
  ASSAY_RETURN_IF_ERROR(WriteFile(partial, bytes));
  std::error_code error;
  fs::rename(partial, target, error);
  if (error) {
    const std::string reason = error.message();
    fs::remove(partial, error);
    return IoError(fmt::format("{}: cannot write: {}", target.string(), reason));
  }
  SyncFolder(folder);
  return Status::Ok();
}

}  // namespace

Status WriteBundle(const std::string& directory,
                   const std::vector<std::pair<std::string, std::string>>& outputs,
                   const std::vector<BundleFile>& inputs, Manifest manifest) {
  ASSAY_RETURN_IF_ERROR(CheckNames(outputs, inputs));
  auto target = BundlePath(directory);
  if (!target.ok()) return target.status();
  ASSAY_RETURN_IF_ERROR(CheckReplaceable(*target));

  auto hashed = HashInputs(inputs);
  if (!hashed.ok()) return hashed.status();
  manifest.inputs = std::move(hashed).value();
  manifest.outputs.clear();
  for (const auto& [name, bytes] : outputs) {
    manifest.outputs.push_back({"output", name, Sha256(bytes), bytes.size()});
  }
  for (const auto& input : manifest.inputs) {
    if (manifest.protocol_path.empty() && input.role == "protocol") {
      manifest.protocol_path = input.path;
    }
  }
  if (manifest.platform.empty()) manifest.platform = PlatformDescription();

  auto created = CreateFolders(target->parent_path());
  if (!created.ok()) return created.status();
  Status status = WriteAndReplace(*target, outputs, FormatManifest(manifest));
  std::error_code error;
  if (!status.ok() && !created->empty()) fs::remove_all(*created, error);
  return status;
}

Status WriteBundleFile(const std::string& directory, const std::string& name,
                       std::string_view bytes) {
  if (!IsPlainName(name) || name == kManifestName) {
    return Status(StatusCode::kInternal, fmt::format("'{}' is not a bundle output name", name));
  }
  return ReplaceFile(fs::path(directory), name, bytes);
}

Status RecordBundleOutputs(const std::string& directory, const std::vector<std::string>& names) {
  auto manifest = ReadManifest(directory);
  if (!manifest.ok()) return manifest.status();
  for (const auto& name : names) {
    const fs::path path = fs::path(directory) / name;
    auto digest = Sha256File(path.string());
    if (!digest.ok()) return digest.status();
    std::error_code error;
    const std::uint64_t bytes = fs::file_size(path, error);
    if (error) return IoError(fmt::format("{}: cannot read: {}", path.string(), error.message()));
    ManifestEntry entry{"output", name, *digest, bytes};
    auto same = std::find_if(manifest->outputs.begin(), manifest->outputs.end(),
                             [&](const ManifestEntry& output) { return output.path == name; });
    if (same != manifest->outputs.end()) {
      *same = std::move(entry);
    } else {
      manifest->outputs.push_back(std::move(entry));
    }
  }
  return ReplaceFile(fs::path(directory), kManifestName, FormatManifest(*manifest));
}

std::string FormatManifest(const Manifest& manifest) {
  const std::array<std::string, kHeaderKeys.size()> values = {
      manifest.format,       manifest.assay_version,        manifest.build_id,
      manifest.created,      std::to_string(manifest.seed), manifest.platform,
      manifest.command_line, manifest.protocol_path};
  std::string out;
  for (std::size_t i = 0; i < kHeaderKeys.size(); ++i) {
    out += values[i].empty() ? fmt::format("{}:\n", kHeaderKeys[i])
                             : fmt::format("{}: {}\n", kHeaderKeys[i], Escape(values[i]));
  }
  for (const auto& input : manifest.inputs) {
    out += fmt::format("input {} {} {} {}\n", input.role, input.sha256, input.bytes,
                       Escape(input.path));
  }
  for (const auto& output : manifest.outputs) {
    out += fmt::format("output {} {} {}\n", output.sha256, output.bytes, Escape(output.path));
  }
  return out;
}

Result<Manifest> ParseManifest(const std::string& text, const std::string& source) {
  return ManifestParser(text, source).Run();
}

Result<Manifest> ReadManifest(const std::string& directory) {
  const fs::path path = fs::path(directory) / kManifestName;
  std::error_code error;
  if (!fs::is_directory(directory, error)) {
    return IoError(fmt::format("{}: no such folder", directory));
  }
  const std::uintmax_t size = fs::file_size(path, error);
  if (error) {
    return IoError(fmt::format("{}: cannot read ({}); is {} an evidence bundle?", path.string(),
                               error.message(), directory));
  }
  if (size > kLargestManifest) {
    return InvalidInput(
        fmt::format("{}: {} bytes is too large for a MANIFEST", path.string(), size));
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in.is_open() && size > 0) text << in.rdbuf();
  if (!in.is_open() || in.bad()) return IoError(fmt::format("{}: cannot read", path.string()));
  return ParseManifest(text.str(), path.string());
}

std::string FormatDifference(const Difference& difference) {
  if (difference.role.empty()) return fmt::format("{}: {}", difference.path, difference.what);
  return fmt::format("{} (input {}): {}", difference.path, difference.role, difference.what);
}

Result<std::vector<Difference>> VerifyBundle(const std::string& directory) {
  auto manifest = ReadManifest(directory);
  if (!manifest.ok()) return manifest.status();

  std::vector<Difference> differences;
  for (const auto& output : manifest->outputs) {
    if (auto what = CompareFile(fs::path(directory) / output.path, output)) {
      differences.push_back({output.path, std::move(*what), ""});
    }
  }
  auto unexpected = UnexpectedFiles(directory, *manifest);
  if (!unexpected.ok()) return unexpected.status();
  differences.insert(differences.end(), unexpected->begin(), unexpected->end());
  for (const auto& input : manifest->inputs) {
    if (auto what = CompareFile(input.path, input)) {
      differences.push_back({input.path, std::move(*what), input.role});
    }
  }
  return differences;
}

std::string PlatformDescription() {
  std::string system = "unknown system";
  utsname info{};
  if (::uname(&info) == 0) {
    system = fmt::format("{} {} {}", info.sysname, info.release, info.machine);
  }
#if defined(__clang__)
  const std::string compiler =
      fmt::format("Clang {}.{}.{}", __clang_major__, __clang_minor__, __clang_patchlevel__);
#elif defined(__GNUC__)
  const std::string compiler =
      fmt::format("GCC {}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#else
  const std::string compiler = "unknown compiler";
#endif
  return system + ", " + compiler;
}

}  // namespace assay::evidence
