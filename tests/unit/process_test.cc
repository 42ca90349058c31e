#include "core/process.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "core/fd.h"
#include "core/line_reader.h"

namespace ctv {
namespace {

using namespace std::chrono_literals;

TEST(Process, RunCommandCapturesOutputAndStatus) {
  auto r = RunCommand({"sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_EQ(r->status.ToString(), "exit 3");
}

TEST(Process, SpawnOfAMissingProgramIsAnError) {
  auto c = Spawn({.argv = {"/nonexistent/ctv-no-such-binary"}});
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().ToString().find("ENOENT"), std::string::npos);
}

// A child started with `cwd` writes its relative paths there, not into ours.
TEST(Process, SpawnRunsTheChildInTheGivenDirectory) {
  char tmpl[] = "/tmp/ctv-cwd-test-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  auto c = Spawn({.argv = {"touch", "dropped"}, .cwd = dir});
  ASSERT_TRUE(c) << c.error().ToString();
  auto st = c->Wait();
  ASSERT_TRUE(st && st->Success());
  EXPECT_EQ(::access((dir + "/dropped").c_str(), F_OK), 0);
  EXPECT_NE(::access("dropped", F_OK), 0);
  ::unlink((dir + "/dropped").c_str());
  ::rmdir(dir.c_str());
}

TEST(Process, TimeoutKillsTheCommand) {
  auto r = RunCommand({"sleep", "30"}, 200ms);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().ToString().find("timed out"), std::string::npos);
}

TEST(Process, GuardKillsAndReapsOnDestruction) {
  pid_t pid;
  {
    auto c = Spawn({.argv = {"sleep", "30"}, .new_process_group = true});
    ASSERT_TRUE(c);
    pid = c->Pid();
    EXPECT_EQ(::kill(pid, 0), 0);
  }
  // Reaped: the pid no longer exists (not even as a zombie).
  EXPECT_EQ(::kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST(Process, WaitForReportsStillRunningThenSignal) {
  auto c = Spawn({.argv = {"sleep", "30"}});
  ASSERT_TRUE(c);
  auto first = c->WaitFor(50ms);
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->has_value());
  ASSERT_TRUE(c->Signal(SIGTERM));
  auto second = c->WaitFor(5000ms);
  ASSERT_TRUE(second);
  ASSERT_TRUE(second->has_value());
  EXPECT_EQ((*second)->ToString(), "killed by SIGTERM");
}

TEST(LineReader, SplitsLinesAndReportsEof) {
  auto p = MakePipe();
  ASSERT_TRUE(p);
  ASSERT_TRUE(WriteAll(p->write.Get(), "one\r\ntwo\npartial", "pipe"));
  p->write.Reset();
  LineReader r(p->read.Get());
  EXPECT_EQ(r.Next(1000ms).value()->text, "one");
  EXPECT_EQ(r.Next(1000ms).value()->text, "two");
  EXPECT_EQ(r.Next(1000ms).value()->text, "partial");
  EXPECT_FALSE(r.Next(1000ms).value().has_value());
}

TEST(LineReader, TimesOut) {
  auto p = MakePipe();
  ASSERT_TRUE(p);
  LineReader r(p->read.Get());
  auto line = r.Next(20ms);
  ASSERT_FALSE(line);
  EXPECT_EQ(line.error().code, ETIMEDOUT);
}

}  // namespace
}  // namespace ctv
