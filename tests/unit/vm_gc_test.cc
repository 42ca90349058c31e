// gc removes the state of dead owners only.
#include <gtest/gtest.h>
#include <unistd.h>

#include "core/fd.h"
#include "core/fs_tree.h"
#include "tests/test_util.h"
#include "vm/gc.h"
#include "vm/state.h"

namespace ctv::vm {
namespace {

TEST(VmGc, RemovesDeadOwnersStateAndKeepsLiveOnes) {
  test::TempDir dir;
  std::string root = dir / "vm";
  auto live = MakeInstanceDir(root, "ctv-live");
  ASSERT_TRUE(live) << live.error().ToString();
  std::string dead = root + "/inst/ctv-dead-1-0";
  ASSERT_TRUE(ctv::fs::MakeDirs(dead));
  // A pid that cannot exist (above pid_max) owns it.
  ASSERT_TRUE(WriteFile(dead + "/owner", "2147483646 12345\n"));
  ASSERT_TRUE(WriteFile(dead + "/chan.sock", ""));
  ASSERT_TRUE(WriteFile(dead + "/qemu.pid", "1\n"));  // PID 1 is no QEMU: must not be touched
  std::string orphan = root + "/inst/ctv-noowner-1-0";
  ASSERT_TRUE(ctv::fs::MakeDirs(orphan));
  ASSERT_TRUE(ctv::fs::MakeDirs(root + "/cache"));

  std::vector<std::string> removed;
  auto st = CollectGarbage(root, &removed);
  ASSERT_TRUE(st) << st.error().ToString();
  auto left = ctv::fs::ListDir(root + "/inst");
  ASSERT_TRUE(left);
  EXPECT_EQ(left->size(), 1u);
  EXPECT_EQ(root + "/inst/" + (*left)[0], *live);
  EXPECT_EQ(removed, (std::vector<std::string>{dead, orphan}));
  EXPECT_EQ(::access((root + "/cache").c_str(), F_OK), 0) << "the guest cache is kept";
  EXPECT_TRUE(OwnerAlive(OwnerToken()));
  EXPECT_FALSE(OwnerAlive("2147483646 1"));
  EXPECT_FALSE(OwnerAlive(""));
}

TEST(VmGc, MissingStateRootIsFine) {
  test::TempDir dir;
  EXPECT_TRUE(CollectGarbage(dir / "nothing-here", nullptr));
}

}  // namespace
}  // namespace ctv::vm
