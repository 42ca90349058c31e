// A guest's output port seen from the host with a time for each line: a unix socket QEMU
// connects to (chardev socket, client side) as the backend of the guest console (ttyS0) or of
// SeaBIOS's debug port (isa-debugcon), read by a thread of its own so QEMU never waits on it.
// Every byte goes on into a log file (the instance's console.log / firmware.log); each line is
// stamped with the host monotonic clock when its newline arrives. The firmware boot chain's
// phases are those stamps: SeaBIOS handing over to the MBR, the bootloader's last line.
//
// Contract: listening starts in Listen (before QEMU starts, so no output is lost); the
// destructor stops and joins the thread, closes the sockets and removes the socket file. The
// log file stays (it is in the instance dir). FirstLine may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/error.h"

namespace ctv::vm {

class ConsoleTap {
 public:
  static Result<std::unique_ptr<ConsoleTap>> Listen(const std::string& socket_path,
                                                    const std::string& log_path);
  ~ConsoleTap();
  ConsoleTap(const ConsoleTap&) = delete;
  ConsoleTap& operator=(const ConsoleTap&) = delete;

  // When the first line containing `text` was complete (host monotonic ns); nullopt when no
  // such line arrived (yet).
  std::optional<int64_t> FirstLine(const std::string& text) const;
  const std::string& SocketPath() const;

  struct State;  // shared with the reader thread

 private:
  explicit ConsoleTap(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

}  // namespace ctv::vm
