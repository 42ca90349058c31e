// Real guest boots (TCG here, KVM where usable) of a guest built from the project's image:
// direct QEMU (microvm, pc with virtio) and libvirt (embedded). Each test checks the guest ran our
// init and its own kernel, results came back over the marker channel, and nothing is left.
// Kept to a handful of boots: CI has 30 minutes for everything.
#include <gtest/gtest.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bench/drivers/qemu_driver.h"
#include "bench/drivers/vm_driver.h"
#include "core/fd.h"
#include "tests/integration/vm_test_env.h"
#include "vm/accel.h"
#include "vm/libvirt/conn.h"
#include "vm/guest/kernel.h"

namespace ctv {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::string HostRelease() {
  utsname u{};
  uname(&u);
  return u.release;
}

std::vector<std::string> MarkNames(const bench::Instance& inst) {
  std::vector<std::string> out;
  for (const auto& m : inst.Marks()) out.push_back(m.name);
  return out;
}

// The JSON object among the output lines.
json ParseOutput(const std::string& out) {
  size_t b = out.find('{');
  if (b == std::string::npos) return json();
  return json::parse(out.substr(b, out.rfind('}') - b + 1), nullptr, false);
}

// The CFS quota (us per 100 ms period) of vCPU 0 of the domain whose QEMU has /proc/PID/cgroup
// `cg` (libvirt puts the main thread in .../emulator and vCPU threads in .../vcpuN).
std::string VcpuQuota(const std::string& cg) {
  std::istringstream in(cg);
  std::string line;
  while (std::getline(in, line)) {
    size_t a = line.find(':'), b = line.find(':', a + 1);
    std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    std::string dir = path.substr(0, path.rfind('/')) + "/vcpu0";
    if (controllers.empty()) {  // cgroup v2: "max 100000" or "50000 100000"
      auto v = ReadFile("/sys/fs/cgroup" + dir + "/cpu.max");
      if (v) return v->substr(0, v->find(' '));
    }
    if (("," + controllers + ",").find(",cpu,") == std::string::npos) continue;
    auto v = ReadFile("/sys/fs/cgroup/" + controllers + dir + "/cpu.cfs_quota_us");
    if (v) return v->substr(0, v->find('\n'));
  }
  return "(not found)";
}

void ExpectOrderedMarks(const bench::Instance& inst) {
  const auto& m = inst.Marks();
  for (size_t i = 1; i < m.size(); ++i) EXPECT_GE(m[i].t_ns, m[i - 1].t_ns) << m[i].name;
}

class VmBootTest : public testing::Test {
 protected:
  void SetUp() override {
    if (!env_.Missing().empty()) GTEST_SKIP() << env_.Missing();
  }
  void ExpectNothingLeft() {
    EXPECT_TRUE(env_.QemuPids().empty()) << "a QEMU process survived";
    EXPECT_TRUE(env_.InstanceDirs().empty()) << "an instance directory survived";
  }
  test::VmTestEnv env_;
};

TEST_F(VmBootTest, QemuMicrovmHostinfoShowsGuestKernelAndCtvInit) {
  auto driver = bench::MakeQemuDriver(env_.Context());
  ASSERT_TRUE(driver->Prepare()) << driver->Prepare().error().ToString();
  {
    bench::InstanceSpec spec{"ctv-test-microvm", {"hostinfo"}, {}, {{"machine", "microvm"}}};
    auto inst = driver->Create(spec);
    ASSERT_TRUE(inst) << inst.error().ToString();
    ASSERT_TRUE((*inst)->Start());
    auto exit = (*inst)->WaitExit(120s);
    ASSERT_TRUE(exit) << exit.error().ToString();
    EXPECT_TRUE(exit->status.Success()) << exit->status.ToString();
    json j = ParseOutput(exit->output);
    ASSERT_TRUE(j.is_object()) << exit->output;
    EXPECT_EQ(j["mode"], "hostinfo");
    EXPECT_NE(j["kernel_release"], HostRelease());
    EXPECT_EQ(j["pid1_comm"], "ctv-init");
    EXPECT_EQ(MarkNames(**inst), (std::vector<std::string>{"launch", "process", "firmware",
                                                           "kernel", "init", "done", "gone"}));
    ExpectOrderedMarks(**inst);
  }
  ExpectNothingLeft();
}

TEST_F(VmBootTest, QemuPcVirtioSyscallJsonComesBack) {
  auto driver = bench::MakeQemuDriver(env_.Context());
  bench::InstanceSpec spec{"ctv-test-pc-virtio",
                           {"syscall", "--op", "getppid", "--iters", "1000"},
                           {},
                           {{"machine", "pc"}, {"devices", "virtio"}}};
  {
    auto inst = driver->Create(spec);
    ASSERT_TRUE(inst) << inst.error().ToString();
    ASSERT_TRUE((*inst)->Start());
    auto exit = (*inst)->WaitExit(120s);
    ASSERT_TRUE(exit) << exit.error().ToString();
    EXPECT_TRUE(exit->status.Success()) << exit->status.ToString();
    json j = ParseOutput(exit->output);
    ASSERT_TRUE(j.is_object()) << exit->output;
    EXPECT_EQ(j["mode"], "syscall");
  }
  ExpectNothingLeft();
}

TEST_F(VmBootTest, LibvirtEmbeddedReadyThenStop) {
  auto driver = bench::MakeVmDriver(env_.Context());
  auto prep = driver->Prepare();
  ASSERT_TRUE(prep) << prep.error().ToString();
  {
    // pc (microvm is covered by the killed-harness test) with a <cputune> quota. (<memtune>
    // hard_limit is covered by the XML tests only: libvirt raises RLIMIT_MEMLOCK to it, which
    // needs CAP_SYS_RESOURCE, absent on this project's CI.)
    bench::Limits limits;
    limits.cpus = 0.5;
    bench::InstanceSpec spec{"ctv-test-libvirt", {"ready"}, limits, {{"machine", "pc"}}};
    auto inst = driver->Create(spec);
    ASSERT_TRUE(inst) << inst.error().ToString();
    auto st = (*inst)->Start();
    ASSERT_TRUE(st) << st.error().ToString();
    ASSERT_EQ((*inst)->HostPids().size(), 1u);
    // The quota reached the QEMU's cgroup (v1 cpu controller or v2 cpu.max).
    auto cg = ReadFile("/proc/" + std::to_string((*inst)->HostPids()[0]) + "/cgroup");
    ASSERT_TRUE(cg);
    EXPECT_NE(cg->find("ctv-test-libvirt"), std::string::npos) << *cg;
    EXPECT_EQ(VcpuQuota(*cg), "50000") << *cg;
    {
      // The live XML: our capability override was applied, and libvirt still read the guest CPU
      // back (its x86 path; see vm/libvirt/domain_xml.cc) and recorded it.
      auto conn = vm::lv::Connection::Open(vm::lv::EmbedUri(env_.VmRoot()));
      ASSERT_TRUE(conn) << conn.error().ToString();
      vm::lv::Domain d(virDomainLookupByName(conn->Get(), "ctv-test-libvirt"));
      ASSERT_TRUE(d) << vm::lv::LastError("look up", "ctv-test-libvirt").ToString();
      char* raw = virDomainGetXMLDesc(d.Get(), 0);
      ASSERT_NE(raw, nullptr);
      std::string live = raw;
      free(raw);
      EXPECT_NE(live.find("<qemu:del capability='cpu-unavailable-features'/>"), std::string::npos)
          << live;
      EXPECT_NE(live.find("qemu64</model>"), std::string::npos) << live;
      EXPECT_NE(live.find("check='full'"), std::string::npos) << live;
    }
    auto ready = (*inst)->WaitReady(120s);
    ASSERT_TRUE(ready) << ready.error().ToString();
    auto stop = (*inst)->Stop(60s);
    ASSERT_TRUE(stop) << stop.error().ToString();
    EXPECT_EQ(MarkNames(**inst),
              (std::vector<std::string>{"launch", "process", "firmware", "kernel", "init", "ready",
                                        "done", "gone", "released"}));
    ExpectOrderedMarks(**inst);
  }
  {
    // No domain left, running or defined (a second connection to the same embedded root).
    auto conn = vm::lv::Connection::Open(vm::lv::EmbedUri(env_.VmRoot()));
    ASSERT_TRUE(conn) << conn.error().ToString();
    EXPECT_EQ(virConnectNumOfDomains(conn->Get()), 0);
    EXPECT_EQ(virConnectNumOfDefinedDomains(conn->Get()), 0);
  }
  driver.reset();  // closes the embedded connection
  ExpectNothingLeft();
}

// The real host's answer, whatever this machine has: one of the valid verdicts, with a reason, and
// consistent with what the machine shows (every case itself is a unit test on fixtures:
// vm_accel_test.cc).
TEST(KvmProbe, RealHostAnswerIsOneOfTheValidOnes) {
  vm::KvmInfo k = vm::ProbeKvm(/*boot_probe=*/false);
  EXPECT_EQ(k.device_present, ::access("/dev/kvm", F_OK) == 0);
  EXPECT_TRUE(k.usable == "yes" || k.usable == "no" || k.usable == "unknown") << k.usable;
  EXPECT_FALSE(k.why.empty());
  if (!k.device_present) EXPECT_EQ(k.usable, "no") << k.why;
  if (k.module == "kvm_pvm" && k.device_present) EXPECT_NE(k.usable, "yes") << k.why;
  std::printf("this host: /dev/kvm %s, module '%s', usable %s: %s\n",
              k.device_present ? "present" : "absent", k.module.c_str(), k.usable.c_str(),
              k.why.c_str());
}

}  // namespace
}  // namespace ctv

namespace ctv {
namespace {

// The KVM boot probe gives an answer either way (yes on a real KVM host; no on kvm_pvm with a
// stock kernel, where the guest hangs) and leaves no QEMU behind.
TEST(KvmBootProbe, AnswersAndCleansUp) {
  if (::access("/dev/kvm", R_OK | W_OK) != 0) GTEST_SKIP() << "/dev/kvm absent or not accessible";
  if (FindInPath("qemu-system-x86_64").empty()) GTEST_SKIP() << "qemu-system-x86 not installed";
  auto k = vm::FindKernel("");
  if (!k) GTEST_SKIP() << "no guest kernel: " << k.error().ToString();
  std::string why;
  auto ok = vm::BootProbeKvm(k->path, 5s, &why);
  ASSERT_TRUE(ok) << ok.error().ToString();
  EXPECT_FALSE(why.empty());
  std::printf("KVM boot probe: %s (%s)\n", *ok ? "usable" : "not usable", why.c_str());
  vm::KvmInfo info = vm::ProbeKvm(false);
  if (info.module == "kvm_pvm") {
    EXPECT_FALSE(*ok) << "a stock kernel booted under kvm_pvm?";
  }
}

}  // namespace
}  // namespace ctv
