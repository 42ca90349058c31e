// `ctvbench gc` for VMs: removes what a crashed or killed run left behind.
//
// Contract: only state whose owner (the ctvbench process that created it, see vm/state.h) is
// gone is touched, so gc is safe while another run is in progress. It kills leftover QEMU
// processes (found by their pidfile and, for a missing pidfile, by a /proc scan for QEMUs whose
// command line names a path under the state root), destroys and undefines leftover `ctv*`
// domains of the embedded libvirt and their machine cgroups, and removes instance directories.
// The guest cache stays.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace ctv::vm {

// `state_root` is the VM state root (/run/ctvbench/vm). `removed` (optional) receives one line
// per thing removed ("qemu pid 1234", "domain ctv-x", "/run/ctvbench/vm/inst/ctv-x-1-0").
Status CollectGarbage(const std::string& state_root, std::vector<std::string>* removed);

// libvirt puts each QEMU in a "machine" cgroup of every hierarchy:
// <hierarchy>/machine/qemu-embed-<hash>-<n>-<domain>.libvirt-qemu (with emulator/ and vcpuN/
// below). It removes a domain's group when it stops the domain itself; a killed harness leaves
// it, and the "machine" parent stays after every run. This removes the empty groups of `ctv*`
// domains of embedded drivers, then each "machine" parent that is left empty (libvirt makes it
// again when it next starts a domain). Groups with processes are never touched (rmdir refuses).
void RemoveLibvirtMachineCgroups(std::vector<std::string>* removed);

}  // namespace ctv::vm
