// Hash values (t_hash.c) with Redis 7.0's two encodings and its one-way conversion rule:
//   listpack   field/value pairs packed in one byte buffer in insertion order (HDEL keeps the
//              order of the rest), each string as a varint length and its bytes, while the hash
//              has <= hash-max-listpack-entries entries and every field and value is
//              <= hash-max-listpack-value bytes. The bytes are the Value's own (Value::Packed:
//              inline in the key's entry when the key is created), after a 2-byte pair count;
//   hashtable  an unordered dict (HashTable, an Object), once either limit is crossed. A hash
//              never converts back.
// Replies that walk the hash (HGETALL, HKEYS, HVALS, HSCAN, HRANDFIELD with a large count) follow
// the listpack's insertion order exactly as Redis does, so they compare byte for byte.
//
// HashView (reads) and Hash (writes) are handles over a hash Value, valid while the Value lives
// where it is; a conversion replaces the Value's content, and the handle follows it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>

#include "storage/dict.h"
#include "storage/packed.h"
#include "storage/value.h"

namespace tandem::storage {

// The two conversion thresholds (hash-max-listpack-entries / hash-max-listpack-value).
struct HashLimits {
  size_t max_listpack_entries = 128;
  size_t max_listpack_value = 64;
};

// The hashtable encoding.
class HashTable : public Object {
 public:
  struct Node {
    Node* next = nullptr;
    std::string field;
    std::string value;
  };
  struct NodeKey {
    std::string_view operator()(const Node& n) const { return n.field; }
  };
  using NodeDict = Dict<Node, NodeKey>;

  HashTable() = default;
  ~HashTable() override;
  HashTable(const HashTable&) = delete;
  HashTable& operator=(const HashTable&) = delete;

  void Insert(std::string_view field, std::string_view value);

  std::unique_ptr<Object> Clone() const override;
  size_t MemoryUsage() const override;
  void Digest(std::array<uint8_t, 20>& digest) const override;
  // A node is 72 bytes: two lines hold the chain pointer and the field (short ones inline).
  void PrefetchMembers(std::span<const std::string_view> fields) const override {
    dict.Prefetch(fields, 2);
  }

  // mutable: walking buckets of a const hash may advance the incremental rehash.
  mutable NodeDict dict;
};

class HashView {
 public:
  explicit HashView(const Value& v) : v_(&v) {}

  Encoding encoding() const { return v_->encoding; }
  size_t size() const;

  // The value of `field`, if present. The view is valid until the next change.
  std::optional<std::string_view> Get(std::string_view field) const;
  bool Exists(std::string_view field) const { return Get(field).has_value(); }

  // Visits every (field, value) in encoding order (insertion order for listpack).
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    if (v_->is_packed()) {
      const std::string_view buf = v_->str();
      size_t pos = packed::kHeader;
      while (pos < buf.size()) {
        std::string_view f = packed::NextString(buf, pos);
        std::string_view v = packed::NextString(buf, pos);
        fn(f, v);
      }
    } else {
      table().dict.ForEach(
          [&](HashTable::Node* n) { fn(std::string_view(n->field), std::string_view(n->value)); });
    }
  }

  // A random (field, value); the hash must not be empty.
  std::pair<std::string_view, std::string_view> Random(std::mt19937_64& rng) const;
  // The pair at position i of a listpack (0 <= i < size()).
  std::pair<std::string_view, std::string_view> ListpackAt(size_t i) const;

  // One HSCAN step over a hashtable: calls fn(field, value) for the buckets at `cursor` and
  // returns the next cursor (0 when done).
  template <typename Fn>
  uint64_t ScanStep(uint64_t cursor, Fn&& fn) const {
    return table().dict.Scan(cursor, [&](HashTable::Node* n) {
      fn(std::string_view(n->field), std::string_view(n->value));
    });
  }

  // debug.c xorObjectDigest, OBJ_HASH: for each pair, eledigest = mix(field) then mix(value),
  // XORed into `digest` (order-independent).
  void Digest(std::array<uint8_t, 20>& digest) const;

 protected:
  const HashTable& table() const { return v_->As<HashTable>(); }
  // The offsets of `field`'s entry in a listpack and of its value, and the end of the value.
  bool FindPacked(std::string_view field, size_t& at, size_t& value_at, size_t& end) const;

  const Value* v_;
};

class Hash : public HashView {
 public:
  explicit Hash(Value& v) : HashView(v) {}

  // A new, empty hash (listpack encoding).
  static Value NewValue() { return Value::Packed(ObjType::kHash, packed::kEmptyHeader); }
  // Bytes a new listpack holding these field/value pairs needs (a new key's inline room).
  template <typename Range>
  static size_t PackedSize(const Range& items) {
    size_t n = packed::kHeader;
    for (std::string_view s : items) n += packed::LengthSize(s.size()) + s.size();
    return n;
  }

  // hashTypeTryConversion: converts to hashtable if any of `items` is longer than the value
  // limit. Called before a write with every field and value it will store.
  template <typename Range>
  void TryConversion(const Range& items, const HashLimits& limits) {
    if (!mut().is_packed()) return;
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

 private:
  // The handle was made from a mutable Value.
  Value& mut() { return const_cast<Value&>(*v_); }
  HashTable& table() { return mut().As<HashTable>(); }
  void SetCount(size_t count);
};

}  // namespace tandem::storage
