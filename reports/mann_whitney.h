// Two-sided Mann–Whitney U test (Wilcoxon rank-sum) for two independent samples.
//
// Contract:
//  - U is the statistic of the first sample: the number of pairs (a_i, b_j) with a_i > b_j, ties
//    counting one half (U_a + U_b = n_a * n_b);
//  - the p-value is two-sided. It comes from the exact permutation distribution of U when there
//    are no ties and the samples are small (see kExactMaxN), otherwise from the normal
//    approximation with the tie-corrected variance and a continuity correction of 1/2;
//  - when either sample is empty, or every value is tied (variance 0), p = 1 (no evidence).
// Why rank-based: benchmark samples are skewed and carry outliers (a page-cache miss, a scheduler
// hiccup); a t-test would let one outlier decide the verdict.
#pragma once

#include <cstddef>
#include <span>

namespace ctv::reports {

// Exact distribution when there are no ties and both samples have at most this many values.
inline constexpr size_t kExactMaxN = 30;

struct MannWhitney {
  double u_a = 0;      // U of the first sample
  double u_b = 0;      // U of the second sample
  double z = 0;        // normal score (0 when exact)
  double p_value = 1;  // two-sided
  bool exact = false;  // p from the exact distribution
  bool ties = false;   // some values occur in both or several times
};

MannWhitney MannWhitneyU(std::span<const double> a, std::span<const double> b);

// The smallest two-sided p-value samples of these sizes can ever reach (all of one sample below
// all of the other). With 3 vs 3 it is 0.1: such a comparison can never be significant at 0.05.
double MinAttainablePValue(size_t n_a, size_t n_b);

}  // namespace ctv::reports
