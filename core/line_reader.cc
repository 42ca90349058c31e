#include "core/line_reader.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

#include "core/clock.h"
#include "core/interrupt.h"

namespace ctv {

Result<std::optional<TimedLine>> LineReader::Next(std::chrono::milliseconds timeout) {
  int64_t deadline = MonotonicNs() + timeout.count() * 1'000'000;
  int64_t arrived = MonotonicNs();
  for (;;) {
    size_t nl = buf_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return std::optional<TimedLine>{TimedLine{std::move(line), arrived}};
    }
    if (eof_) {
      if (buf_.empty()) return std::optional<TimedLine>{};
      std::string line = std::move(buf_);
      buf_.clear();
      return std::optional<TimedLine>{TimedLine{std::move(line), arrived}};
    }
    int64_t left_ms = (deadline - MonotonicNs()) / 1'000'000;
    if (left_ms < 0) {
      errno = ETIMEDOUT;
      return ErrnoError("wait for a line", "", "nothing after " +
                                                   std::to_string(timeout.count()) + " ms");
    }
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left_ms));
    if (r < 0 && errno == EINTR) {
      if (Interrupted()) {
        errno = ECANCELED;
        return ErrnoError("wait for a line", "", "interrupted");
      }
      continue;
    }
    if (r < 0) return ErrnoError("poll");
    if (r == 0) continue;  // the deadline check above reports the timeout
    char tmp[4096];
    ssize_t n = ::read(fd_, tmp, sizeof tmp);
    arrived = MonotonicNs();
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return ErrnoError("read");
    if (n == 0) {
      eof_ = true;
      continue;
    }
    buf_.append(tmp, static_cast<size_t>(n));
  }
}

}  // namespace ctv
