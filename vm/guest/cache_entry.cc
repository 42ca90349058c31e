#include "vm/guest/cache_entry.h"

#include <sys/stat.h>

#include <cstdint>

#include "core/fd.h"
#include "core/fs_tree.h"
#include "core/text.h"

namespace ctv::vm {

std::string NewestCompleteEntry(const std::string& root,
                                const std::map<std::string, std::string>& files) {
  auto names = ctv::fs::ListDir(root);
  if (!names) return "";
  std::string best;
  int64_t best_ns = -1;
  for (const std::string& n : *names) {
    if (n.empty() || n[0] == '.') continue;  // .lock, .build-* (in progress)
    std::string dir = root + "/" + n;
    struct stat st;
    if (::stat((dir + "/complete").c_str(), &st) != 0) continue;
    bool match = true;
    for (const auto& [file, value] : files) {
      auto got = ReadFile(dir + "/" + file);
      match = match && got && Trim(*got) == value;
    }
    int64_t ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    if (!match || ns <= best_ns) continue;
    best = dir;
    best_ns = ns;
  }
  return best;
}

}  // namespace ctv::vm
