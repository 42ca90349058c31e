#include "core/atomic_file.h"
#include "core/owned_dir.h"

#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>

#include "core/fault_point.h"
#include "core/fd.h"
#include "core/fs_tree.h"
#include "core/log.h"
#include "core/process.h"

namespace ctv {
namespace {

std::string RandomHex() {
  unsigned char b[8] = {};
  if (::getrandom(b, sizeof b, 0) != sizeof b) {  // never on Linux >= 3.17 with 8 bytes
    uint64_t v = static_cast<uint64_t>(::getpid()) * 0x9e3779b97f4a7c15ULL ^ ::time(nullptr);
    for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));
  }
  char out[17];
  for (int i = 0; i < 8; ++i) std::snprintf(out + 2 * i, 3, "%02x", b[i]);
  return out;
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

Result<OwnedTempDir> OwnedTempDir::Create(const std::string& parent, const std::string& prefix,
                                          const std::string& journal) {
  CTV_CHECK(fs::MakeDirs(journal, 0700));
  for (int attempt = 0; attempt < 16; ++attempt) {
    std::string name = prefix + RandomHex();
    OwnedTempDir d;
    d.entry_ = journal + "/" + name;
    if (fs::Exists(d.entry_)) continue;
    // Journal first: a crash before the mkdir leaves an entry without a directory (gc drops it),
    // never a directory without an entry.
    CTV_CHECK(WriteRuntimeStateFile(d.entry_, OwnerToken() + "\n" + parent + "/" + name + "\n", 0600));
    if (::mkdir((parent + "/" + name).c_str(), 0700) != 0) {
      int err = errno;
      ::unlink(d.entry_.c_str());
      d.entry_.clear();
      if (err == EEXIST) continue;  // someone else's: another name
      errno = err;
      return ErrnoError("create temp dir", parent + "/" + name);
    }
    d.path_ = parent + "/" + name;
    CTV_FAULT_POINT("core.owned_dir_made");
    return d;
  }
  return MakeError("create temp dir", parent + "/" + prefix + "*", "16 names taken");
}

OwnedTempDir::~OwnedTempDir() {
  if (path_.empty()) return;
  if (Status s = fs::RemoveTree(path_); !s) {
    // The entry stays: gc tries again once this process is gone.
    Log(LogLevel::kWarn, "remove temp dir {}: {}", path_, s.error().ToString());
    return;
  }
  ::unlink(entry_.c_str());
}

Status CollectDeadOwnedDirs(std::vector<std::string>* removed, const std::string& journal) {
  for (const std::string& name : CTV_TRY(fs::ListDir(journal))) {
    std::string entry = journal + "/" + name;
    if (name.find(".tmp.") != std::string::npos) continue;  // an entry being written
    auto text = ReadFile(entry);
    if (!text) continue;
    size_t nl = text->find('\n');
    if (nl == std::string::npos) continue;
    std::string token = text->substr(0, nl);
    std::string path = text->substr(nl + 1);
    while (!path.empty() && path.back() == '\n') path.pop_back();
    if (path.empty() || path[0] != '/' || BaseName(path) != name) continue;
    // "<pid> <start time>"; anything else is not ours to judge (OwnerAlive calls it dead).
    long pid = 0;
    unsigned long long start = 0;
    char rest = 0;
    if (std::sscanf(token.c_str(), "%ld %llu%c", &pid, &start, &rest) != 2 || pid <= 0) continue;
    if (OwnerAlive(token)) continue;
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()) continue;  // not what we made
      CTV_CHECK(fs::RemoveTree(path));
      removed->push_back("temp dir " + path);
    } else if (errno != ENOENT) {
      return ErrnoError("stat", path, "journaled in " + entry);
    }
    if (::unlink(entry.c_str()) != 0 && errno != ENOENT) return ErrnoError("unlink", entry);
  }
  return Ok();
}

}  // namespace ctv
