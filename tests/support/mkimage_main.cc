// ctv-test-mkimage DIR [PROBE]: writes a busybox(+probe) OCI layout, for manual runs and the
// runtime comparison script when `ctvbench image build` is not available.
#include <cstdio>

#include "tests/support/runtime_image.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: ctv-test-mkimage DIR [PROBE]\n");
    return 2;
  }
  ctv::Status s = ctv::testing::BuildBusyboxImage(argv[1], argc > 2 ? argv[2] : "");
  if (!s) {
    std::fprintf(stderr, "ctv-test-mkimage: %s\n", s.error().ToString().c_str());
    return 1;
  }
  return 0;
}
