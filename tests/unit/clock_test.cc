// core/clock.h: the wall-clock stamp is RFC 3339 UTC and agrees with the C library's own
// conversion (computed without it: see clock.cc).
#include "core/clock.h"

#include <gtest/gtest.h>
#include <time.h>

#include <regex>

namespace ctv {
namespace {

TEST(WallClock, Rfc3339UtcAgreesWithGmtime) {
  time_t before = ::time(nullptr);
  std::string s = WallClockRfc3339();
  time_t after = ::time(nullptr);
  ASSERT_TRUE(std::regex_match(s, std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)"))) << s;
  auto stamp = [](time_t t) {
    tm utc;
    ::gmtime_r(&t, &utc);
    char buf[32];
    ::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return std::string(buf);
  };
  EXPECT_TRUE(s == stamp(before) || s == stamp(after)) << s << " vs " << stamp(before);
}

}  // namespace
}  // namespace ctv
