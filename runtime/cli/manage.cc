// ctvrt commands acting on existing containers and images.
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <optional>

#include "core/fd.h"
#include "runtime/cgroup/manager.h"
#include "runtime/cli/commands.h"
#include "runtime/gc.h"
#include "runtime/net/gc.h"
#include "runtime/image/images.h"
#include "runtime/launch.h"
#include "runtime/lifecycle.h"
#include "runtime/ns/namespaces.h"
#include "runtime/user/lookup.h"

namespace ctv::rtcli {
namespace {

Result<int> ParseSignal(const std::string& s) {
  if (s.empty()) return SIGTERM;
  char* end = nullptr;
  long n = std::strtol(s.c_str(), &end, 10);
  if (*end == 0 && n > 0 && n < NSIG) return static_cast<int>(n);
  std::string name = s.rfind("SIG", 0) == 0 ? s.substr(3) : s;
  for (int i = 1; i < NSIG; ++i) {
    const char* a = sigabbrev_np(i);
    if (a && name == a) return i;
  }
  return MakeError("invalid signal", s, "expected a number or a name like TERM, SIGKILL");
}

// `exec`: join the container's namespaces and cgroup, then run CMD with the same restrictions
// (bounding set, capabilities, no_new_privs, seccomp) as PID 1. `user` (USER[:GROUP]) is resolved
// in the container's /etc/passwd and /etc/group, read after joining its mount namespace.
int Exec(Globals& g, const std::string& who, const std::string& user,
         const std::vector<std::string>& cmd) {
  auto id = runtime::ResolveContainer(g.state_root, who);
  if (!id) return PrintError(id.error());
  auto st = runtime::LoadState(g.state_root, *id);
  if (!st) return PrintError(st.error());
  if (runtime::StatusOf(g.state_root, *st) != "running")
    return PrintError(MakeError("exec in container", *id, "container is not running"));
  if (cmd.empty()) return PrintUsage("exec: expected ID COMMAND...");
  std::string base = "/proc/" + std::to_string(st->pid) + "/ns/";
  // Open every namespace first: after joining the mount namespace, /proc is the container's.
  std::vector<std::pair<Fd, int>> fds;
  for (const ns::Kind& k : ns::Kinds()) {
    std::string mine = "/proc/self/ns/" + std::string(k.name);
    std::string theirs = base + k.name;
    char a[128] = {}, b[128] = {};
    if (::readlink(mine.c_str(), a, sizeof a - 1) < 0 ||
        ::readlink(theirs.c_str(), b, sizeof b - 1) < 0)
      continue;
    if (std::strcmp(a, b) == 0) continue;  // not isolated
    Fd fd(::open(theirs.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.Valid()) return PrintError(ErrnoError("open", theirs));
    fds.emplace_back(std::move(fd), k.clone_flag);
  }
  {
    auto mgr = runtime::ContainerCgroup(g.state_root, *id);
    if (mgr)
      for (const std::string& d : (*mgr)->Paths())
        if (::access(d.c_str(), F_OK) == 0)
          (void)cgroup::WriteValue(d + "/cgroup.procs", std::to_string(::getpid()));
  }
  // User namespace first (it owns the others), mount namespace last but before chdir.
  std::stable_sort(fds.begin(), fds.end(), [](auto& x, auto& y) {
    return (x.second == CLONE_NEWUSER) > (y.second == CLONE_NEWUSER);
  });
  for (auto& [fd, flag] : fds)
    if (::setns(fd.Get(), flag) != 0)
      return PrintError(ErrnoError("setns", base + (ns::Kinds().front().name),
                                   "namespace flag " + std::to_string(flag)));
  if (::chdir("/") != 0) return PrintError(ErrnoError("chdir", "/"));
  // setns(CLONE_NEWNS) made the container's root ours: "/" is its rootfs now.
  std::optional<runtime::user::ExecUser> as;
  if (!user.empty()) {
    Fd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root.Valid()) return PrintError(ErrnoError("open", "/ of container " + *id));
    auto u = runtime::user::ResolveInRoot(user, root.Get(), "container " + *id);
    if (!u) return PrintError(u.error());
    as = std::move(u).value();
  }
  // The pid namespace applies to children: fork the command.
  pid_t pid = ::fork();
  if (pid < 0) return PrintError(ErrnoError("fork"));
  if (pid == 0) {
    security::CapSet keep = security::DefaultCaps(), all = security::AllCaps();
    for (int c = 0; c < 64; ++c)
      if ((all >> c & 1) && !(keep >> c & 1)) ::prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
    // Without --user: the container's root. In a user namespace our host uid is unmapped there
    // (files we create would fail with EOVERFLOW) until we become its root.
    runtime::user::ExecUser who = as ? *as : runtime::user::ExecUser{};
    std::vector<gid_t> groups(who.groups.begin(), who.groups.end());
    if (::setgroups(groups.size(), groups.data()) != 0 ||
        ::setresgid(who.gid, who.gid, who.gid) != 0 ||
        ::setresuid(who.uid, who.uid, who.uid) != 0) {
      std::fprintf(stderr, "ctvrt: become user %s in container %s: %s\n",
                   user.empty() ? "0:0" : user.c_str(), id->c_str(), std::strerror(errno));
      ::_exit(126);
    }
    // Our environment is the caller's: its HOME is not the container user's.
    if (as) ::setenv("HOME", as->home.c_str(), 1);
    ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    auto prog = security::DefaultSeccomp();
    if (prog) {
      sock_fprog p = const_cast<security::SeccompProgram*>(*prog)->Prog();
      if (::prctl(PR_SET_SECCOMP, 2 /*SECCOMP_MODE_FILTER*/, &p, 0, 0) != 0) ::_exit(126);
    }
    ::setenv("PATH", std::string(runtime::kDefaultPath).substr(5).c_str(), 1);
    std::vector<char*> argv;
    for (auto& a : cmd) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    std::fprintf(stderr, "ctvrt: exec `%s` in container %s: %s\n", argv[0], id->c_str(),
                 std::strerror(errno));
    ::_exit(127);
  }
  int w = 0;
  while (::waitpid(pid, &w, 0) < 0 && errno == EINTR) {
  }
  ExitStatus es = ExitStatus::FromWaitStatus(w);
  return es.signaled ? 128 + es.code : es.code;
}

}  // namespace

int PrintError(const Error& e) {
  std::fprintf(stderr, "ctvrt: %s\n", e.ToString().c_str());
  return kExitFailure;
}
int PrintUsage(const std::string& m) {
  std::fprintf(stderr, "ctvrt: %s\n", m.c_str());
  return kExitUsage;
}

std::vector<Command> RegisterAll(CLI::App& root, Globals& g) {
  std::vector<Command> v = {RegisterRun(root, g), RegisterCreate(root, g)};
  for (auto& c : RegisterManage(root, g)) v.push_back(std::move(c));
  for (auto& c : RegisterInspect(root, g)) v.push_back(std::move(c));
  return v;
}

std::vector<Command> RegisterManage(CLI::App& root, Globals& g) {
  std::vector<Command> out;
  auto id = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  auto all = std::make_shared<bool>(false);
  auto sig = std::make_shared<std::string>();
  auto timeout = std::make_shared<int>(10);
  auto cmd = std::make_shared<std::vector<std::string>>();
  auto resolve = [&g](const std::string& who) {
    return runtime::ResolveContainer(g.state_root, who);
  };

  auto* start = root.add_subcommand("start", "OCI start: run the command of a created container");
  start->add_option("id", *id)->required();
  out.push_back({start, [&g, id, resolve] {
                   auto i = resolve(*id);
                   if (!i) return PrintError(i.error());
                   Status s = runtime::StartContainer(g.state_root, *i);
                   return s ? 0 : PrintError(s.error());
                 }});

  auto* state = root.add_subcommand("state", "OCI state JSON of a container");
  state->add_option("id", *id)->required();
  out.push_back({state, [&g, id, resolve] {
                   auto i = resolve(*id);
                   if (!i) return PrintError(i.error());
                   auto st = runtime::LoadState(g.state_root, *i);
                   if (!st) return PrintError(st.error());
                   std::printf("%s\n", runtime::OciStateJson(g.state_root, *st).c_str());
                   return 0;
                 }});

  auto* kill = root.add_subcommand("kill", "send a signal (default TERM) to PID 1");
  kill->add_option("id", *id)->required();
  kill->add_option("signal", *sig);
  out.push_back({kill, [&g, id, sig, resolve] {
                   auto s = ParseSignal(*sig);
                   if (!s) return PrintUsage(s.error().ToString());
                   auto i = resolve(*id);
                   if (!i) return PrintError(i.error());
                   Status r = runtime::KillContainer(g.state_root, *i, *s);
                   return r ? 0 : PrintError(r.error());
                 }});

  for (const char* name : {"delete", "rm"}) {
    auto* del =
        root.add_subcommand(name, "remove a container (its cgroups, writable layer, state)");
    del->add_option("id", *id)->required();
    del->add_flag("-f,--force", *force, "kill it first if it is running");
    out.push_back({del, [&g, id, force, resolve] {
                     auto i = resolve(*id);
                     if (!i) return PrintError(i.error());
                     Status s = runtime::DeleteContainer(g.state_root, *i, *force);
                     return s ? 0 : PrintError(s.error());
                   }});
  }

  auto* stop = root.add_subcommand("stop", "SIGTERM PID 1, SIGKILL after a timeout");
  stop->add_option("id", *id)->required();
  stop->add_option("-t,--time", *timeout, "seconds before SIGKILL")->default_val(10);
  out.push_back({stop, [&g, id, timeout, resolve] {
                   auto i = resolve(*id);
                   if (!i) return PrintError(i.error());
                   Status s = runtime::StopContainer(g.state_root, *i, *timeout);
                   return s ? 0 : PrintError(s.error());
                 }});

  auto* ps = root.add_subcommand("ps", "list containers");
  ps->add_flag("-a,--all", *all, "include stopped containers");
  out.push_back(
      {ps, [&g, all] {
         auto ids = runtime::ListContainers(g.state_root);
         if (!ids) return PrintError(ids.error());
         std::printf("%-16s %-16s %-8s %-8s %-20s %s\n", "ID", "NAME", "STATUS", "PID", "CREATED",
                     "COMMAND");
         for (const std::string& i : *ids) {
           auto st = runtime::LoadState(g.state_root, i);
           if (!st) continue;
           std::string status = runtime::StatusOf(g.state_root, *st);
           if (status == "stopped" && !*all) continue;
           if (status == "stopped" && st->oom_killed)
             status = "oom-killed";
           else if (status == "stopped" && st->exit)
             status = "exited(" +
                      std::to_string(st->exit->signaled ? 128 + st->exit->code : st->exit->code) +
                      ")";
           std::string command;
           for (auto& a : st->command) command += (command.empty() ? "" : " ") + a;
           std::printf("%-16s %-16s %-8s %-8d %-20s %s\n", st->id.c_str(), st->name.c_str(),
                       status.c_str(), st->pid, st->created.c_str(), command.c_str());
         }
         return 0;
       }});

  auto* logs = root.add_subcommand("logs", "print a detached container's output");
  logs->add_option("id", *id)->required();
  out.push_back({logs, [&g, id, resolve] {
                   auto i = resolve(*id);
                   if (!i) return PrintError(i.error());
                   auto text = ReadFile(runtime::StateDir(g.state_root, *i) + "/log");
                   if (!text)
                     return PrintError(MakeError(
                         "read logs of", *i, "no log (only detached containers log to a file)"));
                   std::fwrite(text->data(), 1, text->size(), stdout);
                   return 0;
                 }});

  auto* exec = root.add_subcommand("exec", "run a command in a running container");
  auto exec_user = std::make_shared<std::string>();
  exec->add_option("-u,--user", *exec_user,
                   "USER[:GROUP], names or ids, resolved in the container's /etc/passwd and "
                   "/etc/group");
  exec->add_option("id", *id)->required();
  exec->prefix_command();
  out.push_back(
      {exec, [&g, id, exec, exec_user] { return Exec(g, *id, *exec_user, exec->remaining()); }});

  auto* images = root.add_subcommand("images", "list images whose layers are in the store");
  out.push_back({images, [&g] {
                   image::LayerStore store(g.store_root);
                   auto list = image::ListImages(store);
                   if (!list) return PrintError(list.error());
                   std::printf("%-50s %-20s %-7s %s\n", "IMAGE", "MANIFEST", "LAYERS",
                               "BLOB BYTES");
                   for (auto& r : *list)
                     std::printf("%-50s %-20s %-7zu %lld\n", r.name.c_str(),
                                 r.manifest_digest.substr(0, 19).c_str(), r.layers.size(),
                                 static_cast<long long>(r.unpacked_bytes));
                   return 0;
                 }});

  auto* rmi = root.add_subcommand("rmi", "remove an image's layers not used by another image");
  auto ref = std::make_shared<std::string>();
  rmi->add_option("image", *ref)->required();
  out.push_back({rmi, [&g, ref] {
                   image::LayerStore store(g.store_root);
                   std::vector<std::string> removed;
                   Status s = image::RemoveImage(store, *ref, &removed);
                   if (!s) return PrintError(s.error());
                   for (auto& l : removed) std::printf("removed layer %s\n", l.c_str());
                   return 0;
                 }});

  auto* gc =
      root.add_subcommand("gc", "remove what crashed containers left (processes, cgroups, state, "
                              "network endpoints) and idle bridges kept for the next container");
  out.push_back({gc, [&g] {
                   std::vector<std::string> removed;
                   Status s = runtime::CollectGarbage(g.state_root, &removed);
                   // Then the network state: endpoints of dead containers, idle bridges kept
                   // for the next container (NetworkConfig::keep_idle) and the nft table.
                   Status n = net::CollectGarbage(runtime::HostNetworkConfig().state_root, &removed);
                   if (s && !n) s = n;
                   image::LayerStore store(g.store_root);
                   Status t = store.CollectGarbage(&removed);
                   if (Status i = image::DropRecordsOfMissingLayouts(store, &removed); t && !i)
                     t = i;
                   for (auto& r : removed) std::printf("removed %s\n", r.c_str());
                   if (!s) return PrintError(s.error());
                   return t ? 0 : PrintError(t.error());
                 }});
  return out;
}

}  // namespace ctv::rtcli
