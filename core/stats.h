// Descriptive statistics of one metric's samples.
//
// Conventions (documented in docs/results-schema.md, relied on by compare):
//  - percentiles interpolate linearly between closest ranks (numpy's default, R type 7);
//  - stddev is the sample standard deviation (divides by n-1; 0 when n < 2);
//  - cv = stddev / mean (0 when mean is 0).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace ctv {

struct Summary {
  size_t n = 0;
  double median = 0, p95 = 0, min = 0, max = 0, mean = 0, stddev = 0, cv = 0;
};

// Summary of `samples` (any order). All zeros when empty.
Summary Summarize(std::span<const double> samples);

// Percentile p in [0, 100] of already sorted values.
double PercentileSorted(std::span<const double> sorted, double p);

// Why a summary should not be trusted, if it should not: too few samples, or a spread too wide
// (cv above `max_cv`). Empty when it looks fine.
std::vector<std::string> TrustWarnings(const Summary& s, size_t min_n = 5, double max_cv = 0.25);

}  // namespace ctv
