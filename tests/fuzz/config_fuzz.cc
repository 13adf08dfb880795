// libFuzzer target: redis.conf text through the server's real option table
// (server/server_config.cc on config::Schema). An input starting with "--" is a command line
// instead, one argument per line, turned into config text by ParseCommandLine as the server does.
//
// Beyond "no crash, no hang, no unbounded allocation", two contracts are checked:
// - a text that loads, rewritten by RenderRewrite (CONFIG REWRITE), loads again and every option
//   reads back the same through its getter (CONFIG GET): a restart after CONFIG REWRITE depends
//   on it. Texts with include lines are exempt: Redis rewrites them in place too, so an option
//   set both in the file and in an included file may legitimately read back differently.
// - CONFIG SET with the words of the text's first lines either succeeds or leaves every option
//   as it was (all-or-nothing).
// See config_fuzz_util.h for the include sandbox and the `dir` fence.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "config/args.h"
#include "config/schema.h"
#include "config_fuzz_util.h"
#include "server/server_config.h"

namespace {

using tandem::config::Schema;

// A schema bound to its own ServerConfig (declared first: the schema's rows point into it).
// Building the table costs thousands of allocations, so each of the two tables is built once
// and Reset() before every input: every row keeps its state in `cfg` (or `dir`), so copying
// the freshly registered config back restores all defaults.
struct Table {
  tandem::server::ServerConfig cfg;
  Schema schema;
  std::string dir;
  tandem::server::ServerConfig pristine;
  Table() {
    tandem::server::RegisterServerOptions(schema, cfg);
    tandem::fuzz::FenceDir(schema, &dir);
    pristine = cfg;
  }
  Table& Reset() {
    cfg = pristine;
    dir.clear();
    return *this;
  }
};

Table& FirstTable() {
  static Table t;
  return t.Reset();
}
Table& SecondTable() {
  static Table t;
  return t.Reset();
}

std::vector<std::string> Values(const Schema& s) {
  std::vector<std::string> out;
  for (const auto& o : s.options()) out.push_back(o.get());
  return out;
}

[[noreturn]] void Fail(const std::string& what, std::string_view text) {
  std::fprintf(stderr, "config_fuzz: %s\n--- text\n%.*s\n---\n", what.c_str(),
               static_cast<int>(text.size()), text.data());
  std::abort();
}

// Aborts unless every option reads the same in `a` and `b`.
void ExpectSameValues(const std::vector<std::string>& a, const std::vector<std::string>& b,
                      const Schema& s, const char* what, std::string_view text) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) {
      Fail(std::string(what) + ": " + s.options()[i].name + " '" + a[i] + "' became '" + b[i] + "'",
           text);
    }
  }
}

std::vector<std::string> Lines(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    out.emplace_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  tandem::fuzz::PrepareIncludeSandbox();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  if (text.starts_with("--")) {
    // The server's `tandem-server [file] [--name value ...]` path, without reading files.
    const tandem::config::CommandLine cl = tandem::config::ParseCommandLine(Lines(text));
    text = "\n" + cl.options;
  }
  const tandem::fuzz::IncludeScan includes = tandem::fuzz::ScanIncludes(text);
  if (!includes.safe) return -1;

  Table& t = FirstTable();
  const bool loaded = t.schema.LoadFromString(text).has_value();
  if (loaded && !includes.has_include) {
    const std::string rewritten = t.schema.RenderRewrite(text);
    Table& again = SecondTable();
    if (auto r = again.schema.LoadFromString(rewritten); !r) {
      Fail("the rewritten config does not load: line " + std::to_string(r.error().line) + " '" +
               r.error().line_text + "': " + r.error().reason,
           rewritten);
    }
    ExpectSameValues(Values(t.schema), Values(again.schema), t.schema, "rewrite changed a value",
                     rewritten);
  }

  // CONFIG SET name value [name value ...] from the first lines' words.
  const std::vector<std::string> lines = Lines(text);
  for (size_t i = 0; i < lines.size() && i < 4; ++i) {
    auto words = tandem::config::SplitArgs(lines[i]);
    if (!words || words->empty()) continue;
    // Copying the config is much cheaper than reading all ~300 getters; they are read only
    // when CONFIG SET fails, once as it left the table and once with the copy put back.
    const tandem::server::ServerConfig cfg_before = t.cfg;
    const std::string dir_before = t.dir;
    Schema::SetOptions opts;
    opts.protected_allowed = (i % 2) == 0;
    if (t.schema.ConfigSet(*words, opts)) continue;
    const auto after = Values(t.schema);
    t.cfg = cfg_before;
    t.dir = dir_before;
    ExpectSameValues(Values(t.schema), after, t.schema, "a failed CONFIG SET changed a value",
                     lines[i]);
  }
  return 0;
}
