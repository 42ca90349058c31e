// Domain XML for each VM option, checked as text and by defining it on libvirt's test driver
// (test:///default: in-process, no QEMU), which parses and validates it like the real one.
#include <gtest/gtest.h>

#include "core/markup.h"
#include <libvirt/libvirt.h>

#include "tests/unit/libvirt_test_driver.h"
#include "vm/libvirt/conn.h"
#include "vm/libvirt/domain_xml.h"

namespace ctv::vm {
namespace {

DomainLaunch Launch() {
  DomainLaunch l;
  l.kernel = "/cache/vmlinux-1";
  l.initrd = "/cache/initrd-1.cpio";
  l.cmdline = "console=ttyS0 ctv.args=a&b";
  l.console_log = "/run/x/console.log";
  l.channel_socket = "/run/x/chan.sock";
  return l;
}

VmSpec Pc() {
  VmSpec s;
  s.name = "ctv-unit";
  s.machine = Machine::kPc;
  return s;
}

bool Contains(const std::string& x, const std::string& part) {
  return x.find(part) != std::string::npos;
}

using DomainXmlOnTestDriver = LibvirtTestDriver;

TEST_F(DomainXmlOnTestDriver, TcgPcEmulatedIsValidAndComplete) {
  std::string xml = DomainXml(Pc(), Accel::kTcg, Launch());
  EXPECT_TRUE(Contains(xml, "<domain type='qemu' "));
  EXPECT_TRUE(Contains(xml, "machine='pc'"));
  EXPECT_TRUE(Contains(xml, "<on_poweroff>destroy</on_poweroff>"));
  EXPECT_TRUE(Contains(xml, "ctv.args=a&amp;b"));  // escaped
  EXPECT_FALSE(Contains(xml, "cputune"));
  EXPECT_FALSE(Contains(xml, "memtune"));
  std::string dump = DefineAndDump(xml);
  EXPECT_TRUE(Contains(dump, "<name>ctv-unit</name>"));
  EXPECT_TRUE(Contains(dump, "/cache/vmlinux-1"));
  EXPECT_TRUE(Contains(dump, "<source mode='connect' path='/run/x/chan.sock'/>"));
  EXPECT_TRUE(Contains(dump, "<target type='isa-serial' port='1'"));
}

TEST_F(DomainXmlOnTestDriver, FirmwareBootsTheDiskAndPassesTheDebugPortThrough) {
  VmSpec s = Pc();
  s.boot = BootMode::kFirmware;
  DomainLaunch l = Launch();
  l.boot_disk = "/run/x/boot.raw";
  l.console_socket = "/run/x/console.sock";
  l.debugcon_socket = "/run/x/firmware.sock";
  std::string xml = DomainXml(s, Accel::kTcg, l);
  EXPECT_FALSE(Contains(xml, "<kernel>"));
  EXPECT_FALSE(Contains(xml, "<cmdline>"));
  EXPECT_FALSE(Contains(xml, "console.log"));
  // The test driver drops the qemu namespace: <qemu:commandline> is checked as text (the real
  // driver's use of it by the firmware boot test, which needs SeaBIOS's line from it).
  EXPECT_TRUE(Contains(xml, "<qemu:arg value='socket,id=ctvdbg,path=/run/x/firmware.sock'/>"));
  EXPECT_TRUE(Contains(xml, "<qemu:arg value='isa-debugcon,iobase=0x402,chardev=ctvdbg'/>"));
  std::string dump = DefineAndDump(xml);
  EXPECT_TRUE(Contains(dump, "<boot dev='hd'/>")) << dump;
  EXPECT_TRUE(Contains(dump, "<source file='/run/x/boot.raw'/>")) << dump;
  EXPECT_TRUE(Contains(dump, "<target dev='hda' bus='ide'/>")) << dump;
  EXPECT_TRUE(Contains(dump, "<source mode='connect' path='/run/x/console.sock'/>")) << dump;
  EXPECT_TRUE(Contains(dump, "<source mode='connect' path='/run/x/chan.sock'/>")) << dump;
}

TEST_F(DomainXmlOnTestDriver, KvmUsesHostPassthrough) {
  VmSpec s = Pc();
  s.machine = Machine::kQ35;
  std::string xml = DomainXml(s, Accel::kKvm, Launch());
  EXPECT_TRUE(Contains(xml, "<domain type='kvm' "));
  EXPECT_TRUE(Contains(xml, "machine='q35'"));
  EXPECT_TRUE(Contains(xml, "host-passthrough"));
  // The test driver only accepts its own domain type; the rest is validated by swapping it.
  std::string as_test = xml;
  as_test.replace(as_test.find("type='kvm'"), 10, "type='test'");
  EXPECT_TRUE(Contains(DefineAndDump(as_test), "host-passthrough"));
}

TEST_F(DomainXmlOnTestDriver, VirtioUsesAVirtioConsole) {
  VmSpec s = Pc();
  s.devices = DeviceModel::kVirtio;
  std::string xml = DomainXml(s, Accel::kTcg, Launch());
  EXPECT_TRUE(Contains(xml, "<console type='unix'>"));
  EXPECT_TRUE(Contains(xml, "<target type='virtio' port='0'/>"));
  EXPECT_FALSE(Contains(xml, "port='1'"));
  EXPECT_TRUE(Contains(DefineAndDump(xml), "type='virtio'"));
}

TEST_F(DomainXmlOnTestDriver, CpuQuotaAndMemoryLimit) {
  VmSpec s = Pc();
  s.vcpus = 2;
  s.memory_mib = 512;
  s.cpu_quota = 0.5;
  s.memory_limit_bytes = 768ull << 20;
  std::string xml = DomainXml(s, Accel::kTcg, Launch());
  // Half a core over two vCPUs: 25 ms per 100 ms period each.
  EXPECT_TRUE(Contains(xml, "<period>100000</period>"));
  EXPECT_TRUE(Contains(xml, "<quota>25000</quota>"));
  EXPECT_TRUE(Contains(xml, "<hard_limit unit='KiB'>786432</hard_limit>"));
  EXPECT_TRUE(Contains(xml, "<vcpu placement='static'>2</vcpu>"));
  EXPECT_TRUE(Contains(xml, "<memory unit='MiB'>512</memory>"));
  std::string dump = DefineAndDump(xml);
  EXPECT_TRUE(Contains(dump, "<quota>25000</quota>")) << dump;
  EXPECT_TRUE(Contains(dump, "786432")) << dump;
}

// Every variant drops "cpu-unavailable-features" (libvirt's ~400-call CPU read-back, see
// domain_xml.cc) once, inside <domain>, with the qemu namespace declared; the XML stays valid.
TEST_F(DomainXmlOnTestDriver, DropsTheCpuUnavailableFeaturesCapability) {
  const std::string del = "<qemu:del capability='cpu-unavailable-features'/>";
  for (Accel accel : {Accel::kTcg, Accel::kKvm}) {
    for (Machine m : {Machine::kPc, Machine::kQ35, Machine::kMicrovm}) {
      VmSpec s = Pc();
      s.machine = m;
      std::string xml = DomainXml(s, accel, Launch());
      SCOPED_TRACE(xml);
      EXPECT_TRUE(Contains(xml, "xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>"));
      size_t at = xml.find(del);
      ASSERT_NE(at, std::string::npos);
      EXPECT_EQ(xml.find(del, at + 1), std::string::npos);
      EXPECT_LT(xml.find("<qemu:capabilities>"), at);
      EXPECT_LT(at, xml.find("</qemu:capabilities>"));
      EXPECT_LT(xml.find("</devices>"), at);
      EXPECT_LT(at, xml.find("</domain>"));
      // The guest CPU itself is untouched: host-passthrough under KVM, QEMU's default under TCG.
      EXPECT_EQ(Contains(xml, "<cpu"), accel == Accel::kKvm);
      if (accel == Accel::kTcg) {
        EXPECT_TRUE(Contains(DefineAndDump(xml), "<name>ctv-unit</name>"));
      }
    }
  }
}

// Daemon URIs (maybe on another host): no path of this host in the XML; both character devices
// are ptys with the aliases StreamBridge opens, for each device model; libvirt keeps the aliases.
TEST_F(DomainXmlOnTestDriver, LibvirtStreamsUsePtysWithOurAliasesAndNoLocalPaths) {
  for (DeviceModel dm : {DeviceModel::kEmulated, DeviceModel::kVirtio}) {
    VmSpec s = Pc();
    s.devices = dm;
    DomainLaunch l = Launch();
    l.transport = CharTransport::kLibvirtStreams;
    l.kernel = "/var/lib/libvirt/ctvbench/vmlinux-1";
    std::string xml = DomainXml(s, Accel::kTcg, l);
    SCOPED_TRACE(xml);
    EXPECT_FALSE(Contains(xml, "/run/x/")) << "a local file leaked into a daemon's domain";
    EXPECT_FALSE(Contains(xml, "<emulator>")) << "the daemon picks its own QEMU";
    EXPECT_TRUE(Contains(xml, "<serial type='pty'>\n      <target type='isa-serial' port='0'/>\n"
                              "      <alias name='ua-ctvconsole'/>"));
    if (dm == DeviceModel::kEmulated) {
      EXPECT_TRUE(Contains(xml, "<target type='isa-serial' port='1'/>\n      <alias name='ua-ctvmarker'/>"));
    } else {
      EXPECT_TRUE(Contains(xml, "<console type='pty'>\n      <target type='virtio' port='0'/>\n"
                                "      <alias name='ua-ctvmarker'/>"));
    }
    std::string dump = DefineAndDump(xml);
    EXPECT_TRUE(Contains(dump, "<alias name='ua-ctvconsole'/>")) << dump;
    EXPECT_TRUE(Contains(dump, "<alias name='ua-ctvmarker'/>")) << dump;
  }
}

// Local files: the embedded driver's QEMU writes the console log and connects to our socket.
TEST(DomainXmlTransport, LocalFilesHaveNoAliasesAndNameTheEmulatorWhenGiven) {
  DomainLaunch l = Launch();
  std::string xml = DomainXml(Pc(), Accel::kTcg, l);
  EXPECT_FALSE(Contains(xml, "<alias"));
  EXPECT_FALSE(Contains(xml, "<emulator>"));
  EXPECT_TRUE(Contains(xml, "<source path='/run/x/console.log'/>"));
  l.emulator = "/usr/bin/qemu-system-x86_64";
  EXPECT_TRUE(Contains(DomainXml(Pc(), Accel::kTcg, l),
                       "<emulator>/usr/bin/qemu-system-x86_64</emulator>"));
}

TEST(DomainXml, EscapesEverythingXmlCares) {
  EXPECT_EQ(EscapeMarkup("a<b>&'\""), "a&lt;b&gt;&amp;&#39;&quot;");
}

}  // namespace
}  // namespace ctv::vm

TEST(LibvirtUri, RemoteHostIsNamedLocalOnesAreNot) {
  using ctv::vm::lv::RemoteHostOf;
  EXPECT_EQ(RemoteHostOf("qemu+ssh://user@vmhost.example:2222/system"), "vmhost.example");
  EXPECT_EQ(RemoteHostOf("qemu+tls://10.1.2.3/system?no_verify=1"), "10.1.2.3");
  EXPECT_EQ(RemoteHostOf("qemu+ssh://[fd00::5]/system"), "fd00::5");
  EXPECT_EQ(RemoteHostOf("qemu:///system"), "");
  EXPECT_EQ(RemoteHostOf("qemu:///embed?root=/run/ctvbench/vm/libvirt"), "");
  EXPECT_EQ(RemoteHostOf("qemu+ssh://root@localhost/system"), "");
  EXPECT_EQ(RemoteHostOf("qemu+ssh://127.0.0.1/system"), "");
  EXPECT_EQ(RemoteHostOf("test:///default"), "");
}

// A system daemon runs QEMU as its own user, which cannot reach our root-only marker socket: the
// driver asks for root with a static DAC label there; the embedded driver needs none.
TEST(DomainXmlLabel, QemuAsRootOnlyWhenAsked) {
  ctv::vm::VmSpec spec;
  spec.name = "ctv-label";
  ctv::vm::DomainLaunch l;
  l.kernel = "/k";
  l.initrd = "/i";
  l.channel_socket = "/run/x/chan.sock";
  EXPECT_EQ(ctv::vm::DomainXml(spec, ctv::vm::Accel::kTcg, l).find("<seclabel"), std::string::npos);
  l.qemu_as_root = true;
  std::string xml = ctv::vm::DomainXml(spec, ctv::vm::Accel::kTcg, l);
  EXPECT_NE(xml.find("<seclabel type='static' model='dac' relabel='no'>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<label>+0:+0</label>"), std::string::npos) << xml;
}
