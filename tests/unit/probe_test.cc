// ctv-probe: each mode's output contract, and clear refusals of bad arguments.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/test_util.h"

namespace ctv {
namespace {

CommandOutput Probe(std::vector<std::string> args) {
  args.insert(args.begin(), test::Bin("ctv-probe"));
  return test::RunOrDie(args);
}

nlohmann::json JsonOut(const CommandOutput& o) {
  auto j = nlohmann::json::parse(o.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << o.out;
  return j;
}

TEST(Probe, IsStatic) {
  auto o = test::RunOrDie({"sh", "-c", "file -L " + test::Bin("ctv-probe") + " || readelf -l " +
                                           test::Bin("ctv-probe")});
  EXPECT_EQ(o.out.find("interpreter"), std::string::npos) << o.out;
}

TEST(Probe, NoopExitsZeroSilently) {
  auto o = Probe({"noop"});
  EXPECT_TRUE(o.status.Success());
  EXPECT_EQ(o.out, "");
}

TEST(Probe, SyscallReportsNanosecondsPerOp) {
  for (const char* op : {"getppid", "read", "write", "openclose", "stat", "clock"}) {
    auto o = Probe({"syscall", "--op", op, "--iters", "1000"});
    ASSERT_TRUE(o.status.Success()) << op << ": " << o.err;
    auto j = JsonOut(o);
    EXPECT_EQ(j["op"], op);
    EXPECT_EQ(j["iters"], 1000);
    EXPECT_GT(j["ns_per_op"].get<double>(), 0);
  }
}

TEST(Probe, MemtouchTouchesWhatItAllocates) {
  auto j = JsonOut(Probe({"memtouch", "--mib", "16"}));
  EXPECT_EQ(j["mib"], 16);
  EXPECT_GE(j["rss_kib"].get<long>(), 16 * 1024);
}

TEST(Probe, ForkbombCountsSuccessfulForks) {
  auto j = JsonOut(Probe({"forkbomb", "--max", "10"}));
  EXPECT_EQ(j["forked"], 10);
  EXPECT_TRUE(j["stopped_by"].is_null());
}

TEST(Probe, HostinfoDescribesTheProcess) {
  auto j = JsonOut(Probe({"hostinfo"}));
  for (const char* k : {"pid", "ppid", "hostname", "uid", "kernel_release", "interfaces",
                        "mount_count", "visible_pids", "pid1_comm"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_GT(j["visible_pids"].get<int>(), 1);
}

TEST(Probe, ReadyPrintsTheMarkerAndStopsOnSigterm) {
  auto o = test::RunOrDie({"sh", "-c", test::Bin("ctv-probe") +
                                           " ready & p=$!; sleep 0.2; kill -TERM $p; wait $p"});
  EXPECT_TRUE(o.status.Success()) << o.err;
  EXPECT_EQ(o.out.rfind("CTV-READY ", 0), 0u) << o.out;
}

TEST(Probe, BadArgumentsExitTwoNamingTheProblem) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  } cases[] = {
      {{}, "usage: ctv-probe MODE"},
      {{"teleport"}, "unknown mode 'teleport'"},
      {{"syscall", "--iters", "10"}, "--op is required"},
      {{"syscall", "--op", "fork", "--iters", "10"}, "--op: expected getppid|read"},
      {{"syscall", "--op", "read", "--iters", "ten"}, "--iters: expected an integer"},
      {{"memtouch", "--mib", "-5"}, "--mib: expected an integer from 1"},
      {{"cpuspin"}, "--seconds is required"},
      {{"noop", "--fast", "1"}, "unknown option '--fast' (this mode takes none)"},
      {{"forkbomb", "--max"}, "--max needs a value"},
  };
  for (const auto& c : cases) {
    auto o = Probe(c.args);
    EXPECT_EQ(o.status.ToString(), "exit 2") << c.message;
    EXPECT_NE(o.err.find(c.message), std::string::npos) << "got: " << o.err;
  }
}

}  // namespace
}  // namespace ctv
