// The `vm` driver against a libvirt daemon on another host: RemoteLibvirtHost, a real libvirtd and
// sshd in their own mount, network and PID namespaces, reached with qemu+ssh:// over a veth pair.
// That host cannot see this one's files, so each test shows the driver needs nothing but the
// connection: the guest is uploaded into the remote's storage pool and booted there, its markers
// and console come back as libvirt streams (and STOP goes the other way), `accel=auto` is resolved
// there, and a killed harness's domain is destroyed by the daemon.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "bench/drivers/vm_driver.h"
#include "core/fd.h"
#include "core/line_reader.h"
#include "core/process.h"
#include "tests/integration/remote_libvirt_host.h"
#include "tests/integration/vm_test_env.h"
#include "vm/libvirt/conn.h"
#include "vm/libvirt/daemon_info.h"
#include "vm/libvirt/volumes.h"
#include "bench/drivers/guest_driver.h"

namespace ctv {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::vector<std::string> MarkNames(const bench::Instance& inst) {
  std::vector<std::string> out;
  for (const auto& m : inst.Marks()) out.push_back(m.name);
  return out;
}

// The remote host is started once for the suite: its start (daemons, QEMU capability probe)
// costs seconds, and every test here needs the same one.
class VmRemoteTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!ctv::testing::RemoteLibvirtHost::Missing().empty()) return;
    work_ = new test::TempDir();
    ctv::testing::RemoteLibvirtHost::Options o;
    o.cache_dir = "/run/ctvbench/cache/remote-libvirt-host";  // libvirt's capability cache
    auto h = ctv::testing::RemoteLibvirtHost::Start(work_->Path(), o);
    if (!h) {
      start_error_ = new std::string(h.error().ToString());
      return;
    }
    remote_ = new ctv::testing::RemoteLibvirtHost(std::move(*h));
  }
  static void TearDownTestSuite() {
    if (remote_) {
      auto trace = remote_->GetTrace();
      Status s = remote_->Stop();
      EXPECT_TRUE(s) << s.error().ToString();
      auto left = ctv::testing::RemoteLibvirtHost::Leftovers(trace);
      EXPECT_TRUE(left.empty()) << "the remote host left " << left.front();
      delete remote_;
      remote_ = nullptr;
    }
    delete work_;
    work_ = nullptr;
  }
  void SetUp() override {
    if (!env_.Missing().empty()) GTEST_SKIP() << env_.Missing();
    if (std::string m = ctv::testing::RemoteLibvirtHost::Missing(); !m.empty()) GTEST_SKIP() << m;
    ASSERT_TRUE(remote_) << "remote libvirt host did not start: " << *start_error_;
  }

  std::unique_ptr<bench::Driver> RemoteDriver() {
    bench::VmDriverConfig config;
    config.libvirt_uri = remote_->Uri();
    return bench::MakeVmDriver(env_.Context(), config);
  }
  // QEMU processes and ctv* domains on the remote.
  std::string RemoteQemus() {
    auto out = remote_->Run("pgrep -a -x qemu-system-x86 || true");
    return out ? *out : out.error().ToString();
  }
  int RemoteCtvDomains() {
    auto conn = vm::lv::Connection::Open(remote_->Uri());
    if (!conn) {
      ADD_FAILURE() << conn.error().ToString();
      return -1;
    }
    virDomainPtr* doms = nullptr;
    int n = virConnectListAllDomains(conn->Get(), &doms, 0), ctv = 0;
    for (int i = 0; i < n; ++i) {
      vm::lv::Domain d(doms[i]);
      if (d.Name().rfind("ctv", 0) == 0) ++ctv;
    }
    free(doms);
    return ctv;
  }

  test::VmTestEnv env_{/*own_state=*/true};
  static test::TempDir* work_;
  static ctv::testing::RemoteLibvirtHost* remote_;
  static std::string* start_error_;
};

test::TempDir* VmRemoteTest::work_ = nullptr;
ctv::testing::RemoteLibvirtHost* VmRemoteTest::remote_ = nullptr;
std::string* VmRemoteTest::start_error_ = nullptr;

TEST_F(VmRemoteTest, GuestBootsThereAndReportsOverTheConnectionOnly) {
  auto driver = RemoteDriver();
  bench::Availability a = driver->Check();
  EXPECT_TRUE(a.available) << a.reason;
  EXPECT_EQ(a.accelerator, "unknown") << "another host's accelerator cannot be known before a start";
  EXPECT_NE(a.reason.find(remote_->Address()), std::string::npos) << a.reason;
  // Results name where QEMU ran and how the markers travelled (their times include the relay).
  auto params = driver->EffectiveParameters({});
  EXPECT_EQ(params["qemu_host"], remote_->Address());
  EXPECT_NE(params["marker_transport"].find("libvirt console stream"), std::string::npos);
  {
    // accel=auto: the remote's libvirt offers KVM (this machine's /dev/kvm), but it is kvm_pvm,
    // where the guest cannot boot: the driver must find that out there and fall back to TCG.
    bench::InstanceSpec spec{"ctv-test-remote", {"hostinfo"}, {}, {{"accel", "auto"}}};
    auto inst = driver->Create(spec);
    ASSERT_TRUE(inst) << inst.error().ToString();
    auto st = (*inst)->Start();
    ASSERT_TRUE(st) << st.error().ToString();
    EXPECT_NE(RemoteQemus(), "") << "the guest's QEMU runs on the remote";
    auto exit = (*inst)->WaitExit(120s);
    ASSERT_TRUE(exit) << exit.error().ToString();
    EXPECT_TRUE(exit->status.Success()) << exit->status.ToString();
    size_t b = exit->output.find('{');
    ASSERT_NE(b, std::string::npos) << exit->output;
    json j = json::parse(exit->output.substr(b), nullptr, false);
    ASSERT_TRUE(j.is_object()) << exit->output;
    utsname u{};
    ::uname(&u);
    EXPECT_NE(j["kernel_release"], u.release);
    EXPECT_EQ(j["pid1_comm"], "ctv-init");
    EXPECT_EQ(MarkNames(**inst), (std::vector<std::string>{"launch", "process", "firmware",
                                                           "kernel", "init", "done", "gone"}));
    auto facts = (*inst)->Facts();
    const std::string& accel = facts[bench::fact::kAccelerator];
    const std::string& note = facts[bench::fact::kAcceleratorNote];
    if (accel == "tcg") {
      EXPECT_NE(note.find(remote_->Address()), std::string::npos)
          << "the fallback must name the host it was decided on: " << note;
    } else {
      EXPECT_EQ(accel, "kvm") << note;
    }
  }
  // The guest files are volumes there; the domain and its QEMU are gone.
  auto vols = remote_->Run(std::string("ls ") + vm::lv::kPoolPath);
  ASSERT_TRUE(vols) << vols.error().ToString();
  EXPECT_NE(vols->find("vmlinux-"), std::string::npos) << *vols;
  EXPECT_NE(vols->find("initrd-"), std::string::npos) << *vols;
  EXPECT_EQ(vols->find(".part"), std::string::npos) << "an upload left its partial volume";
  EXPECT_EQ(RemoteQemus(), "");
  EXPECT_EQ(RemoteCtvDomains(), 0);
  EXPECT_TRUE(env_.InstanceDirs().empty()) << "an instance directory survived";
}

// STOP travels to the guest over the marker stream (the bridge's other direction); the guest's
// workload exits on it and the domain goes.
TEST_F(VmRemoteTest, ReadyThenStopOverTheStream) {
  auto driver = RemoteDriver();
  {
    bench::InstanceSpec spec{"ctv-test-remote-stop", {"ready"}, {}, {{"accel", "tcg"}}};
    auto inst = driver->Create(spec);
    ASSERT_TRUE(inst) << inst.error().ToString();
    ASSERT_TRUE((*inst)->Start());
    auto ready = (*inst)->WaitReady(120s);
    ASSERT_TRUE(ready) << ready.error().ToString();
    auto stop = (*inst)->Stop(60s);
    ASSERT_TRUE(stop) << stop.error().ToString();
    EXPECT_EQ(MarkNames(**inst),
              (std::vector<std::string>{"launch", "process", "firmware", "kernel", "init", "ready",
                                        "done", "gone"}));
  }
  EXPECT_EQ(RemoteQemus(), "");
  EXPECT_EQ(RemoteCtvDomains(), 0);
}

// A daemon that stops answering mid-run (here: libvirtd frozen with SIGSTOP) must not hang the
// harness: keepalive closes the connection, the wait fails, and once the daemon answers again it
// destroys the orphaned domain (AUTODESTROY).
TEST_F(VmRemoteTest, FrozenDaemonFailsTheWaitInsteadOfHanging) {
  auto driver = RemoteDriver();
  {
    bench::InstanceSpec spec{"ctv-test-remote-frozen", {"ready"}, {}, {{"accel", "tcg"}}};
    auto inst = driver->Create(spec);
    ASSERT_TRUE(inst) << inst.error().ToString();
    ASSERT_TRUE((*inst)->Start());
    auto ready = (*inst)->WaitReady(120s);
    ASSERT_TRUE(ready) << ready.error().ToString();
    auto frozen = remote_->Run("kill -STOP $(pidof libvirtd)");
    ASSERT_TRUE(frozen) << frozen.error().ToString();
    auto t0 = std::chrono::steady_clock::now();
    auto stop = (*inst)->Stop(90s);
    auto waited = std::chrono::steady_clock::now() - t0;
    ASSERT_TRUE(remote_->Run("kill -CONT $(pidof libvirtd)"));
    EXPECT_FALSE(stop) << "Stop succeeded although the daemon was frozen";
    EXPECT_LT(waited, 60s) << "the harness waited for the frozen daemon until its own deadline";
  }
  std::string left = RemoteQemus();
  for (int i = 0; i < 300 && !left.empty(); ++i) {
    ::usleep(100000);
    left = RemoteQemus();
  }
  EXPECT_EQ(left, "") << "the daemon did not destroy the domain of the lost connection";
}

// The guest's scratch disk lives there too: a sparse volume in the pool, named after the
// instance, read by the guest through virtio-blk; deleted once QEMU holds it open.
TEST_F(VmRemoteTest, ScratchDiskIsAVolumeThereAndGoesWithTheInstance) {
  auto driver = RemoteDriver();
  const std::string volume = "ctv-test-remote-disk-disk.raw";
  {
    bench::InstanceSpec spec{"ctv-test-remote-disk",
                             {"blkread", "--mib", "16"},
                             {},
                             {{"accel", "tcg"}, {"machine", "pc"}, {"devices", "virtio"},
                              {"disk", "16"}}};
    auto inst = driver->Create(spec);
    ASSERT_TRUE(inst) << inst.error().ToString();
    auto before = remote_->Run(std::string("ls ") + vm::lv::kPoolPath);
    ASSERT_TRUE(before) << before.error().ToString();
    EXPECT_NE(before->find(volume), std::string::npos) << *before;
    ASSERT_TRUE((*inst)->Start());
    // Deleted as soon as QEMU holds it open: a killed harness cannot leave it in the pool.
    auto running = remote_->Run(std::string("ls ") + vm::lv::kPoolPath);
    ASSERT_TRUE(running) << running.error().ToString();
    EXPECT_EQ(running->find(volume), std::string::npos) << *running;
    auto exit = (*inst)->WaitExit(180s);
    ASSERT_TRUE(exit) << exit.error().ToString();
    EXPECT_TRUE(exit->status.Success()) << exit->status.ToString() << ": " << exit->output;
    size_t b = exit->output.rfind("{\"mode\":\"blkread\"");
    ASSERT_NE(b, std::string::npos) << exit->output;
    json j = json::parse(exit->output.substr(b), nullptr, false);
    EXPECT_EQ(j["device"], "/dev/vda");
    EXPECT_EQ(j["driver"], "virtio_blk");
    EXPECT_EQ(j["bytes"], 16 << 20);
  }
  auto vols = remote_->Run(std::string("ls ") + vm::lv::kPoolPath);
  ASSERT_TRUE(vols) << vols.error().ToString();
  EXPECT_EQ(vols->find(volume), std::string::npos) << "the scratch volume survived: " << *vols;
  EXPECT_EQ(RemoteQemus(), "");
}

// The remote pool is a cache like the local one: uploads are reused, and each upload keeps only
// the three newest volumes of its kind.
TEST_F(VmRemoteTest, UploadsAreReusedAndOnlyTheThreeNewestOfAKindKept) {
  auto conn = vm::lv::Connection::Open(remote_->Uri());
  ASSERT_TRUE(conn) << conn.error().ToString();
  test::TempDir files;
  for (const char* n : {"a", "b", "c", "d"}) {
    std::string local = files / n;
    ASSERT_TRUE(WriteFile(local, std::string("initrd ") + n));
    auto v = vm::lv::EnsureVolume(conn->Get(), local, std::string("initrd-test") + n + ".cpio");
    ASSERT_TRUE(v) << v.error().ToString();
    EXPECT_TRUE(v->uploaded);
    auto again = vm::lv::EnsureVolume(conn->Get(), local, std::string("initrd-test") + n + ".cpio");
    ASSERT_TRUE(again) << again.error().ToString();
    EXPECT_FALSE(again->uploaded) << "an existing volume was uploaded again";
    EXPECT_EQ(again->path, v->path);
  }
  auto ls = remote_->Run(std::string("cd ") + vm::lv::kPoolPath + " && ls initrd-test* && cat initrd-testd.cpio");
  ASSERT_TRUE(ls) << ls.error().ToString();
  EXPECT_EQ(*ls, "initrd-testb.cpio\ninitrd-testc.cpio\ninitrd-testd.cpio\ninitrd d");
}

// doctor --libvirt-uri describes the daemon's host, not this one.
TEST_F(VmRemoteTest, DaemonDescribesItsOwnHost) {
  auto conn = vm::lv::Connection::Open(remote_->Uri());
  ASSERT_TRUE(conn) << conn.error().ToString();
  auto info = vm::lv::DescribeDaemon(conn->Get());
  ASSERT_TRUE(info) << info.error().ToString();
  EXPECT_EQ(info->hostname, "ctv-remote-host");
  EXPECT_FALSE(info->libvirt_version.empty());
  EXPECT_FALSE(info->qemu_version.empty());
  if (!info->kvm_offered) {
    EXPECT_FALSE(info->kvm_why.empty());
  }
}

// The harness dies without a destructor running: its ssh link drops, and the daemon destroys the
// domain it started with AUTODESTROY. Nothing for `ctvbench gc` to do there; here, gc removes the
// local instance directory.
TEST_F(VmRemoteTest, KilledHarnessDomainIsDestroyedByTheDaemon) {
  auto pipe = MakePipe();
  ASSERT_TRUE(pipe);
  SpawnOptions so;
  so.argv = {test::Bin("vm-kill-helper"),     "start",
             "vm",                            env_.Context().state_dir,
             env_.Context().image_dir,        env_.Context().probe_path,
             remote_->Uri()};
  so.stdout_fd = pipe->write.Get();
  auto child = Spawn(so);
  ASSERT_TRUE(child) << child.error().ToString();
  pipe->write.Reset();
  LineReader reader(pipe->read.Get());
  auto line = reader.Next(120s);
  ASSERT_TRUE(line && *line) << "helper did not start a guest";
  ASSERT_EQ((*line)->text, "STARTED");
  EXPECT_NE(RemoteQemus(), "");
  child->KillAndReap();  // SIGKILL
  std::string left = RemoteQemus();
  for (int i = 0; i < 300 && !left.empty(); ++i) {
    ::usleep(100000);
    left = RemoteQemus();
  }
  EXPECT_EQ(left, "") << "the daemon did not destroy the killed harness's domain within 30 s";
  EXPECT_EQ(RemoteCtvDomains(), 0);
  auto gc = RunCommand({test::Bin("vm-kill-helper"), "gc", env_.Context().state_dir}, 120s);
  ASSERT_TRUE(gc) << gc.error().ToString();
  EXPECT_TRUE(gc->status.Success()) << gc->err;
  EXPECT_TRUE(env_.InstanceDirs().empty()) << "gc left an instance directory";
}

// Ctrl-C on `ctvbench run` against the remote while a guest boots: exit 130, the domain
// destroyed, no instance dir here, and no ssh process of libvirt's transport left behind.
TEST_F(VmRemoteTest, CtrlCLeavesNothingHereOrThere) {
  SpawnOptions so;
  so.argv = {test::Bin("ctvbench"), "run", "--suite", "startup", "--driver", "vm",
             "--libvirt-uri", remote_->Uri(), "--option", "vm.accel=tcg", "--repetitions", "100",
             "--warmup", "0", "--quiet", "--out", env_.Context().state_dir + "/r.json", "--image",
             env_.Context().image_dir, "--state-dir", env_.Context().state_dir};
  auto child = Spawn(so);
  ASSERT_TRUE(child) << child.error().ToString();
  std::string qemus;
  for (int i = 0; i < 600 && qemus.empty(); ++i) {
    ::usleep(100000);
    qemus = RemoteQemus();
  }
  ASSERT_NE(qemus, "") << "no guest started on the remote";
  ::usleep(300 * 1000);
  ASSERT_TRUE(child->Signal(SIGINT));
  auto st = child->WaitFor(30s);
  ASSERT_TRUE(st);
  ASSERT_TRUE(st->has_value()) << "ctvbench did not stop on SIGINT";
  EXPECT_EQ((*st)->ToString(), "exit 130");
  EXPECT_EQ(RemoteQemus(), "") << "the guest's QEMU survived Ctrl-C";
  EXPECT_TRUE(env_.InstanceDirs().empty()) << "instance directory survived Ctrl-C";
  auto ssh = RunCommand({"pgrep", "-f", "ssh .*" + remote_->Address()}, 10s);
  ASSERT_TRUE(ssh);
  EXPECT_EQ(ssh->out, "") << "an ssh process of libvirt's transport survived";
}

}  // namespace
}  // namespace ctv
