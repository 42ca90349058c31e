// Namespaces table, id maps, OCI config parsing, rootfs plan, security profile (no root needed).
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>

#include <cerrno>

#include "core/fd.h"
#include "runtime/fs/rootfs.h"
#include "runtime/ns/namespaces.h"
#include "runtime/oci/config.h"
#include "runtime/security/security.h"
#include "runtime/state.h"
#include "tests/support/runtime_image.h"

namespace ctv::runtime {
namespace {

TEST(Namespaces, OneTableParsesNamesAndOciTypes) {
  EXPECT_EQ(ns::ParseKinds("pid,mnt,uts").value(), CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS);
  EXPECT_EQ(ns::ParseKinds("network,mount").value(), CLONE_NEWNET | CLONE_NEWNS);
  auto bad = ns::ParseKinds("pid,time2");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().ToString().find("time2"), std::string::npos);
  EXPECT_EQ(ns::DefaultFlags() & CLONE_NEWUSER, 0);
  EXPECT_EQ(ns::Kinds().size(), 7u);
}

TEST(Namespaces, IdMaps) {
  auto m = ns::ParseIdMap("0:100000:65536");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(ns::FormatIdMaps({*m}), "0 100000 65536\n");
  EXPECT_FALSE(ns::ParseIdMap("0:100000").has_value());
  EXPECT_FALSE(ns::ParseIdMap("0:1:0").has_value());
  EXPECT_FALSE(ns::ParseIdMap("a:b:c").has_value());
}

// What `runc spec` writes (trimmed to the fields ctvrt reads), with args changed.
const char* kRuncSpec = R"({
  "ociVersion": "1.0.2-dev",
  "process": {"terminal": true, "user": {"uid": 0, "gid": 0}, "args": ["sh", "-c", "true"],
    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
    "cwd": "/",
    "capabilities": {"bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]},
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
    "noNewPrivileges": true},
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "runc",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
    {"destination": "/data", "type": "bind", "source": "/srv", "options": ["rbind", "ro"]}
  ],
  "linux": {
    "resources": {"devices": [{"allow": false, "access": "rwm"}], "memory": {"limit": 67108864},
                  "cpu": {"quota": 50000, "period": 100000}, "pids": {"limit": 20}},
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}],
    "maskedPaths": ["/proc/kcore"],
    "readonlyPaths": ["/proc/sys"]
  }
})";

TEST(OciConfig, RuncSpecBundle) {
  auto s = oci::ParseConfig(kRuncSpec, "/b");
  ASSERT_TRUE(s.has_value()) << s.error().ToString();
  EXPECT_EQ(s->rootfs_dir, "/b/rootfs");
  EXPECT_TRUE(s->readonly_rootfs);
  EXPECT_EQ(s->process.args, (std::vector<std::string>{"sh", "-c", "true"}));
  EXPECT_EQ(s->hostname, "runc");
  EXPECT_EQ(s->namespaces, CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS);
  EXPECT_EQ(s->process.caps, (1ull << 29) | (1ull << 5) | (1ull << 10));
  ASSERT_EQ(s->process.rlimits.size(), 1u);
  EXPECT_EQ(*s->limits.memory_bytes, 67108864);
  EXPECT_DOUBLE_EQ(*s->limits.cpus, 0.5);
  EXPECT_EQ(*s->limits.pids, 20);
  ASSERT_EQ(s->extra_mounts.size(), 1u);  // standard destinations are ctvrt's own
  EXPECT_EQ(s->extra_mounts[0].destination, "/data");
  EXPECT_TRUE(s->extra_mounts[0].flags & MS_BIND);
  EXPECT_TRUE(s->extra_mounts[0].flags & MS_RDONLY);
  EXPECT_EQ(s->masked_paths, std::vector<std::string>{"/proc/kcore"});
}

TEST(OciConfig, ErrorsNameTheField) {
  auto s = oci::ParseConfig(
      R"({"process": {"args": ["x"]}, "linux": {"namespaces": [{"type": "pid", "path": "proc/1/ns/pid"}]}})",
      "/b");
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().ToString().find("linux.namespaces[0].path"), std::string::npos);
  auto e = oci::ParseConfig(R"({"process": {"args": []}})", "/b");
  ASSERT_FALSE(e.has_value());
  EXPECT_NE(e.error().ToString().find("process.args"), std::string::npos);
}

TEST(RootfsPlan, OverlayLowerdirsTopFirstAndPivotLast) {
  ContainerSpec spec;
  spec.id = "ctvx";
  spec.namespaces = ns::DefaultFlags();
  spec.lower_dirs = {"/L/bottom", "/L/top"};
  spec.volumes = {{"/host/data", "/data/sub", true}};
  auto plan = fs::BuildRootfsPlan(spec, {"/s/rootfs", "/s/upper", "/s/work"});
  ASSERT_TRUE(plan.has_value()) << plan.error().ToString();
  bool overlay = false, pivot = false, volume = false, kcore_after_pivot = false;
  for (const fs::MountOp& op : *plan) {
    if (op.fstype == "overlay") {
      overlay = true;
      EXPECT_EQ(op.data,
                std::string("lowerdir=/L/top:/L/bottom,upperdir=/s/upper,workdir=/s/work") +
                    (fs::OverlayHasVolatile() ? ",volatile" : ""));
      EXPECT_EQ(fs::DescribeOp(op), "mount overlay on `/s/rootfs`");
    }
    if (op.kind == fs::MountOp::Kind::kPivotRoot) pivot = true;
    if (op.source == "/host/data") {
      volume = true;
      EXPECT_FALSE(pivot);
      EXPECT_EQ(op.target, "/s/rootfs/data/sub");
    }
    if (op.kind == fs::MountOp::Kind::kMask && op.target == "/proc/kcore")
      kcore_after_pivot = pivot;
  }
  EXPECT_TRUE(overlay && pivot && volume && kcore_after_pivot);
}

TEST(RootfsPlan, UserNamespaceBindsDevicesAndUsesUserxattr) {
  ContainerSpec spec;
  spec.id = "ctvx";
  spec.namespaces = ns::DefaultFlags() | CLONE_NEWUSER;
  spec.lower_dirs = {"/L/a"};
  auto plan = fs::BuildRootfsPlan(spec, {"/s/rootfs", "/s/upper", "/s/work"});
  ASSERT_TRUE(plan.has_value());
  for (const fs::MountOp& op : *plan) {
    EXPECT_NE(op.kind, fs::MountOp::Kind::kMknod);
    if (op.fstype == "overlay") {
      EXPECT_NE(op.data.find(",userxattr"), std::string::npos);
    }
  }
}

TEST(RootfsPlan, NeedsMountNamespaceAndAbsoluteVolumes) {
  ContainerSpec spec;
  spec.id = "ctvx";
  spec.lower_dirs = {"/L/a"};
  spec.namespaces = CLONE_NEWPID;
  EXPECT_FALSE(fs::BuildRootfsPlan(spec, {"/r", "/u", "/w"}).has_value());
  spec.namespaces = ns::DefaultFlags();
  spec.volumes = {{"relative", "/x", false}};
  auto r = fs::BuildRootfsPlan(spec, {"/r", "/u", "/w"});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().ToString().find("HOSTDIR:CTDIR"), std::string::npos);
}

TEST(RootfsPlan, RootThatIsItsOwnParentIsTheInitramfs) {
  // An initramfs guest before switch_root: rootfs is mount 1, its own parent.
  EXPECT_TRUE(
      fs::RootIsMountTreeRoot("1 1 0:2 / / rw - rootfs rootfs rw,size=232828k,nr_inodes=58207\n"
                              "14 1 0:5 / /dev rw,nosuid - devtmpfs devtmpfs rw\n"));
  // The same files after ctv-init bound them onto a directory and moved that over /: the root
  // now hangs below rootfs (not listed, it is outside the reader's root).
  EXPECT_FALSE(
      fs::RootIsMountTreeRoot("13 1 0:2 / / rw - rootfs rootfs rw,size=232828k,nr_inodes=58207\n"
                              "14 13 0:5 / /dev rw,nosuid - devtmpfs devtmpfs rw\n"));
  // A booted host.
  EXPECT_FALSE(fs::RootIsMountTreeRoot(
      "28 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
      "22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"));
  EXPECT_FALSE(fs::RootIsMountTreeRoot(""));
}

TEST(RootfsPlan, HostCausesOfAFailedStepAreNamed) {
  fs::MountOp overlay;
  overlay.kind = fs::MountOp::Kind::kMount;
  overlay.fstype = "overlay";
  std::string why = fs::HostCauseOf(overlay, ENODEV);
  EXPECT_NE(why.find("no overlay filesystem"), std::string::npos) << why;
  EXPECT_NE(why.find("modprobe overlay"), std::string::npos) << why;
  EXPECT_EQ(fs::HostCauseOf(overlay, EINVAL), "");  // e.g. bad options: the spec's doing
  fs::MountOp pivot;
  pivot.kind = fs::MountOp::Kind::kPivotRoot;
  testing::TempDir t;
  std::string initramfs = t.Path() + "/initramfs", booted = t.Path() + "/booted";
  ASSERT_TRUE(WriteFile(initramfs, "1 1 0:2 / / rw - rootfs rootfs rw\n").has_value());
  ASSERT_TRUE(WriteFile(booted, "28 1 254:1 / / rw - ext4 /dev/vda1 rw\n").has_value());
  why = fs::HostCauseOf(pivot, EINVAL, initramfs);
  EXPECT_NE(why.find("the current root is the initramfs"), std::string::npos) << why;
  EXPECT_EQ(fs::HostCauseOf(pivot, EINVAL, booted), "");
  EXPECT_EQ(fs::HostCauseOf(pivot, EPERM, initramfs), "");
}

TEST(Security, DefaultCapsAndSeccompProfile) {
  security::CapSet caps = security::DefaultCaps();
  EXPECT_TRUE(caps & (1ull << security::ParseCap("CAP_CHOWN").value()));
  EXPECT_FALSE(caps & (1ull << security::ParseCap("SYS_ADMIN").value()));
  EXPECT_FALSE(caps & (1ull << security::ParseCap("MKNOD").value()));
  EXPECT_FALSE(security::ParseCap("CAP_FLY").has_value());
  auto p = security::DefaultSeccomp();
  ASSERT_TRUE(p.has_value()) << p.error().ToString();
  EXPECT_GT((*p)->code.size(), 20u);
  auto names = security::DeniedSyscalls();
  for (const char* must :
       {"mount", "umount2", "reboot", "kexec_load", "init_module", "finit_module", "delete_module",
        "swapon", "swapoff", "settimeofday", "keyctl", "bpf"})
    EXPECT_NE(std::find(names.begin(), names.end(), must), names.end()) << must;
}

TEST(State, IdsAndProcessLiveness) {
  EXPECT_TRUE(ValidateId("ctv123").has_value());
  EXPECT_FALSE(ValidateId("../x").has_value());
  EXPECT_FALSE(ValidateId("").has_value());
  EXPECT_EQ(NewContainerId().rfind("ctv", 0), 0u);
  EXPECT_TRUE(ProcessAlive(::getpid(), ProcessStartTime(::getpid())));
  EXPECT_FALSE(ProcessAlive(::getpid(), ProcessStartTime(::getpid()) + 1));
}

}  // namespace
}  // namespace ctv::runtime
