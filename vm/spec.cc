#include "vm/spec.h"

#include <algorithm>
#include <cstdlib>

#include "vm/guest/modules.h"

namespace ctv::vm {
namespace {

// ctv-init splits ctv.args on ',' and decodes %XX; the kernel splits on spaces.
std::string EscapeArg(const std::string& a) {
  std::string out;
  for (char c : a) {
    if (c == ',' || c == '%' || c == ' ' || c == '"' || c == '\t' || c == '\n') {
      char buf[4];
      snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

constexpr long kMaxDiskMib = 1 << 20;  // 1 TiB

Result<long> ParsePositive(const std::string& key, const std::string& v) {
  char* end = nullptr;
  long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n <= 0)
    return MakeError("parse VM option " + key, v, "expected a positive integer");
  return n;
}

}  // namespace

std::string MachineName(Machine m) {
  switch (m) {
    case Machine::kPc:
      return "pc";
    case Machine::kQ35:
      return "q35";
    case Machine::kMicrovm:
      return "microvm";
  }
  return "?";
}

std::string BootModeName(BootMode b) {
  switch (b) {
    case BootMode::kPvh:
      return "pvh";
    case BootMode::kBzImage:
      return "bzimage";
    case BootMode::kFirmware:
      return "firmware";
  }
  return "?";
}

std::string DeviceModelName(DeviceModel d) {
  return d == DeviceModel::kVirtio ? "virtio" : "emulated";
}

std::string GuestKernelName(GuestKernel k) {
  return k == GuestKernel::kMicro ? "micro" : "generic";
}

std::string GuestProfileName(GuestProfile g) {
  return g == GuestProfile::kDistro ? "distro" : "minimal";
}

const std::vector<std::string>& VmOptionKeys() {
  static const std::vector<std::string> keys = {"machine", "accel",  "devices", "boot",
                                                "acpi",    "vcpus",  "memory",  "cmdline",
                                                "disk",    "kernel", "guest"};
  return keys;
}

Result<VmSpec> ParseVmOptions(const std::map<std::string, std::string>& options) {
  VmSpec s;
  for (const auto& [k, v] : options) {
    if (k == "machine") {
      if (v == "pc")
        s.machine = Machine::kPc;
      else if (v == "q35")
        s.machine = Machine::kQ35;
      else if (v == "microvm")
        s.machine = Machine::kMicrovm;
      else
        return MakeError("parse VM option machine", v, "expected pc, q35 or microvm");
    } else if (k == "accel") {
      s.accel = CTV_TRY(ParseAccel(v));
    } else if (k == "devices") {
      if (v == "virtio")
        s.devices = DeviceModel::kVirtio;
      else if (v == "emulated")
        s.devices = DeviceModel::kEmulated;
      else
        return MakeError("parse VM option devices", v, "expected virtio or emulated");
    } else if (k == "boot") {
      if (v == "pvh")
        s.boot = BootMode::kPvh;
      else if (v == "bzimage")
        s.boot = BootMode::kBzImage;
      else if (v == "firmware")
        s.boot = BootMode::kFirmware;
      else
        return MakeError("parse VM option boot", v, "expected pvh, bzimage or firmware");
    } else if (k == "acpi") {
      if (v == "on")
        s.acpi = true;
      else if (v == "off")
        s.acpi = false;
      else
        return MakeError("parse VM option acpi", v, "expected on or off");
    } else if (k == "vcpus") {
      s.vcpus = static_cast<int>(CTV_TRY(ParsePositive(k, v)));
    } else if (k == "memory") {
      s.memory_mib = static_cast<uint64_t>(CTV_TRY(ParsePositive(k, v)));
    } else if (k == "cmdline") {
      s.extra_cmdline = v;
    } else if (k == "disk") {
      long mib = CTV_TRY(ParsePositive(k, v));
      // Sparse, so the size costs nothing; the bound only catches typos (a size in bytes).
      if (mib > kMaxDiskMib)
        return MakeError("parse VM option disk", v,
                         "expected a size in MiB from 1 to " + std::to_string(kMaxDiskMib));
      s.disk_mib = static_cast<uint64_t>(mib);
    } else if (k == "kernel") {
      if (v == "generic")
        s.kernel = GuestKernel::kGeneric;
      else if (v == "micro")
        s.kernel = GuestKernel::kMicro;
      else
        return MakeError("parse VM option kernel", v, "expected generic or micro");
    } else if (k == "guest") {
      if (v == "minimal")
        s.guest = GuestProfile::kMinimal;
      else if (v == "distro")
        s.guest = GuestProfile::kDistro;
      else
        return MakeError("parse VM option guest", v, "expected minimal or distro");
    } else {
      return MakeError("parse VM option", k,
                       "known options: machine, accel, devices, boot, acpi, vcpus, memory, "
                       "cmdline, disk, kernel, guest");
    }
  }
  // The distro guest boots the way a PC boots a distribution: firmware, bootloader, kernel,
  // initramfs, init system. Without a boot option that is implied; another one is refused.
  if (s.guest == GuestProfile::kDistro) {
    if (options.count("boot") && s.boot != BootMode::kFirmware)
      return MakeError("parse VM option boot", options.at("boot"),
                       "guest=distro boots through the firmware chain (SeaBIOS, SYSLINUX, its "
                       "disk): drop boot= or use boot=firmware");
    if (s.kernel == GuestKernel::kMicro)
      return MakeError("parse VM option kernel", "micro",
                       "guest=distro boots Debian's generic kernel (its modules are in the "
                       "root): use kernel=generic or guest=minimal");
    s.boot = BootMode::kFirmware;
  }
  // The firmware chain needs a PC: without a machine option it runs on pc, microvm's default
  // being for direct kernel boots; an explicit microvm is refused.
  if (s.boot == BootMode::kFirmware && !options.count("machine")) s.machine = Machine::kPc;
  if (s.disk_mib > 0 && s.machine == Machine::kMicrovm && s.devices == DeviceModel::kEmulated)
    return MakeError("parse VM option disk", options.at("disk"),
                     "machine=microvm has no IDE or SATA controller for an emulated disk: use "
                     "devices=virtio (virtio-mmio) or machine=pc|q35");
  if (s.boot == BootMode::kFirmware && s.machine == Machine::kMicrovm)
    return MakeError("parse VM option boot", "firmware",
                     "machine=microvm has no firmware that boots a disk (its qboot loads only a "
                     "kernel QEMU was given): use machine=pc or machine=q35");
  if (s.boot == BootMode::kFirmware && s.disk_mib > 0)
    return MakeError("parse VM option disk", options.at("disk"),
                     "boot=firmware boots from its own disk, in the scratch disk's place: drop "
                     "disk= or use boot=pvh|bzimage");
  if (s.boot == BootMode::kFirmware && s.kernel == GuestKernel::kMicro)
    return MakeError("parse VM option kernel", "micro",
                     "boot=firmware boots the generic kernel from its disk (the micro kernel is "
                     "built for direct PVH boot on microvm): use kernel=generic or boot=pvh");
  // The micro kernel has no ACPI: microvm must not describe its virtio-mmio devices in ACPI
  // tables only, so QEMU puts them on the kernel command line (it does that with acpi=off).
  if (s.kernel == GuestKernel::kMicro) {
    if (options.count("acpi") && s.acpi)
      return MakeError("parse VM option acpi", "on",
                       "kernel=micro has no ACPI (vm/guest/micro-kernel.config): use acpi=off "
                       "or kernel=generic");
    s.acpi = false;
  }
  if (s.disk_mib > 0 && s.kernel == GuestKernel::kMicro && s.devices == DeviceModel::kEmulated)
    return MakeError("parse VM option disk", options.at("disk"),
                     "kernel=micro has no IDE/AHCI drivers (vm/guest/micro-kernel.config): use "
                     "devices=virtio (virtio-blk) or kernel=generic");
  return s;
}

std::string ChannelDevice(const VmSpec& s) {
  return s.devices == DeviceModel::kVirtio ? "/dev/hvc0" : "/dev/ttyS1";
}

std::vector<std::string> ChannelModules(const VmSpec& s) {
  if (s.devices == DeviceModel::kEmulated || s.kernel == GuestKernel::kMicro) return {};
  return {s.machine == Machine::kMicrovm ? "virtio_mmio" : "virtio_pci", "virtio_console"};
}

std::string DiskModelName(const VmSpec& s) {
  if (s.disk_mib == 0) return "";
  if (s.devices == DeviceModel::kVirtio) return "virtio-blk";
  return s.machine == Machine::kQ35 ? "sata" : "ide";
}

std::vector<std::string> DiskModules(const VmSpec& s) {
  if (s.disk_mib == 0 || s.kernel == GuestKernel::kMicro) return {};
  if (s.devices == DeviceModel::kVirtio)
    return {s.machine == Machine::kMicrovm ? "virtio_mmio" : "virtio_pci", "virtio_blk"};
  // sd_mod: the SCSI disk driver libata presents ATA disks through.
  return {s.machine == Machine::kQ35 ? "ahci" : "ata_piix", "sd_mod"};
}

std::string DistroRootDevice(const VmSpec& s) {
  return s.devices == DeviceModel::kVirtio ? "/dev/vda2" : "/dev/sda2";
}

std::vector<std::string> DistroModules(const VmSpec& s) {
  std::vector<std::string> m;
  if (s.devices == DeviceModel::kVirtio)
    m = {"virtio_pci", "virtio_blk"};
  else  // sd_mod: the SCSI disk driver libata presents ATA disks through
    m = {s.machine == Machine::kQ35 ? "ahci" : "ata_piix", "sd_mod"};
  m.insert(m.end(), kDistroModules.begin(), kDistroModules.end());
  return m;
}

std::string KernelCmdline(const VmSpec& s, Accel accel, const std::string& probe_path,
                          const std::vector<std::string>& probe_args, uint64_t tsc_khz) {
  // panic=-1: a guest that panics reboots at once, and QEMU (-no-reboot) exits instead of hanging.
  // Through the firmware chain loglevel=4 stands for quiet (the same console level): SYSLINUX
  // drops its "Loading ..." lines when the command line says quiet, and the last of them is
  // the bootloader's hand-over the phases time (vm/guest/boot_disk.h).
  std::string c = std::string("console=ttyS0 ") +
                  (s.boot == BootMode::kFirmware ? "loglevel=4" : "quiet") +
                  " panic=-1 rdinit=/sbin/ctv-init";
  // Skip probes for hardware these guests do not have and self-tests nobody reads (the usual
  // fast-boot set, as in Firecracker's guests): ~0.4 s of a 2 s TCG microvm boot here.
  c += " i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd cryptomgr.notests no_timer_check";
  if (s.machine == Machine::kMicrovm) c += " pci=off";  // microvm has no PCI bus
  // The micro kernel has no ACPI, so ctv-init reboots to end the guest; the kernel's default
  // reboot path first pulses an i8042 that microvm does not have, polling it for seconds. A
  // triple fault resets at once (QEMU -no-reboot / libvirt on_reboot=destroy then exit).
  if (s.kernel == GuestKernel::kMicro) c += " reboot=t";
  // Under TCG the microvm kernel's TSC calibration intermittently never finishes; telling it the
  // frequency skips the calibration (5/5 boots fine with it, some hang without).
  if (s.machine == Machine::kMicrovm && accel == Accel::kTcg && tsc_khz > 0)
    c += " tsc_early_khz=" + std::to_string(tsc_khz);
  c += " ctv.chan=" + ChannelDevice(s);
  std::vector<std::string> mods = ChannelModules(s);
  std::vector<std::string> disk_mods = DiskModules(s);
  if (s.guest == GuestProfile::kDistro) disk_mods = DistroModules(s);
  for (const std::string& m : disk_mods)  // the channel's virtio transport is not repeated
    if (std::find(mods.begin(), mods.end(), m) == mods.end()) mods.push_back(m);
  mods.insert(mods.end(), s.boot_modules.begin(), s.boot_modules.end());
  if (!mods.empty()) {
    c += " ctv.mods=";
    for (size_t i = 0; i < mods.size(); ++i) c += (i ? "," : "") + mods[i];
  }
  // The distro guest: ctv-init in the initramfs mounts this root and hands over to systemd.
  if (s.guest == GuestProfile::kDistro) c += " ctv.root=" + DistroRootDevice(s);
  c += " ctv.exec=" + EscapeArg(probe_path);
  if (!probe_args.empty()) {
    c += " ctv.args=";
    for (size_t i = 0; i < probe_args.size(); ++i) c += (i ? "," : "") + EscapeArg(probe_args[i]);
  }
  if (!s.extra_cmdline.empty()) c += " " + s.extra_cmdline;
  return c;
}

}  // namespace ctv::vm
