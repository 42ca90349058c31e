// Reading ctv-probe's stdout on the host side, shared by every driver whose probe output reaches
// the harness as a stream (a pipe for host and container, a socket for a VM's marker channel).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "bench/driver.h"
#include "core/line_reader.h"

namespace ctv::bench {

// Reads lines until "CTV-READY ..." arrives and appends {"ready", arrival time} to `marks`.
// Non-marker lines are appended to `output`. Fails on timeout or if the stream ends first.
Status WaitForReadyMarker(LineReader& reader, std::chrono::milliseconds timeout,
                          std::vector<Mark>& marks, std::string& output);

// Reads until end of stream, appending non-marker lines to `output`.
Status DrainOutput(LineReader& reader, std::chrono::milliseconds timeout, std::string& output);

}  // namespace ctv::bench
