// The packed small encodings (hash and sorted-set listpacks): a count header, then strings each
// as its length in a little-endian base-128 varint (one byte below 128) and its bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tandem::storage::packed {

// A packed aggregate stored in a Value (Value::Packed) starts with its element count: two bytes,
// little-endian. The highest value means "count by walking", as a listpack's
// LP_HDR_NUMELE_UNKNOWN does once its 16-bit count overflows.
inline constexpr size_t kHeader = 2;
inline constexpr uint16_t kCountUnknown = 0xFFFF;
inline constexpr std::string_view kEmptyHeader{"\0\0", kHeader};

inline uint16_t HeaderCount(std::string_view bytes) {
  return static_cast<uint16_t>(static_cast<uint8_t>(bytes[0]) |
                               (static_cast<uint8_t>(bytes[1]) << 8));
}
// Rewrites the count in place (the header is always there).
inline void StoreCount(char* bytes, size_t count) {
  const uint16_t c = count >= kCountUnknown ? kCountUnknown : static_cast<uint16_t>(count);
  bytes[0] = static_cast<char>(c & 0xFF);
  bytes[1] = static_cast<char>(c >> 8);
}
inline std::string HeaderFor(size_t count) {
  std::string header(kHeader, '\0');
  StoreCount(header.data(), count);
  return header;
}

// Bytes AppendLength writes for `len`.
inline size_t LengthSize(size_t len) {
  size_t n = 1;
  for (; len >= 0x80; len >>= 7) ++n;
  return n;
}

inline void AppendLength(std::string& buf, size_t len) {
  while (len >= 0x80) {
    buf.push_back(static_cast<char>((len & 0x7f) | 0x80));
    len >>= 7;
  }
  buf.push_back(static_cast<char>(len));
}

// The varint at `pos` of `buf` (written by AppendLength); advances pos past it.
inline uint64_t ReadLength(std::string_view buf, size_t& pos) {
  uint64_t len = 0;
  int shift = 0;
  while (true) {
    const auto b = static_cast<uint8_t>(buf[pos++]);
    len |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return len;
    shift += 7;
  }
}

// The length-prefixed string at `pos` of `buf`; advances pos past it. `buf` was written by
// AppendLength + bytes (never untrusted input).
inline std::string_view NextString(std::string_view buf, size_t& pos) {
  const size_t len = ReadLength(buf, pos);
  std::string_view s = buf.substr(pos, len);
  pos += len;
  return s;
}

}  // namespace tandem::storage::packed
