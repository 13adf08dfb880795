#include "storage/lzf.h"

#include <array>
#include <cstring>
#include <memory>

namespace tandem::storage::lzf {

namespace {

constexpr int kHashLog = 16;
constexpr size_t kHashSize = size_t{1} << kHashLog;
constexpr size_t kMaxLiteral = 32;     // 1 << 5
constexpr size_t kMaxOffset = 8192;    // 1 << 13
constexpr size_t kMaxMatch = 256 + 8;  // (1 << 8) + (1 << 3)

// liblzf's "very fast" hash of the rolling 32-bit window (only the low 24 bits are fresh; the top
// byte is whatever the window carried, exactly as liblzf computes it).
inline uint32_t Slot(uint32_t h) { return ((h >> (24 - kHashLog)) - h * 5) & (kHashSize - 1); }

// The hash table maps a slot to the last input position that hashed there. Rather than clearing
// 2^16 entries for every (often tiny) string, entries carry a per-thread generation: a slot holds
// base + pos + 1, and only values above the current call's base are live. That behaves like a
// freshly zeroed table.
struct Table {
  std::array<uint64_t, kHashSize> slot{};
  uint64_t base = 0;
};

Table& ThreadTable() {
  thread_local std::unique_ptr<Table> t = std::make_unique<Table>();
  return *t;
}

}  // namespace

size_t Compress(const void* in_data, size_t in_len, void* out_data, size_t out_len) {
  if (in_len == 0 || out_len == 0) return 0;
  const auto* in = static_cast<const uint8_t*>(in_data);
  auto* out = static_cast<uint8_t*>(out_data);
  Table& table = ThreadTable();
  const uint64_t base = table.base;
  table.base += in_len + 1;

  // `op` indexes the next output byte; out[op - lit - 1] is the control byte of the open literal
  // run, reserved when the run starts.
  size_t op = 1;
  size_t lit = 0;
  size_t ip = 0;
  uint32_t hval = in_len >= 2 ? (uint32_t{in[0]} << 8) | in[1] : 0;

  while (ip + 2 < in_len) {
    // A literal run that just filled up may have reserved a control byte one past the end;
    // liblzf would fail on the next step either way (it relies on a spare output byte).
    if (op > out_len) return 0;
    hval = (hval << 8) | in[ip + 2];
    uint64_t& slot = table.slot[Slot(hval)];
    const bool live = slot > base;
    const size_t ref = live ? static_cast<size_t>(slot - base - 1) : 0;
    slot = base + ip + 1;

    // Position 0 never serves as a reference (liblzf requires ref > start of input).
    if (live && ref > 0 && ref < ip && ip - ref - 1 < kMaxOffset && in[ref] == in[ip] &&
        in[ref + 1] == in[ip + 1] && in[ref + 2] == in[ip + 2]) {
      const size_t off = ip - ref - 1;
      size_t maxlen = in_len - ip - 2;
      if (maxlen > kMaxMatch) maxlen = kMaxMatch;

      // Close the literal run (or take back its reserved byte when it is empty).
      out[op - lit - 1] = static_cast<uint8_t>(lit - 1);
      if (lit == 0) --op;
      if (op + 3 + 1 >= out_len) return 0;

      // Extend the match. liblzf 3.6 first compares up to 16 more bytes without looking at maxlen
      // (safe: maxlen > 16 leaves room), then continues byte by byte up to maxlen, and always
      // takes at least the three bytes already compared (even when maxlen is smaller, near the
      // end of the input). The length it settles on is reproduced exactly because it decides the
      // output bytes.
      size_t len = 2;
      bool done = false;
      if (maxlen > 16) {
        for (int k = 0; k < 16; ++k) {
          ++len;
          if (in[ref + len] != in[ip + len]) {
            done = true;
            break;
          }
        }
      }
      if (!done) {
        do {
          ++len;
        } while (len < maxlen && in[ref + len] == in[ip + len]);
      }

      len -= 2;  // stored length: octets - 2
      ++ip;
      if (len < 7) {
        out[op++] = static_cast<uint8_t>((off >> 8) + (len << 5));
      } else {
        out[op++] = static_cast<uint8_t>((off >> 8) + (7 << 5));
        out[op++] = static_cast<uint8_t>(len - 7);
      }
      out[op++] = static_cast<uint8_t>(off);
      lit = 0;
      ++op;  // reserve the next run's control byte

      ip += len + 1;
      if (ip + 2 >= in_len) break;

      // Hash the last two positions of the match so later data can refer into it.
      ip -= 2;
      hval = (uint32_t{in[ip]} << 8) | in[ip + 1];
      hval = (hval << 8) | in[ip + 2];
      table.slot[Slot(hval)] = base + ip + 1;
      ++ip;
      hval = (hval << 8) | in[ip + 2];
      table.slot[Slot(hval)] = base + ip + 1;
      ++ip;
    } else {
      if (op >= out_len) return 0;
      ++lit;
      out[op++] = in[ip++];
      if (lit == kMaxLiteral) {
        out[op - lit - 1] = static_cast<uint8_t>(lit - 1);
        lit = 0;
        ++op;
      }
    }
  }

  // At most two input bytes remain, plus possibly one run header.
  if (op + 3 > out_len) return 0;
  while (ip < in_len) {
    ++lit;
    out[op++] = in[ip++];
    if (lit == kMaxLiteral) {
      out[op - lit - 1] = static_cast<uint8_t>(lit - 1);
      lit = 0;
      ++op;
    }
  }
  out[op - lit - 1] = static_cast<uint8_t>(lit - 1);
  if (lit == 0) --op;
  return op;
}

size_t Decompress(const void* in_data, size_t in_len, void* out_data, size_t out_len) {
  const auto* in = static_cast<const uint8_t*>(in_data);
  auto* out = static_cast<uint8_t*>(out_data);
  size_t ip = 0;
  size_t op = 0;
  while (ip < in_len) {
    const size_t ctrl = in[ip++];
    if (ctrl < 32) {
      const size_t n = ctrl + 1;
      if (op + n > out_len || ip + n > in_len) return 0;
      std::memcpy(out + op, in + ip, n);
      op += n;
      ip += n;
      continue;
    }
    size_t len = ctrl >> 5;
    if (len == 7) {
      if (ip >= in_len) return 0;
      len += in[ip++];
    }
    if (ip >= in_len) return 0;
    const size_t back = ((ctrl & 0x1f) << 8) + in[ip++] + 1;
    len += 2;
    if (back > op || op + len > out_len) return 0;
    // Byte by byte: the source may overlap the bytes being written (run-length style copies).
    for (size_t i = 0; i < len; ++i, ++op) out[op] = out[op - back];
  }
  return op;
}

}  // namespace tandem::storage::lzf
