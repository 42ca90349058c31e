// `ctvrt run` (image or bundle) and `ctvrt create` (bundle).
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "core/atomic_file.h"
#include "core/clock.h"
#include "core/fd.h"
#include "core/fs_tree.h"
#include "runtime/cli/commands.h"
#include "runtime/console.h"
#include "runtime/image/images.h"
#include "runtime/lifecycle.h"
#include "runtime/net/port_spec.h"
#include "runtime/oci/config.h"
#include "runtime/spec_flags.h"
#include "runtime/user/lookup.h"

namespace ctv::rtcli {
namespace {

struct RunFlags {
  std::string bundle;
  bool detach = false, rm = false, keep = false, init = false, read_only = false, tty = false;
  std::string console_socket;
  std::string memory, memory_swap, cpus, cpuset_cpus, name, hostname, workdir, user, userns, ns;
  std::string security_opt;
  int64_t pids_limit = 0;
  std::vector<std::string> volumes, env, ulimits, cap_add, cap_drop, publish, cgroup_conf;
  std::string net;  // empty: bridge for images, the bundle's namespaces for bundles
  std::string pid_file;
  std::optional<std::string> entrypoint;
};

void AddRunFlags(CLI::App* c, RunFlags& f) {
  c->add_option("-b,--bundle", f.bundle, "OCI bundle dir (config.json + rootfs): OCI mode");
  c->add_flag("-d,--detach", f.detach, "run in the background under a shim");
  c->add_flag("--rm", f.rm, "remove the container when it exits");
  c->add_flag("--keep", f.keep, "bundle mode: keep the container after it exits");
  c->add_flag("--init", f.init, "run a tiny init as PID 1 (reaps zombies, forwards signals)");
  c->add_flag("--read-only", f.read_only, "mount the root filesystem read-only");
  c->add_option("-m,--memory", f.memory, "memory limit, e.g. 256m, 1g");
  c->add_option("--memory-swap", f.memory_swap, "memory+swap limit (-1: unlimited swap)");
  c->add_option("--cpus", f.cpus, "CPU quota in cores, e.g. 0.5");
  c->add_option("--cpuset-cpus", f.cpuset_cpus, "CPUs allowed, e.g. 0-1");
  c->add_option("--pids-limit", f.pids_limit, "maximum number of processes");
  c->add_option("--cgroup-conf", f.cgroup_conf,
                "a cgroup v2 file KEY=VALUE written in the container's cgroup, as podman's flag "
                "and OCI linux.resources.unified (e.g. memory.high=64m: throttled above 64 MiB "
                "instead of killed); refused on a cgroup v1 host")
      ->allow_extra_args(false);
  c->add_option("-v,--volume", f.volumes, "bind mount HOSTDIR:CTDIR[:ro]")->allow_extra_args(false);
  c->add_option("-e,--env", f.env, "environment variable NAME=VALUE")->allow_extra_args(false);
  c->add_option("--ulimit", f.ulimits, "rlimit NAME=SOFT[:HARD], e.g. nofile=1024:2048")
      ->allow_extra_args(false);
  c->add_option("--name", f.name, "container name (also its id when valid)");
  c->add_option("--hostname", f.hostname, "hostname inside (default: the container id)");
  c->add_option("-w,--workdir", f.workdir, "working directory inside");
  c->add_option("-u,--user", f.user,
                "USER[:GROUP], names or ids, resolved in the container's /etc/passwd and "
                "/etc/group (supplementary groups and HOME follow)");
  c->add_flag("-t,--tty", f.tty,
              "give the process a pty as its terminal (bundles: process.terminal); the foreground "
              "run relays it to our stdio");
  c->add_option("--console-socket", f.console_socket,
                "with a terminal: send the pty master to this AF_UNIX socket (SCM_RIGHTS) instead "
                "of relaying it; required with -d");
  c->add_option("--userns", f.userns,
                "user namespace map INSIDE:OUTSIDE:COUNT (e.g. 0:100000:65536)");
  c->add_option("--ns", f.ns, "namespaces to create (default pid,mnt,uts,ipc,net,cgroup)");
  c->add_option("--cap-add", f.cap_add, "add a capability")->allow_extra_args(false);
  c->add_option("--cap-drop", f.cap_drop, "drop a capability (ALL for all)")
      ->allow_extra_args(false);
  c->add_option("--security-opt", f.security_opt, "seccomp=unconfined, no-new-privileges=false");
  c->add_option("--pid-file", f.pid_file, "write the container's host pid here");
  c->add_option("--entrypoint", f.entrypoint, "override the image's entrypoint ('' clears it)");
  c->add_option("--net,--network", f.net,
                "network: none (loopback only), host, bridge (default: bridge; bundles: their "
                "config.json)");
  c->add_option("-p,--publish", f.publish,
                "publish a port [HOSTIP:]HOSTPORT:CTPORT[/tcp|udp] (bridge network)")
      ->allow_extra_args(false);
}

using runtime::FlagError;

// Applies image-independent flags to `spec`. Errors name the flag and the accepted form.
Status ApplyFlags(const RunFlags& f, runtime::ContainerSpec* spec) {
  if (!f.memory.empty()) {
    auto b = cgroup::ParseBytes(f.memory);
    if (!b || *b < 6 * 1024 * 1024)
      return FlagError("-m/--memory", f.memory,
                       "a size of at least 6m with unit b, k, m or g (e.g. 256m, 1g)");
    spec->limits.memory_bytes = *b;
  }
  if (!f.memory_swap.empty()) {
    if (f.memory_swap == "-1") {
      spec->limits.memory_swap_bytes = -1;
    } else {
      auto b = cgroup::ParseBytes(f.memory_swap);
      if (!b) return FlagError("--memory-swap", f.memory_swap, "a size (e.g. 512m) or -1");
      spec->limits.memory_swap_bytes = *b;
    }
  }
  if (!f.cpus.empty())
    spec->limits.cpus = CTV_TRY(runtime::ParseCpusFlag(f.cpus, ::sysconf(_SC_NPROCESSORS_ONLN)));
  if (!f.cpuset_cpus.empty()) spec->limits.cpuset_cpus = f.cpuset_cpus;
  if (f.pids_limit < 0)
    return FlagError("--pids-limit", std::to_string(f.pids_limit), "a positive number");
  if (f.pids_limit > 0) spec->limits.pids = f.pids_limit;
  for (const std::string& kv : f.cgroup_conf) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == kv.size())
      return FlagError("--cgroup-conf", kv, "KEY=VALUE, e.g. memory.high=64m");
    std::string key = kv.substr(0, eq), value = kv.substr(eq + 1);
    // Sizes are taken with docker's suffixes for the memory files that hold bytes.
    if (key.rfind("memory.", 0) == 0 && value != "max")
      if (auto b = cgroup::ParseBytes(value)) value = std::to_string(*b);
    spec->limits.unified[key] = value;
  }
  for (const std::string& v : f.volumes) {
    runtime::Volume vol = CTV_TRY(runtime::ParseVolumeFlag(v));
    if (!fs::Exists(vol.host_path))
      return MakeError("add volume", vol.host_path, "the host directory does not exist");
    spec->volumes.push_back(vol);
  }
  for (const std::string& e : f.env) {
    if (e.find('=') == std::string::npos) return FlagError("-e/--env", e, "NAME=VALUE");
    spec->process.env.push_back(e);
  }
  for (const std::string& u : f.ulimits)
    spec->process.rlimits.push_back(CTV_TRY(runtime::ParseUlimitFlag(u)));
  if (!f.workdir.empty()) spec->process.cwd = f.workdir;
  if (!f.ns.empty()) spec->namespaces = CTV_TRY(ns::ParseKinds(f.ns));
  if (!f.userns.empty()) {
    auto m = ns::ParseIdMap(f.userns);
    if (!m) return FlagError("--userns", f.userns, "INSIDE:OUTSIDE:COUNT (e.g. 0:100000:65536)");
    spec->namespaces |= CLONE_NEWUSER;
    spec->uid_maps = {*m};
    spec->gid_maps = {*m};
  }
  for (const std::string& c : f.cap_drop) {
    if (c == "ALL" || c == "all") {
      spec->process.caps = 0;
      continue;
    }
    auto bit = security::ParseCap(c);
    if (!bit) return FlagError("--cap-drop", c, "a capability name like NET_RAW, or ALL");
    spec->process.caps &= ~(security::CapSet{1} << *bit);
  }
  for (const std::string& c : f.cap_add) {
    if (c == "ALL" || c == "all") {
      spec->process.caps = security::AllCaps();
      continue;
    }
    auto bit = security::ParseCap(c);
    if (!bit) return FlagError("--cap-add", c, "a capability name like NET_ADMIN, or ALL");
    spec->process.caps |= security::CapSet{1} << *bit;
  }
  if (!f.security_opt.empty()) {
    if (f.security_opt == "seccomp=unconfined")
      spec->process.seccomp = false;
    else if (f.security_opt == "no-new-privileges=false")
      spec->process.no_new_privileges = false;
    else if (f.security_opt == "no-new-privileges" || f.security_opt == "no-new-privileges=true")
      spec->process.no_new_privileges = true;
    else
      return FlagError("--security-opt", f.security_opt,
                       "seccomp=unconfined or no-new-privileges[=true|false]");
  }
  if (f.read_only) spec->readonly_rootfs = true;
  if (f.init) spec->init = true;
  if (f.tty) spec->process.terminal = true;
  return Ok();
}

// --user: names (and, for HOME and supplementary groups, ids too) are looked up in the
// container's own /etc/passwd and /etc/group: the image's layers, or the bundle's rootfs. Runs
// only with --user: the default launch reads no file.
Status ApplyUser(const std::string& user_spec, runtime::ContainerSpec* spec) {
  if (user_spec.empty()) return Ok();
  runtime::user::ExecUser u;
  if (!spec->lower_dirs.empty()) {
    u = CTV_TRY(runtime::user::ResolveInLayers(user_spec, spec->lower_dirs, "the image"));
  } else {
    Fd root = CTV_TRY(OpenFile(spec->rootfs_dir, O_PATH | O_DIRECTORY));
    u = CTV_TRY(runtime::user::ResolveInRoot(user_spec, root.Get(),
                                             "the bundle's rootfs `" + spec->rootfs_dir + "`"));
  }
  spec->process.uid = u.uid;
  spec->process.gid = u.gid;
  spec->process.additional_gids = u.groups;
  runtime::user::SetHomeIfUnset(u, &spec->process.env);
  return Ok();
}

// process.terminal and --console-socket, checked as runc does: a detached container's pty master
// has nowhere to go but a console socket, and a socket without a terminal is a mistake.
Status CheckConsole(const RunFlags& f, const runtime::ContainerSpec& spec, bool detached,
                    bool bundle_mode) {
  const char* what = bundle_mode ? "process.terminal is true" : "-t/--tty";
  if (spec.process.terminal && detached && f.console_socket.empty())
    return MakeError(
        "allocate a terminal", spec.id,
        std::string(what) +
            " but the container runs detached: give --console-socket PATH (the pty master "
            "is sent there with SCM_RIGHTS)" +
            (bundle_mode ? ", or set process.terminal to false" : ""));
  if (!spec.process.terminal && !f.console_socket.empty())
    return MakeError("use console socket", f.console_socket,
                     bundle_mode ? "process.terminal is false in config.json: no pty to send"
                                 : "no terminal to send (add -t)");
  return Ok();
}

// --net and -p. Without --net: host when the namespaces (config.json, --ns) have no network
// namespace; else none for bundles (loopback only) and bridge for images.
Status ApplyNetwork(const RunFlags& f, bool bundle_mode, runtime::RunRequest* req) {
  runtime::ContainerSpec& spec = req->spec;
  for (const ns::JoinSpec& j : spec.join_namespaces) {
    if (j.clone_flag != CLONE_NEWNET) continue;
    // The joined namespace is configured already (whoever made it owns its interfaces).
    if (!f.net.empty() || !f.publish.empty())
      return MakeError("--net/-p", j.path,
                       "config.json joins this network namespace (linux.namespaces[].path)");
    req->net_mode = net::NetworkMode::kNone;
    return Ok();
  }
  net::NetworkMode mode;
  if (!f.net.empty()) {
    mode = CTV_TRY(net::ParseNetworkMode(f.net));
  } else if (!(spec.namespaces & CLONE_NEWNET)) {
    mode = net::NetworkMode::kHost;  // a bundle without a network namespace, or --ns without net
  } else if (bundle_mode) {
    mode = net::NetworkMode::kNone;
  } else {
    mode = net::NetworkMode::kBridge;
  }
  std::vector<net::PortMapping> ports = CTV_TRY(net::ParsePortSpecs(f.publish));
  if (!ports.empty() && mode != net::NetworkMode::kBridge)
    return FlagError("-p/--publish", f.publish[0],
                     "a bridge network (--net bridge); the network is " +
                         std::string(net::NetworkModeName(mode)));
  if (mode == net::NetworkMode::kHost)
    spec.namespaces &= ~CLONE_NEWNET;
  else
    spec.namespaces |= CLONE_NEWNET;
  req->net_mode = mode;
  req->ports = std::move(ports);
  if (mode == net::NetworkMode::kBridge) req->net_config = runtime::HostNetworkConfig();
  return Ok();
}

pid_t g_forward_pid = 0;
void Forward(int sig) {
  if (g_forward_pid > 0) ::kill(g_forward_pid, sig);
}

// Foreground: launch, forward signals, wait, record; exit with the container's code.
int64_t g_t0 = 0;
std::vector<std::pair<std::string, int64_t>> g_phases;
// CTVRT_TIMING=1: phase timestamps on stderr at exit (what the launch path spends where).
void NotePhaseAt(const char* name, int64_t t_ns) {
  if (g_t0) g_phases.emplace_back(name, t_ns);
}
void NotePhase(const char* name) { NotePhaseAt(name, MonotonicNs()); }
void PrintPhases() {
  if (!g_t0) return;
  // In time order: the child's stamps (mounts) arrive after the parent's attach steps they
  // overlapped; each figure is the time since the mark before it.
  std::stable_sort(g_phases.begin(), g_phases.end(),
                   [](const auto& a, const auto& b) { return a.second < b.second; });
  int64_t prev = g_t0;
  std::string line = "ctvrt timing (ms):";
  for (auto& [n, t] : g_phases) {
    char buf[64];
    std::snprintf(buf, sizeof buf, " %s +%.2f", n.c_str(), (t - prev) / 1e6);
    line += buf;
    prev = t;
  }
  std::fprintf(stderr, "%s, total %.2f\n", line.c_str(), (prev - g_t0) / 1e6);
}

int RunForeground(runtime::RunRequest& req, bool remove_after, const std::string& pid_file) {
  runtime::State st;
  runtime::LaunchOptions o;
  if (g_t0) o.on_phase = NotePhaseAt;
  o.stdin_fd = 0;
  o.stdout_fd = 1;
  o.stderr_fd = 2;
  o.console_socket = req.console_socket;
  // process.terminal without a console socket: we hold the pty master and relay it.
  const bool relay = req.spec.process.terminal && req.console_socket.empty();
  if (relay && req.spec.process.console_rows == 0) {
    runtime::WindowSize ws = runtime::TerminalSize(0);
    if (ws.rows == 0) ws = runtime::TerminalSize(1);
    req.spec.process.console_rows = ws.rows;
    req.spec.process.console_cols = ws.cols;
  }
  net::ContainerNetwork network;
  auto c = runtime::LaunchRecorded(req, o, &st, &network);
  if (!c) return PrintError(c.error());
  if (!pid_file.empty()) (void)WriteRuntimeStateFile(pid_file, std::to_string(c->Pid()), 0644);
  runtime::RunPostHooks(st, runtime::PostHook::kPoststart, req.spec.hooks);
  g_forward_pid = c->Pid();
  struct sigaction sa {};
  sa.sa_handler = Forward;
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) ::sigaction(s, &sa, nullptr);
  if (relay) {
    Fd master = c->TakeConsole();
    // Raw mode only while relaying: our terminal is restored before anything else is printed.
    runtime::RawTerminal raw(0);
    runtime::RelayOptions ro;
    ro.master = master.Get();
    ro.pid = c->Pid();
    if (Status s = runtime::RelayConsole(ro); !s) PrintError(s.error());
  }
  auto es = c->Process().Wait();
  NotePhase("exited");
  // Free the address and the port mappings. With its own PID namespace every process of the
  // container died with PID 1, so its network namespace is going: the kernel deletes the veth
  // pair, off our path (net::VethTeardown).
  const bool bridged = network.Mode() == net::NetworkMode::kBridge;
  const auto how = (req.spec.namespaces & CLONE_NEWPID) ? net::VethTeardown::kWithNamespace
                                                        : net::VethTeardown::kDelete;
  if (Status s = network.Detach(how); !s) PrintError(s.error());
  if (bridged) NotePhase("net.detach");
  ExitStatus status = es ? *es : ExitStatus{true, SIGKILL};
  bool oom = false;
  if (status.signaled && status.code == SIGKILL && c->Cgroup()) {
    auto stats = c->Cgroup()->ReadStats();
    oom = stats && stats->oom_kills > 0;
  }
  if (oom)
    std::fprintf(stderr, "ctvrt: container %s was killed by the OOM killer (memory limit)\n",
                 req.spec.id.c_str());
  if (remove_after) {
    // We are the monitor and PID 1 is reaped: remove directly (no state round trip; this is on
    // the measured start-to-exit path).
    Status s = c->Destroy(/*remove_dir=*/true);
    if (!s) PrintError(s.error());
    runtime::RunPostHooks(st, runtime::PostHook::kPoststop, req.spec.hooks);
  } else {
    (void)runtime::RecordExit(req.state_root, req.spec.id, status, c->Cgroup());
    c->Release();
  }
  NotePhase("cleaned");
  PrintPhases();
  return status.signaled ? 128 + status.code : status.code;
}

int RunDetached(runtime::RunRequest& req, const std::string& pid_file, bool print_id) {
  auto st = runtime::LaunchDetached(req);
  if (!st) return PrintError(st.error());
  // `create` stops before exec: `start` runs the poststart hooks.
  if (!req.wait_for_start)
    runtime::RunPostHooks(*st, runtime::PostHook::kPoststart, req.spec.hooks);
  if (!pid_file.empty()) (void)WriteRuntimeStateFile(pid_file, std::to_string(st->pid), 0644);
  if (print_id) std::printf("%s\n", st->id.c_str());
  return 0;
}

int DoRun(Globals& g, RunFlags& f, const std::vector<std::string>& rest, bool create_only) {
  if (const char* t = ::getenv("CTVRT_TIMING"); t && *t == '1') {
    g_t0 = g.main_entry_ns ? g.main_entry_ns : MonotonicNs();
    NotePhase("cli");  // main() -> here: command-line parsing
  }
  runtime::RunRequest req;
  req.state_root = g.state_root;
  bool bundle_mode =
      !f.bundle.empty() || create_only || (rest.size() == 1 && fs::Exists("config.json"));
  if (bundle_mode) {
    if (rest.size() != 1)
      return PrintUsage("expected exactly one container ID after the options (OCI bundle mode)");
    std::string bundle = f.bundle.empty() ? "." : f.bundle;
    char abs[PATH_MAX];
    if (!::realpath(bundle.c_str(), abs)) return PrintError(ErrnoError("open bundle", bundle));
    auto spec = runtime::oci::LoadBundle(abs);
    if (!spec) return PrintError(spec.error());
    req.spec = std::move(spec).value();
    req.spec.id = rest[0];
    req.bundle = abs;
    req.annotations = req.spec.annotations;
    req.console_socket = f.console_socket;
    if (Status s = ApplyFlags(f, &req.spec); !s) return PrintUsage(s.error().ToString());
    if (Status s = ApplyNetwork(f, true, &req); !s) return PrintUsage(s.error().ToString());
    if (Status s = CheckConsole(f, req.spec, create_only || f.detach, true); !s)
      return PrintError(s.error());
    if (Status s = ApplyUser(f.user, &req.spec); !s) return PrintError(s.error());
    if (req.spec.hostname.empty()) req.spec.hostname = req.spec.id;
    req.wait_for_start = create_only;
    if (!req.spec.has_process && !create_only)
      return PrintError(MakeError("run container", req.spec.id,
                                  "config.json has no process: nothing to run (`create` accepts "
                                  "it, `start` and `run` need one)"));
    // runc's pass-through: without a terminal, the container's stdio is the one `create` (or
    // `run -d` of a bundle) was given, not a log kept by ctvrt.
    req.inherit_stdio = !req.spec.process.terminal;
    if (create_only || f.detach) return RunDetached(req, f.pid_file, false);
    return RunForeground(req, !f.keep, f.pid_file);
  }
  if (rest.empty())
    return PrintUsage("expected IMAGE [COMMAND...] (IMAGE is an OCI layout DIR[:REF])");
  // Everything from IMAGE on is the command: an option there is a mistake, not a path.
  if (rest[0].size() > 1 && rest[0][0] == '-')
    return PrintUsage("unknown option '" + rest[0] +
                      "' (options go before IMAGE; see `ctvrt run --help`)");
  runtime::ContainerSpec& spec = req.spec;
  spec.namespaces = ns::DefaultFlags();
  // Flags first, so a wrong value (-m 256q) is named before the image is even opened; the
  // image's defaults below fill only what the flags left (its env goes before -e's).
  if (Status s = ApplyFlags(f, &spec); !s) return PrintUsage(s.error().ToString());
  image::LayerStore store(g.store_root);
  auto img = image::PrepareImage(store, rest[0]);
  if (!img) return PrintError(img.error());
  NotePhase("image");
  spec.lower_dirs = img->layer_dirs;
  auto init_layer = store.EnsureInitLayer();
  if (!init_layer) return PrintError(init_layer.error());
  spec.lower_dirs.push_back(*init_layer);
  const image::ImageConfig& ic = img->image.config;
  spec.process.args.assign(rest.begin() + 1, rest.end());
  if (spec.process.args.empty()) spec.process.args = ic.cmd;
  std::vector<std::string> entrypoint = ic.entrypoint;
  if (f.entrypoint)
    entrypoint = f.entrypoint->empty() ? std::vector<std::string>{}
                                       : std::vector<std::string>{*f.entrypoint};
  if (!entrypoint.empty())
    spec.process.args.insert(spec.process.args.begin(), entrypoint.begin(), entrypoint.end());
  if (spec.process.args.empty())
    return PrintUsage("the image has no default command: give one after IMAGE");
  spec.process.env.insert(spec.process.env.begin(), ic.env.begin(), ic.env.end());
  if (f.workdir.empty() && !ic.working_dir.empty()) spec.process.cwd = ic.working_dir;
  if (Status s = ApplyNetwork(f, false, &req); !s) return PrintUsage(s.error().ToString());
  spec.id = runtime::NewContainerId();
  if (!f.name.empty()) {
    if (runtime::ValidateId(f.name) && f.name.rfind("ctv", 0) == 0) spec.id = f.name;
    auto existing = runtime::ResolveContainer(g.state_root, f.name);
    if (existing)
      return PrintError(
          MakeError("create container", f.name, "the name is already in use by " + *existing));
  }
  spec.hostname = f.hostname.empty() ? spec.id : f.hostname;
  req.name = f.name.empty() ? spec.id : f.name;
  req.image = rest[0];
  req.console_socket = f.console_socket;
  if (Status s = CheckConsole(f, spec, f.detach, false); !s) return PrintError(s.error());
  if (Status s = ApplyUser(f.user, &spec); !s) return PrintError(s.error());
  if (f.detach) return RunDetached(req, f.pid_file, true);
  return RunForeground(req, f.rm, f.pid_file);
}

}  // namespace

Command RegisterRun(CLI::App& root, Globals& g) {
  auto* c = root.add_subcommand(
      "run",
      "run a container: IMAGE CMD... or --bundle DIR ID. CMD follows the image's entrypoint: for "
      "ctvbench's own image that is ctv-probe, so CMD is a probe mode (`run IMAGE hostinfo`); "
      "to run another program, clear it: `run --entrypoint '' IMAGE sh -c 'echo hi'`");
  auto f = std::make_shared<RunFlags>();
  AddRunFlags(c, *f);
  // Everything from the first positional on (IMAGE CMD ARGS...) is the command, not options.
  c->prefix_command();
  c->allow_extras();
  return {c, [c, f, &g] { return DoRun(g, *f, c->remaining(), false); }};
}

Command RegisterCreate(CLI::App& root, Globals& g) {
  auto* c = root.add_subcommand(
      "create", "OCI create: set up a container from a bundle, stopped before exec");
  auto f = std::make_shared<RunFlags>();
  c->add_option("-b,--bundle", f->bundle, "bundle dir (default: .)");
  c->add_option("--pid-file", f->pid_file, "write the container's host pid here");
  c->add_option("--console-socket", f->console_socket,
                "AF_UNIX socket the pty master is sent to (SCM_RIGHTS); required when "
                "config.json has process.terminal");
  auto id = std::make_shared<std::string>();
  c->add_option("id", *id, "container id")->required();
  return {c, [f, id, &g] { return DoRun(g, *f, {*id}, true); }};
}

}  // namespace ctv::rtcli
