// Hash commands (t_hash.c): field writes and reads, counters, walks (HGETALL, HKEYS, HVALS,
// HSCAN) and random sampling. Encodings and the listpack -> hashtable rule live in
// storage/hash.h; every write here syncs the key's reported encoding afterwards.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/glob.h"
#include "server/arg_cursor.h"
#include "server/errors.h"
#include "server/server.h"
#include "storage/hash.h"

namespace tandem::server {

namespace {

using storage::Entry;
using storage::ObjType;

constexpr std::string_view kHashNotInteger = "ERR hash value is not an integer";
constexpr std::string_view kHashNotFloat = "ERR hash value is not a float";

storage::HashLimits Limits(CommandContext& ctx) {
  const ServerConfig& c = ctx.server.config();
  return {static_cast<size_t>(std::max<long long>(0, c.hash_max_listpack_entries)),
          static_cast<size_t>(std::max<long long>(0, c.hash_max_listpack_value))};
}

storage::Hash HashOf(Entry* e) { return storage::Hash(e->value); }

// Read lookup (lookupKeyRead + checkType): the hash entry, or nullptr with `wrong` telling whether
// a WRONGTYPE error was already sent.
Entry* ReadHash(CommandContext& ctx, std::string_view key, bool& wrong) {
  wrong = false;
  Entry* e = ctx.LookupRead(key);
  if (e != nullptr && e->value.type != ObjType::kHash) {
    ctx.Error(err::kWrongType);
    wrong = true;
    return nullptr;
  }
  return e;
}

// hashTypeLookupWriteOrCreate: the hash at `key`, created empty when missing; nullptr after a
// WRONGTYPE reply. The caller must leave a created hash non-empty. A created hash gets room in
// its entry for the field/value pairs `items` when they fit a listpack, so it stays one
// allocation.
Entry* WriteHashOrCreate(CommandContext& ctx, std::string_view key,
                         std::span<const std::string_view> items = {}) {
  Entry* e = ctx.LookupWrite(key);
  if (e == nullptr) {
    const storage::HashLimits limits = Limits(ctx);
    size_t reserve = 0;
    if (items.size() / 2 <= limits.max_listpack_entries &&
        std::all_of(items.begin(), items.end(),
                    [&](std::string_view s) { return s.size() <= limits.max_listpack_value; })) {
      reserve = storage::Hash::PackedSize(items);
    }
    return ctx.db().AddString(key, storage::packed::kEmptyHeader, storage::Encoding::kListpack,
                              ObjType::kHash, reserve);
  }
  if (e->value.type != ObjType::kHash) {
    ctx.Error(err::kWrongType);
    return nullptr;
  }
  return e;
}

// A new counter hash's first pair, for its room: the field and a value of up to 20 digits.
std::array<std::string_view, 2> CounterItems(std::string_view field) {
  return {field, std::string_view("-9223372036854775808")};
}

// ---- writes ------------------------------------------------------------------------------------

void HsetGeneric(CommandContext& ctx, bool hmset) {
  if (ctx.args.size() % 2 == 1) return ctx.WrongArity();
  Entry* e = WriteHashOrCreate(ctx, ctx.args[1], ctx.args.subspan(2));
  if (e == nullptr) return;
  storage::Hash h = HashOf(e);
  storage::HashLimits limits = Limits(ctx);
  h.TryConversion(ctx.args.subspan(2), limits);
  int64_t created = 0;
  for (size_t i = 2; i < ctx.args.size(); i += 2) {
    if (h.Set(ctx.args[i], ctx.args[i + 1], limits)) ++created;
  }
  ctx.Notify(kNotifyHash, "hset", ctx.args[1]);
  ctx.Dirty((ctx.args.size() - 2) / 2);
  if (hmset) {
    ctx.reply().Ok();
  } else {
    ctx.reply().Integer(created);
  }
}
void CmdHset(CommandContext& ctx) { HsetGeneric(ctx, false); }
void CmdHmset(CommandContext& ctx) { HsetGeneric(ctx, true); }

void CmdHsetnx(CommandContext& ctx) {
  Entry* e = WriteHashOrCreate(ctx, ctx.args[1], ctx.args.subspan(2, 2));
  if (e == nullptr) return;
  storage::Hash h = HashOf(e);
  if (h.Exists(ctx.args[2])) return ctx.reply().Integer(0);
  storage::HashLimits limits = Limits(ctx);
  h.TryConversion(ctx.args.subspan(2, 2), limits);
  h.Set(ctx.args[2], ctx.args[3], limits);
  ctx.Notify(kNotifyHash, "hset", ctx.args[1]);
  ctx.Dirty();
  ctx.reply().Integer(1);
}

void CmdHdel(CommandContext& ctx) {
  Entry* e = ctx.LookupWrite(ctx.args[1]);
  if (e == nullptr) return ctx.reply().Integer(0);
  if (e->value.type != ObjType::kHash) return ctx.Error(err::kWrongType);
  storage::Hash h = HashOf(e);
  int64_t deleted = 0;
  bool removed = false;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    if (h.Delete(ctx.args[i])) {
      ++deleted;
      if (h.size() == 0) {
        ctx.db().Delete(ctx.args[1]);
        removed = true;
        break;
      }
    }
  }
  if (deleted > 0) {
    ctx.Notify(kNotifyHash, "hdel", ctx.args[1]);
    if (removed) ctx.Notify(kNotifyGeneric, "del", ctx.args[1]);
    ctx.Dirty(static_cast<uint64_t>(deleted));
  }
  ctx.reply().Integer(deleted);
}

void CmdHincrby(CommandContext& ctx) {
  int64_t incr = 0;
  if (!ParseInt64(ctx.args[3], incr)) return ctx.Error(err::kNotInteger);
  Entry* e = WriteHashOrCreate(ctx, ctx.args[1], CounterItems(ctx.args[2]));
  if (e == nullptr) return;
  storage::Hash h = HashOf(e);
  int64_t value = 0;
  if (std::optional<std::string_view> cur = h.Get(ctx.args[2])) {
    if (!ParseInt64(*cur, value)) return ctx.Error(kHashNotInteger);
  }
  if ((incr < 0 && value < 0 && incr < (LLONG_MIN - value)) ||
      (incr > 0 && value > 0 && incr > (LLONG_MAX - value))) {
    return ctx.Error(err::kOverflow);
  }
  value += incr;
  h.Set(ctx.args[2], std::to_string(value), Limits(ctx));
  ctx.reply().Integer(value);
  ctx.Notify(kNotifyHash, "hincrby", ctx.args[1]);
  ctx.Dirty();
}

void CmdHincrbyfloat(CommandContext& ctx) {
  long double incr = 0;
  if (!ParseLongDouble(ctx.args[3], incr)) return ctx.Error(err::kNotFloat);
  if (std::isnan(incr) || std::isinf(incr)) return ctx.Error("ERR value is NaN or Infinity");
  Entry* e = WriteHashOrCreate(ctx, ctx.args[1], CounterItems(ctx.args[2]));
  if (e == nullptr) return;
  storage::Hash h = HashOf(e);
  long double value = 0;
  if (std::optional<std::string_view> cur = h.Get(ctx.args[2])) {
    if (!ParseLongDouble(*cur, value)) return ctx.Error(kHashNotFloat);
  }
  value += incr;
  if (std::isnan(value) || std::isinf(value)) return ctx.Error(err::kIncrFloatNaN);
  std::string text = FormatLongDoubleHuman(value);
  h.Set(ctx.args[2], text, Limits(ctx));
  ctx.reply().Bulk(text);
  ctx.Notify(kNotifyHash, "hincrbyfloat", ctx.args[1]);
  ctx.PropagateAs({"HSET", std::string(ctx.args[1]), std::string(ctx.args[2]), text});
  ctx.Dirty();
}

// ---- reads -------------------------------------------------------------------------------------

void CmdHget(CommandContext& ctx) {
  bool wrong = false;
  Entry* e = ReadHash(ctx, ctx.args[1], wrong);
  if (wrong) return;
  std::optional<std::string_view> v;
  if (e != nullptr) v = HashOf(e).Get(ctx.args[2]);
  if (!v) return ctx.reply().Null();
  ctx.reply().Bulk(*v);
}

void CmdHmget(CommandContext& ctx) {
  bool wrong = false;
  Entry* e = ReadHash(ctx, ctx.args[1], wrong);
  if (wrong) return;
  ctx.reply().ArrayHeader(static_cast<int64_t>(ctx.args.size() - 2));
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    std::optional<std::string_view> v;
    if (e != nullptr) v = HashOf(e).Get(ctx.args[i]);
    if (!v) {
      ctx.reply().Null();
    } else {
      ctx.reply().Bulk(*v);
    }
  }
}

void CmdHlen(CommandContext& ctx) {
  bool wrong = false;
  Entry* e = ReadHash(ctx, ctx.args[1], wrong);
  if (wrong) return;
  ctx.reply().Integer(e != nullptr ? static_cast<int64_t>(HashOf(e).size()) : 0);
}

void CmdHstrlen(CommandContext& ctx) {
  bool wrong = false;
  Entry* e = ReadHash(ctx, ctx.args[1], wrong);
  if (wrong) return;
  std::optional<std::string_view> v;
  if (e != nullptr) v = HashOf(e).Get(ctx.args[2]);
  ctx.reply().Integer(v ? static_cast<int64_t>(v->size()) : 0);
}

void CmdHexists(CommandContext& ctx) {
  bool wrong = false;
  Entry* e = ReadHash(ctx, ctx.args[1], wrong);
  if (wrong) return;
  ctx.reply().Integer(e != nullptr && HashOf(e).Exists(ctx.args[2]) ? 1 : 0);
}

enum WalkFlags : unsigned { kKeys = 1, kValues = 2 };

// genericHgetallCommand: HGETALL is a map (RESP3), HKEYS / HVALS arrays; encoding order.
void HgetallGeneric(CommandContext& ctx, unsigned flags) {
  bool wrong = false;
  Entry* e = ReadHash(ctx, ctx.args[1], wrong);
  if (wrong) return;
  resp::ReplyBuilder& r = ctx.reply();
  int64_t n = e != nullptr ? static_cast<int64_t>(HashOf(e).size()) : 0;
  if (flags == (kKeys | kValues)) {
    r.MapHeader(n);
  } else {
    r.ArrayHeader(n);
  }
  if (e == nullptr) return;
  HashOf(e).ForEach([&](std::string_view f, std::string_view v) {
    if (flags & kKeys) r.Bulk(f);
    if (flags & kValues) r.Bulk(v);
  });
}
void CmdHkeys(CommandContext& ctx) { HgetallGeneric(ctx, kKeys); }
void CmdHvals(CommandContext& ctx) { HgetallGeneric(ctx, kValues); }
void CmdHgetall(CommandContext& ctx) { HgetallGeneric(ctx, kKeys | kValues); }

// hrandfieldWithCountCommand.
void HrandfieldWithCount(CommandContext& ctx, int64_t l, bool withvalues) {
  bool wrong = false;
  Entry* e = ReadHash(ctx, ctx.args[1], wrong);
  if (wrong) return;
  resp::ReplyBuilder& r = ctx.reply();
  if (e == nullptr || l == 0) return r.EmptyArray();
  storage::Hash h = HashOf(e);
  const bool resp3 = ctx.client.resp >= 3;
  auto emit = [&](std::string_view f, std::string_view v) {
    if (withvalues && resp3) r.ArrayHeader(2);
    r.Bulk(f);
    if (withvalues) r.Bulk(v);
  };
  const bool uniq = l > 0;
  const uint64_t count = uniq ? static_cast<uint64_t>(l) : static_cast<uint64_t>(-l);
  const uint64_t size = h.size();
  auto& rng = ctx.keyspace().random();
  // CASE 1: negative count (repetitions allowed, random order) or a single element.
  if (!uniq || count == 1) {
    r.ArrayHeader(static_cast<int64_t>(withvalues && !resp3 ? count * 2 : count));
    if (h.encoding() == storage::Encoding::kListpack) {
      // The packed pairs are walked once, not once per pick (lpRandomPairs).
      std::vector<std::pair<std::string_view, std::string_view>> pairs;
      pairs.reserve(size);
      h.ForEach([&](std::string_view f, std::string_view v) { pairs.emplace_back(f, v); });
      for (uint64_t i = 0; i < count; ++i) {
        const auto& [f, v] = pairs[static_cast<size_t>(rng()) % pairs.size()];
        emit(f, v);
      }
      return;
    }
    for (uint64_t i = 0; i < count; ++i) {
      auto [f, v] = h.Random(rng);
      emit(f, v);
    }
    return;
  }
  const uint64_t reply_size = std::min(count, size);
  r.ArrayHeader(static_cast<int64_t>(withvalues && !resp3 ? reply_size * 2 : reply_size));
  // CASE 2: the whole hash, in encoding order.
  if (count >= size) {
    h.ForEach(emit);
    return;
  }
  if (h.encoding() == storage::Encoding::kListpack) {
    // CASE 2.5 (listpack): distinct random pairs, in listpack order.
    std::vector<size_t> idx(size);
    std::iota(idx.begin(), idx.end(), size_t{0});
    std::shuffle(idx.begin(), idx.end(), rng);
    idx.resize(count);
    std::sort(idx.begin(), idx.end());
    std::vector<std::pair<std::string_view, std::string_view>> pairs;
    pairs.reserve(size);
    h.ForEach([&](std::string_view f, std::string_view v) { pairs.emplace_back(f, v); });
    for (size_t i : idx) emit(pairs[i].first, pairs[i].second);
    return;
  }
  // CASES 3/4 (hashtable): distinct random pairs in no particular order.
  std::vector<std::pair<std::string_view, std::string_view>> all;
  all.reserve(size);
  h.ForEach([&](std::string_view f, std::string_view v) { all.emplace_back(f, v); });
  for (uint64_t i = 0; i < count; ++i) {
    std::uniform_int_distribution<size_t> d(i, all.size() - 1);
    std::swap(all[i], all[d(rng)]);
    emit(all[i].first, all[i].second);
  }
}

void CmdHrandfield(CommandContext& ctx) {
  if (ctx.args.size() >= 3) {
    int64_t l = 0;
    if (!ParseInt64(ctx.args[2], l)) return ctx.Error(err::kNotInteger);
    if (l < -LLONG_MAX) {
      return ctx.Error(
          "ERR value is out of range, value must between -9223372036854775807 and "
          "9223372036854775807");
    }
    if (ctx.args.size() > 4 ||
        (ctx.args.size() == 4 && !EqualsIgnoreCase(ctx.args[3], "withvalues"))) {
      return ctx.Error(err::kSyntax);
    }
    bool withvalues = ctx.args.size() == 4;
    if (withvalues && (l < -LLONG_MAX / 2 || l > LLONG_MAX / 2)) {
      return ctx.Error("ERR value is out of range");
    }
    return HrandfieldWithCount(ctx, l, withvalues);
  }
  bool wrong = false;
  Entry* e = ReadHash(ctx, ctx.args[1], wrong);
  if (wrong) return;
  if (e == nullptr) return ctx.reply().Null();
  ctx.reply().Bulk(HashOf(e).Random(ctx.keyspace().random()).first);
}

void CmdHscan(CommandContext& ctx) {
  uint64_t cursor = 0;
  if (!ParseScanCursor(ctx.args[2], cursor)) return ctx.Error(err::kInvalidCursor);
  bool wrong = false;
  Entry* e = ReadHash(ctx, ctx.args[1], wrong);
  if (wrong) return;
  resp::ReplyBuilder& r = ctx.reply();
  if (e == nullptr) {
    r.ArrayHeader(2);
    r.Bulk("0");
    return r.EmptyArray();
  }
  ScanOptions opts;
  if (!ParseScanOptions(ctx, 3, false, opts)) return;
  const int64_t count = opts.count;
  const std::string_view pattern = opts.pattern;
  const bool use_pattern = opts.use_pattern;
  storage::Hash h = HashOf(e);
  std::vector<std::pair<std::string, std::string>> items;
  auto collect = [&](std::string_view f, std::string_view v) {
    items.emplace_back(std::string(f), std::string(v));
  };
  if (h.encoding() == storage::Encoding::kListpack) {
    // A listpack is returned whole in one call, whatever the cursor (scanGenericCommand).
    h.ForEach(collect);
    cursor = 0;
  } else {
    // scanGenericCommand doubles COUNT for hashes (its list holds fields and values), so COUNT
    // is in pairs and the iteration cap is 20 * COUNT.
    int64_t max_iterations = count * 2 * 10;
    do {
      cursor = h.ScanStep(cursor, collect);
    } while (cursor != 0 && max_iterations-- > 0 && static_cast<int64_t>(items.size()) < count);
  }
  std::vector<const std::pair<std::string, std::string>*> out;
  out.reserve(items.size());
  for (const auto& p : items) {
    if (use_pattern && !config::GlobMatch(pattern, p.first, false)) continue;
    out.push_back(&p);
  }
  r.ArrayHeader(2);
  r.Bulk(std::to_string(cursor));
  r.ArrayHeader(static_cast<int64_t>(out.size() * 2));
  for (const auto* p : out) {
    r.Bulk(p->first);
    r.Bulk(p->second);
  }
}

}  // namespace

void RegisterHashCommands(CommandTable& t) {
  constexpr uint32_t kWF = kCmdWrite | kCmdDenyOom | kCmdFast;
  constexpr uint32_t kRF = kCmdReadonly | kCmdFast;
  t.Add({"hset", -4, kWF, 1, 1, 1, CmdHset, "@write @hash @fast", "hash",
         "Set the string value of a hash field", "2.0.0", "O(1) for each field/value pair added"});
  t.Add({"hsetnx", 4, kWF, 1, 1, 1, CmdHsetnx, "@write @hash @fast", "hash",
         "Set the value of a hash field, only if the field does not exist", "2.0.0"});
  t.Add({"hmset", -4, kWF, 1, 1, 1, CmdHmset, "@write @hash @fast", "hash",
         "Set multiple hash fields to multiple values", "2.0.0", "O(N)"});
  t.Add({"hget", 3, kRF, 1, 1, 1, CmdHget, "@read @hash @fast", "hash",
         "Get the value of a hash field", "2.0.0"});
  t.Add({"hmget", -3, kRF, 1, 1, 1, CmdHmget, "@read @hash @fast", "hash",
         "Get the values of all the given hash fields", "2.0.0", "O(N)"});
  t.Add({"hdel", -3, kCmdWrite | kCmdFast, 1, 1, 1, CmdHdel, "@write @hash @fast", "hash",
         "Delete one or more hash fields", "2.0.0", "O(N)"});
  t.Add({"hlen", 2, kRF, 1, 1, 1, CmdHlen, "@read @hash @fast", "hash",
         "Get the number of fields in a hash", "2.0.0"});
  t.Add({"hstrlen", 3, kRF, 1, 1, 1, CmdHstrlen, "@read @hash @fast", "hash",
         "Get the length of the value of a hash field", "3.2.0"});
  t.Add({"hexists", 3, kRF, 1, 1, 1, CmdHexists, "@read @hash @fast", "hash",
         "Determine if a hash field exists", "2.0.0"});
  t.Add({"hkeys", 2, kCmdReadonly, 1, 1, 1, CmdHkeys, "@read @hash @slow", "hash",
         "Get all the fields in a hash", "2.0.0", "O(N)"});
  t.Add({"hvals", 2, kCmdReadonly, 1, 1, 1, CmdHvals, "@read @hash @slow", "hash",
         "Get all the values in a hash", "2.0.0", "O(N)"});
  t.Add({"hgetall", 2, kCmdReadonly, 1, 1, 1, CmdHgetall, "@read @hash @slow", "hash",
         "Get all the fields and values in a hash", "2.0.0", "O(N)"});
  t.Add({"hincrby", 4, kWF, 1, 1, 1, CmdHincrby, "@write @hash @fast", "hash",
         "Increment the integer value of a hash field by the given number", "2.0.0"});
  t.Add({"hincrbyfloat", 4, kWF, 1, 1, 1, CmdHincrbyfloat, "@write @hash @fast", "hash",
         "Increment the float value of a hash field by the given amount", "2.6.0"});
  t.Add({"hrandfield", -2, kCmdReadonly, 1, 1, 1, CmdHrandfield, "@read @hash @slow", "hash",
         "Get one or multiple random fields from a hash", "6.2.0", "O(N)"});
  t.Add({"hscan", -3, kCmdReadonly, 1, 1, 1, CmdHscan, "@read @hash @slow", "hash",
         "Incrementally iterate hash fields and associated values", "2.8.0", "O(1)"});
}

}  // namespace tandem::server
