// core/text: the one Trim every layer uses.
#include "core/text.h"

#include <gtest/gtest.h>

namespace ctv {
namespace {

TEST(Text, TrimRemovesWhitespaceAtBothEndsOnly) {
  EXPECT_EQ(Trim("0-1\n"), "0-1");
  EXPECT_EQ(Trim("  \tmachine id\r\n"), "machine id");
  EXPECT_EQ(Trim("a b"), "a b");
  EXPECT_EQ(Trim(" \n\t "), "");
  EXPECT_EQ(Trim(""), "");
}

}  // namespace
}  // namespace ctv
