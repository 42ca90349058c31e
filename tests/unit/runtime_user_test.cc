// --user NAME[:GROUP] resolution against a container's /etc/passwd and /etc/group, and reading
// those files inside a root or a stack of layers without escaping it. No root needed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fd.h"
#include "core/fs_tree.h"
#include "runtime/user/lookup.h"
#include "tests/test_util.h"

namespace ctv::runtime::user {
namespace {

const char* kPasswd =
    "root:x:0:0:root:/root:/bin/sh\n"
    "# a comment\n"
    "alice:x:1000:1000:Alice:/home/alice:/bin/sh\n"
    "broken line\n"
    "bob:x:1001:100::/home/bob:/bin/sh\n";
const char* kGroup =
    "root:x:0:\n"
    "users:x:100:\n"
    "alice:x:1000:\n"
    "wheel:x:10:alice,carol\n"
    "audio:x:29:bob,alice\n";

TEST(UserLookup, NamesResolveWithPrimaryAndSupplementaryGroups) {
  auto a = Resolve("alice", std::string(kPasswd), std::string(kGroup), "the image");
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  EXPECT_EQ(a->uid, 1000u);
  EXPECT_EQ(a->gid, 1000u);
  EXPECT_EQ(a->groups, (std::vector<uint32_t>{10, 29}));
  EXPECT_EQ(a->home, "/home/alice");
  auto b = Resolve("bob:wheel", std::string(kPasswd), std::string(kGroup), "the image");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->uid, 1001u);
  EXPECT_EQ(b->gid, 10u);
  EXPECT_EQ(b->groups, (std::vector<uint32_t>{29}));
}

TEST(UserLookup, NumericIdsNeedNoEntry) {
  auto u = Resolve("1000", std::string(kPasswd), std::string(kGroup), "x");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->home, "/home/alice");  // the entry of that uid still gives HOME and groups
  EXPECT_EQ(u->groups, (std::vector<uint32_t>{10, 29}));
  auto n = Resolve("4242:77", std::nullopt, std::nullopt, "x");
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->uid, 4242u);
  EXPECT_EQ(n->gid, 77u);
  EXPECT_EQ(n->home, "/");
  EXPECT_TRUE(n->groups.empty());
  auto same = Resolve("4242", std::nullopt, std::nullopt, "x");
  ASSERT_TRUE(same.has_value());
  EXPECT_EQ(same->gid, 4242u);  // no entry, no group: gid = uid (ctvrt's numeric rule)
}

TEST(UserLookup, ErrorsNameTheUserAndTheFile) {
  auto e = Resolve("mallory", std::string(kPasswd), std::string(kGroup), "the image");
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.error().ToString(),
            "resolve user `mallory`: no such user in /etc/passwd of the image");
  auto g = Resolve("alice:staff", std::string(kPasswd), std::string(kGroup), "the image");
  ASSERT_FALSE(g.has_value());
  EXPECT_EQ(g.error().ToString(),
            "resolve group `staff`: no such group in /etc/group of the image");
  auto nf = Resolve("alice", std::nullopt, std::nullopt, "container c1");
  ASSERT_FALSE(nf.has_value());
  EXPECT_NE(nf.error().ToString().find("/etc/passwd does not exist in container c1"),
            std::string::npos);
  EXPECT_FALSE(Resolve("alice:", std::string(kPasswd), std::nullopt, "x").has_value());
  EXPECT_FALSE(Resolve(":0", std::string(kPasswd), std::nullopt, "x").has_value());
  EXPECT_FALSE(Resolve("4294967295", std::nullopt, std::nullopt, "x").has_value());
}

TEST(UserLookup, SetHomeOnlyWhenUnset) {
  ExecUser u;
  u.home = "/home/alice";
  std::vector<std::string> env = {"PATH=/bin"};
  SetHomeIfUnset(u, &env);
  EXPECT_EQ(env.back(), "HOME=/home/alice");
  std::vector<std::string> set = {"HOME=/custom"};
  SetHomeIfUnset(u, &set);
  EXPECT_EQ(set, std::vector<std::string>{"HOME=/custom"});
}

TEST(UserLookup, ReadInRootDoesNotFollowSymlinksOut) {
  test::TempDir host, root;
  ASSERT_TRUE(WriteFile(host / "secret", "host:x:0:0::/:/bin/sh\n").has_value());
  ASSERT_TRUE(fs::MakeDirs(root / "etc").has_value());
  // Absolute, and relative with enough `..` to climb out: both stay inside the root.
  ASSERT_EQ(::symlink((host / "secret").c_str(), (root / "etc/passwd").c_str()), 0);
  ASSERT_EQ(::symlink(("../../../../../../../.." + host.Path() + "/secret").c_str(),
                      (root / "etc/group").c_str()),
            0);
  Fd fd(::open(root.Path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  auto p = ReadInRoot(fd.Get(), "etc/passwd");
  ASSERT_TRUE(p.has_value()) << p.error().ToString();
  EXPECT_FALSE(p->has_value()) << "read the host's file through the image's symlink";
  auto g = ReadInRoot(fd.Get(), "etc/group");
  ASSERT_TRUE(g.has_value());
  EXPECT_FALSE(g->has_value());
  // A symlink that stays inside resolves.
  ASSERT_TRUE(WriteFile(root / "etc/real", "r:x:5:5::/:/bin/sh\n").has_value());
  ASSERT_EQ(::unlink((root / "etc/passwd").c_str()), 0);
  ASSERT_EQ(::symlink("/etc/real", (root / "etc/passwd").c_str()), 0);
  auto in = ReadInRoot(fd.Get(), "etc/passwd");
  ASSERT_TRUE(in.has_value() && in->has_value());
  EXPECT_EQ(**in, "r:x:5:5::/:/bin/sh\n");
}

TEST(UserLookup, LayersTopFirst) {
  test::TempDir bottom, top, empty;
  ASSERT_TRUE(fs::MakeDirs(bottom / "etc").has_value());
  ASSERT_TRUE(fs::MakeDirs(top / "etc").has_value());
  ASSERT_TRUE(WriteFile(bottom / "etc/passwd", "old:x:1:1::/:/bin/sh\n").has_value());
  ASSERT_TRUE(WriteFile(bottom / "etc/group", "g:x:7:\n").has_value());
  ASSERT_TRUE(WriteFile(top / "etc/passwd", "new:x:2:2::/:/bin/sh\n").has_value());
  auto p = ReadInLayers({bottom.Path(), top.Path(), empty.Path()}, "etc/passwd");
  ASSERT_TRUE(p.has_value() && p->has_value());
  EXPECT_EQ(**p, "new:x:2:2::/:/bin/sh\n");
  auto g = ReadInLayers({bottom.Path(), top.Path(), empty.Path()}, "etc/group");
  ASSERT_TRUE(g.has_value() && g->has_value());
  EXPECT_EQ(**g, "g:x:7:\n");
  auto none = ReadInLayers({empty.Path()}, "etc/passwd");
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value());
  auto u = ResolveInLayers("new", {bottom.Path(), top.Path()}, "the image");
  ASSERT_TRUE(u.has_value()) << u.error().ToString();
  EXPECT_EQ(u->uid, 2u);
  EXPECT_FALSE(ResolveInLayers("old", {bottom.Path(), top.Path()}, "the image").has_value());
}

}  // namespace
}  // namespace ctv::runtime::user
