// Hash values (t_hash.c) with Redis 7.0's two encodings and its one-way conversion rule:
//   listpack   field/value pairs packed in one byte buffer in insertion order (HDEL keeps the
//              order of the rest), each string as a varint length and its bytes, while the hash
//              has <= hash-max-listpack-entries entries and every field and value is
//              <= hash-max-listpack-value bytes;
//   hashtable  an unordered dict, once either limit is crossed. A hash never converts back.
// Replies that walk the hash (HGETALL, HKEYS, HVALS, HSCAN, HRANDFIELD with a large count) follow
// the listpack's insertion order exactly as Redis does, so they compare byte for byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/dict.h"
#include "storage/packed.h"
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
  size_t size() const { return listpack_ ? lp_count_ : dict_->size(); }

  // The value of `field`, if present. The view is valid until the next change.
  std::optional<std::string_view> Get(std::string_view field) const;
  bool Exists(std::string_view field) const { return Get(field).has_value(); }

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
      size_t pos = 0;
      for (uint32_t i = 0; i < lp_count_; ++i) {
        std::string_view f = NextString(lp_, pos);
        std::string_view v = NextString(lp_, pos);
        fn(f, v);
      }
    } else {
      dict_->ForEach([&](Node* n) { fn(std::string_view(n->field), std::string_view(n->value)); });
    }
  }

  // A random (field, value); the hash must not be empty.
  std::pair<std::string_view, std::string_view> Random(std::mt19937_64& rng);
  // The pair at position i of a listpack (0 <= i < size()).
  std::pair<std::string_view, std::string_view> ListpackAt(size_t i) const;

  // One HSCAN step over a hashtable: calls fn(field, value) for the buckets at `cursor` and
  // returns the next cursor (0 when done).
  template <typename Fn>
  uint64_t ScanStep(uint64_t cursor, Fn&& fn) {
    return dict_->Scan(
        cursor, [&](Node* n) { fn(std::string_view(n->field), std::string_view(n->value)); });
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

  using NodeDict = Dict<Node, NodeKey>;

  void InsertNode(std::string_view field, std::string_view value);
  // The string at `pos` of a packed buffer (varint length, then the bytes); advances pos.
  static std::string_view NextString(std::string_view buf, size_t& pos);
  static void AppendString(std::string& buf, std::string_view s);
  // The offset of `field`'s entry in lp_ and of the entry after its value, if present.
  bool FindPacked(std::string_view field, size_t& at, size_t& value_at, size_t& end) const;

  // listpack: 2 * lp_count_ strings, field then value. A hash never needs the dict until it
  // converts, so the dict is allocated only then.
  packed::Buffer lp_;
  uint32_t lp_count_ = 0;
  bool listpack_ = true;
  // hashtable. mutable: ForEach on a const object walks buckets without changing them.
  mutable std::unique_ptr<NodeDict> dict_;
};

}  // namespace tandem::storage
