// Helper process for the killed-harness test of the peer drivers: a harness that dies with a
// running container and runs no destructor.
//   peer-kill-helper DRIVER STATE_DIR IMAGE_DIR PROBE NAME
// starts one instance NAME of DRIVER (ctv-probe ready), prints "STARTED" once the host saw its
// ready marker, then waits to be killed.
#include <unistd.h>

#include <cstdio>

#include "bench/drivers/registry.h"

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: peer-kill-helper DRIVER STATE_DIR IMAGE_DIR PROBE NAME\n");
    return 2;
  }
  ctv::bench::DriverContext ctx;
  ctx.state_dir = argv[2];
  ctx.image_dir = argv[3];
  ctx.probe_path = argv[4];
  for (auto& d : ctv::bench::MakeAllDrivers(ctx)) {
    if (d->Name() != argv[1]) continue;
    auto fail = [](const ctv::Error& e) {
      std::fprintf(stderr, "%s\n", e.ToString().c_str());
      return 1;
    };
    if (auto p = d->Prepare(); !p) return fail(p.error());
    auto inst = d->Create({argv[5], {"ready"}, {}, {}});
    if (!inst) return fail(inst.error());
    if (auto s = (*inst)->Start(); !s) return fail(s.error());
    if (auto r = (*inst)->WaitReady(std::chrono::seconds(60)); !r) return fail(r.error());
    std::printf("STARTED\n");
    std::fflush(stdout);
    for (;;) ::pause();
  }
  std::fprintf(stderr, "no driver %s\n", argv[1]);
  return 2;
}
