#!/usr/bin/env bash
# private-cgroup-v1.sh OWNER_PID HIERARCHY...
#
# A private mount namespace whose /sys/fs/cgroup holds every cgroup hierarchy the host mounts
# there plus new cgroup v1 hierarchies of controllers the host leaves unmounted (this hybrid
# host: net_cls, net_prio, hugetlb), for tests of the fields that need them. Each HIERARCHY is a
# comma list of controllers mounted together (`net_cls,net_prio`, Debian's co-mount, which also
# gets a symlink per controller; `hugetlb`). The namespace is held by this script: it prints
# `ready` once set up and lives until OWNER_PID is gone or it is killed (tests enter it with
# nsenter --mount=/proc/PID/ns/mnt and read its files through /proc/PID/root). Nothing is mounted
# on the host's tree: the mounts die with the namespace, and the kernel destroys a v1 hierarchy
# left with no mount and no child cgroup (the caller removes the cgroups it made first).
# A setup failure prints `error: ...` and exits 3 (the test reports it).
set -uo pipefail
exec 2>&1
if [ "${CTV_PRIVATE_CGROUP_INNER:-}" != 1 ]; then
  exec env CTV_PRIVATE_CGROUP_INNER=1 unshare --mount --propagation private "$0" "$@"
fi
unset CTV_PRIVATE_CGROUP_INNER
owner=$1
shift
fail() {
  echo "error: $*"
  exit 3
}
# The host's hierarchies ("TYPE MOUNTPOINT SUPER-OPTIONS"), read before the tmpfs covers them.
# Mounting a v1 hierarchy again with the same controllers hands back the same hierarchy.
list=$(awk '{for (i = 7; i <= NF; i++) if ($i == "-") { print $(i+1), $5, $(i+3); break }}' \
  /proc/self/mountinfo | grep -E '^cgroup2? /sys/fs/cgroup/')
umount -l /sys/fs/cgroup 2> /dev/null
mount -t tmpfs -o mode=755,nosuid,nodev,noexec tmpfs /sys/fs/cgroup || fail "tmpfs on /sys/fs/cgroup"
while read -r type target opts; do
  [ -n "$type" ] || continue
  mkdir -p "$target"
  if [ "$type" = cgroup2 ]; then
    out=$(mount -t cgroup2 cgroup2 "$target" 2>&1) || fail "remount $target: $out"
  else
    out=$(mount -t cgroup -o "$opts" cgroup "$target" 2>&1) || fail "remount $target: $out"
  fi
done <<< "$list"
for h in "$@"; do
  dir=/sys/fs/cgroup/$h
  [ -e "$dir" ] && fail "$h: the host mounts it already"
  mkdir "$dir"
  out=$(mount -t cgroup -o "$h" cgroup "$dir" 2>&1) || fail "mount -t cgroup -o $h: $out"
  # A test SIGKILLed before its cleanup leaves the hierarchy alive without a mount (the kernel
  # keeps one that still has a child cgroup); mounting it again here hands it back: remove the
  # empty test cgroups (ctvoci*, the OCI tests' names) it kept, so it dies with this namespace.
  for stale in "$dir"/ctvoci*/; do [ -d "$stale" ] && rmdir "$stale" 2> /dev/null; done
  IFS=, read -ra controllers <<< "$h"
  if [ "${#controllers[@]}" -gt 1 ]; then
    for c in "${controllers[@]}"; do ln -s "$h" "/sys/fs/cgroup/$c"; done
  fi
done
echo ready
while kill -0 "$owner" 2> /dev/null; do sleep 0.5; done
