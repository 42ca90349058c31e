// RemoteLibvirtHost (remote_libvirt_host.h): a real libvirtd behind a real sshd, in namespaces
// of its own, reached with a qemu+ssh:// URI. The tests prove what the fixture promises: the
// ssh transport works with host key checking, the storage driver takes uploads that land on the
// remote only, the remote cannot see our state, and nothing is left after Stop() or after the
// test process is SIGKILLed. No guest is booted here (see vm_remote_test.cc).
#include "tests/integration/remote_libvirt_host.h"

#include <gtest/gtest.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "core/fd.h"
#include "core/fs_tree.h"
#include "core/line_reader.h"
#include "core/process.h"
#include "tests/test_util.h"
#include "vm/libvirt/conn.h"

namespace ctv {
namespace {

using namespace std::chrono_literals;
using testing::RemoteLibvirtHost;

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string Joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "\n";
  return s;
}

// Every byte value, then a line: an upload must arrive byte for byte.
std::string Payload() {
  std::string s;
  for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
  return s + "ctvbench remote upload " + std::to_string(getpid()) + "\n";
}

// Uploads `data` into a new volume `name` of `pool` with virStorageVolUpload + a virStream.
Status Upload(virConnectPtr conn, virStoragePoolPtr pool, const std::string& name,
              const std::string& data) {
  std::string xml = "<volume><name>" + name + "</name><capacity unit='bytes'>" +
                    std::to_string(data.size()) +
                    "</capacity><target><format type='raw'/></target></volume>";
  virStorageVolPtr vol = virStorageVolCreateXML(pool, xml.c_str(), 0);
  if (!vol) return vm::lv::LastError("create volume", name);
  virStreamPtr st = virStreamNew(conn, 0);
  Status result = Ok();
  if (!st) {
    result = vm::lv::LastError("create a stream for", name);
  } else if (virStorageVolUpload(vol, st, 0, data.size(), 0) < 0) {
    result = vm::lv::LastError("upload to volume", name);
    virStreamAbort(st);
  } else {
    size_t off = 0;
    while (off < data.size() && result) {
      int n = virStreamSend(st, data.data() + off, std::min<size_t>(data.size() - off, 65536));
      if (n < 0) {
        result = vm::lv::LastError("send to volume", name);
        virStreamAbort(st);
      } else {
        off += n;
      }
    }
    if (result && virStreamFinish(st) < 0) result = vm::lv::LastError("finish upload", name);
  }
  if (st) virStreamFree(st);
  virStorageVolFree(vol);
  return result;
}

class RemoteLibvirtHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (namespaces, veth, cgroups)";
    if (std::string why = RemoteLibvirtHost::Missing(); !why.empty()) GTEST_SKIP() << why;
  }
};

TEST_F(RemoteLibvirtHostTest, SshUploadSeparationAndNothingLeft) {
  test::TempDir wd;
  ASSERT_FALSE(wd.Path().empty());
  const bool root_ssh_existed = fs::Exists("/root/.ssh");
  // A file in our own state root, which the remote must not see.
  const bool state_root_existed = fs::Exists("/run/ctvbench");
  ASSERT_TRUE(fs::MakeDirs("/run/ctvbench"));
  const std::string ours = "/run/ctvbench/remote-host-test-" + std::to_string(getpid());
  ASSERT_TRUE(WriteFile(ours, "local only\n"));

  auto t0 = std::chrono::steady_clock::now();
  auto host = RemoteLibvirtHost::Start(wd.Path());
  ASSERT_TRUE(host) << host.error().ToString();
  std::printf("[ remote ] start %.2f s (ready %.2f s, capabilities %.2f s), %s\n", SecondsSince(t0),
              host->Times().ready_s, host->Times().capabilities_s, host->Uri().c_str());
  const RemoteLibvirtHost::Trace trace = host->GetTrace();
  EXPECT_FALSE(trace.pid_ns.empty());
  EXPECT_NE(trace.net_ns, "");

  {
    auto conn = vm::lv::Connection::Open(host->Uri());
    ASSERT_TRUE(conn) << conn.error().ToString();
    char* name = virConnectGetHostname(conn->Get());
    ASSERT_NE(name, nullptr) << virGetLastErrorMessage();
    EXPECT_STREQ(name, "ctv-remote-host");
    free(name);
    char* type = const_cast<char*>(virConnectGetType(conn->Get()));
    ASSERT_NE(type, nullptr);
    EXPECT_STREQ(type, "QEMU");

    // A transient dir pool on the remote, a volume, an upload through a virStream.
    const std::string pool_dir = "/var/lib/libvirt/ctv-remote-test-pool";
    std::string pool_xml = "<pool type='dir'><name>ctvtest</name><target><path>" + pool_dir +
                           "</path></target></pool>";
    virStoragePoolPtr pool =
        virStoragePoolCreateXML(conn->Get(), pool_xml.c_str(), VIR_STORAGE_POOL_CREATE_WITH_BUILD);
    ASSERT_NE(pool, nullptr) << virGetLastErrorMessage();
    const std::string data = Payload();
    Status up = Upload(conn->Get(), pool, "blob", data);
    EXPECT_TRUE(up) << up.error().ToString();
    auto remote = host->Run("cat " + pool_dir + "/blob");
    ASSERT_TRUE(remote) << remote.error().ToString();
    EXPECT_EQ(*remote, data);
    auto owner = host->Run("stat -c %U:%a " + pool_dir + "/blob");
    ASSERT_TRUE(owner) << owner.error().ToString();
    std::printf("[ remote ] uploaded volume: %s", owner->c_str());
    EXPECT_FALSE(fs::Exists(pool_dir)) << "the upload landed in OUR mount namespace";
    EXPECT_EQ(virStoragePoolDestroy(pool), 0) << virGetLastErrorMessage();
    virStoragePoolFree(pool);
  }

  // Separation, both ways: our /run/ctvbench is not the remote's, and the remote's writes stay
  // there. Run() executes in the remote's namespaces (its PID 1 is the fixture's reaper).
  auto seen = host->Run("test -e " + ours + " && echo visible || echo absent");
  ASSERT_TRUE(seen) << seen.error().ToString();
  EXPECT_EQ(*seen, "absent\n");
  // The same probe on a file the remote does share with us (the root filesystem's /etc).
  auto shared = host->Run("test -e /etc/debian_version && echo visible || echo absent");
  ASSERT_TRUE(shared) << shared.error().ToString();
  EXPECT_EQ(*shared, "visible\n");
  auto wrote = host->Run("mkdir -p /run/ctvbench && echo remote > " + ours + ".remote");
  ASSERT_TRUE(wrote) << wrote.error().ToString();
  EXPECT_FALSE(fs::Exists(ours + ".remote"));
  auto ident = host->Run("hostname; cat /proc/1/comm; ls /boot | wc -l");
  ASSERT_TRUE(ident) << ident.error().ToString();
  EXPECT_EQ(*ident, "ctv-remote-host\nctv-remote-init\n0\n");
  // The remote's cgroups: "/" in its own cgroup namespace, our ctvrh-<pid> group here.
  // (PID 1's: what Run() starts stays in this process's cgroups.)
  auto cg = host->Run("grep -v ':/$' /proc/1/cgroup || true");
  ASSERT_TRUE(cg) << cg.error().ToString();
  EXPECT_EQ(*cg, "") << "PID 1 of the remote is not at the root of its cgroup namespace";
  auto here = RunCommand(
      {"find", "/sys/fs/cgroup", "-maxdepth", "8", "-type", "d", "-name", trace.cgroup_name});
  ASSERT_TRUE(here);
  EXPECT_NE(here->out, "");

  // The host key is checked: with another key in known_hosts the same URI is refused.
  {
    auto keygen = RunCommand({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", wd / "other"});
    ASSERT_TRUE(keygen && keygen->status.Success());
    auto other = ReadFile(wd / "other.pub");
    ASSERT_TRUE(other);
    ASSERT_TRUE(WriteFile(wd / "client/known_hosts",
                          "ctv-remote-host " + other->substr(0, other->rfind(' ')) + "\n"));
    auto refused = vm::lv::Connection::Open(host->Uri());
    ASSERT_FALSE(refused) << "connected despite a wrong host key";
    EXPECT_NE(refused.error().ToString().find("Host key verification failed"), std::string::npos)
        << refused.error().ToString();
  }

  t0 = std::chrono::steady_clock::now();
  Status stopped = host->Stop();
  std::printf("[ remote ] stop %.2f s\n", SecondsSince(t0));
  EXPECT_TRUE(stopped) << stopped.error().ToString();
  EXPECT_EQ(Joined(RemoteLibvirtHost::Leftovers(trace)), "");
  EXPECT_FALSE(host->Run("true")) << "Run() after Stop()";
  auto mounts = ReadFile("/proc/self/mountinfo");
  ASSERT_TRUE(mounts);
  EXPECT_EQ(mounts->find(wd.Path()), std::string::npos);
  EXPECT_EQ(mounts->find("ctv-remote"), std::string::npos);
  EXPECT_EQ(fs::Exists("/root/.ssh"), root_ssh_existed) << "ssh must not touch root's ~/.ssh";

  ::unlink(ours.c_str());
  if (!state_root_existed) ::rmdir("/run/ctvbench");
}

// The test process dies without running any destructor: the remote must die with it (PDEATHSIG
// chain), and CleanupStale() removes the empty cgroups that are all it leaves.
TEST_F(RemoteLibvirtHostTest, DiesWithItsProcessAndCleanupRemovesTheRest) {
  test::TempDir wd;
  auto pipe = MakePipe();
  ASSERT_TRUE(pipe);
  SpawnOptions so;
  so.argv = {test::Bin("remote-host-kill-helper"), wd.Path()};
  so.stdout_fd = pipe->write.Get();
  auto child = Spawn(so);
  ASSERT_TRUE(child) << child.error().ToString();
  pipe->write.Reset();
  LineReader reader(pipe->read.Get());
  auto line = reader.Next(120s);
  ASSERT_TRUE(line && *line) << "the helper did not start the fixture";
  const std::string& text = (*line)->text;
  char veth[32] = {}, cgroup[64] = {};
  int init_pid = 0;
  ASSERT_EQ(std::sscanf(text.c_str(), "READY %d %31s %63s", &init_pid, veth, cgroup), 3) << text;
  RemoteLibvirtHost::Trace trace;
  {
    char buf[64];
    ssize_t n = readlink(("/proc/" + std::to_string(init_pid) + "/ns/pid").c_str(), buf, 63);
    ASSERT_GT(n, 0);
    trace.pid_ns.assign(buf, n);
    n = readlink(("/proc/" + std::to_string(init_pid) + "/ns/net").c_str(), buf, 63);
    ASSERT_GT(n, 0);
    trace.net_ns.assign(buf, n);
  }
  trace.veth = veth;
  trace.cgroup_name = cgroup;
  ASSERT_NE(Joined(RemoteLibvirtHost::Leftovers(trace)), "");

  child->KillAndReap();
  // The kernel tears the namespaces down asynchronously: wait (bounded) for them to go.
  std::vector<std::string> left;
  for (int i = 0; i < 200; ++i) {
    left = RemoteLibvirtHost::Leftovers(trace);
    if (left.size() == 1 && left[0].rfind("cgroups ", 0) == 0) break;
    ::usleep(50 * 1000);
  }
  ASSERT_EQ(left.size(), 1u) << Joined(left);
  EXPECT_EQ(left[0].rfind("cgroups ", 0), 0u) << "only the empty cgroups may remain: " << left[0];
  Status cleaned = RemoteLibvirtHost::CleanupStale();
  EXPECT_TRUE(cleaned) << cleaned.error().ToString();
  EXPECT_EQ(Joined(RemoteLibvirtHost::Leftovers(trace)), "");
}

}  // namespace
}  // namespace ctv
