// Length prefixes of the packed small encodings (hash and sorted-set listpacks): a string's length
// as a little-endian base-128 varint (one byte below 128), followed by its bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tandem::storage::packed {

// The bytes of a packed encoding: one pointer, to an allocation of [size][capacity][bytes] sized
// exactly (no doubling slack), reallocated on every growth as a listpack is. 8 bytes in its
// object instead of std::string's 32, and 8 bytes of header instead of a heap string's none but
// a separate 32-byte handle. Like a listpack it holds at most 4 GB.
class Buffer {
 public:
  Buffer() = default;
  ~Buffer() { ::operator delete(rep_); }
  Buffer(const Buffer& o) { Replace(0, 0, o.view()); }
  Buffer& operator=(const Buffer& o) {
    if (this != &o) {
      Buffer copy(o);
      Swap(copy);
    }
    return *this;
  }
  Buffer(Buffer&& o) noexcept : rep_(o.rep_) { o.rep_ = nullptr; }
  Buffer& operator=(Buffer&& o) noexcept {
    Swap(o);
    return *this;
  }
  void Swap(Buffer& o) noexcept { std::swap(rep_, o.rep_); }

  size_t size() const { return rep_ == nullptr ? 0 : rep_->size; }
  // Bytes allocated for the buffer, header included (MEMORY USAGE).
  size_t allocated() const { return rep_ == nullptr ? 0 : sizeof(Rep) + rep_->cap; }
  std::string_view view() const {
    return rep_ == nullptr ? std::string_view() : std::string_view(rep_->bytes(), rep_->size);
  }
  operator std::string_view() const { return view(); }  // NOLINT: a buffer reads as its bytes

  // Replaces n bytes at pos with s: in place when it fits, else into one exact new allocation.
  void Replace(size_t pos, size_t n, std::string_view s) {
    const size_t old = size();
    const size_t want = old - n + s.size();
    if (want > UINT32_MAX) throw std::length_error("packed buffer over 4 GB");
    if (rep_ != nullptr && want <= rep_->cap) {
      char* b = rep_->bytes();
      std::memmove(b + pos + s.size(), b + pos + n, old - pos - n);
      if (!s.empty()) std::memcpy(b + pos, s.data(), s.size());
      rep_->size = static_cast<uint32_t>(want);
      return;
    }
    auto* r = static_cast<Rep*>(::operator new(sizeof(Rep) + want));
    r->size = static_cast<uint32_t>(want);
    r->cap = static_cast<uint32_t>(want);
    char* b = r->bytes();
    if (pos > 0) std::memcpy(b, rep_->bytes(), pos);
    if (!s.empty()) std::memcpy(b + pos, s.data(), s.size());
    if (old > pos + n) std::memcpy(b + pos + s.size(), rep_->bytes() + pos + n, old - pos - n);
    ::operator delete(rep_);
    rep_ = r;
  }
  void Append(std::string_view s) { Replace(size(), 0, s); }
  void Erase(size_t pos, size_t n) { Replace(pos, n, {}); }
  void Clear() {
    ::operator delete(rep_);
    rep_ = nullptr;
  }

 private:
  struct Rep {
    uint32_t size;
    uint32_t cap;
    char* bytes() { return reinterpret_cast<char*>(this + 1); }
  };
  Rep* rep_ = nullptr;
};

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
