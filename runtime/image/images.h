// Image records: which images the layer store holds layers for (`ctvrt images`, `ctvrt rmi`).
// A record <store>/images/<name>.json names the layout it came from and its layers; a layer is
// removed by rmi only when no other record uses it.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "runtime/image/store.h"

namespace ctv::image {

struct ImageRecord {
  std::string name;  // the user's reference ("/path/layout:tag")
  std::string layout_dir, ref, manifest_digest;
  std::vector<std::string> layers;
  int64_t unpacked_bytes = 0;
};

// Opens "DIR[:REF]", ensures its layers are in `store`, records it. Returns the image and the
// layer dirs (bottom first).
struct PreparedImage {
  Image image;
  std::vector<std::string> layer_dirs;
};
Result<PreparedImage> PrepareImage(LayerStore& store, const std::string& reference);
Result<std::vector<ImageRecord>> ListImages(const LayerStore& store);
// Removes the record and every layer no other record uses; appends removed layer digests.
Status RemoveImage(LayerStore& store, const std::string& reference,
                   std::vector<std::string>* removed_layers);
// Removes the records whose layout directory no longer holds an image (a deleted temp layout:
// the record could never be run again); appends a line per record. Layers are left in the store
// (a running container may still use them as lower dirs): `ctvrt rmi` removes an image's.
Status DropRecordsOfMissingLayouts(const LayerStore& store, std::vector<std::string>* removed);

}  // namespace ctv::image
