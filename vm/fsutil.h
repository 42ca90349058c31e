// Small filesystem helpers for vm/: directory trees the VM drivers create and remove.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace ctv::vm {

// mkdir -p; existing directories are fine.
Status MkdirAll(const std::string& path, int mode = 0755);
// rm -rf without following symlinks; a missing path is fine.
Status RemoveAll(const std::string& path);
// Names in a directory (no "." or ".."); a missing directory gives an empty list.
Result<std::vector<std::string>> ListDir(const std::string& path);

}  // namespace ctv::vm
