// Many at once (issue 15, item 4): 50 containers launched by 50 parallel `ctvrt run -d`
// processes, 5 guests by 5 parallel `ctvbench run` processes sharing one state dir, and two
// parallel `ctvbench run`s sharing a state dir: all start; names, addresses, cgroups, ports and
// instance directories are distinct; results files are whole; everything is removed.
// Wall times are printed for the report, never asserted.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "core/clock.h"
#include "core/fd.h"
#include "core/fs_tree.h"
#include "core/process.h"
#include "results/results.h"
#include "runtime/launch.h"
#include "runtime/lifecycle.h"
#include "runtime/net/network.h"
#include "runtime/net/port_conflict.h"
#include "runtime/cgroup/manager.h"
#include "runtime/state.h"
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

TEST(Concurrency, FiftyContainersFromFiftyCtvrtProcesses) {
  CTV_REQUIRE_ROOT();
  constexpr int kN = 50;
  CrashEnv& env = Env();
  std::vector<std::string> ids;
  std::vector<std::vector<std::string>> launches, deletes;
  const int base_port = 23000 + (::getpid() % 200) * 60;
  for (int i = 0; i < kN; ++i) {
    ids.push_back(testing::TestId());
    launches.push_back(env.runtime->CtvrtArgv(
        {"run", "-d", "--name", ids.back(), "-p", fmt::format("{}:80", base_port + i),
         env.runtime->Image(), "ctv-probe", "http", "--port", "80", "--timeout", "600"}));
    deletes.push_back(env.runtime->CtvrtArgv({"delete", "-f", ids.back()}));
  }
  int64_t t0 = MonotonicNs();
  std::vector<FaultRun> runs = RunAllAtOnce(launches, 300);
  double launch_s = (MonotonicNs() - t0) / 1e9;
  int started = 0;
  for (int i = 0; i < kN; ++i) {
    EXPECT_TRUE(runs[i].status.Success()) << ids[i] << ": " << runs[i].err;
    started += runs[i].status.Success();
  }
  std::set<std::string> addresses, cgroups, ports;
  std::set<pid_t> pids;
  for (int i = 0; i < kN; ++i) {
    auto st = runtime::LoadState(env.Root(), ids[i]);
    ASSERT_TRUE(st) << ids[i] << ": " << st.error().ToString();
    EXPECT_EQ(runtime::StatusOf(env.Root(), *st), "running") << ids[i];
    pids.insert(st->pid);
    addresses.insert(st->annotations[runtime::kNetAnnotationAddress]);
    ports.insert(st->annotations[runtime::kNetAnnotationPorts]);
    auto cg = ReadFile("/proc/" + std::to_string(st->pid) + "/cgroup");
    ASSERT_TRUE(cg) << ids[i];
    EXPECT_NE(cg->find("ctvbench/" + ids[i]), std::string::npos) << *cg;
    cgroups.insert(*cg);
  }
  EXPECT_EQ(pids.size(), size_t{kN});
  EXPECT_EQ(addresses.size(), size_t{kN});
  EXPECT_FALSE(addresses.count(""));
  EXPECT_EQ(ports.size(), size_t{kN});
  EXPECT_EQ(cgroups.size(), size_t{kN});
  int64_t t1 = MonotonicNs();
  std::vector<FaultRun> removed = RunAllAtOnce(deletes, 300);
  double delete_s = (MonotonicNs() - t1) / 1e9;
  for (int i = 0; i < kN; ++i) {
    EXPECT_TRUE(removed[i].status.Success()) << ids[i] << ": " << removed[i].err;
    for (const std::string& l : ContainerLeftovers(ids[i], base_port + i))
      ADD_FAILURE() << ids[i] << " left: " << l;
  }
  std::printf(
      "concurrency: %d/%d containers started by %d parallel `ctvrt run -d` (bridge, one port each) "
      "in %.2f s wall; %zu distinct pids, addresses, cgroups, ports; all %d removed by parallel "
      "`ctvrt delete -f` in %.2f s wall (n=1, noisy shared host)\n",
      started, kN, kN, launch_s, addresses.size(), kN, delete_s);
}

// Two `ctvbench run`s at once on one state dir (containers, network state, results dir): both
// succeed, both results files are whole and their own, nothing is left.
TEST(Concurrency, TwoCtvbenchRunsShareAStateDir) {
  CTV_REQUIRE_ROOT();
  test::VmTestEnv vm_env(/*own_state=*/true);
  if (!vm_env.Missing().empty()) GTEST_SKIP() << vm_env.Missing();
  const std::string sd = vm_env.Context().state_dir;
  std::vector<std::vector<std::string>> argvs;
  for (int i = 0; i < 2; ++i)
    argvs.push_back({test::Bin("ctvbench"), "run", "--suite", "startup", "--driver", "ctvrt", "-n",
                     "20", "-w", "1", "--quiet", "--state-dir", sd, "--image",
                     vm_env.Context().image_dir, "--out", fmt::format("{}/r{}.json", sd, i)});
  std::vector<FaultRun> runs = RunAllAtOnce(argvs, 300);
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(runs[i].status.Success()) << runs[i].err;
    auto r = results::LoadResults(fmt::format("{}/r{}.json", sd, i));
    ASSERT_TRUE(r) << r.error().ToString();
    ASSERT_EQ(r->suites.size(), 1u);
    EXPECT_FALSE(r->suites[0].interrupted);
    EXPECT_EQ(r->command.back(), fmt::format("{}/r{}.json", sd, i));
  }
  auto left = fs::ListDir(sd + "/containers");
  EXPECT_TRUE(!left || left->empty()) << "containers left in " << sd;
  auto tmp = RunCommand({"sh", "-c", "ls " + sd + " | grep -c '\\.tmp\\.' || true"});
  EXPECT_EQ(tmp->out, "0\n") << "temp files left in " << sd;
}

// Two `ctvbench run --suite network` at once, host and ctvrt paths: every row of both runs is
// measured (before: the second run's loopback, dnat and ctvrt rows were skipped with EADDRINUSE
// on the fixed ports 17070-17073), the runs' host ports are all distinct (chosen by the kernel
// and held: bench/suites/held_port.h), and nothing of either is left: no listener on those
// ports, no nft rule naming them, no scratch namespace, no container.
TEST(Concurrency, TwoNetworkRunsAtOnceMeasureEveryPath) {
  CTV_REQUIRE_ROOT();
  test::VmTestEnv vm_env(/*own_state=*/true);
  if (!vm_env.Missing().empty()) GTEST_SKIP() << vm_env.Missing();
  (void)Env();  // the ctvrt rows on this test process's own bridge (CTVRT_NET_*, inherited)
  const std::string sd = vm_env.Context().state_dir;
  test::TempDir io;
  std::vector<Child> runs;
  std::vector<Fd> logs;
  const int64_t t0 = MonotonicNs();
  for (int i = 0; i < 2; ++i) {
    Fd err(::open((io / fmt::format("err{}", i)).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
    SpawnOptions so;
    so.argv = {test::Bin("ctvbench"), "run", "--suite", "network", "--driver", "host", "--driver",
               "ctvrt", "-n", "3", "-w", "1", "--quiet", "--state-dir", sd, "--image",
               vm_env.Context().image_dir, "--out", fmt::format("{}/n{}.json", sd, i)};
    so.stdout_fd = so.stderr_fd = err.Get();
    auto c = Spawn(so);
    ASSERT_TRUE(c) << c.error().ToString();
    runs.push_back(std::move(*c));
    logs.push_back(std::move(err));
  }
  std::vector<pid_t> pids;
  for (int i = 0; i < 2; ++i) {
    pids.push_back(runs[i].Pid());
    auto st = runs[i].WaitFor(std::chrono::seconds(240));
    ASSERT_TRUE(st && *st) << "network run " << i << " did not finish in 240 s";
    EXPECT_TRUE((*st)->Success()) << (*st)->ToString() << ": "
                                  << cgroup::OrEmpty(ReadFile(io / fmt::format("err{}", i)));
  }
  const double wall_s = (MonotonicNs() - t0) / 1e9;
  std::vector<int> ports;
  int measured = 0, rows = 0;
  for (int i = 0; i < 2; ++i) {
    auto r = results::LoadResults(fmt::format("{}/n{}.json", sd, i));
    ASSERT_TRUE(r) << r.error().ToString();
    ASSERT_EQ(r->suites.size(), 1u);
    for (const auto& d : r->suites[0].results) {
      ++rows;
      std::string row = fmt::format("run {} {}", i, d.driver);
      for (const auto& [k, v] : d.parameters) row += " " + k + "=" + v;
      EXPECT_FALSE(d.skipped.has_value()) << row << ": " << d.skipped.value_or("");
      if (d.skipped || d.metrics.empty()) continue;
      EXPECT_EQ(d.metrics[0].stats.n, 3u) << row;
      ++measured;
      if (d.details.contains("host_port")) ports.push_back(d.details.at("host_port").get<int>());
    }
  }
  // Per run: host loopback + netns bridge + dnat, ctvrt host + bridge + dnat.
  EXPECT_EQ(rows, 12);
  // Host ports: loopback, the netns dnat, ctvrt's --net host server and its dnat, per run.
  EXPECT_EQ(ports.size(), 8u);
  EXPECT_EQ(std::set<int>(ports.begin(), ports.end()).size(), ports.size())
      << "two rows shared a host port";
  auto nft = RunCommand({"nft", "list", "ruleset"});
  const std::string ruleset = nft ? nft->out : "";
  for (int p : ports) {
    EXPECT_TRUE(net::FindPortHolders(net::Protocol::kTcp, static_cast<uint16_t>(p)).empty())
        << "something still listens on " << p;
    EXPECT_EQ(ruleset.find(fmt::format("dport {} ", p)), std::string::npos)
        << "an nft rule for port " << p << " is left";
  }
  for (pid_t pid : pids)
    EXPECT_FALSE(fs::Exists("/run/netns/ctvnet" + std::to_string(pid))) << "netns of " << pid;
  auto left = fs::ListDir(sd + "/containers");
  EXPECT_TRUE(!left || left->empty()) << "containers left in " << sd;
  std::printf(
      "network concurrency: 2 parallel `ctvbench run --suite network --driver host --driver "
      "ctvrt -n 3 -w 1`: %d/%d rows measured, %zu distinct host ports, %.1f s wall (n=1)\n",
      measured, rows, ports.size(), wall_s);
}

// The ctvrt library launched from many threads of one process (the ctvbench driver's situation),
// with PID 1 an init that forks the workload, while another thread allocates without pause and a
// third creates and joins threads: a clone()d child is a copy taken while any thread may hold a
// lock, so nothing between clone and exec may take one. It did: glibc's setgroups/setresgid/
// setresuid "setxid broadcast" waits on a futex for each thread of the parent (found with gdb on
// a stuck child: __nptl_setxid -> setxid_mark_thread, futex wait, for a thread that was being
// created at the clone); the child now makes those calls raw (runtime/child.cc). A deadlock
// shows as launches that never finish; the test gives up after 240 s (and then exits the
// binary: the threads cannot be joined). Normally a few seconds.
TEST(Concurrency, LaunchesFromManyThreadsOfOneProcess) {
  CTV_REQUIRE_ROOT();
  constexpr int kThreads = 6, kEach = 6;
  std::atomic<bool> stop{false};
  std::thread noise([&] {
    while (!stop) {
      std::vector<std::unique_ptr<char[]>> v;
      for (int i = 0; i < 256; ++i) v.emplace_back(new char[16 + i * 48]);
    }
  });
  // Threads created and joined without pause: glibc's thread list and its lock change all the
  // time, as in a harness whose helpers come and go (a clone child must not depend on them).
  std::thread churn([&] {
    while (!stop) std::thread([] {}).join();
  });
  std::atomic<int> done{0}, ok{0};
  std::mutex mu;
  std::vector<std::string> errors;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int j = 0; j < kEach; ++j) {
        Status s = [&]() -> Status {
          runtime::ContainerSpec spec = CTV_TRY(Env().runtime->Spec({"true"}));
          spec.init = true;
          runtime::LaunchOptions o;
          o.container_dir = Env().Root() + "/" + spec.id;
          CTV_CHECK(fs::MakeDirs(o.container_dir, 0711));
          runtime::Container c = CTV_TRY(runtime::Launch(spec, o));
          ExitStatus st = CTV_TRY(c.Process().Wait());
          CTV_CHECK(c.Destroy(/*remove_dir=*/true));
          if (!st.Success()) return MakeError("container", spec.id, st.ToString());
          return Ok();
        }();
        if (s) {
          ++ok;
        } else {
          std::lock_guard l(mu);
          errors.push_back(s.error().ToString());
        }
        ++done;
      }
    });
  int64_t deadline = MonotonicNs() + 240'000'000'000LL;
  while (done < kThreads * kEach && MonotonicNs() < deadline) ::usleep(50 * 1000);
  if (done < kThreads * kEach) {
    ADD_FAILURE() << done << " of " << kThreads * kEach
                  << " launches finished in 240 s: a clone child deadlocked";
    std::fflush(nullptr);
    ::_exit(1);
  }
  stop = true;
  noise.join();
  churn.join();
  for (auto& t : threads) t.join();
  for (const std::string& e : errors) ADD_FAILURE() << e;
  EXPECT_EQ(ok.load(), kThreads * kEach);
}

}  // namespace
}  // namespace ctv::crash
