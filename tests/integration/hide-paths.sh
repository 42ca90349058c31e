#!/usr/bin/env bash
# hide-paths.sh PATH... -- COMMAND [ARG...]
#
# Runs COMMAND in a private mount namespace in which no PATH exists, so a test can show what a
# machine without it does (a fresh Debian without /var/lib/libvirt, a host without /dev/kvm).
# How: the parent directory of each PATH is covered by a tmpfs holding binds of every other entry
# (symlinks copied), so everything else stays as it was. Nothing outside the namespace changes:
# whatever COMMAND creates in such a parent dies with the namespace. A PATH that does not exist is
# hidden already.
set -euo pipefail
if [ "${CTV_HIDE_PATHS_INNER:-}" != 1 ]; then
  exec env CTV_HIDE_PATHS_INNER=1 unshare --mount --propagation private "$0" "$@"
fi
unset CTV_HIDE_PATHS_INNER

paths=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
  paths+=("$1")
  shift
done
if [ "${1:-}" != -- ] || [ $# -lt 2 ]; then
  echo "usage: hide-paths.sh PATH... -- COMMAND [ARG...]" >&2
  exit 2
fi
shift

stage=$(mktemp -d /tmp/ctv-hide-paths.XXXXXX)
for path in "${paths[@]}"; do
  [ -e "$path" ] || [ -L "$path" ] || continue
  parent=$(dirname "$path")
  hidden=$(basename "$path")
  mount --rbind "$parent" "$stage"
  mount -t tmpfs -o "mode=$(stat -c %a "$parent")" ctv-hide-paths "$parent"
  shopt -s dotglob nullglob
  for entry in "$stage"/*; do
    name=$(basename "$entry")
    [ "$name" = "$hidden" ] && continue
    if [ -L "$entry" ]; then
      cp -P "$entry" "$parent/$name"
    elif [ -d "$entry" ]; then
      mkdir "$parent/$name"
      mount --rbind "$entry" "$parent/$name"
    else
      : >"$parent/$name"
      mount --bind "$entry" "$parent/$name"
    fi
  done
  shopt -u dotglob nullglob
  umount -l "$stage"
done
rmdir "$stage"
exec "$@"
