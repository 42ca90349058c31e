// Integration-test environment of the peer drivers (runc, crun, runsc, podman): a state dir of
// the test's own (so what a test checks for leftovers is only its own), the project's image
// built from this build's ctv-probe, and the leak checks every peer test ends with.
#pragma once

#include <string>
#include <vector>

#include "bench/driver.h"
#include "tests/test_util.h"

namespace ctv::testing {

class PeersEnv {
 public:
  PeersEnv();   // builds the image into the temp dir; the state dir is <temp>/state
  ~PeersEnv();  // gc of the state dir (what a failed test left), then the temp dir goes
  const bench::DriverContext& Context() const { return ctx_; }
  const std::string& StateDir() const { return ctx_.state_dir; }
  // Why the peer tests cannot run here ("" when they can): root, overlayfs, the image.
  const std::string& Missing() const { return missing_; }

 private:
  test::TempDir dir_;
  bench::DriverContext ctx_;
  std::string missing_;
};

// Why `runtime`'s driver cannot run here ("" when it can): the binary, plus what Check() says.
std::string PeerMissing(const bench::Driver& driver);

// What is left of a container `id` run under `state_dir`: processes naming the state dir or the
// id, cgroups "ctvbench/<id>" (and below), mounts under the state dir, entries under
// <state_dir>/peers. One line each; empty when clean.
std::vector<std::string> PeerLeftovers(const std::string& state_dir, const std::string& id);

}  // namespace ctv::testing
