// How a ctvbench subcommand plugs into the CLI: one file per subcommand defines one Register*
// function that adds its options to the root CLI11 app and returns how to run it. main.cc calls
// every Register* function, parses, then runs the one subcommand the user named.
//
// Exit codes: 0 success; 1 the command ran and failed (or, for compare, found a regression);
// 2 bad usage (unknown suite/driver/option, malformed value) — the message names the valid forms.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/error.h"

namespace ctv::cli {

struct Command {
  CLI::App* app = nullptr;    // the subcommand, owned by the root app
  std::function<int()> run;   // runs after a successful parse
};

// Exit codes of every command (README, "Exit codes"): 0 done (compare: no regression); 1 a run
// failed or a regression was found; 2 usage or bad input; 3 nothing was measured or nothing was
// comparable (a CI gate must not pass on nothing); 130 interrupted (Ctrl-C).
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNothing = 3;

// Prints "ctvbench: <error>" on stderr; returns kExitFailure.
int PrintError(const Error& e);
// Prints "ctvbench: <message>" on stderr; returns kExitUsage.
int PrintUsageError(const std::string& message);

// The process's argv, recorded in every results file.
void SetCommandLine(int argc, char** argv);
const std::vector<std::string>& CommandLine();

Command RegisterRun(CLI::App& root);
Command RegisterList(CLI::App& root);
Command RegisterDoctor(CLI::App& root);
Command RegisterImage(CLI::App& root);
Command RegisterReport(CLI::App& root);
Command RegisterCompare(CLI::App& root);
Command RegisterHistory(CLI::App& root);
Command RegisterExport(CLI::App& root);
Command RegisterGc(CLI::App& root);

}  // namespace ctv::cli
