// The CTV-* marker lines: the one vocabulary spoken by the workload (ctv-probe), the guests' PID 1
// (ctv-init) and the harness that reads them (bench/drivers/probe_output.h for a probe's stdout,
// vm/channel.h for a guest's marker channel). A line that starts with "CTV-" is a marker; any
// other line is the workload's own output (one JSON object for the measuring modes).
//
//   CTV-READY <pid> <monotonic_ns>    the workload is ready (probe mode `ready`); the stamp is the
//                                     probe's own clock, comparable to the host's only outside VMs
//   CTV-INIT <boottime_ns> [<sent_ns>] a guest's PID 1 started (guest CLOCK_BOOTTIME at entry, and
//                                     at sending when it is later)
//   CTV-ROOT <boottime_ns>            ctv-init in an initramfs mounted the real root (distro guest)
//                                     and hands over to its init (systemd)
//   CTV-EXEC <boottime_ns>            ctv-init's mounts and modules are done; the workload starts
//                                     (distro guest: the ready unit started)
//   CTV-EXIT <code> | signal <n>      the workload ended
//   CTV-ERROR <message>               ctv-init itself failed (then powers the guest off)
// The host may send kStop ("STOP\n") to a guest's channel: ctv-init then SIGTERMs the workload.
//
// The harness stamps each marker with the host's monotonic clock on arrival (core/line_reader.h):
// that arrival time, never the sender's stamp, is what startup figures use.
#pragma once

#include <string_view>

namespace ctv::markers {

inline constexpr std::string_view kPrefix = "CTV-";
inline constexpr std::string_view kReady = "CTV-READY";
inline constexpr std::string_view kInit = "CTV-INIT";
inline constexpr std::string_view kExec = "CTV-EXEC";
inline constexpr std::string_view kRoot = "CTV-ROOT";
inline constexpr std::string_view kExit = "CTV-EXIT";
inline constexpr std::string_view kError = "CTV-ERROR";
inline constexpr std::string_view kStop = "STOP\n";

enum class Kind { kNotMarker, kReady, kInit, kExec, kRoot, kExit, kError, kUnknown };

struct Marker {
  Kind kind = Kind::kNotMarker;
  std::string_view args;  // what follows the marker word and one space ("" when nothing does)
};

// Classifies one line (without its newline). A "CTV-" line this vocabulary does not know is
// kUnknown: a marker all the same, never the workload's output.
inline Marker Parse(std::string_view line) {
  if (line.substr(0, kPrefix.size()) != kPrefix) return {};
  for (auto [word, kind] : {std::pair{kReady, Kind::kReady}, std::pair{kInit, Kind::kInit},
                            std::pair{kExec, Kind::kExec}, std::pair{kRoot, Kind::kRoot},
                            std::pair{kExit, Kind::kExit},
                            std::pair{kError, Kind::kError}}) {
    if (line.substr(0, word.size()) != word) continue;
    std::string_view rest = line.substr(word.size());
    if (!rest.empty() && rest.front() != ' ') continue;  // CTV-EXITED is not CTV-EXIT
    return {kind, rest.empty() ? rest : rest.substr(1)};
  }
  return {Kind::kUnknown, line.substr(kPrefix.size())};
}

}  // namespace ctv::markers
