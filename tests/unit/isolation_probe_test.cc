// The probe modes the isolation suite runs, as a plain process: hostinfo's new evidence keys
// next to the old ones, `orphan` leaving its child behind, `persist` writing both files.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/fd.h"
#include "tests/test_util.h"

namespace ctv {
namespace {

using nlohmann::json;

// The JSON line of the probe's output (other lines: the ready marker).
json JsonLine(const std::string& out) {
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] == '{') return json::parse(line, nullptr, false);
  ADD_FAILURE() << "no JSON line in: " << out;
  return json::object();
}

TEST(IsolationProbe, HostinfoReportsTheHostsOwnNamespaces) {
  auto o = test::RunOrDie({test::Bin("ctv-probe"), "hostinfo"});
  ASSERT_TRUE(o.status.Success()) << o.err;
  json j = JsonLine(o.out);
  for (const char* k :
       {"pid", "hostname", "kernel_release", "mount_count", "visible_pids", "uid_map", "cgroup",
        "ns", "addresses", "root_dev", "ipc_shm", "cap_eff", "seccomp", "no_new_privs", "boot_id"})
    EXPECT_TRUE(j.contains(k)) << k << " missing: " << o.out;
  // A child of this test shares its namespaces: the inode numbers must be ours.
  for (const char* kind : {"pid", "uts", "ipc", "net", "mnt"}) {
    char link[64] = {};
    ASSERT_GT(::readlink(("/proc/self/ns/" + std::string(kind)).c_str(), link, sizeof link - 1), 0);
    EXPECT_EQ("[" + std::to_string(j["ns"][kind].get<uint64_t>()) + "]",
              std::string(std::strchr(link, '[')))
        << kind;
  }
  auto boot = ReadFile("/proc/sys/kernel/random/boot_id");
  ASSERT_TRUE(boot);
  EXPECT_EQ(j["boot_id"].get<std::string>() + "\n", *boot);
}

TEST(IsolationProbe, HoldPrintsTheReadyMarkerAfterTheReport) {
  auto o = test::RunOrDie({test::Bin("ctv-probe"), "hostinfo", "--hold", "10"});
  ASSERT_TRUE(o.status.Success()) << o.err;
  size_t report = o.out.find("\"mode\":\"hostinfo\""), ready = o.out.find("CTV-READY");
  ASSERT_NE(report, std::string::npos) << o.out;
  ASSERT_NE(ready, std::string::npos) << o.out;
  EXPECT_LT(report, ready);
}

TEST(IsolationProbe, OrphanExitsWhileItsChildLives) {
  auto o =
      test::RunOrDie({test::Bin("ctv-probe"), "orphan", "--hold", "0", "--child-seconds", "5"});
  ASSERT_TRUE(o.status.Success()) << o.err;
  json j = JsonLine(o.out);
  pid_t child = j["child_pid"].get<pid_t>();
  ASSERT_GT(child, 0);
  EXPECT_EQ(::kill(child, 0), 0) << "the child should outlive its parent";
  auto cmd = ReadFile("/proc/" + std::to_string(child) + "/cmdline");
  if (cmd && cmd->find("ctv-probe") != std::string::npos) ::kill(child, SIGKILL);
}

TEST(IsolationProbe, PersistWritesBothFiles) {
  test::TempDir dir;
  auto o = test::RunOrDie({test::Bin("ctv-probe"), "persist", "--layer", dir / "a", "--volume",
                           dir / "b", "--hold", "0"});
  ASSERT_TRUE(o.status.Success()) << o.err;
  json j = JsonLine(o.out);
  EXPECT_EQ(j["layer_errno"], 0);
  EXPECT_EQ(j["volume_errno"], 0);
  EXPECT_EQ(*ReadFile(dir / "a"), j["content"].get<std::string>());
  EXPECT_EQ(*ReadFile(dir / "b"), j["content"].get<std::string>());
  auto bad = test::RunOrDie({test::Bin("ctv-probe"), "persist"});
  EXPECT_EQ(bad.status.ToString(), "exit 2");
}

}  // namespace
}  // namespace ctv
