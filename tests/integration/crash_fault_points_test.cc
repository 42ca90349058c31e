// Crash safety at every stage (issue 15, item 1): for every fault point compiled into ctvrt and
// ctvbench (`--list-fault-points`: a point added later is tested without editing this file), run
// the real command with CTV_FAULT_AT naming it, see the process die by SIGKILL there, run
// `ctvrt gc` and `ctvbench gc`, and check that nothing of THAT run is left (its container ids,
// ports, state dir, QEMUs, domains: other tests run at the same time), then that a second gc
// finds nothing of it.
//
// Which command reaches a point is read from its scope ("ctvrt.", "guest.", "qemu.", "libvirt."):
// a ctvrt point is tried under every ctvrt command (run -d, foreground run, create of a bundle
// with hooks, delete) and under `ctvbench run --driver ctvrt`, and must fire in at least one;
// a VM point must fire under each VM driver of its scope.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include "core/fault_point.h"
#include "core/fs_tree.h"
#include "core/owned_dir.h"
#include "runtime/state.h"
#include "vm/gc.h"
#include "tests/integration/crash_support.h"
#include "tests/integration/vm_test_env.h"
#include "tests/test_util.h"

namespace ctv::crash {
namespace {

bool Gone(pid_t pid) {
  if (pid <= 0) return true;
  for (int i = 0; i < 200; ++i) {
    auto stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
    if (!stat) return true;
    size_t p = stat->rfind(')');
    if (p != std::string::npos && p + 2 < stat->size() && (*stat)[p + 2] == 'Z') return true;
    ::usleep(10 * 1000);
  }
  return false;
}

int NextPort() {
  static int n = 0;
  return 21000 + (::getpid() % 400) * 20 + (n++ % 20);
}

std::vector<std::string> Ctvrt(std::vector<std::string> args) {
  return Env().runtime->CtvrtArgv(std::move(args));
}

void ForceDelete(const std::string& id) { (void)RunWithFault(Ctvrt({"delete", "-f", id}), ""); }

// One ctvrt command path, armed at `point`. Returns the run; `id` and `port` name what it made.
struct Case {
  const char* name;
  std::function<FaultRun(const std::string& point, const std::string& id, int port)> run;
};

std::vector<std::string> ProbeServer(const std::string& id, int port) {
  return Ctvrt({"run", "-d", "--name", id, "-p", fmt::format("{}:80", port), Env().runtime->Image(),
                "ctv-probe", "http", "--port", "80", "--timeout", "600"});
}

std::vector<Case> CtvrtCases(testing::TestBundle* bundle) {
  return {
      {"run -d (shim, bridge network, port)",
       [](const std::string& point, const std::string& id, int port) {
         return RunWithFault(ProbeServer(id, port), point);
       }},
      {"run (foreground, bridge network, port)",
       [](const std::string& point, const std::string& id, int port) {
         return RunWithFault(Ctvrt({"run", "--name", id, "-p", fmt::format("{}:80", port),
                                    Env().runtime->Image(), "sleep", "2"}),
                             point);
       }},
      {"create (bundle with prestart and createRuntime hooks)",
       [bundle](const std::string& point, const std::string& id, int) {
         return RunWithFault(Ctvrt({"create", "--bundle", bundle->Path(), id}), point);
       }},
      {"delete -f (of a running container)",
       [](const std::string& point, const std::string& id, int port) {
         FaultRun setup = RunWithFault(ProbeServer(id, port), "");
         EXPECT_TRUE(setup.status.Success()) << setup.err;
         return RunWithFault(Ctvrt({"delete", "-f", id}), point);
       }},
  };
}

// What to check after a fired point: the process died by SIGKILL (the CLI itself, or the shim
// that reported nothing / the CLI already returned), gc leaves nothing of the container, a second
// gc finds nothing of it.
void CheckCrashAndGc(const std::string& what, const FaultRun& r, const std::string& id, int port) {
  SCOPED_TRACE(what);
  EXPECT_TRUE(Gone(r.fired_pid)) << "pid " << r.fired_pid << " survived its fault point";
  bool cli_killed = r.status.signaled && r.status.code == SIGKILL;
  if (!cli_killed) {  // the point fired in the shim: the CLI said so, or had already returned
    EXPECT_TRUE(r.status.Success() || r.err.find("shim died") != std::string::npos)
        << r.status.ToString() << ": " << r.err;
  }
  std::string gc1 = RunBothGcs(Env().state_dir);
  for (const std::string& l : ContainerLeftovers(id, port))
    ADD_FAILURE() << id << " left after gc: " << l << "\ngc said:\n" << gc1;
  std::string gc2 = RunBothGcs(Env().state_dir);
  EXPECT_TRUE(LinesNaming(gc2, id).empty()) << "a second gc still found something:\n" << gc2;
}

TEST(FaultPoints, CompiledIntoThisBuild) {
  ASSERT_TRUE(fault::Enabled()) << "tests need -DCTV_FAULT_POINTS=ON (the default)";
  auto ctvrt = ListFaultPoints(test::Bin("ctvrt"), "");
  auto bench = ListFaultPoints(test::Bin("ctvbench"), "");
  EXPECT_FALSE(ctvrt.empty());
  // ctvbench links the runtime (its ctvrt driver) and the VM drivers.
  for (const std::string& p : ctvrt)
    EXPECT_NE(std::find(bench.begin(), bench.end(), p), bench.end()) << p;
  for (const char* scope : {"guest.", "qemu.", "libvirt."})
    EXPECT_FALSE(ListFaultPoints(test::Bin("ctvbench"), scope).empty()) << scope;
}

// Every ctvrt point x every ctvrt command: a fired point leaves nothing after gc.
TEST(FaultPoints, EveryCtvrtPointUnderEveryCtvrtCommand) {
  CTV_REQUIRE_ROOT();
  std::vector<std::string> points = ListFaultPoints(test::Bin("ctvrt"), "ctvrt.");
  ASSERT_FALSE(points.empty()) << "ctvrt --list-fault-points lists no ctvrt.* point";
  auto bundle = testing::RuncSpecBundle(*Env().runtime, {"sleep", "600"});
  nlohmann::json hook = {{"path", "/bin/true"}};
  bundle->config["hooks"] = {{"prestart", nlohmann::json::array({hook})},
                             {"createRuntime", nlohmann::json::array({hook})}};
  ASSERT_TRUE(bundle->Write());
  std::map<std::string, std::vector<std::string>> fired_in;
  for (const std::string& point : points) {
    for (const Case& c : CtvrtCases(bundle.get())) {
      std::string id = testing::TestId();
      int port = NextPort();
      FaultRun r = c.run(point, id, port);
      if (!r.fired) {  // this command does not pass the point: it ran normally
        ForceDelete(id);
        for (const std::string& l : ContainerLeftovers(id, port))
          ADD_FAILURE() << point << " / " << c.name << " (did not fire): " << l;
        continue;
      }
      fired_in[point].push_back(c.name);
      CheckCrashAndGc(point + " / " + c.name, r, id, port);
    }
  }
  std::string summary;
  for (const std::string& point : points) {
    EXPECT_FALSE(fired_in[point].empty()) << point << " fired under no ctvrt command";
    summary += fmt::format("  {}: {} command(s)\n", point, fired_in[point].size());
  }
  std::printf("ctvrt fault points survived (SIGKILL, gc, zero leftovers):\n%s", summary.c_str());
}

// A run killed while holding the network state lock does not block the next one: the flock goes
// with the process, and the half-attached endpoint it recorded is dropped by gc.
TEST(FaultPoints, KilledHolderOfTheNetLockDoesNotBlockTheNext) {
  CTV_REQUIRE_ROOT();
  std::string dead = testing::TestId(), next = testing::TestId();
  int dead_port = NextPort(), next_port = NextPort();
  FaultRun r = RunWithFault(ProbeServer(dead, dead_port), "ctvrt.net_locked");
  ASSERT_TRUE(r.fired) << "ctvrt.net_locked did not fire: " << r.err;
  ASSERT_TRUE(Gone(r.fired_pid));
  // No gc in between.
  FaultRun ok = RunWithFault(ProbeServer(next, next_port), "", 60);
  EXPECT_TRUE(ok.status.Success()) << ok.status.ToString() << ": " << ok.err;
  ForceDelete(next);
  CheckCrashAndGc("net lock", r, dead, dead_port);
  for (const std::string& l : ContainerLeftovers(next, next_port))
    ADD_FAILURE() << next << ": " << l;
}

// gc takes only what the project recorded as its own: a network namespace named like a dead
// run's scratch namespace but not in the journal (a user's "ctvnet<pid>"), a live container of
// another state root with a ctv id, and a cgroup whose name merely starts with "ctv" stay.
TEST(GcOwnership, LeavesLookalikesAlone) {
  CTV_REQUIRE_ROOT();
  // A pid that is surely dead: a child that has exited and been reaped.
  auto dead = RunCommand({"sh", "-c", "echo $$"});
  ASSERT_TRUE(dead);
  std::string netns = "ctvnet" + std::to_string(std::atoi(dead->out.c_str()));
  ASSERT_TRUE(RunCommand({"ip", "netns", "add", netns})->status.Success());
  struct NetnsGuard {
    std::string name;
    ~NetnsGuard() { (void)RunCommand({"ip", "netns", "delete", name}); }
  } netns_guard{netns};

  // Another state root's running container ("a user's"), id starting with ctv.
  testing::TempDir other;
  std::string other_root = other / "containers";
  std::string user_id = "ctvuser" + testing::TestId().substr(4);
  auto user =
      RunCommand({test::Bin("ctvrt"), "--root", other_root, "--store", Env().runtime->StoreRoot(),
                  "run", "-d", "--name", user_id, Env().runtime->Image(), "sleep", "600"},
                 std::chrono::seconds(60));
  ASSERT_TRUE(user && user->status.Success()) << (user ? user->err : "");
  testing::ContainerGuard user_guard(other_root, user_id);

  // A lookalike at the top (not under ctvbench/).
  std::string top = "/sys/fs/cgroup/pids/ctvbench-lookalike" + std::to_string(::getpid());
  (void)fs::MakeDirs("/sys/fs/cgroup/pids/ctvbench", 0755);
  ASSERT_EQ(::mkdir(top.c_str(), 0755), 0);
  struct CgroupGuard {
    std::vector<std::string> dirs;
    ~CgroupGuard() {
      for (const auto& d : dirs) ::rmdir(d.c_str());
    }
  } cg_guard{{top}};

  std::string out = RunBothGcs(Env().state_dir);
  EXPECT_TRUE(fs::Exists("/run/netns/" + netns)) << "gc deleted a namespace it never made\n" << out;
  auto st = runtime::LoadState(other_root, user_id);
  ASSERT_TRUE(st);
  EXPECT_EQ(runtime::StatusOf(other_root, *st), "running") << out;
  EXPECT_TRUE(fs::Exists("/sys/fs/cgroup/pids/ctvbench/" + user_id)) << out;
  EXPECT_TRUE(fs::Exists(top)) << out;
}

// The directory the ownership journal (core/owned_dir.h) records for process `pid`, or "".
std::string OwnedDirOf(pid_t pid) {
  auto names = fs::ListDir(kOwnedDirJournal);
  for (const std::string& n : names ? *names : std::vector<std::string>{}) {
    auto text = ReadFile(std::string(kOwnedDirJournal) + "/" + n);
    if (!text || std::atoi(text->c_str()) != pid) continue;
    std::string path = text->substr(text->find('\n') + 1);
    while (!path.empty() && path.back() == '\n') path.pop_back();
    return path;
  }
  return "";
}

// The suites' scratch directories on /tmp (the isolation suite's volume, the cgroup suite's io
// volume) are journaled with their owner (core/owned_dir.h): a run SIGKILLed while one exists
// (fault point core.owned_dir_made, right after the mkdir) leaves it, and `ctvbench gc` removes
// it and its entry; a live process's directory is left alone. (Before: /tmp/ctviso-volume-* and
// /tmp/ctvcg-io-* stayed for good.)
TEST(GcOwnership, KilledRunsTempDirsAreReclaimedLiveOnesKept) {
  CTV_REQUIRE_ROOT();
  test::VmTestEnv env(/*own_state=*/true);
  if (!env.Missing().empty()) GTEST_SKIP() << env.Missing();
  const std::string sd = env.Context().state_dir;
  auto made = OwnedTempDir::Create("/tmp", "ctvtest-live-");
  ASSERT_TRUE(made) << made.error().ToString();
  std::optional<OwnedTempDir> live(std::move(*made));
  struct Case {
    const char* suite;
    const char* driver;
    const char* prefix;
  };
  for (const Case& c : {Case{"isolation", "ctvrt", "/tmp/ctviso-volume-"},
                        Case{"cgroup", "host", "/tmp/ctvcg-io-"}}) {
    SCOPED_TRACE(c.suite);
    test::TempDir out;
    FaultRun r = RunWithFault({test::Bin("ctvbench"), "run", "--suite", c.suite, "--driver",
                               c.driver, "-n", "1", "-w", "0", "--quiet", "--image",
                               env.Context().image_dir, "--state-dir", sd, "--out", out / "r.json"},
                              "core.owned_dir_made", 300);
    ASSERT_TRUE(r.fired) << r.status.ToString() << ": " << r.out << r.err;
    EXPECT_TRUE(Gone(r.fired_pid));
    std::string dir = OwnedDirOf(r.fired_pid);
    ASSERT_EQ(dir.rfind(c.prefix, 0), 0u) << "journaled: '" << dir << "'";
    EXPECT_TRUE(fs::Exists(dir)) << dir << " should outlive the killed run until gc";
    std::string gc = RunBothGcs(sd);
    EXPECT_NE(gc.find("temp dir " + dir), std::string::npos) << gc;
    EXPECT_FALSE(fs::Exists(dir)) << dir << " left after gc:\n" << gc;
    EXPECT_EQ(OwnedDirOf(r.fired_pid), "") << "its journal entry is left";
    EXPECT_TRUE(fs::Exists(live->Path())) << "gc removed a live process's dir:\n" << gc;
    EXPECT_TRUE(fs::Exists(live->JournalEntry()));
    auto containers = fs::ListDir(sd + "/containers");
    EXPECT_TRUE(!containers || containers->empty()) << "containers left in " << sd;
    std::string gc2 = RunBothGcs(sd);
    EXPECT_EQ(gc2.find("temp dir "), std::string::npos) << "a second gc still found:\n" << gc2;
  }
  std::string path = live->Path(), entry = live->JournalEntry();
  live.reset();  // its owner removes it
  EXPECT_FALSE(fs::Exists(path));
  EXPECT_FALSE(fs::Exists(entry));
}

// libvirt's machine cgroups are reclaimed by the embedded root's hash, not by name: a group of
// another embedded libvirt (another tool, another state dir) whose domain name starts with ctv,
// and a daemon's, stay; a group of this state dir's root goes. (Before: any
// "qemu-embed-*-ctv*.libvirt-qemu" was removed.)
TEST(GcOwnership, LeavesAnotherLibvirtsMachineGroupsAlone) {
  CTV_REQUIRE_ROOT();
  const std::string hierarchy = "/sys/fs/cgroup/pids";
  if (!fs::Exists(hierarchy + "/cgroup.procs"))
    GTEST_SKIP() << "no cgroup v1 pids hierarchy at " << hierarchy;
  testing::TempDir state;
  ASSERT_TRUE(fs::MakeDirs(state / "vm/libvirt", 0700));  // gc looks at an existing embed root
  const std::string ours = vm::MachineGroupPrefix(state / "vm/libvirt");
  const std::string other = vm::MachineGroupPrefix(state / "another-tool/libvirt");
  ASSERT_NE(ours, other);
  const std::string tag = std::to_string(::getpid());
  const std::string machine = hierarchy + "/machine";
  const bool made_machine = !fs::Exists(machine);
  const std::vector<std::string> keep = {
      machine + "/" + other + "3-ctvlookalike" + tag + ".libvirt-qemu",
      machine + "/qemu-3-ctvdaemon" + tag + ".libvirt-qemu"};
  const std::string mine = machine + "/" + ours + "3-ctvmine" + tag + ".libvirt-qemu";
  struct Groups {
    std::vector<std::string> dirs;
    bool made_machine;
    std::string machine;
    ~Groups() {
      for (const auto& d : dirs) ::rmdir(d.c_str());
      if (made_machine) ::rmdir(machine.c_str());
    }
  } guard{{keep[0], keep[1], mine}, made_machine, machine};
  ASSERT_TRUE(fs::MakeDirs(machine, 0755));
  for (const std::string& d : guard.dirs) ASSERT_EQ(::mkdir(d.c_str(), 0755), 0) << d;
  auto gc = RunCommand({test::Bin("ctvbench"), "gc", "--state-dir", state.Path()},
                       std::chrono::seconds(120));
  ASSERT_TRUE(gc && gc->status.Success()) << (gc ? gc->out + gc->err : gc.error().ToString());
  for (const std::string& d : keep)
    EXPECT_TRUE(fs::Exists(d)) << "gc removed another libvirt's group " << d << "\n" << gc->out;
  EXPECT_FALSE(fs::Exists(mine)) << "gc left its own root's group " << mine << "\n" << gc->out;
  EXPECT_NE(gc->out.find("cgroup " + mine), std::string::npos) << gc->out;
}

}  // namespace
}  // namespace ctv::crash
