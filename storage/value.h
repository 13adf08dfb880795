// Values stored in the keyspace. Strings carry the encoding Redis would report for them (OBJECT
// ENCODING int / embstr / raw) so replies match Redis byte for byte; other types arrive with the
// data-model issue.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tandem::storage {

enum class ObjType : uint8_t { kString, kList, kSet, kZSet, kHash, kStream };
enum class Encoding : uint8_t {
  kRaw,
  kInt,
  kEmbstr,
  kHashtable,
  kQuicklist,
  kListpack,
  kIntset,
  kSkiplist
};

inline constexpr size_t kEmbstrSizeLimit = 44;  // OBJ_ENCODING_EMBSTR_SIZE_LIMIT

struct Value {
  ObjType type = ObjType::kString;
  Encoding encoding = Encoding::kRaw;
  std::string str;

  // A string value as SET stores it: "int" when the bytes are a canonical 64-bit integer of at
  // most 20 characters, "embstr" up to 44 bytes, "raw" beyond (tryObjectEncoding).
  static Value String(std::string_view s);
  // A string value as APPEND / SETRANGE leave it: always "raw" (sdscatlen on a raw object).
  static Value RawString(std::string s);
  static Value Integer(int64_t v);
};

std::string_view TypeName(ObjType t);
std::string_view EncodingName(Encoding e);

// Canonical integer test of Redis's string2ll: no spaces, no '+', no leading zeros, fits int64.
bool StringToInt64(std::string_view s, int64_t& out);

}  // namespace tandem::storage
