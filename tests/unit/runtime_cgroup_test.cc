// cgroup manager on fixture trees (both backends), no root needed.
#include <gtest/gtest.h>

#include "core/fd.h"
#include "core/fs_tree.h"
#include "runtime/cgroup/manager.h"
#include "tests/support/runtime_image.h"

namespace ctv::cgroup {
namespace {

using testing::TempDir;

void Touch(const std::string& path, const std::string& content = "") {
  ASSERT_TRUE(fs::MakeDirs(path.substr(0, path.rfind('/'))).has_value());
  ASSERT_TRUE(WriteFile(path, content).has_value());
}

// Files the kernel would create in a new cgroup: fixtures must pre-create the container's dir.
void V1Fixture(const std::string& root, const std::string& name) {
  for (const char* c : {"memory", "cpu", "cpuacct", "pids", "cpuset"}) {
    std::string d = root + "/sys/fs/cgroup/" + c + "/ctvbench/" + name;
    Touch(d + "/cgroup.procs");
  }
  std::string m = root + "/sys/fs/cgroup/memory/ctvbench/" + name;
  Touch(m + "/memory.limit_in_bytes");
  Touch(m + "/memory.memsw.limit_in_bytes");
  Touch(m + "/memory.usage_in_bytes", "1048576\n");
  Touch(m + "/memory.max_usage_in_bytes", "2097152\n");
  Touch(m + "/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
  std::string c = root + "/sys/fs/cgroup/cpu/ctvbench/" + name;
  Touch(c + "/cpu.cfs_quota_us");
  Touch(c + "/cpu.cfs_period_us");
  Touch(c + "/cpu.stat", "nr_periods 10\nnr_throttled 4\nthrottled_time 5000000\n");
  Touch(root + "/sys/fs/cgroup/cpuacct/ctvbench/" + name + "/cpuacct.usage", "123456789\n");
  std::string p = root + "/sys/fs/cgroup/pids/ctvbench/" + name;
  Touch(p + "/pids.max");
  Touch(p + "/pids.current", "7\n");
  std::string cs = root + "/sys/fs/cgroup/cpuset/ctvbench";
  Touch(cs + "/cpuset.cpus", "0-1\n");
  Touch(cs + "/cpuset.mems", "0\n");
  Touch(cs + "/" + name + "/cpuset.cpus", "");
  Touch(cs + "/" + name + "/cpuset.mems", "");
}

const char* kHybridMountinfo =
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

const char* kV2Mountinfo = "30 23 0:26 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw\n";

TEST(CgroupV1, LimitsAndStatsOnSeparateCpuAndCpuacct) {
  TempDir t;
  V1Fixture(t.Path(), "ctvc1");
  CgroupMounts m = ParseCgroupMounts(kHybridMountinfo);
  ASSERT_EQ(m.mode, "hybrid");
  auto mgr = NewManager(m, "ctvc1", t.Path());
  ASSERT_TRUE(mgr.has_value());
  EXPECT_EQ((*mgr)->Version(), "v1");  // hybrid keeps controllers on v1
  Limits l;
  l.memory_bytes = 64 << 20;
  l.cpus = 0.5;
  l.pids = 20;
  l.cpuset_cpus = "1";
  ASSERT_TRUE((*mgr)->Create(l).has_value());
  std::string base = t.Path() + "/sys/fs/cgroup/";
  EXPECT_EQ(ReadFile(base + "memory/ctvbench/ctvc1/memory.limit_in_bytes").value(), "67108864");
  // No swap unless asked: memsw = memory.
  EXPECT_EQ(ReadFile(base + "memory/ctvbench/ctvc1/memory.memsw.limit_in_bytes").value(),
            "67108864");
  EXPECT_EQ(ReadFile(base + "cpu/ctvbench/ctvc1/cpu.cfs_quota_us").value(), "50000");
  EXPECT_EQ(ReadFile(base + "cpu/ctvbench/ctvc1/cpu.cfs_period_us").value(), "100000");
  EXPECT_EQ(ReadFile(base + "pids/ctvbench/ctvc1/pids.max").value(), "20");
  EXPECT_EQ(ReadFile(base + "cpuset/ctvbench/ctvc1/cpuset.cpus").value(), "1");
  EXPECT_EQ(ReadFile(base + "cpuset/ctvbench/ctvc1/cpuset.mems").value(), "0");  // inherited
  ASSERT_TRUE((*mgr)->AddProcess(4242).has_value());
  EXPECT_EQ(ReadFile(base + "pids/ctvbench/ctvc1/cgroup.procs").value(), "4242");
  auto s = (*mgr)->ReadStats();
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->memory_usage, 1048576);
  EXPECT_EQ(s->memory_peak, 2097152);
  EXPECT_EQ(s->oom_kills, 3);
  EXPECT_EQ(s->cpu_usage_ns, 123456789);  // from the separate cpuacct hierarchy
  EXPECT_EQ(s->cpu_throttled_ns, 5000000);
  EXPECT_EQ(s->cpu_nr_throttled, 4);
  EXPECT_EQ(s->pids_current, 7);
  auto all = ListContainerCgroups(m, t.Path());
  EXPECT_EQ(all.size(), 5u);
}

// An I/O weight goes to whichever weight file the kernel's scheduler offers (CFQ's blkio.weight,
// BFQ's blkio.bfq.weight); with neither (this CI's kernel) it is skipped with a warning, as runc
// does, instead of failing the container's create.
TEST(CgroupV1, IoWeightFallsBackToBfqOrIsSkipped) {
  Limits l;
  l.io_weight = 300;
  TempDir bfq;
  ASSERT_TRUE(WriteFile(bfq.Path() + "/blkio.bfq.weight", "100").has_value());
  ASSERT_TRUE(controller::ApplyIoV1(bfq.Path(), l).has_value());
  EXPECT_EQ(ReadFile(bfq.Path() + "/blkio.bfq.weight").value(), "300");
  TempDir cfq;
  ASSERT_TRUE(WriteFile(cfq.Path() + "/blkio.weight", "500").has_value());
  ASSERT_TRUE(WriteFile(cfq.Path() + "/blkio.bfq.weight", "100").has_value());
  ASSERT_TRUE(controller::ApplyIoV1(cfq.Path(), l).has_value());
  EXPECT_EQ(ReadFile(cfq.Path() + "/blkio.weight").value(), "300");
  EXPECT_EQ(ReadFile(cfq.Path() + "/blkio.bfq.weight").value(), "100");
  TempDir none;
  auto r = controller::ApplyIoV1(none.Path(), l);
  EXPECT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_FALSE(fs::Exists(none.Path() + "/blkio.weight"));
  EXPECT_FALSE(fs::Exists(none.Path() + "/blkio.bfq.weight"));
  TempDir v2;
  ASSERT_TRUE(WriteFile(v2.Path() + "/io.bfq.weight", "default 100").has_value());
  ASSERT_TRUE(controller::ApplyIoV2(v2.Path(), l).has_value());
  EXPECT_EQ(ReadFile(v2.Path() + "/io.bfq.weight").value(), "default 300");
}

TEST(CgroupV1, MissingControllerForALimitIsAnError) {
  TempDir t;
  V1Fixture(t.Path(), "ctvc2");
  CgroupMounts m = ParseCgroupMounts(
      "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n");
  auto mgr = NewManager(m, "ctvc2", t.Path());
  ASSERT_TRUE(mgr.has_value());
  Limits l;
  l.pids = 10;
  auto r = (*mgr)->Create(l);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().ToString().find("pids"), std::string::npos) << r.error().ToString();
}

TEST(CgroupV2, LimitsStatsAndSubtreeControl) {
  TempDir t;
  std::string root = t.Path() + "/sys/fs/cgroup";
  Touch(root + "/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
  Touch(root + "/cgroup.subtree_control", "");
  Touch(root + "/ctvbench/cgroup.controllers", "cpuset cpu io memory pids\n");
  Touch(root + "/ctvbench/cgroup.subtree_control", "");
  std::string d = root + "/ctvbench/ctvc3";
  for (const char* f : {"memory.max", "memory.swap.max", "cpu.max", "pids.max", "cgroup.procs"})
    Touch(d + "/" + f);
  Touch(d + "/memory.current", "4096\n");
  Touch(d + "/memory.peak", "8192\n");
  Touch(d + "/memory.events", "low 0\nhigh 0\nmax 5\noom 2\noom_kill 1\n");
  Touch(d + "/cpu.stat",
        "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 3\n"
        "nr_throttled 2\nthrottled_usec 700\n");
  Touch(d + "/pids.current", "3\n");
  CgroupMounts m = ParseCgroupMounts(kV2Mountinfo);
  ASSERT_EQ(m.mode, "v2");
  auto mgr = NewManager(m, "ctvc3", t.Path());
  ASSERT_TRUE(mgr.has_value());
  EXPECT_EQ((*mgr)->Version(), "v2");
  Limits l;
  l.memory_bytes = 256 << 20;
  l.cpus = 1.5;
  l.pids = 100;
  ASSERT_TRUE((*mgr)->Create(l).has_value());
  EXPECT_EQ(ReadFile(root + "/cgroup.subtree_control").value(), "+memory +cpu +pids");
  EXPECT_EQ(ReadFile(d + "/memory.max").value(), "268435456");
  EXPECT_EQ(ReadFile(d + "/memory.swap.max").value(), "0");
  EXPECT_EQ(ReadFile(d + "/cpu.max").value(), "150000 100000");
  EXPECT_EQ(ReadFile(d + "/pids.max").value(), "100");
  auto s = (*mgr)->ReadStats();
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->memory_usage, 4096);
  EXPECT_EQ(s->memory_peak, 8192);
  EXPECT_EQ(s->oom_kills, 1);
  EXPECT_EQ(s->oom_events, 2);
  EXPECT_EQ(s->cpu_usage_ns, 1500000);
  EXPECT_EQ(s->cpu_throttled_ns, 700000);
  EXPECT_EQ(s->pids_current, 3);
  EXPECT_EQ((*mgr)->Paths(), std::vector<std::string>{d});
}

TEST(CgroupV2, PeakUnknownWithoutMemoryPeak) {
  // Kernels before 5.19 have no memory.peak: the peak is unknown, not 0.
  TempDir t;
  std::string d = t.Path() + "/sys/fs/cgroup/ctvbench/ctvc5";
  Touch(d + "/memory.current", "4096\n");
  Touch(d + "/memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n");
  auto mgr = NewManager(ParseCgroupMounts(kV2Mountinfo), "ctvc5", t.Path());
  ASSERT_TRUE(mgr.has_value());
  auto s = (*mgr)->ReadStats();
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->memory_usage, 4096);
  EXPECT_FALSE(s->memory_peak.has_value());
}

TEST(CgroupV2, UnavailableControllerNamed) {
  TempDir t;
  std::string root = t.Path() + "/sys/fs/cgroup";
  Touch(root + "/cgroup.controllers", "memory pids\n");
  Touch(root + "/cgroup.subtree_control", "");
  Touch(root + "/ctvbench/cgroup.controllers", "memory pids\n");
  Touch(root + "/ctvbench/cgroup.subtree_control", "");
  auto mgr = NewManager(ParseCgroupMounts(kV2Mountinfo), "ctvc4", t.Path());
  Limits l;
  l.cpus = 0.5;
  auto r = (*mgr)->Create(l);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().ToString().find("cpu is not available"), std::string::npos)
      << r.error().ToString();
}

TEST(ParseBytes, DockerSuffixes) {
  EXPECT_EQ(ParseBytes("256m").value(), 256LL << 20);
  EXPECT_EQ(ParseBytes("1g").value(), 1LL << 30);
  EXPECT_EQ(ParseBytes("512k").value(), 512LL << 10);
  EXPECT_EQ(ParseBytes("1048576").value(), 1048576);
  auto bad = ParseBytes("256q");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().ToString().find("256m"), std::string::npos);
  EXPECT_FALSE(ParseBytes("").has_value());
  EXPECT_FALSE(ParseBytes("-5m").has_value());
}

TEST(ParseBytes, BinaryUnitSpellings) {
  EXPECT_EQ(ParseBytes("8GiB").value(), 8LL << 30);
  EXPECT_EQ(ParseBytes("8GB").value(), 8LL << 30);
  EXPECT_EQ(ParseBytes("512MiB").value(), 512LL << 20);
  EXPECT_EQ(ParseBytes("2t").value(), 2LL << 40);
  EXPECT_EQ(ParseBytes("100b").value(), 100);
  EXPECT_FALSE(ParseBytes("8GiBs").has_value());
  EXPECT_FALSE(ParseBytes("8ib").has_value());
}

// Regression (tests/fuzz/corpus/fuzz_flags/regression-bytes-overflow): the product overflowed
// int64 (undefined behaviour; UBSan in the fuzzing build aborted on it).
TEST(ParseBytes, RefusesSizesThatOverflow) {
  auto big = ParseBytes("99999999999999999t");
  ASSERT_FALSE(big.has_value());
  EXPECT_NE(big.error().ToString().find("99999999999999999t"), std::string::npos);
  EXPECT_FALSE(ParseBytes("8388608t").has_value());  // exactly 2^63
  EXPECT_EQ(ParseBytes("8388607t").value(), 8388607LL << 40);
}

}  // namespace
}  // namespace ctv::cgroup
