// Micro-benchmarks of each primitive on ctvrt's launch path, through the runtime's own code where
// it has one, so that a regression of one primitive shows up in `ctvbench compare` (the `micro`
// suite runs this binary with --benchmark_format=json and records every benchmark as a metric).
//
//   BM_Clone/<ns>                  fork-like clone(2) with one namespace flag (none = the
//                                  baseline), the child _exits at once, waitpid
//   BM_OverlayMountUmount          overlay mount of one lower dir + umount (runtime's options)
//   BM_CgroupCreateJoinRemove/v1   cgroup::Manager Create (no limits), a cloned child joins it
//                                  itself as on the launch path (v1 `tasks` files), Destroy
//   BM_CgroupCreateJoinRemove/v2   the same with clone3(CLONE_INTO_CGROUP) on a v2-only host
//   BM_SeccompLoadCached           the default filter from the cache (DefaultSeccomp), loaded by a
//                                  cloned child (subtract BM_Clone/none for the load alone)
//   BM_VethCreateDelete            net::CreateVeth (peer inside another namespace, hairpin on)
//                                  + net::DeleteLink
//   BM_NftTransaction/port_change  one ApplyRuleset that changes a port mapping (flush + refill):
//                                  netlink socket opened, one nfnetlink batch, its ACK, closed
//   BM_NftTransaction/table_add_delete  the table created then deleted (what each launch paid
//                                  before the table was refilled in place)
//   BM_NftFreshProcess             the first ApplyRuleset (a port change) of a fresh process
//                                  (this binary exec'd), timed inside it: what `-p` costs ctvrt
//
// Root-only primitives run inside a private mount + network namespace of this process (entered
// once, before the first of them): mounts, veths, the bridge and the nft table cannot outlive the
// process, even after SIGKILL. Cgroups cannot be made private: theirs are named
// ctvbench/ctvmicro<pid>x<N>, removed here, and swept by `ctvbench gc` after a crash.
// A primitive the host lacks is skipped with the reason (SkipWithError), never faked.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/seccomp.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/fd.h"
#include "core/clock.h"
#include "core/fs_tree.h"
#include "core/process.h"
#include "runtime/cgroup/manager.h"
#include "runtime/launch.h"
#include "runtime/net/nat.h"
#include "runtime/net/netlink.h"
#include "runtime/security/security.h"

namespace ctv {
namespace {

// Fork-like clone; the child runs `child` (raw system calls only) and _exits with its result.
template <class F>
long CloneRun(int flags, F child) {
  long pid = ::syscall(SYS_clone, flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
  if (pid == 0) ::_exit(child());
  return pid;
}

// Waits for `pid`; its exit code (-1: killed or wait failed).
int Reap(long pid) {
  int st = 0;
  while (::waitpid(static_cast<pid_t>(pid), &st, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

bool IsRoot() { return ::geteuid() == 0; }

// The private namespaces the root-only benchmarks run in: a mount namespace (a tmpfs on /tmp for
// overlay dirs, a sysfs of the new network namespace on /sys so /sys/class/net shows its devices,
// the host's cgroup mounts moved back below it) and a network namespace with a bridge and a
// second namespace (a blocked child) to put veth peers into. "" when ready, else why not.
struct Sandbox {
  std::string error;
  Fd peer_ns;    // the second network namespace
  long peer = -1;
  int bridge = 0;  // ifindex of ctvmicro0
};

std::string Enter(Sandbox& s) {
  if (!IsRoot()) return "needs root (namespaces, mounts, netlink)";
  // Detected before /sys is replaced (HostCgroupMounts caches it for the process).
  if (auto m = runtime::HostCgroupMounts(); !m) return m.error().ToString();
  if (::unshare(CLONE_NEWNS | CLONE_NEWNET) != 0) return ErrnoError("unshare", "mnt+net").ToString();
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return ErrnoError("make / private", "/").ToString();
  if (::mount("tmpfs", "/tmp", "tmpfs", 0, "mode=0700") != 0)
    return ErrnoError("mount tmpfs", "/tmp").ToString();
  // /sys/fs/cgroup (a tree of mounts) is kept: rbind aside, new sysfs, moved back.
  if (::mkdir("/tmp/cgroup", 0700) != 0 ||
      ::mount("/sys/fs/cgroup", "/tmp/cgroup", nullptr, MS_BIND | MS_REC, nullptr) != 0)
    return ErrnoError("bind /sys/fs/cgroup", "/tmp/cgroup").ToString();
  if (::mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
    return ErrnoError("mount sysfs", "/sys").ToString();
  if (::mount("/tmp/cgroup", "/sys/fs/cgroup", nullptr, MS_MOVE, nullptr) != 0)
    return ErrnoError("move cgroup mounts", "/sys/fs/cgroup").ToString();
  auto sk = net::NlSocket::Open();
  if (!sk) return sk.error().ToString();
  auto br = net::EnsureBridge(*sk, "ctvmicro0", "10.199.0.1/24");
  if (!br) return br.error().ToString();
  s.bridge = *br;
  // The peer namespace: a child that blocks until our end of the pipe closes (when we exit, by
  // any death) and dies with us (PDEATHSIG).
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return ErrnoError("pipe", "").ToString();
  s.peer = CloneRun(CLONE_NEWNET, [&] {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::close(p[1]);
    char c;
    (void)!::read(p[0], &c, 1);
    return 0;
  });
  ::close(p[0]);
  if (s.peer < 0) return ErrnoError("clone peer namespace", "").ToString();
  // p[1] stays open (CLOEXEC) for the life of the process: the peer lives as long.
  auto ns = OpenFile("/proc/" + std::to_string(s.peer) + "/ns/net", O_RDONLY);
  if (!ns) return ns.error().ToString();
  s.peer_ns = std::move(ns).value();
  return "";
}

Sandbox& TheSandbox() {
  static Sandbox s;
  static bool entered = false;
  if (!entered) {
    entered = true;
    s.error = Enter(s);
  }
  return s;
}

// ---- clone with each namespace flag alone -------------------------------------------------

void BM_Clone(benchmark::State& state, int flag) {
  if (flag != 0 && !IsRoot()) return state.SkipWithError("needs root (new namespaces)");
  for (auto _ : state) {
    long pid = CloneRun(flag, [] { return 0; });
    if (pid < 0) return state.SkipWithError(ErrnoError("clone", "").ToString().c_str());
    if (Reap(pid) != 0) return state.SkipWithError("the cloned child failed");
  }
}
BENCHMARK_CAPTURE(BM_Clone, none, 0)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Clone, newpid, CLONE_NEWPID)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Clone, newns, CLONE_NEWNS)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Clone, newuts, CLONE_NEWUTS)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Clone, newipc, CLONE_NEWIPC)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Clone, newnet, CLONE_NEWNET)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Clone, newcgroup, CLONE_NEWCGROUP)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Clone, newuser, CLONE_NEWUSER)->Unit(benchmark::kMicrosecond);

// ---- overlay mount + umount ------------------------------------------------------------------

void BM_OverlayMountUmount(benchmark::State& state) {
  Sandbox& s = TheSandbox();
  if (!s.error.empty()) return state.SkipWithError(s.error.c_str());
  const std::string base = "/tmp/overlay";  // on the sandbox's tmpfs
  for (const char* d : {"", "/lower", "/upper", "/work", "/rootfs"})
    if (Status st = fs::MakeDirs(base + d, 0755); !st)
      return state.SkipWithError(st.error().ToString().c_str());
  (void)WriteFile(base + "/lower/file", "x");
  // The options fs::BuildRootfsPlan gives an image's overlay.
  const std::string data = "lowerdir=" + base + "/lower,upperdir=" + base + "/upper,workdir=" +
                           base + "/work";
  const std::string target = base + "/rootfs";
  for (auto _ : state) {
    if (::mount("overlay", target.c_str(), "overlay", 0, data.c_str()) != 0)
      return state.SkipWithError(ErrnoError("mount overlay", target).ToString().c_str());
    if (::umount2(target.c_str(), 0) != 0)
      return state.SkipWithError(ErrnoError("umount", target).ToString().c_str());
  }
  (void)fs::RemoveTree(base);
}
BENCHMARK(BM_OverlayMountUmount)->Unit(benchmark::kMicrosecond);

// ---- cgroup create / join / remove -----------------------------------------------------------

void BM_CgroupCreateJoinRemove(benchmark::State& state, bool v2) {
  if (!IsRoot()) return state.SkipWithError("needs root (cgroup directories)");
  auto mounts = runtime::HostCgroupMounts();
  if (!mounts) return state.SkipWithError(mounts.error().ToString().c_str());
  const std::string& mode = (*mounts)->mode;
  // NewManager picks v2 only on a v2-only host; a hybrid host keeps its controllers on v1.
  if (v2 && mode != "v2")
    return state.SkipWithError(("containers use cgroup v2 only on a v2-only host; this one is " +
                                mode + " (measured in the v2 guest instead)")
                                   .c_str());
  if (!v2 && mode != "v1" && mode != "hybrid")
    return state.SkipWithError(("no cgroup v1 hierarchies on this host (mode " + mode + ")").c_str());
  int64_t i = 0;
  for (auto _ : state) {
    std::string name = "ctvmicro" + std::to_string(::getpid()) + "x" + std::to_string(i++);
    auto m = cgroup::NewManager(**mounts, name);
    if (!m) return state.SkipWithError(m.error().ToString().c_str());
    if (Status st = (*m)->Create(cgroup::Limits{}); !st) {
      (void)(*m)->Destroy();
      return state.SkipWithError(st.error().ToString().c_str());
    }
    long pid = -1;
    if (v2) {
      auto dir = OpenFile((*m)->CloneIntoDir(), O_RDONLY | O_DIRECTORY);
      if (dir) {
        clone_args args{};
        args.flags = CLONE_INTO_CGROUP;
        args.exit_signal = SIGCHLD;
        args.cgroup = static_cast<uint64_t>(dir->Get());
        pid = ::syscall(SYS_clone3, &args, sizeof args);
        if (pid == 0) ::_exit(0);
      }
    } else {
      // As the launch path: the files opened by the parent, "0" written by the child itself.
      std::vector<Fd> fds;
      std::vector<int> raw;
      for (const std::string& f : (*m)->SelfJoinFiles()) {
        auto fd = OpenFile(f, O_WRONLY);
        if (!fd) break;
        raw.push_back(fd->Get());
        fds.push_back(std::move(fd).value());
      }
      pid = CloneRun(0, [&] {
        for (int fd : raw)
          if (::write(fd, "0", 1) != 1) return 1;
        return 0;
      });
    }
    int code = pid < 0 ? -1 : Reap(pid);
    Status st = (*m)->Destroy();
    if (code != 0) return state.SkipWithError(("join cgroup " + name + " failed").c_str());
    if (!st) return state.SkipWithError(st.error().ToString().c_str());
  }
  cgroup::RemoveEmptyParents(**mounts);
}
BENCHMARK_CAPTURE(BM_CgroupCreateJoinRemove, v1, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_CgroupCreateJoinRemove, v2, true)->Unit(benchmark::kMicrosecond);

// ---- seccomp: the cached default filter, loaded ----------------------------------------------

void BM_SeccompLoadCached(benchmark::State& state) {
  security::SeccompOptions so;
  so.allow_user_namespaces = false;  // what Launch asks for
  auto first = security::DefaultSeccomp(so);
  if (!first) return state.SkipWithError(first.error().ToString().c_str());
  for (auto _ : state) {
    auto prog = security::DefaultSeccomp(so);  // the process cache, as every launch after the first
    if (!prog) return state.SkipWithError(prog.error().ToString().c_str());
    sock_fprog fp = const_cast<security::SeccompProgram*>(*prog)->Prog();
    unsigned flags = (*prog)->flags;
    long pid = CloneRun(0, [&] {
      if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 1;
      if (flags != 0) return ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fp) == 0 ? 0 : 2;
      return ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp, 0, 0) == 0 ? 0 : 2;
    });
    if (pid < 0 || Reap(pid) != 0) return state.SkipWithError("loading the seccomp filter failed");
  }
}
BENCHMARK(BM_SeccompLoadCached)->Unit(benchmark::kMicrosecond);

// ---- veth pair create + delete ---------------------------------------------------------------

void BM_VethCreateDelete(benchmark::State& state) {
  Sandbox& s = TheSandbox();
  if (!s.error.empty()) return state.SkipWithError(s.error.c_str());
  auto sk = net::NlSocket::Open();
  if (!sk) return state.SkipWithError(sk.error().ToString().c_str());
  for (auto _ : state) {
    if (Status st = net::CreateVeth(*sk, "ctvmicroveth", s.bridge, s.peer_ns.Get()); !st)
      return state.SkipWithError(st.error().ToString().c_str());
    if (Status st = net::DeleteLink(*sk, "ctvmicroveth"); !st)
      return state.SkipWithError(st.error().ToString().c_str());
  }
}
BENCHMARK(BM_VethCreateDelete)->Unit(benchmark::kMicrosecond);

// ---- nftables transaction --------------------------------------------------------------------

net::NetState OneEndpoint(uint16_t host_port) {
  net::NetState st;
  st.nft_table = "ctvmicro";
  st.endpoints.push_back({"micro", "ctvmicro0", "10.199.0.0/24", "10.199.0.2", "ctvmicroveth",
                          {net::PortMapping{"", host_port, 80, net::Protocol::kTcp}}});
  return st;
}

// Each iteration pays everything a fresh `ctvrt run -p` pays for its rules: the path keeps no
// per-process state (no library to load, no context, no cache of the kernel's tables). What
// this benchmark missed when it ran libnftables: the dlopen of six libraries, nft_ctx_new and
// the cache fetch were paid once, before the loop, so it showed 0.30 ms while a fresh ctvrt paid
// ~9.6 ms; BM_NftFreshProcess measures the fresh process itself.
void BM_NftTransaction(benchmark::State& state, bool add_delete) {
  Sandbox& s = TheSandbox();
  if (!s.error.empty()) return state.SkipWithError(s.error.c_str());
  const net::NetState a = OneEndpoint(18080), b = OneEndpoint(18081), none;
  // The first transaction creates the table (its base chains register their hooks): not measured.
  if (Status st = net::ApplyRuleset("ctvmicro", a); !st)
    return state.SkipWithError(st.error().ToString().c_str());
  bool flip = false;
  for (auto _ : state) {
    Status st = add_delete ? net::ApplyRuleset("ctvmicro", none)
                           : net::ApplyRuleset("ctvmicro", flip ? a : b);
    if (st && add_delete) st = net::ApplyRuleset("ctvmicro", a);
    if (!st) return state.SkipWithError(st.error().ToString().c_str());
    flip = !flip;
  }
  (void)net::ApplyRuleset("ctvmicro", none);
}
BENCHMARK_CAPTURE(BM_NftTransaction, port_change, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_NftTransaction, table_add_delete, true)->Unit(benchmark::kMicrosecond);

// The first ApplyRuleset of a fresh process: this binary exec'd as `ctv-micro --child-nft PORT`
// (in the sandbox's namespaces, which it inherits) times its own first transaction and prints the
// nanoseconds; that is the iteration's time (manual time: the exec itself, ~10 ms of loading a
// large binary and noisy, is not what a launch pays for its rules). With libnftables this first
// call was what a fresh ctvrt paid: library loading, context, cache fetch, then the transaction.
void BM_NftFreshProcess(benchmark::State& state) {
  Sandbox& s = TheSandbox();
  if (!s.error.empty()) return state.SkipWithError(s.error.c_str());
  if (Status st = net::ApplyRuleset("ctvmicro", OneEndpoint(18080)); !st)
    return state.SkipWithError(st.error().ToString().c_str());
  std::string self = SelfDir() + "/ctv-micro";
  bool flip = false;
  for (auto _ : state) {
    auto p = MakePipe();
    if (!p) return state.SkipWithError(p.error().ToString().c_str());
    auto c = Spawn({.argv = {self, "--child-nft", flip ? "18080" : "18081"},
                    .stdout_fd = p->write.Get()});
    p->write.Reset();
    if (!c) return state.SkipWithError(c.error().ToString().c_str());
    std::string out;
    char buf[64];
    for (ssize_t n; (n = ::read(p->read.Get(), buf, sizeof buf)) > 0;) out.append(buf, n);
    auto st = c->Wait();
    if (!st || !st->Success() || out.empty())
      return state.SkipWithError("ctv-micro --child-nft failed (run it by hand for the error)");
    state.SetIterationTime(std::strtod(out.c_str(), nullptr) / 1e9);
    flip = !flip;
  }
  (void)net::ApplyRuleset("ctvmicro", net::NetState{});
}
// Five iterations per repetition, not min_time: each iteration costs an exec that the manual time
// leaves out, so min_time would not bound its wall time (and the micro suite's budget assumes it
// does); five execs take about what min_time 0.05 s costs another benchmark.
BENCHMARK(BM_NftFreshProcess)->UseManualTime()->Iterations(5)->Unit(benchmark::kMicrosecond);

}  // namespace

bool MaybeRunMicroChild(int argc, char** argv, int* exit_code) {
  if (argc != 3 || std::string(argv[1]) != "--child-nft") return false;
  const net::NetState state = OneEndpoint(static_cast<uint16_t>(std::atoi(argv[2])));
  const int64_t t0 = MonotonicNs();
  Status st = net::ApplyRuleset("ctvmicro", state);
  const int64_t t1 = MonotonicNs();
  if (!st) {
    std::fprintf(stderr, "ctv-micro --child-nft: %s\n", st.error().ToString().c_str());
    *exit_code = 1;
    return true;
  }
  std::printf("%lld\n", static_cast<long long>(t1 - t0));
  *exit_code = 0;
  return true;
}

}  // namespace ctv
