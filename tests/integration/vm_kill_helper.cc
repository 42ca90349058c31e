// Helper process for the killed-harness test (libvirt allows one embedded root per process, and
// a harness must die without running destructors):
//   vm-kill-helper start qemu|vm STATE_DIR IMAGE_DIR PROBE [URI]
//                                    start one guest (vm: under libvirt URI, default embedded),
//                                    print STARTED, wait
//   vm-kill-helper gc STATE_DIR      vm::CollectGarbage, then print "DOMAINS <n>": the ctv*
//                                    domains the embedded libvirt still knows (active or defined)
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "bench/drivers/qemu_driver.h"
#include "bench/drivers/vm_driver.h"
#include "vm/gc.h"
#include "vm/libvirt/conn.h"
#include "vm/state.h"

namespace {

int Start(const std::string& which, const ctv::bench::DriverContext& ctx, const std::string& uri) {
  ctv::bench::VmDriverConfig config;
  config.libvirt_uri = uri;
  auto driver = which == "vm" ? ctv::bench::MakeVmDriver(ctx, config)
                              : ctv::bench::MakeQemuDriver(ctx, config);
  std::map<std::string, std::string> opts;  // defaults: microvm (libvirt too)
  if (!uri.empty()) opts["accel"] = "tcg";   // no KVM boot probe on a remote host first
  auto inst = driver->Create({"ctv-test-killed-" + which, {"ready"}, {}, opts});
  if (!inst) {
    std::fprintf(stderr, "%s\n", inst.error().ToString().c_str());
    return 1;
  }
  if (auto s = (*inst)->Start(); !s) {
    std::fprintf(stderr, "%s\n", s.error().ToString().c_str());
    return 1;
  }
  std::printf("STARTED\n");
  std::fflush(stdout);
  for (;;) pause();
}

int Gc(const std::string& state_dir) {
  std::string root = ctv::vm::VmStateRoot(state_dir);
  std::vector<std::string> removed;
  if (auto s = ctv::vm::CollectGarbage(root, &removed); !s) {
    std::fprintf(stderr, "%s\n", s.error().ToString().c_str());
    return 1;
  }
  for (const auto& r : removed) std::printf("REMOVED %s\n", r.c_str());
  auto conn = ctv::vm::lv::Connection::Open(ctv::vm::lv::EmbedUri(root));
  if (!conn) {
    std::fprintf(stderr, "%s\n", conn.error().ToString().c_str());
    return 1;
  }
  int n = virConnectNumOfDomains(conn->Get()) + virConnectNumOfDefinedDomains(conn->Get());
  std::printf("DOMAINS %d\n", n);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "start" && (argc == 6 || argc == 7))
    return Start(argv[2], {argv[5], argv[4], argv[3]}, argc == 7 ? argv[6] : "");
  if (mode == "gc" && argc == 3) return Gc(argv[2]);
  std::fprintf(stderr,
               "usage: vm-kill-helper start qemu|vm STATE_DIR IMAGE_DIR PROBE [URI]\n"
               "       vm-kill-helper gc STATE_DIR\n");
  return 2;
}
