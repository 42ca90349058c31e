#include "tests/integration/crash_support.h"

#include <dirent.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <sstream>

#include "core/fd.h"
#include "core/fs_tree.h"
#include "runtime/cgroup/manager.h"
#include "runtime/gc.h"
#include "runtime/net/gc.h"
#include "runtime/net/state.h"
#include "runtime/state.h"
#include "tests/test_util.h"

namespace ctv::crash {

CrashEnv::CrashEnv() {
  int pid = ::getpid();
  bridge = fmt::format("ctvc{}", pid % 100000);
  subnet = fmt::format("10.{}.{}.0/24", 112 + (pid / 256) % 16, pid % 256);
  table = fmt::format("ctvcrash{}", pid);
  ::setenv("CTVRT_NET_BRIDGE", bridge.c_str(), 1);
  ::setenv("CTVRT_NET_SUBNET", subnet.c_str(), 1);
  ::setenv("CTVRT_NET_TABLE", table.c_str(), 1);
  runtime = std::make_unique<testing::RuntimeEnv>();
  std::string root = runtime->StateRoot();
  state_dir = root.substr(0, root.rfind('/'));
  ::setenv("CTVRT_NET_ROOT", state_dir.c_str(), 1);
}

CrashEnv::~CrashEnv() {
  if (::geteuid() != 0) return;
  (void)runtime::CollectGarbage(Root(), nullptr, {false});
  (void)net::CollectGarbage(state_dir, nullptr);
}

namespace {
CrashEnv* g_env = nullptr;
class EnvCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    delete g_env;
    g_env = nullptr;
  }
};
const auto* kCleanup = ::testing::AddGlobalTestEnvironment(new EnvCleanup);

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string Sh(const std::string& cmd) {
  auto r = RunCommand({"sh", "-c", cmd}, std::chrono::seconds(60));
  return r ? r->out : "";
}

}  // namespace

CrashEnv& Env() {
  // Once, whichever thread comes first: LaunchesFromManyThreadsOfOneProcess calls it from six
  // threads at once, and an unguarded check made one environment (a temp dir) per thread, of
  // which only the last was ever deleted.
  static std::once_flag once;
  std::call_once(once, [] { g_env = new CrashEnv(); });
  return *g_env;
}

FaultRun RunWithFault(const std::vector<std::string>& argv, const std::string& point,
                      int timeout_s) {
  test::TempDir io;
  std::string cmd = "exec env";
  if (!point.empty())
    cmd += " CTV_FAULT_AT=" + Quote(point) + " CTV_FAULT_LOG=" + Quote(io / "fault");
  for (const std::string& a : argv) cmd += " " + Quote(a);
  cmd += " </dev/null >" + Quote(io / "out") + " 2>" + Quote(io / "err");
  FaultRun r;
  auto res = RunCommand({"sh", "-c", cmd}, std::chrono::seconds(timeout_s));
  if (!res) {
    r.err = res.error().ToString();
    r.status = ExitStatus{false, -1};
    return r;
  }
  r.status = res->status;
  r.out = cgroup::OrEmpty(ReadFile(io / "out"));
  r.err = cgroup::OrEmpty(ReadFile(io / "err"));
  std::istringstream log(cgroup::OrEmpty(ReadFile(io / "fault")));
  for (std::string name, pid; log >> name >> pid;)
    if (name == point) {
      r.fired = true;
      r.fired_pid = std::atoi(pid.c_str());
    }
  return r;
}

std::vector<std::string> ListFaultPoints(const std::string& binary, const std::string& prefix) {
  std::vector<std::string> out;
  auto r = RunCommand({binary, "--list-fault-points"});
  if (!r || !r->status.Success()) return out;
  std::istringstream in(r->out);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(prefix, 0) == 0) out.push_back(line);
  return out;
}

std::vector<std::string> LinesNaming(const std::string& text, const std::string& needle) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.find(needle) != std::string::npos) out.push_back(line);
  return out;
}

std::vector<std::string> ContainerLeftovers(const std::string& id, int port) {
  CrashEnv& env = Env();
  std::vector<std::string> out = testing::Leftovers(env.Root(), id);
  // The CLI, a shim, PID 1: any process naming the id (ours excepted).
  if (DIR* d = ::opendir("/proc")) {
    while (dirent* e = ::readdir(d)) {
      std::string pid = e->d_name;
      if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
      if (std::atoi(pid.c_str()) == ::getpid()) continue;
      std::string cmd = cgroup::OrEmpty(ReadFile("/proc/" + pid + "/cmdline"));
      for (char& c : cmd)
        if (c == '\0') c = ' ';
      if (cmd.find(id) != std::string::npos && cmd.find("sh -c") == std::string::npos)
        out.push_back("process " + pid + ": " + cmd);
    }
    ::closedir(d);
  }
  std::string veth = net::VethName(id);
  // The kernel removes the host end of a dead namespace's veth asynchronously (cleanup_net):
  // give it a moment before calling it a leak.
  std::string link, ports;
  for (int i = 0; i < 30; ++i) {
    link = Sh("ip -o link show " + veth + " 2>/dev/null");
    // Between two cases none of the test's containers runs: any port on its bridge is a leak.
    ports = Sh("ip -o link show master " + env.bridge + " 2>/dev/null");
    if (link.empty() && ports.empty()) break;
    ::usleep(100 * 1000);
  }
  if (!link.empty()) out.push_back("veth " + veth);
  if (!ports.empty()) out.push_back("port on bridge " + env.bridge + ": " + ports);
  std::string net_state = cgroup::OrEmpty(ReadFile(env.state_dir + "/net/state.json"));
  if (net_state.find("\"" + id + "\"") != std::string::npos)
    out.push_back("network endpoint in " + env.state_dir + "/net/state.json");
  if (port > 0) {
    std::string rules = Sh("nft list table ip " + env.table + " 2>/dev/null");
    if (rules.find(std::to_string(port)) != std::string::npos)
      out.push_back("nft rule for port " + std::to_string(port) + " in table " + env.table);
  }
  auto names = fs::ListDir(env.Root());
  if (names)
    for (const std::string& n : *names)
      if (n.rfind("." + id, 0) == 0) out.push_back("temp file " + env.Root() + "/" + n);
  return out;
}

std::string RunBothGcs(const std::string& state_dir) {
  std::string out;
  auto a = RunCommand({test::Bin("ctvrt"), "--root", state_dir + "/containers", "--store",
                       Env().runtime->StoreRoot(), "gc"},
                      std::chrono::seconds(120));
  EXPECT_TRUE(a && a->status.Success()) << (a ? a->err : a.error().ToString());
  if (a) out += a->out + a->err;
  auto b = RunCommand({test::Bin("ctvbench"), "gc", "--state-dir", state_dir},
                      std::chrono::seconds(120));
  EXPECT_TRUE(b && b->status.Success()) << (b ? b->err : b.error().ToString());
  if (b) out += b->out + b->err;
  return out;
}

}  // namespace ctv::crash
