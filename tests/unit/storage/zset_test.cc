#include "storage/zset.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "storage/digest.h"
#include "tests/unit/storage/standalone.h"

using tandem::storage::DigestBytes;
using tandem::storage::Encoding;
using tandem::storage::HexDigest;
using tandem::storage::LexBound;
using tandem::storage::LexRange;
using tandem::storage::MixDigest;
using tandem::storage::ObjType;
using tandem::storage::ScoreRange;
using tandem::storage::Value;
using tandem::storage::ZSet;
using tandem::storage::ZSetLimits;
using TestZSet = tandem::storage::testing::Standalone<ZSet>;
using tandem::storage::ZSkipList;

namespace {

using Model = std::vector<std::pair<double, std::string>>;  // sorted (score, member)

std::vector<std::pair<std::string, double>> Elements(const ZSet& z) {
  std::vector<std::pair<std::string, double>> out;
  z.ForEach([&](std::string_view m, double s) { out.emplace_back(std::string(m), s); });
  return out;
}

std::vector<std::pair<std::string, double>> FromModel(const Model& m) {
  std::vector<std::pair<std::string, double>> out;
  for (const auto& [s, mem] : m) out.emplace_back(mem, s);
  return out;
}

// DEBUG DIGEST-VALUE of a zset key without TTL: type code 3 (big endian), then the content.
std::string DigestValue(const ZSet& z) {
  DigestBytes d{};
  const uint8_t type[4] = {0, 0, 0, 3};
  MixDigest(d, type, sizeof(type));
  z.Digest(d);
  return HexDigest(d);
}

LexBound Lex(std::string_view s) {
  LexBound b;
  if (s == "-") {
    b.kind = LexBound::Kind::kMinusInf;
    b.ex = true;
  } else if (s == "+") {
    b.kind = LexBound::Kind::kPlusInf;
    b.ex = true;
  } else {
    b.ex = s[0] == '(';
    b.value = std::string(s.substr(1));
  }
  return b;
}

}  // namespace

TEST_CASE("zset: a new zset value carries its encoding") {
  Value v = ZSet::NewValue(Encoding::kListpack);
  CHECK(v.type == ObjType::kZSet);
  CHECK(v.encoding == Encoding::kListpack);
  CHECK(ZSet(v).empty());
  Value s = ZSet::NewValue(Encoding::kSkiplist);
  CHECK(s.encoding == Encoding::kSkiplist);
  CHECK(ZSet(s).encoding() == Encoding::kSkiplist);
}

TEST_CASE("zset: new keys pick the encoding from the first member as ZADD does") {
  ZSetLimits lim{128, 64};
  CHECK(ZSet::EncodingForNew(lim, 64) == Encoding::kListpack);
  CHECK(ZSet::EncodingForNew(lim, 65) == Encoding::kSkiplist);
  CHECK(ZSet::EncodingForNew({0, 64}, 1) == Encoding::kSkiplist);
}

TEST_CASE("zset: elements are ordered by score, then member bytes") {
  for (Encoding enc : {Encoding::kListpack, Encoding::kSkiplist}) {
    TestZSet z(enc);
    ZSetLimits lim;
    z.Insert("b", 1, lim);
    z.Insert("a", 1, lim);
    z.Insert("ab", 1, lim);
    z.Insert("z", -std::numeric_limits<double>::infinity(), lim);
    z.Insert("c", 0.5, lim);
    std::vector<std::pair<std::string, double>> want = {
        {"z", -std::numeric_limits<double>::infinity()}, {"c", 0.5}, {"a", 1}, {"ab", 1}, {"b", 1}};
    CHECK(Elements(z) == want);
    CHECK(z.Rank("ab") == 3u);
    CHECK(!z.Rank("nope"));
    CHECK(z.At(1).member == "c");
    z.UpdateScore("z", 2);
    CHECK(z.At(4).member == "z");
    CHECK(z.Score("z") == 2.0);
    CHECK(z.Erase("a"));
    CHECK(!z.Erase("a"));
    CHECK(z.size() == 4);
  }
}

TEST_CASE("zset: a listpack becomes a skiplist past either limit, never back on its own") {
  ZSetLimits lim{3, 4};
  TestZSet z(Encoding::kListpack);
  z.Insert("a", 1, lim);
  z.Insert("b", 2, lim);
  z.Insert("c", 3, lim);
  CHECK(z.encoding() == Encoding::kListpack);
  z.Insert("d", 4, lim);
  CHECK(z.encoding() == Encoding::kSkiplist);
  CHECK(z.Erase("d"));
  CHECK(z.encoding() == Encoding::kSkiplist);
  z.ConvertToListpackIfFits(lim);
  CHECK(z.encoding() == Encoding::kListpack);
  z.Insert("long-member", 0, lim);
  CHECK(z.encoding() == Encoding::kSkiplist);
  CHECK(Elements(z).front().first == "long-member");
}

TEST_CASE("zset: score and lex ranges map to rank intervals") {
  for (Encoding enc : {Encoding::kListpack, Encoding::kSkiplist}) {
    TestZSet z(enc);
    ZSetLimits lim;
    for (int i = 0; i < 10; ++i) z.Insert(std::string(1, static_cast<char>('a' + i)), i, lim);
    CHECK(z.RanksOf(ScoreRange{2, 5, false, false}) == std::pair<size_t, size_t>{2, 6});
    CHECK(z.RanksOf(ScoreRange{2, 5, true, true}) == std::pair<size_t, size_t>{3, 5});
    auto empty = z.RanksOf(ScoreRange{5, 5, true, false});
    CHECK(empty.first >= empty.second);
    CHECK(z.CountScoreBelow(std::numeric_limits<double>::infinity(), true) == 10);

    TestZSet same(enc);
    for (const char* m : {"a", "b", "c", "d", "e"}) same.Insert(m, 0, lim);
    CHECK(same.RanksOf(LexRange{Lex("-"), Lex("+")}) == std::pair<size_t, size_t>{0, 5});
    CHECK(same.RanksOf(LexRange{Lex("[b"), Lex("(d")}) == std::pair<size_t, size_t>{1, 3});
    CHECK(same.RanksOf(LexRange{Lex("(b"), Lex("[d")}) == std::pair<size_t, size_t>{2, 4});
    auto none = same.RanksOf(LexRange{Lex("+"), Lex("-")});
    CHECK(none.first >= none.second);
    CHECK(same.EraseRanks(1, 3) == 2);
    CHECK(Elements(same) ==
          std::vector<std::pair<std::string, double>>{{"a", 0}, {"d", 0}, {"e", 0}});
    CHECK(same.Pop(true).first == "e");
    CHECK(same.Pop(false).first == "a");
  }
}

TEST_CASE("zset: digest equals stock Redis 7.0's DEBUG DIGEST-VALUE in both encodings") {
  // ZADD z 1 a 2.5 b 0.1 c -inf d 1e308 e ; DEBUG DIGEST-VALUE z (redis-server 7.0.15)
  for (Encoding enc : {Encoding::kListpack, Encoding::kSkiplist}) {
    TestZSet z(enc);
    ZSetLimits lim;
    z.Insert("a", 1, lim);
    z.Insert("b", 2.5, lim);
    z.Insert("c", 0.1, lim);
    z.Insert("d", -std::numeric_limits<double>::infinity(), lim);
    z.Insert("e", 1e308, lim);
    CHECK(DigestValue(z) == "e02f1c52af96376fa045dced559b0049abf5b5ed");
  }
}

TEST_CASE("zset: clone is deep and keeps the encoding") {
  TestZSet z(Encoding::kSkiplist);
  ZSetLimits lim;
  z.Insert("x", 1, lim);
  z.Insert("y", 2, lim);
  Value copy_value = z.value();
  ZSet copy(copy_value);
  z.Erase("x");
  CHECK(copy.encoding() == Encoding::kSkiplist);
  CHECK(copy.size() == 2);
  CHECK(copy.Score("x") == 1.0);
  CHECK(copy_value.obj()->MemoryUsage() > 0);
}

TEST_CASE("zset: skiplist ZSCAN visits every member once over a stable table") {
  TestZSet z(Encoding::kSkiplist);
  ZSetLimits lim;
  for (int i = 0; i < 300; ++i) z.Insert("m" + std::to_string(i), i, lim);
  std::vector<std::string> seen;
  uint64_t cursor = 0;
  do {
    cursor = z.Scan(cursor, [&](std::string_view m, double) { seen.emplace_back(m); });
  } while (cursor != 0);
  std::sort(seen.begin(), seen.end());
  CHECK(seen.size() == 300);
  CHECK(std::unique(seen.begin(), seen.end()) == seen.end());

  // After most members go, the table shrinks (an incremental rehash); a scan still sees the rest.
  CHECK(z.EraseRanks(0, 290) == 290);
  std::vector<std::string> rest;
  cursor = 0;
  do {
    cursor = z.Scan(cursor, [&](std::string_view m, double) { rest.emplace_back(m); });
  } while (cursor != 0);
  std::sort(rest.begin(), rest.end());
  rest.erase(std::unique(rest.begin(), rest.end()), rest.end());
  CHECK(rest.size() == 10);
  CHECK(z.Score("m295") == 295.0);
}

TEST_CASE("zset: randomized skiplist against a sorted-vector model") {
  std::mt19937 rng(12345);
  for (Encoding enc : {Encoding::kSkiplist, Encoding::kListpack}) {
    TestZSet z(enc);
    ZSetLimits lim{1u << 20, 1u << 20};  // keep the starting encoding
    Model model;
    auto find = [&](const std::string& m) {
      return std::find_if(model.begin(), model.end(), [&](const auto& e) { return e.second == m; });
    };
    for (int step = 0; step < 4000; ++step) {
      int op = static_cast<int>(rng() % 10);
      std::string m = "k" + std::to_string(rng() % 300);
      double s = static_cast<double>(static_cast<int>(rng() % 50)) / 2.0;
      if (op < 4) {
        auto it = find(m);
        if (it == model.end()) {
          z.Insert(m, s, lim);
          model.emplace_back(s, m);
        } else {
          z.UpdateScore(m, s);
          it->first = s;
        }
        std::sort(model.begin(), model.end());
      } else if (op < 6) {
        auto it = find(m);
        CHECK(z.Erase(m) == (it != model.end()));
        if (it != model.end()) model.erase(it);
      } else if (op == 6 && !model.empty()) {
        // Delete a rank range.
        size_t a = rng() % model.size();
        size_t b = a + rng() % 5;
        size_t end = std::min(b, model.size());
        CHECK(z.EraseRanks(a, b) == end - a);
        model.erase(model.begin() + static_cast<std::ptrdiff_t>(a),
                    model.begin() + static_cast<std::ptrdiff_t>(end));
      } else if (op == 7) {
        // Score range -> ranks.
        double lo = static_cast<double>(rng() % 30) / 2.0;
        double hi = lo + static_cast<double>(rng() % 10) / 2.0;
        bool lox = rng() % 2;
        bool hix = rng() % 2;
        ScoreRange r{lo, hi, lox, hix};
        size_t first = 0;
        while (first < model.size() && !r.GteMin(model[first].first)) ++first;
        size_t end = 0;
        while (end < model.size() && r.LteMax(model[end].first)) ++end;
        auto got = z.RanksOf(r);
        CHECK(got.first == first);
        CHECK(got.second == end);
      } else if (!model.empty()) {
        // Ranks and elements by rank.
        size_t i = rng() % model.size();
        auto item = z.At(i);
        CHECK(item.member == model[i].second);
        CHECK(item.score == model[i].first);
        CHECK(z.Rank(model[i].second) == i);
        CHECK(z.Score(model[i].second) == model[i].first);
      }
      REQUIRE(z.size() == model.size());
    }
    CHECK(Elements(z) == FromModel(model));
    // Reverse walk from the top.
    if (!model.empty()) {
      std::vector<std::string> rev;
      z.Walk(z.size() - 1, true, [&](std::string_view m, double) {
        rev.emplace_back(m);
        return true;
      });
      CHECK(rev.size() == model.size());
      CHECK(rev.front() == model.back().second);
    }
  }
}

TEST_CASE("zset: skiplist spans stay consistent through inserts and deletes") {
  std::mt19937 rng(7);
  ZSkipList sl;
  std::vector<ZSkipList::Node*> nodes;
  for (int i = 0; i < 500; ++i) {
    nodes.push_back(sl.Insert(static_cast<double>(rng() % 100), "m" + std::to_string(i)));
  }
  CHECK(sl.Valid());
  std::shuffle(nodes.begin(), nodes.end(), rng);
  for (size_t i = 0; i < 250; ++i) {
    sl.Unlink(nodes[i]);
    ZSkipList::FreeNode(nodes[i]);
  }
  CHECK(sl.Valid());
  CHECK(sl.size() == 250);
  for (size_t r = 1; r <= sl.size(); ++r) {
    ZSkipList::Node* n = sl.ByRank(r);
    REQUIRE(n != nullptr);
    CHECK(sl.Rank(n->score, n->member()) == r);
  }
  size_t removed = 0;
  sl.RemoveRanks(10, 20, [&](ZSkipList::Node* n) {
    ZSkipList::FreeNode(n);
    ++removed;
  });
  CHECK(removed == 11);
  CHECK(sl.Valid());
}

TEST_CASE("zset: scores format as Redis prints them") {
  CHECK(tandem::storage::FormatScore(0.1) == "0.10000000000000001");
  CHECK(tandem::storage::FormatScore(3.0) == "3");
  CHECK(tandem::storage::FormatScore(std::numeric_limits<double>::infinity()) == "inf");
  CHECK(tandem::storage::FormatScore(-std::numeric_limits<double>::infinity()) == "-inf");
  CHECK(tandem::storage::FormatScore(1.5e-7) == "1.4999999999999999e-07");
}

TEST_CASE("zset: listpack scores round-trip exactly in their compact forms") {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> scores = {0,
                                      1,
                                      252,
                                      253,
                                      -1,
                                      -253,
                                      1.5,
                                      -2.25,
                                      0.1,
                                      1e300,
                                      -1e-310,  // subnormal
                                      inf,
                                      -inf,
                                      9007199254740991.0,   // 2^53 - 1: varint
                                      -9007199254740991.0,  // -(2^53 - 1)
                                      9007199254740992.0,   // 2^53: a float holds it
                                      1e18,
                                      std::numeric_limits<double>::max(),
                                      std::numeric_limits<double>::lowest(),
                                      std::numeric_limits<double>::denorm_min()};
  TestZSet z(Encoding::kListpack);
  ZSetLimits lim{1000, 64};
  for (size_t i = 0; i < scores.size(); ++i) z.Insert("m" + std::to_string(i), scores[i], lim);
  REQUIRE(z.encoding() == Encoding::kListpack);
  for (size_t i = 0; i < scores.size(); ++i) {
    auto s = z.Score("m" + std::to_string(i));
    REQUIRE(s.has_value());
    CHECK(std::memcmp(&*s, &scores[i], sizeof(double)) == 0);
  }
  // -0 is stored as +0, as Redis's listpack text "0" reads back.
  z.Insert("negzero", -0.0, lim);
  CHECK_FALSE(std::signbit(*z.Score("negzero")));

  // Sizes: member length + member, then tag (+ payload).
  using tandem::storage::PackedZList;
  CHECK(PackedZList::ElementSize("m", 3) == 3);                      // small integer in the tag
  CHECK(PackedZList::ElementSize("m", -5) == 4);                     // zigzag varint
  CHECK(PackedZList::ElementSize("m", 1.5) == 7);                    // float
  CHECK(PackedZList::ElementSize("m", 0.1) == 11);                   // double
  CHECK(PackedZList::ElementSize(std::string(200, 'x'), 0) == 203);  // 2-byte length
}

TEST_CASE("zset: skiplist score updates, in place or moved, keep order, spans and ranks right") {
  std::mt19937 rng(99);
  ZSkipList sl;
  std::vector<ZSkipList::Node*> nodes;
  for (int i = 0; i < 400; ++i) {
    nodes.push_back(sl.Insert(static_cast<double>(rng() % 1000), "m" + std::to_string(i)));
  }
  int in_place = 0;
  for (int step = 0; step < 2000; ++step) {
    ZSkipList::Node* n = nodes[rng() % nodes.size()];
    double score = n->score;
    if (step % 2 == 0) {
      // A nudge that usually keeps the position: the in-place path, which must still leave the
      // list ordered (Valid() checks order, back pointers and spans).
      score += 0.001;
      const ZSkipList::Node* next = n->forward();
      if (next == nullptr || next->score > score) ++in_place;
    } else {
      score = static_cast<double>(rng() % 1000);  // usually a move, sometimes a tie
    }
    sl.UpdateScore(n, score);
    CHECK(n->score == score);
    if (step % 50 == 0) REQUIRE(sl.Valid());
  }
  CHECK(in_place > 500);
  REQUIRE(sl.Valid());
  CHECK(sl.size() == nodes.size());
  for (ZSkipList::Node* n : nodes) {
    size_t r = sl.Rank(n->score, n->member());
    REQUIRE(r > 0);
    CHECK(sl.ByRank(r) == n);
  }
}

TEST_CASE("zset: skiplist score updates that tie with a neighbour or flip the sign of zero") {
  ZSkipList sl;
  ZSkipList::Node* a = sl.Insert(1, "a");
  ZSkipList::Node* b = sl.Insert(2, "b");
  ZSkipList::Node* c = sl.Insert(3, "c");
  ZSkipList::Node* z = sl.Insert(0.0, "z");
  // Equal to the previous node's score: the member decides, "b" after "a".
  sl.UpdateScore(b, 1);
  REQUIRE(sl.Valid());
  CHECK(sl.ByRank(2) == a);
  CHECK(sl.ByRank(3) == b);
  // Equal to the scores of the two nodes before it: relinked, after "a" and "b" by member.
  sl.UpdateScore(c, 1);
  REQUIRE(sl.Valid());
  CHECK(sl.ByRank(4) == c);
  // -0.0 compares equal to 0.0: an in-place update, the stored score keeps its sign (as Redis's
  // skiplist does; ZSCORE then prints -0).
  sl.UpdateScore(z, -0.0);
  REQUIRE(sl.Valid());
  CHECK(sl.ByRank(1) == z);
  CHECK(std::signbit(z->score));
  CHECK(sl.Rank(-0.0, "z") == 1);
  CHECK(sl.Rank(1, "c") == 4);
}
