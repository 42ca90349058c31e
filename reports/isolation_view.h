// The isolation suite's evidence turned into verdicts (docs/suites/isolation.md): one row per
// namespace plus the kernel, each marked "isolated" or "shared" from the data of one result, and
// rows for what confines the workload (capabilities, seccomp, no_new_privs). Public for the view
// and its unit tests; the view itself is registered in suite_view.cc.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ctv::reports {

inline constexpr const char* kIsolated = "isolated";
inline constexpr const char* kShared = "shared";
inline constexpr const char* kUnknown = "unknown";

struct IsolationRow {
  std::string aspect;    // "uts", "pid", ..., "kernel", "capabilities", "seccomp", "no_new_privs"
  bool counted = true;   // a namespace or the kernel (counted in isolated/shared), else confinement
  std::string verdict;   // kIsolated / kShared / kUnknown; confinement rows: "confined" / "as host"
  std::string inside;    // what the workload saw
  std::string outside;   // what the host sees of the instance (its PID 1 or its host process)
  std::string host;      // the host's own value
  std::string evidence;  // why the verdict: which numbers were compared
};

// `isolation` = details["isolation"] of a namespaces-case result: {inside, outside, host}.
// Rule: an instance whose boot id differs from the host's runs its own kernel (a VM, gVisor):
// every namespace is isolated (its inode numbers belong to that other kernel). On the host's
// kernel, a namespace is isolated when the workload's inode differs from the host's, shared
// when equal, unknown when either is missing.
std::vector<IsolationRow> IsolationRows(const nlohmann::json& isolation);

struct IsolationCounts {
  int isolated = 0, shared = 0, unknown = 0;
};
IsolationCounts CountRows(const std::vector<IsolationRow>& rows);

}  // namespace ctv::reports
