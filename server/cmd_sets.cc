// Set commands (t_set.c): membership, random sampling and popping, moves, and the algebra
// (SINTER / SUNION / SDIFF and their STORE forms). Encodings and the intset -> hashtable rule live
// in storage/set.h; every write here syncs the key's reported encoding afterwards.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <string>
#include <vector>

#include "config/glob.h"
#include "server/arg_cursor.h"
#include "server/errors.h"
#include "server/server.h"
#include "storage/set.h"

namespace tandem::server {

namespace {

using storage::Entry;
using storage::ObjType;
using storage::SetObject;

constexpr std::string_view kCountRange =
    "ERR value is out of range, value must between -9223372036854775807 and "
    "9223372036854775807";
constexpr int64_t kSpopMoveStrategyMul = 5;  // SPOP_MOVE_STRATEGY_MUL

size_t MaxIntset(CommandContext& ctx) {
  return static_cast<size_t>(std::max<long long>(0, ctx.server.config().set_max_intset_entries));
}

SetObject& Set(Entry* e) { return e->value.As<SetObject>(); }
void SyncSetEncoding(Entry* e) { e->value.encoding = Set(e).encoding(); }

// Lookup + checkType: the set entry or nullptr; `wrong` says a WRONGTYPE error was sent.
Entry* LookupSet(CommandContext& ctx, std::string_view key, bool write, bool& wrong) {
  wrong = false;
  Entry* e = write ? ctx.LookupWrite(key) : ctx.LookupRead(key);
  if (e != nullptr && e->value.type != ObjType::kSet) {
    ctx.Error(err::kWrongType);
    wrong = true;
    return nullptr;
  }
  return e;
}

// Replies with every member of `s` as a set (RESP3 ~), in encoding order.
void ReplyMembers(CommandContext& ctx, const SetObject& s) {
  ctx.reply().SetHeader(static_cast<int64_t>(s.size()));
  s.ForEach([&](std::string_view m) { ctx.reply().Bulk(m); });
}

// Stores a computed set at `dst` (setKey), or deletes `dst` when the result is empty. Replies with
// the stored cardinality.
void StoreResult(CommandContext& ctx, std::string_view dst, std::unique_ptr<SetObject> result,
                 std::string_view event) {
  if (result->size() > 0) {
    auto n = static_cast<int64_t>(result->size());
    ctx.db().Set(dst, SetObject::Wrap(std::move(result)));
    ctx.reply().Integer(n);
    ctx.Notify(kNotifySet, event, dst);
    ctx.Dirty();
    return;
  }
  ctx.reply().Integer(0);
  if (ctx.db().Delete(dst)) {
    ctx.Dirty();
    ctx.Notify(kNotifyGeneric, "del", dst);
  }
}

// ---- single-set commands -----------------------------------------------------------------------

void CmdSadd(CommandContext& ctx) {
  bool wrong = false;
  Entry* e = LookupSet(ctx, ctx.args[1], true, wrong);
  if (wrong) return;
  if (e == nullptr) {
    e = ctx.db().Add(ctx.args[1], SetObject::Wrap(SetObject::CreateFor(ctx.args[2])));
  }
  SetObject& s = Set(e);
  size_t max_intset = MaxIntset(ctx);
  int64_t added = 0;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    if (s.Add(ctx.args[i], max_intset)) ++added;
  }
  SyncSetEncoding(e);
  if (added > 0) ctx.Notify(kNotifySet, "sadd", ctx.args[1]);
  ctx.Dirty(static_cast<uint64_t>(added));
  ctx.reply().Integer(added);
}

void CmdSrem(CommandContext& ctx) {
  bool wrong = false;
  Entry* e = LookupSet(ctx, ctx.args[1], true, wrong);
  if (wrong) return;
  if (e == nullptr) return ctx.reply().Integer(0);
  SetObject& s = Set(e);
  int64_t deleted = 0;
  bool removed = false;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    if (s.Remove(ctx.args[i])) {
      ++deleted;
      if (s.size() == 0) {
        ctx.db().Delete(ctx.args[1]);
        removed = true;
        break;
      }
    }
  }
  if (deleted > 0) {
    ctx.Notify(kNotifySet, "srem", ctx.args[1]);
    if (removed) ctx.Notify(kNotifyGeneric, "del", ctx.args[1]);
    ctx.Dirty(static_cast<uint64_t>(deleted));
  }
  ctx.reply().Integer(deleted);
}

void CmdScard(CommandContext& ctx) {
  bool wrong = false;
  Entry* e = LookupSet(ctx, ctx.args[1], false, wrong);
  if (wrong) return;
  ctx.reply().Integer(e != nullptr ? static_cast<int64_t>(Set(e).size()) : 0);
}

void CmdSismember(CommandContext& ctx) {
  bool wrong = false;
  Entry* e = LookupSet(ctx, ctx.args[1], false, wrong);
  if (wrong) return;
  ctx.reply().Integer(e != nullptr && Set(e).Contains(ctx.args[2]) ? 1 : 0);
}

void CmdSmismember(CommandContext& ctx) {
  bool wrong = false;
  Entry* e = LookupSet(ctx, ctx.args[1], false, wrong);
  if (wrong) return;
  ctx.reply().ArrayHeader(static_cast<int64_t>(ctx.args.size() - 2));
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    ctx.reply().Integer(e != nullptr && Set(e).Contains(ctx.args[i]) ? 1 : 0);
  }
}

void CmdSmove(CommandContext& ctx) {
  std::string_view src_key = ctx.args[1];
  std::string_view dst_key = ctx.args[2];
  std::string_view member = ctx.args[3];
  Entry* src = ctx.LookupWrite(src_key);
  Entry* dst = ctx.LookupWrite(dst_key);
  if (src == nullptr) return ctx.reply().Integer(0);
  if (src->value.type != ObjType::kSet || (dst != nullptr && dst->value.type != ObjType::kSet)) {
    return ctx.Error(err::kWrongType);
  }
  if (src == dst) return ctx.reply().Integer(Set(src).Contains(member) ? 1 : 0);
  if (!Set(src).Remove(member)) return ctx.reply().Integer(0);
  ctx.Notify(kNotifySet, "srem", src_key);
  if (Set(src).size() == 0) {
    ctx.db().Delete(src_key);
    ctx.Notify(kNotifyGeneric, "del", src_key);
  }
  if (dst == nullptr) dst = ctx.db().Add(dst_key, SetObject::Wrap(SetObject::CreateFor(member)));
  ctx.Dirty();
  if (Set(dst).Add(member, MaxIntset(ctx))) {
    ctx.Dirty();
    ctx.Notify(kNotifySet, "sadd", dst_key);
  }
  SyncSetEncoding(dst);
  ctx.reply().Integer(1);
}

// Parses SRANDMEMBER / HRANDFIELD style counts: an integer in [-LONG_MAX, LONG_MAX].
bool ParseRandomCount(CommandContext& ctx, std::string_view arg, int64_t& out) {
  if (!ParseInt64(arg, out)) {
    ctx.Error(err::kNotInteger);
    return false;
  }
  if (out < -LLONG_MAX) {
    ctx.Error(kCountRange);
    return false;
  }
  return true;
}

// srandmemberWithCountCommand.
void SrandmemberWithCount(CommandContext& ctx) {
  int64_t l = 0;
  if (!ParseRandomCount(ctx, ctx.args[2], l)) return;
  bool wrong = false;
  Entry* e = LookupSet(ctx, ctx.args[1], false, wrong);
  if (wrong) return;
  resp::ReplyBuilder& r = ctx.reply();
  if (e == nullptr || l == 0) return r.EmptyArray();
  SetObject& s = Set(e);
  const bool uniq = l > 0;
  const uint64_t count = uniq ? static_cast<uint64_t>(l) : static_cast<uint64_t>(-l);
  const uint64_t size = s.size();
  auto& rng = ctx.keyspace().random();
  // CASE 1: negative count (repetitions, random order) or a single member.
  if (!uniq || count == 1) {
    r.ArrayHeader(static_cast<int64_t>(count));
    for (uint64_t i = 0; i < count; ++i) r.Bulk(s.Random(rng));
    return;
  }
  // CASE 2: the whole set, in encoding order.
  if (count >= size) {
    r.ArrayHeader(static_cast<int64_t>(size));
    s.ForEach([&](std::string_view m) { r.Bulk(m); });
    return;
  }
  // CASES 3/4: distinct random members in no particular order.
  std::vector<std::string> all;
  all.reserve(size);
  s.ForEach([&](std::string_view m) { all.emplace_back(m); });
  r.ArrayHeader(static_cast<int64_t>(count));
  for (uint64_t i = 0; i < count; ++i) {
    std::uniform_int_distribution<size_t> d(i, all.size() - 1);
    std::swap(all[i], all[d(rng)]);
    r.Bulk(all[i]);
  }
}

void CmdSrandmember(CommandContext& ctx) {
  if (ctx.args.size() == 3) return SrandmemberWithCount(ctx);
  if (ctx.args.size() > 3) return ctx.Error(err::kSyntax);
  bool wrong = false;
  Entry* e = LookupSet(ctx, ctx.args[1], false, wrong);
  if (wrong) return;
  if (e == nullptr) return ctx.reply().Null();
  ctx.reply().Bulk(Set(e).Random(ctx.keyspace().random()));
}

// spopWithCountCommand.
void SpopWithCount(CommandContext& ctx) {
  int64_t count = 0;
  if (!ParseInt64(ctx.args[2], count) || count < 0) return ctx.Error(err::kNegativeCount);
  std::string_view key = ctx.args[1];
  bool wrong = false;
  Entry* e = LookupSet(ctx, key, true, wrong);
  if (wrong) return;
  resp::ReplyBuilder& r = ctx.reply();
  if (e == nullptr || count == 0) return r.SetHeader(0);
  SetObject& s = Set(e);
  const auto size = static_cast<int64_t>(s.size());
  ctx.Notify(kNotifySet, "spop", key);
  ctx.Dirty(static_cast<uint64_t>(count));
  auto& rng = ctx.keyspace().random();
  size_t max_intset = MaxIntset(ctx);
  // CASE 1: everything goes; the reply is the set rebuilt as SUNION would (intset first).
  if (count >= size) {
    SetObject all;
    s.ForEach([&](std::string_view m) { all.Add(m, max_intset); });
    ReplyMembers(ctx, all);
    ctx.db().Delete(key);
    ctx.Notify(kNotifyGeneric, "del", key);
    ctx.PropagateAs({"DEL", std::string(key)});
    return;
  }
  int64_t remaining = size - count;
  if (remaining * kSpopMoveStrategyMul > count) {
    // CASE 2: pop `count` random members, in the order popped.
    r.SetHeader(count);
    std::vector<std::string> srem{"SREM", std::string(key)};
    for (int64_t i = 0; i < count; ++i) {
      std::string m = s.Random(rng);
      s.Remove(m);
      r.Bulk(m);
      srem.push_back(std::move(m));
    }
    ctx.PropagateAs(std::move(srem));
  } else {
    // CASE 3: move the few remaining members to a new set and return the old one.
    std::unique_ptr<SetObject> kept;
    for (int64_t i = 0; i < remaining; ++i) {
      std::string m = s.Random(rng);
      if (!kept) kept = SetObject::CreateFor(m);
      kept->Add(m, max_intset);
      s.Remove(m);
    }
    ReplyMembers(ctx, s);
    std::vector<std::string> srem{"SREM", std::string(key)};
    s.ForEach([&](std::string_view m) { srem.emplace_back(m); });
    ctx.PropagateAs(std::move(srem));
    // dbOverwrite: the entry (and its TTL) stays, only the value changes.
    e->value = SetObject::Wrap(std::move(kept));
  }
  SyncSetEncoding(e);
}

void CmdSpop(CommandContext& ctx) {
  if (ctx.args.size() == 3) return SpopWithCount(ctx);
  if (ctx.args.size() > 3) return ctx.Error(err::kSyntax);
  std::string_view key = ctx.args[1];
  bool wrong = false;
  Entry* e = LookupSet(ctx, key, true, wrong);
  if (wrong) return;
  if (e == nullptr) return ctx.reply().Null();
  SetObject& s = Set(e);
  std::string m = s.Random(ctx.keyspace().random());
  s.Remove(m);
  ctx.PropagateAs({"SREM", std::string(key), m});  // the random choice reaches replicas as SREM
  ctx.Notify(kNotifySet, "spop", key);
  ctx.reply().Bulk(m);
  if (s.size() == 0) {
    ctx.db().Delete(key);
    ctx.Notify(kNotifyGeneric, "del", key);
  }
  ctx.Dirty();
}

// ---- algebra -----------------------------------------------------------------------------------

// Looks up every key as a set (missing = nullptr). False after a WRONGTYPE reply.
bool LookupSets(CommandContext& ctx, std::span<const std::string_view> keys, bool write,
                std::vector<SetObject*>& sets) {
  sets.clear();
  for (std::string_view k : keys) {
    bool wrong = false;
    Entry* e = LookupSet(ctx, k, write, wrong);
    if (wrong) return false;
    sets.push_back(e != nullptr ? &Set(e) : nullptr);
  }
  return true;
}

enum class InterMode { kReply, kStore, kCard };

// sinterGenericCommand: walks the smallest set and keeps the members every other set has.
void SinterGeneric(CommandContext& ctx, std::span<const std::string_view> keys,
                   std::string_view dst, InterMode mode, uint64_t limit) {
  std::vector<SetObject*> sets;
  if (!LookupSets(ctx, keys, mode == InterMode::kStore, sets)) return;
  resp::ReplyBuilder& r = ctx.reply();
  if (std::find(sets.begin(), sets.end(), nullptr) != sets.end()) {
    if (mode == InterMode::kStore) {
      if (ctx.db().Delete(dst)) {
        ctx.Notify(kNotifyGeneric, "del", dst);
        ctx.Dirty();
      }
      return r.Integer(0);
    }
    if (mode == InterMode::kCard) return r.Integer(0);
    return r.SetHeader(0);
  }
  std::stable_sort(sets.begin(), sets.end(),
                   [](const SetObject* a, const SetObject* b) { return a->size() < b->size(); });
  std::vector<std::string> members;
  uint64_t cardinality = 0;
  bool stop = false;
  sets[0]->ForEach([&](std::string_view m) {
    if (stop) return;
    for (size_t j = 1; j < sets.size(); ++j) {
      if (sets[j] == sets[0]) continue;
      if (!sets[j]->Contains(m)) return;
    }
    ++cardinality;
    if (mode == InterMode::kCard) {
      if (limit != 0 && cardinality >= limit) stop = true;
      return;
    }
    members.emplace_back(m);
  });
  if (mode == InterMode::kCard) return r.Integer(static_cast<int64_t>(cardinality));
  if (mode == InterMode::kReply) {
    r.SetHeader(static_cast<int64_t>(members.size()));
    for (const auto& m : members) r.Bulk(m);
    return;
  }
  auto result = std::make_unique<SetObject>();
  size_t max_intset = MaxIntset(ctx);
  for (const auto& m : members) result->Add(m, max_intset);
  StoreResult(ctx, dst, std::move(result), "sinterstore");
}

void CmdSinter(CommandContext& ctx) {
  SinterGeneric(ctx, ctx.args.subspan(1), {}, InterMode::kReply, 0);
}
void CmdSmembers(CommandContext& ctx) {
  SinterGeneric(ctx, ctx.args.subspan(1, 1), {}, InterMode::kReply, 0);
}
void CmdSinterstore(CommandContext& ctx) {
  SinterGeneric(ctx, ctx.args.subspan(2), ctx.args[1], InterMode::kStore, 0);
}

void CmdSintercard(CommandContext& ctx) {
  int64_t numkeys = 0;
  if (!ParseInt64(ctx.args[1], numkeys) || numkeys < 1) {
    return ctx.Error("ERR numkeys should be greater than 0");
  }
  if (numkeys > static_cast<int64_t>(ctx.args.size()) - 2) {
    return ctx.Error("ERR Number of keys can't be greater than number of args");
  }
  int64_t limit = 0;
  for (size_t j = 2 + static_cast<size_t>(numkeys); j < ctx.args.size(); ++j) {
    bool more = j + 1 < ctx.args.size();
    if (EqualsIgnoreCase(ctx.args[j], "limit") && more) {
      ++j;
      if (!ParseInt64(ctx.args[j], limit) || limit < 0) {
        return ctx.Error("ERR LIMIT can't be negative");
      }
    } else {
      return ctx.Error(err::kSyntax);
    }
  }
  SinterGeneric(ctx, ctx.args.subspan(2, static_cast<size_t>(numkeys)), {}, InterMode::kCard,
                static_cast<uint64_t>(limit));
}

enum class SetOp { kUnion, kDiff };

// sunionDiffGenericCommand: builds the result in a fresh set (intset first, as Redis's
// createIntsetObject), then replies with it or stores it.
void SunionDiffGeneric(CommandContext& ctx, std::span<const std::string_view> keys,
                       std::string_view dst, bool store, SetOp op) {
  std::vector<SetObject*> sets;
  if (!LookupSets(ctx, keys, store, sets)) return;
  bool sameset = false;
  for (size_t j = 1; j < sets.size(); ++j) {
    if (sets[j] != nullptr && sets[j] == sets[0]) sameset = true;
  }
  int diff_algo = 1;
  if (op == SetOp::kDiff && sets[0] != nullptr && !sameset) {
    int64_t algo_one_work = 0;
    int64_t algo_two_work = 0;
    for (SetObject* s : sets) {
      if (s == nullptr) continue;
      algo_one_work += static_cast<int64_t>(sets[0]->size());
      algo_two_work += static_cast<int64_t>(s->size());
    }
    algo_one_work /= 2;
    diff_algo = algo_one_work <= algo_two_work ? 1 : 2;
    if (diff_algo == 1 && sets.size() > 1) {
      std::stable_sort(sets.begin() + 1, sets.end(), [](const SetObject* a, const SetObject* b) {
        size_t sa = a ? a->size() : 0;
        size_t sb = b ? b->size() : 0;
        return sa > sb;
      });
    }
  }
  auto result = std::make_unique<SetObject>();
  size_t max_intset = MaxIntset(ctx);
  if (op == SetOp::kUnion) {
    for (SetObject* s : sets) {
      if (s != nullptr) s->ForEach([&](std::string_view m) { result->Add(m, max_intset); });
    }
  } else if (sets[0] != nullptr && !sameset) {
    if (diff_algo == 1) {
      sets[0]->ForEach([&](std::string_view m) {
        for (size_t j = 1; j < sets.size(); ++j) {
          if (sets[j] != nullptr && sets[j]->Contains(m)) return;
        }
        result->Add(m, max_intset);
      });
    } else {
      for (size_t j = 0; j < sets.size(); ++j) {
        if (sets[j] == nullptr) continue;
        sets[j]->ForEach([&](std::string_view m) {
          if (j == 0) {
            result->Add(m, max_intset);
          } else {
            result->Remove(m);
          }
        });
        if (result->size() == 0) break;
      }
    }
  }
  if (!store) return ReplyMembers(ctx, *result);
  StoreResult(ctx, dst, std::move(result), op == SetOp::kUnion ? "sunionstore" : "sdiffstore");
}

void CmdSunion(CommandContext& ctx) {
  SunionDiffGeneric(ctx, ctx.args.subspan(1), {}, false, SetOp::kUnion);
}
void CmdSunionstore(CommandContext& ctx) {
  SunionDiffGeneric(ctx, ctx.args.subspan(2), ctx.args[1], true, SetOp::kUnion);
}
void CmdSdiff(CommandContext& ctx) {
  SunionDiffGeneric(ctx, ctx.args.subspan(1), {}, false, SetOp::kDiff);
}
void CmdSdiffstore(CommandContext& ctx) {
  SunionDiffGeneric(ctx, ctx.args.subspan(2), ctx.args[1], true, SetOp::kDiff);
}

void CmdSscan(CommandContext& ctx) {
  uint64_t cursor = 0;
  if (!ParseScanCursor(ctx.args[2], cursor)) return ctx.Error(err::kInvalidCursor);
  bool wrong = false;
  Entry* e = LookupSet(ctx, ctx.args[1], false, wrong);
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
  SetObject& s = Set(e);
  std::vector<std::string> items;
  auto collect = [&](std::string_view m) { items.emplace_back(m); };
  if (s.encoding() == storage::Encoding::kIntset) {
    // An intset is returned whole in one call, whatever the cursor.
    s.ForEach(collect);
    cursor = 0;
  } else {
    int64_t max_iterations = count * 10;
    do {
      cursor = s.ScanStep(cursor, collect);
    } while (cursor != 0 && max_iterations-- > 0 && static_cast<int64_t>(items.size()) < count);
  }
  std::vector<std::string_view> out;
  out.reserve(items.size());
  for (const auto& m : items) {
    if (use_pattern && !config::GlobMatch(pattern, m, false)) continue;
    out.push_back(m);
  }
  r.ArrayHeader(2);
  r.Bulk(std::to_string(cursor));
  r.ArrayHeader(static_cast<int64_t>(out.size()));
  for (std::string_view m : out) r.Bulk(m);
}

}  // namespace

void RegisterSetCommands(CommandTable& t) {
  constexpr uint32_t kWF = kCmdWrite | kCmdDenyOom | kCmdFast;
  constexpr uint32_t kRF = kCmdReadonly | kCmdFast;
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
  t.Add({"sadd", -3, kWF, 1, 1, 1, CmdSadd, "@write @set @fast", "set",
         "Add one or more members to a set", "1.0.0", "O(1) for each element added"});
  t.Add({"srem", -3, kCmdWrite | kCmdFast, 1, 1, 1, CmdSrem, "@write @set @fast", "set",
         "Remove one or more members from a set", "1.0.0", "O(N)"});
  t.Add({"scard", 2, kRF, 1, 1, 1, CmdScard, "@read @set @fast", "set",
         "Get the number of members in a set", "1.0.0"});
  t.Add({"sismember", 3, kRF, 1, 1, 1, CmdSismember, "@read @set @fast", "set",
         "Determine if a given value is a member of a set", "1.0.0"});
  t.Add({"smismember", -3, kRF, 1, 1, 1, CmdSmismember, "@read @set @fast", "set",
         "Returns the membership associated with the given elements for a set", "6.2.0", "O(N)"});
  t.Add({"smembers", 2, kCmdReadonly, 1, 1, 1, CmdSmembers, "@read @set @slow", "set",
         "Get all the members in a set", "1.0.0", "O(N)"});
  t.Add({"srandmember", -2, kCmdReadonly, 1, 1, 1, CmdSrandmember, "@read @set @slow", "set",
         "Get one or multiple random members from a set", "1.0.0", "O(N)"});
  t.Add({"spop", -2, kCmdWrite | kCmdFast, 1, 1, 1, CmdSpop, "@write @set @fast", "set",
         "Remove and return one or multiple random members from a set", "1.0.0", "O(N)"});
  t.Add({"smove", 4, kCmdWrite | kCmdFast, 1, 2, 1, CmdSmove, "@write @set @fast", "set",
         "Move a member from one set to another", "1.0.0"});
  t.Add({"sinter", -2, kCmdReadonly, 1, -1, 1, CmdSinter, "@read @set @slow", "set",
         "Intersect multiple sets", "1.0.0", "O(N*M)"});
  t.Add({"sintercard", -3, kCmdReadonly | kCmdMovableKeys, 0, 0, 0, CmdSintercard,
         "@read @set @slow", "set",
         "Intersect multiple sets and return the cardinality of the result", "7.0.0", "O(N*M)"});
  t.Add({"sinterstore", -3, kW, 1, -1, 1, CmdSinterstore, "@write @set @slow", "set",
         "Intersect multiple sets and store the resulting set in a key", "1.0.0", "O(N*M)"});
  t.Add({"sunion", -2, kCmdReadonly, 1, -1, 1, CmdSunion, "@read @set @slow", "set",
         "Add multiple sets", "1.0.0", "O(N)"});
  t.Add({"sunionstore", -3, kW, 1, -1, 1, CmdSunionstore, "@write @set @slow", "set",
         "Add multiple sets and store the resulting set in a key", "1.0.0", "O(N)"});
  t.Add({"sdiff", -2, kCmdReadonly, 1, -1, 1, CmdSdiff, "@read @set @slow", "set",
         "Subtract multiple sets", "1.0.0", "O(N)"});
  t.Add({"sdiffstore", -3, kW, 1, -1, 1, CmdSdiffstore, "@write @set @slow", "set",
         "Subtract multiple sets and store the resulting set in a key", "1.0.0", "O(N)"});
  t.Add({"sscan", -3, kCmdReadonly, 1, 1, 1, CmdSscan, "@read @set @slow", "set",
         "Incrementally iterate Set elements", "2.0.0", "O(1)"});
}

}  // namespace tandem::server
