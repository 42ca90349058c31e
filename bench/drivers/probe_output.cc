#include "bench/drivers/probe_output.h"

#include "bench/workload/protocol.h"
#include "core/clock.h"

namespace ctv::bench {

Status WaitForReadyMarker(LineReader& reader, std::chrono::milliseconds timeout,
                          std::vector<Mark>& marks, std::string& output) {
  int64_t deadline = MonotonicNs() + timeout.count() * 1'000'000;
  for (;;) {
    auto left = std::chrono::milliseconds((deadline - MonotonicNs()) / 1'000'000);
    auto line = reader.Next(left.count() > 0 ? left : std::chrono::milliseconds(0));
    if (!line) return MakeError("wait for the ready marker", "", line.error().ToString());
    if (!line.value())
      return MakeError("wait for the ready marker", "",
                       "the workload's output ended before it printed " +
                           std::string(protocol::kReady) +
                           (output.empty() ? "" : "; it printed: " + output));
    const TimedLine& l = *line.value();
    if (l.text.rfind(protocol::kReady, 0) == 0) {
      marks.push_back({"ready", l.arrived_ns});
      return Ok();
    }
    if (l.text.rfind(protocol::kMarkerPrefix, 0) != 0) output += l.text + "\n";
  }
}

Status DrainOutput(LineReader& reader, std::chrono::milliseconds timeout, std::string& output) {
  int64_t deadline = MonotonicNs() + timeout.count() * 1'000'000;
  for (;;) {
    auto left = std::chrono::milliseconds((deadline - MonotonicNs()) / 1'000'000);
    auto line = reader.Next(left.count() > 0 ? left : std::chrono::milliseconds(0));
    if (!line) return MakeError("read the workload's output", "", line.error().ToString());
    if (!line.value()) return Ok();
    if (line.value()->text.rfind(protocol::kMarkerPrefix, 0) != 0)
      output += line.value()->text + "\n";
  }
}

}  // namespace ctv::bench
