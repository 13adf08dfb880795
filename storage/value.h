// Values stored in the keyspace. Strings carry the encoding Redis would report for them (OBJECT
// ENCODING int / embstr / raw) so replies match Redis byte for byte; other types arrive with the
// data-model issue.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
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

// A value of a composite type (list, hash, set, sorted set). Each type lives in its own file in
// storage/ and owns its encoding decisions; the server's command families reach it through
// Value::As<T>() after checking Value::type.
class Object {
 public:
  virtual ~Object() = default;
  virtual std::unique_ptr<Object> Clone() const = 0;
  // Bytes of memory this object holds (MEMORY USAGE), approximately.
  virtual size_t MemoryUsage() const = 0;
  // Mixes the content into a DEBUG DIGEST exactly as Redis's xorObjectDigest does for the type
  // (storage/digest.h has Redis's mixDigest/xorDigest).
  virtual void Digest(std::array<uint8_t, 20>& digest) const = 0;
};

struct Value {
  ObjType type = ObjType::kString;
  Encoding encoding = Encoding::kRaw;
  std::string str;              // kString
  std::unique_ptr<Object> obj;  // every other type

  Value() = default;
  Value(Value&&) noexcept = default;
  Value& operator=(Value&&) noexcept = default;
  Value(const Value& o)
      : type(o.type), encoding(o.encoding), str(o.str), obj(o.obj ? o.obj->Clone() : nullptr) {}
  Value& operator=(const Value& o) {
    if (this != &o) *this = Value(o);
    return *this;
  }

  template <typename T>
  T& As() {
    return static_cast<T&>(*obj);
  }
  template <typename T>
  const T& As() const {
    return static_cast<const T&>(*obj);
  }

  // A string value as SET stores it: "int" when the bytes are a canonical 64-bit integer of at
  // most 20 characters, "embstr" up to 44 bytes, "raw" beyond (tryObjectEncoding).
  static Value String(std::string_view s);
  // A string value as APPEND / SETRANGE leave it: always "raw" (sdscatlen on a raw object).
  static Value RawString(std::string s);
  static Value Integer(int64_t v);
  // A composite value.
  static Value Of(ObjType type, Encoding encoding, std::unique_ptr<Object> obj) {
    Value v;
    v.type = type;
    v.encoding = encoding;
    v.obj = std::move(obj);
    return v;
  }
};

std::string_view TypeName(ObjType t);
std::string_view EncodingName(Encoding e);

// Canonical integer test of Redis's string2ll: no spaces, no '+', no leading zeros, fits int64.
bool StringToInt64(std::string_view s, int64_t& out);

}  // namespace tandem::storage
