// LZF, the byte-oriented LZ77 variant Redis uses to compress RDB strings and DUMP payloads.
//
// Format (a sequence of runs):
//   000LLLLL <L+1 literal bytes>                 literal run of 1..32 bytes
//   LLLooooo oooooooo                            back reference, length L+2 (L in 1..6)
//   111ooooo LLLLLLLL oooooooo                   back reference, length L+9
// where the 13-bit offset o copies from (current output position - o - 1).
//
// The compressor follows liblzf's greedy parse with Redis's build settings (a 2^16-slot hash of
// the next three bytes, the "very fast" re-hash of the last two positions after a match), so for
// a given input it produces the bytes stock Redis produces from a fresh hash table.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tandem::storage::lzf {

// Compresses in_len bytes into out (capacity out_len). Returns the compressed size, or 0 when the
// result would not fit in out_len bytes (or in_len is 0): the caller then stores the data raw.
// Redis passes out_len = in_len - 4 so that compression must save at least four bytes.
size_t Compress(const void* in, size_t in_len, void* out, size_t out_len);

// Decompresses in_len bytes into out (capacity out_len). Returns the number of bytes produced, or
// 0 on corrupt input (a reference before the start of the output, a run past the end of the input)
// or when the output would exceed out_len. Never reads or writes out of bounds.
size_t Decompress(const void* in, size_t in_len, void* out, size_t out_len);

}  // namespace tandem::storage::lzf
