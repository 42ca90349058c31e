// `ctvbench gc` for VMs: removes what a crashed or killed run left behind.
//
// Contract: only state whose owner (the ctvbench process that created it, see vm/state.h) is
// gone is touched, so gc is safe while another run is in progress. It kills leftover QEMU
// processes (found by their pidfile and, for a missing pidfile, by a /proc scan for QEMUs whose
// command line names a path under the state root), destroys and undefines leftover `ctv*`
// domains of the embedded libvirt and their machine cgroups (named after the embedded root's
// hash: RemoveLibvirtMachineCgroups), and removes instance directories.
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
// below), <hash> being the first 8 hex digits of the SHA-256 of the embedded driver's root
// (libvirt's virDomainDriverGenerateRootHash), so the name says which embedded root made it. It
// removes a domain's group when it stops the domain itself; a killed harness leaves it, and the
// "machine" parent stays after every run. This removes the empty groups of `ctv*` domains of the
// embedded root `embed_root` (a path, as in vm::lv::EmbedUri) only: another embedded libvirt's
// groups (another state dir, another tool), and a daemon's ("qemu-<n>-<name>"), are never
// touched, whatever their domain's name. Then each "machine" parent that is left empty (libvirt
// makes it again when it next starts a domain). Groups with processes are never touched (rmdir
// refuses). Nothing when `embed_root` is empty (a daemon URI: the daemon cleans up).
void RemoveLibvirtMachineCgroups(const std::string& embed_root, std::vector<std::string>* removed);

// "qemu-embed-<hash>-": the start of the machine group names of embedded root `embed_root`.
std::string MachineGroupPrefix(const std::string& embed_root);

}  // namespace ctv::vm
