// ctv-probe: each mode's output contract, and clear refusals of bad arguments.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>

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
  for (const char* op : {"getppid", "read", "write", "openclose", "stat", "clock", "pipe", "fault",
                         "fork"}) {
    auto o = Probe({"syscall", "--op", op, "--iters", "1000"});
    ASSERT_TRUE(o.status.Success()) << op << ": " << o.err;
    auto j = JsonOut(o);
    EXPECT_EQ(j["op"], op);
    EXPECT_EQ(j["iters"], 1000);
    EXPECT_GT(j["ns_per_op"].get<double>(), 0);
  }
}

// --ms: the loop count adapts so each op takes about that long; one JSON line per op.
TEST(Probe, SyscallListRunsEachOpForAboutTheTimeAsked) {
  auto o = Probe({"syscall", "--op", "getppid,devwrite", "--ms", "20"});
  ASSERT_TRUE(o.status.Success()) << o.err;
  std::vector<nlohmann::json> lines;
  std::istringstream in(o.out);
  for (std::string l; std::getline(in, l);)
    if (!l.empty() && l[0] == '{') lines.push_back(nlohmann::json::parse(l));
  ASSERT_EQ(lines.size(), 2u) << o.out.substr(0, 300);
  EXPECT_EQ(lines[0]["op"], "getppid");
  EXPECT_EQ(lines[1]["op"], "devwrite");
  EXPECT_GE(lines[0]["total_ns"].get<double>(), 20e6);
  EXPECT_GT(lines[0]["iters"].get<long>(), 1000);
  EXPECT_LE(lines[1]["iters"].get<long>(), 16384);  // bounded: it is the harness's output
}

TEST(Probe, CpuSpinOnTwoThreadsReportsItsAffinity) {
  auto j = JsonOut(Probe({"cpuspin", "--seconds", "1", "--threads", "2"}));
  EXPECT_EQ(j["threads"], 2);
  EXPECT_FALSE(j["affinity"].get<std::string>().empty());
  EXPECT_GT(j["cpu_s"].get<double>(), 0);  // the share itself depends on how busy the host is
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

// Not a tty here (a pipe): nothing to drain. In a guest it is the marker channel's tty.
TEST(Probe, EmitWritesTheBytesAsLinesThenItsJson) {
  auto o = Probe({"emit", "--kib", "4"});
  ASSERT_TRUE(o.status.Success()) << o.err;
  size_t json_at = o.out.rfind('{');
  ASSERT_EQ(json_at, 4096u) << o.out.substr(0, 200);
  EXPECT_EQ(std::count(o.out.begin(), o.out.begin() + 4096, '\n'), 64);
  EXPECT_EQ(o.out.substr(0, 4096).find_first_not_of("x\n"), std::string::npos);
  auto j = nlohmann::json::parse(o.out.substr(json_at), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << o.out.substr(json_at);
  EXPECT_EQ(j["mode"], "emit");
  EXPECT_EQ(j["bytes"], 4096);
  EXPECT_EQ(j["tty_drained"], false);
  EXPECT_GT(j["kib_per_s"].get<double>(), 0);
}

TEST(Probe, BadArgumentsExitTwoNamingTheProblem) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  } cases[] = {
      {{}, "usage: ctv-probe MODE"},
      {{"teleport"}, "unknown mode 'teleport'"},
      {{"syscall", "--iters", "10"}, "--op is required"},
      {{"syscall", "--op", "teleport", "--iters", "10"}, "--op: expected getppid|clock|read"},
      {{"syscall", "--op", "getppid,nope", "--ms", "10"}, "got 'nope'"},
      {{"cpuspin", "--seconds", "1", "--threads", "0"}, "--threads: expected an integer from 1"},
      {{"syscall", "--op", "read", "--iters", "ten"}, "--iters: expected an integer"},
      {{"memtouch", "--mib", "-5"}, "--mib: expected an integer from 1"},
      {{"cpuspin"}, "--seconds is required"},
      {{"noop", "--fast", "1"}, "unknown option '--fast' (this mode takes none)"},
      {{"forkbomb", "--max"}, "--max needs a value"},
      {{"blkread"}, "--mib is required"},
      {{"blkread", "--mib", "0"}, "--mib: expected an integer from 1"},
      {{"blkread", "--mib", "1", "--device", "sda"}, "unknown option '--device'"},
      {{"emit", "--kib", "x"}, "--kib: expected an integer"},
  };
  for (const auto& c : cases) {
    auto o = Probe(c.args);
    EXPECT_EQ(o.status.ToString(), "exit 2") << c.message;
    EXPECT_NE(o.err.find(c.message), std::string::npos) << "got: " << o.err;
  }
}

}  // namespace
}  // namespace ctv
