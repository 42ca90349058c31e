// ctvbench: measure containers against virtual machines on this machine.
#include <cstdio>
#include <string>
#include <vector>

#include "cli/command.h"
#include "core/fault_point.h"

namespace ctv::cli {

int PrintError(const Error& e) {
  std::fprintf(stderr, "ctvbench: %s\n", e.ToString().c_str());
  return kExitFailure;
}

int PrintUsageError(const std::string& message) {
  std::fprintf(stderr, "ctvbench: %s\n", message.c_str());
  return kExitUsage;
}

namespace {
std::vector<std::string> g_command_line;
}
void SetCommandLine(int argc, char** argv) { g_command_line.assign(argv, argv + argc); }
const std::vector<std::string>& CommandLine() { return g_command_line; }

}  // namespace ctv::cli

int main(int argc, char** argv) {
  using namespace ctv::cli;
  // The fault points linked into ctvbench (its drivers and the ctvrt library): tests enumerate them.
  if (ctv::fault::ListIfAsked(argc, argv)) return 0;
  CLI::App app{
      "ctvbench — measure containers against virtual machines on this machine.\n"
      "Typical session:\n"
      "  ctvbench doctor                      what this host can run (cgroups, KVM, tools)\n"
      "  ctvbench run --suite startup         measure, write a results JSON\n"
      "  ctvbench list                        suites and drivers, and why a driver cannot run\n"
      "  ctvbench report RESULTS.json -o DIR  HTML report with charts and the lecture claims\n"
      "  ctvbench compare BASE.json NEW.json  regression gate (exit 1 on a significant regression)\n"
      "  ctvbench export RESULTS.json -f csv  CSV, Markdown or github-action-benchmark JSON",
      "ctvbench"};
  SetCommandLine(argc, argv);
  app.require_subcommand(1);
  app.fallthrough();
  std::vector<Command> commands = {RegisterRun(app),     RegisterList(app),
                                   RegisterDoctor(app),  RegisterImage(app),
                                   RegisterReport(app),  RegisterCompare(app),
                                   RegisterHistory(app), RegisterExport(app),
                                   RegisterGc(app)};
  // CLI11 would say "A subcommand is required" for a mistyped one: name it and the valid ones.
  if (argc > 1 && argv[1][0] != '-') {
    std::string names;
    bool known = false;
    for (const auto& c : commands) {
      known |= c.app->get_name() == argv[1];
      names += (names.empty() ? "" : ", ") + c.app->get_name();
    }
    if (!known)
      return PrintUsageError("unknown command '" + std::string(argv[1]) + "' (commands: " + names +
                             ")");
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "ctvbench: %s\nRun 'ctvbench --help' (or 'ctvbench COMMAND --help').\n",
                 e.what());
    return kExitUsage;
  }
  for (auto& c : commands)
    if (c.app->parsed()) return c.run();
  return kExitUsage;
}
