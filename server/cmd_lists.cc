// List commands (t_list.c), the non-blocking part: pushes, pops (with COUNT), ranges, index
// access, LINSERT / LREM / LTRIM / LPOS, LMOVE / RPOPLPUSH and LMPOP. The blocking variants
// (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP) need the server's blocked-client machinery.
//
// Contracts kept as Redis keeps them:
//  - a list that becomes empty is deleted at once, with a "del" generic event after the list
//    event that emptied it (listElementsRemoved);
//  - arguments are validated in Redis's order, which decides which error a bad command gets
//    (e.g. LRANGE parses its indexes before looking the key up, LINDEX after);
//  - replies and keyspace events are emitted in Redis's order, which a RESP3 client subscribed
//    to its own keyspace events can observe.
#include <algorithm>
#include <climits>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server/arg_cursor.h"
#include "server/errors.h"
#include "server/server.h"
#include "server/server_config.h"
#include "storage/list.h"

namespace tandem::server {

namespace {

using storage::Entry;
using storage::ListObject;
using storage::ObjType;

enum class End { kHead, kTail };  // LIST_HEAD (left) / LIST_TAIL (right)

ListObject& List(Entry* e) { return e->value.As<ListObject>(); }

// checkType: true (and an error reply) when `e` exists and is not a list.
bool WrongType(CommandContext& ctx, const Entry* e) {
  if (e != nullptr && e->value.type != ObjType::kList) {
    ctx.Error(err::kWrongType);
    return true;
  }
  return false;
}

// getLongFromObjectOrReply with no custom message.
bool ParseLong(CommandContext& ctx, std::string_view arg, int64_t& out) {
  if (ParseInt64(arg, out)) return true;
  ctx.Error(err::kNotInteger);
  return false;
}

// getRangeLongFromObjectOrReply(min, LONG_MAX) with a custom message: Redis sends the message
// both for a non-integer and for a value below `min`.
bool ParseAtLeast(CommandContext& ctx, std::string_view arg, int64_t min, std::string_view message,
                  int64_t& out) {
  if (ParseInt64(arg, out) && out >= min) return true;
  ctx.Error(message);
  return false;
}

// getPositiveLongFromObjectOrReply(msg = NULL): Redis substitutes its default message for the
// missing one, so a non-integer and a negative value both get "must be positive".
bool ParsePositive(CommandContext& ctx, std::string_view arg, int64_t& out) {
  return ParseAtLeast(ctx, arg, 0, err::kNegativeCount, out);
}

// getListPositionFromObjectOrReply: LEFT / RIGHT.
bool ParseEnd(CommandContext& ctx, std::string_view arg, End& out) {
  if (EqualsIgnoreCase(arg, "right")) {
    out = End::kTail;
  } else if (EqualsIgnoreCase(arg, "left")) {
    out = End::kHead;
  } else {
    ctx.Error(err::kSyntax);
    return false;
  }
  return true;
}

std::string_view PushEvent(End where) { return where == End::kHead ? "lpush" : "rpush"; }
std::string_view PopEvent(End where) { return where == End::kHead ? "lpop" : "rpop"; }

// listElementsRemoved: the pop event, then deletion of an emptied list with its "del" event.
void ElementsRemoved(CommandContext& ctx, std::string_view key, End where, Entry* e,
                     int64_t count) {
  ctx.Notify(kNotifyList, PopEvent(where), key);
  if (List(e).empty()) {
    ctx.db().Delete(key);
    ctx.Notify(kNotifyGeneric, "del", key);
  }
  ctx.Dirty(static_cast<uint64_t>(count));
}

// Pops min(count, length) elements from `where` and replies with them as an array in pop order
// (addListRangeReply with reverse for the tail). Returns how many were popped.
int64_t PopRangeReply(CommandContext& ctx, Entry* e, End where, int64_t count) {
  ListObject::Container& items = List(e).items();
  const auto len = static_cast<int64_t>(items.size());
  const int64_t n = std::min(count, len);
  ctx.reply().ArrayHeader(n);
  if (where == End::kHead) {
    for (int64_t i = 0; i < n; ++i) ctx.reply().Bulk(items[static_cast<size_t>(i)]);
    List(e).EraseRange(0, static_cast<size_t>(n));
  } else {
    for (int64_t i = 0; i < n; ++i) ctx.reply().Bulk(items[static_cast<size_t>(len - 1 - i)]);
    List(e).EraseRange(static_cast<size_t>(len - n), static_cast<size_t>(n));
  }
  return n;
}

// --------------------------------------------------------------------------------------------
// Push
// --------------------------------------------------------------------------------------------

// LPUSH / RPUSH / LPUSHX / RPUSHX (pushGenericCommand); `xx` only pushes to an existing list.
void PushGeneric(CommandContext& ctx, End where, bool xx) {
  std::string_view key = ctx.args[1];
  Entry* e = ctx.LookupWrite(key);
  if (WrongType(ctx, e)) return;
  if (e == nullptr) {
    if (xx) return ctx.reply().Integer(0);
    e = ctx.db().Add(key, ListObject::NewValue());
  }
  ListObject& list = List(e);
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    if (where == End::kHead) {
      list.PushFront(ctx.args[i]);
    } else {
      list.PushBack(ctx.args[i]);
    }
  }
  ctx.Dirty(ctx.args.size() - 2);
  ctx.reply().Integer(static_cast<int64_t>(list.size()));
  ctx.Notify(kNotifyList, PushEvent(where), key);
}

void CmdLpush(CommandContext& ctx) { PushGeneric(ctx, End::kHead, false); }
void CmdRpush(CommandContext& ctx) { PushGeneric(ctx, End::kTail, false); }
void CmdLpushx(CommandContext& ctx) { PushGeneric(ctx, End::kHead, true); }
void CmdRpushx(CommandContext& ctx) { PushGeneric(ctx, End::kTail, true); }

// LINSERT key BEFORE|AFTER pivot element: the new length, 0 without the key, -1 without pivot.
void CmdLinsert(CommandContext& ctx) {
  bool after;
  if (EqualsIgnoreCase(ctx.args[2], "after")) {
    after = true;
  } else if (EqualsIgnoreCase(ctx.args[2], "before")) {
    after = false;
  } else {
    return ctx.Error(err::kSyntax);
  }
  Entry* e = ctx.LookupWrite(ctx.args[1]);
  if (e == nullptr) return ctx.reply().Integer(0);
  if (WrongType(ctx, e)) return;
  ListObject& list = List(e);
  const auto& items = list.items();
  auto it = std::find(items.begin(), items.end(), ctx.args[3]);
  if (it == items.end()) return ctx.reply().Integer(-1);
  auto pos = static_cast<size_t>(it - items.begin());
  list.InsertAt(after ? pos + 1 : pos, ctx.args[4]);
  ctx.Notify(kNotifyList, "linsert", ctx.args[1]);
  ctx.Dirty();
  ctx.reply().Integer(static_cast<int64_t>(list.size()));
}

// --------------------------------------------------------------------------------------------
// Read
// --------------------------------------------------------------------------------------------

void CmdLlen(CommandContext& ctx) {
  Entry* e = ctx.LookupRead(ctx.args[1]);
  if (e == nullptr) return ctx.reply().Integer(0);
  if (WrongType(ctx, e)) return;
  ctx.reply().Integer(static_cast<int64_t>(List(e).size()));
}

// LINDEX looks the key up before it parses the index.
void CmdLindex(CommandContext& ctx) {
  Entry* e = ctx.LookupRead(ctx.args[1]);
  if (e == nullptr) return ctx.reply().Null();
  if (WrongType(ctx, e)) return;
  int64_t index = 0;
  if (!ParseLong(ctx, ctx.args[2], index)) return;
  const storage::ListItem* v = List(e).Index(index);
  if (v == nullptr) return ctx.reply().Null();
  ctx.reply().Bulk(*v);
}

// Normalises a Redis [start, end] range over `len` elements (negative = from the tail). False
// when the range is empty.
bool NormalizeRange(int64_t len, int64_t& start, int64_t& end) {
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (start > end || start >= len) return false;
  if (end >= len) end = len - 1;
  return true;
}

void CmdLrange(CommandContext& ctx) {
  int64_t start = 0;
  int64_t end = 0;
  if (!ParseLong(ctx, ctx.args[2], start) || !ParseLong(ctx, ctx.args[3], end)) return;
  Entry* e = ctx.LookupRead(ctx.args[1]);
  if (e == nullptr) return ctx.reply().EmptyArray();
  if (WrongType(ctx, e)) return;
  const auto& items = List(e).items();
  if (!NormalizeRange(static_cast<int64_t>(items.size()), start, end)) {
    return ctx.reply().EmptyArray();
  }
  ctx.reply().ArrayHeader(end - start + 1);
  for (int64_t i = start; i <= end; ++i) ctx.reply().Bulk(items[static_cast<size_t>(i)]);
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]. Without COUNT: the index of
// the rank-th match or null; with COUNT: an array of up to `count` indexes (0 = all).
void CmdLpos(CommandContext& ctx) {
  std::string_view ele = ctx.args[2];
  int64_t rank = 1;
  int64_t count = -1;  // -1: COUNT not given
  int64_t maxlen = 0;
  for (size_t j = 3; j < ctx.args.size(); ++j) {
    std::string_view opt = ctx.args[j];
    bool more = j + 1 < ctx.args.size();
    if (EqualsIgnoreCase(opt, "RANK") && more) {
      if (!ParseLong(ctx, ctx.args[++j], rank)) return;
      if (rank == 0) {
        return ctx.Error(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
            "or use negative to start from the end of the list");
      }
    } else if (EqualsIgnoreCase(opt, "COUNT") && more) {
      if (!ParseAtLeast(ctx, ctx.args[++j], 0, "ERR COUNT can't be negative", count)) return;
    } else if (EqualsIgnoreCase(opt, "MAXLEN") && more) {
      if (!ParseAtLeast(ctx, ctx.args[++j], 0, "ERR MAXLEN can't be negative", maxlen)) return;
    } else {
      return ctx.Error(err::kSyntax);
    }
  }
  // A negative rank searches from the tail. Redis negates a C long, so LONG_MIN stays negative
  // and then counts as "every match qualifies"; the unsigned negation reproduces that.
  bool from_tail = rank < 0;
  if (from_tail) rank = static_cast<int64_t>(0 - static_cast<uint64_t>(rank));

  Entry* e = ctx.LookupRead(ctx.args[1]);
  if (e == nullptr) {
    if (count != -1) return ctx.reply().EmptyArray();
    return ctx.reply().Null();
  }
  if (WrongType(ctx, e)) return;

  const auto& items = List(e).items();
  const auto llen = static_cast<int64_t>(items.size());
  std::vector<int64_t> found;
  int64_t matches = 0;
  int64_t matchindex = -1;
  for (int64_t index = 0; index < llen && (maxlen == 0 || index < maxlen); ++index) {
    std::string_view el = items[static_cast<size_t>(from_tail ? llen - 1 - index : index)];
    if (el == ele) {
      ++matches;
      matchindex = from_tail ? llen - index - 1 : index;
      if (matches >= rank) {
        if (count == -1) break;
        found.push_back(matchindex);
        // matches - rank + 1 as C computes it (wrapping when rank is LONG_MIN).
        auto taken =
            static_cast<int64_t>(static_cast<uint64_t>(matches) - static_cast<uint64_t>(rank) + 1);
        if (count != 0 && taken >= count) break;
      }
    }
    matchindex = -1;  // the loop ended without a match at this position
  }
  if (count != -1) {
    ctx.reply().ArrayHeader(static_cast<int64_t>(found.size()));
    for (int64_t i : found) ctx.reply().Integer(i);
  } else if (matchindex != -1) {
    ctx.reply().Integer(matchindex);
  } else {
    ctx.reply().Null();
  }
}

// --------------------------------------------------------------------------------------------
// Modify
// --------------------------------------------------------------------------------------------

// LSET looks the key up before it parses the index.
void CmdLset(CommandContext& ctx) {
  Entry* e = ctx.LookupWrite(ctx.args[1]);
  if (e == nullptr) return ctx.Error(err::kNoSuchKey);
  if (WrongType(ctx, e)) return;
  int64_t index = 0;
  if (!ParseLong(ctx, ctx.args[2], index)) return;
  if (!List(e).Set(index, ctx.args[3])) return ctx.Error("ERR index out of range");
  ctx.reply().Ok();
  ctx.Notify(kNotifyList, "lset", ctx.args[1]);
  ctx.Dirty();
}

// LTRIM keeps [start, end]; the "ltrim" event fires even when nothing was removed.
void CmdLtrim(CommandContext& ctx) {
  int64_t start = 0;
  int64_t end = 0;
  if (!ParseLong(ctx, ctx.args[2], start) || !ParseLong(ctx, ctx.args[3], end)) return;
  std::string_view key = ctx.args[1];
  Entry* e = ctx.LookupWrite(key);
  if (e == nullptr) return ctx.reply().Ok();
  if (WrongType(ctx, e)) return;
  ListObject& list = List(e);
  const auto llen = static_cast<int64_t>(list.size());
  int64_t ltrim = llen;
  int64_t rtrim = 0;
  if (NormalizeRange(llen, start, end)) {
    ltrim = start;
    rtrim = llen - end - 1;
  }
  list.EraseRange(static_cast<size_t>(llen - rtrim), static_cast<size_t>(rtrim));
  list.EraseRange(0, static_cast<size_t>(ltrim));
  ctx.Notify(kNotifyList, "ltrim", key);
  if (list.empty()) {
    ctx.db().Delete(key);
    ctx.Notify(kNotifyGeneric, "del", key);
  }
  ctx.Dirty(static_cast<uint64_t>(ltrim + rtrim));
  ctx.reply().Ok();
}

// LREM key count element: count > 0 removes the first `count` matches from the head, < 0 from
// the tail, 0 all of them.
void CmdLrem(CommandContext& ctx) {
  int64_t toremove = 0;
  if (!ParseLong(ctx, ctx.args[2], toremove)) return;
  std::string_view key = ctx.args[1];
  Entry* e = ctx.LookupWrite(key);
  if (e == nullptr) return ctx.reply().Integer(0);
  if (WrongType(ctx, e)) return;
  // The limit as Redis's negated C long behaves: 0 and LONG_MIN never stop the scan.
  uint64_t limit =
      toremove < 0 ? 0 - static_cast<uint64_t>(toremove) : static_cast<uint64_t>(toremove);
  if (limit == 0) limit = UINT64_MAX;
  std::string_view ele = ctx.args[3];
  ListObject::Container& items = List(e).items();
  const size_t n = items.size();
  uint64_t removed = 0;
  if (toremove >= 0) {
    size_t w = 0;
    for (size_t r = 0; r < n; ++r) {
      if (removed < limit && items[r] == ele) {
        ++removed;
        continue;
      }
      if (w != r) items[w] = std::move(items[r]);
      ++w;
    }
    items.erase(items.begin() + static_cast<std::ptrdiff_t>(w), items.end());
  } else {
    size_t w = n;
    for (size_t r = n; r-- > 0;) {
      if (removed < limit && items[r] == ele) {
        ++removed;
        continue;
      }
      --w;
      if (w != r) items[w] = std::move(items[r]);
    }
    items.erase(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(w));
  }
  if (removed > 0) {
    ctx.Dirty(removed);
    ctx.Notify(kNotifyList, "lrem", key);
    if (items.empty()) {
      ctx.db().Delete(key);
      ctx.Notify(kNotifyGeneric, "del", key);
    }
  }
  ctx.reply().Integer(static_cast<int64_t>(removed));
}

// --------------------------------------------------------------------------------------------
// Pop and move
// --------------------------------------------------------------------------------------------

// LPOP / RPOP key [count]: one element as a bulk string, or with a count an array (null array
// for a missing key, empty array for count 0).
void PopGeneric(CommandContext& ctx, End where) {
  if (ctx.args.size() > 3) return ctx.WrongArity();
  const bool has_count = ctx.args.size() == 3;
  int64_t count = 0;
  if (has_count && !ParsePositive(ctx, ctx.args[2], count)) return;
  std::string_view key = ctx.args[1];
  Entry* e = ctx.LookupWrite(key);
  if (e == nullptr) return has_count ? ctx.reply().NullArray() : ctx.reply().Null();
  if (WrongType(ctx, e)) return;
  if (has_count && count == 0) return ctx.reply().EmptyArray();
  if (!has_count) {
    ListObject& list = List(e);
    std::string v = where == End::kHead ? list.PopFront() : list.PopBack();
    ctx.reply().Bulk(v);
    ElementsRemoved(ctx, key, where, e, 1);
    return;
  }
  int64_t popped = PopRangeReply(ctx, e, where, count);
  ElementsRemoved(ctx, key, where, e, popped);
}

void CmdLpop(CommandContext& ctx) { PopGeneric(ctx, End::kHead); }
void CmdRpop(CommandContext& ctx) { PopGeneric(ctx, End::kTail); }

// lmoveGenericCommand: pops from `from` of the source, pushes at `to` of the destination (which
// may be the same list) and replies with the element.
void MoveGeneric(CommandContext& ctx, End from, End to) {
  std::string_view src_key = ctx.args[1];
  std::string_view dst_key = ctx.args[2];
  Entry* src = ctx.LookupWrite(src_key);
  if (src == nullptr) return ctx.reply().Null();
  if (WrongType(ctx, src)) return;
  Entry* dst = ctx.LookupWrite(dst_key);
  if (WrongType(ctx, dst)) return;
  ListObject& slist = List(src);
  std::string v = from == End::kHead ? slist.PopFront() : slist.PopBack();
  // The source stays in the keyspace (possibly empty) until after the push, so a rotation of a
  // one-element list (source == destination) finds the same entry.
  if (dst == nullptr) dst = ctx.db().Add(dst_key, ListObject::NewValue());
  if (to == End::kHead) {
    List(dst).PushFront(v);
  } else {
    List(dst).PushBack(v);
  }
  ctx.Notify(kNotifyList, PushEvent(to), dst_key);
  ctx.reply().Bulk(v);
  ElementsRemoved(ctx, src_key, from, src, 1);
}

void CmdLmove(CommandContext& ctx) {
  End from;
  End to;
  if (!ParseEnd(ctx, ctx.args[3], from) || !ParseEnd(ctx, ctx.args[4], to)) return;
  MoveGeneric(ctx, from, to);
}

void CmdRpoplpush(CommandContext& ctx) { MoveGeneric(ctx, End::kTail, End::kHead); }

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]: pops from the first non-empty list and
// replies [key, [elements]], or a null array when every list is missing.
void CmdLmpop(CommandContext& ctx) {
  constexpr size_t kNumkeysIdx = 1;
  int64_t numkeys = 0;
  if (!ParseAtLeast(ctx, ctx.args[kNumkeysIdx], 1, "ERR numkeys should be greater than 0",
                    numkeys)) {
    return;
  }
  // where_idx = numkeys_idx + numkeys + 1 must name an argument (compared without overflow).
  const auto argc = static_cast<int64_t>(ctx.args.size());
  if (numkeys >= argc - static_cast<int64_t>(kNumkeysIdx) - 1) return ctx.Error(err::kSyntax);
  const size_t where_idx = kNumkeysIdx + static_cast<size_t>(numkeys) + 1;
  End where;
  if (!ParseEnd(ctx, ctx.args[where_idx], where)) return;
  int64_t count = -1;
  for (size_t j = where_idx + 1; j < ctx.args.size(); ++j) {
    bool more = j + 1 < ctx.args.size();
    if (count == -1 && EqualsIgnoreCase(ctx.args[j], "COUNT") && more) {
      if (!ParseAtLeast(ctx, ctx.args[++j], 1, "ERR count should be greater than 0", count)) {
        return;
      }
    } else {
      return ctx.Error(err::kSyntax);
    }
  }
  if (count == -1) count = 1;

  for (size_t j = kNumkeysIdx + 1; j < where_idx; ++j) {
    std::string_view key = ctx.args[j];
    Entry* e = ctx.LookupWrite(key);
    if (e == nullptr) continue;
    if (WrongType(ctx, e)) return;
    if (List(e).empty()) continue;
    ctx.reply().ArrayHeader(2);
    ctx.reply().Bulk(key);
    int64_t popped = PopRangeReply(ctx, e, where, count);
    ElementsRemoved(ctx, key, where, e, popped);
    return;
  }
  ctx.reply().NullArray();
}

}  // namespace

void RegisterListCommands(CommandTable& t) {
  constexpr uint32_t kWF = kCmdWrite | kCmdDenyOom | kCmdFast;
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
  t.Add({"lpush", -3, kWF, 1, 1, 1, CmdLpush, "@write @list @fast", "list",
         "Prepend one or multiple elements to a list", "1.0.0",
         "O(1) for each element added, so O(N) to add N elements when the command is called with "
         "multiple arguments."});
  t.Add({"rpush", -3, kWF, 1, 1, 1, CmdRpush, "@write @list @fast", "list",
         "Append one or multiple elements to a list", "1.0.0",
         "O(1) for each element added, so O(N) to add N elements when the command is called with "
         "multiple arguments."});
  t.Add({"lpushx", -3, kWF, 1, 1, 1, CmdLpushx, "@write @list @fast", "list",
         "Prepend an element to a list, only if the list exists", "2.2.0",
         "O(1) for each element added, so O(N) to add N elements when the command is called with "
         "multiple arguments."});
  t.Add({"rpushx", -3, kWF, 1, 1, 1, CmdRpushx, "@write @list @fast", "list",
         "Append an element to a list, only if the list exists", "2.2.0",
         "O(1) for each element added, so O(N) to add N elements when the command is called with "
         "multiple arguments."});
  t.Add({"lpop", -2, kCmdWrite | kCmdFast, 1, 1, 1, CmdLpop, "@write @list @fast", "list",
         "Remove and get the first elements in a list", "1.0.0",
         "O(N) where N is the number of elements returned"});
  t.Add({"rpop", -2, kCmdWrite | kCmdFast, 1, 1, 1, CmdRpop, "@write @list @fast", "list",
         "Remove and get the last elements in a list", "1.0.0",
         "O(N) where N is the number of elements returned"});
  t.Add({"llen", 2, kCmdReadonly | kCmdFast, 1, 1, 1, CmdLlen, "@read @list @fast", "list",
         "Get the length of a list", "1.0.0"});
  t.Add({"lrange", 4, kCmdReadonly, 1, 1, 1, CmdLrange, "@read @list @slow", "list",
         "Get a range of elements from a list", "1.0.0", "O(S+N)"});
  t.Add({"lindex", 3, kCmdReadonly, 1, 1, 1, CmdLindex, "@read @list @slow", "list",
         "Get an element from a list by its index", "1.0.0", "O(N)"});
  t.Add({"lset", 4, kW, 1, 1, 1, CmdLset, "@write @list @slow", "list",
         "Set the value of an element in a list by its index", "1.0.0", "O(N)"});
  t.Add({"linsert", 5, kW, 1, 1, 1, CmdLinsert, "@write @list @slow", "list",
         "Insert an element before or after another element in a list", "2.2.0", "O(N)"});
  t.Add({"lrem", 4, kCmdWrite, 1, 1, 1, CmdLrem, "@write @list @slow", "list",
         "Remove elements from a list", "1.0.0", "O(N+M)"});
  t.Add({"ltrim", 4, kCmdWrite, 1, 1, 1, CmdLtrim, "@write @list @slow", "list",
         "Trim a list to the specified range", "1.0.0", "O(N)"});
  t.Add({"lpos", -3, kCmdReadonly, 1, 1, 1, CmdLpos, "@read @list @slow", "list",
         "Return the index of matching elements on a list", "6.0.6", "O(N)"});
  t.Add({"lmove", 5, kW, 1, 2, 1, CmdLmove, "@write @list @slow", "list",
         "Pop an element from a list, push it to another list and return it", "6.2.0"});
  t.Add({"rpoplpush", 3, kW, 1, 2, 1, CmdRpoplpush, "@write @list @slow", "list",
         "Remove the last element in a list, prepend it to another list and return it", "1.2.0"});
  t.Add({"lmpop", -4, kCmdWrite | kCmdMovableKeys, 0, 0, 0, CmdLmpop, "@write @list @slow", "list",
         "Pop elements from a list", "7.0.0", "O(N+M)"});
}

}  // namespace tandem::server
