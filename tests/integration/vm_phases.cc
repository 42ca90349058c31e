// vm-phases: boots a guest N times with one driver and options, and prints the median of each
// startup phase (launch -> ready, then Stop). For comparing configurations by hand:
//   vm-phases qemu|vm N [key=value...]      e.g. vm-phases qemu 5 machine=microvm acpi=off
// With CTV_PHASES_RAW=1 in the environment it also prints every boot's phases ("run i k=ms ...").
// Uses the default image (/var/lib/ctvbench/images/probe) and state (/run/ctvbench).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <vector>

#include "bench/drivers/qemu_driver.h"
#include "bench/drivers/vm_driver.h"
#include "bench/image/probe_image.h"
#include "core/process.h"

int main(int argc, char** argv) {
  using namespace std::chrono_literals;
  if (argc < 3) {
    std::fprintf(stderr, "usage: vm-phases qemu|vm N [key=value...]\n");
    return 2;
  }
  std::string which = argv[1];
  int n = std::atoi(argv[2]);
  const bool raw = std::getenv("CTV_PHASES_RAW") != nullptr;
  std::map<std::string, std::string> opts;
  for (int i = 3; i < argc; ++i) {
    std::string kv = argv[i];
    size_t eq = kv.find('=');
    if (eq == std::string::npos) return 2;
    opts[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  ctv::bench::DriverContext ctx{ctv::SelfDir() + "/ctv-probe", ctv::bench::DefaultImageDir(),
                                "/run/ctvbench"};
  auto driver = which == "vm" ? ctv::bench::MakeVmDriver(ctx) : ctv::bench::MakeQemuDriver(ctx);
  if (auto s = driver->Prepare(); !s) {
    std::fprintf(stderr, "%s\n", s.error().ToString().c_str());
    return 1;
  }
  std::vector<std::string> order;
  std::map<std::string, std::vector<double>> phases;
  for (int i = 0; i < n; ++i) {
    auto inst = driver->Create({"ctv-phases-" + std::to_string(i), {"ready"}, {}, opts});
    if (!inst) return std::fprintf(stderr, "%s\n", inst.error().ToString().c_str()), 1;
    ctv::Status s = (*inst)->Start();
    if (s) s = (*inst)->WaitReady(120s);
    if (s) s = (*inst)->Stop(60s);
    if (!s) return std::fprintf(stderr, "%s\n", s.error().ToString().c_str()), 1;
    const auto& m = (*inst)->Marks();
    for (size_t k = 1; k < m.size(); ++k) {
      if (!phases.count(m[k].name)) order.push_back(m[k].name);
      phases[m[k].name].push_back((m[k].t_ns - m[k - 1].t_ns) / 1e6);
    }
    for (const auto& mk : m)
      if (mk.name == "ready") phases["=ready"].push_back((mk.t_ns - m[0].t_ns) / 1e6);
    if (raw) {  // one line per boot, for scripts that want every value
      std::printf("run %d", i);
      for (size_t k = 1; k < m.size(); ++k)
        std::printf(" %s=%.1f", m[k].name.c_str(), (m[k].t_ns - m[k - 1].t_ns) / 1e6);
      std::printf("\n");
    }
  }
  order.push_back("=ready");
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::printf("%s", which.c_str());
  for (const auto& [k, v] : opts) std::printf(" %s=%s", k.c_str(), v.c_str());
  std::printf(" (n=%d, ms: median (min..max))\n", n);
  for (const auto& name : order) {
    const auto& v = phases[name];
    std::printf("  %-9s %9.1f  (%.1f..%.1f)\n", name == "=ready" ? "TOTAL" : name.c_str(), median(v),
                *std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end()));
  }
  return 0;
}
