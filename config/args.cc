// Redis-compatible argument splitting, number parsing and value rendering.
#include "config/args.h"

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>

#include "resp/request_parser.h"

namespace tandem::config {

std::expected<std::vector<std::string>, std::string> SplitArgs(std::string_view line) {
  // One implementation of sdssplitargs serves inline commands and config files alike.
  std::vector<std::string> out;
  if (!resp::SplitArgs(line, out)) return std::unexpected("unbalanced quotes");
  return out;
}

std::vector<std::string> SplitOnSpaces(std::string_view value) {
  std::vector<std::string> out;
  if (value.empty()) return out;
  size_t start = 0;
  while (true) {
    size_t sp = value.find(' ', start);
    if (sp == std::string_view::npos) {
      out.emplace_back(value.substr(start));
      return out;
    }
    out.emplace_back(value.substr(start, sp - start));
    start = sp + 1;
  }
}

std::expected<long long, std::string> ParseMemory(std::string_view s) {
  const std::string kErr = "argument must be a memory value";
  if (!s.empty() && s[0] == '-') return std::unexpected(kErr);
  size_t digits = 0;
  while (digits < s.size() && std::isdigit(static_cast<unsigned char>(s[digits]))) ++digits;
  const std::string_view unit = s.substr(digits);
  unsigned long long mul;
  if (unit.empty() || EqualsNoCase(unit, "b")) {
    mul = 1;
  } else if (EqualsNoCase(unit, "k")) {
    mul = 1000;
  } else if (EqualsNoCase(unit, "kb")) {
    mul = 1024;
  } else if (EqualsNoCase(unit, "m")) {
    mul = 1000ULL * 1000;
  } else if (EqualsNoCase(unit, "mb")) {
    mul = 1024ULL * 1024;
  } else if (EqualsNoCase(unit, "g")) {
    mul = 1000ULL * 1000 * 1000;
  } else if (EqualsNoCase(unit, "gb")) {
    mul = 1024ULL * 1024 * 1024;
  } else {
    return std::unexpected(kErr);
  }
  if (digits >= 128) return std::unexpected(kErr);
  std::string buf(s.substr(0, digits));
  errno = 0;
  char* end = nullptr;
  unsigned long long val = std::strtoull(buf.c_str(), &end, 10);
  if (errno == ERANGE || *end != '\0') return std::unexpected(kErr);
  if (val > ULLONG_MAX / mul) return std::unexpected(kErr);
  val *= mul;
  if (val > static_cast<unsigned long long>(LLONG_MAX)) return std::unexpected(kErr);
  return static_cast<long long>(val);
}

std::expected<long long, std::string> ParseLongLong(std::string_view s) {
  const std::string kErr = "argument couldn't be parsed into an integer";
  if (s.empty() || s.size() > 20) return std::unexpected(kErr);
  if (s == "0") return 0;
  size_t i = 0;
  bool negative = false;
  if (s[0] == '-') {
    negative = true;
    i = 1;
    if (s.size() == 1) return std::unexpected(kErr);
  }
  if (s[i] < '1' || s[i] > '9') return std::unexpected(kErr);
  unsigned long long v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return std::unexpected(kErr);
    const unsigned d = static_cast<unsigned>(s[i] - '0');
    if (v > (ULLONG_MAX - d) / 10) return std::unexpected(kErr);
    v = v * 10 + d;
  }
  if (negative) {
    if (v > static_cast<unsigned long long>(LLONG_MAX) + 1) return std::unexpected(kErr);
    return static_cast<long long>(0ULL - v);
  }
  if (v > static_cast<unsigned long long>(LLONG_MAX)) return std::unexpected(kErr);
  return static_cast<long long>(v);
}

std::string FormatMemory(long long bytes) {
  constexpr long long kGb = 1024LL * 1024 * 1024;
  constexpr long long kMb = 1024LL * 1024;
  constexpr long long kKb = 1024LL;
  if (bytes != 0 && bytes % kGb == 0) return std::to_string(bytes / kGb) + "gb";
  if (bytes != 0 && bytes % kMb == 0) return std::to_string(bytes / kMb) + "mb";
  if (bytes != 0 && bytes % kKb == 0) return std::to_string(bytes / kKb) + "kb";
  return std::to_string(bytes);
}

std::string Repr(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      default:
        if (std::isprint(static_cast<unsigned char>(c))) {
          out.push_back(c);
        } else {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned char>(c));
          out += buf;
        }
    }
  }
  out.push_back('"');
  return out;
}

std::string RewriteWord(std::string_view s) {
  bool plain = !s.empty();
  for (unsigned char c : s) plain = plain && std::isgraph(c) && c != '"' && c != '\'';
  return plain ? std::string(s) : Repr(s);
}

std::string FormatTrimmedDouble(double value) {
  char buf[128];
  int len = std::snprintf(buf, sizeof(buf), "%f", value);
  std::string out(buf, static_cast<size_t>(len));
  if (out.find('.') != std::string::npos) {
    while (!out.empty() && out.back() == '0') out.pop_back();
    if (!out.empty() && out.back() == '.') out.pop_back();
  }
  return out;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace tandem::config
