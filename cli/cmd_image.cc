// ctvbench image build: the project's OCI image, made locally from busybox-static and ctv-probe.
#include <cstdio>

#include "bench/image/probe_image.h"
#include "cli/command.h"
#include "cli/context.h"

namespace ctv::cli {

Command RegisterImage(CLI::App& root) {
  auto* image = root.add_subcommand(
      "image", "Build the local OCI image every container and VM driver runs (no registry)");
  image->require_subcommand(1);
  auto* build = image->add_subcommand(
      "build",
      "Write an OCI image layout: layer 1 = Debian's static busybox + minimal /etc, layer 2 = "
      "/usr/local/bin/ctv-probe. Deterministic: same binaries, same digests.\n"
      "Check it with other tools, e.g. `skopeo inspect oci:DIR:latest` or "
      "`umoci unpack --image DIR:latest BUNDLE`.");
  struct Opts {
    ContextOptions ctx;
    std::string out;
    std::string busybox = "/bin/busybox";
  };
  auto o = std::make_shared<Opts>();
  build->add_option("-o,--out", o->out, "layout directory (default: the --image default)");
  build->add_option("--busybox", o->busybox, "static busybox for the base layer")
      ->capture_default_str();
  build->add_option("--probe", o->ctx.probe_path, "ctv-probe binary (default: next to ctvbench)");
  return {image, [o, build]() -> int {
            if (!build->parsed()) return kExitUsage;
            bench::DriverContext c = MakeContext(o->ctx);
            std::string out = o->out.empty() ? c.image_dir : o->out;
            auto d = bench::BuildProbeImage({o->busybox, c.probe_path}, out);
            if (!d) return PrintError(d.error());
            std::printf("image %s:%s\nmanifest %s (%lld bytes)\n", out.c_str(),
                        bench::kProbeImageRef, d->digest.c_str(),
                        static_cast<long long>(d->size));
            return 0;
          }};
}

}  // namespace ctv::cli
