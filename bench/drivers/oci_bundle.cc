#include "bench/drivers/oci_bundle.h"

#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>

#include "bench/drivers/peer_common.h"
#include "core/fd.h"
#include "core/fs_tree.h"
#include "runtime/image/images.h"
#include "runtime/image/store.h"

namespace ctv::bench {

Result<ExportedImage> ExportImage(const std::string& image_dir, const std::string& store_root,
                                  const std::string& driver_dir) {
  image::LayerStore store(store_root);
  auto img = CTV_TRY(image::PrepareImage(store, image_dir));
  ExportedImage out;
  out.manifest_digest = img.image.manifest_descriptor.digest;
  std::string hex = out.manifest_digest.substr(out.manifest_digest.find(':') + 1);
  out.bundle_root = driver_dir + "/bundle-" + hex.substr(0, 12);
  out.layer_dirs = img.layer_dirs;
  out.layer_dirs.push_back(CTV_TRY(store.EnsureInitLayer()));
  out.env = img.image.config.env;
  CTV_CHECK(fs::MakeDirs(out.bundle_root, 0711));
  return out;
}

Result<std::unique_ptr<InstanceBundle>> InstanceBundle::Create(const ExportedImage& image,
                                                               const std::string& id,
                                                               const OciConfigSpec& config) {
  std::string dir = image.bundle_root + "/" + id;
  CTV_CHECK(fs::MakeDirs(image.bundle_root, 0711));
  if (::mkdir(dir.c_str(), 0711) != 0) return ErrnoError("create bundle directory", dir);
  std::unique_ptr<InstanceBundle> b(new InstanceBundle(dir));
  b->made_ = true;
  CTV_CHECK(peers::WriteOwner(dir));
  for (const char* sub : {"upper", "work", "rootfs"})
    if (::mkdir((dir + "/" + sub).c_str(), 0755) != 0)
      return ErrnoError("create bundle directory", dir + "/" + sub);
  // overlayfs lists lowerdirs top first; images list layers bottom first.
  std::string lower;
  for (auto it = image.layer_dirs.rbegin(); it != image.layer_dirs.rend(); ++it)
    lower += (lower.empty() ? "" : ":") + *it;
  std::string data = "lowerdir=" + lower + ",upperdir=" + dir + "/upper,workdir=" + dir + "/work";
  if (::mount("overlay", b->Rootfs().c_str(), "overlay", 0, data.c_str()) != 0)
    return ErrnoError("mount overlay on", b->Rootfs());
  CTV_CHECK(WriteFile(dir + "/config.json", RenderOciConfig(config).dump(1) + "\n"));
  return b;
}

InstanceBundle::~InstanceBundle() {
  if (!made_) return;
  (void)peers::UnmountUnder(dir_, nullptr);
  (void)fs::RemoveTree(dir_);
}

}  // namespace ctv::bench
