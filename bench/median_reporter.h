// MedianReporter: Google Benchmark's console output, plus the median wall
// and CPU times of each benchmark kept for the program to compare with a
// peer tool. (The CPU time is the whole process's when the benchmark asks
// for MeasureProcessCPUTime().)
#pragma once

#include <benchmark/benchmark.h>

#include <map>
#include <string>
#include <vector>

namespace assay::bench {

class MedianReporter : public benchmark::ConsoleReporter {
 public:
  MedianReporter() : benchmark::ConsoleReporter(OO_Tabular) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type == Run::RT_Aggregate && run.aggregate_name == "median") {
        const double unit = benchmark::GetTimeUnitMultiplier(run.time_unit);
        medians_[run.run_name.function_name] = {run.GetAdjustedRealTime() / unit,
                                                run.GetAdjustedCPUTime() / unit};
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }

  struct Median {
    double wall_seconds = 0.0;
    double cpu_seconds = 0.0;
  };
  // Medians of the benchmark registered as `name`; zeros if it did not run.
  Median MedianOf(const std::string& name) const {
    const auto found = medians_.find(name);
    return found == medians_.end() ? Median{} : found->second;
  }

 private:
  std::map<std::string, Median> medians_;
};

}  // namespace assay::bench
