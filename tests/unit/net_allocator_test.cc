#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "runtime/net/state.h"
#include "tests/test_util.h"

namespace ctv::net {
namespace {

NetworkConfig TempConfig(const test::TempDir& dir, const std::string& subnet = "10.88.0.0/16") {
  NetworkConfig c;
  c.state_root = dir.Path();
  c.subnet = subnet;
  return c;
}

TEST(Allocator, HandsOutLowestFreeAndReusesReleased) {
  test::TempDir dir;
  NetworkConfig c = TempConfig(dir);
  auto a = AllocateAddress(c, "a");
  auto b = AllocateAddress(c, "b");
  auto d = AllocateAddress(c, "d");
  ASSERT_TRUE(a && b && d);
  EXPECT_EQ(a->ip, "10.88.0.2");  // .1 is the bridge
  EXPECT_EQ(b->ip, "10.88.0.3");
  EXPECT_EQ(d->ip, "10.88.0.4");
  ASSERT_TRUE(ReleaseAddress(c, "b"));
  auto e = AllocateAddress(c, "e");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->ip, "10.88.0.3");  // reused
  auto again = AllocateAddress(c, "a");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, EEXIST);
}

TEST(Allocator, ExhaustionIsAClearError) {
  test::TempDir dir;
  NetworkConfig c = TempConfig(dir, "10.88.0.0/30");  // .1 bridge, .2 the only host address
  ASSERT_TRUE(AllocateAddress(c, "a"));
  auto r = AllocateAddress(c, "b");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ENOSPC);
  EXPECT_NE(r.error().ToString().find("10.88.0.0/30"), std::string::npos);
}

TEST(Allocator, PersistsAcrossLoads) {
  test::TempDir dir;
  NetworkConfig c = TempConfig(dir);
  ASSERT_TRUE(AllocateAddress(c, "web1"));
  auto lock = StateLock::Acquire(c.StateDir());
  ASSERT_TRUE(lock);
  auto st = LoadState(*lock);
  ASSERT_TRUE(st);
  ASSERT_EQ(st->endpoints.size(), 1u);
  EXPECT_EQ(st->endpoints[0].veth, "ctvweb1");
}

TEST(Allocator, TwentyConcurrentAllocationsAreDistinct) {
  test::TempDir dir;
  NetworkConfig c = TempConfig(dir);
  constexpr int kN = 20;
  std::vector<std::string> ips(kN);
  std::vector<std::thread> threads;
  for (int i = 0; i < kN; ++i)
    threads.emplace_back([&, i] {
      auto r = AllocateAddress(c, "c" + std::to_string(i));
      ips[i] = r ? r->ip : "error: " + r.error().ToString();
    });
  for (auto& t : threads) t.join();
  std::set<std::string> distinct(ips.begin(), ips.end());
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kN));
  for (const auto& ip : ips) EXPECT_EQ(ip.rfind("10.88.0.", 0), 0u) << ip;
}

TEST(Allocator, TwentyConcurrentProcessesGetDistinctAddresses) {
  test::TempDir dir;
  NetworkConfig c = TempConfig(dir);
  constexpr int kN = 20;
  std::vector<pid_t> kids;
  for (int i = 0; i < kN; ++i) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) _exit(AllocateAddress(c, "p" + std::to_string(i)) ? 0 : 1);
    kids.push_back(pid);
  }
  for (pid_t k : kids) {
    int status = 0;
    ASSERT_EQ(::waitpid(k, &status, 0), k);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  auto lock = StateLock::Acquire(c.StateDir());
  ASSERT_TRUE(lock);
  auto st = LoadState(*lock);
  ASSERT_TRUE(st);
  std::set<std::string> ips;
  for (const auto& e : st->endpoints) ips.insert(e.ip);
  EXPECT_EQ(st->endpoints.size(), static_cast<size_t>(kN));
  EXPECT_EQ(ips.size(), static_cast<size_t>(kN));
}

TEST(VethName, ShortAndHashed) {
  EXPECT_EQ(VethName("abc123"), "ctvabc123");
  std::string h = VethName("ctv-startup-ctvrt-12345-7");
  EXPECT_EQ(h.size(), 13u);
  EXPECT_EQ(h.rfind("ctv", 0), 0u);
  EXPECT_NE(h, VethName("ctv-startup-ctvrt-12345-8"));
}

}  // namespace
}  // namespace ctv::net
