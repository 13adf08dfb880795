#include "storage/hash.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "storage/digest.h"
#include "tests/unit/storage/standalone.h"

namespace tandem::storage {
namespace {

using TestHash = testing::Standalone<Hash>;

std::vector<std::string> Fields(const HashView& h) {
  std::vector<std::string> out;
  h.ForEach([&](std::string_view f, std::string_view) { out.emplace_back(f); });
  return out;
}

TEST_CASE("hash: listpack keeps insertion order and HDEL keeps the order of the rest") {
  TestHash h;
  HashLimits lim;
  CHECK(h.Set("c", "1", lim));
  CHECK(h.Set("a", "2", lim));
  CHECK(h.Set("b", "3", lim));
  CHECK_FALSE(h.Set("a", "20", lim));  // update in place
  CHECK(Fields(h) == std::vector<std::string>{"c", "a", "b"});
  CHECK(h.Delete("c"));
  CHECK_FALSE(h.Delete("c"));
  CHECK(Fields(h) == std::vector<std::string>{"a", "b"});
  REQUIRE(h.Get("a").has_value());
  CHECK(*h.Get("a") == "20");
  CHECK_FALSE(h.Get("zz").has_value());
  CHECK(h.encoding() == Encoding::kListpack);
}

TEST_CASE("hash: converts to hashtable past hash-max-listpack-entries, exactly at the limit") {
  HashLimits lim{4, 64};
  TestHash h;
  for (int i = 0; i < 4; ++i) h.Set("f" + std::to_string(i), "v", lim);
  CHECK(h.encoding() == Encoding::kListpack);  // 4 entries == limit stays listpack
  h.Set("f4", "v", lim);
  CHECK(h.encoding() == Encoding::kHashtable);
  CHECK(h.size() == 5);
  // Never converts back.
  for (int i = 0; i < 5; ++i) h.Delete("f" + std::to_string(i));
  h.Set("x", "y", lim);
  CHECK(h.encoding() == Encoding::kHashtable);
  CHECK(*h.Get("x") == "y");
}

TEST_CASE("hash: a field or value longer than hash-max-listpack-value converts") {
  HashLimits lim{128, 8};
  TestHash h;
  h.Set("f", std::string(8, 'x'), lim);
  CHECK(h.encoding() == Encoding::kListpack);  // 8 bytes == limit
  h.Set("g", std::string(9, 'x'), lim);
  CHECK(h.encoding() == Encoding::kHashtable);
  CHECK(h.size() == 2);

  TestHash k;
  k.Set(std::string(9, 'k'), "v", lim);
  CHECK(k.encoding() == Encoding::kHashtable);

  TestHash t;
  std::vector<std::string_view> items{"a", "short", "b", "waytoolongvalue"};
  t.TryConversion(items, lim);
  CHECK(t.encoding() == Encoding::kHashtable);
  TestHash u;
  std::vector<std::string_view> ok{"a", "12345678"};
  u.TryConversion(ok, lim);
  CHECK(u.encoding() == Encoding::kListpack);
}

TEST_CASE("hash: clone is deep and digest does not depend on encoding or order") {
  HashLimits small{2, 64};
  HashLimits big{128, 64};
  TestHash a;
  TestHash b;
  a.Set("x", "1", small);
  a.Set("y", "2", small);
  a.Set("z", "3", small);
  CHECK(a.encoding() == Encoding::kHashtable);
  b.Set("z", "3", big);
  b.Set("x", "1", big);
  b.Set("y", "2", big);
  CHECK(b.encoding() == Encoding::kListpack);
  DigestBytes da{};
  DigestBytes db{};
  a.Digest(da);
  b.Digest(db);
  CHECK(da == db);
  DigestBytes empty{};
  CHECK(da != empty);

  Value copy_value = a.value();
  Hash hc(copy_value);
  hc.Set("x", "changed", big);
  CHECK(*a.Get("x") == "1");
  CHECK(hc.size() == 3);
  CHECK(a.value().obj()->MemoryUsage() > 0);
  Value packed_copy = b.value();  // a listpack copies its bytes
  Hash(packed_copy).Set("x", "changed", big);
  CHECK(*b.Get("x") == "1");

  // A pair's digest mixes field then value: swapping them changes it.
  TestHash p;
  TestHash q;
  p.Set("k", "v", big);
  q.Set("v", "k", big);
  DigestBytes dp{};
  DigestBytes dq{};
  p.Digest(dp);
  q.Digest(dq);
  CHECK(dp != dq);
}

TEST_CASE("hash: random picks existing pairs in both encodings") {
  std::mt19937_64 rng(42);
  HashLimits lim{3, 64};
  TestHash h;
  h.Set("a", "1", lim);
  h.Set("b", "2", lim);
  for (int i = 0; i < 20; ++i) {
    auto [f, v] = h.Random(rng);
    CHECK(*h.Get(f) == v);
  }
  h.Set("c", "3", lim);
  h.Set("d", "4", lim);
  CHECK(h.encoding() == Encoding::kHashtable);
  for (int i = 0; i < 20; ++i) {
    auto [f, v] = h.Random(rng);
    CHECK(*h.Get(f) == v);
  }
  // A full hashtable scan visits every field.
  size_t seen = 0;
  uint64_t cursor = 0;
  do {
    cursor = h.ScanStep(cursor, [&](std::string_view, std::string_view) { ++seen; });
  } while (cursor != 0);
  CHECK(seen == 4);
}

}  // namespace
}  // namespace tandem::storage

#include "storage/keyspace.h"

TEST_CASE("Value::ReplaceBytes splices like std::string, on the heap and in an entry's room") {
  using tandem::storage::ObjType;
  using tandem::storage::Value;
  std::mt19937_64 rng(7);
  auto splice = [&](Value& v, std::string& model, int i) {
    size_t pos = model.empty() ? 0 : rng() % (model.size() + 1);
    size_t n = pos == model.size() ? 0 : rng() % std::min<size_t>(8, model.size() - pos + 1);
    std::string s(rng() % 9, static_cast<char>('a' + i % 26));
    v.ReplaceBytes(pos, n, s);
    model.replace(pos, n, s);
  };
  Value heap = Value::Packed(ObjType::kHash);
  std::string model;
  for (int i = 0; i < 2000; ++i) {
    splice(heap, model, i);
    REQUIRE(heap.str() == model);
    REQUIRE(heap.type == ObjType::kHash);
    REQUIRE(heap.is_packed());
  }
  // Exact growth: a listpack reallocates to the size it needs, no doubling slack.
  CHECK(heap.str_capacity() >= model.size());

  // Bytes in an entry's room stay there while they fit, then move to the heap, unchanged.
  tandem::storage::Keyspace ks(1, [] { return int64_t{0}; });
  tandem::storage::Entry* e =
      ks.db(0).AddString("k", "ab", tandem::storage::Encoding::kListpack, ObjType::kZSet, 40);
  REQUIRE(e->value.is_inline());
  CHECK(e->value.str_capacity() >= 40);
  std::string m2 = "ab";
  for (int i = 0; i < 200; ++i) {
    splice(e->value, m2, i);
    REQUIRE(e->value.str() == m2);
    REQUIRE(e->value.type == ObjType::kZSet);
  }
  CHECK_FALSE(e->value.is_inline());
}

TEST_CASE("hash: a listpack of 65,535 pairs or more counts by walking, as LP_HDR_NUMELE_UNKNOWN") {
  using namespace tandem::storage;
  std::string bytes = packed::HeaderFor(65536);
  CHECK(packed::HeaderCount(bytes) == packed::kCountUnknown);
  for (int i = 0; i < 65536; ++i) {
    const std::string f = "f" + std::to_string(i);
    packed::AppendLength(bytes, f.size());
    bytes += f;
    packed::AppendLength(bytes, 1);
    bytes += "v";
  }
  Value v = Value::Packed(ObjType::kHash, bytes);
  Hash h(v);
  CHECK(h.size() == 65536);
  CHECK(h.Delete("f0"));
  CHECK(h.size() == 65535);
  CHECK(packed::HeaderCount(v.str()) == packed::kCountUnknown);
  CHECK(h.Delete("f1"));
  CHECK(packed::HeaderCount(v.str()) == 65534);  // exact again
  CHECK(h.size() == 65534);
  HashLimits unlimited{1u << 20, 64};
  CHECK(h.Set("new", "x", unlimited));
  CHECK(h.size() == 65535);
  CHECK(*h.Get("new") == "x");
  CHECK(h.encoding() == Encoding::kListpack);
}

TEST_CASE("hash: randomized against a model, listpack in an entry's room and hashtable") {
  using namespace tandem::storage;
  std::mt19937_64 rng(2026);
  for (const bool listpack : {true, false}) {
    // The listpack case lives in a keyspace entry (inline room, then the heap), as a key does.
    Keyspace ks(1, [] { return int64_t{0}; });
    Entry* e =
        ks.db(0).AddString("h", packed::kEmptyHeader, Encoding::kListpack, ObjType::kHash, 24);
    Hash h(e->value);
    const HashLimits lim{listpack ? 100000u : 0u, 64};
    std::vector<std::pair<std::string, std::string>> model;  // insertion order
    auto find = [&](const std::string& f) {
      return std::find_if(model.begin(), model.end(), [&](const auto& p) { return p.first == f; });
    };
    for (int step = 0; step < 3000; ++step) {
      const std::string f = "f" + std::to_string(rng() % 150);
      const int op = static_cast<int>(rng() % 10);
      if (op < 6) {
        const std::string v(rng() % 20, static_cast<char>('a' + step % 26));
        auto it = find(f);
        CHECK(h.Set(f, v, lim) == (it == model.end()));
        if (it == model.end()) {
          model.emplace_back(f, v);
        } else {
          it->second = v;
        }
      } else if (op < 9) {
        auto it = find(f);
        CHECK(h.Delete(f) == (it != model.end()));
        if (it != model.end()) model.erase(it);
      } else {
        auto it = find(f);
        auto got = h.Get(f);
        REQUIRE(got.has_value() == (it != model.end()));
        if (got) CHECK(*got == it->second);
      }
      REQUIRE(h.size() == model.size());
    }
    CHECK(h.encoding() == (listpack ? Encoding::kListpack : Encoding::kHashtable));
    CHECK(e->value.encoding == h.encoding());
    std::vector<std::pair<std::string, std::string>> seen;
    h.ForEach([&](std::string_view f, std::string_view v) { seen.emplace_back(f, v); });
    if (listpack) {
      CHECK(seen == model);               // insertion order, HDEL keeping the order of the rest
      CHECK_FALSE(e->value.is_inline());  // it outgrew the 24-byte room
    } else {
      std::sort(seen.begin(), seen.end());
      std::sort(model.begin(), model.end());
      CHECK(seen == model);
    }
  }
}

TEST_CASE("packed: LengthSize is what AppendLength writes, and StoreCount what HeaderCount reads") {
  using namespace tandem::storage;
  for (size_t len : {size_t{0}, size_t{1}, size_t{127}, size_t{128}, size_t{16383}, size_t{16384},
                     size_t{1} << 40}) {
    std::string buf;
    packed::AppendLength(buf, len);
    CHECK(packed::LengthSize(len) == buf.size());
    size_t pos = 0;
    CHECK(packed::ReadLength(buf, pos) == len);
  }
  for (size_t count : {size_t{0}, size_t{300}, size_t{65534}, size_t{65535}, size_t{100000}}) {
    const std::string h = packed::HeaderFor(count);
    CHECK(packed::HeaderCount(h) == std::min<size_t>(count, packed::kCountUnknown));
  }
}
