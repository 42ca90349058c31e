// Shared by the VM integration tests: the project's image built into a temp dir, a private state
// root, and checks that nothing (QEMU process, instance dir) is left behind. The temp dir is one
// per test process: libvirt accepts a single embedded root per process.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bench/driver.h"
#include "tests/test_util.h"

namespace ctv::test {

class VmTestEnv {
 public:
  // own_state: a state root of its own (for state driven by another process, which must not be
  // the embedded libvirt root this test process may have opened).
  explicit VmTestEnv(bool own_state = false);
  ~VmTestEnv();
  // Empty when the environment is complete; else why a VM test cannot run here (for GTEST_SKIP).
  const std::string& Missing() const { return missing_; }
  const bench::DriverContext& Context() const { return ctx_; }
  std::string VmRoot() const { return ctx_.state_dir + "/vm"; }
  // PIDs of QEMU processes whose command line names this environment's state root.
  std::vector<int> QemuPids() const;
  // Instance directories left under the state root.
  std::vector<std::string> InstanceDirs() const;
  // libvirt cgroups an embedded run of THIS environment can leave: machine groups of `ctv*`
  // domains of its embedded root (vm::MachineGroupPrefix: other tests' roots run at the same
  // time), and "machine" parents left empty (every hierarchy under /sys/fs/cgroup).
  std::vector<std::string> LibvirtCgroupLeftovers() const;
  // The machine group (cgroup path below a hierarchy, e.g. "/machine/qemu-embed-...") QEMU
  // `pid` runs in, or "".
  static std::string MachineGroupOf(int pid);

 private:
  std::optional<TempDir> own_;
  bench::DriverContext ctx_;
  std::string missing_;
};

}  // namespace ctv::test
