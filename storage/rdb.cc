#include "storage/rdb.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>

#include "storage/crc64.h"
#include "storage/file_io.h"
#include "storage/hash.h"
#include "storage/list.h"
#include "storage/lzf.h"
#include "storage/set.h"
#include "storage/zset.h"

namespace tandem::storage::rdb {

namespace {

// ---------------------------------------------------------------------------------------------
// Format constants (Redis rdb.h)

constexpr uint8_t kOpFunction2 = 245;
constexpr uint8_t kOpFunctionPreGa = 246;
constexpr uint8_t kOpModuleAux = 247;
constexpr uint8_t kOpIdle = 248;
constexpr uint8_t kOpFreq = 249;
constexpr uint8_t kOpAux = 250;
constexpr uint8_t kOpResizeDb = 251;
constexpr uint8_t kOpExpireTimeMs = 252;
constexpr uint8_t kOpExpireTime = 253;
constexpr uint8_t kOpSelectDb = 254;
constexpr uint8_t kOpEof = 255;

// Length prefixes: two top bits 00 = 6-bit, 01 = 14-bit, 10 = 32/64-bit (0x80 / 0x81),
// 11 = special string encoding in the low six bits.
constexpr uint8_t kLen32 = 0x80;
constexpr uint8_t kLen64 = 0x81;
constexpr uint8_t kEncInt8 = 0;
constexpr uint8_t kEncInt16 = 1;
constexpr uint8_t kEncInt32 = 2;
constexpr uint8_t kEncLzf = 3;

constexpr uint64_t kContainerPlain = 1;   // quicklist node holding one element as is
constexpr uint64_t kContainerPacked = 2;  // quicklist node holding a listpack

// quicklist.c: elements of 1 GB and more live alone in plain nodes; packed nodes are limited by
// list-max-listpack-size, estimating each new entry at its length plus 8 bytes of overhead.
constexpr size_t kPackedThreshold = size_t{1} << 30;
constexpr size_t kQuicklistSizeSafetyLimit = 8192;
constexpr size_t kQuicklistEntryOverhead = 8;
constexpr size_t kOptimizationLevel[] = {4096, 8192, 16384, 32768, 65536};

constexpr size_t kLpHeaderSize = 6;
constexpr uint8_t kLpEof = 0xFF;
constexpr uint16_t kLpCountUnknown = 0xFFFF;

// LZF can expand its input at most ~88 times (3 bytes -> a 264-byte copy); a claimed length
// beyond this bound is corrupt and is refused before anything is allocated.
constexpr uint64_t kLzfMaxRatio = 90;

bool IsObjectType(uint8_t t) { return t <= 7 || (t >= 9 && t <= 19); }

std::string TypeLabel(uint8_t t) {
  switch (t) {
    case 6:
    case 7:
      return "module value (RDB type " + std::to_string(t) + ")";
    case 15:
    case 19:
      return "stream (RDB type " + std::to_string(t) + ")";
    default:
      return "RDB type " + std::to_string(t);
  }
}

void PutLE(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetLE(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Listpack and intset writers

// The encoding lpEncodeGetType picks, appended to `out` (encoding byte(s) + data, no backlen).
void AppendLpEncoded(std::string& out, std::string_view s) {
  int64_t v = 0;
  if (StringToInt64(s, v)) {
    if (v >= 0 && v <= 127) {
      out.push_back(static_cast<char>(v));
    } else if (v >= -4096 && v <= 4095) {
      uint64_t u = static_cast<uint64_t>(v) & 0x1fff;
      out.push_back(static_cast<char>(0xC0 | (u >> 8)));
      out.push_back(static_cast<char>(u & 0xff));
    } else if (v >= -32768 && v <= 32767) {
      out.push_back(static_cast<char>(0xF1));
      PutLE(out, static_cast<uint64_t>(v), 2);
    } else if (v >= -8388608 && v <= 8388607) {
      out.push_back(static_cast<char>(0xF2));
      PutLE(out, static_cast<uint64_t>(v), 3);
    } else if (v >= std::numeric_limits<int32_t>::min() &&
               v <= std::numeric_limits<int32_t>::max()) {
      out.push_back(static_cast<char>(0xF3));
      PutLE(out, static_cast<uint64_t>(v), 4);
    } else {
      out.push_back(static_cast<char>(0xF4));
      PutLE(out, static_cast<uint64_t>(v), 8);
    }
    return;
  }
  const size_t n = s.size();
  if (n < 64) {
    out.push_back(static_cast<char>(0x80 | n));
  } else if (n < 4096) {
    out.push_back(static_cast<char>(0xE0 | (n >> 8)));
    out.push_back(static_cast<char>(n & 0xff));
  } else {
    out.push_back(static_cast<char>(0xF0));
    PutLE(out, n, 4);
  }
  out.append(s);
}

size_t BacklenSize(uint64_t l) {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

// lpEncodeBacklen: the entry length in 7-bit groups, most significant first; every byte but the
// first carries the 0x80 "more to the left" flag, so the length is read right to left.
void AppendBacklen(std::string& out, uint64_t l) {
  const size_t n = BacklenSize(l);
  for (size_t i = 0; i < n; ++i) {
    const size_t shift = 7 * (n - 1 - i);
    uint8_t b = static_cast<uint8_t>((l >> shift) & 127);
    if (i > 0) b |= 128;
    out.push_back(static_cast<char>(b));
  }
}

// Bytes one element adds to a listpack (encoding + data + backlen).
size_t LpEntrySize(std::string_view s) {
  int64_t v = 0;
  size_t enc;
  if (StringToInt64(s, v)) {
    if (v >= 0 && v <= 127) {
      enc = 1;
    } else if (v >= -4096 && v <= 4095) {
      enc = 2;
    } else if (v >= -32768 && v <= 32767) {
      enc = 3;
    } else if (v >= -8388608 && v <= 8388607) {
      enc = 4;
    } else if (v >= std::numeric_limits<int32_t>::min() &&
               v <= std::numeric_limits<int32_t>::max()) {
      enc = 5;
    } else {
      enc = 9;
    }
  } else {
    enc = s.size() + (s.size() < 64 ? 1 : s.size() < 4096 ? 2 : 5);
  }
  return enc + BacklenSize(enc);
}

class ListpackBuilder {
 public:
  ListpackBuilder() { buf_.assign(kLpHeaderSize, '\0'); }
  void Append(std::string_view s) {
    const size_t start = buf_.size();
    AppendLpEncoded(buf_, s);
    AppendBacklen(buf_, buf_.size() - start);
    ++count_;
  }
  // lpBytes() of the listpack built so far (header + entries + terminator).
  size_t bytes() const { return buf_.size() + 1; }
  size_t count() const { return count_; }
  std::string Finish() {
    buf_.push_back(static_cast<char>(kLpEof));
    for (int i = 0; i < 4; ++i) buf_[i] = static_cast<char>((buf_.size() >> (8 * i)) & 0xff);
    const size_t n = count_ < kLpCountUnknown ? count_ : kLpCountUnknown;
    buf_[4] = static_cast<char>(n & 0xff);
    buf_[5] = static_cast<char>(n >> 8);
    return std::move(buf_);
  }

 private:
  std::string buf_;
  size_t count_ = 0;
};

// d2string in Redis 7.0: integral values that double2ll accepts are printed as integers.
bool DoubleToInt64(double d, int64_t& out) {
  constexpr double kLimit = static_cast<double>(std::numeric_limits<int64_t>::max() / 2);
  if (std::isnan(d) || d < -kLimit || d > kLimit) return false;
  const auto ll = static_cast<int64_t>(d);
  if (static_cast<double>(ll) != d) return false;
  out = ll;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Value encoder (rdbSaveObject)

class Encoder {
 public:
  Encoder(std::string& out, bool compression) : out_(out), compression_(compression) {}

  void Byte(uint8_t b) { out_.push_back(static_cast<char>(b)); }

  void Len(uint64_t len) {
    if (len < (1 << 6)) {
      Byte(static_cast<uint8_t>(len));
    } else if (len < (1 << 14)) {
      Byte(static_cast<uint8_t>(0x40 | (len >> 8)));
      Byte(static_cast<uint8_t>(len & 0xff));
    } else if (len <= std::numeric_limits<uint32_t>::max()) {
      Byte(kLen32);
      for (int i = 3; i >= 0; --i) Byte(static_cast<uint8_t>(len >> (8 * i)));
    } else {
      Byte(kLen64);
      for (int i = 7; i >= 0; --i) Byte(static_cast<uint8_t>(len >> (8 * i)));
    }
  }

  // rdbSaveRawString: int-encoded when short and a canonical integer that fits 32 bits, LZF
  // when enabled, longer than 20 bytes and at least 4 bytes smaller, else length + bytes.
  void String(std::string_view s) {
    int64_t v = 0;
    if (s.size() <= 11 && StringToInt64(s, v)) {
      if (v >= -128 && v <= 127) {
        Byte(0xC0 | kEncInt8);
        PutLE(out_, static_cast<uint64_t>(v), 1);
        return;
      }
      if (v >= -32768 && v <= 32767) {
        Byte(0xC0 | kEncInt16);
        PutLE(out_, static_cast<uint64_t>(v), 2);
        return;
      }
      if (v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max()) {
        Byte(0xC0 | kEncInt32);
        PutLE(out_, static_cast<uint64_t>(v), 4);
        return;
      }
    }
    if (compression_ && s.size() > 20) {
      const size_t out_len = s.size() - 4;
      scratch_.resize(out_len + 1);
      const size_t n = lzf::Compress(s.data(), s.size(), scratch_.data(), out_len);
      if (n > 0) {
        Byte(0xC0 | kEncLzf);
        Len(n);
        Len(s.size());
        out_.append(scratch_.data(), n);
        return;
      }
    }
    Len(s.size());
    out_.append(s);
  }

  void BinaryDouble(double d) {
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    PutLE(out_, bits, 8);
  }

  void Raw(std::string_view s) { out_.append(s); }

 private:
  std::string& out_;
  bool compression_;
  std::string scratch_;
};

// rdbSaveObjectType for the value's current encoding; nullopt for a stream.
std::optional<RdbType> ObjectRdbType(const Value& v) {
  switch (v.type) {
    case ObjType::kString:
      return RdbType::kString;
    case ObjType::kList:
      return RdbType::kListQuicklist2;
    case ObjType::kSet:
      return v.As<SetObject>().encoding() == Encoding::kIntset ? RdbType::kSetIntset
                                                               : RdbType::kSet;
    case ObjType::kZSet:
      return v.encoding == Encoding::kListpack ? RdbType::kZSetListpack : RdbType::kZSet2;
    case ObjType::kHash:
      return v.encoding == Encoding::kListpack ? RdbType::kHashListpack : RdbType::kHash;
    case ObjType::kStream:
      return std::nullopt;
  }
  return std::nullopt;
}

// True when one more element of `sz` bytes fits a packed node (quicklist.c
// _quicklistNodeAllowInsert with quicklistNodeExceedsLimit).
bool NodeAllowsInsert(size_t node_bytes, size_t node_count, int fill, size_t sz) {
  const size_t new_sz = node_bytes + sz + kQuicklistEntryOverhead;
  if (fill < 0) {
    size_t level = static_cast<size_t>(-static_cast<int64_t>(fill)) - 1;
    level = std::min(level, std::size(kOptimizationLevel) - 1);
    return new_sz <= kOptimizationLevel[level];
  }
  if (new_sz > kQuicklistSizeSafetyLimit) return false;
  const size_t max_count = fill == 0 ? 1 : static_cast<size_t>(fill);
  return node_count + 1 <= max_count;
}

void EncodeList(Encoder& e, const ListObject& list, int fill) {
  // Group the elements into nodes the way RPUSH fills a quicklist, then write the node count and
  // each node (container type + listpack blob, or the element itself for a plain node).
  struct Node {
    size_t begin;
    size_t end;
    bool plain;
  };
  const auto& items = list.items();
  std::vector<Node> nodes;
  size_t node_bytes = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    const size_t sz = items[i].size();
    if (sz >= kPackedThreshold) {
      nodes.push_back({i, i + 1, true});
      continue;
    }
    if (!nodes.empty() && !nodes.back().plain &&
        NodeAllowsInsert(node_bytes, nodes.back().end - nodes.back().begin, fill, sz)) {
      nodes.back().end = i + 1;
      node_bytes += LpEntrySize(items[i]);
    } else {
      nodes.push_back({i, i + 1, false});
      node_bytes = kLpHeaderSize + 1 + LpEntrySize(items[i]);
    }
  }
  e.Len(nodes.size());
  for (const Node& n : nodes) {
    if (n.plain) {
      e.Len(kContainerPlain);
      e.String(items[n.begin]);
      continue;
    }
    e.Len(kContainerPacked);
    ListpackBuilder lp;
    for (size_t i = n.begin; i < n.end; ++i) lp.Append(items[i]);
    e.String(lp.Finish());
  }
}

void EncodeObject(Encoder& e, const Value& v, const SaveOptions& opt) {
  switch (v.type) {
    case ObjType::kString:
      e.String(v.str());
      return;
    case ObjType::kList:
      EncodeList(e, v.As<ListObject>(), opt.list_max_listpack_size);
      return;
    case ObjType::kSet: {
      const auto& set = v.As<SetObject>();
      if (set.encoding() == Encoding::kIntset) {
        std::vector<int64_t> ints;
        ints.reserve(set.size());
        set.ForEach([&](std::string_view m) {
          int64_t x = 0;
          StringToInt64(m, x);
          ints.push_back(x);
        });
        e.String(EncodeIntset(std::move(ints)));
      } else {
        e.Len(set.size());
        set.ForEach([&](std::string_view m) { e.String(m); });
      }
      return;
    }
    case ObjType::kZSet: {
      const ZSet z = ZSet::Read(v);
      if (z.encoding() == Encoding::kListpack) {
        ListpackBuilder lp;
        z.ForEach([&](std::string_view m, double s) {
          lp.Append(m);
          lp.Append(ListpackScoreString(s));
        });
        e.String(lp.Finish());
      } else {
        // From the highest element down, so loading inserts at the skiplist head (rdb.c).
        e.Len(z.size());
        if (z.size() > 0) {
          z.Walk(z.size() - 1, true, [&](std::string_view m, double s) {
            e.String(m);
            e.BinaryDouble(s);
            return true;
          });
        }
      }
      return;
    }
    case ObjType::kHash: {
      const HashView h(v);
      if (h.encoding() == Encoding::kListpack) {
        ListpackBuilder lp;
        h.ForEach([&](std::string_view f, std::string_view val) {
          lp.Append(f);
          lp.Append(val);
        });
        e.String(lp.Finish());
      } else {
        e.Len(h.size());
        h.ForEach([&](std::string_view f, std::string_view val) {
          e.String(f);
          e.String(val);
        });
      }
      return;
    }
    case ObjType::kStream:
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// Reader: bounds-checked cursor over untrusted bytes. The first failure is latched with the
// offset of the byte that could not be read or was invalid.

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  size_t pos() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  bool failed() const { return !error_.what.empty(); }
  const LoadError& error() const { return error_; }

  bool Fail(size_t at, std::string what) {
    if (!failed()) error_ = LoadError{at, std::move(what), 0};
    return false;
  }
  bool Truncated(size_t at) { return Fail(at, "unexpected end of data"); }

  bool Bytes(size_t n, std::string_view* out) {
    if (n > remaining()) return Truncated(pos_);
    *out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool U8(uint8_t* out) {
    if (remaining() < 1) return Truncated(pos_);
    *out = static_cast<uint8_t>(data_[pos_++]);
    return true;
  }
  bool LE(int bytes, uint64_t* out) {
    std::string_view b;
    if (!Bytes(static_cast<size_t>(bytes), &b)) return false;
    *out = GetLE(b.data(), bytes);
    return true;
  }

  // rdbLoadLenByRef: a length, or (encoded = true) a special string encoding number.
  bool Len(uint64_t* len, bool* encoded) {
    const size_t at = pos_;
    uint8_t b;
    if (!U8(&b)) return false;
    *encoded = false;
    switch (b >> 6) {
      case 3:
        *encoded = true;
        *len = b & 0x3F;
        return true;
      case 0:
        *len = b & 0x3F;
        return true;
      case 1: {
        uint8_t b2;
        if (!U8(&b2)) return false;
        *len = (uint64_t{b & 0x3Fu} << 8) | b2;
        return true;
      }
      default:
        break;
    }
    int n = b == kLen32 ? 4 : b == kLen64 ? 8 : 0;
    if (n == 0) return Fail(at, "unknown length encoding " + std::to_string(b));
    std::string_view raw;
    if (!Bytes(static_cast<size_t>(n), &raw)) return false;
    uint64_t v = 0;
    for (char c : raw) v = (v << 8) | static_cast<uint8_t>(c);  // big endian
    *len = v;
    return true;
  }
  bool Len(uint64_t* len) {
    const size_t at = pos_;
    bool encoded = false;
    if (!Len(len, &encoded)) return false;
    if (encoded) return Fail(at, "unexpected string encoding where a length was expected");
    return true;
  }
  // A count of items that each take at least one byte: refuses counts the data cannot hold.
  bool Count(uint64_t* n) {
    const size_t at = pos_;
    if (!Len(n)) return false;
    if (*n > remaining()) return Fail(at, "length " + std::to_string(*n) + " exceeds the data");
    return true;
  }

  // rdbGenericLoadStringObject: raw, int-encoded or LZF-compressed bytes.
  bool String(std::string* out) {
    const size_t at = pos_;
    uint64_t len = 0;
    bool encoded = false;
    if (!Len(&len, &encoded)) return false;
    if (!encoded) {
      if (len > remaining()) {
        return Fail(at, "string length " + std::to_string(len) + " exceeds the data");
      }
      out->assign(data_.substr(pos_, len));
      pos_ += len;
      return true;
    }
    switch (len) {
      case kEncInt8:
      case kEncInt16:
      case kEncInt32: {
        const int n = len == kEncInt8 ? 1 : len == kEncInt16 ? 2 : 4;
        uint64_t u = 0;
        if (!LE(n, &u)) return false;
        int64_t v = n == 1   ? static_cast<int8_t>(u)
                    : n == 2 ? static_cast<int16_t>(u)
                             : static_cast<int32_t>(u);
        *out = std::to_string(v);
        return true;
      }
      case kEncLzf: {
        uint64_t clen = 0;
        uint64_t ulen = 0;
        if (!Len(&clen) || !Len(&ulen)) return false;
        if (clen > remaining()) {
          return Fail(at, "LZF length " + std::to_string(clen) + " exceeds the data");
        }
        if (ulen == 0 || clen == 0 || ulen / kLzfMaxRatio > clen) {
          return Fail(at, "invalid LZF lengths");
        }
        out->resize(ulen);
        const size_t got = lzf::Decompress(data_.data() + pos_, clen, out->data(), ulen);
        if (got != ulen) return Fail(at, "invalid LZF compressed string");
        pos_ += clen;
        return true;
      }
      default:
        return Fail(at, "unknown string encoding " + std::to_string(len));
    }
  }

  bool BinaryDouble(double* d) {
    uint64_t bits = 0;
    if (!LE(8, &bits)) return false;
    std::memcpy(d, &bits, sizeof *d);
    return true;
  }
  // rdbLoadDoubleValue (RDB < 8): length byte (253 nan, 254 +inf, 255 -inf) then "%.17g" text.
  bool OldDouble(double* d) {
    const size_t at = pos_;
    uint8_t n;
    if (!U8(&n)) return false;
    if (n == 255) {
      *d = -std::numeric_limits<double>::infinity();
      return true;
    }
    if (n == 254) {
      *d = std::numeric_limits<double>::infinity();
      return true;
    }
    if (n == 253) {
      *d = std::numeric_limits<double>::quiet_NaN();
      return true;
    }
    std::string_view text;
    if (!Bytes(n, &text)) return false;
    std::string s(text);
    char* end = nullptr;
    *d = std::strtod(s.c_str(), &end);
    if (s.empty() || end == s.c_str()) return Fail(at, "invalid double value");
    return true;
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  LoadError error_;
};

// ---------------------------------------------------------------------------------------------
// Blob parsers. Each walks the whole blob and fails on anything out of bounds or inconsistent;
// `fn(item)` returns false to abort (with its own reason recorded by the caller).

struct Item {
  bool is_int = false;
  int64_t iv = 0;
  std::string_view sv;
  std::string Text() const { return is_int ? std::to_string(iv) : std::string(sv); }
};

int64_t SignExtend(uint64_t u, int bits) {
  const uint64_t sign = uint64_t{1} << (bits - 1);
  if (bits < 64 && (u & sign)) u |= ~((uint64_t{1} << bits) - 1);
  return static_cast<int64_t>(u);
}

using ParseResult = std::expected<size_t, std::string>;  // number of items

template <typename Fn>
ParseResult ParseListpack(std::string_view lp, Fn&& fn) {
  const auto* p = reinterpret_cast<const uint8_t*>(lp.data());
  const size_t size = lp.size();
  if (size < kLpHeaderSize + 1) return std::unexpected("listpack too short");
  if (GetLE(lp.data(), 4) != size) return std::unexpected("listpack size mismatch");
  if (p[size - 1] != kLpEof) return std::unexpected("listpack not terminated");
  const size_t header_count = GetLE(lp.data() + 4, 2);
  size_t pos = kLpHeaderSize;
  size_t count = 0;
  const size_t end = size - 1;  // index of the terminator
  while (pos < end) {
    const uint8_t b = p[pos];
    if (b == kLpEof) return std::unexpected("listpack terminator inside the entries");
    Item item;
    size_t hdr = 1;  // encoding bytes before the data
    size_t data = 0;
    if ((b & 0x80) == 0) {
      item.is_int = true;
      item.iv = b & 0x7F;
    } else if ((b & 0xC0) == 0x80) {
      data = b & 0x3F;
    } else if ((b & 0xE0) == 0xC0) {
      hdr = 2;
    } else if ((b & 0xF0) == 0xE0) {
      hdr = 2;
      if (pos + 2 > end) return std::unexpected("listpack entry out of range");
      data = (size_t{b & 0x0Fu} << 8) | p[pos + 1];
    } else if (b == 0xF0) {
      hdr = 5;
      if (pos + 5 > end) return std::unexpected("listpack entry out of range");
      data = GetLE(lp.data() + pos + 1, 4);
    } else if (b >= 0xF1 && b <= 0xF4) {
      static constexpr size_t kIntBytes[] = {2, 3, 4, 8};
      data = kIntBytes[b - 0xF1];
    } else {
      return std::unexpected("invalid listpack encoding");
    }
    const size_t enc_len = hdr + data;
    const size_t back = BacklenSize(enc_len);
    if (enc_len > end - pos || back > end - pos - enc_len) {
      return std::unexpected("listpack entry out of range");
    }
    if ((b & 0xE0) == 0xC0) {
      item.is_int = true;
      item.iv = SignExtend((uint64_t{b & 0x1Fu} << 8) | p[pos + 1], 13);
    } else if (b >= 0xF1 && b <= 0xF4) {
      item.is_int = true;
      item.iv = SignExtend(GetLE(lp.data() + pos + 1, static_cast<int>(data)),
                           static_cast<int>(data * 8));
    } else if ((b & 0x80) != 0) {
      item.sv = lp.substr(pos + hdr, data);
    }
    // The back-length must encode exactly this entry's length (lpValidateNext).
    uint64_t decoded = 0;
    size_t q = pos + enc_len + back - 1;
    for (size_t i = 0; i < back; ++i, --q) {
      decoded |= uint64_t{p[q] & 127u} << (7 * i);
      const bool more = (p[q] & 128) != 0;
      if (more != (i + 1 < back)) return std::unexpected("listpack back-length mismatch");
    }
    if (decoded != enc_len) return std::unexpected("listpack back-length mismatch");
    pos += enc_len + back;
    ++count;
    if (!fn(item)) return std::unexpected(std::string());
  }
  if (header_count != kLpCountUnknown && header_count != count) {
    return std::unexpected("listpack element count mismatch");
  }
  return count;
}

template <typename Fn>
ParseResult ParseZiplist(std::string_view zl, Fn&& fn) {
  const auto* p = reinterpret_cast<const uint8_t*>(zl.data());
  const size_t size = zl.size();
  constexpr size_t kHeader = 10;
  if (size < kHeader + 1) return std::unexpected("ziplist too short");
  if (GetLE(zl.data(), 4) != size) return std::unexpected("ziplist size mismatch");
  const uint64_t tail = GetLE(zl.data() + 4, 4);
  const size_t header_count = GetLE(zl.data() + 8, 2);
  if (p[size - 1] != 0xFF) return std::unexpected("ziplist not terminated");
  const size_t end = size - 1;
  size_t pos = kHeader;
  size_t prev_start = kHeader;
  size_t prev_len = 0;
  size_t count = 0;
  while (pos < end) {
    const size_t start = pos;
    // prevlen: one byte < 254, or 254 followed by a 4-byte little-endian length.
    size_t prevlen;
    if (p[pos] < 254) {
      prevlen = p[pos];
      pos += 1;
    } else if (p[pos] == 254) {
      if (pos + 5 > end) return std::unexpected("ziplist entry out of range");
      prevlen = GetLE(zl.data() + pos + 1, 4);
      pos += 5;
    } else {
      return std::unexpected("ziplist terminator inside the entries");
    }
    if (prevlen != prev_len) return std::unexpected("ziplist prevlen mismatch");
    if (pos >= end) return std::unexpected("ziplist entry out of range");
    const uint8_t b = p[pos];
    Item item;
    size_t hdr = 1;
    size_t data = 0;
    switch (b >> 6) {
      case 0:
        data = b & 0x3F;
        break;
      case 1:
        hdr = 2;
        if (pos + 2 > end) return std::unexpected("ziplist entry out of range");
        data = (size_t{b & 0x3Fu} << 8) | p[pos + 1];
        break;
      case 2:  // 10xxxxxx: 32-bit length follows (ziplist ignores the low six bits)
        hdr = 5;
        if (pos + 5 > end) return std::unexpected("ziplist entry out of range");
        data = (size_t{p[pos + 1]} << 24) | (size_t{p[pos + 2]} << 16) | (size_t{p[pos + 3]} << 8) |
               p[pos + 4];  // big endian
        break;
      default:
        item.is_int = true;
        if (b == 0xC0) {
          data = 2;
        } else if (b == 0xD0) {
          data = 4;
        } else if (b == 0xE0) {
          data = 8;
        } else if (b == 0xF0) {
          data = 3;
        } else if (b == 0xFE) {
          data = 1;
        } else if (b >= 0xF1 && b <= 0xFD) {
          item.iv = (b & 0x0F) - 1;
        } else {
          return std::unexpected("invalid ziplist encoding");
        }
        break;
    }
    if (hdr + data > end - pos) return std::unexpected("ziplist entry out of range");
    if (item.is_int && data > 0) {
      item.iv = SignExtend(GetLE(zl.data() + pos + 1, static_cast<int>(data)),
                           static_cast<int>(data * 8));
    } else if (!item.is_int) {
      item.sv = zl.substr(pos + hdr, data);
    }
    pos += hdr + data;
    prev_start = start;
    prev_len = pos - start;
    ++count;
    if (!fn(item)) return std::unexpected(std::string());
  }
  if (tail != prev_start) return std::unexpected("ziplist tail offset mismatch");
  if (header_count != 0xFFFF && header_count != count) {
    return std::unexpected("ziplist element count mismatch");
  }
  return count;
}

// zipmap (Redis < 2.6 hashes): <count byte> then <len>field<len><free byte>value<free bytes>...
// and 0xFF. Lengths: one byte < 254, else 254/255 followed by a 4-byte little-endian length.
template <typename Fn>
ParseResult ParseZipmap(std::string_view zm, Fn&& fn) {
  const auto* p = reinterpret_cast<const uint8_t*>(zm.data());
  const size_t size = zm.size();
  if (size < 2) return std::unexpected("zipmap too short");
  const size_t last = size - 1;
  size_t pos = 1;
  size_t count = 0;
  auto read_len = [&](size_t& len) {
    if (pos > last) return false;
    if (p[pos] < 254) {
      len = p[pos];
      pos += 1;
      return true;
    }
    if (pos + 5 > last) return false;
    len = GetLE(zm.data() + pos + 1, 4);
    pos += 5;
    return true;
  };
  while (pos <= last && p[pos] != 0xFF) {
    size_t klen = 0;
    size_t vlen = 0;
    if (!read_len(klen) || klen > last - pos) return std::unexpected("zipmap entry out of range");
    std::string_view field = zm.substr(pos, klen);
    pos += klen;
    if (!read_len(vlen) || pos >= last) return std::unexpected("zipmap entry out of range");
    const size_t free_bytes = p[pos++];
    if (vlen > last - pos || free_bytes > last - pos - vlen) {
      return std::unexpected("zipmap entry out of range");
    }
    std::string_view value = zm.substr(pos, vlen);
    pos += vlen + free_bytes;
    ++count;
    if (!fn(field, value)) return std::unexpected(std::string());
  }
  if (pos != last) return std::unexpected("zipmap not terminated");
  if (count == 0) return std::unexpected("empty zipmap");
  if (p[0] != 254 && p[0] != count) return std::unexpected("zipmap count mismatch");
  return count;
}

// ---------------------------------------------------------------------------------------------
// Value decoder (rdbLoadObject)

// A score stored as text in a ziplist / listpack (zzlStrtod).
bool ParseScore(const Item& it, double* out) {
  if (it.is_int) {
    *out = static_cast<double>(it.iv);
    return true;
  }
  if (it.sv.empty() || it.sv.size() > 128) return false;
  std::string s(it.sv);
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && !std::isnan(*out);
}

Value WrapList(std::unique_ptr<ListObject> l) {
  return Value::Of(ObjType::kList, Encoding::kQuicklist, std::move(l));
}

constexpr size_t kUnlimited = std::numeric_limits<size_t>::max();

// Reads one value of RDB type `type`. Returns false on error (recorded in `r`); sets *empty for an
// empty collection, which Redis skips.
bool ReadObject(Reader& r, uint8_t type, const EncodingLimits& lim, Value* out, bool* empty) {
  *empty = false;
  const size_t at = r.pos();
  switch (static_cast<RdbType>(type)) {
    case RdbType::kString: {
      std::string s;
      if (!r.String(&s)) return false;
      *out = Value::String(s);
      return true;
    }
    case RdbType::kList: {
      uint64_t n = 0;
      if (!r.Count(&n)) return false;
      if (n == 0) return *empty = true;
      auto list = std::make_unique<ListObject>();
      std::string s;
      for (uint64_t i = 0; i < n; ++i) {
        if (!r.String(&s)) return false;
        list->PushBack(s);
      }
      *out = WrapList(std::move(list));
      return true;
    }
    case RdbType::kSet: {
      uint64_t n = 0;
      if (!r.Count(&n)) return false;
      if (n == 0) return *empty = true;
      auto set = std::make_unique<SetObject>();
      if (n > lim.set_max_intset_entries) set->ConvertToHashtable();
      std::string s;
      for (uint64_t i = 0; i < n; ++i) {
        const size_t el = r.pos();
        if (!r.String(&s)) return false;
        if (!set->Add(s, lim.set_max_intset_entries)) {
          return r.Fail(el, "duplicate set members detected");
        }
      }
      *out = SetObject::Wrap(std::move(set));
      return true;
    }
    case RdbType::kZSet:
    case RdbType::kZSet2: {
      uint64_t n = 0;
      if (!r.Count(&n)) return false;
      if (n == 0) return *empty = true;
      // Loaded into a skiplist, then converted when it fits a listpack (rdb.c: sorted sets are
      // not stored ordered).
      Value zv = ZSet::NewValue(Encoding::kSkiplist);
      ZSet z(zv);
      std::string m;
      for (uint64_t i = 0; i < n; ++i) {
        const size_t el = r.pos();
        double score = 0;
        if (!r.String(&m)) return false;
        if (type == static_cast<uint8_t>(RdbType::kZSet2) ? !r.BinaryDouble(&score)
                                                          : !r.OldDouble(&score)) {
          return false;
        }
        if (std::isnan(score)) return r.Fail(el, "zset with NaN score detected");
        if (z.Score(m).has_value()) return r.Fail(el, "duplicate zset fields detected");
        z.Insert(m, score, ZSetLimits{kUnlimited, kUnlimited});
      }
      z.ConvertToListpackIfFits(
          ZSetLimits{lim.zset_max_listpack_entries, lim.zset_max_listpack_value});
      *out = std::move(zv);
      return true;
    }
    case RdbType::kHash: {
      uint64_t n = 0;
      if (!r.Count(&n)) return false;
      if (n == 0) return *empty = true;
      Value hv = Hash::NewValue();
      Hash h(hv);
      if (n > lim.hash_max_listpack_entries) h.ConvertToHashtable();
      const HashLimits hl{lim.hash_max_listpack_entries, lim.hash_max_listpack_value};
      std::string f;
      std::string v;
      for (uint64_t i = 0; i < n; ++i) {
        const size_t el = r.pos();
        if (!r.String(&f) || !r.String(&v)) return false;
        if (!h.Set(f, v, hl)) return r.Fail(el, "duplicate hash fields detected");
      }
      *out = std::move(hv);
      return true;
    }
    case RdbType::kListQuicklist:
    case RdbType::kListQuicklist2: {
      uint64_t nodes = 0;
      if (!r.Count(&nodes)) return false;
      if (nodes == 0) return *empty = true;
      auto list = std::make_unique<ListObject>();
      std::string blob;
      for (uint64_t i = 0; i < nodes; ++i) {
        uint64_t container = kContainerPacked;
        const size_t node_at = r.pos();
        if (type == static_cast<uint8_t>(RdbType::kListQuicklist2)) {
          if (!r.Len(&container)) return false;
          if (container != kContainerPacked && container != kContainerPlain) {
            return r.Fail(node_at, "quicklist integrity check failed (container type)");
          }
        }
        const size_t blob_at = r.pos();
        if (!r.String(&blob)) return false;
        if (blob.empty()) return r.Fail(blob_at, "empty quicklist node");
        if (container == kContainerPlain) {
          list->PushBack(blob);
          continue;
        }
        auto push = [&](const Item& it) {
          list->PushBack(it.is_int ? std::to_string(it.iv) : std::string(it.sv));
          return true;
        };
        ParseResult pr = type == static_cast<uint8_t>(RdbType::kListQuicklist2)
                             ? ParseListpack(blob, push)
                             : ParseZiplist(blob, push);
        if (!pr) return r.Fail(blob_at, "quicklist node: " + pr.error());
      }
      if (list->empty()) return *empty = true;
      *out = WrapList(std::move(list));
      return true;
    }
    case RdbType::kHashZipmap:
    case RdbType::kListZiplist:
    case RdbType::kSetIntset:
    case RdbType::kZSetZiplist:
    case RdbType::kHashZiplist:
    case RdbType::kHashListpack:
    case RdbType::kZSetListpack:
      break;  // blob types, below
    case RdbType::kModule:
    case RdbType::kModule2:
    case RdbType::kStreamListpacks:
    case RdbType::kStreamListpacks2:
      return r.Fail(at, TypeLabel(type) + " is not supported");
    default:
      return r.Fail(at, "unknown RDB type " + std::to_string(type));
  }

  std::string blob;
  const size_t blob_at = r.pos();
  if (!r.String(&blob)) return false;
  auto fail = [&](const std::string& why, std::string_view kind) {
    return r.Fail(blob_at, std::string(kind) + " integrity check failed" +
                               (why.empty() ? std::string() : ": " + why));
  };

  switch (static_cast<RdbType>(type)) {
    case RdbType::kHashZipmap: {
      Value hv = Hash::NewValue();
      Hash h(hv);
      size_t maxlen = 0;
      bool dup = false;
      ParseResult pr = ParseZipmap(blob, [&](std::string_view f, std::string_view v) {
        maxlen = std::max({maxlen, f.size(), v.size()});
        if (!h.Set(f, v, HashLimits{kUnlimited, kUnlimited})) return !(dup = true);
        return true;
      });
      if (dup) return fail("duplicate fields", "zipmap");
      if (!pr) return fail(pr.error(), "zipmap");
      if (h.size() > lim.hash_max_listpack_entries || maxlen > lim.hash_max_listpack_value) {
        h.ConvertToHashtable();
      }
      *out = std::move(hv);
      return true;
    }
    case RdbType::kListZiplist: {
      auto list = std::make_unique<ListObject>();
      ParseResult pr = ParseZiplist(blob, [&](const Item& it) {
        list->PushBack(it.Text());
        return true;
      });
      if (!pr) return fail(pr.error(), "list ziplist");
      if (list->empty()) return *empty = true;
      *out = WrapList(std::move(list));
      return true;
    }
    case RdbType::kSetIntset: {
      auto ints = DecodeIntset(blob);
      if (!ints) return fail(ints.error(), "intset");
      auto set = std::make_unique<SetObject>();
      for (int64_t v : *ints) set->Add(std::to_string(v), lim.set_max_intset_entries);
      *out = SetObject::Wrap(std::move(set));
      return true;
    }
    case RdbType::kZSetZiplist:
    case RdbType::kZSetListpack: {
      const bool lp = type == static_cast<uint8_t>(RdbType::kZSetListpack);
      std::vector<std::pair<std::string, double>> pairs;
      std::optional<Item> member;
      std::string why;
      auto add = [&](const Item& it) {
        if (!member) {
          member = it;
          return true;
        }
        double score = 0;
        if (!ParseScore(it, &score)) {
          why = "invalid score";
          return false;
        }
        pairs.emplace_back(member->Text(), score);
        member.reset();
        return true;
      };
      ParseResult pr = lp ? ParseListpack(blob, add) : ParseZiplist(blob, add);
      const char* kind = lp ? "zset listpack" : "zset ziplist";
      if (!pr) return fail(why.empty() ? pr.error() : why, kind);
      if (member) return fail("odd number of elements", kind);
      if (pairs.empty()) return *empty = true;
      const bool skiplist = pairs.size() > lim.zset_max_listpack_entries;
      Value zv = ZSet::NewValue(skiplist ? Encoding::kSkiplist : Encoding::kListpack);
      ZSet z(zv);
      for (auto& [m, s] : pairs) {
        if (z.Score(m).has_value()) return fail("duplicate members", kind);
        z.Insert(m, s, ZSetLimits{kUnlimited, kUnlimited});
      }
      *out = std::move(zv);
      return true;
    }
    case RdbType::kHashZiplist:
    case RdbType::kHashListpack: {
      const bool lp = type == static_cast<uint8_t>(RdbType::kHashListpack);
      const char* kind = lp ? "hash listpack" : "hash ziplist";
      std::vector<std::string> items;
      auto add = [&](const Item& it) {
        items.push_back(it.Text());
        return true;
      };
      ParseResult pr = lp ? ParseListpack(blob, add) : ParseZiplist(blob, add);
      if (!pr) return fail(pr.error(), kind);
      if (items.size() % 2 != 0) return fail("odd number of elements", kind);
      if (items.empty()) return *empty = true;
      Value hv = Hash::NewValue();
      Hash h(hv);
      // A long hash goes straight to a hash table; Redis converts only on the entry count.
      if (items.size() / 2 > lim.hash_max_listpack_entries) h.ConvertToHashtable();
      for (size_t i = 0; i < items.size(); i += 2) {
        if (!h.Set(items[i], items[i + 1], HashLimits{kUnlimited, kUnlimited})) {
          return fail("duplicate fields", kind);
        }
      }
      *out = std::move(hv);
      return true;
    }
    default:
      return r.Fail(at, "unknown RDB type " + std::to_string(type));
  }
}

// ---------------------------------------------------------------------------------------------
// Whole-file writer: buffers, checksums and forwards to the sink.

class FileWriter {
 public:
  FileWriter(Sink& sink, bool checksum) : sink_(sink), checksum_(checksum) {}
  std::string& buf() { return buf_; }
  bool MaybeFlush() { return buf_.size() >= 64 * 1024 ? Flush() : ok_; }
  bool Flush() {
    if (!ok_) return false;
    if (buf_.empty()) return true;
    if (checksum_) crc_ = Crc64(crc_, buf_.data(), buf_.size());
    ok_ = sink_.Write(buf_.data(), buf_.size());
    buf_.clear();
    return ok_;
  }
  uint64_t crc() const { return crc_; }

 private:
  Sink& sink_;
  bool checksum_;
  bool ok_ = true;
  uint64_t crc_ = 0;
  std::string buf_;
};

void WriteAux(Encoder& e, std::string_view key, std::string_view value) {
  e.Byte(kOpAux);
  e.String(key);
  e.String(value);
}

std::string ErrnoText(int err) { return std::strerror(err); }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public building blocks

std::string EncodeListpack(const std::vector<std::string>& elements) {
  ListpackBuilder lp;
  for (const auto& e : elements) lp.Append(e);
  return lp.Finish();
}

std::expected<std::vector<std::string>, std::string> DecodeListpack(std::string_view blob) {
  std::vector<std::string> out;
  ParseResult pr = ParseListpack(blob, [&](const Item& it) {
    out.push_back(it.Text());
    return true;
  });
  if (!pr) return std::unexpected(pr.error());
  return out;
}

std::string EncodeIntset(std::vector<int64_t> values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  int width = 2;
  for (int64_t v : values) {
    if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
      width = 8;
      break;
    }
    if (v < std::numeric_limits<int16_t>::min() || v > std::numeric_limits<int16_t>::max()) {
      width = 4;
    }
  }
  std::string out;
  out.reserve(8 + values.size() * static_cast<size_t>(width));
  PutLE(out, static_cast<uint64_t>(width), 4);
  PutLE(out, values.size(), 4);
  for (int64_t v : values) PutLE(out, static_cast<uint64_t>(v), width);
  return out;
}

std::expected<std::vector<int64_t>, std::string> DecodeIntset(std::string_view blob) {
  if (blob.size() < 8) return std::unexpected("intset too short");
  const uint64_t width = GetLE(blob.data(), 4);
  if (width != 2 && width != 4 && width != 8) return std::unexpected("invalid intset encoding");
  const uint64_t count = GetLE(blob.data() + 4, 4);
  if (8 + count * width != blob.size()) return std::unexpected("intset size mismatch");
  if (count == 0) return std::unexpected("empty intset");
  std::vector<int64_t> out;
  out.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    const int64_t v = SignExtend(GetLE(blob.data() + 8 + i * width, static_cast<int>(width)),
                                 static_cast<int>(width * 8));
    if (!out.empty() && v <= out.back()) return std::unexpected("intset not strictly ascending");
    out.push_back(v);
  }
  return out;
}

std::expected<std::vector<std::string>, std::string> DecodeZiplist(std::string_view blob) {
  std::vector<std::string> out;
  ParseResult pr = ParseZiplist(blob, [&](const Item& it) {
    out.push_back(it.Text());
    return true;
  });
  if (!pr) return std::unexpected(pr.error());
  return out;
}

std::string ListpackScoreString(double score) {
  if (std::isinf(score)) return score > 0 ? "inf" : "-inf";
  if (std::isnan(score)) return "nan";
  int64_t ll = 0;
  if (DoubleToInt64(score, ll)) return std::to_string(ll);
  char buf[64];
  const int n = std::snprintf(buf, sizeof buf, "%.17g", score);
  return std::string(buf, static_cast<size_t>(n));
}

// ---------------------------------------------------------------------------------------------
// Sinks

bool FileSink::WriteAll(const char* p, size_t n) {
  while (n > 0) {
    const ssize_t w = Io().Write(fd_, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      errno_ = errno;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
    written_ += static_cast<uint64_t>(w);
  }
  if (autosync_ > 0 && written_ - synced_at_ >= autosync_) {
    if (Io().Fdatasync(fd_) != 0) {
      errno_ = errno;
      return false;
    }
    synced_at_ = written_;
  }
  return true;
}

bool FileSink::Write(const void* p, size_t n) {
  if (errno_ != 0) return false;
  if (buf_.size() + n > cap_) {
    if (!Flush()) return false;
    if (n >= cap_) return WriteAll(static_cast<const char*>(p), n);
  }
  buf_.append(static_cast<const char*>(p), n);
  return true;
}

bool FileSink::Flush() {
  if (errno_ != 0) return false;
  const bool ok = WriteAll(buf_.data(), buf_.size());
  buf_.clear();
  return ok;
}

// ---------------------------------------------------------------------------------------------
// Save

std::expected<void, std::string> Save(Keyspace& ks, const SaveOptions& opt, Sink& sink) {
  FileWriter w(sink, opt.checksum);
  Encoder e(w.buf(), opt.compression);
  e.Raw("REDIS0010");

  const int64_t now_ms = opt.now_ms != 0 ? opt.now_ms : SystemClockMs();
  WriteAux(e, "redis-ver", kRedisVersion);
  WriteAux(e, "redis-bits", std::to_string(sizeof(void*) * 8));
  WriteAux(e, "ctime", std::to_string(now_ms / 1000));
  WriteAux(e, "used-mem", std::to_string(opt.used_mem));
  if (opt.repl_stream_db >= 0) WriteAux(e, "repl-stream-db", std::to_string(opt.repl_stream_db));
  if (!opt.repl_id.empty()) {
    WriteAux(e, "repl-id", opt.repl_id);
    WriteAux(e, "repl-offset", std::to_string(opt.repl_offset));
  }
  WriteAux(e, "aof-base", std::to_string(opt.aof_base));

  std::string error;
  for (int i = 0; i < ks.databases() && error.empty(); ++i) {
    Db& db = ks.db(i);
    if (db.size() == 0) continue;
    e.Byte(kOpSelectDb);
    e.Len(static_cast<uint64_t>(i));
    e.Byte(kOpResizeDb);
    e.Len(db.size());
    e.Len(db.expires_count());
    db.ForEach([&](Entry* entry) {
      if (!error.empty()) return;
      const std::optional<RdbType> type = ObjectRdbType(entry->value);
      if (!type) {
        error = "can't save key '" + std::string(entry->key()) +
                "': " + std::string(TypeName(entry->value.type)) + " values are not supported";
        return;
      }
      if (db.HasExpire(entry)) {
        e.Byte(kOpExpireTimeMs);
        PutLE(w.buf(), static_cast<uint64_t>(db.ExpireOf(entry)), 8);
      }
      e.Byte(static_cast<uint8_t>(*type));
      e.String(entry->key());
      EncodeObject(e, entry->value, opt);
      if (!w.MaybeFlush()) error = "write error";
    });
  }
  if (!error.empty()) return std::unexpected(error);

  e.Byte(kOpEof);
  if (!w.Flush()) return std::unexpected("write error");
  PutLE(w.buf(), opt.checksum ? w.crc() : 0, 8);
  // The trailer itself is not part of the checksum: write it straight to the sink.
  if (!sink.Write(w.buf().data(), w.buf().size())) return std::unexpected("write error");
  return {};
}

std::expected<void, std::string> WriteFileAtomically(
    const std::string& path, const AtomicFileNames& names, size_t autosync_bytes,
    const std::function<std::expected<void, std::string>(FileSink&)>& body) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash);
  const std::string tmp =
      dir + "/temp-" + std::to_string(::getpid()) + "." + std::string(names.extension);

  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return std::unexpected("Failed opening the " + std::string(names.temp_file) + " " + tmp + ": " +
                           ErrnoText(errno));
  }
  auto fail = [&](std::string what) -> std::expected<void, std::string> {
    ::close(fd);
    ::unlink(tmp.c_str());
    return std::unexpected(std::move(what));
  };
  FileSink sink(fd);
  sink.set_autosync(autosync_bytes);
  auto written = body(sink);
  if (!written) {
    return fail(sink.error() != 0 ? written.error() + ": " + ErrnoText(sink.error())
                                  : written.error());
  }
  if (!sink.Flush()) {
    return fail("Write error " + std::string(names.writing) + ": " + ErrnoText(sink.error()));
  }
  if (Io().Fsync(fd) != 0) return fail("fsync of " + tmp + " failed: " + ErrnoText(errno));
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return std::unexpected("close of " + tmp + " failed: " + ErrnoText(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return std::unexpected("Error moving " + std::string(names.moved_file) + " " + tmp +
                           " on the final destination " + path + ": " + ErrnoText(err));
  }
  // Make the rename itself durable.
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    const int rc = ::fsync(dfd);
    const int err = errno;
    ::close(dfd);
    if (rc != 0) return std::unexpected("fsync of directory " + dir + " failed: " + ErrnoText(err));
  }
  return {};
}

std::expected<void, std::string> SaveToFile(Keyspace& ks, const SaveOptions& opt,
                                            const std::string& path) {
  return WriteFileAtomically(path, {"rdb", "temp RDB file", "saving DB on disk", "temp DB file"},
                             opt.autosync_bytes,
                             [&](FileSink& sink) { return Save(ks, opt, sink); });
}

// ---------------------------------------------------------------------------------------------
// Load

void DebugDelay(int usec) {
  if (usec < 0) usec = (std::rand() % -usec) == 0 ? 1 : 0;
  if (usec > 0) ::usleep(static_cast<useconds_t>(usec));
}

std::expected<LoadResult, LoadError> Load(std::string_view data, Keyspace& ks,
                                          const LoadOptions& opt) {
  Reader r(data);
  LoadResult res;
  std::string_view magic;
  if (!r.Bytes(9, &magic)) return std::unexpected(r.error());
  if (magic.substr(0, 5) != "REDIS") {
    return std::unexpected(LoadError{0, "Wrong signature trying to load DB from file", 0});
  }
  int version = 0;
  for (char c : magic.substr(5)) {
    if (c < '0' || c > '9') {
      return std::unexpected(LoadError{5, "Can't handle RDB format version", 0});
    }
    version = version * 10 + (c - '0');
  }
  if (version < 1 || version > kRdbVersion) {
    return std::unexpected(
        LoadError{5, "Can't handle RDB format version " + std::to_string(version), 0});
  }

  Db* db = &ks.db(0);
  int64_t expire_ms = -1;
  int64_t lru_idle = -1;
  int lfu_freq = -1;
  std::string key;
  std::string aux_key;
  std::string aux_val;
  size_t reported = 0;

  while (true) {
    const size_t op_at = r.pos();
    if (opt.progress && op_at - reported >= opt.progress_bytes) {
      opt.progress(op_at - reported);
      reported = op_at;
    }
    uint8_t type;
    if (!r.U8(&type)) return std::unexpected(r.error());

    if (type == kOpExpireTime) {
      uint64_t secs = 0;
      if (!r.LE(4, &secs)) return std::unexpected(r.error());
      expire_ms = static_cast<int64_t>(static_cast<int32_t>(secs)) * 1000;
      continue;
    }
    if (type == kOpExpireTimeMs) {
      uint64_t ms = 0;
      if (!r.LE(8, &ms)) return std::unexpected(r.error());
      expire_ms = static_cast<int64_t>(ms);
      continue;
    }
    if (type == kOpFreq) {
      uint8_t f;
      if (!r.U8(&f)) return std::unexpected(r.error());
      lfu_freq = f;
      continue;
    }
    if (type == kOpIdle) {
      uint64_t idle = 0;
      if (!r.Len(&idle)) return std::unexpected(r.error());
      lru_idle =
          static_cast<int64_t>(std::min<uint64_t>(idle, std::numeric_limits<int64_t>::max()));
      continue;
    }
    if (type == kOpEof) break;
    if (type == kOpSelectDb) {
      uint64_t id = 0;
      if (!r.Len(&id)) return std::unexpected(r.error());
      if (id >= static_cast<uint64_t>(ks.databases())) {
        return std::unexpected(LoadError{
            op_at,
            "Data file was created with a Redis server configured to handle more than " +
                std::to_string(ks.databases()) + " databases (SELECTDB " + std::to_string(id) + ")",
            0});
      }
      db = &ks.db(static_cast<int>(id));
      continue;
    }
    if (type == kOpResizeDb) {
      uint64_t a = 0;
      uint64_t b = 0;
      if (!r.Len(&a) || !r.Len(&b)) return std::unexpected(r.error());
      // A sizing hint: an empty db gets its final table at once, so loading N keys never
      // rehashes (bounded, since the count is untrusted input).
      // Every key takes at least 3 bytes of the file (type, key length, value length).
      db->Reserve(static_cast<size_t>(std::min<uint64_t>(a, r.remaining() / 3)));
      continue;
    }
    if (type == kOpAux) {
      if (!r.String(&aux_key) || !r.String(&aux_val)) return std::unexpected(r.error());
      if (aux_key == "repl-stream-db") {
        res.aux.repl_stream_db = std::atoi(aux_val.c_str());
      } else if (aux_key == "repl-id") {
        if (aux_val.size() == 40) res.aux.repl_id = aux_val;
      } else if (aux_key == "repl-offset") {
        res.aux.repl_offset = std::strtoll(aux_val.c_str(), nullptr, 10);
      } else if (aux_key == "aof-base" || aux_key == "aof-preamble") {
        if (std::strtoll(aux_val.c_str(), nullptr, 10) != 0) res.aux.aof_base = true;
      }
      res.aux.all.emplace_back(aux_key, aux_val);
      continue;
    }
    if (type == kOpModuleAux) {
      return std::unexpected(LoadError{op_at, "module aux data is not supported", 0});
    }
    if (type == kOpFunctionPreGa) {
      return std::unexpected(LoadError{op_at, "functions are not supported", 0});
    }
    if (type == kOpFunction2) {
      std::string code;
      if (!r.String(&code)) return std::unexpected(r.error());
      if (!code.empty()) {
        return std::unexpected(LoadError{op_at, "functions are not supported", 0});
      }
      continue;
    }
    if (!IsObjectType(type)) {
      return std::unexpected(LoadError{op_at, "unknown RDB type " + std::to_string(type), 0});
    }
    if (type == 6 || type == 7 || type == 15 || type == 19) {
      return std::unexpected(LoadError{op_at, TypeLabel(type) + " is not supported", 0});
    }

    if (!r.String(&key)) return std::unexpected(r.error());
    Value value;
    bool empty = false;
    if (!ReadObject(r, type, opt.limits, &value, &empty)) return std::unexpected(r.error());

    if (empty) {
      ++res.empty_skipped;
    } else if (opt.drop_expired && expire_ms != -1 && expire_ms < opt.now_ms) {
      ++res.expired_skipped;
    } else {
      Entry* entry = db->Set(key, std::move(value));
      // -1 means no TTL, as in Redis. Any other negative time (before 1970) is in the past;
      // SetExpire stores it as 0, which expires the key just the same.
      if (expire_ms != -1) db->SetExpire(entry, expire_ms);
      entry->RestoreAccess(db->lfu(), lfu_freq, lru_idle);
      ++res.keys;
    }
    if (opt.key_load_delay != 0) DebugDelay(opt.key_load_delay);
    expire_ms = -1;
    lru_idle = -1;
    lfu_freq = -1;
  }

  if (version >= 5) {
    const size_t sum_at = r.pos();
    uint64_t stored = 0;
    if (!r.LE(8, &stored)) return std::unexpected(r.error());
    if (opt.verify_checksum && stored != 0) {
      const uint64_t computed = Crc64(0, data.data(), sum_at);
      if (computed != stored) {
        return std::unexpected(LoadError{sum_at, "Wrong RDB checksum", 0});
      }
    }
  }
  res.bytes = r.pos();
  return res;
}

std::expected<LoadResult, LoadError> LoadFile(const std::string& path, Keyspace& ks,
                                              const LoadOptions& opt) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return std::unexpected(LoadError{0, "can't open " + path + ": " + ErrnoText(err), err});
  }
  struct stat st {};
  std::string data;
  if (::fstat(fd, &st) == 0 && st.st_size > 0) data.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return std::unexpected(
          LoadError{data.size(), "read error on " + path + ": " + ErrnoText(err), err});
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return Load(data, ks, opt);
}

// ---------------------------------------------------------------------------------------------
// DUMP / RESTORE

std::string DumpPayload(const Value& v, bool compression) {
  const std::optional<RdbType> type = ObjectRdbType(v);
  if (!type) return {};
  std::string out;
  Encoder e(out, compression);
  e.Byte(static_cast<uint8_t>(*type));
  SaveOptions opt;
  opt.compression = compression;
  EncodeObject(e, v, opt);
  PutLE(out, static_cast<uint64_t>(kRdbVersion), 2);
  PutLE(out, Crc64(0, out.data(), out.size()), 8);
  return out;
}

std::expected<Value, std::string> RestorePayload(std::string_view payload,
                                                 const EncodingLimits& limits) {
  static constexpr std::string_view kBadFooter = "DUMP payload version or checksum are wrong";
  static constexpr std::string_view kBadData = "Bad data format";
  if (payload.size() < 10) return std::unexpected(std::string(kBadFooter));
  const size_t body = payload.size() - 10;
  const uint64_t version = GetLE(payload.data() + body, 2);
  if (version > static_cast<uint64_t>(kRdbVersion)) {
    return std::unexpected(std::string(kBadFooter));
  }
  const uint64_t crc = GetLE(payload.data() + body + 2, 8);
  if (Crc64(0, payload.data(), body + 2) != crc) return std::unexpected(std::string(kBadFooter));

  Reader r(payload.substr(0, body));
  uint8_t type;
  if (!r.U8(&type) || !IsObjectType(type)) return std::unexpected(std::string(kBadData));
  Value v;
  bool empty = false;
  if (!ReadObject(r, type, limits, &v, &empty) || empty) {
    return std::unexpected(std::string(kBadData));
  }
  return v;
}

}  // namespace tandem::storage::rdb
