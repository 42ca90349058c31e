// Other OCI tools accept the project's image layout: skopeo reads it, umoci unpacks it into a
// runtime bundle with a working rootfs.
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/process.h"
#include "tests/test_util.h"

namespace ctv {
namespace {

class ImageToolsTest : public testing::Test {
 protected:
  void SetUp() override {
    auto o = test::RunOrDie({test::Bin("ctvbench"), "image", "build", "--out", dir_ / "img"});
    ASSERT_TRUE(o.status.Success()) << o.err;
  }
  test::TempDir dir_;
};

TEST_F(ImageToolsTest, SkopeoInspectsIt) {
  if (FindInPath("skopeo").empty()) GTEST_SKIP() << "skopeo not installed (scripts/setup installs it)";
  auto o = test::RunOrDie({"skopeo", "inspect", "oci:" + (dir_ / "img") + ":latest"});
  ASSERT_TRUE(o.status.Success()) << o.err;
  auto j = nlohmann::json::parse(o.out);
  EXPECT_EQ(j["Layers"].size(), 2u);
  EXPECT_EQ(j["Architecture"], "amd64");
  EXPECT_EQ(j["Os"], "linux");
}

TEST_F(ImageToolsTest, UmociUnpacksARunnableRootfs) {
  if (FindInPath("umoci").empty()) GTEST_SKIP() << "umoci not installed (scripts/setup installs it)";
  if (::geteuid() != 0) GTEST_SKIP() << "umoci unpack without --rootless needs root";
  auto o = test::RunOrDie({"umoci", "unpack", "--image", (dir_ / "img") + ":latest", dir_ / "bundle"});
  ASSERT_TRUE(o.status.Success()) << o.err;
  std::string rootfs = dir_ / "bundle/rootfs";
  EXPECT_EQ(::access((rootfs + "/bin/busybox").c_str(), X_OK), 0);
  EXPECT_EQ(::access((rootfs + "/usr/local/bin/ctv-probe").c_str(), X_OK), 0);
  // The unpacked probe is the one we built, and it runs.
  auto run = test::RunOrDie({rootfs + "/usr/local/bin/ctv-probe", "noop"});
  EXPECT_TRUE(run.status.Success());
  auto cmp = test::RunOrDie({"cmp", rootfs + "/usr/local/bin/ctv-probe", test::Bin("ctv-probe")});
  EXPECT_TRUE(cmp.status.Success()) << cmp.out;
}

}  // namespace
}  // namespace ctv
