// `ctvbench gc` for VMs: removes what a crashed or killed run left behind.
//
// Contract: only state whose owner (the ctvbench process that created it, see vm/state.h) is
// gone is touched, so gc is safe while another run is in progress. It kills leftover QEMU
// processes (found by their pidfile and, for a missing pidfile, by a /proc scan for QEMUs whose
// command line names a path under the state root), destroys and undefines leftover `ctv*`
// domains of the embedded libvirt, and removes instance directories. The guest cache stays.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace ctv::vm {

// `state_root` is the VM state root (/run/ctvbench/vm). `removed` (optional) receives one line
// per thing removed ("qemu pid 1234", "domain ctv-x", "/run/ctvbench/vm/inst/ctv-x-1-0").
Status CollectGarbage(const std::string& state_root, std::vector<std::string>* removed);

}  // namespace ctv::vm
