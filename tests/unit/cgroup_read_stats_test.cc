// ReadStatsOf: the one reader of an instance's cgroup accounting, on fixture trees of both
// hierarchy versions (no root needed).
#include <gtest/gtest.h>

#include "core/fd.h"
#include "core/fs_tree.h"
#include "runtime/cgroup/manager.h"
#include "tests/test_util.h"

namespace ctv::cgroup {
namespace {

void Put(const std::string& path, const std::string& content) {
  ASSERT_TRUE(fs::MakeDirs(path.substr(0, path.rfind('/'))).has_value());
  ASSERT_TRUE(WriteFile(path, content).has_value());
}

// A hybrid host as this project's CI host: v1 controllers, an empty cgroup2 "unified" mount.
CgroupMounts Hybrid(const std::string& root) {
  CgroupMounts m;
  m.mode = "hybrid";
  m.v2_mount = root + "/unified";
  m.v1_mounts = {{"memory", root + "/memory"},
                 {"cpu", root + "/cpu,cpuacct"},
                 {"cpuacct", root + "/cpu,cpuacct"},
                 {"pids", root + "/pids"}};
  return m;
}

TEST(CgroupReadStatsOf, V1ReadsEachDirectoryAsItsHierarchySays) {
  test::TempDir t;
  const std::string r = t.Path();
  Put(r + "/memory/ctvbench/c/memory.usage_in_bytes", "1048576\n");
  Put(r + "/memory/ctvbench/c/memory.max_usage_in_bytes", "67108864\n");
  Put(r + "/memory/ctvbench/c/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
  Put(r + "/cpu,cpuacct/ctvbench/c/cpuacct.usage", "123456789\n");
  Put(r + "/cpu,cpuacct/ctvbench/c/cpu.stat",
      "nr_periods 10\nnr_throttled 7\nthrottled_time 350000000\n");
  Put(r + "/pids/ctvbench/c/pids.current", "32\n");
  Put(r + "/unified/ctvbench/c/cgroup.procs", "");
  PathStats ps =
      ReadStatsOf(Hybrid(r), {r + "/memory/ctvbench/c", r + "/cpu,cpuacct/ctvbench/c",
                              r + "/pids/ctvbench/c", r + "/unified/ctvbench/c", "/elsewhere/c"});
  EXPECT_EQ(ps.version, "v1");
  EXPECT_EQ(ps.stats.memory_usage, 1 << 20);
  EXPECT_EQ(ps.stats.memory_peak.value_or(0), 64 << 20);
  EXPECT_EQ(ps.stats.oom_kills, 1);
  EXPECT_EQ(ps.stats.cpu_usage_ns, 123456789);
  EXPECT_EQ(ps.stats.cpu_nr_throttled, 7);
  EXPECT_EQ(ps.stats.cpu_throttled_ns, 350000000);
  EXPECT_EQ(ps.stats.pids_current, 32);
  // The hybrid cgroup2 mount holds no controllers, and a directory in no hierarchy is left out.
  EXPECT_EQ(ps.read.size(), 3u);
}

TEST(CgroupReadStatsOf, V2ReadsTheUnifiedFiles) {
  test::TempDir t;
  const std::string r = t.Path();
  CgroupMounts m;
  m.mode = "v2";
  m.v2_mount = r;
  const std::string d = r + "/ctvbench/c";
  Put(d + "/memory.current", "4096\n");
  Put(d + "/memory.peak", "8192\n");
  Put(d + "/memory.events", "low 0\nhigh 0\nmax 9\noom 2\noom_kill 2\n");
  Put(d + "/cpu.stat",
      "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\nnr_periods 4\n"
      "nr_throttled 3\nthrottled_usec 1500\n");
  Put(d + "/pids.current", "5\n");
  PathStats ps = ReadStatsOf(m, {d});
  EXPECT_EQ(ps.version, "v2");
  EXPECT_EQ(ps.stats.memory_usage, 4096);
  EXPECT_EQ(ps.stats.memory_peak.value_or(0), 8192);
  EXPECT_EQ(ps.stats.oom_kills, 2);
  EXPECT_EQ(ps.stats.cpu_usage_ns, 2500000);
  EXPECT_EQ(ps.stats.cpu_nr_throttled, 3);
  EXPECT_EQ(ps.stats.cpu_throttled_ns, 1500000);
  EXPECT_EQ(ps.stats.pids_current, 5);
}

TEST(CgroupReadStatsOf, NothingKnownReadsNothing) {
  test::TempDir t;
  PathStats ps = ReadStatsOf(Hybrid(t.Path()), {"/nowhere/ctvbench/c"});
  EXPECT_EQ(ps.version, "");
  EXPECT_TRUE(ps.read.empty());
}

}  // namespace
}  // namespace ctv::cgroup
