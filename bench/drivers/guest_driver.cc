#include "bench/drivers/guest_driver.h"

#include "core/clock.h"
#include "core/fault_point.h"
#include "core/fd.h"
#include "core/fs_tree.h"
#include "core/log.h"
#include "core/markers.h"
#include "runtime/image/layout.h"
#include "vm/accel.h"
#include "vm/guest/distro_root.h"
#include "vm/guest/kernel.h"
#include "vm/guest/micro_kernel.h"
#include "vm/guest/modules.h"
#include "vm/qemu/argv.h"
#include "vm/state.h"

namespace ctv::bench {
namespace {

int64_t Deadline(std::chrono::milliseconds t) {
  return MonotonicNs() + static_cast<int64_t>(t.count()) * 1'000'000;
}

}  // namespace

GuestInstance::GuestInstance(GuestLaunch launch, std::string log_tag)
    : spec_(std::move(launch.spec)),
      accel_(std::move(launch.accel)),
      dir_(std::move(launch.dir)),
      channel_(std::move(launch.channel)),
      disk_(std::move(launch.disk)),
      console_tap_(std::move(launch.console_tap)),
      firmware_tap_(std::move(launch.firmware_tap)),
      kernel_release_(std::move(launch.kernel_release)),
      session_(&marks_),
      log_tag_(std::move(log_tag)) {
  if (console_tap_ && firmware_tap_)
    session_.SetBootChain([this] { return BootChainMarks(*firmware_tap_, *console_tap_); });
  if (console_tap_ && spec_.guest == vm::GuestProfile::kDistro)
    session_.SetInitChain([this] { return SystemdMarks(*console_tap_); });
}

GuestInstance::~GuestInstance() {
  channel_ = vm::MarkerChannel();
  console_tap_.reset();  // joins the reader threads before their log files go with the dir
  firmware_tap_.reset();
  if (auto s = ctv::fs::RemoveTree(dir_); !s)
    Log(LogLevel::kWarn, "{}: {}", log_tag_, s.error().ToString());
}

Status GuestInstance::WaitReady(std::chrono::milliseconds timeout) {
  CTV_FAULT_POINT("guest.booting");  // QEMU runs the guest, nothing has answered yet
  return Explain(
      session_.ReadUntil(channel_, markers::Kind::kReady, Deadline(timeout), [this] { return QemuAlive(); }));
}

Result<WorkloadExit> GuestInstance::WaitExit(std::chrono::milliseconds timeout) {
  int64_t deadline = Deadline(timeout);
  CTV_CHECK(
      Explain(session_.ReadUntil(channel_, markers::Kind::kExit, deadline, [this] { return QemuAlive(); })));
  CTV_FAULT_POINT("guest.stopping");
  CTV_CHECK(Teardown(deadline));
  return WorkloadExit{*session_.Exit(), session_.Output()};
}

Status GuestInstance::Stop(std::chrono::milliseconds timeout) {
  int64_t deadline = Deadline(timeout);
  if (!session_.Exit()) {
    CTV_CHECK(channel_.Send(std::string(markers::kStop)));
    CTV_CHECK(Explain(
        session_.ReadUntil(channel_, markers::Kind::kExit, deadline, [this] { return QemuAlive(); })));
  }
  CTV_FAULT_POINT("guest.stopping");  // the guest is down or going down, QEMU not yet reaped
  return Teardown(deadline);
}

Status GuestInstance::Explain(Status s) const {
  if (s) return s;
  Error e = std::move(s).error();
  e.context += ExtraContext();
  auto con = ReadFile(dir_ + "/console.log");
  if (con && !con->empty())
    e.context += "; guest console: " + con->substr(con->size() > 600 ? con->size() - 600 : 0);
  e.context += " [accelerator " + vm::AccelName(accel_.accel) + "]";
  return e;
}

Result<std::vector<Mark>> BootChainMarks(const vm::ConsoleTap& firmware,
                                         const vm::ConsoleTap& console) {
  auto bios = firmware.FirstLine(vm::kSeabiosHandover);
  if (!bios)
    return MakeError("time the firmware boot", firmware.SocketPath(),
                     std::string("SeaBIOS never printed \"") + vm::kSeabiosHandover +
                         "\" on its debug port (firmware.log)");
  if (!console.FirstLine(vm::kBootloaderBanner))
    return MakeError("time the firmware boot", console.SocketPath(),
                     std::string("the bootloader's banner \"") + vm::kBootloaderBanner +
                         "\" never reached the console (console.log)");
  auto loaded = console.FirstLine(vm::kBootloaderDone);
  if (!loaded)
    return MakeError("time the firmware boot", console.SocketPath(),
                     std::string("the bootloader never printed \"") + vm::kBootloaderDone +
                         "...ok\" (console.log)");
  return std::vector<Mark>{{"bios", *bios}, {"bootloader", *loaded}};
}

Result<std::vector<Mark>> SystemdMarks(const vm::ConsoleTap& console) {
  std::vector<Mark> out;
  for (auto [name, text] : {std::pair{"sysinit", vm::kSystemdSysinit},
                            std::pair{"basic", vm::kSystemdBasic}}) {
    auto t = console.FirstLine(text);
    if (!t)
      return MakeError("time the distro guest's boot", console.SocketPath(),
                       std::string("systemd never printed \"") + text +
                           "\" on the console (console.log)");
    out.push_back({name, *t});
  }
  return out;
}

std::string DistroGuestMissing(const std::string& kernel) {
  auto k = vm::FindKernel(kernel);
  if (!k) return k.error().ToString();
  auto root = vm::FindDistroRoot(k->release);
  return root ? "" : root.error().ToString();
}

Status GuestDriver::ValidateOptions(const std::map<std::string, std::string>& options) const {
  auto vs = vm::ParseVmOptions(options);
  if (!vs) return std::move(vs).error();
  return Ok();
}

std::vector<OptionDoc> GuestDriver::Options() const {
  return {
      {"machine", "microvm|pc|q35", "QEMU machine type (default microvm: no PCI, no firmware)"},
      {"accel", "auto|kvm|tcg", "accelerator; auto = KVM when it can boot the guest, else TCG"},
      {"devices", "emulated|virtio", "marker channel (and disk) device model"},
      {"boot", "pvh|bzimage|firmware",
       "kernel entry: PVH (vmlinux ELF), the bzImage, or firmware: SeaBIOS boots a disk "
       "(MBR, SYSLINUX, bzImage; machine pc unless q35 is given)"},
      {"acpi", "on|off", "ACPI tables"},
      {"vcpus", "N", "virtual CPUs"},
      {"memory", "MiB", "guest RAM"},
      {"cmdline", "TEXT", "extra kernel command line"},
      {"disk", "MiB", "a scratch disk (IDE on pc, SATA on q35, or virtio-blk)"},
      {"kernel", "generic|micro",
       "guest kernel: Debian's generic one, or the project's microVM build (scripts/setup)"},
      {"guest", "minimal|distro",
       "what boots: ctv-init as PID 1 (minimal), or Debian 12 with systemd up to a ready unit "
       "(distro; implies boot=firmware)" +
           [this] {
             std::string missing = DistroGuestMissing(config_.kernel);
             return missing.empty() ? std::string("; distro guest built here")
                                    : std::string("; distro guest NOT built here: run ") +
                                          vm::kDistroBuildCommand;
           }()},
  };
}

std::map<std::string, std::string> GuestDriver::EffectiveParameters(
    const std::map<std::string, std::string>& options) const {
  auto vs = vm::ParseVmOptions(options);
  if (!vs) return options;
  std::map<std::string, std::string> p = options;
  p["machine"] = vm::MachineName(vs->machine);
  p["devices"] = vm::DeviceModelName(vs->devices);
  p["boot"] = vm::BootModeName(vs->boot);
  p["vcpus"] = std::to_string(vs->vcpus);
  p["memory"] = std::to_string(vs->memory_mib);
  p["kernel"] = vm::GuestKernelName(vs->kernel);
  // Only when not the default: results of minimal guests keep the parameters (and so the compare
  // keys) they had before the option existed.
  if (vs->guest != vm::GuestProfile::kMinimal) p["guest"] = vm::GuestProfileName(vs->guest);
  if (vs->disk_mib > 0) p["disk_model"] = vm::DiskModelName(*vs);
  return p;
}

Result<vm::Guest> BuildDriverGuest(const DriverContext& ctx, const VmDriverConfig& config,
                                   vm::GuestKernel kernel) {
  auto [dir, ref] = image::ParseImageRef(ctx.image_dir);
  vm::GuestBuildOptions o;
  o.image_dir = dir;
  o.image_ref = ref;
  // `ctvbench image build` names its manifest "latest"; a single-manifest layout needs no ref.
  if (o.image_ref.empty() && !image::OpenImage(dir, "")) o.image_ref = "latest";
  o.kernel_path = config.kernel;
  o.init_binary = vm::DefaultInitBinary(ctx.probe_path);
  o.cache_dir = vm::VmStateRoot(ctx.state_dir) + "/cache";
  o.extra_modules = config.guest_modules;
  if (kernel == vm::GuestKernel::kMicro) {
    vm::MicroKernel mk = CTV_TRY(vm::FindMicroKernel());
    o.kernel_path = mk.bzimage;
    o.vmlinux_path = mk.vmlinux;
    o.no_modules = true;
  }
  return vm::BuildGuest(o);
}

std::map<std::string, std::string> GuestInstance::Facts() const {
  std::map<std::string, std::string> f{{fact::kAccelerator, vm::AccelName(accel_.accel)},
                                       {fact::kAcceleratorNote, accel_.note},
                                       {fact::kGuestRamMib, std::to_string(spec_.memory_mib)},
                                       {fact::kGuestKernel, kernel_release_}};
  if (!disk_.cache.empty()) f[fact::kDiskCache] = disk_.cache;
  if (!disk_.note.empty()) f[fact::kDiskCacheNote] = disk_.note;
  return f;
}

Availability GuestDriver::CheckQemuAndAccelerator() const {
  Availability a;
  auto q = vm::FindQemu();
  if (!q) {
    a.reason = q.error().ToString();
    return a;
  }
  a.available = true;
  a.accelerator = vm::ExpectedAccelerator(config_.kernel, &a.reason);
  return a;
}

Status GuestDriver::PrepareGuest(bool local_qemu) {
  if (guest_) return Ok();
  if (local_qemu) qemu_ = CTV_TRY(vm::FindQemu());
  guest_ = CTV_TRY(BuildDriverGuest(ctx_, config_));
  return Ok();
}

Result<vm::VmSpec> GuestDriver::SpecFor(const InstanceSpec& spec) const {
  vm::VmSpec vs = CTV_TRY(vm::ParseVmOptions(spec.options));
  vs.name = spec.name;
  vs.boot_modules = config_.guest_modules;
  return vs;
}

Result<vm::ResolvedAccel> GuestDriver::ResolveAccelFor(vm::Accel requested, const InstanceSpec&) {
  return vm::ResolveAccel(requested, guest_->bzimage);
}

Result<const vm::Guest*> GuestDriver::GuestFor(const vm::VmSpec& vs) {
  if (!guest_) return MakeError("launch guest", vs.name, "the guest is not prepared");
  if (vs.kernel == vm::GuestKernel::kMicro) {
    if (!micro_guest_) micro_guest_ = CTV_TRY(BuildDriverGuest(ctx_, config_, vs.kernel));
    return &*micro_guest_;
  }
  if (vs.guest == vm::GuestProfile::kDistro) {
    if (!distro_guest_) {
      VmDriverConfig c = config_;
      for (const auto* list : {&vm::kDiskModules, &vm::kDistroModules})
        c.guest_modules.insert(c.guest_modules.end(), list->begin(), list->end());
      distro_guest_ = CTV_TRY(BuildDriverGuest(ctx_, c));
    }
    return &*distro_guest_;
  }
  if (vs.disk_mib == 0) return &*guest_;
  if (!disk_guest_) {
    VmDriverConfig c = config_;
    c.guest_modules.insert(c.guest_modules.end(), vm::kDiskModules.begin(),
                           vm::kDiskModules.end());
    disk_guest_ = CTV_TRY(BuildDriverGuest(ctx_, c));
  }
  return &*disk_guest_;
}

Result<GuestLaunch> GuestDriver::NewLaunch(vm::VmSpec vs, const InstanceSpec& spec,
                                           bool listen_socket, bool local_disk) {
  const vm::Guest* guest = CTV_TRY(GuestFor(vs));
  vm::ResolvedAccel accel = CTV_TRY(ResolveAccelFor(vs.accel, spec));
  std::string dir = CTV_TRY(vm::MakeInstanceDir(vm::VmStateRoot(ctx_.state_dir), spec.name));
  GuestLaunch g{.spec = std::move(vs), .accel = accel, .dir = dir, .initrd = guest->initrd,
                .console_log = dir + "/console.log", .kernel_release = guest->release};
  Status st = [&]() -> Status {
    if (listen_socket) g.channel = CTV_TRY(vm::MarkerChannel::Listen(dir + "/chan.sock"));
    if (local_disk && g.spec.disk_mib > 0)
      g.disk = CTV_TRY(vm::CreateScratchDisk(dir + "/disk.raw", g.spec.disk_mib));
    return Ok();
  }();
  if (!st) {
    g.channel = vm::MarkerChannel();
    (void)ctv::fs::RemoveTree(dir);
    return std::move(st).error();
  }
  CTV_FAULT_POINT("guest.files_prepared");  // instance dir, marker socket, scratch disk
  g.kernel = g.spec.boot == vm::BootMode::kPvh ? guest->BootKernel() : guest->bzimage;
  g.cmdline = vm::KernelCmdline(g.spec, accel.accel, guest->probe_path, spec.probe_args,
                                QemuHostTscKhz());
  if (g.spec.boot == vm::BootMode::kFirmware) {
    Status fw = [&]() -> Status {
      if (g.spec.guest == vm::GuestProfile::kDistro) {
        if (!distro_disk_) {
          // Built by scripts/build-distro-guest for this kernel, or an error saying to run it.
          vm::DistroRoot root = CTV_TRY(vm::FindDistroRoot(guest->release));
          vm::BootDiskInputs in{guest->bzimage, guest->initrd,
                                vm::VmStateRoot(ctx_.state_dir) + "/cache"};
          in.root_image = root.image;
          in.root_key = root.dir.substr(root.dir.rfind('/') + 1);
          distro_disk_ = CTV_TRY(vm::BuildBootDisk(in));
        }
        g.boot_disk = dir + "/boot.qcow2";
        g.boot_disk_format = "qcow2";
        CTV_CHECK(vm::InstanceOverlayDisk(*distro_disk_, g.boot_disk, g.cmdline));
      } else {
        if (!boot_disk_)
          boot_disk_ = CTV_TRY(vm::BuildBootDisk(
              {guest->bzimage, guest->initrd, vm::VmStateRoot(ctx_.state_dir) + "/cache"}));
        g.boot_disk = dir + "/boot.raw";
        CTV_CHECK(vm::InstanceBootDisk(*boot_disk_, g.boot_disk, g.cmdline));
      }
      g.console_tap = CTV_TRY(vm::ConsoleTap::Listen(dir + "/console.sock", g.console_log));
      g.firmware_tap = CTV_TRY(vm::ConsoleTap::Listen(dir + "/firmware.sock", dir + "/firmware.log"));
      return Ok();
    }();
    if (!fw) {
      g.channel = vm::MarkerChannel();
      g.console_tap.reset();
      g.firmware_tap.reset();
      (void)ctv::fs::RemoveTree(dir);
      return std::move(fw).error();
    }
  }
  return g;
}

}  // namespace ctv::bench
