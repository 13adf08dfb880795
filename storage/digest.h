// Redis's dataset digest primitives (debug.c): xorDigest folds SHA-1(data) into a digest,
// mixDigest does that and then replaces the digest by SHA-1(digest), so order matters.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tandem::storage {

using DigestBytes = std::array<uint8_t, 20>;

void XorDigest(DigestBytes& digest, const void* data, size_t len);
void MixDigest(DigestBytes& digest, const void* data, size_t len);
inline void MixDigest(DigestBytes& digest, std::string_view s) {
  MixDigest(digest, s.data(), s.size());
}
// Redis's OBJ_* type codes, which the digest mixes in.
uint32_t RedisTypeCode(uint8_t obj_type);
std::string HexDigest(const DigestBytes& d);

struct Value;
// xorObjectDigest's per-type part for a non-string value of either encoding (a packed listpack
// or an Object): mixes the content into `digest` as Redis does for the type.
void DigestAggregate(const Value& v, DigestBytes& digest);

}  // namespace tandem::storage
