// Which kernel module files a guest needs: the named modules plus everything modules.dep says
// they depend on, and a modules.dep restricted to that set (what ctv-init reads in the guest).
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace ctv::vm {

// Modules every guest carries, so one cached guest serves every device model: the virtio
// transports (PCI for pc/q35, MMIO for microvm), the virtio console used as the paravirtual
// marker channel, and the paravirtual and emulated NICs.
inline const std::vector<std::string> kGuestModules = {
    "virtio_pci", "virtio_mmio", "virtio_console", "virtio_net", "virtio_blk", "e1000"};

struct ModuleSet {
  std::vector<std::string> files;  // relative to the release directory ("kernel/drivers/...ko")
  std::string modules_dep;         // modules.dep lines for exactly those files
};

// `release_dir` is /lib/modules/<release>. Errors name a module that is not there.
Result<ModuleSet> ResolveModules(const std::string& release_dir,
                                 const std::vector<std::string>& names);

}  // namespace ctv::vm
