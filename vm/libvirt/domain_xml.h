// Libvirt domain XML for a VmSpec: the same guest the direct QEMU driver runs (vm/qemu/argv.h),
// expressed for libvirt, plus what only libvirt offers here: <cputune> (CPU quota, the VM
// analogue of `--cpus 0.5`) and <memtune> (host-side memory hard limit).
#pragma once

#include <string>

#include "vm/spec.h"

namespace ctv::vm {

// How the guest console (ttyS0) and the marker channel reach the harness.
enum class CharTransport {
  // Files of this host: the console to `console_log`, markers to `channel_socket`, which QEMU
  // connects to. For the embedded driver, whose QEMU runs here as root.
  kLocalFiles,
  // `pty` devices with the aliases kConsoleAlias / kMarkerAlias, read through the libvirt
  // connection (lv::StreamBridge). For daemons, local (qemu:///system) or on another host
  // (qemu+ssh://): nothing but the connection has to reach this host.
  kLibvirtStreams,
};

// User aliases ("ua-" prefix) of the two character devices under kLibvirtStreams.
inline constexpr char kConsoleAlias[] = "ua-ctvconsole";
inline constexpr char kMarkerAlias[] = "ua-ctvmarker";

struct DomainLaunch {
  // "" = the daemon's default emulator for the architecture (a remote host's QEMU may live
  // elsewhere than ours).
  std::string emulator;
  std::string kernel;  // paths as QEMU's host sees them (storage volumes for daemons)
  std::string initrd;
  std::string cmdline;
  CharTransport transport = CharTransport::kLocalFiles;
  std::string console_log;     // kLocalFiles: ttyS0 -> this file
  std::string channel_socket;  // kLocalFiles: marker channel; QEMU connects (mode='connect')
  // Run QEMU as root:root without relabelling (a static DAC <seclabel>), as the embedded driver's
  // qemu.conf does: for daemons, whose QEMUs otherwise run as their own user (libvirt-qemu on
  // Debian). The same user as the other drivers' QEMU keeps the figures comparable, and the
  // shared cached kernel and initramfs volumes are not chowned to and fro by each domain.
  bool qemu_as_root = false;
  // The scratch disk when VmSpec::disk_mib > 0: a file, or a storage volume's path for daemons,
  // as QEMU's host sees it; opened raw with this cache mode (vm/disk.h says why "none").
  std::string disk;
  std::string disk_cache = "none";
  // boot=firmware (kLocalFiles only): the boot disk instead of kernel/initrd/cmdline, the console
  // on a unix socket instead of console_log, and SeaBIOS's debug port (isa-debugcon, which libvirt
  // has no element for: <qemu:commandline>) on another; QEMU connects to both.
  std::string boot_disk;
  std::string boot_disk_format = "raw";  // "qcow2" for the distro guest's overlay
  std::string console_socket;
  std::string debugcon_socket;
};

// libvirt's QEMU namespace (<qemu:capabilities>, <qemu:commandline>).
inline constexpr char kQemuXmlNamespace[] = "http://libvirt.org/schemas/domain/qemu/1.0";

// `accel` kKvm gives <domain type='kvm'> with host-passthrough CPU, kTcg <domain type='qemu'>.
// Every domain drops libvirt's "cpu-unavailable-features" capability (<qemu:capabilities>) so
// that libvirt reads the started guest's CPU back in 2 QMP calls instead of ~400; see the .cc.
// A scratch disk (spec with a disk, `l.disk` set) is a <disk> on bus ide (pc), sata (q35) or
// virtio, as DiskModelName says.
std::string DomainXml(const VmSpec& s, Accel accel, const DomainLaunch& l);


}  // namespace ctv::vm
