#include "storage/dict.h"

#include <doctest/doctest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "storage/hash.h"
#include "storage/keyspace.h"
#include "storage/set.h"
#include "storage/zset.h"

namespace {
struct Node {
  Node* next = nullptr;
  std::string key;
};
struct KeyOf {
  std::string_view operator()(const Node& n) const { return n.key; }
};
using TestDict = tandem::storage::Dict<Node, KeyOf>;
}  // namespace

TEST_CASE("dict: insert, find, erase across incremental rehashes") {
  TestDict d;
  std::vector<Node> nodes(5000);
  for (size_t i = 0; i < nodes.size(); ++i) {
    nodes[i].key = "k" + std::to_string(i);
    d.Insert(&nodes[i]);
  }
  CHECK(d.size() == 5000);
  for (size_t i = 0; i < nodes.size(); ++i) CHECK(d.Find(nodes[i].key) == &nodes[i]);
  for (size_t i = 0; i < nodes.size(); i += 2) CHECK(d.Erase(nodes[i].key) == &nodes[i]);
  CHECK(d.size() == 2500);
  CHECK(d.Find("k0") == nullptr);
  CHECK(d.Find("k1") == &nodes[1]);
}

TEST_CASE("dict: growth moves buckets a few at a time") {
  TestDict d;
  std::vector<Node> nodes(1 << 16);
  bool saw_rehashing = false;
  for (size_t i = 0; i < nodes.size(); ++i) {
    nodes[i].key = std::to_string(i);
    d.Insert(&nodes[i]);
    saw_rehashing |= d.rehashing();
  }
  CHECK(saw_rehashing);
  // Finishing the rehash explicitly is bounded by the number of buckets.
  int steps = 0;
  while (d.RehashStep(100) && steps < 100000) ++steps;
  CHECK_FALSE(d.rehashing());
  CHECK(d.size() == nodes.size());
}

TEST_CASE("dict: scan visits every element exactly once in a stable table") {
  TestDict d;
  std::vector<Node> nodes(1000);
  for (size_t i = 0; i < nodes.size(); ++i) {
    nodes[i].key = "x" + std::to_string(i);
    d.Insert(&nodes[i]);
  }
  while (d.RehashStep(100)) {
  }
  std::multiset<std::string> seen;
  uint64_t cursor = 0;
  int calls = 0;
  do {
    cursor = d.Scan(cursor, [&](Node* n) { seen.insert(n->key); });
  } while (cursor != 0 && ++calls < 100000);
  CHECK(seen.size() == 1000);
  for (const auto& n : nodes) CHECK(seen.count(n.key) == 1);
}

TEST_CASE("dict: random returns members and shrink keeps content") {
  TestDict d;
  std::vector<Node> nodes(300);
  for (size_t i = 0; i < nodes.size(); ++i) {
    nodes[i].key = "r" + std::to_string(i);
    d.Insert(&nodes[i]);
  }
  std::mt19937_64 rng(1);
  for (int i = 0; i < 100; ++i) CHECK(d.Random(rng) != nullptr);
  for (size_t i = 1; i < nodes.size(); ++i) d.Erase(nodes[i].key);
  while (d.RehashStep(100)) {
  }
  d.ShrinkIfSparse();
  while (d.RehashStep(100)) {
  }
  CHECK(d.size() == 1);
  CHECK(d.Find("r0") == &nodes[0]);
  CHECK(d.Random(rng) == &nodes[0]);
}

TEST_CASE("dict: Reserve sizes an empty table once, so filling it never rehashes") {
  tandem::storage::Keyspace ks(1, [] { return int64_t{0}; });
  tandem::storage::Db& db = ks.db(0);
  db.Reserve(10000);
  const size_t buckets = db.bucket_count();
  CHECK(buckets >= 10000);
  for (int i = 0; i < 10000; ++i) {
    db.Add("k" + std::to_string(i), tandem::storage::Value::String("v"));
  }
  CHECK(db.bucket_count() == buckets);  // no growth, no rehash
  CHECK(db.size() == 10000);
  db.Reserve(1);  // ignored once the table holds entries
  CHECK(db.bucket_count() == buckets);
}

TEST_CASE("dict: prefetching a batch changes nothing, empty, stable or mid-rehash") {
  TestDict d;
  std::vector<std::string_view> batch = {"k1", "k2", "absent", "k3"};
  d.Prefetch(batch, 3);  // an empty dict has no table to touch
  std::vector<Node> nodes(4096);
  bool checked_rehashing = false;
  for (size_t i = 0; i < nodes.size(); ++i) {
    nodes[i].key = "k" + std::to_string(i);
    d.Insert(&nodes[i]);
    if (d.rehashing() && !checked_rehashing) {
      checked_rehashing = true;
      size_t buckets = d.bucket_count();
      d.Prefetch(batch, 3);  // both tables; the rehash goes on (bucket_count is a coarse check)
      CHECK(d.rehashing());
      CHECK(d.bucket_count() == buckets);
    }
  }
  CHECK(checked_rehashing);
  // More keys than one batch takes: the rest are ignored.
  std::vector<std::string> many;
  for (int i = 0; i < 40; ++i) many.push_back("k" + std::to_string(i));
  std::vector<std::string_view> views(many.begin(), many.end());
  d.Prefetch(views, 1);
  CHECK(d.size() == nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) CHECK(d.Find(nodes[i].key) == &nodes[i]);
}

TEST_CASE(
    "dict: prefetching members of a hashtable hash, a set and a skiplist zset changes nothing") {
  using namespace tandem::storage;
  std::vector<std::string> names;
  for (int i = 0; i < 300; ++i) names.push_back("element:" + std::to_string(i));
  std::vector<std::string_view> batch = {names[1], names[7], "absent", names[299]};

  HashTable hash;
  for (const auto& n : names) hash.Insert(n, "v" + n);
  const Object& hash_obj = hash;
  hash_obj.PrefetchMembers(batch);
  CHECK(hash.dict.size() == names.size());
  CHECK(hash.dict.Find(names[7])->value == "velement:7");

  auto set = SetObject::CreateFor("7");  // intset first: nothing to prefetch
  set->Add("7", 512);
  std::vector<std::string_view> ints = {"7", "8"};
  set->PrefetchMembers(ints);
  CHECK(set->encoding() == Encoding::kIntset);
  for (const auto& n : names) set->Add(n, 512);
  CHECK(set->encoding() == Encoding::kHashtable);
  set->PrefetchMembers(batch);
  CHECK(set->size() == names.size() + 1);
  CHECK(set->Contains(names[299]));
  CHECK_FALSE(set->Contains("absent"));

  Value zv = ZSet::NewValue(Encoding::kSkiplist);
  ZSet z(zv);
  for (size_t i = 0; i < names.size(); ++i) z.Insert(names[i], static_cast<double>(i), {});
  zv.obj()->PrefetchMembers(batch);
  CHECK(z.size() == names.size());
  CHECK(z.Score(names[7]) == 7.0);
}
