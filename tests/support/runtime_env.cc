#include "tests/support/runtime_env.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mutex>
#include <random>

#include "core/fd.h"
#include "core/fs_tree.h"
#include "runtime/cgroup/manager.h"
#include "runtime/gc.h"
#include "runtime/image/images.h"
#include "runtime/launch.h"

namespace ctv::testing {

using nlohmann::json;

std::string MissingCapability() {
  if (::geteuid() != 0) return "needs root (namespaces, overlay mounts, cgroups)";
  auto fs = ReadFile("/proc/filesystems");
  if (!fs || fs->find("overlay") == std::string::npos) return "overlayfs not available";
  if (ProbePath().empty()) return "ctv-probe is not built next to the test binary";
  return "";
}

RuntimeEnv::RuntimeEnv() {
  state_root_ = dir_.Path() + "/containers";
  store_root_ = dir_.Path() + "/store";
  image_ = dir_.Path() + "/image";
  // mkdtemp makes 0700: a user-namespaced container (unprivileged host uid) must traverse it.
  ::chmod(dir_.Path().c_str(), 0755);
  (void)BuildBusyboxImage(image_, ProbePath());
}

RuntimeEnv::~RuntimeEnv() {
  // Only our state root: other test binaries may be launching containers right now.
  if (::geteuid() == 0) (void)runtime::CollectGarbage(state_root_, nullptr, {false});
}

Result<std::vector<std::string>> RuntimeEnv::Layers() {
  image::LayerStore store(store_root_);
  auto p = CTV_TRY(image::PrepareImage(store, image_));
  return p.layer_dirs;  // (no init layer: the tests also cover creating mount points in upper)
}

Result<runtime::ContainerSpec> RuntimeEnv::Spec(std::vector<std::string> args) {
  runtime::ContainerSpec s;
  s.id = TestId();
  s.hostname = s.id;
  s.namespaces = ns::DefaultFlags();
  s.lower_dirs = CTV_TRY(Layers());
  s.process.args = std::move(args);
  s.process.env = {"PATH=/usr/local/bin:/bin"};
  return s;
}

std::vector<std::string> RuntimeEnv::CtvrtArgv(std::vector<std::string> args) const {
  std::vector<std::string> argv = {SelfDir() + "/ctvrt", "--root", state_root_, "--store",
                                   store_root_};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

Result<CommandOutput> RuntimeEnv::CtvrtToFiles(std::vector<std::string> args,
                                               const std::string& dir) {
  std::string cmd;
  for (const std::string& a : CtvrtArgv(std::move(args))) cmd += "'" + a + "' ";
  auto r = RunCommand({"sh", "-c", cmd + "</dev/null >" + dir + "/out 2>" + dir + "/err"});
  if (!r) return r;
  r->out = cgroup::OrEmpty(ReadFile(dir + "/out"));
  r->err = cgroup::OrEmpty(ReadFile(dir + "/err"));
  return r;
}

Result<CommandOutput> RuntimeEnv::Ctvrt(std::vector<std::string> args, int timeout_s) {
  return RunCommand(CtvrtArgv(std::move(args)), std::chrono::seconds(timeout_s));
}

ContainerGuard::~ContainerGuard() {
  if (fs::Exists(runtime::StateDir(root_, id_)))
    (void)runtime::DeleteContainer(root_, id_, /*force=*/true);
  // Also when the state dir never existed or was half-written: the cgroups by name.
  if (auto m = runtime::HostCgroupMounts()) {
    if (auto mgr = cgroup::NewManager(**m, id_)) (void)(*mgr)->Destroy();
  }
}

void ExpectNoLeftovers(const std::string& state_root, const std::string& id) {
  for (auto& l : Leftovers(state_root, id)) ADD_FAILURE() << id << " left behind: " << l;
}

std::vector<std::string> Leftovers(const std::string& state_root, const std::string& id,
                                   pid_t pid) {
  std::vector<std::string> out;
  if (fs::Exists(runtime::StateDir(state_root, id)))
    out.push_back("state dir " + runtime::StateDir(state_root, id));
  if (auto m = runtime::HostCgroupMounts()) {
    if (auto mgr = cgroup::NewManager(**m, id))
      for (const std::string& d : (*mgr)->Paths())
        if (fs::Exists(d)) out.push_back("cgroup " + d);
  }
  std::string mi = cgroup::OrEmpty(ReadFile("/proc/self/mountinfo"));
  if (mi.find(state_root) != std::string::npos) out.push_back("mount under " + state_root);
  if (pid > 0 && ::kill(pid, 0) == 0) {
    auto stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
    if (stat && stat->find(") Z") == std::string::npos)
      out.push_back("process " + std::to_string(pid));
  }
  // Any process whose cgroup names this container.
  auto ps = RunCommand(
      {"sh", "-c", "grep -l 'ctvbench/" + id + "' /proc/[0-9]*/cgroup 2>/dev/null || true"});
  if (ps && !ps->out.empty()) out.push_back("processes in its cgroup: " + ps->out);
  return out;
}

std::string TestId() {
  std::random_device rd;
  static const char* kHex = "0123456789abcdef";
  std::string id = "ctvt";
  for (int i = 0; i < 10; ++i) id += kHex[rd() % 16];
  return id;
}

namespace {
RuntimeEnv* g_shared_env = nullptr;
class SharedEnvCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    delete g_shared_env;
    g_shared_env = nullptr;
  }
};
// Registered before main (as gtest requires); deleting a never-built env is a no-op.
const auto* kSharedEnvCleanup = ::testing::AddGlobalTestEnvironment(new SharedEnvCleanup);
}  // namespace

RuntimeEnv& SharedRuntimeEnv() {
  // Once, whichever thread comes first (an unguarded check made one per thread, leaking all but
  // the last).
  static std::once_flag once;
  std::call_once(once, [] { g_shared_env = new RuntimeEnv(); });
  return *g_shared_env;
}

nlohmann::json RuncSpecCaps() {
  return json::array({"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"});
}

std::unique_ptr<TestBundle> RuncSpecBundle(RuntimeEnv& env, std::vector<std::string> args) {
  auto b = std::make_unique<TestBundle>();
  auto layers = env.Layers();
  EXPECT_TRUE(layers.has_value());
  if (!layers) return b;
  std::string rootfs = b->Path() + "/rootfs";
  EXPECT_TRUE(RunCommand({"cp", "-a", (*layers)[0], rootfs})->status.Success());
  ::mkdir((rootfs + "/usr/local").c_str(), 0755);
  ::mkdir((rootfs + "/usr/local/bin").c_str(), 0755);
  EXPECT_TRUE(
      RunCommand({"cp", ProbePath(), rootfs + "/usr/local/bin/ctv-probe"})->status.Success());
  ::chmod(b->Path().c_str(), 0755);
  for (const char* d : {"/proc", "/dev", "/sys"}) ::mkdir((rootfs + d).c_str(), 0755);
  nlohmann::json caps = RuncSpecCaps();
  b->config = {
      {"ociVersion", "1.0.2-dev"},
      {"process",
       {{"terminal", false},
        {"user", {{"uid", 0}, {"gid", 0}}},
        {"args", args},
        {"env", {"PATH=/usr/local/bin:/bin:/usr/bin", "TERM=xterm"}},
        {"cwd", "/"},
        {"capabilities",
         {{"bounding", caps}, {"effective", caps}, {"permitted", caps}, {"ambient", caps}}},
        {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}},
        {"noNewPrivileges", true}}},
      {"root", {{"path", "rootfs"}, {"readonly", true}}},
      {"hostname", "runc"},
      {"mounts",
       {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
        {{"destination", "/dev"},
         {"type", "tmpfs"},
         {"source", "tmpfs"},
         {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
        {{"destination", "/sys"},
         {"type", "sysfs"},
         {"source", "sysfs"},
         {"options", {"nosuid", "noexec", "nodev", "ro"}}}}},
      {"linux",
       {{"resources", {{"devices", {{{"allow", false}, {"access", "rwm"}}}}}},
        {"namespaces",
         {{{"type", "pid"}},
          {{"type", "network"}},
          {{"type", "ipc"}},
          {{"type", "uts"}},
          {{"type", "mount"}},
          {{"type", "cgroup"}}}},
        {"maskedPaths", {"/proc/kcore"}},
        {"readonlyPaths", {"/proc/sys"}}}}};
  return b;
}

// Runs the bundle in the foreground and parses procinfo's JSON.
nlohmann::json RunProcinfo(RuntimeEnv& env, TestBundle& b, std::string* err) {
  EXPECT_TRUE(b.Write().has_value());
  std::string id = TestId();
  ContainerGuard guard(env.StateRoot(), id);
  auto r = env.Ctvrt({"run", "--bundle", b.Path(), id});
  EXPECT_TRUE(r.has_value());
  if (!r) return nlohmann::json();
  if (err) *err = r->err;
  EXPECT_EQ(r->status.code, 0) << r->err;
  nlohmann::json j = nlohmann::json::parse(r->out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r->out << r->err;
  return j;
}

}  // namespace ctv::testing
