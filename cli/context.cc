#include "cli/context.h"

#include <cstdlib>

#include "bench/image/probe_image.h"
#include "core/process.h"

namespace ctv::cli {

void AddContextOptions(CLI::App& app, ContextOptions& o) {
  app.add_option("--image", o.image_dir,
                 "OCI image layout the container and VM drivers run (default: $CTVBENCH_IMAGE_DIR "
                 "or /var/lib/ctvbench/images/probe, rebuilt by `run` so it holds this build's ctv-probe)");
  app.add_option("--state-dir", o.state_dir,
                 "where instances keep their runtime state (mounts, sockets)")
      ->capture_default_str();
  app.add_option("--probe", o.probe_path,
                 "the ctv-probe binary run as a host process (default: next to ctvbench)");
  app.add_option("--kernel", o.guest_kernel,
                 "guest kernel for the VM drivers (default: newest /boot/vmlinuz-* with modules)");
  app.add_option("--libvirt-uri", o.libvirt_uri,
                 "libvirt connection of the vm driver (default: embedded qemu:///embed, no "
                 "daemon). A daemon may be local (qemu:///system) or on another host "
                 "(qemu+ssh://root@HOST/system): the guest is uploaded into its storage pool "
                 "'ctvbench' once, and console and markers travel over the connection");
}

bench::DriverContext MakeContext(const ContextOptions& o) {
  bench::DriverContext c;
  c.image_dir = o.image_dir.empty() ? bench::DefaultImageDir() : o.image_dir;
  c.state_dir = o.state_dir;
  c.guest_kernel = o.guest_kernel;
  c.libvirt_uri = o.libvirt_uri;
  const char* env = std::getenv("CTVBENCH_PROBE");
  c.probe_path = !o.probe_path.empty() ? o.probe_path
                 : env && *env         ? env
                                       : SelfDir() + "/ctv-probe";
  return c;
}

}  // namespace ctv::cli
