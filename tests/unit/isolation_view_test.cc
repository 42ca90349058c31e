// The isolation view's verdicts computed from fixture evidence (reports/isolation_view.h), and the
// claims it judges: every "isolated / shared" comes from the numbers, so changing one number must
// change the verdict.
#include "reports/isolation_view.h"

#include <gtest/gtest.h>

#include "reports/claims.h"
#include "reports/suite_view.h"

namespace ctv::reports {
namespace {

using nlohmann::json;

// The host's init namespaces (the kernel's fixed inode numbers) and its boot id.
json HostView() {
  return {{"pid", 4242},
          {"hostname", "benchhost"},
          {"kernel_release", "6.1.0-18-amd64"},
          {"kernel_version", "#1 SMP Debian"},
          {"boot_id", "aaaaaaaa-1111"},
          {"visible_pids", 180},
          {"mount_count", 40},
          {"cap_eff", "000001ffffffffff"},
          {"seccomp", 0},
          {"no_new_privs", 0},
          {"ns",
           {{"pid", 4026531836u},
            {"uts", 4026531838u},
            {"ipc", 4026531839u},
            {"net", 4026531840u},
            {"mnt", 4026531841u},
            {"user", 4026531837u},
            {"cgroup", 4026531835u},
            {"time", 4026531834u}}}};
}

// A container on the host's kernel: new pid/uts/ipc/net/mnt/cgroup namespaces, the host's user
// and time namespaces.
json ContainerEvidence() {
  json in = HostView();
  in["pid"] = 1;
  in["hostname"] = "ctvisons";
  in["visible_pids"] = 1;
  in["cap_eff"] = "00000000a80425fb";
  in["seccomp"] = 2;
  in["no_new_privs"] = 1;
  in["ns"] = {{"pid", 4026532301u},    {"uts", 4026532299u}, {"ipc", 4026532300u},
              {"net", 4026532303u},    {"mnt", 4026532298u}, {"user", 4026531837u},
              {"cgroup", 4026532302u}, {"time", 4026531834u}};
  json out = {{"pid_source", "workload"}, {"pid", 9422}, {"nspid", "9422 1"}, {"ns", in["ns"]}};
  return {{"inside", in}, {"outside", out}, {"host", HostView()}};
}

const IsolationRow& RowOf(const std::vector<IsolationRow>& rows, const std::string& aspect) {
  for (const auto& r : rows)
    if (r.aspect == aspect) return r;
  static IsolationRow none;
  ADD_FAILURE() << "no row " << aspect;
  return none;
}

TEST(IsolationView, ContainerNamespacesIsolatedWhereTheInodeDiffers) {
  auto rows = IsolationRows(ContainerEvidence());
  EXPECT_EQ(RowOf(rows, "uts").verdict, kIsolated);
  EXPECT_EQ(RowOf(rows, "pid").verdict, kIsolated);
  EXPECT_EQ(RowOf(rows, "user").verdict, kShared);
  EXPECT_EQ(RowOf(rows, "time").verdict, kShared);
  EXPECT_EQ(RowOf(rows, "kernel").verdict, kShared);  // same boot id
  EXPECT_EQ(RowOf(rows, "capabilities").verdict, "confined");
  EXPECT_NE(RowOf(rows, "uts").evidence.find("4026532299"), std::string::npos);
  EXPECT_NE(RowOf(rows, "pid").outside.find("9422"), std::string::npos);
  IsolationCounts n = CountRows(rows);
  EXPECT_EQ(n.isolated, 6);
  EXPECT_EQ(n.shared, 3);  // user, time, kernel
  EXPECT_EQ(n.unknown, 0);
}

TEST(IsolationView, SameInodeMeansShared) {
  json e = ContainerEvidence();
  e["inside"]["ns"]["uts"] = 4026531838u;  // the host's UTS namespace
  auto rows = IsolationRows(e);
  EXPECT_EQ(RowOf(rows, "uts").verdict, kShared);
  // The host sees another inode on its PID 1 than the probe reported: said, not hidden.
  EXPECT_NE(RowOf(rows, "uts").evidence.find("but the host sees"), std::string::npos);
}

TEST(IsolationView, HostProcessSharesEverything) {
  json host = HostView();
  json e = {{"inside", host},
            {"outside", {{"pid_source", "workload"}, {"pid", 4242}, {"ns", host["ns"]}}},
            {"host", host}};
  IsolationCounts n = CountRows(IsolationRows(e));
  EXPECT_EQ(n.isolated, 0);
  EXPECT_EQ(n.shared, 9);
}

TEST(IsolationView, OwnKernelIsIsolatedEvenWithTheInitNamespaceNumbers) {
  // A guest's init namespaces have the same fixed inode numbers as the host's: only the boot id
  // tells the kernels apart.
  json guest = HostView();
  guest["boot_id"] = "bbbbbbbb-2222";
  json e = {
      {"inside", guest},
      {"outside", {{"pid_source", "instance_process"}, {"pid", 777}, {"ns", HostView()["ns"]}}},
      {"host", HostView()}};
  auto rows = IsolationRows(e);
  EXPECT_EQ(RowOf(rows, "uts").verdict, kIsolated);
  EXPECT_EQ(RowOf(rows, "kernel").verdict, kIsolated);
  EXPECT_EQ(RowOf(rows, "capabilities").verdict, "own kernel");
  EXPECT_EQ(CountRows(rows).isolated, 9);
  // Without a boot id on either side and the same uname, nothing can be said about the kernel.
  e["inside"].erase("boot_id");
  e["host"].erase("boot_id");
  EXPECT_EQ(RowOf(IsolationRows(e), "kernel").verdict, kUnknown);
}

TEST(IsolationView, MissingInodeIsUnknown) {
  json e = ContainerEvidence();
  e["inside"]["ns"].erase("time");
  EXPECT_EQ(RowOf(IsolationRows(e), "time").verdict, kUnknown);
}

results::DriverResult Result(const std::string& driver, const std::string& kind,
                             const std::string& c) {
  results::DriverResult d;
  d.driver = driver;
  d.kind = kind;
  d.accelerator = "none";
  d.parameters = {{"case", c}};
  return d;
}

results::RunResults IsolationRun(json ctvrt_evidence, double survivors, double refused) {
  results::SuiteResult s;
  s.name = "isolation";
  auto ns = Result("ctvrt", "container", "namespaces");
  ns.details["isolation"] = std::move(ctvrt_evidence);
  s.results.push_back(ns);
  auto pid1 = Result("ctvrt", "container", "pid1_exit");
  pid1.metrics.push_back(results::MakeMetric("lifecycle.survivors", "count", "", {survivors}));
  s.results.push_back(pid1);
  auto port = Result("ctvrt", "container", "port_conflict");
  port.metrics.push_back(
      results::MakeMetric("network.port_conflict_refused", "count", "", {refused}, false));
  port.details["port_conflict"] = {{"second_error", "host port 17190/tcp is already mapped"}};
  s.results.push_back(port);
  auto st = Result("ctvrt", "container", "storage");
  st.metrics.push_back(results::MakeMetric("storage.layer_files_left", "count", "", {0}));
  st.metrics.push_back(results::MakeMetric("storage.volume_files_kept", "count", "", {1}, false));
  s.results.push_back(st);
  results::RunResults run;
  run.suites.push_back(s);
  return run;
}

ClaimCheck CheckOf(const results::RunResults& run, const std::string& id) {
  for (const auto& r : EvaluateClaims(run))
    if (r.claim.id == id) return r.check;
  ADD_FAILURE() << "no claim " << id;
  return {};
}

TEST(IsolationView, ClaimsFollowTheData) {
  auto good = IsolationRun(ContainerEvidence(), 0, 1);
  EXPECT_EQ(CheckOf(good, "namespace.hostname").verdict, ClaimVerdict::kHolds);
  EXPECT_EQ(CheckOf(good, "process.host_pid").verdict, ClaimVerdict::kHolds);
  EXPECT_NE(CheckOf(good, "process.host_pid").measured.find("9422"), std::string::npos);
  EXPECT_EQ(CheckOf(good, "kernel.shared").verdict, ClaimVerdict::kNuanced);  // no VM here
  EXPECT_EQ(CheckOf(good, "lifecycle.pid1_exit").verdict, ClaimVerdict::kHolds);
  EXPECT_EQ(CheckOf(good, "storage.ephemeral").verdict, ClaimVerdict::kHolds);
  EXPECT_EQ(CheckOf(good, "network.port_conflict").verdict, ClaimVerdict::kHolds);
  EXPECT_NE(CheckOf(good, "network.port_conflict").measured.find("already mapped"),
            std::string::npos);

  json shared_uts = ContainerEvidence();
  shared_uts["inside"]["ns"]["uts"] = 4026531838u;
  auto bad = IsolationRun(shared_uts, 1, 0);
  EXPECT_EQ(CheckOf(bad, "namespace.hostname").verdict, ClaimVerdict::kDoesNotHold);
  EXPECT_EQ(CheckOf(bad, "lifecycle.pid1_exit").verdict, ClaimVerdict::kDoesNotHold);
  EXPECT_EQ(CheckOf(bad, "network.port_conflict").verdict, ClaimVerdict::kDoesNotHold);
}

TEST(IsolationView, OneTablePerDriverWithTheComputedColumn) {
  auto tables = ViewFor("isolation")->Tables(IsolationRun(ContainerEvidence(), 0, 1));
  ASSERT_GE(tables.size(), 2u);
  const Table& t = tables[0];
  EXPECT_NE(t.caption.find("Isolated 6, shared 3"), std::string::npos) << t.caption;
  ASSERT_EQ(t.header[1], "isolated / shared");
  bool uts = false;
  for (const auto& row : t.rows)
    if (row[0].text == "uts") {
      uts = true;
      EXPECT_NE(row[1].text.find("isolated"), std::string::npos);
    }
  EXPECT_TRUE(uts);
}

}  // namespace
}  // namespace ctv::reports
