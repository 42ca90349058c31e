// Layer store: every OCI layer is unpacked once into a content-addressed directory
// (<root>/layers/sha256/<hex>) that all containers share read-only as overlay lowerdirs.
//
// Contract:
//  - A layer's blob is verified (size + sha256, VerifyBlob) before a byte of it is extracted.
//  - Unpacking happens in <root>/tmp/ and the result is renamed into place only on success, so
//    the cache never holds a half-unpacked layer; on failure the temp dir is removed.
//  - Hostile entries are refused with an Error naming the layer and the entry: absolute paths,
//    `..` components, hard links outside the layer, relative symlinks whose target climbs out of
//    the layer, block/char device nodes, truncated or corrupt archives.
//  - OCI whiteouts are converted to overlayfs' own format at unpack time: `.wh.NAME` becomes a
//    0:0 character device NAME, `.wh..wh..opq` sets trusted.overlay.opaque=y on its directory.
//    (Only root may create either; the unit tests that need this skip without root.)
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "runtime/image/layout.h"

namespace ctv::image {

inline constexpr const char* kDefaultStoreRoot = "/var/lib/ctvbench";

struct UnpackOptions {
  bool allow_devices = false;  // block/char device nodes in a layer (never needed by our images)
};

class LayerStore {
 public:
  explicit LayerStore(std::string root = kDefaultStoreRoot) : root_(std::move(root)) {}

  // The directory of a layer in the cache (it may not exist yet).
  std::string LayerDir(const std::string& digest) const;
  // Ensures the layer is in the cache (verify + unpack on first use); returns its directory.
  Result<std::string> EnsureLayer(const std::string& layout_dir, const Descriptor& layer,
                                  const UnpackOptions& options = {});
  // Ensures every layer of `image`; returns the directories bottom layer first.
  Result<std::vector<std::string>> EnsureImage(const Image& image,
                                               const UnpackOptions& options = {});
  // A tiny read-only layer with the mount points every container needs (proc, dev, sys), used
  // as the topmost lowerdir (Docker's "init layer"): images without them (ours) would otherwise
  // have them created in each container's upper dir, on every launch, and removed again.
  Result<std::string> EnsureInitLayer();
  // Digests of the layers in the cache.
  Result<std::vector<std::string>> ListLayers() const;
  // Removes one layer from the cache (caller ensures no container uses it).
  Status RemoveLayer(const std::string& digest);
  // Removes leftovers of interrupted unpacks (<root>/tmp/*); appends what it removed.
  Status CollectGarbage(std::vector<std::string>* removed);
  const std::string& Root() const { return root_; }

 private:
  std::string root_;
};

// Unpacks one layer blob (gzip or plain tar) into an existing empty directory `dest`, applying
// the checks above. Exposed for tests; EnsureLayer is the normal entry point.
Status UnpackLayer(const std::string& blob_path, const std::string& dest,
                   const UnpackOptions& options, const std::string& what);

}  // namespace ctv::image
