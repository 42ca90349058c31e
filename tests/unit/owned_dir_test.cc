// core/owned_dir.h on a private journal: a dead owner's directory is removed with its entry; a
// live owner's stays; entries that do not describe a directory we made (a symlink, a name that
// does not match, an unreadable owner) are left alone.
#include "core/owned_dir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>

#include "core/fd.h"
#include "core/fs_tree.h"
#include "core/process.h"
#include "tests/test_util.h"

namespace ctv {
namespace {

// A token of a process that is surely gone: a child that has exited and been reaped.
std::string DeadToken() {
  auto r = RunCommand({"sh", "-c", "echo $$ $(cut -d' ' -f22 /proc/$$/stat)"});
  EXPECT_TRUE(r && r->status.Success());
  std::string t = r ? r->out : "1 0";
  while (!t.empty() && t.back() == '\n') t.pop_back();
  return t;
}

TEST(OwnedTempDir, MadeJournaledAndRemovedByItsOwner) {
  test::TempDir root;
  std::string journal = root / "journal";
  std::string path, entry;
  {
    auto d = OwnedTempDir::Create(root.Path(), "ctvx-", journal);
    ASSERT_TRUE(d) << d.error().ToString();
    path = d->Path();
    entry = d->JournalEntry();
    EXPECT_EQ(path.rfind(root / "ctvx-", 0), 0u) << path;
    struct stat st;
    ASSERT_EQ(::lstat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_EQ(*ReadFile(entry), OwnerToken() + "\n" + path + "\n");
    ASSERT_TRUE(WriteFile(path + "/data", "x"));
    // Its owner (this process) is alive: gc keeps it.
    std::vector<std::string> removed;
    ASSERT_TRUE(CollectDeadOwnedDirs(&removed, journal));
    EXPECT_TRUE(removed.empty());
    EXPECT_TRUE(fs::Exists(path + "/data"));
  }
  EXPECT_FALSE(fs::Exists(path));
  EXPECT_FALSE(fs::Exists(entry));
}

TEST(OwnedTempDir, GcRemovesOnlyDeadOwnersRealDirectories) {
  test::TempDir root;
  std::string journal = root / "journal";
  ASSERT_TRUE(fs::MakeDirs(journal, 0700));
  const std::string dead = DeadToken();
  // A dead owner's directory, with content.
  ASSERT_TRUE(fs::MakeDirs(root / "ctvdead1/sub", 0700));
  ASSERT_TRUE(WriteFile(journal + "/ctvdead1", dead + "\n" + (root / "ctvdead1") + "\n"));
  // A dead owner's entry whose directory never got made (killed between the two).
  ASSERT_TRUE(WriteFile(journal + "/ctvdead2", dead + "\n" + (root / "ctvdead2") + "\n"));
  // Lookalikes: a symlink in place of the directory, an entry naming another directory, an
  // entry whose owner cannot be read.
  ASSERT_TRUE(fs::MakeDirs(root / "victim", 0700));
  ASSERT_EQ(::symlink((root / "victim").c_str(), (root / "ctvlink").c_str()), 0);
  ASSERT_TRUE(WriteFile(journal + "/ctvlink", dead + "\n" + (root / "ctvlink") + "\n"));
  ASSERT_TRUE(WriteFile(journal + "/ctvother", dead + "\n" + (root / "victim") + "\n"));
  ASSERT_TRUE(fs::MakeDirs(root / "ctvgarbled", 0700));
  ASSERT_TRUE(WriteFile(journal + "/ctvgarbled", "not a token\n" + (root / "ctvgarbled") + "\n"));

  std::vector<std::string> removed;
  ASSERT_TRUE(CollectDeadOwnedDirs(&removed, journal));
  EXPECT_EQ(removed, std::vector<std::string>{"temp dir " + (root / "ctvdead1")});
  EXPECT_FALSE(fs::Exists(root / "ctvdead1"));
  EXPECT_FALSE(fs::Exists(journal + "/ctvdead1"));
  EXPECT_FALSE(fs::Exists(journal + "/ctvdead2"));
  EXPECT_TRUE(fs::Exists(root / "victim"));
  EXPECT_TRUE(fs::Exists(root / "ctvlink"));
  EXPECT_TRUE(fs::Exists(root / "ctvgarbled"));
  // A second gc finds nothing.
  removed.clear();
  ASSERT_TRUE(CollectDeadOwnedDirs(&removed, journal));
  EXPECT_TRUE(removed.empty());
}

}  // namespace
}  // namespace ctv
