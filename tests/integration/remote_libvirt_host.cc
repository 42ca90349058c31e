#include "tests/integration/remote_libvirt_host.h"

#include <dirent.h>
#include <libvirt/libvirt.h>
#include <net/if.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <vector>

#include "core/fs_tree.h"
#include "core/line_reader.h"
#include "core/log.h"
#include "vm/libvirt/conn.h"

extern char** environ;

namespace ctv::testing {
namespace {

using std::chrono::milliseconds;

std::string Script() {
  return std::string(CTV_SOURCE_DIR) + "/tests/integration/remote_host/remote-host.sh";
}
std::string InitBinary() { return std::string(CTV_BIN_DIR) + "/ctv-remote-init"; }

// The last lines of the launcher's log, for error messages.
std::string LogTail(const std::string& work_dir) {
  auto text = ReadFile(work_dir + "/remote.log");
  if (!text) return "(no remote.log)";
  std::string s = *text;
  size_t pos = s.size();
  for (int lines = 0; lines < 12 && pos > 0; ++lines) {
    size_t nl = s.rfind('\n', pos - 1);
    if (nl == std::string::npos) {
      pos = 0;
      break;
    }
    pos = nl;
  }
  return s.substr(pos);
}

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// readlink /proc/PID/ns/KIND: "pid:[4026532...]", or "" when the process is gone.
std::string NsOf(const std::string& pid, const char* kind) {
  char buf[64];
  std::string link = "/proc/" + pid + "/ns/" + kind;
  ssize_t n = readlink(link.c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, n) : "";
}

// Our environment plus CTV_REMOTE_INIT (where the launcher finds the PID-1 reaper).
std::vector<std::string> LauncherEnv() {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    if (std::string(*e).rfind("CTV_REMOTE_INIT=", 0) != 0) env.emplace_back(*e);
  }
  env.push_back("CTV_REMOTE_INIT=" + InitBinary());
  return env;
}

}  // namespace

std::string RemoteLibvirtHost::Missing() {
  for (const char* path : {"/usr/sbin/sshd", "/usr/sbin/libvirtd", "/usr/bin/virt-ssh-helper"}) {
    if (access(path, X_OK) != 0)
      return std::string(path) +
             " is missing (Debian packages openssh-server, libvirt-daemon; "
             "scripts/setup installs them)";
  }
  for (const char* tool : {"ssh", "ssh-keygen", "setpriv", "unshare", "nsenter", "ip", "findmnt"}) {
    if (FindInPath(tool).empty()) return std::string(tool) + " is not in PATH";
  }
  if (access(InitBinary().c_str(), X_OK) != 0) return InitBinary() + " is not built";
  return "";
}

Status RemoteLibvirtHost::CleanupStale() {
  auto r = RunCommand({Script(), "cleanup"}, std::chrono::seconds(30));
  if (!r) return r.error();
  if (!r->status.Success())
    return MakeError("remove stale remote-host cgroups", Script(),
                     r->status.ToString() + ": " + r->err);
  return Ok();
}

Result<RemoteLibvirtHost> RemoteLibvirtHost::Start(const std::string& work_dir,
                                                   const Options& options) {
  if (std::string why = Missing(); !why.empty())
    return MakeError("start the remote libvirt host", work_dir, why);
  const auto t0 = std::chrono::steady_clock::now();
  const auto deadline = t0 + options.start_timeout;
  auto remaining = [&] {
    auto left =
        std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    return std::max(left, milliseconds(1));
  };
  CTV_CHECK(CleanupStale());
  auto prepared = CTV_TRY(RunCommand({Script(), "prepare", work_dir}, std::chrono::seconds(30)));
  if (!prepared.status.Success())
    return MakeError("prepare the remote libvirt host in", work_dir,
                     prepared.status.ToString() + ": " + prepared.err);
  if (!options.cache_dir.empty()) CTV_CHECK(fs::MakeDirs(options.cache_dir, 0755));

  RemoteLibvirtHost host;
  host.work_dir_ = work_dir;
  PipePair pipe = CTV_TRY(MakePipe());
  SpawnOptions spawn;
  // PDEATHSIG: if this process dies, so does the launcher, and with it the whole remote.
  spawn.argv = {"setpriv", "--pdeathsig", "KILL",   "--",
                Script(),  "launch",      work_dir, options.cache_dir};
  spawn.env = LauncherEnv();
  spawn.stdout_fd = pipe.write.Get();
  host.launcher_ = CTV_TRY(Spawn(spawn));
  host.launcher_pid_ = host.launcher_.Pid();
  pipe.write.Reset();
  host.out_ = std::move(pipe.read);

  // The launcher's protocol (remote-host.sh): INIT, VETH, ADDR, then READY or FAIL.
  LineReader reader(host.out_.Get());
  for (bool ready = false; !ready;) {
    auto line = reader.Next(remaining());
    if (!line || !*line) {
      std::string why = !line ? line.error().ToString() : "the launcher exited";
      return MakeError("start the remote libvirt host", work_dir, why + "; " + LogTail(work_dir));
    }
    const std::string& text = (*line)->text;
    std::string word = text.substr(0, text.find(' '));
    std::string arg = text.size() > word.size() ? text.substr(word.size() + 1) : "";
    if (word == "INIT") {
      host.init_pid_ = std::atoi(arg.c_str());
    } else if (word == "VETH") {
      host.veth_ = arg;
    } else if (word == "ADDR") {
      host.address_ = arg;
    } else if (word == "READY") {
      ready = true;
    } else {
      return MakeError("start the remote libvirt host", work_dir, text + "; " + LogTail(work_dir));
    }
  }
  if (host.init_pid_ <= 0 || host.address_.empty() || host.veth_.empty())
    return MakeError("start the remote libvirt host", work_dir, "incomplete launcher protocol");
  std::string init = std::to_string(host.init_pid_);
  host.trace_ = Trace{NsOf(init, "pid"), NsOf(init, "net"), host.veth_, host.CgroupName()};

  // READY means sshd listens and libvirtd's socket exists; the first API call over ssh also waits
  // for libvirtd's drivers (the QEMU capability probe), so start-up is over only when it answers.
  // A few tries only: a broken ssh setup fails the same way every time.
  for (int attempt = 1;; ++attempt) {
    auto conn = vm::lv::Connection::Open(host.Uri());
    if (conn) {
      char* name = virConnectGetHostname(conn->Get());
      if (!name) return vm::lv::LastError("ask the remote libvirt host its name", host.Uri());
      std::string got = name;
      free(name);
      if (got != "ctv-remote-host")
        return MakeError("connect to the remote libvirt host", host.Uri(),
                         "it answers as `" + got + "`, not ctv-remote-host");
      host.times_.ready_s = SecondsSince(t0);
      // libvirtd probes QEMU's capabilities on first need (~1.3 s here, unless cached in
      // options.cache_dir): done now, so that the first domain call of a test does not pay it.
      char* caps = virConnectGetCapabilities(conn->Get());
      if (!caps)
        return vm::lv::LastError("read the remote libvirt host's capabilities", host.Uri());
      free(caps);
      host.times_.capabilities_s = SecondsSince(t0) - host.times_.ready_s;
      break;
    }
    if (attempt == 3 || remaining() <= milliseconds(1))
      return MakeError("connect to the remote libvirt host", host.Uri(),
                       conn.error().ToString() + "; " + LogTail(work_dir));
    usleep(200 * 1000);
  }
  return host;
}

RemoteLibvirtHost& RemoteLibvirtHost::operator=(RemoteLibvirtHost&& o) noexcept {
  if (this != &o) {
    if (Status s = Stop(); !s)
      Log(LogLevel::kError, "remote libvirt host: {}", s.error().ToString());
    launcher_ = std::move(o.launcher_);
    out_ = std::move(o.out_);
    work_dir_ = std::move(o.work_dir_);
    address_ = std::move(o.address_);
    veth_ = std::move(o.veth_);
    init_pid_ = std::exchange(o.init_pid_, -1);
    launcher_pid_ = std::exchange(o.launcher_pid_, -1);
    trace_ = std::move(o.trace_);
    times_ = o.times_;
  }
  return *this;
}

RemoteLibvirtHost::~RemoteLibvirtHost() {
  if (Status s = Stop(); !s) Log(LogLevel::kError, "remote libvirt host: {}", s.error().ToString());
}

std::string RemoteLibvirtHost::Uri() const {
  return "qemu+ssh://root@" + address_ + "/system?command=" + work_dir_ +
         "/client/ssh&keyfile=" + work_dir_ + "/client/id_ed25519&no_tty=1";
}

std::string RemoteLibvirtHost::CgroupName() const {
  return "ctvrh-" + std::to_string(launcher_pid_);
}

RemoteLibvirtHost::Trace RemoteLibvirtHost::GetTrace() const { return trace_; }

std::vector<std::string> RemoteLibvirtHost::Leftovers(const Trace& trace) {
  std::vector<std::string> left;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      std::string pid = e->d_name;
      if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
      if (!trace.pid_ns.empty() && NsOf(pid, "pid") == trace.pid_ns)
        left.push_back("process " + pid + " in the remote's " + trace.pid_ns);
      else if (!trace.net_ns.empty() && NsOf(pid, "net") == trace.net_ns)
        left.push_back("process " + pid + " in the remote's " + trace.net_ns);
    }
    closedir(d);
  }
  if (!trace.veth.empty() && if_nametoindex(trace.veth.c_str()) != 0)
    left.push_back("veth " + trace.veth);
  if (!trace.cgroup_name.empty()) {
    auto found = RunCommand(
        {"find", "/sys/fs/cgroup", "-maxdepth", "8", "-type", "d", "-name", trace.cgroup_name});
    if (!found) {
      left.push_back("cannot look for cgroups: " + found.error().ToString());
    } else if (!found->out.empty()) {
      left.push_back("cgroups " + found->out);
    }
  }
  return left;
}

Result<std::string> RemoteLibvirtHost::Run(const std::string& shell_cmd) const {
  if (init_pid_ <= 0 || !launcher_.Running())
    return MakeError("run on the remote libvirt host", shell_cmd, "the fixture is not running");
  auto r = CTV_TRY(RunCommand({"nsenter", "-t", std::to_string(init_pid_), "-m", "-u", "-i", "-n",
                               "-p", "-C", "--", "/bin/sh", "-c", shell_cmd},
                              std::chrono::seconds(60)));
  if (!r.status.Success())
    return MakeError("run on the remote libvirt host", shell_cmd,
                     r.status.ToString() + (r.err.empty() ? "" : ": " + r.err));
  return r.out;
}

Status RemoteLibvirtHost::Stop() {
  if (!launcher_.Running()) return Ok();
  Status result = Ok();
  if (Status s = launcher_.Signal(SIGTERM); !s) result = s;
  // The remote's PID 1 gives its processes 5 s before SIGKILL; the launcher then removes the
  // cgroups (up to 1 s) and waits for the veth (up to 5 s).
  auto waited = launcher_.WaitFor(std::chrono::seconds(20));
  std::optional<ExitStatus> status;
  if (waited) status = *waited;
  if (!status) {
    launcher_.KillAndReap();
    (void)CleanupStale();
    return MakeError("stop the remote libvirt host", work_dir_,
                     "the launcher did not exit within 20 s (killed); " + LogTail(work_dir_));
  }
  // The last protocol line is STOPPED on a clean stop.
  bool stopped = false;
  LineReader reader(out_.Get());
  for (;;) {
    auto line = reader.Next(milliseconds(1000));
    if (!line || !*line) break;
    if ((*line)->text == "STOPPED") stopped = true;
  }
  out_.Reset();
  if (!status->Success() || !stopped)
    return MakeError("stop the remote libvirt host", work_dir_,
                     "launcher " + status->ToString() + "; " + LogTail(work_dir_));
  return result;
}

}  // namespace ctv::testing
