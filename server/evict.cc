// maxmemory and maxmemory-policy (evict.c): before each command, while used memory is above the
// limit, evict the best of a few sampled keys by the policy (approximated LRU, LFU, TTL, or at
// random), as Redis does with maxmemory-samples. LFU counters follow Redis's logarithmic
// counter with lfu-log-factor and decay by lfu-decay-time minutes.
#include <chrono>
#include <random>
#include <string>

#include "server/server.h"

namespace tandem::server {

namespace {

bool IsVolatile(MaxmemoryPolicy p) {
  return p == MaxmemoryPolicy::kVolatileLru || p == MaxmemoryPolicy::kVolatileLfu ||
         p == MaxmemoryPolicy::kVolatileRandom || p == MaxmemoryPolicy::kVolatileTtl;
}

uint16_t LfuMinutes(int64_t now_ms) { return static_cast<uint16_t>((now_ms / 60000) & 0xFFFF); }

// LFUDecrAndReturn: the counter after decaying it by one per lfu-decay-time minutes elapsed.
uint8_t LfuDecayed(const storage::Entry& e, int64_t now_ms, int decay_time) {
  uint16_t now = LfuMinutes(now_ms);
  uint16_t last = e.lfu_minutes();
  uint16_t elapsed =
      now >= last ? static_cast<uint16_t>(now - last) : static_cast<uint16_t>(65535 - last + now);
  uint8_t counter = e.lfu_counter();
  if (decay_time <= 0) return counter;
  int periods = elapsed / decay_time;
  return periods > counter ? 0 : static_cast<uint8_t>(counter - periods);
}

}  // namespace

void Server::TouchAccess(storage::Entry* e, int64_t now_ms) {
  if (!IsLfuPolicy(config_.maxmemory_policy)) {
    e->set_lru_seconds(static_cast<uint32_t>(now_ms / 1000));
    return;
  }
  // LFULogIncr: increment with probability 1 / ((counter - init) * lfu_log_factor + 1).
  uint8_t counter = LfuDecayed(*e, now_ms, config_.lfu_decay_time);
  if (counter < 255) {
    double r = std::uniform_real_distribution<double>(0.0, 1.0)(keyspace_.random());
    double base = counter > storage::kLfuInitVal ? counter - storage::kLfuInitVal : 0;
    double p = 1.0 / (base * config_.lfu_log_factor + 1);
    if (r < p) ++counter;
  }
  e->set_lfu(LfuMinutes(now_ms), counter);
}

int Server::LfuFrequency(const storage::Entry& e, int64_t now_ms) const {
  return LfuDecayed(e, now_ms, config_.lfu_decay_time);
}

bool QueuedDenyOomOf(const Client& c) {
  for (const auto& q : c.queued) {
    if (q.cmd->flags & kCmdDenyOom) return true;
  }
  return false;
}

bool Server::QueuedDenyOom(const Client& c) { return QueuedDenyOomOf(c); }

bool Server::PerformEvictions() {
  const uint64_t limit = config_.maxmemory;
  if (limit == 0 || UsedMemory() <= limit) return true;
  const MaxmemoryPolicy policy = config_.maxmemory_policy;
  if (policy == MaxmemoryPolicy::kNoeviction) return false;
  const int64_t now = storage::SystemClockMs();
  const bool volatile_only = IsVolatile(policy);
  const int samples = std::max(1, config_.maxmemory_samples);
  auto& rng = keyspace_.random();
  const auto start = std::chrono::steady_clock::now();
  // Bounded like Redis's eviction time limit: stop after ~50 ms and let the next command go on.
  while (UsedMemory() > limit) {
    if (std::chrono::steady_clock::now() - start > std::chrono::milliseconds(50)) break;
    storage::Db* best_db = nullptr;
    std::string best_key;
    double best_score = -1;
    for (int i = 0; i < keyspace_.databases(); ++i) {
      storage::Db& db = keyspace_.db(i);
      if ((volatile_only ? db.expires_count() : db.size()) == 0) continue;
      for (int s = 0; s < samples; ++s) {
        storage::Entry* e = volatile_only ? db.RandomExpiring(rng) : db.RandomEntry(rng);
        if (e == nullptr) break;
        double score = 0;  // higher = better candidate
        switch (policy) {
          case MaxmemoryPolicy::kAllkeysLru:
          case MaxmemoryPolicy::kVolatileLru:
            score = static_cast<double>(now / 1000 - e->lru_seconds());
            break;
          case MaxmemoryPolicy::kAllkeysLfu:
          case MaxmemoryPolicy::kVolatileLfu:
            score = 255.0 - LfuDecayed(*e, now, config_.lfu_decay_time);
            break;
          case MaxmemoryPolicy::kVolatileTtl:
            score = -static_cast<double>(db.ExpireOf(e));  // sooner expiry first
            break;
          default:  // random policies: the first sample wins
            score = 0;
            s = samples;
            break;
        }
        if (best_db == nullptr || score > best_score) {
          best_db = &db;
          best_key = e->key();
          best_score = score;
        }
      }
      if (policy == MaxmemoryPolicy::kAllkeysRandom || policy == MaxmemoryPolicy::kVolatileRandom) {
        if (best_db != nullptr) break;
      }
    }
    if (best_db == nullptr) return false;  // nothing left that this policy may evict
    int dbid = best_db->index();
    best_db->Delete(best_key);
    std::string_view del[] = {"DEL", best_key};
    Propagate(dbid, del);  // replicas and the AOF see an eviction as a DEL
    ++evicted_keys_;
    add_dirty(1);
    TouchWatchedKey(dbid, best_key);
    NotifyKeyspaceEvent(kNotifyEvicted, "evicted", best_key, dbid);
  }
  return UsedMemory() <= limit;
}

}  // namespace tandem::server
