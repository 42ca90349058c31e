// Names and host-object lookups the peer drivers and their gc share (bench/drivers/peer_common.h),
// on fixtures: mountinfo text in a temp file.
#include <gtest/gtest.h>

#include "bench/drivers/peer_common.h"
#include "core/fd.h"
#include "tests/test_util.h"

namespace ctv::bench::peers {
namespace {

TEST(PeersCommon, ContainerIdKeepsSuiteNames) {
  EXPECT_EQ(ContainerId("ctv-startup-runc-1234-0"), "ctv-startup-runc-1234-0");
  EXPECT_EQ(ContainerId("ctvnetrr0h99"), "ctvnetrr0h99");
}

TEST(PeersCommon, ContainerIdSanitises) {
  EXPECT_EQ(ContainerId("my probe/1"), "ctv-my-probe-1");
  std::string a = ContainerId("ctv-" + std::string(100, 'x') + "-a");
  std::string b = ContainerId("ctv-" + std::string(100, 'x') + "-b");
  EXPECT_EQ(a.size(), 64u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a, ContainerId("ctv-" + std::string(100, 'x') + "-a"));  // stable
  EXPECT_EQ(a.rfind("ctv-xxx", 0), 0u);
}

constexpr const char* kMountinfo =
    "22 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
    "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
    "50 22 0:40 / /run/ctvbench/peers/runc/bundle-abc/ctv-a/rootfs rw - overlay overlay rw\n"
    "51 50 0:41 / /run/ctvbench/peers/runc/bundle-abc/ctv-a/rootfs/proc rw - proc proc rw\n"
    "52 22 0:42 / /run/ctvbench/peers/runc/bundle-abc/ctv-ab/rootfs rw - overlay overlay rw\n"
    "53 22 0:43 / /run/my\\040dir/x rw - tmpfs tmpfs rw\n";

class PeersMountinfo : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(WriteFile(path_, kMountinfo).has_value()); }
  test::TempDir dir_;
  std::string path_ = dir_ / "mountinfo";
};

TEST_F(PeersMountinfo, EveryCgroupHierarchyNamedOnesToo) {
  EXPECT_EQ(CgroupMountPoints(path_),
            (std::vector<std::string>{"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/memory",
                                      "/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified"}));
}

TEST_F(PeersMountinfo, MountsUnderADirDeepestFirst) {
  EXPECT_EQ(MountsUnder("/run/ctvbench/peers/runc/bundle-abc/ctv-a", path_),
            (std::vector<std::string>{"/run/ctvbench/peers/runc/bundle-abc/ctv-a/rootfs/proc",
                                      "/run/ctvbench/peers/runc/bundle-abc/ctv-a/rootfs"}));
  EXPECT_EQ(MountsUnder("/run/ctvbench/peers", path_).size(), 3u);
  EXPECT_EQ(MountsUnder("/run/my dir", path_), (std::vector<std::string>{"/run/my dir/x"}));
  EXPECT_TRUE(MountsUnder("/run/ctvbench/peers/crun", path_).empty());
}

TEST(PeersCommon, FirstLineAndOwner) {
  EXPECT_EQ(FirstLine("runc version 1.1.5+ds1  \ncommit: x\n"), "runc version 1.1.5+ds1");
  EXPECT_EQ(FirstLine(""), "");
  test::TempDir d;
  ASSERT_TRUE(WriteOwner(d.Path()).has_value());
  EXPECT_TRUE(OwnerAlive(d.Path()));
  ASSERT_TRUE(WriteFile(d / "owner", "999999999 1\n").has_value());  // no such process
  EXPECT_FALSE(OwnerAlive(d.Path()));
}

}  // namespace
}  // namespace ctv::bench::peers
