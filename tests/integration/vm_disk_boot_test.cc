// Guests with a scratch disk (VM option disk=MiB) running ctv-probe blkread: the emulated and the
// paravirtual disk of machine pc under the qemu driver, and q35's SATA disk under embedded
// libvirt. Each checks the guest saw the device and driver the option names, read it at a
// positive rate, and that the disk file went with the instance. Three TCG boots: CI time counts.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "bench/drivers/qemu_driver.h"
#include "bench/drivers/vm_driver.h"
#include "tests/integration/vm_test_env.h"

namespace ctv {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class VmDiskBootTest : public testing::Test {
 protected:
  void SetUp() override {
    if (!env_.Missing().empty()) GTEST_SKIP() << env_.Missing();
  }

  // Boots `spec` (blkread of the whole 16 MiB disk) and returns blkread's JSON; checks the disk
  // file existed while the guest ran (local drivers) and that nothing is left afterwards.
  json ReadDisk(bench::Driver& driver, const std::string& name,
                std::map<std::string, std::string> options) {
    options["disk"] = "16";
    bench::InstanceSpec spec{name, {"blkread", "--mib", "16"}, {}, options};
    json j;
    {
      auto inst = driver.Create(spec);
      EXPECT_TRUE(inst) << inst.error().ToString();
      if (!inst) return j;
      auto dirs = env_.InstanceDirs();  // names under <vm root>/inst
      EXPECT_EQ(dirs.size(), 1u);
      if (dirs.size() == 1) {
        EXPECT_EQ(::access((env_.VmRoot() + "/inst/" + dirs[0] + "/disk.raw").c_str(), F_OK), 0);
      }
      auto st = (*inst)->Start();
      EXPECT_TRUE(st) << st.error().ToString();
      if (!st) return j;
      auto exit = (*inst)->WaitExit(180s);
      EXPECT_TRUE(exit) << exit.error().ToString();
      if (!exit) return j;
      EXPECT_TRUE(exit->status.Success()) << exit->status.ToString() << ": " << exit->output;
      size_t b = exit->output.rfind("{\"mode\":\"blkread\"");
      EXPECT_NE(b, std::string::npos) << exit->output;
      if (b != std::string::npos) j = json::parse(exit->output.substr(b), nullptr, false);
      auto facts = (*inst)->Facts();
      EXPECT_FALSE(facts[bench::fact::kDiskCache].empty());
    }
    EXPECT_TRUE(env_.QemuPids().empty()) << "a QEMU process survived";
    EXPECT_TRUE(env_.InstanceDirs().empty()) << "the instance dir (and its disk) survived";
    EXPECT_TRUE(j.is_object());
    if (!j.is_object()) return json::object();
    EXPECT_EQ(j["bytes"], 16 << 20);
    EXPECT_EQ(j["disk_mib"], 16);
    EXPECT_GT(j["mib_per_s"].get<double>(), 0);
    return j;
  }

  test::VmTestEnv env_;
};

TEST_F(VmDiskBootTest, QemuPcEmulatedDiskIsIdeThroughAtaPiix) {
  auto driver = bench::MakeQemuDriver(env_.Context());
  json j = ReadDisk(*driver, "ctv-test-disk-ide", {{"machine", "pc"}, {"devices", "emulated"}});
  EXPECT_EQ(j["device"], "/dev/sda");
  EXPECT_EQ(j["driver"], "sd");
  EXPECT_EQ(j["controller_driver"], "ata_piix");
}

TEST_F(VmDiskBootTest, QemuPcVirtioDiskIsVirtioBlk) {
  auto driver = bench::MakeQemuDriver(env_.Context());
  json j = ReadDisk(*driver, "ctv-test-disk-virtio", {{"machine", "pc"}, {"devices", "virtio"}});
  EXPECT_EQ(j["device"], "/dev/vda");
  EXPECT_EQ(j["driver"], "virtio_blk");
  EXPECT_EQ(j["controller_driver"], "virtio-pci");
}

TEST_F(VmDiskBootTest, LibvirtEmbeddedQ35EmulatedDiskIsSataThroughAhci) {
  auto driver = bench::MakeVmDriver(env_.Context());
  json j = ReadDisk(*driver, "ctv-test-disk-sata", {{"machine", "q35"}, {"devices", "emulated"}});
  EXPECT_EQ(j["device"], "/dev/sda");
  EXPECT_EQ(j["controller_driver"], "ahci");
  driver.reset();  // closes the embedded connection
  EXPECT_TRUE(env_.QemuPids().empty());
}

}  // namespace
}  // namespace ctv
