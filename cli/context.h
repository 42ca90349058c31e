// Options shared by the subcommands that run drivers (`run`, `list`), turned into the
// DriverContext the drivers receive.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "bench/driver.h"

namespace ctv::cli {

struct ContextOptions {
  std::string image_dir;
  std::string state_dir = "/run/ctvbench";
  std::string probe_path;
  std::string guest_kernel;
  std::string libvirt_uri;
};

// Adds --image, --state-dir, --probe, --kernel and --libvirt-uri to `app`.
void AddContextOptions(CLI::App& app, ContextOptions& o);
// Fills defaults: the image from bench::DefaultImageDir(), ctv-probe next to this executable
// (or $CTVBENCH_PROBE).
bench::DriverContext MakeContext(const ContextOptions& o);

}  // namespace ctv::cli
