#include "core/markup.h"
#include "vm/libvirt/domain_xml.h"

#include <cmath>

namespace ctv::vm {
namespace {

std::string MarkerAlias(const DomainLaunch& l) {
  if (l.transport != CharTransport::kLibvirtStreams) return "";
  return std::string("      <alias name='") + kMarkerAlias + "'/>\n";
}

}  // namespace

std::string DomainXml(const VmSpec& s, Accel accel, const DomainLaunch& l) {
  bool kvm = accel == Accel::kKvm;
  std::string x;
  // The qemu namespace is for <qemu:capabilities> below.
  x += std::string("<domain type='") + (kvm ? "kvm" : "qemu") + "' xmlns:qemu='" +
       kQemuXmlNamespace + "'>\n";
  x += "  <name>" + EscapeMarkup(s.name) + "</name>\n";
  x += "  <memory unit='MiB'>" + std::to_string(s.memory_mib) + "</memory>\n";
  x += "  <vcpu placement='static'>" + std::to_string(s.vcpus) + "</vcpu>\n";
  if (s.cpu_quota) {
    // quota/period per vCPU thread: with one vCPU, quota = cpus * period caps the guest at that
    // fraction of a host core; with N vCPUs the per-vCPU share is cpus / N.
    const long period = 100000;
    long quota = std::lround(*s.cpu_quota * period / s.vcpus);
    if (quota < 1000) quota = 1000;  // libvirt's minimum
    x += "  <cputune>\n    <period>" + std::to_string(period) + "</period>\n    <quota>" +
         std::to_string(quota) + "</quota>\n  </cputune>\n";
  }
  if (s.memory_limit_bytes) {
    x += "  <memtune>\n    <hard_limit unit='KiB'>" +
         std::to_string((*s.memory_limit_bytes + 1023) / 1024) + "</hard_limit>\n  </memtune>\n";
  }
  x += "  <os>\n";
  x += "    <type arch='x86_64' machine='" + MachineName(s.machine) + "'>hvm</type>\n";
  const bool firmware = s.boot == BootMode::kFirmware;
  if (firmware) {
    x += "    <boot dev='hd'/>\n";  // SeaBIOS (libvirt's default firmware for pc/q35) boots it
  } else {
    x += "    <kernel>" + EscapeMarkup(l.kernel) + "</kernel>\n";
    x += "    <initrd>" + EscapeMarkup(l.initrd) + "</initrd>\n";
    x += "    <cmdline>" + EscapeMarkup(l.cmdline) + "</cmdline>\n";
  }
  x += "  </os>\n";
  x += "  <features>\n    <acpi/>\n  </features>\n";
  // No <cpu> under TCG: libvirt picks qemu64, QEMU's own default, the CPU the qemu driver's guest
  // gets. (How libvirt reads that CPU back after start: <qemu:capabilities> below.)
  if (kvm) x += "  <cpu mode='host-passthrough'/>\n";
  x += "  <clock offset='utc'/>\n";
  // The guest powers off after the workload: the domain must go with it (libvirt runs QEMU with
  // -no-shutdown and acts on the power-off event).
  x += "  <on_poweroff>destroy</on_poweroff>\n";
  x += "  <on_reboot>destroy</on_reboot>\n";
  x += "  <on_crash>destroy</on_crash>\n";
  x += "  <devices>\n";
  if (!l.emulator.empty()) x += "    <emulator>" + EscapeMarkup(l.emulator) + "</emulator>\n";
  // The marker device: a second UART (emulated) or a virtio console.
  auto marker = [&](const std::string& type, const std::string& source) {
    if (s.devices == DeviceModel::kEmulated)
      return "    <serial type='" + type + "'>\n" + source +
             "      <target type='isa-serial' port='1'/>\n" + MarkerAlias(l) + "    </serial>\n";
    return "    <console type='" + type + "'>\n" + source +
           "      <target type='virtio' port='0'/>\n" + MarkerAlias(l) + "    </console>\n";
  };
  if (l.transport == CharTransport::kLocalFiles && firmware && !l.console_socket.empty()) {
    x += "    <serial type='unix'>\n      <source mode='connect' path='" +
         EscapeMarkup(l.console_socket) +
         "'/>\n      <target type='isa-serial' port='0'/>\n    </serial>\n";
    x += marker("unix",
                "      <source mode='connect' path='" + EscapeMarkup(l.channel_socket) + "'/>\n");
  } else if (l.transport == CharTransport::kLocalFiles) {
    x += "    <serial type='file'>\n      <source path='" + EscapeMarkup(l.console_log) +
         "'/>\n      <target type='isa-serial' port='0'/>\n    </serial>\n";
    x += marker("unix",
                "      <source mode='connect' path='" + EscapeMarkup(l.channel_socket) + "'/>\n");
  } else {
    x += std::string("    <serial type='pty'>\n      <target type='isa-serial' port='0'/>\n") +
         "      <alias name='" + kConsoleAlias + "'/>\n    </serial>\n";
    x += marker("pty", "");
  }
  if (firmware && !l.boot_disk.empty()) {
    // The boot disk on the bus a scratch disk would use; cache=writeback as in vm/qemu/argv.cc.
    std::string target = s.devices == DeviceModel::kVirtio ? "dev='vda' bus='virtio'"
                         : s.machine == Machine::kQ35      ? "dev='sda' bus='sata'"
                                                           : "dev='hda' bus='ide'";
    x += "    <disk type='file' device='disk'>\n      <driver name='qemu' type='" +
         EscapeMarkup(l.boot_disk_format) + "' cache='writeback'/>\n      <source file='" +
         EscapeMarkup(l.boot_disk) + "'/>\n      <target " + target + "/>\n    </disk>\n";
  }
  if (s.disk_mib > 0 && !l.disk.empty()) {
    // libvirt adds the controller: the machine's own PIIX IDE (pc) or ICH9 AHCI (q35).
    std::string target = s.devices == DeviceModel::kVirtio ? "dev='vda' bus='virtio'"
                         : s.machine == Machine::kQ35      ? "dev='sda' bus='sata'"
                                                           : "dev='hda' bus='ide'";
    x += "    <disk type='file' device='disk'>\n      <driver name='qemu' type='raw' cache='" +
         EscapeMarkup(l.disk_cache) + "'/>\n      <source file='" + EscapeMarkup(l.disk) +
         "'/>\n      <target " + target + "/>\n    </disk>\n";
  }
  // Nothing libvirt would add by default that the guest does not use.
  x += "    <controller type='usb' model='none'/>\n";
  x += "    <memballoon model='none'/>\n";
  x += "  </devices>\n";
  // relabel='no': the guest's files stay as they are, as for the qemu driver's QEMU.
  if (l.qemu_as_root)
    x += "  <seclabel type='static' model='dac' relabel='no'>\n"
         "    <label>+0:+0</label>\n"
         "  </seclabel>\n";
  // After QEMU starts (paused), libvirt reads the guest CPU back to verify it and to record it in
  // the live XML (qemu_process.c qemuProcessUpdateAndVerifyCPU -> qemuProcessFetchGuestCPU). With
  // the capability "cpu-unavailable-features" (QEMU >= 4.1 has it) libvirt 9.0 takes its generic
  // path: qom-list of the vCPU, then one qom-get per boolean property (~400 QMP round trips,
  // 0.15-0.5 s here, half or more of libvirt's start cost), and no XML setting skips it on x86
  // (check='none' and mode='maximum' do not). Without the capability it takes its x86 path: two
  // qom-get (feature-words, filtered-features), same verification, same live CPU. QEMU's command
  // line and the guest do not change. libvirt documents <qemu:capabilities> as meant for testing
  // and marks the domain tainted ("custom-hypervisor-feature"); vm/README.md has the figures.
  x += "  <qemu:capabilities>\n";
  x += "    <qemu:del capability='cpu-unavailable-features'/>\n";
  x += "  </qemu:capabilities>\n";
  if (firmware && !l.debugcon_socket.empty()) {
    // SeaBIOS's debug port (its POST log, and the line before it jumps to the MBR): no libvirt
    // element exists for isa-debugcon, so it is passed through to QEMU as the qemu driver does.
    x += "  <qemu:commandline>\n";
    for (const std::string& a :
         {std::string("-chardev"), "socket,id=ctvdbg,path=" + l.debugcon_socket,
          std::string("-device"), std::string("isa-debugcon,iobase=0x402,chardev=ctvdbg")})
      x += "    <qemu:arg value='" + EscapeMarkup(a) + "'/>\n";
    x += "  </qemu:commandline>\n";
  }
  x += "</domain>\n";
  return x;
}

}  // namespace ctv::vm
