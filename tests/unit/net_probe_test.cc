// ctv-probe's network modes on 127.0.0.1 only (no root needed): http, tcp-rr-server, tcp-rr.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

#include <nlohmann/json.hpp>

#include "core/fd.h"
#include "core/line_reader.h"
#include "core/process.h"
#include "tests/test_util.h"

namespace ctv {
namespace {

using namespace std::chrono_literals;

// A port the kernel just handed out (and we released): free unless something races us for it.
int FreePort() {
  Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (::bind(s.Get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      ::getsockname(s.Get(), reinterpret_cast<sockaddr*>(&sa), &len) != 0)
    return 0;
  return ntohs(sa.sin_port);
}

struct Server {
  Child child;
  Fd out;
};

Server StartServer(const std::vector<std::string>& args) {
  auto p = MakePipe();
  EXPECT_TRUE(p);
  SpawnOptions o;
  o.argv = {test::Bin("ctv-probe")};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.stdout_fd = p->write.Get();
  auto c = Spawn(o);
  EXPECT_TRUE(c) << c.error().ToString();
  p->write.Reset();
  Server s{std::move(*c), std::move(p->read)};
  LineReader r(s.out.Get());
  auto line = r.Next(10s);
  EXPECT_TRUE(line && *line && (*line)->text.rfind("CTV-READY ", 0) == 0);
  return s;
}

TEST(ProbeNet, BadArgumentsExit2NamingTheOption) {
  struct Case {
    std::vector<std::string> args;
    std::string needle;
  };
  for (const Case& c : std::vector<Case>{
           {{"http"}, "--port is required"},
           {{"http", "--port", "70000"}, "--port"},
           {{"tcp-rr-server", "--port", "x"}, "--port"},
           {{"tcp-rr", "--iters", "3"}, "--connect"},
           {{"tcp-rr", "--connect", "h:1", "--iters", "3"}, "A.B.C.D:PORT"},
           {{"tcp-rr", "--connect", "127.0.0.1:9"}, "--iters"},
           {{"tcp-rr", "--connect", "127.0.0.1:9", "--iters", "1", "--cpu", "x"}, "--cpu"}}) {
    std::vector<std::string> argv = {test::Bin("ctv-probe")};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    auto out = test::RunOrDie(argv);
    EXPECT_EQ(out.status.code, 2) << c.args[0];
    EXPECT_NE(out.err.find(c.needle), std::string::npos) << out.err;
  }
}

TEST(ProbeNet, HttpServesGetAndStopsOnSigterm) {
  if (FindInPath("curl").empty()) GTEST_SKIP() << "curl not installed";
  int port = FreePort();
  ASSERT_NE(port, 0);
  Server s = StartServer({"http", "--port", std::to_string(port), "--timeout", "60"});
  auto out = test::RunOrDie({"curl", "-sS", "--noproxy", "*", "--max-time", "5",
                             "http://127.0.0.1:" + std::to_string(port) + "/"});
  ASSERT_TRUE(out.status.Success()) << out.err;
  EXPECT_NE(out.out.find("pid=" + std::to_string(s.child.Pid())), std::string::npos) << out.out;
  ASSERT_TRUE(s.child.Signal(SIGTERM));
  auto st = s.child.WaitFor(10s);
  ASSERT_TRUE(st && *st);
  EXPECT_TRUE((*st)->Success()) << (*st)->ToString();
}

TEST(ProbeNet, TcpRrReportsRoundTrips) {
  int port = FreePort();
  ASSERT_NE(port, 0);
  // Both pinned to CPU 0 (always online), as the network suite does.
  Server s = StartServer(
      {"tcp-rr-server", "--port", std::to_string(port), "--timeout", "60", "--cpu", "0"});
  auto out = test::RunOrDie({test::Bin("ctv-probe"), "tcp-rr", "--connect",
                             "127.0.0.1:" + std::to_string(port), "--iters", "200", "--cpu", "0"});
  ASSERT_TRUE(out.status.Success()) << out.err;
  auto j = nlohmann::json::parse(out.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out.out;
  EXPECT_EQ(j["mode"], "tcp-rr");
  EXPECT_EQ(j["iters"], 200);
  EXPECT_GT(j["median_ns"].get<double>(), 0);
  EXPECT_LE(j["min_ns"].get<double>(), j["median_ns"].get<double>());
  ASSERT_TRUE(s.child.Signal(SIGTERM));
  auto st = s.child.WaitFor(10s);
  ASSERT_TRUE(st && *st);
  EXPECT_TRUE((*st)->Success());
}

}  // namespace
}  // namespace ctv
