#include "reports/claims.h"

#include <fmt/format.h>

#include "reports/suite_view.h"

namespace ctv::reports {

const char* ClaimVerdictName(ClaimVerdict v) {
  switch (v) {
    case ClaimVerdict::kHolds:
      return "holds";
    case ClaimVerdict::kNuanced:
      return "holds with nuance";
    case ClaimVerdict::kDoesNotHold:
      return "does not hold here";
    case ClaimVerdict::kNotMeasured:
      return "not measured yet";
    case ClaimVerdict::kCannotMeasureHere:
      return "cannot be measured here";
  }
  return "?";
}

const std::vector<Claim>& ClaimCatalogue() {
  static const std::vector<Claim> kClaims = {
      {"startup.container_ms",
       "Containers start in milliseconds (\"~50 ms\", \"instant\"): no BIOS, no kernel, only a "
       "process start.",
       "startup"},
      {"startup.vm_minutes",
       "A VM takes 30-60 s, or minutes, to boot (BIOS -> MBR -> bootloader -> kernel -> init).",
       "startup"},
      {"startup.container_faster", "Containers start faster than VMs.", "startup"},
      {"process.host_pid",
       "A container is a host process: PID 1 inside, an ordinary PID (e.g. 9422) on the host.",
       "isolation"},
      {"namespace.hostname",
       "Namespaces give a container its own world: its own hostname (UTS) and PID tree.",
       "isolation"},
      {"kernel.shared", "Containers share the host kernel; a VM runs its own kernel.", "isolation"},
      {"virt.hardware_assisted",
       "Hardware-assisted virtualization (VT-x/AMD-V, KVM) beats full emulation (TCG).", "startup"},
      {"footprint.lighter",
       "Containers are lighter than VMs: less RAM per instance (no guest kernel, no full memory "
       "allocation).",
       "footprint"},
      {"footprint.layers_shared",
       "Image layers are shared across containers, so each extra container costs only a thin "
       "writable layer.",
       "footprint"},
      {"density.more_instances", "More containers than VMs fit on the same host.", "density"},
      {"syscall.process_speed",
       "Running a container is essentially running a Linux process: no overhead for system calls.",
       "syscall"},
      {"cgroup.limits_enforced",
       "`docker run -m 256m --cpus 0.5` is enforced: memory capped at 256 MB, CPU at half a core.",
       "cgroup"},
      {"lifecycle.pid1_exit", "If PID 1 exits, the container stops.", "isolation"},
      {"storage.ephemeral",
       "The writable layer is lost when the container is removed; volumes keep the data.",
       "isolation"},
      {"network.port_conflict",
       "Two containers cannot bind the same host port (the second `-p 80:80` fails).",
       "isolation"},
      {"virt.paravirtual_drivers",
       "Paravirtualized (virtio) drivers beat emulated devices for I/O.", "devices"},
  };
  return kClaims;
}

std::vector<ClaimRow> EvaluateClaims(const results::RunResults& run) {
  std::vector<ClaimCheck> checks;
  for (const SuiteView* v : SuiteViews())
    for (auto& c : v->Claims(run)) checks.push_back(std::move(c));
  std::vector<ClaimRow> rows;
  for (const Claim& claim : ClaimCatalogue()) {
    ClaimRow row{claim, {}};
    row.check.claim_id = claim.id;
    row.check.verdict = ClaimVerdict::kNotMeasured;
    row.check.measured = std::string(1, '-');  // not = "-": GCC 12 -Wrestrict false positive
    row.check.explanation =
        FindSuite(run, claim.measured_by)
            ? fmt::format("The {} suite ran, but no check reads its results for this claim yet.",
                          claim.measured_by)
            : fmt::format("No data in these results: the {} suite would measure it.",
                          claim.measured_by);
    for (const auto& c : checks)
      if (c.claim_id == claim.id) {
        row.check = c;
        break;
      }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace ctv::reports
