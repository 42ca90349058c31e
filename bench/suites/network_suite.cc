#include "bench/suites/network_suite.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <nlohmann/json.hpp>

#include "core/fd.h"
#include "core/interrupt.h"
#include "core/line_reader.h"
#include "bench/drivers/probe_output.h"
#include "bench/suites/driver_result.h"
#include "bench/suites/held_port.h"
#include "core/process.h"
#include "runtime/net/network.h"
#include "runtime/net/port_spec.h"
#include "runtime/net/scratch_netns.h"

namespace ctv::bench {
namespace {

using namespace std::chrono_literals;

constexpr int kServerPort = 7000;     // inside the namespace
constexpr const char* kScratchNetnsTag = "net";  // namespaces ctvnet<pid> (gc knows them)
// Host ports (the loopback server, each -p mapping, each --net host server) are chosen by the
// kernel and held for the run (HeldPort): two runs at once never collide. This one only checks
// that a driver takes the option's form.
constexpr int kValidationHostPort = 17072;

// The options a container driver takes for the paths through its own network (ctvrt's today);
// a driver that refuses them is skipped with its own words.
std::map<std::string, std::string> BridgeOptions(int host_port) {
  return {{"net", "bridge"}, {"ports", fmt::format("{}:{}", host_port, kServerPort)}};
}
const std::map<std::string, std::string> kHostNetOptions = {{"net", "host"}};

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
  // The server dies with the run, even a SIGKILLed one: setpriv sets PR_SET_PDEATHSIG before it
  // execs the rest (posix_spawn, which Spawn uses, cannot), and it survives nsenter's exec.
  argv.insert(argv.begin(), {"setpriv", "--pdeathsig", "KILL", "--"});
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
  std::vector<Mark> marks;
  std::string output;
  if (Status ready = WaitForReadyMarker(r, 10s, marks, output); !ready)
    return MakeError("start tcp-rr-server", probe, ready.error().ToString());
  return s;
}

class LoopbackTarget final : public RrTarget {
 public:
  LoopbackTarget(HeldPort port, std::unique_ptr<EchoServer> s)
      : port_(std::move(port)), server_(std::move(s)) {}
  std::string Driver() const override { return "host"; }
  std::string Endpoint(const std::string& path) const override {
    return path == "loopback" ? fmt::format("127.0.0.1:{}", port_.Port()) : "";
  }

 private:
  HeldPort port_;
  std::unique_ptr<EchoServer> server_;
};

Result<std::unique_ptr<RrTarget>> StartLoopbackTarget(const std::string& probe, int cpu) {
  HeldPort port = CTV_TRY(HeldPort::Reserve());
  auto server = CTV_TRY(StartEchoServer({}, probe, port.Port(), cpu));
  return std::unique_ptr<RrTarget>(std::make_unique<LoopbackTarget>(std::move(port), std::move(server)));
}

class NetnsTarget final : public RrTarget {
 public:
  // Members are destroyed in reverse order: server, then network, then the namespace; the held
  // port last.
  std::optional<HeldPort> held;
  net::ScratchNetns ns;
  net::ContainerNetwork network;
  std::unique_ptr<EchoServer> server;
  int host_port = 0;

  explicit NetnsTarget(net::ScratchNetns n) : ns(std::move(n)) {}
  // The host driver's own process, in a network namespace of its own: no pseudo-driver that
  // `list` and `--driver` would not know.
  std::string Driver() const override { return "host"; }
  std::string Endpoint(const std::string& path) const override {
    if (path == "bridge") return fmt::format("{}:{}", network.Address(), kServerPort);
    if (path == "dnat") return fmt::format("127.0.0.1:{}", host_port);
    return "";
  }
};

// The echo server in a real container of a driver: with options net=bridge and
// ports=<host_port>:7000 it serves the bridge and dnat paths (its address is the instance's
// fact::kAddress); with net=host (the host's network namespace, every other isolation kept) it
// listens on 127.0.0.1:<host_mode_port> and serves the host path. Destroying the instance deletes
// the container and its network.
class ContainerTarget final : public RrTarget {
 public:
  HeldPort held;  // host_port or host_mode_port; released after the instance is gone
  std::unique_ptr<Instance> instance;
  std::string driver;
  std::string address;
  int host_port = 0;
  int host_mode_port = 0;
  bool host_mode = false;
  ~ContainerTarget() override {
    if (instance) (void)instance->Stop(5s);
  }
  std::string Driver() const override { return driver; }
  std::string Endpoint(const std::string& path) const override {
    if (host_mode) return path == "host" ? fmt::format("127.0.0.1:{}", host_mode_port) : "";
    if (path == "bridge") return fmt::format("{}:{}", address, kServerPort);
    if (path == "dnat") return fmt::format("127.0.0.1:{}", host_port);
    return "";
  }
};

// The k-th container driver's target. host_mode: --net host, server on 127.0.0.1:P; else bridge
// network with -p P:7000; P a port held for the run.
Result<std::unique_ptr<RrTarget>> StartContainerTarget(bench::Driver& driver, int cpu, int k,
                                                       bool host_mode) {
  auto t = std::make_unique<ContainerTarget>();
  t->held = CTV_TRY(HeldPort::Reserve());
  t->driver = driver.Name();
  t->host_mode = host_mode;
  (host_mode ? t->host_mode_port : t->host_port) = t->held.Port();
  InstanceSpec spec;
  spec.name = fmt::format("ctvnetrr{}{}{}", k, host_mode ? "h" : "", ::getpid());
  int port = host_mode ? t->host_mode_port : kServerPort;
  spec.probe_args = {"tcp-rr-server", "--port", std::to_string(port), "--timeout", "3600"};
  if (cpu >= 0) spec.probe_args.insert(spec.probe_args.end(), {"--cpu", std::to_string(cpu)});
  spec.options = host_mode ? kHostNetOptions : BridgeOptions(t->host_port);
  t->instance = CTV_TRY(driver.Create(spec));
  CTV_CHECK(t->instance->Start());
  CTV_CHECK(t->instance->WaitReady(10s));
  if (host_mode) return std::unique_ptr<RrTarget>(std::move(t));
  auto facts = t->instance->Facts();
  auto address = facts.find(fact::kAddress);
  if (address == facts.end() || address->second.empty())
    return MakeError("find the network address of container", spec.name,
                     "driver " + driver.Name() + " reported none (fact \"address\")");
  t->address = address->second;
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
      int group = -1;  // index into `targets` for a container driver's rows
      RrTarget* target = nullptr;
      std::string endpoint;
      std::vector<double> samples;
    };
    std::vector<Row> rows;
    for (const char* path : {"loopback", "bridge", "dnat"}) {
      Row row;
      bool loopback = std::string(path) == "loopback";
      row.r.driver = "host";
      row.r.kind = "host";
      row.r.accelerator = "none";
      row.r.parameters = {{"path", path}};
      // bridge and dnat reach a plain host process in a scratch network namespace: the network
      // half of a container, nothing else of it.
      if (!loopback) row.r.parameters["netns"] = "own";
      row.r.details["iters_per_repetition"] = o_.iters;
      row.r.details["cpu"] = cpu_;  // -1: not pinned
      rows.push_back(std::move(row));
    }
    // The same paths to a real container of every selected container or sandbox driver that
    // takes the bridge and host network options; the others are named with the reason.
    struct ContainerTargets {
      std::unique_ptr<RrTarget> bridge, host;
      std::string bridge_error, host_error;
    };
    std::vector<ContainerTargets> targets;  // one per row group, in the rows' order
    int k = 0;
    for (bench::Driver* d : so.drivers) {
      if (d->Kind() == DriverKind::kHost) continue;  // the loopback row is the host floor
      ContainerTargets ct;
      std::string refused;
      if (d->Kind() == DriverKind::kVm) {
        refused = "VM drivers have no guest network yet: the network suite measures container "
                  "and host paths";
      } else if (Status s = d->ValidateOptions(BridgeOptions(kValidationHostPort)); !s) {
        refused = "no bridge network with port mappings: " + s.error().ToString();
      } else if (Status h = d->ValidateOptions(kHostNetOptions); !h) {
        refused = "no host network option: " + h.error().ToString();
      }
      for (const char* path : {"host", "bridge", "dnat"}) {
        Row row;
        row.r = NewResult(*d, {});
        row.r.accelerator = "none";
        row.r.parameters = {{"path", path}, {"target", d->Name()}};
        row.r.details["iters_per_repetition"] = o_.iters;
        row.r.details["cpu"] = cpu_;
        row.group = static_cast<int>(targets.size());
        if (!refused.empty()) row.r.skipped = refused;
        rows.push_back(std::move(row));
      }
      if (refused.empty() && ::access(o_.probe_path.c_str(), X_OK) == 0) {
        Availability a = d->Check();
        if (!a.available) {
          ct.bridge_error = ct.host_error = a.reason;
        } else {
          if (auto t = StartContainerTarget(*d, cpu_, k, /*host_mode=*/false))
            ct.bridge = std::move(*t);
          else
            ct.bridge_error = "target setup failed: " + t.error().ToString();
          if (auto t = StartContainerTarget(*d, cpu_, k, /*host_mode=*/true))
            ct.host = std::move(*t);
          else
            ct.host_error = "target setup failed: " + t.error().ToString();
        }
        ++k;
      } else if (refused.empty()) {
        ct.bridge_error = ct.host_error = "ctv-probe not found at " + o_.probe_path;
      }
      targets.push_back(std::move(ct));
    }
    // Targets live for the whole suite: one host server and one isolated target shared by the
    // bridge and dnat paths (plus the container targets above).
    std::unique_ptr<RrTarget> loopback, isolated;
    std::string loopback_error, isolated_error;
    if (::access(o_.probe_path.c_str(), X_OK) != 0) {
      loopback_error = isolated_error = "ctv-probe not found at " + o_.probe_path;
    } else {
      if (auto t = StartLoopbackTarget(o_.probe_path, cpu_))
        loopback = std::move(*t);
      else
        loopback_error = "target setup failed: " + t.error().ToString();
      if (::geteuid() != 0) {
        isolated_error = "needs root (network namespaces, bridge, nftables)";
      } else if (auto t = o_.isolated_target(cpu_)) {
        isolated = std::move(*t);
      } else {
        isolated_error = "target setup failed: " + t.error().ToString();
      }
    }
    for (auto& row : rows) {
      if (row.r.skipped) continue;
      const std::string& path = row.r.parameters["path"];
      bool host = path == "loopback";
      bool host_net = row.group >= 0 && path == "host";
      ContainerTargets* ct = row.group >= 0 ? &targets[row.group] : nullptr;
      row.target = host       ? loopback.get()
                   : host_net ? ct->host.get()
                   : ct       ? ct->bridge.get()
                              : isolated.get();
      if (!row.target) {
        row.r.skipped = host       ? loopback_error
                        : host_net ? ct->host_error
                        : ct       ? ct->bridge_error
                                   : isolated_error;
        continue;
      }
      row.r.driver = row.target->Driver();
      row.endpoint = row.target->Endpoint(path);
      if (row.endpoint.empty()) row.r.skipped = "this target has no " + path + " path";
      row.r.details["endpoint"] = row.endpoint;
      // The host port this run held for the path (loopback, dnat, host), for the record.
      if (row.endpoint.rfind("127.0.0.1:", 0) == 0)
        row.r.details["host_port"] = std::atoi(row.endpoint.c_str() + 10);
    }
    // Interleaved (loopback, bridge, dnat, loopback, ...): a change in the host's load during the
    // run (2 shared cores) hits every path alike instead of biasing whichever ran last.
    int total = so.warmup + so.repetitions;
    const int64_t start = MonotonicNs();
    for (int i = 0; i < total && !Interrupted(); ++i) {
      int measured = std::max(0, i - so.warmup);
      if (OutOfBudget(so, start, i, measured, /*drivers_left=*/1)) {
        for (auto& row : rows) row.r.details["budget"] = BudgetNote(measured, so.repetitions);
        break;
      }
      if (so.progress) so.progress({"all paths", i, total, i < so.warmup});
      for (auto& row : rows) {
        if (Interrupted()) break;  // Ctrl-C: the samples so far are kept
        if (row.r.skipped) continue;
        auto us = MeasureOnce(o_.probe_path, row.endpoint, o_.iters, cpu_);
        if (!us) {
          if (Interrupted()) break;
          row.r.skipped = fmt::format("repetition {} failed: {}", i + 1, us.error().ToString());
          continue;
        }
        if (i >= so.warmup) row.samples.push_back(*us);
      }
    }
    if (so.progress) so.progress({"all paths", total, total, false});
    out.interrupted = Interrupted();
    for (auto& row : rows) {
      if (!row.r.skipped && row.samples.empty())
        row.r.skipped = "interrupted before the first measured repetition";
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
    std::optional<HeldPort> held;
    if (host_port == 0) held = CTV_TRY(HeldPort::Reserve());
    auto ns = CTV_TRY(net::ScratchNetns::CreateOwned(kScratchNetnsTag));
    std::string id = ns.Name();
    auto t = std::make_unique<NetnsTarget>(std::move(ns));
    t->host_port = held ? held->Port() : host_port;
    t->held = std::move(held);
    net::NetworkRequest req;
    req.container_id = id;
    req.ports = {net::PortMapping{"", static_cast<uint16_t>(t->host_port),
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
