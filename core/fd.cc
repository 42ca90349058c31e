#include "core/fd.h"


#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace ctv {

void Fd::Reset(int fd) {
  if (fd_ >= 0) ::close(fd_);  // never retried: see the header
  fd_ = fd;
}

Result<PipePair> MakePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return ErrnoError("create pipe");
  return PipePair{Fd(fds[0]), Fd(fds[1])};
}

Result<Fd> OpenFile(const std::string& path, int flags, int mode) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoError("open", path);
  return Fd(fd);
}

Result<std::string> ReadFile(const std::string& path) {
  Fd fd = CTV_TRY(OpenFile(path, O_RDONLY));
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd.Get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("read", path);
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Status WriteAll(int fd, std::string_view data, const std::string& what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("write", what);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Ok();
}

Status WriteFile(const std::string& path, std::string_view data, int mode) {
  Fd fd = CTV_TRY(OpenFile(path, O_WRONLY | O_CREAT | O_TRUNC, mode));
  return WriteAll(fd.Get(), data, path);
}

}  // namespace ctv
