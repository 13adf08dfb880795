#include "storage/dict.h"

#include <malloc.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <new>
#include <vector>

#include "storage/memory.h"

namespace tandem::storage {

namespace {
struct PendingTable {
  char* base;
  size_t bytes;  // still mapped, from base
};
std::vector<PendingTable>& Pending() {
  static std::vector<PendingTable> pending;
  return pending;
}
size_t RoundToPages(size_t bytes) {
  constexpr size_t kPage = 4096;
  return (bytes + kPage - 1) / kPage * kPage;
}
}  // namespace

void* AllocTable(size_t bytes) {
  if (bytes < kMmapTableBytes) {
    void* p = std::calloc(1, bytes);
    if (p == nullptr) throw std::bad_alloc();
    CountAllocated(static_cast<int64_t>(malloc_usable_size(p)));
    return p;
  }
  void* p = mmap(nullptr, RoundToPages(bytes), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                 -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  CountAllocated(static_cast<int64_t>(RoundToPages(bytes)));
  return p;
}

void FreeTable(void* p, size_t bytes) {
  if (p == nullptr) return;
  if (bytes < kMmapTableBytes) {
    CountAllocated(-static_cast<int64_t>(malloc_usable_size(p)));
    std::free(p);
    return;
  }
  Pending().push_back({static_cast<char*>(p), RoundToPages(bytes)});
}

size_t ReleaseTables(size_t max_bytes) {
  auto& pending = Pending();
  size_t released = 0;
  // Unmap from the end of each table so what stays mapped is always one contiguous range.
  while (!pending.empty() && released < max_bytes) {
    PendingTable& t = pending.back();
    size_t chunk = std::min(RoundToPages(max_bytes - released), t.bytes);
    munmap(t.base + (t.bytes - chunk), chunk);
    CountAllocated(-static_cast<int64_t>(chunk));
    t.bytes -= chunk;
    released += chunk;
    if (t.bytes == 0) pending.pop_back();
  }
  return released;
}

size_t PendingTableBytes() {
  size_t n = 0;
  for (const auto& t : Pending()) n += t.bytes;
  return n;
}

}  // namespace tandem::storage
