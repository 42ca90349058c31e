// ctvrt: the native container runtime's CLI.
//
// OCI runtime commands on a bundle (config.json + rootfs), so `runc spec` bundles run unmodified:
//   ctvrt create [-b BUNDLE] [--console-socket PATH] ID | start ID | state ID | kill ID [SIGNAL]
//   ctvrt delete [-f] ID | run -b BUNDLE [-d] [--console-socket PATH] ID
// Docker-like commands on OCI image layouts (IMAGE = DIR[:REF]):
//   ctvrt run [-m 256m] [--cpus 0.5] [--pids-limit N] [-v HOST:CT[:ro]] [--name N]
//             [-u USER[:GROUP]] [-t] IMAGE CMD...
//   ctvrt ps [-a] | exec [-u USER[:GROUP]] ID CMD... | logs ID | stop ID | rm [-f] ID | images
//   ctvrt rmi IMAGE | gc
// Inspection (JSON): ctvrt info (cgroup mode and backend) | stats ID (a container's cgroup)
// Exit codes: the container's exit code for foreground runs; 1 failure; 2 bad usage.
#include <openssl/crypto.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "core/clock.h"
#include "core/fault_point.h"
#include "ctv_git_revision.h"  // CTV_GIT_REVISION (cmake/git_revision.cmake)
#include "runtime/cli/commands.h"

int main(int argc, char** argv) {
  using namespace ctv::rtcli;
  if (ctv::fault::ListIfAsked(argc, argv)) return 0;
  Globals g;
  g.main_entry_ns = ctv::MonotonicNs();
  // ctvrt only hashes blobs with libcrypto: skip loading openssl.cnf (it costs ~0.5 ms per launch).
  OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr);
  CLI::App app{
      "ctvrt — a small OCI container runtime (ctvbench's native runtime)\n"
      "OCI: create/start/state/kill/delete/run on a bundle (process.terminal,\n"
      "linux.seccomp, linux.namespaces[].path, hooks honoured); images: run IMAGE CMD...",
      "ctvrt"};
  app.set_version_flag("--version",
                       std::string("ctvrt ") + CTV_VERSION + " (" + CTV_GIT_REVISION + ")");
  app.require_subcommand(1);
  app.add_option("--root", g.state_root, "container state directory")
      ->default_val(ctv::runtime::kDefaultStateRoot);
  app.add_option("--store", g.store_root, "image layer store")
      ->default_val(ctv::image::kDefaultStoreRoot);
  std::vector<Command> cmds = RegisterAll(app, g);
  // The command word (the first argument that is neither a global option nor its value) must
  // name a command: CLI11 alone would only say "A subcommand is required".
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--root" || a == "--store") {
      ++i;
      continue;
    }
    if (a.empty() || a[0] == '-') continue;
    bool known = false;
    for (const CLI::App* c : app.get_subcommands({})) known |= c->check_name(a);
    if (!known) {
      std::string names;
      for (const CLI::App* c : app.get_subcommands({}))
        names += (names.empty() ? "" : ", ") + c->get_name();
      std::fprintf(stderr, "ctvrt: unknown command '%s' (commands: %s)\n", a.c_str(),
                   names.c_str());
      return kExitUsage;
    }
    break;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "ctvrt: %s\nRun 'ctvrt --help' (or 'ctvrt COMMAND --help').\n", e.what());
    return kExitUsage;
  }
  for (auto& c : cmds)
    if (c.app->parsed()) return c.run();
  return kExitUsage;
}
