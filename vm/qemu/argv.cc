#include "vm/qemu/argv.h"

#include "core/process.h"

namespace ctv::vm {
namespace {

// QEMU's option syntax: a ',' inside a value is written ",,".
std::string OptionValue(const std::string& v) {
  std::string out;
  for (char c : v) {
    out.push_back(c);
    if (c == ',') out.push_back(',');
  }
  return out;
}

}  // namespace

std::vector<std::string> QemuArgv(const VmSpec& s, Accel accel, const QemuLaunch& l) {
  bool kvm = accel == Accel::kKvm;
  std::string machine = MachineName(s.machine);
  if (s.machine == Machine::kMicrovm) {
    // No option ROMs to scan. Without ACPI the guest cannot power off (ctv-init then resets it,
    // which ends QEMU under -no-reboot) and finds virtio-mmio devices on the command line QEMU
    // appends itself.
    machine += ",x-option-roms=off,isa-serial=on";
    if (!s.acpi) machine += ",acpi=off";
  }
  std::vector<std::string> a = {
      l.qemu, "-name", s.name, "-machine", machine, "-accel", kvm ? "kvm" : "tcg", "-m",
      std::to_string(s.memory_mib), "-smp", std::to_string(s.vcpus), "-nodefaults",
      "-no-user-config", "-display", "none",
      // A guest that resets (panic=-1, triple fault) ends QEMU.
      "-no-reboot", "-pidfile", l.pidfile};
  const bool firmware = s.boot == BootMode::kFirmware;
  if (!firmware)
    a.insert(a.end(), {"-kernel", l.kernel, "-initrd", l.initrd, "-append", l.cmdline});
  if (firmware && !l.console_socket.empty())
    a.insert(a.end(), {"-chardev", "socket,id=con,path=" + l.console_socket});
  else
    a.insert(a.end(), {"-chardev", "file,id=con,path=" + l.console_log});
  a.insert(a.end(), {"-chardev", "socket,id=ctvm,path=" + l.channel_socket});
  if (firmware && !l.debugcon_socket.empty())
    a.insert(a.end(), {"-chardev", "socket,id=ctvdbg,path=" + l.debugcon_socket, "-device",
                       "isa-debugcon,iobase=0x402,chardev=ctvdbg"});
  if (kvm) a.insert(a.end(), {"-cpu", "host"});
  // ttyS0: the console. On microvm the machine's own isa-serial takes serial_hd(0).
  if (s.machine == Machine::kMicrovm)
    a.insert(a.end(), {"-serial", "chardev:con"});
  else
    a.insert(a.end(), {"-device", "isa-serial,chardev=con,index=0"});
  if (s.devices == DeviceModel::kEmulated) {
    a.insert(a.end(), {"-device", "isa-serial,chardev=ctvm,index=1"});
  } else {
    const char* bus = s.machine == Machine::kMicrovm ? "virtio-serial-device" : "virtio-serial-pci";
    a.insert(a.end(), {"-device", std::string(bus) + ",id=vser0,max_ports=1", "-device",
                       "virtconsole,chardev=ctvm,bus=vser0.0,nr=0"});
  }
  if (firmware && !l.boot_disk.empty()) {
    // The disk the firmware boots: on the bus a scratch disk would use (IDE on pc, AHCI on q35,
    // virtio-blk), its only boot device. cache=writeback: it is read once, at boot, through
    // SeaBIOS's and SYSLINUX's int 13h; the host's page cache is part of a warm boot.
    a.insert(a.end(), {"-drive", "file=" + OptionValue(l.boot_disk) +
                                     ",if=none,id=boot0,format=" + l.boot_disk_format +
                                     ",cache=writeback"});
    std::string dev = s.devices == DeviceModel::kVirtio ? "virtio-blk-pci" : "ide-hd,bus=ide.0";
    a.insert(a.end(), {"-device", dev + ",drive=boot0,bootindex=0"});
  }
  if (s.disk_mib > 0 && !l.disk.empty()) {
    a.insert(a.end(), {"-drive", "file=" + OptionValue(l.disk) +
                                     ",if=none,id=disk0,format=raw,cache=" + l.disk_cache});
    std::string dev;
    if (s.devices == DeviceModel::kVirtio)
      dev = s.machine == Machine::kMicrovm ? "virtio-blk-device" : "virtio-blk-pci";
    else  // ide.0: the PIIX IDE primary channel on pc, the AHCI's first port on q35
      dev = "ide-hd,bus=ide.0";
    a.insert(a.end(), {"-device", dev + ",drive=disk0"});
  }
  return a;
}

Result<std::string> FindQemu() {
  std::string q = FindInPath("qemu-system-x86_64");
  if (q.empty())
    return MakeError("find", "qemu-system-x86_64", "install the Debian package qemu-system-x86");
  return q;
}

}  // namespace ctv::vm
