// Test support: tar archives written the way a hostile layer would write them, entry by entry,
// with what the project's own LayerWriter never produces (`..`, absolute names, device nodes,
// setuid bits, xattrs, duplicates, raw bytes in names, a header that lies about its size).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ctv::testing {

struct RawEntry {
  std::string path;
  mode_t type = 0100000;  // AE_IFREG
  std::string data;
  std::string symlink, hardlink;
  mode_t perm = 0;  // 0: 0755 for directories, 0644 otherwise
  std::map<std::string, std::string> xattrs;
};

// A pax tar (gzip-compressed when `gzip`) built with libarchive, entries as given.
std::string RawTar(const std::vector<RawEntry>& entries, bool gzip = false);

// One ustar header block for a regular file `name` (<= 100 bytes, copied byte for byte) whose
// size field says `declared_size` (base-256 when it does not fit in octal), followed by `data`
// padded to a block, and the two end-of-archive blocks. The header may lie: `data` need not be
// `declared_size` bytes.
std::string UstarFile(const std::string& name, uint64_t declared_size, const std::string& data);

// `tar` compressed with gzip (libarchive's raw filter).
std::string Gzip(const std::string& tar);

}  // namespace ctv::testing
