#include "vm/fsutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace ctv::vm {

Status MkdirAll(const std::string& path, int mode) {
  if (path.empty()) return Ok();
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i != path.size() && path[i] != '/') continue;
    std::string part = path.substr(0, i);
    if (::mkdir(part.c_str(), mode) != 0 && errno != EEXIST) return ErrnoError("mkdir", part);
  }
  return Ok();
}

Status RemoveAll(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Ok();
    return ErrnoError("stat", path);
  }
  if (S_ISDIR(st.st_mode)) {
    auto names = CTV_TRY(ListDir(path));
    for (const std::string& n : names) CTV_CHECK(RemoveAll(path + "/" + n));
    if (::rmdir(path.c_str()) != 0 && errno != ENOENT) return ErrnoError("rmdir", path);
  } else if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoError("unlink", path);
  }
  return Ok();
}

Result<std::vector<std::string>> ListDir(const std::string& path) {
  std::vector<std::string> out;
  DIR* d = ::opendir(path.c_str());
  if (!d) {
    if (errno == ENOENT) return out;
    return ErrnoError("list directory", path);
  }
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  ::closedir(d);
  return out;
}

}  // namespace ctv::vm
