// What every benchmark program here shares: taking its own --name=value
// flags out of argv (leaving Google Benchmark's), the repeated single-shot
// timing setup, and a main() that turns a stray exception into exit code 1.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdio>
#include <exception>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

namespace assay::bench {

using FlagSetter = std::function<void(const char* value)>;

// Removes every argument that starts with one of the prefixes (e.g.
// "--cases=") from argv, handing its value to the prefix's setter. Setters
// may throw std::logic_error (std::stoull does) on a bad value.
inline void TakeFlags(int& argc, char** argv,
                      const std::vector<std::pair<std::string_view, FlagSetter>>& flags) {
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view argument = argv[i];
    bool taken = false;
    for (const auto& [prefix, set] : flags) {
      if (!argument.starts_with(prefix)) continue;
      set(argument.data() + prefix.size());
      taken = true;
      break;
    }
    if (!taken) argv[kept++] = argv[i];
  }
  argc = kept;
}

// One iteration per repetition, wall and whole-process CPU time, aggregates only.
inline void ConfigureRepeated(benchmark::internal::Benchmark* benchmark, int repetitions) {
  benchmark->Iterations(1)
      ->Repetitions(repetitions)
      ->ReportAggregatesOnly(true)
      ->UseRealTime()
      ->MeasureProcessCPUTime()
      ->Unit(benchmark::kMillisecond);
}

// Runs `run`, reporting an escaped exception (a bad argument, an unreadable
// peer answer) on stderr with exit code 1.
inline int GuardedMain(int argc, char** argv, int (*run)(int, char**)) {
  try {
    return run(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return 1;
  }
}

}  // namespace assay::bench
