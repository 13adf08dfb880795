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
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "storage/digest.h"
#include "storage/value.h"

namespace tandem::storage {

// One list element: a pointer to one heap block holding the length (4 bytes) and the bytes. The
// deque holds 8 bytes per element instead of a 32-byte std::string whose bytes (beyond 15) had a
// block of their own anyway: a 100-byte element costs ~113 bytes instead of 137 (Redis's
// quicklist: 104). Reads as a std::string_view.
class ListItem {
 public:
  explicit ListItem(std::string_view s) {
    const auto n = static_cast<uint32_t>(s.size());
    p_ = static_cast<char*>(::operator new(sizeof(n) + s.size()));
    std::memcpy(p_, &n, sizeof(n));
    if (!s.empty()) std::memcpy(p_ + sizeof(n), s.data(), s.size());
  }
  ListItem(const ListItem& o) : ListItem(o.view()) {}
  ListItem(ListItem&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  ListItem& operator=(const ListItem& o) {
    if (this != &o) *this = ListItem(o.view());
    return *this;
  }
  ListItem& operator=(ListItem&& o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~ListItem() { ::operator delete(p_); }

  std::string_view view() const {
    if (p_ == nullptr) return {};  // only a moved-from item
    uint32_t n = 0;
    std::memcpy(&n, p_, sizeof(n));
    return {p_ + sizeof(n), n};
  }
  operator std::string_view() const { return view(); }  // NOLINT: reads as its bytes
  size_t size() const { return view().size(); }
  bool operator==(std::string_view o) const { return view() == o; }

 private:
  char* p_ = nullptr;
};

class ListObject : public Object {
 public:
  using Container = std::deque<ListItem>;

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
  const ListItem* Index(int64_t index) const;
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
