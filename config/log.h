// Redis-format logging: "PID:ROLE DD Mon YYYY HH:MM:SS.mmm <level-char> message", e.g.
// "4049:M 25 Nov 2026 14:02:12.248 * Ready to accept connections". Global state (level, file,
// role) is set by the server from its config; the log file is opened in append mode for every
// line like Redis's serverLogRaw(), so logrotate needs no signal. Thread-safe.
#pragma once

#include <fmt/format.h>
#include <sys/types.h>

#include <chrono>
#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace tandem::config {

enum class Level { kDebug = 0, kVerbose = 1, kNotice = 2, kWarning = 3, kNothing = 4 };

// "debug" "verbose" "notice" "warning" "nothing" (case-insensitive).
std::expected<Level, std::string> ParseLogLevel(std::string_view name);
// '.' debug, '-' verbose, '*' notice, '#' warning.
char LevelChar(Level level);

void SetLogLevel(Level level);
Level GetLogLevel();
// Empty path logs to stdout.
void SetLogFile(std::string path);
// 'M' master, 'S' replica, 'C' child, 'X' sentinel.
void SetLogRole(char role);

// Whether a message at `level` is written (level >= the configured level, never kNothing).
bool ShouldLog(Level level);

// One formatted line without the trailing newline (exposed for tests).
std::string FormatLogLine(pid_t pid, char role, std::chrono::system_clock::time_point when,
                          Level level, std::string_view msg);

// Writes `msg` if ShouldLog(level).
void LogMessage(Level level, std::string_view msg);

template <class... Args>
void Log(Level level, fmt::format_string<Args...> format, Args&&... args) {
  if (!ShouldLog(level)) return;
  LogMessage(level, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace tandem::config
