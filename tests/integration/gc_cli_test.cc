// `ctvbench gc` end to end: runs SIGKILLed in the middle (no destructor ran, nothing was cleaned
// up) leave qemu processes (and possibly container cgroups) behind; `ctvbench gc` reclaims them.
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "core/fd.h"
#include "tests/test_util.h"

namespace ctv {
namespace {

using namespace std::chrono_literals;

// The kernel keeps 15 characters of a process name: qemu-system-x86_64 is "qemu-system-x86".
int CountQemu() {
  auto o = test::RunOrDie({"sh", "-c", "pgrep -c -x qemu-system-x86 || true"});
  return std::atoi(o.out.c_str());
}

int CountCtvCgroups() {
  auto o = test::RunOrDie(
      {"sh", "-c", "find /sys/fs/cgroup -mindepth 2 -maxdepth 4 -type d -path '*ctvbench/*' | wc -l"});
  return std::atoi(o.out.c_str());
}

TEST(GcCli, ReclaimsWhatASigkilledRunLeft) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (containers, cgroups, VMs)";
  if (CountQemu() != 0) GTEST_SKIP() << "another qemu-system-x86_64 runs on this host: can't attribute";
  test::TempDir dir;
  for (const char* driver : {"ctvrt", "qemu"}) {
    SCOPED_TRACE(driver);
    SpawnOptions so;
    so.argv = {test::Bin("ctvbench"), "run",   "--suite", "startup", "--driver", driver,
               "--repetitions",       "1000",  "--warmup", "0",      "--quiet",  "--out",
               dir / "never.json"};
    auto child = Spawn(so);
    ASSERT_TRUE(child);
    // Kill only once an instance really exists (a container's cgroup, a qemu process), so the
    // run dies with something to clean up whatever the machine's speed.
    bool qemu = std::string(driver) == "qemu";
    bool up = false;
    for (int i = 0; i < 600 && !up; ++i) {
      up = qemu ? CountQemu() > 0 : CountCtvCgroups() > 0;
      if (!up) ::usleep(50 * 1000);
    }
    ASSERT_TRUE(up) << "no instance appeared within 30 s";
    ASSERT_TRUE(child->Signal(SIGKILL));
    ASSERT_TRUE(child->Wait());
  }
  // Something really was left behind, or the test proves nothing.
  // A booting guest is always there to leave behind; a container lives ~5 ms per repetition, so
  // whether one was mid-flight at the kill is chance (the runtime's own tests kill at fixed
  // points): the container half only has to end clean.
  EXPECT_GT(CountQemu(), 0) << "the SIGKILLed qemu run left no qemu: the test can't show gc works";

  auto gc = test::RunOrDie({test::Bin("ctvbench"), "gc"});
  EXPECT_TRUE(gc.status.Success()) << gc.out << gc.err;
  // qemu may need a moment to be reaped by init after SIGKILL.
  for (int i = 0; i < 50 && CountQemu() > 0; ++i) ::usleep(100 * 1000);
  EXPECT_EQ(CountQemu(), 0) << gc.out;
  EXPECT_EQ(CountCtvCgroups(), 0) << gc.out;
  auto mounts = test::RunOrDie({"sh", "-c", "grep -c 'ctvbench' /proc/self/mountinfo || true"});
  EXPECT_EQ(std::atoi(mounts.out.c_str()), 0);
}

}  // namespace
}  // namespace ctv

namespace ctv {
namespace {

int CountParentCgroups() {
  auto o = test::RunOrDie(
      {"sh", "-c", "find /sys/fs/cgroup -maxdepth 3 -type d -name ctvbench | wc -l"});
  return std::atoi(o.out.c_str());
}

// A normal run cleans up after itself: no ctvbench cgroup (not even the shared, empty parents)
// stays once the last container is gone.
TEST(CleanRun, CtvrtStartupLeavesNoCgroup) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (containers)";
  if (CountParentCgroups() != 0) GTEST_SKIP() << "ctvbench cgroups already exist (another run?)";
  test::TempDir dir;
  auto o = test::RunOrDie({test::Bin("ctvbench"), "run", "--suite", "startup", "--driver",
                           "ctvrt", "--repetitions", "3", "--warmup", "0", "--out",
                           dir / "r.json"});
  ASSERT_TRUE(o.status.Success()) << o.err;
  EXPECT_EQ(CountParentCgroups(), 0);
  EXPECT_EQ(CountCtvCgroups(), 0);
}

// A network run SIGKILLed while its targets are up: the echo servers die with it (PDEATHSIG), and
// gc removes the scratch namespace, its veth, its endpoint and its nft rules; a second gc finds
// nothing. (Before: gc said "0 object(s) removed" and the next run skipped two paths, EADDRINUSE.)
TEST(GcCli, KilledNetworkRunLeavesNothingAfterGc) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces, nftables)";
  auto servers = [] {
    return test::RunOrDie({"sh", "-c", "pgrep -f '[t]cp-rr-server' | wc -l"}).out;
  };
  if (std::atoi(servers().c_str()) != 0)
    GTEST_SKIP() << "another network run's echo servers are running: can't attribute";
  test::TempDir dir;
  SpawnOptions so;
  so.argv = {test::Bin("ctvbench"), "run", "--suite", "network", "--driver", "host",
             "-n", "100000", "--quiet", "--out", dir / "r.json"};
  auto child = Spawn(so);
  ASSERT_TRUE(child);
  const std::string ns = "ctvnet" + std::to_string(child->Pid());
  bool up = false;
  for (int i = 0; i < 200 && !up; ++i) {
    up = ::access(("/run/netns/" + ns).c_str(), F_OK) == 0 && std::atoi(servers().c_str()) >= 2;
    if (!up) ::usleep(100 * 1000);
  }
  ASSERT_TRUE(up) << "the run never set up its namespace " << ns << " and servers";
  ASSERT_TRUE(child->Signal(SIGKILL));
  (void)child->Wait();

  // The servers belong to the run: gone with it, before any gc.
  for (int i = 0; i < 50 && std::atoi(servers().c_str()) > 0; ++i) ::usleep(100 * 1000);
  EXPECT_EQ(std::atoi(servers().c_str()), 0) << "echo servers outlived the killed run";

  auto gc = test::RunOrDie({test::Bin("ctvbench"), "gc"});
  EXPECT_TRUE(gc.status.Success()) << gc.out << gc.err;
  EXPECT_NE(gc.out.find("network namespace " + ns), std::string::npos) << gc.out;
  EXPECT_NE(::access(("/run/netns/" + ns).c_str(), F_OK), 0) << ns << " is still there";
  auto links = test::RunOrDie({"sh", "-c", "ip -o link | grep -c ' ctv" + ns + "' || true"});
  EXPECT_EQ(std::atoi(links.out.c_str()), 0) << "its veth is still there";
  auto rules = test::RunOrDie({"sh", "-c", "nft list ruleset 2>/dev/null | grep -c '" + ns + "' || true"});
  EXPECT_EQ(std::atoi(rules.out.c_str()), 0) << "its nft rules are still there";
  auto again = test::RunOrDie({test::Bin("ctvbench"), "gc"});
  EXPECT_NE(again.out.find("gc: 0 object(s) removed"), std::string::npos) << again.out;
}

}  // namespace
}  // namespace ctv
