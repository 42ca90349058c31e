#include "runtime/cgroup/detect.h"

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace ctv::cgroup {
namespace {

std::string Fixture(const std::string& name) {
  return test::Source("tests/fixtures/mountinfo/" + name);
}

// Recorded on the project's CI host (Debian 12 image, systemd "hybrid" layout).
TEST(CgroupDetect, HybridHost) {
  auto m = DetectCgroups(Fixture("hybrid.txt"), "/nonexistent");
  ASSERT_TRUE(m) << m.error().ToString();
  EXPECT_EQ(m->mode, "hybrid");
  EXPECT_EQ(m->v2_mount, "/sys/fs/cgroup/unified");
  EXPECT_EQ(m->controllers, (std::vector<std::string>{"blkio", "cpu", "cpuacct", "cpuset",
                                                      "devices", "freezer", "memory", "pids"}));
  // name=systemd is a named hierarchy, not a controller.
  for (const auto& [c, mount] : m->v1_mounts) EXPECT_NE(c.find("name="), 0u) << c;
}

TEST(CgroupDetect, PureV2ReadsControllersFromTheRoot) {
  auto m = DetectCgroups(Fixture("v2.txt"), test::Source("tests/fixtures/cgroup-v2-root"));
  ASSERT_TRUE(m) << m.error().ToString();
  EXPECT_EQ(m->mode, "v2");
  EXPECT_EQ(m->v2_mount, "/sys/fs/cgroup");
  EXPECT_TRUE(m->v1_mounts.empty());
  EXPECT_EQ(m->controllers, (std::vector<std::string>{"cpu", "cpuset", "io", "memory", "pids"}));
}

TEST(CgroupDetect, PureV1WithCombinedCpuHierarchy) {
  auto m = DetectCgroups(Fixture("v1.txt"), "/nonexistent");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->mode, "v1");
  EXPECT_TRUE(m->v2_mount.empty());
  // "cpu,cpuacct" on one mount yields both controllers, mounted at the same place.
  int cpu_mounts = 0;
  for (const auto& [c, mount] : m->v1_mounts)
    if (c == "cpu" || c == "cpuacct") {
      EXPECT_EQ(mount, "/sys/fs/cgroup/cpu,cpuacct");
      ++cpu_mounts;
    }
  EXPECT_EQ(cpu_mounts, 2);
}

TEST(CgroupDetect, NoCgroupsAtAll) {
  EXPECT_EQ(ParseCgroupMounts("22 1 0:5 / /proc rw - proc proc rw\n").mode, "none");
}

TEST(CgroupDetect, EscapedMountPoint) {
  auto m = ParseCgroupMounts("30 1 0:26 / /mnt/my\\040cg rw - cgroup2 cgroup2 rw\n");
  EXPECT_EQ(m.v2_mount, "/mnt/my cg");
}

TEST(CgroupDetect, MissingFileIsAnErrorNamingIt) {
  auto m = DetectCgroups("/nonexistent/mountinfo");
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().ToString().find("/nonexistent/mountinfo"), std::string::npos);
}

}  // namespace
}  // namespace ctv::cgroup
