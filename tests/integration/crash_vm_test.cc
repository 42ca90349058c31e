// The VM side of the crash tests (issue 15): `ctvbench run` armed at every fault point of a driver
// (ctvrt in-process, qemu, vm under embedded libvirt), then both gcs; five guests launched at
// once by five `ctvbench run`s. Guests boot here (TCG on the CI host), so this binary holds the
// vm_boot lock; see crash_fault_points_test.cc for the method.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <set>
#include <thread>

#include "core/clock.h"
#include "core/fs_tree.h"
#include "results/results.h"
#include "tests/integration/crash_support.h"
#include "tests/integration/vm_test_env.h"
#include "tests/test_util.h"

namespace ctv::crash {
namespace {

// Runs every argv at once (one thread each waiting for its process); results in order.
std::vector<FaultRun> RunAllAtOnce(const std::vector<std::vector<std::string>>& argvs,
                                   int timeout_s) {
  std::vector<FaultRun> out(argvs.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < argvs.size(); ++i)
    threads.emplace_back([&, i] { out[i] = RunWithFault(argvs[i], "", timeout_s); });
  for (auto& t : threads) t.join();
  return out;
}

// `ctvbench run --suite startup -n 1` with one driver, armed at each point of the driver's scopes.
class CtvbenchFaultTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    if (!env_.Missing().empty()) GTEST_SKIP() << env_.Missing();
  }
  test::VmTestEnv env_{/*own_state=*/true};
};

std::vector<std::string> Scopes(const std::string& driver) {
  if (driver == "ctvrt") return {"ctvrt."};
  if (driver == "qemu") return {"guest.", "qemu."};
  return {"guest.", "libvirt."};
}

std::set<std::string> MachineCgroups(const test::VmTestEnv& env) {
  std::set<std::string> out;
  for (const std::string& c : env.LibvirtCgroupLeftovers()) out.insert(c);
  return out;
}

TEST_P(CtvbenchFaultTest, EveryPointOfTheDriver) {
  const std::string driver = GetParam();
  const bool vm = driver != "ctvrt";
  std::vector<std::string> points;
  for (const std::string& s : Scopes(driver))
    for (const std::string& p : ListFaultPoints(test::Bin("ctvbench"), s)) points.push_back(p);
  ASSERT_FALSE(points.empty());
  const std::string sd = env_.Context().state_dir;
  int fired = 0;
  std::string summary;
  for (const std::string& point : points) {
    SCOPED_TRACE(point);
    std::set<std::string> cgroups_before = MachineCgroups(env_);
    FaultRun r = RunWithFault({test::Bin("ctvbench"), "run", "--suite", "startup", "--driver",
                               driver, "-n", "1", "-w", "0", "--quiet", "--state-dir", sd,
                               "--image", env_.Context().image_dir, "--out", sd + "/r.json"},
                              point, 300);
    if (!r.fired) {
      // Only the ctvrt driver may pass a ctvrt point by (shim, hooks, network, delete are
      // ctvrt-CLI paths); a VM driver must reach every point of its scopes.
      EXPECT_FALSE(vm) << point << " did not fire under --driver " << driver << ": "
                       << r.status.ToString() << " " << r.err;
      EXPECT_TRUE(r.status.Success()) << r.err;
      continue;
    }
    ++fired;
    summary += "  " + point + "\n";
    EXPECT_TRUE(r.status.signaled && r.status.code == SIGKILL) << r.status.ToString();
    // The run's own containers: every state dir it made (made before its cgroup).
    std::vector<std::string> ids;
    if (auto names = fs::ListDir(sd + "/containers")) ids = *names;
    std::string gc1 = RunBothGcs(sd);
    for (const std::string& id : ids)
      for (const std::string& l : testing::Leftovers(sd + "/containers", id))
        ADD_FAILURE() << id << " left: " << l << "\n" << gc1;
    if (vm) {
      for (int i = 0; i < 50 && !env_.QemuPids().empty(); ++i) ::usleep(100 * 1000);
      EXPECT_TRUE(env_.QemuPids().empty()) << "a QEMU of the run survived gc\n" << gc1;
      EXPECT_TRUE(env_.InstanceDirs().empty()) << "an instance dir survived gc\n" << gc1;
      for (const std::string& c : MachineCgroups(env_))
        if (!cgroups_before.count(c)) ADD_FAILURE() << "libvirt cgroup left: " << c << "\n" << gc1;
      // The embedded libvirt's record of a running (transient) domain.
      auto status =
          RunCommand({"sh", "-c", "find " + sd + "/vm/libvirt -name 'ctv*.xml' 2>/dev/null"});
      EXPECT_TRUE(status && status->out.empty()) << "domain status left: " << status->out;
    }
    std::string gc2 = RunBothGcs(sd);
    EXPECT_TRUE(LinesNaming(gc2, sd).empty()) << "a second gc found more:\n" << gc2;
    EXPECT_TRUE(LinesNaming(gc2, "domain ").empty()) << gc2;
    EXPECT_TRUE(LinesNaming(gc2, "qemu pid").empty()) << gc2;
  }
  EXPECT_GT(fired, 0);
  std::printf("--driver %s: %d fault point(s) survived (SIGKILL, gc, zero leftovers):\n%s",
              driver.c_str(), fired, summary.c_str());
}

INSTANTIATE_TEST_SUITE_P(Drivers, CtvbenchFaultTest, ::testing::Values("ctvrt", "qemu", "vm"));

// Five guests launched at once by five `ctvbench run --driver qemu` processes on one state dir
// (shared guest cache, distinct instance dirs): all boot, all are removed.
TEST(Concurrency, FiveGuestsFromFiveCtvbenchProcesses) {
  CTV_REQUIRE_ROOT();
  test::VmTestEnv vm_env(/*own_state=*/true);
  if (!vm_env.Missing().empty()) GTEST_SKIP() << vm_env.Missing();
  const std::string sd = vm_env.Context().state_dir;
  std::vector<std::vector<std::string>> argvs;
  for (int i = 0; i < 5; ++i)
    argvs.push_back({test::Bin("ctvbench"), "run", "--suite", "startup", "--driver", "qemu", "-n",
                     "1", "-w", "0", "--quiet", "--state-dir", sd, "--image",
                     vm_env.Context().image_dir, "--out", fmt::format("{}/vm{}.json", sd, i)});
  int64_t t0 = MonotonicNs();
  std::vector<FaultRun> runs = RunAllAtOnce(argvs, 600);
  double wall = (MonotonicNs() - t0) / 1e9;
  int ok = 0;
  std::string accel;
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(runs[i].status.Success()) << runs[i].out << runs[i].err;
    auto r = results::LoadResults(fmt::format("{}/vm{}.json", sd, i));
    ASSERT_TRUE(r) << r.error().ToString();
    ASSERT_EQ(r->suites.size(), 1u);
    for (const auto& res : r->suites[0].results) {
      ok += !res.metrics.empty();
      accel = res.accelerator;
    }
  }
  EXPECT_EQ(ok, 5);
  EXPECT_TRUE(vm_env.QemuPids().empty());
  EXPECT_TRUE(vm_env.InstanceDirs().empty());
  std::printf(
      "concurrency: %d/5 guests booted by 5 parallel `ctvbench run --driver qemu` in %.1f s "
      "wall (accelerator %s, n=1, noisy shared host)\n",
      ok, wall, accel.c_str());
}

}  // namespace
}  // namespace ctv::crash
