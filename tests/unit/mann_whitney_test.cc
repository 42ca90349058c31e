// Mann-Whitney U against independently known values: hand-computed cases, the critical values of
// the published two-sided alpha = 0.05 tables, and R's documented wilcox.test example.
#include "reports/mann_whitney.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace ctv::reports {
namespace {

// Samples of sizes n and n whose U (for `a`) is exactly `u`: b = 10, 20, ..., 10n; each a value
// sits just above as many b values as it still has to beat (no ties).
void WithU(size_t n, size_t u, std::vector<double>* a, std::vector<double>* b) {
  a->clear();
  b->clear();
  for (size_t j = 1; j <= n; ++j) b->push_back(10.0 * static_cast<double>(j));
  size_t left = u;
  for (size_t i = 0; i < n; ++i) {
    size_t beat = std::min(left, n);
    left -= beat;
    a->push_back(10.0 * static_cast<double>(beat) + 1.0 + 0.01 * static_cast<double>(i));
  }
}

TEST(MannWhitney, FullySeparatedThreeVsThree) {
  // By hand: C(6,3) = 20 equally likely arrangements; U = 0 and U = 9 are one each, so the
  // two-sided p is 2/20.
  std::vector<double> a = {1, 2, 3}, b = {4, 5, 6};
  MannWhitney r = MannWhitneyU(a, b);
  EXPECT_TRUE(r.exact);
  EXPECT_DOUBLE_EQ(r.u_a, 0);
  EXPECT_DOUBLE_EQ(r.u_b, 9);
  EXPECT_NEAR(r.p_value, 0.1, 1e-12);
  EXPECT_NEAR(MinAttainablePValue(3, 3), 0.1, 1e-12);
}

TEST(MannWhitney, FullySeparatedFourVsFour) {
  // 2 / C(8,4) = 2/70.
  std::vector<double> a = {10, 11, 12, 13}, b = {1, 2, 3, 4};
  MannWhitney r = MannWhitneyU(a, b);
  EXPECT_DOUBLE_EQ(r.u_a, 16);
  EXPECT_NEAR(r.p_value, 2.0 / 70.0, 1e-12);
}

// Critical values of U for a two-sided test at alpha = 0.05 (standard Mann-Whitney tables, e.g.
// the table in Siegel & Castellan, "Nonparametric Statistics", or any textbook appendix):
// n1 = n2 = 5 -> 2, 8 -> 13, 10 -> 23, 20 -> 127. U <= critical is significant, U = critical+1
// is not.
TEST(MannWhitney, ExactMatchesPublishedCriticalValues) {
  struct Case {
    size_t n, critical;
  };
  for (Case c : {Case{5, 2}, Case{8, 13}, Case{10, 23}, Case{20, 127}}) {
    std::vector<double> a, b;
    WithU(c.n, c.critical, &a, &b);
    MannWhitney at = MannWhitneyU(a, b);
    ASSERT_TRUE(at.exact);
    ASSERT_DOUBLE_EQ(at.u_a, static_cast<double>(c.critical)) << "n=" << c.n;
    EXPECT_LE(at.p_value, 0.05) << "n=" << c.n;
    WithU(c.n, c.critical + 1, &a, &b);
    MannWhitney above = MannWhitneyU(a, b);
    EXPECT_GT(above.p_value, 0.05) << "n=" << c.n;
  }
}

TEST(MannWhitney, RDocumentationExample) {
  // R's ?wilcox.test, two-sample example (Hollander & Wolfe 1973, p. 69: permeability constants
  // of the human chorioamnion): W = 35, one-sided p = 0.1272, so two-sided 0.2544 (exact).
  std::vector<double> x = {0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46};
  std::vector<double> y = {1.15, 0.88, 0.90, 0.74, 1.21};
  MannWhitney r = MannWhitneyU(x, y);
  EXPECT_TRUE(r.exact);
  EXPECT_DOUBLE_EQ(r.u_a, 35);
  EXPECT_NEAR(r.p_value, 0.2544, 5e-4);
  // Symmetric: swapping the samples swaps U, keeps p.
  MannWhitney s = MannWhitneyU(y, x);
  EXPECT_DOUBLE_EQ(s.u_a, 15);
  EXPECT_NEAR(s.p_value, r.p_value, 1e-12);
}

TEST(MannWhitney, TiesUseCorrectedNormalApproximation) {
  // Computed by hand: pooled sorted 1a 2a 2a 2b 3a 3b 4a 5b 5b 6b 7b; midranks 1, 3, 3, 3, 5.5,
  // 5.5, 7, 8.5, 8.5, 10, 11. R_a = 1 + 3 + 3 + 5.5 + 7 = 19.5, U_a = 19.5 - 15 = 4.5.
  // mean = 5*6/2 = 15; ties: t = 3, 2, 2 -> sum(t^3 - t) = 24 + 6 + 6 = 36;
  // var = 30/12 * (12 - 36/(11*10)) = 29.1818...; z = (|4.5 - 15| - 0.5) / sqrt(var) = 1.85116;
  // p = erfc(z / sqrt 2) = 0.064147.
  std::vector<double> a = {1, 2, 2, 3, 4}, b = {2, 3, 5, 5, 6, 7};
  MannWhitney r = MannWhitneyU(a, b);
  EXPECT_TRUE(r.ties);
  EXPECT_FALSE(r.exact);
  EXPECT_DOUBLE_EQ(r.u_a, 4.5);
  EXPECT_NEAR(r.z, 1.85116, 1e-5);
  EXPECT_NEAR(r.p_value, 0.064147, 1e-5);
}

TEST(MannWhitney, DegenerateInputsGiveNoEvidence) {
  std::vector<double> empty, one = {1.0}, same = {2, 2, 2};
  EXPECT_DOUBLE_EQ(MannWhitneyU(empty, one).p_value, 1.0);
  EXPECT_DOUBLE_EQ(MannWhitneyU(same, same).p_value, 1.0);
}

TEST(MannWhitney, LargeSamplesUseNormalApproximation) {
  // 40 vs 40 fully separated: far beyond any table; z = (800 - 0.5)/sqrt(40*40*81/12) = 7.69.
  std::vector<double> a, b;
  for (int i = 0; i < 40; ++i) {
    a.push_back(i);
    b.push_back(100 + i);
  }
  MannWhitney r = MannWhitneyU(a, b);
  EXPECT_FALSE(r.exact);
  EXPECT_NEAR(r.z, 799.5 / std::sqrt(40.0 * 40 * 81 / 12), 1e-9);
  EXPECT_LT(r.p_value, 1e-12);
}

}  // namespace
}  // namespace ctv::reports
