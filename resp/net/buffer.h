// A growable byte buffer with a consumed prefix, used as a connection's read buffer: libuv reads
// into its free tail, the parser reads from data(), and consumed bytes are dropped from the front
// with one memmove per batch of commands (not one per command).
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>

namespace tandem::net {

class Buffer {
 public:
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { ::operator delete(data_); }

  const char* data() const { return data_; }
  size_t size() const { return size_; }
  size_t capacity() const { return cap_; }
  std::string_view view() const { return {data_, size_}; }
  bool empty() const { return size_ == 0; }

  // Makes room for at least `n` more bytes at the tail and returns a pointer to it.
  char* PrepareWrite(size_t n) {
    if (cap_ - size_ < n) Grow(size_ + n);
    return data_ + size_;
  }
  size_t free_space() const { return cap_ - size_; }
  void CommitWrite(size_t n) { size_ += n; }
  // Reserve total capacity exactly (a large bulk whose length the parser already knows): a
  // 512 MB value gets 512 MB plus what the caller adds for reads, not the next power of two.
  void Reserve(size_t total) {
    if (cap_ < total) Reallocate(total);
  }

  void Consume(size_t n) {
    if (n >= size_) {
      size_ = 0;
    } else {
      std::memmove(data_, data_ + n, size_ - n);
      size_ -= n;
    }
  }
  // Give memory back after a large request: idle connections should cost little.
  void ShrinkIfIdle(size_t keep) {
    if (size_ == 0 && cap_ > keep) {
      ::operator delete(data_);
      data_ = nullptr;
      cap_ = 0;
    }
  }
  void Clear() { size_ = 0; }

 private:
  void Grow(size_t min_cap) {
    size_t cap = cap_ ? cap_ : 1024;
    while (cap < min_cap) cap *= 2;
    Reallocate(cap);
  }
  void Reallocate(size_t cap) {
    // operator new rather than realloc, so the server's allocation counter (used_memory)
    // sees query buffers, as Redis counts them.
    char* p = static_cast<char*>(::operator new(cap));
    if (size_ > 0) std::memcpy(p, data_, size_);
    ::operator delete(data_);
    data_ = p;
    cap_ = cap;
  }

  char* data_ = nullptr;
  size_t size_ = 0;
  size_t cap_ = 0;
};

}  // namespace tandem::net
