#include "bench/drivers/ctvrt_driver.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "bench/drivers/probe_output.h"
#include "core/clock.h"
#include "core/fd.h"
#include "core/fs_tree.h"
#include "core/line_reader.h"
#include "runtime/cgroup/manager.h"
#include "runtime/image/images.h"
#include "runtime/launch.h"
#include "runtime/lifecycle.h"
#include "runtime/net/network.h"
#include "runtime/net/port_spec.h"
#include "runtime/state.h"

namespace ctv::bench {
namespace {

constexpr const char* kProbeInImage = "/usr/local/bin/ctv-probe";

class CtvrtInstance : public Instance {
 public:
  CtvrtInstance(runtime::RunRequest req) : req_(std::move(req)) {}
  ~CtvrtInstance() override {
    container_.reset();
    if (launched_) {
      (void)runtime::DeleteContainer(req_.state_root, req_.spec.id, /*force=*/true,
                                     /*keep_cgroup_parents=*/true);
    }
  }

  Status Start() override {
    PipePair out = CTV_TRY(MakePipe());
    runtime::LaunchOptions o;
    o.stdout_fd = out.write.Get();
    o.keep_cgroup_parents = true;  // the driver removes them once, when the run is over
    o.on_phase = [this](const char* phase, int64_t t_ns) { marks_.push_back({phase, t_ns}); };
    runtime::State st;
    marks_ = {{"launch", MonotonicNs()}};
    auto c = runtime::LaunchRecorded(req_, o, &st);
    if (!c) return std::move(c).error();
    launched_ = true;
    container_ = std::make_unique<runtime::Container>(std::move(c).value());
    out.write.Reset();
    stdout_ = std::move(out.read);
    reader_ = std::make_unique<LineReader>(stdout_.Get());
    return Ok();
  }

  Status WaitReady(std::chrono::milliseconds timeout) override {
    if (!reader_) return MakeError("wait for ready", req_.spec.id, "instance not started");
    return WaitForReadyMarker(*reader_, timeout, marks_, output_);
  }

  Result<WorkloadExit> WaitExit(std::chrono::milliseconds timeout) override {
    if (!reader_) return MakeError("wait for exit", req_.spec.id, "instance not started");
    int64_t deadline = MonotonicNs() + timeout.count() * 1'000'000;
    CTV_CHECK(DrainOutput(*reader_, timeout, output_));
    int64_t left = std::max<int64_t>(1, (deadline - MonotonicNs()) / 1'000'000);
    auto st = CTV_TRY(container_->Process().WaitFor(std::chrono::milliseconds(left)));
    if (!st) return Error{ETIMEDOUT, "wait for the exit of container", req_.spec.id};
    WorkloadExit e;
    e.status = *st;
    e.output = output_;
    (void)runtime::RecordExit(req_.state_root, req_.spec.id, *st, container_->Cgroup());
    return e;
  }

  Status Stop(std::chrono::milliseconds timeout) override {
    if (!container_ || !container_->Process().Running()) return Ok();
    (void)container_->Process().Signal(SIGTERM);
    auto st = CTV_TRY(container_->Process().WaitFor(timeout));
    if (!st) container_->Process().KillAndReap();
    return Ok();
  }

  const std::vector<Mark>& Marks() const override { return marks_; }

  std::vector<pid_t> HostPids() const override {
    if (container_ && container_->Pid() > 0) return {container_->Pid()};
    return {};
  }

  // The harness is the container's monitor: the process it cloned is the container's PID 1.
  std::optional<pid_t> WorkloadHostPid() const override {
    if (container_ && container_->Process().Running()) return container_->Pid();
    return std::nullopt;
  }

  std::vector<std::string> CgroupPaths() const override {
    if (!container_ || !container_->Cgroup()) return {};
    return container_->Cgroup()->Paths();
  }

  // On a bridge network: the container's address (the network suite reaches it there).
  std::map<std::string, std::string> Facts() const override {
    if (!launched_ || req_.net_mode != net::NetworkMode::kBridge) return {};
    auto ep = net::LookupEndpoint(req_.net_config, req_.spec.id);
    if (!ep || !*ep) return {};
    // A design choice the figures depend on: the bridge and its NAT rules outlive the container
    // (set up by the first launch, reused by the next ones), as Docker's docker0.
    return {{fact::kAddress, (*ep)->ip},
            {"net_bridge", req_.net_config.keep_idle
                               ? "kept set up between containers (first launch creates it)"
                               : "created and removed with each container"}};
  }

 private:
  runtime::RunRequest req_;
  std::unique_ptr<runtime::Container> container_;
  Fd stdout_;
  std::unique_ptr<LineReader> reader_;
  std::vector<Mark> marks_;
  std::string output_;
  bool launched_ = false;
};

class CtvrtDriver : public Driver {
 public:
  explicit CtvrtDriver(DriverContext ctx) : ctx_(std::move(ctx)) {}
  // The run is over: the shared "ctvbench" parent cgroups go too, unless other containers (another
  // run, a ctvrt container) still use them. Not per instance: that would put an mkdir of the
  // parent (and cpuset set-up on v1) back on every measured launch.
  ~CtvrtDriver() override {
    if (!prepared_) return;
    if (auto mounts = runtime::HostCgroupMounts()) cgroup::RemoveEmptyParents(**mounts);
  }
  std::string Name() const override { return "ctvrt"; }
  DriverKind Kind() const override { return DriverKind::kContainer; }
  std::string Description() const override {
    return "native ctvrt container (pid/mnt/uts/ipc/net/cgroup namespaces, overlay rootfs, "
           "cgroup limits, seccomp, dropped capabilities)";
  }

  std::vector<OptionDoc> Options() const override {
    return {{"userns", "INSIDE:OUTSIDE:COUNT", "add a user namespace with this id map"},
            {"init", "0|1", "run ctvrt's tiny init as PID 1"},
            {"seccomp", "0|1", "the default seccomp filter (0: unconfined)"},
            {"net", "none|host|bridge", "network (default: own namespace, loopback only)"},
            {"ports", "H:C[,...]", "port mappings (with net=bridge)"}};
  }

  Status ValidateOptions(const std::map<std::string, std::string>& options) const override {
    for (const auto& [key, value] : options) {
      if (key == "userns") {
        auto m = ns::ParseIdMap(value);
        if (!m) return std::move(m).error();
      } else if (key == "net") {
        auto m = net::ParseNetworkMode(value);
        if (!m) return std::move(m).error();
      } else if (key == "ports") {
        continue;  // checked with the network request (ParsePortSpecs) at create
      } else if (key == "init" || key == "seccomp") {
        if (value != "0" && value != "1")
          return MakeError("driver option", "ctvrt." + key,
                           "expected 0 or 1, got \"" + value + "\"");
      } else {
        return MakeError("driver option", "ctvrt." + key,
                         "unknown (ctvrt options: userns=INSIDE:OUTSIDE:COUNT, init=0|1, "
                         "seccomp=0|1, net=none|host|bridge, ports=H:C[,...])");
      }
    }
    return Ok();
  }

  Availability Check() const override {
    Availability a;
    if (::geteuid() != 0) {
      a.reason = "needs root (namespaces, overlay mounts, cgroups)";
      return a;
    }
    auto fs = ReadFile("/proc/filesystems");
    if (!fs || fs->find("overlay") == std::string::npos) {
      a.reason = "overlayfs is not available (modprobe overlay)";
      return a;
    }
    if (::access((ctx_.image_dir + "/index.json").c_str(), R_OK) != 0) {
      a.reason = "no OCI image at `" + ctx_.image_dir + "` (run `ctvbench image build`)";
      return a;
    }
    a.available = true;
    a.reason = "image " + ctx_.image_dir;
    return a;
  }

  Status Prepare() override {
    image::LayerStore store(StoreRoot());
    auto img = CTV_TRY(image::PrepareImage(store, ctx_.image_dir));
    layers_ = img.layer_dirs;
    layers_.push_back(CTV_TRY(store.EnsureInitLayer()));
    env_ = img.image.config.env;
    CTV_TRY(runtime::HostCgroupMounts());
    prepared_ = true;
    return Ok();
  }

  bool SupportsVolumes() const override { return true; }

  Result<std::unique_ptr<Instance>> Create(const InstanceSpec& spec) override {
    if (!prepared_) CTV_CHECK(Prepare());
    runtime::RunRequest req;
    req.state_root =
        (ctx_.state_dir.empty() ? std::string("/run/ctvbench") : ctx_.state_dir) + "/containers";
    runtime::ContainerSpec& s = req.spec;
    s.id = spec.name.rfind("ctv", 0) == 0 && runtime::ValidateId(spec.name)
               ? spec.name
               : runtime::NewContainerId();
    if (fs::Exists(runtime::StateDir(req.state_root, s.id))) s.id = runtime::NewContainerId();
    s.hostname = s.id;
    s.namespaces = ns::DefaultFlags();
    s.lower_dirs = layers_;
    s.process.args = {kProbeInImage};
    s.process.args.insert(s.process.args.end(), spec.probe_args.begin(), spec.probe_args.end());
    s.process.env = env_;
    if (spec.limits.memory_bytes)
      s.limits.memory_bytes = static_cast<int64_t>(*spec.limits.memory_bytes);
    if (spec.limits.memory_high_bytes)
      s.limits.unified["memory.high"] = std::to_string(*spec.limits.memory_high_bytes);
    if (spec.limits.cpus) s.limits.cpus = *spec.limits.cpus;
    if (spec.limits.pids) s.limits.pids = *spec.limits.pids;
    if (spec.limits.cpuset) s.limits.cpuset_cpus = *spec.limits.cpuset;
    if (spec.limits.cpu_shares) s.limits.cpu_shares = *spec.limits.cpu_shares;
    if (const auto& io = spec.limits.io_read) {
      cgroup::IoThrottle t;
      t.device = io->device;
      t.read_bps = io->bytes_per_s;
      s.limits.io_throttle.push_back(t);
    }
    auto opt = [&](const char* k) {
      auto it = spec.options.find(k);
      return it == spec.options.end() ? std::string() : it->second;
    };
    if (!opt("userns").empty()) {
      auto m = ns::ParseIdMap(opt("userns"));
      if (!m) return std::move(m).error();
      s.namespaces |= CLONE_NEWUSER;
      s.uid_maps = s.gid_maps = {*m};
    }
    // Networking: by default the container's own namespace with loopback only (the startup
    // figures stay comparable); options["net"] = none|host|bridge and options["ports"] (comma-
    // separated -p specs, bridge only) opt in.
    if (!opt("net").empty()) {
      req.net_mode = CTV_TRY(net::ParseNetworkMode(opt("net")));
      if (req.net_mode == net::NetworkMode::kHost) s.namespaces &= ~CLONE_NEWNET;
      if (req.net_mode == net::NetworkMode::kBridge) req.net_config = runtime::HostNetworkConfig();
      std::vector<std::string> specs;
      std::string ports = opt("ports");
      for (size_t i = 0; i < ports.size();) {
        size_t j = ports.find(',', i);
        if (j == std::string::npos) j = ports.size();
        if (j > i) specs.push_back(ports.substr(i, j - i));
        i = j + 1;
      }
      req.ports = CTV_TRY(net::ParsePortSpecs(specs));
    }
    for (const VolumeMount& v : spec.volumes)
      s.volumes.push_back(runtime::Volume{v.host_path, v.container_path, /*read_only=*/false});
    s.init = opt("init") == "1";
    if (opt("seccomp") == "0") s.process.seccomp = false;
    req.name = spec.name;
    req.image = ctx_.image_dir;
    return std::unique_ptr<Instance>(new CtvrtInstance(std::move(req)));
  }

 private:
  std::string StoreRoot() const {
    const char* env = ::getenv("CTVBENCH_STORE");
    return env ? env : image::kDefaultStoreRoot;
  }
  DriverContext ctx_;
  std::vector<std::string> layers_, env_;
  bool prepared_ = false;
};

}  // namespace

std::unique_ptr<Driver> MakeCtvrtDriver(const DriverContext& context) {
  return std::make_unique<CtvrtDriver>(context);
}

}  // namespace ctv::bench
