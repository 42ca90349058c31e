// The qemu-system-x86_64 command line for a VmSpec: the direct QEMU driver's whole
// configuration, and the reference the libvirt domain XML mirrors.
#pragma once

#include <string>
#include <vector>

#include "vm/spec.h"

namespace ctv::vm {

struct QemuLaunch {
  std::string qemu = "qemu-system-x86_64";
  std::string kernel;  // vmlinux (PVH) or bzImage
  std::string initrd;
  std::string cmdline;         // KernelCmdline()
  std::string console_log;     // guest console (ttyS0) goes to this file
  std::string channel_socket;  // MarkerChannel path; QEMU connects to it
  std::string pidfile;         // QEMU writes its pid here (what `ctvbench gc` reads)
};

// `accel` must be kKvm or kTcg (resolved, not kAuto).
std::vector<std::string> QemuArgv(const VmSpec& s, Accel accel, const QemuLaunch& l);

}  // namespace ctv::vm
