#include "bench/drivers/registry.h"

#include "bench/drivers/ctvrt_driver.h"
#include "bench/drivers/host_driver.h"
#include "bench/drivers/oci_runtime_driver.h"
#include "bench/drivers/podman_driver.h"
#include "bench/drivers/qemu_driver.h"
#include "bench/drivers/vm_driver.h"

namespace ctv::bench {

std::vector<std::unique_ptr<Driver>> MakeAllDrivers(const DriverContext& context) {
  std::vector<std::unique_ptr<Driver>> drivers;
  drivers.push_back(MakeHostDriver(context));
  drivers.push_back(MakeCtvrtDriver(context));
  for (const char* runtime : {"runc", "crun", "runsc"})
    drivers.push_back(MakeOciRuntimeDriver(context, runtime));
  drivers.push_back(MakePodmanDriver(context));
  VmDriverConfig vm_config{context.guest_kernel, context.libvirt_uri};
  drivers.push_back(MakeVmDriver(context, vm_config));
  drivers.push_back(MakeQemuDriver(context, vm_config));
  return drivers;
}

}  // namespace ctv::bench
