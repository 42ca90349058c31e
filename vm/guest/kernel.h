// The guest kernel: finding one, reading its release, and unpacking the ELF a PVH boot needs.
//
// Why the uncompressed ELF: a bzImage decompresses itself inside the guest, which under TCG is
// most of the boot (XZ under emulation). QEMU can instead load the vmlinux ELF directly through
// its PVH entry point (Debian kernels have CONFIG_PVH=y); the ELF is the XZ stream embedded in the
// bzImage, decompressed once on the host and cached by the bzImage's content hash.
#pragma once

#include <string>

#include "core/error.h"

namespace ctv::vm {

struct KernelFile {
  std::string path;     // the bzImage
  std::string release;  // "6.1.0-56-amd64": what `uname -r` says in the guest
  std::string digest;   // sha256 of the bzImage
};

// Reads the release from the bzImage setup header (kernel_version string).
Result<std::string> ReadKernelRelease(const std::string& bzimage);

// PATH when given, else the newest /boot/vmlinuz-* whose modules are installed under
// `modules_root` (/lib/modules).
Result<KernelFile> FindKernel(const std::string& path,
                              const std::string& modules_root = "/lib/modules");

// Returns `cache_dir`/vmlinux-<digest prefix>, decompressing the bzImage's XZ payload into it
// first when absent. Fails (ENOEXEC) when the bzImage has no XZ payload or it is not an ELF.
Result<std::string> ExtractVmlinux(const KernelFile& kernel, const std::string& cache_dir);

}  // namespace ctv::vm
