// The peer drivers through the ctvbench binary: a missing runtime is named with the reason, the
// startup suite runs every peer and leaves nothing, and `ctvbench gc` reclaims what a SIGKILLed
// harness left with a running peer container.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/drivers/oci_runtime_driver.h"
#include "bench/drivers/podman_driver.h"
#include "core/fd.h"
#include "core/fs_tree.h"
#include "core/line_reader.h"
#include "results/results.h"
#include "tests/integration/peers_env.h"

namespace ctv {
namespace {

using namespace std::chrono_literals;

const char* const kPeers[] = {"runc", "crun", "runsc", "podman"};

// A PATH directory with every program of the usual PATH but `without`.
std::string PathWithout(const test::TempDir& dir, const std::string& without) {
  std::string bin = dir / "bin";
  EXPECT_TRUE(fs::MakeDirs(bin).has_value());
  for (const char* d :
       {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}) {
    auto names = fs::ListDir(d);
    if (!names) continue;
    for (const auto& n : *names)
      if (n != without)
        (void)::symlink((std::string(d) + "/" + n).c_str(), (bin + "/" + n).c_str());
  }
  return bin;
}

CommandOutput RunWithPath(const std::string& path, const std::vector<std::string>& args) {
  std::string cmd = "PATH='" + path + "' exec";
  for (const auto& a : args) cmd += " '" + a + "'";
  return test::RunOrDie({"/bin/sh", "-c", cmd}, 600);
}

std::unique_ptr<bench::Driver> MakePeer(const std::string& name, const bench::DriverContext& c) {
  return name == "podman" ? bench::MakePodmanDriver(c) : bench::MakeOciRuntimeDriver(c, name);
}

TEST(PeersCli, MissingRuntimeIsNamedWithTheReason) {
  for (const char* peer : kPeers) {
    SCOPED_TRACE(peer);
    test::TempDir dir;
    std::string path = PathWithout(dir, peer);
    auto list = RunWithPath(path, {test::Bin("ctvbench"), "list"});
    ASSERT_TRUE(list.status.Success()) << list.err;
    std::string want = std::string(peer) + " not found in PATH (apt install " + peer + ")";
    EXPECT_NE(list.out.find(want), std::string::npos) << list.out;
  }
  // And a run records the driver as skipped, with that reason.
  test::TempDir dir;
  std::string out = dir / "r.json";
  auto run =
      RunWithPath(PathWithout(dir, "runc"),
                  {test::Bin("ctvbench"), "run", "--suite", "startup", "--driver", "runc", "-n",
                   "1", "--warmup", "0", "--quiet", "--state-dir", dir / "state", "--out", out});
  // Exit 3: nothing measured (every driver skipped); the results file says why.
  EXPECT_EQ(run.status.ToString(), "exit 3") << run.out << run.err;
  auto r = results::LoadResults(out);
  ASSERT_TRUE(r) << r.error().ToString();
  ASSERT_EQ(r->suites.size(), 1u);
  ASSERT_EQ(r->suites[0].results.size(), 1u);
  const auto& d = r->suites[0].results[0];
  EXPECT_EQ(d.driver, "runc");
  ASSERT_TRUE(d.skipped.has_value());
  EXPECT_NE(d.skipped->find("runc not found in PATH"), std::string::npos) << *d.skipped;
}

TEST(PeersCli, StartupSuiteRunsEveryPeerAndLeavesNothing) {
  testing::PeersEnv env;
  if (!env.Missing().empty()) GTEST_SKIP() << env.Missing();
  std::vector<std::string> args = {test::Bin("ctvbench"),
                                   "run",
                                   "--suite",
                                   "startup",
                                   "-n",
                                   "2",
                                   "--warmup",
                                   "1",
                                   "--quiet",
                                   "--state-dir",
                                   env.StateDir(),
                                   "--image",
                                   env.Context().image_dir};
  std::vector<std::string> available;
  for (const char* peer : kPeers) {
    std::string why = testing::PeerMissing(*MakePeer(peer, env.Context()));
    if (!why.empty()) {
      std::printf("not run: %s\n", why.c_str());
      continue;
    }
    available.push_back(peer);
    args.insert(args.end(), {"--driver", peer});
  }
  if (available.empty()) GTEST_SKIP() << "no peer runtime installed";
  test::TempDir dir;
  std::string out = dir / "r.json";
  args.insert(args.end(), {"--out", out});
  auto run = test::RunOrDie(args, 600);
  ASSERT_TRUE(run.status.Success()) << run.out << run.err;
  auto r = results::LoadResults(out);
  ASSERT_TRUE(r) << r.error().ToString();
  ASSERT_EQ(r->suites[0].results.size(), available.size());
  for (const auto& d : r->suites[0].results) {
    SCOPED_TRACE(d.driver);
    EXPECT_FALSE(d.skipped.has_value()) << *d.skipped;
    ASSERT_FALSE(d.metrics.empty());
    EXPECT_EQ(d.metrics[0].name, "startup.total");
    EXPECT_EQ(d.metrics[0].samples.size(), 2u);
    EXPECT_GT(d.metrics[0].stats.median, 0);
    EXPECT_EQ(d.kind, d.driver == "runsc" ? "sandbox" : "container");
    EXPECT_FALSE(d.details.empty()) << "no runtime version recorded";
  }
  EXPECT_FALSE(fs::Exists(env.StateDir() + "/peers")) << "the run left its peers state";
  EXPECT_EQ(testing::PeerLeftovers(env.StateDir(), "ctv-startup"), std::vector<std::string>{});
}

class PeerGcTest : public ::testing::TestWithParam<std::string> {};

// Ctrl-C in the middle of a run with a peer container up: exit 130, and the harness's unwinding
// (instance and driver destructors) leaves nothing, without any gc.
TEST_P(PeerGcTest, InterruptedRunLeavesNothing) {
  testing::PeersEnv env;
  if (!env.Missing().empty()) GTEST_SKIP() << env.Missing();
  std::string why = testing::PeerMissing(*MakePeer(GetParam(), env.Context()));
  if (!why.empty()) GTEST_SKIP() << why;
  test::TempDir dir;
  SpawnOptions so;
  so.argv = {test::Bin("ctvbench"),
             "run",
             "--suite",
             "startup",
             "--driver",
             GetParam(),
             "-n",
             "100000",
             "--quiet",
             "--state-dir",
             env.StateDir(),
             "--image",
             env.Context().image_dir,
             "--out",
             dir / "r.json"};
  auto child = Spawn(so);
  ASSERT_TRUE(child) << child.error().ToString();
  // Interrupt once an instance exists (its bundle or podman instance directory).
  std::string peers = env.StateDir() + "/peers/" + GetParam();
  auto ls = [](const std::string& d) {
    auto names = fs::ListDir(d);
    return names ? *names : std::vector<std::string>{};
  };
  auto instance_up = [&] {
    for (const auto& sub : ls(peers)) {
      std::string parent = sub.rfind("bundle-", 0) == 0  ? peers + "/" + sub
                           : sub.rfind("store-", 0) == 0 ? peers + "/" + sub + "/instances"
                                                         : "";
      if (!parent.empty() && !ls(parent).empty()) return true;
    }
    return false;
  };
  bool up = false;
  for (int i = 0; i < 1200 && !up; ++i) {
    up = instance_up();
    if (!up) ::usleep(25 * 1000);
  }
  ASSERT_TRUE(up) << "no instance appeared within 30 s";
  ASSERT_TRUE(child->Signal(SIGINT));
  auto st = child->WaitFor(60s);
  ASSERT_TRUE(st && st->has_value()) << "ctvbench did not stop on SIGINT";
  EXPECT_EQ((*st)->ToString(), "exit 130");
  EXPECT_FALSE(fs::Exists(env.StateDir() + "/peers")) << "the run left its peers state";
  EXPECT_EQ(testing::PeerLeftovers(env.StateDir(), "ctv-startup"), std::vector<std::string>{});
}

TEST_P(PeerGcTest, ReclaimsWhatAKilledHarnessLeft) {
  testing::PeersEnv env;
  if (!env.Missing().empty()) GTEST_SKIP() << env.Missing();
  std::string why = testing::PeerMissing(*MakePeer(GetParam(), env.Context()));
  if (!why.empty()) GTEST_SKIP() << why;
  std::string name = "ctv-test-killed-" + GetParam() + "-" + std::to_string(::getpid());
  auto pipe = MakePipe();
  ASSERT_TRUE(pipe.has_value());
  PipePair p = std::move(pipe).value();
  SpawnOptions so;
  so.argv = {test::Bin("peer-kill-helper"), GetParam(), env.StateDir(), env.Context().image_dir,
             env.Context().probe_path,      name};
  so.stdout_fd = p.write.Get();
  auto child = Spawn(so);
  ASSERT_TRUE(child) << child.error().ToString();
  p.write.Reset();
  LineReader reader(p.read.Get());
  auto line = reader.Next(120s);
  ASSERT_TRUE(line && *line) << "the helper did not start its container";
  ASSERT_EQ((*line)->text, "STARTED");
  ASSERT_TRUE(child->Signal(SIGKILL));
  ASSERT_TRUE(child->Wait());
  // Something really is left: the container's cgroup, the state, for the gc to reclaim.
  auto left = testing::PeerLeftovers(env.StateDir(), name);
  EXPECT_FALSE(left.empty());

  auto gc = test::RunOrDie({test::Bin("ctvbench"), "gc", "--state-dir", env.StateDir()});
  EXPECT_TRUE(gc.status.Success()) << gc.out << gc.err;
  EXPECT_NE(gc.out.find(name), std::string::npos) << gc.out;
  // Processes killed by gc are reaped by init: give it a moment.
  for (int i = 0; i < 50 && !testing::PeerLeftovers(env.StateDir(), name).empty(); ++i)
    ::usleep(100 * 1000);
  EXPECT_EQ(testing::PeerLeftovers(env.StateDir(), name), std::vector<std::string>{}) << gc.out;
  EXPECT_FALSE(fs::Exists(env.StateDir() + "/peers"));

  auto again = test::RunOrDie({test::Bin("ctvbench"), "gc", "--state-dir", env.StateDir()});
  EXPECT_TRUE(again.status.Success()) << again.err;
  EXPECT_EQ(again.out.find(env.StateDir()), std::string::npos) << again.out;
  EXPECT_EQ(again.out.find(name), std::string::npos) << again.out;
}

INSTANTIATE_TEST_SUITE_P(Peers, PeerGcTest, ::testing::Values("runc", "crun", "runsc", "podman"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ctv
