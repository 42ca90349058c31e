// The project's microVM guest kernel (`--option kernel=micro`, vm/guest/micro_kernel.h): it
// boots to ready on both VM drivers with nothing but built-in drivers (no module in the guest,
// none loaded), results name its release, and a wrong value of the option is refused by name.
// Needs the kernel scripts/setup builds (scripts/build-guest-kernel): a missing one fails.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "bench/drivers/qemu_driver.h"
#include "bench/drivers/vm_driver.h"
#include "tests/integration/vm_test_env.h"
#include "vm/guest/micro_kernel.h"
#include "vm/libvirt/conn.h"

namespace ctv {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

json ParseOutput(const std::string& out) {
  size_t b = out.find('{');
  if (b == std::string::npos) return json();
  return json::parse(out.substr(b, out.rfind('}') - b + 1), nullptr, false);
}

class MicroKernelBootTest : public testing::Test {
 protected:
  void SetUp() override {
    if (!env_.Missing().empty()) GTEST_SKIP() << env_.Missing();
    auto k = vm::FindMicroKernel();
    ASSERT_TRUE(k) << k.error().ToString();
    kernel_ = *k;
    ASSERT_NE(kernel_.release.find("-ctv-micro"), std::string::npos) << kernel_.release;
  }
  void ExpectNothingLeft() {
    EXPECT_TRUE(env_.QemuPids().empty()) << "a QEMU process survived";
    EXPECT_TRUE(env_.InstanceDirs().empty()) << "an instance directory survived";
  }
  test::VmTestEnv env_;
  vm::MicroKernel kernel_;
};

// microvm with the virtio console on virtio-mmio: the channel's drivers are built in, ctv-init
// loads nothing, and the guest runs the micro kernel (its own `uname -r`).
TEST_F(MicroKernelBootTest, QemuMicrovmVirtioRunsTheMicroKernel) {
  auto driver = bench::MakeQemuDriver(env_.Context());
  {
    bench::InstanceSpec spec{"ctv-test-micro-qemu",
                             {"hostinfo"},
                             {},
                             {{"kernel", "micro"}, {"devices", "virtio"}}};
    auto inst = driver->Create(spec);
    ASSERT_TRUE(inst) << inst.error().ToString();
    ASSERT_TRUE((*inst)->Start());
    auto exit = (*inst)->WaitExit(120s);
    ASSERT_TRUE(exit) << exit.error().ToString();
    EXPECT_TRUE(exit->status.Success()) << exit->status.ToString();
    json j = ParseOutput(exit->output);
    ASSERT_TRUE(j.is_object()) << exit->output;
    EXPECT_EQ(j["kernel_release"], kernel_.release);
    EXPECT_EQ(j["pid1_comm"], "ctv-init");
    EXPECT_EQ((*inst)->Facts()[bench::fact::kGuestKernel], kernel_.release);
  }
  EXPECT_EQ(driver->EffectiveParameters({{"kernel", "micro"}})["kernel"], "micro");
  EXPECT_EQ(driver->EffectiveParameters({})["kernel"], "generic");
  ExpectNothingLeft();
}

// The libvirt driver (embedded) boots it to ready; stopping leaves no domain and no QEMU, not
// even a zombie (the driver reaps the QEMU libvirt daemonized: vm/libvirt/adopted_qemu.h).
TEST_F(MicroKernelBootTest, LibvirtReadyThenStopLeavesNothing) {
  auto driver = bench::MakeVmDriver(env_.Context());
  auto prep = driver->Prepare();
  ASSERT_TRUE(prep) << prep.error().ToString();
  pid_t qemu = -1;
  {
    bench::InstanceSpec spec{"ctv-test-micro-vm", {"ready"}, {}, {{"kernel", "micro"}}};
    auto inst = driver->Create(spec);
    ASSERT_TRUE(inst) << inst.error().ToString();
    auto st = (*inst)->Start();
    ASSERT_TRUE(st) << st.error().ToString();
    ASSERT_EQ((*inst)->HostPids().size(), 1u);
    qemu = (*inst)->HostPids()[0];
    auto ready = (*inst)->WaitReady(120s);
    ASSERT_TRUE(ready) << ready.error().ToString();
    EXPECT_EQ((*inst)->Facts()[bench::fact::kGuestKernel], kernel_.release);
    auto stop = (*inst)->Stop(60s);
    ASSERT_TRUE(stop) << stop.error().ToString();
    EXPECT_TRUE((*inst)->HostPids().empty());
    // Reaped: no /proc entry at all (a zombie keeps one).
    EXPECT_NE(::access(("/proc/" + std::to_string(qemu)).c_str(), F_OK), 0)
        << "QEMU " << qemu << " still has a /proc entry after Stop";
  }
  {
    auto conn = vm::lv::Connection::Open(vm::lv::EmbedUri(env_.VmRoot()));
    ASSERT_TRUE(conn) << conn.error().ToString();
    EXPECT_EQ(virConnectNumOfDomains(conn->Get()), 0);
    EXPECT_EQ(virConnectNumOfDefinedDomains(conn->Get()), 0);
  }
  driver.reset();
  ExpectNothingLeft();
}

TEST(MicroKernelOption, BogusValueIsRefusedByName) {
  test::VmTestEnv env;
  std::vector<std::unique_ptr<bench::Driver>> drivers;
  drivers.push_back(bench::MakeQemuDriver(env.Context()));
  drivers.push_back(bench::MakeVmDriver(env.Context()));
  for (const auto& driver : drivers) {
    auto st = driver->ValidateOptions({{"kernel", "bogus"}});
    ASSERT_FALSE(st) << driver->Name();
    EXPECT_NE(st.error().ToString().find("bogus"), std::string::npos) << st.error().ToString();
  }
}

}  // namespace
}  // namespace ctv
