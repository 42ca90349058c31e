#include "core/stats.h"

#include <cmath>

#include <gtest/gtest.h>

namespace ctv {
namespace {

// Hand-computed: x = 1..10. mean 5.5; sum of squared deviations 82.5; sample variance 82.5/9.
TEST(Stats, OneToTen) {
  std::vector<double> v = {7, 3, 10, 1, 5, 2, 9, 4, 8, 6};  // order must not matter
  Summary s = Summarize(v);
  EXPECT_EQ(s.n, 10u);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 10);
  EXPECT_DOUBLE_EQ(s.mean, 5.5);
  EXPECT_DOUBLE_EQ(s.median, 5.5);
  // p95: rank 0.95 * 9 = 8.55 -> 9 + 0.55 * (10 - 9)
  EXPECT_NEAR(s.p95, 9.55, 1e-12);
  EXPECT_NEAR(s.stddev, 3.0276503540974917, 1e-12);  // sqrt(82.5 / 9)
  EXPECT_NEAR(s.cv, 3.0276503540974917 / 5.5, 1e-12);
}

// Odd count: the median is the middle value; p95 of {2,4,4,4,5,5,7,9}: rank 6.65 -> 7+0.65*2.
TEST(Stats, OddCountAndInterpolation) {
  EXPECT_DOUBLE_EQ(Summarize(std::vector<double>{3, 1, 2}).median, 2);
  std::vector<double> v = {2, 4, 4, 4, 5, 5, 7, 9};
  Summary s = Summarize(v);
  EXPECT_DOUBLE_EQ(s.median, 4.5);
  EXPECT_NEAR(s.p95, 8.3, 1e-12);
  EXPECT_DOUBLE_EQ(s.mean, 5);
  EXPECT_NEAR(s.stddev, std::sqrt(32.0 / 7), 1e-12);  // sum of squares 32, n-1 = 7
}

TEST(Stats, SingleAndEmpty) {
  Summary one = Summarize(std::vector<double>{4.25});
  EXPECT_EQ(one.n, 1u);
  EXPECT_DOUBLE_EQ(one.median, 4.25);
  EXPECT_DOUBLE_EQ(one.p95, 4.25);
  EXPECT_DOUBLE_EQ(one.stddev, 0);
  Summary none = Summarize(std::vector<double>{});
  EXPECT_EQ(none.n, 0u);
  EXPECT_DOUBLE_EQ(none.mean, 0);
  EXPECT_DOUBLE_EQ(none.cv, 0);
}

TEST(Stats, TrustWarnings) {
  EXPECT_TRUE(TrustWarnings(Summarize(std::vector<double>{10, 10.1, 9.9, 10, 10.05})).empty());
  auto few = TrustWarnings(Summarize(std::vector<double>{1, 1}));
  ASSERT_EQ(few.size(), 1u);
  EXPECT_NE(few[0].find("only 2 samples"), std::string::npos);
  auto wide = TrustWarnings(Summarize(std::vector<double>{1, 10, 1, 10, 1, 10}));
  ASSERT_EQ(wide.size(), 1u);
  EXPECT_NE(wide[0].find("spread too wide"), std::string::npos);
}

}  // namespace
}  // namespace ctv
