// What the two VM drivers ("qemu": a plain QEMU process, "vm": a libvirt domain) share: the
// options (vm/spec.h) and the parameters they stand for, the guest (kernel + initramfs, built once
// per run), and each instance's start-up material (its state dir, the marker channel the host
// listens on, the kernel and its command line). They differ only in how QEMU is started.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "bench/driver.h"
#include "vm/accel.h"
#include "vm/channel.h"
#include "vm/console_tap.h"
#include "vm/disk.h"
#include "vm/guest/boot_disk.h"
#include "vm/guest/builder.h"
#include "vm/spec.h"

namespace ctv::bench {

// Driver-wide settings of both VM drivers, given by the CLI (`--kernel`, `--libvirt-uri`) or a
// test.
struct VmDriverConfig {
  std::string kernel;       // bzImage; "" = newest /boot/vmlinuz-* with modules installed
  std::string libvirt_uri;  // "" = qemu:///embed?root=<state>/libvirt (libvirt driver only)
  // Kernel modules every guest of the driver carries and loads at boot, after the marker
  // channel's (e.g. "overlay" to run containers inside the guest). Empty for benchmark guests,
  // whose initramfs and boot stay exactly as without this field.
  std::vector<std::string> guest_modules;
};

// Builds (or finds in the cache under the state root) the guest a driver boots: kernel,
// initramfs with ctv-init, the probe and the image next to them. With vm::GuestKernel::kMicro the
// kernel is the project's micro kernel (vm/guest/micro_kernel.h; config.kernel is not used) and
// the guest carries no modules (config.guest_modules must be empty).
Result<vm::Guest> BuildDriverGuest(const DriverContext& ctx, const VmDriverConfig& config,
                                   vm::GuestKernel kernel = vm::GuestKernel::kGeneric);

// Everything an instance needs to start its guest, whatever starts QEMU.
struct GuestLaunch {
  vm::VmSpec spec;
  vm::ResolvedAccel accel;
  std::string dir;            // the instance's state dir (removed with the instance)
  vm::MarkerChannel channel;  // listening on dir/chan.sock, or empty (see NewLaunch)
  std::string kernel, initrd, cmdline;
  std::string console_log;  // dir/console.log
  vm::ScratchDisk disk;     // dir/disk.raw when the spec has a disk and it is local; else empty
  std::string kernel_release;  // the guest's `uname -r` (results: fact::kGuestKernel)
  // boot=firmware (local QEMU only): the instance's copy of the boot disk (dir/boot.raw, its
  // bootloader configured with `cmdline`), and the taps QEMU's console (dir/console.sock ->
  // console.log) and SeaBIOS's debug port (dir/firmware.sock -> firmware.log) connect to.
  // guest=distro: the instance's disk is a qcow2 overlay (dir/boot.qcow2) of the cached distro
  // disk instead of a copy.
  std::string boot_disk;
  std::string boot_disk_format = "raw";
  std::unique_ptr<vm::ConsoleTap> console_tap, firmware_tap;
};

// What the two drivers' instances share once QEMU runs: the marker session (ready, exit, STOP),
// the phase marks, the accelerator, and the instance dir (removed, with the channel, when the
// instance goes: after the subclass has stopped its QEMU). Subclasses start and stop QEMU.
class GuestInstance : public Instance {
 public:
  GuestInstance(GuestLaunch launch, std::string log_tag);
  ~GuestInstance() override;

  Status WaitReady(std::chrono::milliseconds timeout) override;
  Result<WorkloadExit> WaitExit(std::chrono::milliseconds timeout) override;
  Status Stop(std::chrono::milliseconds timeout) override;
  const std::vector<Mark>& Marks() const override { return marks_; }
  // The accelerator this guest really runs with and how it was chosen, the guest kernel's
  // release; the scratch disk's cache mode (vm/disk.h) when it has one.
  std::map<std::string, std::string> Facts() const override;

 protected:
  // Whether QEMU still runs (a wait for a marker gives up when it does not).
  virtual bool QemuAlive() = 0;
  // After CTV-EXIT, or to give up: make QEMU go by `deadline_ns`, then mark "gone".
  virtual Status Teardown(int64_t deadline_ns) = 0;
  // What to add to a failed wait's error besides the guest console: QEMU's log, libvirt's URI...
  virtual std::string ExtraContext() const { return ""; }
  // `s` with the guest console's tail, ExtraContext() and the accelerator added when it failed.
  Status Explain(Status s) const;

  vm::VmSpec spec_;
  vm::ResolvedAccel accel_;
  std::string dir_;
  vm::MarkerChannel channel_;
  vm::ScratchDisk disk_;  // in dir_ (removed with it), or a daemon's volume (set by the subclass)
  // boot=firmware: the console and SeaBIOS's debug port, timestamped; their lines become the
  // marks "bios" and "bootloader" when CTV-INIT arrives (BootChainMarks).
  std::unique_ptr<vm::ConsoleTap> console_tap_, firmware_tap_;
  std::string kernel_release_;
  std::vector<Mark> marks_;
  vm::MarkerSession session_;

 private:
  std::string log_tag_;  // "qemu" / "vm", in warnings
};

class GuestDriver : public Driver {
 public:
  GuestDriver(DriverContext ctx, VmDriverConfig config)
      : ctx_(std::move(ctx)), config_(std::move(config)) {}

  DriverKind Kind() const override { return DriverKind::kVm; }

  Status ValidateOptions(const std::map<std::string, std::string>& options) const override;
  std::vector<OptionDoc> Options() const override;
  // The options plus the defaults they leave out (machine, devices, boot, vcpus, memory).
  std::map<std::string, std::string> EffectiveParameters(
      const std::map<std::string, std::string>& options) const override;

 protected:
  // QEMU present; the accelerator `auto` will really use, and why (Availability::reason).
  Availability CheckQemuAndAccelerator() const;
  // Finds QEMU (unless it runs on another host: `local_qemu` false) and builds (or reuses from
  // the cache) the guest. Idempotent.
  Status PrepareGuest(bool local_qemu = true);
  bool GuestPrepared() const { return guest_.has_value(); }
  // The instance's VmSpec from its options, named after it.
  Result<vm::VmSpec> SpecFor(const InstanceSpec& spec) const;
  // Resolves the accelerator, creates the state dir and, with `listen_socket`, listens on the
  // marker channel dir/chan.sock; without, the instance connects its channel itself. With
  // `local_disk` and a spec with a disk, creates the scratch disk dir/disk.raw; without, the
  // driver provides the disk itself. The dir is removed again when any of it fails. Needs
  // PrepareGuest() first; builds the disk guest (GuestFor) on first use.
  Result<GuestLaunch> NewLaunch(vm::VmSpec vs, const InstanceSpec& spec, bool listen_socket = true,
                                bool local_disk = true);
  // The guest an instance of `vs` boots: the prepared one, or for a spec with a disk the same
  // guest carrying the disk drivers too (vm::kDiskModules), or with kernel=micro the micro
  // kernel's guest (no modules: a disk needs none); each built (or found cached) once.
  Result<const vm::Guest*> GuestFor(const vm::VmSpec& vs);

  // The machine QEMU runs on, as NewLaunch sees it: what `requested` resolves to there
  // (vm::ResolveAccel: this host, probed once) and its TSC rate in kHz (0 = unknown; for TCG
  // microvm guests' tsc_early_khz). A driver whose QEMU may run elsewhere overrides both.
  virtual Result<vm::ResolvedAccel> ResolveAccelFor(vm::Accel requested, const InstanceSpec& spec);
  virtual uint64_t QemuHostTscKhz() { return vm::HostTscKhz(); }

  DriverContext ctx_;
  VmDriverConfig config_;
  std::string qemu_;  // the emulator binary ("" when QEMU runs on another host)
  std::optional<vm::Guest> guest_;
  std::optional<vm::Guest> disk_guest_;  // guest_ plus the disk drivers (GuestFor)
  std::optional<vm::BootDisk> boot_disk_;  // guest_ on a bootable disk (boot=firmware), cached
  std::optional<vm::Guest> micro_guest_;  // the micro kernel's guest (GuestFor)
  // guest=distro: the initramfs guest carrying the disk and root filesystem modules, and the
  // disk it boots (boot partition + the distro root), both cached.
  std::optional<vm::Guest> distro_guest_;
  std::optional<vm::BootDisk> distro_disk_;
};

// The distro guest's systemd milestones from the console: "sysinit" (sysinit.target reached) and
// "basic" (basic.target), in that order. An Error naming the line not seen.
Result<std::vector<Mark>> SystemdMarks(const vm::ConsoleTap& console);

// Whether the distro guest (guest=distro) can boot here: "" when its root is built for the
// kernel the drivers boot (`kernel`, "" = the default one), else what is missing and the
// command that builds it. For `ctvbench list` and `doctor`.
std::string DistroGuestMissing(const std::string& kernel = "");

// The firmware chain's marks from its taps, in order: "bios" (SeaBIOS's jump to the MBR, debug
// port) and "bootloader" (SYSLINUX's last line, "Loading /initrd...ok", console). An Error naming
// what was not seen when either is missing (a guest that did not boot through them).
Result<std::vector<Mark>> BootChainMarks(const vm::ConsoleTap& firmware,
                                         const vm::ConsoleTap& console);

}  // namespace ctv::bench
