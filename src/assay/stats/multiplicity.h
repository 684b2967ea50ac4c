// Multiplicity adjustment of a family of p-values: Holm (1979), Bonferroni,
// and Benjamini–Hochberg (1995). Adjusted p-values are returned in the input
// order and match R's p.adjust. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace assay::stats {

enum class Multiplicity { kHolm, kBonferroni, kBenjaminiHochberg, kNone };

// "holm", "bonferroni", "benjamini_hochberg", "none".
std::string_view MultiplicityName(Multiplicity method);
std::optional<Multiplicity> ParseMultiplicity(std::string_view name);

std::vector<double> AdjustPValues(std::span<const double> p_values, Multiplicity method);

}  // namespace assay::stats
