// Minimal leveled logging to stderr. Never used between clone and exec (see DESIGN.md).
#pragma once

#include <fmt/format.h>

#include <string_view>

namespace ctv {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Messages below this level are dropped. Default kInfo; CTVBENCH_LOG=debug lowers it.
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
void LogLine(LogLevel level, std::string_view message);

template <class... Args>
void Log(LogLevel level, fmt::format_string<Args...> f, Args&&... args) {
  if (level < GetLogLevel()) return;
  LogLine(level, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace ctv
