// The allocator accounting behind used_memory (Redis's zmalloc counter). Every allocation made
// through operator new is counted with its usable size (server/alloc.cc replaces the global
// operator new/delete in tandem-server), and so are the bucket arrays the dict maps directly.
// Reading it costs one atomic load, so maxmemory can be checked before every command; glibc's
// own mallinfo2() walks every arena and took 140 ms on a fragmented 2M-allocation heap.
#pragma once

#include <atomic>
#include <cstdint>

namespace tandem::storage {

inline std::atomic<int64_t>& AllocatedBytes() {
  static std::atomic<int64_t> bytes{0};
  return bytes;
}

inline void CountAllocated(int64_t delta) {
  AllocatedBytes().fetch_add(delta, std::memory_order_relaxed);
}

}  // namespace tandem::storage
