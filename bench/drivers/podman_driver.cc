#include "bench/drivers/podman_driver.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <thread>

#include "bench/drivers/peer_common.h"
#include "bench/drivers/peer_launch.h"
#include "bench/drivers/podman_store.h"
#include "bench/image/probe_image.h"
#include "core/clock.h"
#include "core/fd.h"
#include "core/fs_tree.h"

namespace ctv::bench {
namespace {

using namespace std::chrono_literals;

std::string Opt(const std::map<std::string, std::string>& o, const char* key, const char* def) {
  auto it = o.find(key);
  return it == o.end() ? def : it->second;
}

// podman 4.3 sets its own RLIMIT_NPROC to 32768 when it starts (seen with strace): conmon and the
// OCI runtime inherit that, so no container of it may get more without CAP_SYS_RESOURCE.
constexpr rlim_t kPodmanOwnNproc = 32768;

// "SOFT:HARD" of one of the harness's own limits, at most `cap` ("-1" for unlimited, as podman
// writes it).
std::string OwnLimit(int resource, rlim_t cap = RLIM_INFINITY) {
  rlimit r{};
  ::getrlimit(resource, &r);
  auto v = [cap](rlim_t x) {
    x = std::min(x, cap);
    return x == RLIM_INFINITY ? std::string("-1") : std::to_string(x);
  };
  return v(r.rlim_cur) + ":" + v(r.rlim_max);
}

// "254:0" -> "/dev/vda", from the DEVNAME of /sys/dev/block/MAJ:MIN/uevent.
Result<std::string> DeviceNode(const std::string& maj_min) {
  std::string uevent = "/sys/dev/block/" + maj_min + "/uevent";
  std::string text = CTV_TRY(ReadFile(uevent));
  size_t at = text.find("DEVNAME=");
  if (at == std::string::npos) return MakeError("find the device node in", uevent, "no DEVNAME");
  at += 8;
  return "/dev/" + text.substr(at, text.find('\n', at) - at);
}

class PodmanInstance final : public Instance {
 public:
  PodmanInstance(PodmanStore store, std::vector<std::string> run_args, std::string id,
                 std::map<std::string, std::string> facts)
      : store_(std::move(store)),
        run_args_(std::move(run_args)),
        id_(std::move(id)),
        dir_(store_.dir + "/instances/" + id_),
        facts_(std::move(facts)) {}

  ~PodmanInstance() override {
    // While `podman run` still makes the container (Ctrl-C during a launch), there is nothing to
    // remove yet: try again until `run` ends, for at most ~10 s.
    for (int i = 0; i < 20 && run_.Process().Running(); ++i) {
      (void)store_.Run({"rm", "--force", "--time=0", "--ignore", id_});
      auto st = run_.Process().WaitFor(250ms);
      if (!st) break;
      ended_by_itself_ = false;
    }
    if (run_.Process().Running()) {
      run_.Process().KillAndReap();
      ended_by_itself_ = false;
    }
    if (spawned_ && !ended_by_itself_)
      (void)store_.Run({"rm", "--force", "--time=0", "--ignore", id_});
    if (spawned_) {
      // conmon outlives `podman run` by its exit command (`podman container cleanup`): let it
      // finish rather than kill it half way, then remove the groups (killing any straggler).
      for (int i = 0; i < 250 && !peers::InstanceCgroupPids(id_).empty(); ++i)
        std::this_thread::sleep_for(20ms);
      (void)peers::RemoveInstanceCgroups(id_, nullptr);
    }
    if (made_dir_) (void)fs::RemoveTree(dir_);
  }

  Status Start() override {
    if (made_dir_) return MakeError("start podman container", id_, "already started");
    if (::mkdir(dir_.c_str(), 0700) != 0) return ErrnoError("create instance directory", dir_);
    made_dir_ = true;
    spawned_ = true;
    return run_.Start([this](SpawnOptions so) { return store_.Spawn(std::move(so)); },
                      store_.Argv(run_args_), dir_ + "/stderr", marks_);
  }

  Status WaitReady(std::chrono::milliseconds timeout) override {
    return run_.WaitReady(timeout, marks_);
  }

  Result<WorkloadExit> WaitExit(std::chrono::milliseconds timeout) override {
    auto exit = run_.WaitExit(timeout, marks_);
    if (exit) ended_by_itself_ = !exit->status.signaled;
    return exit;
  }

  Status Stop(std::chrono::milliseconds timeout) override {
    if (!run_.Process().Running()) return Ok();
    // `podman kill`, not a SIGTERM to `podman run` for its --sig-proxy: right after the ready
    // marker, `run` now and then neither passed the signal on nor ended (seen here in a startup
    // suite run); the engine's own kill command has no such window.
    auto k = CTV_TRY(store_.Run({"kill", "--signal=TERM", id_}));
    auto st = CTV_TRY(run_.Process().WaitFor(timeout));
    if (!st)
      return run_.WithWords(MakeError(
          "stop podman container", id_,
          "did not exit on SIGTERM (podman kill: " + k.status.ToString() + " " + k.err + ")"));
    ended_by_itself_ = !st->signaled;
    if (!st->Success())
      return run_.WithWords(
          MakeError("stop podman container", id_, "`podman run` ended with " + st->ToString()));
    return Ok();
  }

  const std::vector<Mark>& Marks() const override { return marks_; }

  std::vector<pid_t> HostPids() const override {
    return peers::InstanceHostPids(run_.Process().Running() ? run_.Process().Pid() : 0, id_);
  }

  std::map<std::string, std::string> Facts() const override { return facts_; }

  // The engine's own word for the container's PID 1 on the host.
  std::optional<pid_t> WorkloadHostPid() const override {
    if (!run_.Process().Running()) return std::nullopt;
    auto out = store_.Run({"inspect", "--format", "{{.State.Pid}}", id_});
    if (!out || !out->status.Success()) return std::nullopt;
    pid_t pid = static_cast<pid_t>(std::atol(out->out.c_str()));
    return pid > 0 ? std::optional<pid_t>(pid) : std::nullopt;
  }

  // The container's own groups, where podman (cgroupfs) writes the limits: "libpod-<hex>" below
  // the parent the harness named (peer_common.h); conmon's sibling group is not the workload.
  std::vector<std::string> CgroupPaths() const override {
    std::vector<std::string> out;
    if (!spawned_) return out;
    for (const std::string& d : peers::InstanceCgroupDirs(id_)) {
      auto entries = fs::ListDir(d);
      if (!entries) continue;
      for (const std::string& e : *entries)
        if (e.rfind("libpod-", 0) == 0 && e.find(".scope") == std::string::npos)
          out.push_back(d + "/" + e);
    }
    return out;
  }

 private:
  PodmanStore store_;
  std::vector<std::string> run_args_;
  std::string id_, dir_;
  std::map<std::string, std::string> facts_;
  bool made_dir_ = false, spawned_ = false, ended_by_itself_ = false;
  peers::LaunchCommand run_{"podman", id_};  // `podman run` and the probe's stream
  std::vector<Mark> marks_;
};

class PodmanDriver final : public Driver {
 public:
  explicit PodmanDriver(DriverContext ctx) : ctx_(std::move(ctx)) {}

  ~PodmanDriver() override {
    if (!prepared_) return;
    (void)DestroyPodmanStore(store_.dir, nullptr);
    ::rmdir(peers::DriverDir(ctx_.state_dir, "podman").c_str());
    ::rmdir(peers::PeersDir(ctx_.state_dir).c_str());
    peers::RemoveEmptyCgroupParents(nullptr);
  }

  std::string Name() const override { return "podman"; }
  DriverKind Kind() const override { return DriverKind::kContainer; }
  std::string Description() const override {
    return "podman run: a container engine (image store, conmon, crun) as people type it; "
           "stands for `docker run` too (same image model and OCI runtimes, without dockerd). "
           "Private store, the image imported once per run, no network but loopback";
  }

  std::vector<OptionDoc> Options() const override {
    return {{"net", "none|host", "--network none (default: loopback only) or host"},
            {"runtime", "crun|runc", "the OCI runtime podman runs (default crun, podman's own)"}};
  }

  Status ValidateOptions(const std::map<std::string, std::string>& options) const override {
    for (const auto& [key, value] : options) {
      if (key == "net" && value != "none" && value != "host")
        return MakeError("driver option", "podman.net",
                         "expected none or host, got \"" + value +
                             "\" (podman's own bridge with -p is not driven by ctvbench: its CNI "
                             "network takes 10.88.0.0/16, the subnet of ctvrt's bridge, and puts "
                             "rules in the host's iptables that ctvbench gc does not own)");
      if (key == "runtime" && value != "crun" && value != "runc")
        return MakeError("driver option", "podman.runtime",
                         "expected crun or runc, got \"" + value + "\"");
      if (key != "net" && key != "runtime")
        return MakeError("driver option", "podman." + key,
                         "unknown (podman options: net=none|host, runtime=crun|runc)");
    }
    return Ok();
  }

  std::map<std::string, std::string> EffectiveParameters(
      const std::map<std::string, std::string>& options) const override {
    std::map<std::string, std::string> p = {
        {"net", Opt(options, "net", "none")},
        {"runtime", Opt(options, "runtime", "crun")},
        {"storage_driver", "overlay"},
        {"cgroup_manager", "cgroupfs"},
        {"events_backend", "file"},
        {"cgroupns", "private"},
        {"ulimit_nofile", OwnLimit(RLIMIT_NOFILE)},
        {"ulimit_nproc", OwnLimit(RLIMIT_NPROC, kPodmanOwnNproc)}};
    if (p["runtime"] == "crun" && !peers::HybridUnifiedMount().empty())
      p["cgroup_unified"] = "hidden";
    return p;
  }

  Availability Check() const override {
    Availability a;
    std::string path = FindInPath("podman");
    if (path.empty()) {
      a.reason = "podman not found in PATH (apt install podman)";
      return a;
    }
    if (::geteuid() != 0) {
      a.reason = "needs root (ctvbench runs podman as root, cgroupfs and overlay storage)";
      return a;
    }
    bool conmon = !FindInPath("conmon").empty();
    for (const char* p : {"/usr/libexec/podman/conmon", "/usr/lib/podman/conmon"})
      conmon = conmon || ::access(p, X_OK) == 0;
    if (!conmon) {
      a.reason = "conmon not found (apt install conmon): podman's container monitor";
      return a;
    }
    if (FindInPath("crun").empty()) {
      a.reason = "crun not found in PATH (apt install crun): podman's default OCI runtime";
      return a;
    }
    auto fs = ReadFile("/proc/filesystems");
    if (!fs || fs->find("overlay") == std::string::npos) {
      a.reason = "overlayfs is not available (modprobe overlay): podman's storage driver";
      return a;
    }
    if (::access((ctx_.image_dir + "/index.json").c_str(), R_OK) != 0) {
      a.reason = "no OCI image at `" + ctx_.image_dir + "` (run `ctvbench image build`)";
      return a;
    }
    a.available = true;
    a.reason = path + ", image " + ctx_.image_dir;
    return a;
  }

  Status Prepare() override {
    store_ = CTV_TRY(PodmanStore::Open(peers::DriverDir(ctx_.state_dir, "podman"), "crun"));
    prepared_ = true;  // from here on the destructor removes the store
    tag_ = CTV_TRY(store_.ImportImage(ctx_.image_dir));
    return Ok();
  }

  bool SupportsVolumes() const override { return true; }

  Result<std::unique_ptr<Instance>> Create(const InstanceSpec& spec) override {
    CTV_CHECK(ValidateOptions(spec.options));
    if (tag_.empty()) CTV_CHECK(Prepare());
    std::map<std::string, std::string> p = EffectiveParameters(spec.options);
    PodmanStore store = store_.WithRuntime(p["runtime"]);
    if (!facts_.count(p["runtime"])) facts_[p["runtime"]] = CTV_TRY(store.Facts());
    std::string base = peers::ContainerId(spec.name), id = base;
    for (int n = 2; fs::Exists(store.dir + "/instances/" + id); ++n)
      id = peers::ContainerId(base + "-" + std::to_string(n));
    std::vector<std::string> args = {
        "run",
        "--rm",
        "--pull=never",
        "--name=" + id,
        "--network=" + p["net"],
        "--cgroupns=private",
        std::string("--cgroup-parent=/") + peers::kCgroupParent + "/" + id,
        "--ulimit=nofile=" + p["ulimit_nofile"],
        "--ulimit=nproc=" + p["ulimit_nproc"]};
    for (const VolumeMount& v : spec.volumes)  // `-v HOST:CTR`: a bind mount, read-write
      args.push_back("--volume=" + v.host_path + ":" + v.container_path);
    const Limits& l = spec.limits;
    if (l.memory_bytes) args.push_back("--memory=" + std::to_string(*l.memory_bytes));
    if (l.memory_high_bytes)  // v2 only (podman refuses --cgroup-conf on v1)
      args.push_back("--cgroup-conf=memory.high=" + std::to_string(*l.memory_high_bytes));
    if (l.cpus) args.push_back(fmt::format("--cpus={}", *l.cpus));
    if (l.pids) args.push_back("--pids-limit=" + std::to_string(*l.pids));
    if (l.cpuset) args.push_back("--cpuset-cpus=" + *l.cpuset);
    if (l.cpu_shares) args.push_back("--cpu-shares=" + std::to_string(*l.cpu_shares));
    if (l.io_read)  // podman names the device by its node: /dev/<DEVNAME> of MAJ:MIN
      args.push_back("--device-read-bps=" + CTV_TRY(DeviceNode(l.io_read->device)) + ":" +
                     std::to_string(l.io_read->bytes_per_s));
    args.push_back(std::string("--entrypoint=") + kProbeInImage);
    args.push_back(tag_);
    args.insert(args.end(), spec.probe_args.begin(), spec.probe_args.end());
    return std::unique_ptr<Instance>(
        new PodmanInstance(std::move(store), std::move(args), id, facts_[p["runtime"]]));
  }

 private:
  DriverContext ctx_;
  PodmanStore store_;
  std::string tag_;
  std::map<std::string, std::map<std::string, std::string>> facts_;  // per OCI runtime
  bool prepared_ = false;
};

}  // namespace

std::unique_ptr<Driver> MakePodmanDriver(const DriverContext& context) {
  return std::make_unique<PodmanDriver>(context);
}

}  // namespace ctv::bench
