// The runtime-spec fields a `runc spec` bundle (plus edits) carries, checked from inside the
// container with `ctv-probe procinfo` and from the host (cgroup files at linux.cgroupsPath):
// capabilities (all five sets), noNewPrivileges, oomScoreAdj, rlimits, process.user (uid, gid,
// additionalGids, umask) with and without a user namespace, linux.devices and the device cgroup,
// cgroupsPath, create's stdio pass-through, validation, hooks' state. Needs root.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "core/fs_tree.h"
#include "runtime/cgroup/manager.h"
#include "tests/support/runtime_env.h"

namespace ctv::runtime {
namespace {

using nlohmann::json;
using testing::ContainerGuard;
using testing::RuntimeEnv;

RuntimeEnv& Env() { return testing::SharedRuntimeEnv(); }

void ExpectClean(const std::string& id) { testing::ExpectNoLeftovers(Env().StateRoot(), id); }

// A bundle as `runc spec` writes it (rootfs: the test image's busybox layer plus ctv-probe),
// running `args`; tests edit `config` before Write().
using Bundle = testing::TestBundle;

using testing::RuncSpecCaps;

std::unique_ptr<Bundle> MakeBundle(std::vector<std::string> args) {
  return testing::RuncSpecBundle(Env(), std::move(args));
}

Result<CommandOutput> CtvrtToFiles(const std::vector<std::string>& args, const std::string& dir) {
  return Env().CtvrtToFiles(args, dir);
}

uint64_t Hex(const json& v) { return std::stoull(v.get<std::string>(), nullptr, 16); }

json RunProcinfo(Bundle& b, std::string* err = nullptr) {
  return testing::RunProcinfo(Env(), b, err);
}

constexpr uint64_t kRuncCaps = (1ull << 29) | (1ull << 5) | (1ull << 10);  // AUDIT_WRITE...

TEST(OciSpec, CapabilitiesAllFiveSetsIncludingAmbient) {
  CTV_REQUIRE_ROOT();
  auto b = MakeBundle({"ctv-probe", "procinfo"});
  b->config["process"]["capabilities"]["inheritable"] = RuncSpecCaps();
  json j = RunProcinfo(*b);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(Hex(j["caps"]["CapBnd"]), kRuncCaps) << j.dump();
  EXPECT_EQ(Hex(j["caps"]["CapEff"]), kRuncCaps);
  EXPECT_EQ(Hex(j["caps"]["CapPrm"]), kRuncCaps);
  EXPECT_EQ(Hex(j["caps"]["CapInh"]), kRuncCaps);
  EXPECT_EQ(Hex(j["caps"]["CapAmb"]), kRuncCaps);
}

TEST(OciSpec, NonRootUserKeepsAmbientCapabilitiesAndGetsIdsGroupsUmask) {
  CTV_REQUIRE_ROOT();
  auto b = MakeBundle({"ctv-probe", "procinfo"});
  b->config["process"]["capabilities"]["inheritable"] = RuncSpecCaps();
  b->config["process"]["user"] = {
      {"uid", 1000}, {"gid", 1001}, {"additionalGids", {10, 20}}, {"umask", 027}};
  json j = RunProcinfo(*b);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["uid"], 1000) << j.dump();
  EXPECT_EQ(j["euid"], 1000);
  EXPECT_EQ(j["gid"], 1001);
  EXPECT_EQ(j["groups"], json({10, 20}));
  EXPECT_EQ(j["umask"], "0027");
  // A non-root process keeps its capabilities only through the ambient set.
  EXPECT_EQ(Hex(j["caps"]["CapAmb"]), kRuncCaps);
  EXPECT_EQ(Hex(j["caps"]["CapEff"]), kRuncCaps);
}

TEST(OciSpec, NoNewPrivilegesAsGiven) {
  CTV_REQUIRE_ROOT();
  auto b = MakeBundle({"ctv-probe", "procinfo"});
  json on = RunProcinfo(*b);
  ASSERT_TRUE(on.is_object());
  EXPECT_EQ(on["no_new_privs"], 1);
  b->config["process"]["noNewPrivileges"] = false;
  json off = RunProcinfo(*b);
  ASSERT_TRUE(off.is_object());
  EXPECT_EQ(off["no_new_privs"], 0);
}

TEST(OciSpec, OomScoreAdjAndRlimits) {
  CTV_REQUIRE_ROOT();
  auto b = MakeBundle({"ctv-probe", "procinfo"});
  b->config["process"]["oomScoreAdj"] = 321;  // raising needs no CAP_SYS_RESOURCE
  b->config["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"hard", 4096}, {"soft", 777}},
                                     {{"type", "RLIMIT_CORE"}, {"hard", 1234}, {"soft", 12}}};
  json j = RunProcinfo(*b);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["oom_score_adj"], "321") << j.dump();
  EXPECT_EQ(j["rlimits"]["nofile"], json({777, 4096}));
  EXPECT_EQ(j["rlimits"]["core"], json({12, 1234}));
}

// Rootless-style mappings (0 -> 100000, 65536 ids) with a non-root process.user, through
// create/start: PID 1 must not die during create, and the container's stdio is create's.
TEST(OciSpec, UserNamespaceWithProcessUserThroughCreateAndStart) {
  CTV_REQUIRE_ROOT();
  auto b = MakeBundle({"ctv-probe", "procinfo"});
  b->config["process"]["user"] = {{"uid", 1000}, {"gid", 1000}, {"additionalGids", {10}}};
  b->config["process"]["capabilities"]["inheritable"] = RuncSpecCaps();
  b->config["linux"]["namespaces"].push_back({{"type", "user"}});
  b->config["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  b->config["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  ASSERT_TRUE(b->Write().has_value());
  std::string id = testing::TestId();
  ContainerGuard guard(Env().StateRoot(), id);
  testing::TempDir out;
  std::string out_file = out.Path() + "/out";
  // `create >out 2>err`: the container inherits that file as its stdout (runc's pass-through).
  auto c = CtvrtToFiles({"create", "--bundle", b->Path(), id}, out.Path());
  ASSERT_TRUE(c.has_value());
  ASSERT_EQ(c->status.code, 0) << c->err;
  auto st = Env().Ctvrt({"state", id});
  ASSERT_TRUE(st.has_value());
  EXPECT_NE(st->out.find("\"created\""), std::string::npos) << st->out;
  auto s = Env().Ctvrt({"start", id});
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->status.code, 0) << s->err;
  json j;
  for (int i = 0; i < 200; ++i) {
    auto text = ReadFile(out_file);
    if (text && text->find('\n') != std::string::npos) {
      j = json::parse(*text, nullptr, false);
      break;
    }
    ::usleep(20000);
  }
  ASSERT_TRUE(j.is_object()) << "nothing on create's stdout; state: "
                             << Env().Ctvrt({"state", id})->out;
  EXPECT_EQ(j["uid"], 1000) << j.dump();
  EXPECT_EQ(j["groups"], json({10}));
  EXPECT_EQ(Hex(j["caps"]["CapAmb"]), kRuncCaps);
  auto del = Env().Ctvrt({"delete", "--force", id});
  ASSERT_TRUE(del.has_value());
  EXPECT_EQ(del->status.code, 0) << del->err;
  ExpectClean(id);
}

// linux.devices nodes with their numbers, mode and owner, allowed by the device cgroup, which
// denies what is not listed; checked at a custom cgroupsPath from the host.
TEST(OciSpec, DevicesNodesAndDeviceCgroupAtCgroupsPath) {
  CTV_REQUIRE_ROOT();
  auto b = MakeBundle({"sleep", "30"});
  std::string cg = "ctvoci" + testing::TestId().substr(4);
  b->config["linux"]["cgroupsPath"] = "/" + cg;
  b->config["linux"]["devices"] = {{{"path", "/dev/fuse"},
                                    {"type", "c"},
                                    {"major", 10},
                                    {"minor", 229},
                                    {"fileMode", 0640},
                                    {"uid", 12},
                                    {"gid", 34}}};
  b->config["linux"]["resources"]["devices"].push_back(
      {{"allow", false}, {"type", "c"}, {"major", 1}, {"minor", 11}, {"access", "rwm"}});
  b->config["linux"]["resources"]["memory"] = {{"limit", 64 << 20}};
  b->config["linux"]["resources"]["pids"] = {{"limit", 77}};
  // A weight this kernel may have no file for (no CFQ/BFQ here): applied or skipped with a
  // warning, never a failed create.
  b->config["linux"]["resources"]["blockIO"] = {{"weight", 300}};
  ASSERT_TRUE(b->Write().has_value());
  std::string id = testing::TestId();
  ContainerGuard guard(Env().StateRoot(), id);
  testing::TempDir io;
  auto r = CtvrtToFiles({"run", "-d", "--bundle", b->Path(), id}, io.Path());
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->status.code, 0) << r->err;
  std::string devdir = "/sys/fs/cgroup/devices/" + cg;
  std::string memdir = "/sys/fs/cgroup/memory/" + cg;
  std::string pidsdir = "/sys/fs/cgroup/pids/" + cg;
  if (fs::Exists("/sys/fs/cgroup/devices")) {
    auto list = ReadFile(devdir + "/devices.list");
    ASSERT_TRUE(list.has_value()) << devdir;
    EXPECT_NE(list->find("c 10:229 rwm"), std::string::npos) << *list;
    EXPECT_EQ(list->find("a *:* rwm"), std::string::npos) << *list;
    EXPECT_EQ(list->find("c 1:11 "), std::string::npos) << *list;  // denied: not listed
    EXPECT_EQ(cgroup::OrEmpty(ReadFile(memdir + "/memory.limit_in_bytes")), "67108864\n");
    EXPECT_EQ(cgroup::OrEmpty(ReadFile(pidsdir + "/pids.max")), "77\n");
  }
  auto del = Env().Ctvrt({"delete", "--force", id});
  ASSERT_TRUE(del.has_value());
  EXPECT_EQ(del->status.code, 0) << del->err;
  for (const char* h : {"devices", "memory", "pids", "cpu", "cpuacct"})
    EXPECT_FALSE(fs::Exists(std::string("/sys/fs/cgroup/") + h + "/" + cg)) << h;
  ExpectClean(id);
}

TEST(OciSpec, DeviceNodesAsSeenInside) {
  CTV_REQUIRE_ROOT();
  auto b = MakeBundle({"ctv-probe", "procinfo"});
  b->config["linux"]["devices"] = {{{"path", "/dev/fuse"},
                                    {"type", "c"},
                                    {"major", 10},
                                    {"minor", 229},
                                    {"fileMode", 0640},
                                    {"uid", 12},
                                    {"gid", 34}}};
  json j = RunProcinfo(*b);
  ASSERT_TRUE(j.is_object());
  bool found = false;
  for (const json& d : j["devices"])
    if (d["path"] == "/dev/fuse") {
      found = true;
      EXPECT_EQ(d["major"], 10);
      EXPECT_EQ(d["minor"], 229);
      EXPECT_EQ(d["mode"], 0640);
      EXPECT_EQ(d["uid"], 12);
      EXPECT_EQ(d["gid"], 34);
    }
  EXPECT_TRUE(found) << j["devices"].dump();
}

TEST(OciSpec, RelativeCgroupsPathIsBelowOurOwnCgroup) {
  CTV_REQUIRE_ROOT();
  if (!fs::Exists("/sys/fs/cgroup/pids/cgroup.procs")) GTEST_SKIP() << "no v1 pids hierarchy";
  auto b = MakeBundle({"ctv-probe", "procinfo"});
  std::string cg = "ctvoci" + testing::TestId().substr(4);
  b->config["linux"]["cgroupsPath"] = cg;
  b->config["linux"]["resources"]["pids"] = {{"limit", 55}};
  b->config["linux"]["namespaces"].erase(5);  // no cgroup namespace: the full path shows
  json j = RunProcinfo(*b);
  ASSERT_TRUE(j.is_object());
  // Our own pids cgroup, from /proc/self/cgroup, + the relative path.
  std::string self = cgroup::OrEmpty(ReadFile("/proc/self/cgroup"));
  size_t at = self.find(":pids:");
  ASSERT_NE(at, std::string::npos);
  std::string own = self.substr(at + 6, self.find('\n', at) - at - 6);
  std::string want = (own == "/" ? "" : own) + "/" + cg;
  EXPECT_NE(j["cgroup"].get<std::string>().find(":pids:" + want + "\n"), std::string::npos)
      << j["cgroup"] << " want " << want;
}

TEST(OciSpec, RootfsPropagationAndTmpfsAtANewPath) {
  CTV_REQUIRE_ROOT();
  for (const char* prop : {"shared", "slave", "private", "unbindable"}) {
    auto b = MakeBundle({"ctv-probe", "procinfo"});
    b->config["linux"]["rootfsPropagation"] = prop;
    b->config["mounts"].push_back(
        {{"destination", "/new/tmp"},
         {"type", "tmpfs"},
         {"source", "tmpfs"},
         {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}});
    json j = RunProcinfo(*b);
    ASSERT_TRUE(j.is_object()) << prop;
    // A slave of our own private tree has no master left to show: the kernel reports private.
    std::string want = std::string(prop) == "slave" ? "private" : prop;
    EXPECT_EQ(j["root_propagation"], want) << prop;
    EXPECT_TRUE(j["mounts"].contains("/new/tmp")) << j["mounts"].dump();
  }
}

TEST(OciSpec, WithoutMountNamespaceRunsInOurs) {
  CTV_REQUIRE_ROOT();
  auto b = MakeBundle({"/bin/sh", "-c", "test -d /proc/1 && stat -c %i /"});
  b->config["linux"]["namespaces"] = {{{"type", "uts"}}, {{"type", "ipc"}}};
  ASSERT_TRUE(b->Write().has_value());
  std::string id = testing::TestId();
  ContainerGuard guard(Env().StateRoot(), id);
  auto r = Env().Ctvrt({"run", "--bundle", b->Path(), id});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status.code, 0) << r->err;
  struct stat st;
  ASSERT_EQ(::stat("/", &st), 0);
  EXPECT_EQ(r->out, std::to_string(st.st_ino) + "\n");  // the host's root
  ExpectClean(id);
}

TEST(OciSpec, Validation) {
  CTV_REQUIRE_ROOT();
  auto b = MakeBundle({"true"});
  b->config["ociVersion"] = "invalid";
  ASSERT_TRUE(b->Write().has_value());
  std::string id = testing::TestId();
  ContainerGuard guard(Env().StateRoot(), id);
  testing::TempDir io;
  auto r = CtvrtToFiles({"create", "--bundle", b->Path(), id}, io.Path());
  ASSERT_TRUE(r.has_value());
  EXPECT_NE(r->status.code, 0);
  EXPECT_NE(r->err.find("ociVersion"), std::string::npos) << r->err;

  b->config["ociVersion"] = "1.0.2";
  b->config["linux"]["cgroupsPath"] = "system.slice:ctv:x";
  ASSERT_TRUE(b->Write().has_value());
  r = CtvrtToFiles({"create", "--bundle", b->Path(), id}, io.Path());
  ASSERT_TRUE(r.has_value());
  EXPECT_NE(r->status.code, 0);
  EXPECT_NE(r->err.find("linux.cgroupsPath"), std::string::npos) << r->err;

  b->config["linux"].erase("cgroupsPath");
  b->config["linux"]["resources"]["hugepageLimits"] = {{{"pageSize", "2M"}, {"limit", 0}}};
  ASSERT_TRUE(b->Write().has_value());
  r = CtvrtToFiles({"create", "--bundle", b->Path(), id}, io.Path());
  ASSERT_TRUE(r.has_value());
  EXPECT_NE(r->status.code, 0);
  EXPECT_NE(r->err.find("linux.resources.hugepageLimits[0].pageSize"), std::string::npos) << r->err;
  ExpectClean(id);
}

TEST(OciSpec, WithoutProcessCreateAcceptsStartRefuses) {
  CTV_REQUIRE_ROOT();
  auto b = MakeBundle({"true"});
  b->config.erase("process");
  ASSERT_TRUE(b->Write().has_value());
  std::string id = testing::TestId();
  ContainerGuard guard(Env().StateRoot(), id);
  testing::TempDir io;
  auto c = CtvrtToFiles({"create", "--bundle", b->Path(), id}, io.Path());
  ASSERT_TRUE(c.has_value());
  ASSERT_EQ(c->status.code, 0) << c->err;
  auto s = Env().Ctvrt({"start", id});
  ASSERT_TRUE(s.has_value());
  EXPECT_NE(s->status.code, 0);
  EXPECT_NE(s->err.find("no process"), std::string::npos) << s->err;
  auto d = Env().Ctvrt({"delete", "--force", id});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->status.code, 0) << d->err;
  ExpectClean(id);
}

TEST(OciSpec, HookStateCarriesConfigAnnotationsAndStatus) {
  CTV_REQUIRE_ROOT();
  auto b = MakeBundle({"true"});
  testing::TempDir out;
  b->config["annotations"] = {{"org.example.key", "value"}};
  b->config["hooks"] = {
      {"prestart",
       {{{"path", "/bin/sh"}, {"args", {"sh", "-c", "cat > " + out.Path() + "/prestart"}}}}},
      {"poststart",
       {{{"path", "/bin/sh"}, {"args", {"sh", "-c", "cat > " + out.Path() + "/poststart"}}}}}};
  ASSERT_TRUE(b->Write().has_value());
  std::string id = testing::TestId();
  ContainerGuard guard(Env().StateRoot(), id);
  auto r = Env().Ctvrt({"run", "--bundle", b->Path(), id});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status.code, 0) << r->err;
  json pre = json::parse(cgroup::OrEmpty(ReadFile(out.Path() + "/prestart")), nullptr, false);
  json post = json::parse(cgroup::OrEmpty(ReadFile(out.Path() + "/poststart")), nullptr, false);
  ASSERT_TRUE(pre.is_object());
  ASSERT_TRUE(post.is_object());
  EXPECT_EQ(pre["status"], "created");
  EXPECT_EQ(post["status"], "running");
  EXPECT_EQ(pre["annotations"], json({{"org.example.key", "value"}})) << pre.dump();
  EXPECT_EQ(post["annotations"], json({{"org.example.key", "value"}})) << post.dump();
  ExpectClean(id);
}

}  // namespace
}  // namespace ctv::runtime
