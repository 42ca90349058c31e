#include "runtime/fs/cgroupfs.h"

#include <sys/mount.h>

#include <algorithm>
#include <sstream>

namespace ctv::fs {

std::vector<CgroupFsEntry> CgroupFsEntries(const cgroup::CgroupMounts& mounts,
                                           const std::vector<std::string>& dirs,
                                           const std::string& proc_self_cgroup) {
  std::vector<CgroupFsEntry> out;
  auto within = [](const std::string& dir, const std::string& mp) {
    return dir == mp || dir.rfind(mp + "/", 0) == 0;
  };
  auto base = [](const std::string& mp) { return mp.substr(mp.rfind('/') + 1); };
  if (mounts.mode == "v2") {
    for (const std::string& d : dirs)
      if (within(d, mounts.v2_mount)) return {CgroupFsEntry{"", d, {}, false}};
    return out;
  }
  std::vector<std::string> seen;
  for (const auto& entry : mounts.v1_mounts) {
    // A named copy, not a structured binding: clang before 16 cannot capture those (the fuzz
    // build compiles this file with clang).
    const std::string& mp = entry.second;
    if (std::find(seen.begin(), seen.end(), mp) != seen.end()) continue;
    seen.push_back(mp);
    auto dir = std::find_if(dirs.begin(), dirs.end(),
                            [&](const std::string& d) { return within(d, mp); });
    if (dir == dirs.end()) continue;
    CgroupFsEntry e{base(mp), *dir, {}, false};
    for (const auto& [c, other] : mounts.v1_mounts)
      if (other == mp && c != e.name &&
          std::find(e.links.begin(), e.links.end(), c) == e.links.end())
        e.links.push_back(c);
    out.push_back(std::move(e));
  }
  if (!mounts.v2_mount.empty()) {
    // "0::/some/path": the launcher's cgroup in the v2 hierarchy.
    std::istringstream in(proc_self_cgroup);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("0::", 0) != 0) continue;
      std::string rel = line.substr(3);
      if (rel == "/") rel.clear();
      out.push_back({base(mounts.v2_mount), mounts.v2_mount + rel, {}, true});
    }
  }
  return out;
}

Status AddCgroupFs(std::vector<MountOp>* ops, const std::string& rootfs, unsigned long flags,
                   const std::vector<CgroupFsEntry>& entries) {
  auto pivot = std::find_if(ops->begin(), ops->end(),
                            [](const MountOp& op) { return op.kind == MountOp::Kind::kPivotRoot; });
  if (pivot == ops->end())
    return MakeError("mount cgroups", rootfs + "/sys/fs/cgroup",
                     "the container has no root filesystem of its own to mount them in");
  const bool ro = flags & MS_RDONLY;
  const unsigned long kNoSuidDevExec = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  const std::string top = rootfs + "/sys/fs/cgroup";
  std::vector<MountOp> add;
  auto bind = [&](const std::string& src, const std::string& target, bool read_only) {
    MountOp m;
    m.kind = MountOp::Kind::kMount;
    m.source = src;
    m.target = target;
    m.flags = MS_BIND;
    add.push_back(m);
    if (read_only) {
      MountOp r;
      r.kind = MountOp::Kind::kBindReadonly;
      r.target = target;
      r.flags = kNoSuidDevExec;
      add.push_back(r);
    }
  };
  if (entries.size() == 1 && entries[0].name.empty()) {
    bind(entries[0].host_dir, top, ro || entries[0].read_only);
  } else {
    MountOp t;
    t.kind = MountOp::Kind::kMount;
    t.source = "tmpfs";
    t.target = top;
    t.fstype = "tmpfs";
    t.flags = kNoSuidDevExec;
    t.data = "mode=755";
    add.push_back(t);
    for (const CgroupFsEntry& e : entries) {
      MountOp d;
      d.kind = MountOp::Kind::kMkdir;
      d.target = top + "/" + e.name;
      d.mode = 0755;
      add.push_back(d);
      bind(e.host_dir, d.target, ro || e.read_only);
      for (const std::string& link : e.links) {
        MountOp l;
        l.kind = MountOp::Kind::kSymlink;
        l.source = e.name;
        l.target = top + "/" + link;
        add.push_back(l);
      }
    }
    if (ro) {
      MountOp r;
      r.kind = MountOp::Kind::kBindReadonly;
      r.target = top;
      r.flags = kNoSuidDevExec;
      add.push_back(r);
    }
  }
  ops->insert(pivot, add.begin(), add.end());
  return Ok();
}

}  // namespace ctv::fs
