// linux.resources of a `runc spec` bundle (plus edits) on this cgroup v1 host, at a
// linux.cgroupsPath: memory (limit, reservation, swap, kernel, swappiness, disableOOMKiller), cpu
// (shares, quota, period, realtime*, cpus, mems), network (classID, priorities), checked from the
// host's cgroup files at the requested path and from inside with `ctv-probe procinfo`; `stats`
// and `exec` find the cgroup there, and `delete` removes what ctvrt made and nothing else. The v2
// side of the same fields runs in a guest (runtime_cgroup_v2_test.cc). Needs root.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include <nlohmann/json.hpp>

#include "core/fs_tree.h"
#include "runtime/cgroup/devices_bpf.h"
#include "runtime/cgroup/manager.h"
#include "tests/support/runtime_env.h"

namespace ctv::runtime {
namespace {

using nlohmann::json;
using testing::ContainerGuard;
using testing::RuntimeEnv;

RuntimeEnv& Env() { return testing::SharedRuntimeEnv(); }

constexpr const char* kV1 = "/sys/fs/cgroup";

std::string Read(const std::string& p) {
  std::string s = cgroup::OrEmpty(ReadFile(p));
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

// A cgroup name of this test's own ("ctvoci..." like the other OCI tests).
std::string CgName() { return "ctvoci" + testing::TestId().substr(4); }

bool HaveV1(const char* controller) {
  return fs::Exists(std::string(kV1) + "/" + controller + "/cgroup.procs");
}

// `run -d` of the bundle; the caller deletes.
void RunDetached(testing::TestBundle& b, const std::string& id, CommandOutput* out = nullptr) {
  ASSERT_TRUE(b.Write().has_value());
  testing::TempDir io;
  auto r = Env().CtvrtToFiles({"run", "-d", "--bundle", b.Path(), id}, io.Path());
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->status.code, 0) << r->err;
  if (out) *out = *r;
}

// Memory fields at "/<parent>/<cg>" where <parent> pre-exists in the memory hierarchy (someone
// else's): delete removes <cg> everywhere and the parents ctvrt made, never that one.
TEST(OciResources, MemoryAtCgroupsPathStatsExecAndDeleteKeepsForeignParent) {
  CTV_REQUIRE_ROOT();
  if (!HaveV1("memory") || !HaveV1("pids")) GTEST_SKIP() << "no v1 memory/pids hierarchy";
  std::string parent = CgName(), cg = CgName();
  std::string foreign = std::string(kV1) + "/memory/" + parent;
  ASSERT_EQ(::mkdir(foreign.c_str(), 0755), 0) << foreign;
  auto b = testing::RuncSpecBundle(Env(), {"sleep", "30"});
  b->config["linux"]["cgroupsPath"] = "/" + parent + "/" + cg;
  b->config["linux"]["namespaces"].erase(5);  // no cgroup namespace: exec shows the full path
  b->config["linux"]["resources"]["memory"] = {{"limit", 64 << 20}, {"reservation", 32 << 20},
                                               {"swap", 96 << 20},  {"kernel", 16 << 20},
                                               {"swappiness", 10},  {"disableOOMKiller", true}};
  std::string id = testing::TestId();
  CommandOutput run;
  {
    ContainerGuard guard(Env().StateRoot(), id);
    RunDetached(*b, id, &run);
    std::string mem = std::string(kV1) + "/memory/" + parent + "/" + cg;
    EXPECT_EQ(Read(mem + "/memory.limit_in_bytes"), std::to_string(64 << 20));
    EXPECT_EQ(Read(mem + "/memory.soft_limit_in_bytes"), std::to_string(32 << 20));
    if (fs::Exists(mem + "/memory.memsw.limit_in_bytes"))
      EXPECT_EQ(Read(mem + "/memory.memsw.limit_in_bytes"), std::to_string(96 << 20));
    EXPECT_EQ(Read(mem + "/memory.swappiness"), "10");
    EXPECT_NE(Read(mem + "/memory.oom_control").find("oom_kill_disable 1"), std::string::npos)
        << Read(mem + "/memory.oom_control");
    // kernel: applied where the kernel still takes it, else a warning naming the field (runc
    // ignores it); never a failed create.
    std::string kmem = Read(mem + "/memory.kmem.limit_in_bytes");
    if (kmem != std::to_string(16 << 20))
      EXPECT_NE(run.err.find("linux.resources.memory.kernel"), std::string::npos)
          << "kmem " << kmem << ", stderr: " << run.err;

    // stats reads the cgroup at the custom path.
    auto st = Env().Ctvrt({"stats", id});
    ASSERT_TRUE(st.has_value());
    ASSERT_EQ(st->status.code, 0) << st->err;
    json s = json::parse(st->out, nullptr, false);
    ASSERT_TRUE(s.is_object()) << st->out;
    EXPECT_NE(s["cgroup_paths"].dump().find(mem), std::string::npos) << st->out;
    EXPECT_EQ(s["pids_current"], 1) << st->out;
    EXPECT_GT(s["memory_usage_bytes"].get<int64_t>(), 0);
    // exec joins it (no cgroup namespace here: the full path shows).
    auto ex = Env().Ctvrt({"exec", id, "cat", "/proc/self/cgroup"});
    ASSERT_TRUE(ex.has_value());
    EXPECT_NE(ex->out.find(":memory:/" + parent + "/" + cg + "\n"), std::string::npos)
        << ex->out << ex->err;
    EXPECT_NE(ex->out.find(":pids:/" + parent + "/" + cg + "\n"), std::string::npos) << ex->out;

    auto del = Env().Ctvrt({"delete", "--force", id});
    ASSERT_TRUE(del.has_value());
    EXPECT_EQ(del->status.code, 0) << del->err;
  }
  for (const char* h : {"memory", "pids", "cpu", "cpuacct"}) {
    EXPECT_FALSE(fs::Exists(std::string(kV1) + "/" + h + "/" + parent + "/" + cg)) << h;
    if (std::string(h) != "memory")  // made by ctvrt: removed
      EXPECT_FALSE(fs::Exists(std::string(kV1) + "/" + h + "/" + parent)) << h;
  }
  EXPECT_TRUE(fs::Exists(foreign)) << "delete removed a cgroup it did not create";
  ::rmdir(foreign.c_str());
  testing::ExpectNoLeftovers(Env().StateRoot(), id);
}

// From inside (procinfo): the cgroups the container is in (no cgroup namespace, so the full
// paths show; `runc spec` mounts no cgroupfs, so the limits are read from the host) and the
// CPUs and memory nodes it may use; in the foreground, removed on exit.
TEST(OciResources, CgroupsPathAndCpusetSeenInside) {
  CTV_REQUIRE_ROOT();
  if (!HaveV1("cpuset")) GTEST_SKIP() << "no v1 cpuset hierarchy";
  auto b = testing::RuncSpecBundle(Env(), {"ctv-probe", "procinfo"});
  std::string cg = CgName();
  b->config["linux"]["cgroupsPath"] = "/" + cg;
  b->config["linux"]["resources"]["memory"] = {{"limit", 48 << 20}, {"reservation", 16 << 20}};
  b->config["linux"]["resources"]["cpu"] = {{"cpus", "0"}, {"mems", "0"}};
  b->config["linux"]["namespaces"].erase(5);
  json j = testing::RunProcinfo(Env(), *b);
  ASSERT_TRUE(j.is_object());
  std::string cgroups = j["cgroup"].get<std::string>();
  for (const char* h : {"memory", "cpuset", "pids", "cpu"})
    EXPECT_NE(cgroups.find(std::string(":") + h + ":/" + cg + "\n"), std::string::npos)
        << h << ": " << cgroups;
  EXPECT_EQ(j["cpus_allowed"], "0");
  EXPECT_EQ(j["mems_allowed"], "0");
  EXPECT_FALSE(fs::Exists(std::string(kV1) + "/cpuset/" + cg));
  EXPECT_FALSE(fs::Exists(std::string(kV1) + "/memory/" + cg));
}

// cpu: shares, quota/period, real-time bandwidth (this kernel has CONFIG_RT_GROUP_SCHED: the
// files exist) and cpuset, from the host's files; the cgroup from inside via procinfo.
TEST(OciResources, CpuAtCgroupsPath) {
  CTV_REQUIRE_ROOT();
  if (!HaveV1("cpu") || !HaveV1("cpuset")) GTEST_SKIP() << "no v1 cpu/cpuset hierarchy";
  bool rt = fs::Exists(std::string(kV1) + "/cpu/cpu.rt_runtime_us");
  auto b = testing::RuncSpecBundle(Env(), {"sleep", "30"});
  std::string cg = CgName();
  b->config["linux"]["cgroupsPath"] = "/" + cg;
  b->config["linux"]["resources"]["cpu"] = {
      {"shares", 512}, {"quota", 25000}, {"period", 50000}, {"cpus", "0"}, {"mems", "0"}};
  if (rt) {
    b->config["linux"]["resources"]["cpu"]["realtimePeriod"] = 100000;
    b->config["linux"]["resources"]["cpu"]["realtimeRuntime"] = 1000;
  }
  std::string id = testing::TestId();
  {
    ContainerGuard guard(Env().StateRoot(), id);
    RunDetached(*b, id);
    std::string cpu = std::string(kV1) + "/cpu/" + cg, cpuset = std::string(kV1) + "/cpuset/" + cg;
    EXPECT_EQ(Read(cpu + "/cpu.shares"), "512");
    EXPECT_EQ(Read(cpu + "/cpu.cfs_quota_us"), "25000");
    EXPECT_EQ(Read(cpu + "/cpu.cfs_period_us"), "50000");
    if (rt) {
      EXPECT_EQ(Read(cpu + "/cpu.rt_period_us"), "100000");
      EXPECT_EQ(Read(cpu + "/cpu.rt_runtime_us"), "1000");
    }
    EXPECT_EQ(Read(cpuset + "/cpuset.cpus"), "0");
    EXPECT_EQ(Read(cpuset + "/cpuset.mems"), "0");
    auto ex = Env().Ctvrt({"exec", id, "grep", "Cpus_allowed_list", "/proc/self/status"});
    ASSERT_TRUE(ex.has_value());
    EXPECT_EQ(ex->out, "Cpus_allowed_list:\t0\n") << ex->err;
    auto del = Env().Ctvrt({"delete", "--force", id});
    ASSERT_TRUE(del.has_value());
    EXPECT_EQ(del->status.code, 0) << del->err;
  }
  for (const char* h : {"cpu", "cpuset", "memory", "pids"})
    EXPECT_FALSE(fs::Exists(std::string(kV1) + "/" + h + "/" + cg)) << h;
  testing::ExpectNoLeftovers(Env().StateRoot(), id);
}

// realtimeRuntime below a parent without real-time budget (ctvbench/, which has 0): refused
// naming the field, nothing left behind.
TEST(OciResources, RealtimeBeyondTheParentsBudgetRefusedByName) {
  CTV_REQUIRE_ROOT();
  auto b = testing::RuncSpecBundle(Env(), {"true"});
  b->config["linux"]["resources"]["cpu"] = {{"realtimeRuntime", 1000}};
  ASSERT_TRUE(b->Write().has_value());
  std::string id = testing::TestId();
  ContainerGuard guard(Env().StateRoot(), id);
  testing::TempDir io;
  auto r = Env().CtvrtToFiles({"create", "--bundle", b->Path(), id}, io.Path());
  ASSERT_TRUE(r.has_value());
  EXPECT_NE(r->status.code, 0);
  EXPECT_NE(r->err.find("linux.resources.cpu.realtimeRuntime"), std::string::npos) << r->err;
  testing::ExpectNoLeftovers(Env().StateRoot(), id);
}

// network: net_cls/net_prio where mounted (classid and ifpriomap from the host); this CI host
// mounts neither, and create then refuses naming the field.
TEST(OciResources, NetworkClassIdAndPriorities) {
  CTV_REQUIRE_ROOT();
  for (const char* field : {"classID", "priorities"}) {
    auto b = testing::RuncSpecBundle(Env(), {"sleep", "30"});
    std::string cg = CgName();
    b->config["linux"]["cgroupsPath"] = "/" + cg;
    if (std::string(field) == "classID")
      b->config["linux"]["resources"]["network"] = {{"classID", 0x100001}};
    else
      b->config["linux"]["resources"]["network"] = {
          {"priorities", {{{"name", "lo"}, {"priority", 5}}}}};
    const char* controller = std::string(field) == "classID" ? "net_cls" : "net_prio";
    ASSERT_TRUE(b->Write().has_value());
    std::string id = testing::TestId();
    {
      ContainerGuard guard(Env().StateRoot(), id);
      testing::TempDir io;
      auto r = Env().CtvrtToFiles({"run", "-d", "--bundle", b->Path(), id}, io.Path());
      ASSERT_TRUE(r.has_value());
      std::string dir = std::string(kV1) + "/" + controller + "/" + cg;
      if (HaveV1(controller)) {
        ASSERT_EQ(r->status.code, 0) << r->err;
        if (std::string(field) == "classID")
          EXPECT_EQ(Read(dir + "/net_cls.classid"), "1048577");
        else
          EXPECT_NE(Read(dir + "/net_prio.ifpriomap").find("lo 5"), std::string::npos);
        (void)Env().Ctvrt({"delete", "--force", id});
      } else {
        EXPECT_NE(r->status.code, 0);
        EXPECT_NE(r->err.find(std::string("linux.resources.network.") + field), std::string::npos)
            << r->err;
        EXPECT_NE(r->err.find(controller), std::string::npos) << r->err;
      }
    }
    for (const char* h : {"memory", "pids", "cpu"})
      EXPECT_FALSE(fs::Exists(std::string(kV1) + "/" + h + "/" + cg)) << h;
    testing::ExpectNoLeftovers(Env().StateRoot(), id);
  }
}

}  // namespace
}  // namespace ctv::runtime

namespace ctv::cgroup {
namespace {

// The v2 device filter on this host's kernel: this hybrid host's cgroup2 mount (systemd's
// "unified", no controllers) still runs BPF_CGROUP_DEVICE programs for its members, so the
// verifier accepts the generated program and the kernel enforces it, here as in a v2 guest.
TEST(DeviceBpfHost, FilterEnforcedForAMemberOfTheCgroup) {
  CTV_REQUIRE_ROOT();
  std::string root = "/sys/fs/cgroup/unified";
  if (!fs::Exists(root + "/cgroup.procs")) GTEST_SKIP() << "no cgroup2 mount at " << root;
  std::string dir = root + "/ctvoci" + testing::TestId().substr(4);
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0) << dir;
  // runc spec's deny-all first, then /dev/null rw and /dev/zero read-only.
  std::vector<DeviceRule> rules = {
      {false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "rw"}, {true, 'c', 1, 5, "r"}};
  Status attached = AttachDeviceProgram(dir, BuildDeviceProgram(rules));
  if (!attached) {
    ::rmdir(dir.c_str());
    FAIL() << attached.error().ToString();
  }
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int fd = ::open((dir + "/cgroup.procs").c_str(), O_WRONLY);
    if (fd < 0 || ::write(fd, "0", 1) != 1) ::_exit(100);
    ::close(fd);
    auto opens = [](const char* p, int flags) {
      int f = ::open(p, flags);
      if (f >= 0) ::close(f);
      return f >= 0 ? 0 : errno;
    };
    int bits = 0;
    if (opens("/dev/null", O_RDWR) == 0) bits |= 1;
    if (opens("/dev/zero", O_RDONLY) == 0) bits |= 2;
    if (opens("/dev/zero", O_WRONLY) == EPERM) bits |= 4;  // read-only rule
    if (opens("/dev/full", O_RDONLY) == EPERM) bits |= 8;  // not listed
    ::_exit(bits);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 15) << "1: null rw, 2: zero r, 4: zero w EPERM, 8: full EPERM";
  EXPECT_EQ(::rmdir(dir.c_str()), 0) << dir;
}

}  // namespace
}  // namespace ctv::cgroup
