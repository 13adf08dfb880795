// A cursor over a command's arguments that latches the first error, so option parsing reads as a
// straight line and ends with a strict Finish() (after mini-redis's Parse and dragonfly's
// CmdArgParser).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "server/errors.h"

namespace tandem::server {

bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// ASCII lower case (Redis compares command names and options in the C locale); inline, where
// std::tolower is a libc call per byte.
inline char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c; }
// Redis's string2ll over an argument (strict: no spaces, no '+', fits int64).
bool ParseInt64(std::string_view s, int64_t& out);
// Redis's string2ld / strtold checks for INCRBYFLOAT-style long doubles.
bool ParseLongDouble(std::string_view s, long double& out);
// Redis's getDoubleFromObject checks (strtod, no spaces, not nan).
bool ParseDouble(std::string_view s, double& out);

// parseScanCursorOrReply: strtoul(..., 10) semantics: an optional sign ("-1" wraps to
// ULONG_MAX), no leading space, nothing after the digits ("" is cursor 0), no overflow.
bool ParseScanCursor(std::string_view s, uint64_t& out);
// ld2string(..., LD_STR_HUMAN): "%.17Lf" with trailing zeros (and a trailing '.') removed, as
// INCRBYFLOAT and HINCRBYFLOAT print their results.
std::string FormatLongDoubleHuman(long double v);

class ArgCursor {
 public:
  explicit ArgCursor(std::span<const std::string_view> args, size_t start = 0)
      : args_(args), pos_(start) {}

  bool HasNext() const { return error_.empty() && pos_ < args_.size(); }
  size_t remaining() const { return pos_ < args_.size() ? args_.size() - pos_ : 0; }
  size_t position() const { return pos_; }

  std::string_view Next() {
    if (pos_ >= args_.size()) {
      Fail(err::kSyntax);
      return {};
    }
    return args_[pos_++];
  }
  // Consumes the next argument if it equals `word` (case-insensitive).
  bool Check(std::string_view word) {
    if (!error_.empty() || pos_ >= args_.size()) return false;
    if (!EqualsIgnoreCase(args_[pos_], word)) return false;
    ++pos_;
    return true;
  }
  int64_t NextInt(std::string_view error = err::kNotInteger) {
    std::string_view s = Next();
    int64_t v = 0;
    if (error_.empty() && !ParseInt64(s, v)) Fail(error);
    return v;
  }

  void Fail(std::string_view message) {
    if (error_.empty()) error_ = message;
  }
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  // True when every argument was consumed and no error latched; a leftover argument is a
  // syntax error.
  bool Finish() {
    if (error_.empty() && pos_ < args_.size()) Fail(err::kSyntax);
    return error_.empty();
  }

 private:
  std::span<const std::string_view> args_;
  size_t pos_;
  std::string error_;
};

}  // namespace tandem::server
