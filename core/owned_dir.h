// Scratch directories a crashed run cannot leak: each is recorded, before it exists, in an
// ownership journal (one file per directory holding "<owner token>\n<path>\n", the owner token
// being core's OwnerToken: pid and start time), so `ctvbench gc` removes the directories of
// owners that are gone (a SIGKILLed run) and leaves a live run's alone.
//
// For directories that cannot live under the run's state dir: a suite's volume must sit on a
// real disk (the cgroup suite's io case reads through a block device's limit), while the state
// dir is often a tmpfs.
//
// Contract:
//  - Create makes "<parent>/<prefix><16 hex>" (mode 0700, random name, mkdir fails on anything
//    already there, so a planted symlink is never followed) after writing its journal entry; a
//    crash between the two leaves an entry without a directory, which gc drops.
//  - The object removes the tree (never crossing into another mount, fs::RemoveTree) and then
//    its entry when it dies.
//  - CollectDeadOwnedDirs removes, for each entry whose owner is dead, the directory it names
//    and then the entry; only an absolute path whose last component is the entry's name and
//    that is a real directory (not a symlink) owned by gc's own user. An entry it cannot read or
//    parse counts as alive: gc never takes what it cannot attribute.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/error.h"

namespace ctv {

// The host-wide journal (like the scratch network namespaces' one: suites do not know the
// run's --state-dir, and /tmp is host-wide too).
inline constexpr const char* kOwnedDirJournal = "/run/ctvbench/scratch-dirs";

class OwnedTempDir {
 public:
  // `journal`: the journal directory (tests use their own).
  static Result<OwnedTempDir> Create(const std::string& parent, const std::string& prefix,
                                     const std::string& journal = kOwnedDirJournal);
  OwnedTempDir(OwnedTempDir&& o) noexcept
      : path_(std::exchange(o.path_, {})), entry_(std::exchange(o.entry_, {})) {}
  OwnedTempDir& operator=(OwnedTempDir&&) = delete;
  OwnedTempDir(const OwnedTempDir&) = delete;
  ~OwnedTempDir();

  const std::string& Path() const { return path_; }
  const std::string& JournalEntry() const { return entry_; }

 private:
  OwnedTempDir() = default;
  std::string path_, entry_;
};

// For `ctvbench gc`: removes the directories (and then the entries) of dead owners; one line per
// directory in `removed` ("temp dir /tmp/ctvcg-io-...").
Status CollectDeadOwnedDirs(std::vector<std::string>* removed,
                            const std::string& journal = kOwnedDirJournal);

}  // namespace ctv
