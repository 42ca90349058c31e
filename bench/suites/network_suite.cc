#include "bench/suites/network_suite.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/fd.h"
#include "core/interrupt.h"
#include "core/line_reader.h"
#include "core/process.h"
#include "runtime/lifecycle.h"
#include "runtime/net/network.h"
#include "runtime/net/port_spec.h"
#include "runtime/net/scratch_netns.h"

namespace ctv::bench {
namespace {

using namespace std::chrono_literals;

constexpr int kServerPort = 7000;     // inside the namespace
constexpr int kLoopbackPort = 17071;  // the host-process server
constexpr int kContainerHostPort = 17072;  // the ctvrt container's mapping (-p 17072:7000)
constexpr int kHostModePort = 17073;       // the server of a --net host ctvrt container

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
                                                    const std::string& probe, int port, int cpu) {
  argv.insert(argv.end(),
              {probe, "tcp-rr-server", "--port", std::to_string(port), "--timeout", "3600"});
  if (cpu >= 0) argv.insert(argv.end(), {"--cpu", std::to_string(cpu)});
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

// The echo server in a real ctvrt container (the "ctvrt" driver): with options net=bridge and
// ports=<host_port>:7000 it serves the bridge and dnat paths; with net=host (the host's network
// namespace, every other isolation kept) it listens on 127.0.0.1:17073 and serves the host path.
// Destroying the instance deletes the container and its network.
class ContainerTarget final : public RrTarget {
 public:
  std::unique_ptr<Instance> instance;
  std::string address;
  int host_port = 0;
  bool host_mode = false;
  ~ContainerTarget() override {
    if (instance) (void)instance->Stop(5s);
  }
  std::string Driver() const override { return "ctvrt"; }
  std::string Endpoint(const std::string& path) const override {
    if (host_mode) return path == "host" ? fmt::format("127.0.0.1:{}", kHostModePort) : "";
    if (path == "bridge") return fmt::format("{}:{}", address, kServerPort);
    if (path == "dnat") return fmt::format("127.0.0.1:{}", host_port);
    return "";
  }
};

// host_port > 0: bridge network with -p host_port:7000; host_port == 0: --net host.
Result<std::unique_ptr<RrTarget>> StartContainerTarget(bench::Driver& driver, int cpu,
                                                       int host_port) {
  auto t = std::make_unique<ContainerTarget>();
  t->host_port = host_port;
  t->host_mode = host_port == 0;
  InstanceSpec spec;
  spec.name = fmt::format("ctvnetrr{}{}", t->host_mode ? "h" : "", ::getpid());
  int port = t->host_mode ? kHostModePort : kServerPort;
  spec.probe_args = {"tcp-rr-server", "--port", std::to_string(port), "--timeout", "3600"};
  if (cpu >= 0) spec.probe_args.insert(spec.probe_args.end(), {"--cpu", std::to_string(cpu)});
  if (t->host_mode)
    spec.options = {{"net", "host"}};
  else
    spec.options = {{"net", "bridge"}, {"ports", fmt::format("{}:{}", host_port, kServerPort)}};
  t->instance = CTV_TRY(driver.Create(spec));
  CTV_CHECK(t->instance->Start());
  CTV_CHECK(t->instance->WaitReady(10s));
  if (t->host_mode) return std::unique_ptr<RrTarget>(std::move(t));
  auto ep = CTV_TRY(net::LookupEndpoint(runtime::HostNetworkConfig(), spec.name));
  if (!ep) return MakeError("find the network of container", spec.name, "it has no endpoint");
  t->address = ep->ip;
  return std::unique_ptr<RrTarget>(std::move(t));
}

// One repetition: the median round trip in us.
Result<double> MeasureOnce(const std::string& probe, const std::string& endpoint, int iters,
                           int cpu) {
  std::vector<std::string> argv = {
      probe, "tcp-rr", "--connect", endpoint, "--iters", std::to_string(iters), "--timeout", "10"};
  if (cpu >= 0) argv.insert(argv.end(), {"--cpu", std::to_string(cpu)});
  auto out = CTV_TRY(RunCommand(argv, 60s));
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
    cpu_ = o_.cpu;
    if (cpu_ == -2) cpu_ = std::max(0, static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN)) - 1);
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
    struct Row {
      results::DriverResult r;
      RrTarget* target = nullptr;
      std::string endpoint;
      std::vector<double> samples;
    };
    std::vector<Row> rows;
    for (const char* path : {"loopback", "bridge", "dnat"}) {
      Row row;
      row.r.driver = std::string(path) == "loopback" ? "host" : "netns";
      row.r.accelerator = "none";
      row.r.parameters = {{"path", path}};
      row.r.details["iters_per_repetition"] = o_.iters;
      row.r.details["cpu"] = cpu_;  // -1: not pinned
      rows.push_back(std::move(row));
    }
    // The same bridge and dnat paths to a real container, when the ctvrt driver is selected.
    bench::Driver* ctvrt = nullptr;
    for (bench::Driver* d : so.drivers)
      if (d->Name() == "ctvrt") ctvrt = d;
    if (ctvrt) {
      for (const char* path : {"host", "bridge", "dnat"}) {
        Row row;
        row.r.driver = "ctvrt";
        row.r.accelerator = "none";
        row.r.parameters = {{"path", path}, {"target", "ctvrt"}};
        row.r.details["iters_per_repetition"] = o_.iters;
        row.r.details["cpu"] = cpu_;
        rows.push_back(std::move(row));
      }
    }
    // Targets live for the whole suite: one host server, one isolated target shared by the
    // bridge and dnat paths, and the container target.
    std::unique_ptr<RrTarget> loopback, isolated, container, host_container;
    std::string loopback_error, isolated_error, container_error, host_container_error;
    if (::access(o_.probe_path.c_str(), X_OK) != 0) {
      loopback_error = isolated_error = "ctv-probe not found at " + o_.probe_path;
    } else {
      if (auto s = StartEchoServer({}, o_.probe_path, kLoopbackPort, cpu_))
        loopback = std::make_unique<LoopbackTarget>(std::move(*s));
      else
        loopback_error = "target setup failed: " + s.error().ToString();
      if (::geteuid() != 0) {
        isolated_error = "needs root (network namespaces, bridge, nftables)";
      } else if (auto t = o_.isolated_target(cpu_)) {
        isolated = std::move(*t);
      } else {
        isolated_error = "target setup failed: " + t.error().ToString();
      }
      if (ctvrt) {
        Availability a = ctvrt->Check();
        if (!a.available) {
          container_error = a.reason;
        } else {
          if (auto t = StartContainerTarget(*ctvrt, cpu_, kContainerHostPort))
            container = std::move(*t);
          else
            container_error = "target setup failed: " + t.error().ToString();
          if (auto t = StartContainerTarget(*ctvrt, cpu_, /*host_port=*/0))
            host_container = std::move(*t);
          else
            host_container_error = "target setup failed: " + t.error().ToString();
        }
        if (!a.available) host_container_error = container_error;
      }
    }
    for (auto& row : rows) {
      const std::string& path = row.r.parameters["path"];
      bool host = path == "loopback";
      bool in_container = row.r.parameters.contains("target");
      bool host_net = in_container && path == "host";
      row.target = host            ? loopback.get()
                   : host_net      ? host_container.get()
                   : in_container  ? container.get()
                                   : isolated.get();
      if (!row.target) {
        row.r.skipped = host           ? loopback_error
                        : host_net     ? host_container_error
                        : in_container ? container_error
                                       : isolated_error;
        continue;
      }
      row.r.driver = row.target->Driver();
      row.endpoint = row.target->Endpoint(path);
      if (row.endpoint.empty()) row.r.skipped = "this target has no " + path + " path";
      row.r.details["endpoint"] = row.endpoint;
    }
    // Interleaved (loopback, bridge, dnat, loopback, ...): a change in the host's load during the
    // run (2 shared cores) hits every path alike instead of biasing whichever ran last.
    int total = so.warmup + so.repetitions;
    for (int i = 0; i < total; ++i) {
      if (so.progress) so.progress({"all paths", i, total, i < so.warmup});
      for (auto& row : rows) {
        if (Interrupted()) return MakeError("run suite network", "", "interrupted");
        if (row.r.skipped) continue;
        auto us = MeasureOnce(o_.probe_path, row.endpoint, o_.iters, cpu_);
        if (!us) {
          row.r.skipped = fmt::format("repetition {} failed: {}", i + 1, us.error().ToString());
          continue;
        }
        if (i >= so.warmup) row.samples.push_back(*us);
      }
    }
    if (so.progress) so.progress({"all paths", total, total, false});
    for (auto& row : rows) {
      if (!row.r.skipped)
        row.r.metrics.push_back(results::MakeMetric(
            "network.tcp_rr", "us",
            fmt::format("median of {} 1-byte TCP round trips on one connection, host client -> "
                        "{} ({}){}",
                        o_.iters, row.endpoint, row.r.parameters["path"],
                        cpu_ >= 0 ? fmt::format(", client and server on CPU {}", cpu_) : ""),
            row.samples));
      out.results.push_back(std::move(row.r));
    }
    return out;
  }

 private:
  NetworkSuiteOptions o_;
  int cpu_ = -1;
};

}  // namespace

RrTargetFactory ScratchNetnsTargetFactory(std::string probe_path, int host_port) {
  return [probe_path, host_port](int cpu) -> Result<std::unique_ptr<RrTarget>> {
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
    t->server = CTV_TRY(StartEchoServer(t->ns.ExecPrefix(), probe_path, kServerPort, cpu));
    return std::unique_ptr<RrTarget>(std::move(t));
  };
}

std::unique_ptr<Suite> MakeNetworkSuite(NetworkSuiteOptions options) {
  return std::make_unique<NetworkSuite>(std::move(options));
}

}  // namespace ctv::bench
