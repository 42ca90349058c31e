// RemoteLibvirtHost: a real second libvirt host on this machine, for tests of libvirt URIs that
// name another machine (qemu+ssh://HOST/system). Nothing is mocked: a real sshd and a real
// libvirtd (Debian's, with its QEMU driver and storage driver) run in their own PID, mount,
// network, UTS ("ctv-remote-host"), IPC and cgroup namespaces, and this process reaches them over
// ssh through a veth pair, exactly as it would reach another machine.
//
// What the remote sees: this machine's root filesystem (binaries, /etc, /dev) with private
// tmpfs over /run (so /run/ctvbench and /run/libvirt are its own), /tmp, /var/tmp, /dev/shm,
// /var/log, /var/cache (so /var/cache/ctvbench and libvirt's caches), /var/lib/libvirt, /root,
// /boot and, when present, /var/lib/ctvbench; a devpts instance of its own; its own sysfs and
// cgroup mounts. /etc/libvirt and /var/log/libvirt are bind mounts of
// <work_dir>/remote/{etc-libvirt,log} (libvirtd.log, sshd.log, qemu/<domain>.log land there).
// So it cannot see our guest kernels, state or caches: anything a driver wants there it must
// upload (e.g. into a `dir` storage pool under /var/lib/libvirt, which is writable there).
// QEMU runs as Debian's default user libvirt-qemu (DAC labelling, cgroups, a mount namespace
// per QEMU: libvirt's defaults; only stdio_handler = "file", there is no virtlogd); libvirt's
// "machine" cgroups land in the fixture's own groups
// <hierarchy>/<our placement>/ctvrh-<launcher pid>/machine/..., removed at Stop().
//
// Network: veth `ctvrhN` here with 10.213.N.1/30, `eth0` there with 10.213.N.2/30 (N is the
// first free veth name; two fixtures never share a subnet). sshd listens on 10.213.N.2:22 only,
// root by key only, with a host key generated at every start; the client checks it against
// <work_dir>/client/known_hosts (see Uri()).
//
// Lifetime: Stop() (and the destructor) terminates everything and waits until no process, veth
// or cgroup of the fixture is left; mounts exist only inside the remote's mount namespace. The
// libvirt capability cache may live in a directory that outlives the fixture (Options), the only
// file outside work_dir. If the test process is SIGKILLed, the namespaces die with it (the
// launcher and `unshare` run with PDEATHSIG=SIGKILL, the remote's PID 1 with unshare
// --kill-child): only empty cgroup directories `ctvrh-<pid>` remain, removed by the next Start()
// or by `tests/integration/remote_host/remote-host.sh cleanup`. PDEATHSIG is tied to the thread
// that calls Start(): call it from a thread that outlives the fixture (the test's main thread).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/fd.h"
#include "core/process.h"

namespace ctv::testing {

class RemoteLibvirtHost {
 public:
  struct Options {
    // When set, bind-mounted over the remote's /var/cache/libvirt (created if missing): libvirt's
    // QEMU capability cache then survives between fixtures. Empty: a tmpfs, probed afresh.
    std::string cache_dir;
    // Start() fails after this long (boot, daemons up, first libvirt call answered).
    std::chrono::seconds start_timeout{90};
  };

  // Empty when sshd, libvirtd, virt-ssh-helper, ssh, setpriv, unshare, nsenter and the fixture's
  // own ctv-remote-init are present; else what is missing (for GTEST_SKIP).
  static std::string Missing();

  // Generates keys and configs under `work_dir` (an existing, empty, root-only directory that
  // outlives the fixture), starts the remote and returns once libvirtd answered through Uri()
  // (its name is ctv-remote-host) and has its QEMU capabilities.
  static Result<RemoteLibvirtHost> Start(const std::string& work_dir, const Options& options);
  static Result<RemoteLibvirtHost> Start(const std::string& work_dir) {
    return Start(work_dir, Options{});
  }

  // Removes what SIGKILLed fixtures left (their empty cgroups). Start() runs it first.
  static Status CleanupStale();

  RemoteLibvirtHost() = default;
  RemoteLibvirtHost(RemoteLibvirtHost&&) noexcept = default;
  RemoteLibvirtHost& operator=(RemoteLibvirtHost&& o) noexcept;
  RemoteLibvirtHost(const RemoteLibvirtHost&) = delete;
  RemoteLibvirtHost& operator=(const RemoteLibvirtHost&) = delete;
  // Stop(), logging an error it returns.
  ~RemoteLibvirtHost();

  // qemu+ssh://root@10.213.N.2/system?command=<wd>/client/ssh&keyfile=<wd>/client/id_ed25519
  // &no_tty=1. libvirt's ssh transport runs `ssh -l root -i KEY -T ... HOST sh -c '...'`, and on
  // the remote virt-ssh-helper (or nc when absent). It has no known_hosts option (only
  // no_verify=1, i.e. StrictHostKeyChecking=no, which would also record the key in root's
  // ~/.ssh/known_hosts), so command= names <wd>/client/ssh, a wrapper running `ssh -F
  // <wd>/client/ssh_config`: strict host key checking against <wd>/client/known_hosts, and
  // nothing read from or written to ~/.ssh or /etc/ssh/ssh_config.
  std::string Uri() const;
  const std::string& Address() const { return address_; }  // "10.213.N.2"
  const std::string& Veth() const { return veth_; }        // "ctvrhN" (this side)
  pid_t InitPid() const { return init_pid_; }              // the remote's PID 1, as seen here
  // "ctvrh-<launcher pid>": the name of the remote's cgroup in every hierarchy (see the script's
  // cleanup for why the launcher's pid).
  std::string CgroupName() const;
  const std::string& WorkDir() const { return work_dir_; }
  bool Running() const { return launcher_.Running(); }

  // How long Start() took: until libvirtd answered through Uri() (launch, boot, ssh, first call),
  // then for the QEMU capabilities (probed by libvirtd at first need, or read from the cache).
  struct StartTimes {
    double ready_s = 0;
    double capabilities_s = 0;
  };
  const StartTimes& Times() const { return times_; }

  // Runs `sh -c shell_cmd` on the remote (nsenter into all its namespaces); its stdout, or an
  // Error naming the command with its exit status and stderr.
  Result<std::string> Run(const std::string& shell_cmd) const;

  // What identifies a fixture's resources, for checks once it is stopped (or its process died).
  struct Trace {
    std::string pid_ns;  // "pid:[4026532...]" of the remote's PID 1
    std::string net_ns;  // "net:[4026532...]"
    std::string veth;
    std::string cgroup_name;
  };
  Trace GetTrace() const;  // valid after Stop() too
  // What is still there of a fixture: processes in its PID or network namespace, its veth,
  // cgroup directories with its name (in any hierarchy). Empty when nothing is left.
  static std::vector<std::string> Leftovers(const Trace& trace);

  // Terminates sshd, libvirtd, QEMUs (SIGTERM, then SIGKILL after 5 s) and waits until the
  // launcher removed the cgroups and the veth is gone. An Error names what was left, with the
  // tail of <work_dir>/remote.log. Idempotent.
  Status Stop();

 private:
  Child launcher_;
  Fd out_;  // the launcher's stdout (its protocol lines)
  std::string work_dir_;
  std::string address_;
  std::string veth_;
  pid_t init_pid_ = -1;
  pid_t launcher_pid_ = -1;
  Trace trace_;
  StartTimes times_;
};

}  // namespace ctv::testing
