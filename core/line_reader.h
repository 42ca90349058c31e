// Reads newline-terminated lines from a descriptor with a deadline, timestamping each line with the
// host's monotonic clock the moment it is read. Used to see a workload's markers ("CTV-READY ...")
// arrive over a pipe (host, container) or a serial/virtio socket (VM).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/error.h"

namespace ctv {

struct TimedLine {
  std::string text;     // without the trailing newline (and without a trailing '\r')
  int64_t arrived_ns;   // MonotonicNs() when the read that completed the line returned
};

class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}  // does not own fd
  // The next line, or nullopt at end of file. Error on timeout (ETIMEDOUT) or read failure.
  Result<std::optional<TimedLine>> Next(std::chrono::milliseconds timeout);
  // Whatever is buffered but not yet terminated by a newline.
  const std::string& Pending() const { return buf_; }

 private:
  int fd_;
  std::string buf_;
  bool eof_ = false;
};

}  // namespace ctv
