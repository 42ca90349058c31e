#include "bench/drivers/probe_output.h"

#include "core/clock.h"
#include "core/markers.h"

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
                           std::string(markers::kReady) +
                           (output.empty() ? "" : "; it printed: " + output));
    const TimedLine& l = *line.value();
    markers::Kind kind = markers::Parse(l.text).kind;
    if (kind == markers::Kind::kReady) {
      marks.push_back({"ready", l.arrived_ns});
      return Ok();
    }
    if (kind == markers::Kind::kNotMarker) output += l.text + "\n";
  }
}

Status DrainOutput(LineReader& reader, std::chrono::milliseconds timeout, std::string& output) {
  int64_t deadline = MonotonicNs() + timeout.count() * 1'000'000;
  for (;;) {
    auto left = std::chrono::milliseconds((deadline - MonotonicNs()) / 1'000'000);
    auto line = reader.Next(left.count() > 0 ? left : std::chrono::milliseconds(0));
    if (!line) return MakeError("read the workload's output", "", line.error().ToString());
    if (!line.value()) {
      // A last line without its newline is output too.
      if (!reader.Pending().empty() &&
          markers::Parse(reader.Pending()).kind == markers::Kind::kNotMarker)
        output += reader.Pending();
      return Ok();
    }
    if (markers::Parse(line.value()->text).kind == markers::Kind::kNotMarker)
      output += line.value()->text + "\n";
  }
}

}  // namespace ctv::bench
