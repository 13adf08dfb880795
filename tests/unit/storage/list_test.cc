#include "storage/list.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "storage/digest.h"

using tandem::storage::DigestBytes;
using tandem::storage::Encoding;
using tandem::storage::HexDigest;
using tandem::storage::ListObject;
using tandem::storage::MixDigest;
using tandem::storage::ObjType;
using tandem::storage::Value;

namespace {
std::vector<std::string> Elements(const ListObject& l) {
  std::vector<std::string> out;
  for (const auto& item : l.items()) out.emplace_back(item.view());
  return out;
}
}  // namespace

TEST_CASE("list: a new list value is an empty quicklist") {
  Value v = ListObject::NewValue();
  CHECK(v.type == ObjType::kList);
  CHECK(v.encoding == Encoding::kQuicklist);
  CHECK(v.As<ListObject>().empty());
}

TEST_CASE("list: push and pop at both ends") {
  ListObject l;
  l.PushBack("b");
  l.PushBack("c");
  l.PushFront("a");
  CHECK(Elements(l) == std::vector<std::string>{"a", "b", "c"});
  CHECK(l.PopFront() == "a");
  CHECK(l.PopBack() == "c");
  CHECK(l.size() == 1);
  CHECK(l.PopBack() == "b");
  CHECK(l.empty());
}

TEST_CASE("list: index follows Redis semantics, negative from the tail") {
  ListObject l;
  for (const char* s : {"x", "y", "z"}) l.PushBack(s);
  REQUIRE(l.Index(0) != nullptr);
  CHECK(*l.Index(0) == "x");
  CHECK(*l.Index(-1) == "z");
  CHECK(*l.Index(-3) == "x");
  CHECK(l.Index(3) == nullptr);
  CHECK(l.Index(-4) == nullptr);
  CHECK(l.Index(INT64_MIN) == nullptr);
  CHECK(l.Index(INT64_MAX) == nullptr);
  CHECK(l.Set(-2, "Y"));
  CHECK_FALSE(l.Set(5, "nope"));
  CHECK(Elements(l) == std::vector<std::string>{"x", "Y", "z"});
}

TEST_CASE("list: insert and erase ranges are clamped to the list") {
  ListObject l;
  l.PushBack("a");
  l.PushBack("c");
  l.InsertAt(1, "b");
  l.InsertAt(99, "d");
  l.InsertAt(0, "_");
  CHECK(Elements(l) == std::vector<std::string>{"_", "a", "b", "c", "d"});
  l.EraseRange(0, 1);
  l.EraseRange(3, 10);
  CHECK(Elements(l) == std::vector<std::string>{"a", "b", "c"});
  l.EraseRange(7, 1);
  l.EraseRange(1, 0);
  CHECK(l.size() == 3);
}

TEST_CASE("list: clone is deep and a copied Value owns its own list") {
  Value v = ListObject::NewValue();
  v.As<ListObject>().PushBack("one");
  Value copy = v;
  copy.As<ListObject>().PushBack("two");
  CHECK(v.As<ListObject>().size() == 1);
  CHECK(copy.As<ListObject>().size() == 2);
  CHECK(copy.encoding == Encoding::kQuicklist);
}

TEST_CASE("list: memory usage grows with the elements") {
  ListObject l;
  size_t empty = l.MemoryUsage();
  l.PushBack(std::string(1000, 'x'));
  CHECK(l.MemoryUsage() >= empty + 1000);
}

TEST_CASE("list: digest mixes every element head to tail, as debug.c does") {
  ListObject l;
  for (const char* s : {"a", "12345", ""}) l.PushBack(s);
  DigestBytes got{};
  l.Digest(got);
  DigestBytes want{};
  MixDigest(want, "a");
  MixDigest(want, "12345");
  MixDigest(want, "");
  CHECK(HexDigest(got) == HexDigest(want));

  // Order matters: the reversed list digests differently.
  ListObject r;
  for (const char* s : {"", "12345", "a"}) r.PushBack(s);
  DigestBytes other{};
  r.Digest(other);
  CHECK(HexDigest(other) != HexDigest(got));

  // An empty list leaves the digest untouched.
  ListObject e;
  DigestBytes zero{};
  e.Digest(zero);
  CHECK(HexDigest(zero) == std::string(40, '0'));
}

TEST_CASE("list: an element keeps any bytes, empty and binary, through copies and moves") {
  using tandem::storage::ListItem;
  const std::string binary("a\0b\r\n\xff", 6);
  ListItem empty("");
  ListItem bin(binary);
  CHECK(empty.view().empty());
  CHECK(empty == "");
  CHECK(bin.view() == binary);
  CHECK(bin.size() == 6);
  ListItem copy(bin);
  ListItem moved(std::move(copy));
  CHECK(moved == binary);
  CHECK(copy.view().empty());  // NOLINT(bugprone-use-after-move): a moved-from item is empty
  ListItem& self = moved;
  moved = self;  // self-assignment keeps the bytes
  CHECK(moved == binary);
  empty = bin;
  CHECK(empty == binary);
  bin = ListItem(std::string(5000, 'x'));
  CHECK(bin.size() == 5000);
  CHECK(empty == binary);

  ListObject l;
  l.PushBack(binary);
  l.PushFront("");
  l.PushBack(std::string(70000, 'y'));
  CHECK(Elements(l) == std::vector<std::string>{"", binary, std::string(70000, 'y')});
  CHECK(l.Set(0, "z"));
  CHECK(l.Index(0)->view() == "z");
  CHECK(l.PopBack() == std::string(70000, 'y'));
  CHECK(l.PopFront() == "z");
  CHECK(l.PopFront() == binary);
  CHECK(l.empty());
}
