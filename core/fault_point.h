// Fault points: named places on the launch and teardown paths where a test can SIGKILL the
// process, to prove that whatever a crash there leaves behind is reclaimed by gc.
//
//   CTV_FAULT_POINT("ctvrt.cgroup_made");
//
// With the build option CTV_FAULT_POINTS (ON by default, OFF for release/package builds: see
// docs/design-notes.md) each point costs one load and compare on its path; when the environment
// variable CTV_FAULT_AT names the point, the process appends "<name> <pid>\n" to the file named by
// CTV_FAULT_LOG (when set) and raises SIGKILL on itself: no destructor, atexit handler or signal
// handler runs, as in a real crash or an OOM kill. The variable is inherited, so a point in a
// forked shim fires in the shim.
//
// Every point linked into a binary is recorded in the ELF section "ctv_fault_points", so
// `ctvrt --list-fault-points` and `ctvbench --list-fault-points` print all of them and a test
// enumerates them without a hand-kept list (a point added later is tested automatically).
//
// Names: "<scope>.<stage>" where scope says which path reaches it: "ctvrt" (the runtime library:
// ctvrt's commands and ctvbench's ctvrt driver), "guest" (both VM drivers), "qemu" (the qemu
// driver), "libvirt" (the vm driver). Never place one between clone and exec (the child path
// must not allocate or read the environment).
#pragma once

#include <string>
#include <vector>

namespace ctv::fault {

// True when this build has fault points compiled in.
bool Enabled();
// Fires the point when CTV_FAULT_AT names it (see above); otherwise returns at once.
void Hit(const char* name);
// Every point compiled into this binary, sorted, without duplicates.
std::vector<std::string> Compiled();
// For a main(): when the only argument is --list-fault-points, prints Compiled() one per line
// (nothing in a build without them) and returns true: the caller exits 0.
bool ListIfAsked(int argc, char** argv);

}  // namespace ctv::fault

#ifndef CTV_NO_FAULT_POINTS
// The name goes into the section (retained: the list is the test's source of truth) and the
// check runs. `used` keeps the entry even though nothing reads the variable by name.
#define CTV_FAULT_POINT(name)                                                                \
  do {                                                                                       \
    [[gnu::section("ctv_fault_points"), gnu::used]] static const char* const ctv_fp_ = name; \
    ::ctv::fault::Hit(ctv_fp_);                                                              \
  } while (0)
#else
#define CTV_FAULT_POINT(name) \
  do {                        \
  } while (0)
#endif
