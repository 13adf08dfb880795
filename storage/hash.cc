#include "storage/hash.h"

#include "storage/digest.h"

namespace tandem::storage {

namespace {

void AppendString(std::string& buf, std::string_view s) {
  packed::AppendLength(buf, s.size());
  buf.append(s);
}

void DigestPair(std::array<uint8_t, 20>& digest, std::string_view f, std::string_view v) {
  DigestBytes ele{};
  MixDigest(ele, f);
  MixDigest(ele, v);
  XorDigest(digest, ele.data(), ele.size());
}

}  // namespace

// ---- HashTable

HashTable::~HashTable() {
  dict.Clear([](Node* n) { delete n; });
}

void HashTable::Insert(std::string_view field, std::string_view value) {
  auto* n = new Node;
  n->field.assign(field);
  n->value.assign(value);
  dict.Insert(n);
}

std::unique_ptr<Object> HashTable::Clone() const {
  auto h = std::make_unique<HashTable>();
  dict.ForEach([&](Node* n) { h->Insert(n->field, n->value); });
  return h;
}

size_t HashTable::MemoryUsage() const {
  size_t n = sizeof(HashTable) + dict.MemoryOverhead();
  dict.ForEach([&](Node* node) { n += sizeof(Node) + node->field.size() + node->value.size(); });
  return n;
}

void HashTable::Digest(std::array<uint8_t, 20>& digest) const {
  dict.ForEach([&](Node* n) { DigestPair(digest, n->field, n->value); });
}

// ---- HashView

size_t HashView::size() const {
  if (!v_->is_packed()) return table().dict.size();
  const std::string_view buf = v_->str();
  const uint16_t count = packed::HeaderCount(buf);
  if (count != packed::kCountUnknown) return count;
  size_t n = 0;
  ForEach([&](std::string_view, std::string_view) { ++n; });
  return n;
}

bool HashView::FindPacked(std::string_view field, size_t& at, size_t& value_at, size_t& end) const {
  const std::string_view buf = v_->str();
  size_t pos = packed::kHeader;
  while (pos < buf.size()) {
    at = pos;
    std::string_view f = packed::NextString(buf, pos);
    value_at = pos;
    packed::NextString(buf, pos);
    if (f == field) {
      end = pos;
      return true;
    }
  }
  return false;
}

std::pair<std::string_view, std::string_view> HashView::ListpackAt(size_t i) const {
  const std::string_view buf = v_->str();
  size_t pos = packed::kHeader;
  for (size_t k = 0; k < 2 * i; ++k) packed::NextString(buf, pos);
  std::string_view f = packed::NextString(buf, pos);
  std::string_view v = packed::NextString(buf, pos);
  return {f, v};
}

std::optional<std::string_view> HashView::Get(std::string_view field) const {
  if (v_->is_packed()) {
    size_t at = 0, value_at = 0, end = 0;
    if (!FindPacked(field, at, value_at, end)) return std::nullopt;
    return packed::NextString(v_->str(), value_at);
  }
  HashTable::Node* n = table().dict.Find(field);
  if (n == nullptr) return std::nullopt;
  return std::string_view(n->value);
}

std::pair<std::string_view, std::string_view> HashView::Random(std::mt19937_64& rng) const {
  if (v_->is_packed()) return ListpackAt(static_cast<size_t>(rng()) % size());
  HashTable::Node* n = table().dict.Random(rng);
  return {n->field, n->value};
}

void HashView::Digest(std::array<uint8_t, 20>& digest) const {
  ForEach([&](std::string_view f, std::string_view v) { DigestPair(digest, f, v); });
}

// ---- Hash

void Hash::SetCount(size_t count) { packed::StoreCount(mut().MutableData(), count); }

bool Hash::Set(std::string_view field, std::string_view value, const HashLimits& limits) {
  // A field or value too long for a listpack converts before the insert (the HINCRBY* path;
  // other writers already called TryConversion).
  if (mut().is_packed() &&
      (field.size() > limits.max_listpack_value || value.size() > limits.max_listpack_value)) {
    ConvertToHashtable();
  }
  if (mut().is_packed()) {
    size_t at = 0, value_at = 0, end = 0;
    if (FindPacked(field, at, value_at, end)) {
      std::string packed;
      AppendString(packed, value);
      mut().ReplaceBytes(value_at, end - value_at, packed);
      return false;
    }
    std::string entry;
    entry.reserve(field.size() + value.size() + 10);
    AppendString(entry, field);
    AppendString(entry, value);
    const size_t count = size() + 1;
    mut().ReplaceBytes(mut().str_size(), 0, entry);
    SetCount(count);
    if (count > limits.max_listpack_entries) ConvertToHashtable();
    return true;
  }
  if (HashTable::Node* n = table().dict.Find(field)) {
    n->value.assign(value);
    return false;
  }
  table().Insert(field, value);
  return true;
}

bool Hash::Delete(std::string_view field) {
  if (mut().is_packed()) {
    size_t at = 0, value_at = 0, end = 0;
    if (!FindPacked(field, at, value_at, end)) return false;
    const size_t count = size() - 1;
    mut().ReplaceBytes(at, end - at, {});
    SetCount(count);
    return true;
  }
  HashTable::Node* n = table().dict.Erase(field);
  if (n == nullptr) return false;
  delete n;
  table().dict.ShrinkIfSparse();  // hashTypeDelete: resize after every delete (htNeedsResize)
  return true;
}

void Hash::ConvertToHashtable() {
  if (!mut().is_packed()) return;
  auto t = std::make_unique<HashTable>();
  ForEach([&](std::string_view f, std::string_view v) { t->Insert(f, v); });
  mut() = Value::Of(ObjType::kHash, Encoding::kHashtable, std::move(t));
}

}  // namespace tandem::storage
