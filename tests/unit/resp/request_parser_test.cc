#include "resp/request_parser.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using tandem::resp::ParseResult;
using tandem::resp::ParserLimits;
using tandem::resp::RequestParser;

namespace {

// Feeds `input` and collects every command until kNeedMore or kError.
struct Run {
  std::vector<std::vector<std::string>> commands;
  ParseResult last = ParseResult::kNeedMore;
  std::string error;
  size_t consumed = 0;
};

Run ParseAll(RequestParser& p, std::string_view input, const ParserLimits& limits = {}) {
  Run run;
  while (true) {
    ParseResult r = p.Parse(input.substr(run.consumed), limits);
    run.last = r;
    if (r == ParseResult::kError) {
      run.error = p.error();
      return run;
    }
    if (r == ParseResult::kNeedMore) return run;
    if (!p.args().empty()) {
      run.commands.emplace_back(p.args().begin(), p.args().end());
    }
    run.consumed += p.consumed();
  }
}

}  // namespace

TEST_CASE("resp: multibulk command parses into arguments") {
  RequestParser p;
  Run r = ParseAll(p, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n");
  REQUIRE(r.commands.size() == 1);
  CHECK(r.commands[0] == std::vector<std::string>{"SET", "k", "hello"});
  CHECK(r.consumed == 31);
}

TEST_CASE("resp: binary-safe bulk with CRLF inside") {
  RequestParser p;
  std::string in("*2\r\n$4\r\nECHO\r\n$4\r\na\r\nb\r\n", 24);
  Run r = ParseAll(p, in);
  REQUIRE(r.commands.size() == 1);
  CHECK(r.commands[0][1] == std::string("a\r\nb"));
}

TEST_CASE("resp: pipelined commands in one buffer all parse in order") {
  RequestParser p;
  std::string in;
  for (int i = 0; i < 10000; ++i) in += "*2\r\n$4\r\nINCR\r\n$1\r\nx\r\n";
  Run r = ParseAll(p, in);
  CHECK(r.commands.size() == 10000);
  CHECK(r.consumed == in.size());
}

TEST_CASE("resp: a frame split at every byte boundary still parses once") {
  std::string frame = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$10\r\n0123456789\r\n";
  for (size_t cut = 1; cut < frame.size(); ++cut) {
    RequestParser p;
    std::string buf = frame.substr(0, cut);
    CHECK(p.Parse(buf, {}) == ParseResult::kNeedMore);
    buf = frame;
    REQUIRE(p.Parse(buf, {}) == ParseResult::kCommand);
    CHECK(p.args().size() == 3);
    CHECK(p.args()[2] == "0123456789");
    CHECK(p.consumed() == frame.size());
  }
}

TEST_CASE("resp: large bulk reports the bytes it needs") {
  RequestParser p;
  std::string head = "*1\r\n$100000\r\n";
  CHECK(p.Parse(head, {}) == ParseResult::kNeedMore);
  CHECK(p.bytes_needed() == head.size() + 100000 + 2);
}

TEST_CASE("resp: inline commands with quotes") {
  RequestParser p;
  Run r = ParseAll(p, "SET \"a b\" 'c\\'d'\r\nPING\n");
  REQUIRE(r.commands.size() == 2);
  CHECK(r.commands[0] == std::vector<std::string>{"SET", "a b", "c'd"});
  CHECK(r.commands[1] == std::vector<std::string>{"PING"});
}

TEST_CASE("resp: inline hex escapes decode to bytes") {
  RequestParser p;
  Run r = ParseAll(p, "ECHO \"\\x41\\x00\\n\"\r\n");
  REQUIRE(r.commands.size() == 1);
  CHECK(r.commands[0][1] == std::string("A\0\n", 3));
}

TEST_CASE("resp: empty requests are skipped") {
  RequestParser p;
  Run r = ParseAll(p, "*0\r\n*-1\r\n\r\n   \r\n*1\r\n$4\r\nPING\r\n");
  REQUIRE(r.commands.size() == 1);
  CHECK(r.commands[0][0] == "PING");
}

TEST_CASE("resp: protocol errors carry Redis's texts") {
  struct Case {
    std::string input;
    std::string error;
  };
  std::vector<Case> cases = {
      {"*abc\r\n", "Protocol error: invalid multibulk length"},
      {"*2147483648\r\n", "Protocol error: invalid multibulk length"},
      {"*1\r\n$-1\r\n", "Protocol error: invalid bulk length"},
      {"*1\r\n$abc\r\n", "Protocol error: invalid bulk length"},
      {"*1\r\n$536870913\r\n", "Protocol error: invalid bulk length"},
      {"*1\r\n+4\r\n", "Protocol error: expected '$', got '+'"},
      {"SET \"a b\r\n", "Protocol error: unbalanced quotes in request"},
      {"ECHO \"a\"b\r\n", "Protocol error: unbalanced quotes in request"},
      {std::string(70000, 'a'), "Protocol error: too big inline request"},
      {"*" + std::string(70000, '1'), "Protocol error: too big mbulk count string"},
      {"*1\r\n$" + std::string(70000, '1'), "Protocol error: too big bulk count string"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.input.substr(0, 40));
    RequestParser p;
    Run r = ParseAll(p, c.input);
    CHECK(r.last == ParseResult::kError);
    CHECK(r.error == c.error);
  }
}

TEST_CASE("resp: unauthenticated clients are limited to 10 args of 16 KiB") {
  ParserLimits limits;
  limits.unauthenticated = true;
  RequestParser p;
  Run r = ParseAll(p, "*11\r\n", limits);
  CHECK(r.error == "Protocol error: unauthenticated multibulk length");
  RequestParser q;
  r = ParseAll(q, "*1\r\n$16385\r\n", limits);
  CHECK(r.error == "Protocol error: unauthenticated bulk length");
}

TEST_CASE("resp: proto-max-bulk-len is configurable and the master link is exempt") {
  ParserLimits limits;
  limits.max_bulk_len = 10;
  RequestParser p;
  CHECK(ParseAll(p, "*1\r\n$11\r\n", limits).error == "Protocol error: invalid bulk length");
  limits.from_master = true;
  RequestParser q;
  CHECK(ParseAll(q, "*1\r\n$11\r\n", limits).last == ParseResult::kNeedMore);
}

TEST_CASE("resp: commands before a protocol error are delivered first") {
  RequestParser p;
  Run r = ParseAll(p, "*1\r\n$4\r\nPING\r\n*x\r\n");
  CHECK(r.commands.size() == 1);
  CHECK(r.last == ParseResult::kError);
}

namespace {

std::vector<std::vector<std::string>> ScanAll(std::string_view input, size_t max = 64) {
  std::vector<std::vector<std::string>> out;
  tandem::resp::ScanCommands(input, max, [&](std::span<const std::string_view> args) {
    out.emplace_back(args.begin(), args.end());
    return true;
  });
  return out;
}

}  // namespace

TEST_CASE("resp: the look-ahead scan visits the complete commands of a pipeline") {
  std::string one = "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n";
  std::string mset = "*5\r\n$4\r\nMSET\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$4\r\n\r\nxy\r\n";
  std::string pipeline = one + mset + one;
  auto all = ScanAll(pipeline);
  REQUIRE(all.size() == 3);
  CHECK(all[0] == std::vector<std::string>{"GET", "key"});
  CHECK(all[1] == std::vector<std::string>{"MSET", "a", "1", "b", "\r\nxy"});
  CHECK(ScanAll(pipeline, 2).size() == 2);
  // fn returning false stops the scan after that command.
  size_t calls = 0;
  CHECK(tandem::resp::ScanCommands(
            pipeline, 64, [&](std::span<const std::string_view>) { return ++calls < 2; }) == 2);

  // Every prefix: the scan sees exactly the commands the parser has complete (none are empty or
  // inline here), so it never reads past the buffer nor visits a partial frame.
  for (size_t len = 0; len <= pipeline.size(); ++len) {
    std::string_view prefix(pipeline.data(), len);
    RequestParser p;
    CHECK(ScanAll(prefix) == ParseAll(p, prefix).commands);
  }
}

TEST_CASE("resp: the look-ahead scan stops where the parser would object or wait") {
  std::string get = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
  for (const char* bad : {
           "PING\r\n",               // inline
           "*0\r\n",                 // empty multibulk (the parser skips it)
           "*-1\r\n",                // null multibulk
           "*01\r\n$1\r\na\r\n",     // leading zero: invalid multibulk length
           "*1\r\n$01\r\na\r\n",     // leading zero: invalid bulk length
           "*1\r\n$-1\r\n",          // negative bulk length
           "*1\r\n$1\r\nab\r\n",     // bulk not followed by CRLF
           "*1\r\n+a\r\n",           // not a bulk
           "*1\r\n$9999999999\r\n",  // a length longer than the input
           "*33\r\n",                // more arguments than kScanMaxArgs
           "*2\r\n$3\r\nGET\r\n",    // incomplete
       }) {
    CAPTURE(bad);
    std::string input = get + bad + get;
    CHECK(ScanAll(input).size() == 1);
  }
}
