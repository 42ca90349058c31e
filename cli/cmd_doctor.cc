// ctvbench doctor: what this host offers the suites, read from the machine, never guessed.
#include <unistd.h>

#include <cstdio>
#include <optional>

#include <nlohmann/json.hpp>

#include "bench/drivers/guest_driver.h"
#include "bench/environment.h"
#include "bench/image/probe_image.h"
#include "cli/command.h"
#include "cli/context.h"
#include "core/process.h"
#include "runtime/cgroup/detect.h"
#include "vm/libvirt/conn.h"
#include "vm/libvirt/daemon_info.h"

namespace ctv::cli {
namespace {

std::string Join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

// The libvirt daemon named by --libvirt-uri, asked over its connection (it may be another host);
// nullopt for the embedded default, which has no daemon to ask.
struct LibvirtLine {
  std::string uri;
  std::optional<vm::lv::DaemonInfo> info;
  std::string error;
};

std::optional<LibvirtLine> AskLibvirtDaemon(const std::string& uri) {
  if (uri.empty() || !vm::lv::EmbedRootOf(uri).empty()) return std::nullopt;
  LibvirtLine l{uri, std::nullopt, ""};
  auto conn = vm::lv::Connection::Open(uri);
  if (!conn) {
    l.error = conn.error().ToString();
    return l;
  }
  auto info = vm::lv::DescribeDaemon(conn->Get());
  if (info) l.info = *info;
  else l.error = info.error().ToString();
  return l;
}

int Doctor(const ContextOptions& co, bool as_json) {
  results::Environment e = bench::CollectEnvironment(/*probe_kvm_boot=*/true);
  auto cg = cgroup::DetectCgroups();
  bench::DriverContext ctx = MakeContext(co);
  std::vector<std::string> kernels = bench::FindGuestKernels();
  bool probe_ok = ::access(ctx.probe_path.c_str(), X_OK) == 0;
  bool image_ok = ::access((ctx.image_dir + "/index.json").c_str(), F_OK) == 0;
  std::vector<std::string> missing;
  for (const char* tool : {"qemu-system-x86_64", "runc", "crun", "gnuplot", "umoci", "skopeo"})
    if (FindInPath(tool).empty()) missing.push_back(tool);
  // boot=firmware builds its disk with these (vm/guest/boot_disk.h).
  // guest=distro also overlays it per instance (qemu-img, qemu-io).
  for (const char* tool : {"mkfs.fat", "mcopy", "syslinux", "qemu-img", "qemu-io"})
    if (FindInPath(tool).empty()) missing.push_back(tool);
  // guest=distro boots a root built once per machine (scripts/build-distro-guest).
  std::string distro_missing = bench::DistroGuestMissing(co.guest_kernel);
  std::optional<LibvirtLine> lv = AskLibvirtDaemon(co.libvirt_uri);

  if (as_json) {
    nlohmann::json j = results::ToJson(results::RunResults{.environment = e})["environment"];
    j["guest_kernels"] = kernels;
    j["ctv_probe"] = probe_ok ? ctx.probe_path : "";
    j["image"] = image_ok ? ctx.image_dir : "";
    j["missing_tools"] = missing;
    j["distro_guest"] = distro_missing.empty() ? "built" : distro_missing;
    if (cg) {
      j["cgroup_v2_mount"] = cg->v2_mount;
      nlohmann::json v1 = nlohmann::json::object();
      for (const auto& [c, m] : cg->v1_mounts) v1[c] = m;
      j["cgroup_v1_mounts"] = v1;
    }
    if (lv) {
      nlohmann::json d = {{"uri", lv->uri}, {"error", lv->error}};
      if (lv->info) {
        d["hostname"] = lv->info->hostname;
        d["libvirt_version"] = lv->info->libvirt_version;
        d["qemu_version"] = lv->info->qemu_version;
        d["kvm_offered"] = lv->info->kvm_offered;
        d["kvm_why"] = lv->info->kvm_why;
        d["tsc_khz"] = lv->info->tsc_khz;
      }
      j["libvirt_daemon"] = d;
    }
    std::printf("%s\n", j.dump(2).c_str());
    return lv && !lv->error.empty() ? 1 : 0;
  }
  std::printf("kernel      %s (%s)\n", e.kernel_release.c_str(), e.arch.c_str());
  std::printf("cpu         %s, %d online\n", e.cpu_model.c_str(), e.cpu_count);
  std::printf("memory      %.1f GiB\n", static_cast<double>(e.memory_bytes) / (1 << 30));
  std::string mode_desc = e.cgroup_mode == "hybrid"
                              ? "v1 hybrid: controllers on v1, a cgroup2 mount beside them"
                          : e.cgroup_mode == "v2" ? "v2 (unified hierarchy)"
                          : e.cgroup_mode == "v1" ? "v1 (legacy hierarchies only)"
                                                  : "none mounted";
  std::printf("cgroups     %s\n", mode_desc.c_str());
  if (cg) {
    if (!cg->v2_mount.empty()) std::printf("            cgroup2 at %s\n", cg->v2_mount.c_str());
    std::printf("            controllers usable for limits: %s\n",
                cg->controllers.empty() ? "none" : Join(cg->controllers).c_str());
  }
  std::printf("/dev/kvm    %s%s%s\n", e.kvm.device_present ? "present" : "absent",
              e.kvm.module.empty() ? "" : ", module ", e.kvm.module.c_str());
  std::printf("            usable: %s — %s\n", e.kvm.usable.c_str(), e.kvm.why.c_str());
  std::printf("ksm         %s\n", !e.ksm_enabled ? "not available" : *e.ksm_enabled ? "on" : "off");
  std::printf("tools       ");
  bool first = true;
  for (const auto& [name, version] : e.tools) {
    std::printf("%s%s %s", first ? "" : ", ", name.c_str(), version.c_str());
    first = false;
  }
  std::printf("%s\n", first ? "none found" : "");
  if (!missing.empty()) std::printf("            not found: %s\n", Join(missing).c_str());
  std::printf("guest kernel %s\n", kernels.empty() ? "none in /boot (install linux-image-amd64)"
                                                   : Join(kernels).c_str());
  std::printf("distro guest %s\n", distro_missing.empty()
                                        ? "built (guest=distro: Debian 12 + systemd)"
                                        : distro_missing.c_str());
  std::printf("ctv-probe   %s\n", probe_ok ? ctx.probe_path.c_str() : "not built");
  std::printf("image       %s\n", image_ok ? ctx.image_dir.c_str()
                                           : "not built yet (ctvbench image build)");
  if (lv && lv->info) {
    const vm::lv::DaemonInfo& d = *lv->info;
    std::printf("libvirt     %s\n", lv->uri.c_str());
    std::printf("            host %s, libvirt %s, QEMU %s\n", d.hostname.c_str(),
                d.libvirt_version.c_str(), d.qemu_version.c_str());
    std::printf("            KVM %s\n",
                d.kvm_offered ? "offered (accel=auto boot-probes it there at the first start)"
                              : ("not offered: " + d.kvm_why).c_str());
    if (d.tsc_khz == 0)
      std::printf("            TSC rate unknown: TCG microvm guests there may hang in "
                  "calibration; prefer machine=pc\n");
  } else if (lv) {
    std::printf("libvirt     %s\n            cannot connect: %s\n", lv->uri.c_str(),
                lv->error.c_str());
  }
  std::printf("revision    %s\n", e.ctvbench_revision.c_str());
  return lv && !lv->error.empty() ? 1 : 0;
}

}  // namespace

Command RegisterDoctor(CLI::App& root) {
  auto* doctor = root.add_subcommand(
      "doctor", "Describe what this host offers: kernel, CPU, cgroup mode and controllers, "
                "/dev/kvm and its module, tool versions, guest kernels; with --libvirt-uri naming "
                "a daemon, what that daemon's host offers (exit 1 when it cannot be reached)");
  auto ctx = std::make_shared<ContextOptions>();
  auto as_json = std::make_shared<bool>(false);
  doctor->add_flag("--json", *as_json, "machine-readable output");
  AddContextOptions(*doctor, *ctx);
  return {doctor, [ctx, as_json]() { return Doctor(*ctx, *as_json); }};
}

}  // namespace ctv::cli
