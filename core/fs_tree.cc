#include "core/fs_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "core/fd.h"

namespace ctv::fs {
namespace {

// Removes the contents of directory `dfd` (on device `dev`); `path` is for messages only.
Status RemoveContents(int dfd, dev_t dev, const std::string& path) {
  int dup_fd = ::fcntl(dfd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return ErrnoError("dup", path);
  DIR* dir = ::fdopendir(dup_fd);
  if (!dir) {
    ::close(dup_fd);
    return ErrnoError("opendir", path);
  }
  std::vector<std::pair<std::string, bool>> entries;
  while (dirent* e = ::readdir(dir)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    entries.emplace_back(name, e->d_type == DT_DIR);
  }
  ::closedir(dir);
  for (auto& [name, is_dir] : entries) {
    std::string child = path + "/" + name;
    struct stat st;
    if (::fstatat(dfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      return ErrnoError("stat", child);
    }
    if (S_ISDIR(st.st_mode)) {
      if (st.st_dev != dev) return Error{EBUSY, "remove", child, "a mount point is in the way"};
      Fd sub(::openat(dfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub.Valid()) return ErrnoError("open", child);
      CTV_CHECK(RemoveContents(sub.Get(), dev, child));
      if (::unlinkat(dfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
        return ErrnoError("rmdir", child);
    } else if (::unlinkat(dfd, name.c_str(), 0) != 0 && errno != ENOENT) {
      return ErrnoError("unlink", child);
    }
  }
  return Ok();
}

}  // namespace

Status MakeDirs(const std::string& path, int mode) {
  if (path.empty()) return Ok();
  std::string cur;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    cur = path.substr(0, pos);
    if (cur.empty()) continue;
    if (::mkdir(cur.c_str(), mode) != 0 && errno != EEXIST) return ErrnoError("mkdir", cur);
  }
  return Ok();
}

Status RemoveTree(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Ok();
    return ErrnoError("stat", path);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoError("unlink", path);
    return Ok();
  }
  Fd dfd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dfd.Valid()) return ErrnoError("open", path);
  CTV_CHECK(RemoveContents(dfd.Get(), st.st_dev, path));
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT) return ErrnoError("rmdir", path);
  return Ok();
}

Result<std::string> MakeTempDir(const std::string& parent, const std::string& prefix) {
  CTV_CHECK(MakeDirs(parent, 0700));
  std::string tmpl = parent + "/" + prefix + "XXXXXX";
  if (!::mkdtemp(tmpl.data())) return ErrnoError("mkdtemp", tmpl);
  return tmpl;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
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

std::string UnescapeMountinfo(const std::string& field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      int v = 0;
      bool ok = true;
      for (size_t k = 1; k <= 3; ++k) {
        char c = field[i + k];
        if (c < '0' || c > '7') ok = false;
        v = v * 8 + (c - '0');
      }
      if (ok) {
        out.push_back(static_cast<char>(v));
        i += 3;
        continue;
      }
    }
    out.push_back(field[i]);
  }
  return out;
}

Result<uint64_t> DiskUsage(const std::string& path) {
  struct stat root;
  if (::lstat(path.c_str(), &root) != 0) return Error{errno, "lstat", path};
  uint64_t total = 0;
  std::vector<std::string> todo{path};
  while (!todo.empty()) {
    std::string dir = std::move(todo.back());
    todo.pop_back();
    struct stat st;
    if (::lstat(dir.c_str(), &st) != 0 || st.st_dev != root.st_dev) continue;
    total += static_cast<uint64_t>(st.st_blocks) * 512;
    if (!S_ISDIR(st.st_mode)) continue;
    for (std::string& name : CTV_TRY(ListDir(dir))) todo.push_back(dir + "/" + name);
  }
  return total;
}

}  // namespace ctv::fs
