// `ctvbench run --suite security` over every driver end to end (root): a real instance of each
// runtime, sandbox and VM with its defaults, the breakout attempts inside, a real results file.
// ctvrt's default must deny at least what runc's and crun's deny; every confined container or
// sandbox denies the attempts that reach the host; a VM's "allowed" acted on its own kernel and
// the host is untouched (issue 15). One run serves every test (~25 s here, VMs under TCG).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <set>

#include "bench/suites/security_suite.h"
#include "core/fd.h"
#include "results/results.h"
#include "tests/test_util.h"

namespace ctv {
namespace {

using nlohmann::json;

const char* const kDrivers[] = {"host", "ctvrt", "runc", "crun", "runsc", "podman", "vm", "qemu"};
// Containers and the sandbox: instances that share the host's kernel.
const char* const kConfined[] = {"ctvrt", "runc", "crun", "runsc", "podman"};

class SecuritySuiteRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) {
      skip_ = "needs root (containers: namespaces, overlay, cgroups)";
      return;
    }
    dir_ = new test::TempDir();
    std::string out = *dir_ / "r.json";
    std::vector<std::string> argv = {"env", "CTVBENCH_IMAGE_DIR=" + (*dir_ / "image"),
                                     test::Bin("ctvbench"), "run", "--suite", "security"};
    for (const char* d : kDrivers) argv.insert(argv.end(), {"--driver", d});
    argv.insert(argv.end(), {"--quiet", "--state-dir", *dir_ / "state", "--out", out});
    // A descriptor without O_CLOEXEC, as a careless caller (a shell, a CI runner) leaves them:
    // ctvbench inherits it, and a runtime that passes it on fails leaked_fd_or_cwd.
    int careless = ::open("/dev/null", O_RDONLY);
    char before[256] = {};
    ::gethostname(before, sizeof before - 1);
    output_ = new CommandOutput(test::RunOrDie(argv, 500));
    char after[256] = {};
    ::gethostname(after, sizeof after - 1);
    host_name_before_ = before;
    host_name_after_ = after;
    if (careless >= 0) ::close(careless);
    auto r = results::LoadResults(out);
    if (r) run_ = new results::RunResults(std::move(*r));
  }
  static void TearDownTestSuite() {
    delete run_;
    delete output_;
    delete dir_;
  }
  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    ASSERT_TRUE(output_->status.Success()) << output_->out << output_->err;
    ASSERT_NE(run_, nullptr) << output_->err;
  }

  static const results::DriverResult* Find(const std::string& driver) {
    for (const auto& s : run_->suites)
      for (const auto& d : s.results)
        if (s.name == "security" && d.driver == driver) return &d;
    return nullptr;
  }
  // attempt -> "allowed" / "denied" / "skipped" of a measured row (skips the test when the
  // driver is not installed here: its Check() reason is what the row carries).
  static std::map<std::string, std::string> Outcomes(const results::DriverResult& d) {
    std::map<std::string, std::string> m;
    for (const json& a : d.details.at("breakout").at("attempts"))
      m[a.at("name").get<std::string>()] = a.at("result").get<std::string>();
    return m;
  }

  static inline test::TempDir* dir_ = nullptr;
  static inline CommandOutput* output_ = nullptr;
  static inline results::RunResults* run_ = nullptr;
  static inline std::string skip_;
  static inline std::string host_name_before_, host_name_after_;
};

TEST_F(SecuritySuiteRun, EveryDriverReportsEveryAttempt) {
  for (const char* name : kDrivers) {
    const results::DriverResult* d = Find(name);
    ASSERT_NE(d, nullptr) << name;
    if (d->skipped) {
      // Only a driver that cannot run here may be skipped, never one that failed.
      EXPECT_EQ(d->skipped->find("breakout attempts failed"), std::string::npos)
          << name << ": " << *d->skipped;
      continue;
    }
    auto m = Outcomes(*d);
    for (const std::string& a : bench::BreakoutAttempts()) {
      ASSERT_TRUE(m.count(a)) << name << " lacks " << a;
      EXPECT_TRUE(m[a] == "allowed" || m[a] == "denied" || m[a] == "skipped") << m[a];
    }
    int denied = 0, allowed = 0;
    for (const auto& [k, v] : m) {
      if (v == "denied") ++denied;
      if (v == "allowed") ++allowed;
    }
    for (const auto& metric : d->metrics) {
      if (metric.name == "breakout.denied") {
        EXPECT_EQ(metric.samples.at(0), denied) << name;
      } else if (metric.name == "breakout.allowed") {
        EXPECT_EQ(metric.samples.at(0), allowed) << name;
      }
    }
  }
}

// The bar: whatever runc's or crun's default denies, ctvrt's default denies too.
TEST_F(SecuritySuiteRun, CtvrtDeniesAtLeastWhatRuncAndCrunDeny) {
  const results::DriverResult* ctvrt = Find("ctvrt");
  ASSERT_NE(ctvrt, nullptr);
  ASSERT_FALSE(ctvrt->skipped) << *ctvrt->skipped;
  auto mine = Outcomes(*ctvrt);
  int compared = 0;
  for (const char* peer : {"runc", "crun"}) {
    const results::DriverResult* p = Find(peer);
    ASSERT_NE(p, nullptr) << peer;
    if (p->skipped) {
      std::cout << "[ SKIPPED  ] " << peer << " not compared: " << *p->skipped << "\n";
      continue;
    }
    ++compared;
    for (const auto& [attempt, result] : Outcomes(*p)) {
      if (result != "denied") continue;
      EXPECT_EQ(mine[attempt], "denied")
          << attempt << " is denied by " << peer << " but ctvrt's default lets it through";
    }
  }
  if (compared == 0) GTEST_SKIP() << "neither runc nor crun can run here";
}

// Containment that does not depend on a peer: what a default ctvrt container must never do.
TEST_F(SecuritySuiteRun, CtvrtDeniesTheHostReachingAttempts) {
  const results::DriverResult* ctvrt = Find("ctvrt");
  ASSERT_NE(ctvrt, nullptr);
  ASSERT_FALSE(ctvrt->skipped) << *ctvrt->skipped;
  auto m = Outcomes(*ctvrt);
  for (const char* a : {"mount", "remount_root_rw", "reboot", "module_load", "sysrq", "proc_kcore",
                        "dev_mem", "host_block_device", "clock", "ptrace_other_process",
                        "proc_self_exe_write", "proc_pid_exe_write", "leaked_fd_or_cwd",
                        "unshare_userns", "keyctl", "bpf", "userfaultfd", "perf_event_open",
                        "cgroup_write"})
    EXPECT_EQ(m[a], "denied") << a;
  // The floor: the same probe as root on the host is let through far more.
  const results::DriverResult* host = Find("host");
  ASSERT_NE(host, nullptr);
  ASSERT_FALSE(host->skipped) << *host->skipped;
  auto h = Outcomes(*host);
  int host_allowed = 0;
  for (const auto& [k, v] : h) host_allowed += v == "allowed";
  EXPECT_GE(host_allowed, 8) << "the host row is root without confinement";
}

// What a container or sandbox must never be let do, whichever runtime confines it: each of these
// reaches the host's kernel, hardware or processes (reading its memory, loading code into it,
// setting its clock, attaching to its processes, writing the runtime binary, using a host fd,
// lifting its own cgroup limits). runsc denies them in its own kernel (the Sentry).
TEST_F(SecuritySuiteRun, EveryConfinedDriverDeniesTheHostReachingAttempts) {
  for (const char* name : kConfined) {
    const results::DriverResult* d = Find(name);
    ASSERT_NE(d, nullptr) << name;
    if (d->skipped) {
      std::cout << "[ SKIPPED  ] " << name << ": " << *d->skipped << "\n";
      continue;
    }
    auto m = Outcomes(*d);
    for (const char* a : {"module_load", "sysrq", "proc_kcore", "dev_mem", "clock",
                          "ptrace_other_process", "proc_pid_exe_write", "leaked_fd_or_cwd", "bpf",
                          "perf_event_open", "cgroup_write"})
      EXPECT_EQ(m[a], "denied") << name << " let " << a << " through";
    EXPECT_FALSE(d->details.value("own_kernel", true)) << name << " shares the host's kernel";
  }
}

// A VM lets root in the guest do nearly everything, to the guest's own kernel (that is the
// design: the host is behind the hypervisor): the row says own_kernel, the probe really was root
// there (the attempts were allowed, so they were tried), and the host's hostname, which the
// `hostname` attempt changed in the guest, is unchanged here.
TEST_F(SecuritySuiteRun, AVmActsOnItsOwnKernelOnly) {
  int vms = 0;
  for (const char* name : {"vm", "qemu"}) {
    const results::DriverResult* d = Find(name);
    ASSERT_NE(d, nullptr) << name;
    if (d->skipped) {
      std::cout << "[ SKIPPED  ] " << name << ": " << *d->skipped << "\n";
      continue;
    }
    ++vms;
    EXPECT_TRUE(d->details.value("own_kernel", false)) << name << ": " << d->details.dump();
    EXPECT_FALSE(d->accelerator.empty()) << name << ": every VM figure names its accelerator";
    auto m = Outcomes(*d);
    EXPECT_EQ(m["hostname"], "allowed") << name << ": root in the guest sets the guest's name";
    EXPECT_TRUE(m["module_load"] == "allowed" || m["mount"] == "allowed")
        << name << ": root in the guest was confined like a container";
  }
  EXPECT_EQ(host_name_after_, host_name_before_) << "the host's hostname changed during the run";
  if (vms == 0) GTEST_SKIP() << "no VM driver can run here";
}

}  // namespace
}  // namespace ctv
