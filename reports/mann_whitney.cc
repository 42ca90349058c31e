#include "reports/mann_whitney.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace ctv::reports {
namespace {

// Number of arrangements of m "a" and n "b" values giving each U = 0..m*n, as doubles (C(60,30)
// ~ 1.2e17 still fits a double's range; relative rounding is far below what a p-value needs).
// Recurrence: the largest value is either an "a" (it beats all n b's: U shifts by n) or a "b".
std::vector<double> UCounts(size_t m, size_t n) {
  // table[i][j] = distribution for i a's and j b's; built row by row over i.
  std::vector<std::vector<std::vector<double>>> t(m + 1, std::vector<std::vector<double>>(n + 1));
  for (size_t i = 0; i <= m; ++i) {
    for (size_t j = 0; j <= n; ++j) {
      std::vector<double>& d = t[i][j];
      d.assign(i * j + 1, 0.0);
      if (i == 0 || j == 0) {
        d[0] = 1;
        continue;
      }
      const std::vector<double>& last_a = t[i - 1][j];  // largest is an a: U += j
      for (size_t u = 0; u < last_a.size(); ++u) d[u + j] += last_a[u];
      const std::vector<double>& last_b = t[i][j - 1];  // largest is a b: U unchanged
      for (size_t u = 0; u < last_b.size(); ++u) d[u] += last_b[u];
    }
  }
  return t[m][n];
}

double ExactTwoSided(double u, size_t m, size_t n) {
  std::vector<double> counts = UCounts(m, n);
  double total = 0;
  for (double c : counts) total += c;
  size_t k = static_cast<size_t>(std::llround(u));
  double lower = 0, upper = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (i <= k) lower += counts[i];
    if (i >= k) upper += counts[i];
  }
  return std::min(1.0, 2.0 * std::min(lower, upper) / total);
}

}  // namespace

MannWhitney MannWhitneyU(std::span<const double> a, std::span<const double> b) {
  MannWhitney r;
  const size_t m = a.size(), n = b.size();
  if (m == 0 || n == 0) return r;

  // Midranks of the pooled sample; tie groups feed the variance correction.
  struct Item {
    double v;
    bool from_a;
  };
  std::vector<Item> all;
  all.reserve(m + n);
  for (double v : a) all.push_back({v, true});
  for (double v : b) all.push_back({v, false});
  std::sort(all.begin(), all.end(), [](const Item& x, const Item& y) { return x.v < y.v; });
  double rank_sum_a = 0;
  double tie_term = 0;  // sum over tie groups of t^3 - t
  for (size_t i = 0; i < all.size();) {
    size_t j = i;
    while (j < all.size() && all[j].v == all[i].v) ++j;
    double t = static_cast<double>(j - i);
    double midrank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    for (size_t k = i; k < j; ++k)
      if (all[k].from_a) rank_sum_a += midrank;
    if (t > 1) {
      tie_term += t * t * t - t;
      r.ties = true;
    }
    i = j;
  }
  const double md = static_cast<double>(m), nd = static_cast<double>(n);
  r.u_a = rank_sum_a - md * (md + 1) / 2.0;
  r.u_b = md * nd - r.u_a;

  if (!r.ties && m <= kExactMaxN && n <= kExactMaxN) {
    r.exact = true;
    r.p_value = ExactTwoSided(r.u_a, m, n);
    return r;
  }
  const double total = md + nd;
  const double mean = md * nd / 2.0;
  const double var = md * nd / 12.0 * ((total + 1) - tie_term / (total * (total - 1)));
  if (var <= 0) return r;                       // every value tied: no evidence either way
  double diff = std::fabs(r.u_a - mean) - 0.5;  // continuity correction
  if (diff < 0) diff = 0;
  r.z = diff / std::sqrt(var);
  r.p_value = std::min(1.0, std::erfc(r.z / std::sqrt(2.0)));
  return r;
}

double MinAttainablePValue(size_t n_a, size_t n_b) {
  if (n_a == 0 || n_b == 0) return 1;
  // 2 / C(n_a + n_b, n_a): the two extreme arrangements out of all equally likely ones.
  double log_c = std::lgamma(static_cast<double>(n_a + n_b + 1)) -
                 std::lgamma(static_cast<double>(n_a + 1)) -
                 std::lgamma(static_cast<double>(n_b + 1));
  return std::min(1.0, 2.0 * std::exp(-log_c));
}

}  // namespace ctv::reports
