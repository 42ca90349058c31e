#include "cli/progress.h"

#include <unistd.h>

#include <cstdio>

#include "core/clock.h"

namespace ctv::cli {

ProgressLine::ProgressLine(bool quiet)
    : enabled_(!quiet && ::isatty(2)), start_ns_(MonotonicNs()) {}

void ProgressLine::Update(const std::string& text) {
  if (!enabled_) return;
  int64_t now = MonotonicNs();
  if (now - start_ns_ < 2'000'000'000 || now - last_ns_ < 100'000'000) return;
  last_ns_ = now;
  std::fprintf(stderr, "\r\033[K%s", text.c_str());
  shown_ = true;
}

void ProgressLine::Clear() {
  if (!shown_) return;
  std::fprintf(stderr, "\r\033[K");
  shown_ = false;
}

}  // namespace ctv::cli
