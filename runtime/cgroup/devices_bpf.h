// The cgroup v2 device controller: v2 has no devices.allow/devices.deny; the kernel asks a
// BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup (and to each ancestor) whether an
// access (mknod, open for read and/or write) to a device is allowed. runc and crun build that
// program from the OCI rules; so does ctvrt, with the handful of instructions below (no libbpf:
// bpf(BPF_PROG_LOAD) + bpf(BPF_PROG_ATTACH) on the cgroup directory's fd).
//
// Semantics (the same verdicts as ctvrt's v1 list, which starts with "deny all"):
// - everything is denied unless a rule allows it;
// - rules are matched last to first, the first match decides (a later rule overrides an earlier
//   one, as the runtime-spec orders them);
// - an allow rule matches when it covers every access bit asked for (open O_RDWR needs "rw");
//   a deny rule matches when it covers any of them.
// Known difference from v1: two allow rules "c 1:3 r" and "c 1:3 w" do not add up to "rw" here
// (v1 merges exceptions of the same device); an O_RDWR open then needs an "rw" rule.
#pragma once

#include <linux/bpf.h>

#include <cstdint>
#include <vector>

#include "core/error.h"
#include "runtime/cgroup/manager.h"

namespace ctv::cgroup {

// The program for `rules` (in the order given); pure, unit-tested by interpretation.
std::vector<bpf_insn> BuildDeviceProgram(const std::vector<DeviceRule>& rules);

// Loads `prog` and attaches it (BPF_F_ALLOW_MULTI, as runc: the ancestors' programs still apply)
// to the cgroup v2 directory `dir`. The attachment lives as long as the cgroup: nothing to close
// or detach later. Errors name the directory and carry the verifier's log.
Status AttachDeviceProgram(const std::string& dir, const std::vector<bpf_insn>& prog);

}  // namespace ctv::cgroup
