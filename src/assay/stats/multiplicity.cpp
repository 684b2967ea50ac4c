#include "assay/stats/multiplicity.h"

#include <algorithm>
#include <numeric>

namespace assay::stats {

std::string_view MultiplicityName(Multiplicity method) {
  switch (method) {
    case Multiplicity::kHolm:
      return "holm";
    case Multiplicity::kBonferroni:
      return "bonferroni";
    case Multiplicity::kBenjaminiHochberg:
      return "benjamini_hochberg";
    case Multiplicity::kNone:
      return "none";
  }
  return "unknown";
}

std::optional<Multiplicity> ParseMultiplicity(std::string_view name) {
  for (auto method : {Multiplicity::kHolm, Multiplicity::kBonferroni,
                      Multiplicity::kBenjaminiHochberg, Multiplicity::kNone}) {
    if (MultiplicityName(method) == name) return method;
  }
  return std::nullopt;
}

std::vector<double> AdjustPValues(std::span<const double> p_values, Multiplicity method) {
  const std::size_t m = p_values.size();
  std::vector<double> adjusted(p_values.begin(), p_values.end());
  if (m == 0 || method == Multiplicity::kNone) return adjusted;

  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return p_values[a] < p_values[b]; });
  const auto count = static_cast<double>(m);

  switch (method) {
    case Multiplicity::kBonferroni:
      for (auto& p : adjusted) p = std::min(1.0, p * count);
      break;
    case Multiplicity::kHolm: {
      double running = 0.0;  // step-down: adjusted values never decrease
      for (std::size_t rank = 0; rank < m; ++rank) {
        const double value = (count - static_cast<double>(rank)) * p_values[order[rank]];
        running = std::max(running, std::min(1.0, value));
        adjusted[order[rank]] = running;
      }
      break;
    }
    case Multiplicity::kBenjaminiHochberg: {
      double running = 1.0;  // step-up: from the largest p-value down
      for (std::size_t rank = m; rank-- > 0;) {
        const double value = count / static_cast<double>(rank + 1) * p_values[order[rank]];
        running = std::min(running, value);
        adjusted[order[rank]] = running;
      }
      break;
    }
    case Multiplicity::kNone:
      break;
  }
  return adjusted;
}

}  // namespace assay::stats
