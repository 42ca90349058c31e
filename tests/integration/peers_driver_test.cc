// The peer drivers (runc, crun, runsc, podman) with the real binaries: ready marker, limits in the
// cgroups, stop, a mode that exits with its output, and nothing left behind. A driver whose
// runtime is not installed is skipped with the reason its Check() gives.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "bench/drivers/oci_runtime_driver.h"
#include "bench/drivers/podman_driver.h"
#include "core/fd.h"
#include "core/fs_tree.h"
#include "tests/integration/peers_env.h"
#include "tests/test_util.h"

namespace ctv {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<bench::Driver> MakePeer(const std::string& name, const bench::DriverContext& c) {
  return name == "podman" ? bench::MakePodmanDriver(c) : bench::MakeOciRuntimeDriver(c, name);
}

// A file named `file` below `dir` (recursively) whose content (trimmed) is `want`.
bool SomeFileHolds(const std::string& dir, const std::string& file, const std::string& want) {
  auto r = ReadFile(dir + "/" + file);
  std::string text = r ? *r : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (text == want) return true;
  auto names = fs::ListDir(dir);
  if (!names) return false;
  for (const auto& n : *names) {
    std::string sub = dir + "/" + n;
    DIR* d = ::opendir(sub.c_str());
    if (!d) continue;
    ::closedir(d);
    if (SomeFileHolds(sub, file, want)) return true;
  }
  return false;
}

class PeerDriverTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!env_.Missing().empty()) GTEST_SKIP() << env_.Missing();
    driver_ = MakePeer(GetParam(), env_.Context());
    std::string why = testing::PeerMissing(*driver_);
    if (!why.empty()) GTEST_SKIP() << why;
    auto p = driver_->Prepare();
    ASSERT_TRUE(p.has_value()) << p.error().ToString();
  }
  std::string Name(const char* what) const {
    return "ctv-test-" + GetParam() + "-" + what + "-" + std::to_string(::getpid());
  }

  testing::PeersEnv env_;
  std::unique_ptr<bench::Driver> driver_;
};

TEST_P(PeerDriverTest, ReadyLimitsStopAndNothingLeft) {
  bench::InstanceSpec spec;
  spec.name = Name("ready");
  spec.probe_args = {"ready"};
  spec.limits.memory_bytes = 128 << 20;
  spec.limits.cpus = 0.5;
  spec.limits.pids = 64;
  {
    auto inst = driver_->Create(spec);
    ASSERT_TRUE(inst.has_value()) << inst.error().ToString();
    auto s = (*inst)->Start();
    ASSERT_TRUE(s.has_value()) << s.error().ToString();
    auto r = (*inst)->WaitReady(60s);
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
    std::vector<std::string> names;
    for (const auto& m : (*inst)->Marks()) names.push_back(m.name);
    EXPECT_EQ(names, (std::vector<std::string>{"launch", "spawn", "ready"}));
    for (size_t i = 1; i < (*inst)->Marks().size(); ++i)
      EXPECT_GE((*inst)->Marks()[i].t_ns, (*inst)->Marks()[i - 1].t_ns);
    EXPECT_FALSE((*inst)->HostPids().empty());
    auto facts = (*inst)->Facts();
    if (GetParam() == "podman") {
      EXPECT_FALSE(facts["podman_version"].empty());
      EXPECT_EQ(facts["oci_runtime"], "crun");
      EXPECT_NE(facts["oci_runtime_version"].find("crun"), std::string::npos);
    } else {
      EXPECT_NE(facts["runtime_version"].find(GetParam()), std::string::npos)
          << facts["runtime_version"];
    }
    if (GetParam() == "runsc") {
      EXPECT_EQ(facts["platform"], "ptrace");
    }
    // The limits are where the drivers say: the container's cgroup under ctvbench/<id>.
    std::string id = spec.name;  // suites' names are ids already
    if (fs::Exists("/sys/fs/cgroup/memory")) {
      EXPECT_TRUE(SomeFileHolds("/sys/fs/cgroup/memory/ctvbench/" + id, "memory.limit_in_bytes",
                                std::to_string(128 << 20)));
      EXPECT_TRUE(SomeFileHolds("/sys/fs/cgroup/cpu/ctvbench/" + id, "cpu.cfs_quota_us", "50000"));
      EXPECT_TRUE(SomeFileHolds("/sys/fs/cgroup/pids/ctvbench/" + id, "pids.max", "64"));
    } else {
      std::string dir = "/sys/fs/cgroup/ctvbench/" + id;
      EXPECT_TRUE(SomeFileHolds(dir, "memory.max", std::to_string(128 << 20)));
      EXPECT_TRUE(SomeFileHolds(dir, "cpu.max", "50000 100000"));
      EXPECT_TRUE(SomeFileHolds(dir, "pids.max", "64"));
    }
    auto st = (*inst)->Stop(30s);
    EXPECT_TRUE(st.has_value()) << st.error().ToString();
  }
  EXPECT_EQ(testing::PeerLeftovers(env_.StateDir(), spec.name), std::vector<std::string>{});
}

TEST_P(PeerDriverTest, ExitingModeGivesItsOutput) {
  bench::InstanceSpec spec;
  spec.name = Name("hostinfo");
  spec.probe_args = {"hostinfo"};
  {
    auto inst = driver_->Create(spec);
    ASSERT_TRUE(inst.has_value()) << inst.error().ToString();
    ASSERT_TRUE((*inst)->Start().has_value());
    auto exit = (*inst)->WaitExit(60s);
    ASSERT_TRUE(exit.has_value()) << exit.error().ToString();
    EXPECT_TRUE(exit->status.Success()) << exit->status.ToString();
    EXPECT_NE(exit->output.find("\"mode\":\"hostinfo\""), std::string::npos) << exit->output;
    // Its own pid namespace (alone in it) and its own network namespace (loopback only).
    EXPECT_NE(exit->output.find("\"visible_pids\":1,"), std::string::npos) << exit->output;
    EXPECT_NE(exit->output.find("\"interfaces\":[\"lo\"]"), std::string::npos) << exit->output;
    if (GetParam() != "podman") {
      EXPECT_NE(exit->output.find("\"hostname\":\"" + spec.name + "\""), std::string::npos);
    }
  }
  EXPECT_EQ(testing::PeerLeftovers(env_.StateDir(), spec.name), std::vector<std::string>{});
}

// A failing start (a probe mode that does not exist) is an error that quotes the probe or the
// runtime, and leaves nothing either.
TEST_P(PeerDriverTest, FailedStartLeavesNothing) {
  bench::InstanceSpec spec;
  spec.name = Name("bad");
  spec.probe_args = {"no-such-mode"};
  {
    auto inst = driver_->Create(spec);
    ASSERT_TRUE(inst.has_value()) << inst.error().ToString();
    ASSERT_TRUE((*inst)->Start().has_value());
    auto r = (*inst)->WaitReady(60s);
    EXPECT_FALSE(r.has_value());
  }
  EXPECT_EQ(testing::PeerLeftovers(env_.StateDir(), spec.name), std::vector<std::string>{});
}

TEST_P(PeerDriverTest, DriverLeavesNoStateDir) {
  bench::InstanceSpec spec;
  spec.name = Name("noop");
  spec.probe_args = {"noop"};
  {
    auto inst = driver_->Create(spec);
    ASSERT_TRUE(inst.has_value()) << inst.error().ToString();
    ASSERT_TRUE((*inst)->Start().has_value());
    auto exit = (*inst)->WaitExit(60s);
    ASSERT_TRUE(exit.has_value()) << exit.error().ToString();
    EXPECT_TRUE(exit->status.Success());
  }
  EXPECT_TRUE(fs::Exists(env_.StateDir() + "/peers/" + GetParam()));
  driver_.reset();
  EXPECT_FALSE(fs::Exists(env_.StateDir() + "/peers")) << "the driver left its state dir";
  EXPECT_EQ(testing::PeerLeftovers(env_.StateDir(), "ctv"), std::vector<std::string>{});
}

// A volume (`-v`): what the workload writes there is on the host after the container is gone;
// the io read limit on its disk lands in the container's blkio (v1) or io (v2) group.
TEST_P(PeerDriverTest, VolumeKeepsWhatTheWorkloadWroteAndIoLimitIsSet) {
  test::TempDir vol;
  struct stat st{};
  ASSERT_EQ(::stat(vol.Path().c_str(), &st), 0);
  std::string dev = std::to_string(major(st.st_dev)) + ":" + std::to_string(minor(st.st_dev));
  bool is_disk = fs::Exists("/sys/dev/block/" + dev) && !fs::Exists("/sys/dev/block/" + dev +
                                                                      "/partition");
  bench::InstanceSpec spec;
  spec.name = Name("vol");
  spec.probe_args = {"persist", "--layer", "/ctv-layer", "--volume", "/ctv-vol/data", "--hold",
                     "1500"};
  spec.volumes = {{vol.Path(), "/ctv-vol"}};
  if (is_disk) spec.limits.io_read = bench::Limits::IoRead{dev, 4 << 20};
  {
    auto inst = driver_->Create(spec);
    ASSERT_TRUE(inst.has_value()) << inst.error().ToString();
    ASSERT_TRUE((*inst)->Start().has_value());
    auto r = (*inst)->WaitReady(60s);
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
    if (is_disk && fs::Exists("/sys/fs/cgroup/blkio"))
      EXPECT_TRUE(SomeFileHolds("/sys/fs/cgroup/blkio/ctvbench/" + spec.name,
                                "blkio.throttle.read_bps_device", dev + " " + std::to_string(4 << 20)));
    auto exit = (*inst)->WaitExit(60s);
    ASSERT_TRUE(exit.has_value()) << exit.error().ToString();
    EXPECT_TRUE(exit->status.Success()) << exit->status.ToString() << exit->output;
  }
  auto kept = ReadFile(vol / "data");
  ASSERT_TRUE(kept.has_value()) << "the volume lost the workload's file";
  EXPECT_FALSE(kept->empty());
  EXPECT_EQ(testing::PeerLeftovers(env_.StateDir(), spec.name), std::vector<std::string>{});
}

INSTANTIATE_TEST_SUITE_P(Peers, PeerDriverTest,
                         ::testing::Values("runc", "crun", "runsc", "podman"),
                         [](const auto& info) { return info.param; });

TEST(PeerOptions, ValidatedAgainstWhatIsInstalled) {
  bench::DriverContext ctx;
  auto runsc = bench::MakeOciRuntimeDriver(ctx, "runsc");
  if (FindInPath("runsc").empty()) GTEST_SKIP() << "runsc not installed";
  auto bad = runsc->ValidateOptions({{"platform", "bogus"}});
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().ToString().find("ptrace"), std::string::npos) << bad.error().ToString();
  EXPECT_TRUE(runsc->ValidateOptions({{"platform", "ptrace"}}).has_value());
  auto runc = bench::MakeOciRuntimeDriver(ctx, "runc");
  EXPECT_FALSE(runc->ValidateOptions({{"net", "bridge"}}).has_value());
  EXPECT_FALSE(runc->ValidateOptions({{"platform", "ptrace"}}).has_value());
  EXPECT_EQ(runsc->Kind(), bench::DriverKind::kSandbox);
  EXPECT_EQ(runc->Kind(), bench::DriverKind::kContainer);
  EXPECT_EQ(bench::MakePodmanDriver(ctx)->Kind(), bench::DriverKind::kContainer);
  auto params = runsc->EffectiveParameters({});
  EXPECT_EQ(params["platform"], "ptrace");
  EXPECT_EQ(params["network"], "none");
}

}  // namespace
}  // namespace ctv
