#include "bench/drivers/oci_runtime_driver.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <optional>

#include <nlohmann/json.hpp>

#include "bench/drivers/oci_bundle.h"
#include "bench/drivers/oci_config.h"
#include "bench/drivers/oci_runtime_cli.h"
#include "bench/drivers/peer_common.h"
#include "bench/drivers/peer_launch.h"
#include "bench/image/probe_image.h"
#include "core/clock.h"
#include "core/fd.h"
#include "core/fs_tree.h"
#include "runtime/image/store.h"

namespace ctv::bench {
namespace {

using namespace std::chrono_literals;

constexpr const char* kFactRuntimeVersion = "runtime_version";
constexpr const char* kFactPlatform = "platform";

// The platforms the installed runsc lists in `runsc flags` ("specifies which platform to use:
// ptrace (default), kvm."), and its default. Empty when the text is not understood.
struct RunscPlatforms {
  std::vector<std::string> names;
  std::string fallback_default;
};

RunscPlatforms ParseRunscPlatforms(const std::string& text) {
  RunscPlatforms p;
  const std::string key = "platform to use:";
  size_t at = text.find(key);
  if (at == std::string::npos) return p;
  size_t end = text.find_first_of(".\n", at);
  std::string list = text.substr(at + key.size(), end - at - key.size());
  size_t i = 0;
  while (i <= list.size()) {
    size_t comma = list.find(',', i);
    if (comma == std::string::npos) comma = list.size();
    std::string item = list.substr(i, comma - i);
    bool is_default = item.find("(default)") != std::string::npos;
    std::string name;
    for (char c : item)
      if (c != ' ' && c != '\t') name += c;
    if (is_default) name = name.substr(0, name.find('('));
    if (!name.empty()) {
      p.names.push_back(name);
      if (is_default) p.fallback_default = name;
    }
    i = comma + 1;
  }
  return p;
}

std::string StoreRoot() {
  const char* env = ::getenv("CTVBENCH_STORE");
  return env && *env ? env : image::kDefaultStoreRoot;
}

std::string Opt(const std::map<std::string, std::string>& o, const char* key, const char* def) {
  auto it = o.find(key);
  return it == o.end() ? def : it->second;
}

class OciRuntimeInstance final : public Instance {
 public:
  OciRuntimeInstance(OciRuntimeCli cli, ExportedImage image, std::string id, OciConfigSpec config,
                     std::map<std::string, std::string> facts)
      : cli_(std::move(cli)),
        image_(std::move(image)),
        id_(std::move(id)),
        config_(std::move(config)),
        facts_(std::move(facts)),
        run_(cli_.name, id_) {}

  ~OciRuntimeInstance() override {
    // While `run` still makes the container (Ctrl-C during a launch), there is nothing to kill
    // yet: try again until `run` ends with its container, for at most 10 s.
    for (int i = 0; i < 40 && run_.Process().Running(); ++i) {
      (void)cli_.Kill(id_, "KILL");
      auto st = run_.Process().WaitFor(250ms);
      if (!st) break;
    }
    run_.Process().KillAndReap();
    if (spawned_ && cli_.HasState(id_)) (void)cli_.Delete(id_);
    if (spawned_) (void)peers::RemoveInstanceCgroups(id_, nullptr);
    bundle_.reset();  // unmounts the rootfs, removes the instance's directory
  }

  Status Start() override {
    if (bundle_) return MakeError("start " + cli_.name + " container", id_, "already started");
    bundle_ = CTV_TRY(InstanceBundle::Create(image_, id_, config_));
    CTV_CHECK(fs::MakeDirs(cli_.root, 0700));
    spawned_ = true;  // from here on a container may exist: the destructor deletes it
    // runsc's sandbox writes a Go panic (its own failure, not the workload's) nowhere but its
    // debug log: without this file such a failure is a bare "exit 2" (gVisor's pids case).
    if (cli_.name == "runsc") cli_.run_flags.push_back("--panic-log=" + PanicLog());
    return run_.Start([this](SpawnOptions so) { return cli_.Spawn(std::move(so)); },
                      cli_.Argv({"run", "--bundle", bundle_->Dir(), id_}),
                      bundle_->Dir() + "/stderr", marks_);
  }

  Status WaitReady(std::chrono::milliseconds timeout) override {
    Status s = run_.WaitReady(timeout, marks_);
    if (!s) {
      if (auto panic = SandboxPanic()) return std::move(*panic);
    }
    return s;
  }

  // A sandbox that panicked did not run the workload to its end: that is the runtime's error,
  // not an exit status of the workload.
  Result<WorkloadExit> WaitExit(std::chrono::milliseconds timeout) override {
    auto exit = run_.WaitExit(timeout, marks_);
    if (!exit || !exit->status.Success()) {
      if (auto panic = SandboxPanic()) return std::move(*panic);
    }
    return exit;
  }

  Status Stop(std::chrono::milliseconds timeout) override {
    if (!run_.Process().Running()) return Ok();
    // A container that already ended is not an error here: its exit status says what happened.
    (void)cli_.Kill(id_, "TERM");
    auto st = CTV_TRY(run_.Process().WaitFor(timeout));
    if (!st) {
      (void)cli_.Kill(id_, "KILL");
      run_.Process().KillAndReap();
      return MakeError("stop " + cli_.name + " container", id_, "did not exit on SIGTERM; killed");
    }
    if (!st->Success())
      return run_.WithWords(
          MakeError("stop " + cli_.name + " container", id_, "`run` ended with " + st->ToString()));
    return Ok();
  }

  const std::vector<Mark>& Marks() const override { return marks_; }

  std::vector<pid_t> HostPids() const override {
    return peers::InstanceHostPids(run_.Process().Running() ? run_.Process().Pid() : 0, id_);
  }

  std::map<std::string, std::string> Facts() const override { return facts_; }

  // The pid `state ID` reports: runc's and crun's container init, i.e. the probe. runsc's is the
  // sandbox's own process: the workload runs on the Sentry and has no host process of its own.
  std::optional<pid_t> WorkloadHostPid() const override {
    if (cli_.name == "runsc" || !run_.Process().Running()) return std::nullopt;
    auto out = cli_.Run({"state", id_}, 5s);
    if (!out || !out->status.Success()) return std::nullopt;
    auto j = nlohmann::json::parse(out->out, nullptr, false);
    if (j.is_discarded() || !j.contains("pid") || !j["pid"].is_number_integer())
      return std::nullopt;
    pid_t pid = j["pid"].get<pid_t>();
    return pid > 0 ? std::optional<pid_t>(pid) : std::nullopt;
  }

  // linux.cgroupsPath "/ctvbench/<id>" in every hierarchy (oci_config.h).
  std::vector<std::string> CgroupPaths() const override {
    return spawned_ ? peers::InstanceCgroupDirs(id_) : std::vector<std::string>{};
  }

 private:
  std::string PanicLog() const { return bundle_ ? bundle_->Dir() + "/panic.log" : ""; }

  // runsc only: the first "panic:" line of the sandbox's panic log (runsc --panic-log), e.g.
  // "panic: unable to activate mm: creating stub process: resource temporarily unavailable".
  std::optional<Error> SandboxPanic() const {
    if (cli_.name != "runsc" || !bundle_) return std::nullopt;
    auto text = ReadFile(PanicLog());
    if (!text) return std::nullopt;
    size_t at = text->find("panic: ");
    if (at == std::string::npos) return std::nullopt;
    std::string line = text->substr(at, text->find('\n', at) - at);
    return run_.WithWords(MakeError("run runsc sandbox", id_, "the sandbox panicked (" + line + ")"));
  }

  OciRuntimeCli cli_;
  ExportedImage image_;
  std::string id_;
  OciConfigSpec config_;
  std::map<std::string, std::string> facts_;
  std::unique_ptr<InstanceBundle> bundle_;  // destroyed after the container is gone
  bool spawned_ = false;
  peers::LaunchCommand run_;  // the runtime's `run` process and the probe's stream
  std::vector<Mark> marks_;
};

class OciRuntimeDriver final : public Driver {
 public:
  OciRuntimeDriver(DriverContext ctx, std::string runtime)
      : ctx_(std::move(ctx)), runtime_(std::move(runtime)) {}

  // Only what is empty now goes: another run may share these directories and the parents.
  ~OciRuntimeDriver() override {
    if (!prepared_) return;
    ::rmdir(image_.bundle_root.c_str());
    ::rmdir(Root().c_str());
    ::rmdir(peers::DriverDir(ctx_.state_dir, runtime_).c_str());
    ::rmdir(peers::PeersDir(ctx_.state_dir).c_str());
    peers::RemoveEmptyCgroupParents(nullptr);
  }

  std::string Name() const override { return runtime_; }
  DriverKind Kind() const override {
    return runtime_ == "runsc" ? DriverKind::kSandbox : DriverKind::kContainer;
  }
  std::string Description() const override {
    std::string same =
        " on an OCI bundle of the image (overlay rootfs; ctvrt's namespaces, capabilities, "
        "seccomp profile and cgroup limits)";
    if (runtime_ == "runc")
      return "runc, the OCI reference runtime (Docker's and containerd's)" + same;
    if (runtime_ == "crun") return "crun, the OCI runtime in C (podman's default)" + same;
    return "gVisor's runsc: the bundle in a user-space kernel sandbox (platform ptrace unless "
           "runsc.platform says otherwise; no network stack but loopback)";
  }

  std::vector<OptionDoc> Options() const override {
    std::vector<OptionDoc> o = {
        {"net", "none|host", "own network namespace with loopback only (default), or the host's"},
        {"seccomp", "0|1", "ctvrt's default seccomp profile in config.json (default 1)"}};
    // Documentation only, no `runsc flags` here: every ctvbench command builds its --help.
    // ValidateOptions checks the value against what the installed runsc lists.
    if (runtime_ == "runsc")
      o.push_back({"platform", "ptrace|kvm|...",
                   "gVisor platform, one `runsc flags` lists (default ptrace)"});
    return o;
  }

  Status ValidateOptions(const std::map<std::string, std::string>& options) const override {
    for (const auto& [key, value] : options) {
      auto bad = [&](const std::string& why) {
        return MakeError("driver option", runtime_ + "." + key, why);
      };
      if (key == "net") {
        if (value != "none" && value != "host")
          return bad("expected none or host, got \"" + value +
                     "\" (an OCI runtime makes no network: a bridge and host port mappings "
                     "(-p) are an engine's, e.g. docker's or podman's, or ctvrt's net=bridge)");
      } else if (key == "seccomp") {
        if (value != "0" && value != "1") return bad("expected 0 or 1, got \"" + value + "\"");
      } else if (key == "platform" && runtime_ == "runsc") {
        RunscPlatforms p = Platforms();
        if (p.names.empty())
          return bad("cannot tell which platforms this runsc has (`runsc flags`)");
        if (std::find(p.names.begin(), p.names.end(), value) == p.names.end()) {
          std::string list;
          for (const auto& n : p.names) list += (list.empty() ? "" : ", ") + n;
          return bad("\"" + value +
                     "\" is not a platform of the installed runsc (it lists: " + list + ")");
        }
        if (value == "kvm" && ::access("/dev/kvm", R_OK | W_OK) != 0)
          return bad("platform kvm needs /dev/kvm, which is absent or not usable here");
      } else {
        std::string keys;
        for (const auto& d : Options()) keys += (keys.empty() ? "" : ", ") + d.key + "=" + d.values;
        return bad("unknown (" + runtime_ + " options: " + keys + ")");
      }
    }
    return Ok();
  }

  std::map<std::string, std::string> EffectiveParameters(
      const std::map<std::string, std::string>& options) const override {
    std::map<std::string, std::string> p = {{"net", Opt(options, "net", "none")},
                                            {"seccomp", Opt(options, "seccomp", "1")},
                                            {"cgroup_manager", "cgroupfs"}};
    if (runtime_ == "crun" && !peers::HybridUnifiedMount().empty()) p["cgroup_unified"] = "hidden";
    if (runtime_ == "runsc") {
      p["platform"] = Opt(options, "platform", "ptrace");
      p["network"] = p["net"] == "host" ? "host" : "none";
      p["oci_seccomp"] = "off";
    }
    return p;
  }

  Availability Check() const override {
    Availability a;
    std::string path = FindInPath(runtime_);
    if (path.empty()) {
      a.reason = runtime_ + " not found in PATH (apt install " + runtime_ + ")";
      return a;
    }
    if (::geteuid() != 0) {
      a.reason = "needs root (" + runtime_ + " as root: namespaces, overlay mounts, cgroups)";
      return a;
    }
    auto fs = ReadFile("/proc/filesystems");
    if (!fs || fs->find("overlay") == std::string::npos) {
      a.reason = "overlayfs is not available (modprobe overlay): the bundle's rootfs is an overlay";
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
    image_ = CTV_TRY(
        ExportImage(ctx_.image_dir, StoreRoot(), peers::DriverDir(ctx_.state_dir, runtime_)));
    CTV_CHECK(fs::MakeDirs(Root(), 0700));
    if (version_.empty()) {
      auto v = RunCommand({runtime_, "--version"}, 10s);
      if (!v) return std::move(v).error();
      version_ = peers::FirstLine(v->out);
    }
    prepared_ = true;
    return Ok();
  }

  bool SupportsVolumes() const override { return true; }

  Result<std::unique_ptr<Instance>> Create(const InstanceSpec& spec) override {
    CTV_CHECK(ValidateOptions(spec.options));
    if (!prepared_) CTV_CHECK(Prepare());
    std::map<std::string, std::string> params = EffectiveParameters(spec.options);
    OciRuntimeCli cli = OciRuntimeCli::For(runtime_, Root());
    if (runtime_ == "runsc")
      cli.run_flags = {"--platform=" + params["platform"], "--network=" + params["network"]};
    // The instance's name, or the first free variant of it (a leftover of a killed run).
    std::string base = peers::ContainerId(spec.name), id = base;
    for (int n = 2; fs::Exists(image_.bundle_root + "/" + id) || cli.HasState(id); ++n)
      id = peers::ContainerId(base + "-" + std::to_string(n));
    OciConfigSpec config;
    config.args = {kProbeInImage};
    config.args.insert(config.args.end(), spec.probe_args.begin(), spec.probe_args.end());
    config.env = image_.env;
    config.hostname = id;
    config.cgroups_path = std::string("/") + peers::kCgroupParent + "/" + id;
    config.network_namespace = params["net"] != "host";
    config.seccomp = params["seccomp"] == "1";
    config.limits = spec.limits;
    config.volumes = spec.volumes;
    std::map<std::string, std::string> facts = {{kFactRuntimeVersion, version_}};
    if (runtime_ == "runsc") facts[kFactPlatform] = params["platform"];
    return std::unique_ptr<Instance>(
        new OciRuntimeInstance(std::move(cli), image_, id, std::move(config), std::move(facts)));
  }

 private:
  std::string Root() const { return peers::DriverDir(ctx_.state_dir, runtime_) + "/state"; }

  // `runsc flags` once (it prints its flags on stderr).
  const RunscPlatforms& Platforms() const {
    if (!platforms_) {
      auto o = RunCommand({"runsc", "flags"}, 10s);
      platforms_ = o ? ParseRunscPlatforms(o->err + o->out) : RunscPlatforms{};
    }
    return *platforms_;
  }

  DriverContext ctx_;
  std::string runtime_;
  ExportedImage image_;
  std::string version_;
  bool prepared_ = false;
  mutable std::optional<RunscPlatforms> platforms_;
};

}  // namespace

std::unique_ptr<Driver> MakeOciRuntimeDriver(const DriverContext& context,
                                             const std::string& runtime) {
  return std::make_unique<OciRuntimeDriver>(context, runtime);
}

}  // namespace ctv::bench
