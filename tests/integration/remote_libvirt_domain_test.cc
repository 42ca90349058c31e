// A guest on the RemoteLibvirtHost (remote_libvirt_host.h), the way a driver for remote URIs
// must run one: kernel and initramfs uploaded into a storage pool on the remote (it cannot see
// our files), a transient domain started paused, its serial console opened with
// virDomainOpenConsole and read through a virStream, then resumed. The guest's /init prints a
// marker and powers off. Boots under TCG: holds RESOURCE_LOCK vm_boot.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <set>
#include <string>

#include "core/fd.h"
#include "core/fs_tree.h"
#include "core/process.h"
#include "tests/integration/remote_libvirt_host.h"
#include "tests/test_util.h"
#include "vm/guest/kernel.h"
#include "vm/libvirt/conn.h"

namespace ctv {
namespace {

using namespace std::chrono_literals;
using testing::RemoteLibvirtHost;

constexpr char kMarker[] = "CTV-REMOTE-GUEST-UP";
constexpr char kPoolDir[] = "/var/lib/libvirt/ctv-remote-guest";
// Shared by the fixtures of these tests: libvirt's QEMU capability cache (see Options).
constexpr char kCapsCache[] = "/run/ctvbench/cache/remote-libvirt-host";

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string Joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "\n";
  return s;
}

// newc cpio: /init (a busybox script printing the marker, then powering off), /bin/busybox,
// /dev/console (without it the kernel starts /init with no stdout).
Status WriteGuestInitramfs(const std::string& busybox, const std::string& out) {
  auto bb = CTV_TRY(ReadFile(busybox));
  std::string init = std::string("#!/bin/busybox sh\n/bin/busybox echo ") + kMarker +
                     " user=$(/bin/busybox id -u)\n/bin/busybox poweroff -f\n";
  std::unique_ptr<archive, int (*)(archive*)> a(archive_write_new(), archive_write_free);
  archive_write_set_format_cpio_newc(a.get());
  if (archive_write_open_filename(a.get(), out.c_str()) != ARCHIVE_OK)
    return MakeError("write initramfs", out, archive_error_string(a.get()));
  auto add = [&](const char* path, mode_t type, int perm, const std::string& data,
                 int dev_major = 0, int dev_minor = 0) -> Status {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, path);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, perm);
    archive_entry_set_size(e, data.size());
    if (type == AE_IFCHR) {
      archive_entry_set_rdevmajor(e, dev_major);
      archive_entry_set_rdevminor(e, dev_minor);
    }
    bool ok = archive_write_header(a.get(), e) == ARCHIVE_OK &&
              (data.empty() || archive_write_data(a.get(), data.data(), data.size()) ==
                                   static_cast<la_ssize_t>(data.size()));
    archive_entry_free(e);
    if (!ok) return MakeError("write initramfs entry", path, archive_error_string(a.get()));
    return Ok();
  };
  CTV_CHECK(add("bin", AE_IFDIR, 0755, ""));
  CTV_CHECK(add("dev", AE_IFDIR, 0755, ""));
  CTV_CHECK(add("bin/busybox", AE_IFREG, 0755, bb));
  CTV_CHECK(add("dev/console", AE_IFCHR, 0600, "", 5, 1));
  CTV_CHECK(add("init", AE_IFREG, 0755, init));
  if (archive_write_close(a.get()) != ARCHIVE_OK)
    return MakeError("write initramfs", out, archive_error_string(a.get()));
  return Ok();
}

// Uploads a local file into a new raw volume of `pool`; returns the volume's path on the remote.
Result<std::string> UploadFile(virConnectPtr conn, virStoragePoolPtr pool, const std::string& name,
                               const std::string& local) {
  auto data = CTV_TRY(ReadFile(local));
  std::string xml = "<volume><name>" + name + "</name><capacity unit='bytes'>" +
                    std::to_string(data.size()) +
                    "</capacity><target><format type='raw'/></target></volume>";
  virStorageVolPtr vol = virStorageVolCreateXML(pool, xml.c_str(), 0);
  if (!vol) return vm::lv::LastError("create volume", name);
  std::unique_ptr<virStorageVol, int (*)(virStorageVolPtr)> vol_guard(vol, virStorageVolFree);
  virStreamPtr st = virStreamNew(conn, 0);
  if (!st) return vm::lv::LastError("create a stream for", name);
  std::unique_ptr<virStream, int (*)(virStreamPtr)> st_guard(st, virStreamFree);
  if (virStorageVolUpload(vol, st, 0, data.size(), 0) < 0)
    return vm::lv::LastError("upload to volume", name);
  for (size_t off = 0; off < data.size();) {
    int n = virStreamSend(st, data.data() + off, std::min<size_t>(data.size() - off, 256 * 1024));
    if (n < 0) {
      virStreamAbort(st);
      return vm::lv::LastError("send to volume", name);
    }
    off += n;
  }
  if (virStreamFinish(st) < 0) return vm::lv::LastError("finish upload", name);
  char* path = virStorageVolGetPath(vol);
  if (!path) return vm::lv::LastError("path of volume", name);
  std::string p = path;
  free(path);
  return p;
}

std::string DomainXml(const std::string& name, const std::string& kernel,
                      const std::string& initrd) {
  return "<domain type='qemu'>\n"
         "  <name>" +
         name +
         "</name>\n"
         "  <memory unit='MiB'>128</memory>\n"
         "  <vcpu>1</vcpu>\n"
         "  <os>\n"
         "    <type arch='x86_64' machine='pc'>hvm</type>\n"
         "    <kernel>" +
         kernel +
         "</kernel>\n"
         "    <initrd>" +
         initrd +
         "</initrd>\n"
         "    <cmdline>console=ttyS0 panic=-1</cmdline>\n"
         "  </os>\n"
         "  <features><acpi/></features>\n"  // poweroff -f needs ACPI on pc
         "  <on_poweroff>destroy</on_poweroff>\n"
         "  <on_reboot>destroy</on_reboot>\n"
         "  <on_crash>destroy</on_crash>\n"
         "  <devices>\n"
         "    <serial type='pty'><target port='0'/></serial>\n"
         "    <console type='pty'><target type='serial' port='0'/></console>\n"
         "    <controller type='usb' model='none'/>\n"
         "    <memballoon model='none'/>\n"
         "  </devices>\n"
         "</domain>\n";
}

// Reads the console stream until `marker` arrived, the stream ended, or `timeout` (a bound on a
// guest boot, not a measurement).
std::string ReadConsoleUntil(virStreamPtr st, const std::string& marker,
                             std::chrono::seconds timeout) {
  std::string got;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  while (got.find(marker) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    int n = virStreamRecv(st, buf, sizeof buf);
    if (n == -2) {  // nothing yet (non-blocking stream)
      ::usleep(20 * 1000);
      continue;
    }
    if (n <= 0) break;  // end of stream (domain gone) or error
    got.append(buf, n);
  }
  return got;
}

std::set<std::string> MachineCgroups() {
  auto r = RunCommand({"find", "/sys/fs/cgroup", "-maxdepth", "2", "-name", "machine"});
  std::set<std::string> s;
  if (!r) return s;
  size_t start = 0;
  for (size_t nl; (nl = r->out.find('\n', start)) != std::string::npos; start = nl + 1)
    s.insert(r->out.substr(start, nl - start));
  return s;
}

class RemoteLibvirtDomainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (namespaces, veth, cgroups)";
    if (std::string why = RemoteLibvirtHost::Missing(); !why.empty()) GTEST_SKIP() << why;
    if (FindInPath("qemu-system-x86_64").empty()) GTEST_SKIP() << "qemu-system-x86 not installed";
    auto k = vm::FindKernel("");
    if (!k) GTEST_SKIP() << "no guest kernel: " << k.error().ToString();
    kernel_ = k->path;
    busybox_ = FindInPath("busybox");
    if (busybox_.empty()) GTEST_SKIP() << "busybox not installed (Debian package busybox-static)";
  }
  std::string kernel_;
  std::string busybox_;
};

TEST_F(RemoteLibvirtDomainTest, BootsFromUploadedVolumesAndTalksOverTheConsole) {
  test::TempDir wd;
  test::TempDir files;
  const std::set<std::string> machine_before = MachineCgroups();
  const std::string initrd = files / "initrd.cpio";
  Status built = WriteGuestInitramfs(busybox_, initrd);
  ASSERT_TRUE(built) << built.error().ToString();

  auto t0 = std::chrono::steady_clock::now();
  RemoteLibvirtHost::Options options;
  options.cache_dir = kCapsCache;
  auto host = RemoteLibvirtHost::Start(wd.Path(), options);
  ASSERT_TRUE(host) << host.error().ToString();
  std::printf("[ remote ] start %.2f s (ready %.2f s, capabilities %.2f s)\n", SecondsSince(t0),
              host->Times().ready_s, host->Times().capabilities_s);
  const RemoteLibvirtHost::Trace trace = host->GetTrace();
  {
    auto conn = vm::lv::Connection::Open(host->Uri());
    ASSERT_TRUE(conn) << conn.error().ToString();
    std::string pool_xml = std::string("<pool type='dir'><name>ctvguest</name><target><path>") +
                           kPoolDir + "</path></target></pool>";
    virStoragePoolPtr pool =
        virStoragePoolCreateXML(conn->Get(), pool_xml.c_str(), VIR_STORAGE_POOL_CREATE_WITH_BUILD);
    ASSERT_NE(pool, nullptr) << virGetLastErrorMessage();
    std::unique_ptr<virStoragePool, int (*)(virStoragePoolPtr)> pool_guard(pool,
                                                                           virStoragePoolFree);
    t0 = std::chrono::steady_clock::now();
    auto kernel = UploadFile(conn->Get(), pool, "vmlinuz", kernel_);
    ASSERT_TRUE(kernel) << kernel.error().ToString();
    auto initramfs = UploadFile(conn->Get(), pool, "initrd", initrd);
    ASSERT_TRUE(initramfs) << initramfs.error().ToString();
    std::printf("[ remote ] uploaded kernel + initramfs in %.2f s\n", SecondsSince(t0));

    // Started paused, so that the console is open before the guest writes its first byte.
    t0 = std::chrono::steady_clock::now();
    std::string xml = DomainXml("ctv-remote-guest", *kernel, *initramfs);
    vm::lv::Domain dom(virDomainCreateXML(conn->Get(), xml.c_str(), VIR_DOMAIN_START_PAUSED));
    ASSERT_TRUE(dom) << virGetLastErrorMessage();
    std::printf("[ remote ] domain created (paused) in %.2f s\n", SecondsSince(t0));
    char* live = virDomainGetXMLDesc(dom.Get(), 0);
    ASSERT_NE(live, nullptr);
    std::string live_xml = live;
    free(live);
    // What a driver needs to know to name the console: libvirt's aliases.
    EXPECT_NE(live_xml.find("<alias name='serial0'/>"), std::string::npos) << live_xml;
    std::printf("[ remote ] live devices:\n%s\n",
                live_xml
                    .substr(live_xml.find("<serial"),
                            live_xml.find("</console>") + 10 - live_xml.find("<serial"))
                    .c_str());

    auto users = host->Run("ps -eo user:20,comm | grep qemu-system || true");
    ASSERT_TRUE(users);
    std::printf("[ remote ] QEMU: %s", users->c_str());
    EXPECT_NE(users->find("libvirt-qemu"), std::string::npos) << *users;
    // libvirt's machine cgroup of the domain, inside the fixture's own groups here.
    auto cg = RunCommand({"find", "/sys/fs/cgroup", "-maxdepth", "8", "-type", "d", "-path",
                          "*/" + trace.cgroup_name + "/machine/*ctv*remote*guest*"});
    ASSERT_TRUE(cg);
    EXPECT_NE(cg->out, "") << "no machine cgroup under " << trace.cgroup_name;
    std::printf("[ remote ] machine cgroup e.g. %s",
                cg->out.substr(0, cg->out.find('\n') + 1).c_str());

    virStreamPtr st = virStreamNew(conn->Get(), VIR_STREAM_NONBLOCK);
    ASSERT_NE(st, nullptr);
    std::unique_ptr<virStream, int (*)(virStreamPtr)> st_guard(st, virStreamFree);
    ASSERT_EQ(virDomainOpenConsole(dom.Get(), nullptr, st, VIR_DOMAIN_CONSOLE_FORCE), 0)
        << virGetLastErrorMessage();
    ASSERT_EQ(virDomainResume(dom.Get()), 0) << virGetLastErrorMessage();
    std::string console = ReadConsoleUntil(st, kMarker, 180s);
    std::printf("[ remote ] marker after %.2f s; console starts: %s\n", SecondsSince(t0),
                console.substr(0, 80).c_str());
    EXPECT_NE(console.find(kMarker), std::string::npos) << console;
    EXPECT_NE(console.find(std::string(kMarker) + " user=0"), std::string::npos);
    // Nothing lost before the console was opened: the kernel's first line is there.
    EXPECT_NE(console.find("Linux version"), std::string::npos) << console.substr(0, 400);
    virStreamFinish(st);

    // The guest powers off; on_poweroff=destroy ends the transient domain.
    for (int i = 0; i < 600 && dom.Active(); ++i) ::usleep(50 * 1000);
    EXPECT_FALSE(dom.Active()) << "the guest did not power off";
    EXPECT_EQ(RunCommand({"find", "/sys/fs/cgroup", "-maxdepth", "8", "-type", "d", "-path",
                          "*/" + trace.cgroup_name + "/machine/*ctv*remote*guest*"})
                  ->out,
              "")
        << "libvirt left the machine cgroup of a domain it stopped";

    // A second domain, left running (paused) for Stop() to deal with.
    xml = DomainXml("ctv-remote-left", *kernel, *initramfs);
    vm::lv::Domain left(virDomainCreateXML(conn->Get(), xml.c_str(), VIR_DOMAIN_START_PAUSED));
    ASSERT_TRUE(left) << virGetLastErrorMessage();
  }
  auto qemus = host->Run("pgrep -c qemu-system || true");
  ASSERT_TRUE(qemus);
  EXPECT_EQ(*qemus, "1\n");

  t0 = std::chrono::steady_clock::now();
  Status stopped = host->Stop();
  std::printf("[ remote ] stop (one QEMU running) %.2f s\n", SecondsSince(t0));
  EXPECT_TRUE(stopped) << stopped.error().ToString();
  EXPECT_EQ(Joined(RemoteLibvirtHost::Leftovers(trace)), "");
  for (const std::string& m : MachineCgroups())
    EXPECT_TRUE(machine_before.count(m)) << "machine cgroup left: " << m;
}

}  // namespace
}  // namespace ctv
