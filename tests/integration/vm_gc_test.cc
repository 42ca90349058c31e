// The harness is SIGKILLed while its guest boots: `ctvbench gc` (vm::CollectGarbage) must leave no
// QEMU process, no domain and no instance directory.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include "core/fd.h"
#include "core/line_reader.h"
#include "core/process.h"
#include "tests/integration/vm_test_env.h"
#include "vm/gc.h"

namespace ctv {
namespace {

using namespace std::chrono_literals;

class VmKilledHarnessTest : public testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!env_.Missing().empty()) GTEST_SKIP() << env_.Missing();
  }
  test::VmTestEnv env_{/*own_state=*/true};
};

TEST_P(VmKilledHarnessTest, GcRemovesEverything) {
  auto pipe = MakePipe();
  ASSERT_TRUE(pipe);
  SpawnOptions so;
  so.argv = {test::Bin("vm-kill-helper"),
             "start",
             GetParam(),
             env_.Context().state_dir,
             env_.Context().image_dir,
             env_.Context().probe_path};
  so.stdout_fd = pipe->write.Get();
  auto child = Spawn(so);
  ASSERT_TRUE(child) << child.error().ToString();
  pipe->write.Reset();
  LineReader reader(pipe->read.Get());
  auto line = reader.Next(120s);
  ASSERT_TRUE(line && *line) << "helper did not start a guest";
  ASSERT_EQ((*line)->text, "STARTED");
  // Mid-boot: the guest is starting, QEMU runs.
  for (int i = 0; i < 500 && env_.QemuPids().empty(); ++i) ::usleep(10000);
  EXPECT_FALSE(env_.QemuPids().empty());
  if (GetParam() == "vm") {
    // gc finds libvirt's machine groups by the embedded root's hash (vm::MachineGroupPrefix),
    // never by a name pattern: the group libvirt really made for this QEMU must carry it.
    std::string group;
    for (int i = 0; i < 500 && group.empty(); ++i) {
      auto pids = env_.QemuPids();
      if (!pids.empty()) group = test::VmTestEnv::MachineGroupOf(pids.front());
      if (group.empty()) ::usleep(10000);
    }
    EXPECT_EQ(group.rfind("/machine/" + vm::MachineGroupPrefix(env_.VmRoot() + "/libvirt"), 0), 0u)
        << "QEMU's machine group: '" << group << "'";
  }
  child->KillAndReap();  // SIGKILL: no destructor runs in the helper
  EXPECT_FALSE(env_.QemuPids().empty()) << "QEMU should outlive a SIGKILLed harness";

  // `ctvbench gc` runs as its own process, as the helper does here.
  auto gc = RunCommand({test::Bin("vm-kill-helper"), "gc", env_.Context().state_dir}, 120s);
  ASSERT_TRUE(gc) << gc.error().ToString();
  ASSERT_TRUE(gc->status.Success()) << gc->err;
  EXPECT_NE(gc->out.find("REMOVED "), std::string::npos) << gc->out;
  EXPECT_NE(gc->out.find("DOMAINS 0"), std::string::npos) << gc->out;
  EXPECT_TRUE(env_.QemuPids().empty()) << "gc left a QEMU process";
  EXPECT_TRUE(env_.InstanceDirs().empty()) << "gc left an instance directory";
  auto cgroups = env_.LibvirtCgroupLeftovers();
  EXPECT_TRUE(cgroups.empty()) << "gc left libvirt cgroups, e.g. " << cgroups.front();
}

INSTANTIATE_TEST_SUITE_P(Drivers, VmKilledHarnessTest, testing::Values("qemu", "vm"));

}  // namespace
}  // namespace ctv

namespace ctv {
namespace {

// Ctrl-C on `ctvbench run` while a guest boots: the run unwinds through the instance's RAII
// (QEMU killed, domain destroyed, instance directory removed) without any gc.
class VmInterruptTest : public testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!env_.Missing().empty()) GTEST_SKIP() << env_.Missing();
  }
  test::VmTestEnv env_{/*own_state=*/true};
};

TEST_P(VmInterruptTest, CtrlCLeavesNothingBehind) {
  SpawnOptions so;
  so.argv = {test::Bin("ctvbench"),
             "run",
             "--suite",
             "startup",
             "--driver",
             GetParam(),
             "--repetitions",
             "100",
             "--warmup",
             "0",
             "--quiet",
             "--out",
             env_.Context().state_dir + "/r.json",
             "--image",
             env_.Context().image_dir,
             "--state-dir",
             env_.Context().state_dir};
  auto child = Spawn(so);
  ASSERT_TRUE(child) << child.error().ToString();
  // Wait until a guest is booting (QEMU up), then interrupt.
  for (int i = 0; i < 3000 && env_.QemuPids().empty(); ++i) ::usleep(10000);
  ASSERT_FALSE(env_.QemuPids().empty()) << "no guest started";
  ::usleep(300 * 1000);
  ASSERT_TRUE(child->Signal(SIGINT));
  auto st = child->WaitFor(30s);
  ASSERT_TRUE(st);
  ASSERT_TRUE(st->has_value()) << "ctvbench did not stop on SIGINT";
  EXPECT_EQ((*st)->ToString(), "exit 130");
  EXPECT_TRUE(env_.QemuPids().empty()) << "QEMU survived Ctrl-C";
  EXPECT_TRUE(env_.InstanceDirs().empty()) << "instance directory survived Ctrl-C";
  auto cgroups = env_.LibvirtCgroupLeftovers();
  EXPECT_TRUE(cgroups.empty()) << "libvirt cgroups survived Ctrl-C, e.g. " << cgroups.front();
}

INSTANTIATE_TEST_SUITE_P(Drivers, VmInterruptTest, testing::Values("qemu", "vm"));

}  // namespace
}  // namespace ctv
