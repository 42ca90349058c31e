#include "core/error.h"

#include <cerrno>
#include <cstring>

namespace ctv {

std::string Error::ToString() const {
  std::string s = op;
  if (!path.empty()) s += (s.empty() ? "`" : " `") + path + "`";
  if (code != 0) {
    const char* name = strerrordesc_np(code) ? strerrorname_np(code) : nullptr;
    s += ": ";
    s += name ? name : ("errno " + std::to_string(code));
    s += " (" + std::string(strerror(code)) + ")";
  }
  if (!context.empty()) s += (s.empty() ? "" : ": ") + context;
  return s;
}

Error ErrnoError(std::string op, std::string path, std::string context) {
  return Error{errno, std::move(op), std::move(path), std::move(context)};
}

Error MakeError(std::string op, std::string path, std::string context) {
  return Error{0, std::move(op), std::move(path), std::move(context)};
}

}  // namespace ctv
