// Blocking list commands (t_list.c blocking variants): BLPOP, BRPOP, BRPOPLPUSH, BLMOVE,
// BLMPOP. Each tries to serve at once; with nothing to pop it blocks through
// Server::BlockClient and is run again when a key it waits on is written (first come, first
// served per key), or answers its timeout reply. Inside MULTI it never blocks.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "server/arg_cursor.h"
#include "server/errors.h"
#include "server/server.h"
#include "storage/list.h"

namespace tandem::server {

namespace {

using storage::Entry;
using storage::ListObject;
using storage::ObjType;

enum class End { kLeft, kRight };

bool ParseEnd(std::string_view s, End& end) {
  if (EqualsIgnoreCase(s, "left")) {
    end = End::kLeft;
  } else if (EqualsIgnoreCase(s, "right")) {
    end = End::kRight;
  } else {
    return false;
  }
  return true;
}

// Pops one element from the list at `key` (which exists and is a list), deleting the key when
// it empties, with Redis's notifications.
std::string PopOne(CommandContext& ctx, std::string_view key, Entry* e, End end) {
  ListObject& list = e->value.As<ListObject>();
  std::string v = end == End::kLeft ? list.PopFront() : list.PopBack();
  ctx.Notify(kNotifyList, end == End::kLeft ? "lpop" : "rpop", key);
  if (list.empty()) {
    ctx.db().Delete(key);
    ctx.Notify(kNotifyGeneric, "del", key);
  }
  ctx.Dirty();
  return v;
}

// The first of `keys` holding a non-empty list; nullptr if none. WRONGTYPE is an error.
Entry* FirstList(CommandContext& ctx, std::span<const std::string_view> keys, size_t& which,
                 bool& wrongtype) {
  wrongtype = false;
  for (size_t i = 0; i < keys.size(); ++i) {
    Entry* e = ctx.LookupWrite(keys[i]);
    if (e == nullptr) continue;
    if (e->value.type != ObjType::kList) {
      wrongtype = true;
      return nullptr;
    }
    which = i;
    return e;
  }
  return nullptr;
}

void BlockingPop(CommandContext& ctx, End end) {
  int64_t deadline = 0;
  if (!ParseBlockTimeout(ctx, ctx.args.back(), deadline)) return;
  auto keys = ctx.args.subspan(1, ctx.args.size() - 2);
  size_t which = 0;
  bool wrongtype = false;
  Entry* e = FirstList(ctx, keys, which, wrongtype);
  if (wrongtype) return ctx.Error(err::kWrongType);
  if (e != nullptr) {
    std::string v = PopOne(ctx, keys[which], e, end);
    // Replicas run the non-blocking form on the key that was served.
    ctx.PropagateAs({end == End::kLeft ? "LPOP" : "RPOP", std::string(keys[which])});
    ctx.reply().ArrayHeader(2);
    ctx.reply().Bulk(keys[which]);
    ctx.reply().Bulk(v);
    return;
  }
  if (!ctx.may_block) return ctx.reply().NullArray();
  ctx.server.BlockClient(ctx.client, ctx.cmd, ctx.args,
                         std::vector<std::string>(keys.begin(), keys.end()), deadline, true);
}

void CmdBlpop(CommandContext& ctx) { BlockingPop(ctx, End::kLeft); }
void CmdBrpop(CommandContext& ctx) { BlockingPop(ctx, End::kRight); }

void BlockingMove(CommandContext& ctx, End from, End to, std::string_view timeout_arg) {
  int64_t deadline = 0;
  if (!ParseBlockTimeout(ctx, timeout_arg, deadline)) return;
  std::string_view src = ctx.args[1];
  std::string_view dst = ctx.args[2];
  Entry* e = ctx.LookupWrite(src);
  if (e == nullptr) {
    if (!ctx.may_block) return ctx.reply().Null();
    // Timed out, Redis 7.0 answers every blocked list command with a null array (only the
    // non-blocking MULTI case above answers a null bulk).
    return ctx.server.BlockClient(ctx.client, ctx.cmd, ctx.args, {std::string(src)}, deadline,
                                  true);
  }
  if (e->value.type != ObjType::kList) return ctx.Error(err::kWrongType);
  Entry* d = ctx.LookupWrite(dst);
  if (d != nullptr && d->value.type != ObjType::kList) return ctx.Error(err::kWrongType);
  std::string v = PopOne(ctx, src, e, from);
  // Popping may have deleted src; look dst up again (it may be the same key).
  d = ctx.LookupWrite(dst);
  if (d == nullptr) d = ctx.db().Add(dst, ListObject::NewValue());
  ListObject& out = d->value.As<ListObject>();
  to == End::kLeft ? out.PushFront(v) : out.PushBack(v);
  ctx.Notify(kNotifyList, to == End::kLeft ? "lpush" : "rpush", dst);
  ctx.PropagateAs({"LMOVE", std::string(src), std::string(dst),
                   from == End::kLeft ? "LEFT" : "RIGHT", to == End::kLeft ? "LEFT" : "RIGHT"});
  ctx.reply().Bulk(v);
}

void CmdBrpoplpush(CommandContext& ctx) { BlockingMove(ctx, End::kRight, End::kLeft, ctx.args[3]); }

void CmdBlmove(CommandContext& ctx) {
  End from;
  End to;
  if (!ParseEnd(ctx.args[3], from) || !ParseEnd(ctx.args[4], to)) return ctx.Error(err::kSyntax);
  BlockingMove(ctx, from, to, ctx.args[5]);
}

// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
void CmdBlmpop(CommandContext& ctx) {
  int64_t deadline = 0;
  if (!ParseBlockTimeout(ctx, ctx.args[1], deadline)) return;
  int64_t numkeys = 0;
  if (!ParseInt64(ctx.args[2], numkeys)) return ctx.Error(err::kNotInteger);
  if (numkeys <= 0) return ctx.Error("ERR numkeys should be greater than 0");
  size_t where = 3 + static_cast<size_t>(numkeys);
  if (numkeys > static_cast<int64_t>(ctx.args.size()) || where >= ctx.args.size()) {
    return ctx.Error(err::kSyntax);
  }
  End end;
  if (!ParseEnd(ctx.args[where], end)) return ctx.Error(err::kSyntax);
  int64_t count = 1;
  size_t j = where + 1;
  if (j < ctx.args.size()) {
    if (!EqualsIgnoreCase(ctx.args[j], "count") || j + 2 != ctx.args.size()) {
      return ctx.Error(err::kSyntax);
    }
    if (!ParseInt64(ctx.args[j + 1], count) || count <= 0) {
      return ctx.Error("ERR count should be greater than 0");
    }
  }
  auto keys = ctx.args.subspan(3, static_cast<size_t>(numkeys));
  size_t which = 0;
  bool wrongtype = false;
  Entry* e = FirstList(ctx, keys, which, wrongtype);
  if (wrongtype) return ctx.Error(err::kWrongType);
  if (e != nullptr) {
    std::string key(keys[which]);
    ListObject& list = e->value.As<ListObject>();
    size_t n = std::min<size_t>(static_cast<size_t>(count), list.size());
    std::vector<std::string> items;
    for (size_t i = 0; i < n; ++i) {
      items.push_back(end == End::kLeft ? list.PopFront() : list.PopBack());
    }
    ctx.Notify(kNotifyList, end == End::kLeft ? "lpop" : "rpop", key);
    if (list.empty()) {
      ctx.db().Delete(key);
      ctx.Notify(kNotifyGeneric, "del", key);
    }
    ctx.Dirty();
    ctx.PropagateAs({end == End::kLeft ? "LPOP" : "RPOP", key, std::to_string(n)});
    ctx.reply().ArrayHeader(2);
    ctx.reply().Bulk(key);
    ctx.reply().ArrayHeader(static_cast<int64_t>(items.size()));
    for (const auto& v : items) ctx.reply().Bulk(v);
    return;
  }
  if (!ctx.may_block) return ctx.reply().NullArray();
  ctx.server.BlockClient(ctx.client, ctx.cmd, ctx.args,
                         std::vector<std::string>(keys.begin(), keys.end()), deadline, true);
}

}  // namespace

void RegisterBlockingListCommands(CommandTable& t) {
  constexpr uint32_t kB = kCmdWrite | kCmdNoscript | kCmdBlocking;
  t.Add({"blpop", -3, kB, 1, -2, 1, CmdBlpop, "@write @list @slow @blocking", "list",
         "Remove and get the first element in a list, or block until one is available", "2.0.0",
         "O(N) where N is the number of provided keys."});
  t.Add({"brpop", -3, kB, 1, -2, 1, CmdBrpop, "@write @list @slow @blocking", "list",
         "Remove and get the last element in a list, or block until one is available", "2.0.0",
         "O(N) where N is the number of provided keys."});
  t.Add({"brpoplpush", 4, kB | kCmdDenyOom, 1, 2, 1, CmdBrpoplpush, "@write @list @slow @blocking",
         "list",
         "Pop an element from a list, push it to another list and return it; or block until "
         "one is available",
         "2.2.0"});
  t.Add({"blmove", 6, kB | kCmdDenyOom, 1, 2, 1, CmdBlmove, "@write @list @slow @blocking", "list",
         "Pop an element from a list, push it to another list and return it; or block until "
         "one is available",
         "6.2.0"});
  t.Add({"blmpop", -5, (kB & ~kCmdNoscript) | kCmdMovableKeys, 0, 0, 0, CmdBlmpop,
         "@write @list @slow @blocking", "list",
         "Pop elements from a list, or block until one is available", "7.0.0",
         "O(N+M) where N is the number of provided keys and M is the number of elements "
         "returned."});
}

}  // namespace tandem::server
