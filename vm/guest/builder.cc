#include "vm/guest/builder.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

#include "core/digest.h"
#include "core/fd.h"
#include "core/fs_tree.h"
#include "core/log.h"
#include "core/process.h"
#include "runtime/image/layout.h"
#include "vm/guest/initramfs.h"
#include "vm/guest/kernel.h"
#include "vm/guest/modules.h"

namespace ctv::vm {
namespace {

// Bump when the initramfs layout or ctv-init's contract changes in a way digests do not show.
constexpr const char* kBuilderVersion = "ctv-guest-1";

std::string Hex(const std::string& oci_digest, size_t n) {
  return oci_digest.substr(oci_digest.find(':') + 1, n);
}


}  // namespace

std::string DefaultInitBinary(const std::string& probe_path) {
  std::string dir = probe_path.empty() ? SelfDir() : probe_path.substr(0, probe_path.rfind('/'));
  return dir + "/ctv-init";
}

Result<Guest> BuildGuest(const GuestBuildOptions& o) {
  image::Image img = CTV_TRY(image::OpenImage(o.image_dir, o.image_ref));
  KernelFile kernel = CTV_TRY(FindKernel(o.kernel_path, o.modules_root));
  if (access(o.init_binary.c_str(), R_OK) != 0)
    return ErrnoError("find ctv-init", o.init_binary, "build the ctv-init target");
  std::string init_digest = CTV_TRY(Sha256OciOfFile(o.init_binary));
  std::string release_dir = o.modules_root + "/" + kernel.release;
  ModuleSet mods;
  if (o.no_modules) {
    // Everything built in: the initramfs carries no /lib/modules, and cannot carry more.
    if (!o.extra_modules.empty()) {
      errno = ENOENT;
      return ErrnoError("put kernel module " + o.extra_modules[0] + " into the guest of",
                        o.kernel_path, "that kernel has no modules (its drivers are built in)");
    }
  } else if (access((release_dir + "/modules.dep").c_str(), R_OK) == 0) {
    std::vector<std::string> names = kGuestModules;
    names.insert(names.end(), o.extra_modules.begin(), o.extra_modules.end());
    mods = CTV_TRY(ResolveModules(release_dir, names));
  } else if (!o.extra_modules.empty()) {
    errno = ENOENT;
    return ErrnoError(
        "find kernel modules for the guest in", release_dir,
        "the guest needs " + o.extra_modules[0] + " (install the kernel's modules, same version)");
  } else {
    // A kernel without installed modules (a custom --kernel) still boots with emulated devices;
    // devices=virtio then needs the virtio drivers built in (ctv-init skips built-in modules).
    Log(LogLevel::kWarn, "guest: no modules for kernel {} under {}; building without modules",
        kernel.release, o.modules_root);
  }

  Sha256 key;
  key.Update(kBuilderVersion);
  key.Update("\n" + img.manifest_descriptor.digest + "\n" + kernel.digest + "\n" + init_digest);
  for (const std::string& f : mods.files) key.Update("\n" + f);
  std::string k = Hex(key.FinishOci(), 24);

  CTV_CHECK(ctv::fs::MakeDirs(o.cache_dir));
  Guest g;
  g.key = k;
  g.bzimage = kernel.path;
  g.release = kernel.release;
  // The workload is the image's entrypoint (ctv-probe in the project's image).
  if (!img.config.entrypoint.empty() && !img.config.entrypoint[0].empty())
    g.probe_path = img.config.entrypoint[0];
  auto vmlinux = o.vmlinux_path.empty() ? ExtractVmlinux(kernel, o.cache_dir)
                                        : Result<std::string>(o.vmlinux_path);
  if (vmlinux) {
    g.vmlinux = *vmlinux;
  } else {
    // Not fatal: a bzImage boots everywhere, only slower.
    Log(LogLevel::kWarn, "guest: {}; booting the compressed kernel", vmlinux.error().ToString());
  }
  g.initrd = o.cache_dir + "/initrd-" + k + ".cpio";
  if (access(g.initrd.c_str(), R_OK) == 0) {
    g.cached = true;
    // A use refreshes its age: PruneCache spares what was used recently.
    (void)::utimensat(AT_FDCWD, g.initrd.c_str(), nullptr, 0);
    return g;
  }
  InitramfsInputs in;
  in.image = &img;
  in.init_binary = o.init_binary;
  in.modules_release_dir = release_dir;
  in.release = kernel.release;
  in.module_files = mods.files;
  in.modules_dep = mods.modules_dep;
  CTV_CHECK(WriteInitramfs(in, g.initrd));
  // Every image, kernel or ctv-init change makes a new initramfs. A prepared driver reopens its
  // file at each launch (libvirt, QEMU), so one made or used within the last hour is never pruned
  // (a run with boot-mode variants uses four or five at once: keeping only the newest 3 deleted
  // one a driver was still launching).
  PruneCache(o.cache_dir, "initrd-", ".cpio", 3);
  Log(LogLevel::kInfo, "guest: built {} (kernel {}, image {})", g.initrd, kernel.release,
      img.manifest_descriptor.digest);
  return g;
}

void PruneCache(const std::string& cache_dir, const std::string& prefix,
                const std::string& suffix, size_t keep) {
  auto names = ctv::fs::ListDir(cache_dir);
  if (!names) return;
  std::vector<std::pair<int64_t, std::string>> found;
  for (const std::string& n : *names) {
    if (!n.starts_with(prefix) || !n.ends_with(suffix)) continue;
    struct stat st;
    if (::stat((cache_dir + "/" + n).c_str(), &st) == 0)
      found.push_back(
          {static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec, n});
  }
  std::sort(found.rbegin(), found.rend());
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  const int64_t recent = (static_cast<int64_t>(now.tv_sec) - kPruneSpareSeconds) * 1000000000;
  for (size_t i = keep; i < found.size(); ++i)
    if (found[i].first < recent) ::unlink((cache_dir + "/" + found[i].second).c_str());
}

}  // namespace ctv::vm
