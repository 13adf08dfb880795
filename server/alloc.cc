// Counting operator new/delete for tandem-server: used_memory is the sum of the usable sizes of
// live allocations (plus directly mapped dict tables, counted in storage/dict.cc). In sanitizer
// builds the sanitizer's allocator is kept and its own counters are read instead.
#include <malloc.h>

#include <cstddef>
#include <cstdlib>
#include <new>

#include "storage/memory.h"

#if defined(__SANITIZE_ADDRESS__)
// From the sanitizer runtime's allocator interface (GCC ships no header for it).
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#endif

namespace tandem::server {

uint64_t UsedMemory() {
#if defined(__SANITIZE_ADDRESS__)
  return __sanitizer_get_current_allocated_bytes();
#else
  int64_t n = storage::AllocatedBytes().load(std::memory_order_relaxed);
  return n > 0 ? static_cast<uint64_t>(n) : 0;
#endif
}

}  // namespace tandem::server

#if !defined(__SANITIZE_ADDRESS__)

namespace {

void* CountedAlloc(size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  tandem::storage::CountAllocated(static_cast<int64_t>(malloc_usable_size(p)));
  return p;
}

void* CountedAlignedAlloc(size_t n, std::align_val_t align) {
  size_t a = static_cast<size_t>(align);
  void* p = std::aligned_alloc(a, (n + a - 1) / a * a);
  if (p == nullptr) throw std::bad_alloc();
  tandem::storage::CountAllocated(static_cast<int64_t>(malloc_usable_size(p)));
  return p;
}

void CountedFree(void* p) noexcept {
  if (p == nullptr) return;
  tandem::storage::CountAllocated(-static_cast<int64_t>(malloc_usable_size(p)));
  std::free(p);
}

}  // namespace

void* operator new(size_t n) { return CountedAlloc(n); }
void* operator new[](size_t n) { return CountedAlloc(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  try {
    return CountedAlloc(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  try {
    return CountedAlloc(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new(size_t n, std::align_val_t a) { return CountedAlignedAlloc(n, a); }
void* operator new[](size_t n, std::align_val_t a) { return CountedAlignedAlloc(n, a); }
void operator delete(void* p) noexcept { CountedFree(p); }
void operator delete[](void* p) noexcept { CountedFree(p); }
void operator delete(void* p, size_t) noexcept { CountedFree(p); }
void operator delete[](void* p, size_t) noexcept { CountedFree(p); }
void operator delete(void* p, std::align_val_t) noexcept { CountedFree(p); }
void operator delete[](void* p, std::align_val_t) noexcept { CountedFree(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { CountedFree(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { CountedFree(p); }

#endif
