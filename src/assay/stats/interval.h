// Interval: a confidence interval with its level and the name of its method.
#pragma once

#include <string>

namespace assay::stats {

struct Interval {
  double lower = 0.0;
  double upper = 0.0;
  double level = 0.95;
  std::string method;  // "wilson", "delong", "bootstrap_bca", ...
};

// Two-sided standard normal quantile for `level`, e.g. 1.959964 for 0.95.
double NormalQuantileTwoSided(double level);

}  // namespace assay::stats
