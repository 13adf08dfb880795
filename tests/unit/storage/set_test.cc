#include "storage/set.h"

#include <doctest/doctest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "storage/digest.h"

namespace tandem::storage {
namespace {

std::vector<std::string> Members(const SetObject& s) {
  std::vector<std::string> out;
  s.ForEach([&](std::string_view m) { out.emplace_back(m); });
  return out;
}

TEST_CASE("set: intset keeps members sorted ascending") {
  SetObject s;
  CHECK(s.Add("10", 512));
  CHECK(s.Add("-5", 512));
  CHECK(s.Add("3", 512));
  CHECK_FALSE(s.Add("3", 512));
  CHECK(s.encoding() == Encoding::kIntset);
  CHECK(Members(s) == std::vector<std::string>{"-5", "3", "10"});
  CHECK(s.Contains("10"));
  CHECK_FALSE(s.Contains("010"));
  CHECK_FALSE(s.Contains("abc"));
  CHECK(s.Remove("-5"));
  CHECK_FALSE(s.Remove("-5"));
  CHECK_FALSE(s.Remove("x"));
  CHECK(s.size() == 2);
}

TEST_CASE("set: a non-canonical integer converts to hashtable") {
  for (const char* m : {"abc", "010", "+1", " 1", "1.0", "9223372036854775808", ""}) {
    SetObject s;
    s.Add("1", 512);
    CHECK(s.encoding() == Encoding::kIntset);
    CHECK(s.Add(m, 512));
    CHECK(s.encoding() == Encoding::kHashtable);
    CHECK(s.Contains("1"));
    CHECK(s.Contains(m));
    CHECK(s.size() == 2);
  }
  SetObject edge;
  edge.Add("-9223372036854775808", 512);
  edge.Add("9223372036854775807", 512);
  CHECK(edge.encoding() == Encoding::kIntset);
}

TEST_CASE("set: converts past set-max-intset-entries, exactly at the limit, never back") {
  SetObject s;
  for (int i = 0; i < 4; ++i) s.Add(std::to_string(i), 4);
  CHECK(s.encoding() == Encoding::kIntset);  // 4 == limit
  s.Add("4", 4);
  CHECK(s.encoding() == Encoding::kHashtable);
  CHECK(s.size() == 5);
  for (int i = 0; i < 5; ++i) CHECK(s.Remove(std::to_string(i)));
  s.Add("1", 4);
  CHECK(s.encoding() == Encoding::kHashtable);
}

TEST_CASE("set: CreateFor picks the encoding from the first member") {
  CHECK(SetObject::CreateFor("12")->encoding() == Encoding::kIntset);
  CHECK(SetObject::CreateFor("x")->encoding() == Encoding::kHashtable);
}

TEST_CASE("set: digest is order- and encoding-independent; clone is deep") {
  SetObject a;
  SetObject b;
  for (const char* m : {"1", "2", "3"}) a.Add(m, 512);
  b.ConvertToHashtable();
  for (const char* m : {"3", "1", "2"}) b.Add(m, 512);
  CHECK(a.encoding() == Encoding::kIntset);
  CHECK(b.encoding() == Encoding::kHashtable);
  DigestBytes da{};
  DigestBytes db{};
  a.Digest(da);
  b.Digest(db);
  CHECK(da == db);
  // Exactly XOR of SHA1(member) over members.
  DigestBytes expect{};
  for (const char* m : {"1", "2", "3"}) XorDigest(expect, m, 1);
  CHECK(da == expect);

  auto c = b.Clone();
  auto& sc = static_cast<SetObject&>(*c);
  sc.Add("zz", 512);
  CHECK_FALSE(b.Contains("zz"));
  CHECK(sc.size() == 4);
  CHECK(b.MemoryUsage() > 0);
}

TEST_CASE("set: random and scan see every member") {
  std::mt19937_64 rng(7);
  SetObject s;
  for (int i = 0; i < 50; ++i) s.Add("m" + std::to_string(i), 512);
  for (int i = 0; i < 50; ++i) CHECK(s.Contains(s.Random(rng)));
  size_t seen = 0;
  uint64_t cursor = 0;
  do {
    cursor = s.ScanStep(cursor, [&](std::string_view) { ++seen; });
  } while (cursor != 0);
  CHECK(seen == 50);
}

TEST_CASE("set: intset randomized against a model stays sorted, then converts on a non-integer") {
  std::mt19937_64 rng(7);
  SetObject s;
  std::set<int64_t> model;
  for (int step = 0; step < 5000; ++step) {
    const int64_t v = static_cast<int64_t>(rng() % 400) - 200;
    const std::string m = std::to_string(v);
    switch (rng() % 3) {
      case 0:
      case 1:
        CHECK(s.Add(m, 100000) == model.insert(v).second);
        break;
      default:
        CHECK(s.Remove(m) == (model.erase(v) == 1));
        break;
    }
    REQUIRE(s.size() == model.size());
  }
  CHECK(s.encoding() == Encoding::kIntset);
  std::vector<std::string> expect;
  for (int64_t v : model) expect.push_back(std::to_string(v));
  CHECK(Members(s) == expect);  // ascending, as an intset is
  for (int64_t v = -201; v <= 201; ++v) CHECK(s.Contains(std::to_string(v)) == model.count(v));
  CHECK(s.Add("not-an-integer", 100000));
  CHECK(s.encoding() == Encoding::kHashtable);
  CHECK(s.size() == model.size() + 1);
}

}  // namespace
}  // namespace tandem::storage
