#include "storage/value.h"

#include <charconv>

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

Value Value::String(std::string_view s) {
  Value v;
  v.type = ObjType::kString;
  int64_t n;
  if (s.size() <= 20 && StringToInt64(s, n)) {
    v.encoding = Encoding::kInt;
  } else if (s.size() <= kEmbstrSizeLimit) {
    v.encoding = Encoding::kEmbstr;
  } else {
    v.encoding = Encoding::kRaw;
  }
  v.str.assign(s);
  return v;
}

Value Value::RawString(std::string s) {
  Value v;
  v.type = ObjType::kString;
  v.encoding = Encoding::kRaw;
  v.str = std::move(s);
  return v;
}

Value Value::Integer(int64_t n) {
  Value v;
  v.type = ObjType::kString;
  v.encoding = Encoding::kInt;
  v.str = std::to_string(n);
  return v;
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
