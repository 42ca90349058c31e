#include "runtime/user/lookup.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "core/fd.h"
#include "runtime/fs/in_root.h"

namespace ctv::runtime::user {
namespace {

constexpr size_t kMaxFile = 4 << 20;  // a passwd file larger than this is not one

struct PasswdEntry {
  std::string name;
  uint32_t uid = 0, gid = 0;
  std::string home;
};
struct GroupEntry {
  std::string name;
  uint32_t gid = 0;
  std::vector<std::string> members;
};

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t i = 0;
  for (;;) {
    size_t j = s.find(sep, i);
    out.push_back(s.substr(i, j == std::string::npos ? std::string::npos : j - i));
    if (j == std::string::npos) return out;
    i = j + 1;
  }
}

// A decimal id below 2^32 - 1 (which is the kernel's "no id").
std::optional<uint32_t> ParseId(const std::string& s) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v >= 0xffffffffull) return std::nullopt;
  return static_cast<uint32_t>(v);
}

// Lines that do not parse (comments, NIS "+" entries, garbage) are skipped, like libc does.
std::vector<PasswdEntry> ParsePasswd(const std::string& text) {
  std::vector<PasswdEntry> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f = Split(line, ':');
    if (f.size() < 7 || f[0].empty()) continue;
    auto uid = ParseId(f[2]);
    auto gid = ParseId(f[3]);
    if (!uid || !gid) continue;
    out.push_back({f[0], *uid, *gid, f[5]});
  }
  return out;
}

std::vector<GroupEntry> ParseGroup(const std::string& text) {
  std::vector<GroupEntry> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f = Split(line, ':');
    if (f.size() < 4 || f[0].empty()) continue;
    auto gid = ParseId(f[2]);
    if (!gid) continue;
    GroupEntry g{f[0], *gid, {}};
    if (!f[3].empty()) g.members = Split(f[3], ',');
    out.push_back(std::move(g));
  }
  return out;
}


Result<std::string> ReadAll(int fd, const std::string& what) {
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("read", what);
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > kMaxFile) return MakeError("read", what, "larger than 4 MiB");
  }
}

bool IsWhiteout(const struct stat& st) {
  return S_ISCHR(st.st_mode) && major(st.st_rdev) == 0 && minor(st.st_rdev) == 0;
}

bool IsOpaque(const std::string& dir) {
  char v[2] = {};
  return ::lgetxattr(dir.c_str(), "trusted.overlay.opaque", v, sizeof v) == 1 && v[0] == 'y';
}

}  // namespace

Result<ExecUser> Resolve(const std::string& spec, const std::optional<std::string>& passwd,
                         const std::optional<std::string>& group, const std::string& where) {
  size_t colon = spec.find(':');
  std::string user_part = spec.substr(0, colon);
  std::string group_part = colon == std::string::npos ? "" : spec.substr(colon + 1);
  if (user_part.empty() || (colon != std::string::npos && group_part.empty()))
    return MakeError("resolve user", spec, "expected USER[:GROUP] (names or numeric ids)");
  std::vector<PasswdEntry> users = passwd ? ParsePasswd(*passwd) : std::vector<PasswdEntry>{};
  ExecUser u;
  const PasswdEntry* entry = nullptr;
  if (auto uid = ParseId(user_part)) {
    u.uid = *uid;
    u.gid = *uid;
    for (const PasswdEntry& e : users)
      if (e.uid == *uid) {
        entry = &e;
        break;
      }
  } else {
    if (!passwd)
      return MakeError("resolve user", user_part,
                       "/etc/passwd does not exist in " + where + " (use a numeric uid)");
    for (const PasswdEntry& e : users)
      if (e.name == user_part) {
        entry = &e;
        break;
      }
    if (!entry)
      return MakeError("resolve user", user_part, "no such user in /etc/passwd of " + where);
    u.uid = entry->uid;
  }
  if (entry) {
    u.gid = entry->gid;
    if (!entry->home.empty()) u.home = entry->home;
  }
  std::vector<GroupEntry> groups = group ? ParseGroup(*group) : std::vector<GroupEntry>{};
  if (!group_part.empty()) {
    if (auto gid = ParseId(group_part)) {
      u.gid = *gid;
    } else {
      if (!group)
        return MakeError("resolve group", group_part,
                         "/etc/group does not exist in " + where + " (use a numeric gid)");
      const GroupEntry* g = nullptr;
      for (const GroupEntry& e : groups)
        if (e.name == group_part) {
          g = &e;
          break;
        }
      if (!g)
        return MakeError("resolve group", group_part, "no such group in /etc/group of " + where);
      u.gid = g->gid;
    }
  }
  if (entry) {
    for (const GroupEntry& g : groups) {
      bool member = false;
      for (const std::string& m : g.members) member |= m == entry->name;
      bool dup = g.gid == u.gid;
      for (uint32_t x : u.groups) dup |= x == g.gid;
      if (member && !dup) u.groups.push_back(g.gid);
    }
  }
  return u;
}

Result<std::optional<std::string>> ReadInRoot(int root_fd, const std::string& rel) {
  Fd fd(fs::OpenInRoot(root_fd, rel.c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK));
  if (!fd.Valid()) {
    if (errno == ENOENT || errno == ENOTDIR) return std::optional<std::string>();
    return ErrnoError("open in the container's root", rel);
  }
  struct stat st;
  if (::fstat(fd.Get(), &st) != 0) return ErrnoError("stat", rel);
  if (!S_ISREG(st.st_mode)) return MakeError("read", rel, "not a regular file");
  return std::optional<std::string>(CTV_TRY(ReadAll(fd.Get(), rel)));
}

Result<std::optional<std::string>> ReadInLayers(const std::vector<std::string>& layers,
                                                const std::string& rel) {
  std::vector<std::string> parts = Split(rel, '/');
  for (auto layer = layers.rbegin(); layer != layers.rend(); ++layer) {
    // Ancestors first: a whiteout or a non-directory hides the file in every lower layer, an
    // opaque directory hides the lower layers' contents of that directory.
    std::string path = *layer;
    bool present = true, opaque = false;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      path += "/" + parts[i];
      struct stat st;
      if (::lstat(path.c_str(), &st) != 0) {
        present = false;
        break;
      }
      if (IsWhiteout(st) || !S_ISDIR(st.st_mode)) return std::optional<std::string>();
      opaque |= IsOpaque(path);
    }
    if (present) {
      path += "/" + parts.back();
      struct stat st;
      if (::lstat(path.c_str(), &st) == 0) {
        if (IsWhiteout(st)) return std::optional<std::string>();
        Fd root(::open(layer->c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!root.Valid()) return ErrnoError("open image layer", *layer);
        return ReadInRoot(root.Get(), rel);
      }
    }
    if (opaque) return std::optional<std::string>();
  }
  return std::optional<std::string>();
}

Result<ExecUser> ResolveInRoot(const std::string& spec, int root_fd, const std::string& where) {
  auto passwd = CTV_TRY(ReadInRoot(root_fd, "etc/passwd"));
  auto group = CTV_TRY(ReadInRoot(root_fd, "etc/group"));
  return Resolve(spec, passwd, group, where);
}

Result<ExecUser> ResolveInLayers(const std::string& spec, const std::vector<std::string>& layers,
                                 const std::string& where) {
  auto passwd = CTV_TRY(ReadInLayers(layers, "etc/passwd"));
  auto group = CTV_TRY(ReadInLayers(layers, "etc/group"));
  return Resolve(spec, passwd, group, where);
}

void SetHomeIfUnset(const ExecUser& u, std::vector<std::string>* env) {
  for (const std::string& e : *env)
    if (e.rfind("HOME=", 0) == 0) return;
  env->push_back("HOME=" + u.home);
}

}  // namespace ctv::runtime::user
