// `ctvrt run` with container networking (issue 4) on real containers: bridge addresses, only lo +
// eth0 inside, port mappings served on 127.0.0.1, port conflicts refused before the container
// starts, nothing left after rm (no veth, no nft rule, no table), 20 concurrent containers.
//
// Every ctvrt this process starts uses a bridge, subnet, nft table and net state dir of its own
// (CTVRT_NET_* in the environment), so a real run's ctv0/ctvbench is never touched and the tests
// stay independent under `ctest -j`. Every container is deleted by a guard, also on failure; the
// environment's teardown detaches whatever is left and checks the table and bridge are gone.
// Traffic goes only to 127.0.0.1 and to this test's own bridge subnet.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "core/fs_tree.h"
#include "core/line_reader.h"
#include "core/process.h"
#include "runtime/gc.h"
#include "runtime/lifecycle.h"
#include "runtime/net/gc.h"
#include "runtime/net/network.h"
#include "runtime/state.h"
#include "tests/support/runtime_env.h"
#include "tests/test_util.h"

namespace ctv::runtime {
namespace {

using testing::ContainerGuard;
using testing::RuntimeEnv;

const std::string kBridge = fmt::format("ctvw{}", ::getpid() % 100000);
const std::string kSubnet =
    fmt::format("10.{}.{}.0/24", 96 + (::getpid() / 256) % 16, ::getpid() % 256);
const std::string kTable = fmt::format("ctvwire{}", ::getpid());

struct NetEnv {
  NetEnv() {
    ::setenv("CTVRT_NET_BRIDGE", kBridge.c_str(), 1);
    ::setenv("CTVRT_NET_SUBNET", kSubnet.c_str(), 1);
    ::setenv("CTVRT_NET_TABLE", kTable.c_str(), 1);
    runtime = std::make_unique<RuntimeEnv>();
    // Net state next to the containers dir: `ctvbench gc --state-dir <this>` sees both.
    std::string root = runtime->StateRoot();
    state_dir = root.substr(0, root.rfind('/'));
    ::setenv("CTVRT_NET_ROOT", state_dir.c_str(), 1);
  }
  ~NetEnv() {
    // Containers first (their gc detaches their networks), then whatever a failure left.
    if (::geteuid() == 0) {
      (void)runtime::CollectGarbage(runtime->StateRoot(), nullptr, {false});
      (void)net::CollectGarbage(state_dir, nullptr);
    }
  }
  std::string state_dir;
  std::unique_ptr<RuntimeEnv> runtime;
};

NetEnv& Env() {
  static NetEnv* env = new NetEnv();
  return *env;
}
class EnvCleanup : public ::testing::Environment {
 public:
  void TearDown() override { delete &Env(); }
};
const auto* kCleanup = ::testing::AddGlobalTestEnvironment(new EnvCleanup);

const std::string& Image() { return Env().runtime->Image(); }
const std::string& Root() { return Env().runtime->StateRoot(); }
Result<CommandOutput> Ctvrt(std::vector<std::string> args) {
  return Env().runtime->Ctvrt(std::move(args));
}

void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

std::string Sh(const std::string& cmd) {
  auto r = RunCommand({"/bin/sh", "-c", cmd}, std::chrono::seconds(30));
  return r ? r->out : "";
}
bool TableExists() {
  auto r = RunCommand({"nft", "list", "table", "ip", kTable});
  return r && r->status.Success();
}
bool LinkExists(const std::string& name) {
  return !name.empty() && RunCommand({"ip", "link", "show", "dev", name})->status.Success();
}
// A removed container's veth pair is deleted by the kernel with its network namespace, from a
// workqueue (net::VethTeardown::kWithNamespace): gone within moments, not at once.
bool VethGoneSoon(const std::string& name) {
  for (int i = 0; i < 250 && LinkExists(name); ++i) ::usleep(20 * 1000);
  return !LinkExists(name);
}
std::string Annotation(const std::string& id, const std::string& key) {
  auto st = LoadState(Root(), id);
  if (!st) return "";
  auto it = st->annotations.find(key);
  return it == st->annotations.end() ? "" : it->second;
}

// After the last container left: the bridge and its table stay set up for the next one
// (NetworkConfig::keep_idle) with no rule naming a container; the gc removes both.
void ExpectIdleBridgeThenCollected(const std::string& rules_must_lack) {
  EXPECT_TRUE(LinkExists(kBridge)) << "the idle bridge is kept for the next container";
  EXPECT_TRUE(TableExists());
  std::string rules = Sh("nft list table ip " + kTable + " 2>/dev/null");
  EXPECT_EQ(rules.find(rules_must_lack), std::string::npos) << rules;
  EXPECT_NE(rules.find("masquerade"), std::string::npos) << rules;
  std::vector<std::string> removed;
  EXPECT_TRUE(net::CollectGarbage(Env().state_dir, &removed).has_value());
  EXPECT_FALSE(TableExists());
  EXPECT_FALSE(LinkExists(kBridge));
}

// Starts a detached container named `id` (guarded by the caller).
::testing::AssertionResult RunDetached(const std::string& id, std::vector<std::string> extra,
                                       std::vector<std::string> cmd) {
  std::vector<std::string> args = {"run", "-d", "--name", id};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(Image());
  args.insert(args.end(), cmd.begin(), cmd.end());
  auto r = Ctvrt(args);
  if (!r) return ::testing::AssertionFailure() << r.error().ToString();
  if (!r->status.Success()) return ::testing::AssertionFailure() << "ctvrt run: " << r->err;
  return ::testing::AssertionSuccess();
}

// Polls the container's log for the probe's ready marker / output (~10 s).
std::string WaitLog(const std::string& id, const std::string& needle) {
  std::string log;
  for (int i = 0; i < 1000; ++i) {
    auto r = ReadFile(StateDir(Root(), id) + "/log");
    log = r ? *r : "";
    if (log.find(needle) != std::string::npos) return log;
    SleepMs(10);
  }
  return log;
}

std::string Curl(const std::string& url) {
  auto r = RunCommand({"curl", "-sS", "--max-time", "10", url}, std::chrono::seconds(20));
  return r && r->status.Success() ? r->out : "curl failed: " + (r ? r->err : r.error().ToString());
}

#define CTV_REQUIRE_NET()                                                            \
  do {                                                                               \
    CTV_REQUIRE_ROOT();                                                              \
    if (!RunCommand({"nft", "--version"})) GTEST_SKIP() << "nft is not installed";   \
    if (!RunCommand({"curl", "--version"})) GTEST_SKIP() << "curl is not installed"; \
  } while (0)

TEST(Netwire, TwoContainersOwnAddressesAndOnlyLoAndEth0) {
  CTV_REQUIRE_NET();
  std::string a = testing::TestId(), b = testing::TestId();
  ContainerGuard ga(Root(), a), gb(Root(), b);
  for (const std::string& id : {a, b})
    ASSERT_TRUE(RunDetached(id, {}, {"sh", "-c", "ctv-probe hostinfo; exec sleep 600"}));
  std::string ip_a = Annotation(a, kNetAnnotationAddress),
              ip_b = Annotation(b, kNetAnnotationAddress);
  EXPECT_FALSE(ip_a.empty());
  EXPECT_FALSE(ip_b.empty());
  EXPECT_NE(ip_a, ip_b);
  for (const std::string& id : {a, b}) {
    std::string log = WaitLog(id, "interfaces");
    auto j = nlohmann::json::parse(log.substr(0, log.find('\n')), nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << log;
    std::set<std::string> ifs;
    for (auto& i : j["interfaces"]) ifs.insert(i.get<std::string>());
    EXPECT_EQ(ifs, (std::set<std::string>{"lo", "eth0"})) << log;
  }
  // --net none: loopback only, no address.
  std::string c = testing::TestId();
  ContainerGuard gc(Root(), c);
  ASSERT_TRUE(
      RunDetached(c, {"--net", "none"}, {"sh", "-c", "ctv-probe hostinfo; exec sleep 600"}));
  std::string log = WaitLog(c, "interfaces");
  EXPECT_NE(log.find("\"interfaces\":[\"lo\"]"), std::string::npos) << log;
  EXPECT_EQ(Annotation(c, kNetAnnotationAddress), "");
}

TEST(Netwire, PublishedPortServesAndConflictFailsCleanly) {
  CTV_REQUIRE_NET();
  std::string a = testing::TestId(), b = testing::TestId();
  ContainerGuard ga(Root(), a), gb(Root(), b);
  ASSERT_TRUE(RunDetached(a, {"-p", "18080:80"},
                          {"ctv-probe", "http", "--port", "80", "--timeout", "600"}));
  EXPECT_NE(WaitLog(a, "CTV-READY").find("CTV-READY"), std::string::npos);
  std::string body = Curl("http://127.0.0.1:18080/");
  EXPECT_EQ(body.find("curl failed"), std::string::npos) << body;
  // Also straight to the container's bridge address.
  std::string ip = Annotation(a, kNetAnnotationAddress);
  EXPECT_EQ(Curl("http://" + ip + ":80/").find("curl failed"), std::string::npos);

  auto r = Ctvrt(
      {"run", "-d", "--name", b, "-p", "18080:80", Image(), "ctv-probe", "http", "--port", "80"});
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->status.Success());
  EXPECT_NE(r->err.find("18080"), std::string::npos) << r->err;
  EXPECT_NE(r->err.find(a), std::string::npos) << "names the holder: " << r->err;
  EXPECT_EQ(std::count(r->err.begin(), r->err.end(), '\n'), 1) << "one line: " << r->err;
  // Nothing of the refused container remains; the first keeps serving.
  EXPECT_FALSE(fs::Exists(StateDir(Root(), b)));
  for (auto& l : testing::Leftovers(Root(), b)) ADD_FAILURE() << b << " left: " << l;
  EXPECT_TRUE(VethGoneSoon(net::VethName(b)));
  EXPECT_EQ(Curl("http://127.0.0.1:18080/").find("curl failed"), std::string::npos);

  // Bad -p: usage error naming the flag and the form.
  auto bad = Ctvrt({"run", "-p", "80", Image(), "true"});
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->status.code, 2);
  EXPECT_NE(bad->err.find("-p"), std::string::npos) << bad->err;
  EXPECT_NE(bad->err.find("HOSTPORT:CTPORT"), std::string::npos) << bad->err;

  // rm -f: no veth, no rule naming the port or the address; the idle bridge and table stay
  // until the gc.
  std::string veth = net::VethName(a);
  EXPECT_TRUE(LinkExists(veth));
  auto rm = Ctvrt({"rm", "-f", a});
  ASSERT_TRUE(rm.has_value() && rm->status.Success()) << rm->err;
  EXPECT_TRUE(VethGoneSoon(veth));
  std::string rules = Sh("nft list ruleset 2>/dev/null");
  EXPECT_EQ(rules.find("18080"), std::string::npos) << rules;
  ExpectIdleBridgeThenCollected("18080");
  auto ep = net::LookupEndpoint(HostNetworkConfig(), a);
  ASSERT_TRUE(ep.has_value());
  EXPECT_FALSE(ep->has_value());
}

// The child builds its root while ctvrt attaches its network (LaunchOptions::before_exec): a
// mount that fails there is the error reported (not the attach's, whose namespace died with the
// child, nor a SIGPIPE when the go-ahead finds no reader), and nothing of the container stays.
TEST(Netwire, AMountFailingDuringTheAttachIsReportedAndLeavesNothing) {
  CTV_REQUIRE_NET();
  for (int i = 0; i < 5; ++i) {  // the child may fail before, during or after the attach
    std::string id = testing::TestId();
    ContainerGuard g(Root(), id);
    // A file bound onto a directory: mount(2) refuses it with ENOTDIR, in the child.
    auto r = Ctvrt({"run", "--rm", "--name", id, "-v", "/etc/hostname:/etc", Image(), "noop"});
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
    EXPECT_EQ(r->status.code, 1) << r->err;
    EXPECT_FALSE(r->status.signaled) << "ctvrt died of signal " << r->status.code;
    EXPECT_NE(r->err.find("ENOTDIR"), std::string::npos) << r->err;
    EXPECT_NE(r->err.find("/etc/hostname"), std::string::npos) << r->err;
    EXPECT_FALSE(fs::Exists(StateDir(Root(), id)));
    for (auto& l : testing::Leftovers(Root(), id)) ADD_FAILURE() << id << " left: " << l;
    EXPECT_TRUE(VethGoneSoon(net::VethName(id)));
    auto ep = net::LookupEndpoint(HostNetworkConfig(), id);
    ASSERT_TRUE(ep.has_value());
    EXPECT_FALSE(ep->has_value()) << "the failed container's address is still allocated";
  }
}

// Without a user namespace ctvrt makes and attaches the network namespace before the clone; a
// new user namespace must own it, so there the child makes it and ctvrt attaches it afterwards
// (LaunchOptions::before_exec). Both ways end with the address on eth0 and nothing left.
TEST(Netwire, UserNamespaceContainerIsAttachedAfterItsClone) {
  CTV_REQUIRE_NET();
  for (const std::vector<std::string>& userns :
       {std::vector<std::string>{}, std::vector<std::string>{"--userns", "0:100000:65536"}}) {
    std::string id = testing::TestId();
    ContainerGuard g(Root(), id);
    std::vector<std::string> args = {"run", "--rm", "--name", id};
    args.insert(args.end(), userns.begin(), userns.end());
    args.insert(args.end(), {Image(), "ctv-probe", "hostinfo"});
    auto r = Ctvrt(args);
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
    ASSERT_TRUE(r->status.Success()) << r->err;
    auto j = nlohmann::json::parse(r->out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << r->out;
    std::string prefix = kSubnet.substr(0, kSubnet.rfind('.') + 1);  // "10.x.y."
    bool addressed = false;
    for (const auto& a : j.value("addresses", nlohmann::json::array()))
      addressed |= a.get<std::string>().rfind("eth0 " + prefix, 0) == 0;
    EXPECT_TRUE(addressed) << r->out;
    EXPECT_EQ(j.value("uid_map", "").find("100000") != std::string::npos, !userns.empty())
        << j.value("uid_map", "");
    EXPECT_FALSE(fs::Exists(StateDir(Root(), id)));
    EXPECT_TRUE(VethGoneSoon(net::VethName(id)));
  }
}

TEST(Netwire, TwentyConcurrentContainersGetDistinctAddresses) {
  CTV_REQUIRE_NET();
  constexpr int kN = 20;
  std::vector<std::string> ids;
  std::vector<std::unique_ptr<ContainerGuard>> guards;
  for (int i = 0; i < kN; ++i) {
    ids.push_back(testing::TestId());
    guards.push_back(std::make_unique<ContainerGuard>(Root(), ids.back()));
  }
  std::vector<std::string> errors(kN);
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < kN; ++i)
      threads.emplace_back([&, i] {
        auto r = RunDetached(ids[i], {}, {"sleep", "600"});
        if (!r) errors[i] = r.message();
      });
  }
  std::set<std::string> addresses;
  for (int i = 0; i < kN; ++i) {
    EXPECT_EQ(errors[i], "") << ids[i];
    std::string ip = Annotation(ids[i], kNetAnnotationAddress);
    EXPECT_FALSE(ip.empty()) << ids[i];
    addresses.insert(ip);
  }
  EXPECT_EQ(addresses.size(), static_cast<size_t>(kN));
  guards.clear();  // rm -f all 20
  for (const std::string& id : ids) EXPECT_TRUE(VethGoneSoon(net::VethName(id))) << id;
  ExpectIdleBridgeThenCollected("dnat to");
}

// A SIGKILLed foreground `ctvrt run` (no monitor left) + the gc: no veth, no rule, no table, no
// bridge.
TEST(Netwire, KilledForegroundRunIsCollectedByGc) {
  CTV_REQUIRE_NET();
  std::string id = testing::TestId();
  ContainerGuard guard(Root(), id);
  auto out = MakePipe();
  ASSERT_TRUE(out.has_value());
  SpawnOptions o;
  o.argv = Env().runtime->CtvrtArgv({"run", "--name", id, "-p", "18084:80", Image(), "ctv-probe",
                                     "http", "--port", "80", "--timeout", "600"});
  o.stdout_fd = out->write.Get();
  auto child = Spawn(o);
  ASSERT_TRUE(child.has_value()) << child.error().ToString();
  out->write.Reset();
  LineReader reader(out->read.Get());
  bool ready = false;
  while (!ready) {
    auto line = reader.Next(std::chrono::seconds(20));
    if (!line || !*line) break;
    ready = (*line)->text.rfind("CTV-READY", 0) == 0;
  }
  ASSERT_TRUE(ready) << "the container never got ready";
  EXPECT_EQ(Curl("http://127.0.0.1:18084/").find("curl failed"), std::string::npos);
  std::string veth = net::VethName(id);
  EXPECT_TRUE(LinkExists(veth));
  child->KillAndReap();  // SIGKILL: the CLI (the monitor) dies, the container runs on
  // What `ctvbench gc --state-dir <dir>` runs, in its order, minus its host-wide sweep of empty
  // cgroups (a concurrent test's cgroup may be empty for a moment while being set up).
  std::vector<std::string> removed;
  EXPECT_TRUE(runtime::CollectGarbage(Root(), &removed, {false}).has_value());
  EXPECT_TRUE(net::CollectGarbage(Env().state_dir, &removed).has_value());
  EXPECT_FALSE(removed.empty());
  EXPECT_FALSE(fs::Exists(StateDir(Root(), id)));
  EXPECT_TRUE(VethGoneSoon(veth));
  EXPECT_EQ(Sh("nft list ruleset 2>/dev/null").find("18084"), std::string::npos);
  EXPECT_FALSE(TableExists());
  EXPECT_FALSE(LinkExists(kBridge));
}

}  // namespace
}  // namespace ctv::runtime
