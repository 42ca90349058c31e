#include "core/atomic_file.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <utility>

#include "core/fault_point.h"
#include "core/fd.h"

namespace ctv {
namespace {

// "<path>.tmp.<pid>.<n>": unique per writer process and call.
std::string TempName(const std::string& path) {
  static std::atomic<unsigned> seq{0};
  return path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(seq++);
}

std::string DirOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// The error `e` with the caller's file named, so a failure on the temp copy says which file it
// was for.
Error ForPath(Error e, const std::string& path) {
  if (e.path != path) e.context += (e.context.empty() ? "" : "; ") + std::string("writing ") + path;
  return e;
}

}  // namespace

AtomicFile::AtomicFile(AtomicFile&& o) noexcept
    : path_(std::move(o.path_)),
      temp_(std::move(o.temp_)),
      fd_(std::move(o.fd_)),
      done_(o.done_),
      durability_(o.durability_) {
  o.done_ = true;
}

AtomicFile::~AtomicFile() {
  if (!done_ && !temp_.empty()) ::unlink(temp_.c_str());
}

Result<AtomicFile> AtomicFile::Create(const std::string& path, int mode, Durability durability) {
  AtomicFile f;
  f.path_ = path;
  f.durability_ = durability;
  int fd = ::open(DirOf(path).c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
  // EOPNOTSUPP: this filesystem has no unnamed files; EISDIR: a kernel without O_TMPFILE.
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR)) {
    f.temp_ = TempName(path);
    fd = ::open(f.temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
      Error e = ErrnoError("create", f.temp_);
      f.temp_.clear();  // not ours to unlink: we did not create it
      return ForPath(std::move(e), path);
    }
  } else if (fd < 0) {
    return ErrnoError("create", path, "an unnamed file in " + DirOf(path));
  }
  f.fd_ = Fd(fd);
  return f;
}

Status AtomicFile::Commit() {
  if (done_ || !fd_.Valid()) return MakeError("commit", path_, "already committed");
  done_ = true;
  // A named fallback is unlinked on every failure below (the destructor no longer will).
  auto fail = [this](Error e) -> Error {
    if (!temp_.empty()) ::unlink(temp_.c_str());
    return ForPath(std::move(e), path_);
  };
  // Durable before it has a name: after a power cut the path holds the old data or the new.
  if (durability_ == Durability::kDurable && ::fsync(fd_.Get()) != 0)
    return fail(ErrnoError("fsync", path_));
  CTV_FAULT_POINT("core.atomic_file_written");
  std::string named = temp_;
  if (named.empty()) {
    named = TempName(path_);
    char proc[64];
    std::snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd_.Get());
    // linkat cannot replace an existing file: a temp name, then rename, as on the fallback.
    if (::linkat(AT_FDCWD, proc, AT_FDCWD, named.c_str(), AT_SYMLINK_FOLLOW) != 0)
      return fail(ErrnoError("link", named, "the unnamed file " + std::string(proc)));
  }
  fd_.Reset();
  // Runtime state replaces an existing regular file by an exchange (see Durability).
  struct stat old;
  if (durability_ == Durability::kRuntimeState && ::lstat(path_.c_str(), &old) == 0 &&
      S_ISREG(old.st_mode) &&
      ::renameat2(AT_FDCWD, named.c_str(), AT_FDCWD, path_.c_str(), RENAME_EXCHANGE) == 0) {
    ::unlink(named.c_str());  // the old data
    return Ok();
  }
  if (::rename(named.c_str(), path_.c_str()) != 0) {
    Error e = ErrnoError("rename", named, "to " + path_);
    ::unlink(named.c_str());
    return ForPath(std::move(e), path_);
  }
  return Ok();
}

namespace {

Status WriteWhole(const std::string& path, std::string_view data, int mode, Durability d) {
  // A failed write (ENOSPC on a full disk, EROFS) leaves the target unchanged and no temp file
  // (core/atomic_file.h), and the error names the file the caller asked for.
  AtomicFile f = CTV_TRY(AtomicFile::Create(path, mode, d));
  CTV_CHECK(WriteAll(f.Get(), data, path));
  return f.Commit();
}

}  // namespace

Status WriteFileAtomic(const std::string& path, std::string_view data, int mode) {
  return WriteWhole(path, data, mode, Durability::kDurable);
}

Status WriteRuntimeStateFile(const std::string& path, std::string_view data, int mode) {
  return WriteWhole(path, data, mode, Durability::kRuntimeState);
}

}  // namespace ctv
