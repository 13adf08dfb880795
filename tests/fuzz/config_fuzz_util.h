// Shared by config_fuzz and sentinel_config_fuzz: the fences that keep a config text from
// touching the machine while it is fuzzed.
//
// - `include <path>` reads files, so a fuzzed text may only include files of one sandbox
//   directory that PrepareIncludeSandbox() fills with a few small configs (one valid, one bad,
//   one including another, one including itself for the depth limit). Any other include makes
//   the input rejected (the target returns -1 and libFuzzer drops it from the corpus).
// - `dir` chdir()s, in both tables: FenceDir() swaps its row's setter for one that only stores
//   the value, keeping the row's flags and place.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/args.h"
#include "config/schema.h"

namespace tandem::fuzz {

// Fixed (not mkdtemp) so that the seed corpora can name its files.
inline constexpr std::string_view kIncludeDir = "/tmp/tandem-fuzz-include";

inline void PrepareIncludeSandbox() {
  const std::string dir(kIncludeDir);
  ::mkdir(dir.c_str(), 0755);
  const std::pair<const char*, std::string> files[] = {
      {"ok.conf", "port 7000\nsave 900 1\nmaxmemory 1mb\n"},
      {"bad.conf", "# a bad line\nno-such-option yes\n"},
      {"quote.conf", "logfile \"unbalanced\n"},
      {"nested.conf", "include " + dir + "/ok.conf\nhz 20\n"},
      {"loop.conf", "include " + dir + "/loop.conf\n"},
  };
  for (const auto& [name, content] : files) {
    // Written through a temp file and rename: two fuzzers sharing the directory never see a
    // half-written file.
    const std::string path = dir + "/" + name;
    const std::string tmp = path + ".tmp" + std::to_string(::getpid());
    if (std::FILE* fp = std::fopen(tmp.c_str(), "w")) {
      std::fwrite(content.data(), 1, content.size(), fp);
      std::fclose(fp);
      std::rename(tmp.c_str(), path.c_str());
    }
  }
}

// A path Schema may open: a file name (or glob) directly inside kIncludeDir.
inline bool InIncludeSandbox(std::string_view path) {
  if (path.size() <= kIncludeDir.size() + 1 || !path.starts_with(kIncludeDir) ||
      path[kIncludeDir.size()] != '/') {
    return false;
  }
  const std::string_view name = path.substr(kIncludeDir.size() + 1);
  return name.find('/') == std::string_view::npos && name.find("..") == std::string_view::npos;
}

struct IncludeScan {
  bool safe = true;  // every include names a sandbox file
  bool has_include = false;
};

// Finds the include lines exactly as Schema::LoadText reads lines: split on '\n', trimmed of
// " \t\r\n", '#' comments skipped, words by SplitArgs (which stops at a NUL byte).
inline IncludeScan ScanIncludes(std::string_view text) {
  IncludeScan out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(start, nl - start);
    start = nl + 1;
    const size_t b = line.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) continue;
    line = line.substr(b, line.find_last_not_of(" \t\r\n") - b + 1);
    if (line[0] == '#') continue;
    auto words = config::SplitArgs(line);
    if (!words || words->empty() || !config::EqualsNoCase((*words)[0], "include")) continue;
    out.has_include = true;
    if (words->size() == 2 && !InIncludeSandbox((*words)[1])) out.safe = false;
  }
  return out;
}

// Replaces what `dir` does in `schema` (chdir) by storing the value in *value. The row stays
// where it is, with its flags, so loading, CONFIG SET and REWRITE treat it as before.
inline void FenceDir(config::Schema& schema, std::string* value) {
  // Schema hands out its rows read-only; the harness owns this schema and patches one row.
  auto* row = const_cast<config::Option*>(schema.Find("dir"));
  if (row == nullptr) return;
  row->set = [value](std::span<const std::string> args,
                     const config::SetContext&) -> std::expected<void, std::string> {
    if (args.size() != 1) return std::unexpected("wrong number of arguments");
    *value = args[0];
    return {};
  };
  row->get = [value] { return *value; };
  row->rewrite = [value] { return std::vector<config::RewriteLine>{{config::Repr(*value), true}}; };
}

}  // namespace tandem::fuzz
