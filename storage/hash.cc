#include "storage/hash.h"

#include "storage/digest.h"
#include "storage/packed.h"

namespace tandem::storage {

HashObject::~HashObject() {
  if (dict_) dict_->Clear([](Node* n) { delete n; });
}

std::string_view HashObject::NextString(std::string_view buf, size_t& pos) {
  return packed::NextString(buf, pos);
}

void HashObject::AppendString(std::string& buf, std::string_view s) {
  packed::AppendLength(buf, s.size());
  buf.append(s);
}

bool HashObject::FindPacked(std::string_view field, size_t& at, size_t& value_at,
                            size_t& end) const {
  size_t pos = 0;
  for (uint32_t i = 0; i < lp_count_; ++i) {
    at = pos;
    std::string_view f = NextString(lp_, pos);
    value_at = pos;
    NextString(lp_, pos);
    if (f == field) {
      end = pos;
      return true;
    }
  }
  return false;
}

std::pair<std::string_view, std::string_view> HashObject::ListpackAt(size_t i) const {
  size_t pos = 0;
  for (size_t k = 0; k < 2 * i; ++k) NextString(lp_, pos);
  std::string_view f = NextString(lp_, pos);
  std::string_view v = NextString(lp_, pos);
  return {f, v};
}

Value HashObject::NewValue() {
  return Value::Of(ObjType::kHash, Encoding::kListpack, std::make_unique<HashObject>());
}

std::optional<std::string_view> HashObject::Get(std::string_view field) const {
  if (listpack_) {
    size_t at = 0, value_at = 0, end = 0;
    if (!FindPacked(field, at, value_at, end)) return std::nullopt;
    size_t pos = value_at;
    return NextString(lp_, pos);
  }
  Node* n = dict_->Find(field);
  if (n == nullptr) return std::nullopt;
  return std::string_view(n->value);
}

void HashObject::InsertNode(std::string_view field, std::string_view value) {
  auto* n = new Node;
  n->field.assign(field);
  n->value.assign(value);
  dict_->Insert(n);
}

bool HashObject::Set(std::string_view field, std::string_view value, const HashLimits& limits) {
  // A field or value too long for a listpack converts before the insert (the HINCRBY* path;
  // other writers already called TryConversion).
  if (listpack_ &&
      (field.size() > limits.max_listpack_value || value.size() > limits.max_listpack_value)) {
    ConvertToHashtable();
  }
  if (listpack_) {
    size_t at = 0, value_at = 0, end = 0;
    if (FindPacked(field, at, value_at, end)) {
      std::string packed;
      AppendString(packed, value);
      lp_.Replace(value_at, end - value_at, packed);
      return false;
    }
    // One exact allocation per insert, as a listpack reallocs: no doubling slack.
    std::string entry;
    entry.reserve(field.size() + value.size() + 2 * sizeof(size_t));
    AppendString(entry, field);
    AppendString(entry, value);
    lp_.Append(entry);
    ++lp_count_;
    if (lp_count_ > limits.max_listpack_entries) ConvertToHashtable();
    return true;
  }
  if (Node* n = dict_->Find(field)) {
    n->value.assign(value);
    return false;
  }
  InsertNode(field, value);
  return true;
}

bool HashObject::Delete(std::string_view field) {
  if (listpack_) {
    size_t at = 0, value_at = 0, end = 0;
    if (!FindPacked(field, at, value_at, end)) return false;
    lp_.Erase(at, end - at);
    --lp_count_;
    return true;
  }
  Node* n = dict_->Erase(field);
  if (n == nullptr) return false;
  delete n;
  dict_->ShrinkIfSparse();  // hashTypeDelete: resize after every delete (htNeedsResize)
  return true;
}

void HashObject::ConvertToHashtable() {
  if (!listpack_) return;
  dict_ = std::make_unique<NodeDict>();
  ForEach([&](std::string_view f, std::string_view v) { InsertNode(f, v); });
  listpack_ = false;
  lp_.Clear();
  lp_count_ = 0;
}

std::pair<std::string_view, std::string_view> HashObject::Random(std::mt19937_64& rng) {
  if (listpack_) return ListpackAt(static_cast<size_t>(rng()) % lp_count_);
  Node* n = dict_->Random(rng);
  return {n->field, n->value};
}

std::unique_ptr<Object> HashObject::Clone() const {
  auto h = std::make_unique<HashObject>();
  h->listpack_ = listpack_;
  h->lp_ = lp_;
  h->lp_count_ = lp_count_;
  if (!listpack_) {
    h->dict_ = std::make_unique<NodeDict>();
    ForEach([&](std::string_view f, std::string_view v) { h->InsertNode(f, v); });
  }
  return h;
}

size_t HashObject::MemoryUsage() const {
  size_t n = sizeof(HashObject);
  if (listpack_) return n + lp_.allocated();
  n += sizeof(NodeDict) + dict_->MemoryOverhead();
  ForEach([&](std::string_view f, std::string_view v) { n += sizeof(Node) + f.size() + v.size(); });
  return n;
}

void HashObject::Digest(std::array<uint8_t, 20>& digest) const {
  ForEach([&](std::string_view f, std::string_view v) {
    DigestBytes ele{};
    MixDigest(ele, f);
    MixDigest(ele, v);
    XorDigest(digest, ele.data(), ele.size());
  });
}

}  // namespace tandem::storage
