// The keyspace: `databases` numbered dbs of key -> value with millisecond expiry.
//
// Expiry contract: a key whose expire time is <= now is logically absent. Lookup() on a master
// deletes it on access (lazy expiry) and reports it through the expired hook so the server can
// propagate a DEL and fire notifications; ActiveExpireCycle() samples keys with a TTL and deletes
// expired ones within a time budget, adapting like Redis's activeExpireCycle (keep going while
// more than 25% of a sample was expired). Time comes from an injected clock so tests control it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
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

// One key. The key's bytes are stored right after the struct, in the same allocation (Db::Add
// allocates sizeof(Entry) + key length; FreeEntry releases it), so a key costs no separate
// allocation and no std::string header.
struct Entry {
  Entry* next = nullptr;
  Value value;
  int64_t expire_ms = -1;    // absolute unix time in ms, -1 = persistent
  uint32_t expire_slot = 0;  // index in Db::expiring_ while expire_ms >= 0
  uint32_t lru_seconds = 0;  // last access, seconds (OBJECT IDLETIME, LRU eviction)
  uint16_t lfu_minutes = 0;  // LFU: minute of the last decrement (lfu-decay-time)
  uint8_t lfu_counter = 5;   // LFU: logarithmic access counter, LFU_INIT_VAL for new keys
  uint32_t hash_tag = 0;     // low 32 bits of the key's hash, kept by the dict
  uint32_t key_len = 0;

  std::string_view key() const { return {reinterpret_cast<const char*>(this + 1), key_len}; }
};

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

  // Inserts or overwrites; the expire time is reset to none unless keep_ttl. Returns the entry.
  Entry* Set(std::string_view key, Value value, bool keep_ttl = false);
  // Adds a new key (must not exist).
  Entry* Add(std::string_view key, Value value);
  bool Delete(std::string_view key);
  void SetExpire(Entry* e, int64_t when_ms);
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
    return expiring_[static_cast<size_t>(rng()) % expiring_.size()];
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
  static Entry* NewEntry(std::string_view key);
  static void FreeEntry(Entry* e) {
    e->~Entry();
    ::operator delete(e);
  }

  int index_;
  const NewKeyHook* new_key_hook_ = nullptr;  // owned by the Keyspace
  Dict<Entry, EntryKey> dict_;
  std::vector<Entry*> expiring_;  // keys with a TTL, for O(1) random sampling and removal
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
