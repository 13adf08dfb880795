// libFuzzer target: the request parser and the reply decoder must never crash, hang or read out
// of bounds on any input, and the parser must make progress or stop on every call. The
// look-ahead scan (ScanCommands) must visit only commands the parser then hands out, in order
// and with the same arguments.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "resp/request_parser.h"
#include "resp/value.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  tandem::resp::ParserLimits limits;
  limits.max_bulk_len = 1 << 20;
  limits.unauthenticated = size > 0 && (data[0] & 1);
  tandem::resp::RequestParser parser;
  size_t offset = 0;
  // Bounded: every kCommand consumes at least one byte.
  for (size_t guard = 0; guard <= size + 1; ++guard) {
    auto r = parser.Parse(input.substr(offset), limits);
    if (r != tandem::resp::ParseResult::kCommand) break;
    if (parser.consumed() == 0) __builtin_trap();
    for (std::string_view a : parser.args()) {
      if (a.size() > size) __builtin_trap();
    }
    offset += parser.consumed();
  }
  std::vector<std::vector<std::string_view>> scanned;
  tandem::resp::ScanCommands(input, 64, [&](std::span<const std::string_view> args) {
    scanned.emplace_back(args.begin(), args.end());
    return true;
  });
  tandem::resp::RequestParser strict;  // default limits: what an authenticated client gets
  offset = 0;
  for (const auto& cmd : scanned) {
    if (strict.Parse(input.substr(offset), {}) != tandem::resp::ParseResult::kCommand) {
      __builtin_trap();
    }
    if (strict.args().size() != cmd.size()) __builtin_trap();
    for (size_t i = 0; i < cmd.size(); ++i) {
      // The same bytes, not just equal ones: both are views into `input`.
      if (strict.args()[i].data() != cmd[i].data() || strict.args()[i] != cmd[i]) {
        __builtin_trap();
      }
    }
    offset += strict.consumed();
  }
  tandem::resp::Value v;
  size_t consumed = 0;
  std::string error;
  tandem::resp::DecoderLimits dl;
  dl.max_bulk_len = 1 << 20;
  dl.max_elements = 1 << 16;
  tandem::resp::Decode(input, v, consumed, error, dl);
  return 0;
}
