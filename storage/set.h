// Set values (t_set.c) with Redis 7.0's two encodings (7.0 has no listpack sets):
//   intset     a sorted vector of int64, while every member is a canonical integer (string2ll)
//              and the set has <= set-max-intset-entries members; walks in ascending order;
//   hashtable  an unordered dict of strings otherwise. A set converts one way only.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "storage/dict.h"
#include "storage/value.h"

namespace tandem::storage {

class SetObject : public Object {
 public:
  SetObject() = default;
  ~SetObject() override;
  SetObject(const SetObject&) = delete;
  SetObject& operator=(const SetObject&) = delete;

  // setTypeCreate: an empty set whose encoding suits `first` (intset for a canonical integer).
  static std::unique_ptr<SetObject> CreateFor(std::string_view first);
  static Value Wrap(std::unique_ptr<SetObject> s) {
    Encoding e = s->encoding();
    return Value::Of(ObjType::kSet, e, std::move(s));
  }

  Encoding encoding() const { return intset_ ? Encoding::kIntset : Encoding::kHashtable; }
  size_t size() const { return intset_ ? ints_.size() : dict_.size(); }

  // setTypeAdd: true if added. `max_intset_entries` is set-max-intset-entries.
  bool Add(std::string_view member, size_t max_intset_entries);
  bool Remove(std::string_view member);
  bool Contains(std::string_view member) const;
  void ConvertToHashtable();

  // Visits every member in encoding order (ascending for intset).
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    if (intset_) {
      for (int64_t v : ints_) fn(std::string_view(std::to_string(v)));
    } else {
      dict_.ForEach([&](Node* n) { fn(std::string_view(n->member)); });
    }
  }

  // A random member; the set must not be empty.
  std::string Random(std::mt19937_64& rng);

  // One SSCAN step over a hashtable (see Dict::Scan).
  template <typename Fn>
  uint64_t ScanStep(uint64_t cursor, Fn&& fn) {
    return dict_.Scan(cursor, [&](Node* n) { fn(std::string_view(n->member)); });
  }

  std::unique_ptr<Object> Clone() const override;
  size_t MemoryUsage() const override;
  // debug.c xorObjectDigest, OBJ_SET: XORs SHA1(member) of every member into `digest`
  // (order-independent; intset members as their decimal strings).
  void Digest(std::array<uint8_t, 20>& digest) const override;
  void PrefetchMembers(std::span<const std::string_view> members) const override {
    if (!intset_) dict_.Prefetch(members, 1);  // a 40-byte node, a short member inline
  }

 private:
  struct Node {
    Node* next = nullptr;
    std::string member;
  };
  struct NodeKey {
    std::string_view operator()(const Node& n) const { return n.member; }
  };
  void InsertNode(std::string_view member);

  bool intset_ = true;
  std::vector<int64_t> ints_;  // intset, sorted ascending
  // hashtable. mutable: lookups and walks on a const object may step an ongoing rehash.
  mutable Dict<Node, NodeKey> dict_;
};

}  // namespace tandem::storage
