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
kv end 1
