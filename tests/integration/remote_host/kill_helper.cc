// remote-host-kill-helper WORK_DIR: starts a RemoteLibvirtHost, prints
// "READY <init pid> <veth> <cgroup name>" and waits to be SIGKILLed (by RemoteLibvirtHostTest,
// which then checks that the remote died with it and that CleanupStale() removes the rest).
#include <unistd.h>

#include <cstdio>

#include "tests/integration/remote_libvirt_host.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: remote-host-kill-helper WORK_DIR\n");
    return 2;
  }
  auto host = ctv::testing::RemoteLibvirtHost::Start(argv[1]);
  if (!host) {
    std::printf("FAIL %s\n", host.error().ToString().c_str());
    return 1;
  }
  std::printf("READY %d %s %s\n", host->InitPid(), host->Veth().c_str(),
              host->CgroupName().c_str());
  std::fflush(stdout);
  for (;;) pause();
}
