#include "bench/suites/isolation_suite.h"

#include <fmt/format.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "bench/suites/driver_result.h"
#include "bench/suites/held_port.h"
#include "bench/suites/host_memory.h"
#include "core/fd.h"
#include "core/fs_tree.h"
#include "core/interrupt.h"
#include "core/owned_dir.h"
#include "core/process.h"
#include "core/text.h"

namespace ctv::bench {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr auto kReadyTimeout = 120s;  // a TCG guest boots in seconds; a hung one is an error
constexpr auto kExitMargin = 60s;     // beyond the probe's hold
constexpr auto kGoneWait = 5s;        // how long processes may take to go after PID 1 exited
constexpr const char* kCases[] = {"namespaces", "userns", "pid1_exit", "storage", "port_conflict"};
// The id map of the userns case: root inside is an unprivileged uid outside.
constexpr const char* kUsernsMap = "0:100000:65536";
constexpr const char* kNsKinds[] = {"pid", "uts", "ipc", "net", "mnt", "user", "cgroup", "time"};
constexpr int kContainerPort = 7000;
constexpr const char* kLayerFile = "/ctv-isolation-layer";
constexpr const char* kVolumeDir = "/ctv-isolation-volume";

// /proc/<who>/ns/<kind> -> its inode number; 0 when unreadable (no such kind, process gone).
json NsInodes(const std::string& who) {
  json out = json::object();
  for (const char* kind : kNsKinds) {
    std::string path = "/proc/" + who + "/ns/" + kind;
    char link[64];
    ssize_t n = ::readlink(path.c_str(), link, sizeof link - 1);
    uint64_t ino = 0;
    if (n > 0) {
      link[n] = '\0';
      if (const char* open = std::strchr(link, '[')) ino = std::strtoull(open + 1, nullptr, 10);
    }
    out[kind] = ino;
  }
  return out;
}

// "NSpid:\t9422\t1" -> "9422 1": the process's PID in each PID namespace it is in, outermost first.
std::string NsPid(pid_t pid) {
  auto status = ReadFile(fmt::format("/proc/{}/status", pid));
  if (!status) return "";
  std::istringstream in(*status);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("NSpid:", 0) == 0) {
      std::string v = Trim(line.substr(6));
      for (char& c : v)
        if (c == '\t') c = ' ';
      return v;
    }
  return "";
}

// Alive = exists and is neither a zombie nor dead (a zombie has released everything but its slot).
bool Alive(pid_t pid) {
  auto stat = ReadFile(fmt::format("/proc/{}/stat", pid));
  if (!stat) return false;
  size_t close = stat->rfind(") ");
  if (close == std::string::npos || close + 2 >= stat->size()) return false;
  char state = (*stat)[close + 2];
  return state != 'Z' && state != 'X';
}

// The probe's JSON line of `mode` in an instance's output.
Result<json> ProbeJson(const std::string& output, const std::string& mode) {
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] != '{') continue;
    auto j = json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.is_object() && j.value("mode", "") == mode) return j;
  }
  return MakeError("read the probe's " + mode + " report", "",
                   "no JSON line with \"mode\":\"" + mode + "\" in: " + output.substr(0, 400));
}

// What the host sees of a running instance: its PID 1 when the driver knows it, else its first
// host process (a VM's qemu, gVisor's sandbox), with which one it is.
json OutsideView(const Instance& inst) {
  json o = json::object();
  std::optional<pid_t> pid = inst.WorkloadHostPid();
  std::vector<pid_t> host_pids = inst.HostPids();
  o["host_pids"] = host_pids;
  if (pid) {
    o["pid_source"] = "workload";
  } else if (!host_pids.empty()) {
    pid = host_pids.front();
    o["pid_source"] = "instance_process";
    o["pid_source_note"] =
        "the workload is no host process here (its own kernel: a VM guest, a user-space "
        "kernel); this is the instance's first host process (e.g. qemu, the sandbox)";
  } else {
    o["pid_source"] = "none";
    o["pid_source_note"] = "the driver names no host process for this instance";
    return o;
  }
  o["pid"] = *pid;
  auto comm = ReadFile(fmt::format("/proc/{}/comm", *pid));
  o["comm"] = comm ? Trim(*comm) : "";  // says which process it is: qemu-system-x86, runsc...
  o["ns"] = NsInodes(std::to_string(*pid));
  o["nspid"] = NsPid(*pid);
  auto cg = ReadFile(fmt::format("/proc/{}/cgroup", *pid));
  o["cgroup"] = cg ? Trim(*cg) : "";
  return o;
}

class IsolationSuite final : public Suite {
 public:
  explicit IsolationSuite(IsolationSuiteOptions o) : o_(std::move(o)) {
    if (o_.probe_path.empty()) o_.probe_path = SelfDir() + "/ctv-probe";
  }
  std::string Name() const override { return "isolation"; }
  std::string Description() const override {
    return "what each driver isolates, namespace by namespace (inside vs the host's view), PID 1 "
           "exit, writable layer vs volume, host port conflict";
  }

  Result<results::SuiteResult> Run(const SuiteOptions& so) override {
    results::SuiteResult out;
    out.name = Name();
    // Evidence, not statistics: one instance per driver and case. A time budget (--budget-time)
    // cuts repetitions, never below one: these cases are never skipped for it (each is seconds,
    // and a skipped one would leave its claim unjudged).
    out.repetitions = 1;
    out.warmup = 0;
    // The host's own view: the same probe as a plain child of the harness, in its namespaces.
    json host = json::object();
    if (auto r = RunCommand({o_.probe_path, "hostinfo"}, 10s); r && r->status.Success()) {
      if (auto j = ProbeJson(r->out, "hostinfo")) host = *j;
    }
    host["harness_ns"] = NsInodes("self");
    int total = static_cast<int>(so.drivers.size() * std::size(kCases));
    int done = 0;
    for (Driver* d : so.drivers) {
      const std::map<std::string, std::string> options = UserOptions(so, *d);
      std::string unavailable;
      Availability a = d->Check();
      if (!a.available) {
        unavailable = a.reason;
      } else if (Status s = d->Prepare(); !s) {
        unavailable = "preparation failed: " + s.error().ToString();
      }
      for (const char* c : kCases) {
        if (so.progress) so.progress({d->Name() + " " + c, done, total, false});
        results::DriverResult r = NewResult(*d, options);
        r.accelerator = a.accelerator;
        r.parameters["case"] = c;
        if (!unavailable.empty()) {
          r.skipped = unavailable;
        } else if (Interrupted()) {
          out.interrupted = true;
          break;
        } else if (Status s = RunCase(c, *d, options, host, r); !s) {
          if (Interrupted()) {
            out.interrupted = true;
            break;
          }
          r.skipped = std::string(c) + " failed: " + s.error().ToString();
          r.metrics.clear();
        }
        out.results.push_back(std::move(r));
        ++done;
      }
      if (out.interrupted) break;
    }
    if (so.progress) so.progress({"all drivers", total, total, false});
    return out;
  }

 private:
  Status RunCase(const std::string& c, Driver& d, const std::map<std::string, std::string>& opts,
                 const json& host, results::DriverResult& r) {
    if (c == "namespaces") return Namespaces(d, opts, host, r);
    if (c == "userns") {
      // The same evidence with a user namespace, from drivers that take the option (ctvrt's
      // `userns`); the others are skipped with their own words.
      std::map<std::string, std::string> with = opts;
      with["userns"] = kUsernsMap;
      if (Status s = d.ValidateOptions(with); !s) {
        r.skipped = "no user namespace option: " + s.error().ToString();
        return Ok();
      }
      r.parameters["userns"] = kUsernsMap;
      return Namespaces(d, with, host, r);
    }
    if (c == "pid1_exit") return Pid1Exit(d, opts, r);
    if (c == "storage") return Storage(d, opts, r);
    return PortConflict(d, opts, r);
  }

  std::string InstanceName(const Driver& d, const char* what, int k = 0) const {
    return fmt::format("ctviso{}{}{}{}", what, k ? std::to_string(k) : "", d.Name(), ::getpid());
  }

  InstanceSpec Spec(const Driver& d, const char* what,
                    const std::map<std::string, std::string>& opts,
                    std::vector<std::string> args) const {
    InstanceSpec spec;
    spec.name = InstanceName(d, what);
    spec.options = opts;
    spec.probe_args = std::move(args);
    return spec;
  }

  std::string Hold() const { return std::to_string(o_.hold_ms); }
  std::chrono::milliseconds ExitTimeout() const {
    return std::chrono::milliseconds(o_.hold_ms) + kExitMargin;
  }

  Status Namespaces(Driver& d, const std::map<std::string, std::string>& opts, const json& host,
                    results::DriverResult& r) {
    std::unique_ptr<Instance> inst =
        CTV_TRY(d.Create(Spec(d, "ns", opts, {"hostinfo", "--hold", Hold()})));
    CTV_CHECK(inst->Start());
    CTV_CHECK(inst->WaitReady(kReadyTimeout));
    json outside = OutsideView(*inst);  // while the probe holds, after its report
    WorkloadExit exit = CTV_TRY(inst->WaitExit(ExitTimeout()));
    RecordFacts(inst->Facts(), r);
    json inside = CTV_TRY(ProbeJson(exit.output, "hostinfo"));
    r.details["isolation"] = {{"inside", inside}, {"outside", outside}, {"host", host}};
    auto count = [&](const char* metric, const char* unit, const char* what, double v) {
      r.metrics.push_back(results::MakeMetric(metric, unit, what, {v}));
    };
    count("isolation.visible_pids", "count", "processes the workload sees in /proc",
          inside.value("visible_pids", 0));
    count("isolation.mounts", "count", "lines of the workload's /proc/self/mountinfo",
          inside.value("mount_count", 0));
    count("isolation.interfaces", "count", "network interfaces the workload sees",
          static_cast<double>(inside.value("interfaces", json::array()).size()));
    count("isolation.ipc_objects", "count",
          "System V shared memory segments, semaphore sets and message queues the workload sees",
          std::max(0, inside.value("ipc_shm", 0)) + std::max(0, inside.value("ipc_sem", 0)) +
              std::max(0, inside.value("ipc_msg", 0)));
    return Ok();
  }

  Status Pid1Exit(Driver& d, const std::map<std::string, std::string>& opts,
                  results::DriverResult& r) {
    std::unique_ptr<Instance> inst =
        CTV_TRY(d.Create(Spec(d, "pid1", opts, {"orphan", "--hold", Hold()})));
    CTV_CHECK(inst->Start());
    CTV_CHECK(inst->WaitReady(kReadyTimeout));
    json ev = json::object();
    std::vector<pid_t> watched = inst->HostPids();
    std::optional<pid_t> pid1 = inst->WorkloadHostPid();
    std::optional<pid_t> child;
    if (pid1) {
      ev["workload_host_pid"] = *pid1;
      if (std::find(watched.begin(), watched.end(), *pid1) == watched.end())
        watched.push_back(*pid1);
      // The probe forked before its ready marker: its only child is the sleeper.
      std::vector<pid_t> kids = ChildPids(*pid1);
      if (kids.size() == 1) {
        child = kids[0];
        if (std::find(watched.begin(), watched.end(), *child) == watched.end())
          watched.push_back(*child);
        ev["child_host_pid"] = *child;
      }
    }
    if (!child)
      ev["child_host_pid_note"] =
          pid1 ? "the probe's child was not found under its host PID"
               : "the workload is no host process here: only the instance's host processes are "
                 "watched";
    ev["watched_host_pids"] = watched;
    WorkloadExit exit = CTV_TRY(inst->WaitExit(ExitTimeout()));
    const int64_t exited = MonotonicNs();
    auto orphan = ProbeJson(exit.output, "orphan");
    if (orphan) ev["inside"] = *orphan;
    ev["exit_status"] = exit.status.ToString();
    std::vector<pid_t> alive = watched;
    const int64_t wait_ns = std::chrono::nanoseconds(kGoneWait).count();
    while (!alive.empty() && MonotonicNs() - exited < wait_ns) {
      std::erase_if(alive, [](pid_t p) { return !Alive(p); });
      if (!alive.empty()) std::this_thread::sleep_for(10ms);
    }
    std::erase_if(alive, [](pid_t p) { return !Alive(p); });
    ev["alive_after"] = alive;
    ev["waited_ms"] = (MonotonicNs() - exited) / 1'000'000;
    bool child_survived = child && Alive(*child);
    ev["child_survived"] = child_survived;
    // A survivor is the probe's own sleeper (a plain host process's orphan): end it now, after it
    // was counted, so the run leaves nothing behind.
    if (child_survived) {
      auto cmd = ReadFile(fmt::format("/proc/{}/cmdline", *child));
      if (cmd && cmd->find("ctv-probe") != std::string::npos) ::kill(*child, SIGKILL);
    }
    r.details["pid1_exit"] = ev;
    RecordFacts(inst->Facts(), r);
    r.metrics.push_back(results::MakeMetric(
        "lifecycle.survivors", "count",
        fmt::format("host processes of the instance (its PID 1, its child, HostPids) alive {} ms "
                    "after PID 1 exited",
                    ev["waited_ms"].get<int64_t>()),
        {static_cast<double>(alive.size())}));
    return Ok();
  }

  Status Storage(Driver& d, const std::map<std::string, std::string>& opts,
                 results::DriverResult& r) {
    if (!d.SupportsVolumes()) {
      r.skipped = "the " + d.Name() + " driver does not mount volumes (Driver::SupportsVolumes)";
      return Ok();
    }
    // Journaled (core/owned_dir.h): `ctvbench gc` removes it if this run is killed.
    OwnedTempDir volume = CTV_TRY(OwnedTempDir::Create("/tmp", "ctviso-volume-"));
    const std::string& vol = volume.Path();
    ::chmod(vol.c_str(), 0777);  // a user-namespaced root inside may write it too
    InstanceSpec spec = Spec(d, "st", opts,
                             {"persist", "--layer", kLayerFile, "--volume",
                              std::string(kVolumeDir) + "/data", "--hold", Hold()});
    spec.volumes = {{vol, kVolumeDir}};
    json ev = json::object();
    ev["volume_host_dir"] = vol;
    std::string layer;
    {
      std::unique_ptr<Instance> inst = CTV_TRY(d.Create(spec));
      CTV_CHECK(inst->Start());
      CTV_CHECK(inst->WaitReady(kReadyTimeout));
      // The overlay upper dir the workload's root is mounted with, read from its mountinfo while
      // it runs: the one way every suite finds a writable layer (host_memory.h).
      std::string why_none = "no host process";
      for (pid_t p : inst->HostPids()) {
        auto upper = OverlayUpperDir(p);
        if (upper) {
          layer = *upper;
          break;
        }
        why_none = upper.error().ToString();
      }
      if (layer.empty()) {
        r.skipped = "no writable layer seen: " + why_none;
        return Ok();
      }
      ev["writable_layer"] = layer;
      ev["layer_file_while_running"] = fs::Exists(layer + kLayerFile);
      WorkloadExit exit = CTV_TRY(inst->WaitExit(ExitTimeout()));
      auto persist = CTV_TRY(ProbeJson(exit.output, "persist"));
      ev["inside"] = persist;
      ev["layer_file_after_exit"] = fs::Exists(layer + kLayerFile);
      RecordFacts(inst->Facts(), r);
    }  // the instance is removed here: the driver deletes the container
    ev["layer_dir_after_removal"] = fs::Exists(layer);
    bool layer_left = fs::Exists(layer + kLayerFile);
    ev["layer_file_after_removal"] = layer_left;
    auto kept = ReadFile(vol + "/data");
    ev["volume_file_after_removal"] = kept ? *kept : "";
    bool volume_kept = kept && *kept == ev["inside"].value("content", "-");
    r.details["storage"] = ev;
    r.metrics.push_back(results::MakeMetric(
        "storage.layer_files_left", "count",
        "files the workload wrote to its root file system still on the host after removal",
        {layer_left ? 1.0 : 0.0}));
    r.metrics.push_back(results::MakeMetric(
        "storage.volume_files_kept", "count",
        "files the workload wrote to its volume found intact on the host after removal",
        {volume_kept ? 1.0 : 0.0}, /*lower_is_better=*/false));
    return Ok();
  }

  Status PortConflict(Driver& d, const std::map<std::string, std::string>& opts,
                      results::DriverResult& r) {
    std::optional<HeldPort> held;
    int port = o_.port;
    if (port == 0) {
      held = CTV_TRY(HeldPort::Reserve());
      port = held->Port();
    }
    std::map<std::string, std::string> net = opts;
    net["net"] = "bridge";
    net["ports"] = fmt::format("{}:{}", port, kContainerPort);
    if (Status s = d.ValidateOptions(net); !s) {
      r.skipped = "no bridge network with port mappings: " + s.error().ToString();
      return Ok();
    }
    r.details["host_port"] = port;
    json ev = json::object();
    InstanceSpec first = Spec(d, "pa", net, {"ready", "--timeout", "120"});
    std::unique_ptr<Instance> a = CTV_TRY(d.Create(first));
    if (Status s = a->Start(); !s)
      return MakeError("start the first instance on host port", std::to_string(port),
                       s.error().ToString());
    CTV_CHECK(a->WaitReady(kReadyTimeout));
    ev["first"] = "ready";
    InstanceSpec second = Spec(d, "pb", net, {"ready", "--timeout", "120"});
    std::unique_ptr<Instance> b = CTV_TRY(d.Create(second));
    const int64_t t0 = MonotonicNs();
    Status started = b->Start();
    if (started) started = b->WaitReady(kReadyTimeout);
    const double ms = static_cast<double>(MonotonicNs() - t0) / 1e6;
    bool refused = !started;
    ev["second"] = refused ? "failed" : "ready";
    ev["second_error"] = refused ? started.error().ToString() : "";
    (void)b->Stop(10s);
    (void)a->Stop(10s);
    r.details["port_conflict"] = ev;
    r.metrics.push_back(results::MakeMetric(
        "network.port_conflict_refused", "count",
        fmt::format("1 when a second instance asking for host port {} failed while the first held "
                    "it",
                    port),
        {refused ? 1.0 : 0.0}, /*lower_is_better=*/false));
    r.metrics.push_back(
        results::MakeMetric("network.port_conflict_ms", "ms",
                            "second instance's launch call -> its failure (or ready)", {ms}));
    return Ok();
  }

  IsolationSuiteOptions o_;
};

}  // namespace

std::unique_ptr<Suite> MakeIsolationSuite(IsolationSuiteOptions options) {
  return std::make_unique<IsolationSuite>(std::move(options));
}

}  // namespace ctv::bench
