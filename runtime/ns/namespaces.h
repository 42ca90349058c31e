// Namespaces: ONE table of the kinds ctvrt knows (name, clone flag, /proc/PID/ns file, OCI type),
// plus user-namespace id maps.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/fd.h"

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

// An existing namespace to join instead of creating one (OCI linux.namespaces[].path).
struct JoinSpec {
  int clone_flag = 0;  // CLONE_NEWNET...: the kind the path must be
  std::string path;    // absolute, in the runtime's mount namespace (/proc/PID/ns/net, a bind)
};
// Opens `j.path` and checks that it is a namespace of kind `j.clone_flag` (NS_GET_NSTYPE). The
// Error names the path: "does not exist", "is not a namespace", "is a uts namespace, not net".
Result<Fd> OpenNamespace(const JoinSpec& j);
// The kind's name for a CLONE_NEW* flag ("net"), "?" when unknown.
const char* KindName(int clone_flag);

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
