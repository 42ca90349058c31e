// A guest's scratch disk (VmSpec::disk_mib) for a libvirt daemon, whose QEMU may run on another
// host: a sparse raw volume in the guest files' pool (vm/libvirt/volumes.h, kPoolName), created
// through the connection and deleted with this object. Unlike the guest files it is not a cache:
// one volume per instance, named after it.
//
// Contract: Create needs the pool to exist (EnsureVolume made it for the guest's kernel first).
// The destructor (or Reset) deletes the volume. The vm driver resets it as soon as its domain
// started: QEMU holds the file open, so deleting it early means a killed harness leaves nothing
// in the pool (only a kill between Create and the domain's start leaves "<instance>-disk.raw").
#pragma once

#include <libvirt/libvirt.h>

#include <cstdint>
#include <string>
#include <utility>

#include "core/error.h"

namespace ctv::vm::lv {

class ScratchVolume {
 public:
  // Volume "<instance>-disk.raw" of `mib` MiB (allocation 0: sparse), replacing a leftover of
  // that name.
  static Result<ScratchVolume> Create(virConnectPtr conn, const std::string& instance,
                                      uint64_t mib);
  ScratchVolume() = default;
  ScratchVolume(ScratchVolume&& o) noexcept
      : vol_(std::exchange(o.vol_, nullptr)), path_(std::move(o.path_)) {}
  ScratchVolume& operator=(ScratchVolume&& o) noexcept;
  ScratchVolume(const ScratchVolume&) = delete;
  ScratchVolume& operator=(const ScratchVolume&) = delete;
  ~ScratchVolume() { Reset(); }

  // The volume's path on the daemon's host, for the domain XML.
  const std::string& Path() const { return path_; }
  explicit operator bool() const { return vol_ != nullptr; }
  // Deletes the volume (errors are logged: nothing a caller could do about them).
  void Reset();

 private:
  virStorageVolPtr vol_ = nullptr;
  std::string path_;
};

}  // namespace ctv::vm::lv
