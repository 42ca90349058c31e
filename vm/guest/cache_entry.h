// The per-machine build caches of guest parts (scripts/build-guest-kernel, scripts/build-distro-
// guest): one directory per build under a root, marked usable by a `complete` file and keyed by
// files the build wrote (the recipe's sha256, the kernel release). One lookup for all of them.
#pragma once

#include <map>
#include <string>

namespace ctv::vm {

// The newest (by `complete`'s mtime) entry directory of `root` whose every `files` key holds
// exactly its value (whitespace trimmed); "" when none. Names starting with '.' (locks, builds
// in progress) are never entries.
std::string NewestCompleteEntry(const std::string& root,
                                const std::map<std::string, std::string>& files);

}  // namespace ctv::vm
