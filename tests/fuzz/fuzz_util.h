// Shared by the libFuzzer targets (tests/fuzz/README.md): a scratch directory per process, in
// $CTV_FUZZ_SCRATCH when set (scripts/fuzz points it at a /dev/shm dir it removes, so a crash
// leaves nothing), else under /dev/shm; removed at a normal exit.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "core/fs_tree.h"

namespace ctv::fuzz {

inline const std::string& ScratchDir() {
  static const std::string dir = [] {
    const char* parent = ::getenv("CTV_FUZZ_SCRATCH");
    std::string tmpl = std::string(parent && *parent ? parent : "/dev/shm") + "/ctvfuzz-XXXXXX";
    if (!::mkdtemp(tmpl.data())) ::abort();  // never fall back to a directory we did not make
    static std::string keep = tmpl;
    ::atexit([] { (void)fs::RemoveTree(keep); });
    return keep;
  }();
  return dir;
}

}  // namespace ctv::fuzz
