#include "core/log.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace ctv {
namespace {
LogLevel InitialLevel() {
  const char* env = std::getenv("CTVBENCH_LOG");
  if (env && std::strcmp(env, "debug") == 0) return LogLevel::kDebug;
  if (env && std::strcmp(env, "warn") == 0) return LogLevel::kWarn;
  if (env && std::strcmp(env, "error") == 0) return LogLevel::kError;
  return LogLevel::kInfo;
}
LogLevel g_level = InitialLevel();
}  // namespace

void SetLogLevel(LogLevel level) { g_level = level; }
LogLevel GetLogLevel() { return g_level; }

void LogLine(LogLevel level, std::string_view message) {
  static const char* kPrefix[] = {"debug: ", "", "warning: ", "error: "};
  std::string line = kPrefix[static_cast<int>(level)];
  line.append(message);
  line.push_back('\n');
  // One write(2) per line so concurrent writers do not interleave mid-line.
  [[maybe_unused]] ssize_t n = ::write(2, line.data(), line.size());
}

}  // namespace ctv
