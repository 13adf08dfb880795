#include "storage/hash.h"

#include "storage/digest.h"

namespace tandem::storage {

HashObject::~HashObject() {
  dict_.Clear([](Node* n) { delete n; });
}

Value HashObject::NewValue() {
  return Value::Of(ObjType::kHash, Encoding::kListpack, std::make_unique<HashObject>());
}

const std::string* HashObject::Get(std::string_view field) const {
  if (listpack_) {
    for (const auto& [f, v] : pairs_) {
      if (f == field) return &v;
    }
    return nullptr;
  }
  Node* n = dict_.Find(field);
  return n != nullptr ? &n->value : nullptr;
}

void HashObject::InsertNode(std::string_view field, std::string_view value) {
  auto* n = new Node;
  n->field.assign(field);
  n->value.assign(value);
  dict_.Insert(n);
}

bool HashObject::Set(std::string_view field, std::string_view value, const HashLimits& limits) {
  // A field or value too long for a listpack converts before the insert (the HINCRBY* path;
  // other writers already called TryConversion).
  if (listpack_ &&
      (field.size() > limits.max_listpack_value || value.size() > limits.max_listpack_value)) {
    ConvertToHashtable();
  }
  if (listpack_) {
    for (auto& [f, v] : pairs_) {
      if (f == field) {
        v.assign(value);
        return false;
      }
    }
    pairs_.emplace_back(std::string(field), std::string(value));
    if (pairs_.size() > limits.max_listpack_entries) ConvertToHashtable();
    return true;
  }
  if (Node* n = dict_.Find(field)) {
    n->value.assign(value);
    return false;
  }
  InsertNode(field, value);
  return true;
}

bool HashObject::Delete(std::string_view field) {
  if (listpack_) {
    for (auto it = pairs_.begin(); it != pairs_.end(); ++it) {
      if (it->first == field) {
        pairs_.erase(it);
        return true;
      }
    }
    return false;
  }
  Node* n = dict_.Erase(field);
  if (n == nullptr) return false;
  delete n;
  dict_.ShrinkIfSparse();  // hashTypeDelete: resize after every delete (htNeedsResize)
  return true;
}

void HashObject::ConvertToHashtable() {
  if (!listpack_) return;
  listpack_ = false;
  for (auto& [f, v] : pairs_) InsertNode(f, v);
  pairs_.clear();
  pairs_.shrink_to_fit();
}

std::pair<std::string_view, std::string_view> HashObject::Random(std::mt19937_64& rng) {
  if (listpack_) {
    const auto& p = pairs_[static_cast<size_t>(rng()) % pairs_.size()];
    return {p.first, p.second};
  }
  Node* n = dict_.Random(rng);
  return {n->field, n->value};
}

std::unique_ptr<Object> HashObject::Clone() const {
  auto h = std::make_unique<HashObject>();
  h->listpack_ = listpack_;
  h->pairs_ = pairs_;
  if (!listpack_) ForEach([&](std::string_view f, std::string_view v) { h->InsertNode(f, v); });
  return h;
}

size_t HashObject::MemoryUsage() const {
  size_t n = sizeof(HashObject);
  if (listpack_) {
    // A listpack entry costs its bytes plus a couple of header bytes each.
    n += 7;
    for (const auto& [f, v] : pairs_) n += f.size() + v.size() + 4;
    return n;
  }
  n += dict_.MemoryOverhead();
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
