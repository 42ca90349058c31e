// The config.json the runc, crun and runsc drivers hand their runtime (bench/drivers/oci_config.h),
// checked as JSON, apart from any runtime.
#include <gtest/gtest.h>

#include <algorithm>

#include "bench/drivers/oci_config.h"

namespace ctv::bench {
namespace {

using nlohmann::json;

OciConfigSpec Spec() {
  OciConfigSpec s;
  s.args = {"/usr/local/bin/ctv-probe", "ready", "--timeout", "5"};
  s.env = {"PATH=/usr/local/bin:/bin"};
  s.hostname = "ctv-startup-runc-1-0";
  s.cgroups_path = "/ctvbench/ctv-startup-runc-1-0";
  s.limits.memory_bytes = 256ull << 20;
  s.limits.cpus = 0.5;
  s.limits.pids = 100;
  return s;
}

std::vector<std::string> NamespaceTypes(const json& c) {
  std::vector<std::string> out;
  for (const auto& n : c["linux"]["namespaces"]) out.push_back(n["type"]);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(PeersOciConfig, ProcessRunsTheProbeWithoutTerminal) {
  json c = RenderOciConfig(Spec());
  EXPECT_EQ(c["ociVersion"], "1.0.2");
  EXPECT_EQ(c["process"]["args"],
            json::array({"/usr/local/bin/ctv-probe", "ready", "--timeout", "5"}));
  EXPECT_EQ(c["process"]["env"], json::array({"PATH=/usr/local/bin:/bin"}));
  EXPECT_EQ(c["process"]["cwd"], "/");
  EXPECT_EQ(c["process"]["terminal"], false);
  EXPECT_EQ(c["process"]["noNewPrivileges"], true);
  EXPECT_EQ(c["process"]["user"]["uid"], 0);
  EXPECT_FALSE(c["process"].contains("rlimits")) << "the harness's limits are inherited";
  EXPECT_EQ(c["hostname"], "ctv-startup-runc-1-0");
  EXPECT_EQ(c["root"]["path"], "rootfs");
  EXPECT_EQ(c["root"]["readonly"], false);
}

TEST(PeersOciConfig, SameNamespacesAsCtvrt) {
  json c = RenderOciConfig(Spec());
  EXPECT_EQ(NamespaceTypes(c),
            (std::vector<std::string>{"cgroup", "ipc", "mount", "network", "pid", "uts"}));
  for (const auto& n : c["linux"]["namespaces"]) EXPECT_FALSE(n.contains("path"));
  OciConfigSpec host_net = Spec();
  host_net.network_namespace = false;
  EXPECT_EQ(NamespaceTypes(RenderOciConfig(host_net)),
            (std::vector<std::string>{"cgroup", "ipc", "mount", "pid", "uts"}));
}

TEST(PeersOciConfig, LimitsBecomeResourcesInTheCtvbenchCgroup) {
  json c = RenderOciConfig(Spec());
  const json& r = c["linux"]["resources"];
  EXPECT_EQ(r["memory"]["limit"], 256ll << 20);
  EXPECT_EQ(r["cpu"]["quota"], 50000);
  EXPECT_EQ(r["cpu"]["period"], 100000);
  EXPECT_EQ(r["pids"]["limit"], 100);
  EXPECT_EQ(c["linux"]["cgroupsPath"], "/ctvbench/ctv-startup-runc-1-0");
  // memory.high has no structured field: a raw v2 file, its value a string as the spec says.
  OciConfigSpec high = Spec();
  high.limits.memory_high_bytes = 64ull << 20;
  EXPECT_EQ(RenderOciConfig(high)["linux"]["resources"]["unified"],
            json({{"memory.high", std::to_string(64 << 20)}}));
  // No limits asked: none written (the runtimes then leave the controllers unlimited).
  OciConfigSpec none = Spec();
  none.limits = {};
  json c0 = RenderOciConfig(none);
  const json& r0 = c0["linux"]["resources"];
  EXPECT_FALSE(r0.contains("memory"));
  EXPECT_FALSE(r0.contains("cpu"));
  EXPECT_FALSE(r0.contains("pids"));
  EXPECT_FALSE(r0.contains("unified"));
  ASSERT_TRUE(r0.contains("devices"));
  EXPECT_EQ(r0["devices"][0]["allow"], false);
}

TEST(PeersOciConfig, RuncSpecMountsAndPaths) {
  json c = RenderOciConfig(Spec());
  std::vector<std::string> dst;
  for (const auto& m : c["mounts"]) dst.push_back(m["destination"]);
  EXPECT_EQ(dst, (std::vector<std::string>{"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue",
                                           "/sys", "/sys/fs/cgroup"}));
  auto has = [](const json& opts, const char* o) {
    return std::find(opts.begin(), opts.end(), o) != opts.end();
  };
  EXPECT_TRUE(has(c["mounts"][5]["options"], "ro"));  // sysfs
  EXPECT_TRUE(has(c["mounts"][6]["options"], "ro"));  // cgroup
  EXPECT_EQ(c["mounts"][6]["type"], "cgroup");
  EXPECT_TRUE(has(c["linux"]["maskedPaths"], "/proc/kcore"));
  EXPECT_TRUE(has(c["linux"]["maskedPaths"], "/sys/firmware"));
  EXPECT_TRUE(has(c["linux"]["readonlyPaths"], "/proc/sys"));
  EXPECT_TRUE(has(c["linux"]["readonlyPaths"], "/proc/sysrq-trigger"));
}

TEST(PeersOciConfig, VolumesAreReadWriteBindMountsAfterTheStandardOnes) {
  OciConfigSpec spec = Spec();
  spec.volumes = {{"/tmp/ctviso-volume-x", "/ctv-isolation-volume"}};
  json c = RenderOciConfig(spec);
  ASSERT_EQ(c["mounts"].size(), 8u);
  const json& v = c["mounts"][7];
  EXPECT_EQ(v["destination"], "/ctv-isolation-volume");
  EXPECT_EQ(v["source"], "/tmp/ctviso-volume-x");
  EXPECT_EQ(v["type"], "bind");
  EXPECT_EQ(v["options"], json::array({"rbind", "rw"}));
}

TEST(PeersOciConfig, CtvrtCapabilitiesAndSeccomp) {
  json c = RenderOciConfig(Spec());
  const json& caps = c["process"]["capabilities"]["bounding"];
  auto has = [&](const char* cap) {
    return std::find(caps.begin(), caps.end(), cap) != caps.end();
  };
  EXPECT_EQ(caps.size(), 13u);
  EXPECT_TRUE(has("CAP_CHOWN"));
  EXPECT_TRUE(has("CAP_NET_BIND_SERVICE"));
  EXPECT_FALSE(has("CAP_SYS_ADMIN"));
  EXPECT_FALSE(has("CAP_MKNOD"));
  EXPECT_EQ(c["process"]["capabilities"]["effective"], caps);
  const json& sc = c["linux"]["seccomp"];
  EXPECT_EQ(sc["defaultAction"], "SCMP_ACT_ALLOW");
  bool mount_denied = false, clone3_enosys = false, newuser = false;
  for (const auto& rule : sc["syscalls"]) {
    const json& names = rule["names"];
    auto named = [&](const char* s) {
      return std::find(names.begin(), names.end(), s) != names.end();
    };
    if (named("mount")) mount_denied = rule["errnoRet"] == 1;
    if (named("clone3")) clone3_enosys = rule["errnoRet"] == 38;
    if (named("unshare")) newuser = rule["args"][0]["op"] == "SCMP_CMP_MASKED_EQ";
  }
  EXPECT_TRUE(mount_denied);
  EXPECT_TRUE(clone3_enosys);
  EXPECT_TRUE(newuser);
  OciConfigSpec off = Spec();
  off.seccomp = false;
  EXPECT_FALSE(RenderOciConfig(off)["linux"].contains("seccomp"));
}

}  // namespace
}  // namespace ctv::bench
