// Builds one OCI layer (a tar stream) from a list of entries, reproducibly: entries are written in
// the given order with owner 0:0 and a fixed mtime, and gzip carries no timestamp, so the same
// inputs always give the same digests (which is what lets layers be shared and cached).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"

namespace ctv::image {

struct LayerEntry {
  enum class Type { kDirectory, kFile, kSymlink };
  Type type = Type::kFile;
  std::string path;         // relative, no leading '/' ("bin/busybox")
  uint32_t mode = 0755;     // permission bits
  std::string source_file;  // kFile: host file to copy, or...
  std::string data;         // ...kFile: literal content when source_file is empty
  std::string link_target;  // kSymlink
};

struct BuiltLayer {
  std::string tar;     // uncompressed: its sha256 is the config's diff_id
  std::string tar_gz;  // the blob stored in the layout
};

// `mtime` is the timestamp stored on every entry (SOURCE_DATE_EPOCH convention).
Result<BuiltLayer> BuildLayer(const std::vector<LayerEntry>& entries, int64_t mtime = 0);

}  // namespace ctv::image
