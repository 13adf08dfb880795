#include "storage/zset.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
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
  // p = 1/e per extra level (24117 of 65535, 0.368), where Redis's ZSKIPLIST_P is 1/4: a search
  // looks at about (1/p) log_{1/p}(n) nodes, which is smallest at p = 1/e (6% fewer than at 1/4),
  // and in a large set each one is a cache miss. Measured against 1/4: BM_SkiplistInsert/1000000
  // 1,050 vs 1,135 ms (mean of 6), bench/zadd_growth.py 0.97x and 1.07x (both directions);
  // the price is 0.25 levels (4 bytes) more per member: 94 against 90 bytes per member of a
  // 630k-member set (Redis: 130). xorshift64*: cheap and good enough for balance.
  static uint64_t state = 0x9E3779B97F4A7C15ULL;
  int level = 1;
  while (true) {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    uint64_t r = state * 0x2545F4914F6CDD1DULL;
    if ((r >> 32 & 0xFFFF) >= 24117 || level >= kMaxLevel) break;
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

void ZSkipList::UpdateScore(Node* x, double score) {
  const Node* next = x->levels()[0].forward;
  if ((x->backward == nullptr || x->backward->score < score) &&
      (next == nullptr || next->score > score)) {
    x->score = score;
    return;
  }
  Unlink(x);
  x->score = score;
  Link(x);
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
// ZSetSkiplist
// ---------------------------------------------------------------------------------------------

ZSetSkiplist::~ZSetSkiplist() = default;

std::unique_ptr<Object> ZSetSkiplist::Clone() const {
  auto copy = std::make_unique<ZSetSkiplist>();
  // Appending in ascending order: each insert walks only the rightmost path.
  for (const ZSkipList::Node* n = zsl.first(); n != nullptr; n = n->forward()) {
    copy->dict.Insert(copy->zsl.Insert(n->score, n->member()));
  }
  return copy;
}

size_t ZSetSkiplist::MemoryUsage() const {
  size_t bytes = sizeof(*this) + dict.MemoryOverhead();
  for (const ZSkipList::Node* n = zsl.first(); n != nullptr; n = n->forward()) {
    bytes += sizeof(ZSkipList::Node) + static_cast<size_t>(n->height) * sizeof(ZSkipList::Level) +
             n->member().size();
  }
  return bytes;
}

namespace {

void DigestElement(std::array<uint8_t, 20>& digest, std::string_view member, double score) {
  DigestBytes ele{};
  MixDigest(ele, member);
  MixDigest(ele, FormatScore(score));
  XorDigest(digest, ele.data(), ele.size());
}

}  // namespace

void ZSetSkiplist::Digest(std::array<uint8_t, 20>& digest) const {
  for (const ZSkipList::Node* n = zsl.first(); n != nullptr; n = n->forward()) {
    DigestElement(digest, n->member(), n->score);
  }
}

// ---------------------------------------------------------------------------------------------
// PackedZList
// ---------------------------------------------------------------------------------------------

namespace {

constexpr uint8_t kScoreDouble = 0;
constexpr uint8_t kScoreFloat = 1;
constexpr uint8_t kScoreVarint = 2;
constexpr uint8_t kScoreSmall = 3;                     // tags 3..255: the integer tag - 3
constexpr double kExactIntLimit = 9007199254740992.0;  // 2^53

// Appends a score in its shortest exact form (see PackedZList in zset.h).
void AppendScore(std::string& out, double score) {
  if (score > -kExactIntLimit && score < kExactIntLimit && score == std::trunc(score) &&
      !(score == 0 && std::signbit(score))) {
    const auto i = static_cast<int64_t>(score);
    if (i >= 0 && i <= 255 - kScoreSmall) {
      out.push_back(static_cast<char>(kScoreSmall + i));
      return;
    }
    out.push_back(static_cast<char>(kScoreVarint));
    packed::AppendLength(out, (static_cast<uint64_t>(i) << 1) ^ static_cast<uint64_t>(i >> 63));
    return;
  }
  // (Converting a finite double beyond float's range is undefined: check the range first.)
  if (std::isinf(score) || (std::fabs(score) <= std::numeric_limits<float>::max() &&
                            static_cast<double>(static_cast<float>(score)) == score)) {
    const auto f = static_cast<float>(score);
    out.push_back(static_cast<char>(kScoreFloat));
    out.append(reinterpret_cast<const char*>(&f), sizeof f);
    return;
  }
  out.push_back(static_cast<char>(kScoreDouble));
  out.append(reinterpret_cast<const char*>(&score), sizeof score);
}

std::string PackElement(std::string_view member, double score) {
  std::string entry;
  entry.reserve(member.size() + 16);
  packed::AppendLength(entry, member.size());
  entry.append(member);
  AppendScore(entry, score);
  return entry;
}

}  // namespace

size_t PackedZList::ElementSize(std::string_view member, double score) {
  return PackElement(member, score).size();
}

std::pair<std::string_view, double> PackedZList::Next(std::string_view buf, size_t& pos) {
  std::string_view member = packed::NextString(buf, pos);
  const auto tag = static_cast<uint8_t>(buf[pos++]);
  double score;
  if (tag >= kScoreSmall) {
    score = tag - kScoreSmall;
  } else if (tag == kScoreVarint) {
    const uint64_t z = packed::ReadLength(buf, pos);
    score = static_cast<double>(static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1)));
  } else if (tag == kScoreFloat) {
    float f;
    std::memcpy(&f, buf.data() + pos, sizeof f);
    pos += sizeof f;
    score = f;
  } else {
    std::memcpy(&score, buf.data() + pos, sizeof score);
    pos += sizeof score;
  }
  return {member, score};
}

size_t PackedZList::size() const {
  const std::string_view buf = v_->str();
  const uint16_t count = packed::HeaderCount(buf);
  if (count != packed::kCountUnknown) return count;
  size_t n = 0;
  for (size_t pos = packed::kHeader; pos < buf.size(); ++n) Next(buf, pos);
  return n;
}

size_t PackedZList::OffsetOf(size_t i) const {
  const std::string_view buf = v_->str();
  size_t pos = packed::kHeader;
  for (size_t k = 0; k < i; ++k) Next(buf, pos);
  return pos;
}

std::pair<std::string_view, double> PackedZList::At(size_t i) const {
  size_t pos = OffsetOf(i);
  return Next(v_->str(), pos);
}

void PackedZList::SetCount(size_t count) { packed::StoreCount(mut().MutableData(), count); }

void PackedZList::InsertAt(size_t i, std::string_view member, double score) {
  const size_t count = size() + 1;
  mut().ReplaceBytes(OffsetOf(i), 0, PackElement(member, score));
  SetCount(count);
}

void PackedZList::EraseRange(size_t first, size_t end) {
  if (first >= end) return;
  const size_t count = size() - (end - first);
  const size_t from = OffsetOf(first);
  size_t to = from;
  for (size_t k = first; k < end; ++k) Next(v_->str(), to);
  mut().ReplaceBytes(from, to - from, {});
  SetCount(count);
}

// ---------------------------------------------------------------------------------------------
// ZSet
// ---------------------------------------------------------------------------------------------

Value ZSet::NewValue(Encoding encoding) {
  if (encoding == Encoding::kListpack) return Value::Packed(ObjType::kZSet, packed::kEmptyHeader);
  return Value::Of(ObjType::kZSet, Encoding::kSkiplist, std::make_unique<ZSetSkiplist>());
}

Encoding ZSet::EncodingForNew(const ZSetLimits& limits, size_t first_member_len) {
  if (limits.max_entries == 0 || limits.max_value < first_member_len) return Encoding::kSkiplist;
  return Encoding::kListpack;
}

size_t ZSet::size() const { return is_packed() ? list().size() : skip().zsl.size(); }

size_t ZSet::LpLowerBound(double score, std::string_view member) const {
  size_t i = 0;
  ForEachWhile([&](std::string_view m, double s) {
    if (!Before(s, m, score, member)) return false;
    ++i;
    return true;
  });
  return i;
}

size_t ZSet::LpFind(std::string_view member) const {
  size_t i = 0;
  bool found = false;
  ForEachWhile([&](std::string_view m, double) {
    if (m == member) return !(found = true);
    ++i;
    return true;
  });
  return found ? i : size();
}

std::optional<double> ZSet::Score(std::string_view member) const {
  if (is_packed()) {
    std::optional<double> out;
    ForEachWhile([&](std::string_view m, double s) {
      if (m == member) out = s;
      return !out.has_value();
    });
    return out;
  }
  const ZSkipList::Node* n = skip().dict.Find(member);
  if (n == nullptr) return std::nullopt;
  return n->score;
}

void ZSet::Insert(std::string_view member, double score, const ZSetLimits& limits) {
  if (is_packed() && (size() + 1 > limits.max_entries || member.size() > limits.max_value)) {
    ConvertToSkiplist();
  }
  if (is_packed()) {
    score = ListpackScore(score);
    PackedZList(*v_).InsertAt(LpLowerBound(score, member), member, score);
    return;
  }
  ZSetSkiplist& sk = skip();
  sk.dict.Insert(sk.zsl.Insert(score, member));
}

void ZSet::UpdateScore(std::string_view member, double score) {
  if (is_packed()) {
    size_t i = LpFind(member);
    if (i == size()) return;
    PackedZList lp(*v_);
    std::string m(lp.At(i).first);
    lp.EraseRange(i, i + 1);
    score = ListpackScore(score);
    lp.InsertAt(LpLowerBound(score, m), m, score);
    return;
  }
  ZSetSkiplist& sk = skip();
  ZSkipList::Node* n = sk.dict.Find(member);
  if (n == nullptr) return;
  sk.zsl.UpdateScore(n, score);
}

bool ZSet::Erase(std::string_view member) {
  if (is_packed()) {
    size_t i = LpFind(member);
    if (i == size()) return false;
    PackedZList(*v_).EraseRange(i, i + 1);
    return true;
  }
  ZSetSkiplist& sk = skip();
  ZSkipList::Node* n = sk.dict.Erase(member);
  if (n == nullptr) return false;
  sk.zsl.Unlink(n);
  ZSkipList::FreeNode(n);
  return true;
}

std::optional<size_t> ZSet::Rank(std::string_view member) const {
  if (is_packed()) {
    size_t i = LpFind(member);
    if (i == size()) return std::nullopt;
    return i;
  }
  const ZSkipList::Node* n = skip().dict.Find(member);
  if (n == nullptr) return std::nullopt;
  size_t r = skip().zsl.Rank(n->score, n->member());
  return r - 1;
}

ZSet::Item ZSet::At(size_t rank) const {
  if (is_packed()) {
    auto [m, s] = list().At(rank);
    return {m, s};
  }
  const ZSkipList::Node* n = skip().zsl.ByRank(rank + 1);
  return {n->member(), n->score};
}

size_t ZSet::CountScoreBelow(double bound, bool inclusive) const {
  auto before = [&](double s) { return inclusive ? s <= bound : s < bound; };
  if (is_packed()) {
    size_t n = 0;
    ForEachWhile([&](std::string_view, double s) { return before(s) && ++n; });
    return n;
  }
  return skip().zsl.CountWhile([&](const ZSkipList::Node& n) { return before(n.score); });
}

size_t ZSet::CountLexBelow(const LexBound& bound, bool inclusive) const {
  auto before = [&](std::string_view m) {
    int c = bound.Compare(m);
    return inclusive ? c <= 0 : c < 0;
  };
  if (is_packed()) {
    size_t n = 0;
    ForEachWhile([&](std::string_view m, double) { return before(m) && ++n; });
    return n;
  }
  return skip().zsl.CountWhile([&](const ZSkipList::Node& n) { return before(n.member()); });
}

std::pair<size_t, size_t> ZSet::RanksOf(const ScoreRange& r) const {
  // First rank: skip scores below min (or equal to it when exclusive). End: scores up to max.
  return {CountScoreBelow(r.min, r.minex), CountScoreBelow(r.max, !r.maxex)};
}

std::pair<size_t, size_t> ZSet::RanksOf(const LexRange& r) const {
  // zslIsInLexRange / zzlIsInLexRange: the last element must reach min and the first must not
  // pass max. Implied when all scores are equal; with mixed scores this keeps Redis's answer.
  if (empty() || !r.GteMin(At(size() - 1).member) || !r.LteMax(At(0).member)) return {0, 0};
  return {CountLexBelow(r.min, r.min.ex), CountLexBelow(r.max, !r.max.ex)};
}

size_t ZSet::EraseRanks(size_t first, size_t end) {
  end = std::min(end, size());
  if (first >= end) return 0;
  if (is_packed()) {
    PackedZList(*v_).EraseRange(first, end);
    return end - first;
  }
  ZSetSkiplist& sk = skip();
  size_t removed = 0;
  sk.zsl.RemoveRanks(first + 1, end, [&](ZSkipList::Node* n) {
    sk.dict.Erase(n->member());
    ZSkipList::FreeNode(n);
    ++removed;
  });
  sk.dict.ShrinkIfSparse();  // as zremrangeGenericCommand's htNeedsResize / dictResize
  return removed;
}

std::pair<std::string, double> ZSet::Pop(bool max) {
  if (is_packed()) {
    PackedZList lp(*v_);
    const size_t i = max ? lp.size() - 1 : 0;
    auto [m, s] = lp.At(i);
    std::pair<std::string, double> out{std::string(m), s};
    lp.EraseRange(i, i + 1);
    return out;
  }
  ZSetSkiplist& sk = skip();
  ZSkipList::Node* n = max ? sk.zsl.last() : sk.zsl.first();
  std::pair<std::string, double> out{std::string(n->member()), n->score};
  sk.dict.Erase(n->member());
  sk.zsl.Unlink(n);
  ZSkipList::FreeNode(n);
  return out;
}

void ZSet::ConvertToSkiplist() {
  if (!is_packed()) return;
  auto sk = std::make_unique<ZSetSkiplist>();
  ForEachWhile([&](std::string_view m, double s) {
    sk->dict.Insert(sk->zsl.Insert(s, m));
    return true;
  });
  *v_ = Value::Of(ObjType::kZSet, Encoding::kSkiplist, std::move(sk));
}

void ZSet::ConvertToListpack() {
  if (is_packed()) return;
  std::string bytes = packed::HeaderFor(size());
  for (const ZSkipList::Node* n = skip().zsl.first(); n != nullptr; n = n->forward()) {
    bytes += PackElement(n->member(), ListpackScore(n->score));
  }
  *v_ = Value::Packed(ObjType::kZSet, bytes);
}

void ZSet::ConvertToListpackIfFits(const ZSetLimits& limits) {
  if (is_packed() || size() > limits.max_entries) return;
  for (const ZSkipList::Node* n = skip().zsl.first(); n != nullptr; n = n->forward()) {
    if (n->member().size() > limits.max_value) return;
  }
  ConvertToListpack();
}

void ZSet::Digest(std::array<uint8_t, 20>& digest) const {
  ForEach([&](std::string_view member, double score) { DigestElement(digest, member, score); });
}

}  // namespace tandem::storage
