// What both VM drivers do before their first instance: build (or find) the guest, and turn the
// requested accelerator into the one that will really be used.
#pragma once

#include <string>
#include <vector>

#include "bench/driver.h"
#include "core/error.h"
#include "vm/accel.h"
#include "vm/guest/builder.h"

namespace ctv::vm {

// Driver-wide settings, given by the CLI (`--kernel`, `--libvirt-uri`) or a test.
struct VmDriverConfig {
  std::string kernel;       // bzImage; "" = newest /boot/vmlinuz-* with modules installed
  std::string libvirt_uri;  // "" = qemu:///embed?root=<state>/libvirt (libvirt driver only)
  // Kernel modules every guest of the driver carries and loads at boot, after the marker
  // channel's (e.g. "overlay" to run containers inside the guest). Empty for benchmark guests,
  // whose initramfs and boot stay exactly as without this field.
  std::vector<std::string> guest_modules;
};

struct ResolvedAccel {
  Accel accel = Accel::kTcg;  // kKvm or kTcg
  std::string note;           // e.g. "auto: KVM not usable (...); using TCG"
};

// kKvm and kTcg are taken as asked. kAuto probes KVM (ProbeKvm with a boot probe of `kernel`,
// bounded by a timeout) once per process and kernel, and falls back to TCG saying why.
ResolvedAccel ResolveAccel(Accel requested, const std::string& kernel);

// What `accel=auto` instances will use, for Driver::Check(): "tcg" at once when KVM is absent or
// known unusable (kvm_pvm with a stock kernel); when KVM looks usable, the answer of the (cached)
// boot probe of `kernel`, so a figure is never labelled kvm on a host where KVM cannot boot it.
std::string ExpectedAccelerator(const std::string& kernel = "", std::string* why = nullptr);

// Implemented by VM instances: the accelerator this instance really runs with ("kvm"/"tcg") and
// how it was chosen. `dynamic_cast<const vm::VmInstanceInfo*>(instance)`.
class VmInstanceInfo {
 public:
  virtual ~VmInstanceInfo() = default;
  virtual std::string Accelerator() const = 0;
  virtual std::string AcceleratorNote() const = 0;
  // The scratch disk's QEMU cache mode ("none", "writeback"; "" without a disk) and why it is
  // not "none" ("" when it is). See vm/disk.h.
  virtual std::string DiskCache() const { return ""; }
  virtual std::string DiskCacheNote() const { return ""; }
};

// Builds the guest for a driver context (image, probe and ctv-init next to it, state root cache).
Result<Guest> PrepareGuest(const bench::DriverContext& ctx, const VmDriverConfig& config);

// qemu-system-x86_64 in PATH, or an Error saying which package provides it.
Result<std::string> FindQemu();

}  // namespace ctv::vm
