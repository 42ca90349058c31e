// The footprint and density suites on this host: the figures they report, cross-checked with
// independent readers, the density ramp's stop rules, and that nothing is left behind (also after
// Ctrl-C, and after a SIGKILL once `ctvbench gc` ran).
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "bench/drivers/ctvrt_driver.h"
#include "bench/image/probe_image.h"
#include "bench/suites/host_memory.h"
#include "bench/suites/instances.h"
#include "core/fd.h"
#include "core/fs_tree.h"
#include "core/process.h"
#include "tests/test_util.h"

namespace ctv {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

#define REQUIRE_ROOT() \
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (containers: namespaces, mounts, cgroups)"

// An OCI image of the project (busybox + this build's ctv-probe), built once for the file, in
// a temp dir removed when the test process exits (a fixed /tmp path per pid was never removed).
const std::string& Image() {
  static test::TempDir tmp;
  static const std::string dir = [] {
    std::string d = tmp / "image";
    auto img = bench::BuildProbeImage({"/bin/busybox", test::Bin("ctv-probe")}, d);
    EXPECT_TRUE(img) << (img ? "" : img.error().ToString());
    return d;
  }();
  return dir;
}

// PSS of `pid` summed from its full /proc/PID/smaps (every mapping's "Pss:" line): another file
// and another parser than the suite's smaps_rollup reader.
uint64_t SmapsPss(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/smaps");
  uint64_t sum = 0;
  for (std::string line; std::getline(in, line);)
    if (line.rfind("Pss:", 0) == 0) sum += std::stoull(line.substr(4));
  return sum;
}

// smem's PSS column (KiB) of `pid`, or 0 when smem does not list it.
uint64_t SmemPss(pid_t pid) {
  auto o = test::RunOrDie({"smem", "-H", "-c", "pid pss"});
  std::istringstream in(o.out);
  for (pid_t p; in >> p;) {
    uint64_t pss = 0;
    in >> pss;
    if (p == pid) return pss;
  }
  return 0;
}

TEST(FootprintReader, CtvrtPssAgreesWithSmapsAndSmem) {
  REQUIRE_ROOT();
  ASSERT_EQ(::access("/usr/bin/smem", X_OK), 0) << "smem missing: scripts/setup installs it";
  test::TempDir state;
  bench::DriverContext ctx;
  ctx.image_dir = Image();
  ctx.state_dir = state.Path();
  auto driver = bench::MakeCtvrtDriver(ctx);
  ASSERT_TRUE(driver->Check().available) << driver->Check().reason;
  ASSERT_TRUE(driver->Prepare()) << "prepare failed";
  auto inst = bench::StartIdle(*driver, "ctv-fptest-" + std::to_string(::getpid()), {});
  ASSERT_TRUE(inst) << inst.error().ToString();
  std::this_thread::sleep_for(200ms);
  std::vector<pid_t> pids = (*inst)->HostPids();
  ASSERT_FALSE(pids.empty());
  auto suite = bench::ReadProcessesMemory(pids);
  ASSERT_TRUE(suite) << suite.error().ToString();
  uint64_t smaps = 0, smem = 0;
  for (pid_t p : pids) {
    smaps += SmapsPss(p);
    smem += SmemPss(p);
  }
  EXPECT_GT(suite->pss_kib, 0u);
  EXPECT_NEAR(static_cast<double>(suite->pss_kib), static_cast<double>(smaps), 0.15 * smaps)
      << "suite " << suite->pss_kib << " KiB, smaps " << smaps << " KiB";
  EXPECT_NEAR(static_cast<double>(suite->pss_kib), static_cast<double>(smem), 0.15 * smem)
      << "suite " << suite->pss_kib << " KiB, smem " << smem << " KiB";
  // Its upper dir is where its mountinfo says, and holds a few KiB at most when idle.
  auto upper = bench::OverlayUpperDir(pids[0]);
  ASSERT_TRUE(upper) << upper.error().ToString();
  EXPECT_EQ(upper->rfind(state.Path(), 0), 0u) << *upper;
  ASSERT_TRUE((*inst)->Stop(5s));
}

json RunCli(const std::vector<std::string>& args, const std::string& out, int* exit_code = nullptr) {
  std::vector<std::string> argv = {test::Bin("ctvbench"), "run", "-q", "-o", out};
  argv.insert(argv.end(), args.begin(), args.end());
  auto o = test::RunOrDie(argv, 600);
  if (exit_code) *exit_code = o.status.Success() ? 0 : o.status.code;
  EXPECT_TRUE(o.status.Success() || exit_code) << o.out << o.err;
  std::ifstream in(out);
  return json::parse(in, nullptr, false);
}

const json* FindResult(const json& run, const std::string& driver) {
  for (const auto& r : run["suites"][0]["results"])
    if (r["driver"] == driver) return &r;
  return nullptr;
}

const json* FindMetric(const json& r, const std::string& name) {
  for (const auto& m : r["metrics"])
    if (m["name"] == name) return &m;
  return nullptr;
}

size_t CountEntries(const std::string& dir) {
  auto names = fs::ListDir(dir);
  return names ? names->size() : 0;
}

// Cgroups, mounts and processes named after the suites' instances: none may outlive a run.
void ExpectNothingLeft(const std::string& state, const std::string& name_glob) {
  EXPECT_EQ(CountEntries(state + "/containers"), 0u);
  auto cg = test::RunOrDie(
      {"sh", "-c", "find /sys/fs/cgroup -maxdepth 4 -type d -name '" + name_glob + "' | wc -l"});
  EXPECT_EQ(std::atoi(cg.out.c_str()), 0) << "cgroups named " << name_glob << " left";
  auto mounts = test::RunOrDie({"sh", "-c", "grep -c '" + state + "' /proc/self/mountinfo || true"});
  EXPECT_EQ(std::atoi(mounts.out.c_str()), 0) << "mounts under " << state << " left";
}

TEST(FootprintCli, HostAndCtvrtGiveEveryFigureWithItsUnit) {
  REQUIRE_ROOT();
  test::TempDir dir;
  json run = RunCli({"--suite", "footprint", "--driver", "host", "--driver", "ctvrt", "-n", "3",
                     "-w", "0", "--batch", "3", "--state-dir", dir / "state", "--image", Image()},
                    dir / "out.json");
  ASSERT_TRUE(run.is_object());
  const json* ctvrt = FindResult(run, "ctvrt");
  const json* host = FindResult(run, "host");
  ASSERT_TRUE(ctvrt && host);
  ASSERT_TRUE((*ctvrt)["skipped"].is_null()) << (*ctvrt)["skipped"];
  for (const char* name : {"footprint.pss_kib", "footprint.rss_kib", "footprint.uss_kib",
                           "footprint.cgroup_kib"}) {
    const json* m = FindMetric(*ctvrt, name);
    ASSERT_TRUE(m) << name;
    EXPECT_EQ((*m)["unit"], "KiB");
    EXPECT_EQ((*m)["samples"].size(), 3u) << name;
    EXPECT_GT((*m)["stats"]["median"].get<double>(), 0) << name;
  }
  // The batch: one drop per instance started, and PSS shrinks once the image's pages are shared.
  const json* drop = FindMetric(*ctvrt, "footprint.memavailable_drop_kib");
  ASSERT_TRUE(drop);
  EXPECT_EQ((*drop)["samples"].size(), 3u);
  double alone = (*FindMetric(*ctvrt, "footprint.pss_kib"))["stats"]["median"];
  const json* at_k = FindMetric(*ctvrt, "footprint.pss_at_k_kib");
  ASSERT_TRUE(at_k);
  EXPECT_LT((*at_k)["stats"]["median"].get<double>(), alone);
  const json* shared = FindMetric(*ctvrt, "footprint.image_shared_pct");
  ASSERT_TRUE(shared);
  EXPECT_GT((*shared)["stats"]["median"].get<double>(), 30.0);
  const json* upper = FindMetric(*ctvrt, "footprint.upper_dir_bytes");
  ASSERT_TRUE(upper);
  EXPECT_LT((*upper)["stats"]["median"].get<double>(), 1024 * 1024);
  // A host process shares the harness's cgroup: no cgroup figure, and the reason why.
  EXPECT_FALSE(FindMetric(*host, "footprint.cgroup_kib"));
  EXPECT_NE((*host)["details"].value("cgroup_none", "").find("share"), std::string::npos)
      << (*host)["details"];
  ExpectNothingLeft(dir / "state", "ctv-fp-*");
}

TEST(DensityCli, StopsAtMaxAndAtTheMemoryBudget) {
  REQUIRE_ROOT();
  test::TempDir dir;
  json run = RunCli({"--suite", "density", "--driver", "ctvrt", "--max", "6", "--state-dir",
                     dir / "state", "--image", Image()},
                    dir / "max.json");
  const json* r = FindResult(run, "ctvrt");
  ASSERT_TRUE(r);
  EXPECT_EQ((*FindMetric(*r, "density.instances"))["samples"][0], 6);
  EXPECT_EQ((*r)["details"]["stopped_by"].get<std::string>().rfind("max", 0), 0u)
      << (*r)["details"]["stopped_by"];
  std::vector<int> ns;
  for (const auto& st : (*r)["details"]["steps"]) ns.push_back(st["n"]);
  EXPECT_EQ(ns, (std::vector<int>{1, 2, 4, 6}));
  EXPECT_EQ((*FindMetric(*r, "density.launch_ms"))["samples"].size(), 6u);
  ExpectNothingLeft(dir / "state", "ctv-dn-*");

  // 2 MiB: an idle container costs ~1 MiB (PSS alone, before any is shared): the ramp ends
  // within a few instances, by the budget, far from --max.
  json small = RunCli({"--suite", "density", "--driver", "ctvrt", "--max", "1000", "--budget",
                       "2MiB", "--state-dir", dir / "state", "--image", Image()},
                      dir / "budget.json");
  r = FindResult(small, "ctvrt");
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)["details"]["stopped_by"].get<std::string>().rfind("budget", 0), 0u)
      << (*r)["details"]["stopped_by"];
  int n = (*FindMetric(*r, "density.instances"))["samples"][0];
  EXPECT_GE(n, 1);
  EXPECT_LT(n, 10);
  ExpectNothingLeft(dir / "state", "ctv-dn-*");
}

TEST(DensityCli, ParallelStartsGroupsAtOnce) {
  REQUIRE_ROOT();
  test::TempDir dir;
  json run = RunCli({"--suite", "density", "--driver", "ctvrt", "--max", "8", "--parallel", "4",
                     "--state-dir", dir / "state", "--image", Image()},
                    dir / "out.json");
  const json* r = FindResult(run, "ctvrt");
  ASSERT_TRUE(r);
  ASSERT_TRUE((*r)["skipped"].is_null()) << (*r)["skipped"];
  EXPECT_EQ((*FindMetric(*r, "density.instances"))["samples"][0], 8);
  const json* par = FindMetric(*r, "density.parallel_start_ms");
  ASSERT_TRUE(par);
  EXPECT_EQ((*par)["samples"].size(), 2u);
  ExpectNothingLeft(dir / "state", "ctv-dn-*");
}

// A density ramp of ctvrt toward 1000 containers, once 10 of them run (nullopt, with a test
// failure, when they do not within 30 s).
std::optional<Child> StartLongRamp(const test::TempDir& dir) {
  SpawnOptions so;
  so.argv = {test::Bin("ctvbench"), "run", "-q", "--suite", "density", "--driver", "ctvrt",
             "--max", "1000", "--ramp-time", "0", "--state-dir", dir / "state", "--image",
             Image(), "-o", dir / "out.json"};
  auto child = Spawn(so);
  if (!child) {
    ADD_FAILURE() << child.error().ToString();
    return std::nullopt;
  }
  for (int i = 0; i < 600; ++i) {
    if (CountEntries(dir / "state/containers") >= 10) return std::move(child).value();
    std::this_thread::sleep_for(50ms);
  }
  ADD_FAILURE() << "no 10 containers within 30 s";
  return std::nullopt;
}

// Ctrl-C in the middle of a ramp: the instances so far are stopped and removed, the results say
// where it stopped, the exit status is 130.
TEST(DensityCli, CtrlCStopsTheRampAndRemovesEverything) {
  REQUIRE_ROOT();
  test::TempDir dir;
  auto child = StartLongRamp(dir);
  ASSERT_TRUE(child);
  ASSERT_TRUE(child->Signal(SIGINT));
  auto st = child->WaitFor(120s);
  ASSERT_TRUE(st && st->has_value()) << "the run did not end within 120 s of Ctrl-C";
  EXPECT_EQ((*st)->code, 130) << (*st)->ToString();
  std::ifstream in(dir / "out.json");
  json run = json::parse(in, nullptr, false);
  ASSERT_TRUE(run.is_object());
  EXPECT_TRUE(run["suites"][0]["interrupted"].get<bool>());
  const json* r = FindResult(run, "ctvrt");
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)["details"]["stopped_by"].get<std::string>().rfind("interrupt", 0), 0u);
  ExpectNothingLeft(dir / "state", "ctv-dn-*");
}

// SIGKILL: no destructor runs; the containers (their probes, cgroups, mounts) stay until
// `ctvbench gc` removes them.
TEST(DensityCli, GcReclaimsASigkilledRamp) {
  REQUIRE_ROOT();
  test::TempDir dir;
  auto child = StartLongRamp(dir);
  ASSERT_TRUE(child);
  ASSERT_TRUE(child->Signal(SIGKILL));
  ASSERT_TRUE(child->Wait());
  EXPECT_GE(CountEntries(dir / "state/containers"), 10u) << "nothing left: the test proves nothing";
  auto gc = test::RunOrDie({test::Bin("ctvbench"), "gc", "--state-dir", dir / "state"}, 300);
  EXPECT_TRUE(gc.status.Success()) << gc.out << gc.err;
  ExpectNothingLeft(dir / "state", "ctv-dn-*");
  // No process is left in a cgroup of the ramp's containers.
  auto procs =
      test::RunOrDie({"sh", "-c", "grep -ls 'ctv-dn-' /proc/[0-9]*/cgroup 2>/dev/null | wc -l"});
  EXPECT_EQ(std::atoi(procs.out.c_str()), 0);
}

}  // namespace
}  // namespace ctv
