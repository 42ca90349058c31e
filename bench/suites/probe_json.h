// The JSON objects a ctv-probe run printed: measuring modes print one object per line (syscall
// prints one per op); anything else in the output (devwrite's lines, a guest's console noise) is
// skipped.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ctv::bench {

inline std::vector<nlohmann::json> ProbeJsonLines(const std::string& out) {
  std::vector<nlohmann::json> lines;
  size_t start = 0;
  while (start < out.size()) {
    size_t end = out.find('\n', start);
    if (end == std::string::npos) end = out.size();
    if (out.compare(start, 1, "{") == 0) {
      auto j = nlohmann::json::parse(out.substr(start, end - start), nullptr, false);
      if (!j.is_discarded() && j.is_object()) lines.push_back(std::move(j));
    }
    start = end + 1;
  }
  return lines;
}

}  // namespace ctv::bench
