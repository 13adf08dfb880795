// String commands (t_string.c): GET/SET and their variants, counters, ranges, LCS.
#include <fmt/format.h>

#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "server/arg_cursor.h"
#include "server/errors.h"
#include "server/server.h"

namespace tandem::server {

namespace {

using storage::Entry;
using storage::ObjType;
using storage::Value;

bool IsString(const Entry* e) { return e->value.type == ObjType::kString; }

// Reply for a value read as a string: null, the bytes, or WRONGTYPE. Returns false on WRONGTYPE.
bool ReplyStringOrNull(CommandContext& ctx, Entry* e) {
  if (e == nullptr) {
    ctx.reply().Null();
    return true;
  }
  if (!IsString(e)) {
    ctx.Error(err::kWrongType);
    return false;
  }
  ctx.reply().Bulk(e->value.str());
  return true;
}

void InvalidExpire(CommandContext& ctx) {
  ctx.Error(fmt::format("ERR invalid expire time in '{}' command", ctx.cmd.name));
}

enum SetFlags : unsigned {
  kNx = 1,
  kXx = 2,
  kGet = 4,
  kKeepTtl = 8,
  kPersist = 16,
  kEx = 32,
  kPx = 64,
  kExat = 128,
  kPxat = 256,
};

enum class ExtendedFor { kSet, kGetex };

// parseExtendedStringArgumentsOrReply: options from args[first] on. `expire_arg` receives the
// argument of EX/PX/EXAT/PXAT.
bool ParseExtendedOptions(CommandContext& ctx, size_t first, ExtendedFor what, unsigned& flags,
                          std::string_view& expire_arg) {
  const auto& a = ctx.args;
  constexpr unsigned kAnyExpire = kEx | kPx | kExat | kPxat;
  for (size_t j = first; j < a.size(); ++j) {
    std::string_view opt = a[j];
    bool has_next = j + 1 < a.size();
    if (EqualsIgnoreCase(opt, "nx") && !(flags & kXx) && what == ExtendedFor::kSet) {
      flags |= kNx;
    } else if (EqualsIgnoreCase(opt, "xx") && !(flags & kNx) && what == ExtendedFor::kSet) {
      flags |= kXx;
    } else if (EqualsIgnoreCase(opt, "get") && what == ExtendedFor::kSet) {
      flags |= kGet;
    } else if (EqualsIgnoreCase(opt, "keepttl") && !(flags & kPersist) && !(flags & kAnyExpire) &&
               what == ExtendedFor::kSet) {
      flags |= kKeepTtl;
    } else if (EqualsIgnoreCase(opt, "persist") && what == ExtendedFor::kGetex &&
               !(flags & kAnyExpire) && !(flags & kKeepTtl)) {
      flags |= kPersist;
    } else if (EqualsIgnoreCase(opt, "ex") && !(flags & kKeepTtl) && !(flags & kPersist) &&
               !(flags & (kAnyExpire & ~kEx)) && has_next) {
      flags |= kEx;
      expire_arg = a[++j];
    } else if (EqualsIgnoreCase(opt, "px") && !(flags & kKeepTtl) && !(flags & kPersist) &&
               !(flags & (kAnyExpire & ~kPx)) && has_next) {
      flags |= kPx;
      expire_arg = a[++j];
    } else if (EqualsIgnoreCase(opt, "exat") && !(flags & kKeepTtl) && !(flags & kPersist) &&
               !(flags & (kAnyExpire & ~kExat)) && has_next) {
      flags |= kExat;
      expire_arg = a[++j];
    } else if (EqualsIgnoreCase(opt, "pxat") && !(flags & kKeepTtl) && !(flags & kPersist) &&
               !(flags & (kAnyExpire & ~kPxat)) && has_next) {
      flags |= kPxat;
      expire_arg = a[++j];
    } else {
      ctx.Error(err::kSyntax);
      return false;
    }
  }
  return true;
}

// getExpireMillisecondsOrReply: absolute expire time in ms from an EX/PX/EXAT/PXAT argument.
bool ExpireMillis(CommandContext& ctx, std::string_view arg, unsigned flags, int64_t& out) {
  int64_t v = 0;
  if (!ParseInt64(arg, v)) {
    ctx.Error(err::kNotInteger);
    return false;
  }
  bool seconds = flags & (kEx | kExat);
  if (v <= 0 || (seconds && v > LLONG_MAX / 1000)) {
    InvalidExpire(ctx);
    return false;
  }
  if (seconds) v *= 1000;
  if (flags & (kEx | kPx)) {
    if (v > LLONG_MAX - ctx.now_ms) {
      InvalidExpire(ctx);
      return false;
    }
    v += ctx.now_ms;
  }
  out = v;
  return true;
}

// Stores `value` at key with an optional absolute expire (-1 = none). An expire time already in
// the past deletes the key instead (checkAlreadyExpired).
// `existing` is the key's entry when the caller has just looked it up (SET), else nullptr.
void SetKey(CommandContext& ctx, std::string_view key, std::string_view value, int64_t expire_ms,
            bool keep_ttl, Entry* existing = nullptr) {
  storage::Db& db = ctx.db();
  ctx.Dirty();
  ctx.Notify(kNotifyString, "set", key);
  if (expire_ms >= 0 && ctx.AlreadyExpired(expire_ms)) {
    db.Delete(key);
    ctx.Notify(kNotifyGeneric, "del", key);
    return;
  }
  const storage::Encoding enc = Value::StringEncoding(value);
  Entry* e = existing != nullptr ? db.OverwriteString(existing, value, enc, keep_ttl)
                                 : db.SetString(key, value, enc, keep_ttl);
  if (expire_ms >= 0) {
    db.SetExpire(e, expire_ms);
    ctx.Notify(kNotifyGeneric, "expire", key);
  }
}

void SetGeneric(CommandContext& ctx, std::string_view key, std::string_view val, unsigned flags,
                int64_t expire_ms) {
  if (flags & kGet) {
    Entry* e = ctx.LookupRead(key);
    if (!ReplyStringOrNull(ctx, e)) return;
  }
  Entry* existing = ctx.LookupWrite(key);
  const bool found = existing != nullptr;
  if (((flags & kNx) && found) || ((flags & kXx) && !found)) {
    if (!(flags & kGet)) ctx.reply().Null();
    return;
  }
  SetKey(ctx, key, val, expire_ms, flags & kKeepTtl, existing);
  if (expire_ms >= 0) {
    // Relative times become absolute so a replica that applies the command later (or an AOF
    // replayed tomorrow) expires the key at the same moment (SET ... PXAT, as Redis 7.0).
    if (ctx.db().FindRaw(key) != nullptr) {
      ctx.PropagateAs(
          {"SET", std::string(key), std::string(val), "PXAT", std::to_string(expire_ms)});
    } else {
      ctx.PropagateAs({"DEL", std::string(key)});
    }
  }
  if (!(flags & kGet)) ctx.reply().Ok();
}

void CmdGet(CommandContext& ctx) { ReplyStringOrNull(ctx, ctx.LookupRead(ctx.args[1])); }

void CmdSet(CommandContext& ctx) {
  unsigned flags = 0;
  std::string_view expire_arg;
  if (!ParseExtendedOptions(ctx, 3, ExtendedFor::kSet, flags, expire_arg)) return;
  int64_t when = -1;
  if (!expire_arg.empty() || (flags & (kEx | kPx | kExat | kPxat))) {
    if (!ExpireMillis(ctx, expire_arg, flags, when)) return;
  }
  SetGeneric(ctx, ctx.args[1], ctx.args[2], flags, when);
}

void CmdSetnx(CommandContext& ctx) {
  if (ctx.LookupWrite(ctx.args[1]) != nullptr) {
    ctx.reply().Integer(0);
    return;
  }
  SetKey(ctx, ctx.args[1], ctx.args[2], -1, false);
  ctx.reply().Integer(1);
}

void SetexGeneric(CommandContext& ctx, unsigned unit_flag) {
  int64_t when = 0;
  if (!ExpireMillis(ctx, ctx.args[2], unit_flag, when)) return;
  SetGeneric(ctx, ctx.args[1], ctx.args[3], 0, when);
}
void CmdSetex(CommandContext& ctx) { SetexGeneric(ctx, kEx); }
void CmdPsetex(CommandContext& ctx) { SetexGeneric(ctx, kPx); }

void CmdGetset(CommandContext& ctx) {
  if (!ReplyStringOrNull(ctx, ctx.LookupRead(ctx.args[1]))) return;
  SetKey(ctx, ctx.args[1], ctx.args[2], -1, false);
}

void CmdGetdel(CommandContext& ctx) {
  Entry* e = ctx.LookupRead(ctx.args[1]);
  if (!ReplyStringOrNull(ctx, e)) return;
  if (e != nullptr) {
    ctx.db().Delete(ctx.args[1]);
    ctx.Dirty();
    ctx.Notify(kNotifyGeneric, "del", ctx.args[1]);
  }
}

void CmdGetex(CommandContext& ctx) {
  unsigned flags = 0;
  std::string_view expire_arg;
  if (!ParseExtendedOptions(ctx, 2, ExtendedFor::kGetex, flags, expire_arg)) return;
  Entry* e = ctx.LookupRead(ctx.args[1]);
  if (e == nullptr) return ctx.reply().Null();
  if (!IsString(e)) return ctx.Error(err::kWrongType);
  // The expire time is validated only for an existing string key, as in getexCommand.
  int64_t when = -1;
  if (flags & (kEx | kPx | kExat | kPxat)) {
    if (!ExpireMillis(ctx, expire_arg, flags, when)) return;
  }
  ctx.reply().Bulk(e->value.str());
  const std::string key(ctx.args[1]);
  if (when >= 0 && ctx.AlreadyExpired(when)) {
    ctx.db().Delete(key);
    ctx.Dirty();
    ctx.Notify(kNotifyGeneric, "del", key);
    ctx.PropagateAs({"DEL", key});
  } else if (when >= 0) {
    ctx.db().SetExpire(e, when);
    ctx.Dirty();
    ctx.Notify(kNotifyGeneric, "expire", key);
    ctx.PropagateAs({"PEXPIREAT", key, std::to_string(when)});
  } else if ((flags & kPersist) && ctx.db().Persist(e)) {
    ctx.Dirty();
    ctx.Notify(kNotifyGeneric, "persist", key);
    ctx.PropagateAs({"PERSIST", key});
  }
}

void CmdMget(CommandContext& ctx) {
  ctx.reply().ArrayHeader(static_cast<int64_t>(ctx.args.size() - 1));
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    Entry* e = ctx.LookupRead(ctx.args[i]);
    if (e == nullptr || !IsString(e)) {
      ctx.reply().Null();
    } else {
      ctx.reply().Bulk(e->value.str());
    }
  }
}

void MsetGeneric(CommandContext& ctx, bool nx) {
  if (ctx.args.size() % 2 == 0) {
    ctx.WrongArity();
    return;
  }
  if (nx) {
    for (size_t i = 1; i < ctx.args.size(); i += 2) {
      if (ctx.LookupWrite(ctx.args[i]) != nullptr) {
        ctx.reply().Integer(0);
        return;
      }
    }
  }
  for (size_t i = 1; i < ctx.args.size(); i += 2) {
    SetKey(ctx, ctx.args[i], ctx.args[i + 1], -1, false);
  }
  if (nx) {
    ctx.reply().Integer(1);
  } else {
    ctx.reply().Ok();
  }
}
void CmdMset(CommandContext& ctx) { MsetGeneric(ctx, false); }
void CmdMsetnx(CommandContext& ctx) { MsetGeneric(ctx, true); }

void IncrDecr(CommandContext& ctx, int64_t incr) {
  Entry* e = ctx.LookupWrite(ctx.args[1]);
  if (e != nullptr && !IsString(e)) {
    ctx.Error(err::kWrongType);
    return;
  }
  int64_t value = 0;
  if (e != nullptr && !ParseInt64(e->value.str(), value)) {
    ctx.Error(err::kNotInteger);
    return;
  }
  if ((incr < 0 && value < 0 && incr < (LLONG_MIN - value)) ||
      (incr > 0 && value > 0 && incr > (LLONG_MAX - value))) {
    ctx.Error(err::kOverflow);
    return;
  }
  value += incr;
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  std::string_view text(buf, static_cast<size_t>(end - buf));
  if (e == nullptr) {
    ctx.db().AddString(ctx.args[1], text, storage::Encoding::kInt);
  } else if (!e->value.AssignInline(text, storage::Encoding::kInt)) {
    e->value = Value::Integer(value);
  }
  ctx.Dirty();
  ctx.Notify(kNotifyString, "incrby", ctx.args[1]);
  ctx.reply().Integer(value);
}

void CmdIncr(CommandContext& ctx) { IncrDecr(ctx, 1); }
void CmdDecr(CommandContext& ctx) { IncrDecr(ctx, -1); }
void CmdIncrby(CommandContext& ctx) {
  int64_t incr = 0;
  if (!ParseInt64(ctx.args[2], incr)) return ctx.Error(err::kNotInteger);
  IncrDecr(ctx, incr);
}
void CmdDecrby(CommandContext& ctx) {
  int64_t incr = 0;
  if (!ParseInt64(ctx.args[2], incr)) return ctx.Error(err::kNotInteger);
  if (incr == LLONG_MIN) return ctx.Error("ERR decrement would overflow");
  IncrDecr(ctx, -incr);
}

void CmdIncrbyfloat(CommandContext& ctx) {
  Entry* e = ctx.LookupWrite(ctx.args[1]);
  if (e != nullptr && !IsString(e)) return ctx.Error(err::kWrongType);
  long double value = 0;
  if (e != nullptr && !ParseLongDouble(e->value.str(), value)) return ctx.Error(err::kNotFloat);
  long double incr = 0;
  if (!ParseLongDouble(ctx.args[2], incr)) return ctx.Error(err::kNotFloat);
  value += incr;
  if (std::isnan(value) || std::isinf(value)) return ctx.Error(err::kIncrFloatNaN);
  std::string text = FormatLongDoubleHuman(value);
  Value v = Value::String(text);
  if (v.encoding == storage::Encoding::kInt) v.encoding = storage::Encoding::kEmbstr;
  if (e != nullptr) {
    e->value = std::move(v);
  } else {
    ctx.db().Add(ctx.args[1], std::move(v));
  }
  ctx.Dirty();
  ctx.Notify(kNotifyString, "incrbyfloat", ctx.args[1]);
  // Float formatting must not differ between hosts: replicas get the result (SET ... KEEPTTL).
  ctx.PropagateAs({"SET", std::string(ctx.args[1]), text, "KEEPTTL"});
  ctx.reply().Bulk(text);
}

bool CheckStringLength(CommandContext& ctx, int64_t size, int64_t append) {
  int64_t total = 0;
  if (__builtin_add_overflow(size, append, &total) ||
      total > ctx.server.config().proto_max_bulk_len) {
    ctx.Error(err::kStringTooLong);
    return false;
  }
  return true;
}

void CmdAppend(CommandContext& ctx) {
  Entry* e = ctx.LookupWrite(ctx.args[1]);
  std::string_view add = ctx.args[2];
  size_t len;
  if (e == nullptr) {
    ctx.db().Add(ctx.args[1], Value::String(add));
    len = add.size();
  } else {
    if (!IsString(e)) return ctx.Error(err::kWrongType);
    if (!CheckStringLength(ctx, static_cast<int64_t>(e->value.str_size()),
                           static_cast<int64_t>(add.size()))) {
      return;
    }
    e->value.Append(add);
    e->value.encoding = storage::Encoding::kRaw;
    len = e->value.str_size();
  }
  ctx.Dirty();
  ctx.Notify(kNotifyString, "append", ctx.args[1]);
  ctx.reply().Integer(static_cast<int64_t>(len));
}

void CmdStrlen(CommandContext& ctx) {
  Entry* e = ctx.LookupRead(ctx.args[1]);
  if (e == nullptr) return ctx.reply().Integer(0);
  if (!IsString(e)) return ctx.Error(err::kWrongType);
  ctx.reply().Integer(static_cast<int64_t>(e->value.str_size()));
}

void CmdGetrange(CommandContext& ctx) {
  int64_t start = 0;
  int64_t end = 0;
  if (!ParseInt64(ctx.args[2], start) || !ParseInt64(ctx.args[3], end)) {
    return ctx.Error(err::kNotInteger);
  }
  Entry* e = ctx.LookupRead(ctx.args[1]);
  if (e == nullptr) return ctx.reply().Bulk("");
  if (!IsString(e)) return ctx.Error(err::kWrongType);
  std::string_view s = e->value.str();
  int64_t len = static_cast<int64_t>(s.size());
  if (start < 0 && end < 0 && start > end) return ctx.reply().Bulk("");
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len == 0) return ctx.reply().Bulk("");
  ctx.reply().Bulk(s.substr(static_cast<size_t>(start), static_cast<size_t>(end - start + 1)));
}

void CmdSetrange(CommandContext& ctx) {
  int64_t offset = 0;
  if (!ParseInt64(ctx.args[2], offset)) return ctx.Error(err::kNotInteger);
  if (offset < 0) return ctx.Error(err::kOffsetRange);
  std::string_view value = ctx.args[3];
  Entry* e = ctx.LookupWrite(ctx.args[1]);
  if (e == nullptr) {
    if (value.empty()) return ctx.reply().Integer(0);
    if (!CheckStringLength(ctx, offset, static_cast<int64_t>(value.size()))) return;
    std::string s(static_cast<size_t>(offset), '\0');
    s.append(value);
    size_t len = s.size();
    ctx.db().Add(ctx.args[1], Value::RawString(s));
    ctx.Dirty();
    ctx.Notify(kNotifyString, "setrange", ctx.args[1]);
    return ctx.reply().Integer(static_cast<int64_t>(len));
  }
  if (!IsString(e)) return ctx.Error(err::kWrongType);
  Value& v = e->value;
  if (value.empty()) return ctx.reply().Integer(static_cast<int64_t>(v.str_size()));
  if (!CheckStringLength(ctx, offset, static_cast<int64_t>(value.size()))) return;
  size_t need = static_cast<size_t>(offset) + value.size();
  char* bytes = v.str_size() < need ? v.Resize(need) : v.MutableData();
  std::memcpy(bytes + offset, value.data(), value.size());
  v.encoding = storage::Encoding::kRaw;
  ctx.Dirty();
  ctx.Notify(kNotifyString, "setrange", ctx.args[1]);
  ctx.reply().Integer(static_cast<int64_t>(v.str_size()));
}

void CmdLcs(CommandContext& ctx) {
  Entry* ea = ctx.LookupRead(ctx.args[1]);
  Entry* eb = ctx.LookupRead(ctx.args[2]);
  if ((ea && !IsString(ea)) || (eb && !IsString(eb))) {
    return ctx.Error("ERR The specified keys must contain string values");
  }
  std::string_view a = ea ? ea->value.str() : std::string_view();
  std::string_view b = eb ? eb->value.str() : std::string_view();
  bool getidx = false;
  bool getlen = false;
  bool withmatchlen = false;
  int64_t minmatchlen = 0;
  for (size_t j = 3; j < ctx.args.size(); ++j) {
    std::string_view opt = ctx.args[j];
    bool more = j + 1 < ctx.args.size();
    if (EqualsIgnoreCase(opt, "IDX")) {
      getidx = true;
    } else if (EqualsIgnoreCase(opt, "LEN")) {
      getlen = true;
    } else if (EqualsIgnoreCase(opt, "WITHMATCHLEN")) {
      withmatchlen = true;
    } else if (EqualsIgnoreCase(opt, "MINMATCHLEN") && more) {
      if (!ParseInt64(ctx.args[j + 1], minmatchlen)) return ctx.Error(err::kNotInteger);
      if (minmatchlen < 0) minmatchlen = 0;
      ++j;
    } else {
      return ctx.Error(err::kSyntax);
    }
  }
  if (getidx && getlen) {
    return ctx.Error("ERR If you want both the length and indexes, please just use IDX.");
  }
  if (a.size() >= UINT32_MAX - 1 || b.size() >= UINT32_MAX - 1) {
    return ctx.Error("ERR String too long for LCS");
  }
  const size_t alen = a.size();
  const size_t blen = b.size();
  unsigned long long cells = static_cast<unsigned long long>(alen + 1) * (blen + 1);
  if (cells > static_cast<unsigned long long>(ctx.server.config().proto_max_bulk_len) / 4) {
    return ctx.Error(
        "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
  }
  // Dynamic programming table: lcs(i, j) = LCS length of a[0..i) and b[0..j).
  std::vector<uint32_t> table(static_cast<size_t>(cells), 0);
  auto lcs = [&](size_t i, size_t j) -> uint32_t& { return table[j * (alen + 1) + i]; };
  for (size_t i = 1; i <= alen; ++i) {
    for (size_t j = 1; j <= blen; ++j) {
      if (a[i - 1] == b[j - 1]) {
        lcs(i, j) = lcs(i - 1, j - 1) + 1;
      } else {
        lcs(i, j) = std::max(lcs(i - 1, j), lcs(i, j - 1));
      }
    }
  }
  uint32_t total = lcs(alen, blen);
  bool compute = getidx || !getlen;
  std::string result(total, '\0');
  // Walk back from the end, emitting maximal runs of consecutive matches (newest first).
  struct Match {
    size_t a_start, a_end, b_start, b_end;
  };
  std::vector<Match> matches;
  size_t i = alen;
  size_t j = blen;
  size_t idx = total;
  size_t arange_start = alen;  // alen = "no range open"
  size_t arange_end = 0;
  size_t brange_start = 0;
  size_t brange_end = 0;
  while (compute && i > 0 && j > 0) {
    bool emit = false;
    if (a[i - 1] == b[j - 1]) {
      result[idx - 1] = a[i - 1];
      if (arange_start == alen) {
        arange_start = arange_end = i - 1;
        brange_start = brange_end = j - 1;
      } else if (arange_start == i && brange_start == j) {
        --arange_start;
        --brange_start;
      } else {
        emit = true;
      }
      if (arange_start == 0 || brange_start == 0) emit = true;
      --idx;
      --i;
      --j;
    } else {
      if (lcs(i - 1, j) > lcs(i, j - 1)) {
        --i;
      } else {
        --j;
      }
      if (arange_start != alen) emit = true;
    }
    if (emit) {
      size_t match_len = arange_end - arange_start + 1;
      if (minmatchlen == 0 || match_len >= static_cast<size_t>(minmatchlen)) {
        matches.push_back({arange_start, arange_end, brange_start, brange_end});
      }
      arange_start = alen;
    }
  }
  resp::ReplyBuilder& r = ctx.reply();
  if (getidx) {
    r.MapHeader(2);
    r.Bulk("matches");
    r.ArrayHeader(static_cast<int64_t>(matches.size()));
    for (const Match& m : matches) {
      r.ArrayHeader(withmatchlen ? 3 : 2);
      r.ArrayHeader(2);
      r.Integer(static_cast<int64_t>(m.a_start));
      r.Integer(static_cast<int64_t>(m.a_end));
      r.ArrayHeader(2);
      r.Integer(static_cast<int64_t>(m.b_start));
      r.Integer(static_cast<int64_t>(m.b_end));
      if (withmatchlen) r.Integer(static_cast<int64_t>(m.a_end - m.a_start + 1));
    }
    r.Bulk("len");
    r.Integer(total);
  } else if (getlen) {
    r.Integer(total);
  } else {
    r.Bulk(result);
  }
}

}  // namespace

void RegisterStringCommands(CommandTable& t) {
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
  constexpr uint32_t kWF = kCmdWrite | kCmdDenyOom | kCmdFast;
  constexpr uint32_t kRF = kCmdReadonly | kCmdFast;
  t.Add({"get", 2, kRF, 1, 1, 1, CmdGet, "@read @string @fast", "string", "Get the value of a key",
         "1.0.0"});
  t.Add({"set", -3, kW, 1, 1, 1, CmdSet, "@write @string @slow", "string",
         "Set the string value of a key", "1.0.0"});
  t.Add({"setnx", 3, kWF, 1, 1, 1, CmdSetnx, "@write @string @fast", "string",
         "Set the value of a key, only if the key does not exist", "1.0.0"});
  t.Add({"setex", 4, kW, 1, 1, 1, CmdSetex, "@write @string @slow", "string",
         "Set the value and expiration of a key", "2.0.0"});
  t.Add({"psetex", 4, kW, 1, 1, 1, CmdPsetex, "@write @string @slow", "string",
         "Set the value and expiration in milliseconds of a key", "2.6.0"});
  t.Add({"getset", 3, kWF, 1, 1, 1, CmdGetset, "@write @string @fast", "string",
         "Set the string value of a key and return its old value", "1.0.0"});
  t.Add({"getdel", 2, kCmdWrite | kCmdFast, 1, 1, 1, CmdGetdel, "@write @string @fast", "string",
         "Get the value of a key and delete the key", "6.2.0"});
  t.Add({"getex", -2, kCmdWrite | kCmdFast, 1, 1, 1, CmdGetex, "@write @string @fast", "string",
         "Get the value of a key and optionally set its expiration", "6.2.0"});
  t.Add({"mget", -2, kRF, 1, -1, 1, CmdMget, "@read @string @fast", "string",
         "Get the values of all the given keys", "1.0.0", "O(N)"});
  t.Add({"mset", -3, kW, 1, -1, 2, CmdMset, "@write @string @slow", "string",
         "Set multiple keys to multiple values", "1.0.1", "O(N)"});
  t.Add({"msetnx", -3, kW, 1, -1, 2, CmdMsetnx, "@write @string @slow", "string",
         "Set multiple keys to multiple values, only if none of the keys exist", "1.0.1", "O(N)"});
  t.Add({"incr", 2, kWF, 1, 1, 1, CmdIncr, "@write @string @fast", "string",
         "Increment the integer value of a key by one", "1.0.0"});
  t.Add({"decr", 2, kWF, 1, 1, 1, CmdDecr, "@write @string @fast", "string",
         "Decrement the integer value of a key by one", "1.0.0"});
  t.Add({"incrby", 3, kWF, 1, 1, 1, CmdIncrby, "@write @string @fast", "string",
         "Increment the integer value of a key by the given amount", "1.0.0"});
  t.Add({"decrby", 3, kWF, 1, 1, 1, CmdDecrby, "@write @string @fast", "string",
         "Decrement the integer value of a key by the given number", "1.0.0"});
  t.Add({"incrbyfloat", 3, kWF, 1, 1, 1, CmdIncrbyfloat, "@write @string @fast", "string",
         "Increment the float value of a key by the given amount", "2.6.0"});
  t.Add({"append", 3, kWF, 1, 1, 1, CmdAppend, "@write @string @fast", "string",
         "Append a value to a key", "2.0.0"});
  t.Add({"strlen", 2, kRF, 1, 1, 1, CmdStrlen, "@read @string @fast", "string",
         "Get the length of the value stored in a key", "2.2.0"});
  t.Add({"getrange", 4, kCmdReadonly, 1, 1, 1, CmdGetrange, "@read @string @slow", "string",
         "Get a substring of the string stored at a key", "2.4.0", "O(N)"});
  t.Add({"substr", 4, kCmdReadonly, 1, 1, 1, CmdGetrange, "@read @string @slow", "string",
         "Get a substring of the string stored at a key", "1.0.0", "O(N)"});
  t.Add({"setrange", 4, kW, 1, 1, 1, CmdSetrange, "@write @string @slow", "string",
         "Overwrite part of a string at key starting at the specified offset", "2.2.0"});
  t.Add({"lcs", -3, kCmdReadonly, 1, 2, 1, CmdLcs, "@read @string @slow", "string",
         "Find longest common substring", "7.0.0", "O(N*M)"});
}

}  // namespace tandem::server
