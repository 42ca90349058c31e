// AtomicFile: a file that appears at its path whole or not at all, written through a temp copy
// that cannot outlive a killed writer.
//
//   AtomicFile f = CTV_TRY(AtomicFile::Create("/run/ctvbench/net/state.json", 0600));
//   CTV_CHECK(WriteAll(f.Get(), text, f.Path()));
//   CTV_CHECK(f.Commit());
//
// Contract:
//  - Create opens an unnamed file in the target's directory (open(dir, O_TMPFILE)): until
//    Commit it has no name, so a SIGKILL, an OOM kill or a power cut of the writer leaves nothing
//    behind, and there is nothing for a gc to sweep.
//  - Commit fsyncs it (Durability::kDurable; kRuntimeState skips that, see below), gives it a temp
//    name of this writer's own ("<path>.tmp.<pid>.<n>", so
//    concurrent writers of one path never rename each other's file) with linkat(/proc/self/fd/N)
//    and renames that over the path: the named window is two system calls long. A reader sees
//    the old file or the new one, never a part. The old file stays intact until the rename.
//  - A filesystem that refuses O_TMPFILE (EOPNOTSUPP: vfat, some FUSE and network filesystems)
//    gets the named temp file from the start instead (Unnamed() false); it is unlinked on every
//    failure and when the object dies uncommitted, but a SIGKILL before Commit leaves it.
//  - Errors name the caller's path and the cause (ENOSPC, EROFS...).
//  - The fault point "core.atomic_file_written" sits after the data is written and synced,
//    before the file is linked: a test kills the writer there (core/fault_point.h).
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "core/fd.h"

namespace ctv {

// Whether a committed file must survive a power cut.
enum class Durability {
  // Synced before it is named: after a crash of the machine the path holds the old data or the
  // new. For what outlives a reboot: images, results, exports.
  kDurable,
  // Not synced: a reader still sees the old file or the new one (rename), but after a power cut
  // the file may be empty. For runtime state (a container's state.json, the network state, pid
  // files, journals of live objects), which a reboot makes meaningless anyway: nothing it
  // describes survives one, and `gc` drops what it names. runc does not sync its state either.
  // An fsync on a disk-backed /run cost ~1 ms each, two or more per `ctvrt run` (issue 17).
  // An existing regular file is replaced by an exchange (renameat2 RENAME_EXCHANGE) and the old
  // data, now under the temp name, unlinked: ext4 (auto_da_alloc, its default) starts writeback
  // of the new file on a rename over an existing one, ~0.1 ms here, and not on an exchange. A
  // SIGKILL between the two calls leaves the temp name, holding the old data.
  kRuntimeState,
};

class AtomicFile {
 public:
  static Result<AtomicFile> Create(const std::string& path, int mode = 0644,
                                   Durability durability = Durability::kDurable);
  AtomicFile(AtomicFile&& o) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  AtomicFile(const AtomicFile&) = delete;
  ~AtomicFile();

  int Get() const { return fd_.Get(); }
  const std::string& Path() const { return path_; }
  // True when the data has no name until Commit (O_TMPFILE); false on the named fallback.
  bool Unnamed() const { return temp_.empty(); }
  // fsync (kDurable), link under a temp name, rename over Path(). Once only; the descriptor is
  // closed.
  Status Commit();

 private:
  AtomicFile() = default;
  std::string path_;
  std::string temp_;  // the named fallback's temp file; empty for an unnamed one
  Fd fd_;
  bool done_ = false;
  Durability durability_ = Durability::kDurable;
};

// WriteFileAtomic (core/fd.h) without the fsync: Durability::kRuntimeState.
Status WriteRuntimeStateFile(const std::string& path, std::string_view data, int mode = 0600);

}  // namespace ctv
