// A single self-overwriting progress line on stderr, shown only on a terminal and only once the
// work has lasted ~2 s (short runs stay quiet; logs and CI output stay clean).
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
  bool shown_ = false;
  int64_t start_ns_;
  int64_t last_ns_ = 0;
};

}  // namespace ctv::cli
