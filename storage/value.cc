#include "storage/value.h"

#include <charconv>
#include <cstring>

namespace tandem::storage {

bool StringToInt64(std::string_view s, int64_t& out) {
  if (s.empty() || s.size() > 20) return false;
  if (s.size() == 1 && s[0] == '0') {
    out = 0;
    return true;
  }
  size_t i = s[0] == '-' ? 1 : 0;
  if (i >= s.size() || s[i] < '1' || s[i] > '9') return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

Encoding Value::StringEncoding(std::string_view s) {
  int64_t n;
  if (s.size() <= 20 && StringToInt64(s, n)) return Encoding::kInt;
  return s.size() <= kEmbstrSizeLimit ? Encoding::kEmbstr : Encoding::kRaw;
}

Value::HeapString* Value::NewHeap(size_t cap) {
  auto* h = static_cast<HeapString*>(::operator new(sizeof(HeapString) + cap));
  h->size = 0;
  h->cap = cap;
  return h;
}

Value::HeapString* Value::CopyToHeap(std::string_view s) {
  if (s.empty()) return nullptr;
  HeapString* h = NewHeap(s.size());
  std::memcpy(h->data(), s.data(), s.size());
  h->size = s.size();
  return h;
}

Value Value::StringOf(std::string_view s, Encoding enc) {
  Value v;
  v.type = ObjType::kString;
  v.encoding = enc;
  v.heap_ = CopyToHeap(s);
  return v;
}

Value Value::RawString(std::string_view s) { return StringOf(s, Encoding::kRaw); }

Value Value::String(std::string_view s) { return StringOf(s, StringEncoding(s)); }

Value Value::Integer(int64_t n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), n);
  return StringOf(std::string_view(buf, static_cast<size_t>(end - buf)), Encoding::kInt);
}

Value Value::Packed(ObjType type, std::string_view bytes) {
  Value v = StringOf(bytes, Encoding::kListpack);
  v.type = type;
  return v;
}

void Value::ReplaceBytes(size_t pos, size_t n, std::string_view s) {
  if (n == 0 && s.empty()) return;
  const size_t old = str_size();
  const size_t want = old - n + s.size();
  if (want <= str_capacity()) {
    char* b = MutableData();
    std::memmove(b + pos + s.size(), b + pos + n, old - pos - n);
    if (!s.empty()) std::memcpy(b + pos, s.data(), s.size());
    if (flags_ & kInline) {
      len_ = static_cast<uint32_t>(want);
    } else {
      heap_->size = want;
    }
    return;
  }
  HeapString* h = NewHeap(want);
  const char* b = str().data();
  if (pos > 0) std::memcpy(h->data(), b, pos);
  if (!s.empty()) std::memcpy(h->data() + pos, s.data(), s.size());
  if (old > pos + n) std::memcpy(h->data() + pos + s.size(), b + pos + n, old - pos - n);
  h->size = want;
  if (!(flags_ & kInline) && heap_ != nullptr) ::operator delete(heap_);
  heap_ = h;
  flags_ = 0;
  len_ = 0;
}

void Value::Release() noexcept {
  if (flags_ & kObject) {
    delete obj_;
  } else if (!(flags_ & kInline) && heap_ != nullptr) {
    ::operator delete(heap_);
  }
  heap_ = nullptr;
  len_ = 0;
  flags_ = 0;
}

void Value::TakeFrom(Value& o) noexcept {
  type = o.type;
  encoding = o.encoding;
  if (o.flags_ & kInline) {
    // The bytes belong to the other value's entry: copy them out.
    flags_ = 0;
    heap_ = CopyToHeap(o.str());
    return;
  }
  flags_ = o.flags_;
  heap_ = o.heap_;  // or obj_: the same bits
  o.heap_ = nullptr;
  o.flags_ = 0;
  o.len_ = 0;
  o.type = ObjType::kString;
  o.encoding = Encoding::kRaw;
}

Value::Value(Value&& o) noexcept { TakeFrom(o); }

Value::Value(const Value& o) : type(o.type), encoding(o.encoding) {
  if (o.flags_ & kObject) {
    obj_ = o.obj_ != nullptr ? o.obj_->Clone().release() : nullptr;
    flags_ = kObject;
  } else {
    heap_ = CopyToHeap(o.str());
  }
}

Value& Value::operator=(Value&& o) noexcept {
  if (this == &o) return *this;
  // An inline string keeps its room when the new string fits in it (SET over an existing key,
  // INCR): no allocation, and the entry stays one allocation.
  if (!(o.flags_ & kObject) && AssignInline(o.str(), o.encoding, o.type)) {
    o.Release();
    o.type = ObjType::kString;
    o.encoding = Encoding::kRaw;
    return *this;
  }
  Release();
  TakeFrom(o);
  return *this;
}

char* Value::InitInline(uint32_t offset, uint32_t cap, std::string_view s, Encoding enc,
                        ObjType t) {
  Release();
  type = t;
  encoding = enc;
  flags_ = kInline;
  inline_.cap = cap;
  inline_.offset = offset;
  len_ = static_cast<uint32_t>(s.size());
  if (!s.empty()) std::memcpy(InlineData(), s.data(), s.size());
  return InlineData();
}

bool Value::AssignInline(std::string_view s, Encoding enc, ObjType t) {
  if (!(flags_ & kInline) || s.size() > inline_.cap) return false;
  type = t;
  encoding = enc;
  len_ = static_cast<uint32_t>(s.size());
  if (!s.empty()) std::memmove(InlineData(), s.data(), s.size());
  return true;
}

void Value::ToHeap(size_t need) {
  std::string_view cur = str();
  // sdsMakeRoomFor's greedy growth.
  constexpr size_t kMaxPrealloc = 1024 * 1024;
  size_t cap = need < kMaxPrealloc ? need * 2 : need + kMaxPrealloc;
  HeapString* h = NewHeap(cap);
  if (!cur.empty()) std::memcpy(h->data(), cur.data(), cur.size());
  h->size = cur.size();
  if (!(flags_ & kInline) && heap_ != nullptr) ::operator delete(heap_);
  heap_ = h;
  flags_ = 0;
  len_ = 0;
}

char* Value::MutableData() {
  if (flags_ & kInline) return InlineData();
  return heap_ == nullptr ? nullptr : heap_->data();
}

void Value::Append(std::string_view s) {
  size_t old = str_size();
  char* p = Resize(old + s.size());
  if (!s.empty()) std::memcpy(p + old, s.data(), s.size());
}

char* Value::Resize(size_t n) {
  size_t old = str_size();
  if (flags_ & kInline) {
    if (n <= inline_.cap) {
      if (n > old) std::memset(InlineData() + old, 0, n - old);
      len_ = static_cast<uint32_t>(n);
      return InlineData();
    }
    ToHeap(n);
  } else if (heap_ == nullptr || n > heap_->cap) {
    ToHeap(n);
  }
  if (n > old) std::memset(heap_->data() + old, 0, n - old);
  heap_->size = n;
  return heap_->data();
}

std::string_view TypeName(ObjType t) {
  switch (t) {
    case ObjType::kString:
      return "string";
    case ObjType::kList:
      return "list";
    case ObjType::kSet:
      return "set";
    case ObjType::kZSet:
      return "zset";
    case ObjType::kHash:
      return "hash";
    case ObjType::kStream:
      return "stream";
  }
  return "none";
}

std::string_view EncodingName(Encoding e) {
  switch (e) {
    case Encoding::kRaw:
      return "raw";
    case Encoding::kInt:
      return "int";
    case Encoding::kEmbstr:
      return "embstr";
    case Encoding::kHashtable:
      return "hashtable";
    case Encoding::kQuicklist:
      return "quicklist";
    case Encoding::kListpack:
      return "listpack";
    case Encoding::kIntset:
      return "intset";
    case Encoding::kSkiplist:
      return "skiplist";
  }
  return "unknown";
}

}  // namespace tandem::storage
