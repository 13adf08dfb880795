#include "storage/digest.h"

#include "storage/hash.h"
#include "storage/sha1.h"
#include "storage/value.h"
#include "storage/zset.h"

namespace tandem::storage {

void XorDigest(DigestBytes& digest, const void* data, size_t len) {
  Sha1 s;
  s.Update(data, len);
  DigestBytes h = s.Final();
  for (size_t i = 0; i < digest.size(); ++i) digest[i] ^= h[i];
}

void MixDigest(DigestBytes& digest, const void* data, size_t len) {
  XorDigest(digest, data, len);
  Sha1 s;
  s.Update(digest.data(), digest.size());
  digest = s.Final();
}

uint32_t RedisTypeCode(uint8_t obj_type) {
  switch (static_cast<ObjType>(obj_type)) {
    case ObjType::kString:
      return 0;
    case ObjType::kList:
      return 1;
    case ObjType::kSet:
      return 2;
    case ObjType::kZSet:
      return 3;
    case ObjType::kHash:
      return 4;
    case ObjType::kStream:
      return 6;
  }
  return 0;
}

std::string HexDigest(const DigestBytes& d) {
  static const char* kHex = "0123456789abcdef";
  std::string s;
  for (uint8_t b : d) {
    s += kHex[b >> 4];
    s += kHex[b & 15];
  }
  return s;
}

void DigestAggregate(const Value& v, DigestBytes& digest) {
  if (v.is_packed() && v.type == ObjType::kHash) {
    HashView(v).Digest(digest);
  } else if (v.is_packed() && v.type == ObjType::kZSet) {
    ZSet::Read(v).Digest(digest);
  } else {
    v.obj()->Digest(digest);
  }
}

}  // namespace tandem::storage
