// Directory-tree helpers: the one mkdir -p, rm -r, temp dir and listing used by every directory
// (runtime state and image store, VM instance dirs and caches, reports).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"

namespace ctv::fs {

// mkdir -p with `mode` for the directories it creates.
Status MakeDirs(const std::string& path, int mode = 0755);
// rm -rf that never crosses into another mount (a bind mount left inside the tree stays untouched
// and makes the removal fail with EBUSY rather than deleting a volume's contents). Absent is fine.
Status RemoveTree(const std::string& path);
// A fresh directory "<parent>/<prefix>XXXXXX".
Result<std::string> MakeTempDir(const std::string& parent, const std::string& prefix);
bool Exists(const std::string& path);
// A path field of /proc/PID/mountinfo as it really is: the kernel writes space, tab, newline and
// backslash as octal escapes (\040...). The one mountinfo unescaper.
std::string UnescapeMountinfo(const std::string& field);
// Bytes a tree takes on its file system (st_blocks of every entry, the root included, without
// crossing into another mount): what `du -s --block-size=1 -x` says.
Result<uint64_t> DiskUsage(const std::string& path);
// Names in a directory, without "." and ".."; a missing directory gives an empty list.
Result<std::vector<std::string>> ListDir(const std::string& path);

}  // namespace ctv::fs
