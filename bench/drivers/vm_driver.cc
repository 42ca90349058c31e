#include "bench/drivers/vm_driver.h"

#include <unistd.h>

#include "bench/drivers/guest_driver.h"
#include "core/clock.h"
#include "core/fd.h"
#include "core/fs_tree.h"
#include "core/log.h"
#include "vm/channel.h"
#include "vm/gc.h"
#include "vm/libvirt/conn.h"
#include "vm/libvirt/domain_xml.h"
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

class VmInstance : public GuestInstance {
 public:
  VmInstance(Conn conn, GuestLaunch launch, std::string xml)
      : GuestInstance(std::move(launch), "vm"), conn_(std::move(conn)), xml_(std::move(xml)) {}

  ~VmInstance() override {
    if (dom_.Active()) virDomainDestroy(dom_.Get());
    dom_.Reset();
    // The embedded driver keeps one QEMU log per domain name; ours are unique, so remove it.
    if (!embed_root_.empty()) ::unlink((embed_root_ + "/log/qemu/" + spec_.name + ".log").c_str());
  }

  Status Start() override {
    marks_.clear();
    marks_.push_back({"launch", MonotonicNs()});
    // AUTODESTROY (daemon URIs): if this process dies, libvirtd destroys the domain. The embedded
    // driver does not support it (libvirt 9.0); there `ctvbench gc` covers a SIGKILLed harness.
    unsigned flags = conn_->Uri().rfind("qemu:///embed", 0) == 0 ? 0 : VIR_DOMAIN_START_AUTODESTROY;
    virDomainPtr d = virDomainCreateXML(conn_->Get(), xml_.c_str(), flags);
    if (!d) {
      Error e = vm::lv::LastError("start domain", spec_.name);
      if (e.context.find("cannot limit locked memory") != std::string::npos)
        e.context +=
            " (libvirt raises RLIMIT_MEMLOCK to the <memtune> hard_limit, which needs "
            "CAP_SYS_RESOURCE; run without a memory limit or with that capability)";
      return Explain(std::move(e));
    }
    dom_ = vm::lv::Domain(d);
    marks_.push_back({"process", MonotonicNs()});
    qemu_pid_ = FindQemuPid(spec_.name);
    return Ok();
  }

  std::vector<pid_t> HostPids() const override {
    if (qemu_pid_ > 0 && dom_.Active()) return {qemu_pid_};
    return {};
  }

 private:
  bool QemuAlive() override { return dom_.Active(); }

  // The workload has ended (CTV-EXIT): destroy the domain now rather than wait for libvirt to act
  // on the guest's power-off (<on_poweroff>destroy). Either way libvirt kills QEMU with SIGTERM
  // and polls kill(pid, 0) every 200 ms until it is gone (virProcessKillPainfully), 1.2-2 s here:
  // that is libvirt's cost in the "gone" phase. Measured: QEMU exits ~10 ms after SIGTERM, but
  // libvirt daemonized it, so it is PID 1's child, and this CI's PID 1 reaps late; the zombie
  // counts as alive. Transient domain: once inactive it no longer exists.
  Status Teardown(int64_t) override {
    if (!dom_) return Ok();
    int64_t t0 = MonotonicNs();
    if (dom_.Active()) virDomainDestroy(dom_.Get());
    Log(LogLevel::kDebug, "vm: destroy took {} ms", (MonotonicNs() - t0) / 1000000);
    dom_.Reset();
    marks_.push_back({"gone", MonotonicNs()});
    return Ok();
  }

  std::string ExtraContext() const override { return " [libvirt " + conn_->Uri() + "]"; }

  Conn conn_;
  std::string xml_;
  vm::lv::Domain dom_;
  pid_t qemu_pid_ = -1;
  std::string embed_root_;  // set for qemu:///embed connections

  friend class VmDriver;
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
    if (conn_ && conn_->Uri().rfind("qemu:///embed", 0) == 0)
      vm::RemoveLibvirtMachineCgroups(nullptr);
  }

  Availability Check() const override {
    if (std::string host = vm::lv::RemoteHostOf(Uri()); !host.empty())
      return {false,
              "libvirt URI " + Uri() + " names another host (" + host +
                  "): the guest's kernel, initramfs and marker socket are files on this host, so "
                  "QEMU must run here; run ctvbench on " +
                  host + " (or use qemu:///system, qemu+ssh://localhost/system)",
              "none"};
    Availability a = CheckQemuAndAccelerator();
    if (a.available && Uri().rfind("qemu:///embed", 0) == 0 &&
        ::access("/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so",
                 R_OK) != 0) {
      return {false, "libvirt's QEMU driver is missing: install libvirt-daemon-driver-qemu",
              a.accelerator};
    }
    return a;
  }

  // Results say how libvirt was driven: the URI, and that its guest-CPU read-back takes the x86
  // path (vm/libvirt/domain_xml.cc), which is ~0.2 s less than a stock domain's under TCG.
  std::map<std::string, std::string> EffectiveParameters(
      const std::map<std::string, std::string>& options) const override {
    auto p = GuestDriver::EffectiveParameters(options);
    p["libvirt_uri"] = Uri();
    p["libvirt_cpu_readback"] = "x86 (qemu:capabilities drops cpu-unavailable-features)";
    return p;
  }

  Status Prepare() override {
    CTV_CHECK(PrepareGuest());
    if (!conn_)
      conn_ = std::make_shared<vm::lv::Connection>(CTV_TRY(vm::lv::Connection::Open(Uri())));
    return Ok();
  }

  Result<std::unique_ptr<Instance>> Create(const InstanceSpec& spec) override {
    CTV_CHECK(Prepare());
    vm::VmSpec vs = CTV_TRY(SpecFor(spec));
    vs.cpu_quota = spec.limits.cpus;
    vs.memory_limit_bytes = spec.limits.memory_bytes;
    if (vs.machine == vm::Machine::kMicrovm && vs.devices == vm::DeviceModel::kVirtio)
      return MakeError("create domain", spec.name,
                       "libvirt (9.0) puts virtio devices on PCI and microvm has no PCI bus: use "
                       "devices=emulated, machine=pc or q35, or the qemu driver (virtio-mmio)");
    GuestLaunch g = CTV_TRY(NewLaunch(std::move(vs), spec));
    vm::DomainLaunch l;
    l.emulator = qemu_;
    l.kernel = g.kernel;
    l.initrd = g.initrd;
    l.cmdline = g.cmdline;
    l.console_log = g.console_log;
    l.channel_socket = g.channel.Path();
    l.qemu_as_root = conn_->Uri().rfind("qemu:///embed", 0) != 0;
    std::string xml = vm::DomainXml(g.spec, g.accel.accel, l);
    auto inst = std::make_unique<VmInstance>(conn_, std::move(g), std::move(xml));
    const std::string embed = "qemu:///embed?root=";
    if (conn_->Uri().rfind(embed, 0) == 0) inst->embed_root_ = conn_->Uri().substr(embed.size());
    return std::unique_ptr<Instance>(std::move(inst));
  }

 private:
  std::string Uri() const {
    return config_.libvirt_uri.empty() ? vm::lv::EmbedUri(vm::VmStateRoot(ctx_.state_dir))
                                       : config_.libvirt_uri;
  }

  Conn conn_;
};

}  // namespace

std::unique_ptr<Driver> MakeVmDriver(const DriverContext& ctx, const vm::VmDriverConfig& config) {
  return std::make_unique<VmDriver>(ctx, config);
}

}  // namespace ctv::bench
