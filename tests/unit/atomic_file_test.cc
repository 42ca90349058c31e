// core/atomic_file.h: the file appears whole or not at all; the data has no name before Commit,
// so a writer SIGKILLed between its write and its rename (the fault point
// core.atomic_file_written) leaves the old file intact and no temp file.
#include "core/atomic_file.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "core/fault_point.h"
#include "core/fs_tree.h"
#include "tests/test_util.h"

namespace ctv {
namespace {

std::vector<std::string> Names(const std::string& dir) {
  auto l = fs::ListDir(dir);
  return l ? *l : std::vector<std::string>{"<unlistable>"};
}

TEST(AtomicFile, ReplacesTheFileWholeWithTheModeAsked) {
  // Synced or not (runtime state), the same contract for readers.
  for (auto write : {&WriteFileAtomic, &WriteRuntimeStateFile}) {
    test::TempDir dir;
    ASSERT_TRUE(WriteFile(dir / "f", "old"));
    ASSERT_TRUE(write(dir / "f", "new contents", 0600));
    EXPECT_EQ(*ReadFile(dir / "f"), "new contents");
    struct stat st;
    ASSERT_EQ(::stat((dir / "f").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(Names(dir.Path()), std::vector<std::string>{"f"});
  }
}

// Runtime state replaces a regular file by an exchange (no writeback started on ext4), and
// anything else as a rename would: a new path is created, a symlink itself is replaced (its
// target untouched), a directory is refused and stays.
TEST(AtomicFile, RuntimeStateExchangesOnlyARegularFile) {
  test::TempDir dir;
  ASSERT_TRUE(WriteRuntimeStateFile(dir / "new", "fresh"));
  EXPECT_EQ(*ReadFile(dir / "new"), "fresh");
  ASSERT_TRUE(WriteFile(dir / "target", "kept"));
  ASSERT_EQ(::symlink("target", (dir / "link").c_str()), 0);
  ASSERT_TRUE(WriteRuntimeStateFile(dir / "link", "instead of the link"));
  struct stat st;
  ASSERT_EQ(::lstat((dir / "link").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(*ReadFile(dir / "link"), "instead of the link");
  EXPECT_EQ(*ReadFile(dir / "target"), "kept");
  ASSERT_EQ(::mkdir((dir / "d").c_str(), 0700), 0);
  EXPECT_FALSE(WriteRuntimeStateFile(dir / "d", "x"));
  ASSERT_EQ(::lstat((dir / "d").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  auto names = Names(dir.Path());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"d", "link", "new", "target"}));
}

// Before Commit the data is in no directory entry (the temp dir is a tmpfs or ext4 here: both
// take O_TMPFILE); dropped uncommitted, nothing appears and the old file is untouched.
TEST(AtomicFile, UncommittedDataHasNoName) {
  test::TempDir dir;
  ASSERT_TRUE(WriteFile(dir / "f", "old"));
  {
    auto f = AtomicFile::Create(dir / "f");
    ASSERT_TRUE(f) << f.error().ToString();
    ASSERT_TRUE(f->Unnamed()) << "this filesystem refused O_TMPFILE";
    ASSERT_TRUE(WriteAll(f->Get(), "half", f->Path()));
    EXPECT_EQ(Names(dir.Path()), std::vector<std::string>{"f"});
  }
  EXPECT_EQ(*ReadFile(dir / "f"), "old");
  EXPECT_EQ(Names(dir.Path()), std::vector<std::string>{"f"});
}

TEST(AtomicFile, ErrorNamesTheCallersPath) {
  test::TempDir dir;
  Status s = WriteFileAtomic(dir / "missing/f", "x");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().ToString().find(dir / "missing/f"), std::string::npos)
      << s.error().ToString();
  EXPECT_EQ(s.error().code, ENOENT);
}

// A real SIGKILL (the fault point raises it) after the data is written and synced, before it is
// linked and renamed: the old file is whole and nothing else is in the directory.
TEST(AtomicFile, WriterKilledBeforeTheRenameLeavesTheOldFileAndNoTemp) {
  if (!fault::Enabled()) GTEST_SKIP() << "built with -DCTV_FAULT_POINTS=OFF";
  test::TempDir dir;
  ASSERT_TRUE(WriteFile(dir / "f", "old"));
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::setenv("CTV_FAULT_AT", "core.atomic_file_written", 1);
    (void)WriteFileAtomic(dir / "f", std::string(1 << 20, 'n'));
    ::_exit(0);  // not reached when the point fires
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
  EXPECT_EQ(*ReadFile(dir / "f"), "old");
  EXPECT_EQ(Names(dir.Path()), std::vector<std::string>{"f"});
}

}  // namespace
}  // namespace ctv
