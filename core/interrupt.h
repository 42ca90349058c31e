// Ctrl-C and SIGTERM during a run: a flag, set by a handler installed without SA_RESTART, so a
// blocking wait (poll on a probe's output, a child's exit) returns early with ECANCELED and the
// run unwinds through its RAII guards (killing workloads, unmounting, destroying domains).
#pragma once

namespace ctv {

// Installs the handler for SIGINT and SIGTERM. Idempotent.
void InstallInterruptHandler();
// True once SIGINT or SIGTERM arrived (after InstallInterruptHandler).
bool Interrupted();
// The signal that interrupted us (0 if none): the CLI exits with 128 + it.
int InterruptSignal();

}  // namespace ctv
