// core/fault_point.h: a point is listed by the binary that links it, does nothing unless
// CTV_FAULT_AT names it, and SIGKILLs the process (after logging name and pid) when it does.
#include "core/fault_point.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "core/fd.h"
#include "tests/test_util.h"

namespace ctv {
namespace {

void PointUnderTest() { CTV_FAULT_POINT("test.unit_point"); }

TEST(FaultPoint, ListedInThisBinary) {
  if (!fault::Enabled()) GTEST_SKIP() << "built with -DCTV_FAULT_POINTS=OFF";
  auto all = fault::Compiled();
  EXPECT_NE(std::find(all.begin(), all.end(), "test.unit_point"), all.end());
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
}

// Runs PointUnderTest in a child with CTV_FAULT_AT=at; returns its wait status.
int RunPointInChild(const char* at, const std::string& log) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("CTV_FAULT_AT", at, 1);
    ::setenv("CTV_FAULT_LOG", log.c_str(), 1);
    PointUnderTest();
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

TEST(FaultPoint, OtherNameDoesNothing) {
  test::TempDir dir;
  int st = RunPointInChild("test.another_point", dir / "log");
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  EXPECT_FALSE(ReadFile(dir / "log").has_value());
}

TEST(FaultPoint, NamedPointKillsAndLogs) {
  if (!fault::Enabled()) GTEST_SKIP() << "built with -DCTV_FAULT_POINTS=OFF";
  test::TempDir dir;
  int st = RunPointInChild("test.unit_point", dir / "log");
  ASSERT_TRUE(WIFSIGNALED(st));
  EXPECT_EQ(WTERMSIG(st), SIGKILL);
  auto log = ReadFile(dir / "log");
  ASSERT_TRUE(log);
  EXPECT_EQ(log->rfind("test.unit_point ", 0), 0u) << *log;
}

}  // namespace
}  // namespace ctv
