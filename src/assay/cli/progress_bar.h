// A one-line progress bar for long verbs (scan, infer, run's model passes).
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <utility>

namespace assay::cli {

// A one-line progress bar on stderr, drawn at most ten times a second, only
// when stderr is a terminal and the work is long (500 items or more).
class ProgressBar {
 public:
  // "scanning [####   ] 120/400 files"
  ProgressBar(std::string label, std::string unit)
      : label_(std::move(label)), unit_(std::move(unit)) {}

  // `total` is 0 while the folder is still being listed: the count alone is shown.
  void Update(std::size_t done, std::size_t total) {
    if (!enabled_ || (total != 0 && total < 500)) return;
    const auto now = std::chrono::steady_clock::now();
    std::unique_lock lock(mutex_, std::try_to_lock);
    if (!lock.owns_lock()) return;
    if (done != total && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    if (total == 0) {
      std::fprintf(stderr, "\r%s: %zu %s done", label_.c_str(), done, unit_.c_str());
      std::fflush(stderr);
      return;
    }
    const std::size_t width = 30;
    const std::size_t filled = total == 0 ? width : done * width / total;
    std::fprintf(stderr, "\r%s [%s%s] %zu/%zu %s", label_.c_str(), std::string(filled, '#').c_str(),
                 std::string(width - filled, ' ').c_str(), done, total, unit_.c_str());
    std::fflush(stderr);
  }

  // Ends the line of a bar that was drawn.
  void Finish() {
    std::lock_guard lock(mutex_);
    if (last_ != std::chrono::steady_clock::time_point{}) std::fputc('\n', stderr);
  }

 private:
  std::string label_, unit_;
  bool enabled_ = ::isatty(::fileno(stderr)) != 0;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace assay::cli
