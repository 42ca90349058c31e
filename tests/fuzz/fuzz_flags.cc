// libFuzzer target: the parsers of flag values that describe a container: ports
// (runtime/net/port_spec.h), volumes, ulimits, cpus (runtime/spec_flags.h), byte sizes for
// memory limits (cgroup::ParseBytes), user-namespace id maps and namespace lists
// (runtime/ns/namespaces.h). The first byte chooses the parser, the rest is the value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "runtime/cgroup/manager.h"
#include "runtime/net/port_spec.h"
#include "runtime/ns/namespaces.h"
#include "runtime/spec_flags.h"

using namespace ctv;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string v(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 7) {
    case 0: {
      auto p = net::ParsePortSpec(v);
      if (p && (p->host_port == 0 || p->container_port == 0)) std::abort();  // ports are 1..65535
      break;
    }
    case 1: {
      auto vol = runtime::ParseVolumeFlag(v);
      if (vol && (vol->host_path.empty() || vol->host_path[0] != '/' ||
                  vol->container_path.empty() || vol->container_path[0] != '/'))
        std::abort();
      break;
    }
    case 2: {
      auto r = runtime::ParseUlimitFlag(v);
      if (r && r->soft > r->hard) std::abort();
      break;
    }
    case 3: {
      auto c = runtime::ParseCpusFlag(v, 64);
      if (c && !(*c > 0 && *c <= 64)) std::abort();
      break;
    }
    case 4: {
      auto b = cgroup::ParseBytes(v);
      if (b && *b < 0) std::abort();
      break;
    }
    case 5:
      (void)ns::ParseIdMap(v);
      break;
    default:
      (void)ns::ParseKinds(v);
      break;
  }
  return 0;
}
