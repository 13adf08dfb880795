// The generic Schema: loading, CONFIG GET/SET, REWRITE and the command line, on a small table.
// Expected strings were taken from stock redis-server 7.0.15.
#include "config/schema.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config/log.h"

using namespace tandem::config;
using V = std::vector<std::string>;

namespace {

struct Small {
  bool flag = false;
  int hz = 0;
  long long maxmem = 0;
  std::string name;
  int level = 0;
  std::vector<std::string> multi;
  Schema schema;
  int applies = 0;

  Small() {
    schema.AddBool({"replica-read-only", "slave-read-only", 0}, &flag, true);
    schema.AddNumber<int>({"hz", {}, 0}, OptionType::kInteger, &hz, 10, 0, 100);
    schema.AddNumber<long long>({"maxmemory", {}, 0}, OptionType::kMemory, &maxmem, 0, 0,
                                LLONG_MAX);
    schema.AddString({"dbfilename", {}, 0}, &name, "dump.rdb");
    schema.AddEnum<int>({"loglevel", {}, 0}, &level, 2,
                        {{"debug", 0}, {"verbose", 1}, {"notice", 2}, {"warning", 3}});
    schema.AddBool({"daemonize", {}, kImmutable}, &flag2, false);
    schema.AddString({"dir-like", {}, kProtected}, &prot, "");
    schema.AddCustom(
        {"save", {}, kMultiArg}, "",
        [this](std::span<const std::string> a,
               const SetContext& ctx) -> std::expected<void, std::string> {
          if (!ctx.from_file || ctx.first_in_load) multi.clear();
          for (const auto& w : a) multi.push_back(w);
          return {};
        },
        [this] {
          std::string out;
          for (const auto& w : multi) out += (out.empty() ? "" : " ") + w;
          return out;
        },
        [this] {
          std::vector<RewriteLine> lines;
          for (size_t i = 0; i + 1 < multi.size(); i += 2) {
            lines.push_back({multi[i] + " " + multi[i + 1], true});
          }
          return lines;
        });
  }
  bool flag2 = false;
  std::string prot;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct TempDir {
  std::filesystem::path path;
  std::filesystem::path old_cwd = std::filesystem::current_path();
  TempDir() {
    char tmpl[] = "/tmp/tandem-config-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::filesystem::current_path(old_cwd);
    std::filesystem::remove_all(path);
  }
  std::string Write(const std::string& name, const std::string& content) const {
    const auto p = path / name;
    std::ofstream(p) << content;
    return p.string();
  }
};

}  // namespace

TEST_CASE("config: comments, blanks, quoting and aliases load") {
  Small s;
  auto r = s.schema.LoadFromString(
      "# comment\n\n   \t\nslave-read-only no\r\n  hz 20  \nmaxmemory 1gb\n"
      "dbfilename \"my file.rdb\"\nLOGLEVEL Warning\n");
  REQUIRE(r.has_value());
  CHECK(s.flag == false);
  CHECK(s.hz == 20);
  CHECK(s.maxmem == 1LL << 30);
  CHECK(s.name == "my file.rdb");
  CHECK(s.level == 3);
}

TEST_CASE("config: later lines override earlier ones") {
  Small s;
  REQUIRE(s.schema.LoadFromString("hz 11\nhz 12\n"));
  CHECK(s.hz == 12);
}

TEST_CASE("config: first multi-arg line in a load replaces the default, later ones add") {
  Small s;
  s.multi = {"3600", "1"};
  REQUIRE(s.schema.LoadFromString("save 900 1\nsave 300 10\n"));
  CHECK(s.multi == V{"900", "1", "300", "10"});
}

TEST_CASE("config: bad lines report Redis's line number, trimmed line and reason") {
  Small s;
  auto e = s.schema.LoadFromString("# c\n\nhz 1234 5\n").error();
  CHECK(e.line == 3);
  CHECK(e.line_text == "hz 1234 5");
  CHECK(e.reason == "wrong number of arguments");
  CHECK(e.Format("7.0.15") ==
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at "
        "line 3\n>>> 'hz 1234 5'\nwrong number of arguments\n");

  e = s.schema.LoadFromString("foo bar\n").error();
  CHECK(e.reason == "Bad directive or wrong number of arguments");
  e = s.schema.LoadFromString("  hz  \"abc\n").error();
  CHECK(e.line_text == "hz  \"abc");
  CHECK(e.reason == "Unbalanced quotes in configuration line");
  e = s.schema.LoadFromString("\n\n   \t hz abc  \t\n").error();
  CHECK(e.line == 3);
  CHECK(e.line_text == "hz abc");
  CHECK(e.reason == "argument couldn't be parsed into an integer");
  CHECK(s.schema.LoadFromString("hz 101").error().reason ==
        "argument must be between 0 and 100 inclusive");
  CHECK(s.schema.LoadFromString("maxmemory 12x").error().reason ==
        "argument must be a memory value");
  CHECK(s.schema.LoadFromString("slave-read-only maybe").error().reason ==
        "argument must be 'yes' or 'no'");
  CHECK(s.schema.LoadFromString("loglevel loud").error().reason ==
        "argument(s) must be one of the following: debug, verbose, notice, warning");
  CHECK(s.schema.LoadFromString("hz").error().reason == "wrong number of arguments");
}

TEST_CASE("config: include nests relative to cwd") {
  TempDir dir;
  std::filesystem::create_directory(dir.path / "sub");
  dir.Write("sub/inner.conf", "hz 42\ndbfilename inner.rdb\n");
  dir.Write("outer.conf", "hz 1\ninclude sub/inner.conf\nmaxmemory 1mb\n");
  std::filesystem::current_path(dir.path);
  Small s;
  REQUIRE(s.schema.LoadFromFile("outer.conf"));
  CHECK(s.hz == 42);
  CHECK(s.name == "inner.rdb");
  CHECK(s.maxmem == 1 << 20);

  // Errors inside an included file carry that file's own line number.
  dir.Write("sub/bad.conf", "hz 1\n\nhz nope\n");
  auto e = s.schema.LoadFromString("hz 2\ninclude sub/bad.conf\n").error();
  CHECK(e.line == 3);
  CHECK(e.line_text == "hz nope");

  // A missing file is a (log-style) fatal error; a glob matching nothing is fine.
  e = s.schema.LoadFromString("include /nonexistent-dir/x.conf\n").error();
  CHECK(e.IsOpenError());
  CHECK(e.Format("7.0.15") ==
        "Fatal error, can't open config file '/nonexistent-dir/x.conf': No such file or "
        "directory");
  CHECK(s.schema.LoadFromString("include /nonexistent-dir/*.conf\n").has_value());
  dir.Write("sub/a1.conf", "hz 7\n");
  REQUIRE(s.schema.LoadFromString("include sub/a*.conf\n"));
  CHECK(s.hz == 7);
  CHECK(s.schema.LoadFromString("include\n").error().reason ==
        "Bad directive or wrong number of arguments");
}

TEST_CASE("config: deprecated and custom directives") {
  Small s;
  std::vector<V> seen;
  s.schema.AddDeprecated("list-max-ziplist-entries", 1, 1);
  s.schema.AddDirective("rename-command", 2, 2, [&](std::span<const std::string> a) {
    seen.emplace_back(a.begin(), a.end());
    return std::expected<void, std::string>{};
  });
  REQUIRE(s.schema.LoadFromString("list-max-ziplist-entries 5\nrename-command GET \"\"\n"));
  CHECK(seen == std::vector<V>{{"GET", ""}});
  CHECK(s.schema.LoadFromString("list-max-ziplist-entries 5 6").error().reason ==
        "Bad directive or wrong number of arguments");
  CHECK(s.schema.LoadFromString("rename-command get").error().reason ==
        "Bad directive or wrong number of arguments");
}

TEST_CASE("config: command line builds Redis's option text") {
  auto cl = ParseCommandLine(V{"/etc/x.conf", "--port", "6380", "--save", "", "--logfile", ""});
  CHECK(cl.config_file == "/etc/x.conf");
  CHECK(!cl.config_from_stdin);
  CHECK(cl.options == "port \"6380\" \nsave \"\" \nlogfile \"\" ");

  cl = ParseCommandLine(V{"--save", "--port", "1"});
  CHECK(cl.config_file.empty());
  CHECK(cl.options == "save \"\"\nport \"1\" ");
  cl = ParseCommandLine(V{"--port", "1", "--save"});
  CHECK(cl.options == "port \"1\" \nsave \"\"");
  cl = ParseCommandLine(V{"--port 1", "--hz", "x\"y"});
  CHECK(cl.options == "port 1 \nhz \"x\\\"y\" ");
  cl = ParseCommandLine(V{"-", "--port", "1"});
  CHECK(cl.config_from_stdin);
  cl = ParseCommandLine(V{"x.conf", "-"});
  CHECK(cl.config_from_stdin);
  cl = ParseCommandLine(V{"--port", "1", "2", "--hz", "3"});
  CHECK(cl.options == "port \"1\" \"2\" \nhz \"3\" ");
}

TEST_CASE("config: command line options apply after the file, with Redis's line numbers") {
  TempDir dir;
  const auto path = dir.Write("a.conf", "hz 10\nhz 11\n");
  auto text = ConfigTextFromArgs(V{path, "--hz", "50"});
  REQUIRE(text);
  CHECK(*text == "hz 10\nhz 11\n\nhz \"50\" ");
  Small s;
  REQUIRE(s.schema.LoadFromString(*text));
  CHECK(s.hz == 50);

  text = ConfigTextFromArgs(V{path, "--hz", "abc"});
  auto e = s.schema.LoadFromString(*text).error();
  CHECK(e.line == 4);
  CHECK(e.line_text == "hz \"abc\"");
  e = s.schema.LoadFromString(*ConfigTextFromArgs(V{"--hz", "abc"})).error();
  CHECK(e.line == 2);
  e = s.schema.LoadFromString(*ConfigTextFromArgs(V{path, "--port", "1", "2"})).error();
  CHECK(e.line_text == "port \"1\" \"2\"");

  // "-" appends stdin after the file.
  std::FILE* in = std::tmpfile();
  std::fputs("hz xyz\n", in);
  std::rewind(in);
  text = ConfigTextFromArgs(V{path, "-"}, in);
  std::fclose(in);
  e = s.schema.LoadFromString(*text).error();
  CHECK(e.line == 3);

  auto missing = ConfigTextFromArgs(V{"/nonexistent/x.conf"});
  REQUIRE(!missing);
  CHECK(missing.error().IsOpenError());
}

TEST_CASE("config: CONFIG GET matches names and aliases, exact names echo the request") {
  Small s;
  auto r = s.schema.ConfigGet(V{"*read-only*"});
  CHECK(r == std::vector<std::pair<std::string, std::string>>{{"replica-read-only", "yes"},
                                                              {"slave-read-only", "yes"}});
  CHECK(s.schema.ConfigGet(V{"HZ"}) ==
        std::vector<std::pair<std::string, std::string>>{{"HZ", "10"}});
  CHECK(s.schema.ConfigGet(V{"Slave-Read-Only"})[0].first == "Slave-Read-Only");
  CHECK(s.schema.ConfigGet(V{"SLAVE-*"})[0].first == "slave-read-only");
  CHECK(s.schema.ConfigGet(V{"hz", "h?", "hz"}).size() == 1);
  CHECK(s.schema.ConfigGet(V{"nope"}).empty());
  CHECK(s.schema.ConfigGet(V{"*"}).size() == 9);
}

TEST_CASE("config: CONFIG SET errors are Redis 7.0.15's") {
  Small s;
  auto set = [&](V args) {
    auto r = s.schema.ConfigSet(args);
    return r ? std::string("OK") : r.error();
  };
  CHECK(set({"foo", "bar"}) == "ERR Unknown option or number of arguments for CONFIG SET - 'foo'");
  CHECK(set({"hz", "1", "foo", "bar"}) ==
        "ERR Unknown option or number of arguments for CONFIG SET - 'foo'");
  CHECK(set({"maxmemory", "abc"}) ==
        "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a "
        "memory value");
  CHECK(set({"daemonize", "yes"}) ==
        "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable "
        "config");
  CHECK(set({"DAEMONIZE", "yes"}) ==
        "ERR CONFIG SET failed (possibly related to argument 'DAEMONIZE') - can't set immutable "
        "config");
  CHECK(set({"dir-like", "x"}) ==
        "ERR CONFIG SET failed (possibly related to argument 'dir-like') - can't set protected "
        "config");
  CHECK(set({"hz", "1", "HZ", "2"}) ==
        "ERR CONFIG SET failed (possibly related to argument 'HZ') - duplicate parameter");
  CHECK(set({"HZ", "abc"}) ==
        "ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed "
        "into an integer");
  CHECK(set({"slave-read-only", "x"}) ==
        "ERR CONFIG SET failed (possibly related to argument 'slave-read-only') - argument must "
        "be 'yes' or 'no'");
  CHECK(set({"hz"}) == "ERR syntax error");
  CHECK(set({}) == "ERR wrong number of arguments for 'config|set' command");
  // An alias is a separate entry in Redis 7.0, so this is not a duplicate.
  CHECK(set({"replica-read-only", "no", "slave-read-only", "yes"}) == "OK");
  CHECK(s.flag == true);
  auto r = s.schema.ConfigSet(V{"dir-like", "x"}, Schema::SetOptions{false, true});
  CHECK(r.has_value());
}

TEST_CASE("config: CONFIG SET is all-or-nothing") {
  Small s;
  REQUIRE(s.schema.ConfigSet(V{"maxmemory", "1025"}));
  auto r = s.schema.ConfigSet(V{"maxmemory", "1gb", "hz", "abc", "loglevel", "debug"});
  CHECK(!r);
  CHECK(s.maxmem == 1025);
  CHECK(s.hz == 10);
  CHECK(s.level == 2);
  REQUIRE(s.schema.ConfigSet(V{"maxmemory", "1gb", "hz", "20", "save", "100 10 200 20"}));
  CHECK(s.maxmem == 1LL << 30);
  CHECK(s.multi == V{"100", "10", "200", "20"});
}

TEST_CASE("config: apply hooks run for changed options and a failure rolls back") {
  Small s;
  int hz_applies = 0;
  int mem_applies = 0;
  bool fail = false;
  s.schema.SetApply("hz", [&]() -> std::expected<void, std::string> {
    ++hz_applies;
    return {};
  });
  s.schema.SetApply("maxmemory", [&]() -> std::expected<void, std::string> {
    ++mem_applies;
    if (fail) return std::unexpected("cannot shrink");
    return {};
  });
  REQUIRE(s.schema.ConfigSet(V{"hz", "10"}));  // unchanged: no apply
  CHECK(hz_applies == 0);
  REQUIRE(s.schema.ConfigSet(V{"hz", "20"}));
  CHECK(hz_applies == 1);
  fail = true;
  auto r = s.schema.ConfigSet(V{"hz", "30", "maxmemory", "5mb"});
  CHECK(r.error() ==
        "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - cannot shrink");
  CHECK(s.hz == 20);
  CHECK(s.maxmem == 0);
  CHECK(hz_applies == 3);  // applied, then re-applied after the restore
}

TEST_CASE("config: rewrite keeps comments and order, replaces in place, appends new options") {
  Small s;
  const std::string old =
      "# top\n"
      "hz 10\n"
      "hz 12\n"
      "\n"
      "  slave-read-only yes\n"
      "save 900 1\n"
      "save 300 10\n"
      "rename-command FLUSHALL \"\"\n"
      "list-max-ziplist-entries 5\n"
      "maxmemory 0\n"
      "# end\n";
  s.schema.AddDeprecated("list-max-ziplist-entries", 1, 1);
  s.schema.AddDirective(
      "rename-command", 2, 2,
      [](std::span<const std::string>) -> std::expected<void, std::string> { return {}; });
  REQUIRE(s.schema.LoadFromString(old));
  REQUIRE(s.schema.ConfigSet(V{"hz", "10", "slave-read-only", "no", "save", "60 5", "dbfilename",
                               "a b.rdb", "maxmemory", "64mb"}));
  CHECK(s.schema.RenderRewrite(old) ==
        "# top\n"
        "hz 10\n"
        "\n"
        "replica-read-only no\n"
        "save 60 5\n"
        "\n"
        "rename-command FLUSHALL \"\"\n"
        "# ??? list-max-ziplist-entries 5\n"
        "maxmemory 64mb\n"
        "# end\n"
        "\n"
        "# Generated by CONFIG REWRITE\n"
        "dbfilename \"a b.rdb\"\n");
}

TEST_CASE("config: an unsigned memory value above LLONG_MAX is rewritten so that it loads back") {
  // Found by config_fuzz (tests/fuzz/corpus/config/maxmemory-huge): maxmemory takes up to
  // 2^64-1, but REWRITE formatted such a value as a signed byte count ("maxmemory
  // -8446744073699551616"), which the next start refused ("argument must be a memory value").
  unsigned long long field = 0;
  unsigned long long reloaded = 0;
  Schema s;
  Schema s2;
  s.AddNumber<unsigned long long>({"maxmemory", {}, kUnsigned}, OptionType::kMemory, &field, 0, 0,
                                  -1);
  s2.AddNumber<unsigned long long>({"maxmemory", {}, kUnsigned}, OptionType::kMemory, &reloaded, 0,
                                   0, -1);
  REQUIRE(s.LoadFromString("maxmemory 10000000000010000000\n"));
  CHECK(field == 10000000000010000000ULL);
  const std::string text = s.RenderRewrite("maxmemory 10000000000010000000");
  CHECK(text == "maxmemory 10000000000010000000\n");
  REQUIRE(s2.LoadFromString(text));
  CHECK(reloaded == field);
  // A value that fits a signed byte count keeps the largest exact unit, as in Redis.
  REQUIRE(s.LoadFromString("maxmemory 3gb\n"));
  CHECK(s.RenderRewrite("maxmemory 1") == "maxmemory 3gb\n");
}

TEST_CASE("config: rewrite of a file without trailing newline, and of no file") {
  Small s;
  REQUIRE(s.schema.ConfigSet(V{"maxmemory", "1mb"}));
  CHECK(s.schema.RenderRewrite("hz 10") == "hz 10\n# Generated by CONFIG REWRITE\nmaxmemory 1mb\n");
  CHECK(s.schema.RenderRewrite("") == "# Generated by CONFIG REWRITE\nmaxmemory 1mb\n");
  // A second rewrite finds the signature and does not add another one.
  const std::string once = s.schema.RenderRewrite("hz 10\n");
  REQUIRE(s.schema.ConfigSet(V{"loglevel", "debug"}));
  const std::string twice = s.schema.RenderRewrite(once);
  CHECK(twice == "hz 10\n\n# Generated by CONFIG REWRITE\nmaxmemory 1mb\n\nloglevel debug\n");
}

TEST_CASE("config: Rewrite() replaces the file atomically and keeps its mode") {
  TempDir dir;
  const auto path = dir.Write("r.conf", "# mine\nhz 10\n");
  std::filesystem::permissions(path, std::filesystem::perms(0600));
  Small s;
  REQUIRE(s.schema.LoadFromFile(path));
  REQUIRE(s.schema.ConfigSet(V{"hz", "33"}));
  REQUIRE(s.schema.Rewrite(path));
  CHECK(Slurp(path) == "# mine\nhz 33\n\n");
  CHECK((std::filesystem::status(path).permissions() & std::filesystem::perms::all) ==
        std::filesystem::perms(0600));
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path)) ++files;
  CHECK(files == 1);  // no temp file left behind
  CHECK(!s.schema.Rewrite((dir.path / "nodir" / "x.conf").string()).has_value());
}

TEST_CASE("config: not-acted-on options are listed") {
  Schema schema;
  bool a = false, b = false;
  schema.AddBool({"io-threads-do-reads", {}, kNotActedOn}, &a, false);
  schema.AddBool({"appendonly", {}, 0}, &b, false);
  CHECK(schema.NotActedOn(false) == V{"io-threads-do-reads"});
  CHECK(schema.NotActedOn(true).empty());
  REQUIRE(schema.LoadFromString("io-threads-do-reads yes\n"));
  CHECK(schema.NotActedOn(true) == V{"io-threads-do-reads"});
}

TEST_CASE("log: lines use Redis's format and honour level and file") {
  using namespace std::chrono;
  // 25 Nov 2026 14:02:12.248 in the local time zone.
  std::tm tm{};
  tm.tm_year = 2026 - 1900;
  tm.tm_mon = 10;
  tm.tm_mday = 25;
  tm.tm_hour = 14;
  tm.tm_min = 2;
  tm.tm_sec = 12;
  tm.tm_isdst = -1;
  const auto when = system_clock::from_time_t(std::mktime(&tm)) + milliseconds(248);
  CHECK(FormatLogLine(4049, 'M', when, Level::kNotice, "Ready to accept connections") ==
        "4049:M 25 Nov 2026 14:02:12.248 * Ready to accept connections");
  CHECK(FormatLogLine(7, 'S', when, Level::kWarning, "x").substr(0, 5) == "7:S 2");
  CHECK(LevelChar(Level::kDebug) == '.');
  CHECK(LevelChar(Level::kVerbose) == '-');
  CHECK(LevelChar(Level::kWarning) == '#');
  CHECK(*ParseLogLevel("WARNING") == Level::kWarning);
  CHECK(!ParseLogLevel("loud"));

  TempDir dir;
  const std::string path = (dir.path / "log.txt").string();
  SetLogFile(path);
  SetLogRole('X');
  SetLogLevel(Level::kNotice);
  Log(Level::kVerbose, "hidden {}", 1);
  Log(Level::kNotice, "shown {} {}", 2, "x");
  Log(Level::kWarning, "warned");
  SetLogLevel(Level::kNothing);
  Log(Level::kWarning, "silenced");
  SetLogLevel(Level::kNotice);
  SetLogFile("");
  SetLogRole('M');
  const std::string content = Slurp(path);
  CHECK(content.find("hidden") == std::string::npos);
  CHECK(content.find("silenced") == std::string::npos);
  CHECK(content.find(":X ") != std::string::npos);
  CHECK(content.find(" * shown 2 x\n") != std::string::npos);
  CHECK(content.find(" # warned\n") != std::string::npos);
}

TEST_CASE("config: a multi-argument option given as one word is split, as Redis does") {
  Small s;
  REQUIRE(s.schema.SetFromArgs(V{"save", "900 1 300 10"}).has_value());
  CHECK(s.multi == V{"900", "1", "300", "10"});
  Small empty;
  REQUIRE(empty.schema.SetFromArgs(V{"save", ""}).has_value());  // --save "" stays one word
  CHECK(empty.multi == V{""});
  Small file;
  REQUIRE(file.schema.LoadFromString("save \"60 5\"\n").has_value());
  CHECK(file.multi == V{"60", "5"});
  CHECK(!s.schema.SetFromArgs(V{"save", "60 \"5"}).has_value());  // unbalanced quotes
}
