// Lifecycle and cleanup: OCI create/start/state/kill/delete, detached containers under a shim,
// and the leak checks (nothing left after delete/gc, whatever was killed when). Needs root.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "bench/drivers/ctvrt_driver.h"
#include "core/clock.h"
#include "core/fs_tree.h"
#include "runtime/gc.h"
#include "runtime/lifecycle.h"
#include "tests/support/runtime_env.h"

namespace ctv::runtime {
namespace {

using testing::ContainerGuard;
using testing::Leftovers;
using testing::RuntimeEnv;

RuntimeEnv& Env() { return testing::SharedRuntimeEnv(); }

void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// Polls until `pred` or ~10 s.
template <class F>
bool Eventually(F pred) {
  for (int i = 0; i < 1000; ++i) {
    if (pred()) return true;
    SleepMs(10);
  }
  return false;
}

std::string Status(const std::string& id) {
  auto st = LoadState(Env().StateRoot(), id);
  return st ? StatusOf(Env().StateRoot(), *st) : "absent";
}

void ExpectClean(const std::string& id, pid_t pid = 0) {
  auto left = Leftovers(Env().StateRoot(), id, pid);
  for (auto& l : left) ADD_FAILURE() << id << " left behind: " << l;
}

TEST(RuntimeLifecycle, OciCreateStartStateKillDelete) {
  CTV_REQUIRE_ROOT();
  testing::TempDir bundle;
  auto layers = Env().Layers();
  ASSERT_TRUE(layers.has_value());
  ASSERT_TRUE(RunCommand({"cp", "-a", (*layers)[0], bundle.Path() + "/rootfs"})->status.Success());
  nlohmann::json cfg = {
      {"ociVersion", "1.0.2"},
      {"process", {{"args", {"sleep", "60"}}, {"cwd", "/"}, {"env", {"PATH=/bin"}}}},
      {"root", {{"path", "rootfs"}}},
      {"hostname", "oci"},
      {"linux", {{"namespaces", {{{"type", "pid"}}, {{"type", "mount"}}, {{"type", "uts"}}}}}}};
  ASSERT_TRUE(WriteFile(bundle.Path() + "/config.json", cfg.dump()).has_value());
  std::string id = testing::TestId();
  ContainerGuard guard(Env().StateRoot(), id);
  auto c = Env().CtvrtToFiles({"create", "--bundle", bundle.Path(), id}, bundle.Path());
  ASSERT_TRUE(c.has_value() && c->status.Success()) << (c ? c->err : c.error().ToString());
  auto state = Env().Ctvrt({"state", id});
  auto j = nlohmann::json::parse(state->out);
  EXPECT_EQ(j["status"], "created");
  EXPECT_EQ(j["id"], id);
  EXPECT_EQ(j["bundle"], bundle.Path());
  pid_t pid = j["pid"].get<int>();
  EXPECT_GT(pid, 1);
  // Created: PID 1 exists but has not exec'd the workload.
  auto comm = ReadFile("/proc/" + std::to_string(pid) + "/comm");
  EXPECT_NE(cgroup::OrEmpty(std::move(comm)), "sleep\n");
  ASSERT_TRUE(Env().Ctvrt({"start", id})->status.Success());
  EXPECT_TRUE(Eventually([&] { return Status(id) == "running"; }));
  EXPECT_TRUE(Eventually([&] {
    return cgroup::OrEmpty(ReadFile("/proc/" + std::to_string(pid) + "/comm")) == "sleep\n";
  }));
  auto del = Env().Ctvrt({"delete", id});
  EXPECT_EQ(del->status.code, 1);  // running: refused without --force
  EXPECT_NE(del->err.find("running"), std::string::npos) << del->err;
  ASSERT_TRUE(Env().Ctvrt({"kill", id, "KILL"})->status.Success());
  EXPECT_TRUE(Eventually([&] { return Status(id) == "stopped"; }));
  auto st = LoadState(Env().StateRoot(), id);
  ASSERT_TRUE(st.has_value());
  EXPECT_TRUE(Eventually([&] {
    auto s = LoadState(Env().StateRoot(), id);
    return s && s->exit.has_value();  // the shim recorded the exit
  }));
  ASSERT_TRUE(Env().Ctvrt({"delete", id})->status.Success());
  ExpectClean(id, pid);
}

TEST(RuntimeLifecycle, DetachedContainerOutlivesTheCliAndLogs) {
  CTV_REQUIRE_ROOT();
  std::string id = testing::TestId();
  ContainerGuard guard(Env().StateRoot(), id);
  auto r = Env().Ctvrt(
      {"run", "-d", "--name", id, Env().Image(), "sh", "-c", "echo hello-log; sleep 60"});
  ASSERT_TRUE(r.has_value() && r->status.Success()) << r->err;
  EXPECT_EQ(r->out, id + "\n");
  EXPECT_EQ(Status(id), "running");  // the CLI has exited
  EXPECT_TRUE(Eventually([&] { return Env().Ctvrt({"logs", id})->out == "hello-log\n"; }));
  auto ex = Env().Ctvrt({"exec", id, "hostname"});
  EXPECT_EQ(ex->out, id + "\n") << ex->err;
  auto st = LoadState(Env().StateRoot(), id);
  pid_t pid = st->pid;
  ASSERT_TRUE(Env().Ctvrt({"stop", "-t", "1", id})->status.Success());
  EXPECT_EQ(Status(id), "stopped");
  ASSERT_TRUE(Env().Ctvrt({"rm", id})->status.Success());
  ExpectClean(id, pid);
}

TEST(RuntimeLifecycle, KilledPid1ThenDeleteLeavesNothing) {
  CTV_REQUIRE_ROOT();
  std::string id = testing::TestId();
  ContainerGuard guard(Env().StateRoot(), id);
  auto r = Env().Ctvrt({"run", "-d", "--name", id, Env().Image(), "sleep", "60"});
  ASSERT_TRUE(r.has_value() && r->status.Success()) << r->err;
  auto st = LoadState(Env().StateRoot(), id);
  ASSERT_TRUE(st.has_value());
  ASSERT_EQ(::kill(st->pid, SIGKILL), 0);
  EXPECT_TRUE(Eventually([&] { return Status(id) == "stopped"; }));
  EXPECT_TRUE(
      Eventually([&] { return !ProcessAlive(st->monitor_pid, st->monitor_start); }));  // shim done
  ASSERT_TRUE(Env().Ctvrt({"delete", id})->status.Success());
  ExpectClean(id, st->pid);
}

TEST(RuntimeLifecycle, ShimKilledThenGcLeavesNothing) {
  CTV_REQUIRE_ROOT();
  std::string id = testing::TestId();
  ContainerGuard guard(Env().StateRoot(), id);
  auto r = Env().Ctvrt({"run", "-d", "--name", id, Env().Image(), "sleep", "60"});
  ASSERT_TRUE(r.has_value() && r->status.Success()) << r->err;
  auto st = LoadState(Env().StateRoot(), id);
  ASSERT_TRUE(st.has_value());
  ASSERT_EQ(::kill(st->monitor_pid, SIGKILL), 0);
  EXPECT_TRUE(Eventually([&] { return !ProcessAlive(st->monitor_pid, st->monitor_start); }));
  EXPECT_EQ(Status(id), "running");  // orphaned, still running
  std::vector<std::string> removed;
  ASSERT_TRUE(CollectGarbage(Env().StateRoot(), &removed, {false}).has_value());
  EXPECT_FALSE(removed.empty());
  ExpectClean(id, st->pid);
}

TEST(RuntimeLifecycle, CliKilledAtAnyPointThenGcLeavesNothing) {
  CTV_REQUIRE_ROOT();
  // SIGKILL the foreground CLI after increasing delays: before clone, between clone and exec,
  // while the workload runs. gc must then remove everything.
  for (int delay_ms : {0, 2, 5, 10, 20, 40, 80, 200}) {
    std::string id = testing::TestId();
    ContainerGuard guard(Env().StateRoot(), id);
    SpawnOptions so;
    so.argv = Env().CtvrtArgv({"run", "--name", id, Env().Image(), "sleep", "60"});
    auto cli = Spawn(so);
    ASSERT_TRUE(cli.has_value());
    SleepMs(delay_ms);
    cli->KillAndReap();
    pid_t pid = 0;
    if (auto st = LoadState(Env().StateRoot(), id)) pid = st->pid;
    SleepMs(50);  // a child that never got its go-ahead exits on its own
    std::vector<std::string> removed;
    // A state dir younger than gc's grace period without state.json is left for its creator.
    for (int i = 0; i < 8 && !Leftovers(Env().StateRoot(), id).empty(); ++i) {
      ASSERT_TRUE(CollectGarbage(Env().StateRoot(), &removed, {false}).has_value());
      if (!Leftovers(Env().StateRoot(), id).empty()) SleepMs(1000);
    }
    SCOPED_TRACE("delay " + std::to_string(delay_ms) + " ms");
    ExpectClean(id, pid);
  }
}

TEST(RuntimeLifecycle, GcOnTheCtvbenchStateDirTouchesOnlyContainers) {
  CTV_REQUIRE_ROOT();
  testing::TempDir root;
  ASSERT_TRUE(fs::MakeDirs(root.Path() + "/containers/ctvstale").has_value());
  ASSERT_TRUE(fs::MakeDirs(root.Path() + "/containers/mine").has_value());  // not a generated id
  ASSERT_TRUE(fs::MakeDirs(root.Path() + "/net").has_value());
  ASSERT_TRUE(fs::MakeDirs(root.Path() + "/vm/inst").has_value());
  ASSERT_EQ(::system(("touch -d '1 min ago' " + root.Path() + "/containers/*").c_str()), 0);
  std::vector<std::string> removed;
  ASSERT_TRUE(CollectGarbage(root.Path(), &removed, {false}).has_value());
  EXPECT_FALSE(fs::Exists(root.Path() + "/containers/ctvstale"));
  EXPECT_TRUE(fs::Exists(root.Path() + "/containers/mine"));
  EXPECT_TRUE(fs::Exists(root.Path() + "/net"));
  EXPECT_TRUE(fs::Exists(root.Path() + "/vm/inst"));
}

TEST(RuntimeDriver, ReadyMarksAndCleanup) {
  CTV_REQUIRE_ROOT();
  bench::DriverContext ctx;
  ctx.image_dir = Env().Image();
  ctx.state_dir = Env().StateRoot() + "/..";  // driver appends /containers
  ::setenv("CTVBENCH_STORE", Env().StoreRoot().c_str(), 1);
  auto driver = bench::MakeCtvrtDriver(ctx);
  EXPECT_EQ(driver->Name(), "ctvrt");
  ASSERT_TRUE(driver->Check().available) << driver->Check().reason;
  ASSERT_TRUE(driver->Prepare().has_value());
  std::string id = testing::TestId();
  ContainerGuard guard(Env().StateRoot(), id);
  pid_t pid = 0;
  {
    bench::InstanceSpec spec;
    spec.name = id;
    spec.probe_args = {"ready"};
    spec.limits.memory_bytes = 128 << 20;
    spec.limits.cpus = 1.0;
    spec.limits.pids = 50;
    auto inst = driver->Create(spec);
    ASSERT_TRUE(inst.has_value()) << inst.error().ToString();
    ASSERT_TRUE((*inst)->Start().has_value());
    ASSERT_TRUE((*inst)->WaitReady(std::chrono::seconds(10)).has_value());
    std::vector<std::string> names;
    for (auto& m : (*inst)->Marks()) names.push_back(m.name);
    EXPECT_EQ(names,
              (std::vector<std::string>{"launch", "cgroup", "cloned", "mounts", "exec", "ready"}));
    for (size_t i = 1; i < (*inst)->Marks().size(); ++i)
      EXPECT_GE((*inst)->Marks()[i].t_ns, (*inst)->Marks()[i - 1].t_ns);
    ASSERT_EQ((*inst)->HostPids().size(), 1u);
    pid = (*inst)->HostPids()[0];
    ASSERT_TRUE((*inst)->Stop(std::chrono::seconds(5)).has_value());
  }
  ExpectClean(id, pid);
  // noop runs to completion.
  bench::InstanceSpec noop;
  noop.name = testing::TestId();
  ContainerGuard guard2(Env().StateRoot(), noop.name);
  noop.probe_args = {"noop"};
  auto inst = driver->Create(noop);
  ASSERT_TRUE(inst.has_value());
  ASSERT_TRUE((*inst)->Start().has_value());
  auto exit = (*inst)->WaitExit(std::chrono::seconds(10));
  ASSERT_TRUE(exit.has_value()) << exit.error().ToString();
  EXPECT_TRUE(exit->status.Success());
  inst->reset();
  ExpectClean(noop.name);
}

}  // namespace
}  // namespace ctv::runtime
