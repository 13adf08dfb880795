// Hash values (t_hash.c) with Redis 7.0's two encodings and its one-way conversion rule:
//   listpack   a small vector of field/value pairs in insertion order (HDEL keeps the order of the
//              rest), while the hash has <= hash-max-listpack-entries entries and every field and
//              value is <= hash-max-listpack-value bytes;
//   hashtable  an unordered dict, once either limit is crossed. A hash never converts back.
// Replies that walk the hash (HGETALL, HKEYS, HVALS, HSCAN, HRANDFIELD with a large count) follow
// the listpack's insertion order exactly as Redis does, so they compare byte for byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/dict.h"
#include "storage/value.h"

namespace tandem::storage {

// The two conversion thresholds (hash-max-listpack-entries / hash-max-listpack-value).
struct HashLimits {
  size_t max_listpack_entries = 128;
  size_t max_listpack_value = 64;
};

class HashObject : public Object {
 public:
  HashObject() = default;
  ~HashObject() override;
  HashObject(const HashObject&) = delete;
  HashObject& operator=(const HashObject&) = delete;

  // A new, empty hash wrapped in a Value (listpack encoding).
  static Value NewValue();

  Encoding encoding() const { return listpack_ ? Encoding::kListpack : Encoding::kHashtable; }
  size_t size() const { return listpack_ ? pairs_.size() : dict_.size(); }

  // The value of `field`, or nullptr. The pointer is valid until the next change.
  const std::string* Get(std::string_view field) const;
  bool Exists(std::string_view field) const { return Get(field) != nullptr; }

  // hashTypeTryConversion: converts to hashtable if any of `items` is longer than the value
  // limit. Called before a write with every field and value it will store.
  template <typename Range>
  void TryConversion(const Range& items, const HashLimits& limits) {
    if (!listpack_) return;
    for (std::string_view s : items) {
      if (s.size() > limits.max_listpack_value) {
        ConvertToHashtable();
        return;
      }
    }
  }

  // hashTypeSet: sets field to value; true if the field was new. Converts when the field or value
  // is too long for a listpack, or when the listpack grows past the entry limit.
  bool Set(std::string_view field, std::string_view value, const HashLimits& limits);
  // True if the field existed.
  bool Delete(std::string_view field);
  void ConvertToHashtable();

  // Visits every (field, value) in encoding order (insertion order for listpack).
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    if (listpack_) {
      for (const auto& [f, v] : pairs_) fn(std::string_view(f), std::string_view(v));
    } else {
      dict_.ForEach([&](Node* n) { fn(std::string_view(n->field), std::string_view(n->value)); });
    }
  }

  // A random (field, value); the hash must not be empty.
  std::pair<std::string_view, std::string_view> Random(std::mt19937_64& rng);
  // The pair at position i of a listpack (0 <= i < size()).
  std::pair<std::string_view, std::string_view> ListpackAt(size_t i) const {
    return {pairs_[i].first, pairs_[i].second};
  }

  // One HSCAN step over a hashtable: calls fn(field, value) for the buckets at `cursor` and
  // returns the next cursor (0 when done).
  template <typename Fn>
  uint64_t ScanStep(uint64_t cursor, Fn&& fn) {
    return dict_.Scan(cursor,
                      [&](Node* n) { fn(std::string_view(n->field), std::string_view(n->value)); });
  }

  std::unique_ptr<Object> Clone() const override;
  size_t MemoryUsage() const override;
  // debug.c xorObjectDigest, OBJ_HASH: for each pair, eledigest = mix(field) then mix(value),
  // XORed into `digest` (order-independent).
  void Digest(std::array<uint8_t, 20>& digest) const override;

 private:
  struct Node {
    Node* next = nullptr;
    std::string field;
    std::string value;
  };
  struct NodeKey {
    std::string_view operator()(const Node& n) const { return n.field; }
  };

  void InsertNode(std::string_view field, std::string_view value);

  bool listpack_ = true;
  std::vector<std::pair<std::string, std::string>> pairs_;  // listpack
  // hashtable. mutable: ForEach on a const object walks buckets without changing them.
  mutable Dict<Node, NodeKey> dict_;
};

}  // namespace tandem::storage
