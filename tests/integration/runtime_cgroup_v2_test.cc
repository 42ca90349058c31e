// ctvrt on a real cgroup v2 kernel. This CI host is cgroup v1 (hybrid), so the v2 backend would
// otherwise only ever meet fixture trees: boot a guest (Debian's kernel, ctv-init mounts cgroup2
// on /sys/fs/cgroup and nothing else: a pure v2 machine) whose root holds ctvrt, the libraries it
// loads and the project's image, run tests/integration/guest/cgroup_v2.sh in it, and hold what
// comes back over the marker channel to the expectations of the v1 host tests
// (runtime_container_test.cc): OOM kill at -m, half a core at --cpus 0.5, a fork bomb stopped at
// --pids-limit, and (v2 only) clone3(CLONE_INTO_CGROUP) placement and removal on `rm`; OCI
// bundles: resources at a linux.cgroupsPath (hugepageLimits too), the eBPF device filter and a
// `cgroup` mount seen from inside (issue 19).
// One boot for all of it (direct QEMU, microvm, 2 vCPUs): ~20 s under TCG here.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bench/drivers/qemu_driver.h"
#include "core/fd.h"
#include "runtime/image/layer_writer.h"
#include "runtime/image/layout.h"
#include "tests/integration/vm_test_env.h"
#include "tests/support/runtime_image.h"

namespace ctv {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// "key=value" lines of the guest script (other lines, e.g. an error of ctvrt, are ignored here
// and shown with the whole output when an expectation fails).
std::map<std::string, std::string> ParseKv(const std::string& out) {
  std::map<std::string, std::string> kv;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    size_t eq = line.find('=');
    if (eq == std::string::npos || eq == 0 || line.find(' ') < eq) continue;
    kv[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return kv;
}

json Json(const std::map<std::string, std::string>& kv, const std::string& key) {
  auto it = kv.find(key);
  return it == kv.end() ? json() : json::parse(it->second, nullptr, false);
}

// The value of `key` in "k1 v1 k2 v2 ..." (a cgroup key-value file flattened to one line), or -1.
int64_t Field(const std::string& flat, const std::string& key) {
  std::istringstream in(flat);
  std::string k, v;
  while (in >> k >> v)
    if (k == key) return std::stoll(v);
  return -1;
}

// The guest's root: the project's image (busybox + ctv-probe) plus ctvrt with its libraries, the
// same image as a nested OCI layout at /ctvtest/probe for ctvrt to run, and the script.
Status BuildGuestImage(const std::string& probe_layout, const std::string& out_dir) {
  image::Image base = CTV_TRY(image::OpenImage(probe_layout, "latest"));
  std::vector<image::LayerEntry> e =
      CTV_TRY(testing::ExecutableEntries(test::Bin("ctvrt"), "/usr/local/bin/ctvrt"));
  for (auto& t : CTV_TRY(testing::TreeEntries(probe_layout, "/ctvtest/probe")))
    e.push_back(std::move(t));
  image::LayerEntry script{image::LayerEntry::Type::kFile, "ctvtest/cgroup_v2.sh", 0755};
  script.data = CTV_TRY(ReadFile(test::Source("tests/integration/guest/cgroup_v2.sh")));
  e.push_back(std::move(script));
  image::BuiltLayer layer = CTV_TRY(image::BuildLayer(e));
  CTV_TRY(testing::DeriveImage(base, {layer}, {"/bin/sh"}, {}, out_dir));
  return Ok();
}

TEST(RuntimeCgroupV2InGuest, LimitsJoinAndRemovalOnARealKernel) {
  test::VmTestEnv env;
  if (!env.Missing().empty()) GTEST_SKIP() << env.Missing();
  test::TempDir image_dir;
  Status built = BuildGuestImage(env.Context().image_dir, image_dir.Path());
  ASSERT_TRUE(built) << built.error().ToString();

  std::map<std::string, std::string> kv;
  std::string output;
  {
    bench::DriverContext ctx = env.Context();
    ctx.image_dir = image_dir.Path();
    bench::VmDriverConfig config;
    config.guest_modules = {"overlay"};  // CONFIG_OVERLAY_FS=m in Debian's kernel
    auto driver = bench::MakeQemuDriver(ctx, config);
    Status prepared = driver->Prepare();
    ASSERT_TRUE(prepared) << prepared.error().ToString();
    // 512 MiB: the image store and the containers' upper dirs live in the guest's RAM. 2 vCPUs:
    // the cpuset check needs a CPU to leave out.
    bench::InstanceSpec spec{"ctv-test-cgv2",
                             {"/ctvtest/cgroup_v2.sh"},
                             {},
                             {{"machine", "microvm"}, {"memory", "512"}, {"vcpus", "2"}}};
    auto inst = driver->Create(spec);
    ASSERT_TRUE(inst) << inst.error().ToString();
    ASSERT_TRUE((*inst)->Start());
    auto exit = (*inst)->WaitExit(300s);
    ASSERT_TRUE(exit) << exit.error().ToString();
    output = exit->output;
    EXPECT_TRUE(exit->status.Success()) << exit->status.ToString() << "\n" << output;
    kv = ParseKv(output);
  }
  EXPECT_TRUE(env.QemuPids().empty()) << "a QEMU process survived";
  EXPECT_TRUE(env.InstanceDirs().empty()) << "an instance directory survived";
  std::printf("guest output:\n%s", output.c_str());  // the figures, for the log
  ASSERT_EQ(kv["end"], "1") << "the guest script did not finish:\n" << output;

  // Detection: a pure v2 machine, and ctvrt says so.
  json info = Json(kv, "info");
  ASSERT_TRUE(info.is_object());
  EXPECT_EQ(info["cgroup"]["mode"], "v2");
  EXPECT_EQ(info["cgroup"]["backend"], "v2");
  EXPECT_EQ(info["cgroup"]["join"], "clone_into_cgroup");
  EXPECT_EQ(info["cgroup"]["v2_mount"], "/sys/fs/cgroup");
  for (const char* c : {"cpu", "memory", "pids"})
    EXPECT_NE(info["cgroup"]["controllers"].dump().find(std::string("\"") + c + "\""),
              std::string::npos)
        << c;
  // ctv-init moved the guest's root off the initramfs (its own parent), so pivot_root can work.
  std::istringstream root(kv["guest.root"]);
  std::string id, parent;
  root >> id >> parent;
  EXPECT_NE(id, parent) << kv["guest.root"];
  EXPECT_EQ(kv["guest.overlay"], "1");

  // Memory: as RuntimeLimits.MemoryLimitEndsInOomKill on v1.
  EXPECT_EQ(kv["oom.exit"], "137");  // 128 + SIGKILL
  EXPECT_NE(kv["oom.err"].find("killed by the OOM killer"), std::string::npos);
  EXPECT_NE(kv["oom.ps"].find("oom-killed"), std::string::npos);
  EXPECT_EQ(kv["oom.memory_max"], std::to_string(64 << 20));
  EXPECT_EQ(kv["oom.swap_max"], "0");
  EXPECT_GE(Field(kv["oom.events"], "oom_kill"), 1);
  json oom = Json(kv, "oom.stats");
  ASSERT_TRUE(oom.is_object());
  EXPECT_EQ(oom["cgroup_version"], "v2");
  EXPECT_EQ(oom["oom_kills"], Field(kv["oom.events"], "oom_kill"));
  EXPECT_GE(oom["oom_kills"].get<int64_t>(), 1);
  // memory.peak is 5.19+: ctvrt reports what the kernel has, never a made-up 0.
  if (kv["oom.peak"] == "absent") {
    EXPECT_TRUE(oom["memory_peak_bytes"].is_null());
  } else {
    EXPECT_EQ(oom["memory_peak_bytes"], std::stoll(kv["oom.peak"]));
    EXPECT_LE(oom["memory_peak_bytes"].get<int64_t>(), 64 << 20);
    EXPECT_GT(oom["memory_peak_bytes"].get<int64_t>(), 32 << 20);
  }
  json oom_state = Json(kv, "oom.state");
  ASSERT_TRUE(oom_state.is_object());
  EXPECT_EQ(oom_state["annotations"]["org.ctvbench.oom_killed"], "true");
  EXPECT_EQ(kv["oom.rm"], "0");
  EXPECT_EQ(kv["oom.after_rm"], "absent");

  // memory.high (v2 only, --cgroup-conf / OCI unified): the kernel throttles instead of killing.
  // The probe, trying to touch 4x the mark for 3 s, ends by itself (exit 0, its JSON printed);
  // `high` events were counted; usage was held near the 32 MiB mark (memory.peak where the
  // kernel has it; memory.max stays "max": this is not the OOM path).
  EXPECT_EQ(kv["high.exit"], "0") << kv["high.err"];
  EXPECT_EQ(kv["high.high"], std::to_string(32 << 20));
  EXPECT_EQ(kv["high.max"], "max");
  EXPECT_GE(Field(kv["high.events"], "high"), 1) << kv["high.events"];
  EXPECT_EQ(Field(kv["high.events"], "oom_kill"), 0) << kv["high.events"];
  json high_out = json::parse(kv["high.out"], nullptr, false);
  ASSERT_TRUE(high_out.is_object()) << kv["high.out"];
  EXPECT_LT(high_out["touched_mib"].get<double>(), 128) << "nothing held the probe back";
  json high = Json(kv, "high.stats");
  ASSERT_TRUE(high.is_object()) << kv["high.stats"];
  EXPECT_GE(high["memory_high_events"].get<int64_t>(), 1);
  if (kv["high.peak"] != "absent") {
    EXPECT_LE(std::stoll(kv["high.peak"]), 48ll << 20) << "usage ran far past memory.high";
  }
  EXPECT_EQ(kv["high.rm"], "0");

  // CPU: as RuntimeLimits.HalfACpu, plus the cgroup's own usage over the spin's wall time.
  EXPECT_EQ(kv["cpu.exit"], "0");
  EXPECT_EQ(kv["cpu.max"], "50000 100000");
  json spin = Json(kv, "cpu.out");
  ASSERT_TRUE(spin.is_object());
  EXPECT_NEAR(spin.value("cpu_share", -1.0), 0.5, 0.1);
  int64_t usage_usec = Field(kv["cpu.stat"], "usage_usec");
  double wall_s = spin.value("wall_s", 0.0);
  ASSERT_GT(wall_s, 2.5);
  EXPECT_NEAR(static_cast<double>(usage_usec) / (wall_s * 1e6), 0.5, 0.1) << kv["cpu.stat"];
  EXPECT_GT(Field(kv["cpu.stat"], "nr_throttled"), 0);
  json cpu = Json(kv, "cpu.stats");
  ASSERT_TRUE(cpu.is_object());
  EXPECT_EQ(cpu["cpu_usage_ns"], usage_usec * 1000);
  EXPECT_GT(cpu["cpu_usage_ns"].get<int64_t>(), 1'000'000'000);
  EXPECT_GT(cpu["cpu_nr_throttled"].get<int64_t>(), 0);
  EXPECT_EQ(kv["cpu.rm"], "0");

  // pids: as RuntimeLimits.PidsLimitStopsForkBomb.
  EXPECT_EQ(kv["pids.exit"], "0");
  EXPECT_EQ(kv["pids.max"], "20");
  json bomb = Json(kv, "pids.out");
  ASSERT_TRUE(bomb.is_object());
  EXPECT_GE(bomb.value("forked", -1), 15);
  EXPECT_LE(bomb.value("forked", -1), 20);  // 20 processes including the probe itself
  EXPECT_EQ(bomb["stopped_by"], "EAGAIN");
  EXPECT_GE(Field(kv["pids.events"], "max"), 1);
  EXPECT_EQ(kv["pids.rm"], "0");

  // cpuset: enabled in the parents on request, and it confines the container.
  EXPECT_EQ(kv["cpuset.exit"], "0");
  EXPECT_EQ(kv["cpuset.out"], "Cpus_allowed_list:\t1");
  EXPECT_EQ(kv["cpuset.cpus"], "1");
  EXPECT_EQ(kv["cpuset.parent_subtree"], "cpuset cpu memory pids");
  EXPECT_EQ(kv["cpuset.rm"], "0");

  // Placement: PID 1 started inside ctvbench/<id> by clone3(CLONE_INTO_CGROUP).
  EXPECT_EQ(kv["place.run"], "0");
  ASSERT_FALSE(kv["place.pid"].empty());
  EXPECT_EQ(kv["place.proc_cgroup"], "0::/ctvbench/ctvplace");
  EXPECT_EQ(kv["place.procs"], kv["place.pid"]);
  json placed = Json(kv, "place.state");
  ASSERT_TRUE(placed.is_object());
  EXPECT_EQ(placed["annotations"]["ctvbench.cgroup.join"], "clone_into_cgroup");
  // Controllers are enabled lazily, only those a container needs (cpuset and io: on request).
  EXPECT_EQ(kv["place.parent_subtree"], "cpu memory pids");
  EXPECT_EQ(kv["place.exec_cgroup"], "0::/");
  // rm removes the container's cgroup, and the last container out the shared parent
  // (LaunchOptions::keep_cgroup_parents is only for ctvbench's driver).
  EXPECT_EQ(kv["place.rm"], "0");
  EXPECT_EQ(kv["place.after_rm"], "absent");
  EXPECT_EQ(kv["place.parent_after_rm"], "absent");

  // ---- OCI bundles on v2 (issue 19): as OciResources.* and OciSpec.Devices* on v1 ----
  // Resources at a linux.cgroupsPath below a pre-existing cgroup; what v2 lacks is warned about
  // by name (kernel, swappiness, disableOOMKiller: runc ignores them on v2).
  EXPECT_EQ(kv["ocires.run"], "0") << kv["ocires.err"];
  for (const char* f : {"memory.kernel", "memory.swappiness", "memory.disableOOMKiller"})
    EXPECT_NE(kv["ocires.err"].find(std::string("linux.resources.") + f), std::string::npos)
        << f << ": " << kv["ocires.err"];
  EXPECT_EQ(kv["ocires.memory.max"], "67108864");
  EXPECT_EQ(kv["ocires.memory.low"], "16777216");
  EXPECT_EQ(kv["ocires.memory.swap.max"], "33554432");  // swap - limit, as runc converts
  EXPECT_EQ(kv["ocires.cpu.weight"], "39");             // 1024 shares, runc's conversion
  EXPECT_EQ(kv["ocires.cpu.max"], "50000 100000");
  EXPECT_EQ(kv["ocires.pids.max"], "33");
  EXPECT_EQ(kv["ocires.cpuset.cpus"], "1");
  EXPECT_EQ(kv["ocires.cpuset.mems"], "0");
  EXPECT_FALSE(kv["ocires.procs"].empty() || kv["ocires.procs"] == "absent");
  json res = Json(kv, "ocires.stats");
  ASSERT_TRUE(res.is_object()) << kv["ocires.stats"];
  EXPECT_EQ(res["cgroup_paths"], json({"/sys/fs/cgroup/ctvkeep/mid/res"}));
  EXPECT_EQ(res["pids_current"], 1);
  EXPECT_EQ(kv["ocires.exec_cgroup"], "0::/");
  EXPECT_EQ(kv["ocires.delete"], "0");
  EXPECT_EQ(kv["ocires.after_leaf"], "absent");
  EXPECT_EQ(kv["ocires.after_mid"], "absent");    // made by ctvrt: removed
  EXPECT_EQ(kv["ocires.after_keep"], "present");  // not ctvrt's: kept
  // Refused by name, nothing created.
  EXPECT_NE(kv["ociref1.exit"], "0");
  EXPECT_NE(kv["ociref1.err"].find("linux.resources.cpu.realtimeRuntime"), std::string::npos)
      << kv["ociref1.err"];
  EXPECT_EQ(kv["ociref1.after"], "absent");
  EXPECT_NE(kv["ociref2.exit"], "0");
  EXPECT_NE(kv["ociref2.err"].find("linux.resources.network.classID"), std::string::npos)
      << kv["ociref2.err"];
  EXPECT_EQ(kv["ociref2.after"], "absent");
  // hugepageLimits: the limit and its reservation twin; an unknown size refused by value.
  EXPECT_EQ(kv["ocihuge.run"], "0") << kv["ocihuge.err"];
  EXPECT_EQ(kv["ocihuge.max"], "4194304") << kv["ocihuge.sizes"];
  EXPECT_EQ(kv["ocihuge.rsvd_max"], "4194304");
  EXPECT_EQ(kv["ocihuge.delete"], "0");
  EXPECT_EQ(kv["ocihuge.after"], "absent");
  EXPECT_NE(kv["ocihuge16.exit"], "0");
  EXPECT_NE(kv["ocihuge16.err"].find("linux.resources.hugepageLimits[0].pageSize: `16GB`"),
            std::string::npos)
      << kv["ocihuge16.err"];
  EXPECT_EQ(kv["ocihuge16.after"], "absent");
  // The cgroup mount: its own cgroup as the root of /sys/fs/cgroup, read-only as asked
  // (busybox: "can't create ...: Read-only file system", write=1), the limit unchanged, no
  // other cgroup visible; read-write: it lowers its own limit.
  EXPECT_EQ(kv["ocicgm.exit"], "0") << kv["ocicgm.out"];
  EXPECT_EQ(kv["ocicgm.out"].rfind("50331648 ", 0), 0u) << kv["ocicgm.out"];
  EXPECT_NE(kv["ocicgm.out"].find("Read-only file system"), std::string::npos) << kv["ocicgm.out"];
  EXPECT_NE(kv["ocicgm.out"].find("write=1 50331648 0::/ dirs=0"), std::string::npos)
      << kv["ocicgm.out"];
  EXPECT_EQ(kv["ocicgmrw.exit"], "0") << kv["ocicgmrw.out"];
  EXPECT_EQ(kv["ocicgmrw.out"], "write=0 33554432");
  EXPECT_EQ(kv["ocicgm.after"], "absent");
  // The eBPF device filter: deny all + the standard nodes refuses c 1:11 with EPERM while
  // /dev/null works; an allow rule for writing c 1:11 lets the same write through.
  EXPECT_EQ(kv["ocidev1.exit"], "0") << kv["ocidev1.out"];
  EXPECT_NE(kv["ocidev1.out"].find("mknod=0"), std::string::npos) << kv["ocidev1.out"];
  EXPECT_NE(kv["ocidev1.out"].find("Operation not permitted"), std::string::npos)
      << kv["ocidev1.out"];
  EXPECT_NE(kv["ocidev1.out"].find("kmsg=1"), std::string::npos) << kv["ocidev1.out"];
  EXPECT_NE(kv["ocidev1.out"].find("null=0"), std::string::npos) << kv["ocidev1.out"];
  EXPECT_EQ(kv["ocidev1.after"], "absent");
  EXPECT_EQ(kv["ocidev2.exit"], "0") << kv["ocidev2.out"];
  EXPECT_NE(kv["ocidev2.out"].find("kmsg=0"), std::string::npos) << kv["ocidev2.out"];
  EXPECT_NE(kv["ocidev2.out"].find("null=0"), std::string::npos) << kv["ocidev2.out"];
  EXPECT_EQ(kv["ocidev2.after"], "absent");
  // ---- end of OCI bundles on v2 ----

  // gc of an orphan: as RuntimeLifecycle.ShimKilledThenGcLeavesNothing on v1.
  EXPECT_EQ(kv["gc.run"], "0");
  EXPECT_FALSE(kv["gc.procs_before"].empty() || kv["gc.procs_before"] == "absent");
  EXPECT_NE(kv["gc.out"].find("removed container ctvgc"), std::string::npos);
  EXPECT_EQ(kv["gc.after"], "absent");
  EXPECT_EQ(kv["gc.parent_after"], "absent");
  EXPECT_EQ(kv["gc.containers_after"], "");

  // Crash safety on v2: every ctvrt fault point that fired (SIGKILL there) left nothing after
  // `ctvrt gc`, and a second gc found nothing of it. The points on the cgroup's path must fire.
  std::set<std::string> fired;
  int points = 0;
  for (const auto& [key, value] : kv) {
    if (key.rfind("fault.", 0) != 0) continue;
    ++points;
    std::string point = key.substr(6);
    EXPECT_NE(value.find(" left="), std::string::npos) << key << "=" << value;
    EXPECT_TRUE(value.ends_with(" left=")) << point << ": left after gc: " << value;
    EXPECT_NE(value.find(" gc2=0 "), std::string::npos) << point << ": a second gc: " << value;
    if (value.find("fired=none") == std::string::npos) fired.insert(point);
  }
  EXPECT_GE(points, 8) << "ctvrt --list-fault-points in the guest";
  for (const char* p : {"ctvrt.state_dir_created", "ctvrt.cgroup_made", "ctvrt.cloned",
                        "ctvrt.rootfs_mounted", "ctvrt.shim_started", "ctvrt.delete_half_done"})
    EXPECT_TRUE(fired.count(p)) << p << " did not fire: " << kv[std::string("fault.") + p];
  std::printf("v2 fault points fired and survived with nothing left: %zu of %d\n", fired.size(),
              points);
}

}  // namespace
}  // namespace ctv
