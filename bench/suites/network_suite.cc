#include "bench/suites/network_suite.h"

#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/fd.h"
#include "core/interrupt.h"
#include "core/line_reader.h"
#include "core/process.h"
#include "runtime/net/network.h"
#include "runtime/net/port_spec.h"
#include "runtime/net/scratch_netns.h"

namespace ctv::bench {
namespace {

using namespace std::chrono_literals;

constexpr int kServerPort = 7000;      // inside the namespace
constexpr int kLoopbackPort = 17071;   // the host-process server

// ctv-probe tcp-rr-server, started with `prefix` (e.g. nsenter) and waited for until ready.
struct EchoServer {
  Child child;
  Fd out;
  ~EchoServer() {
    if (child.Running()) {
      (void)child.Signal(SIGTERM);
      if (auto r = child.WaitFor(5s); !r || !*r) child.KillAndReap();
    }
  }
};

Result<std::unique_ptr<EchoServer>> StartEchoServer(std::vector<std::string> argv,
                                                    const std::string& probe, int port) {
  argv.insert(argv.end(), {probe, "tcp-rr-server", "--port", std::to_string(port), "--timeout",
                           "3600"});
  PipePair p = CTV_TRY(MakePipe());
  SpawnOptions o;
  o.argv = argv;
  o.stdout_fd = p.write.Get();
  auto s = std::make_unique<EchoServer>();
  s->child = CTV_TRY(Spawn(o));
  p.write.Reset();
  s->out = std::move(p.read);
  LineReader r(s->out.Get());
  auto line = CTV_TRY(r.Next(10s));
  if (!line || line->text.rfind("CTV-READY", 0) != 0)
    return MakeError("start tcp-rr-server", probe, line ? "unexpected: " + line->text : "exited");
  return s;
}

class LoopbackTarget final : public RrTarget {
 public:
  explicit LoopbackTarget(std::unique_ptr<EchoServer> s) : server_(std::move(s)) {}
  std::string Driver() const override { return "host"; }
  std::string Endpoint(const std::string& path) const override {
    return path == "loopback" ? fmt::format("127.0.0.1:{}", kLoopbackPort) : "";
  }

 private:
  std::unique_ptr<EchoServer> server_;
};

class NetnsTarget final : public RrTarget {
 public:
  // Members are destroyed in reverse order: server, then network, then the namespace.
  net::ScratchNetns ns;
  net::ContainerNetwork network;
  std::unique_ptr<EchoServer> server;
  int host_port = 0;

  explicit NetnsTarget(net::ScratchNetns n) : ns(std::move(n)) {}
  std::string Driver() const override { return "netns"; }
  std::string Endpoint(const std::string& path) const override {
    if (path == "bridge") return fmt::format("{}:{}", network.Address(), kServerPort);
    if (path == "dnat") return fmt::format("127.0.0.1:{}", host_port);
    return "";
  }
};

// One repetition: the median round trip in us.
Result<double> MeasureOnce(const std::string& probe, const std::string& endpoint, int iters) {
  auto out = CTV_TRY(RunCommand({probe, "tcp-rr", "--connect", endpoint, "--iters",
                                 std::to_string(iters), "--timeout", "10"},
                                60s));
  if (!out.status.Success())
    return MakeError("run tcp-rr", endpoint, out.status.ToString() + ": " + out.err);
  auto j = nlohmann::json::parse(out.out, nullptr, false);
  if (j.is_discarded() || !j.contains("median_ns"))
    return MakeError("parse tcp-rr output", endpoint, out.out);
  return j["median_ns"].get<double>() / 1e3;
}

class NetworkSuite final : public Suite {
 public:
  explicit NetworkSuite(NetworkSuiteOptions o) : o_(std::move(o)) {
    if (o_.probe_path.empty()) o_.probe_path = SelfDir() + "/ctv-probe";
    if (!o_.isolated_target) o_.isolated_target = ScratchNetnsTargetFactory(o_.probe_path);
  }
  std::string Name() const override { return "network"; }
  std::string Description() const override {
    return "TCP 1-byte request/response latency: host loopback vs bridge+veth vs DNAT port map";
  }

  Result<results::SuiteResult> Run(const SuiteOptions& so) override {
    results::SuiteResult out;
    out.name = Name();
    out.repetitions = so.repetitions;
    out.warmup = so.warmup;
    RrTargetFactory loopback = [this]() -> Result<std::unique_ptr<RrTarget>> {
      auto s = CTV_TRY(StartEchoServer({}, o_.probe_path, kLoopbackPort));
      return std::unique_ptr<RrTarget>(std::make_unique<LoopbackTarget>(std::move(s)));
    };
    out.results.push_back(CTV_TRY(RunPath(loopback, "host", "loopback", so)));
    // bridge and dnat share one target (one namespace, one server) per repetition set.
    for (const char* path : {"bridge", "dnat"})
      out.results.push_back(CTV_TRY(RunPath(o_.isolated_target, "netns", path, so)));
    return out;
  }

 private:
  Result<results::DriverResult> RunPath(const RrTargetFactory& make, const std::string& driver,
                                        const std::string& path, const SuiteOptions& so) {
    results::DriverResult r;
    r.driver = driver;
    r.accelerator = "none";
    r.parameters = {{"path", path}, {"iters", std::to_string(o_.iters)}};
    if (::access(o_.probe_path.c_str(), X_OK) != 0) {
      r.skipped = "ctv-probe not found at " + o_.probe_path;
      return r;
    }
    if (driver != "host" && ::geteuid() != 0) {
      r.skipped = "needs root (network namespaces, bridge, nftables)";
      return r;
    }
    auto target = make();
    if (!target) {
      r.skipped = "target setup failed: " + target.error().ToString();
      return r;
    }
    r.driver = (*target)->Driver();
    std::string endpoint = (*target)->Endpoint(path);
    if (endpoint.empty()) {
      r.skipped = "this target has no " + path + " path";
      return r;
    }
    r.details["endpoint"] = endpoint;
    std::vector<double> samples;
    int total = so.warmup + so.repetitions;
    for (int i = 0; i < total; ++i) {
      if (Interrupted()) return MakeError("run suite network", path, "interrupted");
      if (so.progress) so.progress({driver + "/" + path, i, total, i < so.warmup});
      auto us = MeasureOnce(o_.probe_path, endpoint, o_.iters);
      if (!us) {
        r.skipped = fmt::format("repetition {} failed: {}", i + 1, us.error().ToString());
        return r;
      }
      if (i >= so.warmup) samples.push_back(*us);
    }
    if (so.progress) so.progress({driver + "/" + path, total, total, false});
    r.metrics.push_back(results::MakeMetric(
        "network.tcp_rr", "us",
        fmt::format("median of {} 1-byte TCP round trips on one connection, host client -> {} "
                    "({})",
                    o_.iters, endpoint, path),
        samples));
    return r;
  }

  NetworkSuiteOptions o_;
};

}  // namespace

RrTargetFactory ScratchNetnsTargetFactory(std::string probe_path, int host_port) {
  return [probe_path, host_port]() -> Result<std::unique_ptr<RrTarget>> {
    std::string id = fmt::format("ctvnet{}", ::getpid());
    auto ns = CTV_TRY(net::ScratchNetns::Create(id));
    auto t = std::make_unique<NetnsTarget>(std::move(ns));
    t->host_port = host_port;
    net::NetworkRequest req;
    req.container_id = id;
    req.ports = {net::PortMapping{"", static_cast<uint16_t>(host_port),
                                  static_cast<uint16_t>(kServerPort), net::Protocol::kTcp}};
    auto ref = CTV_TRY(net::NetnsRef::FromPath(t->ns.Path()));
    t->network = CTV_TRY(net::Attach(req, ref));
    t->server = CTV_TRY(StartEchoServer(t->ns.ExecPrefix(), probe_path, kServerPort));
    return std::unique_ptr<RrTarget>(std::move(t));
  };
}

std::unique_ptr<Suite> MakeNetworkSuite(NetworkSuiteOptions options) {
  return std::make_unique<NetworkSuite>(std::move(options));
}

}  // namespace ctv::bench
