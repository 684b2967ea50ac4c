#include "assay/report/pdf.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

namespace assay::report {
namespace {

namespace fs = std::filesystem;

// A fresh, empty profile folder; removed when this goes out of scope.
class TemporaryProfile {
 public:
  TemporaryProfile() {
    std::string pattern = (fs::temp_directory_path() / "assay-chromium-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  TemporaryProfile(const TemporaryProfile&) = delete;
  TemporaryProfile& operator=(const TemporaryProfile&) = delete;
  ~TemporaryProfile() {
    std::error_code ignored;
    if (!path_.empty()) fs::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs `arguments` (no shell), its output going to `log`, and waits at most
// `timeout_seconds`; the exit status, or -1 when it could not start or was
// stopped for taking too long.
int RunProgram(const std::vector<std::string>& arguments, const std::string& log,
               int timeout_seconds) {
  std::vector<char*> argv;
  argv.reserve(arguments.size() + 1);
  for (const auto& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
  argv.push_back(nullptr);
  const pid_t child = ::fork();
  if (child < 0) return -1;
  if (child == 0) {
    const int output = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (output >= 0) {
      ::dup2(output, STDOUT_FILENO);
      ::dup2(output, STDERR_FILENO);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  int status = 0;
  while (::waitpid(child, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(child, SIGKILL);
      ::waitpid(child, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The last few lines a program wrote, for an error message.
std::string LastLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  constexpr std::size_t kShown = 3;
  std::string text;
  for (std::size_t i = lines.size() > kShown ? lines.size() - kShown : 0; i < lines.size(); ++i) {
    text += (text.empty() ? "" : " | ") + lines[i];
  }
  return text.empty() ? "none" : text;
}

}  // namespace

std::optional<std::string> FindChromium() {
  if (const char* chosen = std::getenv("ASSAY_CHROMIUM"); chosen != nullptr && *chosen != '\0') {
    if (::access(chosen, X_OK) == 0) return std::string(chosen);
    return std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::string folders = path != nullptr ? path : "/usr/bin:/bin";
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    std::size_t start = 0;
    while (start <= folders.size()) {
      const std::size_t end = std::min(folders.find(':', start), folders.size());
      const fs::path candidate = fs::path(folders.substr(start, end - start)) / name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
      start = end + 1;
    }
  }
  return std::nullopt;
}

Status RenderPdf(const std::string& html_path, const std::string& pdf_path, int timeout_seconds) {
  const auto chromium = FindChromium();
  if (!chromium) return InvalidInput(kChromiumMissing);
  std::error_code error;
  const fs::path html = fs::absolute(html_path, error);
  const fs::path pdf = fs::absolute(pdf_path, error);
  TemporaryProfile profile;
  if (profile.path().empty()) return IoError("cannot create a temporary Chromium profile");
  fs::remove(pdf, error);
  const std::string log = profile.path() + "/chromium.log";

  // Background networking off: a report needs no network, and a closed one makes it fail.
  const int status =
      RunProgram({*chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--user-data-dir=" + profile.path(), "--run-all-compositor-stages-before-draw",
                  "--virtual-time-budget=20000", "--no-pdf-header-footer",
                  "--print-to-pdf=" + pdf.string(), "file://" + html.string()},
                 log, timeout_seconds);
  if (status != 0) {
    return IoError(fmt::format("{} could not print {} (exit status {}; its last messages: {})",
                               *chromium, html.string(), status, LastLines(log)));
  }
  if (!fs::exists(pdf, error) || fs::file_size(pdf, error) == 0) {
    return IoError(fmt::format("{} wrote no PDF for {}", *chromium, html.string()));
  }
  return Status::Ok();
}

}  // namespace assay::report
