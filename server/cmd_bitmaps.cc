// Bitmap and bit field commands (Redis 7.0 bitops.c): SETBIT, GETBIT, BITOP, BITCOUNT, BITPOS,
// BITFIELD, BITFIELD_RO. Bitmaps are plain string values; bit 0 is the most significant bit of
// byte 0. A write that reaches past the end grows the string with zero bytes, and any write leaves
// the value "raw" (dbUnshareStringValue), exactly as APPEND / SETRANGE do.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "server/arg_cursor.h"
#include "server/errors.h"
#include "server/server.h"

namespace tandem::server {

namespace {

using storage::Entry;
using storage::ObjType;
using storage::Value;

constexpr std::string_view kBitOffsetError = "ERR bit offset is not an integer or out of range";
constexpr std::string_view kBitValueError = "ERR bit is not an integer or out of range";
constexpr std::string_view kBitfieldTypeError =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
    "i64 is.";

// ---------------------------------------------------------------------------------------------
// Utility: counting, searching and bit field access over raw bytes
// ---------------------------------------------------------------------------------------------

// redisPopcount: set bits in p[0..count).
int64_t Popcount(const uint8_t* p, size_t count) {
  int64_t bits = 0;
  size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    bits += std::popcount(w);
  }
  for (; i < count; ++i) bits += std::popcount(static_cast<unsigned>(p[i]));
  return bits;
}

// redisBitpos: position of the first bit equal to `bit` in p[0..count). When looking for a 0 in
// bytes that are all ones, returns count * 8 (the string is taken as zero padded on the right);
// when looking for a 1 that is not there, returns -1.
int64_t FindBit(const uint8_t* p, size_t count, int bit) {
  const uint8_t skip_byte = bit ? 0x00 : 0xff;
  const uint64_t skip_word = bit ? 0 : ~uint64_t{0};
  size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    if (w != skip_word) break;
  }
  for (; i < count; ++i) {
    if (p[i] == skip_byte) continue;
    for (int b = 7; b >= 0; --b) {
      if (((p[i] >> b) & 1) == bit) return static_cast<int64_t>(i * 8) + (7 - b);
    }
  }
  return bit ? -1 : static_cast<int64_t>(count * 8);
}

// getUnsignedBitfield: `bits` bits from bit `offset`, most significant first. The caller
// guarantees the bytes exist.
uint64_t GetUnsignedBitfield(const uint8_t* p, uint64_t offset, int bits) {
  uint64_t value = 0;
  for (int j = 0; j < bits; ++j, ++offset) {
    uint64_t bitval = (p[offset >> 3] >> (7 - (offset & 7))) & 1;
    value = (value << 1) | bitval;
  }
  return value;
}

// getSignedBitfield: as above, with the top bit sign-extended (two's complement).
int64_t GetSignedBitfield(const uint8_t* p, uint64_t offset, int bits) {
  uint64_t u = GetUnsignedBitfield(p, offset, bits);
  if (bits < 64 && (u & (uint64_t{1} << (bits - 1)))) u |= ~uint64_t{0} << bits;
  return static_cast<int64_t>(u);
}

// setUnsignedBitfield: writes the low `bits` bits of `value` at bit `offset`.
void SetBitfield(uint8_t* p, uint64_t offset, int bits, uint64_t value) {
  for (int j = 0; j < bits; ++j, ++offset) {
    unsigned bitval = (value >> (bits - 1 - j)) & 1;
    unsigned shift = 7 - static_cast<unsigned>(offset & 7);
    uint8_t& byte = p[offset >> 3];
    byte = static_cast<uint8_t>((byte & ~(1u << shift)) | (bitval << shift));
  }
}

enum class Overflow { kWrap, kSat, kFail };

// checkUnsignedBitfieldOverflow: 0 if value + incr fits in `bits` unsigned bits, 1 on overflow
// and -1 on underflow; then `limit` holds the value to store for WRAP / SAT (unused for FAIL).
int CheckUnsignedOverflow(uint64_t value, int64_t incr, int bits, Overflow ow, uint64_t& limit) {
  const uint64_t max = bits == 64 ? UINT64_MAX : (uint64_t{1} << bits) - 1;
  // Computed with wrap-around as Redis does; only compared once `value` is known to be in range.
  const auto maxincr = static_cast<int64_t>(max - value);
  const auto minincr = static_cast<int64_t>(uint64_t{0} - value);
  auto wrap = [&] {
    uint64_t res = value + static_cast<uint64_t>(incr);
    if (bits < 64) res &= ~(~uint64_t{0} << bits);
    limit = res;
  };
  if (value > max || (incr > 0 && incr > maxincr)) {
    if (ow == Overflow::kWrap) {
      wrap();
    } else if (ow == Overflow::kSat) {
      limit = max;
    }
    return 1;
  }
  if (incr < 0 && incr < minincr) {
    if (ow == Overflow::kWrap) {
      wrap();
    } else if (ow == Overflow::kSat) {
      limit = 0;
    }
    return -1;
  }
  return 0;
}

// checkSignedBitfieldOverflow: as above for `bits` signed bits.
int CheckSignedOverflow(int64_t value, int64_t incr, int bits, Overflow ow, int64_t& limit) {
  const int64_t max = bits == 64 ? INT64_MAX : (int64_t{1} << (bits - 1)) - 1;
  const int64_t min = -max - 1;
  // These may wrap (Redis computes them in signed arithmetic); they are only relied upon once
  // `value` is known to be in range, where no wrap happens.
  const auto maxincr =
      static_cast<int64_t>(static_cast<uint64_t>(max) - static_cast<uint64_t>(value));
  const auto minincr =
      static_cast<int64_t>(static_cast<uint64_t>(min) - static_cast<uint64_t>(value));
  auto wrap = [&] {
    const uint64_t msb = uint64_t{1} << (bits - 1);
    uint64_t c = static_cast<uint64_t>(value) + static_cast<uint64_t>(incr);
    if (bits < 64) {
      const uint64_t mask = ~uint64_t{0} << bits;
      c = (c & msb) ? (c | mask) : (c & ~mask);
    }
    limit = static_cast<int64_t>(c);
  };
  if (value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr)) {
    if (ow == Overflow::kWrap) {
      wrap();
    } else if (ow == Overflow::kSat) {
      limit = max;
    }
    return 1;
  }
  if (value < min || (bits != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr)) {
    if (ow == Overflow::kWrap) {
      wrap();
    } else if (ow == Overflow::kSat) {
      limit = min;
    }
    return -1;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Argument parsing and key access
// ---------------------------------------------------------------------------------------------

// getBitOffsetFromArgument: a bit offset that addresses a byte below proto-max-bulk-len. With
// `hash` and bits > 0, "#N" means N * bits (BITFIELD). Replies with the error on failure.
bool ParseBitOffset(CommandContext& ctx, std::string_view arg, bool hash, int bits, uint64_t& out) {
  bool usehash = hash && bits > 0 && !arg.empty() && arg[0] == '#';
  int64_t offset = 0;
  if (!ParseInt64(usehash ? arg.substr(1) : arg, offset)) {
    ctx.Error(kBitOffsetError);
    return false;
  }
  // Redis multiplies in signed arithmetic; a product that wraps negative is refused below.
  if (usehash) {
    offset = static_cast<int64_t>(static_cast<uint64_t>(offset) * static_cast<uint64_t>(bits));
  }
  if (offset < 0 || (offset >> 3) >= ctx.server.config().proto_max_bulk_len) {
    ctx.Error(kBitOffsetError);
    return false;
  }
  out = static_cast<uint64_t>(offset);
  return true;
}

// getBitfieldTypeFromArgument: "i1".."i64" or "u1".."u63".
bool ParseBitfieldType(CommandContext& ctx, std::string_view arg, bool& is_signed, int& bits) {
  if (arg.empty() || (arg[0] != 'i' && arg[0] != 'u')) {
    ctx.Error(kBitfieldTypeError);
    return false;
  }
  is_signed = arg[0] == 'i';
  int64_t n = 0;
  if (!ParseInt64(arg.substr(1), n) || n < 1 || (is_signed && n > 64) || (!is_signed && n > 63)) {
    ctx.Error(kBitfieldTypeError);
    return false;
  }
  bits = static_cast<int>(n);
  return true;
}

// lookupStringForBitCommand: the string at args[1], created or zero-padded so that bit `maxbit`
// exists, and made raw because it is about to be modified in place. `grew` tells whether the key
// was created or lengthened (a change even if no bit flips). Returns nullptr after a WRONGTYPE
// reply.
Entry* LookupStringForWrite(CommandContext& ctx, uint64_t maxbit, bool& grew) {
  const size_t need = static_cast<size_t>(maxbit >> 3) + 1;
  Entry* e = ctx.LookupWrite(ctx.args[1]);
  grew = false;
  if (e == nullptr) {
    grew = true;
    return ctx.db().Add(ctx.args[1], Value::RawString(std::string(need, '\0')));
  }
  if (e->value.type != ObjType::kString) {
    ctx.Error(err::kWrongType);
    return nullptr;
  }
  if (e->value.str_size() < need) {
    e->value.Resize(need);
    grew = true;
  }
  e->value.encoding = storage::Encoding::kRaw;
  return e;
}

const uint8_t* Bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }
uint8_t* Bytes(Value& v) { return reinterpret_cast<uint8_t*>(v.MutableData()); }

// ---------------------------------------------------------------------------------------------
// SETBIT / GETBIT
// ---------------------------------------------------------------------------------------------

void CmdSetbit(CommandContext& ctx) {
  uint64_t offset = 0;
  if (!ParseBitOffset(ctx, ctx.args[2], false, 0, offset)) return;
  int64_t on = 0;
  if (!ParseInt64(ctx.args[3], on) || (on & ~int64_t{1}) != 0) return ctx.Error(kBitValueError);
  bool grew = false;
  Entry* e = LookupStringForWrite(ctx, offset, grew);
  if (e == nullptr) return;
  uint8_t& byte = Bytes(e->value)[offset >> 3];
  const unsigned shift = 7 - static_cast<unsigned>(offset & 7);
  const bool old = (byte >> shift) & 1;
  byte = static_cast<uint8_t>((byte & ~(1u << shift)) | (static_cast<unsigned>(on) << shift));
  // A change is a new or longer string, or a bit that flipped; rewriting the same bit is not.
  if (grew || old != (on == 1)) {
    ctx.Dirty();
    ctx.Notify(kNotifyString, "setbit", ctx.args[1]);
  }
  ctx.reply().Integer(old ? 1 : 0);
}

void CmdGetbit(CommandContext& ctx) {
  uint64_t offset = 0;
  if (!ParseBitOffset(ctx, ctx.args[2], false, 0, offset)) return;
  Entry* e = ctx.LookupRead(ctx.args[1]);
  if (e == nullptr) return ctx.reply().Integer(0);
  if (e->value.type != ObjType::kString) return ctx.Error(err::kWrongType);
  std::string_view s = e->value.str();
  const uint64_t byte = offset >> 3;
  int bit = 0;
  if (byte < s.size()) bit = (Bytes(s)[byte] >> (7 - (offset & 7))) & 1;
  ctx.reply().Integer(bit);
}

// ---------------------------------------------------------------------------------------------
// BITOP
// ---------------------------------------------------------------------------------------------

enum class BitOp { kAnd, kOr, kXor, kNot };

void CmdBitop(CommandContext& ctx) {
  std::string_view opname = ctx.args[1];
  BitOp op;
  if (EqualsIgnoreCase(opname, "and")) {
    op = BitOp::kAnd;
  } else if (EqualsIgnoreCase(opname, "or")) {
    op = BitOp::kOr;
  } else if (EqualsIgnoreCase(opname, "xor")) {
    op = BitOp::kXor;
  } else if (EqualsIgnoreCase(opname, "not")) {
    op = BitOp::kNot;
  } else {
    return ctx.Error(err::kSyntax);
  }
  if (op == BitOp::kNot && ctx.args.size() != 4) {
    return ctx.Error("ERR BITOP NOT must be called with a single source key.");
  }
  // Missing keys are empty strings; a non-string source fails the whole command. The views stay
  // valid until the result replaces the destination (entries do not move when the table grows,
  // and looking up one key only ever removes that key).
  const size_t numkeys = ctx.args.size() - 3;
  std::vector<std::string_view> src(numkeys);
  size_t maxlen = 0;
  for (size_t j = 0; j < numkeys; ++j) {
    Entry* e = ctx.LookupRead(ctx.args[j + 3]);
    if (e == nullptr) continue;
    if (e->value.type != ObjType::kString) return ctx.Error(err::kWrongType);
    src[j] = e->value.str();
    maxlen = std::max(maxlen, src[j].size());
  }
  std::string_view target = ctx.args[2];
  if (maxlen == 0) {
    // Every source is empty: the result is the empty string, so the target is deleted.
    if (ctx.db().Delete(target)) {
      ctx.Dirty();
      ctx.Notify(kNotifyGeneric, "del", target);
    }
    return ctx.reply().Integer(0);
  }
  std::string res(maxlen, '\0');
  for (size_t i = 0; i < maxlen; ++i) {
    auto at = [&](size_t k) -> uint8_t {
      return i < src[k].size() ? static_cast<uint8_t>(src[k][i]) : 0;
    };
    uint8_t out = at(0);
    if (op == BitOp::kNot) out = static_cast<uint8_t>(~out);
    for (size_t k = 1; k < numkeys; ++k) {
      switch (op) {
        case BitOp::kAnd:
          out &= at(k);
          break;
        case BitOp::kOr:
          out |= at(k);
          break;
        case BitOp::kXor:
          out ^= at(k);
          break;
        case BitOp::kNot:
          break;
      }
    }
    res[i] = static_cast<char>(out);
  }
  // setKey: replaces any value (of any type) and its TTL.
  ctx.LookupWrite(target);
  ctx.db().Set(target, Value::RawString(res), false);
  ctx.Notify(kNotifyString, "set", target);
  ctx.Dirty();
  ctx.reply().Integer(static_cast<int64_t>(maxlen));
}

// ---------------------------------------------------------------------------------------------
// BITCOUNT / BITPOS
// ---------------------------------------------------------------------------------------------

// Parses the optional BYTE|BIT unit argument. Replies with a syntax error on anything else.
bool ParseUnit(CommandContext& ctx, std::string_view arg, bool& isbit) {
  if (EqualsIgnoreCase(arg, "bit")) {
    isbit = true;
  } else if (EqualsIgnoreCase(arg, "byte")) {
    isbit = false;
  } else {
    ctx.Error(err::kSyntax);
    return false;
  }
  return true;
}

// Masks of the bits outside a BIT range in its first and last bytes (0 when the range is byte
// aligned on that side); start / end are converted to byte indexes.
void BitRangeToBytes(int64_t& start, int64_t& end, uint8_t& first_mask, uint8_t& last_mask) {
  first_mask = static_cast<uint8_t>(~((1u << (8 - (start & 7))) - 1) & 0xff);
  last_mask = static_cast<uint8_t>((1u << (7 - (end & 7))) - 1);
  start >>= 3;
  end >>= 3;
}

// BITCOUNT key [start end [BYTE|BIT]]. As in Redis 7.0 the key is looked up before the range
// is parsed, so a missing key answers 0 whatever the arguments.
void CmdBitcount(CommandContext& ctx) {
  Entry* e = ctx.LookupRead(ctx.args[1]);
  if (e == nullptr) return ctx.reply().Integer(0);
  if (e->value.type != ObjType::kString) return ctx.Error(err::kWrongType);
  std::string_view s = e->value.str();
  const auto strlen = static_cast<int64_t>(s.size());
  const size_t argc = ctx.args.size();
  int64_t start = 0;
  int64_t end = 0;
  uint8_t first_mask = 0;
  uint8_t last_mask = 0;
  if (argc == 4 || argc == 5) {
    int64_t totlen = strlen;
    if (!ParseInt64(ctx.args[2], start) || !ParseInt64(ctx.args[3], end)) {
      return ctx.Error(err::kNotInteger);
    }
    if (start < 0 && end < 0 && start > end) return ctx.reply().Integer(0);
    bool isbit = false;
    if (argc == 5 && !ParseUnit(ctx, ctx.args[4], isbit)) return;
    if (isbit) totlen <<= 3;
    if (start < 0) start = totlen + start;
    if (end < 0) end = totlen + end;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= totlen) end = totlen - 1;
    if (isbit && start <= end) BitRangeToBytes(start, end, first_mask, last_mask);
  } else if (argc == 2) {
    start = 0;
    end = strlen - 1;
  } else {
    return ctx.Error(err::kSyntax);
  }
  // Here end < strlen, so only start > end (including an empty string) counts nothing.
  if (start > end) return ctx.reply().Integer(0);
  const uint8_t* p = Bytes(s);
  int64_t count = Popcount(p + start, static_cast<size_t>(end - start + 1));
  // Subtract the bits of the edge bytes that lie outside a BIT range.
  if (first_mask != 0) count -= std::popcount(static_cast<unsigned>(p[start] & first_mask));
  if (last_mask != 0) count -= std::popcount(static_cast<unsigned>(p[end] & last_mask));
  ctx.reply().Integer(count);
}

// BITPOS key bit [start [end [BYTE|BIT]]]. The bit argument is checked first, then the key
// (missing: an infinite run of zeros), then the range.
void CmdBitpos(CommandContext& ctx) {
  int64_t bit = 0;
  if (!ParseInt64(ctx.args[2], bit)) return ctx.Error(err::kNotInteger);
  if (bit != 0 && bit != 1) return ctx.Error("ERR The bit argument must be 1 or 0.");
  Entry* e = ctx.LookupRead(ctx.args[1]);
  if (e == nullptr) return ctx.reply().Integer(bit ? -1 : 0);
  if (e->value.type != ObjType::kString) return ctx.Error(err::kWrongType);
  std::string_view s = e->value.str();
  const auto strlen = static_cast<int64_t>(s.size());
  const size_t argc = ctx.args.size();
  int64_t start = 0;
  int64_t end = 0;
  bool end_given = false;
  uint8_t first_mask = 0;
  uint8_t last_mask = 0;
  if (argc >= 4 && argc <= 6) {
    int64_t totlen = strlen;
    if (!ParseInt64(ctx.args[3], start)) return ctx.Error(err::kNotInteger);
    bool isbit = false;
    if (argc == 6 && !ParseUnit(ctx, ctx.args[5], isbit)) return;
    if (argc >= 5) {
      if (!ParseInt64(ctx.args[4], end)) return ctx.Error(err::kNotInteger);
      end_given = true;
    } else {
      end = totlen - 1;
    }
    if (isbit) totlen <<= 3;
    if (start < 0) start = totlen + start;
    if (end < 0) end = totlen + end;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= totlen) end = totlen - 1;
    if (isbit && start <= end) BitRangeToBytes(start, end, first_mask, last_mask);
  } else if (argc == 3) {
    start = 0;
    end = strlen - 1;
  } else {
    return ctx.Error(err::kSyntax);
  }
  // An empty range holds neither a 0 nor a 1.
  if (start > end) return ctx.reply().Integer(-1);

  const uint8_t* p = Bytes(s);
  const int b = static_cast<int>(bit);
  int64_t bytes = end - start + 1;
  int64_t pos = -1;
  // A partial byte is searched on a copy with the bits outside the range forced to the value
  // not looked for. Each step ends the search when it found the bit or the range is exhausted.
  auto masked = [&](uint8_t byte, uint8_t mask) {
    return static_cast<uint8_t>(b ? (byte & ~mask) : (byte | mask));
  };
  bool done = false;
  if (first_mask != 0) {
    uint8_t tmp = masked(p[start], first_mask);
    if (last_mask != 0 && bytes == 1) tmp = masked(tmp, last_mask);
    pos = FindBit(&tmp, 1, b);
    if (bytes == 1 || (pos != -1 && pos != 8)) {
      done = true;
    } else {
      ++start;
      --bytes;
    }
  }
  if (!done) {
    const int64_t curbytes = bytes - (last_mask != 0 ? 1 : 0);
    if (curbytes > 0) {
      pos = FindBit(p + start, static_cast<size_t>(curbytes), b);
      if (bytes == curbytes || (pos != -1 && pos != curbytes * 8)) {
        done = true;
      } else {
        start += curbytes;
        bytes -= curbytes;
      }
    }
  }
  if (!done) {
    uint8_t tmp = masked(p[end], last_mask);
    pos = FindBit(&tmp, 1, b);
  }
  // Looking for a 0 with an explicit end: the padding right of the range does not count.
  if (end_given && b == 0 && pos == bytes * 8) return ctx.reply().Integer(-1);
  if (pos != -1) pos += start * 8;
  ctx.reply().Integer(pos);
}

// ---------------------------------------------------------------------------------------------
// BITFIELD / BITFIELD_RO
// ---------------------------------------------------------------------------------------------

enum class FieldOp { kGet, kSet, kIncrby };

struct BitfieldOp {
  uint64_t offset;
  int64_t i64;  // SET value or INCRBY increment
  FieldOp opcode;
  Overflow overflow;
  int bits;
  bool is_signed;
};

// Runs one SET / INCRBY on the (already grown) string. Replies with the old value (SET), the
// new value (INCRBY), or null when OVERFLOW FAIL refused the write. Returns whether the write
// counts as a change: it happened, and the string `grew` for it or the field's value changed.
bool ApplyWrite(CommandContext& ctx, uint8_t* p, const BitfieldOp& op, bool grew) {
  bool overflow = false;
  if (op.is_signed) {
    int64_t oldval = GetSignedBitfield(p, op.offset, op.bits);
    int64_t wrapped = 0;
    int64_t newval;
    int64_t retval;
    if (op.opcode == FieldOp::kIncrby) {
      overflow = CheckSignedOverflow(oldval, op.i64, op.bits, op.overflow, wrapped) != 0;
      newval =
          overflow
              ? wrapped
              : static_cast<int64_t>(static_cast<uint64_t>(oldval) + static_cast<uint64_t>(op.i64));
      retval = newval;
    } else {
      newval = op.i64;
      overflow = CheckSignedOverflow(newval, 0, op.bits, op.overflow, wrapped) != 0;
      if (overflow) newval = wrapped;
      retval = oldval;
    }
    if (overflow && op.overflow == Overflow::kFail) {
      ctx.reply().Null();
      return false;
    }
    ctx.reply().Integer(retval);
    SetBitfield(p, op.offset, op.bits, static_cast<uint64_t>(newval));
    return grew || oldval != newval;
  } else {
    uint64_t oldval = GetUnsignedBitfield(p, op.offset, op.bits);
    uint64_t wrapped = 0;
    uint64_t newval;
    uint64_t retval;
    if (op.opcode == FieldOp::kIncrby) {
      newval = oldval + static_cast<uint64_t>(op.i64);
      overflow = CheckUnsignedOverflow(oldval, op.i64, op.bits, op.overflow, wrapped) != 0;
      if (overflow) newval = wrapped;
      retval = newval;
    } else {
      newval = static_cast<uint64_t>(op.i64);
      overflow = CheckUnsignedOverflow(newval, 0, op.bits, op.overflow, wrapped) != 0;
      if (overflow) newval = wrapped;
      retval = oldval;
    }
    if (overflow && op.overflow == Overflow::kFail) {
      ctx.reply().Null();
      return false;
    }
    ctx.reply().Integer(static_cast<int64_t>(retval));
    SetBitfield(p, op.offset, op.bits, newval);
    return grew || oldval != newval;
  }
}

// GET reads through a 9-byte zero-padded window, so a field past the end of the string (or of a
// missing key) reads as zeros.
void ApplyGet(CommandContext& ctx, std::string_view s, const BitfieldOp& op) {
  uint8_t buf[9] = {};
  const uint64_t byte = op.offset >> 3;
  for (uint64_t i = 0; i < 9 && byte + i < s.size(); ++i) {
    buf[i] = static_cast<uint8_t>(s[byte + i]);
  }
  const uint64_t off = op.offset - byte * 8;
  if (op.is_signed) {
    ctx.reply().Integer(GetSignedBitfield(buf, off, op.bits));
  } else {
    ctx.reply().Integer(static_cast<int64_t>(GetUnsignedBitfield(buf, off, op.bits)));
  }
}

// bitfieldGeneric: all operations are parsed (and every argument validated) before the key is
// touched; then the key is looked up for reading when only GETs were given, or created / grown
// up to the highest bit any write reaches.
void BitfieldGeneric(CommandContext& ctx, bool readonly_command) {
  const auto& a = ctx.args;
  std::vector<BitfieldOp> ops;
  Overflow overflow = Overflow::kWrap;
  bool readonly = true;
  uint64_t highest_write_offset = 0;
  for (size_t j = 2; j < a.size(); ++j) {
    const size_t remargs = a.size() - j - 1;
    std::string_view sub = a[j];
    FieldOp opcode;
    if (EqualsIgnoreCase(sub, "get") && remargs >= 2) {
      opcode = FieldOp::kGet;
    } else if (EqualsIgnoreCase(sub, "set") && remargs >= 3) {
      opcode = FieldOp::kSet;
    } else if (EqualsIgnoreCase(sub, "incrby") && remargs >= 3) {
      opcode = FieldOp::kIncrby;
    } else if (EqualsIgnoreCase(sub, "overflow") && remargs >= 1) {
      std::string_view type = a[++j];
      if (EqualsIgnoreCase(type, "wrap")) {
        overflow = Overflow::kWrap;
      } else if (EqualsIgnoreCase(type, "sat")) {
        overflow = Overflow::kSat;
      } else if (EqualsIgnoreCase(type, "fail")) {
        overflow = Overflow::kFail;
      } else {
        return ctx.Error("ERR Invalid OVERFLOW type specified");
      }
      continue;
    } else {
      return ctx.Error(err::kSyntax);
    }
    BitfieldOp op{};
    op.opcode = opcode;
    op.overflow = overflow;
    if (!ParseBitfieldType(ctx, a[j + 1], op.is_signed, op.bits)) return;
    if (!ParseBitOffset(ctx, a[j + 2], true, op.bits, op.offset)) return;
    if (opcode != FieldOp::kGet) {
      readonly = false;
      highest_write_offset =
          std::max(highest_write_offset, op.offset + static_cast<uint64_t>(op.bits) - 1);
      if (!ParseInt64(a[j + 3], op.i64)) return ctx.Error(err::kNotInteger);
    }
    ops.push_back(op);
    j += opcode == FieldOp::kGet ? 2 : 3;
  }

  Entry* e = nullptr;
  bool grew = false;
  if (readonly) {
    e = ctx.LookupRead(a[1]);
    if (e != nullptr && e->value.type != ObjType::kString) return ctx.Error(err::kWrongType);
  } else {
    if (readonly_command) return ctx.Error("ERR BITFIELD_RO only supports the GET subcommand");
    e = LookupStringForWrite(ctx, highest_write_offset, grew);
    if (e == nullptr) return;
  }

  ctx.reply().ArrayHeader(static_cast<int64_t>(ops.size()));
  uint64_t changes = 0;
  for (const BitfieldOp& op : ops) {
    if (op.opcode == FieldOp::kGet) {
      ApplyGet(ctx, e != nullptr ? e->value.str() : std::string_view(), op);
    } else {
      // A write refused by OVERFLOW FAIL never counts, though the key may have been created
      // or padded by then.
      if (ApplyWrite(ctx, Bytes(e->value), op, grew)) ++changes;
    }
  }
  if (changes > 0) {
    ctx.Notify(kNotifyString, "setbit", a[1]);
    ctx.Dirty(changes);
  }
}

void CmdBitfield(CommandContext& ctx) { BitfieldGeneric(ctx, false); }
void CmdBitfieldRo(CommandContext& ctx) { BitfieldGeneric(ctx, true); }

}  // namespace

void RegisterBitmapCommands(CommandTable& t) {
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
  t.Add({"setbit", 4, kW, 1, 1, 1, CmdSetbit, "@write @bitmap @slow", "bitmap",
         "Sets or clears the bit at offset in the string value stored at key", "2.2.0"});
  t.Add({"getbit", 3, kCmdReadonly | kCmdFast, 1, 1, 1, CmdGetbit, "@read @bitmap @fast", "bitmap",
         "Returns the bit value at offset in the string value stored at key", "2.2.0"});
  t.Add({"bitcount", -2, kCmdReadonly, 1, 1, 1, CmdBitcount, "@read @bitmap @slow", "bitmap",
         "Count set bits in a string", "2.6.0", "O(N)"});
  t.Add({"bitpos", -3, kCmdReadonly, 1, 1, 1, CmdBitpos, "@read @bitmap @slow", "bitmap",
         "Find first bit set or clear in a string", "2.8.7", "O(N)"});
  t.Add({"bitop", -4, kW, 2, -1, 1, CmdBitop, "@write @bitmap @slow", "bitmap",
         "Perform bitwise operations between strings", "2.6.0", "O(N)"});
  t.Add({"bitfield", -2, kW, 1, 1, 1, CmdBitfield, "@write @bitmap @slow", "bitmap",
         "Perform arbitrary bitfield integer operations on strings", "3.2.0",
         "O(1) for each subcommand specified"});
  t.Add({"bitfield_ro", -2, kCmdReadonly | kCmdFast, 1, 1, 1, CmdBitfieldRo, "@read @bitmap @fast",
         "bitmap",
         "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
         "6.0.0", "O(1) for each subcommand specified"});
}

}  // namespace tandem::server
