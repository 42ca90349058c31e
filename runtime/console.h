// The caller's side of process.terminal: relaying a container's pty to the caller's stdio
// (`ctvrt run` in the foreground without --console-socket), as `runc run` does.
//
// Contract: RelayConsole returns when the container's PID 1 has exited (it does not reap it) and
// the pty's pending output has been copied. Nothing here is on the default launch path: it runs
// only for a container with process.terminal.
#pragma once

#include <sys/types.h>
#include <termios.h>

#include "core/error.h"

namespace ctv::runtime {

struct RelayOptions {
  int master = -1;      // the pty master (Container::TakeConsole)
  int in = 0, out = 1;  // the caller's input and output
  pid_t pid = -1;       // PID 1: the relay ends once it has exited
};

// Copies `in` -> master and master -> `out`. At end of `in` the pty gets its EOF character when
// it is in canonical mode (a reader inside sees end of input, as with `script`); `in` need not be
// a terminal. While it runs, SIGWINCH copies the window size of `in` (or `out`) to the pty.
Status RelayConsole(const RelayOptions& options);

// Copies the window size of the first of `from`s that is a terminal onto the pty `to`; false
// when none is a terminal.
bool CopyWindowSize(int from, int to);
// The window size of `fd` when it is a terminal (rows, cols), else {0, 0}.
struct WindowSize {
  unsigned short rows = 0, cols = 0;
};
WindowSize TerminalSize(int fd);

// Puts the terminal `fd` into raw mode (keys such as ^C go to the container's pty, whose own
// line discipline turns them into signals); restores the previous mode when destroyed. Nothing
// happens when `fd` is not a terminal.
class RawTerminal {
 public:
  explicit RawTerminal(int fd);
  ~RawTerminal();
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  int fd_ = -1;
  termios saved_{};
};

}  // namespace ctv::runtime
