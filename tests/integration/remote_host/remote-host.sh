#!/usr/bin/env bash
# A second "libvirt host" on this machine, for integration tests: sshd and libvirtd (and the
# QEMUs they start) in their own PID, mount, network, UTS, IPC and cgroup namespaces, reached
# from here over a veth pair. Driven by ctv::testing::RemoteLibvirtHost (remote_libvirt_host.h);
# the layout of WORK_DIR and the guarantees are described there.
#
#   remote-host.sh prepare WORK_DIR            keys and configs (fresh host and client keys)
#   remote-host.sh launch  WORK_DIR [CACHE]    start; stays in the foreground until stopped
#   remote-host.sh cleanup                     remove what SIGKILLed launchers left (cgroups)
#   remote-host.sh boot    WORK_DIR [CACHE]    (internal) runs inside the namespaces
#
# launch protocol, on its stdout (one line each): "INIT <pid>" (the remote's PID 1, as seen
# here), "VETH <name>", "ADDR <remote address>", then "READY", or "FAIL <reason>" and exit 1.
# SIGTERM stops it: the remote's PID 1 terminates everything, then launch removes the cgroups,
# waits for the veth to disappear, prints "STOPPED" and exits 0.
#
# Death of the test process: launch runs under `setpriv --pdeathsig KILL` (set by the fixture),
# and so does the `unshare` it starts; unshare --kill-child kills the remote's PID 1, and the
# kernel kills the rest of that PID namespace. The network namespace dies with its last process
# (it is never bind-mounted in /run/netns), taking the veth pair with it; mounts made inside the
# mount namespace die with it. Only empty cgroup directories `ctvrh-<launcher pid>` remain, and
# `remote-host.sh cleanup` (also run by every fixture start) removes those of dead launchers.
set -euo pipefail

self=$(readlink -f "$0")
here=$(dirname "$self")
# ctv-remote-init (the PID-1 reaper) is built next to the test binaries; the fixture passes it.
init_bin=${CTV_REMOTE_INIT:-ctv-remote-init}
# 10.213.N.0/30: N picked at launch (the first free veth name ctvrhN); .1 here, .2 remote.
subnet_prefix=10.213
host_alias=ctv-remote-host
# What `boot` mounts over; each must exist here (checked by launch, listed by scripts/preflight).
mount_points="/run /tmp /var/tmp /var/log /var/cache /var/lib/libvirt /boot /root /etc/libvirt"

die() { echo "remote-host: $*" >&2; exit 1; }

# --- prepare ------------------------------------------------------------------------------------

prepare() {
  local w=$1
  [ -d "$w" ] || die "work dir \`$w\` does not exist"
  rm -rf "$w/remote" "$w/client"
  mkdir -m 700 "$w/remote" "$w/client"
  mkdir -m 755 "$w/remote/log" "$w/remote/etc-libvirt"
  ssh-keygen -q -t ed25519 -N '' -C "$host_alias" -f "$w/remote/ssh_host_ed25519_key"
  ssh-keygen -q -t ed25519 -N '' -C ctvbench-test-client -f "$w/client/id_ed25519"
  install -m 600 "$w/client/id_ed25519.pub" "$w/remote/authorized_keys"
  # Host key checking against our own known_hosts: the host key is fresh at every start, so the
  # entry is written here; HostKeyAlias makes it independent of the address picked at launch.
  echo "$host_alias $(cut -d' ' -f1,2 "$w/remote/ssh_host_ed25519_key.pub")" >"$w/client/known_hosts"

  # sshd: this address only (-o ListenAddress at boot), root by key only, no PAM (no login
  # records or sessions written anywhere on this machine).
  cat >"$w/remote/sshd_config" <<EOF
Port 22
HostKey /run/ctv-remote/ssh_host_ed25519_key
PidFile /run/sshd.pid
AllowUsers root
PermitRootLogin prohibit-password
PubkeyAuthentication yes
AuthorizedKeysFile /run/ctv-remote/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PrintMotd no
PrintLastLog no
X11Forwarding no
StrictModes yes
EOF

  # The client side: libvirt's ssh transport runs `ssh` with -l/-i/-T (no way to name a
  # known_hosts file; no_verify=1 only adds StrictHostKeyChecking=no, and ssh would then record
  # the key in root's ~/.ssh/known_hosts). The URI's command= names this wrapper instead, whose
  # -F config keeps ssh off ~/.ssh and /etc/ssh/ssh_config and checks the host key strictly.
  cat >"$w/client/ssh_config" <<EOF
Host *
  HostKeyAlias $host_alias
  UserKnownHostsFile $w/client/known_hosts
  GlobalKnownHostsFile none
  StrictHostKeyChecking yes
  CheckHostIP no
  UpdateHostKeys no
  IdentitiesOnly yes
  IdentityFile $w/client/id_ed25519
  BatchMode yes
  ConnectTimeout 10
  LogLevel ERROR
EOF
  printf '#!/bin/sh\nexec ssh -F %s/client/ssh_config "$@"\n' "$w" >"$w/client/ssh"
  chmod 755 "$w/client/ssh"

  # libvirtd: the unix sockets only (reached through ssh + virt-ssh-helper), root only.
  cat >"$w/remote/etc-libvirt/libvirtd.conf" <<EOF
listen_tls = 0
listen_tcp = 0
unix_sock_group = "root"
unix_sock_ro_perms = "0700"
unix_sock_rw_perms = "0700"
auth_unix_ro = "none"
auth_unix_rw = "none"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
  # QEMU: Debian's defaults (user and group libvirt-qemu, DAC labelling, a mount namespace per
  # QEMU, cgroups) as on a real host; only the stdio handler changes: virtlogd is not running
  # here, QEMU's output goes straight to /var/log/libvirt/qemu/<domain>.log.
  cat >"$w/remote/etc-libvirt/qemu.conf" <<EOF
stdio_handler = "file"
EOF
}

# --- cgroups ------------------------------------------------------------------------------------

# One line per mounted hierarchy: "<mount point> <type> <mount options for it> <our placement>".
# v1 hierarchies are matched to /proc/self/cgroup by their controller list.
hierarchies() {
  local target type opts ctrls placement tok
  while read -r target type opts; do
    ctrls=
    for tok in ${opts//,/ }; do
      case $tok in
        rw | ro | nsdelegate | memory_recursiveprot | memory_localevents | favordynmods | \
          clone_children | noprefix | xattr | cpuset_v2_mode | release_agent=*) ;;
        *) ctrls=${ctrls:+$ctrls,}$tok ;;
      esac
    done
    if [ "$type" = cgroup2 ]; then
      placement=$(awk -F: '$1 == "0" && $2 == "" {print $3}' /proc/self/cgroup)
    else
      placement=$(awk -F: -v c="$ctrls" '$2 == c {print $3}' /proc/self/cgroup)
    fi
    [ -n "$placement" ] || continue
    echo "$target $type ${ctrls:--} ${placement%/}"
  done < <(findmnt -rn -t cgroup,cgroup2 -o TARGET,FSTYPE,FS-OPTIONS)
}

# Removes a cgroup tree bottom-up (rmdir only: a group with processes stays, and says so).
remove_cgroup_tree() {
  local dir=$1 try
  [ -d "$dir" ] || return 0
  for try in 1 2 3 4 5 6 7 8 9 10; do
    find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || true
    [ -d "$dir" ] || return 0
    sleep 0.1
  done
  echo "remote-host: cannot remove cgroup \`$dir\`" >&2
  return 1
}

# --- launch -------------------------------------------------------------------------------------

launch() {
  local w=$1 cache=${2:-}
  exec 3>&1 >>"$w/remote.log" 2>&1
  echo "--- launch $(date +%T.%N) pid $$"
  local tag=ctvrh-$$ init_pid= upid= veth= n= line stopping=0 rc=0
  local -a cgroups=()
  fail() {
    echo "FAIL $*" >&3
    echo "remote-host: FAIL $*"
    stop_remote
    exit 1
  }
  stop_remote() {
    if [ -n "$init_pid" ]; then kill -TERM "$init_pid" 2>/dev/null || true; fi
    if [ -n "$upid" ]; then wait "$upid" 2>/dev/null || true; fi
    upid=
    teardown
  }
  teardown() {
    local d t
    for d in "${cgroups[@]}"; do remove_cgroup_tree "$d" || rc=1; done
    cgroups=()
    if [ -n "$veth" ]; then
      # The netns is freed asynchronously once its last process is gone; wait for the pair.
      for t in $(seq 100); do ip link show "$veth" >/dev/null 2>&1 || break; sleep 0.05; done
      ip link show "$veth" >/dev/null 2>&1 && { echo "remote-host: veth $veth left"; rc=1; }
      veth=
    fi
  }
  trap 'stopping=1; if [ -n "$init_pid" ]; then kill -TERM "$init_pid" 2>/dev/null || true; fi' TERM INT HUP

  for bin in /usr/sbin/sshd /usr/sbin/libvirtd /usr/bin/virt-ssh-helper; do
    [ -x "$bin" ] || fail "$bin is missing (Debian packages openssh-server, libvirt-daemon)"
  done
  # The directories `boot` mounts over (tmpfs masks and binds) must exist on this machine: a
  # mount point cannot be made inside the namespace without creating it here too. Debian's
  # libvirt-daemon-system and libvirt-clients create the libvirt ones; where those packages are
  # absent, scripts/preflight (run by scripts/setup and scripts/test) does.
  local d
  for d in $mount_points; do
    [ -d "$d" ] || fail "mount point $d is missing on this machine (scripts/preflight creates it)"
  done
  getent passwd sshd >/dev/null || fail "user sshd (sshd's privilege separation) is missing (Debian package openssh-server creates it)"
  command -v "$init_bin" >/dev/null || fail "$init_bin not found"
  [ -f "$w/remote/sshd_config" ] || fail "run \`prepare $w\` first"
  rm -f "$w/remote/netready" "$w/remote/bootstatus"
  mkfifo -m 600 "$w/remote/netready" "$w/remote/bootstatus"

  # cgroups: a group `ctvrh-<pid>` below our own placement in every hierarchy; the remote's PID 1
  # starts in it with a new cgroup namespace, so libvirt's "machine" groups land inside it.
  local target type ctrls placement dir
  while read -r target type ctrls placement; do
    dir=$target$placement/$tag
    mkdir "$dir" || fail "cannot create cgroup \`$dir\`"
    cgroups+=("$dir")
    if [ "$ctrls" = cpuset ]; then
      cat "$target$placement/cpuset.cpus" >"$dir/cpuset.cpus"
      cat "$target$placement/cpuset.mems" >"$dir/cpuset.mems"
    fi
  done < <(hierarchies)
  [ ${#cgroups[@]} -gt 0 ] || fail "no cgroup hierarchy found"

  (
    for dir in "${cgroups[@]}"; do echo "$BASHPID" >"$dir/cgroup.procs"; done
    exec setpriv --pdeathsig KILL \
      unshare --pid --fork --kill-child=SIGKILL --mount-proc --net --uts --ipc --cgroup \
      --propagation private -- "$init_bin" /bin/bash "$self" boot "$w" "$cache"
  ) 3>&- &
  upid=$!
  local t
  for t in $(seq 200); do
    init_pid=$(cat "/proc/$upid/task/$upid/children" 2>/dev/null || true)
    init_pid=${init_pid%% *}
    [ -n "$init_pid" ] && break
    kill -0 "$upid" 2>/dev/null || fail "unshare exited early (see $w/remote.log)"
    sleep 0.01
  done
  [ -n "$init_pid" ] || fail "the remote's PID 1 did not appear"
  echo "INIT $init_pid" >&3

  # The veth name is the lock on its /30: creating it fails when another fixture holds N.
  for n in $(seq 0 255); do
    if ip link add "ctvrh$n" type veth peer name eth0 netns "$init_pid" 2>/dev/null; then
      veth=ctvrh$n
      break
    fi
  done
  [ -n "$veth" ] || fail "no free veth name ctvrh0..255"
  ip addr add "$subnet_prefix.$n.1/30" dev "$veth"
  ip link set "$veth" up
  echo "VETH $veth" >&3
  echo "ADDR $subnet_prefix.$n.2" >&3
  exec 5<>"$w/remote/netready" 6<>"$w/remote/bootstatus"
  echo "$n" >&5

  while :; do
    [ $stopping = 0 ] || fail "stopped during start"
    if read -r -t 1 -u 6 line; then break; fi
    kill -0 "$upid" 2>/dev/null || fail "the remote exited during boot (see $w/remote.log)"
  done
  [ "$line" = READY ] || fail "boot: $line"
  echo READY >&3

  # Until SIGTERM (the trap forwards it to the remote's PID 1) or the remote's own exit.
  while kill -0 "$upid" 2>/dev/null; do wait "$upid" 2>/dev/null || true; done
  upid=
  teardown
  echo "--- stopped $(date +%T.%N) rc $rc"
  echo STOPPED >&3
  exit $rc
}

# --- boot (inside the namespaces, child of ctv-remote-init) -------------------------------------

boot() {
  local w=$1 cache=${2:-}
  local status=$w/remote/bootstatus
  exec 7<>"$status"
  trap 'echo "FAIL line $LINENO: $BASH_COMMAND" >&7' ERR
  # Our files first: the work dir and the cache may live under /tmp or /run, masked below. They
  # are bound into a staging tmpfs (on /dev/shm, masked anyway), moved into place after the masks.
  local stage=/dev/shm
  mount -t tmpfs -o mode=700 ctv-remote-stage "$stage"
  mkdir "$stage/remote" "$stage/cache"
  mount --bind "$w/remote" "$stage/remote"
  if [ -n "$cache" ]; then mount --bind "$cache" "$stage/cache"; fi
  # The masks: the remote must not see this machine's state, caches, temp files, logs or guest
  # kernels (/var/cache covers /var/cache/ctvbench).
  mount -t tmpfs -o mode=755 ctv-remote-run /run
  local d
  for d in /tmp /var/tmp; do mount -t tmpfs -o mode=1777 ctv-remote-tmp "$d"; done
  for d in /var/log /var/cache /var/lib/libvirt /boot; do mount -t tmpfs -o mode=755 ctv-remote "$d"; done
  mount -t tmpfs -o mode=700 ctv-remote-home /root
  [ ! -d /var/lib/ctvbench ] || mount -t tmpfs -o mode=755 ctv-remote /var/lib/ctvbench
  mkdir -m 700 /run/ctv-remote
  mount --move "$stage/remote" /run/ctv-remote
  local r=/run/ctv-remote
  mkdir -m 755 /var/cache/libvirt
  if [ -n "$cache" ]; then mount --move "$stage/cache" /var/cache/libvirt; fi
  umount "$stage"
  mount -t tmpfs -o mode=1777 ctv-remote-tmp /dev/shm
  mkdir /var/log/libvirt
  mount --bind "$r/log" /var/log/libvirt
  mount --bind "$r/etc-libvirt" /etc/libvirt
  mkdir -m 755 /run/sshd
  # As on any booted host: /var/lock is /run/lock (libvirt locks the console's pty there).
  mkdir -m 1777 /run/lock
  # Ptys of our own (QEMU's serial pty, ssh sessions), not numbers in this machine's devpts.
  mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 ctv-remote-pts /dev/pts
  mount --bind /dev/pts/ptmx /dev/ptmx

  # This namespace's sysfs and cgroup mounts: libvirt reads its placement from /proc/self/cgroup
  # ("/" in the new cgroup namespace) and must find hierarchies rooted at the same place.
  local -a hier=()
  mapfile -t hier < <(hierarchies)
  mount -t sysfs sysfs /sys
  mount -t tmpfs -o mode=755 cgroup /sys/fs/cgroup
  local target type ctrls placement
  for line in "${hier[@]}"; do
    read -r target type ctrls placement <<<"$line"
    mkdir -p "$target"
    if [ "$type" = cgroup2 ]; then
      mount -t cgroup2 cgroup2 "$target"
    else
      mount -t cgroup -o "$ctrls" cgroup "$target"
    fi
  done

  hostname "$host_alias"
  ip link set lo up
  local n
  exec 5<>"$r/netready"
  read -r -t 10 -u 5 n || { echo "FAIL no network from the launcher" >&7; exit 1; }
  local addr=$subnet_prefix.$n.2
  ip addr add "$addr/30" dev eth0
  ip link set eth0 up

  libvirtd -f /etc/libvirt/libvirtd.conf >>/var/log/libvirt/libvirtd.out 2>&1 5>&- 7>&- </dev/null &
  /usr/sbin/sshd -D -e -f "$r/sshd_config" -o "ListenAddress=$addr" \
    >>/var/log/libvirt/sshd.log 2>&1 5>&- 7>&- </dev/null &
  local t
  for t in $(seq 500); do
    [ -S /run/libvirt/libvirt-sock ] && (: <"/dev/tcp/$addr/22") 2>/dev/null && break
    sleep 0.02
  done
  [ -S /run/libvirt/libvirt-sock ] || { echo "FAIL libvirtd did not create its socket" >&7; exit 1; }
  (: <"/dev/tcp/$addr/22") 2>/dev/null || { echo "FAIL sshd is not listening on $addr:22" >&7; exit 1; }
  echo READY >&7
}

# --- cleanup ------------------------------------------------------------------------------------

cleanup() {
  local dir pid rc=0
  while read -r dir; do
    pid=${dir##*/ctvrh-}
    # A live launcher still owns its groups.
    if grep -qs remote-host "/proc/$pid/cmdline"; then continue; fi
    echo "remote-host: removing stale cgroup $dir"
    remove_cgroup_tree "$dir" || rc=1
  done < <(find /sys/fs/cgroup -mindepth 2 -maxdepth 8 -type d -name 'ctvrh-[0-9]*' 2>/dev/null)
  return $rc
}

cmd=${1:-}
shift || true
case $cmd in
  prepare) prepare "$@" ;;
  launch) launch "$@" ;;
  boot) boot "$@" ;;
  cleanup) cleanup ;;
  *) die "usage: remote-host.sh prepare|launch|cleanup WORK_DIR [CACHE]" ;;
esac
