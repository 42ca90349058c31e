// The KVM verdict for every kind of host, on facts and fixture trees made here: the answer must
// not depend on the machine running the test (a host without /dev/kvm, with kvm_pvm, with real
// KVM). The real host's answer is checked once, in vm_boot_test.cc.
#include <gtest/gtest.h>

#include <cerrno>

#include "core/fd.h"
#include "core/fs_tree.h"
#include "tests/test_util.h"
#include "vm/accel.h"

namespace ctv::vm {
namespace {

using test::TempDir;

bool Says(const KvmInfo& k, const std::string& part) { return k.why.find(part) != std::string::npos; }

KvmFacts Working(const std::string& module) {
  KvmFacts f;
  f.device_present = true;
  f.api_version = 12;  // KVM_API_VERSION
  f.module = module;
  f.cpu_virt_flag = true;
  return f;
}

TEST(KvmVerdict, AbsentDeviceNamesWhyForEachCase) {
  KvmFacts f;  // no device, no module, no vmx/svm: a VM without nested virtualisation
  KvmInfo k = JudgeKvm(f);
  EXPECT_EQ(k.usable, "no");
  EXPECT_FALSE(k.device_present);
  EXPECT_TRUE(Says(k, "/dev/kvm is absent")) << k.why;
  EXPECT_TRUE(Says(k, "no vmx/svm")) << k.why;

  f.cpu_virt_flag = true;  // the CPU could, the module is not loaded
  k = JudgeKvm(f);
  EXPECT_EQ(k.usable, "no");
  EXPECT_TRUE(Says(k, "load kvm_intel or kvm_amd")) << k.why;

  f.module = "kvm_pvm";  // a module without its device node (this project's CI machine)
  k = JudgeKvm(f);
  EXPECT_EQ(k.usable, "no");
  EXPECT_EQ(k.module, "kvm_pvm");
  EXPECT_TRUE(Says(k, "absent although kvm_pvm is loaded")) << k.why;
}

TEST(KvmVerdict, DeviceThatCannotBeUsedSaysHowItFailed) {
  KvmFacts f = Working("kvm_intel");
  f.open_errno = EACCES;
  EXPECT_EQ(JudgeKvm(f).usable, "no");
  EXPECT_TRUE(Says(JudgeKvm(f), "cannot open /dev/kvm: EACCES")) << JudgeKvm(f).why;

  f = Working("kvm_intel");
  f.api_errno = ENOTTY;
  f.api_version = -1;
  EXPECT_TRUE(Says(JudgeKvm(f), "not a KVM device")) << JudgeKvm(f).why;

  f = Working("kvm_intel");
  f.api_version = 11;
  EXPECT_TRUE(Says(JudgeKvm(f), "API version 11")) << JudgeKvm(f).why;

  f = Working("kvm_amd");
  f.create_vm_errno = ENOMEM;
  EXPECT_EQ(JudgeKvm(f).usable, "no");
  EXPECT_TRUE(Says(JudgeKvm(f), "KVM_CREATE_VM failed: ENOMEM")) << JudgeKvm(f).why;
}

TEST(KvmVerdict, RealKvmIsUsable) {
  for (const char* m : {"kvm_intel", "kvm_amd"}) {
    KvmInfo k = JudgeKvm(Working(m));
    EXPECT_EQ(k.usable, "yes") << m;
    EXPECT_TRUE(k.device_present);
    EXPECT_TRUE(Says(k, m)) << k.why;
  }
}

TEST(KvmVerdict, PvmDependsOnTheGuestKernel) {
  KvmFacts f = Working("kvm_pvm");
  f.guest_pvm = false;
  KvmInfo k = JudgeKvm(f);
  EXPECT_EQ(k.usable, "no");
  EXPECT_TRUE(Says(k, "CONFIG_PVM_GUEST")) << k.why;

  f.guest_pvm = true;  // a PVM-enabled guest: only a boot tells
  EXPECT_EQ(JudgeKvm(f).usable, "unknown");
  f.guest_pvm.reset();  // guest config unknown
  EXPECT_EQ(JudgeKvm(f).usable, "unknown");
  EXPECT_TRUE(Says(JudgeKvm(f), "no boot probe run"));
}

// ReadKvmFacts on a fixture tree: the module from sysfs, the CPU flags, the guest kernel's config.
TEST(KvmFactsFromFixtures, ReadsModuleFlagsAndGuestConfig) {
  TempDir t;
  ASSERT_TRUE(fs::MakeDirs(t / "sys/module/kvm_pvm"));
  ASSERT_TRUE(fs::MakeDirs(t / "boot"));
  ASSERT_TRUE(WriteFile(t / "cpuinfo", "processor\t: 0\nflags\t\t: fpu vme svm sse\n"));
  ASSERT_TRUE(WriteFile(t / "boot/config-6.1.0-pvm", "# x\nCONFIG_PVM_GUEST=y\n"));
  ASSERT_TRUE(WriteFile(t / "boot/config-6.1.0-stock", "# x\nCONFIG_KVM_GUEST=y\n"));
  KvmHostPaths p{t / "dev/kvm", t / "sys/module", t / "cpuinfo", t / "boot"};

  KvmFacts f = ReadKvmFacts(p, "6.1.0-pvm");
  EXPECT_FALSE(f.device_present);
  EXPECT_EQ(f.module, "kvm_pvm");
  EXPECT_TRUE(f.cpu_virt_flag);
  ASSERT_TRUE(f.guest_pvm.has_value());
  EXPECT_TRUE(*f.guest_pvm);
  EXPECT_FALSE(*ReadKvmFacts(p, "6.1.0-stock").guest_pvm);
  EXPECT_FALSE(ReadKvmFacts(p, "6.1.0-missing").guest_pvm.has_value());
  EXPECT_EQ(JudgeKvm(f).usable, "no");  // absent device, whatever the module

  // No module, no flag.
  TempDir bare;
  ASSERT_TRUE(WriteFile(bare / "cpuinfo", "flags\t\t: fpu vme sse vmxnope\n"));
  KvmFacts g = ReadKvmFacts({bare / "kvm", bare / "module", bare / "cpuinfo", bare / "boot"}, "");
  EXPECT_EQ(g.module, "");
  EXPECT_FALSE(g.cpu_virt_flag);
}

// A device node that is not KVM (a plain file here): opened, but the API ioctl fails.
TEST(KvmFactsFromFixtures, ANonKvmDeviceIsNotMistakenForKvm) {
  TempDir t;
  ASSERT_TRUE(WriteFile(t / "kvm", ""));
  KvmFacts f = ReadKvmFacts({t / "kvm", t / "none", t / "none", t / "none"}, "");
  EXPECT_TRUE(f.device_present);
  EXPECT_EQ(f.open_errno, 0);
  EXPECT_NE(f.api_errno, 0);
  KvmInfo k = JudgeKvm(f);
  EXPECT_EQ(k.usable, "no");
  EXPECT_TRUE(Says(k, "not a KVM device")) << k.why;
}

// ProbeKvm itself honours the paths: a fixture host without /dev/kvm is "no" with no boot tried,
// even with boot_probe asked for.
TEST(KvmFactsFromFixtures, ProbeOnAFixtureHostWithoutKvmNeverBoots) {
  TempDir t;
  ASSERT_TRUE(WriteFile(t / "cpuinfo", "flags\t\t: fpu\n"));
  KvmInfo k = ProbeKvm(/*boot_probe=*/true, "", std::chrono::milliseconds(1),
                       {t / "kvm", t / "module", t / "cpuinfo", t / "boot"});
  EXPECT_EQ(k.usable, "no");
  EXPECT_TRUE(Says(k, "absent")) << k.why;
}

}  // namespace
}  // namespace ctv::vm
