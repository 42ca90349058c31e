// The syscall and cgroup suites end to end: `ctvbench run` on real drivers, the results file
// read back, and the behaviours issue 14 asks for checked against numbers that can fail: the
// host's getppid agrees with a measurement made here, a half-core quota gives half a core, a
// workload over its memory limit is OOM-killed, a fork bomb stops at the pids limit.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/clock.h"
#include "results/results.h"
#include "tests/test_util.h"

namespace ctv {
namespace {

// `expect_code`: 0 when something is measured, 3 when every driver is skipped (DESIGN.md), -1
// when either may be right (a driver that may be unavailable here).
results::RunResults RunSuite(const std::vector<std::string>& args, const std::string& out,
                             int expect_code = 0) {
  std::vector<std::string> argv = {test::Bin("ctvbench"), "run", "--quiet", "--out", out};
  argv.insert(argv.end(), args.begin(), args.end());
  auto o = test::RunOrDie(argv);
  EXPECT_FALSE(o.status.signaled) << o.err;
  if (expect_code >= 0) EXPECT_EQ(o.status.code, expect_code) << o.out << o.err;
  auto r = results::LoadResults(out);
  EXPECT_TRUE(r) << (r ? "" : r.error().ToString()) << o.err;
  return r ? *r : results::RunResults{};
}

const results::DriverResult* Row(const results::RunResults& r, const std::string& driver,
                                 const std::string& seccomp = "") {
  if (r.suites.empty()) return nullptr;
  for (const auto& d : r.suites[0].results) {
    auto it = d.parameters.find("seccomp");
    if (d.driver == driver &&
        (seccomp.empty() || (it != d.parameters.end() && it->second == seccomp)))
      return &d;
  }
  return nullptr;
}

const results::Metric* Metric(const results::DriverResult& d, const std::string& name) {
  for (const auto& m : d.metrics)
    if (m.name == name) return &m;
  return nullptr;
}

// getppid timed here, in this process, the way the probe does it (no libc caching): the median
// of five ~50 ms loops.
double IndependentGetppidNs() {
  std::vector<double> v;
  for (int k = 0; k < 5; ++k) {
    constexpr int kIters = 20000;
    int64_t t0 = MonotonicNs();
    for (int i = 0; i < kIters; ++i) syscall(SYS_getppid);
    v.push_back(static_cast<double>(MonotonicNs() - t0) / kIters);
  }
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

TEST(SyscallSuite, FiguresArePositiveAndTheHostAgreesWithAnIndependentMeasurement) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (the ctvrt driver)";
  test::TempDir dir;
  double before = IndependentGetppidNs();
  auto r = RunSuite({"--suite", "syscall", "--driver", "host", "--driver", "ctvrt", "--repetitions",
                     "3", "--warmup", "0"},
                    dir / "r.json");
  double after = IndependentGetppidNs();
  ASSERT_EQ(r.suites.size(), 1u);
  // host, ctvrt seccomp=1, ctvrt seccomp=0 (the filter's cost alone).
  ASSERT_EQ(r.suites[0].results.size(), 3u);
  for (const auto& d : r.suites[0].results) {
    ASSERT_FALSE(d.skipped) << d.driver << ": " << *d.skipped;
    ASSERT_EQ(d.metrics.size(), 8u) << d.driver;
    for (const auto& m : d.metrics) {
      EXPECT_EQ(m.unit, "ns");
      ASSERT_EQ(m.samples.size(), 3u) << d.driver << " " << m.name;
      for (double x : m.samples) EXPECT_GT(x, 0) << d.driver << " " << m.name;
    }
  }
  ASSERT_TRUE(Row(r, "ctvrt", "0")) << "no seccomp=0 row";
  const results::DriverResult* host = Row(r, "host");
  ASSERT_TRUE(host);
  const results::Metric* g = Metric(*host, "syscall.getppid_ns");
  ASSERT_TRUE(g);
  // This 2-CPU host is shared with other builds: the reference is taken before and after, and
  // the suite's figure must be within 2x of the nearer of the two.
  double ref =
      std::abs(g->stats.median - before) < std::abs(g->stats.median - after) ? before : after;
  EXPECT_LT(g->stats.median, 2 * ref)
      << "suite " << g->stats.median << " ns, here " << before << " / " << after << " ns";
  EXPECT_GT(g->stats.median, ref / 2)
      << "suite " << g->stats.median << " ns, here " << before << " / " << after << " ns";
  // The host row is the floor every ratio is taken against.
  const auto& ctvrt = *Row(r, "ctvrt", "1");
  ASSERT_TRUE(ctvrt.details.contains("ratio_to_host")) << ctvrt.details.dump();
  EXPECT_GT(ctvrt.details["ratio_to_host"]["getppid"].get<double>(), 0);
}

TEST(CgroupSuite, CtvrtGetsHalfACoreIsOomKilledAndStopsTheForkBomb) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (the ctvrt driver, cgroups)";
  test::TempDir dir;
  // Other builds share this host's two CPUs: the suite runs at a higher priority than they do
  // (its containers inherit it), so the figure shows the quota, not their load. Under a quota
  // the spinner still cannot get more than it asked for.
  ASSERT_EQ(::setpriority(PRIO_PROCESS, 0, -10), 0);
  auto r =
      RunSuite({"--suite", "cgroup", "--driver", "ctvrt", "--repetitions", "2"}, dir / "r.json");
  ::setpriority(PRIO_PROCESS, 0, 0);
  const results::DriverResult* d = Row(r, "ctvrt");
  ASSERT_TRUE(d);
  ASSERT_FALSE(d->skipped) << *d->skipped;
  const bool v2 = r.environment.cgroup_mode == "v2";
  if (v2) {
    EXPECT_FALSE(d->details.contains("skipped_cases")) << d->details.dump(2);
    // memory.high throttles instead of killing: alive, held near the mark, `high` counted.
    const results::Metric* killed = Metric(*d, "cgroup.memory_high.killed");
    ASSERT_TRUE(killed) << d->details.dump(2);
    EXPECT_EQ(killed->stats.max, 0) << "memory.high killed the probe";
    const results::Metric* high = Metric(*d, "cgroup.memory_high.high_events");
    ASSERT_TRUE(high);
    EXPECT_GE(high->stats.min, 1);
    const results::Metric* held = Metric(*d, "cgroup.memory_high.usage_peak_mib");
    ASSERT_TRUE(held);
    EXPECT_LE(held->stats.max, 64 * 1.5) << "usage ran far past memory.high";
  } else {
    // Only memory.high, which a v1 host does not have, is skipped, and the reason says so.
    ASSERT_TRUE(d->details.contains("skipped_cases")) << d->details.dump(2);
    const auto& skipped = d->details["skipped_cases"];
    EXPECT_EQ(skipped.size(), 1u) << skipped.dump(2);
    ASSERT_TRUE(skipped.contains("memory_high")) << skipped.dump(2);
    EXPECT_NE(skipped["memory_high"].get<std::string>().find("cgroup v2"), std::string::npos)
        << skipped.dump(2);
  }
  EXPECT_EQ(d->details["cgroup_version"], v2 ? "v2" : "v1");

  const results::Metric* half = Metric(*d, "cgroup.cpu_quota_0.5.obtained_cores");
  ASSERT_TRUE(half);
  EXPECT_GE(half->stats.median, 0.4);
  EXPECT_LE(half->stats.median, 0.6);
  const results::Metric* throttled = Metric(*d, "cgroup.cpu_quota_0.5.nr_throttled");
  ASSERT_TRUE(throttled);
  EXPECT_GT(throttled->stats.median, 0);  // a 2-thread spinner under 0.5 cores is throttled

  const results::Metric* oom = Metric(*d, "cgroup.memory.oom_killed");
  ASSERT_TRUE(oom);
  for (double x : oom->samples) EXPECT_EQ(x, 1) << "touched 2x the limit and was not killed";
  const results::Metric* kills = Metric(*d, "cgroup.memory.oom_kill_events");
  ASSERT_TRUE(kills);
  EXPECT_GE(kills->stats.min, 1);
  const results::Metric* peak = Metric(*d, "cgroup.memory.peak_mib");
  ASSERT_TRUE(peak);
  EXPECT_LE(peak->stats.max, 64.5);

  const results::Metric* forked = Metric(*d, "cgroup.pids.forked");
  ASSERT_TRUE(forked);
  for (double x : forked->samples) {
    EXPECT_LE(x + 1, 32) << "the bomb got past the pids limit";
    EXPECT_GE(x + 1, 28) << "the bomb stopped well before the limit";
  }
  const results::Metric* host_ok = Metric(*d, "cgroup.pids.host_fork_ok");
  ASSERT_TRUE(host_ok);
  EXPECT_EQ(host_ok->stats.min, 1);

  const results::Metric* cpuset = Metric(*d, "cgroup.cpuset.affinity_match");
  ASSERT_TRUE(cpuset);
  EXPECT_EQ(cpuset->stats.min, 1);
  const results::Metric* shares = Metric(*d, "cgroup.cpu_shares_1_2.obtained_ratio");
  ASSERT_TRUE(shares);
  EXPECT_GT(shares->stats.median, 1.3);  // 1:2 asked; 1:1 would mean shares did nothing

  // io: a 4 MiB/s read limit on the volume's disk paces an O_DIRECT read of a fresh file (this
  // host's disk reads such a file at hundreds of MiB/s without it).
  const results::Metric* io = Metric(*d, "cgroup.io_read.obtained_mib_s");
  ASSERT_TRUE(io) << d->details.dump(2);
  EXPECT_LE(io->stats.median, 4 * 1.5) << "the read limit did not hold";
  EXPECT_GE(io->stats.median, 4 * 0.5) << "far below the limit: something else paced the read";

  // Nothing of this run left behind: its groups were named ctv-cg-ctvrt-*, its volumes
  // /tmp/ctvcg-io-*.
  EXPECT_EQ(test::RunOrDie({"sh", "-c", "ls -d /tmp/ctvcg-io-* 2>/dev/null || true"}).out, "");
  for (const char* h : {"memory", "cpu,cpuacct", "pids", "cpuset", "blkio"}) {
    std::string parent = std::string("/sys/fs/cgroup/") + h + "/ctvbench";
    auto o =
        test::RunOrDie({"sh", "-c", "ls -d " + parent + "/ctv-cg-ctvrt-* 2>/dev/null || true"});
    EXPECT_EQ(o.out, "") << "left behind in " << parent;
  }
}

// A VM's memory limit is its guest's RAM: the probe touching twice that inside the guest is
// killed by the guest's own kernel (OOM killer), not by anything on the host.
TEST(CgroupSuite, AGuestTouchingTwiceItsRamIsOomKilledByItsOwnKernel) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (the qemu driver's guest)";
  test::TempDir dir;
  auto r = RunSuite({"--suite", "cgroup", "--driver", "qemu", "--repetitions", "1"},
                    dir / "r.json", /*expect_code=*/-1);
  const results::DriverResult* d = Row(r, "qemu");
  ASSERT_TRUE(d);
  // Unavailable here (its Check() failed: no QEMU, no guest kernel): a skip with no case run.
  if (d->skipped && !d->details.contains("skipped_cases") &&
      d->skipped->rfind("preparation failed", 0) != 0)
    GTEST_SKIP() << "qemu driver unavailable: " << *d->skipped;
  ASSERT_FALSE(d->skipped) << *d->skipped;
  const results::Metric* oom = Metric(*d, "cgroup.memory.guest_oom_killed");
  ASSERT_TRUE(oom) << d->details.dump(2);
  EXPECT_EQ(oom->stats.min, 1) << "touched twice the guest's RAM and was not killed: "
                               << d->details.dump(2);
  EXPECT_FALSE(Metric(*d, "cgroup.memory.peak_mib")) << "no host cgroup reads for a guest";
  // Every other case asks for a host limit, which the qemu driver refuses by name.
  ASSERT_TRUE(d->details.contains("skipped_cases"));
  EXPECT_FALSE(d->details["skipped_cases"].contains("memory"));
  EXPECT_TRUE(d->details["skipped_cases"].contains("io_read"));
}

// Drivers that cannot apply limits come back skipped, saying why, instead of wrong figures.
TEST(CgroupSuite, TheHostProcessIsSkippedWithItsReason) {
  test::TempDir dir;
  auto r = RunSuite({"--suite", "cgroup", "--driver", "host", "--repetitions", "1"}, dir / "r.json",
                    /*expect_code=*/3);
  const results::DriverResult* d = Row(r, "host");
  ASSERT_TRUE(d);
  ASSERT_TRUE(d->skipped);
  EXPECT_NE(d->skipped->find("applies no resource limits"), std::string::npos) << *d->skipped;
}

}  // namespace
}  // namespace ctv
