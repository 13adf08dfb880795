// Redis log line format and destination handling.
#include "config/log.h"

#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <mutex>

#include "config/args.h"

namespace tandem::config {
namespace {

struct LogState {
  std::mutex mu;
  Level level = Level::kNotice;
  std::string file;
  char role = 'M';
};

LogState& State() {
  static LogState state;
  return state;
}

}  // namespace

std::expected<Level, std::string> ParseLogLevel(std::string_view name) {
  if (EqualsNoCase(name, "debug")) return Level::kDebug;
  if (EqualsNoCase(name, "verbose")) return Level::kVerbose;
  if (EqualsNoCase(name, "notice")) return Level::kNotice;
  if (EqualsNoCase(name, "warning")) return Level::kWarning;
  if (EqualsNoCase(name, "nothing")) return Level::kNothing;
  return std::unexpected(
      "argument(s) must be one of the following: debug, verbose, notice, "
      "warning, nothing");
}

char LevelChar(Level level) {
  switch (level) {
    case Level::kDebug:
      return '.';
    case Level::kVerbose:
      return '-';
    case Level::kNotice:
      return '*';
    case Level::kWarning:
      return '#';
    case Level::kNothing:
      break;
  }
  return '#';
}

void SetLogLevel(Level level) {
  std::lock_guard lock(State().mu);
  State().level = level;
}

Level GetLogLevel() {
  std::lock_guard lock(State().mu);
  return State().level;
}

void SetLogFile(std::string path) {
  std::lock_guard lock(State().mu);
  State().file = std::move(path);
}

void SetLogRole(char role) {
  std::lock_guard lock(State().mu);
  State().role = role;
}

bool ShouldLog(Level level) {
  std::lock_guard lock(State().mu);
  return level != Level::kNothing && level >= State().level;
}

std::string FormatLogLine(pid_t pid, char role, std::chrono::system_clock::time_point when,
                          Level level, std::string_view msg) {
  using namespace std::chrono;
  const auto since_epoch = when.time_since_epoch();
  const time_t secs = static_cast<time_t>(duration_cast<seconds>(since_epoch).count());
  const long millis = static_cast<long>(duration_cast<milliseconds>(since_epoch).count() % 1000);
  struct tm tm {};
  localtime_r(&secs, &tm);
  char date[64];
  const size_t off = std::strftime(date, sizeof(date), "%d %b %Y %H:%M:%S.", &tm);
  std::snprintf(date + off, sizeof(date) - off, "%03ld", millis);
  return fmt::format("{}:{} {} {} {}", static_cast<int>(pid), role, date, LevelChar(level), msg);
}

void LogMessage(Level level, std::string_view msg) {
  auto& st = State();
  std::lock_guard lock(st.mu);
  if (level == Level::kNothing || level < st.level) return;
  const std::string line =
      FormatLogLine(getpid(), st.role, std::chrono::system_clock::now(), level, msg) + "\n";
  if (st.file.empty()) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
    return;
  }
  if (std::FILE* fp = std::fopen(st.file.c_str(), "a")) {
    std::fwrite(line.data(), 1, line.size(), fp);
    std::fclose(fp);
  }
}

}  // namespace tandem::config
