#include "storage/crc64.h"

#include <array>
#include <cstring>

namespace tandem::storage {

namespace {

// The reflected form of 0xad93d23594c935a9 (bit order reversed), for LSB-first processing.
constexpr uint64_t kReflectedPoly = 0x95ac9329ac4bc9b5ULL;

// tables[0] is the classic byte table; tables[k][b] is the CRC of byte b followed by k zero
// bytes, which lets the main loop fold eight input bytes per step (slicing-by-8).
using Tables = std::array<std::array<uint64_t, 256>, 8>;

constexpr Tables MakeTables() {
  Tables t{};
  for (uint64_t b = 0; b < 256; ++b) {
    uint64_t c = b;
    for (int i = 0; i < 8; ++i) c = (c & 1) ? (c >> 1) ^ kReflectedPoly : c >> 1;
    t[0][b] = c;
  }
  for (size_t k = 1; k < 8; ++k) {
    for (size_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
  }
  return t;
}

constexpr Tables kTables = MakeTables();

}  // namespace

uint64_t Crc64(uint64_t crc, const void* p, size_t n) {
  const auto* s = static_cast<const uint8_t*>(p);
  while (n >= 8) {
    uint64_t w = 0;
    for (int i = 7; i >= 0; --i) w = (w << 8) | s[i];  // little-endian load, any host order
    w ^= crc;
    crc = kTables[7][w & 0xff] ^ kTables[6][(w >> 8) & 0xff] ^ kTables[5][(w >> 16) & 0xff] ^
          kTables[4][(w >> 24) & 0xff] ^ kTables[3][(w >> 32) & 0xff] ^
          kTables[2][(w >> 40) & 0xff] ^ kTables[1][(w >> 48) & 0xff] ^ kTables[0][w >> 56];
    s += 8;
    n -= 8;
  }
  while (n-- > 0) crc = kTables[0][(crc ^ *s++) & 0xff] ^ (crc >> 8);
  return crc;
}

}  // namespace tandem::storage
