#include "storage/keyspace.h"

#include <doctest/doctest.h>

#include <map>
#include <random>
#include <set>
#include <string>

using tandem::storage::Db;
using tandem::storage::Entry;
using tandem::storage::Keyspace;
using tandem::storage::Value;

namespace {
struct FakeClock {
  int64_t now = 1'000'000;
};
}  // namespace

TEST_CASE("keyspace: set, get, delete") {
  FakeClock clock;
  Keyspace ks(16, [&] { return clock.now; });
  Db& db = ks.db(0);
  db.Set("a", Value::String("1"));
  REQUIRE(ks.Lookup(db, "a", clock.now) != nullptr);
  CHECK(ks.Lookup(db, "a", clock.now)->value.str() == "1");
  CHECK(ks.Lookup(ks.db(1), "a", clock.now) == nullptr);
  CHECK(db.Delete("a"));
  CHECK_FALSE(db.Delete("a"));
  CHECK(db.size() == 0);
}

TEST_CASE("keyspace: an expired key is never returned and is deleted on access") {
  FakeClock clock;
  Keyspace ks(1, [&] { return clock.now; });
  std::vector<std::string> expired;
  ks.set_expired_hook([&](Db&, std::string_view k) { expired.emplace_back(k); });
  Db& db = ks.db(0);
  Entry* e = db.Set("k", Value::String("v"));
  db.SetExpire(e, clock.now + 100);
  CHECK(ks.Lookup(db, "k", clock.now + 99) != nullptr);
  CHECK(ks.Lookup(db, "k", clock.now + 100) == nullptr);  // expire time reached = gone
  CHECK(db.size() == 0);
  CHECK(expired == std::vector<std::string>{"k"});
  CHECK(ks.expired_keys == 1);
}

TEST_CASE("keyspace: replicas hide expired keys but keep them for the master's DEL") {
  FakeClock clock;
  Keyspace ks(1, [&] { return clock.now; });
  ks.set_lazy_expire_deletes(false);
  Db& db = ks.db(0);
  db.SetExpire(db.Set("k", Value::String("v")), clock.now + 1);
  CHECK(ks.Lookup(db, "k", clock.now + 5) == nullptr);
  CHECK(db.size() == 1);
}

TEST_CASE("keyspace: SET without KEEPTTL clears the TTL, with KEEPTTL keeps it") {
  FakeClock clock;
  Keyspace ks(1, [&] { return clock.now; });
  Db& db = ks.db(0);
  db.SetExpire(db.Set("k", Value::String("v")), clock.now + 1000);
  CHECK(db.expires_count() == 1);
  db.Set("k", Value::String("w"), /*keep_ttl=*/true);
  CHECK(db.ExpireOf(db.FindRaw("k")) == clock.now + 1000);
  db.Set("k", Value::String("x"));
  CHECK(db.ExpireOf(db.FindRaw("k")) == -1);
  CHECK(db.expires_count() == 0);
}

TEST_CASE("keyspace: active expiry removes expired keys and leaves live ones") {
  FakeClock clock;
  Keyspace ks(2, [&] { return clock.now; });
  Db& db = ks.db(1);
  for (int i = 0; i < 1000; ++i) {
    Entry* e = db.Set("k" + std::to_string(i), Value::String("v"));
    db.SetExpire(e, clock.now + (i % 2 == 0 ? 10 : 100000));
  }
  clock.now += 20;
  // Sampling is random, as in Redis: the last few stale keys take more cycles. Bounded.
  for (int cycle = 0; cycle < 20000 && db.size() > 500; ++cycle) {
    ks.ActiveExpireCycle(clock.now, 1'000'000);
  }
  CHECK(db.size() == 500);
  CHECK(db.expires_count() == 500);
  CHECK(ks.expired_keys == 500);
}

TEST_CASE("keyspace: SCAN returns every key present throughout while the table grows") {
  FakeClock clock;
  Keyspace ks(1, [&] { return clock.now; });
  Db& db = ks.db(0);
  std::set<std::string> original;
  for (int i = 0; i < 200; ++i) {
    std::string k = "orig:" + std::to_string(i);
    db.Set(k, Value::String("v"));
    original.insert(k);
  }
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int added = 0;
  int calls = 0;
  do {
    cursor = db.Scan(cursor, [&](Entry* e) { seen.emplace(e->key()); });
    // Grow the table between the first calls, forcing rehashes mid-scan.
    if (calls < 40) {
      for (int j = 0; j < 50; ++j) db.Set("new:" + std::to_string(added++), Value::String("v"));
    }
    ++calls;
  } while (cursor != 0 && calls < 100000);
  CHECK(cursor == 0);
  for (const auto& k : original) CHECK(seen.count(k) == 1);
}

TEST_CASE("keyspace: SWAPDB exchanges contents and TTL bookkeeping") {
  FakeClock clock;
  Keyspace ks(2, [&] { return clock.now; });
  ks.db(0).SetExpire(ks.db(0).Set("a", Value::String("1")), clock.now + 50);
  ks.db(1).Set("b", Value::String("2"));
  ks.db(0).SwapContents(ks.db(1));
  CHECK(ks.db(0).FindRaw("b") != nullptr);
  CHECK(ks.db(1).FindRaw("a") != nullptr);
  CHECK(ks.db(1).expires_count() == 1);
  CHECK(ks.db(0).expires_count() == 0);
}

TEST_CASE("value: string encodings follow tryObjectEncoding") {
  using tandem::storage::Encoding;
  CHECK(Value::String("12345").encoding == Encoding::kInt);
  CHECK(Value::String("-1").encoding == Encoding::kInt);
  CHECK(Value::String("012").encoding == Encoding::kEmbstr);
  CHECK(Value::String("+1").encoding == Encoding::kEmbstr);
  CHECK(Value::String("99999999999999999999").encoding == Encoding::kEmbstr);  // > int64
  CHECK(Value::String(std::string(44, 'x')).encoding == Encoding::kEmbstr);
  CHECK(Value::String(std::string(45, 'x')).encoding == Encoding::kRaw);
}

#include "storage/sha1.h"

TEST_CASE("sha1: FIPS 180 test vectors") {
  auto hex = [](const tandem::storage::Sha1::Digest& d) {
    static const char* k = "0123456789abcdef";
    std::string s;
    for (uint8_t b : d) {
      s += k[b >> 4];
      s += k[b & 15];
    }
    return s;
  };
  CHECK(hex(tandem::storage::Sha1::Of("abc")) == "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK(hex(tandem::storage::Sha1::Of("")) == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  CHECK(
      hex(tandem::storage::Sha1::Of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
      "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  tandem::storage::Sha1 million;
  std::string a(1000, 'a');
  for (int i = 0; i < 1000; ++i) million.Update(a.data(), a.size());
  CHECK(hex(million.Final()) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST_CASE("keyspace: a string lives in its entry, and moves out when it outgrows its room") {
  FakeClock clock;
  Keyspace ks(1, [&] { return clock.now; });
  Db& db = ks.db(0);
  const std::string hundred(100, 'v');
  Entry* e = db.Set("key:1", Value::String(hundred));
  CHECK(sizeof(Entry) == 40);
  CHECK(e->value.is_inline());
  CHECK(e->value.str() == hundred);
  CHECK(e->key() == "key:1");
  CHECK(e->value.encoding == tandem::storage::Encoding::kRaw);
  // The inline bytes sit right after the key, in the same allocation.
  CHECK(e->value.str().data() == e->key().data() + e->key().size());

  // An overwrite that fits stays inline and keeps the entry; the encoding follows the bytes.
  Entry* same = db.SetString("key:1", "12345", tandem::storage::Encoding::kInt);
  CHECK(same == e);
  CHECK(e->value.is_inline());
  CHECK(e->value.str() == "12345");
  CHECK(e->value.encoding == tandem::storage::Encoding::kInt);

  // APPEND past the room moves the bytes to the heap; the key is untouched.
  e->value.Append(std::string(300, 'a'));
  CHECK_FALSE(e->value.is_inline());
  CHECK(e->value.str_size() == 305);
  CHECK(e->value.str().substr(0, 5) == "12345");
  CHECK(e->key() == "key:1");
  CHECK(e->value.str_capacity() >= 305);

  // Resize zero-fills (SETRANGE / SETBIT past the end).
  char* p = e->value.Resize(310);
  CHECK(p[305] == '\0');
  CHECK(p[309] == '\0');
  CHECK(e->value.str_size() == 310);

  // Moving a value out of an entry copies its bytes: the entry can then be freed.
  Entry* f = db.Set("k2", Value::String("short"));
  REQUIRE(f->value.is_inline());
  Value out = std::move(f->value);
  CHECK(db.Delete("k2"));
  CHECK(out.str() == "short");
  CHECK_FALSE(out.is_inline());

  // A composite value replaces an inline string, and a string replaces it back.
  Entry* g = db.Set("k3", Value::String("abc"));
  g->value =
      Value::Of(tandem::storage::ObjType::kList, tandem::storage::Encoding::kQuicklist, nullptr);
  CHECK(g->value.type == tandem::storage::ObjType::kList);
  Value empty_list_copy = g->value;  // an Object slot without an object copies as one
  CHECK(empty_list_copy.obj() == nullptr);
  g->value = Value::String("back");
  CHECK(g->value.str() == "back");

  // Copies of entries (COPY, MOVE) are independent.
  Entry* h = db.Set("k4", Value::String(hundred));
  Value copy = h->value;
  h->value.MutableData()[0] = 'X';
  CHECK(copy.str() == hundred);
  CHECK(h->value.str()[0] == 'X');

  // An empty string still gets the allocator's slack as room; growing past it (SETBIT on
  // SET k "") moves to the heap. Under ASan this checks the room is really allocated.
  Entry* z = db.SetString("empty", "", tandem::storage::Encoding::kEmbstr);
  REQUIRE(z->value.is_inline());
  const size_t room = z->value.str_capacity();
  char* zp = z->value.Resize(room);
  CHECK(zp[room - 1] == '\0');
  CHECK(z->value.is_inline());
  z->value.Resize(room + 1);
  CHECK_FALSE(z->value.is_inline());
  CHECK(z->value.str() == std::string(room + 1, '\0'));

  // Strings above the inline limit keep their own allocation.
  Entry* big =
      db.Set("big", Value::String(std::string(tandem::storage::kInlineStringLimit + 1, 'b')));
  CHECK_FALSE(big->value.is_inline());
  CHECK(big->value.str_size() == tandem::storage::kInlineStringLimit + 1);
}

TEST_CASE("keyspace: Entry::access is the LRU second, or under LFU the minute and counter") {
  FakeClock clock;
  Keyspace ks(1, [&] { return clock.now; });
  Db& db = ks.db(0);
  Entry* e = db.Set("a", Value::String("1"));
  CHECK(e->lru_seconds() > 1'600'000'000u);
  ks.set_lfu(true);
  Entry* l = db.Set("b", Value::String("1"));
  CHECK(l->lfu_counter() == tandem::storage::kLfuInitVal);
  l->set_lfu(1234, 77);
  CHECK(l->lfu_minutes() == 1234);
  CHECK(l->lfu_counter() == 77);
  // An overwrite under LFU keeps the counter (dbOverwrite).
  db.Set("b", Value::String("2"));
  CHECK(l->lfu_counter() == 77);

  // RESTORE / RDB load (objectSetLRUOrLFU): under LFU the frequency applies, the idle time not.
  l->RestoreAccess(true, 42, 100);
  CHECK(l->lfu_counter() == 42);
  CHECK(l->lfu_minutes() == 1234);
  l->RestoreAccess(true, -1, 100);
  CHECK(l->lfu_counter() == 42);
  // Otherwise the idle time moves the last access back, and the frequency is ignored.
  const uint32_t fresh = e->lru_seconds();
  e->RestoreAccess(false, 42, 100);
  CHECK(e->lru_seconds() == fresh - 100);
  e->RestoreAccess(false, -1, -1);
  CHECK(e->lru_seconds() == fresh - 100);
}

TEST_CASE("keyspace: expire times live in the db's TTL table, consistent under random changes") {
  FakeClock clock;
  Keyspace ks(1, [&] { return clock.now; });
  Db& db = ks.db(0);
  std::map<std::string, int64_t> model;  // key -> expire (-1: none)
  std::mt19937 rng(99);
  for (int step = 0; step < 20000; ++step) {
    const std::string k = "k" + std::to_string(rng() % 200);
    switch (rng() % 5) {
      case 0:
      case 1: {
        const int64_t when = static_cast<int64_t>(rng() % 1000000);
        db.SetExpire(db.FindRaw(k) ? db.FindRaw(k) : db.Set(k, Value::String("v")), when);
        model[k] = when;
        break;
      }
      case 2:
        if (Entry* e = db.FindRaw(k)) {
          CHECK(db.Persist(e) == (model[k] >= 0));
          model[k] = -1;
        }
        break;
      case 3:
        CHECK(db.Delete(k) == (model.erase(k) == 1));
        break;
      default:
        db.Set(k, Value::String("w"));  // SET drops the TTL
        model[k] = -1;
        break;
    }
  }
  size_t with_ttl = 0;
  for (const auto& [k, when] : model) {
    Entry* e = db.FindRaw(k);
    REQUIRE(e != nullptr);
    CHECK(db.ExpireOf(e) == when);
    CHECK(db.HasExpire(e) == (when >= 0));
    with_ttl += when >= 0;
  }
  CHECK(db.expires_count() == with_ttl);
  CHECK(db.size() == model.size());
  // Every sampled key with a TTL is one of them.
  for (int i = 0; i < 100 && with_ttl > 0; ++i) CHECK(db.HasExpire(db.RandomExpiring(rng)));
  // A time before the epoch is stored as 0: already expired, still indexed.
  Entry* e = db.Set("old", Value::String("v"));
  db.SetExpire(e, -5);
  CHECK(db.ExpireOf(e) == 0);
  CHECK(ks.Lookup(db, "old", clock.now) == nullptr);
  CHECK(db.FindRaw("old") == nullptr);  // lazily deleted
}
