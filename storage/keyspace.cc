#include "storage/keyspace.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <new>

namespace tandem::storage {

uint64_t& DictHashSeed() {
  static uint64_t seed = std::random_device{}() ^ (uint64_t{std::random_device{}()} << 32);
  return seed;
}

int64_t SystemClockMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

namespace {
int64_t MonotonicUs() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}
uint32_t LruNow() { return static_cast<uint32_t>(std::time(nullptr)); }
}  // namespace

Db::~Db() { Clear(); }

void Db::Unindex(Entry* e) {
  if (!HasExpire(e)) return;
  const Expiring last = expiring_.back();
  expiring_[e->expire_slot] = last;
  last.entry->expire_slot = e->expire_slot;
  expiring_.pop_back();
  e->expire_slot = Entry::kNoExpire;
}

Entry* Db::NewEntry(std::string_view key, size_t room) {
  void* mem = ::operator new(sizeof(Entry) + key.size() + room);
  auto* e = new (mem) Entry;
  e->key_len = static_cast<uint32_t>(key.size());
  if (!key.empty()) std::memcpy(static_cast<char*>(mem) + sizeof(Entry), key.data(), key.size());
  return e;
}

uint32_t Db::FreshAccess() const {
  if (!lfu_) return LruNow();
  uint32_t minutes = static_cast<uint32_t>((std::time(nullptr) / 60) & 0xFFFF);
  return (minutes << 8) | kLfuInitVal;
}

Entry* Db::Insert(Entry* e) {
  e->access = FreshAccess();
  dict_.Insert(e);
  if (new_key_hook_ != nullptr) (*new_key_hook_)(*this, e->key());
  return e;
}

Entry* Db::AddString(std::string_view key, std::string_view s, Encoding enc, ObjType type,
                     size_t reserve) {
  const size_t need = std::max(s.size(), reserve);
  if (need > kInlineStringLimit) {
    Value v = Value::StringOf(s, enc);
    v.type = type;
    return AddOutOfLine(key, std::move(v));
  }
  // The room is rounded up to what glibc's malloc hands out anyway (chunks of 16k bytes with an
  // 8-byte header): the slack lets a slightly longer string overwrite in place later.
  const size_t fixed = sizeof(Entry) + key.size();
  const size_t room = (((fixed + need + 23) & ~size_t{15}) - 8) - fixed;
  Entry* e = NewEntry(key, room);
  e->value.InitInline(static_cast<uint32_t>(key.size()), static_cast<uint32_t>(room), s, enc, type);
  return Insert(e);
}

Entry* Db::Add(std::string_view key, Value value) {
  if (value.obj() == nullptr && value.str_size() <= kInlineStringLimit) {
    return AddString(key, value.str(), value.encoding, value.type);
  }
  return AddOutOfLine(key, std::move(value));
}

Entry* Db::AddOutOfLine(std::string_view key, Value value) {
  Entry* e = NewEntry(key, 0);
  e->value = std::move(value);
  return Insert(e);
}

void Db::Overwritten(Entry* e, bool keep_ttl) {
  if (!lfu_) e->access = LruNow();
  if (!keep_ttl) Unindex(e);
}

Entry* Db::Set(std::string_view key, Value value, bool keep_ttl) {
  Entry* e = dict_.Find(key);
  if (e == nullptr) return Add(key, std::move(value));
  e->value = std::move(value);
  Overwritten(e, keep_ttl);
  return e;
}

Entry* Db::SetString(std::string_view key, std::string_view s, Encoding enc, bool keep_ttl) {
  Entry* e = dict_.Find(key);
  if (e == nullptr) return AddString(key, s, enc);
  return OverwriteString(e, s, enc, keep_ttl);
}

Entry* Db::OverwriteString(Entry* e, std::string_view s, Encoding enc, bool keep_ttl) {
  if (!e->value.AssignInline(s, enc)) e->value = Value::StringOf(s, enc);
  Overwritten(e, keep_ttl);
  return e;
}

bool Db::Delete(std::string_view key) {
  Entry* e = dict_.Erase(key);
  if (e == nullptr) return false;
  Unindex(e);
  FreeEntry(e);
  return true;
}

void Db::SetExpire(Entry* e, int64_t when_ms) {
  when_ms = std::max<int64_t>(when_ms, 0);  // before the epoch: already expired
  if (!HasExpire(e)) {
    e->expire_slot = static_cast<uint32_t>(expiring_.size());
    expiring_.push_back({e, when_ms});
    return;
  }
  expiring_[e->expire_slot].when_ms = when_ms;
}

bool Db::Persist(Entry* e) {
  if (!HasExpire(e)) return false;
  Unindex(e);
  return true;
}

void Db::Clear() {
  expiring_.clear();
  dict_.Clear([](Entry* e) { FreeEntry(e); });
  avg_ttl = 0;
}

void Db::SwapContents(Db& other) {
  dict_.Swap(other.dict_);
  expiring_.swap(other.expiring_);
  std::swap(avg_ttl, other.avg_ttl);
}

Keyspace::Keyspace(int databases, Clock clock) : clock_(std::move(clock)), rng_(DictHashSeed()) {
  dbs_.reserve(static_cast<size_t>(databases));
  for (int i = 0; i < databases; ++i) dbs_.push_back(std::make_unique<Db>(i));
}

size_t Keyspace::TotalKeys() const {
  size_t n = 0;
  for (const auto& db : dbs_) n += db->size();
  return n;
}

void Keyspace::ExpireEntry(Db& db, Entry* e) {
  // Copy the key: the hook may propagate it after the entry is gone.
  std::string key(e->key());
  if (expired_hook_) expired_hook_(db, key);
  db.Delete(key);
  ++expired_keys;
}

Entry* Keyspace::Lookup(Db& db, std::string_view key, int64_t now) {
  Entry* e = db.FindRaw(key);
  if (e == nullptr) return nullptr;
  if (db.HasExpire(e) && db.ExpireOf(e) <= now) {
    if (lazy_expire_deletes_) ExpireEntry(db, e);
    return nullptr;
  }
  return e;
}

size_t Keyspace::ActiveExpireCycle(int64_t now, int64_t budget_us) {
  // Per db: sample up to 20 keys with a TTL, delete the expired ones, and repeat while more than
  // 25% of the sample had expired, until the time budget is spent (ACTIVE_EXPIRE_CYCLE_*).
  constexpr int kSample = 20;
  const int64_t start = MonotonicUs();
  size_t deleted = 0;
  size_t ndb = dbs_.size();
  for (size_t visited = 0; visited < ndb; ++visited) {
    Db& db = *dbs_[expire_db_cursor_ % ndb];
    ++expire_db_cursor_;
    int iterations = 0;
    while (db.expires_count() > 0) {
      int expired = 0;
      int sampled = 0;
      double ttl_sum = 0;  // TTLs can be near INT64_MAX: a double cannot overflow
      int ttl_samples = 0;
      for (int i = 0; i < kSample && db.expires_count() > 0; ++i) {
        Entry* e = db.RandomExpiring(rng_);
        ++sampled;
        const int64_t when = db.ExpireOf(e);
        if (when <= now) {
          if (!lazy_expire_deletes_) continue;
          ExpireEntry(db, e);
          ++expired;
          ++deleted;
        } else {
          ttl_sum += static_cast<double>(when - now);
          ++ttl_samples;
        }
      }
      if (ttl_samples > 0) {
        int64_t avg = static_cast<int64_t>(ttl_sum / ttl_samples);
        // Running average as Redis does: weight the old estimate with the new sample.
        db.avg_ttl = db.avg_ttl == 0 ? avg : (db.avg_ttl / 50) * 49 + avg / 50;
      }
      ++iterations;
      if ((iterations & 15) == 0 && MonotonicUs() - start > budget_us) return deleted;
      if (sampled == 0 || expired * 4 <= sampled) break;
    }
    if (MonotonicUs() - start > budget_us) break;
  }
  return deleted;
}

void Keyspace::RehashCron(int64_t budget_us) {
  const int64_t start = MonotonicUs();
  // Give back old bucket arrays a few MB per tick (a write also releases a little each time).
  ReleaseTables(4u << 20);
  for (auto& db : dbs_) {
    db->ShrinkIfSparse();
    while (db->RehashStep(100)) {
      if (MonotonicUs() - start > budget_us) return;
    }
  }
}

}  // namespace tandem::storage
