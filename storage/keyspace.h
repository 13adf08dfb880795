// The keyspace: `databases` numbered dbs of key -> value with millisecond expiry.
//
// Expiry contract: a key whose expire time is <= now is logically absent. Lookup() on a master
// deletes it on access (lazy expiry) and reports it through the expired hook so the server can
// propagate a DEL and fire notifications; ActiveExpireCycle() samples keys with a TTL and deletes
// expired ones within a time budget, adapting like Redis's activeExpireCycle (keep going while
// more than 25% of a sample was expired). Time comes from an injected clock so tests control it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/dict.h"
#include "storage/value.h"

namespace tandem::storage {

// Milliseconds since the epoch. The server caches one value per command (Redis's
// commandTimeSnapshot) so a key cannot expire half way through a command.
using Clock = std::function<int64_t()>;
int64_t SystemClockMs();

// One key: 40 bytes, followed in the same allocation by the key's bytes and, for a string value,
// the value's bytes (Db allocates sizeof(Entry) + key length + string length; FreeEntry releases
// it). A 100-byte string under a 10-byte key is therefore one ~160-byte allocation, against
// Redis's dictEntry, robj, key sds and value sds.
struct Entry {
  static constexpr uint32_t kNoExpire = UINT32_MAX;

  Entry* next = nullptr;
  uint32_t hash_tag = 0;  // low 32 bits of the key's hash, kept by the dict
  uint32_t key_len = 0;
  // The key's slot in Db's table of keys with a TTL, which holds the expire time (Db::ExpireOf),
  // or kNoExpire: a persistent key spends no bytes on an expire time, as Redis keeps expires in
  // a dict of their own.
  uint32_t expire_slot = kNoExpire;
  // Redis's robj.lru: the last access in seconds (OBJECT IDLETIME, LRU eviction), or under an LFU
  // policy the minute of the last decrement in the high 16 bits (lfu-decay-time) and the
  // logarithmic access counter in the low 8.
  uint32_t access = 0;
  Value value;  // last: an inline string's bytes follow the key, right after the struct

  std::string_view key() const { return {reinterpret_cast<const char*>(this + 1), key_len}; }

  uint32_t lru_seconds() const { return access; }
  void set_lru_seconds(uint32_t s) { access = s; }
  uint16_t lfu_minutes() const { return static_cast<uint16_t>(access >> 8); }
  uint8_t lfu_counter() const { return static_cast<uint8_t>(access & 0xFF); }
  void set_lfu(uint16_t minutes, uint8_t counter) {
    access = (static_cast<uint32_t>(minutes) << 8) | counter;
  }
  // objectSetLRUOrLFU for a key just added (RESTORE, RDB load), whose `access` is fresh: under an
  // LFU policy a given frequency (>= 0) replaces the counter, otherwise a given idle time (>= 0,
  // seconds) moves the last access back.
  void RestoreAccess(bool lfu, int64_t freq, int64_t idle) {
    if (lfu) {
      if (freq >= 0) set_lfu(lfu_minutes(), static_cast<uint8_t>(freq));
    } else if (idle >= 0) {
      access -= static_cast<uint32_t>(std::min<int64_t>(idle, access));
    }
  }
};
static_assert(sizeof(Entry) == 24 + sizeof(Value), "Value must end the Entry, with no padding");

inline constexpr uint8_t kLfuInitVal = 5;  // LFU_INIT_VAL
// Strings up to this size are stored in their entry's allocation; larger ones keep their own.
inline constexpr size_t kInlineStringLimit = 4096;

struct EntryKey {
  std::string_view operator()(const Entry& e) const { return e.key(); }
};

class Db {
 public:
  // Called for every key created in this db (the "new" keyspace event), after it is inserted.
  using NewKeyHook = std::function<void(Db&, std::string_view key)>;
  explicit Db(int index) : index_(index) {}
  void set_new_key_hook(const NewKeyHook* hook) { new_key_hook_ = hook; }
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  int index() const { return index_; }
  size_t size() const { return dict_.size(); }
  size_t expires_count() const { return expiring_.size(); }

  // The entry for `key` ignoring expiry (used by the expiry logic itself and by replicas).
  Entry* FindRaw(std::string_view key) { return dict_.Find(key); }

  // Warms the cache for a pipelined batch's keys before it runs (Dict::Prefetch): three lines
  // of each entry, which cover a 100-byte string stored inline under a short key.
  static constexpr size_t kMaxPrefetch = Dict<Entry, EntryKey>::kMaxPrefetch;
  void Prefetch(std::span<const std::string_view> keys) const { dict_.Prefetch(keys, 3); }

  // Inserts or overwrites; the expire time is reset to none unless keep_ttl. Returns the entry.
  // An overwrite keeps the entry (callers' Entry pointers stay valid); a string that fits the
  // entry's inline room is stored there.
  Entry* Set(std::string_view key, Value value, bool keep_ttl = false);
  // The same for a string value given as bytes (SET, MSET): no intermediate Value.
  Entry* SetString(std::string_view key, std::string_view s, Encoding enc, bool keep_ttl = false);
  // SetString for a key the caller has just found (`e`, from a lookup in this db): no second
  // lookup.
  Entry* OverwriteString(Entry* e, std::string_view s, Encoding enc, bool keep_ttl = false);
  // Adds a new key (must not exist).
  Entry* Add(std::string_view key, Value value);
  // A string, or a packed aggregate's bytes under its type (Value::Packed), in the entry itself,
  // with room for at least `reserve` bytes (a packed aggregate about to grow).
  Entry* AddString(std::string_view key, std::string_view s, Encoding enc,
                   ObjType type = ObjType::kString, size_t reserve = 0);

  // Under an LFU maxmemory-policy a new key starts with LFU_INIT_VAL in Entry::access and an
  // overwrite keeps the counter (dbOverwrite); otherwise `access` holds the last access second.
  void set_lfu(bool on) { lfu_ = on; }
  bool lfu() const { return lfu_; }
  bool Delete(std::string_view key);
  void SetExpire(Entry* e, int64_t when_ms);
  bool HasExpire(const Entry* e) const { return e->expire_slot != Entry::kNoExpire; }
  // The key's absolute expire time in unix ms, or -1 when it has none.
  int64_t ExpireOf(const Entry* e) const {
    return HasExpire(e) ? expiring_[e->expire_slot].when_ms : -1;
  }
  bool Persist(Entry* e);  // true if a TTL was removed
  void Clear();
  void SwapContents(Db& other);

  template <typename Fn>
  uint64_t Scan(uint64_t cursor, Fn&& fn) {
    return dict_.Scan(cursor, std::forward<Fn>(fn));
  }
  template <typename Fn>
  void ForEach(Fn&& fn) {
    dict_.ForEach(std::forward<Fn>(fn));
  }
  template <typename Rng>
  Entry* RandomEntry(Rng& rng) {
    return dict_.Random(rng);
  }
  template <typename Rng>
  Entry* RandomExpiring(Rng& rng) {
    if (expiring_.empty()) return nullptr;
    return expiring_[static_cast<size_t>(rng()) % expiring_.size()].entry;
  }

  bool RehashStep(int n) { return dict_.RehashStep(n); }
  // Pre-sizes an empty db for `n` keys (RDB RESIZEDB).
  void Reserve(size_t n) { dict_.Reserve(n); }
  void ShrinkIfSparse() { dict_.ShrinkIfSparse(); }
  size_t bucket_count() const { return dict_.bucket_count(); }

  // Average TTL bookkeeping for INFO keyspace (avg_ttl), updated by the active expire cycle.
  int64_t avg_ttl = 0;

 private:
  void Unindex(Entry* e);
  // A new key whose value keeps its own allocation (an Object, or bytes beyond the inline limit).
  Entry* AddOutOfLine(std::string_view key, Value value);
  // An existing key got a new value: its LRU clock (dbOverwrite keeps the LFU counter) and,
  // unless keep_ttl, its TTL.
  void Overwritten(Entry* e, bool keep_ttl);
  // An entry with the key's bytes and `room` bytes after them.
  static Entry* NewEntry(std::string_view key, size_t room);
  Entry* Insert(Entry* e);
  uint32_t FreshAccess() const;
  static void FreeEntry(Entry* e) {
    e->~Entry();
    ::operator delete(e);
  }

  int index_;
  bool lfu_ = false;
  const NewKeyHook* new_key_hook_ = nullptr;  // owned by the Keyspace
  Dict<Entry, EntryKey> dict_;
  struct Expiring {
    Entry* entry;
    int64_t when_ms;  // absolute unix time in ms
  };
  std::vector<Expiring> expiring_;  // keys with a TTL, for O(1) random sampling and removal
};

class Keyspace {
 public:
  // Called for every key deleted because it expired (lazy or active), before it is freed.
  using ExpiredHook = std::function<void(Db&, std::string_view key)>;

  Keyspace(int databases, Clock clock);

  int databases() const { return static_cast<int>(dbs_.size()); }
  Db& db(int i) { return *dbs_[static_cast<size_t>(i)]; }
  int64_t Now() const { return clock_(); }

  void set_expired_hook(ExpiredHook h) { expired_hook_ = std::move(h); }
  void set_new_key_hook(Db::NewKeyHook h) {
    new_key_hook_ = std::move(h);
    for (auto& db : dbs_) db->set_new_key_hook(new_key_hook_ ? &new_key_hook_ : nullptr);
  }
  void set_lfu(bool on) {
    for (auto& db : dbs_) db->set_lfu(on);
  }
  // Replicas keep logically expired keys (the master sends the DEL) but hide them from reads.
  void set_lazy_expire_deletes(bool on) { lazy_expire_deletes_ = on; }

  // The live entry for `key` at time `now`: an expired key is deleted (on a master) and reported
  // absent either way.
  Entry* Lookup(Db& db, std::string_view key, int64_t now);

  // One run of active expiry over all dbs for at most `budget_us` microseconds. Returns the
  // number of keys deleted.
  size_t ActiveExpireCycle(int64_t now, int64_t budget_us);

  // Incremental rehash for up to ~1 ms per cron tick (activerehashing).
  void RehashCron(int64_t budget_us);

  size_t TotalKeys() const;
  uint64_t expired_keys = 0;  // INFO stats expired_keys
  uint64_t expired_stale_perc = 0;

  std::mt19937_64& random() { return rng_; }

 private:
  void ExpireEntry(Db& db, Entry* e);

  std::vector<std::unique_ptr<Db>> dbs_;
  Clock clock_;
  ExpiredHook expired_hook_;
  Db::NewKeyHook new_key_hook_;
  bool lazy_expire_deletes_ = true;
  std::mt19937_64 rng_;
  size_t expire_db_cursor_ = 0;
};

}  // namespace tandem::storage
