// The footprint and density suites' memory reader on fixture /proc and cgroup trees: what it
// sums, what it refuses to count, and how it finds a guest's RAM and a container's writable layer.
#include "bench/suites/host_memory.h"

#include <gtest/gtest.h>

#include "core/fd.h"
#include "core/fs_tree.h"
#include "runtime/cgroup/detect.h"
#include "tests/test_util.h"

namespace ctv::bench {
namespace {

void Write(const std::string& path, const std::string& text) {
  ASSERT_TRUE(fs::MakeDirs(path.substr(0, path.rfind('/'))));
  ASSERT_TRUE(WriteFile(path, text)) << path;
}

constexpr const char* kRollup =
    "00400000-7ffd0000 ---p 00000000 00:00 0                          [rollup]\n"
    "Rss:                 924 kB\n"
    "Pss:                 300 kB\n"
    "Pss_Anon:            120 kB\n"
    "Shared_Clean:        700 kB\n"
    "Private_Clean:        24 kB\n"
    "Private_Dirty:       200 kB\n";

TEST(HostMemory, SumsRssPssUssOverTheInstancesProcesses) {
  test::TempDir proc;
  Write(proc / "10/smaps_rollup", kRollup);
  Write(proc / "11/smaps_rollup", kRollup);
  auto one = ReadProcessMemory(10, proc.Path());
  ASSERT_TRUE(one) << one.error().ToString();
  EXPECT_EQ(one->rss_kib, 924u);
  EXPECT_EQ(one->pss_kib, 300u);  // not Pss_Anon, which starts with the same letters
  EXPECT_EQ(one->uss_kib, 224u);  // Private_Clean + Private_Dirty
  auto both = ReadProcessesMemory({10, 11}, proc.Path());
  ASSERT_TRUE(both);
  EXPECT_EQ(both->pss_kib, 600u);
  // A process of the instance that has gone is an error naming it, not a smaller sum.
  auto gone = ReadProcessesMemory({10, 12}, proc.Path());
  ASSERT_FALSE(gone);
  EXPECT_NE(gone.error().ToString().find("/12/smaps_rollup"), std::string::npos);
}

TEST(HostMemory, FindsTheGuestRamMappingAndTheFileBackedPages) {
  test::TempDir proc;
  Write(proc / "20/smaps",
        "55d0c0000000-55d0c0400000 r-xp 00000000 08:01 1234   /usr/bin/qemu-system-x86_64\n"
        "Size:               4096 kB\nRss:                3000 kB\nPss:                1000 kB\n"
        "7f0000000000-7f0010200000 rw-p 00000000 00:00 0 \n"
        "Size:             264192 kB\nRss:              102400 kB\nPss:              102400 kB\n"
        "7f1000000000-7f1008000000 rw-p 00000000 00:00 0 \n"
        "Size:             131072 kB\nRss:              90000 kB\nPss:              90000 kB\n"
        "7f2000000000-7f2000001000 rw-s 00000000 00:05 99     /memfd:guest (deleted)\n"
        "Size:                  4 kB\nRss:                   4 kB\nPss:                   4 kB\n"
        "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0      [stack]\n"
        "Size:                132 kB\nRss:                  12 kB\nPss:                  12 kB\n");
  auto maps = ReadMappings(20, proc.Path());
  ASSERT_TRUE(maps) << maps.error().ToString();
  ASSERT_EQ(maps->size(), 5u);
  // 256 MiB of guest RAM: the 258 MiB anonymous mapping (QEMU's alignment), not the 128 MiB
  // translation buffer, not the binary.
  auto ram = GuestRamMapping(*maps, 256 * 1024);
  ASSERT_TRUE(ram);
  EXPECT_EQ(ram->size_kib, 264192u);
  EXPECT_EQ(ram->rss_kib, 102400u);
  EXPECT_FALSE(GuestRamMapping(*maps, 1024 * 1024)) << "no mapping holds 1 GiB";
  // Files: the binary only (a memfd is memory, [stack] is no file).
  MemoryFigures files = FileBackedMemory(*maps);
  EXPECT_EQ(files.rss_kib, 3000u);
  EXPECT_EQ(files.pss_kib, 1000u);
}

TEST(HostMemory, MemInfoAndVmstat) {
  test::TempDir proc;
  Write(proc / "meminfo",
        "MemTotal:       24683748 kB\nMemFree:         1000 kB\nMemAvailable:   22957972 kB\n"
        "SwapTotal:             0 kB\nSwapFree:              0 kB\n");
  Write(proc / "vmstat", "pgfault 12345\noom_kill 3\npswpout 0\n");
  auto mi = ReadMemInfo(proc.Path());
  ASSERT_TRUE(mi) << mi.error().ToString();
  EXPECT_EQ(mi->total_kib, 24683748u);
  EXPECT_EQ(mi->available_kib, 22957972u);
  EXPECT_EQ(ReadVmstat("oom_kill", proc.Path()), 3u);
  EXPECT_EQ(ReadVmstat("no_such_counter", proc.Path()), 0u);
  Write(proc / "meminfo", "MemTotal:       24683748 kB\n");
  auto old = ReadMemInfo(proc.Path());
  ASSERT_FALSE(old);
  EXPECT_NE(old.error().ToString().find("MemAvailable"), std::string::npos);
}

// A v1 host: pid 30 alone in ctvbench/c1 (counted), pid 31 in the harness's cgroup with other
// processes (not counted: it is not the instance's own).
TEST(HostMemory, CountsOnlyTheCgroupsTheInstanceHasToItself) {
  test::TempDir root;
  cgroup::CgroupMounts mounts;
  mounts.mode = "hybrid";
  mounts.v1_mounts = {{"cpu", "/sys/fs/cgroup/cpu"}, {"memory", "/sys/fs/cgroup/memory"}};
  std::string mem = root / "sys/fs/cgroup/memory";
  Write(mem + "/ctvbench/c1/cgroup.procs", "30\n");
  Write(mem + "/ctvbench/c1/memory.usage_in_bytes", "249856\n");
  Write(mem + "/ctvbench/c1/memory.kmem.usage_in_bytes", "122880\n");
  Write(mem + "/user.slice/cgroup.procs", "31\n1\n");
  Write(mem + "/user.slice/memory.usage_in_bytes", "999999999\n");
  Write(root / "proc/30/cgroup", "5:memory:/ctvbench/c1\n4:cpu,cpuacct:/ctvbench/c1\n0::/\n");
  Write(root / "proc/31/cgroup", "5:memory:/user.slice\n0::/user.slice\n");
  std::string why;
  auto c = InstanceCgroupMemory({30, 31}, mounts, &why, root / "proc", root.Path());
  ASSERT_TRUE(c) << why;
  EXPECT_EQ(c->usage_kib, 244u);
  ASSERT_TRUE(c->kernel_kib);
  EXPECT_EQ(*c->kernel_kib, 120u);
  ASSERT_EQ(c->dirs.size(), 1u);
  // The host process alone: its cgroup is shared, nothing counted, and the reason names it.
  EXPECT_FALSE(InstanceCgroupMemory({31}, mounts, &why, root / "proc", root.Path()));
  EXPECT_NE(why.find("/user.slice"), std::string::npos) << why;
  // A process in a child cgroup that is not the instance's makes the parent shared too.
  Write(mem + "/ctvbench/c1/sub/cgroup.procs", "77\n");
  EXPECT_FALSE(InstanceCgroupMemory({30}, mounts, &why, root / "proc", root.Path()));
}

TEST(HostMemory, PureV2ReadsMemoryCurrent) {
  test::TempDir root;
  cgroup::CgroupMounts mounts;
  mounts.mode = "v2";
  mounts.v2_mount = "/sys/fs/cgroup";
  Write(root / "sys/fs/cgroup/ctvbench/c2/cgroup.procs", "40\n");
  Write(root / "sys/fs/cgroup/ctvbench/c2/memory.current", "1048576\n");
  Write(root / "sys/fs/cgroup/ctvbench/c2/memory.stat", "anon 4096\nkernel 65536\n");
  Write(root / "proc/40/cgroup", "0::/ctvbench/c2\n");
  std::string why;
  auto c = InstanceCgroupMemory({40}, mounts, &why, root / "proc", root.Path());
  ASSERT_TRUE(c) << why;
  EXPECT_EQ(c->usage_kib, 1024u);
  EXPECT_EQ(c->kernel_kib.value_or(0), 64u);
}

TEST(HostMemory, OverlayUpperDirOfTheRootMount) {
  test::TempDir proc;
  Write(proc / "50/mountinfo",
        "600 500 0:60 / / rw,relatime - overlay overlay "
        "rw,lowerdir=/var/l1:/var/l2,upperdir=/run/ctvbench/containers/c1/up\\040per,"
        "workdir=/run/ctvbench/containers/c1/work\n"
        "601 600 0:61 / /proc rw - proc proc rw\n");
  auto up = OverlayUpperDir(50, proc.Path());
  ASSERT_TRUE(up) << up.error().ToString();
  EXPECT_EQ(*up, "/run/ctvbench/containers/c1/up per");  // mountinfo's \040 unescaped
  Write(proc / "51/mountinfo", "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n");
  auto none = OverlayUpperDir(51, proc.Path());
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().ToString().find("no overlay"), std::string::npos);
  // podman's storage mounts with paths relative to its working directory: said, not guessed.
  Write(proc / "52/mountinfo",
        "600 500 0:60 / / rw - overlay overlay rw,lowerdir=l/ABC,upperdir=diff,workdir=work\n");
  auto rel = OverlayUpperDir(52, proc.Path());
  ASSERT_FALSE(rel);
  EXPECT_NE(rel.error().ToString().find("relative"), std::string::npos);
}

TEST(FsTree, DiskUsageCountsEveryEntryOfTheTree) {
  test::TempDir dir;
  ASSERT_TRUE(WriteFile(dir / "a", std::string(10000, 'x')));
  ASSERT_TRUE(fs::MakeDirs(dir / "sub"));
  ASSERT_TRUE(WriteFile(dir / "sub/b", std::string(5000, 'y')));
  auto du = fs::DiskUsage(dir.Path());
  ASSERT_TRUE(du) << du.error().ToString();
  // At least the 15000 bytes of data, in whole blocks; empty would be well under that.
  EXPECT_GE(*du, 15000u);
  auto empty = fs::DiskUsage(dir / "sub/b");
  ASSERT_TRUE(empty);
  EXPECT_GE(*empty, 5000u);
  EXPECT_FALSE(fs::DiskUsage(dir / "missing"));
}

}  // namespace
}  // namespace ctv::bench
