// The firmware boot chain (boot=firmware): the boot disk the project builds (MBR, FAT, SYSLINUX,
// kernel, initramfs), and real boots of it by SeaBIOS under both drivers: the bootloader's banner
// reaches the console, SeaBIOS's hand-over reaches its debug port, the phases bios ->
// bootloader -> kernel -> init come in order and each takes time, ctv-init runs the workload,
// and nothing this test started is left. Two boots (~30-60 s each under TCG here).
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "bench/drivers/qemu_driver.h"
#include "bench/drivers/vm_driver.h"
#include "core/digest.h"
#include "core/fd.h"
#include "core/process.h"
#include "tests/integration/vm_test_env.h"
#include "tests/test_util.h"
#include "vm/guest/boot_disk.h"
#include "vm/libvirt/conn.h"

namespace ctv {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::vector<std::string> MarkNames(const bench::Instance& inst) {
  std::vector<std::string> out;
  for (const auto& m : inst.Marks()) out.push_back(m.name);
  return out;
}

// Every phase up to `last` took time: a missed or duplicated step shows as a zero.
void ExpectPositivePhasesUpTo(const bench::Instance& inst, const std::string& last) {
  const auto& m = inst.Marks();
  for (size_t i = 1; i < m.size(); ++i) {
    EXPECT_GT(m[i].t_ns, m[i - 1].t_ns) << "phase " << m[i].name << " is not positive";
    if (m[i].name == last) break;
  }
}

std::string InstanceFile(const test::VmTestEnv& env, const std::string& file) {
  auto dirs = env.InstanceDirs();
  if (dirs.size() != 1) return "(" + std::to_string(dirs.size()) + " instance dirs)";
  auto f = ReadFile(env.VmRoot() + "/inst/" + dirs[0] + "/" + file);
  return f ? *f : "(no " + file + ")";
}

TEST(BootDisk, IsAReproducibleMbrDiskWithSyslinuxAndTheGuest) {
  for (const char* tool : {"mkfs.fat", "mcopy", "syslinux"})
    if (FindInPath(tool).empty()) GTEST_SKIP() << tool << " missing: run scripts/setup";
  test::TempDir tmp;
  // Stand-ins for the kernel and initramfs: the layout does not depend on what they are.
  ASSERT_TRUE(WriteFile(tmp.Path() + "/bzImage", std::string(300000, 'k')));
  ASSERT_TRUE(WriteFile(tmp.Path() + "/initrd", std::string(200000, 'i')));
  vm::BootDiskInputs in{tmp.Path() + "/bzImage", tmp.Path() + "/initrd", tmp.Path() + "/a"};
  auto a = vm::BuildBootDisk(in);
  ASSERT_TRUE(a) << a.error().ToString();
  EXPECT_FALSE(a->cached);
  auto again = vm::BuildBootDisk(in);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->cached);
  EXPECT_EQ(again->path, a->path);
  sleep(1);  // a build a second later, elsewhere: same bytes (no build dates inside)
  in.cache_dir = tmp.Path() + "/b";
  auto b = vm::BuildBootDisk(in);
  ASSERT_TRUE(b);
  EXPECT_EQ(*Sha256OciOfFile(a->path), *Sha256OciOfFile(b->path));
  // A changed input is another disk.
  ASSERT_TRUE(WriteFile(tmp.Path() + "/initrd", std::string(200000, 'j')));
  auto c = vm::BuildBootDisk(in);
  ASSERT_TRUE(c);
  EXPECT_NE(c->key, a->key);

  auto disk = ReadFile(a->path);
  ASSERT_TRUE(disk);
  EXPECT_EQ(disk->substr(510, 2), "\x55\xAA");
  EXPECT_EQ(static_cast<unsigned char>((*disk)[446]), 0x80u);  // the partition is active
  // The partition table as util-linux reads it, when sfdisk is there.
  if (!FindInPath("sfdisk").empty()) {
    auto d = RunCommand({"sfdisk", "--dump", a->path});
    ASSERT_TRUE(d);
    EXPECT_NE(d->out.find("start=        2048"), std::string::npos) << d->out;
    EXPECT_NE(d->out.find("bootable"), std::string::npos) << d->out;
  }
  // The FAT holds SYSLINUX, the guest and an instance's configuration.
  ASSERT_TRUE(vm::InstanceBootDisk(*a, tmp.Path() + "/inst.raw", "console=ttyS0 ctv.exec=/x"));
  // -a: ldlinux.sys is hidden and system, as the installer leaves it.
  auto dir = RunCommand({"mdir", "-a", "-b", "-i", tmp.Path() + "/inst.raw@@1048576", "::/"});
  ASSERT_TRUE(dir);
  for (const char* f : {"::/ldlinux.sys", "::/ldlinux.c32", "::/vmlinuz", "::/initrd",
                        "::/syslinux.cfg"})
    EXPECT_NE(dir->out.find(f), std::string::npos) << f << " missing: " << dir->out;
  auto cfg = RunCommand({"mtype", "-i", tmp.Path() + "/inst.raw@@1048576", "::/syslinux.cfg"});
  ASSERT_TRUE(cfg);
  EXPECT_NE(cfg->out.find("APPEND console=ttyS0 ctv.exec=/x"), std::string::npos) << cfg->out;
}

class VmFirmwareBootTest : public testing::Test {
 protected:
  void SetUp() override {
    if (!env_.Missing().empty()) GTEST_SKIP() << env_.Missing();
    for (const char* tool : {"mkfs.fat", "mcopy", "syslinux"})
      if (FindInPath(tool).empty()) GTEST_SKIP() << tool << " missing: run scripts/setup";
  }
  void ExpectNothingLeft() {
    EXPECT_TRUE(env_.QemuPids().empty()) << "a QEMU process survived";
    EXPECT_TRUE(env_.InstanceDirs().empty()) << "an instance directory survived";
  }
  test::VmTestEnv env_;
};

TEST_F(VmFirmwareBootTest, QemuBootsThroughSeabiosAndSyslinux) {
  auto driver = bench::MakeQemuDriver(env_.Context());
  ASSERT_TRUE(driver->Prepare()) << driver->Prepare().error().ToString();
  {
    bench::InstanceSpec spec{"ctv-test-firmware", {"hostinfo"}, {}, {{"boot", "firmware"}}};
    auto inst = driver->Create(spec);
    ASSERT_TRUE(inst) << inst.error().ToString();
    ASSERT_TRUE((*inst)->Start());
    auto exit = (*inst)->WaitExit(240s);
    ASSERT_TRUE(exit) << exit.error().ToString();
    EXPECT_TRUE(exit->status.Success()) << exit->status.ToString();
    size_t b = exit->output.find('{');
    ASSERT_NE(b, std::string::npos) << exit->output;
    json j = json::parse(exit->output.substr(b), nullptr, false);
    EXPECT_EQ(j["pid1_comm"], "ctv-init") << exit->output;
    EXPECT_EQ(MarkNames(**inst), (std::vector<std::string>{"launch", "process", "bios", "bootloader",
                                                           "kernel", "init", "done", "gone"}));
    ExpectPositivePhasesUpTo(**inst, "init");
    // What the phases were timed by, as the guest printed it.
    std::string console = InstanceFile(env_, "console.log");
    EXPECT_NE(console.find("SYSLINUX 6"), std::string::npos) << console.substr(0, 400);
    EXPECT_NE(console.find("Loading /initrd...ok"), std::string::npos) << console.substr(0, 400);
    std::string bios = InstanceFile(env_, "firmware.log");
    EXPECT_NE(bios.find("SeaBIOS (version"), std::string::npos) << bios.substr(0, 400);
    EXPECT_NE(bios.find("Booting from 0000:7c00"), std::string::npos) << bios.substr(0, 400);
  }
  ExpectNothingLeft();
}

TEST_F(VmFirmwareBootTest, LibvirtEmbeddedBootsThroughSeabiosAndSyslinux) {
  auto driver = bench::MakeVmDriver(env_.Context());
  auto prep = driver->Prepare();
  ASSERT_TRUE(prep) << prep.error().ToString();
  {
    bench::InstanceSpec spec{"ctv-test-lv-firmware", {"ready"}, {}, {{"boot", "firmware"}}};
    auto inst = driver->Create(spec);
    ASSERT_TRUE(inst) << inst.error().ToString();
    auto st = (*inst)->Start();
    ASSERT_TRUE(st) << st.error().ToString();
    auto ready = (*inst)->WaitReady(240s);
    ASSERT_TRUE(ready) << ready.error().ToString();
    auto stop = (*inst)->Stop(60s);
    ASSERT_TRUE(stop) << stop.error().ToString();
    EXPECT_EQ(MarkNames(**inst),
              (std::vector<std::string>{"launch", "process", "bios", "bootloader", "kernel",
                                        "init", "ready", "done", "gone", "released"}));
    ExpectPositivePhasesUpTo(**inst, "ready");
    EXPECT_NE(InstanceFile(env_, "console.log").find("SYSLINUX 6"), std::string::npos);
  }
  {
    // Our domain is gone, running or defined (this test's own embedded root).
    auto conn = vm::lv::Connection::Open(vm::lv::EmbedUri(env_.VmRoot()));
    ASSERT_TRUE(conn) << conn.error().ToString();
    vm::lv::Domain d(virDomainLookupByName(conn->Get(), "ctv-test-lv-firmware"));
    EXPECT_FALSE(d);
  }
  driver.reset();
  ExpectNothingLeft();
}

}  // namespace
}  // namespace ctv
