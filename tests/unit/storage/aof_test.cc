#include "storage/aof.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace tandem::storage::aof {
namespace {

struct Scanned {
  std::vector<std::string> commands;  // first argument of each
  std::vector<std::string> annotations;
  ScanResult result;
};

Scanned Run(std::string_view data) {
  Scanned s;
  s.result = Scan(
      data, [&](std::span<const std::string_view> args) { s.commands.emplace_back(args[0]); },
      [&](std::string_view text) { s.annotations.emplace_back(text); });
  return s;
}

constexpr std::string_view kSet = "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n";

TEST_CASE("aof scan: '#' lines between commands are annotations, as Redis 7.0 skips them") {
  const std::string data = std::string(kSet) + "#TS:1700000000\r\n" + std::string(kSet) +
                           "#tandem-repl " + std::string(40, 'a') + " 123\r\n";
  Scanned s = Run(data);
  CHECK(s.commands == std::vector<std::string>{"SET", "SET"});
  CHECK(s.annotations ==
        std::vector<std::string>{"TS:1700000000", "tandem-repl " + std::string(40, 'a') + " 123"});
  CHECK(!s.result.truncated);
  CHECK(!s.result.corrupt);
  CHECK(s.result.valid_bytes == data.size());
}

TEST_CASE("aof scan: an annotation cut off by a crash is a truncated tail") {
  const std::string data = std::string(kSet) + "#tandem-repl abc";
  Scanned s = Run(data);
  CHECK(s.result.truncated);
  CHECK(s.result.valid_bytes == kSet.size());
  CHECK(s.commands.size() == 1);
}

TEST_CASE("aof scan: an annotation inside MULTI does not end the transaction early") {
  const std::string data = "*1\r\n$5\r\nMULTI\r\n" + std::string(kSet) + "#TS:1\n";
  Scanned s = Run(data);
  CHECK(s.result.truncated);  // no EXEC: the half-written transaction is not applied
  CHECK(s.result.valid_bytes == 0);
  CHECK(s.commands.empty());
}

}  // namespace
}  // namespace tandem::storage::aof
