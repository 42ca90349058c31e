#include "runtime/ns/namespaces.h"

#include <fcntl.h>
#include <sched.h>

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
