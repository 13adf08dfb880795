// Values stored in the keyspace: 16 bytes each. Strings carry the encoding Redis would report for
// them (OBJECT ENCODING int / embstr / raw) so replies match Redis byte for byte; the other types
// are an Object each.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
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
  // Starts the cache misses of looking up these members (fields) of a hashtable-encoded
  // collection, for a pipelined batch of commands on it (Dict::Prefetch). A hint: no change.
  virtual void PrefetchMembers(std::span<const std::string_view> /*members*/) const {}
};

struct Value {
  // A string's bytes live in one of two places. Outside the keyspace (a Value being built or
  // moved around) they are on the heap: [size][capacity][bytes]. Inside an Entry, Db places a
  // string's bytes in the entry's own allocation, after the key ("inline"): one allocation per
  // key, as Redis's embstr is one allocation per small value. An inline string that outgrows its
  // room (APPEND, SETRANGE, SETBIT) moves to the heap, as Redis turns embstr into raw.
  // Members: `type` and `encoding` (public, at the end for packing), and the representation.

  Value() = default;
  ~Value() { Release(); }
  Value(Value&& o) noexcept;
  Value& operator=(Value&& o) noexcept;
  Value(const Value& o);
  Value& operator=(const Value& o) {
    if (this != &o) *this = Value(o);
    return *this;
  }

  // ---- strings (type == kString)
  // An Object value (list, set, hashtable hash, skiplist zset) has no bytes: empty / 0.
  std::string_view str() const {
    if (flags_ & kInline) return {InlineData(), len_};
    if (heap_ == nullptr || (flags_ & kObject)) return {};
    return {heap_->data(), heap_->size};
  }
  size_t str_size() const {
    if (flags_ & kInline) return len_;
    return heap_ == nullptr || (flags_ & kObject) ? 0 : heap_->size;
  }
  // Bytes reserved for the string (MEMORY USAGE): inline room or heap capacity.
  size_t str_capacity() const {
    if (flags_ & kInline) return inline_.cap;
    return heap_ == nullptr || (flags_ & kObject) ? 0 : heap_->cap;
  }
  bool is_inline() const { return flags_ & kInline; }
  // Appends bytes, growing as sdsMakeRoomFor does (doubling below 1 MB, +1 MB above).
  void Append(std::string_view s);
  // Resizes to n bytes, zero-filling new ones, and returns the writable bytes.
  char* Resize(size_t n);
  // Writable bytes of the current string (size str_size()).
  char* MutableData();

  // ---- packed small aggregates (the listpack encodings of hashes and sorted sets)
  // Their bytes are stored exactly as a string's are, under the aggregate's type: inline in the
  // key's entry when it is created, else on the heap. No Object: a small hash costs its entry
  // alone, as Redis's costs a dictEntry, a robj and one listpack. storage/packed.h and the
  // types' handles (Hash, ZSet) give the bytes their meaning.
  static Value Packed(ObjType type, std::string_view bytes = {});
  bool is_packed() const { return type != ObjType::kString && !(flags_ & kObject); }
  // Replaces n bytes at pos with s. Grows to exactly the size needed, as a listpack reallocs on
  // every insert (no doubling slack); bytes that outgrow their inline room move to the heap.
  void ReplaceBytes(size_t pos, size_t n, std::string_view s);

  // ---- every other type
  Object* obj() const { return flags_ & kObject ? obj_ : nullptr; }
  template <typename T>
  T& As() {
    return static_cast<T&>(*obj_);
  }
  template <typename T>
  const T& As() const {
    return static_cast<const T&>(*obj_);
  }

  // A string value as SET stores it: "int" when the bytes are a canonical 64-bit integer of at
  // most 20 characters, "embstr" up to 44 bytes, "raw" beyond (tryObjectEncoding).
  static Value String(std::string_view s);
  static Encoding StringEncoding(std::string_view s);
  // A string value as APPEND / SETRANGE leave it: always "raw" (sdscatlen on a raw object).
  static Value RawString(std::string_view s);
  // A string value with the given OBJECT ENCODING.
  static Value StringOf(std::string_view s, Encoding enc);
  static Value Integer(int64_t v);
  // A composite value.
  static Value Of(ObjType type, Encoding encoding, std::unique_ptr<Object> obj) {
    Value v;
    v.type = type;
    v.encoding = encoding;
    v.obj_ = obj.release();
    v.flags_ = kObject;
    return v;
  }

  // For Db only: makes this Value (the last member of an Entry) an inline string (or packed
  // aggregate of `type`) of `size` bytes whose room of `cap` bytes starts `offset` bytes after
  // the Value. Returns the bytes.
  char* InitInline(uint32_t offset, uint32_t cap, std::string_view s, Encoding enc,
                   ObjType type = ObjType::kString);
  // Stores the string `s` in this Value's inline room if it fits (an entry's value being
  // overwritten: INCR, SET). Returns false, changing nothing, when it does not fit or the value
  // is not inline.
  bool AssignInline(std::string_view s, Encoding enc, ObjType type = ObjType::kString);

 private:
  struct HeapString {  // followed by `cap` bytes
    size_t size;
    size_t cap;
    char* data() { return reinterpret_cast<char*>(this + 1); }
  };
  struct InlineRoom {
    uint32_t cap;     // bytes of room
    uint32_t offset;  // from the end of this Value to the first byte
  };
  static constexpr uint8_t kInline = 1;
  static constexpr uint8_t kObject = 2;

  const char* InlineData() const {
    return reinterpret_cast<const char*>(this + 1) + inline_.offset;
  }
  char* InlineData() { return reinterpret_cast<char*>(this + 1) + inline_.offset; }
  static HeapString* NewHeap(size_t cap);
  static HeapString* CopyToHeap(std::string_view s);  // nullptr for an empty string
  // Makes the string heap-allocated with room for at least `need` bytes, keeping its content.
  void ToHeap(size_t need);
  void Release() noexcept;
  void TakeFrom(Value& o) noexcept;

  union {
    HeapString* heap_ = nullptr;
    Object* obj_;
    InlineRoom inline_;
  };
  uint32_t len_ = 0;  // inline strings only

 public:
  ObjType type = ObjType::kString;
  Encoding encoding = Encoding::kRaw;

 private:
  uint8_t flags_ = 0;
};
static_assert(sizeof(Value) == 16);

std::string_view TypeName(ObjType t);
std::string_view EncodingName(Encoding e);

// Canonical integer test of Redis's string2ll: no spaces, no '+', no leading zeros, fits int64.
bool StringToInt64(std::string_view s, int64_t& out);

}  // namespace tandem::storage
