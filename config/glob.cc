// Redis stringmatchlen() semantics over string_views (patterns and keys may hold NUL bytes).
#include "config/glob.h"

#include <cctype>
#include <utility>

namespace tandem::config {
namespace {

int Lower(char c) { return std::tolower(static_cast<unsigned char>(c)); }

// Returns true on a match. *skip_longer is set when the rest of the pattern after a '*' cannot
// match anywhere in the remaining string, so that earlier '*' need not try longer prefixes
// (same result, bounded time).
bool Match(const char* pat, size_t plen, const char* str, size_t slen, bool nocase,
           bool* skip_longer, int nesting) {
  if (nesting > 1000) return false;
  while (plen > 0 && slen > 0) {
    switch (pat[0]) {
      case '*': {
        while (plen > 1 && pat[1] == '*') {
          ++pat;
          --plen;
        }
        if (plen == 1) return true;
        while (slen > 0) {
          if (Match(pat + 1, plen - 1, str, slen, nocase, skip_longer, nesting + 1)) return true;
          if (*skip_longer) return false;
          ++str;
          --slen;
        }
        *skip_longer = true;
        return false;
      }
      case '?':
        ++str;
        --slen;
        break;
      case '[': {
        ++pat;
        --plen;
        const bool negate = plen > 0 && pat[0] == '^';
        if (negate) {
          ++pat;
          --plen;
        }
        bool matched = false;
        while (true) {
          if (plen >= 2 && pat[0] == '\\') {
            ++pat;
            --plen;
            if (pat[0] == str[0]) matched = true;
          } else if (plen == 0) {
            // Unterminated set: step back so the shared advance below lands on the end.
            --pat;
            ++plen;
            break;
          } else if (pat[0] == ']') {
            break;
          } else if (plen >= 3 && pat[1] == '-') {
            int start = static_cast<unsigned char>(pat[0]);
            int end = static_cast<unsigned char>(pat[2]);
            int c = static_cast<unsigned char>(str[0]);
            if (start > end) std::swap(start, end);
            if (nocase) {
              start = std::tolower(start);
              end = std::tolower(end);
              c = std::tolower(c);
            }
            pat += 2;
            plen -= 2;
            if (c >= start && c <= end) matched = true;
          } else if (nocase ? Lower(pat[0]) == Lower(str[0]) : pat[0] == str[0]) {
            matched = true;
          }
          ++pat;
          --plen;
        }
        if (negate) matched = !matched;
        if (!matched) return false;
        ++str;
        --slen;
        break;
      }
      case '\\':
        if (plen >= 2) {
          ++pat;
          --plen;
        }
        [[fallthrough]];
      default:
        if (nocase ? Lower(pat[0]) != Lower(str[0]) : pat[0] != str[0]) return false;
        ++str;
        --slen;
        break;
    }
    ++pat;
    --plen;
    if (slen == 0) {
      while (plen > 0 && pat[0] == '*') {
        ++pat;
        --plen;
      }
      break;
    }
  }
  return plen == 0 && slen == 0;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view s, bool nocase) {
  bool skip_longer = false;
  return Match(pattern.data(), pattern.size(), s.data(), s.size(), nocase, &skip_longer, 0);
}

}  // namespace tandem::config
