// Generic keyspace commands (db.c, expire.c): existence, deletion, renames, moves, scans, TTLs,
// database selection and flushing.
#include <fmt/format.h>

#include <climits>
#include <vector>

#include "config/glob.h"
#include "server/arg_cursor.h"
#include "server/errors.h"
#include "server/server.h"
#include "storage/rdb.h"

namespace tandem::server {

namespace {

using storage::Entry;

void CmdDel(CommandContext& ctx) {
  int64_t deleted = 0;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    if (ctx.LookupWrite(ctx.args[i]) != nullptr && ctx.db().Delete(ctx.args[i])) {
      ++deleted;
      ctx.Notify(kNotifyGeneric, "del", ctx.args[i]);
    }
  }
  ctx.Dirty(static_cast<uint64_t>(deleted));
  ctx.reply().Integer(deleted);
}

void CmdExists(CommandContext& ctx) {
  int64_t n = 0;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    if (ctx.LookupRead(ctx.args[i]) != nullptr) ++n;
  }
  ctx.reply().Integer(n);
}

void CmdTouch(CommandContext& ctx) { CmdExists(ctx); }

void CmdType(CommandContext& ctx) {
  Entry* e = ctx.LookupRead(ctx.args[1]);
  ctx.reply().SimpleString(e == nullptr ? "none" : storage::TypeName(e->value.type));
}

void CmdKeys(CommandContext& ctx) {
  std::string_view pattern = ctx.args[1];
  bool all = pattern == "*";
  std::vector<std::string> keys;
  std::vector<std::string> expired;
  ctx.db().ForEach([&](Entry* e) {
    if (!all && !config::GlobMatch(pattern, e->key(), false)) return;
    if (ctx.db().HasExpire(e) && ctx.db().ExpireOf(e) <= ctx.now_ms) {
      expired.emplace_back(e->key());
      return;
    }
    keys.emplace_back(e->key());
  });
  for (const auto& k : expired) ctx.LookupWrite(k);  // lazily expire what the walk saw
  ctx.reply().ArrayHeader(static_cast<int64_t>(keys.size()));
  for (const auto& k : keys) ctx.reply().Bulk(k);
}

void CmdScan(CommandContext& ctx) {
  uint64_t cursor = 0;
  if (!ParseScanCursor(ctx.args[1], cursor)) return ctx.Error(err::kInvalidCursor);
  ScanOptions opts;
  if (!ParseScanOptions(ctx, 2, true, opts)) return;
  const int64_t count = opts.count;
  const std::string_view pattern = opts.pattern;
  const bool use_pattern = opts.use_pattern;
  const std::string_view type = opts.type;
  const bool use_type = opts.use_type;
  std::vector<std::string> keys;
  int64_t max_iterations = count * 10;
  do {
    cursor = ctx.db().Scan(cursor, [&](Entry* e) { keys.emplace_back(e->key()); });
  } while (cursor != 0 && max_iterations-- > 0 && static_cast<int64_t>(keys.size()) < count);

  resp::ReplyBuilder& r = ctx.reply();
  std::vector<std::string_view> out;
  out.reserve(keys.size());
  for (const std::string& k : keys) {
    if (use_pattern && !config::GlobMatch(pattern, k, false)) continue;
    Entry* e = ctx.LookupWrite(k);  // drops expired keys
    if (e == nullptr) continue;
    if (use_type && !EqualsIgnoreCase(storage::TypeName(e->value.type), type)) continue;
    out.push_back(k);
  }
  r.ArrayHeader(2);
  r.Bulk(std::to_string(cursor));
  r.ArrayHeader(static_cast<int64_t>(out.size()));
  for (std::string_view k : out) r.Bulk(k);
}

void CmdRandomkey(CommandContext& ctx) {
  storage::Db& db = ctx.db();
  // Bounded: if every sampled key is expired, keep deleting; an empty db answers null.
  for (int tries = 0; tries < 100 && db.size() > 0; ++tries) {
    Entry* e = db.RandomEntry(ctx.keyspace().random());
    if (ctx.db().HasExpire(e) && ctx.db().ExpireOf(e) <= ctx.now_ms) {
      std::string key(e->key());
      ctx.LookupWrite(key);
      continue;
    }
    return ctx.reply().Bulk(e->key());
  }
  ctx.reply().Null();
}

void RenameGeneric(CommandContext& ctx, bool nx) {
  std::string_view src = ctx.args[1];
  std::string_view dst = ctx.args[2];
  Entry* e = ctx.LookupWrite(src);
  if (e == nullptr) return ctx.Error(err::kNoSuchKey);
  if (src == dst) {
    return nx ? ctx.reply().Integer(0) : ctx.reply().Ok();
  }
  storage::Db& db = ctx.db();
  if (ctx.LookupWrite(dst) != nullptr) {
    if (nx) return ctx.reply().Integer(0);
    db.Delete(dst);
  }
  int64_t expire = ctx.db().ExpireOf(e);
  storage::Value v = std::move(e->value);
  db.Delete(src);
  Entry* ne = db.Add(dst, std::move(v));
  if (expire >= 0) db.SetExpire(ne, expire);
  ctx.Dirty();
  ctx.Notify(kNotifyGeneric, "rename_from", src);
  ctx.Notify(kNotifyGeneric, "rename_to", dst);
  nx ? ctx.reply().Integer(1) : ctx.reply().Ok();
}
void CmdRename(CommandContext& ctx) { RenameGeneric(ctx, false); }

// ---- DUMP / RESTORE (cluster.c): payloads are RDB-encoded values, interchangeable with Redis ----

void CmdDump(CommandContext& ctx) {
  Entry* e = ctx.LookupRead(ctx.args[1]);
  if (e == nullptr) return ctx.reply().Null();
  ctx.reply().Bulk(storage::rdb::DumpPayload(e->value, ctx.server.config().rdbcompression));
}

// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
void CmdRestore(CommandContext& ctx) {
  bool replace = false;
  bool absttl = false;
  int64_t idle = -1;
  int64_t freq = -1;
  for (size_t j = 4; j < ctx.args.size(); ++j) {
    bool more = j + 1 < ctx.args.size();
    if (EqualsIgnoreCase(ctx.args[j], "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(ctx.args[j], "absttl")) {
      absttl = true;
    } else if (EqualsIgnoreCase(ctx.args[j], "idletime") && more && freq == -1) {
      if (!ParseInt64(ctx.args[++j], idle)) return ctx.Error(err::kNotInteger);
      if (idle < 0) return ctx.Error("ERR Invalid IDLETIME value, must be >= 0");
    } else if (EqualsIgnoreCase(ctx.args[j], "freq") && more && idle == -1) {
      if (!ParseInt64(ctx.args[++j], freq)) return ctx.Error(err::kNotInteger);
      if (freq < 0 || freq > 255) {
        return ctx.Error("ERR Invalid FREQ value, must be >= 0 and <= 255");
      }
    } else {
      return ctx.Error(err::kSyntax);
    }
  }
  int64_t ttl = 0;
  if (!ParseInt64(ctx.args[2], ttl)) return ctx.Error(err::kNotInteger);
  if (ttl < 0) return ctx.Error("ERR Invalid TTL value, must be >= 0");
  std::string_view key = ctx.args[1];
  if (!replace && ctx.LookupWrite(key) != nullptr) {
    return ctx.Error("BUSYKEY Target key name already exists.");
  }
  const ServerConfig& cfg = ctx.server.config();
  storage::rdb::EncodingLimits limits;
  limits.hash_max_listpack_entries = static_cast<size_t>(cfg.hash_max_listpack_entries);
  limits.hash_max_listpack_value = static_cast<size_t>(cfg.hash_max_listpack_value);
  limits.zset_max_listpack_entries = static_cast<size_t>(cfg.zset_max_listpack_entries);
  limits.zset_max_listpack_value = static_cast<size_t>(cfg.zset_max_listpack_value);
  limits.set_max_intset_entries = static_cast<size_t>(cfg.set_max_intset_entries);
  auto v = storage::rdb::RestorePayload(ctx.args[3], limits);
  if (!v) return ctx.Error("ERR " + v.error());
  int64_t when = -1;
  if (ttl > 0) when = absttl ? ttl : ctx.now_ms + ttl;
  bool deleted = false;
  if (replace) deleted = ctx.db().Delete(key);
  if (when >= 0 && ctx.AlreadyExpired(when)) {
    // Already expired: nothing is stored (the old value, if replaced, is gone).
    if (deleted) {
      ctx.Notify(kNotifyGeneric, "del", key);
      ctx.Dirty();
      ctx.PropagateAs({"DEL", std::string(key)});
    }
    return ctx.reply().Ok();
  }
  Entry* e = ctx.db().Add(key, std::move(*v));
  if (when >= 0) ctx.db().SetExpire(e, when);
  e->RestoreAccess(ctx.db().lfu(), freq, idle);
  ctx.Notify(kNotifyGeneric, "restore", key);
  ctx.Dirty();
  if (when >= 0 && !absttl) {
    std::vector<std::string> argv{
        "RESTORE", std::string(key), std::to_string(when), std::string(ctx.args[3]),
        "ABSTTL",  "REPLACE"};
    ctx.PropagateAs(std::move(argv));
  }
  ctx.reply().Ok();
}
void CmdRenamenx(CommandContext& ctx) { RenameGeneric(ctx, true); }

// getIntFromObjectOrReply for a db index.
bool ParseDbIndex(CommandContext& ctx, std::string_view arg, int64_t& out) {
  if (!ParseInt64(arg, out) || out < INT_MIN || out > INT_MAX) {
    ctx.Error(err::kNotInteger);
    return false;
  }
  return true;
}

void CmdMove(CommandContext& ctx) {
  int64_t dbid = 0;
  if (!ParseDbIndex(ctx, ctx.args[2], dbid)) return;
  if (dbid < 0 || dbid >= ctx.keyspace().databases()) return ctx.Error(err::kDbIndexRange);
  if (dbid == ctx.client.db_index) return ctx.Error(err::kSameObject);
  Entry* e = ctx.LookupWrite(ctx.args[1]);
  if (e == nullptr) return ctx.reply().Integer(0);
  storage::Db& dst = ctx.keyspace().db(static_cast<int>(dbid));
  if (ctx.keyspace().Lookup(dst, ctx.args[1], ctx.now_ms) != nullptr) {
    return ctx.reply().Integer(0);
  }
  int64_t expire = ctx.db().ExpireOf(e);
  Entry* ne = dst.Add(ctx.args[1], std::move(e->value));
  if (expire >= 0) dst.SetExpire(ne, expire);
  ctx.db().Delete(ctx.args[1]);
  ctx.Dirty();
  ctx.server.NotifyKeyspaceEvent(kNotifyGeneric, "move_from", ctx.args[1], ctx.client.db_index);
  ctx.server.NotifyKeyspaceEvent(kNotifyGeneric, "move_to", ctx.args[1], static_cast<int>(dbid));
  ctx.reply().Integer(1);
}

void CmdCopy(CommandContext& ctx) {
  bool replace = false;
  int64_t dbid = ctx.client.db_index;
  for (size_t j = 3; j < ctx.args.size(); ++j) {
    bool more = j + 1 < ctx.args.size();
    if (EqualsIgnoreCase(ctx.args[j], "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(ctx.args[j], "db") && more) {
      if (!ParseInt64(ctx.args[j + 1], dbid)) return ctx.Error(err::kNotInteger);
      ++j;
    } else {
      return ctx.Error(err::kSyntax);
    }
  }
  if (dbid < 0 || dbid >= ctx.keyspace().databases()) return ctx.Error(err::kDbIndexRange);
  storage::Db& dst = ctx.keyspace().db(static_cast<int>(dbid));
  if (&dst == &ctx.db() && ctx.args[1] == ctx.args[2]) return ctx.Error(err::kSameObject);
  Entry* e = ctx.LookupRead(ctx.args[1]);
  if (e == nullptr) return ctx.reply().Integer(0);
  if (ctx.keyspace().Lookup(dst, ctx.args[2], ctx.now_ms) != nullptr) {
    if (!replace) return ctx.reply().Integer(0);
    dst.Delete(ctx.args[2]);
  }
  storage::Value copy = e->value;
  int64_t expire = ctx.db().ExpireOf(e);
  Entry* ne = dst.Add(ctx.args[2], std::move(copy));
  if (expire >= 0) dst.SetExpire(ne, expire);
  ctx.Dirty();
  ctx.server.NotifyKeyspaceEvent(kNotifyGeneric, "copy_to", ctx.args[2], dst.index());
  ctx.reply().Integer(1);
}

enum ExpireFlags : unsigned { kExpireNx = 1, kExpireXx = 2, kExpireGt = 4, kExpireLt = 8 };

void ExpireGeneric(CommandContext& ctx, int64_t basetime, bool seconds) {
  unsigned flags = 0;
  for (size_t j = 3; j < ctx.args.size(); ++j) {
    std::string_view o = ctx.args[j];
    if (EqualsIgnoreCase(o, "nx"))
      flags |= kExpireNx;
    else if (EqualsIgnoreCase(o, "xx"))
      flags |= kExpireXx;
    else if (EqualsIgnoreCase(o, "gt"))
      flags |= kExpireGt;
    else if (EqualsIgnoreCase(o, "lt"))
      flags |= kExpireLt;
    else
      return ctx.Error(fmt::format("ERR Unsupported option {}", o));
  }
  if ((flags & kExpireNx) && (flags & (kExpireXx | kExpireGt | kExpireLt))) {
    return ctx.Error("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if ((flags & kExpireGt) && (flags & kExpireLt)) {
    return ctx.Error("ERR GT and LT options at the same time are not compatible");
  }
  int64_t when = 0;
  if (!ParseInt64(ctx.args[2], when)) return ctx.Error(err::kNotInteger);
  auto invalid = [&] {
    ctx.Error(fmt::format("ERR invalid expire time in '{}' command", ctx.cmd.name));
  };
  if (seconds) {
    if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000) return invalid();
    when *= 1000;
  }
  if (when > LLONG_MAX - basetime) return invalid();
  when += basetime;
  Entry* e = ctx.LookupWrite(ctx.args[1]);
  if (e == nullptr) return ctx.reply().Integer(0);
  int64_t current = ctx.db().ExpireOf(e);
  if ((flags & kExpireNx) && current != -1) return ctx.reply().Integer(0);
  if ((flags & kExpireXx) && current == -1) return ctx.reply().Integer(0);
  if ((flags & kExpireGt) && (when <= current || current == -1)) return ctx.reply().Integer(0);
  if ((flags & kExpireLt) && current != -1 && when >= current) return ctx.reply().Integer(0);
  if (ctx.AlreadyExpired(when)) {
    ctx.db().Delete(ctx.args[1]);
    ctx.Notify(kNotifyGeneric, "del", ctx.args[1]);
    ctx.PropagateAs({"DEL", std::string(ctx.args[1])});
  } else {
    ctx.db().SetExpire(e, when);
    ctx.Notify(kNotifyGeneric, "expire", ctx.args[1]);
    // EXPIRE / PEXPIRE / EXPIREAT reach replicas as PEXPIREAT with the absolute time.
    ctx.PropagateAs({"PEXPIREAT", std::string(ctx.args[1]), std::to_string(when)});
  }
  ctx.Dirty();
  ctx.reply().Integer(1);
}
void CmdExpire(CommandContext& ctx) { ExpireGeneric(ctx, ctx.now_ms, true); }
void CmdPexpire(CommandContext& ctx) { ExpireGeneric(ctx, ctx.now_ms, false); }
void CmdExpireat(CommandContext& ctx) { ExpireGeneric(ctx, 0, true); }
void CmdPexpireat(CommandContext& ctx) { ExpireGeneric(ctx, 0, false); }

void TtlGeneric(CommandContext& ctx, bool ms, bool absolute) {
  Entry* e = ctx.LookupRead(ctx.args[1]);
  if (e == nullptr) return ctx.reply().Integer(-2);
  const int64_t when = ctx.db().ExpireOf(e);
  if (when < 0) return ctx.reply().Integer(-1);
  int64_t ttl = absolute ? when : when - ctx.now_ms;
  if (ttl < 0) ttl = 0;
  // Rounded as Redis does; near INT64_MAX Redis's (ttl+500) wraps, and so does this (without UB).
  ctx.reply().Integer(ms ? ttl : static_cast<int64_t>(static_cast<uint64_t>(ttl) + 500) / 1000);
}
void CmdTtl(CommandContext& ctx) { TtlGeneric(ctx, false, false); }
void CmdPttl(CommandContext& ctx) { TtlGeneric(ctx, true, false); }
void CmdExpiretime(CommandContext& ctx) { TtlGeneric(ctx, false, true); }
void CmdPexpiretime(CommandContext& ctx) { TtlGeneric(ctx, true, true); }

void CmdPersist(CommandContext& ctx) {
  Entry* e = ctx.LookupWrite(ctx.args[1]);
  if (e == nullptr || !ctx.db().Persist(e)) return ctx.reply().Integer(0);
  ctx.Dirty();
  ctx.Notify(kNotifyGeneric, "persist", ctx.args[1]);
  ctx.reply().Integer(1);
}

void CmdSelect(CommandContext& ctx) {
  int64_t id = 0;
  if (!ParseDbIndex(ctx, ctx.args[1], id)) return;
  if (id < 0 || id >= ctx.keyspace().databases()) return ctx.Error(err::kDbIndexRange);
  ctx.client.db_index = static_cast<int>(id);
  ctx.reply().Ok();
}

void CmdSwapdb(CommandContext& ctx) {
  int64_t a = 0;
  int64_t b = 0;
  if (!ParseInt64(ctx.args[1], a) || a < INT_MIN || a > INT_MAX) {
    return ctx.Error("ERR invalid first DB index");
  }
  if (!ParseInt64(ctx.args[2], b) || b < INT_MIN || b > INT_MAX) {
    return ctx.Error("ERR invalid second DB index");
  }
  int n = ctx.keyspace().databases();
  if (a < 0 || a >= n || b < 0 || b >= n) return ctx.Error(err::kDbIndexRange);
  if (a != b) {
    ctx.keyspace().db(static_cast<int>(a)).SwapContents(ctx.keyspace().db(static_cast<int>(b)));
  }
  ctx.Dirty();
  ctx.reply().Ok();
}

void CmdDbsize(CommandContext& ctx) { ctx.reply().Integer(static_cast<int64_t>(ctx.db().size())); }

// FLUSHDB / FLUSHALL [ASYNC|SYNC]: freed synchronously either way (no background thread yet);
// the reply is the same.
bool ParseFlushFlags(CommandContext& ctx) {
  if (ctx.args.size() > 2) {
    ctx.Error(err::kSyntax);
    return false;
  }
  if (ctx.args.size() == 2 && !EqualsIgnoreCase(ctx.args[1], "sync") &&
      !EqualsIgnoreCase(ctx.args[1], "async")) {
    ctx.Error(err::kSyntax);
    return false;
  }
  return true;
}

void CmdFlushdb(CommandContext& ctx) {
  if (!ParseFlushFlags(ctx)) return;
  ctx.Dirty(ctx.db().size());
  ctx.db().Clear();
  ctx.reply().Ok();
}

void CmdFlushall(CommandContext& ctx) {
  if (!ParseFlushFlags(ctx)) return;
  for (int i = 0; i < ctx.keyspace().databases(); ++i) {
    ctx.Dirty(ctx.keyspace().db(i).size());
    ctx.keyspace().db(i).Clear();
  }
  ctx.Dirty();
  ctx.reply().Ok();
}

}  // namespace

void RegisterKeyCommands(CommandTable& t) {
  constexpr uint32_t kRF = kCmdReadonly | kCmdFast;
  t.Add({"del", -2, kCmdWrite, 1, -1, 1, CmdDel, "@keyspace @write @slow", "generic",
         "Delete a key", "1.0.0", "O(N)"});
  t.Add({"unlink", -2, kCmdWrite | kCmdFast, 1, -1, 1, CmdDel, "@keyspace @write @fast", "generic",
         "Delete a key asynchronously in another thread. Otherwise it is just as DEL, "
         "but non blocking.",
         "4.0.0", "O(1)"});
  t.Add({"exists", -2, kRF, 1, -1, 1, CmdExists, "@keyspace @read @fast", "generic",
         "Determine if a key exists", "1.0.0", "O(N)"});
  t.Add({"touch", -2, kRF, 1, -1, 1, CmdTouch, "@keyspace @read @fast", "generic",
         "Alters the last access time of a key(s). Returns the number of existing keys "
         "specified.",
         "3.2.1", "O(N)"});
  t.Add({"type", 2, kRF, 1, 1, 1, CmdType, "@keyspace @read @fast", "generic",
         "Determine the type stored at key", "1.0.0"});
  t.Add({"keys", 2, kCmdReadonly, 0, 0, 0, CmdKeys, "@keyspace @read @slow @dangerous", "generic",
         "Find all keys matching the given pattern", "1.0.0", "O(N)"});
  t.Add({"scan", -2, kCmdReadonly, 0, 0, 0, CmdScan, "@keyspace @read @slow", "generic",
         "Incrementally iterate the keys space", "2.8.0"});
  t.Add({"randomkey", 1, kCmdReadonly, 0, 0, 0, CmdRandomkey, "@keyspace @read @slow", "generic",
         "Return a random key from the keyspace", "1.0.0"});
  t.Add({"rename", 3, kCmdWrite, 1, 2, 1, CmdRename, "@keyspace @write @slow", "generic",
         "Rename a key", "1.0.0"});
  t.Add({"dump", 2, kCmdReadonly, 1, 1, 1, CmdDump, "@keyspace @read @slow", "generic",
         "Return a serialized version of the value stored at the specified key.", "2.6.0",
         "O(1) to access the key and additional O(N*M) to serialize it, where N is the number "
         "of Redis objects composing the value and M their average size. For small string "
         "values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1)."});
  t.Add({"restore", -4, kCmdWrite | kCmdDenyOom, 1, 1, 1, CmdRestore,
         "@keyspace @write @slow @dangerous", "generic",
         "Create a key using the provided serialized value, previously obtained using DUMP.",
         "2.6.0",
         "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, "
         "where N is the number of Redis objects composing the value and M their average size. "
         "For small string values the time complexity is thus O(1)+O(1*M) where M is small, so "
         "simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because "
         "inserting values into sorted sets is O(log(N))."});
  t.Add({"renamenx", 3, kCmdWrite | kCmdFast, 1, 2, 1, CmdRenamenx, "@keyspace @write @fast",
         "generic", "Rename a key, only if the new key does not exist", "1.0.0"});
  t.Add({"move", 3, kCmdWrite | kCmdFast, 1, 1, 1, CmdMove, "@keyspace @write @fast", "generic",
         "Move a key to another database", "1.0.0"});
  t.Add({"copy", -3, kCmdWrite | kCmdDenyOom, 1, 2, 1, CmdCopy, "@keyspace @write @slow", "generic",
         "Copy a key", "6.2.0", "O(N)"});
  t.Add({"expire", -3, kCmdWrite | kCmdFast, 1, 1, 1, CmdExpire, "@keyspace @write @fast",
         "generic", "Set a key's time to live in seconds", "1.0.0"});
  t.Add({"pexpire", -3, kCmdWrite | kCmdFast, 1, 1, 1, CmdPexpire, "@keyspace @write @fast",
         "generic", "Set a key's time to live in milliseconds", "2.6.0"});
  t.Add({"expireat", -3, kCmdWrite | kCmdFast, 1, 1, 1, CmdExpireat, "@keyspace @write @fast",
         "generic", "Set the expiration for a key as a UNIX timestamp", "1.2.0"});
  t.Add({"pexpireat", -3, kCmdWrite | kCmdFast, 1, 1, 1, CmdPexpireat, "@keyspace @write @fast",
         "generic", "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
         "2.6.0"});
  t.Add({"ttl", 2, kRF, 1, 1, 1, CmdTtl, "@keyspace @read @fast", "generic",
         "Get the time to live for a key in seconds", "1.0.0"});
  t.Add({"pttl", 2, kRF, 1, 1, 1, CmdPttl, "@keyspace @read @fast", "generic",
         "Get the time to live for a key in milliseconds", "2.6.0"});
  t.Add({"expiretime", 2, kRF, 1, 1, 1, CmdExpiretime, "@keyspace @read @fast", "generic",
         "Get the expiration Unix timestamp for a key", "7.0.0"});
  t.Add({"pexpiretime", 2, kRF, 1, 1, 1, CmdPexpiretime, "@keyspace @read @fast", "generic",
         "Get the expiration Unix timestamp for a key in milliseconds", "7.0.0"});
  t.Add({"persist", 2, kCmdWrite | kCmdFast, 1, 1, 1, CmdPersist, "@keyspace @write @fast",
         "generic", "Remove the expiration from a key", "2.2.0"});
  t.Add({"select", 2, kCmdLoading | kCmdStale | kCmdFast, 0, 0, 0, CmdSelect, "@keyspace @fast",
         "connection",
         "Change the selected database for the current "
         "connection",
         "1.0.0"});
  t.Add({"swapdb", 3, kCmdWrite | kCmdFast, 0, 0, 0, CmdSwapdb, "@keyspace @write @fast @dangerous",
         "server", "Swaps two Redis databases", "4.0.0", "O(N)"});
  t.Add({"dbsize", 1, kRF, 0, 0, 0, CmdDbsize, "@keyspace @read @fast", "server",
         "Return the number of keys in the selected database", "1.0.0"});
  t.Add({"flushdb", -1, kCmdWrite, 0, 0, 0, CmdFlushdb, "@keyspace @write @slow @dangerous",
         "server", "Remove all keys from the current database", "1.0.0", "O(N)"});
  t.Add({"flushall", -1, kCmdWrite, 0, 0, 0, CmdFlushall, "@keyspace @write @slow @dangerous",
         "server", "Remove all keys from all databases", "1.0.0", "O(N)"});
}

}  // namespace tandem::server
