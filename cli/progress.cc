#include "cli/progress.h"

#include <unistd.h>

#include <cstdio>

#include "core/clock.h"

namespace ctv::cli {

ProgressLine::ProgressLine(bool quiet)
    : enabled_(!quiet), terminal_(::isatty(2) == 1), start_ns_(MonotonicNs()) {}

void ProgressLine::Update(const std::string& text) {
  if (!enabled_) return;
  int64_t now = MonotonicNs();
  const int64_t every_ns = terminal_ ? 100'000'000 : 30'000'000'000;
  if (now - start_ns_ < 2'000'000'000 || (last_ns_ != 0 && now - last_ns_ < every_ns)) return;
  last_ns_ = now;
  if (!terminal_) {
    std::fprintf(stderr, "progress: %s\n", text.c_str());
    return;
  }
  std::fprintf(stderr, "\r\033[K%s", text.c_str());
  shown_ = true;
}

void ProgressLine::Clear() {
  if (!shown_) return;
  std::fprintf(stderr, "\r\033[K");
  shown_ = false;
}

}  // namespace ctv::cli
