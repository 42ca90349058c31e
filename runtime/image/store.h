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
//  - Also refused: entries that are no valid UTF-8, that appear twice, that lie deeper than
//    kMaxEntryDepth directories or kMaxEntryPathBytes bytes, hard links whose target is no earlier
//    file of the layer or is reached through a symlink, any entry (whiteouts included) below a
//    symlink on disk (a hard link to a symlink counts), whiteouts naming "", "." or "..", a layer
//    whose headers claim more than max_unpacked_bytes, and a decompression bomb (more than
//    max_unpacked_bytes out, or more than max_expansion times the compressed bytes once past
//    kExpansionCheckAfter).
//  - setuid/setgid bits of non-directories and `security.capability` xattrs are stripped, not
//    kept: the store is world-readable (0755, so that user-namespaced containers reach it) and a
//    host user could otherwise run a setuid-root file of any image straight from it. The project's
//    images need none; an image that does (ping, sudo) loses that privilege inside ctvrt.
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

// Deeper entries are refused: no real image nests 256 directories, and deeper trees break tools
// that walk them with paths (PATH_MAX is 4096).
inline constexpr size_t kMaxEntryDepth = 256;
inline constexpr size_t kMaxEntryPathBytes = 4095;
// The expansion check starts once this much is unpacked: small layers may compress very well.
inline constexpr int64_t kExpansionCheckAfter = 64ll << 20;

struct UnpackOptions {
  bool allow_devices = false;  // block/char device nodes in a layer (never needed by our images)
  int64_t max_unpacked_bytes = 16ll << 30;  // declared and real bytes out of one layer
  // Real layers compress 2-10x; gzip's ceiling is ~1030x (runs of zeros).
  int64_t max_expansion = 100;
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
