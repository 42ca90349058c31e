// Fd: a move-only owner of one file descriptor.
//
// Contract: the destructor closes the descriptor exactly once and never retries close() (on Linux
// the descriptor is gone even when close reports EINTR; retrying could close someone else's).
// Every descriptor ctvbench opens is O_CLOEXEC, so none leaks into a container or a QEMU.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "core/error.h"

namespace ctv {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.Release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) Reset(other.Release());
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }

  int Get() const { return fd_; }
  bool Valid() const { return fd_ >= 0; }
  int Release() { return std::exchange(fd_, -1); }
  void Reset(int fd = -1);

 private:
  int fd_ = -1;
};

struct PipePair {
  Fd read;
  Fd write;
};
// pipe2(O_CLOEXEC).
Result<PipePair> MakePipe();

// open(path, flags | O_CLOEXEC, mode).
Result<Fd> OpenFile(const std::string& path, int flags, int mode = 0644);

// Whole-file helpers; errors name the path.
Result<std::string> ReadFile(const std::string& path);
Status WriteFile(const std::string& path, std::string_view data, int mode = 0644);
// Whole or not at all, through an AtomicFile (core/atomic_file.h): readers never see a
// half-written file, and a killed writer leaves no temp file.
Status WriteFileAtomic(const std::string& path, std::string_view data, int mode = 0644);
// write() until done, retrying EINTR and short writes.
Status WriteAll(int fd, std::string_view data, const std::string& what);

}  // namespace ctv
