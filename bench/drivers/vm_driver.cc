#include "bench/drivers/vm_driver.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <optional>

#include "bench/drivers/guest_driver.h"
#include "core/clock.h"
#include "core/fault_point.h"
#include "core/fd.h"
#include "core/fs_tree.h"
#include "core/log.h"
#include "vm/channel.h"
#include "vm/gc.h"
#include "vm/libvirt/adopted_qemu.h"
#include "vm/libvirt/conn.h"
#include "vm/libvirt/daemon_info.h"
#include "vm/libvirt/domain_xml.h"
#include "vm/libvirt/scratch_volume.h"
#include "vm/libvirt/stream_bridge.h"
#include "vm/libvirt/volumes.h"
#include "vm/spec.h"
#include "vm/state.h"

namespace ctv::bench {
namespace {

using Conn = std::shared_ptr<vm::lv::Connection>;

// The QEMU process of a domain, found by the "-name guest=<name>" libvirt gives it.
pid_t FindQemuPid(const std::string& name) {
  auto entries = ctv::fs::ListDir("/proc");
  if (!entries) return -1;
  std::string needle = "guest=" + name + ",";
  for (const std::string& e : *entries) {
    pid_t pid = std::atoi(e.c_str());
    if (pid <= 0) continue;
    auto c = ReadFile("/proc/" + e + "/cmdline");
    if (!c) continue;
    for (char& ch : *c)
      if (ch == '\0') ch = ' ';
    if (c->find("qemu-system-") != std::string::npos && c->find(needle) != std::string::npos)
      return pid;
  }
  return -1;
}

// The domain's character devices read through libvirt (daemon URIs, CharTransport::
// kLibvirtStreams): the console into the instance's console.log, the marker channel into a
// socketpair whose other end becomes the instance's MarkerChannel.
struct DomainStreams {
  vm::lv::StreamBridge console;
  vm::lv::StreamBridge marker;
};

class VmInstance : public GuestInstance {
 public:
  VmInstance(Conn conn, GuestLaunch launch, std::string xml, vm::CharTransport transport,
             vm::lv::ScratchVolume volume)
      : GuestInstance(std::move(launch), "vm"),
        conn_(std::move(conn)),
        xml_(std::move(xml)),
        transport_(transport),
        volume_(std::move(volume)) {
    if (volume_) disk_ = {volume_.Path(), "none", ""};
  }

  ~VmInstance() override {
    qemu_ = vm::lv::AdoptedQemu();  // kills and reaps our QEMU first: the destroy then is quick
    if (dom_.Active()) virDomainDestroy(dom_.Get());
    dom_.Reset();
    streams_.reset();
    volume_.Reset();  // when the domain never started (Start deletes it once QEMU holds it)
    // The embedded driver keeps one QEMU log per domain name; ours are unique, so remove it.
    if (std::string root = vm::lv::EmbedRootOf(conn_->Uri()); !root.empty())
      ::unlink((root + "/log/qemu/" + spec_.name + ".log").c_str());
  }

  Status Start() override {
    marks_.clear();
    marks_.push_back({"launch", MonotonicNs()});
    bool streams = transport_ == vm::CharTransport::kLibvirtStreams;
    // AUTODESTROY (daemon URIs): if this process dies, or its connection does (ssh), the daemon
    // destroys the domain. The embedded driver does not support it (libvirt 9.0); there
    // `ctvbench gc` covers a SIGKILLed harness. PAUSED (streams): QEMU drops what the guest writes
    // to a pty nobody has open, so the devices are opened before the guest runs.
    std::string embed_root = vm::lv::EmbedRootOf(conn_->Uri());
    unsigned flags = embed_root.empty() ? VIR_DOMAIN_START_AUTODESTROY : 0;
    if (streams) flags |= VIR_DOMAIN_START_PAUSED;
    auto create = [&]() -> Status {
      virDomainPtr d = virDomainCreateXML(conn_->Get(), xml_.c_str(), flags);
      if (!d) {
        Error e = vm::lv::LastError("start domain", spec_.name);
        if (e.context.find("cannot limit locked memory") != std::string::npos)
          e.context +=
              " (libvirt raises RLIMIT_MEMLOCK to the <memtune> hard_limit, which needs "
              "CAP_SYS_RESOURCE; run without a memory limit or with that capability)";
        return e;
      }
      dom_ = vm::lv::Domain(d);
      return Ok();
    };
    if (embed_root.empty()) {
      CTV_CHECK(Explain(create()));
    } else {
      // The embedded driver's QEMU becomes our child (vm/libvirt/adopted_qemu.h): reaped at
      // exit, killed by us at teardown, so libvirt's destroy does not poll for it.
      auto q = vm::lv::AdoptedQemu::AdoptDuring(create, embed_root + "/run/qemu/" + spec_.name +
                                                            ".pid");
      if (!q) return Explain(std::move(q).error());
      qemu_ = std::move(*q);
    }
    CTV_FAULT_POINT("libvirt.domain_created");  // a transient domain: QEMU started, libvirt owns it
    // QEMU holds the scratch disk open now: delete its volume at once (the space goes when QEMU
    // does), so a harness killed while the guest runs leaves no volume in the daemon's pool.
    volume_.Reset();
    if (streams) {
      CTV_CHECK(Explain(OpenStreams()));
      if (virDomainResume(dom_.Get()) < 0)
        return Explain(vm::lv::LastError("resume domain", spec_.name));
    }
    // "process": QEMU runs the guest (for streams: created paused, devices opened, resumed, so
    // the phase holds the same work as the embedded driver's, which resumes inside the call).
    marks_.push_back({"process", MonotonicNs()});
    if (qemu_)
      qemu_pid_ = qemu_.Pid();
    else if (vm::lv::RemoteHostOf(conn_->Uri()).empty())
      qemu_pid_ = FindQemuPid(spec_.name);
    return Ok();
  }

  std::vector<pid_t> HostPids() const override {
    if (qemu_) return qemu_.Running() ? std::vector<pid_t>{qemu_pid_} : std::vector<pid_t>{};
    if (qemu_pid_ > 0 && dom_.Active()) return {qemu_pid_};
    return {};
  }

 private:
  // A lost connection (keepalive: a daemon silent for ~20 s) counts as gone: checked first, as it
  // costs no round trip; a frozen daemon makes Active() wait until keepalive gives up.
  bool QemuAlive() override {
    if (qemu_ && !qemu_.Running()) return false;  // no round trip for our own child
    return virConnectIsAlive(conn_->Get()) == 1 && dom_.Active();
  }

  Status OpenStreams() {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
      return ErrnoError("create marker socketpair for", spec_.name);
    Fd ours(sv[0]), bridged(sv[1]);
    Fd log = CTV_TRY(OpenFile(dir_ + "/console.log", O_WRONLY | O_CREAT | O_APPEND, 0600));
    auto s = std::make_unique<DomainStreams>();
    s->console = CTV_TRY(vm::lv::StreamBridge::Open(conn_->Get(), dom_.Get(), vm::kConsoleAlias,
                                                    std::move(log), /*duplex=*/false));
    s->marker = CTV_TRY(vm::lv::StreamBridge::Open(conn_->Get(), dom_.Get(), vm::kMarkerAlias,
                                                   std::move(bridged), /*duplex=*/true));
    channel_ = vm::MarkerChannel::Adopt(
        std::move(ours), std::string("libvirt console ") + vm::kMarkerAlias + " of " + spec_.name);
    streams_ = std::move(s);
    return Ok();
  }

  // The workload has ended (CTV-EXIT): stop the domain now rather than wait for libvirt to act on
  // the guest's power-off (<on_poweroff>destroy; QEMU runs with -no-shutdown). libvirt's own stop
  // sends SIGTERM and polls kill(pid, 0) every 200 ms until the pid is gone
  // (virProcessKillPainfully): 1.2-2 s here, as the daemonized QEMU is PID 1's child and this
  // CI's PID 1 reaps late (a zombie counts as alive). With the embedded driver QEMU is our child
  // (AdoptedQemu): we SIGKILL and reap it, and libvirt's destroy then finds no process and only
  // cleans up (cgroups, status files). Nothing is lost: the guest has reported its exit, and the
  // scratch disk is opened with cache=none. A daemon's QEMU is the daemon's business (its PID 1
  // reaps). Transient domain: once inactive it no longer exists.
  Status Teardown(int64_t deadline) override {
    if (!dom_) return Ok();
    int64_t t0 = MonotonicNs();
    const bool adopted = static_cast<bool>(qemu_);  // Kill() empties it
    if (qemu_) {
      int64_t left_ms = std::max<int64_t>((deadline - t0) / 1'000'000, 1000);
      if (!qemu_.Kill(std::chrono::milliseconds(left_ms)))
        Log(LogLevel::kWarn, "vm: QEMU {} of {} not reaped after SIGKILL", qemu_pid_, spec_.name);
    }
    int64_t t1 = MonotonicNs();
    // "gone" means what it means for the qemu driver: the QEMU process no longer exists (reaped;
    // a daemon's QEMU is gone once its destroy returns). libvirt's own release of the domain
    // (qemuProcessStop: cgroups, status files, the job) is a phase of its own, "released":
    // vm/README.md "libvirt's stop cost" says what it costs and why it is bimodal.
    if (adopted) marks_.push_back({"gone", t1});
    if (dom_.Active()) virDomainDestroy(dom_.Get());
    int64_t t2 = MonotonicNs();
    Log(LogLevel::kDebug, "vm: kill+reap {} us, destroy {} us", (t1 - t0) / 1000, (t2 - t1) / 1000);
    dom_.Reset();
    streams_.reset();
    marks_.push_back({adopted ? "released" : "gone", MonotonicNs()});
    return Ok();
  }

  std::string ExtraContext() const override { return " [libvirt " + conn_->Uri() + "]"; }

  Conn conn_;
  std::string xml_;
  vm::CharTransport transport_;
  vm::lv::Domain dom_;
  std::unique_ptr<DomainStreams> streams_;
  vm::lv::ScratchVolume volume_;  // a daemon's scratch disk (embedded: disk_ in the instance dir)
  vm::lv::AdoptedQemu qemu_;      // the embedded driver's QEMU, our child; empty for daemons
  pid_t qemu_pid_ = -1;
};

class VmDriver : public GuestDriver {
 public:
  using GuestDriver::GuestDriver;

  std::string Name() const override { return "vm"; }
  std::string Description() const override {
    return "guest VM as a libvirt domain (embedded qemu:///embed driver by default)";
  }

  // libvirt removes a stopped domain's own cgroups but not their "machine" parents: remove them
  // when the run is over and they are empty, as the ctvrt driver does with its "ctvbench" parents.
  ~VmDriver() override {
    if (conn_ && Embedded()) vm::RemoveLibvirtMachineCgroups(vm::lv::EmbedRootOf(Uri()), nullptr);
  }

  Availability Check() const override {
    if (std::string host = RemoteHost(); !host.empty())
      return {true,
              "QEMU runs on " + host + " (libvirt " + Uri() +
                  "); its accelerator is resolved there at the first start",
              "unknown"};
    Availability a = CheckQemuAndAccelerator();
    if (a.available && Embedded() &&
        ::access("/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so",
                 R_OK) != 0) {
      return {false, "libvirt's QEMU driver is missing: install libvirt-daemon-driver-qemu",
              a.accelerator};
    }
    return a;
  }

  // Results say how libvirt was driven: the URI, how markers travel (their arrival times include
  // that path), and that its guest-CPU read-back takes the x86 path (vm/libvirt/domain_xml.cc),
  // which is ~0.2 s less than a stock domain's under TCG.
  std::map<std::string, std::string> EffectiveParameters(
      const std::map<std::string, std::string>& options) const override {
    auto p = GuestDriver::EffectiveParameters(options);
    p["libvirt_uri"] = Uri();
    // The results' environment describes this host; a remote QEMU's host is named here.
    p["qemu_host"] = RemoteHost().empty() ? "this host" : RemoteHost();
    p["libvirt_cpu_readback"] = "x86 (qemu:capabilities drops cpu-unavailable-features)";
    p["marker_transport"] = Embedded()
                                ? "unix socket (QEMU chardev, this host)"
                                : "libvirt console stream (pty on the QEMU host, via the "
                                  "libvirt connection)";
    return p;
  }

  Status Prepare() override {
    CTV_CHECK(PrepareGuest(/*local_qemu=*/RemoteHost().empty()));
    if (!conn_) {
      conn_ = std::make_shared<vm::lv::Connection>(CTV_TRY(vm::lv::Connection::Open(Uri())));
      // libvirt probes QEMU's capabilities at the first start of a state root, running a QEMU
      // it daemonizes and kills again. Done inside the create call, that QEMU would be adopted
      // by our subreaper window (vm/libvirt/adopted_qemu.h) and left unreaped, and libvirt would
      // poll the zombie for 15 s: probe (or load the cached capabilities) here, outside it.
      if (Embedded()) {
        char* caps = virConnectGetDomainCapabilities(conn_->Get(), qemu_.c_str(), "x86_64",
                                                     nullptr, "qemu", 0);
        if (!caps) return vm::lv::LastError("read QEMU's capabilities through", Uri());
        free(caps);
      }
    }
    return Ok();
  }

  Result<std::unique_ptr<Instance>> Create(const InstanceSpec& spec) override {
    CTV_CHECK(RefuseVolumes(*this, spec));
    CTV_CHECK(Prepare());
    // libvirt applies a CPU quota (<cputune>) and a host-side memory cap (<memtune>); a pids
    // limit, a cpuset or CPU shares have no mapping here yet.
    const Limits& lim = spec.limits;
    if (lim.pids || lim.cpuset || lim.cpu_shares || lim.io_read || lim.memory_high_bytes)
      return MakeError("create domain", spec.name,
                       std::string("the vm driver cannot apply a ") +
                           (lim.pids     ? "pids limit (the guest's processes are not host tasks)"
                            : lim.memory_high_bytes
                                ? "memory.high (a guest's RAM is fixed at boot; throttling its "
                                  "QEMU would stall the whole guest, not one workload)"
                            : lim.cpuset ? "cpuset (no <vcpupin> mapping yet)"
                            : lim.io_read
                                ? "read limit on a host device (the guest reads its own disk; "
                                  "libvirt's <iotune> would be the analogue, not mapped yet)"
                                : "CPU shares (no <shares> mapping yet)"));
    vm::VmSpec vs = CTV_TRY(SpecFor(spec));
    vs.cpu_quota = spec.limits.cpus;
    vs.memory_limit_bytes = spec.limits.memory_bytes;
    if (vs.machine == vm::Machine::kMicrovm && vs.devices == vm::DeviceModel::kVirtio)
      return MakeError("create domain", spec.name,
                       "libvirt (9.0) puts virtio devices on PCI and microvm has no PCI bus: use "
                       "devices=emulated, machine=pc or q35, or the qemu driver (virtio-mmio)");
    bool embedded = Embedded();
    if (vs.boot == vm::BootMode::kFirmware && !embedded)
      return MakeError("create domain", spec.name,
                       "boot=firmware needs the embedded driver (--libvirt-uri unset): its boot "
                       "disk and the console and SeaBIOS debug-port sockets it is timed by are "
                       "files of this host");
    GuestLaunch g = CTV_TRY(NewLaunch(std::move(vs), spec, /*listen_socket=*/embedded,
                                      /*local_disk=*/embedded));
    vm::DomainLaunch l;
    vm::lv::ScratchVolume volume;
    l.cmdline = g.cmdline;
    if (embedded) {
      l.emulator = qemu_;
      l.kernel = g.kernel;
      l.initrd = g.initrd;
      l.transport = vm::CharTransport::kLocalFiles;
      l.console_log = g.console_log;
      l.channel_socket = g.channel.Path();
      l.disk = g.disk.path;
      l.disk_cache = g.disk.cache;
      l.boot_disk = g.boot_disk;
      l.boot_disk_format = g.boot_disk_format;
      if (g.console_tap) l.console_socket = g.console_tap->SocketPath();
      if (g.firmware_tap) l.debugcon_socket = g.firmware_tap->SocketPath();
    } else {
      // Until the instance owns it, the instance dir is ours to remove when a step fails.
      Status st = [&]() -> Status {
        // A daemon's QEMU, here or on another host, boots volumes the daemon can open and talks
        // through the connection only. Its own default emulator.
        l.kernel = CTV_TRY(DaemonPathOf(g.kernel));
        l.initrd = CTV_TRY(DaemonPathOf(g.initrd));
        l.transport = vm::CharTransport::kLibvirtStreams;
        l.qemu_as_root = true;
        // The scratch disk: a volume there too (its filesystem is the daemon's: cache=none).
        if (g.spec.disk_mib > 0) {
          volume = CTV_TRY(vm::lv::ScratchVolume::Create(conn_->Get(), spec.name, g.spec.disk_mib));
          l.disk = volume.Path();
        }
        return Ok();
      }();
      if (!st) {
        (void)ctv::fs::RemoveTree(g.dir);
        return std::move(st).error();
      }
    }
    std::string xml = vm::DomainXml(g.spec, g.accel.accel, l);
    return std::unique_ptr<Instance>(std::make_unique<VmInstance>(
        conn_, std::move(g), std::move(xml), l.transport, std::move(volume)));
  }

 protected:
  // On another host `auto` is answered there: KVM only when the daemon offers it AND the guest
  // really boots under it (the same boot-probe reasoning as vm/accel.h, with the real guest as
  // the probe), bounded by kRemoteKvmProbe; else TCG, saying why. Once per driver.
  Result<vm::ResolvedAccel> ResolveAccelFor(vm::Accel requested,
                                            const InstanceSpec& spec) override {
    std::string host = RemoteHost();
    if (host.empty()) return GuestDriver::ResolveAccelFor(requested, spec);
    if (requested != vm::Accel::kAuto)
      return vm::ResolvedAccel{requested, vm::AccelName(requested) + " (requested)"};
    if (!remote_accel_) remote_accel_ = CTV_TRY(ProbeRemoteKvm(host, spec));
    return *remote_accel_;
  }

  uint64_t QemuHostTscKhz() override {
    if (RemoteHost().empty()) return GuestDriver::QemuHostTscKhz();
    if (!remote_tsc_khz_) {
      remote_tsc_khz_ = vm::lv::TscKhz(conn_->Get());
      if (*remote_tsc_khz_ == 0)
        Log(LogLevel::kWarn,
            "vm: libvirt on {} reports no TSC rate: TCG microvm guests boot without "
            "tsc_early_khz and may hang in TSC calibration (machine=pc does not need it)",
            RemoteHost());
    }
    return *remote_tsc_khz_;
  }

 private:
  static constexpr auto kRemoteKvmProbe = std::chrono::seconds(10);

  Result<vm::ResolvedAccel> ProbeRemoteKvm(const std::string& host, const InstanceSpec& spec) {
    if (std::string why; !vm::lv::KvmOffered(conn_->Get(), &why)) {
      vm::ResolvedAccel r{vm::Accel::kTcg, "auto: libvirt on " + host + " offers no KVM (" + why +
                                               "); using TCG (emulation)"};
      Log(LogLevel::kWarn, "vm: {}", r.note);
      return r;
    }
    InstanceSpec probe = spec;
    probe.name = spec.name + "-kvmprobe";
    probe.options["accel"] = "kvm";
    Log(LogLevel::kInfo, "vm: libvirt on {} offers KVM; boot probe (up to {} s)", host,
        kRemoteKvmProbe.count());
    Status booted = [&]() -> Status {
      std::unique_ptr<Instance> inst = CTV_TRY(Create(probe));
      CTV_CHECK(inst->Start());
      return inst->WaitReady(kRemoteKvmProbe);
    }();
    if (booted)
      return vm::ResolvedAccel{vm::Accel::kKvm,
                               "auto: kvm (libvirt on " + host + " offers it and the guest booted)"};
    // A stock kernel under a KVM that cannot run it (kvm_pvm) just hangs: name that plainly.
    std::string why = booted.error().code == ETIMEDOUT
                          ? "no ready marker within " + std::to_string(kRemoteKvmProbe.count()) +
                                " s"
                          : booted.error().ToString();
    if (why.size() > 300) why = why.substr(0, 300) + "...";
    vm::ResolvedAccel r{vm::Accel::kTcg, "auto: KVM offered by libvirt on " + host +
                                             " but the guest did not boot under it (" + why +
                                             "); using TCG (emulation)"};
    Log(LogLevel::kWarn, "vm: {}", r.note);
    return r;
  }

  // The path, on the daemon's host, of a volume holding the local guest file `local` (uploaded
  // once; see vm/libvirt/volumes.h). The guest cache names its files by content; the bzImage
  // from /boot, and the micro kernel's files (named bzImage and vmlinux in their cache entry),
  // are named after the guest key, which covers the kernel's digest.
  Result<std::string> DaemonPathOf(const std::string& local) {
    if (auto it = volumes_.find(local); it != volumes_.end()) return it->second;
    std::string name = local.substr(local.rfind('/') + 1);
    if (local == guest_->bzimage)
      name = "bzimage-" + guest_->key;
    else if (micro_guest_ && local == micro_guest_->bzimage)
      name = "bzimage-" + micro_guest_->key;
    else if (micro_guest_ && local == micro_guest_->vmlinux)
      name = "vmlinux-" + micro_guest_->key;
    vm::lv::VolumePath v = CTV_TRY(vm::lv::EnsureVolume(conn_->Get(), local, name));
    volumes_[local] = v.path;
    return v.path;
  }

  std::string Uri() const {
    return config_.libvirt_uri.empty() ? vm::lv::EmbedUri(vm::VmStateRoot(ctx_.state_dir))
                                       : config_.libvirt_uri;
  }
  bool Embedded() const { return !vm::lv::EmbedRootOf(Uri()).empty(); }
  std::string RemoteHost() const { return vm::lv::RemoteHostOf(Uri()); }

  Conn conn_;
  std::map<std::string, std::string> volumes_;  // local guest file -> path on the daemon's host
  std::optional<vm::ResolvedAccel> remote_accel_;
  std::optional<uint64_t> remote_tsc_khz_;
};

}  // namespace

std::unique_ptr<Driver> MakeVmDriver(const DriverContext& ctx, const VmDriverConfig& config) {
  return std::make_unique<VmDriver>(ctx, config);
}

}  // namespace ctv::bench
