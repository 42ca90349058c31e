#include "runtime/lifecycle.h"

#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <thread>

#include "core/atomic_file.h"
#include "core/clock.h"
#include "core/fault_point.h"
#include "core/fs_tree.h"
#include "core/log.h"
#include "runtime/net/port_conflict.h"
#include "runtime/net/state.h"

namespace ctv::runtime {
namespace {

void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

Status CreateDir(const RunRequest& req, State* st) {
  CTV_CHECK(ValidateId(req.spec.id));
  CTV_CHECK(fs::MakeDirs(req.state_root, 0711));
  std::string dir = StateDir(req.state_root, req.spec.id);
  if (::mkdir(dir.c_str(), 0711) != 0) {
    if (errno == EEXIST)
      return MakeError("create container", req.spec.id, "a container with this id already exists");
    return ErrnoError("mkdir", dir);
  }
  st->id = req.spec.id;
  st->name = req.name.empty() ? req.spec.id : req.name;
  st->image = req.image;
  st->bundle = req.bundle;
  st->command = req.spec.process.args;
  st->annotations = req.annotations;
  if (!req.spec.has_process) st->annotations[kNoProcessAnnotation] = "true";
  if (req.net_mode == net::NetworkMode::kBridge) {
    // Persist the config so delete/gc detach with what attached (tests use their own).
    const net::NetworkConfig& nc = req.net_config;
    st->annotations[kNetAnnotationMode] = net::NetworkModeName(req.net_mode);
    st->annotations["ctvbench.net.root"] = nc.state_root;
    st->annotations["ctvbench.net.bridge"] = nc.bridge;
    st->annotations["ctvbench.net.subnet"] = nc.subnet;
    st->annotations["ctvbench.net.table"] = nc.nft_table;
  }
  st->created = WallClockRfc3339();
  st->monitor_pid = ::getpid();
  st->monitor_start = ProcessStartTime(st->monitor_pid);
  st->log_path = dir + "/log";
  Status s = SaveState(req.state_root, *st);
  if (!s) {
    (void)fs::RemoveTree(dir);
    return s;
  }
  CTV_FAULT_POINT("ctvrt.state_dir_created");
  return s;
}

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = ::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

// The network config recorded in a container's state (nullopt: it has no bridge network).
std::optional<net::NetworkConfig> RecordedNetworkConfig(const State& st) {
  auto it = st.annotations.find(kNetAnnotationMode);
  if (it == st.annotations.end() || it->second != "bridge") return std::nullopt;
  net::NetworkConfig nc;
  auto get = [&](const char* key, std::string* out) {
    auto f = st.annotations.find(key);
    if (f != st.annotations.end() && !f->second.empty()) *out = f->second;
  };
  get("ctvbench.net.root", &nc.state_root);
  get("ctvbench.net.bridge", &nc.bridge);
  get("ctvbench.net.subnet", &nc.subnet);
  get("ctvbench.net.table", &nc.nft_table);
  return nc;
}

// Refuses taken host ports before anything of the container exists (no state dir, cgroup or
// process): the common case of a conflict costs nothing to undo. Attach checks again under the
// same lock, which closes the race with a concurrent run.
Status PrecheckPorts(const RunRequest& req) {
  if (req.ports.empty()) return Ok();
  net::StateLock lock = CTV_TRY(net::StateLock::Acquire(req.net_config.StateDir()));
  net::NetState state = CTV_TRY(net::LoadState(lock));
  for (const net::PortMapping& m : req.ports) CTV_CHECK(net::CheckPortFree(state, m));
  return Ok();
}

}  // namespace

std::string ShimTempLog(const std::string& root, const std::string& id, pid_t shim) {
  return root + "/." + id + "." + std::to_string(shim) + ".log";
}

void RemoveShimTempLogs(const std::string& root, const std::string& id,
                        std::vector<std::string>* removed) {
  auto names = fs::ListDir(root);
  if (!names) return;
  for (const std::string& n : *names) {
    // ".<id>.<pid>.log" (and ".<id>.log" of older shims).
    if (n.size() < id.size() + 6 || n[0] != '.' || n.compare(1, id.size(), id) != 0 ||
        !n.ends_with(".log"))
      continue;
    std::string mid = n.substr(1 + id.size(), n.size() - 5 - id.size());  // "" or ".<pid>"
    if (!mid.empty() &&
        (mid[0] != '.' || mid.find_first_not_of("0123456789", 1) != std::string::npos))
      continue;
    if (!mid.empty() && ProcessAlive(std::atoi(mid.c_str() + 1), 0)) continue;
    if (::unlink((root + "/" + n).c_str()) == 0 && removed) removed->push_back(root + "/" + n);
  }
}

void RunRecordedHooks(const std::string& root, const State& st, PostHook kind) {
  std::string path = StateDir(root, st.id) + "/" + kHooksFile;
  if (!fs::Exists(path)) return;  // the common case: no hooks, one stat
  auto text = ReadFile(path);
  auto hooks = text ? HooksFromJson(*text) : Result<Hooks>(text.error());
  if (!hooks) {
    Log(LogLevel::kWarn, "container {}: {}", st.id, hooks.error().ToString());
    return;
  }
  RunPostHooks(st, kind, *hooks);
}

void RunPostHooks(const State& st, PostHook kind, const Hooks& hooks) {
  const bool post_start = kind == PostHook::kPoststart;
  const std::vector<Hook>& list = post_start ? hooks.poststart : hooks.poststop;
  if (list.empty()) return;
  std::string state = HookState(st.id, post_start ? "running" : "stopped", post_start ? st.pid : 0,
                                st.bundle, st.annotations);
  // runtime-spec: a failing poststart or poststop hook is a warning, and the remaining hooks and
  // the lifecycle go on.
  const std::string field = post_start ? "hooks.poststart" : "hooks.poststop";
  for (size_t i = 0; i < list.size(); ++i) {
    Status s = RunHook(list[i], field + "[" + std::to_string(i) + "]", state);
    if (!s) Log(LogLevel::kWarn, "container {}: {}", st.id, s.error().ToString());
  }
}

net::NetworkConfig HostNetworkConfig() {
  net::NetworkConfig nc;
  nc.state_root = EnvOr("CTVRT_NET_ROOT", nc.state_root);
  nc.bridge = EnvOr("CTVRT_NET_BRIDGE", nc.bridge);
  nc.subnet = EnvOr("CTVRT_NET_SUBNET", nc.subnet);
  nc.nft_table = EnvOr("CTVRT_NET_TABLE", nc.nft_table);
  return nc;
}

Result<Container> LaunchRecorded(const RunRequest& req, LaunchOptions options, State* st,
                                 net::ContainerNetwork* network) {
  net::ContainerNetwork local;
  net::ContainerNetwork* attached = network ? network : &local;
  std::function<Status(const net::NetnsRef&)> attach_to;
  std::function<Status(pid_t)> attach;  // the child's own namespace, after the clone
  // Bridge without a new user namespace: the network namespace is made and attached before the
  // clone, and PID 1 joins it (LaunchOptions::net_namespace_fd). Nothing is left to do between
  // clone and exec, so PID 1 is cloned sharing our memory, with no go-ahead round trip: less than
  // attaching after a fork-like clone, even with the child's set-up running meanwhile (issue 17).
  // A new user namespace must own the network namespace: then the child creates it and the
  // attach runs while it builds its root (before_exec).
  bool net_first = false;
  if (req.net_mode == net::NetworkMode::kBridge) {
    // Before anything exists: a malformed id or port list fails here with nothing to undo.
    CTV_CHECK(net::ValidateContainerId(req.spec.id));
    if (!(req.spec.namespaces & CLONE_NEWNET))
      return MakeError("attach network", req.spec.id,
                       "bridge networking needs a network namespace (`--ns` without net)");
    CTV_CHECK(PrecheckPorts(req));
    attach_to = [&req, attached, on_phase = options.on_phase](const net::NetnsRef& ns) -> Status {
      net::NetworkRequest nr;
      nr.container_id = req.spec.id;
      nr.mode = req.net_mode;
      nr.ports = req.ports;
      nr.config = req.net_config;
      nr.on_step = on_phase;  // the attach's steps are phases of the launch (net.*)
      *attached = CTV_TRY(net::Attach(nr, ns));
      CTV_FAULT_POINT("ctvrt.network_attached");
      return Ok();
    };
    net_first = !req.spec.HasNamespace(CLONE_NEWUSER);
    if (!net_first)
      attach = [attach_to](pid_t pid) -> Status {
        return attach_to(CTV_TRY(net::NetnsRef::FromPid(pid)));
      };
  }
  const Hooks& hooks = req.spec.hooks;
  const bool early_hooks = !hooks.prestart.empty() || !hooks.create_runtime.empty();
  // Set only when needed: it costs the go-ahead round trip. Without hooks an attach after the
  // clone runs while the child builds its root (before_exec); hooks must see the network and run
  // before pivot_root, so with them both come first.
  if (attach && !early_hooks) options.before_exec = attach;
  if (early_hooks) {
    options.before_start = [&req, st, attach](pid_t pid) -> Status {
      if (attach) CTV_CHECK(attach(pid));
      // The namespaces exist, nothing of the workload runs yet (runtime-spec: prestart and
      // createRuntime; their state says "created", as runc's does). A failure fails the launch,
      // which then removes everything.
      if (req.spec.hooks.prestart.empty() && req.spec.hooks.create_runtime.empty()) return Ok();
      std::string state = HookState(req.spec.id, "created", pid, req.bundle, st->annotations);
      CTV_CHECK(RunHooks(req.spec.hooks.prestart, "hooks.prestart", state));
      CTV_CHECK(RunHooks(req.spec.hooks.create_runtime, "hooks.createRuntime", state));
      CTV_FAULT_POINT("ctvrt.hooks_run");
      return Ok();
    };
  }
  CTV_CHECK(CreateDir(req, st));
  std::string dir = StateDir(req.state_root, req.spec.id);
  if (!hooks.Empty()) {
    // `start` (poststart) and `delete` (poststop) read them here, not from the bundle.
    Status s = WriteRuntimeStateFile(dir + "/" + kHooksFile, HooksToJson(hooks), 0600);
    if (!s) {
      (void)fs::RemoveTree(dir);
      return std::move(s).error();
    }
  }
  options.container_dir = dir;
  if (req.wait_for_start) {
    options.exec_fifo = dir + "/exec.fifo";
    // 0622, as runc's: PID 1 opens it for writing after it became process.user, which may be
    // any uid (mapped into a user namespace or not); only `start` (root) reads it.
    if (::mkfifo(options.exec_fifo.c_str(), 0600) != 0 ||
        ::chmod(options.exec_fifo.c_str(), 0622) != 0) {
      Error e = ErrnoError("mkfifo", options.exec_fifo);
      (void)fs::RemoveTree(dir);
      return e;
    }
  }
  net::NetnsRef made_netns;
  if (net_first) {
    auto ns = net::NetnsRef::CreateNew();
    Status s = ns ? attach_to(*ns) : Status(ns.error());
    if (!s) {
      (void)fs::RemoveTree(dir);
      return std::move(s).error();
    }
    made_netns = std::move(ns).value();
    options.net_namespace_fd = made_netns.Fd();
  }
  auto c = Launch(req.spec, options);
  // PID 1 holds the namespace now; after a failed launch it goes, with its veth pair.
  made_netns = net::NetnsRef();
  if (!c) {
    (void)fs::RemoveTree(dir);
    return std::move(c).error();
  }
  st->pid = c->Pid();
  st->pid_start = ProcessStartTime(st->pid);
  if (*c->CgroupJoin()) st->annotations[kCgroupJoinAnnotation] = c->CgroupJoin();
  if (!req.spec.cgroups_path.empty() && c->Cgroup()) {
    std::string paths;
    for (const std::string& p : c->Cgroup()->Paths())
      if (fs::Exists(p)) paths += (paths.empty() ? "" : "\n") + p;
    st->annotations[kCgroupPathsAnnotation] = paths;
    std::string created;
    for (const std::string& p : c->Cgroup()->Created())
      created += (created.empty() ? "" : "\n") + p;
    st->annotations[kCgroupCreatedAnnotation] = created;
  }
  if (req.net_mode == net::NetworkMode::kBridge) {
    st->annotations[kNetAnnotationAddress] = attached->Address();
    std::string ports;
    for (const net::PortMapping& m : attached->Ports())
      ports += (ports.empty() ? "" : ",") + m.ToString();
    if (!ports.empty()) st->annotations[kNetAnnotationPorts] = ports;
  }
  if (!req.wait_for_start) st->started = WallClockRfc3339();
  Status s = SaveState(req.state_root, *st);
  if (!s) {
    (void)c->Destroy();
    (void)fs::RemoveTree(dir);
    return std::move(s).error();
  }
  if (!network) local.Release();
  return std::move(c).value();
}

Status RecordExit(const std::string& root, const std::string& id, const ExitStatus& status,
                  const cgroup::Manager* cgroup, bool* oom_killed) {
  bool oom = false;
  if (cgroup && status.signaled && status.code == SIGKILL) {
    auto stats = cgroup->ReadStats();
    oom = stats && stats->oom_kills > 0;
  }
  if (oom_killed) *oom_killed = oom;
  auto st = LoadState(root, id);
  if (!st) return Ok();  // deleted meanwhile
  st->exit = status;
  st->oom_killed = oom;
  st->finished = WallClockRfc3339();
  if (!fs::Exists(StateDir(root, id))) return Ok();
  return SaveState(root, *st);
}

Result<State> LaunchDetached(const RunRequest& req) {
  PipePair report = CTV_TRY(MakePipe());
  pid_t first = ::fork();
  if (first < 0) return ErrnoError("fork shim");
  if (first == 0) {
    // Intermediate child: new session, fork the shim, exit, so the shim is re-parented to init
    // (or the nearest subreaper) and the CLI never has to reap it.
    ::setsid();
    pid_t shim = ::fork();
    if (shim != 0) {
      // The CLI learns the shim's pid, to tell a dead shim from a slow one (see below).
      if (shim > 0) {
        std::string line = "SHIM " + std::to_string(shim) + "\n";
        (void)!::write(report.write.Get(), line.data(), line.size());
      }
      ::_exit(shim < 0 ? 1 : 0);
    }
    report.read.Reset();
    // Copies of the caller's stdio for the container, taken before ours become /dev/null.
    Fd caller_stdio[3];
    if (req.inherit_stdio)
      for (int i = 0; i < 3; ++i) caller_stdio[i] = Fd(::fcntl(i, F_DUPFD_CLOEXEC, 3));
    // The caller's stderr, for the warnings of the cgroup set-up (a resource skipped as runc
    // does, naming the field): they must reach whoever ran `create` / `run -d`. It is ours only
    // until the cgroup exists, before the clone: PID 1 of a `create` inherits the shim's fds and
    // keeps them until `start`, and must not hold the caller's stderr open.
    Fd launch_err(::fcntl(2, F_DUPFD_CLOEXEC, 3));
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::signal(SIGPIPE, SIG_IGN);
    ::signal(SIGHUP, SIG_IGN);
    ::signal(SIGINT, SIG_IGN);
    std::string dir = StateDir(req.state_root, req.spec.id);
    State st;
    std::string log = dir + "/log";
    Fd log_fd;
    LaunchOptions o;
    o.console_socket = req.console_socket;
    net::ContainerNetwork network;
    // LaunchRecorded creates the container dir, but the child's stdio must exist before
    // clone: open the log next to the dir and move it in afterwards.
    (void)fs::MakeDirs(req.state_root, 0711);
    auto c = [&]() -> Result<Container> {
      // Open the log in the state root first (renamed into the dir after creation). Its name
      // carries the shim's pid: a shim killed before the container dir exists leaves a file
      // that gc can tell is nobody's (ShimTempLog).
      std::string tmp_log = ShimTempLog(req.state_root, req.spec.id, ::getpid());
      log_fd = CTV_TRY(OpenFile(tmp_log, O_WRONLY | O_CREAT | O_APPEND, 0640));
      CTV_FAULT_POINT("ctvrt.shim_started");
      o.stdout_fd = log_fd.Get();
      o.stderr_fd = log_fd.Get();
      if (req.inherit_stdio) {
        o.stdin_fd = caller_stdio[0].Get();
        o.stdout_fd = caller_stdio[1].Get();
        o.stderr_fd = caller_stdio[2].Get();
      }
      auto quiet = [&] {
        ::dup2(null, 2);
        launch_err.Reset();
      };
      if (req.spec.use_cgroup && launch_err.Valid()) {
        ::dup2(launch_err.Get(), 2);
        o.on_phase = [&](const char* phase, int64_t) {
          if (std::string_view(phase) == "cgroup") quiet();
        };
      }
      auto r = LaunchRecorded(req, o, &st, &network);
      quiet();
      o.on_phase = nullptr;
      for (Fd& fd : caller_stdio) fd.Reset();  // the container has them; a reader sees its EOF
      if (!r) {
        ::unlink(tmp_log.c_str());
        return r;
      }
      ::rename(tmp_log.c_str(), log.c_str());
      return r;
    }();
    if (!c) {
      std::string msg = "ERR " + c.error().ToString() + "\n";
      (void)!::write(report.write.Get(), msg.data(), msg.size());
      ::_exit(1);
    }
    st.detached = true;
    (void)SaveState(req.state_root, st);
    std::string ok = "OK " + std::to_string(c->Pid()) + "\n";
    (void)!::write(report.write.Get(), ok.data(), ok.size());
    report.write.Reset();
    log_fd.Reset();
    // The container runs and the CLI has returned: a shim dying now leaves an orphaned container.
    CTV_FAULT_POINT("ctvrt.shim_monitoring");
    // From here the shim only waits, one per container for its whole life: give the launch's
    // freed heap back to the kernel (its private memory is what each extra container costs).
    ::malloc_trim(0);
    ExitStatus es{true, SIGKILL};
    if (req.wait_for_start) {
      Status s = c->WaitExec();
      auto cur = LoadState(req.state_root, req.spec.id);
      if (cur && s) {
        cur->started = WallClockRfc3339();
        (void)SaveState(req.state_root, *cur);
      } else if (cur) {
        // PID 1 failed after `created` (it exited 127 and was reaped): say why in the state.
        cur->annotations[kErrorAnnotation] = s.error().ToString();
        (void)SaveState(req.state_root, *cur);
        es = ExitStatus{false, 127};
      }
    }
    if (c->Process().Running()) {
      auto w = c->Process().Wait();
      if (w) es = *w;
    }
    (void)RecordExit(req.state_root, req.spec.id, es, c->Cgroup());
    // PID 1 is gone and, with its own PID namespace, every process of the container: free the
    // address and the port mappings now; the kernel deletes the veth pair with the network
    // namespace (net::VethTeardown). delete/gc detach again, a no-op.
    (void)network.Detach((req.spec.namespaces & CLONE_NEWPID) ? net::VethTeardown::kWithNamespace
                                                              : net::VethTeardown::kDelete);
    c->Release();
    ::_exit(0);
  }
  report.write.Reset();
  int status = 0;
  while (::waitpid(first, &status, 0) < 0 && errno == EINTR) {
  }
  // Lines: "SHIM <pid>" from the intermediate child, then the shim's one-line report. EOF cannot
  // tell us that the shim died: a created (not yet exec'd) container holds a copy of the pipe
  // (it was cloned from the shim), so a shim killed after the clone would leave us waiting
  // forever. Poll, and give up once the shim is gone without a report.
  std::string msg, pending;
  pid_t shim_pid = 0;
  bool shim_gone = false;
  char buf[512];
  for (bool eof = false; msg.empty() && !eof;) {
    for (size_t nl; msg.empty() && (nl = pending.find('\n')) != std::string::npos;) {
      std::string line = pending.substr(0, nl + 1);
      pending.erase(0, nl + 1);
      if (line.rfind("SHIM ", 0) == 0)
        shim_pid = std::atoi(line.c_str() + 5);
      else
        msg = line;
    }
    if (!msg.empty()) break;
    pollfd pfd{report.read.Get(), POLLIN, 0};
    int r = ::poll(&pfd, 1, shim_gone ? 0 : 100);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      if (shim_gone) break;  // it wrote nothing before it died
      // One more look after it is seen dead: it may have written just before it went.
      shim_gone = shim_pid > 0 && !ProcessAlive(shim_pid, 0);
      continue;
    }
    ssize_t n = ::read(report.read.Get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      eof = true;
    else
      pending.append(buf, n);
  }
  if (msg.rfind("OK ", 0) == 0) return LoadState(req.state_root, req.spec.id);
  if (msg.rfind("ERR ", 0) == 0) {
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    return MakeError(msg.substr(4));
  }
  return MakeError("start shim for container", req.spec.id, "the shim died before reporting");
}

Status StartContainer(const std::string& root, const std::string& id) {
  State st = CTV_TRY(LoadState(root, id));
  std::string status = StatusOf(root, st);
  if (status != "created")
    return MakeError("start container", id, "container is " + status + ", not created");
  if (st.annotations.count(kNoProcessAnnotation))
    return MakeError("start container", id,
                     "config.json has no process: nothing to start (runtime-spec: `start` "
                     "refuses a container created without process)");
  std::string fifo = StateDir(root, id) + "/exec.fifo";
  // O_NONBLOCK read-open succeeds at once; the child is already blocked opening for write.
  Fd fd = CTV_TRY(OpenFile(fifo, O_RDONLY));
  char b;
  if (::read(fd.Get(), &b, 1) != 1) return ErrnoError("read exec FIFO", fifo);
  ::unlink(fifo.c_str());
  RunRecordedHooks(root, st, PostHook::kPoststart);
  return Ok();
}

Status KillContainer(const std::string& root, const std::string& id, int sig) {
  State st = CTV_TRY(LoadState(root, id));
  std::string status = StatusOf(root, st);
  if (status != "running" && status != "created")
    return MakeError("kill container", id, "container is " + status);
  if (::kill(st.pid, sig) != 0) return ErrnoError("kill", std::to_string(st.pid));
  return Ok();
}

Status StopContainer(const std::string& root, const std::string& id, int timeout_s) {
  State st = CTV_TRY(LoadState(root, id));
  if (StatusOf(root, st) == "stopped") return Ok();
  ::kill(st.pid, SIGTERM);
  int64_t deadline = MonotonicNs() + int64_t{timeout_s} * 1'000'000'000;
  while (MonotonicNs() < deadline) {
    if (!ProcessAlive(st.pid, st.pid_start)) return Ok();
    SleepMs(10);
  }
  ::kill(st.pid, SIGKILL);
  for (int i = 0; i < 200 && ProcessAlive(st.pid, st.pid_start); ++i) SleepMs(5);
  return Ok();
}

Status DeleteContainer(const std::string& root, const std::string& id, bool force,
                       bool keep_cgroup_parents) {
  auto st = LoadState(root, id);
  std::string dir = StateDir(root, id);
  if (!st && !fs::Exists(dir)) return MakeError("delete container", id, "no such container");
  if (st) {
    std::string status = StatusOf(root, *st);
    if ((status == "running" || status == "created") && !force)
      return MakeError("delete container", id,
                       "container is " + status + " (stop it first, or use --force)");
    if (ProcessAlive(st->pid, st->pid_start)) ::kill(st->pid, SIGKILL);
  }
  const cgroup::CgroupMounts* mounts = CTV_TRY(HostCgroupMounts());
  Status cg;
  auto custom =
      st ? st->annotations.find(kCgroupPathsAnnotation) : decltype(st->annotations.end()){};
  if (st && custom != st->annotations.end()) {
    auto lines = [](const std::string& text) {
      std::vector<std::string> out;
      std::istringstream in(text);
      for (std::string d; std::getline(in, d);)
        if (!d.empty()) out.push_back(d);
      return out;
    };
    std::vector<std::string> leaves = lines(custom->second);
    auto made = st->annotations.find(kCgroupCreatedAnnotation);
    if (made == st->annotations.end()) {
      // Recorded before ctvrt kept what it made: the leaves, as then.
      for (const std::string& d : leaves)
        if (Status s = cgroup::KillAndRemove(d); !s && cg) cg = s;
    } else {
      // Deepest first. A leaf of ours is emptied (killed) and removed; an ancestor we made is
      // removed only if empty (another container may have been put below it since).
      std::vector<std::string> created = lines(made->second);
      for (auto it = created.rbegin(); it != created.rend(); ++it) {
        bool leaf = std::find(leaves.begin(), leaves.end(), *it) != leaves.end();
        if (leaf) {
          if (Status s = cgroup::KillAndRemove(*it); !s && cg) cg = s;
        } else {
          (void)::rmdir(it->c_str());
        }
      }
    }
  } else {
    auto mgr = CTV_TRY(cgroup::NewManager(*mounts, id));
    cg = mgr->Destroy();
  }
  if (!keep_cgroup_parents) cgroup::RemoveEmptyParents(*mounts);  // the last one out takes them
  // Processes and cgroups gone; network, hooks and state dir not yet.
  CTV_FAULT_POINT("ctvrt.delete_half_done");
  // The processes are gone (the cgroup is): the veth goes with the namespace (the kernel deletes
  // it, net::VethTeardown); drop the address and the nft rules. No-op when the endpoint is
  // already detached.
  Status nt;
  if (st) {
    if (auto nc = RecordedNetworkConfig(*st))
      nt = net::Detach(*nc, id, net::VethTeardown::kWithNamespace);
  }
  // Let the monitor (shim) record the exit and go, so no process of ours is left behind.
  if (st && st->monitor_pid != ::getpid()) {
    for (int i = 0; i < 200 && ProcessAlive(st->monitor_pid, st->monitor_start); ++i) SleepMs(5);
  }
  if (st) RunRecordedHooks(root, *st, PostHook::kPoststop);
  Status rm = fs::RemoveTree(dir);
  RemoveShimTempLogs(root, id);
  if (!cg) return cg;
  if (!nt) return nt;
  return rm;
}

Result<std::unique_ptr<cgroup::Manager>> ContainerCgroup(const std::string& root,
                                                         const std::string& id) {
  const cgroup::CgroupMounts* mounts = CTV_TRY(HostCgroupMounts());
  auto st = LoadState(root, id);
  if (st) {
    auto custom = st->annotations.find(kCgroupPathsAnnotation);
    if (custom != st->annotations.end()) {
      std::vector<std::string> dirs;
      std::istringstream in(custom->second);
      for (std::string d; std::getline(in, d);)
        if (!d.empty()) dirs.push_back(d);
      return cgroup::NewManagerForPaths(*mounts, dirs);
    }
  }
  return cgroup::NewManager(*mounts, id);
}

Result<std::string> ResolveContainer(const std::string& root, const std::string& id_or_name) {
  if (fs::Exists(StateDir(root, id_or_name)) && ValidateId(id_or_name)) return id_or_name;
  for (const std::string& id : CTV_TRY(ListContainers(root))) {
    auto st = LoadState(root, id);
    if (st && st->name == id_or_name) return id;
  }
  // Unique id prefix, like docker.
  std::string found;
  for (const std::string& id : CTV_TRY(ListContainers(root)))
    if (id.rfind(id_or_name, 0) == 0) {
      if (!found.empty()) return MakeError("find container", id_or_name, "ambiguous id prefix");
      found = id;
    }
  if (!found.empty()) return found;
  return MakeError("find container", id_or_name, "no such container (see `ctvrt ps -a`)");
}

}  // namespace ctv::runtime
