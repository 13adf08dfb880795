#include "resp/request_parser.h"

#include <charconv>
#include <climits>
#include <cstring>

namespace tandem::resp {

namespace {

// Strict decimal parse of a header number as Redis's string2ll: optional '-', no spaces, no '+',
// no leading zeros except "0" itself.
bool ParseHeaderNumber(std::string_view s, int64_t& out) {
  if (s.empty() || s.size() > 20) return false;
  if (s.size() > 1 && s[0] == '0') return false;
  if (s.size() > 1 && s[0] == '-' && s[1] == '0') return false;
  const char* b = s.data();
  const char* e = b + s.size();
  auto [ptr, ec] = std::from_chars(b, e, out);
  return ec == std::errc() && ptr == e;
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f';
}

}  // namespace

bool SplitArgs(std::string_view line, std::vector<std::string>& out) {
  out.clear();
  // sdssplitargs works on a C string: the line ends at the first NUL byte (inside quotes that
  // leaves them unbalanced, exactly as in Redis).
  line = line.substr(0, line.find('\0'));
  size_t i = 0;
  const size_t n = line.size();
  while (true) {
    while (i < n && IsSpace(line[i])) ++i;
    if (i >= n) return true;
    std::string current;
    bool in_dq = false;
    bool in_sq = false;
    bool done = false;
    while (!done) {
      if (in_dq) {
        if (i >= n) return false;  // unterminated quotes
        char c = line[i];
        if (c == '\\' && i + 3 < n && line[i + 1] == 'x' && IsHexDigit(line[i + 2]) &&
            IsHexDigit(line[i + 3])) {
          current.push_back(static_cast<char>(HexValue(line[i + 2]) * 16 + HexValue(line[i + 3])));
          i += 3;
        } else if (c == '\\' && i + 1 < n) {
          ++i;
          switch (line[i]) {
            case 'n':
              current.push_back('\n');
              break;
            case 'r':
              current.push_back('\r');
              break;
            case 't':
              current.push_back('\t');
              break;
            case 'b':
              current.push_back('\b');
              break;
            case 'a':
              current.push_back('\a');
              break;
            default:
              current.push_back(line[i]);
              break;
          }
        } else if (c == '"') {
          // The closing quote must be followed by a space or nothing at all.
          if (i + 1 < n && !IsSpace(line[i + 1])) return false;
          done = true;
        } else {
          current.push_back(c);
        }
      } else if (in_sq) {
        if (i >= n) return false;
        char c = line[i];
        if (c == '\\' && i + 1 < n && line[i + 1] == '\'') {
          ++i;
          current.push_back('\'');
        } else if (c == '\'') {
          if (i + 1 < n && !IsSpace(line[i + 1])) return false;
          done = true;
        } else {
          current.push_back(c);
        }
      } else {
        if (i >= n) {
          done = true;
          break;
        }
        char c = line[i];
        switch (c) {
          case ' ':
          case '\n':
          case '\r':
          case '\t':
          case '\0':
            done = true;
            break;
          case '"':
            in_dq = true;
            break;
          case '\'':
            in_sq = true;
            break;
          default:
            current.push_back(c);
            break;
        }
      }
      if (i < n) ++i;
    }
    out.push_back(std::move(current));
  }
}

void RequestParser::Reset() {
  multibulk_len_ = 0;
  bulk_len_ = -1;
  pos_ = 0;
  need_ = 0;
  offsets_.clear();
}

ParseResult RequestParser::Fail(const char* message) {
  error_ = message;
  Reset();
  return ParseResult::kError;
}

ParseResult RequestParser::Parse(std::string_view input, const ParserLimits& limits) {
  args_.clear();
  consumed_ = 0;
  while (true) {
    std::string_view rest = input.substr(consumed_);
    if (rest.empty()) return consumed_ > 0 ? ParseResult::kCommand : ParseResult::kNeedMore;
    ParseResult r;
    size_t before = consumed_;
    if (multibulk_len_ > 0 || rest[0] == '*') {
      r = ParseMultibulk(rest, limits);
    } else {
      r = ParseInline(rest);
    }
    if (r == ParseResult::kCommand) {
      // ParseX set consumed_ relative to `rest`.
      consumed_ += before;
      if (args_.empty()) continue;  // empty request: skip it, as Redis does
      return r;
    }
    if (r == ParseResult::kNeedMore && consumed_ > 0) {
      // Only empty requests were consumed: report them as an empty command so the caller drops
      // them; the frame in progress (if any) restarts at offset 0 of the trimmed buffer.
      Reset();
      return ParseResult::kCommand;
    }
    return r;
  }
}

ParseResult RequestParser::ParseInline(std::string_view input) {
  size_t nl = input.find('\n');
  if (nl == std::string_view::npos) {
    if (input.size() > kInlineMaxSize) return Fail("Protocol error: too big inline request");
    need_ = 0;
    return ParseResult::kNeedMore;
  }
  std::string_view line = input.substr(0, nl);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (!SplitArgs(line, inline_args_)) return Fail("Protocol error: unbalanced quotes in request");
  args_.assign(inline_args_.begin(), inline_args_.end());
  consumed_ = nl + 1;
  return ParseResult::kCommand;
}

ParseResult RequestParser::ParseMultibulk(std::string_view input, const ParserLimits& limits) {
  if (need_ > input.size()) return ParseResult::kNeedMore;
  if (multibulk_len_ == 0) {
    size_t cr = input.find('\r');
    if (cr == std::string_view::npos || cr + 1 >= input.size()) {
      if (input.size() > kInlineMaxSize) return Fail("Protocol error: too big mbulk count string");
      return ParseResult::kNeedMore;
    }
    int64_t ll = 0;
    if (!ParseHeaderNumber(input.substr(1, cr - 1), ll) || ll > INT_MAX) {
      return Fail("Protocol error: invalid multibulk length");
    }
    if (ll > kUnauthMaxArgs && limits.unauthenticated) {
      return Fail("Protocol error: unauthenticated multibulk length");
    }
    pos_ = cr + 2;
    if (ll <= 0) {
      consumed_ = pos_;
      Reset();
      return ParseResult::kCommand;  // empty request
    }
    multibulk_len_ = ll;
    offsets_.clear();
    offsets_.reserve(static_cast<size_t>(std::min<int64_t>(ll, 1024)));
  }
  while (multibulk_len_ > 0) {
    if (bulk_len_ < 0) {
      std::string_view rest = input.substr(pos_);
      size_t cr = rest.find('\r');
      if (cr == std::string_view::npos || cr + 1 >= rest.size()) {
        if (rest.size() > kInlineMaxSize) return Fail("Protocol error: too big bulk count string");
        need_ = 0;
        return ParseResult::kNeedMore;
      }
      if (rest[0] != '$') {
        error_ = "Protocol error: expected '$', got '";
        error_.push_back(rest[0]);
        error_.push_back('\'');
        Reset();
        return ParseResult::kError;
      }
      int64_t ll = 0;
      if (!ParseHeaderNumber(rest.substr(1, cr - 1), ll) || ll < 0 ||
          (!limits.from_master && ll > limits.max_bulk_len)) {
        return Fail("Protocol error: invalid bulk length");
      }
      if (ll > kUnauthMaxBulk && limits.unauthenticated) {
        return Fail("Protocol error: unauthenticated bulk length");
      }
      pos_ += cr + 2;
      bulk_len_ = ll;
    }
    // Redis does not check the CRLF that ends a bulk; neither do we (same bytes, same result).
    size_t end = pos_ + static_cast<size_t>(bulk_len_) + 2;
    if (input.size() < end) {
      need_ = end;
      return ParseResult::kNeedMore;
    }
    offsets_.emplace_back(pos_, static_cast<size_t>(bulk_len_));
    pos_ = end;
    bulk_len_ = -1;
    --multibulk_len_;
  }
  args_.clear();
  args_.reserve(offsets_.size());
  for (auto [off, len] : offsets_) args_.push_back(input.substr(off, len));
  consumed_ = pos_;
  pos_ = 0;
  need_ = 0;
  offsets_.clear();
  return ParseResult::kCommand;
}

namespace {

// Reads "<number>\r\n" at `pos` (pos <= in.size()), a count or length the parser would accept
// (ParseHeaderNumber) and not negative, advancing past it.
bool ScanNumber(std::string_view in, size_t& pos, size_t& value) {
  std::string_view rest = in.substr(pos, 22);  // ParseHeaderNumber takes at most 20 characters
  size_t cr = rest.find('\r');
  if (cr == std::string_view::npos || cr + 1 >= rest.size() || rest[cr + 1] != '\n') return false;
  int64_t v = 0;
  if (!ParseHeaderNumber(rest.substr(0, cr), v) || v < 0) return false;
  pos += cr + 2;
  value = static_cast<size_t>(v);
  return true;
}

}  // namespace

size_t ScanCommands(std::string_view input, size_t max_commands,
                    bool (*fn)(void* ctx, std::span<const std::string_view> args), void* ctx) {
  std::string_view args[kScanMaxArgs];
  size_t pos = 0;
  size_t visited = 0;
  while (visited < max_commands && pos < input.size() && input[pos] == '*') {
    size_t p = pos + 1;
    size_t argc = 0;
    if (!ScanNumber(input, p, argc) || argc == 0 || argc > kScanMaxArgs) break;
    size_t i = 0;
    for (; i < argc; ++i) {
      size_t len = 0;
      if (p >= input.size() || input[p] != '$') break;
      ++p;
      if (!ScanNumber(input, p, len) || len + 2 > input.size() - p) break;
      if (input[p + len] != '\r' || input[p + len + 1] != '\n') break;
      args[i] = input.substr(p, len);
      p += len + 2;
    }
    if (i != argc) break;
    ++visited;
    pos = p;
    if (!fn(ctx, std::span<const std::string_view>(args, argc))) break;
  }
  return visited;
}

}  // namespace tandem::resp
