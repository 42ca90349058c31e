#!/bin/sh
# The workload of a guest whose PID 1 is ctv-init (cgroup2 on /sys/fs/cgroup and nothing else: a
# pure cgroup v2 machine): runs ctvrt against the real v2 hierarchy and prints one `key=value` per
# line on stdout, the marker channel. tests/integration/runtime_cgroup_v2_test.cc reads them and
# holds the figures to the expectations of the v1 host tests (runtime_container_test.cc).
# Values are single lines: files with their newlines turned into spaces, JSON with them removed.
# It asserts nothing itself, so that every figure reaches the host even when one step fails.
exec 2>&1
IMG=/ctvtest/probe:latest
CG=/sys/fs/cgroup/ctvbench
RUN="ctvrt run --net none"

kv() { echo "$1=$2"; }
# A file as one line, or "absent".
one() { if [ -e "$1" ]; then tr '\n' ' ' < "$1" | sed 's/ *$//'; else echo absent; fi; }
there() { if [ -e "$1" ]; then echo present; else echo absent; fi; }
flat() { tr -d '\n'; }

kv info "$(ctvrt info | flat)"
kv guest.root "$(grep ' / / ' /proc/self/mountinfo | flat)"
kv guest.overlay "$(grep -c overlay /proc/filesystems)"

# Memory: 128 MiB touched under a 64 MiB limit (no swap) ends in an OOM kill.
$RUN -m 64m --name ctvoom $IMG memtouch --mib 128 > /tmp/oom.out 2> /tmp/oom.err
kv oom.exit $?
kv oom.out "$(one /tmp/oom.out)"
kv oom.err "$(one /tmp/oom.err)"
kv oom.ps "$(ctvrt ps -a | grep ctvoom)"
kv oom.memory_max "$(one $CG/ctvoom/memory.max)"
kv oom.swap_max "$(one $CG/ctvoom/memory.swap.max)"
kv oom.events "$(one $CG/ctvoom/memory.events)"
kv oom.peak "$(one $CG/ctvoom/memory.peak)"
kv oom.stats "$(ctvrt stats ctvoom | flat)"
kv oom.state "$(ctvrt state ctvoom | flat)"
ctvrt rm ctvoom
kv oom.rm $?
kv oom.after_rm "$(there $CG/ctvoom)"

# memory.high (v2 only): throttled instead of killed. No memory.max, no swap: the probe tries to
# touch 128 MiB above a 32 MiB high mark for 3 s and is held near the mark, alive.
$RUN --cgroup-conf memory.high=32m --name ctvhigh $IMG memtouch --mib 128 --seconds 3 \
  > /tmp/high.out 2> /tmp/high.err
kv high.exit $?
kv high.out "$(one /tmp/high.out)"
kv high.err "$(one /tmp/high.err)"
kv high.high "$(one $CG/ctvhigh/memory.high)"
kv high.max "$(one $CG/ctvhigh/memory.max)"
kv high.events "$(one $CG/ctvhigh/memory.events)"
kv high.peak "$(one $CG/ctvhigh/memory.peak)"
kv high.stats "$(ctvrt stats ctvhigh | flat)"
ctvrt rm ctvhigh
kv high.rm $?

# CPU: half a core, measured by the cgroup's own usage over the spin's wall time.
$RUN --cpus 0.5 --name ctvcpu $IMG cpuspin --seconds 3 > /tmp/cpu.out
kv cpu.exit $?
kv cpu.out "$(one /tmp/cpu.out)"
kv cpu.max "$(one $CG/ctvcpu/cpu.max)"
kv cpu.stat "$(one $CG/ctvcpu/cpu.stat)"
kv cpu.stats "$(ctvrt stats ctvcpu | flat)"
ctvrt rm ctvcpu
kv cpu.rm $?

# pids: a fork bomb stops at the limit.
$RUN --pids-limit 20 --name ctvpids $IMG forkbomb --max 200 > /tmp/pids.out
kv pids.exit $?
kv pids.out "$(one /tmp/pids.out)"
kv pids.max "$(one $CG/ctvpids/pids.max)"
kv pids.events "$(one $CG/ctvpids/pids.events)"
ctvrt rm ctvpids
kv pids.rm $?

# cpuset (enabled in the parents only when asked for): the guest has 2 vCPUs, the container 1.
$RUN --cpuset-cpus 1 --name ctvcpuset --entrypoint grep $IMG Cpus_allowed_list /proc/self/status \
  > /tmp/cpuset.out
kv cpuset.exit $?
kv cpuset.out "$(one /tmp/cpuset.out)"
kv cpuset.cpus "$(one $CG/ctvcpuset/cpuset.cpus)"
kv cpuset.parent_subtree "$(one $CG/cgroup.subtree_control)"
ctvrt rm ctvcpuset
kv cpuset.rm $?

# Placement: a running container's PID 1, seen from the guest, is in ctvbench/<id>, put there by
# clone3(CLONE_INTO_CGROUP) (the join ctvrt recorded); `exec` joins the same cgroup.
pid_of() { ctvrt state "$1" | sed -n 's/^ *"pid": *\([0-9]*\).*/\1/p'; }
ctvrt run -d --net none --name ctvplace --entrypoint sleep $IMG 600 > /dev/null
kv place.run $?
pid=$(pid_of ctvplace)
kv place.pid "$pid"
kv place.proc_cgroup "$(one /proc/$pid/cgroup)"
kv place.procs "$(one $CG/ctvplace/cgroup.procs)"
kv place.state "$(ctvrt state ctvplace | flat)"
kv place.parent_subtree "$(one $CG/cgroup.subtree_control)"
# In the container's cgroup namespace, its own cgroup is "/"; anywhere else shows as "/../..".
kv place.exec_cgroup "$(ctvrt exec ctvplace cat /proc/self/cgroup | flat)"
ctvrt rm -f ctvplace
kv place.rm $?
kv place.after_rm "$(there $CG/ctvplace)"
kv place.parent_after_rm "$(there $CG)"

# ---- OCI bundles on v2 (issue 19): linux.cgroupsPath + resources, the eBPF device filter ----
# (runtime_cgroup_v2_test.cc, "OCI bundles on v2" expectations). A bundle whose rootfs is a copy
# of this guest's own programs; config.json written here (no jq in the guest).
B=/tmp/ocib
mkdir -p $B/rootfs/proc $B/rootfs/dev $B/rootfs/sys $B/rootfs/tmp
for d in /bin /sbin /lib /lib64 /usr /etc; do [ -e $d ] && cp -a $d $B/rootfs/; done
# bundle CGROUPS_PATH RESOURCES_JSON ARGS_JSON [", MORE_MOUNTS_JSON"]
bundle() {
  cat > $B/config.json <<EOF
{"ociVersion": "1.0.2", "root": {"path": "rootfs"},
 "process": {"args": $3, "cwd": "/", "env": ["PATH=/usr/local/bin:/bin:/usr/bin:/sbin"],
  "capabilities": {"bounding": ["CAP_MKNOD", "CAP_KILL"], "effective": ["CAP_MKNOD", "CAP_KILL"],
                   "permitted": ["CAP_MKNOD", "CAP_KILL"]}},
 "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}${4:-}],
 "linux": {"cgroupsPath": "$1", "resources": $2,
  "namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "network"}, {"type": "ipc"},
                 {"type": "uts"}, {"type": "cgroup"}]}}
EOF
}
# Resources at /ctvkeep/mid/res below a pre-existing /ctvkeep (not ctvrt's: it must survive).
mkdir /sys/fs/cgroup/ctvkeep
bundle /ctvkeep/mid/res '{"memory": {"limit": 67108864, "reservation": 16777216,
  "swap": 100663296, "swappiness": 10, "disableOOMKiller": true, "kernel": 1048576},
  "cpu": {"shares": 1024, "quota": 50000, "period": 100000, "cpus": "1", "mems": "0"},
  "pids": {"limit": 33}}' '["sleep", "600"]'
ctvrt run -d --bundle $B ctvres > /tmp/res.out 2> /tmp/res.err < /dev/null
kv ocires.run $?
kv ocires.err "$(one /tmp/res.err)"
R=/sys/fs/cgroup/ctvkeep/mid/res
for f in memory.max memory.low memory.swap.max cpu.weight cpu.max pids.max cpuset.cpus \
  cpuset.mems; do kv "ocires.$f" "$(one $R/$f)"; done
kv ocires.procs "$(one $R/cgroup.procs)"
kv ocires.stats "$(ctvrt stats ctvres | flat)"
kv ocires.exec_cgroup "$(ctvrt exec ctvres cat /proc/self/cgroup | flat)"
ctvrt delete --force ctvres
kv ocires.delete $?
kv ocires.after_leaf "$(there $R)"
kv ocires.after_mid "$(there /sys/fs/cgroup/ctvkeep/mid)"
kv ocires.after_keep "$(there /sys/fs/cgroup/ctvkeep)"
rmdir /sys/fs/cgroup/ctvkeep
# Fields v2 has no file for are refused by name, before anything exists.
n=0
for res in '{"cpu": {"realtimeRuntime": 1000}}' '{"network": {"classID": 1048577}}'; do
  n=$((n + 1))
  bundle /ctvref "$res" '["true"]'
  ctvrt create --bundle $B ctvref > /dev/null 2> /tmp/ref.err < /dev/null
  kv "ociref$n.exit" "$?"
  kv "ociref$n.err" "$(one /tmp/ref.err)"
  kv "ociref$n.after" "$(there /sys/fs/cgroup/ctvref)"
  ctvrt delete --force ctvref > /dev/null 2>&1
done
# hugepageLimits (v2: hugetlb.<size>.max and, as runc 1.1, .rsvd.max), at /ctvhuge; a page size
# the kernel does not have is refused naming it, nothing left.
bundle /ctvhuge '{"hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}]}' '["sleep", "600"]'
ctvrt run -d --bundle $B ctvhuge > /dev/null 2> /tmp/huge.err < /dev/null
kv ocihuge.run $?
kv ocihuge.err "$(one /tmp/huge.err)"
kv ocihuge.sizes "$(ls /sys/kernel/mm/hugepages | flat)"
kv ocihuge.max "$(one /sys/fs/cgroup/ctvhuge/hugetlb.2MB.max)"
kv ocihuge.rsvd_max "$(one /sys/fs/cgroup/ctvhuge/hugetlb.2MB.rsvd.max)"
ctvrt delete --force ctvhuge
kv ocihuge.delete $?
kv ocihuge.after "$(there /sys/fs/cgroup/ctvhuge)"
bundle /ctvhuge '{"hugepageLimits": [{"pageSize": "16GB", "limit": 0}]}' '["true"]'
ctvrt create --bundle $B ctvhuge > /dev/null 2> /tmp/huge.err < /dev/null
kv ocihuge16.exit $?
kv ocihuge16.err "$(one /tmp/huge.err)"
kv ocihuge16.after "$(there /sys/fs/cgroup/ctvhuge)"
ctvrt delete --force ctvhuge > /dev/null 2>&1
# A `cgroup` mount as `runc spec` writes it (read-only), with a cgroup namespace: the container
# reads its own memory.max at /sys/fs/cgroup (its cgroup is the root there), cannot write it, and
# its /proc/self/cgroup says "/". Then the same mount read-write: it can lower its own limit.
CGM=', {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
  "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}'
bundle /ctvcgm '{"memory": {"limit": 50331648}}' \
  '["sh", "-c", "cat /sys/fs/cgroup/memory.max; echo 33554432 > /sys/fs/cgroup/memory.max; echo write=$?; cat /sys/fs/cgroup/memory.max; cat /proc/self/cgroup; echo dirs=$(ls -d /sys/fs/cgroup/*/ 2>/dev/null | wc -l)"]' \
  "$CGM"
ctvrt run --bundle $B ctvcgm > /tmp/cgm.out 2>&1 < /dev/null
kv ocicgm.exit $?
kv ocicgm.out "$(one /tmp/cgm.out)"
bundle /ctvcgm '{"memory": {"limit": 50331648}}' \
  '["sh", "-c", "echo 33554432 > /sys/fs/cgroup/memory.max; echo write=$?; cat /sys/fs/cgroup/memory.max"]' \
  "$(echo "$CGM" | sed 's/, "ro"//')"
ctvrt run --bundle $B ctvcgm > /tmp/cgm.out 2>&1 < /dev/null
kv ocicgmrw.exit $?
kv ocicgmrw.out "$(one /tmp/cgm.out)"
kv ocicgm.after "$(there /sys/fs/cgroup/ctvcgm)"
# Device filter: deny all (+ ctvrt's standard nodes, mknod of anything): /dev/kmsg (c 1:11), which
# needs no capability to write, is refused by the filter (EPERM); /dev/null works. Then the same
# with an allow rule for writing c 1:11.
n=0
for extra in '' ', {"allow": true, "type": "c", "major": 1, "minor": 11, "access": "w"}'; do
  n=$((n + 1))
  bundle /ctvdev "{\"devices\": [{\"allow\": false, \"access\": \"rwm\"}$extra]}" \
    '["sh", "-c", "mknod /dev/k c 1 11; echo mknod=$?; echo ctv-probe > /dev/k; echo kmsg=$?; echo x > /dev/null; echo null=$?"]'
  ctvrt run --bundle $B ctvdev > /tmp/dev.out 2>&1 < /dev/null
  kv "ocidev$n.exit" "$?"
  kv "ocidev$n.out" "$(one /tmp/dev.out)"
  kv "ocidev$n.after" "$(there /sys/fs/cgroup/ctvdev)"
done
rm -rf $B
# ---- end of OCI bundles on v2 ----

# gc: a detached container whose shim was SIGKILLed is an orphan; gc kills it (cgroup.kill) and
# removes its cgroup and the shared parent.
ctvrt run -d --net none --name ctvgc --entrypoint sleep $IMG 600 > /dev/null
kv gc.run $?
shim=$(sed -n 's/^ *"monitor_pid": *\([0-9]*\).*/\1/p' /run/ctvbench/containers/ctvgc/state.json)
kill -9 "$shim"
n=0
while [ -e "/proc/$shim" ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
kv gc.procs_before "$(one $CG/ctvgc/cgroup.procs)"
kv gc.out "$(ctvrt gc | tr '\n' ';')"
kv gc.after "$(there $CG/ctvgc)"
kv gc.parent_after "$(there $CG)"
kv gc.containers_after "$(ls /run/ctvbench/containers | flat)"
# Crash safety on v2 (issue 15; FaultPoints.* are the v1 side on the host): each ctvrt fault point
# SIGKILLs `ctvrt run -d` there, or, for a point run does not pass, `ctvrt rm -f`; then `ctvrt gc`
# must leave no cgroup, mount, state or process of that container, and a second gc finds nothing.
# A point neither command passes here (the network ones: --net none) says fired=none.
# Pids of the fault runs' workloads (busybox here has no pgrep).
sleepers() {
  for f in /proc/[0-9]*/cmdline; do
    tr '\0' ' ' < "$f" 2> /dev/null | grep -q '^sleep 7777' || continue
    q=${f#/proc/}
    echo " pid${q%/cmdline}"
  done | flat
}
: > /tmp/fault.log
i=0
for p in $(ctvrt --list-fault-points); do
  i=$((i + 1))
  id=ctvf$i
  CTV_FAULT_LOG=/tmp/fault.log CTV_FAULT_AT=$p timeout -s KILL 60 \
    ctvrt run -d --net none --name $id --entrypoint sleep $IMG 7777 > /dev/null 2>&1
  rc=$?
  how=run
  if ! grep -q "^$p " /tmp/fault.log; then
    CTV_FAULT_LOG=/tmp/fault.log CTV_FAULT_AT=$p timeout -s KILL 60 ctvrt rm -f $id \
      > /dev/null 2>&1
    rc=$?
    how=rm
    grep -q "^$p " /tmp/fault.log || how=none
  fi
  # Killed between mkdir and the first state write (core.atomic_file_written under run): a dir
  # without state.json, which gc leaves for 5 s to a creator that may still be alive
  # (runtime/gc.cc), then reclaims: wait that out, as a later gc would.
  if [ -d /run/ctvbench/containers/$id ] && [ ! -e /run/ctvbench/containers/$id/state.json ]; then
    sleep 6
  fi
  ctvrt gc > /dev/null 2>&1
  gc2=$(ctvrt gc 2>&1 | grep -c "$id")
  left="$(find /sys/fs/cgroup -name "$id" | flat)$(grep -c "$id" /proc/self/mountinfo | \
    sed 's/^0$//; s/^[1-9].*/ mounts/')$(ls /run/ctvbench/containers | grep -x "$id")$(sleepers)"
  kv "fault.$p" "fired=$how exit=$rc gc2=$gc2 left=$left"
  # A point that did not fire ran normally: remove what it made (not counted as a leftover).
  [ "$how" = none ] && ctvrt rm -f $id > /dev/null 2>&1
  for s in $(sleepers); do kill -9 "${s#pid}"; done
done
kv end 1
