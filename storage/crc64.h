// CRC-64/Jones as Redis uses it for RDB trailers and DUMP payloads: polynomial 0xad93d23594c935a9,
// reflected input and output, initial value 0, no final xor. Crc64(0, "123456789") is
// 0xe9c6d914c4b8d9ca. Table driven, eight bytes per step.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tandem::storage {

// Continues `crc` over n bytes at p (pass 0 to start). Chunked calls give the same result as one
// call over the concatenation.
uint64_t Crc64(uint64_t crc, const void* p, size_t n);

}  // namespace tandem::storage
