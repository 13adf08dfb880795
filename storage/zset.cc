#include "storage/zset.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <new>

#include "storage/digest.h"
#include "storage/packed.h"

namespace tandem::storage {

// ---------------------------------------------------------------------------------------------
// Ordering and bounds
// ---------------------------------------------------------------------------------------------

namespace {

// (score, member) order of both encodings: score first, then member bytes.
bool Before(double s1, std::string_view m1, double s2, std::string_view m2) {
  return s1 < s2 || (s1 == s2 && m1 < m2);
}

// A listpack stores a score as text that reads back as +0 for -0 (OBJECT ENCODING listpack
// answers ZSCORE 0 where a skiplist answers -0), so listpack scores are normalised on entry.
double ListpackScore(double s) { return s == 0 ? 0.0 : s; }

}  // namespace

int LexBound::Compare(std::string_view member) const {
  switch (kind) {
    case Kind::kMinusInf:
      return 1;  // every member is above "-"
    case Kind::kPlusInf:
      return -1;  // and below "+"
    case Kind::kValue:
      break;
  }
  int c = member.compare(value);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

std::string FormatScore(double score) {
  char buf[64];
  int n = std::snprintf(buf, sizeof(buf), "%.17g", score);
  return std::string(buf, static_cast<size_t>(n));
}

// ---------------------------------------------------------------------------------------------
// Skiplist
// ---------------------------------------------------------------------------------------------

ZSkipList::ZSkipList() : header_(NewNode(kMaxLevel, 0, {})) {
  for (int i = 0; i < kMaxLevel; ++i) header_->levels()[i] = Level{nullptr, 0};
}

ZSkipList::~ZSkipList() {
  Node* n = header_->levels()[0].forward;
  while (n != nullptr) {
    Node* next = n->levels()[0].forward;
    FreeNode(n);
    n = next;
  }
  FreeNode(header_);
}

ZSkipList::Node* ZSkipList::NewNode(int height, double score, std::string_view member) {
  static_assert(sizeof(Node) % alignof(Level) == 0);
  const size_t levels = static_cast<size_t>(height) * sizeof(Level);
  void* mem = ::operator new(sizeof(Node) + levels + member.size());
  Node* n = new (mem) Node();
  n->score = score;
  n->height = height;
  n->member_len = static_cast<uint32_t>(member.size());
  if (!member.empty()) {
    std::memcpy(reinterpret_cast<char*>(n->levels()) + levels, member.data(), member.size());
  }
  return n;
}

void ZSkipList::FreeNode(Node* node) {
  node->~Node();
  ::operator delete(node);
}

int ZSkipList::RandomLevel() {
  // p = 1/4 per extra level, as ZSKIPLIST_P. xorshift64*: cheap and good enough for balance.
  static uint64_t state = 0x9E3779B97F4A7C15ULL;
  int level = 1;
  while (true) {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    uint64_t r = state * 0x2545F4914F6CDD1DULL;
    if ((r >> 32 & 0xFFFF) >= 0xFFFF / 4 || level >= kMaxLevel) break;
    ++level;
  }
  return level;
}

void ZSkipList::FindUpdate(double score, std::string_view member, Node** update,
                           size_t* rank) const {
  Node* x = header_;
  for (int i = level_ - 1; i >= 0; --i) {
    rank[i] = i == level_ - 1 ? 0 : rank[i + 1];
    while (x->levels()[i].forward != nullptr &&
           Before(x->levels()[i].forward->score, x->levels()[i].forward->member(), score, member)) {
      rank[i] += x->levels()[i].span;
      x = x->levels()[i].forward;
    }
    update[i] = x;
  }
}

void ZSkipList::Link(Node* x) {
  Node* update[kMaxLevel];
  size_t rank[kMaxLevel];
  FindUpdate(x->score, x->member(), update, rank);
  const int height = x->height;
  if (height > level_) {
    for (int i = level_; i < height; ++i) {
      rank[i] = 0;
      update[i] = header_;
      update[i]->levels()[i].span = length_;
    }
    level_ = height;
  }
  for (int i = 0; i < height; ++i) {
    Level& up = update[i]->levels()[i];
    x->levels()[i].forward = up.forward;
    up.forward = x;
    // x takes over the part of update[i]'s span that lies beyond the insert position.
    x->levels()[i].span = up.span - (rank[0] - rank[i]);
    up.span = (rank[0] - rank[i]) + 1;
  }
  for (int i = height; i < level_; ++i) update[i]->levels()[i].span++;
  x->backward = update[0] == header_ ? nullptr : update[0];
  if (x->levels()[0].forward != nullptr) {
    x->levels()[0].forward->backward = x;
  } else {
    tail_ = x;
  }
  ++length_;
}

ZSkipList::Node* ZSkipList::Insert(double score, std::string_view member) {
  Node* x = NewNode(RandomLevel(), score, member);
  Link(x);
  return x;
}

void ZSkipList::UnlinkWith(Node* x, Node** update) {
  for (int i = 0; i < level_; ++i) {
    Level& up = update[i]->levels()[i];
    if (up.forward == x) {
      up.span += x->levels()[i].span - 1;
      up.forward = x->levels()[i].forward;
    } else {
      up.span -= 1;
    }
  }
  if (x->levels()[0].forward != nullptr) {
    x->levels()[0].forward->backward = x->backward;
  } else {
    tail_ = x->backward;
  }
  while (level_ > 1 && header_->levels()[level_ - 1].forward == nullptr) --level_;
  --length_;
}

void ZSkipList::Unlink(Node* node) {
  Node* update[kMaxLevel];
  size_t rank[kMaxLevel];
  FindUpdate(node->score, node->member(), update, rank);
  UnlinkWith(node, update);
}

size_t ZSkipList::Rank(double score, std::string_view member) const {
  const Node* x = header_;
  size_t rank = 0;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->levels()[i].forward != nullptr) {
      const Node* f = x->levels()[i].forward;
      if (!(Before(f->score, f->member(), score, member) ||
            (f->score == score && f->member() == member))) {
        break;
      }
      rank += x->levels()[i].span;
      x = f;
    }
    if (x != header_ && x->member() == member) return rank;
  }
  return 0;
}

ZSkipList::Node* ZSkipList::ByRank(size_t rank) const {
  Node* x = header_;
  size_t traversed = 0;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->levels()[i].forward != nullptr && traversed + x->levels()[i].span <= rank) {
      traversed += x->levels()[i].span;
      x = x->levels()[i].forward;
    }
    if (traversed == rank) return x == header_ ? nullptr : x;
  }
  return nullptr;
}

bool ZSkipList::Valid() const {
  // Level 0: order, back pointers, length.
  size_t n = 0;
  const Node* prev = nullptr;
  for (const Node* x = first(); x != nullptr; x = x->forward()) {
    if (x->backward != prev) return false;
    if (prev != nullptr && !Before(prev->score, prev->member(), x->score, x->member()))
      return false;
    prev = x;
    ++n;
  }
  if (n != length_ || tail_ != prev) return false;
  // Every level: the span of each link equals the level-0 distance it covers.
  for (int i = 0; i < level_; ++i) {
    const Node* x = header_;
    size_t pos = 0;  // rank of x (header = 0)
    while (x->levels()[i].forward != nullptr) {
      const Node* f = x->levels()[i].forward;
      size_t dist = 0;
      const Node* y = x;
      while (y != f) {
        y = y->levels()[0].forward;
        ++dist;
      }
      if (x->levels()[i].span != dist) return false;
      pos += dist;
      x = f;
    }
    (void)pos;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// ZSetObject
// ---------------------------------------------------------------------------------------------

ZSetObject::ZSetObject(Encoding encoding) : encoding_(encoding) {
  if (encoding_ == Encoding::kSkiplist) {
    zsl_ = std::make_unique<ZSkipList>();
    dict_ = std::make_unique<MemberDict>();
  }
}

ZSetObject::~ZSetObject() { FreeSkiplist(); }

void ZSetObject::FreeSkiplist() {
  // The dict only links the nodes; the skiplist owns and frees them.
  dict_.reset();
  zsl_.reset();
}

// ---------------------------------------------------------------------------------------------
// PackedZList

std::pair<std::string_view, double> PackedZList::Next(std::string_view buf, size_t& pos) {
  std::string_view member = packed::NextString(buf, pos);
  double score;
  std::memcpy(&score, buf.data() + pos, sizeof score);
  pos += sizeof score;
  return {member, score};
}

size_t PackedZList::OffsetOf(size_t i) const {
  size_t pos = 0;
  for (size_t k = 0; k < i; ++k) Next(buf_, pos);
  return pos;
}

std::pair<std::string_view, double> PackedZList::At(size_t i) const {
  size_t pos = OffsetOf(i);
  return Next(buf_, pos);
}

void PackedZList::InsertAt(size_t i, std::string_view member, double score) {
  std::string entry;
  packed::AppendLength(entry, member.size());
  entry.append(member);
  entry.append(reinterpret_cast<const char*>(&score), sizeof score);
  buf_.Replace(OffsetOf(i), 0, entry);
  ++count_;
}

void PackedZList::EraseRange(size_t first, size_t end) {
  if (first >= end) return;
  const size_t from = OffsetOf(first);
  size_t to = from;
  for (size_t k = first; k < end; ++k) Next(buf_, to);
  buf_.Erase(from, to - from);
  count_ -= static_cast<uint32_t>(end - first);
}

// ---------------------------------------------------------------------------------------------
// ZSetObject

Value ZSetObject::NewValue(Encoding encoding) {
  return Value::Of(ObjType::kZSet, encoding, std::make_unique<ZSetObject>(encoding));
}

Encoding ZSetObject::EncodingForNew(const ZSetLimits& limits, size_t first_member_len) {
  if (limits.max_entries == 0 || limits.max_value < first_member_len) return Encoding::kSkiplist;
  return Encoding::kListpack;
}

size_t ZSetObject::size() const {
  return encoding_ == Encoding::kListpack ? lp_.size() : zsl_->size();
}

size_t ZSetObject::LpLowerBound(double score, std::string_view member) const {
  const std::string_view buf = lp_.bytes();
  size_t pos = 0;
  for (size_t i = 0; i < lp_.size(); ++i) {
    auto [m, s] = PackedZList::Next(buf, pos);
    if (!Before(s, m, score, member)) return i;
  }
  return lp_.size();
}

size_t ZSetObject::LpFind(std::string_view member) const {
  const std::string_view buf = lp_.bytes();
  size_t pos = 0;
  for (size_t i = 0; i < lp_.size(); ++i) {
    if (PackedZList::Next(buf, pos).first == member) return i;
  }
  return lp_.size();
}

std::optional<double> ZSetObject::Score(std::string_view member) const {
  if (encoding_ == Encoding::kListpack) {
    size_t i = LpFind(member);
    if (i == lp_.size()) return std::nullopt;
    return lp_.At(i).second;
  }
  const ZSkipList::Node* n = dict_->Find(member);
  if (n == nullptr) return std::nullopt;
  return n->score;
}

void ZSetObject::Insert(std::string_view member, double score, const ZSetLimits& limits) {
  if (encoding_ == Encoding::kListpack &&
      (lp_.size() + 1 > limits.max_entries || member.size() > limits.max_value)) {
    ConvertToSkiplist();
  }
  if (encoding_ == Encoding::kListpack) {
    score = ListpackScore(score);
    size_t pos = LpLowerBound(score, member);
    lp_.InsertAt(pos, member, score);
    return;
  }
  dict_->Insert(zsl_->Insert(score, member));
}

void ZSetObject::UpdateScore(std::string_view member, double score) {
  if (encoding_ == Encoding::kListpack) {
    size_t i = LpFind(member);
    if (i == lp_.size()) return;
    std::string m(lp_.At(i).first);
    lp_.EraseRange(i, i + 1);
    score = ListpackScore(score);
    size_t pos = LpLowerBound(score, m);
    lp_.InsertAt(pos, m, score);
    return;
  }
  ZSkipList::Node* n = dict_->Find(member);
  if (n == nullptr) return;
  zsl_->Unlink(n);
  n->score = score;
  zsl_->Link(n);
}

bool ZSetObject::Erase(std::string_view member) {
  if (encoding_ == Encoding::kListpack) {
    size_t i = LpFind(member);
    if (i == lp_.size()) return false;
    lp_.EraseRange(i, i + 1);
    return true;
  }
  ZSkipList::Node* n = dict_->Erase(member);
  if (n == nullptr) return false;
  zsl_->Unlink(n);
  ZSkipList::FreeNode(n);
  return true;
}

std::optional<size_t> ZSetObject::Rank(std::string_view member) const {
  if (encoding_ == Encoding::kListpack) {
    size_t i = LpFind(member);
    if (i == lp_.size()) return std::nullopt;
    return i;
  }
  const ZSkipList::Node* n = dict_->Find(member);
  if (n == nullptr) return std::nullopt;
  size_t r = zsl_->Rank(n->score, n->member());
  return r - 1;
}

ZSetObject::Item ZSetObject::At(size_t rank) const {
  if (encoding_ == Encoding::kListpack) {
    auto [m, s] = lp_.At(rank);
    return {m, s};
  }
  const ZSkipList::Node* n = zsl_->ByRank(rank + 1);
  return {n->member(), n->score};
}

size_t ZSetObject::CountScoreBelow(double bound, bool inclusive) const {
  auto before = [&](double s) { return inclusive ? s <= bound : s < bound; };
  if (encoding_ == Encoding::kListpack) {
    size_t n = 0;
    ForEachWhile([&](std::string_view, double s) { return before(s) && ++n; });
    return n;
  }
  return zsl_->CountWhile([&](const ZSkipList::Node& n) { return before(n.score); });
}

size_t ZSetObject::CountLexBelow(const LexBound& bound, bool inclusive) const {
  auto before = [&](std::string_view m) {
    int c = bound.Compare(m);
    return inclusive ? c <= 0 : c < 0;
  };
  if (encoding_ == Encoding::kListpack) {
    size_t n = 0;
    ForEachWhile([&](std::string_view m, double) { return before(m) && ++n; });
    return n;
  }
  return zsl_->CountWhile([&](const ZSkipList::Node& n) { return before(n.member()); });
}

std::pair<size_t, size_t> ZSetObject::RanksOf(const ScoreRange& r) const {
  // First rank: skip scores below min (or equal to it when exclusive). End: scores up to max.
  return {CountScoreBelow(r.min, r.minex), CountScoreBelow(r.max, !r.maxex)};
}

std::pair<size_t, size_t> ZSetObject::RanksOf(const LexRange& r) const {
  // zslIsInLexRange / zzlIsInLexRange: the last element must reach min and the first must not
  // pass max. Implied when all scores are equal; with mixed scores this keeps Redis's answer.
  if (empty() || !r.GteMin(At(size() - 1).member) || !r.LteMax(At(0).member)) return {0, 0};
  return {CountLexBelow(r.min, r.min.ex), CountLexBelow(r.max, !r.max.ex)};
}

size_t ZSetObject::EraseRanks(size_t first, size_t end) {
  end = std::min(end, size());
  if (first >= end) return 0;
  if (encoding_ == Encoding::kListpack) {
    lp_.EraseRange(first, end);
    return end - first;
  }
  size_t removed = 0;
  zsl_->RemoveRanks(first + 1, end, [&](ZSkipList::Node* n) {
    dict_->Erase(n->member());
    ZSkipList::FreeNode(n);
    ++removed;
  });
  dict_->ShrinkIfSparse();  // as zremrangeGenericCommand's htNeedsResize / dictResize
  return removed;
}

std::pair<std::string, double> ZSetObject::Pop(bool max) {
  if (encoding_ == Encoding::kListpack) {
    const size_t i = max ? lp_.size() - 1 : 0;
    auto [m, s] = lp_.At(i);
    std::pair<std::string, double> out{std::string(m), s};
    lp_.EraseRange(i, i + 1);
    return out;
  }
  ZSkipList::Node* n = max ? zsl_->last() : zsl_->first();
  std::pair<std::string, double> out{std::string(n->member()), n->score};
  dict_->Erase(n->member());
  zsl_->Unlink(n);
  ZSkipList::FreeNode(n);
  return out;
}

void ZSetObject::ConvertToSkiplist() {
  if (encoding_ == Encoding::kSkiplist) return;
  zsl_ = std::make_unique<ZSkipList>();
  dict_ = std::make_unique<MemberDict>();
  ForEachWhile([&](std::string_view m, double s) {
    dict_->Insert(zsl_->Insert(s, m));
    return true;
  });
  lp_.Clear();
  encoding_ = Encoding::kSkiplist;
}

void ZSetObject::ConvertToListpack() {
  if (encoding_ == Encoding::kListpack) return;
  lp_.Clear();
  size_t i = 0;
  for (const ZSkipList::Node* n = zsl_->first(); n != nullptr; n = n->forward()) {
    lp_.InsertAt(i++, n->member(), ListpackScore(n->score));
  }
  FreeSkiplist();
  encoding_ = Encoding::kListpack;
}

void ZSetObject::ConvertToListpackIfFits(const ZSetLimits& limits) {
  if (encoding_ == Encoding::kListpack || size() > limits.max_entries) return;
  for (const ZSkipList::Node* n = zsl_->first(); n != nullptr; n = n->forward()) {
    if (n->member().size() > limits.max_value) return;
  }
  ConvertToListpack();
}

std::unique_ptr<Object> ZSetObject::Clone() const {
  auto copy = std::make_unique<ZSetObject>(encoding_);
  if (encoding_ == Encoding::kListpack) {
    copy->lp_ = lp_;
  } else {
    // Appending in ascending order: each insert walks only the rightmost path.
    for (const ZSkipList::Node* n = zsl_->first(); n != nullptr; n = n->forward()) {
      copy->dict_->Insert(copy->zsl_->Insert(n->score, n->member()));
    }
  }
  return copy;
}

size_t ZSetObject::MemoryUsage() const {
  size_t bytes = sizeof(*this);
  if (encoding_ == Encoding::kListpack) {
    return bytes + lp_.capacity();
  }
  bytes += sizeof(ZSkipList) + dict_->MemoryOverhead();
  for (const ZSkipList::Node* n = zsl_->first(); n != nullptr; n = n->forward()) {
    bytes += sizeof(ZSkipList::Node) + static_cast<size_t>(n->height) * sizeof(ZSkipList::Level) +
             n->member().size();
  }
  return bytes;
}

void ZSetObject::Digest(std::array<uint8_t, 20>& digest) const {
  ForEach([&](std::string_view member, double score) {
    DigestBytes ele{};
    MixDigest(ele, member);
    MixDigest(ele, FormatScore(score));
    XorDigest(digest, ele.data(), ele.size());
  });
}

}  // namespace tandem::storage
