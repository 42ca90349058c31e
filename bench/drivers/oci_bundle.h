// The project's image (bench/image/probe_image.h) as OCI runtime bundles, for the runc, crun and
// runsc drivers.
//
// Rootfs: an overlay mount per instance, not a copy. The image's layers are unpacked once into
// ctvrt's layer store (runtime/image/store.h, shared with the ctvrt driver, so both run the very
// same files) plus the store's init layer (mount points proc, dev, sys); each instance gets
// "<bundle>/rootfs" = overlay(lower = those layers, upper/work in the instance's own directory),
// writable like a ctvrt container's root. Nothing is copied, and an instance's writes vanish
// with it.
//
// Ownership: ExportImage makes the directory "<driver dir>/bundle-<digest12>/" (digest12 = the
// first 12 hex digits of the image's manifest digest). An InstanceBundle owns its directory
// "<bundle dir>/<id>/" (config.json, rootfs, upper, work, owner) and its overlay mount: its
// destructor unmounts (lazily if still busy) and removes the directory, whatever step Create
// failed at. The mount is made in the harness's mount namespace (so `ctvbench gc` can find a
// leftover in /proc/self/mountinfo); a runtime's container only holds its own copy of it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bench/drivers/oci_config.h"
#include "core/error.h"

namespace ctv::bench {

struct ExportedImage {
  std::string bundle_root;              // "<driver dir>/bundle-<digest12>"
  std::string manifest_digest;          // "sha256:..."
  std::vector<std::string> layer_dirs;  // bottom first; the store's init layer last
  std::vector<std::string> env;         // the image config's Env
};

// Unpacks (first use) the image at `image_dir` into the layer store at `store_root` and makes
// the bundle directory under `driver_dir`. Cheap when everything is there already.
Result<ExportedImage> ExportImage(const std::string& image_dir, const std::string& store_root,
                                  const std::string& driver_dir);

class InstanceBundle {
 public:
  // Makes "<image.bundle_root>/<id>" (EEXIST if it exists: the caller picks another id), its
  // owner file, the overlay rootfs and config.json from `config`.
  static Result<std::unique_ptr<InstanceBundle>> Create(const ExportedImage& image,
                                                        const std::string& id,
                                                        const OciConfigSpec& config);
  ~InstanceBundle();
  InstanceBundle(const InstanceBundle&) = delete;
  InstanceBundle& operator=(const InstanceBundle&) = delete;

  const std::string& Dir() const { return dir_; }
  std::string Rootfs() const { return dir_ + "/rootfs"; }

 private:
  explicit InstanceBundle(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
  bool made_ = false;  // the directory is ours to remove
};

}  // namespace ctv::bench
