// linux.resources of a `runc spec` bundle (plus edits) on this cgroup v1 host, at a
// linux.cgroupsPath: memory (limit, reservation, swap, kernel, swappiness, disableOOMKiller), cpu
// (shares, quota, period, realtime*, cpus, mems), network (classID, priorities) and
// hugepageLimits (on v1 hierarchies this host leaves unmounted, made in a private mount
// namespace: private_cgroup_v1.h), checked from the host's cgroup files at the requested path and
// from inside with `ctv-probe procinfo`; `stats` and `exec` find the cgroup there, and `delete`
// removes what ctvrt made and nothing else; a `cgroup` mount seen from inside. The v2 side of the
// same fields runs in a guest (runtime_cgroup_v2_test.cc). Needs root.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/fs_tree.h"
#include "runtime/cgroup/devices_bpf.h"
#include "runtime/cgroup/manager.h"
#include "tests/support/private_cgroup_v1.h"
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
    if (fs::Exists(mem + "/memory.memsw.limit_in_bytes")) {
      EXPECT_EQ(Read(mem + "/memory.memsw.limit_in_bytes"), std::to_string(96 << 20));
    }
    EXPECT_EQ(Read(mem + "/memory.swappiness"), "10");
    EXPECT_NE(Read(mem + "/memory.oom_control").find("oom_kill_disable 1"), std::string::npos)
        << Read(mem + "/memory.oom_control");
    // kernel: applied where the kernel still takes it, else a warning naming the field (runc
    // ignores it); never a failed create.
    std::string kmem = Read(mem + "/memory.kmem.limit_in_bytes");
    if (kmem != std::to_string(16 << 20)) {
      EXPECT_NE(run.err.find("linux.resources.memory.kernel"), std::string::npos)
          << "kmem " << kmem << ", stderr: " << run.err;
    }

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
    if (std::string(h) != "memory") {  // made by ctvrt: removed
      EXPECT_FALSE(fs::Exists(std::string(kV1) + "/" + h + "/" + parent)) << h;
    }
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

// network and hugepageLimits on the host's own hierarchies: net_cls/net_prio/hugetlb where
// mounted (classid, ifpriomap, the limit from the host); this CI host mounts none of them, and
// create then refuses naming the field and the controller (NetworkAndHugetlbOnPrivateV1Hierarchies
// applies them on hierarchies of its own).
TEST(OciResources, NetworkClassIdAndPriorities) {
  CTV_REQUIRE_ROOT();
  for (const char* field : {"classID", "priorities", "hugepageLimits"}) {
    auto b = testing::RuncSpecBundle(Env(), {"sleep", "30"});
    std::string cg = CgName();
    b->config["linux"]["cgroupsPath"] = "/" + cg;
    const std::string f = field;
    if (f == "classID")
      b->config["linux"]["resources"]["network"] = {{"classID", 0x100001}};
    else if (f == "priorities")
      b->config["linux"]["resources"]["network"] = {
          {"priorities", {{{"name", "lo"}, {"priority", 5}}}}};
    else
      b->config["linux"]["resources"]["hugepageLimits"] = {
          {{"pageSize", "2MB"}, {"limit", 4 << 20}}};
    const char* controller = f == "classID" ? "net_cls" : f == "priorities" ? "net_prio" : "hugetlb";
    const std::string prefix = f == "hugepageLimits" ? "linux.resources." : "linux.resources.network.";
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
        if (f == "classID")
          EXPECT_EQ(Read(dir + "/net_cls.classid"), "1048577");
        else if (f == "priorities")
          EXPECT_NE(Read(dir + "/net_prio.ifpriomap").find("lo 5"), std::string::npos);
        else
          EXPECT_EQ(Read(dir + "/hugetlb.2MB.limit_in_bytes"), std::to_string(4 << 20));
        (void)Env().Ctvrt({"delete", "--force", id});
      } else {
        EXPECT_NE(r->status.code, 0);
        EXPECT_NE(r->err.find(prefix + f), std::string::npos) << r->err;
        EXPECT_NE(r->err.find(controller), std::string::npos) << r->err;
      }
    }
    for (const char* h : {"memory", "pids", "cpu"})
      EXPECT_FALSE(fs::Exists(std::string(kV1) + "/" + h + "/" + cg)) << h;
    testing::ExpectNoLeftovers(Env().StateRoot(), id);
  }
}

// `ctvrt ARGS` inside the private namespace `ns`, stdio to files in `dir` (create and run -d
// pass their stdio to the container, as runc does).
Result<CommandOutput> CtvrtIn(const testing::PrivateCgroupV1& ns,
                              const std::vector<std::string>& args, const std::string& dir) {
  std::string cmd;
  for (const std::string& a : ns.In(Env().CtvrtArgv(args))) cmd += "'" + a + "' ";
  auto r = RunCommand({"sh", "-c", cmd + "</dev/null >" + dir + "/out 2>" + dir + "/err"},
                      std::chrono::seconds(60));
  if (!r) return r;
  r->out = cgroup::OrEmpty(ReadFile(dir + "/out"));
  r->err = cgroup::OrEmpty(ReadFile(dir + "/err"));
  return r;
}

// network (net_cls and net_prio co-mounted, as Debian and systemd mount them) and hugepageLimits
// on v1 hierarchies this host leaves unmounted, made for this test in a private mount namespace:
// plain `ctvrt run -d` of a bundle in it writes net_cls.classid, net_prio.ifpriomap and
// hugetlb.<size>.limit_in_bytes (+ .rsvd.) at the cgroupsPath, read from the host side of the
// namespace, with PID 1 inside those cgroups; a page size the kernel lacks is refused naming it;
// `delete` removes what ctvrt made; and with the namespace gone the kernel destroyed the
// hierarchies (/proc/cgroups: hierarchy 0 again), so nothing of them outlives the test.
TEST(OciResources, NetworkAndHugetlbOnPrivateV1Hierarchies) {
  CTV_REQUIRE_ROOT();
  for (const char* c : {"net_cls", "net_prio", "hugetlb"})
    if (!testing::PrivateCgroupV1::KernelHas(c))
      GTEST_SKIP() << "the kernel has no " << c << " controller (/proc/cgroups)";
  if (HaveV1("net_cls") || HaveV1("net_prio") || HaveV1("hugetlb"))
    GTEST_SKIP() << "the host mounts net_cls/net_prio/hugetlb itself: "
                    "NetworkClassIdAndPriorities applies them there";
  std::vector<std::string> sizes = cgroup::HugePageSizes();
  if (sizes.empty()) GTEST_SKIP() << "no huge page size in /sys/kernel/mm/hugepages";
  const std::string size = sizes[0];
  std::string missing = "1GB";
  for (const std::string& s : sizes)
    if (s == missing) missing = "16GB";

  std::string id = testing::TestId(), cg = CgName(), cg2 = CgName();
  {
    testing::PrivateCgroupV1 ns({"net_cls,net_prio", "hugetlb"});
    ASSERT_EQ(ns.Error(), "");
    const std::string net = "/sys/fs/cgroup/net_cls,net_prio/", huge = "/sys/fs/cgroup/hugetlb/";
    for (const std::string& c : {cg, cg2}) {
      ns.Own(net + c);
      ns.Own(huge + c);
    }
    // The guard kills the container (through the host's pids hierarchy) before `ns` goes.
    ContainerGuard guard(Env().StateRoot(), id);
    auto b = testing::RuncSpecBundle(Env(), {"sleep", "30"});
    b->config["linux"]["cgroupsPath"] = "/" + cg;
    b->config["linux"]["resources"]["network"] = {
        {"classID", 0x100001}, {"priorities", {{{"name", "lo"}, {"priority", 5}}}}};
    b->config["linux"]["resources"]["hugepageLimits"] = {
        {{"pageSize", size}, {"limit", 4 << 20}}};
    ASSERT_TRUE(b->Write().has_value());
    testing::TempDir io;
    auto r = CtvrtIn(ns, {"run", "-d", "--bundle", b->Path(), id}, io.Path());
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->status.code, 0) << r->err;
    EXPECT_EQ(Read(ns.Path(net + cg + "/net_cls.classid")), "1048577");
    EXPECT_NE(Read(ns.Path(net + cg + "/net_prio.ifpriomap")).find("lo 5"), std::string::npos)
        << Read(ns.Path(net + cg + "/net_prio.ifpriomap"));
    std::string limit = ns.Path(huge + cg + "/hugetlb." + size + ".limit_in_bytes");
    EXPECT_EQ(Read(limit), std::to_string(4 << 20)) << limit;
    std::string rsvd = ns.Path(huge + cg + "/hugetlb." + size + ".rsvd.limit_in_bytes");
    if (fs::Exists(rsvd)) {
      EXPECT_EQ(Read(rsvd), std::to_string(4 << 20));
    }
    // PID 1 is in them (its /proc/PID/cgroup, read from the host, names every hierarchy).
    auto st = Env().Ctvrt({"state", id});
    ASSERT_TRUE(st.has_value());
    json state = json::parse(st->out, nullptr, false);
    ASSERT_TRUE(state.is_object()) << st->out << st->err;
    std::string pid_cgroups = Read("/proc/" + std::to_string(state["pid"].get<int>()) + "/cgroup");
    EXPECT_NE(pid_cgroups.find(":net_cls,net_prio:/" + cg + "\n"), std::string::npos)
        << pid_cgroups;
    EXPECT_NE(pid_cgroups.find(":hugetlb:/" + cg + "\n"), std::string::npos) << pid_cgroups;
    auto del = CtvrtIn(ns, {"delete", "--force", id}, io.Path());
    ASSERT_TRUE(del.has_value());
    EXPECT_EQ(del->status.code, 0) << del->err;
    EXPECT_FALSE(fs::Exists(ns.Path(net + cg)));
    EXPECT_FALSE(fs::Exists(ns.Path(huge + cg)));

    // A page size this kernel has no files for: refused naming the field and the value.
    b->config["linux"]["cgroupsPath"] = "/" + cg2;
    b->config["linux"]["resources"].erase("network");
    b->config["linux"]["resources"]["hugepageLimits"] = {{{"pageSize", missing}, {"limit", 0}}};
    ASSERT_TRUE(b->Write().has_value());
    std::string id2 = testing::TestId();
    ContainerGuard guard2(Env().StateRoot(), id2);
    auto refused = CtvrtIn(ns, {"create", "--bundle", b->Path(), id2}, io.Path());
    ASSERT_TRUE(refused.has_value());
    EXPECT_NE(refused->status.code, 0);
    EXPECT_NE(refused->err.find("linux.resources.hugepageLimits[0].pageSize: `" + missing + "`"),
              std::string::npos)
        << refused->err;
    EXPECT_FALSE(fs::Exists(ns.Path(huge + cg2)));
    testing::ExpectNoLeftovers(Env().StateRoot(), id2);
  }
  EXPECT_TRUE(testing::PrivateCgroupV1::Unmounted({"net_cls", "net_prio", "hugetlb"}))
      << "a hierarchy made for the test outlived it:\n"
      << Read("/proc/cgroups");
  for (const char* h : {"memory", "pids", "cpu"})
    EXPECT_FALSE(fs::Exists(std::string(kV1) + "/" + h + "/" + cg)) << h;
  testing::ExpectNoLeftovers(Env().StateRoot(), id);
}

// A `cgroup` mount as `runc spec` writes it (read-only), with a cgroup namespace: the container
// sees its own cgroup as the root of each hierarchy it is in, reads its memory limit at
// /sys/fs/cgroup/memory, cannot write it, and sees no other cgroup; hierarchies it has no cgroup
// in are left out and the hybrid host's cgroup2 one is read-only. Read-write: it lowers its own
// limit, read back from the host while it runs.
TEST(OciResources, CgroupMountShowsTheContainersOwnCgroups) {
  CTV_REQUIRE_ROOT();
  if (!HaveV1("memory")) GTEST_SKIP() << "no v1 memory hierarchy";
  const json mount = {{"destination", "/sys/fs/cgroup"},
                      {"type", "cgroup"},
                      {"source", "cgroup"},
                      {"options", {"nosuid", "noexec", "nodev", "relatime", "ro"}}};
  auto b = testing::RuncSpecBundle(
      Env(), {"sh", "-c",
              "cat /sys/fs/cgroup/memory/memory.limit_in_bytes; "
              "echo 1 > /sys/fs/cgroup/memory/memory.limit_in_bytes; echo write=$?; "
              "cat /sys/fs/cgroup/memory/memory.limit_in_bytes; "
              "ls /sys/fs/cgroup | tr '\n' ' '; echo; grep :memory: /proc/self/cgroup; "
              "echo dirs=$(ls -d /sys/fs/cgroup/memory/*/ 2>/dev/null | wc -l); "
              "mkdir /sys/fs/cgroup/unified/x; echo unified=$?"});
  std::string cg = CgName();
  b->config["linux"]["cgroupsPath"] = "/" + cg;
  b->config["linux"]["resources"]["memory"] = {{"limit", 48 << 20}};
  b->config["mounts"].push_back(mount);
  ASSERT_TRUE(b->Write().has_value());
  std::string id = testing::TestId();
  {
    ContainerGuard guard(Env().StateRoot(), id);
    auto r = Env().Ctvrt({"run", "--bundle", b->Path(), id});
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status.code, 0) << r->err;
    std::string limit = std::to_string(48 << 20);
    EXPECT_EQ(r->out.rfind(limit + "\nwrite=1\n" + limit + "\n", 0), 0u) << r->out << r->err;
    EXPECT_NE(r->err.find("Read-only file system"), std::string::npos) << r->err;
    // Only the hierarchies it joined (memory, cpu, cpuacct, pids; devices for runc spec's device
    // rules) and hybrid's unified; not freezer, blkio or cpuset (no limit there).
    std::istringstream listed(r->out.substr(r->out.find('\n', r->out.find("write=")) + 1));
    std::string line;
    std::getline(listed, line);  // the limit again
    std::getline(listed, line);
    for (const char* h : {"memory", "cpu", "cpuacct", "pids", "devices"})
      EXPECT_NE((" " + line).find(std::string(" ") + h + " "), std::string::npos)
          << h << ": " << line;
    for (const char* h : {"freezer", "blkio", "cpuset"})
      EXPECT_EQ((" " + line).find(std::string(" ") + h + " "), std::string::npos)
          << h << ": " << line;
    EXPECT_NE(r->out.find(":memory:/\n"), std::string::npos) << r->out;
    EXPECT_NE(r->out.find("dirs=0\n"), std::string::npos) << r->out;
    if (fs::Exists("/sys/fs/cgroup/unified/cgroup.procs")) {
      EXPECT_NE(r->out.find("unified=1\n"), std::string::npos) << r->out << r->err;
    }
  }
  EXPECT_FALSE(fs::Exists(std::string(kV1) + "/memory/" + cg));
  testing::ExpectNoLeftovers(Env().StateRoot(), id);

  // Read-write (no "ro"): the container lowers its own limit; the host reads it at the path.
  b->config["mounts"].back()["options"] = {"nosuid", "noexec", "nodev"};
  b->config["process"]["args"] = {
      "sh", "-c", "echo 33554432 > /sys/fs/cgroup/memory/memory.limit_in_bytes; sleep 30"};
  std::string id2 = testing::TestId();
  {
    ContainerGuard guard(Env().StateRoot(), id2);
    RunDetached(*b, id2);
    std::string file = std::string(kV1) + "/memory/" + cg + "/memory.limit_in_bytes";
    for (int i = 0; i < 100 && Read(file) != "33554432"; ++i) ::usleep(50 * 1000);
    EXPECT_EQ(Read(file), "33554432");
    auto del = Env().Ctvrt({"delete", "--force", id2});
    ASSERT_TRUE(del.has_value());
    EXPECT_EQ(del->status.code, 0) << del->err;
  }
  EXPECT_FALSE(fs::Exists(std::string(kV1) + "/memory/" + cg));
  testing::ExpectNoLeftovers(Env().StateRoot(), id2);
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
