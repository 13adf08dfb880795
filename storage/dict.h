// A chained hash table with incremental rehashing, after Redis's dict.c: growth allocates the new
// table and then moves a few buckets per operation (and per cron tick), so a table of ten million
// keys never stalls the loop on a resize. Scan() walks buckets with a reverse-binary cursor, which
// returns every element present for the whole scan at least once even while the table grows or
// shrinks in between calls.
//
// The table is intrusive: Node must have `Node* next` and the KeyOf functor gives a node's key.
// The dict does not own nodes; callers allocate and free them (Erase returns the unlinked node).
#pragma once

#include <bits/functional_hash.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>
#include <utility>

namespace tandem::storage {

inline uint64_t HashBytes(std::string_view s, uint64_t seed) {
  return std::_Hash_bytes(s.data(), s.size(), static_cast<size_t>(seed));
}

// Hash seed set once at start-up from a random source (hash flooding resistance).
uint64_t& DictHashSeed();

// Bucket arrays. Large ones (>= kMmapTableBytes) are mapped directly, so the kernel hands them
// out zeroed without a memset, and they are given back piecewise: unmapping a 128 MB table in one
// call takes ~13 ms, which would stall the loop at the end of a rehash. FreeTable queues a large
// array; ReleaseTables unmaps at most `max_bytes` of the queue per call (called per dict write and
// from cron). Not thread-safe, like everything on the loop.
inline constexpr size_t kMmapTableBytes = size_t{1} << 20;
void* AllocTable(size_t bytes);
void FreeTable(void* p, size_t bytes);
size_t ReleaseTables(size_t max_bytes);
size_t PendingTableBytes();

// A node type may carry `uint32_t hash_tag`: the dict then stores the low 32 bits of the key's
// hash there, compares it before touching the key's bytes (a cache miss saved per non-matching
// chain entry) and rehashes without re-reading keys (bucket = tag & mask while tables have at
// most 2^32 buckets).
template <typename Node>
concept TaggedNode = requires(Node& n) {
  n.hash_tag;
};

template <typename Node, typename KeyOf>
class Dict {
 public:
  Dict() = default;
  Dict(const Dict&) = delete;
  Dict& operator=(const Dict&) = delete;
  ~Dict() {
    FreeTable(t_[0].buckets, t_[0].size * sizeof(Node*));
    FreeTable(t_[1].buckets, t_[1].size * sizeof(Node*));
  }

  size_t size() const { return t_[0].used + t_[1].used; }
  bool rehashing() const { return rehash_idx_ >= 0; }
  size_t bucket_count() const { return t_[0].size + t_[1].size; }

  Node* Find(std::string_view key) {
    if (size() == 0) return nullptr;
    if (rehashing()) RehashStep(1);
    uint64_t h = Hash(key);
    for (int t = 0; t <= 1; ++t) {
      if (t_[t].size == 0) continue;
      for (Node* n = t_[t].buckets[h & t_[t].mask()]; n; n = n->next) {
        if (TagMatches(*n, h) && KeyOf()(*n) == key) return n;
      }
      if (!rehashing()) break;
    }
    return nullptr;
  }

  // Starts the cache misses of looking up `keys` (up to kMaxPrefetch, a pipelined batch about to
  // run) so that they overlap instead of running one after another: every key's bucket first,
  // then the node at the head of each bucket's chain, `node_lines` cache lines of it. Changes
  // nothing; a wrong guess costs a few cycles.
  static constexpr size_t kMaxPrefetch = 16;
  void Prefetch(std::span<const std::string_view> keys, int node_lines) const {
    if (size() == 0) return;
    uint64_t hashes[kMaxPrefetch];
    size_t n = std::min(keys.size(), kMaxPrefetch);
    int tables = rehashing() ? 2 : 1;
    for (size_t i = 0; i < n; ++i) {
      hashes[i] = Hash(keys[i]);
      for (int t = 0; t < tables; ++t) {
        if (t_[t].size) __builtin_prefetch(&t_[t].buckets[hashes[i] & t_[t].mask()]);
      }
    }
    for (size_t i = 0; i < n; ++i) {
      for (int t = 0; t < tables; ++t) {
        if (t_[t].size == 0) continue;
        const char* head = reinterpret_cast<const char*>(t_[t].buckets[hashes[i] & t_[t].mask()]);
        if (head == nullptr) continue;
        for (int line = 0; line < node_lines; ++line) __builtin_prefetch(head + 64 * line);
      }
    }
  }

  // Links a node whose key is not present (the caller checked with Find).
  void Insert(Node* node) {
    if (rehashing()) RehashStep(1);
    ReleaseTables(kReleasePerWrite);
    ExpandIfNeeded();
    Table& t = rehashing() ? t_[1] : t_[0];
    uint64_t h = Hash(KeyOf()(*node));
    SetTag(*node, h);
    size_t b = h & t.mask();
    node->next = t.buckets[b];
    t.buckets[b] = node;
    ++t.used;
  }

  // Unlinks and returns the node with `key`, or nullptr.
  Node* Erase(std::string_view key) {
    if (size() == 0) return nullptr;
    if (rehashing()) RehashStep(1);
    uint64_t h = Hash(key);
    for (int t = 0; t <= 1; ++t) {
      if (t_[t].size == 0) continue;
      Node** link = &t_[t].buckets[h & t_[t].mask()];
      while (*link) {
        Node* n = *link;
        if (TagMatches(*n, h) && KeyOf()(*n) == key) {
          *link = n->next;
          n->next = nullptr;
          --t_[t].used;
          return n;
        }
        link = &n->next;
      }
      if (!rehashing()) break;
    }
    return nullptr;
  }

  // Moves up to `n` buckets to the new table (visiting at most 10*n empty ones). Returns true if
  // there is more rehashing to do.
  bool RehashStep(int n) {
    if (!rehashing()) return false;
    int empty_visits = n * 10;
    while (n-- && t_[0].used != 0) {
      while (t_[0].buckets[rehash_idx_] == nullptr) {
        ++rehash_idx_;
        if (--empty_visits == 0) return true;
      }
      Node* e = t_[0].buckets[rehash_idx_];
      while (e) {
        Node* next = e->next;
        size_t b = RehashIndex(*e) & t_[1].mask();
        e->next = t_[1].buckets[b];
        t_[1].buckets[b] = e;
        --t_[0].used;
        ++t_[1].used;
        e = next;
      }
      t_[0].buckets[rehash_idx_] = nullptr;
      ++rehash_idx_;
    }
    if (t_[0].used == 0) {
      FreeTable(t_[0].buckets, t_[0].size * sizeof(Node*));
      t_[0] = t_[1];
      t_[1] = Table{};
      rehash_idx_ = -1;
      return false;
    }
    return true;
  }

  // Shrinks the table when it is less than 10% full (called from cron, like htNeedsResize).
  // Sizes an empty table for `n` entries at once (RDB RESIZEDB, dictExpand): a load of N keys then
  // never rehashes. Does nothing once the table holds entries.
  void Reserve(size_t n) {
    if (t_[0].used != 0 || rehashing() || n == 0) return;
    if (t_[0].size != 0) {
      FreeTable(t_[0].buckets, t_[0].size * sizeof(Node*));
      t_[0] = Table{};
    }
    Resize(n);
  }

  void ShrinkIfSparse() {
    if (rehashing() || t_[0].size <= kInitialSize) return;
    if (t_[0].used * 100 / t_[0].size >= 10) return;
    Resize(t_[0].used);
  }

  // Calls fn(node) for each node in the bucket(s) at `cursor`; returns the next cursor, 0 when
  // the scan is complete. fn must not modify the dict.
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, Fn&& fn) {
    if (size() == 0) return 0;
    uint64_t v = cursor;
    if (!rehashing()) {
      uint64_t m0 = t_[0].mask();
      for (Node* n = t_[0].buckets[v & m0]; n; n = n->next) fn(n);
      v |= ~m0;
      v = Rev(v);
      ++v;
      v = Rev(v);
    } else {
      const Table* small = &t_[0];
      const Table* large = &t_[1];
      if (small->size > large->size) std::swap(small, large);
      uint64_t m0 = small->mask();
      uint64_t m1 = large->mask();
      for (Node* n = small->buckets[v & m0]; n; n = n->next) fn(n);
      // Then every bucket of the larger table that expands the smaller table's bucket.
      do {
        for (Node* n = large->buckets[v & m1]; n; n = n->next) fn(n);
        v |= ~m1;
        v = Rev(v);
        ++v;
        v = Rev(v);
      } while (v & (m0 ^ m1));
    }
    return v;
  }

  // Visits every node; fn must not modify the dict.
  template <typename Fn>
  void ForEach(Fn&& fn) {
    for (int t = 0; t <= 1; ++t) {
      for (size_t b = 0; b < t_[t].size; ++b) {
        for (Node* n = t_[t].buckets[b]; n;) {
          Node* next = n->next;
          fn(n);
          n = next;
        }
      }
    }
  }

  // A random node (roughly uniform: random bucket, then random element of its chain), or null.
  template <typename Rng>
  Node* Random(Rng& rng) {
    if (size() == 0) return nullptr;
    if (rehashing()) RehashStep(1);
    Node* head = nullptr;
    for (int tries = 0; !head; ++tries) {
      if (rehashing()) {
        size_t total = t_[0].size + t_[1].size;
        size_t i = static_cast<size_t>(rng()) % total;
        head = i < t_[0].size ? t_[0].buckets[i] : t_[1].buckets[i - t_[0].size];
      } else {
        head = t_[0].buckets[static_cast<size_t>(rng()) & t_[0].mask()];
      }
      (void)tries;
    }
    size_t len = 0;
    for (Node* n = head; n; n = n->next) ++len;
    size_t pick = static_cast<size_t>(rng()) % len;
    while (pick--) head = head->next;
    return head;
  }

  // Unlinks every node, calling fn(node) on each so the owner can free it.
  template <typename Fn>
  void Clear(Fn&& free_node) {
    ForEach(free_node);
    FreeTable(t_[0].buckets, t_[0].size * sizeof(Node*));
    FreeTable(t_[1].buckets, t_[1].size * sizeof(Node*));
    t_[0] = Table{};
    t_[1] = Table{};
    rehash_idx_ = -1;
  }

  // Exchanges contents with another dict (SWAPDB, FLUSHALL ASYNC).
  void Swap(Dict& o) {
    std::swap(t_, o.t_);
    std::swap(rehash_idx_, o.rehash_idx_);
  }

  size_t MemoryOverhead() const { return (t_[0].size + t_[1].size) * sizeof(Node*); }

 private:
  static constexpr size_t kInitialSize = 4;
  static constexpr size_t kReleasePerWrite = 64 * 1024;  // ~16 pages: tens of microseconds

  struct Table {
    Node** buckets = nullptr;
    size_t size = 0;
    size_t used = 0;
    size_t mask() const { return size - 1; }
  };

  static uint64_t Hash(std::string_view key) { return HashBytes(key, DictHashSeed()); }

  static bool TagMatches(const Node& n, uint64_t h) {
    if constexpr (TaggedNode<Node>) {
      return n.hash_tag == static_cast<uint32_t>(h);
    } else {
      return true;
    }
  }
  static void SetTag(Node& n, uint64_t h) {
    if constexpr (TaggedNode<Node>) n.hash_tag = static_cast<uint32_t>(h);
  }
  // The bucket index source when moving a node to the larger table.
  uint64_t RehashIndex(const Node& n) const {
    if constexpr (TaggedNode<Node>) {
      if (t_[1].mask() <= 0xFFFFFFFFull) return n.hash_tag;
    }
    return Hash(KeyOf()(n));
  }

  static uint64_t Rev(uint64_t v) {
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
    v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
    v = ((v >> 8) & 0x00FF00FF00FF00FFULL) | ((v & 0x00FF00FF00FF00FFULL) << 8);
    v = ((v >> 16) & 0x0000FFFF0000FFFFULL) | ((v & 0x0000FFFF0000FFFFULL) << 16);
    return (v >> 32) | (v << 32);
  }

  void ExpandIfNeeded() {
    if (rehashing()) return;
    if (t_[0].size == 0) {
      Resize(kInitialSize);
    } else if (t_[0].used >= t_[0].size) {
      Resize(t_[0].used + 1);
    }
  }

  // Starts a rehash into a table of the next power of two >= n (or installs the first table).
  void Resize(size_t n) {
    size_t size = kInitialSize;
    while (size < n) size *= 2;
    if (size == t_[0].size) return;
    auto* buckets = static_cast<Node**>(AllocTable(size * sizeof(Node*)));
    if (t_[0].size == 0) {
      t_[0] = Table{buckets, size, 0};
      return;
    }
    t_[1] = Table{buckets, size, 0};
    rehash_idx_ = 0;
  }

  Table t_[2];
  int64_t rehash_idx_ = -1;
};

}  // namespace tandem::storage
