// The scratch disk (VM option disk=MiB): option parsing, which device and guest modules each
// machine and device model gets, the QEMU command line, the domain XML (checked on libvirt's
// test:///default driver), the sparse file and its cache mode, and a daemon's scratch volume
// (test driver's storage pools).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <libvirt/libvirt.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "tests/test_util.h"
#include "vm/disk.h"
#include "tests/unit/libvirt_test_driver.h"
#include "vm/libvirt/conn.h"
#include "vm/libvirt/domain_xml.h"
#include "vm/libvirt/scratch_volume.h"
#include "vm/libvirt/volumes.h"
#include "vm/qemu/argv.h"
#include "vm/spec.h"

namespace ctv::vm {
namespace {

using Strings = std::vector<std::string>;

bool Contains(const std::string& x, const std::string& part) {
  return x.find(part) != std::string::npos;
}
// The value after `flag` whose text contains `part`.
std::string ValueOf(const Strings& argv, const std::string& flag, const std::string& part) {
  for (size_t i = 0; i + 1 < argv.size(); ++i)
    if (argv[i] == flag && Contains(argv[i + 1], part)) return argv[i + 1];
  return "";
}

VmSpec Disk(Machine m, DeviceModel d, uint64_t mib = 64) {
  VmSpec s;
  s.name = "ctv-disk";
  s.machine = m;
  s.devices = d;
  s.disk_mib = mib;
  return s;
}

TEST(VmDiskOption, ParsesMibAndRefusesBadValuesNamingThem) {
  auto s = ParseVmOptions({{"machine", "pc"}, {"disk", "64"}});
  ASSERT_TRUE(s) << s.error().ToString();
  EXPECT_EQ(s->disk_mib, 64u);
  EXPECT_EQ(ParseVmOptions({})->disk_mib, 0u);  // no disk unless asked
  EXPECT_NE(std::find(VmOptionKeys().begin(), VmOptionKeys().end(), "disk"), VmOptionKeys().end());
  for (const char* bad : {"0", "-1", "64M", "", "2000000"}) {
    auto e = ParseVmOptions({{"machine", "pc"}, {"disk", bad}});
    ASSERT_FALSE(e) << bad;
    EXPECT_EQ(e.error().path, bad);
    EXPECT_TRUE(Contains(e.error().op, "disk")) << e.error().ToString();
  }
}

TEST(VmDiskOption, MicrovmHasNoBusForAnEmulatedDisk) {
  auto e = ParseVmOptions({{"disk", "64"}});  // microvm and emulated are the defaults
  ASSERT_FALSE(e);
  EXPECT_TRUE(Contains(e.error().ToString(), "microvm")) << e.error().ToString();
  EXPECT_TRUE(Contains(e.error().ToString(), "devices=virtio")) << e.error().ToString();
  auto ok = ParseVmOptions({{"disk", "64"}, {"devices", "virtio"}});  // virtio-mmio
  ASSERT_TRUE(ok) << ok.error().ToString();
}

TEST(VmDiskModel, DeviceAndGuestModulesFollowMachineAndModel) {
  EXPECT_EQ(DiskModelName(VmSpec{}), "");
  EXPECT_TRUE(DiskModules(VmSpec{}).empty());
  EXPECT_EQ(DiskModelName(Disk(Machine::kPc, DeviceModel::kEmulated)), "ide");
  EXPECT_EQ(DiskModules(Disk(Machine::kPc, DeviceModel::kEmulated)),
            (Strings{"ata_piix", "sd_mod"}));
  EXPECT_EQ(DiskModelName(Disk(Machine::kQ35, DeviceModel::kEmulated)), "sata");
  EXPECT_EQ(DiskModules(Disk(Machine::kQ35, DeviceModel::kEmulated)), (Strings{"ahci", "sd_mod"}));
  EXPECT_EQ(DiskModelName(Disk(Machine::kPc, DeviceModel::kVirtio)), "virtio-blk");
  EXPECT_EQ(DiskModules(Disk(Machine::kQ35, DeviceModel::kVirtio)),
            (Strings{"virtio_pci", "virtio_blk"}));
  EXPECT_EQ(DiskModules(Disk(Machine::kMicrovm, DeviceModel::kVirtio)),
            (Strings{"virtio_mmio", "virtio_blk"}));
}

TEST(VmDiskModel, CtvInitLoadsTheDiskDriversAfterTheChannelsOnce) {
  VmSpec s = Disk(Machine::kPc, DeviceModel::kEmulated);
  s.boot_modules = {"overlay"};
  EXPECT_TRUE(Contains(KernelCmdline(s, Accel::kTcg, "/p", {}, 0),
                       " ctv.mods=ata_piix,sd_mod,overlay "));
  s.devices = DeviceModel::kVirtio;  // virtio_pci serves the console and the disk: listed once
  EXPECT_TRUE(Contains(KernelCmdline(s, Accel::kTcg, "/p", {}, 0),
                       " ctv.mods=virtio_pci,virtio_console,virtio_blk,overlay "));
}

QemuLaunch Launch() {
  QemuLaunch l;
  l.kernel = "/k";
  l.initrd = "/i";
  l.console_log = "/d/console.log";
  l.channel_socket = "/d/chan.sock";
  l.pidfile = "/d/qemu.pid";
  l.disk = "/d/disk.raw";
  return l;
}

TEST(VmDiskQemuArgv, DeviceFollowsMachineAndModelWithCacheNone) {
  struct Case {
    Machine m;
    DeviceModel d;
    std::string device;
  } cases[] = {
      {Machine::kPc, DeviceModel::kEmulated, "ide-hd,bus=ide.0,drive=disk0"},
      {Machine::kQ35, DeviceModel::kEmulated, "ide-hd,bus=ide.0,drive=disk0"},  // ICH9 AHCI
      {Machine::kPc, DeviceModel::kVirtio, "virtio-blk-pci,drive=disk0"},
      {Machine::kQ35, DeviceModel::kVirtio, "virtio-blk-pci,drive=disk0"},
      {Machine::kMicrovm, DeviceModel::kVirtio, "virtio-blk-device,drive=disk0"},
  };
  for (const auto& c : cases) {
    auto a = QemuArgv(Disk(c.m, c.d), Accel::kTcg, Launch());
    EXPECT_EQ(ValueOf(a, "-drive", "disk0"),
              "file=/d/disk.raw,if=none,id=disk0,format=raw,cache=none");
    EXPECT_EQ(ValueOf(a, "-device", "drive=disk0"), c.device) << MachineName(c.m);
  }
  QemuLaunch l = Launch();
  l.disk = "/d/a,b.raw";
  l.disk_cache = "writeback";
  EXPECT_EQ(ValueOf(QemuArgv(Disk(Machine::kPc, DeviceModel::kVirtio), Accel::kTcg, l), "-drive",
                    "disk0"),
            "file=/d/a,,b.raw,if=none,id=disk0,format=raw,cache=writeback");
  // No disk in the spec: none on the command line, whatever the launch says.
  EXPECT_EQ(ValueOf(QemuArgv(VmSpec{}, Accel::kTcg, Launch()), "-drive", ""), "");
}

using DiskXmlOnTestDriver = LibvirtTestDriver;

DomainLaunch XmlLaunch() {
  DomainLaunch l;
  l.kernel = "/cache/vmlinux-1";
  l.initrd = "/cache/initrd-1.cpio";
  l.console_log = "/run/x/console.log";
  l.channel_socket = "/run/x/chan.sock";
  l.disk = "/run/x/disk.raw";
  return l;
}

TEST_F(DiskXmlOnTestDriver, BusFollowsMachineAndModel) {
  struct Case {
    Machine m;
    DeviceModel d;
    std::string target;
  } cases[] = {
      {Machine::kPc, DeviceModel::kEmulated, "<target dev='hda' bus='ide'/>"},
      {Machine::kQ35, DeviceModel::kEmulated, "<target dev='sda' bus='sata'/>"},
      {Machine::kPc, DeviceModel::kVirtio, "<target dev='vda' bus='virtio'/>"},
  };
  for (const auto& c : cases) {
    std::string dump = DefineAndDump(DomainXml(Disk(c.m, c.d), Accel::kTcg, XmlLaunch()));
    EXPECT_TRUE(Contains(dump, c.target)) << dump;
    EXPECT_TRUE(Contains(dump, "<source file='/run/x/disk.raw'/>")) << dump;
    EXPECT_TRUE(Contains(dump, "<driver name='qemu' type='raw' cache='none'/>")) << dump;
  }
  EXPECT_FALSE(Contains(DomainXml(Disk(Machine::kPc, DeviceModel::kVirtio, 0), Accel::kTcg,
                                  XmlLaunch()),
                        "<disk"));
}

TEST(VmScratchDisk, IsSparseOfTheSizeAskedWithACacheModeTheFilesystemTakes) {
  test::TempDir t;
  auto d = CreateScratchDisk(t / "disk.raw", 64);
  ASSERT_TRUE(d) << d.error().ToString();
  struct stat st {};
  ASSERT_EQ(::stat((t / "disk.raw").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 64 << 20);
  EXPECT_EQ(st.st_blocks, 0) << "not sparse";
  int fd = ::open((t / "disk.raw").c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
  if (fd >= 0) ::close(fd);
  EXPECT_EQ(d->cache, fd >= 0 ? "none" : "writeback");
  EXPECT_EQ(d->note.empty(), d->cache == "none");
  EXPECT_FALSE(CreateScratchDisk(t / "no/such/dir/disk.raw", 1));
}

// The test driver keeps its state per process: the pool is created and destroyed here.
TEST(VmScratchVolume, SparseVolumeInTheGuestPoolGoesWithTheObject) {
  auto c = lv::Connection::Open("test:///default");
  ASSERT_TRUE(c) << c.error().ToString();
  auto missing = lv::ScratchVolume::Create(c->Get(), "ctv-unit", 8);
  ASSERT_FALSE(missing);
  EXPECT_TRUE(Contains(missing.error().ToString(), lv::kPoolName)) << missing.error().ToString();

  std::string pool_xml = std::string("<pool type='dir'><name>") + lv::kPoolName +
                         "</name><target><path>/ctvbench-pool</path></target></pool>";
  virStoragePoolPtr pool = virStoragePoolCreateXML(c->Get(), pool_xml.c_str(), 0);
  ASSERT_NE(pool, nullptr) << lv::LastError("create pool", lv::kPoolName).ToString();
  {
    auto v = lv::ScratchVolume::Create(c->Get(), "ctv-unit", 8);
    ASSERT_TRUE(v) << v.error().ToString();
    EXPECT_EQ(v->Path(), "/ctvbench-pool/ctv-unit-disk.raw");
    virStorageVolPtr found = virStorageVolLookupByName(pool, "ctv-unit-disk.raw");
    ASSERT_NE(found, nullptr);
    virStorageVolInfo info{};
    ASSERT_EQ(virStorageVolGetInfo(found, &info), 0);
    EXPECT_EQ(info.capacity, 8ull << 20);
    virStorageVolFree(found);
  }
  virStorageVolPtr gone = virStorageVolLookupByName(pool, "ctv-unit-disk.raw");
  EXPECT_EQ(gone, nullptr) << "the volume outlived its ScratchVolume";
  if (gone) virStorageVolFree(gone);
  virStoragePoolDestroy(pool);
  virStoragePoolFree(pool);
}

}  // namespace
}  // namespace ctv::vm
