#include "resp/reply_builder.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "resp/value.h"

using tandem::resp::ReplyBuilder;

TEST_CASE("reply: RESP2 and RESP3 nulls, maps, sets, doubles, booleans") {
  std::string out2;
  std::string out3;
  ReplyBuilder r2(&out2, 2);
  ReplyBuilder r3(&out3, 3);
  for (ReplyBuilder* r : {&r2, &r3}) {
    r->Null();
    r->NullArray();
    r->MapHeader(1);
    r->Bulk("k");
    r->Integer(-5);
    r->SetHeader(0);
    r->Double(1.5);
    r->Bool(true);
    r->PushHeader(1);
    r->Verbatim("hi");
  }
  CHECK(out2 ==
        "$-1\r\n*-1\r\n*2\r\n$1\r\nk\r\n:-5\r\n*0\r\n$3\r\n1.5\r\n:1\r\n*1\r\n$2\r\nhi\r\n");
  CHECK(out3 == "_\r\n_\r\n%1\r\n$1\r\nk\r\n:-5\r\n~0\r\n,1.5\r\n#t\r\n>1\r\n=6\r\ntxt:hi\r\n");
}

TEST_CASE("reply: doubles print like Redis's %.17g, inf and -inf") {
  CHECK(tandem::resp::FormatDouble(0.1) == "0.10000000000000001");
  CHECK(tandem::resp::FormatDouble(3.0) == "3");
  CHECK(tandem::resp::FormatDouble(std::numeric_limits<double>::infinity()) == "inf");
  CHECK(tandem::resp::FormatDouble(-std::numeric_limits<double>::infinity()) == "-inf");
}

TEST_CASE("reply: errors keep one line") {
  std::string out;
  ReplyBuilder r(&out);
  r.Error("ERR bad\r\nthing");
  CHECK(out == "-ERR bad  thing\r\n");
}

TEST_CASE("value: decoder round-trips every RESP3 type") {
  std::string in =
      "*7\r\n+OK\r\n-ERR x\r\n:42\r\n$3\r\nabc\r\n_\r\n%1\r\n+a\r\n#t\r\n~1\r\n,1.5\r\n";
  tandem::resp::Value v;
  size_t consumed = 0;
  std::string error;
  REQUIRE(tandem::resp::Decode(in, v, consumed, error) == tandem::resp::DecodeResult::kValue);
  CHECK(consumed == in.size());
  REQUIRE(v.elements.size() == 7);
  CHECK(v.elements[2].integer == 42);
  CHECK(v.elements[3].str == "abc");
  CHECK(v.elements[4].is_null());
  CHECK(v.elements[5].elements.size() == 2);
  CHECK(v.elements[6].elements[0].str == "1.5");
}

TEST_CASE("value: decoder waits for incomplete frames and rejects garbage") {
  tandem::resp::Value v;
  size_t consumed = 0;
  std::string error;
  CHECK(tandem::resp::Decode("*2\r\n:1\r\n", v, consumed, error) ==
        tandem::resp::DecodeResult::kNeedMore);
  CHECK(tandem::resp::Decode("$5\r\nab", v, consumed, error) ==
        tandem::resp::DecodeResult::kNeedMore);
  CHECK(tandem::resp::Decode("?x\r\n", v, consumed, error) == tandem::resp::DecodeResult::kError);
  CHECK(tandem::resp::Decode("$-5\r\n", v, consumed, error) == tandem::resp::DecodeResult::kError);
  CHECK(tandem::resp::Decode("$3\r\nabcd\r\n", v, consumed, error) ==
        tandem::resp::DecodeResult::kError);
}
