#include "storage/set.h"

#include "storage/digest.h"

namespace tandem::storage {

namespace {
// intset's own cap, whatever set-max-intset-entries says (setTypeAdd limits to 1G entries).
constexpr size_t kIntsetHardLimit = size_t{1} << 30;
}  // namespace

SetObject::~SetObject() {
  dict_.Clear([](Node* n) { delete n; });
}

std::unique_ptr<SetObject> SetObject::CreateFor(std::string_view first) {
  auto s = std::make_unique<SetObject>();
  int64_t v = 0;
  if (!StringToInt64(first, v)) s->intset_ = false;
  return s;
}

void SetObject::InsertNode(std::string_view member) {
  auto* n = new Node;
  n->member.assign(member);
  dict_.Insert(n);
}

bool SetObject::Add(std::string_view member, size_t max_intset_entries) {
  if (intset_) {
    int64_t v = 0;
    if (StringToInt64(member, v)) {
      auto it = std::lower_bound(ints_.begin(), ints_.end(), v);
      if (it != ints_.end() && *it == v) return false;
      ints_.insert(it, v);
      if (ints_.size() > std::min(max_intset_entries, kIntsetHardLimit)) ConvertToHashtable();
      return true;
    }
    ConvertToHashtable();
  }
  if (dict_.Find(member) != nullptr) return false;
  InsertNode(member);
  return true;
}

bool SetObject::Remove(std::string_view member) {
  if (intset_) {
    int64_t v = 0;
    if (!StringToInt64(member, v)) return false;
    auto it = std::lower_bound(ints_.begin(), ints_.end(), v);
    if (it == ints_.end() || *it != v) return false;
    ints_.erase(it);
    return true;
  }
  Node* n = dict_.Erase(member);
  if (n == nullptr) return false;
  delete n;
  dict_.ShrinkIfSparse();  // setTypeRemove: resize after every delete (htNeedsResize)
  return true;
}

bool SetObject::Contains(std::string_view member) const {
  if (intset_) {
    int64_t v = 0;
    if (!StringToInt64(member, v)) return false;
    return std::binary_search(ints_.begin(), ints_.end(), v);
  }
  return dict_.Find(member) != nullptr;
}

void SetObject::ConvertToHashtable() {
  if (!intset_) return;
  intset_ = false;
  for (int64_t v : ints_) InsertNode(std::to_string(v));
  ints_.clear();
  ints_.shrink_to_fit();
}

std::string SetObject::Random(std::mt19937_64& rng) {
  if (intset_) return std::to_string(ints_[static_cast<size_t>(rng()) % ints_.size()]);
  return dict_.Random(rng)->member;
}

std::unique_ptr<Object> SetObject::Clone() const {
  auto s = std::make_unique<SetObject>();
  s->intset_ = intset_;
  s->ints_ = ints_;
  if (!intset_) ForEach([&](std::string_view m) { s->InsertNode(m); });
  return s;
}

size_t SetObject::MemoryUsage() const {
  size_t n = sizeof(SetObject);
  if (intset_) return n + 8 + ints_.size() * sizeof(int64_t);
  n += dict_.MemoryOverhead();
  ForEach([&](std::string_view m) { n += sizeof(Node) + m.size(); });
  return n;
}

void SetObject::Digest(std::array<uint8_t, 20>& digest) const {
  ForEach([&](std::string_view m) { XorDigest(digest, m.data(), m.size()); });
}

}  // namespace tandem::storage
