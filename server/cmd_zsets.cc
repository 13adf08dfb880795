// Sorted set commands (t_zset.c), the non-blocking part: ZADD / ZINCRBY, lookups and counts,
// the ZRANGE family (rank, score and lex ranges, REV, LIMIT, ZRANGESTORE), removals, pops
// (ZPOPMIN / ZPOPMAX / ZMPOP), ZRANDMEMBER, the set operations (ZUNION / ZINTER / ZDIFF, their
// STORE variants, ZINTERCARD) and ZSCAN. BZPOPMIN / BZPOPMAX / BZMPOP need the server's
// blocked-client machinery.
//
// Contracts kept as Redis 7.0 keeps them:
//  - arguments are validated in Redis's order, which decides which error a bad command gets
//    (e.g. ZCOUNT parses its range before looking the key up, ZUNION checks key types before it
//    parses WEIGHTS / AGGREGATE);
//  - a zset that becomes empty is deleted at once, with a "del" generic event after the zset
//    event that emptied it;
//  - WITHSCORES replies are flat [member, score, ...] in RESP2 and [[member, score], ...] in
//    RESP3 (ZPOPMIN / ZPOPMAX without COUNT stay flat in both); scores are doubles ("%.17g").
//  - a zset is a storage::ZSet handle over its keyspace Value: a listpack's bytes are the
//    Value's own, a skiplist is an Object; the Value's encoding is OBJECT ENCODING's answer.
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "config/glob.h"
#include "server/arg_cursor.h"
#include "server/errors.h"
#include "server/server.h"
#include "server/server_config.h"
#include "storage/set.h"
#include "storage/zset.h"

namespace tandem::server {

namespace {

using storage::Entry;
using storage::LexBound;
using storage::LexRange;
using storage::ObjType;
using storage::ScoreRange;
using storage::SetObject;
using storage::ZSet;
using storage::ZSetLimits;

constexpr std::string_view kMinMaxNotFloat = "ERR min or max is not a float";
constexpr std::string_view kMinMaxNotLex = "ERR min or max not valid string range item";
constexpr std::string_view kNaNScore = "ERR resulting score is not a number (NaN)";
constexpr std::string_view kMustBePositive = "ERR value is out of range, must be positive";

// ---------------------------------------------------------------------------------------------
// Utility
// ---------------------------------------------------------------------------------------------

ZSet ZSetOf(Entry* e) { return ZSet(e->value); }

ZSetLimits Limits(CommandContext& ctx) {
  const ServerConfig& c = ctx.server.config();
  return {static_cast<size_t>(std::max<long long>(0, c.zset_max_listpack_entries)),
          static_cast<size_t>(std::max<long long>(0, c.zset_max_listpack_value))};
}

// checkType: true (and an error reply) when `e` exists and is not a zset.
bool WrongType(CommandContext& ctx, const Entry* e) {
  if (e != nullptr && e->value.type != ObjType::kZSet) {
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

// getRangeLongFromObjectOrReply with a custom message: Redis sends the message both for a
// non-integer and for a value out of [min, max].
bool ParseLongIn(CommandContext& ctx, std::string_view arg, int64_t min, int64_t max,
                 std::string_view message, int64_t& out) {
  if (ParseInt64(arg, out) && out >= min && out <= max) return true;
  ctx.Error(message);
  return false;
}

// strtod over the argument as a C string (Redis passes argv's sds to strtod, which stops at an
// embedded NUL); `end_ok` is true when the whole C string was consumed.
double StrtodC(std::string_view arg, bool& end_ok) {
  std::string buf(arg);
  char* end = nullptr;
  double v = std::strtod(buf.c_str(), &end);
  end_ok = *end == '\0';
  return v;
}

// zslParseRange: "(" makes a bound exclusive; the rest goes to strtod unchecked for range
// errors (so "" is 0 and "1e999" is inf), only a leftover character or NaN fails.
bool ParseScoreBound(std::string_view arg, double& v, bool& ex) {
  ex = !arg.empty() && arg[0] == '(';
  if (ex) arg.remove_prefix(1);
  bool end_ok = false;
  v = StrtodC(arg, end_ok);
  return end_ok && !std::isnan(v);
}

bool ParseScoreRange(std::string_view min, std::string_view max, ScoreRange& r) {
  return ParseScoreBound(min, r.min, r.minex) && ParseScoreBound(max, r.max, r.maxex);
}

// zslParseLexRangeItem: "+" / "-" alone, or "(" / "[" followed by the value.
bool ParseLexBound(std::string_view arg, LexBound& b) {
  if (arg.empty()) return false;
  switch (arg[0]) {
    case '+':
    case '-':
      // Redis tests c[1] != '\0' on the C string.
      if (arg.size() > 1 && arg[1] != '\0') return false;
      b.kind = arg[0] == '+' ? LexBound::Kind::kPlusInf : LexBound::Kind::kMinusInf;
      b.ex = true;
      return true;
    case '(':
    case '[':
      b.kind = LexBound::Kind::kValue;
      b.ex = arg[0] == '(';
      b.value.assign(arg.substr(1));
      return true;
    default:
      return false;
  }
}

bool ParseLexRange(std::string_view min, std::string_view max, LexRange& r) {
  return ParseLexBound(min, r.min) && ParseLexBound(max, r.max);
}

// Deletes `key` if its zset became empty; emits the generic "del" event. Returns true if it did.
bool DeleteIfEmpty(CommandContext& ctx, Entry* e, std::string_view key) {
  if (!ZSetOf(e).empty()) return false;
  std::string k(key);
  ctx.db().Delete(k);
  ctx.Notify(kNotifyGeneric, "del", k);
  return true;
}

// One element of a WITHSCORES reply: [member, score] nested in RESP3, flat in RESP2.
void ReplyItem(resp::ReplyBuilder& r, std::string_view member, double score, bool withscores,
               bool nested) {
  if (withscores && nested) r.ArrayHeader(2);
  r.Bulk(member);
  if (withscores) r.Double(score);
}

void ReplyItemsHeader(CommandContext& ctx, size_t n, bool withscores) {
  bool resp2 = ctx.reply().protocol() == 2;
  ctx.reply().ArrayHeader(static_cast<int64_t>(withscores && resp2 ? n * 2 : n));
}

// A new zset value holding `items` (copied), encoded as a fresh result of that size is.
storage::Value BuildZSet(const std::vector<std::pair<std::string_view, double>>& items,
                         const ZSetLimits& limits) {
  storage::Value v =
      ZSet::NewValue(items.size() > limits.max_entries ? storage::Encoding::kSkiplist
                                                       : storage::Encoding::kListpack);
  ZSet z(v);
  for (const auto& [m, s] : items) z.Insert(m, s, limits);
  return v;
}

// Stores a result zset at `dst` (setKey: replaces any value and its TTL), or deletes `dst`
// when the result is empty. Replies the result's size.
void StoreResult(CommandContext& ctx, std::string_view dst, storage::Value value, size_t n,
                 std::string_view event) {
  if (n > 0) {
    ctx.db().Set(dst, std::move(value));
    ctx.reply().Integer(static_cast<int64_t>(n));
    ctx.Notify(kNotifyZset, event, dst);
    ctx.Dirty();
    return;
  }
  ctx.reply().Integer(0);
  if (ctx.LookupWrite(dst) != nullptr && ctx.db().Delete(dst)) {
    ctx.Notify(kNotifyGeneric, "del", dst);
    ctx.Dirty();
  }
}

// ---------------------------------------------------------------------------------------------
// ZADD / ZINCRBY
// ---------------------------------------------------------------------------------------------

enum ZaddFlags : unsigned {
  kZaddIncr = 1,
  kZaddNx = 2,
  kZaddXx = 4,
  kZaddGt = 8,
  kZaddLt = 16,
  kZaddCh = 32,
};

enum ZaddOut : unsigned { kOutNop = 1, kOutAdded = 2, kOutUpdated = 4 };

// zsetAdd: adds or updates one element. Returns false when the resulting score is NaN.
bool ZsetAdd(ZSet z, std::string_view member, double score, unsigned flags,
             const ZSetLimits& limits, unsigned& out, double& newscore) {
  out = 0;
  if (std::isnan(score)) return false;
  std::optional<double> cur = z.Score(member);
  if (cur) {
    if (flags & kZaddNx) {
      out |= kOutNop;
      return true;
    }
    if (flags & kZaddIncr) {
      score += *cur;
      if (std::isnan(score)) return false;
    }
    // GT / LT: only update when the new score is greater / less than the current one.
    if (((flags & kZaddLt) && score >= *cur) || ((flags & kZaddGt) && score <= *cur)) {
      out |= kOutNop;
      return true;
    }
    newscore = score;
    if (score != *cur) {
      z.UpdateScore(member, score);
      out |= kOutUpdated;
    }
    return true;
  }
  if (flags & kZaddXx) {
    out |= kOutNop;
    return true;
  }
  z.Insert(member, score, limits);
  newscore = score;
  out |= kOutAdded;
  return true;
}

void ZaddGeneric(CommandContext& ctx, unsigned flags) {
  const auto& a = ctx.args;
  std::string_view key = a[1];
  size_t scoreidx = 2;
  while (scoreidx < a.size()) {
    std::string_view opt = a[scoreidx];
    if (EqualsIgnoreCase(opt, "nx")) {
      flags |= kZaddNx;
    } else if (EqualsIgnoreCase(opt, "xx")) {
      flags |= kZaddXx;
    } else if (EqualsIgnoreCase(opt, "ch")) {
      flags |= kZaddCh;
    } else if (EqualsIgnoreCase(opt, "incr")) {
      flags |= kZaddIncr;
    } else if (EqualsIgnoreCase(opt, "gt")) {
      flags |= kZaddGt;
    } else if (EqualsIgnoreCase(opt, "lt")) {
      flags |= kZaddLt;
    } else {
      break;
    }
    ++scoreidx;
  }
  const bool incr = flags & kZaddIncr;
  const bool nx = flags & kZaddNx;
  const bool xx = flags & kZaddXx;
  const bool gt = flags & kZaddGt;
  const bool lt = flags & kZaddLt;
  size_t elements = a.size() - scoreidx;
  if (elements % 2 != 0 || elements == 0) return ctx.Error(err::kSyntax);
  elements /= 2;
  if (nx && xx) return ctx.Error("ERR XX and NX options at the same time are not compatible");
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    return ctx.Error("ERR GT, LT, and/or NX options at the same time are not compatible");
  }
  if (incr && elements > 1) {
    return ctx.Error("ERR INCR option supports a single increment-element pair");
  }
  std::vector<double> scores(elements);
  for (size_t j = 0; j < elements; ++j) {
    if (!ParseDouble(a[scoreidx + j * 2], scores[j])) return ctx.Error(err::kNotFloat);
  }

  Entry* e = ctx.LookupWrite(key);
  if (WrongType(ctx, e)) return;
  int64_t added = 0;
  int64_t updated = 0;
  int64_t processed = 0;
  double score = 0;
  const ZSetLimits limits = Limits(ctx);
  bool nan_error = false;
  if (e == nullptr && !xx) {
    storage::Encoding enc = ZSet::EncodingForNew(limits, a[scoreidx + 1].size());
    if (enc == storage::Encoding::kListpack) {
      // Room in the new key's entry for the elements when they fit a listpack.
      size_t reserve = elements <= limits.max_entries ? storage::packed::kHeader : 0;
      for (size_t j = 0; j < elements && reserve != 0; ++j) {
        std::string_view m = a[scoreidx + 1 + j * 2];
        if (m.size() > limits.max_value)
          reserve = 0;  // it converts at once: no room
        else
          reserve += storage::PackedZList::ElementSize(m, scores[j]);
      }
      e = ctx.db().AddString(key, storage::packed::kEmptyHeader, enc, ObjType::kZSet, reserve);
    } else {
      e = ctx.db().Add(key, ZSet::NewValue(enc));
    }
  }
  if (e != nullptr) {
    for (size_t j = 0; j < elements; ++j) {
      unsigned out = 0;
      double newscore = 0;
      if (!ZsetAdd(ZSetOf(e), a[scoreidx + 1 + j * 2], scores[j], flags, limits, out, newscore)) {
        nan_error = true;
        break;
      }
      if (out & kOutAdded) ++added;
      if (out & kOutUpdated) ++updated;
      if (!(out & kOutNop)) ++processed;
      score = newscore;
    }
  }
  if (nan_error) {
    ctx.Error(kNaNScore);
  } else if (incr) {
    if (processed) {
      ctx.reply().Double(score);
    } else {
      ctx.reply().Null();
    }
  } else {
    ctx.reply().Integer((flags & kZaddCh) ? added + updated : added);
  }
  if (added || updated) {
    ctx.Notify(kNotifyZset, incr ? "zincr" : "zadd", key);
    ctx.Dirty(static_cast<uint64_t>(added + updated));
  }
}

void CmdZadd(CommandContext& ctx) { ZaddGeneric(ctx, 0); }
void CmdZincrby(CommandContext& ctx) { ZaddGeneric(ctx, kZaddIncr); }

// ---------------------------------------------------------------------------------------------
// Lookups and counts
// ---------------------------------------------------------------------------------------------

void CmdZcard(CommandContext& ctx) {
  Entry* e = ctx.LookupRead(ctx.args[1]);
  if (WrongType(ctx, e)) return;
  ctx.reply().Integer(e == nullptr ? 0 : static_cast<int64_t>(ZSetOf(e).size()));
}

void CmdZcount(CommandContext& ctx) {
  ScoreRange r;
  if (!ParseScoreRange(ctx.args[2], ctx.args[3], r)) return ctx.Error(kMinMaxNotFloat);
  Entry* e = ctx.LookupRead(ctx.args[1]);
  if (WrongType(ctx, e)) return;
  if (e == nullptr) return ctx.reply().Integer(0);
  auto [first, end] = ZSetOf(e).RanksOf(r);
  ctx.reply().Integer(end > first ? static_cast<int64_t>(end - first) : 0);
}

void CmdZlexcount(CommandContext& ctx) {
  LexRange r;
  if (!ParseLexRange(ctx.args[2], ctx.args[3], r)) return ctx.Error(kMinMaxNotLex);
  Entry* e = ctx.LookupRead(ctx.args[1]);
  if (WrongType(ctx, e)) return;
  if (e == nullptr) return ctx.reply().Integer(0);
  auto [first, end] = ZSetOf(e).RanksOf(r);
  ctx.reply().Integer(end > first ? static_cast<int64_t>(end - first) : 0);
}

void CmdZscore(CommandContext& ctx) {
  Entry* e = ctx.LookupRead(ctx.args[1]);
  if (WrongType(ctx, e)) return;
  std::optional<double> s;
  if (e != nullptr) s = ZSetOf(e).Score(ctx.args[2]);
  if (s) {
    ctx.reply().Double(*s);
  } else {
    ctx.reply().Null();
  }
}

void CmdZmscore(CommandContext& ctx) {
  Entry* e = ctx.LookupRead(ctx.args[1]);
  if (WrongType(ctx, e)) return;
  ctx.reply().ArrayHeader(static_cast<int64_t>(ctx.args.size() - 2));
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    std::optional<double> s;
    if (e != nullptr) s = ZSetOf(e).Score(ctx.args[i]);
    if (s) {
      ctx.reply().Double(*s);
    } else {
      ctx.reply().Null();
    }
  }
}

void RankGeneric(CommandContext& ctx, bool reverse) {
  Entry* e = ctx.LookupRead(ctx.args[1]);
  if (WrongType(ctx, e)) return;
  if (e == nullptr) return ctx.reply().Null();
  const ZSet z = ZSetOf(e);
  std::optional<size_t> r = z.Rank(ctx.args[2]);
  if (!r) return ctx.reply().Null();
  ctx.reply().Integer(static_cast<int64_t>(reverse ? z.size() - 1 - *r : *r));
}

void CmdZrank(CommandContext& ctx) { RankGeneric(ctx, false); }
void CmdZrevrank(CommandContext& ctx) { RankGeneric(ctx, true); }

// ---------------------------------------------------------------------------------------------
// ZRANGE family (zrangeGenericCommand)
// ---------------------------------------------------------------------------------------------

enum class RangeType { kAuto, kRank, kScore, kLex };
enum class Direction { kAuto, kForward, kReverse };

using Items = std::vector<std::pair<std::string_view, double>>;

// Ascending rank `rank` walked up (or down when `reverse`): skips `offset` elements (a negative
// offset skips everything, as Redis's `while (ln && offset--)` does), then collects up to `limit`
// (negative: no limit) while `in_range(member, score)` holds.
template <typename InRange>
void CollectRange(const ZSet& z, size_t start, bool reverse, int64_t offset, int64_t limit,
                  InRange&& in_range, Items& out) {
  if (offset < 0) return;
  z.Walk(start, reverse, [&](std::string_view m, double s) {
    if (offset > 0) {
      --offset;
      return true;
    }
    if (limit == 0) return false;
    if (!in_range(m, s)) return false;
    out.emplace_back(m, s);
    if (limit > 0) --limit;
    return true;
  });
}

void ZrangeGeneric(CommandContext& ctx, size_t argc_start, bool store, RangeType rangetype,
                   Direction direction) {
  const auto& a = ctx.args;
  std::string_view key = a[argc_start];
  size_t minidx = argc_start + 1;
  size_t maxidx = argc_start + 2;
  int64_t opt_start = 0;
  int64_t opt_end = 0;
  bool withscores = false;
  int64_t offset = 0;
  int64_t limit = -1;

  for (size_t j = argc_start + 3; j < a.size(); ++j) {
    size_t leftargs = a.size() - j - 1;
    if (!store && EqualsIgnoreCase(a[j], "withscores")) {
      withscores = true;
    } else if (EqualsIgnoreCase(a[j], "limit") && leftargs >= 2) {
      if (!ParseLong(ctx, a[j + 1], offset) || !ParseLong(ctx, a[j + 2], limit)) return;
      j += 2;
    } else if (direction == Direction::kAuto && EqualsIgnoreCase(a[j], "rev")) {
      direction = Direction::kReverse;
    } else if (rangetype == RangeType::kAuto && EqualsIgnoreCase(a[j], "bylex")) {
      rangetype = RangeType::kLex;
    } else if (rangetype == RangeType::kAuto && EqualsIgnoreCase(a[j], "byscore")) {
      rangetype = RangeType::kScore;
    } else {
      return ctx.Error(err::kSyntax);
    }
  }
  if (direction == Direction::kAuto) direction = Direction::kForward;
  if (rangetype == RangeType::kAuto) rangetype = RangeType::kRank;
  if (limit != -1 && rangetype == RangeType::kRank) {
    return ctx.Error(
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
  }
  if (withscores && rangetype == RangeType::kLex) {
    return ctx.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
  }
  const bool reverse = direction == Direction::kReverse;
  // Score and lex ranges are given as [max, min] when reversed.
  if (reverse && rangetype != RangeType::kRank) std::swap(minidx, maxidx);

  ScoreRange srange;
  LexRange lrange;
  switch (rangetype) {
    case RangeType::kAuto:
    case RangeType::kRank:
      if (!ParseLong(ctx, a[minidx], opt_start) || !ParseLong(ctx, a[maxidx], opt_end)) return;
      break;
    case RangeType::kScore:
      if (!ParseScoreRange(a[minidx], a[maxidx], srange)) return ctx.Error(kMinMaxNotFloat);
      break;
    case RangeType::kLex:
      if (!ParseLexRange(a[minidx], a[maxidx], lrange)) return ctx.Error(kMinMaxNotLex);
      break;
  }

  Entry* e = ctx.LookupRead(key);
  if (WrongType(ctx, e)) return;
  Items items;
  if (e != nullptr) {
    const ZSet z = ZSetOf(e);
    const auto llen = static_cast<int64_t>(z.size());
    switch (rangetype) {
      case RangeType::kAuto:
      case RangeType::kRank: {
        int64_t start = opt_start;
        int64_t end = opt_end;
        if (start < 0) start += llen;
        if (end < 0) end += llen;
        if (start < 0) start = 0;
        if (start <= end && start < llen) {
          if (end >= llen) end = llen - 1;
          int64_t n = end - start + 1;
          size_t first = static_cast<size_t>(reverse ? llen - 1 - start : start);
          if (!store) {
            // The count is known: reply while walking, with no intermediate vector.
            resp::ReplyBuilder& r = ctx.reply();
            const bool nested = r.protocol() > 2;
            ReplyItemsHeader(ctx, static_cast<size_t>(n), withscores);
            z.Walk(first, reverse, [&](std::string_view m, double sc) {
              ReplyItem(r, m, sc, withscores, nested);
              return --n > 0;
            });
            return;
          }
          CollectRange(
              z, first, reverse, 0, n, [](std::string_view, double) { return true; }, items);
        }
        break;
      }
      case RangeType::kScore: {
        // An offset past the end answers empty at once (genericZrangebyscoreCommand).
        if (offset > 0 && offset >= llen) break;
        auto [first, end] = z.RanksOf(srange);
        if (first >= end) break;
        auto in = [&](std::string_view, double s) {
          return reverse ? srange.GteMin(s) : srange.LteMax(s);
        };
        CollectRange(z, reverse ? end - 1 : first, reverse, offset, limit, in, items);
        break;
      }
      case RangeType::kLex: {
        auto [first, end] = z.RanksOf(lrange);
        if (first >= end) break;
        auto in = [&](std::string_view m, double) {
          return reverse ? lrange.GteMin(m) : lrange.LteMax(m);
        };
        CollectRange(z, reverse ? end - 1 : first, reverse, offset, limit, in, items);
        break;
      }
    }
  }

  if (store) {
    storage::Value v = BuildZSet(items, Limits(ctx));
    StoreResult(ctx, a[1], std::move(v), items.size(), "zrangestore");
    return;
  }
  resp::ReplyBuilder& r = ctx.reply();
  bool nested = r.protocol() > 2;
  ReplyItemsHeader(ctx, items.size(), withscores);
  for (const auto& [m, s] : items) ReplyItem(r, m, s, withscores, nested);
}

void CmdZrange(CommandContext& ctx) {
  ZrangeGeneric(ctx, 1, false, RangeType::kAuto, Direction::kAuto);
}
void CmdZrangestore(CommandContext& ctx) {
  ZrangeGeneric(ctx, 2, true, RangeType::kAuto, Direction::kAuto);
}
void CmdZrevrange(CommandContext& ctx) {
  ZrangeGeneric(ctx, 1, false, RangeType::kRank, Direction::kReverse);
}
void CmdZrangebyscore(CommandContext& ctx) {
  ZrangeGeneric(ctx, 1, false, RangeType::kScore, Direction::kForward);
}
void CmdZrevrangebyscore(CommandContext& ctx) {
  ZrangeGeneric(ctx, 1, false, RangeType::kScore, Direction::kReverse);
}
void CmdZrangebylex(CommandContext& ctx) {
  ZrangeGeneric(ctx, 1, false, RangeType::kLex, Direction::kForward);
}
void CmdZrevrangebylex(CommandContext& ctx) {
  ZrangeGeneric(ctx, 1, false, RangeType::kLex, Direction::kReverse);
}

// ---------------------------------------------------------------------------------------------
// Removals
// ---------------------------------------------------------------------------------------------

void CmdZrem(CommandContext& ctx) {
  std::string_view key = ctx.args[1];
  Entry* e = ctx.LookupWrite(key);
  if (WrongType(ctx, e)) return;
  if (e == nullptr) return ctx.reply().Integer(0);
  int64_t deleted = 0;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    if (ZSetOf(e).Erase(ctx.args[i])) ++deleted;
    if (ZSetOf(e).empty()) break;
  }
  if (deleted > 0) {
    ctx.Notify(kNotifyZset, "zrem", key);
    DeleteIfEmpty(ctx, e, key);
    ctx.Dirty(static_cast<uint64_t>(deleted));
  }
  ctx.reply().Integer(deleted);
}

void ZremrangeGeneric(CommandContext& ctx, RangeType type) {
  std::string_view key = ctx.args[1];
  int64_t start = 0;
  int64_t end = 0;
  ScoreRange srange;
  LexRange lrange;
  if (type == RangeType::kRank) {
    if (!ParseLong(ctx, ctx.args[2], start) || !ParseLong(ctx, ctx.args[3], end)) return;
  } else if (type == RangeType::kScore) {
    if (!ParseScoreRange(ctx.args[2], ctx.args[3], srange)) return ctx.Error(kMinMaxNotFloat);
  } else {
    if (!ParseLexRange(ctx.args[2], ctx.args[3], lrange)) return ctx.Error(kMinMaxNotLex);
  }
  Entry* e = ctx.LookupWrite(key);
  if (WrongType(ctx, e)) return;
  if (e == nullptr) return ctx.reply().Integer(0);
  ZSet z = ZSetOf(e);
  size_t first = 0;
  size_t last = 0;  // exclusive
  std::string_view event;
  if (type == RangeType::kRank) {
    const auto llen = static_cast<int64_t>(z.size());
    if (start < 0) start += llen;
    if (end < 0) end += llen;
    if (start < 0) start = 0;
    if (start > end || start >= llen) return ctx.reply().Integer(0);
    if (end >= llen) end = llen - 1;
    first = static_cast<size_t>(start);
    last = static_cast<size_t>(end) + 1;
    event = "zremrangebyrank";
  } else if (type == RangeType::kScore) {
    std::tie(first, last) = z.RanksOf(srange);
    event = "zremrangebyscore";
  } else {
    std::tie(first, last) = z.RanksOf(lrange);
    event = "zremrangebylex";
  }
  size_t deleted = z.EraseRanks(first, last);
  if (deleted > 0) {
    ctx.Notify(kNotifyZset, event, key);
    DeleteIfEmpty(ctx, e, key);
  }
  ctx.Dirty(deleted);
  ctx.reply().Integer(static_cast<int64_t>(deleted));
}

void CmdZremrangebyrank(CommandContext& ctx) { ZremrangeGeneric(ctx, RangeType::kRank); }
void CmdZremrangebyscore(CommandContext& ctx) { ZremrangeGeneric(ctx, RangeType::kScore); }
void CmdZremrangebylex(CommandContext& ctx) { ZremrangeGeneric(ctx, RangeType::kLex); }

// ---------------------------------------------------------------------------------------------
// Pops (genericZpopCommand)
// ---------------------------------------------------------------------------------------------

// Pops up to `count` (-1: one, without COUNT) elements from the first existing key of `keys`.
// `emitkey` prefixes the key (ZMPOP), `nested` gives [member, score] pairs, `nil_when_empty`
// answers a null array instead of an empty one when no key exists.
void ZpopGeneric(CommandContext& ctx, std::span<const std::string_view> keys, bool max,
                 bool emitkey, int64_t count, bool nested, bool nil_when_empty) {
  Entry* e = nullptr;
  std::string_view key;
  for (std::string_view k : keys) {
    e = ctx.LookupWrite(k);
    if (e == nullptr) continue;
    if (WrongType(ctx, e)) return;
    key = k;
    break;
  }
  resp::ReplyBuilder& r = ctx.reply();
  if (e == nullptr) {
    if (nil_when_empty) {
      r.NullArray();
    } else {
      r.EmptyArray();
    }
    return;
  }
  if (count == 0) return r.EmptyArray();
  if (count == -1) count = 1;
  ZSet z = ZSetOf(e);
  const auto rangelen =
      static_cast<size_t>(std::min<int64_t>(count, static_cast<int64_t>(z.size())));
  if (!nested && !emitkey) {
    r.ArrayHeader(static_cast<int64_t>(rangelen * 2));
  } else if (nested && !emitkey) {
    r.ArrayHeader(static_cast<int64_t>(rangelen));
  } else if (!nested && emitkey) {
    r.ArrayHeader(static_cast<int64_t>(rangelen * 2 + 1));
    r.Bulk(key);
  } else {
    r.ArrayHeader(2);
    r.Bulk(key);
    r.ArrayHeader(static_cast<int64_t>(rangelen));
  }
  for (size_t i = 0; i < rangelen; ++i) {
    auto [m, s] = z.Pop(max);
    ReplyItem(r, m, s, true, nested);
  }
  std::string k(key);
  ctx.Notify(kNotifyZset, max ? "zpopmax" : "zpopmin", k);
  DeleteIfEmpty(ctx, e, k);
  // ZMPOP's keys are not at fixed positions, so the dispatcher cannot touch them for WATCH.
  if (emitkey) ctx.server.TouchWatchedKey(ctx.client.db_index, k);
  // ZMPOP / BZPOPMIN & co reach replicas as the plain pop of the key that was served.
  ctx.PropagateAs({max ? "ZPOPMAX" : "ZPOPMIN", k, std::to_string(rangelen)});
  ctx.Dirty(rangelen);
}

void ZpopMinMax(CommandContext& ctx, bool max) {
  if (ctx.args.size() > 3) return ctx.Error(err::kSyntax);
  int64_t count = -1;
  if (ctx.args.size() == 3 &&
      !ParseLongIn(ctx, ctx.args[2], 0, INT64_MAX, kMustBePositive, count)) {
    return;
  }
  bool nested = ctx.reply().protocol() > 2 && count != -1;
  ZpopGeneric(ctx, ctx.args.subspan(1, 1), max, false, count, nested, false);
}

void CmdZpopmin(CommandContext& ctx) { ZpopMinMax(ctx, false); }
void CmdZpopmax(CommandContext& ctx) { ZpopMinMax(ctx, true); }

// The tail of ZMPOP / BZMPOP after the keys: MIN|MAX [COUNT count]. False after the error.
bool ParseMpopTail(CommandContext& ctx, size_t where_idx, bool& max, int64_t& count) {
  const auto& a = ctx.args;
  if (EqualsIgnoreCase(a[where_idx], "min")) {
    max = false;
  } else if (EqualsIgnoreCase(a[where_idx], "max")) {
    max = true;
  } else {
    ctx.Error(err::kSyntax);
    return false;
  }
  count = -1;
  for (size_t j = where_idx + 1; j < a.size(); ++j) {
    bool moreargs = j + 1 < a.size();
    if (count == -1 && EqualsIgnoreCase(a[j], "count") && moreargs) {
      ++j;
      if (!ParseLongIn(ctx, a[j], 1, INT64_MAX, "ERR count should be greater than 0", count)) {
        return false;
      }
    } else {
      ctx.Error(err::kSyntax);
      return false;
    }
  }
  if (count == -1) count = 1;
  return true;
}

void CmdZmpop(CommandContext& ctx) {
  const auto& a = ctx.args;
  int64_t numkeys = 0;
  if (!ParseLongIn(ctx, a[1], 1, INT64_MAX, "ERR numkeys should be greater than 0", numkeys)) {
    return;
  }
  if (numkeys >= static_cast<int64_t>(a.size()) - 2) return ctx.Error(err::kSyntax);
  size_t where_idx = 2 + static_cast<size_t>(numkeys);
  bool max = false;
  int64_t count = 1;
  if (!ParseMpopTail(ctx, where_idx, max, count)) return;
  ZpopGeneric(ctx, a.subspan(2, static_cast<size_t>(numkeys)), max, true, count, true, true);
}

// BZPOPMIN / BZPOPMAX key [key ...] timeout, BZMPOP timeout numkeys key ... MIN|MAX [COUNT n]
// (blockingGenericZpopCommand): serve at once from the first non-empty key, else block until a
// key is written (Server::BlockClient runs the command again) or the timeout (null array).
void BlockingZpop(CommandContext& ctx, std::span<const std::string_view> keys, bool max,
                  int64_t count, int64_t deadline) {
  for (std::string_view k : keys) {
    Entry* e = ctx.LookupWrite(k);
    if (e == nullptr) continue;
    if (WrongType(ctx, e)) return;
    if (count != -1) {
      ZpopGeneric(ctx, std::span<const std::string_view>(&k, 1), max, true, count, true, true);
    } else {
      ZpopGeneric(ctx, std::span<const std::string_view>(&k, 1), max, true, -1, false, false);
    }
    // Blocking pops name their key in the reply even when it came from a fixed position.
    ctx.server.TouchWatchedKey(ctx.client.db_index, k);
    return;
  }
  if (!ctx.may_block) return ctx.reply().NullArray();
  ctx.server.BlockClient(ctx.client, ctx.cmd, ctx.args,
                         std::vector<std::string>(keys.begin(), keys.end()), deadline, true);
}

void BzpopMinMax(CommandContext& ctx, bool max) {
  int64_t deadline = 0;
  if (!ParseBlockTimeout(ctx, ctx.args.back(), deadline)) return;
  BlockingZpop(ctx, ctx.args.subspan(1, ctx.args.size() - 2), max, -1, deadline);
}
void CmdBzpopmin(CommandContext& ctx) { BzpopMinMax(ctx, false); }
void CmdBzpopmax(CommandContext& ctx) { BzpopMinMax(ctx, true); }

void CmdBzmpop(CommandContext& ctx) {
  const auto& a = ctx.args;
  int64_t deadline = 0;
  if (!ParseBlockTimeout(ctx, a[1], deadline)) return;
  int64_t numkeys = 0;
  if (!ParseLongIn(ctx, a[2], 1, INT64_MAX, "ERR numkeys should be greater than 0", numkeys)) {
    return;
  }
  if (numkeys >= static_cast<int64_t>(a.size()) - 3) return ctx.Error(err::kSyntax);
  size_t where_idx = 3 + static_cast<size_t>(numkeys);
  bool max = false;
  int64_t count = 1;
  if (!ParseMpopTail(ctx, where_idx, max, count)) return;
  BlockingZpop(ctx, a.subspan(3, static_cast<size_t>(numkeys)), max, count, deadline);
}

// ---------------------------------------------------------------------------------------------
// ZRANDMEMBER
// ---------------------------------------------------------------------------------------------

void ZrandmemberWithCount(CommandContext& ctx, int64_t l, bool withscores) {
  Entry* e = ctx.LookupRead(ctx.args[1]);
  if (WrongType(ctx, e)) return;
  resp::ReplyBuilder& r = ctx.reply();
  if (e == nullptr) return r.EmptyArray();
  const ZSet z = ZSetOf(e);
  const size_t size = z.size();
  const bool uniq = l >= 0;
  const uint64_t count = uniq ? static_cast<uint64_t>(l) : static_cast<uint64_t>(-l);
  if (count == 0) return r.EmptyArray();
  const bool nested = r.protocol() > 2;
  auto& rng = ctx.keyspace().random();
  // Negative count: `count` independent draws, repetitions allowed.
  if (!uniq || count == 1) {
    ReplyItemsHeader(ctx, count, withscores);
    for (uint64_t i = 0; i < count; ++i) {
      ZSet::Item it = z.Random(rng);
      ReplyItem(r, it.member, it.score, withscores, nested);
    }
    return;
  }
  // The whole zset, walked from the highest element down as Redis's zset iterator does.
  if (count >= size) {
    ReplyItemsHeader(ctx, size, withscores);
    z.Walk(size - 1, true, [&](std::string_view m, double s) {
      ReplyItem(r, m, s, withscores, nested);
      return true;
    });
    return;
  }
  // Distinct elements: a partial Fisher-Yates shuffle of the ranks.
  std::vector<size_t> ranks(size);
  std::iota(ranks.begin(), ranks.end(), size_t{0});
  for (size_t i = 0; i < count; ++i) {
    size_t j = i + static_cast<size_t>(rng() % (size - i));
    std::swap(ranks[i], ranks[j]);
  }
  ReplyItemsHeader(ctx, count, withscores);
  for (size_t i = 0; i < count; ++i) {
    ZSet::Item it = z.At(ranks[i]);
    ReplyItem(r, it.member, it.score, withscores, nested);
  }
}

void CmdZrandmember(CommandContext& ctx) {
  const auto& a = ctx.args;
  if (a.size() >= 3) {
    int64_t l = 0;
    if (!ParseLong(ctx, a[2], l)) return;
    if (l < -INT64_MAX) {
      return ctx.Error(
          "ERR value is out of range, value must between -9223372036854775807 and "
          "9223372036854775807");
    }
    bool withscores = false;
    if (a.size() > 4 || (a.size() == 4 && !EqualsIgnoreCase(a[3], "withscores"))) {
      return ctx.Error(err::kSyntax);
    }
    if (a.size() == 4) {
      withscores = true;
      if (l < -INT64_MAX / 2 || l > INT64_MAX / 2) return ctx.Error("ERR value is out of range");
    }
    return ZrandmemberWithCount(ctx, l, withscores);
  }
  Entry* e = ctx.LookupRead(a[1]);
  if (WrongType(ctx, e)) return;
  if (e == nullptr) return ctx.reply().Null();
  ctx.reply().Bulk(ZSetOf(e).Random(ctx.keyspace().random()).member);
}

// ---------------------------------------------------------------------------------------------
// ZUNION / ZINTER / ZDIFF (zunionInterDiffGenericCommand)
// ---------------------------------------------------------------------------------------------

enum class SetOp { kUnion, kInter, kDiff };
enum class Aggregate { kSum, kMin, kMax };

// One input: a zset, a set (every member scores 1) or a missing key (empty). Members handed out
// by ForEach stay valid until the command ends: a set's intset members are made on the fly, so
// they are kept in `arena` (a deque never moves its elements).
struct Source {
  const storage::Value* zset = nullptr;
  const SetObject* set = nullptr;
  std::deque<std::string>* arena = nullptr;
  double weight = 1.0;
  size_t size() const { return zset ? ZSet::Read(*zset).size() : (set ? set->size() : 0); }
  std::optional<double> Find(std::string_view m) const {
    if (zset) return ZSet::Read(*zset).Score(m);
    if (set && set->Contains(m)) return 1.0;
    return std::nullopt;
  }
  bool Same(const Source& o) const { return (zset && zset == o.zset) || (set && set == o.set); }
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    if (zset) {
      ZSet::Read(*zset).ForEach(fn);
    } else if (set) {
      set->ForEach([&](std::string_view m) { fn(std::string_view(arena->emplace_back(m)), 1.0); });
    }
  }
};

void AggregateInto(double& target, double val, Aggregate agg) {
  switch (agg) {
    case Aggregate::kSum:
      target = target + val;
      // +inf plus -inf is NaN; Redis keeps the convention of 0.
      if (std::isnan(target)) target = 0.0;
      break;
    case Aggregate::kMin:
      target = val < target ? val : target;
      break;
    case Aggregate::kMax:
      target = val > target ? val : target;
      break;
  }
}

void SetOpGeneric(CommandContext& ctx, std::string_view dstkey, size_t numkeys_index, SetOp op,
                  bool cardinality_only) {
  const auto& a = ctx.args;
  const bool store = !dstkey.empty();
  int64_t setnum = 0;
  if (!ParseLong(ctx, a[numkeys_index], setnum)) return;
  if (setnum < 1) {
    return ctx.Error(
        fmt::format("ERR at least 1 input key is needed for '{}' command", ctx.cmd.name));
  }
  if (setnum > static_cast<int64_t>(a.size() - (numkeys_index + 1))) {
    return ctx.Error(err::kSyntax);
  }
  std::vector<Source> src(static_cast<size_t>(setnum));
  std::deque<std::string> arena;
  for (Source& s : src) s.arena = &arena;
  size_t j = numkeys_index + 1;
  for (size_t i = 0; i < src.size(); ++i, ++j) {
    Entry* e = store ? ctx.LookupWrite(a[j]) : ctx.LookupRead(a[j]);
    if (e == nullptr) continue;
    if (e->value.type == ObjType::kZSet) {
      src[i].zset = &e->value;
    } else if (e->value.type == ObjType::kSet) {
      src[i].set = &e->value.As<SetObject>();
    } else {
      return ctx.Error(err::kWrongType);
    }
  }

  Aggregate aggregate = Aggregate::kSum;
  bool withscores = false;
  int64_t limit = 0;
  while (j < a.size()) {
    size_t remaining = a.size() - j;
    if (op != SetOp::kDiff && !cardinality_only && remaining >= src.size() + 1 &&
        EqualsIgnoreCase(a[j], "weights")) {
      ++j;
      for (size_t i = 0; i < src.size(); ++i, ++j) {
        if (!ParseDouble(a[j], src[i].weight)) {
          return ctx.Error("ERR weight value is not a float");
        }
      }
    } else if (op != SetOp::kDiff && !cardinality_only && remaining >= 2 &&
               EqualsIgnoreCase(a[j], "aggregate")) {
      std::string_view v = a[j + 1];
      if (EqualsIgnoreCase(v, "sum")) {
        aggregate = Aggregate::kSum;
      } else if (EqualsIgnoreCase(v, "min")) {
        aggregate = Aggregate::kMin;
      } else if (EqualsIgnoreCase(v, "max")) {
        aggregate = Aggregate::kMax;
      } else {
        return ctx.Error(err::kSyntax);
      }
      j += 2;
    } else if (!store && !cardinality_only && EqualsIgnoreCase(a[j], "withscores")) {
      ++j;
      withscores = true;
    } else if (cardinality_only && remaining >= 2 && EqualsIgnoreCase(a[j], "limit")) {
      if (!ParseLongIn(ctx, a[j + 1], 0, INT64_MAX, "ERR LIMIT can't be negative", limit)) return;
      j += 2;
    } else {
      return ctx.Error(err::kSyntax);
    }
  }

  // Smallest input first (qsort by cardinality; glibc's qsort is a stable merge sort, and the
  // order decides the order of floating-point sums).
  if (op != SetOp::kDiff) {
    std::stable_sort(src.begin(), src.end(),
                     [](const Source& x, const Source& y) { return x.size() < y.size(); });
  }

  // The result as member -> score. Members are views into the inputs, which stay alive and
  // unchanged until the result is copied out.
  std::vector<std::pair<std::string_view, double>> result;
  int64_t cardinality = 0;
  if (op == SetOp::kInter) {
    if (src[0].size() > 0) {
      bool stop = false;
      src[0].ForEach([&](std::string_view m, double s0) {
        if (stop) return;
        double score = src[0].weight * s0;
        if (std::isnan(score)) score = 0;
        size_t k = 1;
        for (; k < src.size(); ++k) {
          std::optional<double> v;
          if (src[k].Same(src[0])) {
            v = s0;
          } else {
            v = src[k].Find(m);
          }
          if (!v) break;
          AggregateInto(score, *v * src[k].weight, aggregate);
        }
        if (k != src.size()) return;
        if (cardinality_only) {
          ++cardinality;
          if (limit && cardinality >= limit) stop = true;
        } else {
          result.emplace_back(m, score);
        }
      });
    }
  } else if (op == SetOp::kUnion) {
    std::unordered_map<std::string_view, double> acc;
    std::vector<std::string_view> order;
    for (const Source& s : src) {
      s.ForEach([&](std::string_view m, double sc) {
        double score = s.weight * sc;
        if (std::isnan(score)) score = 0;
        auto [it, inserted] = acc.try_emplace(m, score);
        if (inserted) {
          order.push_back(m);
        } else {
          AggregateInto(it->second, score, aggregate);
        }
      });
    }
    result.reserve(order.size());
    for (std::string_view m : order) result.emplace_back(m, acc[m]);
  } else {
    // Members of the first input found in none of the others, with their first-input scores.
    src[0].ForEach([&](std::string_view m, double s0) {
      for (size_t k = 1; k < src.size(); ++k) {
        if (src[k].Same(src[0]) || src[k].Find(m)) return;
      }
      result.emplace_back(m, s0);
    });
  }

  if (cardinality_only) return ctx.reply().Integer(cardinality);

  std::sort(result.begin(), result.end(), [](const auto& x, const auto& y) {
    return x.second < y.second || (x.second == y.second && x.first < y.first);
  });
  if (store) {
    const ZSetLimits limits = Limits(ctx);
    storage::Value v = ZSet::NewValue(storage::Encoding::kSkiplist);
    ZSet z(v);
    for (const auto& [m, s] : result) z.Insert(m, s, limits);
    z.ConvertToListpackIfFits(limits);
    std::string_view event =
        op == SetOp::kUnion ? "zunionstore" : (op == SetOp::kInter ? "zinterstore" : "zdiffstore");
    StoreResult(ctx, dstkey, std::move(v), result.size(), event);
    return;
  }
  resp::ReplyBuilder& r = ctx.reply();
  bool nested = r.protocol() > 2;
  ReplyItemsHeader(ctx, result.size(), withscores);
  for (const auto& [m, s] : result) ReplyItem(r, m, s, withscores, nested);
}

void CmdZunion(CommandContext& ctx) { SetOpGeneric(ctx, {}, 1, SetOp::kUnion, false); }
void CmdZinter(CommandContext& ctx) { SetOpGeneric(ctx, {}, 1, SetOp::kInter, false); }
void CmdZdiff(CommandContext& ctx) { SetOpGeneric(ctx, {}, 1, SetOp::kDiff, false); }
void CmdZunionstore(CommandContext& ctx) {
  SetOpGeneric(ctx, ctx.args[1], 2, SetOp::kUnion, false);
}
void CmdZinterstore(CommandContext& ctx) {
  SetOpGeneric(ctx, ctx.args[1], 2, SetOp::kInter, false);
}
void CmdZdiffstore(CommandContext& ctx) { SetOpGeneric(ctx, ctx.args[1], 2, SetOp::kDiff, false); }
void CmdZintercard(CommandContext& ctx) { SetOpGeneric(ctx, {}, 1, SetOp::kInter, true); }

// ---------------------------------------------------------------------------------------------
// ZSCAN
// ---------------------------------------------------------------------------------------------

// The cursor is parsed by the shared ParseScanCursor (server/arg_cursor.h).
void CmdZscan(CommandContext& ctx) {
  const auto& a = ctx.args;
  uint64_t cursor = 0;
  if (!ParseScanCursor(a[2], cursor)) return ctx.Error(err::kInvalidCursor);
  Entry* e = ctx.LookupRead(a[1]);
  if (WrongType(ctx, e)) return;
  resp::ReplyBuilder& r = ctx.reply();
  if (e == nullptr) return r.Raw("*2\r\n$1\r\n0\r\n*0\r\n");
  ScanOptions opts;
  if (!ParseScanOptions(ctx, 3, false, opts)) return;
  const int64_t count = opts.count;
  const std::string_view pattern = opts.pattern;
  const bool use_pattern = opts.use_pattern;
  const ZSet z = ZSetOf(e);
  std::vector<std::pair<std::string_view, double>> found;
  if (z.encoding() == storage::Encoding::kListpack) {
    cursor = z.Scan(cursor, [&](std::string_view m, double s) { found.emplace_back(m, s); });
  } else {
    // Redis counts list entries (member and score each) against COUNT.
    int64_t max_iterations = count * 10;
    do {
      cursor = z.Scan(cursor, [&](std::string_view m, double s) { found.emplace_back(m, s); });
    } while (cursor != 0 && max_iterations-- > 0 && static_cast<int64_t>(found.size() * 2) < count);
  }
  std::vector<std::string> out;
  out.reserve(found.size() * 2);
  for (const auto& [m, s] : found) {
    if (use_pattern && !config::GlobMatch(pattern, m, false)) continue;
    out.emplace_back(m);
    out.push_back(storage::FormatScore(s));
  }
  r.ArrayHeader(2);
  r.Bulk(std::to_string(cursor));
  r.ArrayHeader(static_cast<int64_t>(out.size()));
  for (const std::string& s : out) r.Bulk(s);
}

}  // namespace

void RegisterZSetCommands(CommandTable& t) {
  constexpr uint32_t kWF = kCmdWrite | kCmdDenyOom | kCmdFast;
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
  constexpr uint32_t kRF = kCmdReadonly | kCmdFast;
  constexpr uint32_t kR = kCmdReadonly;
  constexpr uint32_t kMov = kCmdMovableKeys;
  t.Add({"zadd", -4, kWF, 1, 1, 1, CmdZadd, "@write @sortedset @fast", "sorted_set",
         "Add one or more members to a sorted set, or update its score if it already exists",
         "1.2.0",
         "O(log(N)) for each item added, where N is the number of elements in the "
         "sorted set."});
  t.Add({"zincrby", 4, kWF, 1, 1, 1, CmdZincrby, "@write @sortedset @fast", "sorted_set",
         "Increment the score of a member in a sorted set", "1.2.0", "O(log(N))"});
  t.Add({"zcard", 2, kRF, 1, 1, 1, CmdZcard, "@read @sortedset @fast", "sorted_set",
         "Get the number of members in a sorted set", "1.2.0"});
  t.Add({"zcount", 4, kRF, 1, 1, 1, CmdZcount, "@read @sortedset @fast", "sorted_set",
         "Count the members in a sorted set with scores within the given values", "2.0.0",
         "O(log(N))"});
  t.Add({"zlexcount", 4, kRF, 1, 1, 1, CmdZlexcount, "@read @sortedset @fast", "sorted_set",
         "Count the number of members in a sorted set between a given lexicographical range",
         "2.8.9", "O(log(N))"});
  t.Add({"zscore", 3, kRF, 1, 1, 1, CmdZscore, "@read @sortedset @fast", "sorted_set",
         "Get the score associated with the given member in a sorted set", "1.2.0"});
  t.Add({"zmscore", -3, kRF, 1, 1, 1, CmdZmscore, "@read @sortedset @fast", "sorted_set",
         "Get the score associated with the given members in a sorted set", "6.2.0", "O(N)"});
  t.Add({"zrank", 3, kRF, 1, 1, 1, CmdZrank, "@read @sortedset @fast", "sorted_set",
         "Determine the index of a member in a sorted set", "2.0.0", "O(log(N))"});
  t.Add({"zrevrank", 3, kRF, 1, 1, 1, CmdZrevrank, "@read @sortedset @fast", "sorted_set",
         "Determine the index of a member in a sorted set, with scores ordered from high to low",
         "2.0.0", "O(log(N))"});
  t.Add({"zrange", -4, kR, 1, 1, 1, CmdZrange, "@read @sortedset @slow", "sorted_set",
         "Return a range of members in a sorted set", "1.2.0", "O(log(N)+M)"});
  t.Add({"zrangestore", -5, kW, 1, 2, 1, CmdZrangestore, "@write @sortedset @slow", "sorted_set",
         "Store a range of members from sorted set into another key", "6.2.0", "O(log(N)+M)"});
  t.Add({"zrevrange", -4, kR, 1, 1, 1, CmdZrevrange, "@read @sortedset @slow", "sorted_set",
         "Return a range of members in a sorted set, by index, with scores ordered from high to "
         "low",
         "1.2.0", "O(log(N)+M)"});
  t.Add({"zrangebyscore", -4, kR, 1, 1, 1, CmdZrangebyscore, "@read @sortedset @slow", "sorted_set",
         "Return a range of members in a sorted set, by score", "1.0.5", "O(log(N)+M)"});
  t.Add({"zrevrangebyscore", -4, kR, 1, 1, 1, CmdZrevrangebyscore, "@read @sortedset @slow",
         "sorted_set",
         "Return a range of members in a sorted set, by score, with scores ordered from high to "
         "low",
         "2.2.0", "O(log(N)+M)"});
  t.Add({"zrangebylex", -4, kR, 1, 1, 1, CmdZrangebylex, "@read @sortedset @slow", "sorted_set",
         "Return a range of members in a sorted set, by lexicographical range", "2.8.9",
         "O(log(N)+M)"});
  t.Add({"zrevrangebylex", -4, kR, 1, 1, 1, CmdZrevrangebylex, "@read @sortedset @slow",
         "sorted_set",
         "Return a range of members in a sorted set, by lexicographical range, ordered from "
         "higher to lower strings.",
         "2.8.9", "O(log(N)+M)"});
  t.Add({"zrem", -3, kCmdWrite | kCmdFast, 1, 1, 1, CmdZrem, "@write @sortedset @fast",
         "sorted_set", "Remove one or more members from a sorted set", "1.2.0", "O(M*log(N))"});
  t.Add({"zremrangebyrank", 4, kCmdWrite, 1, 1, 1, CmdZremrangebyrank, "@write @sortedset @slow",
         "sorted_set", "Remove all members in a sorted set within the given indexes", "2.0.0",
         "O(log(N)+M)"});
  t.Add({"zremrangebyscore", 4, kCmdWrite, 1, 1, 1, CmdZremrangebyscore, "@write @sortedset @slow",
         "sorted_set", "Remove all members in a sorted set within the given scores", "1.2.0",
         "O(log(N)+M)"});
  t.Add({"zremrangebylex", 4, kCmdWrite, 1, 1, 1, CmdZremrangebylex, "@write @sortedset @slow",
         "sorted_set", "Remove all members in a sorted set between the given lexicographical range",
         "2.8.9", "O(log(N)+M)"});
  t.Add({"zpopmin", -2, kCmdWrite | kCmdFast, 1, 1, 1, CmdZpopmin, "@write @sortedset @fast",
         "sorted_set", "Remove and return members with the lowest scores in a sorted set", "5.0.0",
         "O(log(N)*M)"});
  t.Add({"zpopmax", -2, kCmdWrite | kCmdFast, 1, 1, 1, CmdZpopmax, "@write @sortedset @fast",
         "sorted_set", "Remove and return members with the highest scores in a sorted set", "5.0.0",
         "O(log(N)*M)"});
  t.Add({"zmpop", -4, kCmdWrite | kMov, 0, 0, 0, CmdZmpop, "@write @sortedset @slow", "sorted_set",
         "Remove and return members with scores in a sorted set", "7.0.0", "O(K) + O(N*log(M))"});
  t.Add({"bzpopmin", -3, kCmdWrite | kCmdNoscript | kCmdFast | kCmdBlocking, 1, -2, 1, CmdBzpopmin,
         "@write @sortedset @fast @blocking", "sorted_set",
         "Remove and return the member with the lowest score from one or more sorted sets, or "
         "block until one is available",
         "5.0.0", "O(log(N)) with N being the number of elements in the sorted set."});
  t.Add({"bzpopmax", -3, kCmdWrite | kCmdNoscript | kCmdFast | kCmdBlocking, 1, -2, 1, CmdBzpopmax,
         "@write @sortedset @fast @blocking", "sorted_set",
         "Remove and return the member with the highest score from one or more sorted sets, or "
         "block until one is available",
         "5.0.0", "O(log(N)) with N being the number of elements in the sorted set."});
  t.Add({"bzmpop", -5, kCmdWrite | kCmdBlocking | kMov, 0, 0, 0, CmdBzmpop,
         "@write @sortedset @slow @blocking", "sorted_set",
         "Remove and return members with scores in a sorted set or block until one is available",
         "7.0.0", "O(K) + O(N*log(M))"});
  t.Add({"zrandmember", -2, kR, 1, 1, 1, CmdZrandmember, "@read @sortedset @slow", "sorted_set",
         "Get one or multiple random elements from a sorted set", "6.2.0", "O(N)"});
  t.Add({"zunion", -3, kR | kMov, 0, 0, 0, CmdZunion, "@read @sortedset @slow", "sorted_set",
         "Add multiple sorted sets", "6.2.0", "O(N)+O(M*log(M))"});
  t.Add({"zinter", -3, kR | kMov, 0, 0, 0, CmdZinter, "@read @sortedset @slow", "sorted_set",
         "Intersect multiple sorted sets", "6.2.0", "O(N*K)+O(M*log(M))"});
  t.Add({"zdiff", -3, kR | kMov, 0, 0, 0, CmdZdiff, "@read @sortedset @slow", "sorted_set",
         "Subtract multiple sorted sets", "6.2.0", "O(L + (N-K)log(N))"});
  t.Add({"zunionstore", -4, kW | kMov, 1, 1, 1, CmdZunionstore, "@write @sortedset @slow",
         "sorted_set", "Add multiple sorted sets and store the resulting sorted set in a new key",
         "2.0.0", "O(N)+O(M log(M))"});
  t.Add({"zinterstore", -4, kW | kMov, 1, 1, 1, CmdZinterstore, "@write @sortedset @slow",
         "sorted_set",
         "Intersect multiple sorted sets and store the resulting sorted set in a new key", "2.0.0",
         "O(N*K)+O(M*log(M))"});
  t.Add({"zdiffstore", -4, kW | kMov, 1, 1, 1, CmdZdiffstore, "@write @sortedset @slow",
         "sorted_set",
         "Subtract multiple sorted sets and store the resulting sorted set in a new key", "6.2.0",
         "O(L + (N-K)log(N))"});
  t.Add({"zintercard", -3, kR | kMov, 0, 0, 0, CmdZintercard, "@read @sortedset @slow",
         "sorted_set", "Intersect multiple sorted sets and return the cardinality of the result",
         "7.0.0", "O(N*K)"});
  t.Add({"zscan", -3, kR, 1, 1, 1, CmdZscan, "@read @sortedset @slow", "sorted_set",
         "Incrementally iterate sorted sets elements and associated scores", "2.8.0",
         "O(1) for every call. O(N) for a complete iteration, including enough command calls "
         "for the cursor to return to 0. N is the number of elements inside the collection."});
}

}  // namespace tandem::server
