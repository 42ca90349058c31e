// Progress on stderr once the work has lasted ~2 s (short runs stay quiet). On a terminal: one
// self-overwriting line. Elsewhere (a CI log, `2>file`): a plain line at most every 30 s, so a
// long run in a log still shows it is alive and how far it got, without flooding the log.
#pragma once

#include <cstdint>
#include <string>

namespace ctv::cli {

class ProgressLine {
 public:
  explicit ProgressLine(bool quiet);
  ~ProgressLine() { Clear(); }
  void Update(const std::string& text);
  void Clear();

 private:
  bool enabled_;
  bool terminal_;
  bool shown_ = false;
  int64_t start_ns_;
  int64_t last_ns_ = 0;
};

}  // namespace ctv::cli
