// ctvbench list: suites and drivers, and whether each driver can run on this host (and why not).
#include <cstdio>

#include "bench/drivers/registry.h"
#include "bench/suites/suite.h"
#include "cli/command.h"
#include "cli/context.h"

namespace ctv::cli {

Command RegisterList(CLI::App& root) {
  auto* list = root.add_subcommand("list", "List suites and drivers; say which drivers can run here");
  auto ctx = std::make_shared<ContextOptions>();
  AddContextOptions(*list, *ctx);
  return {list, [ctx]() -> int {
            std::printf("suites:\n");
            for (const auto& s : bench::MakeAllSuites())
              std::printf("  %-10s %s\n", s->Name().c_str(), s->Description().c_str());
            std::printf("drivers (name, kind, available here):\n");
            for (const auto& d : bench::MakeAllDrivers(MakeContext(*ctx))) {
              bench::Availability a = d->Check();
              std::printf("  %-10s %-9s %-4s %s\n", d->Name().c_str(),
                          bench::DriverKindName(d->Kind()).c_str(), a.available ? "yes" : "no",
                          d->Description().c_str());
              const char* indent = "                       ";
              if (!a.available) std::printf("%swhy not: %s\n", indent, a.reason.c_str());
              else if (a.accelerator != "none")
                std::printf("%saccelerator: %s%s%s\n", indent, a.accelerator.c_str(),
                            a.reason.empty() ? "" : " — ", a.reason.c_str());
              for (const auto& o : d->Options())
                std::printf("%s--option %s.%s=%s  %s\n", indent, d->Name().c_str(), o.key.c_str(),
                            o.values.c_str(), o.help.c_str());
            }
            std::printf(
                "not offered:\n  docker     `docker run` needs a running dockerd, which ctvbench "
                "does not start on your host; the podman driver stands for it (the same image "
                "model and OCI runtimes, daemonless)\n");
            return 0;
          }};
}

}  // namespace ctv::cli
