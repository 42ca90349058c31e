// VmSpec parsing, the kernel command line and the QEMU command line for each option.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>

#include "vm/accel.h"
#include "vm/qemu/argv.h"
#include "vm/spec.h"

namespace ctv::vm {
namespace {

bool Has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}
// The value after `flag` (first occurrence whose value contains `part`).
bool HasPair(const std::vector<std::string>& v, const std::string& flag, const std::string& part) {
  for (size_t i = 0; i + 1 < v.size(); ++i)
    if (v[i] == flag && v[i + 1].find(part) != std::string::npos) return true;
  return false;
}

TEST(VmSpec, DefaultsAreTheFastestConfiguration) {
  auto s = ParseVmOptions({});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->machine, Machine::kMicrovm);
  EXPECT_EQ(s->accel, Accel::kAuto);
  EXPECT_EQ(s->devices, DeviceModel::kEmulated);
  EXPECT_EQ(s->boot, BootMode::kPvh);
  EXPECT_EQ(s->vcpus, 1);
  EXPECT_EQ(s->memory_mib, 256u);
}

TEST(VmSpec, ParsesEveryOption) {
  auto s = ParseVmOptions({{"machine", "q35"},
                           {"accel", "tcg"},
                           {"devices", "virtio"},
                           {"boot", "bzimage"},
                           {"acpi", "off"},
                           {"vcpus", "2"},
                           {"memory", "512"},
                           {"cmdline", "loglevel=7"}});
  ASSERT_TRUE(s) << s.error().ToString();
  EXPECT_EQ(s->machine, Machine::kQ35);
  EXPECT_EQ(s->accel, Accel::kTcg);
  EXPECT_EQ(s->devices, DeviceModel::kVirtio);
  EXPECT_EQ(s->boot, BootMode::kBzImage);
  EXPECT_FALSE(s->acpi);
  EXPECT_EQ(s->vcpus, 2);
  EXPECT_EQ(s->memory_mib, 512u);
  EXPECT_EQ(s->extra_cmdline, "loglevel=7");
}

TEST(VmSpec, BadOptionsNameTheKeyAndValue) {
  auto unknown = ParseVmOptions({{"machin", "pc"}});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().path, "machin");
  auto bad = ParseVmOptions({{"machine", "isapc"}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().ToString().find("isapc"), std::string::npos);
  EXPECT_FALSE(ParseVmOptions({{"vcpus", "0"}}));
  EXPECT_FALSE(ParseVmOptions({{"memory", "12x"}}));
  EXPECT_FALSE(ParseVmOptions({{"accel", "hvf"}}));
}

TEST(VmSpec, ChannelFollowsTheDeviceModel) {
  VmSpec s;
  EXPECT_EQ(ChannelDevice(s), "/dev/ttyS1");
  EXPECT_TRUE(ChannelModules(s).empty());
  s.devices = DeviceModel::kVirtio;
  EXPECT_EQ(ChannelDevice(s), "/dev/hvc0");
  EXPECT_EQ(ChannelModules(s), (std::vector<std::string>{"virtio_mmio", "virtio_console"}));
  s.machine = Machine::kPc;
  EXPECT_EQ(ChannelModules(s), (std::vector<std::string>{"virtio_pci", "virtio_console"}));
}

TEST(KernelCmdline, PciOffOnlyWithoutAPciBus) {
  VmSpec s;
  EXPECT_NE(KernelCmdline(s, Accel::kKvm, "/p", {}, 0).find(" pci=off"), std::string::npos);
  s.machine = Machine::kPc;
  EXPECT_EQ(KernelCmdline(s, Accel::kKvm, "/p", {}, 0).find("pci=off"), std::string::npos);
}

TEST(KernelCmdline, TscHintOnlyForTcgMicrovm) {
  VmSpec s;
  std::string tcg = KernelCmdline(s, Accel::kTcg, "/p", {"ready"}, 2300000);
  EXPECT_NE(tcg.find("tsc_early_khz=2300000"), std::string::npos);
  EXPECT_EQ(KernelCmdline(s, Accel::kKvm, "/p", {}, 2300000).find("tsc_early_khz"),
            std::string::npos);
  s.machine = Machine::kPc;
  EXPECT_EQ(KernelCmdline(s, Accel::kTcg, "/p", {}, 2300000).find("tsc_early_khz"),
            std::string::npos);
}

TEST(KernelCmdline, CarriesInitParametersWithEscapedArgs) {
  VmSpec s;
  s.devices = DeviceModel::kVirtio;
  s.extra_cmdline = "loglevel=7";
  std::string c =
      KernelCmdline(s, Accel::kTcg, "/usr/local/bin/ctv-probe", {"syscall", "--op", "a,b c"}, 0);
  EXPECT_NE(c.find("rdinit=/sbin/ctv-init"), std::string::npos);
  EXPECT_NE(c.find("console=ttyS0"), std::string::npos);
  EXPECT_NE(c.find("ctv.chan=/dev/hvc0"), std::string::npos);
  EXPECT_NE(c.find("ctv.mods=virtio_mmio,virtio_console"), std::string::npos);
  EXPECT_NE(c.find("ctv.exec=/usr/local/bin/ctv-probe"), std::string::npos);
  EXPECT_NE(c.find("ctv.args=syscall,--op,a%2Cb%20c"), std::string::npos) << c;
  EXPECT_EQ(c.substr(c.size() - 10), "loglevel=7");
}

TEST(KernelCmdline, BootModulesFollowTheChannelModules) {
  VmSpec s;
  EXPECT_EQ(KernelCmdline(s, Accel::kTcg, "/p", {}, 0).find("ctv.mods="), std::string::npos);
  s.boot_modules = {"overlay"};
  EXPECT_NE(KernelCmdline(s, Accel::kTcg, "/p", {}, 0).find(" ctv.mods=overlay "),
            std::string::npos);
  s.devices = DeviceModel::kVirtio;
  EXPECT_NE(KernelCmdline(s, Accel::kTcg, "/p", {}, 0)
                .find(" ctv.mods=virtio_mmio,virtio_console,overlay "),
            std::string::npos);
}

QemuLaunch Launch() {
  QemuLaunch l;
  l.qemu = "/usr/bin/qemu-system-x86_64";
  l.kernel = "/k";
  l.initrd = "/i";
  l.cmdline = "console=ttyS0";
  l.console_log = "/d/console.log";
  l.channel_socket = "/d/chan.sock";
  l.pidfile = "/d/qemu.pid";
  return l;
}

TEST(QemuArgv, MicrovmEmulatedUsesASecondIsaSerial) {
  VmSpec s;
  s.name = "ctv-x";
  auto a = QemuArgv(s, Accel::kTcg, Launch());
  EXPECT_EQ(a[0], "/usr/bin/qemu-system-x86_64");
  EXPECT_TRUE(HasPair(a, "-machine", "microvm"));
  EXPECT_TRUE(HasPair(a, "-accel", "tcg"));
  EXPECT_TRUE(HasPair(a, "-name", "ctv-x"));
  EXPECT_TRUE(HasPair(a, "-pidfile", "/d/qemu.pid"));
  EXPECT_TRUE(HasPair(a, "-chardev", "socket,id=ctvm,path=/d/chan.sock"));
  EXPECT_TRUE(HasPair(a, "-device", "isa-serial,chardev=ctvm,index=1"));
  EXPECT_TRUE(Has(a, "-no-reboot"));
  EXPECT_TRUE(Has(a, "-nodefaults"));
  EXPECT_FALSE(Has(a, "-cpu"));
}

TEST(QemuArgv, VirtioBusFollowsTheMachine) {
  VmSpec s;
  s.devices = DeviceModel::kVirtio;
  EXPECT_TRUE(HasPair(QemuArgv(s, Accel::kTcg, Launch()), "-device", "virtio-serial-device"));
  s.machine = Machine::kPc;
  auto a = QemuArgv(s, Accel::kTcg, Launch());
  EXPECT_TRUE(HasPair(a, "-device", "virtio-serial-pci"));
  EXPECT_TRUE(HasPair(a, "-device", "virtconsole,chardev=ctvm"));
  EXPECT_TRUE(HasPair(a, "-device", "isa-serial,chardev=con,index=0"));
}

TEST(QemuArgv, KvmGetsTheHostCpuAndSizes) {
  VmSpec s;
  s.vcpus = 2;
  s.memory_mib = 512;
  s.acpi = false;
  auto a = QemuArgv(s, Accel::kKvm, Launch());
  EXPECT_TRUE(HasPair(a, "-accel", "kvm"));
  EXPECT_TRUE(HasPair(a, "-cpu", "host"));
  EXPECT_TRUE(HasPair(a, "-smp", "2"));
  EXPECT_TRUE(HasPair(a, "-m", "512"));
  EXPECT_TRUE(HasPair(a, "-machine", "acpi=off"));
}

TEST(VmSpec, FirmwareBootRunsOnAPcAndRefusesMicrovmAndAScratchDisk) {
  auto fw = ParseVmOptions({{"boot", "firmware"}});
  ASSERT_TRUE(fw) << fw.error().ToString();
  EXPECT_EQ(fw->boot, BootMode::kFirmware);
  EXPECT_EQ(fw->machine, Machine::kPc);  // microvm is only the direct-boot default
  auto q35 = ParseVmOptions({{"boot", "firmware"}, {"machine", "q35"}});
  ASSERT_TRUE(q35);
  EXPECT_EQ(q35->machine, Machine::kQ35);
  auto micro = ParseVmOptions({{"boot", "firmware"}, {"machine", "microvm"}});
  ASSERT_FALSE(micro);
  EXPECT_NE(micro.error().context.find("machine=pc"), std::string::npos)
      << micro.error().ToString();
  auto disk = ParseVmOptions({{"boot", "firmware"}, {"disk", "64"}});
  ASSERT_FALSE(disk);
  EXPECT_EQ(disk.error().path, "64");
  EXPECT_EQ(BootModeName(BootMode::kFirmware), "firmware");
}

TEST(VmSpec, FirmwareCmdlineKeepsTheBootloaderTalkative) {
  VmSpec s = *ParseVmOptions({{"boot", "firmware"}});
  std::string c = KernelCmdline(s, Accel::kTcg, "/p", {"ready"}, 0);
  // SYSLINUX hides its "Loading ..." lines (the hand-over the phases time) when it sees quiet.
  EXPECT_EQ(c.find("quiet"), std::string::npos) << c;
  EXPECT_NE(c.find("loglevel=4"), std::string::npos) << c;
  EXPECT_NE(KernelCmdline(*ParseVmOptions({}), Accel::kTcg, "/p", {}, 0).find(" quiet "),
            std::string::npos);
}

TEST(QemuArgv, FirmwareBootsTheDiskWithTimedConsoleAndDebugPort) {
  VmSpec s = *ParseVmOptions({{"boot", "firmware"}});
  QemuLaunch l = Launch();
  l.boot_disk = "/run/x/boot.raw";
  l.console_socket = "/run/x/console.sock";
  l.debugcon_socket = "/run/x/firmware.sock";
  auto a = QemuArgv(s, Accel::kTcg, l);
  EXPECT_FALSE(Has(a, "-kernel"));
  EXPECT_FALSE(Has(a, "-initrd"));
  EXPECT_FALSE(Has(a, "-append"));
  EXPECT_TRUE(HasPair(a, "-drive", "file=/run/x/boot.raw,if=none,id=boot0,format=raw"));
  EXPECT_TRUE(HasPair(a, "-device", "ide-hd,bus=ide.0,drive=boot0,bootindex=0"));
  EXPECT_TRUE(HasPair(a, "-chardev", "socket,id=con,path=/run/x/console.sock"));
  EXPECT_FALSE(HasPair(a, "-chardev", "file,id=con"));
  EXPECT_TRUE(HasPair(a, "-chardev", "socket,id=ctvdbg,path=/run/x/firmware.sock"));
  EXPECT_TRUE(HasPair(a, "-device", "isa-debugcon,iobase=0x402,chardev=ctvdbg"));
  s.devices = DeviceModel::kVirtio;
  EXPECT_TRUE(HasPair(QemuArgv(s, Accel::kTcg, l), "-device", "virtio-blk-pci,drive=boot0"));
}

TEST(VmSpec, KernelOptionIsGenericOrMicroAndNamesABadValue) {
  EXPECT_EQ(ParseVmOptions({})->kernel, GuestKernel::kGeneric);
  EXPECT_EQ(ParseVmOptions({{"kernel", "micro"}})->kernel, GuestKernel::kMicro);
  EXPECT_FALSE(ParseVmOptions({{"kernel", "micro"}})->acpi);  // it has no ACPI
  EXPECT_FALSE(ParseVmOptions({{"kernel", "micro"}, {"acpi", "on"}}));
  EXPECT_EQ(ParseVmOptions({{"kernel", "generic"}})->kernel, GuestKernel::kGeneric);
  auto fw = ParseVmOptions({{"kernel", "micro"}, {"boot", "firmware"}});
  ASSERT_FALSE(fw);
  EXPECT_NE(fw.error().ToString().find("kernel=generic or boot=pvh"), std::string::npos)
      << fw.error().ToString();
  auto bad = ParseVmOptions({{"kernel", "bogus"}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().ToString().find("bogus"), std::string::npos) << bad.error().ToString();
  EXPECT_NE(bad.error().ToString().find("generic or micro"), std::string::npos);
  // The micro kernel has virtio-blk but no IDE/AHCI drivers.
  auto ide = ParseVmOptions({{"kernel", "micro"}, {"machine", "pc"}, {"disk", "16"}});
  ASSERT_FALSE(ide);
  EXPECT_NE(ide.error().ToString().find("kernel=micro"), std::string::npos);
  EXPECT_TRUE(ParseVmOptions(
      {{"kernel", "micro"}, {"machine", "pc"}, {"devices", "virtio"}, {"disk", "16"}}));
}

// guest=distro: the firmware chain is implied, another boot mode or the micro kernel is refused
// naming the option, and the kernel command line tells ctv-init in the initramfs which root to
// mount after loading the disk's driver, ext4 (and the crc32c its checksums need) and overlay.
TEST(VmSpec, DistroGuestImpliesTheFirmwareChainAndRefusesOtherBoots) {
  auto d = ParseVmOptions({{"guest", "distro"}});
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->guest, GuestProfile::kDistro);
  EXPECT_EQ(d->boot, BootMode::kFirmware);
  EXPECT_EQ(d->machine, Machine::kPc);
  EXPECT_TRUE(ParseVmOptions({{"guest", "distro"}, {"boot", "firmware"}}));
  EXPECT_EQ(ParseVmOptions({{"guest", "distro"}, {"machine", "q35"}})->machine, Machine::kQ35);
  EXPECT_EQ(ParseVmOptions({})->guest, GuestProfile::kMinimal);
  EXPECT_EQ(ParseVmOptions({{"guest", "minimal"}})->boot, BootMode::kPvh);
  auto pvh = ParseVmOptions({{"guest", "distro"}, {"boot", "pvh"}});
  ASSERT_FALSE(pvh);
  EXPECT_NE(pvh.error().ToString().find("guest=distro"), std::string::npos)
      << pvh.error().ToString();
  EXPECT_NE(pvh.error().ToString().find("boot=firmware"), std::string::npos);
  EXPECT_EQ(pvh.error().path, "pvh");
  auto micro = ParseVmOptions({{"guest", "distro"}, {"kernel", "micro"}});
  ASSERT_FALSE(micro);
  EXPECT_NE(micro.error().ToString().find("guest=distro"), std::string::npos)
      << micro.error().ToString();
  EXPECT_FALSE(ParseVmOptions({{"guest", "distro"}, {"machine", "microvm"}}));
  EXPECT_FALSE(ParseVmOptions({{"guest", "distro"}, {"disk", "16"}}));
  auto bad = ParseVmOptions({{"guest", "ubuntu"}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().ToString().find("minimal or distro"), std::string::npos);
  EXPECT_EQ(GuestProfileName(GuestProfile::kDistro), "distro");
}

TEST(KernelCmdline, DistroGuestMountsItsRootAfterTheDiskAndFilesystemModules) {
  VmSpec s = *ParseVmOptions({{"guest", "distro"}});
  std::string c = KernelCmdline(s, Accel::kTcg, "/usr/local/bin/ctv-probe", {"ready"}, 0);
  EXPECT_NE(c.find(" ctv.root=/dev/sda2"), std::string::npos) << c;
  EXPECT_NE(c.find(" ctv.mods=ata_piix,sd_mod,crc32c_generic,ext4,overlay"), std::string::npos)
      << c;
  EXPECT_NE(c.find("rdinit=/sbin/ctv-init"), std::string::npos) << c;
  EXPECT_EQ(c.find("quiet"), std::string::npos) << c;  // SYSLINUX's lines and systemd's status
  s.machine = Machine::kQ35;
  EXPECT_NE(KernelCmdline(s, Accel::kTcg, "/p", {}, 0).find("ctv.mods=ahci,sd_mod,"),
            std::string::npos);
  s.devices = DeviceModel::kVirtio;
  c = KernelCmdline(s, Accel::kTcg, "/p", {}, 0);
  EXPECT_NE(c.find(" ctv.root=/dev/vda2"), std::string::npos) << c;
  // virtio_pci comes once, for the channel and the disk.
  EXPECT_NE(c.find("ctv.mods=virtio_pci,virtio_console,virtio_blk,crc32c_generic,ext4,overlay"),
            std::string::npos)
      << c;
  EXPECT_EQ(KernelCmdline(*ParseVmOptions({{"boot", "firmware"}}), Accel::kTcg, "/p", {}, 0)
                .find("ctv.root"),
            std::string::npos);
}

TEST(QemuArgv, DistroOverlayDiskIsOpenedAsQcow2) {
  VmSpec s = *ParseVmOptions({{"guest", "distro"}});
  QemuLaunch l = Launch();
  l.boot_disk = "/run/x/boot.qcow2";
  l.boot_disk_format = "qcow2";
  EXPECT_TRUE(HasPair(QemuArgv(s, Accel::kTcg, l), "-drive",
                      "file=/run/x/boot.qcow2,if=none,id=boot0,format=qcow2"));
}

// Everything the micro kernel's guests use is built in: ctv-init is told to load nothing (it
// would fail on a module that is neither in /sys/module nor in the guest's modules.dep).
TEST(KernelCmdline, MicroKernelLoadsNoModules) {
  VmSpec s;
  s.kernel = GuestKernel::kMicro;
  s.devices = DeviceModel::kVirtio;
  s.disk_mib = 16;
  EXPECT_TRUE(ChannelModules(s).empty());
  EXPECT_TRUE(DiskModules(s).empty());
  std::string c = KernelCmdline(s, Accel::kTcg, "/p", {}, 0);
  EXPECT_EQ(c.find("ctv.mods"), std::string::npos) << c;
  EXPECT_NE(c.find("ctv.chan=/dev/hvc0"), std::string::npos) << c;
  EXPECT_NE(c.find(" reboot=t"), std::string::npos) << c;
  s.kernel = GuestKernel::kGeneric;
  EXPECT_NE(KernelCmdline(s, Accel::kTcg, "/p", {}, 0).find("ctv.mods=virtio_mmio,virtio_console,"
                                                            "virtio_blk"),
            std::string::npos);
}

TEST(Accel, Parse) {
  EXPECT_EQ(*ParseAccel("kvm"), Accel::kKvm);
  EXPECT_EQ(*ParseAccel(""), Accel::kAuto);
  EXPECT_FALSE(ParseAccel("xen"));
}

}  // namespace
}  // namespace ctv::vm
