#include "runtime/ns/namespaces.h"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <cstdlib>
#include <sstream>

#include "core/fd.h"

namespace ctv::ns {

const std::vector<Kind>& Kinds() {
  static const std::vector<Kind> kKinds = {
      {"pid", CLONE_NEWPID, "pid"},     {"mnt", CLONE_NEWNS, "mount"},
      {"uts", CLONE_NEWUTS, "uts"},     {"ipc", CLONE_NEWIPC, "ipc"},
      {"net", CLONE_NEWNET, "network"}, {"cgroup", CLONE_NEWCGROUP, "cgroup"},
      {"user", CLONE_NEWUSER, "user"},
  };
  return kKinds;
}

const Kind* FindKind(const std::string& name) {
  for (const Kind& k : Kinds())
    if (name == k.name || name == k.oci_type) return &k;
  return nullptr;
}

Result<int> ParseKinds(const std::string& list) {
  int flags = 0;
  std::istringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item.empty()) continue;
    const Kind* k = FindKind(item);
    if (!k)
      return MakeError("parse namespaces", item,
                       "unknown namespace (pid, mnt, uts, ipc, net, cgroup, user)");
    flags |= k->clone_flag;
  }
  return flags;
}

int DefaultFlags() {
  int f = 0;
  for (const Kind& k : Kinds())
    if (k.clone_flag != CLONE_NEWUSER) f |= k.clone_flag;
  return f;
}

const char* KindName(int clone_flag) {
  for (const Kind& k : Kinds())
    if (k.clone_flag == clone_flag) return k.name;
  return "?";
}

Result<Fd> OpenNamespace(const JoinSpec& j) {
  const std::string what = std::string("join ") + KindName(j.clone_flag) + " namespace";
  if (j.path.empty() || j.path[0] != '/')
    return MakeError(what, j.path, "the path must be absolute");
  Fd fd(::open(j.path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.Valid()) {
    if (errno == ENOENT) return MakeError(what, j.path, "does not exist");
    return ErrnoError(what, j.path);
  }
  int type = ::ioctl(fd.Get(), NS_GET_NSTYPE);
  if (type < 0) {
    // ENOTTY: an ordinary file (or a bind mount point whose namespace is gone).
    if (errno == ENOTTY || errno == EINVAL) return MakeError(what, j.path, "is not a namespace");
    return ErrnoError(what, j.path);
  }
  if (type != j.clone_flag)
    return MakeError(
        what, j.path,
        std::string("is a ") + KindName(type) + " namespace, not " + KindName(j.clone_flag));
  return fd;
}

Result<IdMap> ParseIdMap(const std::string& s) {
  IdMap m;
  char c1 = 0, c2 = 0;
  std::istringstream in(s);
  if (!(in >> m.inside >> c1 >> m.outside >> c2 >> m.count) || c1 != ':' || c2 != ':' ||
      m.count == 0 || !in.eof())
    return MakeError("parse id map", s, "expected INSIDE:OUTSIDE:COUNT, e.g. 0:100000:65536");
  return m;
}

std::string FormatIdMaps(const std::vector<IdMap>& maps) {
  std::string out;
  for (const IdMap& m : maps)
    out += std::to_string(m.inside) + " " + std::to_string(m.outside) + " " +
           std::to_string(m.count) + "\n";
  return out;
}

Status WriteIdMaps(pid_t pid, const std::vector<IdMap>& uid_maps,
                   const std::vector<IdMap>& gid_maps, bool deny_setgroups) {
  std::string base = "/proc/" + std::to_string(pid);
  // The map files accept exactly one write(2).
  auto put = [&](const std::string& file, const std::string& text) -> Status {
    Fd fd = CTV_TRY(OpenFile(base + "/" + file, O_WRONLY));
    return WriteAll(fd.Get(), text, base + "/" + file);
  };
  CTV_CHECK(put("uid_map", FormatIdMaps(uid_maps)));
  if (deny_setgroups) CTV_CHECK(put("setgroups", "deny"));
  CTV_CHECK(put("gid_map", FormatIdMaps(gid_maps)));
  return Ok();
}

}  // namespace ctv::ns
