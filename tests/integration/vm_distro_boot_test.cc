// The distro guest profile (guest=distro): its disk (MBR, the boot partition, an ext4 root
// partition; a qcow2 overlay per instance with its own bootloader configuration), and real boots
// through SeaBIOS, SYSLINUX, the kernel, ctv-init's initramfs and systemd up to the ready unit
// under both drivers: phases in order and each taking time, systemd as PID 1, the cached disk
// unchanged by a boot, and nothing this test started left behind. The boots need the root built
// by scripts/build-distro-guest (scripts/setup runs it); without it they are skipped saying so.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "bench/drivers/guest_driver.h"
#include "bench/drivers/qemu_driver.h"
#include "bench/drivers/vm_driver.h"
#include "core/digest.h"
#include "core/fd.h"
#include "core/fs_tree.h"
#include "core/process.h"
#include "tests/integration/vm_test_env.h"
#include "tests/test_util.h"
#include "vm/guest/boot_disk.h"
#include "vm/libvirt/conn.h"

namespace ctv {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// Under TCG on this shared 2-core host (1-min load ~8 from other builds) the qemu test took 50 s
// in all, the disk build included (vm/README.md has the boot's phases); the bound leaves room for
// a machine several times slower and still fails a hung boot.
constexpr auto kBootTimeout = 300s;

std::vector<std::string> MarkNames(const bench::Instance& inst) {
  std::vector<std::string> out;
  for (const auto& m : inst.Marks()) out.push_back(m.name);
  return out;
}

// Each phase up to `last` took time (strictly later than the one before): a missed or
// duplicated step shows as a zero.
void ExpectPositivePhasesUpTo(const bench::Instance& inst, const std::string& last) {
  const auto& m = inst.Marks();
  bool seen = false;
  for (size_t i = 1; i < m.size(); ++i) {
    EXPECT_GT(m[i].t_ns, m[i - 1].t_ns) << "phase " << m[i].name << " is not positive";
    if (m[i].name == last) {
      seen = true;
      break;
    }
  }
  EXPECT_TRUE(seen) << "no mark " << last;
}

std::string InstanceFile(const test::VmTestEnv& env, const std::string& file) {
  auto dirs = env.InstanceDirs();
  if (dirs.size() != 1) return "(" + std::to_string(dirs.size()) + " instance dirs)";
  auto f = ReadFile(env.VmRoot() + "/inst/" + dirs[0] + "/" + file);
  return f ? *f : "(no " + file + ")";
}

uint32_t Le32(const std::string& s, size_t at) {
  auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(s[at + i])); };
  return b(0) | b(1) << 8 | b(2) << 16 | b(3) << 24;
}

TEST(DistroDisk, HasARootPartitionAndEachInstanceAnOverlayWithItsOwnConfiguration) {
  for (const char* tool : {"mkfs.fat", "mcopy", "syslinux", "mkfs.ext4", "qemu-img", "qemu-io"})
    if (FindInPath(tool).empty()) GTEST_SKIP() << tool << " missing: run scripts/setup";
  test::TempDir tmp;
  ASSERT_TRUE(WriteFile(tmp.Path() + "/bzImage", std::string(300000, 'k')));
  ASSERT_TRUE(WriteFile(tmp.Path() + "/initrd", std::string(200000, 'i')));
  // A small ext4 from a directory, as scripts/build-distro-guest makes the real one.
  ASSERT_TRUE(fs::MakeDirs(tmp.Path() + "/tree/etc"));
  ASSERT_TRUE(WriteFile(tmp.Path() + "/tree/etc/os-release", "ID=test\n"));
  auto mk = RunCommand({"mkfs.ext4", "-q", "-F", "-d", tmp.Path() + "/tree",
                        tmp.Path() + "/root.ext4", "8M"});
  ASSERT_TRUE(mk && mk->status.Success()) << (mk ? mk->err : mk.error().ToString());
  vm::BootDiskInputs in{tmp.Path() + "/bzImage", tmp.Path() + "/initrd", tmp.Path() + "/cache"};
  in.root_image = tmp.Path() + "/root.ext4";
  in.root_key = "testroot";
  auto d = vm::BuildBootDisk(in);
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_NE(d->path.find("/distrodisk-"), std::string::npos) << d->path;
  ASSERT_GT(d->config_offset, 1048576u);
  ASSERT_GT(d->root_offset, d->config_offset);
  EXPECT_EQ(d->root_offset % 1048576, 0u);  // MiB-aligned
  auto again = vm::BuildBootDisk(in);
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_TRUE(again->cached);
  EXPECT_EQ(again->config_offset, d->config_offset);  // found again in the cached disk
  EXPECT_EQ(again->root_offset, d->root_offset);
  in.root_key = "otherroot";
  auto other = vm::BuildBootDisk(in);
  ASSERT_TRUE(other);
  EXPECT_NE(other->key, d->key);  // another root is another disk

  auto disk = ReadFile(d->path);
  ASSERT_TRUE(disk);
  // MBR: the active FAT partition, then a Linux partition at root_offset holding the ext4.
  EXPECT_EQ(static_cast<unsigned char>((*disk)[446]), 0x80u);
  EXPECT_EQ(static_cast<unsigned char>((*disk)[446 + 16]), 0x00u);  // not active
  EXPECT_EQ(static_cast<unsigned char>((*disk)[446 + 16 + 4]), 0x83u);
  EXPECT_EQ(Le32(*disk, 446 + 16 + 8) * 512ull, d->root_offset);
  EXPECT_EQ(Le32(*disk, 446 + 16 + 12) * 512ull, 8ull << 20);
  // ext4's superblock magic 0xEF53 at 1024 + 56 into the partition.
  EXPECT_EQ(disk->substr(d->root_offset + 1024 + 56, 2), "\x53\xEF");
  auto root = ReadFile(in.root_image);
  ASSERT_TRUE(root);
  EXPECT_EQ(disk->substr(d->root_offset, root->size()), *root);
  if (!FindInPath("sfdisk").empty()) {
    auto dump = RunCommand({"sfdisk", "--dump", d->path});
    ASSERT_TRUE(dump);
    EXPECT_NE(dump->out.find("type=83"), std::string::npos) << dump->out;
  }

  // An instance: a qcow2 overlay whose configuration slot holds its command line; the cached
  // disk is not touched.
  std::string before = *Sha256OciOfFile(d->path);
  std::string inst = tmp.Path() + "/inst.qcow2";
  auto st = vm::InstanceOverlayDisk(*d, inst, "console=ttyS0 ctv.root=/dev/sda2 ctv.exec=/x");
  ASSERT_TRUE(st) << st.error().ToString();
  EXPECT_EQ(*Sha256OciOfFile(d->path), before);
  auto info = RunCommand({"qemu-img", "info", inst});
  ASSERT_TRUE(info);
  EXPECT_NE(info->out.find("file format: qcow2"), std::string::npos) << info->out;
  EXPECT_NE(info->out.find(d->path), std::string::npos) << info->out;  // its backing file
  auto raw = RunCommand({"qemu-img", "convert", "-O", "raw", inst, tmp.Path() + "/inst.raw"});
  ASSERT_TRUE(raw && raw->status.Success()) << (raw ? raw->err : raw.error().ToString());
  auto cfg = RunCommand({"mtype", "-i", tmp.Path() + "/inst.raw@@1048576", "::/syslinux.cfg"});
  ASSERT_TRUE(cfg);
  EXPECT_NE(cfg->out.find("APPEND console=ttyS0 ctv.root=/dev/sda2 ctv.exec=/x\n"),
            std::string::npos)
      << cfg->out.substr(0, 300);
  // A command line that does not fit the slot is refused, naming the limit.
  auto big = vm::InstanceOverlayDisk(*d, tmp.Path() + "/big.qcow2", std::string(5000, 'x'));
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().ToString().find("4096"), std::string::npos) << big.error().ToString();
  EXPECT_NE(::access((tmp.Path() + "/big.qcow2").c_str(), F_OK), 0);
}

class VmDistroBootTest : public testing::Test {
 protected:
  void SetUp() override {
    if (!env_.Missing().empty()) GTEST_SKIP() << env_.Missing();
    for (const char* tool : {"mkfs.fat", "mcopy", "syslinux", "qemu-img", "qemu-io"})
      if (FindInPath(tool).empty()) GTEST_SKIP() << tool << " missing: run scripts/setup";
    if (std::string why = bench::DistroGuestMissing(); !why.empty()) GTEST_SKIP() << why;
  }
  void ExpectNothingLeft() {
    EXPECT_TRUE(env_.QemuPids().empty()) << "a QEMU process survived";
    EXPECT_TRUE(env_.InstanceDirs().empty()) << "an instance directory survived";
  }
  // The cached distro disk of this test's state root (one), and its digest.
  std::string CachedDisk() {
    auto names = fs::ListDir(env_.VmRoot() + "/cache");
    if (!names) return "";
    for (const std::string& n : *names)
      if (n.starts_with("distrodisk-") && n.ends_with(".raw")) return env_.VmRoot() + "/cache/" + n;
    return "";
  }
  test::VmTestEnv env_;
};

const std::vector<std::string> kDistroChain = {"launch", "process", "bios",  "bootloader",
                                               "kernel", "initrd",  "sysinit", "basic",
                                               "init"};

TEST_F(VmDistroBootTest, QemuBootsDebianWithSystemdToTheReadyUnit) {
  auto driver = bench::MakeQemuDriver(env_.Context());
  ASSERT_TRUE(driver->Prepare()) << driver->Prepare().error().ToString();
  std::string cached_digest;
  {
    bench::InstanceSpec spec{"ctv-test-distro", {"hostinfo"}, {}, {{"guest", "distro"}}};
    auto inst = driver->Create(spec);
    ASSERT_TRUE(inst) << inst.error().ToString();
    std::string cached = CachedDisk();
    ASSERT_FALSE(cached.empty());
    cached_digest = *Sha256OciOfFile(cached);
    ASSERT_TRUE((*inst)->Start());
    auto exit = (*inst)->WaitExit(kBootTimeout);
    ASSERT_TRUE(exit) << exit.error().ToString();
    EXPECT_TRUE(exit->status.Success()) << exit->status.ToString();
    size_t b = exit->output.find('{');
    ASSERT_NE(b, std::string::npos) << exit->output;
    json j = json::parse(exit->output.substr(b), nullptr, false);
    EXPECT_EQ(j["pid1_comm"], "systemd") << exit->output;  // the init system, not ctv-init
    std::vector<std::string> want = kDistroChain;
    want.insert(want.end(), {"done", "gone"});
    EXPECT_EQ(MarkNames(**inst), want);
    ExpectPositivePhasesUpTo(**inst, "init");
    std::string console = InstanceFile(env_, "console.log");
    EXPECT_NE(console.find("SYSLINUX 6"), std::string::npos) << console.substr(0, 400);
    EXPECT_NE(console.find("Welcome to"), std::string::npos) << console.substr(0, 2000);
    EXPECT_NE(console.find("Debian GNU/Linux 12"), std::string::npos);
    EXPECT_NE(console.find("Reached target multi-user.target"), std::string::npos);
    EXPECT_NE(InstanceFile(env_, "firmware.log").find("Booting from 0000:7c00"),
              std::string::npos);
  }
  ExpectNothingLeft();
  // The boot wrote into its overlay (systemd writes as it boots), never into the cached disk.
  EXPECT_EQ(*Sha256OciOfFile(CachedDisk()), cached_digest);
}

TEST_F(VmDistroBootTest, LibvirtEmbeddedBootsDebianWithSystemdToTheReadyUnit) {
  auto driver = bench::MakeVmDriver(env_.Context());
  auto prep = driver->Prepare();
  ASSERT_TRUE(prep) << prep.error().ToString();
  {
    bench::InstanceSpec spec{"ctv-test-lv-distro", {"ready"}, {}, {{"guest", "distro"}}};
    auto inst = driver->Create(spec);
    ASSERT_TRUE(inst) << inst.error().ToString();
    auto st = (*inst)->Start();
    ASSERT_TRUE(st) << st.error().ToString();
    auto ready = (*inst)->WaitReady(kBootTimeout);
    ASSERT_TRUE(ready) << ready.error().ToString();
    auto stop = (*inst)->Stop(60s);
    ASSERT_TRUE(stop) << stop.error().ToString();
    std::vector<std::string> want = kDistroChain;
    want.insert(want.end(), {"ready", "done", "gone", "released"});
    EXPECT_EQ(MarkNames(**inst), want);
    ExpectPositivePhasesUpTo(**inst, "ready");
    EXPECT_NE(InstanceFile(env_, "console.log").find("Reached target basic.target"),
              std::string::npos);
  }
  {
    auto conn = vm::lv::Connection::Open(vm::lv::EmbedUri(env_.VmRoot()));
    ASSERT_TRUE(conn) << conn.error().ToString();
    vm::lv::Domain d(virDomainLookupByName(conn->Get(), "ctv-test-lv-distro"));
    EXPECT_FALSE(d);
  }
  driver.reset();
  ExpectNothingLeft();
}

// Without the root built, guest=distro fails at Create, naming the command that builds it.
TEST(DistroGuest, MissingRootNamesTheBuildCommand) {
  test::TempDir empty;
  ::setenv("CTV_DISTRO_CACHE", empty.Path().c_str(), 1);
  std::string why = bench::DistroGuestMissing();
  ::unsetenv("CTV_DISTRO_CACHE");
  EXPECT_NE(why.find("scripts/build-distro-guest"), std::string::npos) << why;
  EXPECT_NE(why.find(empty.Path()), std::string::npos) << why;
}

}  // namespace
}  // namespace ctv
