// ctvrt subcommands: one Register function adds them all to the root app (same convention as
// cli/command.h for ctvbench).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "core/error.h"
#include "runtime/image/store.h"
#include "runtime/state.h"

namespace ctv::rtcli {

inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

struct Globals {
  std::string state_root = runtime::kDefaultStateRoot;
  std::string store_root = image::kDefaultStoreRoot;
  int64_t main_entry_ns = 0;  // CLOCK_MONOTONIC at main(): CTVRT_TIMING's "cli" phase starts here
};

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

int PrintError(const Error& e);
int PrintUsage(const std::string& message);

std::vector<Command> RegisterAll(CLI::App& root, Globals& g);
// Defined in run.cc: `run`, `create`.
Command RegisterRun(CLI::App& root, Globals& g);
Command RegisterCreate(CLI::App& root, Globals& g);
// Defined in manage.cc: commands on containers and images.
std::vector<Command> RegisterManage(CLI::App& root, Globals& g);
// Defined in inspect.cc: `info`, `stats`.
std::vector<Command> RegisterInspect(CLI::App& root, Globals& g);

}  // namespace ctv::rtcli
