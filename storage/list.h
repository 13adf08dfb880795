// The list type (Redis's t_list.c over a quicklist). Elements are byte strings kept in a deque:
// O(1) push and pop at both ends and O(1) access by index; insertion and removal in the middle
// are O(n), as Redis's LINSERT / LREM are.
//
// Redis 7.0 stores every list as a quicklist (OBJECT ENCODING "quicklist" at any size), so a
// list value always carries Encoding::kQuicklist. Redis keeps integer-looking elements as
// integers inside its listpack nodes, but only canonical ones (string2ll), so reading them back
// yields the same bytes: storing the bytes is observably identical.
//
// Invariant kept by the command layer, not here: a list stored in the keyspace is never empty
// (a command that empties it deletes the key).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include "storage/digest.h"
#include "storage/value.h"

namespace tandem::storage {

class ListObject : public Object {
 public:
  using Container = std::deque<std::string>;

  ListObject() = default;

  // A new, empty list value (type list, encoding quicklist).
  static Value NewValue();

  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }

  void PushFront(std::string_view v) { items_.emplace_front(v); }
  void PushBack(std::string_view v) { items_.emplace_back(v); }
  // Both require a non-empty list.
  std::string PopFront();
  std::string PopBack();

  // Redis index semantics: 0 is the head, -1 the tail. Returns nullptr when out of range.
  const std::string* Index(int64_t index) const;
  // Replaces the element at `index` (same semantics); false when out of range.
  bool Set(int64_t index, std::string_view v);

  // Inserts `v` before position `pos` (0..size()).
  void InsertAt(size_t pos, std::string_view v);
  // Removes `count` elements starting at position `pos` (clamped to the list).
  void EraseRange(size_t pos, size_t count);

  // Direct access for the command layer (ranges, LREM, LPOS iterate in both directions).
  const Container& items() const { return items_; }
  Container& items() { return items_; }

  // Object
  std::unique_ptr<Object> Clone() const override;
  size_t MemoryUsage() const override;
  // debug.c xorObjectDigest for OBJ_LIST: mixDigest of each element's bytes, head to tail.
  void Digest(std::array<uint8_t, 20>& digest) const override;

 private:
  Container items_;
};

}  // namespace tandem::storage
