#include "core/error.h"

#include <cerrno>

#include <gtest/gtest.h>

namespace ctv {
namespace {

TEST(Error, NamesOperationObjectAndErrno) {
  Error e{EINVAL, "mount overlay on", "/run/ctvbench/c1/rootfs", ""};
  EXPECT_EQ(e.ToString(), "mount overlay on `/run/ctvbench/c1/rootfs`: EINVAL (Invalid argument)");
}

TEST(Error, ContextWithoutErrno) {
  EXPECT_EQ(MakeError("parse", "x.json", "field `unit` missing").ToString(),
            "parse `x.json`: field `unit` missing");
}

Result<int> Half(int x) {
  if (x % 2) return MakeError("halve", std::to_string(x), "odd");
  return x / 2;
}
Result<int> Quarter(int x) {
  int h = CTV_TRY(Half(x));
  return CTV_TRY(Half(h));
}
Status CheckEven(int x) {
  CTV_CHECK(Half(x));
  return Ok();
}

TEST(Result, TryPropagatesTheFirstError) {
  EXPECT_EQ(Quarter(8).value(), 2);
  auto r = Quarter(6);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().path, "3");
  EXPECT_TRUE(CheckEven(4));
  EXPECT_FALSE(CheckEven(5));
}

}  // namespace
}  // namespace ctv
