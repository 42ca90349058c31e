// ctv-probe: the one workload every driver runs (host process, container, VM guest), unchanged.
// Static, no dependencies beyond libc, so it runs in a busybox image and a bare initramfs alike.
//
// Output contract (core/markers.h): measuring modes print one JSON object on stdout;
// `ready`, `http` and `tcp-rr-server` print the marker line "CTV-READY <pid> <monotonic_ns>"
// once ready (the servers print a JSON summary when stopped). Bad arguments: a message on
// stderr naming the mode, the option and the accepted form; exit status 2.
// The modes live in probe_*.cc (see probe.h); this file is the usage text and the dispatch.
#include <cstdio>
#include <string>

#include "bench/workload/probe.h"

namespace {

const char* kUsage =
    "usage: ctv-probe MODE [OPTIONS]\n"
    "The workload ctvbench runs unchanged as a host process, in a container and in a VM.\n"
    "modes:\n"
    "  noop                      exit 0 at once (start-to-exit measurements)\n"
    "  ready [--timeout S]       print 'CTV-READY <pid> <monotonic_ns>', then wait for\n"
    "                            SIGTERM/SIGINT/SIGHUP (or S seconds) and exit 0\n"
    "  syscall --op OP[,OP...] [--iters N | --ms M]\n"
    "                            ns per op, one JSON line per OP: getppid (bare syscall), clock\n"
    "                            (vDSO), read (/dev/zero), write (/dev/null), pipe (1-byte write\n"
    "                            + read), openclose, stat, fault (first touch of a fresh page),\n"
    "                            fork (fork + wait), devwrite (a 64-byte line to stdout: a\n"
    "                            guest's console device); N ops, or as many as fit in M ms\n"
    "                            (default 100) in doubling batches\n"
    "  memtouch --mib N | --ram-times K [--seconds S] [--ready 1]\n"
    "                            allocate and touch N MiB (or K times MemTotal), report time\n"
    "                            and resident size;\n"
    "                            --ready 1: print the ready marker before the first touch\n"
    "  cpuspin --seconds S | --ms M [--threads T] [--ready 1]\n"
    "                            spin S wall seconds (or M ms) on T threads (default 1),\n"
    "                            report the CPU time obtained and the affinity\n"
    "                            (sched_getaffinity); --ready 1: print the ready marker once\n"
    "                            spinning\n"
    "  forkbomb --max N          fork up to N sleeping children, report how many succeeded\n"
    "  hostinfo [--hold MS]      pid, ppid, hostname, ids, kernel, interfaces, mounts, pids,\n"
    "                            namespace inodes, addresses, root device, System V IPC objects,\n"
    "                            CapEff, seccomp mode, no_new_privs, boot id; with --hold, then\n"
    "                            the ready marker and MS ms (or until SIGTERM) before exiting\n"
    "  orphan [--hold MS] [--child-seconds S]\n"
    "                            fork a child sleeping S s (default 60) with its output closed,\n"
    "                            print pid and child_pid, the ready marker, wait MS ms (default\n"
    "                            1000) or SIGTERM, exit without waiting for the child\n"
    "  persist --layer PATH [--volume PATH] [--hold MS]\n"
    "                            write a line to PATH (the writable layer) and to the volume\n"
    "                            path, fsync; report errnos, ready marker, wait MS ms or SIGTERM\n"
    "  ptrace                    trace a child that asked for it (PTRACE_TRACEME), then try to\n"
    "                            attach to our parent (PTRACE_ATTACH, PTRACE_SEIZE): a non-child;\n"
    "                            reports the errno of each (0 = allowed)\n"
    "  http --port N [--timeout S]\n"
    "                            HTTP/1.1 server on 0.0.0.0:N answering GET with 200 and a body\n"
    "                            naming hostname and pid; prints 'CTV-READY <pid> <monotonic_ns>'\n"
    "                            once listening; stops on SIGTERM/SIGINT/SIGHUP (or after S s)\n"
    "  tcp-rr-server --port N [--timeout S] [--cpu C]\n"
    "                            TCP echo server on 0.0.0.0:N (one connection at a time), same\n"
    "                            ready marker and stop signals as http\n"
    "  tcp-rr --connect A.B.C.D:PORT --iters N [--timeout S] [--cpu C]\n"
    "                            N request/response round trips of 1 byte on one connection,\n"
    "                            reports ns per round trip (median, p95, min, mean)\n"
    "                            --cpu C: run on CPU C only (client and server on one CPU take\n"
    "                            cross-CPU wake-ups out of the figure)\n"
    "  blkread --mib N [--timeout S] [--path FILE]\n"
    "                            wait up to S s (default 10) for the first disk (/sys/block/vd*,\n"
    "                            sd*), read its first N MiB with O_DIRECT in 1 MiB blocks; reports\n"
    "                            the device, its kernel drivers and MiB/s (this machine's clock)\n"
    "                            --path FILE: read that file instead (O_DIRECT), e.g. on a volume\n"
    "  emit --kib N              write N KiB of text lines to stdout (in a guest: the marker\n"
    "                            channel, UART or virtio console) and drain it; reports KiB/s\n"
    "  procinfo                  what the runtime set up for this process: capability sets\n"
    "                            (hex, /proc/self/status), no_new_privs, oom_score_adj, rlimits\n"
    "                            (nofile, nproc, core; -1 = unlimited), uid/gid/groups/umask,\n"
    "                            /dev nodes (type, major, minor, mode, owner), the propagation\n"
    "                            of / and of every mount, /proc/self/cgroup, memory limit\n"
    "  breakout [--disk-mib N]   the security suite's escape attempts (mount, remount / rw,\n"
    "                            reboot, module load, sysrq, /proc/kcore, /dev/mem, the disk,\n"
    "                            mknod, hostname, clock, ptrace, raw socket, exe overwrite,\n"
    "                            leaked fds/cwd, user ns, keyctl, bpf, userfaultfd, perf,\n"
    "                            cgroup limits, N MiB disk fill, default 32), each in a child,\n"
    "                            each harmless when allowed; one JSON line: allowed/denied +\n"
    "                            errno per attempt\n"
    "Measuring modes print one JSON object on stdout.\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace ctv::probe;
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  std::string mode = argv[1];
  int rest = argc - 2;
  char** args = argv + 2;
  if (mode == "--help" || mode == "-h" || mode == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (mode == "noop") return (Options("noop", rest, args, {}), Noop());
  if (mode == "ready") return Ready(Options("ready", rest, args, {"--timeout"}));
  if (mode == "syscall")
    return Syscall(Options("syscall", rest, args, {"--op", "--iters", "--ms"}));
  if (mode == "memtouch")
    return MemTouch(
        Options("memtouch", rest, args, {"--mib", "--ram-times", "--seconds", "--ready"}));
  if (mode == "cpuspin")
    return CpuSpin(Options("cpuspin", rest, args, {"--seconds", "--ms", "--threads", "--ready"}));
  if (mode == "forkbomb") return ForkBomb(Options("forkbomb", rest, args, {"--max"}));
  if (mode == "hostinfo") return HostInfo(Options("hostinfo", rest, args, {"--hold"}));
  if (mode == "orphan") return Orphan(Options("orphan", rest, args, {"--hold", "--child-seconds"}));
  if (mode == "persist")
    return Persist(Options("persist", rest, args, {"--layer", "--volume", "--hold"}));
  if (mode == "ptrace") return (Options("ptrace", rest, args, {}), Ptrace());
  if (mode == "http") return Http(Options("http", rest, args, {"--port", "--timeout"}));
  if (mode == "tcp-rr-server")
    return TcpRrServer(Options("tcp-rr-server", rest, args, {"--port", "--timeout", "--cpu"}));
  if (mode == "tcp-rr")
    return TcpRr(Options("tcp-rr", rest, args, {"--connect", "--iters", "--timeout", "--cpu"}));
  if (mode == "blkread") return BlkRead(Options("blkread", rest, args, {"--mib", "--timeout", "--path"}));
  if (mode == "emit") return Emit(Options("emit", rest, args, {"--kib"}));
  if (mode == "breakout") return Breakout(Options("breakout", rest, args, {"--disk-mib"}));
  if (mode == "procinfo") return (Options("procinfo", rest, args, {}), ProcInfo());
  std::fprintf(stderr,
               "ctv-probe: unknown mode '%s' (modes: noop, ready, syscall, memtouch, cpuspin, "
               "forkbomb, hostinfo, ptrace, http, tcp-rr-server, tcp-rr, blkread, emit, procinfo, "
               "orphan, persist, breakout)\n",
               mode.c_str());
  return kExitUsage;
}

