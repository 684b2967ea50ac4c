// Running a peer tool (scikit-learn, R pROC) on the benchmark's cases in the
// same run: the cases go to raw files in a temporary directory, the peer
// script reads them, times itself and prints one JSON object as the last
// line of its standard output.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "binormal.h"

namespace assay::bench {

// A fresh directory under the system's temporary directory, removed with its
// files when the object goes away.
class TempDirectory {
 public:
  TempDirectory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "assay_bench_XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDirectory() {
    if (!path_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(path_, ignored);
    }
  }
  TempDirectory(const TempDirectory&) = delete;
  TempDirectory& operator=(const TempDirectory&) = delete;

  bool ok() const { return !path_.empty(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Writes DIR/scores.f64 (native float64) and DIR/truth.u8 (one byte per case,
// 1 = positive), which numpy.fromfile and R's readBin read back exactly.
inline bool WriteCaseFiles(const std::filesystem::path& directory, const CaseSample& sample) {
  std::ofstream scores(directory / "scores.f64", std::ios::binary);
  scores.write(reinterpret_cast<const char*>(sample.score.data()),
               static_cast<std::streamsize>(sample.score.size() * sizeof(double)));
  std::ofstream truth(directory / "truth.u8", std::ios::binary);
  truth.write(reinterpret_cast<const char*>(sample.truth.data()),
              static_cast<std::streamsize>(sample.truth.size()));
  return scores.good() && truth.good();
}

// Runs `command` through the shell (its standard error passes through) and
// parses the last line of its standard output as JSON; nullopt on failure.
inline std::optional<nlohmann::json> RunPeer(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  std::string output;
  std::vector<char> buffer(4096);
  for (std::size_t got; (got = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0;) {
    output.append(buffer.data(), got);
  }
  if (pclose(pipe) != 0) return std::nullopt;
  while (!output.empty() && output.back() == '\n') output.pop_back();
  const auto last_line = output.rfind('\n');
  const std::string json_text =
      last_line == std::string::npos ? output : output.substr(last_line + 1);
  auto parsed = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

// Quotes `text` for the POSIX shell.
inline std::string ShellQuote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

}  // namespace assay::bench
