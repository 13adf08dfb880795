// The sorted set type (Redis's t_zset.c). Elements are (member, score) pairs ordered by score,
// then by member bytes (memcmp order, a shorter prefix first), with Redis 7.0's two encodings:
//
//  * "listpack": one packed byte buffer kept sorted (per element: varint member length, member
//    bytes, 8-byte score); O(n) walks and updates, which is cheap for the few entries the
//    encoding allows (zset-max-listpack-entries, zset-max-listpack-value).
//  * "skiplist": a skiplist whose levels carry spans, so a node's rank and the node at a rank
//    are found in O(log n), plus a member -> node hash table (storage/dict.h, the same
//    incrementally rehashed table as the keyspace, which also gives ZSCAN its cursor). The hash
//    table is intrusive: a skiplist node is its own hash entry.
//
// Conversion follows Redis 7.0: a listpack becomes a skiplist before an insert that would exceed
// either limit (zsetAdd); it never goes back, except where Redis builds a fresh result and picks
// the encoding by size (ZUNIONSTORE / ZINTERSTORE / ZDIFFSTORE, zsetConvertToListpackIfNeeded).
//
// Invariant kept by the command layer, not here: a zset stored in the keyspace is never empty.
// The Value's encoding is the zset's (OBJECT ENCODING): a conversion replaces the Value's content.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/dict.h"
#include "storage/packed.h"
#include "storage/value.h"

namespace tandem::storage {

// A score interval (zrangespec): min/max with exclusive flags.
struct ScoreRange {
  double min = 0;
  double max = 0;
  bool minex = false;
  bool maxex = false;
  bool GteMin(double v) const { return minex ? v > min : v >= min; }
  bool LteMax(double v) const { return maxex ? v < max : v <= max; }
};

// One end of a lexicographic interval (zlexrangespec): "-" / "+" are the infinities.
struct LexBound {
  enum class Kind : uint8_t { kMinusInf, kPlusInf, kValue };
  Kind kind = Kind::kValue;
  std::string value;
  bool ex = false;
  // sdscmplex: <0, 0, >0 comparing a member with this bound's value.
  int Compare(std::string_view member) const;
};

struct LexRange {
  LexBound min;
  LexBound max;
  bool GteMin(std::string_view m) const {
    int c = min.Compare(m);  // member vs min
    return min.ex ? c > 0 : c >= 0;
  }
  bool LteMax(std::string_view m) const {
    int c = max.Compare(m);
    return max.ex ? c < 0 : c <= 0;
  }
};

// The listpack limits of the server config, passed in by the command layer.
struct ZSetLimits {
  size_t max_entries = 128;
  size_t max_value = 64;
};

// A skiplist with spans (after Pugh, with Redis's changes: repeated scores, ordering by member
// on equal scores, a backward pointer on level 0). Nodes are owned by the skiplist.
class ZSkipList {
 public:
  static constexpr int kMaxLevel = 32;

  struct Node;
  struct Level {
    Node* forward;
    size_t span;  // number of level-0 steps this link jumps over
  };
  // One allocation per element: the node, its levels, then the member's bytes. Score and the
  // low levels share the first cache line, so a search step touches one line per node (the
  // member is read only when scores tie), and a member costs no std::string.
  struct Node {
    double score = 0;
    Node* backward = nullptr;
    Node* next = nullptr;  // hash-table chain (storage::Dict is intrusive)
    int height = 0;
    uint32_t member_len = 0;
    Level* levels() { return reinterpret_cast<Level*>(this + 1); }
    const Level* levels() const { return reinterpret_cast<const Level*>(this + 1); }
    Node* forward() const { return levels()[0].forward; }
    std::string_view member() const {
      return {reinterpret_cast<const char*>(levels() + height), member_len};
    }
  };

  ZSkipList();
  ~ZSkipList();
  ZSkipList(const ZSkipList&) = delete;
  ZSkipList& operator=(const ZSkipList&) = delete;

  size_t size() const { return length_; }
  Node* first() const { return header_->levels()[0].forward; }
  Node* last() const { return tail_; }

  // Inserts a member that is not present. Returns the new node.
  Node* Insert(double score, std::string_view member);
  // Unlinks the node (found by its score and member) without freeing it.
  void Unlink(Node* node);
  // Re-links an unlinked node (after its score changed).
  void Link(Node* node);
  // Gives a linked node a new score. When it keeps its position (between its neighbours' scores)
  // only the score changes, with no search at all (zslUpdateScore searches first); otherwise it
  // is unlinked and linked again.
  void UpdateScore(Node* node, double score);
  static void FreeNode(Node* node);

  // 1-based rank of the node with this score and member, 0 if absent.
  size_t Rank(double score, std::string_view member) const;
  // The node at 1-based `rank`, or nullptr.
  Node* ByRank(size_t rank) const;
  // Number of leading nodes for which before(node) holds (before must be monotonic: true then
  // false along the list).
  template <typename Pred>
  size_t CountWhile(Pred&& before) const {
    const Node* x = header_;
    size_t rank = 0;
    for (int i = level_ - 1; i >= 0; --i) {
      while (x->levels()[i].forward && before(*x->levels()[i].forward)) {
        rank += x->levels()[i].span;
        x = x->levels()[i].forward;
      }
    }
    return rank;
  }
  // Unlinks the nodes of 1-based ranks [start, end] and hands each to `fn` (which owns it).
  template <typename Fn>
  void RemoveRanks(size_t start, size_t end, Fn&& fn) {
    Node* update[kMaxLevel];
    Node* x = header_;
    size_t traversed = 0;
    for (int i = level_ - 1; i >= 0; --i) {
      while (x->levels()[i].forward && traversed + x->levels()[i].span < start) {
        traversed += x->levels()[i].span;
        x = x->levels()[i].forward;
      }
      update[i] = x;
    }
    ++traversed;
    x = x->levels()[0].forward;
    while (x && traversed <= end) {
      Node* next = x->levels()[0].forward;
      UnlinkWith(x, update);
      fn(x);
      ++traversed;
      x = next;
    }
  }

  // Checks spans, order and back pointers (tests).
  bool Valid() const;

 private:
  static Node* NewNode(int height, double score, std::string_view member);
  static int RandomLevel();
  void UnlinkWith(Node* x, Node** update);
  // The update[] vector of nodes preceding (score, member) on each level.
  void FindUpdate(double score, std::string_view member, Node** update, size_t* rank) const;

  Node* header_;
  Node* tail_ = nullptr;
  size_t length_ = 0;
  int level_ = 1;
};

// The listpack encoding: elements packed in the zset Value's own bytes (Value::Packed, inline in
// the key's entry when the key is created), sorted by (score, member), after a 2-byte element
// count (storage/packed.h). Per element: the member as a varint length and its bytes, then the
// score in as few bytes as keep it exact, as a listpack stores integers compactly:
//   tag 0x00 + 8-byte double, tag 0x01 + 4-byte float (a double a float holds exactly, 1.5),
//   tag 0x02 + zigzag varint (an integer of magnitude below 2^53), tag 0x03-0xFF: the integer
//   tag - 3 (0 to 252) in the tag byte alone.
// A handle over the Value; one exact reallocation per insert, as a listpack reallocs.
class PackedZList {
 public:
  explicit PackedZList(const Value& v) : v_(&v) {}
  size_t size() const;
  // The element at byte offset `pos`; advances pos past it.
  static std::pair<std::string_view, double> Next(std::string_view buf, size_t& pos);
  // Bytes an element takes.
  static size_t ElementSize(std::string_view member, double score);
  std::pair<std::string_view, double> At(size_t i) const;
  size_t OffsetOf(size_t i) const;  // byte offset of element i (size() gives the end)
  std::string_view bytes() const { return v_->str(); }
  void InsertAt(size_t i, std::string_view member, double score);
  void EraseRange(size_t first, size_t end);  // elements [first, end)

 private:
  Value& mut() { return const_cast<Value&>(*v_); }  // writes come through a mutable ZSet
  void SetCount(size_t count);
  const Value* v_;
};

// The skiplist encoding.
class ZSetSkiplist : public Object {
 public:
  struct NodeKey {
    std::string_view operator()(const ZSkipList::Node& n) const { return n.member(); }
  };
  using MemberDict = Dict<ZSkipList::Node, NodeKey>;

  ZSetSkiplist() = default;
  ~ZSetSkiplist() override;  // the dict only links the nodes; the skiplist frees them
  ZSetSkiplist(const ZSetSkiplist&) = delete;
  ZSetSkiplist& operator=(const ZSetSkiplist&) = delete;

  std::unique_ptr<Object> Clone() const override;
  size_t MemoryUsage() const override;
  void Digest(std::array<uint8_t, 20>& digest) const override;
  // Two lines: the node's header and first levels, then (for short ones) the member's bytes.
  void PrefetchMembers(std::span<const std::string_view> members) const override {
    dict.Prefetch(members, 2);
  }

  ZSkipList zsl;
  // The hash table is not logically part of the value's state: lookups may advance its
  // incremental rehash, hence mutable.
  mutable MemberDict dict;
};

// A handle over a sorted-set Value of either encoding, valid while the Value stays where it is.
// A conversion replaces the Value's content and the handle follows it. ZSet::Read gives a const
// handle over a const Value.
class ZSet {
 public:
  // A view of one element; `member` points into the zset and is valid until it changes.
  struct Item {
    std::string_view member;
    double score;
  };

  explicit ZSet(Value& v) : v_(&v) {}
  static const ZSet Read(const Value& v) { return ZSet(const_cast<Value&>(v)); }

  // A new, empty zset value with the given encoding (kListpack or kSkiplist).
  static Value NewValue(Encoding encoding);
  // The encoding Redis 7.0's ZADD gives a new key (zaddGenericCommand): skiplist when listpacks
  // are disabled or the first member is too long, listpack otherwise.
  static Encoding EncodingForNew(const ZSetLimits& limits, size_t first_member_len);

  Encoding encoding() const { return v_->encoding; }
  size_t size() const;
  bool empty() const { return size() == 0; }

  std::optional<double> Score(std::string_view member) const;
  // Adds a member that is not present; a listpack first becomes a skiplist if this insert would
  // exceed the limits (zsetAdd).
  void Insert(std::string_view member, double score, const ZSetLimits& limits);
  // Changes the score of a present member.
  void UpdateScore(std::string_view member, double score);
  // Removes a member; false if absent.
  bool Erase(std::string_view member);

  // 0-based rank in ascending order, or nullopt.
  std::optional<size_t> Rank(std::string_view member) const;
  // The element at 0-based ascending rank (< size()).
  Item At(size_t rank) const;
  // Number of elements with score < bound (or <= bound when `inclusive`).
  size_t CountScoreBelow(double bound, bool inclusive) const;
  // Number of elements whose member is below the bound (or <= it when `inclusive`); meaningful
  // when all scores are equal, as Redis's lex commands assume.
  size_t CountLexBelow(const LexBound& bound, bool inclusive) const;
  // Ascending ranks [first, end) of a score / lex range (first >= end: empty).
  std::pair<size_t, size_t> RanksOf(const ScoreRange& r) const;
  std::pair<size_t, size_t> RanksOf(const LexRange& r) const;

  // Calls fn(member, score) from ascending rank `rank` going up (or down when `reverse`) while
  // fn returns true.
  template <typename Fn>
  void Walk(size_t rank, bool reverse, Fn&& fn) const {
    if (rank >= size()) return;
    if (is_packed()) {
      const PackedZList lp = list();
      const std::string_view buf = lp.bytes();
      if (reverse) {
        // No backward links in the packed form: note the offsets up to `rank`, then go down.
        std::vector<size_t> offsets;
        offsets.reserve(rank + 1);
        size_t pos = packed::kHeader;
        for (size_t i = 0; i <= rank; ++i) {
          offsets.push_back(pos);
          PackedZList::Next(buf, pos);
        }
        for (size_t i = rank + 1; i-- > 0;) {
          size_t at = offsets[i];
          auto [m, s] = PackedZList::Next(buf, at);
          if (!fn(m, s)) return;
        }
      } else {
        size_t pos = lp.OffsetOf(rank);
        while (pos < buf.size()) {
          auto [m, s] = PackedZList::Next(buf, pos);
          if (!fn(m, s)) return;
        }
      }
      return;
    }
    for (const ZSkipList::Node* n = skip().zsl.ByRank(rank + 1); n != nullptr;
         n = reverse ? n->backward : n->forward()) {
      if (!fn(n->member(), n->score)) return;
    }
  }
  // Listpack only: fn(member, score) in ascending order while it returns true.
  template <typename Fn>
  void ForEachWhile(Fn&& fn) const {
    const std::string_view buf = v_->str();
    size_t pos = packed::kHeader;
    while (pos < buf.size()) {
      auto [m, s] = PackedZList::Next(buf, pos);
      if (!fn(m, s)) return;
    }
  }
  // Every element in ascending order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    Walk(0, false, [&](std::string_view m, double s) {
      fn(m, s);
      return true;
    });
  }

  // Removes the elements of ascending ranks [first, end). Returns how many.
  size_t EraseRanks(size_t first, size_t end);
  // Removes and returns the lowest (or highest) element. Requires a non-empty zset.
  std::pair<std::string, double> Pop(bool max);

  // ZSCAN over the skiplist encoding's hash table (reverse-binary cursor); fn(member, score).
  // A listpack is returned whole with cursor 0, as Redis does.
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, Fn&& fn) const {
    if (is_packed()) {
      ForEach(fn);
      return 0;
    }
    return skip().dict.Scan(cursor, [&](ZSkipList::Node* n) { fn(n->member(), n->score); });
  }
  // A uniformly chosen element (roughly, for the skiplist's hash table). Requires non-empty.
  template <typename Rng>
  Item Random(Rng& rng) const {
    if (is_packed()) {
      auto [m, s] = list().At(static_cast<size_t>(rng()) % size());
      return {m, s};
    }
    const ZSkipList::Node* n = skip().dict.Random(rng);
    return {n->member(), n->score};
  }

  void ConvertToSkiplist();
  void ConvertToListpack();
  // zsetConvertToListpackIfNeeded: a fresh result goes back to listpack when it fits.
  void ConvertToListpackIfFits(const ZSetLimits& limits);

  // debug.c xorObjectDigest for OBJ_ZSET: per element, a zeroed 20-byte digest mixed with the
  // member bytes and then with the score printed "%.17g", XORed into `digest` (order-free).
  void Digest(std::array<uint8_t, 20>& digest) const;

 private:
  bool is_packed() const { return v_->is_packed(); }
  PackedZList list() const { return PackedZList(*v_); }
  ZSetSkiplist& skip() const { return v_->As<ZSetSkiplist>(); }
  // Listpack helpers: index of the first element not ordered before (score, member).
  size_t LpLowerBound(double score, std::string_view member) const;
  size_t LpFind(std::string_view member) const;  // size() when absent

  Value* v_;
};

// Formats a score as Redis stores and prints it ("%.17g", "inf", "-inf").
std::string FormatScore(double score);

}  // namespace tandem::storage
