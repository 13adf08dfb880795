// One table of configuration options that drives every way a value comes in or goes out:
// redis.conf loading (with include, aliases, quoting), the command line, CONFIG GET, CONFIG SET
// (all-or-nothing) and CONFIG REWRITE (keeping the original file's comments and order). Error
// strings and rendering follow Redis 7.0.15's src/config.c; see schema_test.cc for the exact
// texts checked against stock redis-server.
#pragma once

#include <cstdint>
#include <cstdio>
#include <expected>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace tandem::config {

// Option flags (bit set).
enum OptionFlag : uint32_t {
  kImmutable = 1u << 0,      // CONFIG SET answers "can't set immutable config".
  kMultiArg = 1u << 1,       // File: all words after the name; CONFIG SET: value split on ' '.
  kNotActedOn = 1u << 2,     // Accepted and stored, but the server does not implement it yet.
  kSensitive = 1u << 3,      // Value must be redacted from logs / MONITOR / SLOWLOG.
  kProtected = 1u << 4,      // CONFIG SET needs enable-protected-configs (SetContext).
  kDenyLoading = 1u << 5,    // CONFIG SET refused while loading the dataset.
  kHidden = 1u << 6,         // Not matched by CONFIG GET patterns (exact name only).
  kEmptyIsNull = 1u << 7,    // String: "" means unset; REWRITE drops the option's lines.
  kAlwaysRewrite = 1u << 8,  // REWRITE writes the option even at its default ("dir", ...).
  kPercent = 1u << 9,        // Memory option that also takes "N%" (stored as -N).
  kOctal = 1u << 10,         // Integer written and read in base 8 (unixsocketperm).
  kUnsigned = 1u << 11,      // Bounds compared and printed as unsigned (maxclients, maxmemory).
};

enum class OptionType { kBool, kInteger, kMemory, kString, kEnum, kCustom };

// Where a value comes from. Setters may behave differently: the first "save" line of a load
// replaces the defaults while later ones add to it.
struct SetContext {
  bool from_file = false;
  bool first_in_load = true;  // false when this option already appeared earlier in this load
};

// One rendered CONFIG REWRITE line: the words after the option name, and whether the line must
// be written even if the file had no line for the option (Redis's "force": value != default).
struct RewriteLine {
  std::string args;
  bool force = false;
};

using SetFn = std::function<std::expected<void, std::string>(std::span<const std::string> args,
                                                             const SetContext& ctx)>;
using GetFn = std::function<std::string()>;
// Lines to write for the option. An empty vector removes the option's lines from the file (as
// Redis does for an unset replicaof or a default bind).
using RewriteFn = std::function<std::vector<RewriteLine>()>;
// Called after CONFIG SET stored a changed value; an error rolls the whole CONFIG SET back.
using ApplyFn = std::function<std::expected<void, std::string>()>;

struct Option {
  std::string name;   // canonical, lower case
  std::string alias;  // e.g. "slave-read-only" for "replica-read-only"; may be empty
  uint32_t flags = 0;
  OptionType type = OptionType::kCustom;
  std::string default_value;  // CONFIG GET rendering of the default
  SetFn set;
  GetFn get;
  RewriteFn rewrite;
  ApplyFn apply;

  bool Has(uint32_t flag) const { return (flags & flag) != 0; }
  bool IsDefault() const { return get() == default_value; }
};

// Name, alias and flags of a row, for the typed Add* helpers.
struct OptionSpec {
  std::string_view name;
  std::string_view alias = {};
  uint32_t flags = 0;
};

template <class E>
struct EnumEntry {
  std::string_view name;
  E value;
};

// A fatal config error, printed by the binary exactly like Redis before exit(1).
struct LoadError {
  int line = 0;           // 1-based line within the text that failed; 0: no line (open failure)
  std::string line_text;  // the line, trimmed of " \t\r\n" as Redis shows it
  std::string reason;     // e.g. "Bad directive or wrong number of arguments"

  bool IsOpenError() const { return line == 0; }
  // For a line error:
  // "\n*** FATAL CONFIG FILE ERROR (Redis <version>) ***\nReading the configuration file, at line
  // N\n>>> '<line>'\n<reason>\n". For an open error, just "<reason>": Redis logs it as a warning
  // log line ("Fatal error, can't open config file '<path>': <strerror>"), so log it with Log().
  std::string Format(std::string_view version) const;
};

// The command line as Redis 7.0 reads it: `server [config-file | -] [--name value ...]`.
struct CommandLine {
  std::string config_file;         // as given (empty when none); Redis makes it absolute
  bool config_from_stdin = false;  // "-" as the first or last argument
  std::string options;             // "--port 6380 --save ''" becomes "port \"6380\" \nsave \"\" "
};

// `args` excludes argv[0]. Never fails: a bad option surfaces when the text is loaded.
CommandLine ParseCommandLine(std::span<const std::string> args);

// The text Redis parses: file content, then stdin content, then "\n" + options. Fails only when
// the config file cannot be opened (LoadError::IsOpenError()).
std::expected<std::string, LoadError> ReadConfigText(const CommandLine& cl, std::FILE* in);

// Both steps at once: argc/argv-style strings (without argv[0]) to the config text.
std::expected<std::string, LoadError> ConfigTextFromArgs(std::span<const std::string> args,
                                                         std::FILE* in = stdin);

class Schema {
 public:
  // Handler for a directive that is not a stored option (rename-command, ...). It is called with
  // the words after the directive; an error string becomes the fatal reason.
  using DirectiveFn = std::function<std::expected<void, std::string>(std::span<const std::string>)>;

  Schema() = default;
  Schema(const Schema&) = delete;
  Schema& operator=(const Schema&) = delete;

  // ---- Building the table -------------------------------------------------------------------
  // Add() takes a fully built row; the typed helpers below build the row, store the default into
  // *field and return the row so that callers can attach .apply. References stay valid until
  // the next Add (rows live in a vector); use SetApply() later on.
  Option& Add(Option option);
  Option& AddBool(OptionSpec spec, bool* field, bool def);
  Option& AddString(
      OptionSpec spec, std::string* field, std::string_view def,
      std::function<std::expected<void, std::string>(const std::string&)> validate = {});
  // Integer or memory (type kInteger/kMemory) stored in any integral T. `check` may reject or
  // normalise a parsed value (hz clamps to 1..500).
  template <class T>
  Option& AddNumber(OptionSpec spec, OptionType type, T* field, T def, long long min, long long max,
                    std::function<std::expected<long long, std::string>(long long)> check = {}) {
    *field = def;
    return AddNumeric(
        spec, type, static_cast<long long>(def), min, max, std::move(check),
        [field](long long v) { *field = static_cast<T>(v); },
        [field] { return static_cast<long long>(*field); });
  }
  template <class E>
  Option& AddEnum(OptionSpec spec, E* field, E def, std::vector<EnumEntry<E>> entries) {
    *field = def;
    std::vector<std::pair<std::string, int>> names;
    for (const auto& e : entries) names.emplace_back(e.name, static_cast<int>(e.value));
    return AddEnumInt(
        spec, static_cast<int>(def), std::move(names),
        [field](int v) { *field = static_cast<E>(v); },
        [field] { return static_cast<int>(*field); });
  }
  Option& AddCustom(OptionSpec spec, std::string_view default_value, SetFn set, GetFn get,
                    RewriteFn rewrite);

  // Accepts `name` with min_args..max_args words silently (Redis's deprecated configs).
  void AddDeprecated(std::string_view name, int min_args, int max_args);
  // A directive that is not a stored option ("rename-command"); args count checked here.
  void AddDirective(std::string_view name, int min_args, int max_args, DirectiveFn fn);
  // CONFIG REWRITE lines for a directive that is not an option ("user"), written after every
  // option as Redis does (rewriteConfigUserOption): the directive's lines are reused in place,
  // extra ones appended, and its remaining old lines removed.
  void SetDirectiveRewrite(std::string_view name, RewriteFn fn);
  // Flags an existing option as accepted-but-not-acted-on (or clears that). False if unknown.
  bool SetNotActedOn(std::string_view name, bool not_acted_on);
  // Attaches an apply hook to an existing option. Returns false if the name is unknown.
  bool SetApply(std::string_view name, ApplyFn apply);

  // ---- Lookup ---------------------------------------------------------------------------------
  const Option* Find(std::string_view name_or_alias) const;  // case-insensitive
  const std::vector<Option>& options() const { return options_; }
  std::optional<std::string> GetValue(std::string_view name_or_alias) const;

  // ---- Loading --------------------------------------------------------------------------------
  // Parses redis.conf text. "include path" loads another file (relative paths are relative to
  // the current directory, globs allowed as in Redis 7.0). Errors carry the line of the file
  // being parsed when it failed (an included file reports its own line numbers).
  std::expected<void, LoadError> LoadFromString(std::string_view text);
  std::expected<void, LoadError> LoadFromFile(const std::string& path);
  // Single "name value..." words as from a config line (tests and the server's own overrides).
  std::expected<void, std::string> SetFromArgs(std::span<const std::string> words);

  // ---- CONFIG GET / SET -----------------------------------------------------------------------
  // Name/value pairs for every option name or alias matching any pattern (Redis stringmatchlen,
  // case-insensitive). A pattern without * ? [ is looked up exactly and answers with the name as
  // typed (CONFIG GET PORT -> "PORT"); pattern matches answer with the row's spelling. No
  // duplicate keys; table order (Redis uses a dict: clients must treat the reply as a map).
  std::vector<std::pair<std::string, std::string>> ConfigGet(
      std::span<const std::string> patterns) const;

  struct SetOptions {
    bool loading = false;            // dataset loading: kDenyLoading options are refused
    bool protected_allowed = false;  // enable-protected-configs allows this client
  };
  // CONFIG SET name value [name value ...]: validates every pair, stores them, runs apply hooks
  // of changed options; any failure restores every value. The error is the full reply text
  // including the "ERR " prefix, e.g. "ERR Unknown option or number of arguments for CONFIG
  // SET - 'foo'".
  std::expected<void, std::string> ConfigSet(std::span<const std::string> pairs,
                                             const SetOptions& opts);
  std::expected<void, std::string> ConfigSet(std::span<const std::string> pairs) {
    return ConfigSet(pairs, SetOptions{});
  }

  // ---- CONFIG REWRITE -------------------------------------------------------------------------
  // Pure part: the new file content for `old_content` (empty for a missing file).
  std::string RenderRewrite(std::string_view old_content) const;
  // Reads `path` (a missing file is fine), writes "<path>.XXXXXX" in the same directory, fsyncs,
  // renames over `path` and fsyncs the directory. The error is strerror text; the server replies
  // "ERR Rewriting config file: <error>" (and "ERR The server is running without a config file"
  // when it has none).
  std::expected<void, std::string> Rewrite(const std::string& path) const;

  // Names of options flagged kNotActedOn; with only_changed, those not at their default (what the
  // server should warn about once at start).
  std::vector<std::string> NotActedOn(bool only_changed) const;

 private:
  struct Entry {
    size_t index;
    bool is_alias;
  };
  struct Directive {
    int min_args;
    int max_args;
    DirectiveFn fn;  // empty for deprecated (ignored) directives
  };

  Option& AddNumeric(OptionSpec spec, OptionType type, long long def, long long min, long long max,
                     std::function<std::expected<long long, std::string>(long long)> check,
                     std::function<void(long long)> store, std::function<long long()> load);
  Option& AddEnumInt(OptionSpec spec, int def, std::vector<std::pair<std::string, int>> names,
                     std::function<void(int)> store, std::function<int()> load);
  std::optional<Entry> Lookup(std::string_view name) const;
  std::expected<void, LoadError> LoadText(std::string_view text, int depth);
  std::expected<void, LoadError> LoadFile(const std::string& path, int depth);
  std::expected<void, std::string> ApplyWords(std::vector<std::string>& argv, int depth,
                                              LoadError* nested);

  std::vector<Option> options_;
  std::unordered_map<std::string, Entry> by_name_;  // lower-case name or alias -> row
  std::unordered_map<std::string, Directive> directives_;
  std::unordered_map<std::string, Directive> deprecated_;
  std::vector<std::pair<std::string, RewriteFn>> directive_rewrites_;
  std::unordered_set<size_t> seen_in_load_;
};

}  // namespace tandem::config
