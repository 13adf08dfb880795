// Length prefixes of the packed small encodings (hash and sorted-set listpacks): a string's length
// as a little-endian base-128 varint (one byte below 128), followed by its bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tandem::storage::packed {

inline void AppendLength(std::string& buf, size_t len) {
  while (len >= 0x80) {
    buf.push_back(static_cast<char>((len & 0x7f) | 0x80));
    len >>= 7;
  }
  buf.push_back(static_cast<char>(len));
}

// The length-prefixed string at `pos` of `buf`; advances pos past it. `buf` was written by
// AppendLength + bytes (never untrusted input).
inline std::string_view NextString(std::string_view buf, size_t& pos) {
  size_t len = 0;
  int shift = 0;
  while (true) {
    const auto b = static_cast<uint8_t>(buf[pos++]);
    len |= static_cast<size_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) break;
    shift += 7;
  }
  std::string_view s = buf.substr(pos, len);
  pos += len;
  return s;
}

}  // namespace tandem::storage::packed
