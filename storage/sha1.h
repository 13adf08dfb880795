// SHA-1 (FIPS 180-4), for DEBUG DIGEST, which must produce the digests Redis produces.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tandem::storage {

class Sha1 {
 public:
  using Digest = std::array<uint8_t, 20>;
  Sha1();
  void Update(const void* data, size_t len);
  Digest Final();
  static Digest Of(std::string_view data);

 private:
  void Block(const uint8_t* p);
  uint32_t h_[5];
  uint8_t buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

}  // namespace tandem::storage
