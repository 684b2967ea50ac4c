#include "assay/stats/sample_size.h"

#include <algorithm>
#include <boost/math/distributions/binomial.hpp>
#include <boost/math/distributions/normal.hpp>
#include <cmath>

#include "assay/stats/interval.h"

namespace assay::stats {
namespace {

// The next doubling point after n, capped at max_n (no overflow).
std::uint64_t Doubled(std::uint64_t n, std::uint64_t max_n) {
  return n > max_n / 2 ? max_n : 2 * n;
}

// The search rule of sample_size.h for criteria that are not monotone in n:
// check `start`; double (capped at max_n) until a doubling point decides it,
// nullopt if none does; then return the first n in (start, that point] that
// decides it, found by `first_in(first, last)` (the first n in [first, last]
// that decides it, if any).
template <typename Decides, typename FirstIn>
std::optional<std::uint64_t> DoubleThenScan(std::uint64_t start, std::uint64_t max_n,
                                            Decides decides, FirstIn first_in) {
  if (start > max_n) return std::nullopt;
  if (decides(start)) return start;
  std::uint64_t decided = start;
  do {
    if (decided == max_n) return std::nullopt;
    decided = Doubled(decided, max_n);
  } while (!decides(decided));
  if (decided - start < 2) return decided;
  return first_in(start + 1, decided - 1).value_or(decided);
}

// The first n in [first, last] that decides it, one case at a time.
template <typename Decides>
std::optional<std::uint64_t> ScanEach(std::uint64_t first, std::uint64_t last, Decides decides) {
  for (std::uint64_t n = first; n <= last; ++n) {
    if (decides(n)) return n;
  }
  return std::nullopt;
}

// The same, faster, given `may_decide(a, b)`: false only when no n in [a, b]
// decides it, and equal to the criterion itself when a == b. Blocks that
// cannot hold the answer are skipped whole; the rest are halved, left first.
template <typename MayDecide>
std::optional<std::uint64_t> ScanBlocks(std::uint64_t first, std::uint64_t last,
                                        MayDecide may_decide) {
  if (!may_decide(first, last)) return std::nullopt;
  if (first == last) return first;
  const std::uint64_t middle = first + (last - first) / 2;
  if (auto found = ScanBlocks(first, middle, may_decide)) return found;
  return ScanBlocks(middle + 1, last, may_decide);
}

// For criteria monotone in n: check `start`, double until decided, then
// bisect between the last undecided and the first decided doubling point.
template <typename Decides>
std::optional<std::uint64_t> DoubleThenBisect(std::uint64_t start, std::uint64_t max_n,
                                              Decides decides) {
  if (start > max_n) return std::nullopt;
  if (decides(start)) return start;
  std::uint64_t undecided = start;
  std::uint64_t decided = start;
  for (;;) {
    if (decided == max_n) return std::nullopt;
    decided = Doubled(undecided, max_n);
    if (decides(decided)) break;
    undecided = decided;
  }
  while (decided - undecided > 1) {
    const std::uint64_t middle = undecided + (decided - undecided) / 2;
    (decides(middle) ? decided : undecided) = middle;
  }
  return decided;
}

// round(estimate * n), kept within [0, n].
std::uint64_t HeldCount(double estimate, std::uint64_t n) {
  const double count = std::round(estimate * static_cast<double>(n));
  if (count <= 0.0) return 0;
  return std::min(n, static_cast<std::uint64_t>(count));
}

// The power of the proportion's interval against a goal, evaluated for n in
// any order and cheaply for n one above the previous call (the linear scan).
class ProportionPower {
 public:
  ProportionPower(double proportion, double goal, double level, ProportionMethod method)
      : proportion_(proportion), goal_(goal), level_(level), method_(method) {}

  // P(X >= x_c) for X ~ Binomial(n, proportion), x_c the smallest count whose
  // lower bound exceeds the goal.
  double At(std::uint64_t n) {
    const std::uint64_t critical = CriticalCount(n);
    if (critical == 0) return 1.0;
    if (critical > n) return 0.0;
    const boost::math::binomial_distribution<double> binomial(static_cast<double>(n), proportion_);
    return boost::math::cdf(boost::math::complement(binomial, static_cast<double>(critical - 1)));
  }

 private:
  bool Clears(std::uint64_t x, std::uint64_t n) const {
    return ProportionInterval(x, n, level_, method_).lower > goal_;
  }

  // The smallest x in [0, n] whose lower bound exceeds the goal, n + 1 if none.
  // The lower bound is nondecreasing in x wherever it exceeds a goal >= 0, so
  // the counts that clear it are x_c..n. From the previous n the answer moves
  // by about one count, so it is walked from there; otherwise bisected.
  std::uint64_t CriticalCount(std::uint64_t n) {
    std::uint64_t x = 0;
    if (previous_n_ && *previous_n_ + 1 == n) {
      x = previous_critical_;
      while (x <= n && !Clears(x, n)) ++x;
      while (x > 0 && Clears(x - 1, n)) --x;
    } else {
      std::uint64_t high = n + 1;  // x_c lies in [x, high]
      while (x < high) {
        const std::uint64_t middle = x + (high - x) / 2;
        if (Clears(middle, n)) {
          high = middle;
        } else {
          x = middle + 1;
        }
      }
    }
    previous_n_ = n;
    previous_critical_ = x;
    return x;
  }

  double proportion_, goal_, level_;
  ProportionMethod method_;
  std::optional<std::uint64_t> previous_n_;
  std::uint64_t previous_critical_ = 0;
};

// Negatives for n1 positives at a kept ratio, at least 1.
std::uint64_t NegativesAtRatio(std::uint64_t positives, double negatives_per_positive) {
  const double negatives = std::round(static_cast<double>(positives) * negatives_per_positive);
  return negatives < 1.0 ? 1 : static_cast<std::uint64_t>(negatives);
}

double StandardError(double auc, std::uint64_t positives, std::uint64_t negatives) {
  return std::sqrt(
      HanleyMcNeilVariance(auc, static_cast<double>(positives), static_cast<double>(negatives)));
}

}  // namespace

std::optional<std::uint64_t> CasesToDecideProportion(double estimate, std::uint64_t current_n,
                                                     double goal, double level,
                                                     ProportionMethod method, std::uint64_t max_n) {
  if (estimate == goal) return std::nullopt;
  const bool above = estimate > goal;
  auto decides_with = [&](std::uint64_t successes, std::uint64_t trials) {
    const Interval interval = ProportionInterval(successes, trials, level, method);
    return above ? interval.lower > goal : interval.upper < goal;
  };
  auto decides = [&](std::uint64_t n) { return decides_with(HeldCount(estimate, n), n); };
  // Wilson, Clopper-Pearson and Jeffreys bounds rise with the count x and fall
  // with the trials n at a fixed count. For n in [a, b] the held count lies in
  // [round(p a), round(p b)], so the lower bound at n is at most the bound of
  // round(p b) of a, and the upper bound at least that of round(p a) of b: if
  // those do not decide it, no n in [a, b] does. (Not so for Wald and
  // Agresti-Coull, whose bounds at a fixed count need not fall with n; they
  // are cheap, and scanned case by case.)
  auto may_decide = [&](std::uint64_t a, std::uint64_t b) {
    if (a == b) return decides(a);
    if (above) {
      const std::uint64_t count = HeldCount(estimate, b);
      return count > a || decides_with(count, a);
    }
    return decides_with(HeldCount(estimate, a), b);
  };
  const bool bounded = method == ProportionMethod::kWilson ||
                       method == ProportionMethod::kClopperPearson ||
                       method == ProportionMethod::kJeffreys;
  return DoubleThenScan(std::max<std::uint64_t>(current_n, 1), max_n, decides,
                        [&](std::uint64_t first, std::uint64_t last) {
                          return bounded ? ScanBlocks(first, last, may_decide)
                                         : ScanEach(first, last, decides);
                        });
}

std::optional<std::uint64_t> CasesForPower(double proportion, double goal, double level,
                                           ProportionMethod method, double power,
                                           std::uint64_t max_n) {
  if (!(proportion > goal)) return std::nullopt;
  ProportionPower power_at(proportion, goal, level, method);
  auto reaches = [&](std::uint64_t n) { return power_at.At(n) >= power; };
  // The scan walks n upward, so each critical count moves from the last one.
  return DoubleThenScan(1, max_n, reaches, [&](std::uint64_t first, std::uint64_t last) {
    return ScanEach(first, last, reaches);
  });
}

double HanleyMcNeilVariance(double auc, double positives, double negatives) {
  const double a2 = auc * auc;
  const double q1 = auc / (2.0 - auc);
  const double q2 = 2.0 * a2 / (1.0 + auc);
  return (auc * (1.0 - auc) + (positives - 1.0) * (q1 - a2) + (negatives - 1.0) * (q2 - a2)) /
         (positives * negatives);
}

std::optional<ClassCounts> CasesToDecideAuc(double auc, std::uint64_t positives,
                                            std::uint64_t negatives, double goal, double level,
                                            std::uint64_t max_positives) {
  if (auc == goal || positives == 0 || negatives == 0) return std::nullopt;
  const double ratio = static_cast<double>(negatives) / static_cast<double>(positives);
  const double z = NormalQuantileTwoSided(level);
  const bool above = auc > goal;
  // Var = k/(n1 n0) + (Q1 - A^2)/n0 + (Q2 - A^2)/n1 with
  // k = A(1 - A)(1 - A + A^2)/((2 - A)(1 + A)): every term is >= 0 for
  // 0 <= A <= 1, so Var decreases in n1 and n0; n0 grows with n1, so the
  // criterion is monotone in n1.
  auto negatives_for = [&](std::uint64_t n) {
    return n == positives ? negatives : NegativesAtRatio(n, ratio);
  };
  const auto n1 = DoubleThenBisect(positives, max_positives, [&](std::uint64_t n) {
    const double margin = z * StandardError(auc, n, negatives_for(n));
    return above ? auc - margin > goal : auc + margin < goal;
  });
  if (!n1) return std::nullopt;
  return ClassCounts{*n1, negatives_for(*n1)};
}

std::optional<ClassCounts> CasesForAucPower(double auc, double goal, double negatives_per_positive,
                                            double level, double power,
                                            std::uint64_t max_positives) {
  if (!(auc > goal)) return std::nullopt;
  const double z_sum = NormalQuantileTwoSided(level) +
                       boost::math::quantile(boost::math::normal_distribution<double>(), power);
  const auto n1 = DoubleThenBisect(1, max_positives, [&](std::uint64_t n) {
    // (auc - goal) / se >= z_sum, written without dividing by a zero se.
    return auc - goal >= z_sum * StandardError(auc, n, NegativesAtRatio(n, negatives_per_positive));
  });
  if (!n1) return std::nullopt;
  return ClassCounts{*n1, NegativesAtRatio(*n1, negatives_per_positive)};
}

}  // namespace assay::stats
