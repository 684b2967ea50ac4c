#include "assay/synth/synth.h"

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <random>

#include "assay/core/random.h"
#include "assay/core/sha256.h"
#include "assay/synth/cohort_tables.h"
#include "assay/synth/dicom_file.h"
#include "assay/synth/phantom.h"

namespace assay::synth {
namespace {

namespace fs = std::filesystem;

// The first failure among cases written in parallel: the one of the lowest
// case, so that the message does not depend on thread timing.
class FirstFailure {
 public:
  void Record(std::size_t index, Status status) {
    std::lock_guard lock(mutex_);
    if (index < index_) {
      index_ = index;
      status_ = std::move(status);
    }
    failed_.store(true, std::memory_order_relaxed);
  }
  bool failed() const { return failed_.load(std::memory_order_relaxed); }
  Status status() const { return status_; }

 private:
  std::mutex mutex_;
  std::atomic<bool> failed_{false};
  std::size_t index_ = std::numeric_limits<std::size_t>::max();
  Status status_;
};

Status WriteBytes(const fs::path& folder, const std::string& name, std::string_view bytes,
                  const fs::path& shown) {
  const fs::path path = folder / name;
  errno = 0;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (out) return Status::Ok();
  return IoError(fmt::format("{}: cannot write: {}", (shown / name).string(),
                             std::strerror(errno != 0 ? errno : EIO)));
}

// The bytes of a corrupt file made from the case's file: cut short in its
// header or in its pixel data, or random bytes.
std::string CorruptBytes(std::uint64_t seed, const CasePlan& plan, const std::string& bytes,
                         const Phantom& phantom) {
  const std::size_t header = HeaderBytes(bytes.size(), phantom);
  const double point = plan.corruption_point;
  if (plan.corruption == Corruption::kTruncatedHeader) {
    const std::size_t low = std::min<std::size_t>(132, header);
    return bytes.substr(0,
                        low + static_cast<std::size_t>(point * static_cast<double>(header - low)));
  }
  if (plan.corruption == Corruption::kTruncatedPixels) {
    const std::size_t start = std::min(header + 12, bytes.size() - 1);
    const auto span = static_cast<double>(bytes.size() - 1 - start);
    return bytes.substr(0, start + static_cast<std::size_t>(point * span));
  }
  RandomStream garbage(seed, PurposeId("synth.garbage"), plan.site_key, plan.index);
  std::string text(512 + garbage.NextBelow(16384), '\0');
  for (char& c : text) c = static_cast<char>(garbage.NextBelow(256));
  return text;
}

// Renders, encodes and writes one case with its extra files.
Result<CaseFiles> WriteCase(const CohortConfig& config, std::uint64_t seed, const CasePlan& plan,
                            const fs::path& folder, const fs::path& shown) {
  const Phantom phantom = RenderPhantom(PhantomFor(config, seed, plan), AnatomyStream(seed, plan),
                                        AcquisitionStream(seed, plan));
  auto bytes = EncodeCase(config, plan, phantom);
  if (!bytes.ok()) return bytes.status();
  CaseFiles files;
  files.image = CaseFileName(config, plan);
  files.image_bytes = bytes->size();
  files.image_sha256 = Sha256(*bytes);
  ASSAY_RETURN_IF_ERROR(WriteBytes(folder, files.image, *bytes, shown));
  if (plan.duplicate) {
    files.duplicate = DuplicateFileName(config, plan);
    files.duplicate_bytes = bytes->size();
    ASSAY_RETURN_IF_ERROR(WriteBytes(folder, files.duplicate, *bytes, shown));
  }
  if (plan.corruption != Corruption::kNone) {
    const std::string corrupt = CorruptBytes(seed, plan, *bytes, phantom);
    files.corrupt = CorruptFileName(config, plan);
    files.corrupt_bytes = corrupt.size();
    files.corrupt_sha256 = Sha256(corrupt);
    ASSAY_RETURN_IF_ERROR(WriteBytes(folder, files.corrupt, corrupt, shown));
  }
  return files;
}

Result<std::vector<CaseFiles>> WriteImages(const CohortConfig& config, std::uint64_t seed,
                                           const std::vector<CasePlan>& plans,
                                           const fs::path& folder, const fs::path& shown,
                                           const SynthOptions& options) {
  std::vector<CaseFiles> files(plans.size());
  FirstFailure failure;
  std::atomic<std::size_t> done{0};
  tbb::parallel_for(std::size_t{0}, plans.size(), [&](std::size_t i) {
    if (failure.failed()) return;
    auto written = WriteCase(config, seed, plans[i], folder, shown);
    if (!written.ok()) {
      failure.Record(i, written.status());
      return;
    }
    files[i] = std::move(written).value();
    const std::size_t count = done.fetch_add(1, std::memory_order_relaxed) + 1;
    if (options.progress) options.progress(count, plans.size());
  });
  if (failure.failed()) return failure.status();
  return files;
}

// Marks a folder as written by assay synth: only such a folder may be replaced.
constexpr const char* kMarker = ".assay-synth";

// Refuses a target that is a file, a folder with something in it (unless `force`), and
// with `force` a non-empty folder that assay synth did not write.
Status CheckTarget(const fs::path& target, bool force) {
  std::error_code error;
  if (!fs::exists(target, error)) return Status::Ok();
  if (!fs::is_directory(target, error)) {
    return InvalidInput(fmt::format("{}: exists and is not a folder", target.string()));
  }
  if (fs::is_empty(target, error)) return Status::Ok();
  if (!force) {
    return InvalidInput(
        fmt::format("{}: the folder is not empty; give --force to replace it", target.string()));
  }
  if (!fs::exists(target / kMarker, error)) {
    return InvalidInput(fmt::format(
        "{}: the folder was not written by assay synth; --force replaces only such a folder",
        target.string()));
  }
  return Status::Ok();
}

// A new sibling folder of `target`: ".<name>.assay-<kind>-1f2e3d4c". Its name is
// not part of any output, so it may come from the system's entropy.
Result<fs::path> CreateSibling(const fs::path& target, const char* kind) {
  static std::mutex mutex;
  static std::mt19937_64 generator{std::random_device{}()};
  std::error_code error;
  fs::create_directories(target.parent_path().empty() ? "." : target.parent_path(), error);
  for (int attempt = 0; attempt < 16; ++attempt) {
    std::uint64_t tag = 0;
    {
      std::lock_guard lock(mutex);
      tag = generator() & 0xffffffffu;
    }
    const fs::path folder =
        target.parent_path() /
        fmt::format(".{}.assay-{}-{:08x}", target.filename().string(), kind, tag);
    if (fs::create_directory(folder, error)) return folder;
    if (error) break;
  }
  return IoError(fmt::format("{}: cannot create a temporary folder beside it: {}", target.string(),
                             error ? error.message() : "name clash"));
}

// Moves the complete `temporary` folder to `target`, replacing what is there.
Status Replace(const fs::path& temporary, const fs::path& target) {
  std::error_code error;
  const bool earlier = fs::exists(target, error);
  fs::path aside;
  if (earlier) {
    auto sibling =
        CreateSibling(target, "old");  // a name of its own: concurrent runs do not collide
    if (!sibling.ok()) return sibling.status();
    aside = *sibling;
    fs::remove(aside, error);
    fs::rename(target, aside, error);
    if (error) {
      return IoError(fmt::format("{}: cannot replace it: {}", target.string(), error.message()));
    }
  }
  fs::rename(temporary, target, error);
  if (error) {
    const std::string reason = error.message();
    if (earlier) fs::rename(aside, target, error);
    return IoError(fmt::format("{}: cannot write the cohort: {}", target.string(), reason));
  }
  if (earlier) fs::remove_all(aside, error);
  return Status::Ok();
}

SynthSummary Summarize(const CohortConfig& config, std::uint64_t seed,
                       const std::vector<CasePlan>& plans, const SynthOptions& options) {
  SynthSummary summary;
  summary.seed = seed;
  std::vector<std::size_t> slot(config.sites.size());
  for (std::size_t s = 0; s < config.sites.size(); ++s) {
    const SiteConfig& site = config.sites[s];
    if (options.role && site.role != *options.role) continue;
    slot[s] = summary.sites.size();
    summary.sites.push_back({site.name, site.role});
  }
  for (const CasePlan& plan : plans) {
    SiteSummary& site = summary.sites[slot[plan.site]];
    ++site.cases;
    site.positives += plan.lesion ? 1 : 0;
    site.recorded_positives += plan.recorded_lesion ? 1 : 0;
    summary.positives += plan.lesion ? 1 : 0;
    summary.duplicates += plan.duplicate ? 1 : 0;
    summary.corrupt += plan.corruption != Corruption::kNone ? 1 : 0;
    summary.labels_flipped += plan.label_flipped() ? 1 : 0;
  }
  summary.cases = plans.size();
  summary.files = summary.cases + summary.duplicates + summary.corrupt;
  return summary;
}

// Writes everything into `folder` (the temporary one); `shown` is the target named in errors.
Result<SynthSummary> WriteCohort(const CohortConfig& config, std::uint64_t seed,
                                 const std::vector<CasePlan>& plans, const fs::path& folder,
                                 const fs::path& shown, const SynthOptions& options) {
  std::error_code error;
  for (const SiteConfig& site : config.sites) {
    if (options.role && site.role != *options.role) continue;
    fs::create_directories(folder / "images" / site.name, error);
    if (error) {
      return IoError(fmt::format("{}: cannot create the folder: {}",
                                 (shown / "images" / site.name).string(), error.message()));
    }
  }
  auto files = WriteImages(config, seed, plans, folder, shown, options);
  if (!files.ok()) return files.status();

  const std::pair<const char*, std::string> tables[] = {
      {"labels.csv", LabelsCsv(config, plans)},
      {"ground_truth.csv", GroundTruthCsv(config, plans, *files)},
      {"files.csv", FilesCsv(plans, *files)},
      {"planted.json", PlantedJson(config, seed, options.role, plans)},
      {kMarker, "written by assay synth; assay synth --force may replace this folder\n"},
  };
  for (const auto& [name, text] : tables) {
    ASSAY_RETURN_IF_ERROR(WriteBytes(folder, name, text, shown));
  }

  return Summarize(config, seed, plans, options);
}

}  // namespace

Result<std::vector<CasePlan>> PlanCohort(const CohortConfig& config, std::uint64_t seed,
                                         const std::optional<std::string>& role) {
  std::vector<std::pair<std::size_t, std::uint64_t>> keys;
  for (std::size_t s = 0; s < config.sites.size(); ++s) {
    if (role && config.sites[s].role != *role) continue;
    for (std::uint64_t i = 0; i < config.sites[s].cases; ++i) keys.emplace_back(s, i);
  }
  if (keys.empty()) {
    return InvalidInput(
        fmt::format("{}: no site has the role '{}'", config.path, role.value_or("")));
  }
  std::vector<CasePlan> plans(keys.size());
  tbb::parallel_for(std::size_t{0}, keys.size(), [&](std::size_t i) {
    plans[i] = PlanCase(config, seed, keys[i].first, keys[i].second);
  });
  return plans;
}

Result<SynthSummary> GenerateCohort(const CohortConfig& config, const std::string& out,
                                    const SynthOptions& options) {
  // Absolute, without a trailing separator, so that its parent is where the temporary folder goes.
  fs::path target = fs::absolute(out).lexically_normal();
  if (!target.has_filename()) target = target.parent_path();
  const fs::path shown(out);
  const std::uint64_t seed = options.seed.value_or(config.seed);
  auto plans = PlanCohort(config, seed, options.role);
  if (!plans.ok()) return plans.status();
  ASSAY_RETURN_IF_ERROR(CheckTarget(shown, options.force));

  auto temporary = CreateSibling(target, "partial");
  if (!temporary.ok()) return temporary.status();
  auto summary = WriteCohort(config, seed, *plans, *temporary, shown, options);
  Status status = summary.ok() ? Replace(*temporary, target) : summary.status();
  if (!status.ok()) {
    std::error_code error;
    fs::remove_all(*temporary, error);
    return status;
  }
  return summary;
}

}  // namespace assay::synth
