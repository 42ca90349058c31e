#include "core/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

namespace ctv {

double PercentileSorted(std::span<const double> v, double p) {
  if (v.empty()) return 0;
  double rank = p / 100.0 * static_cast<double>(v.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(rank));
  size_t hi = std::min(lo + 1, v.size() - 1);
  double frac = rank - static_cast<double>(lo);
  return v[lo] + (v[hi] - v[lo]) * frac;
}

Summary Summarize(std::span<const double> samples) {
  Summary s;
  s.n = samples.size();
  if (s.n == 0) return s;
  std::vector<double> v(samples.begin(), samples.end());
  std::sort(v.begin(), v.end());
  s.min = v.front();
  s.max = v.back();
  s.median = PercentileSorted(v, 50);
  s.p95 = PercentileSorted(v, 95);
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(s.n);
  if (s.n > 1) {
    double ss = 0;
    for (double x : v) ss += (x - s.mean) * (x - s.mean);
    s.stddev = std::sqrt(ss / static_cast<double>(s.n - 1));
  }
  s.cv = s.mean != 0 ? s.stddev / std::fabs(s.mean) : 0;
  return s;
}

std::vector<std::string> TrustWarnings(const Summary& s, size_t min_n, double max_cv) {
  std::vector<std::string> w;
  if (s.n < min_n)
    w.push_back(fmt::format("only {} samples (fewer than {}): treat the spread as unknown", s.n,
                            min_n));
  if (s.cv > max_cv)
    w.push_back(fmt::format("spread too wide to trust: coefficient of variation {:.0f}% (> {:.0f}%)",
                            s.cv * 100, max_cv * 100));
  return w;
}

}  // namespace ctv
