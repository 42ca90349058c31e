// Container networking against real namespaces the test creates (`ip netns add ctvtest...`).
// Everything the tests make is removed by RAII guards, also when an assertion fails: the scratch
// namespaces (ScratchNetns), the probes (Child), the endpoints (ContainerNetwork + the fixture's
// TearDown, which detaches every id and runs CollectGarbage on the temp state root).
//
// Traffic goes only to 127.0.0.1, the test bridge's address and the test namespaces' addresses.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <set>
#include <thread>

#include "core/fd.h"
#include "core/line_reader.h"
#include "core/process.h"
#include "runtime/net/gc.h"
#include "runtime/net/nat.h"
#include "runtime/net/netlink.h"
#include "runtime/net/network.h"
#include "runtime/net/nft_netlink.h"
#include "runtime/net/port_spec.h"
#include "runtime/net/scratch_netns.h"
#include "runtime/net/state.h"
#include "tests/test_util.h"

namespace ctv::net {
namespace {

using namespace std::chrono_literals;

// A bridge, subnet and table of each test process's own: the tests never touch a real run's
// ctv0/ctvbench, and stay independent under `ctest -j` (one process per test).
const std::string kBridge = fmt::format("ctvt{}", ::getpid() % 100000);
const std::string kSubnet =
    fmt::format("10.{}.{}.0/24", 80 + (::getpid() / 256) % 16, ::getpid() % 256);
const std::string kTable = fmt::format("ctvtest{}", ::getpid());

std::string Id(const std::string& tag) { return fmt::format("t{}{}", ::getpid() % 100000, tag); }

struct Server {
  Child child;
  Fd out;
};

// Runs ctv-probe inside `ns` and waits for its ready marker.
Result<Server> StartProbe(const ScratchNetns* ns, std::vector<std::string> args) {
  std::vector<std::string> argv;
  if (ns) argv = ns->ExecPrefix();
  argv.push_back(test::Bin("ctv-probe"));
  argv.insert(argv.end(), args.begin(), args.end());
  PipePair p = CTV_TRY(MakePipe());
  SpawnOptions o;
  o.argv = argv;
  o.stdout_fd = p.write.Get();
  Server s{CTV_TRY(Spawn(o)), std::move(p.read)};
  p.write.Reset();
  LineReader r(s.out.Get());
  auto line = CTV_TRY(r.Next(10s));
  if (!line || line->text.rfind("CTV-READY", 0) != 0)
    return MakeError("start probe", argv.back(), line ? line->text : "no ready marker");
  return s;
}

// `nft list table ip <table>` (the nft tool: the kernel's table as nft reads it back); nullopt
// when it fails (no such table).
std::optional<std::string> NftList(const std::string& table) {
  auto out = test::RunOrDie({"nft", "list", "table", "ip", table}, 15);
  if (!out.status.Success()) return std::nullopt;
  return out.out;
}

CommandOutput Curl(const std::string& url) {
  return test::RunOrDie({"curl", "-sS", "--noproxy", "*", "--max-time", "5", url}, 15);
}

class NetBridgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (netlink, netns, nftables)";
    if (FindInPath("nsenter").empty() || FindInPath("curl").empty() || FindInPath("ip").empty() ||
        FindInPath("nft").empty())
      GTEST_SKIP() << "needs nsenter, curl, ip and nft (util-linux, curl, iproute2, nftables)";
    config_.state_root = dir_.Path();
    config_.bridge = kBridge;
    config_.subnet = kSubnet;
    config_.nft_table = kTable;
  }

  void TearDown() override {
    if (::geteuid() != 0) return;
    for (const auto& id : ids_) (void)Detach(config_, id);
    (void)CollectGarbage(config_.state_root, nullptr);
    // Belt and braces, in case the library itself is what failed.
    if (auto sk = NlSocket::Open()) {
      for (const auto& id : ids_) (void)DeleteLink(*sk, VethName(id));
      (void)DeleteLink(*sk, kBridge);
    }
    (void)test::RunOrDie({"nft", fmt::format("add table ip {0}; delete table ip {0}", kTable)}, 15);
    // The test body's ScratchNetns are gone by now: none of this process's may remain.
    EXPECT_TRUE(ListNamedNetns(fmt::format("ctvtest-{}-", ::getpid())).empty());
  }

  NetworkRequest Request(const std::string& id, std::vector<std::string> ports = {}) {
    ids_.push_back(id);
    NetworkRequest r;
    r.container_id = id;
    r.config = config_;
    auto p = ParsePortSpecs(ports);
    EXPECT_TRUE(p) << p.error().ToString();
    if (p) r.ports = *p;
    return r;
  }

  Result<ScratchNetns> Netns(const std::string& tag) {
    return ScratchNetns::Create(fmt::format("ctvtest-{}-{}", ::getpid(), tag));
  }

  // Every endpoint gone (veths, allocator entries, their rules); the bridge and table may be
  // kept idle (NetworkConfig::keep_idle) with only the masquerade left, until the gc removes
  // them: after it nothing of the test's is left.
  void ExpectNothingLeft() {
    auto sk = NlSocket::Open();
    ASSERT_TRUE(sk);
    auto links = ListLinks(*sk);
    ASSERT_TRUE(links);
    for (const auto& l : *links)
      for (const auto& id : ids_) EXPECT_NE(l.name, VethName(id)) << "veth left behind";
    if (auto rules = NftList(kTable)) {
      EXPECT_EQ(rules->find("dnat to"), std::string::npos) << "a mapping outlived its endpoint";
      for (const auto& id : ids_)
        EXPECT_EQ(rules->find("\"" + id + "\""), std::string::npos) << *rules;
    }
    ASSERT_TRUE(CollectGarbage(config_.state_root, nullptr));
    links = ListLinks(*sk);
    ASSERT_TRUE(links);
    for (const auto& l : *links) EXPECT_NE(l.name, kBridge) << "bridge left behind";
    auto exists = NftTableExists(kTable);
    ASSERT_TRUE(exists) << exists.error().ToString();
    EXPECT_FALSE(*exists) << "nft table ip " << kTable << " left behind";
    auto lock = StateLock::Acquire(config_.StateDir());
    ASSERT_TRUE(lock);
    auto st = LoadState(*lock);
    ASSERT_TRUE(st);
    EXPECT_TRUE(st->endpoints.empty()) << "allocator entries left behind";
  }

  test::TempDir dir_;
  NetworkConfig config_;
  std::vector<std::string> ids_;
};

TEST_F(NetBridgeTest, TwoNamespacesGetTheirOwnAddressAndInterfaces) {
  auto nsa = Netns("a"), nsb = Netns("b");
  ASSERT_TRUE(nsa && nsb) << (nsa ? nsb.error().ToString() : nsa.error().ToString());
  auto refa = NetnsRef::FromPath(nsa->Path()), refb = NetnsRef::FromPath(nsb->Path());
  ASSERT_TRUE(refa && refb);
  auto a = Attach(Request(Id("a")), *refa);
  ASSERT_TRUE(a) << a.error().ToString();
  auto b = Attach(Request(Id("b")), *refb);
  ASSERT_TRUE(b) << b.error().ToString();
  EXPECT_NE(a->Address(), b->Address());
  EXPECT_EQ(a->Gateway() + "/24", kSubnet.substr(0, kSubnet.rfind(".0/24")) + ".1/24");
  auto found = LookupEndpoint(config_, a->ContainerId());
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->ip, a->Address());
  EXPECT_EQ((*found)->veth, a->HostVeth());

  for (auto* pair : {&*nsa, &*nsb}) {
    auto argv = pair->ExecPrefix();
    argv.insert(argv.end(), {"ip", "-o", "link", "show"});
    auto out = test::RunOrDie(argv);
    ASSERT_TRUE(out.status.Success()) << out.err;
    int n = 0;
    for (char c : out.out) n += c == '\n';
    EXPECT_EQ(n, 2) << "expected only lo and eth0:\n" << out.out;
    EXPECT_NE(out.out.find(": lo:"), std::string::npos);
    EXPECT_NE(out.out.find(": eth0@"), std::string::npos);
  }
  auto argv = nsa->ExecPrefix();
  argv.insert(argv.end(), {"ip", "-o", "-4", "addr", "show", "dev", "eth0"});
  auto addr = test::RunOrDie(argv);
  EXPECT_NE(addr.out.find(a->Address() + "/24"), std::string::npos) << addr.out;
  EXPECT_EQ(addr.out.find(b->Address() + "/"), std::string::npos) << addr.out;

  // Each reaches the other and the host (the bridge address), over TCP round trips.
  auto server_b = StartProbe(&*nsb, {"tcp-rr-server", "--port", "7000", "--timeout", "60"});
  ASSERT_TRUE(server_b) << server_b.error().ToString();
  auto a_to_b = nsa->ExecPrefix();
  a_to_b.insert(a_to_b.end(), {test::Bin("ctv-probe"), "tcp-rr", "--connect",
                               b->Address() + ":7000", "--iters", "20"});
  auto rr = test::RunOrDie(a_to_b);
  EXPECT_TRUE(rr.status.Success()) << rr.err;
  EXPECT_NE(rr.out.find("\"median_ns\""), std::string::npos) << rr.out;

  auto host_server = StartProbe(nullptr, {"tcp-rr-server", "--port", "17001", "--timeout", "60"});
  ASSERT_TRUE(host_server) << host_server.error().ToString();
  auto a_to_host = nsa->ExecPrefix();
  a_to_host.insert(a_to_host.end(), {test::Bin("ctv-probe"), "tcp-rr", "--connect",
                                     a->Gateway() + ":17001", "--iters", "20"});
  rr = test::RunOrDie(a_to_host);
  EXPECT_TRUE(rr.status.Success()) << rr.err;

  ASSERT_TRUE(a->Detach());
  ASSERT_TRUE(b->Detach());
  ExpectNothingLeft();
}

TEST_F(NetBridgeTest, PortMappingServesLoopbackAndBridgeAndRefusesASecondTaker) {
  auto ns = Netns("web"), ns2 = Netns("web2");
  ASSERT_TRUE(ns && ns2);
  auto ref = NetnsRef::FromPath(ns->Path()), ref2 = NetnsRef::FromPath(ns2->Path());
  ASSERT_TRUE(ref && ref2);
  auto web = Attach(Request(Id("web"), {"18080:80"}), *ref);
  ASSERT_TRUE(web) << web.error().ToString();
  auto server = StartProbe(&*ns, {"http", "--port", "80", "--timeout", "60"});
  ASSERT_TRUE(server) << server.error().ToString();

  auto table = NftList(kTable);
  ASSERT_TRUE(table) << "no table ip " << kTable;
  EXPECT_NE(table->find(fmt::format("dnat to {}:80", web->Address())), std::string::npos) << *table;
  EXPECT_NE(table->find("masquerade"), std::string::npos) << *table;

  for (const std::string& host : {std::string("127.0.0.1"), web->Gateway()}) {
    auto out = Curl(fmt::format("http://{}:18080/", host));
    EXPECT_TRUE(out.status.Success()) << host << ": " << out.err;
    EXPECT_NE(out.out.find("ctv-probe http hostname="), std::string::npos) << host << out.out;
  }

  // The same host port again: refused before anything is set up, naming the port and holder.
  std::string id2 = Id("web2");
  auto second = Attach(Request(id2, {"18080:80"}), *ref2);
  ASSERT_FALSE(second);
  std::string msg = second.error().ToString();
  EXPECT_NE(msg.find("18080"), std::string::npos) << msg;
  EXPECT_NE(msg.find(web->ContainerId()), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  auto sk = NlSocket::Open();
  ASSERT_TRUE(sk);
  EXPECT_EQ(*LinkIndex(*sk, VethName(id2)), 0) << "refused request left a veth";

  auto again = Curl("http://127.0.0.1:18080/");
  EXPECT_TRUE(again.status.Success()) << "first mapping stopped serving: " << again.err;

  // Containers reach a mapped port through the host too (prerouting DNAT + hairpin masquerade):
  // another namespace on the bridge, and the serving namespace itself.
  auto other = Attach(Request(Id("web3")), *ref2);
  ASSERT_TRUE(other) << other.error().ToString();
  for (const ScratchNetns* from : {&*ns2, &*ns}) {
    auto argv = from->ExecPrefix();
    argv.insert(argv.end(), {"curl", "-sS", "--noproxy", "*", "--max-time", "5",
                             fmt::format("http://{}:18080/", web->Gateway())});
    auto out = test::RunOrDie(argv, 15);
    EXPECT_TRUE(out.status.Success()) << from->Name() << ": " << out.err;
    EXPECT_NE(out.out.find("ctv-probe http"), std::string::npos) << from->Name() << out.out;
  }
  ASSERT_TRUE(other->Detach());

  (void)server->child.Signal(SIGTERM);
  (void)server->child.WaitFor(10s);
  ASSERT_TRUE(web->Detach());
  ExpectNothingLeft();
}

TEST_F(NetBridgeTest, PortHeldByAHostProcessIsRefusedNamingIt) {
  Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(s.Valid());
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(18081);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(s.Get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0) << "port 18081 busy";
  ASSERT_EQ(::listen(s.Get(), 1), 0);

  auto ns = Netns("held");
  ASSERT_TRUE(ns);
  auto ref = NetnsRef::FromPath(ns->Path());
  ASSERT_TRUE(ref);
  auto r = Attach(Request(Id("held"), {"18081:80"}), *ref);
  ASSERT_FALSE(r);
  std::string msg = r.error().ToString();
  EXPECT_NE(msg.find("18081"), std::string::npos) << msg;
  EXPECT_NE(msg.find(fmt::format("pid {}", ::getpid())), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  ExpectNothingLeft();
}

TEST_F(NetBridgeTest, TwentyConcurrentAttachesGetDistinctAddresses) {
  constexpr int kN = 20;
  std::vector<ScratchNetns> spaces;
  std::vector<NetnsRef> refs;
  std::vector<NetworkRequest> reqs;
  for (int i = 0; i < kN; ++i) {
    auto ns = Netns("c" + std::to_string(i));
    ASSERT_TRUE(ns) << ns.error().ToString();
    spaces.push_back(std::move(*ns));
    auto ref = NetnsRef::FromPath(spaces.back().Path());
    ASSERT_TRUE(ref);
    refs.push_back(std::move(*ref));
    reqs.push_back(Request(Id("c" + std::to_string(i))));
  }
  std::vector<std::optional<Result<ContainerNetwork>>> nets(kN);
  std::vector<std::thread> threads;
  for (int i = 0; i < kN; ++i)
    threads.emplace_back([&, i] { nets[i].emplace(Attach(reqs[i], refs[i])); });
  for (auto& t : threads) t.join();
  std::set<std::string> addrs;
  for (auto& n : nets) {
    ASSERT_TRUE(*n) << n->error().ToString();
    addrs.insert((*n)->Address());
  }
  EXPECT_EQ(addrs.size(), static_cast<size_t>(kN));
  nets.clear();  // ~ContainerNetwork detaches
  ExpectNothingLeft();
}

TEST_F(NetBridgeTest, CollectGarbageRemovesWhatADeadContainerLeft) {
  std::string id = Id("gc");
  {
    auto ns = Netns("gc");
    ASSERT_TRUE(ns);
    auto ref = NetnsRef::FromPath(ns->Path());
    ASSERT_TRUE(ref);
    auto n = Attach(Request(id, {"18082:80"}), *ref);
    ASSERT_TRUE(n) << n.error().ToString();
    n->Release();  // as if the runtime had crashed
  }  // the namespace dies, and the kernel deletes the veth pair with it (asynchronously: the
     // netns cleanup runs from a workqueue), so wait for that, bounded
  auto sk = NlSocket::Open();
  ASSERT_TRUE(sk);
  for (int i = 0; i < 500 && *LinkIndex(*sk, VethName(id)) != 0; ++i)
    std::this_thread::sleep_for(20ms);
  ASSERT_EQ(*LinkIndex(*sk, VethName(id)), 0) << "the kernel kept the veth of a dead namespace";
  auto exists = NftTableExists(kTable);
  ASSERT_TRUE(exists && *exists);
  std::vector<std::string> removed;
  ASSERT_TRUE(CollectGarbage(config_.state_root, &removed));
  std::string all;
  for (const auto& r : removed) all += r + "\n";
  EXPECT_NE(all.find("network endpoint " + id), std::string::npos) << all;
  EXPECT_NE(all.find("bridge " + kBridge), std::string::npos) << all;
  EXPECT_NE(all.find("nft table ip " + kTable), std::string::npos) << all;
  ExpectNothingLeft();
}

// keep_idle (the default): the last endpoint's detach keeps the bridge and the masquerade, and
// the next attach reuses that very bridge (same ifindex); gc removes them once idle.
TEST_F(NetBridgeTest, IdleBridgeIsKeptForTheNextEndpointAndCollectedByGc) {
  auto ns = Netns("idle");
  ASSERT_TRUE(ns) << ns.error().ToString();
  auto ref = NetnsRef::FromPath(ns->Path());
  ASSERT_TRUE(ref);
  auto sk = NlSocket::Open();
  ASSERT_TRUE(sk);
  std::vector<std::string> steps;
  NetworkRequest first = Request(Id("i1"));
  first.on_step = [&](const char* step, int64_t) { steps.push_back(step); };
  auto a = Attach(first, *ref);
  ASSERT_TRUE(a) << a.error().ToString();
  EXPECT_EQ(steps, (std::vector<std::string>{"net.state", "net.bridge", "net.sysctl", "net.veth",
                                             "net.netns", "net.addresses", "net.routes",
                                             "net.nft"}));
  int bridge = *LinkIndex(*sk, kBridge);
  ASSERT_NE(bridge, 0);
  ASSERT_TRUE(a->Detach());
  EXPECT_EQ(*LinkIndex(*sk, kBridge), bridge) << "the idle bridge was not kept";
  auto rules = NftList(kTable);
  ASSERT_TRUE(rules) << "no table ip " << kTable;
  EXPECT_NE(rules->find("masquerade"), std::string::npos) << *rules;
  auto b = Attach(Request(Id("i2")), *ref);
  ASSERT_TRUE(b) << b.error().ToString();
  EXPECT_EQ(*LinkIndex(*sk, kBridge), bridge) << "the next endpoint got a new bridge";
  // The kept bridge still forwards: the namespace reaches the host through it.
  auto host_server = StartProbe(nullptr, {"tcp-rr-server", "--port", "17003", "--timeout", "60"});
  ASSERT_TRUE(host_server) << host_server.error().ToString();
  auto argv = ns->ExecPrefix();
  argv.insert(argv.end(), {test::Bin("ctv-probe"), "tcp-rr", "--connect",
                           b->Gateway() + ":17003", "--iters", "20"});
  auto rr = test::RunOrDie(argv);
  EXPECT_TRUE(rr.status.Success()) << rr.err;
  ASSERT_TRUE(b->Detach());
  std::vector<std::string> removed;
  ASSERT_TRUE(CollectGarbage(config_.state_root, &removed));
  std::string all;
  for (const auto& r : removed) all += r + "\n";
  EXPECT_NE(all.find("bridge " + kBridge), std::string::npos) << all;
  EXPECT_NE(all.find("nft table ip " + kTable), std::string::npos) << all;
  ExpectNothingLeft();
}

// keep_idle = false: the bridge and the table go with the last endpoint, no gc needed.
TEST_F(NetBridgeTest, WithoutKeepIdleTheLastDetachRemovesBridgeAndTable) {
  config_.keep_idle = false;
  auto ns = Netns("nokeep");
  ASSERT_TRUE(ns) << ns.error().ToString();
  auto ref = NetnsRef::FromPath(ns->Path());
  ASSERT_TRUE(ref);
  auto a = Attach(Request(Id("k1"), {"18086:80"}), *ref);
  ASSERT_TRUE(a) << a.error().ToString();
  ASSERT_TRUE(a->Detach());
  auto sk = NlSocket::Open();
  ASSERT_TRUE(sk);
  EXPECT_EQ(*LinkIndex(*sk, kBridge), 0) << "bridge left behind";
  auto exists = NftTableExists(kTable);
  ASSERT_TRUE(exists) << exists.error().ToString();
  EXPECT_FALSE(*exists);
}

// VethTeardown::kWithNamespace (what ctvrt uses once a container's processes are gone): the detach
// does not wait for the kernel's unregister. The host end is down at once (no traffic in the
// window), the address is free, the pair goes when the namespace does, and the next attach of
// the same id waits for the name instead of refusing it.
TEST_F(NetBridgeTest, WithNamespaceDetachLeavesThePairToTheDyingNamespace) {
  const std::string id = Id("wn");
  std::optional<Result<ScratchNetns>> ns1(Netns("wn1"));
  ASSERT_TRUE(*ns1) << (*ns1).error().ToString();
  std::optional<Result<NetnsRef>> ref1(NetnsRef::FromPath((**ns1).Path()));
  ASSERT_TRUE(*ref1);
  auto a = Attach(Request(id), **ref1);
  ASSERT_TRUE(a) << a.error().ToString();
  const std::string address = a->Address(), veth = a->HostVeth();
  ASSERT_TRUE(a->Detach(VethTeardown::kWithNamespace));
  auto shown = test::RunOrDie({"ip", "-o", "link", "show", veth});
  ASSERT_TRUE(shown.status.Success()) << "the namespace lives on, so does its pair: " << shown.err;
  EXPECT_EQ(shown.out.find(",UP"), std::string::npos) << "host end still up: " << shown.out;
  auto st = LookupEndpoint(config_, id);
  ASSERT_TRUE(st);
  EXPECT_FALSE(*st) << "the endpoint outlived its detach";

  // The old namespace goes 200 ms into the next attach of the same id, which waits for the name.
  auto ns2 = Netns("wn2");
  ASSERT_TRUE(ns2) << ns2.error().ToString();
  auto ref2 = NetnsRef::FromPath(ns2->Path());
  ASSERT_TRUE(ref2);
  std::thread drop([&] {
    std::this_thread::sleep_for(200ms);
    ref1.reset();
    ns1.reset();
  });
  auto b = Attach(Request(id), *ref2);
  drop.join();
  ASSERT_TRUE(b) << b.error().ToString();
  EXPECT_EQ(b->Address(), address) << "the freed address was not reused";
  auto argv = ns2->ExecPrefix();
  argv.insert(argv.end(), {"ip", "-o", "link", "show", "eth0"});
  auto eth0 = test::RunOrDie(argv);
  EXPECT_NE(eth0.out.find(",UP"), std::string::npos) << eth0.out;
  ASSERT_TRUE(b->Detach());
  ExpectNothingLeft();
}

TEST_F(NetBridgeTest, SubnetOverlappingAHostRouteIsRefused) {
  // 127.0.0.0/8 is always routed (table local, dev lo): a subnet inside it must be refused.
  auto ns = Netns("overlap");
  ASSERT_TRUE(ns);
  auto ref = NetnsRef::FromPath(ns->Path());
  ASSERT_TRUE(ref);
  NetworkRequest req = Request(Id("overlap"));
  req.config.subnet = "127.88.0.0/16";
  auto r = Attach(req, *ref);
  ASSERT_FALSE(r);
  std::string msg = r.error().ToString();
  EXPECT_NE(msg.find("overlaps the host route 127.0.0.0/8 dev lo"), std::string::npos) << msg;
  ExpectNothingLeft();
}

TEST_F(NetBridgeTest, NoneModeHasOnlyLoopbackUp) {
  auto ns = Netns("none");
  ASSERT_TRUE(ns);
  auto ref = NetnsRef::FromPath(ns->Path());
  ASSERT_TRUE(ref);
  NetworkRequest req = Request(Id("none"));
  req.mode = NetworkMode::kNone;
  auto n = Attach(req, *ref);
  ASSERT_TRUE(n) << n.error().ToString();
  auto argv = ns->ExecPrefix();
  argv.insert(argv.end(), {"ip", "-o", "link", "show", "lo"});
  auto out = test::RunOrDie(argv);
  EXPECT_NE(out.out.find("UP"), std::string::npos) << out.out;
  req.mode = NetworkMode::kNone;
  req.ports = {PortMapping{"", 8080, 80, Protocol::kTcp}};
  EXPECT_FALSE(Attach(req, *ref));  // -p needs bridge
}

}  // namespace
}  // namespace ctv::net
