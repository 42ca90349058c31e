#!/usr/bin/env bash
# compare_runtimes.sh [N]: start-to-exit of `ctv-probe noop` under full isolation, ctvrt vs crun
# vs runc on the same rootfs, and the floor `unshare -pfmuinc --mount-proc true`.
#
# Full isolation for every runtime: pid, mnt, uts, ipc, net, cgroup namespaces; a cgroup with
# memory (256m), cpu (0.5) and pids (100) limits; a seccomp filter denying the same syscalls as
# ctvrt's default profile; Docker's default capabilities minus MKNOD; masked/read-only paths.
# ctvrt runs the image through its overlay store (`run IMAGE`) and the bundle (`run --bundle`);
# crun and runc run the bundle (a copy of the image's layers + a `runc spec` config.json).
#
# Everything runs inside one private mount namespace (unshare -m) with /sys/fs/cgroup/unified
# unmounted: crun 1.8 needs that on this hybrid v1 host, and doing it once for the whole session
# keeps the unshare+umount cost out of crun's figures. Prints medians (ms) and the ratios.
# Needs root. Env: CTVRT (binary), IMAGE (OCI layout; built with ctvbench or ctv-test-mkimage).
set -euo pipefail
n=${1:-30}
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
bin=${BIN:-$top/build/bin}
ctvrt=${CTVRT:-$bin/ctvrt}
work=$(mktemp -d /tmp/ctvcmp.XXXXXX)
# On exit: ctvrt's gc removes what an interrupted run left and the shared (now empty) "ctvbench"
# parent cgroups that ctvrt, crun and runc created under; then the scratch dir goes.
trap '"$ctvrt" --root "$work/state" gc >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
image=${IMAGE:-}
if [ -z "$image" ]; then
  image=$work/image
  if [ -x "$bin/ctvbench" ] && "$bin/ctvbench" image build -o "$image" >/dev/null 2>&1; then :
  else "$bin/ctv-test-mkimage" "$image" "$bin/ctv-probe"; fi
fi
state=$work/state
store=${STORE:-/var/lib/ctvbench}
# Unpack the image into the store (first use), then copy its layers into a bundle rootfs.
"$ctvrt" --root "$state" --store "$store" run --rm --net none --entrypoint "" "$image" /usr/local/bin/ctv-probe noop
bundle=$work/bundle
mkdir -p "$bundle/rootfs"
python3 - "$image" "$store" "$bundle/rootfs" <<'PY'
import json, os, subprocess, sys
layout, store, rootfs = sys.argv[1:]
index = json.load(open(os.path.join(layout, "index.json")))
mf = index["manifests"][0]["digest"].split(":")[1]
manifest = json.load(open(os.path.join(layout, "blobs/sha256", mf)))
for layer in manifest["layers"]:
    src = os.path.join(store, "layers/sha256", layer["digest"].split(":")[1])
    subprocess.check_call(["cp", "-a", src + "/.", rootfs])
PY
(cd "$bundle" && runc spec)
python3 - "$bundle/config.json" <<'PY'
import json, sys
path = sys.argv[1]
c = json.load(open(path))
c["process"]["args"] = ["/usr/local/bin/ctv-probe", "noop"]
c["process"]["terminal"] = False
caps = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
        "CAP_KILL", "CAP_AUDIT_WRITE"]
for k in ("bounding", "effective", "permitted"):
    c["process"]["capabilities"][k] = caps
c["process"]["capabilities"].pop("inheritable", None)
c["process"]["capabilities"].pop("ambient", None)
ns = c["linux"]["namespaces"]
if not any(n["type"] == "cgroup" for n in ns):
    ns.append({"type": "cgroup"})
c["linux"]["resources"].update({"memory": {"limit": 256 << 20, "swap": 256 << 20},
                                "cpu": {"quota": 50000, "period": 100000},
                                "pids": {"limit": 100}})
denied = ["mount", "umount2", "pivot_root", "reboot", "kexec_load", "kexec_file_load",
          "init_module", "finit_module", "delete_module", "swapon", "swapoff", "settimeofday",
          "clock_settime", "clock_adjtime", "process_vm_readv", "process_vm_writev",
          "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "open_by_handle_at", "acct",
          "quotactl", "syslog", "userfaultfd", "setns", "iopl", "ioperm", "fsopen", "fsmount",
          "fspick", "move_mount", "open_tree", "lookup_dcookie", "uselib"]
c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
                         "syscalls": [{"names": denied, "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
                                      {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]
                                     # ptrace: only attaching to a non-child (ATTACH=16, SEIZE=0x4206)
                                     + [{"names": ["ptrace"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
                                         "args": [{"index": 0, "value": r, "op": "SCMP_CMP_EQ"}]}
                                        for r in (16, 0x4206)]}
json.dump(c, open(path, "w"), indent=1)
PY

unshare -m python3 - "$n" "$ctvrt" "$state" "$store" "$image" "$bundle" <<'PY'
import os, statistics, subprocess, sys, time
n = int(sys.argv[1]); ctvrt, state, store, image, bundle = sys.argv[2:]
subprocess.call(["umount", "/sys/fs/cgroup/unified"], stderr=subprocess.DEVNULL)
probe = ["/usr/local/bin/ctv-probe", "noop"]
limits = ["-m", "256m", "--cpus", "0.5", "--pids-limit", "100"]
have = lambda b: subprocess.call(["sh", "-c", "command -v " + b], stdout=subprocess.DEVNULL) == 0
cases = {
    "floor (unshare -pfmuinc --mount-proc true)": lambda i: ["unshare", "-pfmuinc", "--mount-proc", "true"],
    "ctvrt run IMAGE (overlay)": lambda i: [ctvrt, "--root", state, "--store", store, "run", "--rm", "--net", "none", *limits, "--entrypoint", "", image, *probe],
    "ctvrt run --bundle": lambda i: [ctvrt, "--root", state, "run", "--bundle", bundle, "ctvcmp%d" % i],
}
if have("crun"): cases["crun run"] = lambda i: ["crun", "run", "-b", bundle, "ctvcrun%d" % i]
if have("runc"): cases["runc run"] = lambda i: ["runc", "run", "-b", bundle, "ctvrunc%d" % i]
results = {k: [] for k in cases}
for i in range(n + 3):  # 3 warm-up rounds, interleaved so drift hits every runtime alike
    for name, argv in cases.items():
        t0 = time.monotonic_ns()
        rc = subprocess.call(argv(i), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t1 = time.monotonic_ns()
        if rc != 0:
            print("%s failed (exit %d): %s" % (name, rc, " ".join(argv(i))), file=sys.stderr)
            sys.exit(1)
        if i >= 3: results[name].append((t1 - t0) / 1e6)
med = {k: statistics.median(v) for k, v in results.items()}
print("start-to-exit of ctv-probe noop, n=%d (ms)" % n)
for k, v in results.items():
    q = statistics.quantiles(v, n=20)
    print("  %-45s median %7.2f  p95 %7.2f  min %7.2f" % (k, med[k], q[18], min(v)))
floor = med["floor (unshare -pfmuinc --mount-proc true)"]
c = med["ctvrt run IMAGE (overlay)"]
print("ratios (ctvrt run IMAGE):")
print("  vs floor: %.2f  (target <= 2.0)" % (c / floor))
if "crun run" in med: print("  vs crun:  %.2f  (target <= 0.7)" % (c / med["crun run"]))
if "runc run" in med: print("  vs runc:  %.2f" % (c / med["runc run"]))
PY
