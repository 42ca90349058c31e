// The NAT table applied through raw nfnetlink (runtime/net/nft_netlink.h) against the kernel,
// inside a network namespace of the test's own (tables, chains and rules die with it): the table
// the batch makes lists, through the nft tool, exactly as the table nft makes from the same
// state's nft text (RenderRuleset) — same matches, NAT, chain types, hooks, priorities, comments;
// a refill replaces every rule; a failing batch changes nothing.
#include "runtime/net/nft_netlink.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "core/fd.h"
#include "core/process.h"
#include "runtime/net/nat.h"
#include "runtime/net/netlink.h"
#include "runtime/net/network.h"
#include "runtime/net/scratch_netns.h"
#include "tests/test_util.h"

namespace ctv::net {
namespace {

class NftNetlinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (network namespace, nf_tables)";
    if (FindInPath("nft").empty() || FindInPath("nsenter").empty())
      GTEST_SKIP() << "needs nft and nsenter (nftables, util-linux)";
    auto ns = ScratchNetns::Create(fmt::format("ctvtest-{}-nft", ::getpid()));
    ASSERT_TRUE(ns) << ns.error().ToString();
    ns_.emplace(std::move(*ns));
    auto ref = NetnsRef::FromPath(ns_->Path());
    ASSERT_TRUE(ref) << ref.error().ToString();
    ref_.emplace(std::move(*ref));
  }

  // The nft tool inside the namespace.
  CommandOutput Nft(std::vector<std::string> args) {
    auto argv = ns_->ExecPrefix();
    argv.push_back("nft");
    argv.insert(argv.end(), args.begin(), args.end());
    return test::RunOrDie(argv, 15);
  }
  std::string List(const std::string& table) {
    auto out = Nft({"list", "table", "ip", table});
    EXPECT_TRUE(out.status.Success()) << table << ": " << out.err;
    return out.out;
  }
  // nft runs `script` (a file: what nft itself makes of RenderRuleset's text).
  void NftScript(const std::string& script) {
    std::string path = dir_ / "script.nft";
    ASSERT_TRUE(WriteFile(path, script));
    auto out = Nft({"-f", path});
    ASSERT_TRUE(out.status.Success()) << out.err << "\n" << script;
  }
  Status Apply(const std::string& table, const NetState& state) {
    return InNetns(ref_->Fd(), [&] { return ApplyRuleset(table, state); });
  }
  Result<bool> Exists(const std::string& table) {
    bool exists = false;
    Status s = InNetns(ref_->Fd(), [&]() -> Status {
      exists = CTV_TRY(NftTableExists(table));
      return Ok();
    });
    if (!s) return std::move(s).error();
    return exists;
  }
  // The batch's table and nft's table for the same state list the same, up to their names.
  void ExpectSameAsNft(const NetState& state) {
    ASSERT_TRUE(Apply("ctvnl", state));
    NftScript(RenderRuleset("ctvref", state));
    std::string ours = List("ctvnl"), ref = List("ctvref");
    for (size_t p; (p = ref.find("ctvref")) != std::string::npos;) ref.replace(p, 6, "ctvnl");
    EXPECT_EQ(ours, ref);
  }

  test::TempDir dir_;
  std::optional<ScratchNetns> ns_;
  std::optional<NetnsRef> ref_;
};

NetState Sample() {
  NetState s;
  s.nft_table = "ctvnl";
  // A /16 (byte-aligned prefix: nft loads 2 bytes) and a /20 (nft masks the address), a kept
  // idle bridge, TCP and UDP, with and without a host address.
  s.bridge_subnets = {
      {"ctv0", "10.88.0.0/16"}, {"ctvb1", "10.89.16.0/20"}, {"ctvidle", "10.90.0.0/24"}};
  s.endpoints.push_back({"web1",
                         "ctv0",
                         "10.88.0.0/16",
                         "10.88.0.2",
                         "ctvweb1",
                         {PortMapping{"", 18080, 80, Protocol::kTcp},
                          PortMapping{"127.0.0.1", 5353, 53, Protocol::kUdp}}});
  s.endpoints.push_back({"db.2-x",
                         "ctvb1",
                         "10.89.16.0/20",
                         "10.89.16.7",
                         "ctvdb2",
                         {PortMapping{"10.0.0.1", 15432, 5432, Protocol::kTcp}}});
  s.endpoints.push_back({"plain", "ctv0", "10.88.0.0/16", "10.88.0.3", "ctvplain", {}});
  return s;
}

TEST_F(NftNetlinkTest, TableListsExactlyAsNftMakesItFromTheText) {
  NetState s = Sample();
  ExpectSameAsNft(s);
  // Not vacuous: the listing has the rules, in nft's words.
  std::string ours = List("ctvnl");
  for (const char* want :
       {"type nat hook prerouting priority dstnat; policy accept;",
        "type nat hook output priority -100; policy accept;",
        "type nat hook postrouting priority srcnat; policy accept;",
        "fib daddr type local tcp dport 18080 dnat to 10.88.0.2:80 comment \"web1\"",
        "ip daddr 127.0.0.1 udp dport 5353 dnat to 10.88.0.2:53 comment \"web1\"",
        "ip daddr 10.0.0.1 tcp dport 15432 dnat to 10.89.16.7:5432 comment \"db.2-x\"",
        "ip saddr 10.89.16.0/20 oifname != \"ctvb1\" masquerade comment \"ctvb1 outbound\"",
        "oifname \"ctv0\" ip saddr 10.88.0.0/16 ct status dnat masquerade comment \"ctv0 hairpin\"",
        "ip saddr 127.0.0.0/8 ip daddr 10.88.0.2 udp dport 53 masquerade comment \"web1\""})
    EXPECT_NE(ours.find(want), std::string::npos) << "missing: " << want << "\nin:\n" << ours;
  auto exists = Exists("ctvnl");
  ASSERT_TRUE(exists) << exists.error().ToString();
  EXPECT_TRUE(*exists);
}

TEST_F(NftNetlinkTest, RefillReplacesEveryRuleAndAnEmptyStateDeletesTheTable) {
  NetState s = Sample();
  ASSERT_TRUE(Apply("ctvnl", s));
  s.endpoints.erase(s.endpoints.begin());  // web1 goes: its four rules with it
  s.bridge_subnets.erase("ctvidle");
  ExpectSameAsNft(s);
  EXPECT_EQ(List("ctvnl").find("web1"), std::string::npos);
  ASSERT_TRUE(Apply("ctvnl", NetState{}));
  auto exists = Exists("ctvnl");
  ASSERT_TRUE(exists) << exists.error().ToString();
  EXPECT_FALSE(*exists);
  // Deleting a table that does not exist is no error (gc re-renders whatever is there).
  EXPECT_TRUE(Apply("ctvnl", NetState{}));
}

// One batch, one transaction: when the kernel refuses one message, none of the batch applies
// (here the flush that precedes it would otherwise have emptied the table), and the error names
// the message that failed.
TEST_F(NftNetlinkTest, AFailingBatchChangesNothingAndNamesTheFailingMessage) {
  // A table of that name whose chain `prerouting` is a filter chain: the batch's declaration of
  // a nat chain of that name is refused.
  NftScript(
      "table ip ctvnl {\n"
      "  chain prerouting { type filter hook prerouting priority 0; policy accept; }\n"
      "  chain keep { counter comment \"kept\"; }\n"
      "}\n");
  Status st = Apply("ctvnl", Sample());
  ASSERT_FALSE(st);
  std::string msg = st.error().ToString();
  EXPECT_NE(msg.find("add chain ip ctvnl prerouting"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  std::string after = List("ctvnl");
  EXPECT_NE(after.find("comment \"kept\""), std::string::npos) << "the flush applied:\n" << after;
  EXPECT_EQ(after.find("dnat"), std::string::npos) << "rules of a failed batch applied:\n" << after;
}

}  // namespace
}  // namespace ctv::net
