// scripts/preflight on this machine and on a simulated fresh one: a private mount namespace where
// /var/lib/libvirt and /etc/libvirt (made only by Debian packages this project does not install)
// and /dev/kvm do not exist (tests/integration/hide-paths.sh). There, the remote libvirt host
// fixture must name the missing mount point, and after the preflight it must run.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "tests/test_util.h"

namespace ctv {
namespace {

using test::Bin;
using test::RunOrDie;
using test::Source;

const std::string kHiddenPaths[] = {"/var/lib/libvirt", "/etc/libvirt", "/dev/kvm"};

// argv running `command` where none of kHiddenPaths exists.
std::vector<std::string> OnAFreshMachine(std::vector<std::string> command) {
  std::vector<std::string> argv = {Source("tests/integration/hide-paths.sh")};
  argv.insert(argv.end(), std::begin(kHiddenPaths), std::end(kHiddenPaths));
  argv.push_back("--");
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class PreflightTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (mount namespaces, creating users and dirs)";
  }
};

TEST_F(PreflightTest, ListsWhatTheTestsNeedAndThisMachineHasIt) {
  CommandOutput out = RunOrDie({Source("scripts/preflight"), "--check"});
  EXPECT_TRUE(out.status.Success()) << out.out << out.err;
  for (const char* need : {"package", "libvirt-qemu", "/var/lib/libvirt", "/etc/libvirt",
                           "overlayfs", "nftables", "/dev/kvm", "cgroup layout"})
    EXPECT_TRUE(Has(out.out, need)) << "the listing does not name " << need << ":\n" << out.out;
  EXPECT_TRUE(Has(out.out, "preflight: ready")) << out.out;
}

TEST_F(PreflightTest, RefusesUnknownArguments) {
  CommandOutput out = RunOrDie({Source("scripts/preflight"), "--frobnicate"});
  EXPECT_EQ(out.status.code, 2);
  EXPECT_TRUE(Has(out.err, "--frobnicate")) << out.err;
}

TEST_F(PreflightTest, OnAFreshMachineCheckNamesTheMissingDirsAndPreflightCreatesThem) {
  const std::string preflight = Source("scripts/preflight");
  CommandOutput out = RunOrDie(OnAFreshMachine(
      {"sh", "-c",
       "test -e /var/lib/libvirt && echo HIDE-FAILED; test -e /dev/kvm && echo KVM-VISIBLE; " +
           preflight + " --check; echo check-rc=$?; " + preflight + "; echo fix-rc=$?; " +
           preflight + " --check >/dev/null; echo recheck-rc=$?; " +
           "test -d /var/lib/libvirt && test -d /etc/libvirt && echo dirs-made; " +
           Bin("ctvbench") + " doctor"}));
  ASSERT_TRUE(out.status.Success()) << out.out << out.err;
  EXPECT_FALSE(Has(out.out, "HIDE-FAILED")) << out.out;
  EXPECT_FALSE(Has(out.out, "KVM-VISIBLE")) << out.out;
  EXPECT_TRUE(Has(out.out, "MISSING  dir      /var/lib/libvirt")) << out.out;
  EXPECT_TRUE(Has(out.out, "MISSING  dir      /etc/libvirt")) << out.out;
  EXPECT_TRUE(Has(out.out, "check-rc=1")) << out.out;
  EXPECT_TRUE(Has(out.out, "created  dir      /var/lib/libvirt")) << out.out;
  EXPECT_TRUE(Has(out.out, "fix-rc=0")) << out.out;
  EXPECT_TRUE(Has(out.out, "recheck-rc=0")) << out.out;
  EXPECT_TRUE(Has(out.out, "dirs-made")) << out.out;
  // Without /dev/kvm the doctor says so, and what VMs fall back to.
  EXPECT_TRUE(Has(out.out, "/dev/kvm is absent")) << out.out;
}

// The fixture that broke on a fresh machine (issue: remote-host.sh mounted tmpfs on a
// /var/lib/libvirt that did not exist): without the preflight it names what is missing; after
// it, the fixture's own test passes there.
TEST_F(PreflightTest, RemoteHostFixtureNamesAMissingMountPointAndRunsAfterPreflight) {
  const std::string fixture_test =
      Bin("remote_libvirt_host_test") +
      " --gtest_filter=RemoteLibvirtHostTest.DiesWithItsProcessAndCleanupRemovesTheRest";
  CommandOutput before = RunOrDie(OnAFreshMachine({"sh", "-c", fixture_test}), 300);
  EXPECT_FALSE(before.status.Success()) << before.out;
  EXPECT_TRUE(Has(before.out, "mount point /var/lib/libvirt is missing on this machine"))
      << before.out << before.err;

  CommandOutput after = RunOrDie(
      OnAFreshMachine({"sh", "-c", Source("scripts/preflight") + " >/dev/null && " + fixture_test}),
      300);
  EXPECT_TRUE(after.status.Success()) << after.out << after.err;
  EXPECT_TRUE(Has(after.out, "[  PASSED  ] 1 test")) << after.out;
}

}  // namespace
}  // namespace ctv
