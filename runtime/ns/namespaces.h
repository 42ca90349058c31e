// Namespaces: ONE table of the kinds ctvrt knows (name, clone flag, /proc/PID/ns file, OCI type),
// plus user-namespace id maps.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"

namespace ctv::ns {

struct Kind {
  const char* name;      // "pid": the name used on the command line and in /proc/PID/ns/
  int clone_flag;        // CLONE_NEWPID
  const char* oci_type;  // "pid" (OCI runtime-spec linux.namespaces[].type)
};

// pid, mount, uts, ipc, net, cgroup, user, in the order they are listed.
const std::vector<Kind>& Kinds();
// Looks a kind up by its name or OCI type ("mnt" and "mount" both work).
const Kind* FindKind(const std::string& name);
// "pid,mnt,uts" -> CLONE_NEWPID|CLONE_NEWNS|CLONE_NEWUTS; Error names the unknown kind.
Result<int> ParseKinds(const std::string& comma_list);
// Every kind but user: what `ctvrt run` isolates by default.
int DefaultFlags();

struct IdMap {
  uint32_t inside = 0;
  uint32_t outside = 0;
  uint32_t count = 1;
};
// "0:100000:65536" -> {0, 100000, 65536}.
Result<IdMap> ParseIdMap(const std::string& s);
// The text of /proc/PID/uid_map ("0 100000 65536\n").
std::string FormatIdMaps(const std::vector<IdMap>& maps);
// Writes uid_map, "deny" to setgroups, and gid_map of `pid` (in that order: an unprivileged
// writer must deny setgroups before gid_map; it is harmless for root).
Status WriteIdMaps(pid_t pid, const std::vector<IdMap>& uid_maps,
                   const std::vector<IdMap>& gid_maps, bool deny_setgroups);

}  // namespace ctv::ns
