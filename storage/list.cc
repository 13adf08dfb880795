#include "storage/list.h"

#include <algorithm>
#include <utility>

namespace tandem::storage {

Value ListObject::NewValue() {
  return Value::Of(ObjType::kList, Encoding::kQuicklist, std::make_unique<ListObject>());
}

std::string ListObject::PopFront() {
  std::string v(items_.front().view());
  items_.pop_front();
  return v;
}

std::string ListObject::PopBack() {
  std::string v(items_.back().view());
  items_.pop_back();
  return v;
}

namespace {
// A Redis list index (negative counts from the tail) as a position, or -1 when out of range.
int64_t Position(int64_t index, size_t size) {
  const auto n = static_cast<int64_t>(size);
  if (index < 0) index += n;
  return index < 0 || index >= n ? -1 : index;
}
}  // namespace

const ListItem* ListObject::Index(int64_t index) const {
  int64_t pos = Position(index, items_.size());
  return pos < 0 ? nullptr : &items_[static_cast<size_t>(pos)];
}

bool ListObject::Set(int64_t index, std::string_view v) {
  int64_t pos = Position(index, items_.size());
  if (pos < 0) return false;
  items_[static_cast<size_t>(pos)] = ListItem(v);
  return true;
}

void ListObject::InsertAt(size_t pos, std::string_view v) {
  items_.emplace(items_.begin() + static_cast<std::ptrdiff_t>(std::min(pos, items_.size())), v);
}

void ListObject::EraseRange(size_t pos, size_t count) {
  if (pos >= items_.size() || count == 0) return;
  count = std::min(count, items_.size() - pos);
  auto first = items_.begin() + static_cast<std::ptrdiff_t>(pos);
  items_.erase(first, first + static_cast<std::ptrdiff_t>(count));
}

std::unique_ptr<Object> ListObject::Clone() const { return std::make_unique<ListObject>(*this); }

size_t ListObject::MemoryUsage() const {
  // The deque's slots plus every element's block (its length and its bytes).
  size_t bytes = sizeof(*this) + items_.size() * (sizeof(ListItem) + sizeof(uint32_t));
  for (const ListItem& s : items_) bytes += s.size();
  return bytes;
}

void ListObject::Digest(std::array<uint8_t, 20>& digest) const {
  for (const ListItem& s : items_) MixDigest(digest, s.view());
}

}  // namespace tandem::storage
