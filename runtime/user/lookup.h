// User and group names -> ids, read from the CONTAINER's /etc/passwd and /etc/group (never the
// host's), for `ctvrt run --user NAME[:GROUP]` and `ctvrt exec --user`.
//
// Contract: Resolve is pure (file contents in, ids out), so it is unit-tested on strings. The
// readers open the files inside the container's root without following a symlink out of it
// (openat2 RESOLVE_IN_ROOT), whether the root is a directory (a bundle's rootfs, or "/" of a
// running container's mount namespace) or a stack of image layers read the way overlayfs would
// show them (top layer first, whiteouts and opaque directories respected).
// Nothing here runs unless a user is asked for: the default launch path reads no file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace ctv::runtime::user {

struct ExecUser {
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> groups;  // supplementary: the /etc/group entries listing the user
  std::string home = "/";        // from /etc/passwd, "/" when the user has no entry
};

// `spec` is USER[:GROUP]; USER a name or a uid, GROUP a name or a gid. Rules (Docker's/runc's):
//  - a name must have an entry in /etc/passwd; a uid need not (then HOME is "/", and without
//    GROUP the gid is the uid, as ctvrt always did);
//  - without GROUP the gid is the passwd entry's;
//  - supplementary groups: every /etc/group entry listing the user's name.
// `passwd` and `group` are the files' contents, nullopt when the file does not exist. `where`
// names the root in errors ("the image's rootfs", "container c1"), e.g.
//   resolve user `alice`: no such user in /etc/passwd of the image's rootfs
Result<ExecUser> Resolve(const std::string& spec, const std::optional<std::string>& passwd,
                         const std::optional<std::string>& group, const std::string& where);

// A file inside the root `root_fd` (a directory descriptor), `rel` relative to it ("etc/passwd").
// nullopt when it does not exist.
Result<std::optional<std::string>> ReadInRoot(int root_fd, const std::string& rel);
// The same file as an overlay of `layers` (bottom first, as ContainerSpec::lower_dirs) shows it.
Result<std::optional<std::string>> ReadInLayers(const std::vector<std::string>& layers,
                                                const std::string& rel);

// Reads /etc/passwd and /etc/group with ReadInRoot / ReadInLayers, then Resolve.
Result<ExecUser> ResolveInRoot(const std::string& spec, int root_fd, const std::string& where);
Result<ExecUser> ResolveInLayers(const std::string& spec, const std::vector<std::string>& layers,
                                 const std::string& where);

// Adds HOME=<home> to `env` unless it sets HOME already.
void SetHomeIfUnset(const ExecUser& u, std::vector<std::string>* env);

}  // namespace ctv::runtime::user
