// SplitArgs / ParseMemory / rendering helpers against Redis's sdssplitargs, memtoull and friends.
#include "config/args.h"

#include <doctest/doctest.h>

#include <climits>
#include <string>
#include <vector>

using tandem::config::FormatMemory;
using tandem::config::FormatTrimmedDouble;
using tandem::config::ParseLongLong;
using tandem::config::ParseMemory;
using tandem::config::Repr;
using tandem::config::RewriteWord;
using tandem::config::SplitArgs;
using tandem::config::SplitOnSpaces;
using V = std::vector<std::string>;

TEST_CASE("args: blanks separate words and an empty line has none") {
  CHECK(*SplitArgs("") == V{});
  CHECK(*SplitArgs("  \t ") == V{});
  CHECK(*SplitArgs("save 900 1") == V{"save", "900", "1"});
  CHECK(*SplitArgs("  a\t\tb  ") == V{"a", "b"});
}

TEST_CASE("args: double quotes understand C escapes and \\xHH") {
  CHECK(*SplitArgs(R"("a b" "c\"d")") == V{"a b", "c\"d"});
  CHECK(*SplitArgs(R"("\n\r\t\b\a\\")") == V{std::string("\n\r\t\b\a\\")});
  CHECK(*SplitArgs(R"("\x41\x7a\xzz")") == V{"Azxzz"});
  CHECK(*SplitArgs(R"("\x41\x7a")") == V{"Az"});
  CHECK(*SplitArgs(R"("\q")") == V{"q"});
  CHECK(*SplitArgs(R"("")") == V{""});
  CHECK(*SplitArgs(R"(save "")") == V{"save", ""});
}

TEST_CASE("args: single quotes only unescape \\'") {
  CHECK(*SplitArgs(R"('a\'b' 'c\nd')") == V{"a'b", "c\\nd"});
}

TEST_CASE("args: a quote may open in the middle of a word") {
  CHECK(*SplitArgs(R"(ab"c d")") == V{"abc d"});
}

TEST_CASE("args: unbalanced quotes are an error") {
  CHECK(SplitArgs(R"("abc)").error() == "unbalanced quotes");
  CHECK(SplitArgs(R"('abc)").error() == "unbalanced quotes");
  CHECK(!SplitArgs(R"("abc"x)").has_value());
  CHECK(!SplitArgs(R"('abc'x)").has_value());
  CHECK(SplitArgs(R"("abc" x)").has_value());
}

TEST_CASE("args: CONFIG SET multi-values split on every single space") {
  CHECK(SplitOnSpaces("") == V{});
  CHECK(SplitOnSpaces("a b") == V{"a", "b"});
  CHECK(SplitOnSpaces("a  b") == V{"a", "", "b"});
}

TEST_CASE("args: memory units are memtoull's") {
  CHECK(*ParseMemory("0") == 0);
  CHECK(*ParseMemory("100") == 100);
  CHECK(*ParseMemory("5b") == 5);
  CHECK(*ParseMemory("1k") == 1000);
  CHECK(*ParseMemory("1K") == 1000);
  CHECK(*ParseMemory("1kb") == 1024);
  CHECK(*ParseMemory("1KB") == 1024);
  CHECK(*ParseMemory("2m") == 2000000);
  CHECK(*ParseMemory("64mb") == 64LL * 1024 * 1024);
  CHECK(*ParseMemory("1g") == 1000000000LL);
  CHECK(*ParseMemory("1GB") == 1LL << 30);
  CHECK(*ParseMemory("") == 0);    // as Redis: no digits means 0
  CHECK(*ParseMemory("gb") == 0);  // idem
  CHECK(ParseMemory("-1").error() == "argument must be a memory value");
  CHECK(!ParseMemory("1.5gb"));
  CHECK(!ParseMemory(" 5"));
  CHECK(!ParseMemory("5x"));
  CHECK(!ParseMemory("1tb"));
  CHECK(!ParseMemory("99999999999gb"));
}

TEST_CASE("args: integers are string2ll-strict") {
  CHECK(*ParseLongLong("0") == 0);
  CHECK(*ParseLongLong("-2") == -2);
  CHECK(*ParseLongLong("9223372036854775807") == LLONG_MAX);
  CHECK(*ParseLongLong("-9223372036854775808") == LLONG_MIN);
  for (const char* bad : {"", "+1", "-0", "012", " 1", "1 ", "0x10", "1.0", "9223372036854775808",
                          "99999999999999999999", "-"}) {
    CAPTURE(bad);
    CHECK(ParseLongLong(bad).error() == "argument couldn't be parsed into an integer");
  }
}

TEST_CASE("args: rewrite prints memory in the largest exact unit") {
  CHECK(FormatMemory(0) == "0");
  CHECK(FormatMemory(1000) == "1000");
  CHECK(FormatMemory(1024) == "1kb");
  CHECK(FormatMemory(1025) == "1025");
  CHECK(FormatMemory(64LL << 20) == "64mb");
  CHECK(FormatMemory(2LL << 30) == "2gb");
  CHECK(FormatMemory(3LL << 29) == "1536mb");
}

TEST_CASE("args: repr quotes like sdscatrepr and SplitArgs reads it back") {
  CHECK(Repr("") == "\"\"");
  CHECK(Repr("dump.rdb") == "\"dump.rdb\"");
  CHECK(Repr("a b\"c\\") == R"("a b\"c\\")");
  CHECK(Repr(std::string("\n\x01\xff", 3)) == R"("\n\x01\xff")");
  const std::string nasty("x \"y\" \\ \t\r\n\a\b\x00\x7f\xfe", 15);
  CHECK(*SplitArgs(Repr(nasty)) == V{nasty});
}

TEST_CASE("args: rewrite words stay plain unless SplitArgs would read them back differently") {
  CHECK(RewriteWord("127.0.0.1") == "127.0.0.1");
  CHECK(RewriteWord("-::*") == "-::*");
  CHECK(RewriteWord("a\\b") == "a\\b");  // a backslash is literal outside quotes
  CHECK(RewriteWord("") == "\"\"");
  CHECK(RewriteWord("a b") == "\"a b\"");
  CHECK(RewriteWord("it's") == "\"it's\"");
  CHECK(RewriteWord(std::string("a\0b", 3)) == "\"a\\x00b\"");
  for (const std::string w : {"", "a b", "'q'", "\"", "x\ty", "\x7f", "\xc3\xa9", "#c"}) {
    CHECK(*SplitArgs("name " + RewriteWord(w)) == V{"name", w});
  }
}

TEST_CASE("args: percentiles print as %f without trailing zeros") {
  CHECK(FormatTrimmedDouble(50) == "50");
  CHECK(FormatTrimmedDouble(99.9) == "99.9");
  CHECK(FormatTrimmedDouble(0) == "0");
  CHECK(FormatTrimmedDouble(12.5) == "12.5");
}
