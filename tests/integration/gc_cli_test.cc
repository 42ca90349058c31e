// `ctvbench gc` end to end: a run SIGKILLed in the middle (no destructor ran, nothing was cleaned
// up) leaves containers, cgroups and qemu processes behind; `ctvbench gc` reclaims all of them.
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
    // Long enough for an instance to be up (a TCG guest takes ~2 s to boot).
    ::sleep(std::string(driver) == "qemu" ? 3 : 1);
    ASSERT_TRUE(child->Signal(SIGKILL));
    ASSERT_TRUE(child->Wait());
  }
  // Something really was left behind, or the test proves nothing.
  EXPECT_GT(CountQemu(), 0) << "the SIGKILLed qemu run left no qemu: the test can't show gc works";
  EXPECT_GT(CountCtvCgroups(), 0) << "the SIGKILLed ctvrt run left no cgroup: nothing to show";

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
