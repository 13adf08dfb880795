// GlobMatch must answer exactly like Redis's stringmatchlen().
#include "config/glob.h"

#include <doctest/doctest.h>

#include <string>

using tandem::config::GlobMatch;

TEST_CASE("glob: star and question mark") {
  // As in Redis, nothing matches the empty string but the empty pattern (KEYS special-cases "*").
  CHECK(!GlobMatch("*", "", false));
  CHECK(GlobMatch("*", "anything", false));
  CHECK(GlobMatch("h?llo", "hello", false));
  CHECK(!GlobMatch("h?llo", "hllo", false));
  CHECK(GlobMatch("h*llo", "hllo", false));
  CHECK(GlobMatch("h*llo", "heeeello", false));
  CHECK(GlobMatch("*max*", "maxmemory-policy", false));
  CHECK(!GlobMatch("max*", "hash-max-listpack-value", false));
  CHECK(GlobMatch("a**b", "axxb", false));
  CHECK(GlobMatch("a*", "a", false));
  CHECK(!GlobMatch("?", "", false));
  CHECK(!GlobMatch("", "a", false));
  CHECK(GlobMatch("", "", false));
}

TEST_CASE("glob: bracket sets, ranges and negation") {
  CHECK(GlobMatch("h[ae]llo", "hello", false));
  CHECK(GlobMatch("h[ae]llo", "hallo", false));
  CHECK(!GlobMatch("h[ae]llo", "hillo", false));
  CHECK(GlobMatch("h[^e]llo", "hallo", false));
  CHECK(!GlobMatch("h[^e]llo", "hello", false));
  CHECK(GlobMatch("h[a-b]llo", "hbllo", false));
  CHECK(!GlobMatch("h[a-b]llo", "hcllo", false));
  CHECK(GlobMatch("h[b-a]llo", "hallo", false));  // reversed range
  CHECK(GlobMatch("[a-z]*", "key", false));
  CHECK(!GlobMatch("[a-z]*", "Key", false));
  CHECK(GlobMatch("[a-z]*", "Key", true));
  CHECK(GlobMatch("[\\]]", "]", false));
  CHECK(GlobMatch("[\\-]", "-", false));
}

TEST_CASE("glob: an unterminated set uses the rest of the pattern") {
  CHECK(GlobMatch("[abc", "a", false));
  CHECK(GlobMatch("[abc", "c", false));
  CHECK(!GlobMatch("[abc", "d", false));
  CHECK(!GlobMatch("[abc", "ab", false));
  CHECK(GlobMatch("[", "[", false) == false);
}

TEST_CASE("glob: backslash escapes") {
  CHECK(GlobMatch("h\\*llo", "h*llo", false));
  CHECK(!GlobMatch("h\\*llo", "hello", false));
  CHECK(GlobMatch("a\\?", "a?", false));
  CHECK(GlobMatch("a\\", "a\\", false));  // trailing backslash is literal
}

TEST_CASE("glob: nocase folds ASCII letters") {
  CHECK(GlobMatch("SLAVE-*", "slave-read-only", true));
  CHECK(!GlobMatch("SLAVE-*", "slave-read-only", false));
  CHECK(GlobMatch("[A-C]x", "bX", true));
}

TEST_CASE("glob: binary-safe keys with NUL bytes") {
  const std::string key("a\0b", 3);
  CHECK(GlobMatch("a?b", key, false));
  CHECK(GlobMatch(std::string("a\0*", 3), key, false));
  CHECK(!GlobMatch("a", key, false));
}

TEST_CASE("glob: pathological star patterns stay fast") {
  const std::string s(64, 'a');
  CHECK(!GlobMatch("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", s, false));
  CHECK(GlobMatch("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a", s, false));
}
