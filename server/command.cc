#include "server/command.h"

#include <cstring>

#include "server/arg_cursor.h"

namespace tandem::server {

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

namespace {
std::unique_ptr<Command> MakeCommand(const CommandRow& row, std::string name) {
  auto c = std::make_unique<Command>();
  c->name = std::move(name);
  c->arity = row.arity;
  c->flags = row.flags;
  c->first_key = row.first_key;
  c->last_key = row.last_key;
  c->key_step = row.key_step;
  c->handler = row.handler;
  c->acl_categories = row.acl_categories;
  c->group = row.group;
  c->summary = row.summary;
  c->since = row.since;
  c->complexity = row.complexity;
  return c;
}
}  // namespace

int LatencyHistogram::Index(uint64_t v) {
  if (v < kSubBuckets) return static_cast<int>(v);
  int msb = 63 - __builtin_clzll(v);  // >= 3
  int shift = msb - 3;                // keep 3 bits below the leading one
  int sub = static_cast<int>((v >> shift) & (kSubBuckets - 1));
  return (shift + 1) * kSubBuckets + sub;
}

double LatencyHistogram::Midpoint(int index) {
  if (index < kSubBuckets) return index;
  int shift = index / kSubBuckets - 1;
  int sub = index % kSubBuckets;
  double low = static_cast<double>((uint64_t{kSubBuckets} + static_cast<uint64_t>(sub)) << shift);
  double width = static_cast<double>(uint64_t{1} << shift);
  return low + width / 2;
}

void LatencyHistogram::Record(uint64_t usec) {
  int i = Index(usec);
  if (i >= kBuckets) i = kBuckets - 1;
  ++counts_[i];
  ++count_;
}

double LatencyHistogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  uint64_t rank = static_cast<uint64_t>(p / 100.0 * static_cast<double>(count_) + 0.5);
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return Midpoint(i);
  }
  return Midpoint(kBuckets - 1);
}

Command* Command::FindSubcommand(std::string_view lower_name) const {
  for (const auto& s : subcommands) {
    if (s->short_name() == lower_name) return s.get();
  }
  return nullptr;
}

Command* CommandTable::Add(const CommandRow& row) {
  Forget();
  auto c = MakeCommand(row, ToLower(row.name));
  Command* raw = c.get();
  by_name_[raw->name] = std::move(c);
  ordered_.push_back(raw);
  return raw;
}

Command* CommandTable::AddSubcommand(Command* container, const CommandRow& row) {
  auto c = MakeCommand(row, container->name + "|" + ToLower(row.name));
  c->parent = container;
  Command* raw = c.get();
  container->subcommands.push_back(std::move(c));
  return raw;
}

bool CommandTable::Rename(std::string_view from, std::string_view to) {
  Forget();
  auto it = by_name_.find(ToLower(from));
  if (it == by_name_.end()) return false;
  std::string new_name = ToLower(to);
  if (!new_name.empty() && by_name_.count(new_name)) return false;
  std::unique_ptr<Command> cmd = std::move(it->second);
  by_name_.erase(it);
  if (new_name.empty()) {
    std::erase(ordered_, cmd.get());
    retired_.push_back(std::move(cmd));  // clients may still point at it (last_command)
    return true;
  }
  cmd->name = new_name;
  for (auto& sub : cmd->subcommands) sub->name = new_name + "|" + std::string(sub->short_name());
  by_name_[new_name] = std::move(cmd);
  return true;
}

void DeclareMemberArgs(CommandTable& table) {
  static constexpr struct {
    std::string_view name;
    int first;
    int step;
  } kMemberArgs[] = {
      {"hset", 2, 2},         {"hmset", 2, 2},      {"hsetnx", 2, 0}, {"hget", 2, 0},
      {"hmget", 2, 1},        {"hexists", 2, 0},    {"hdel", 2, 1},   {"hincrby", 2, 0},
      {"hincrbyfloat", 2, 0}, {"hstrlen", 2, 0},    {"sadd", 2, 1},   {"srem", 2, 1},
      {"sismember", 2, 0},    {"smismember", 2, 1}, {"zadd", 3, 2},   {"zincrby", 3, 0},
      {"zscore", 2, 0},       {"zmscore", 2, 1},    {"zrank", 2, 0},  {"zrevrank", 2, 0},
      {"zrem", 2, 1},
  };
  for (const auto& m : kMemberArgs) {
    if (Command* c = table.Find(m.name)) {
      c->member_first = m.first;
      c->member_step = m.step;
    }
  }
}

Command* CommandTable::Find(std::string_view name) const {
  if (last_len_ != 0 && name.size() == last_len_ &&
      std::memcmp(name.data(), last_name_, last_len_) == 0) {
    return last_;
  }
  char buf[64] = {};
  if (name.size() >= sizeof(buf)) return nullptr;
  for (size_t i = 0; i < name.size(); ++i) buf[i] = AsciiLower(name[i]);
  auto it = by_name_.find(std::string_view(buf, name.size()));
  Command* found = it == by_name_.end() ? nullptr : it->second.get();
  if (found != nullptr && !name.empty() && name.size() <= sizeof(last_name_)) {
    std::memcpy(last_name_, name.data(), name.size());
    last_len_ = name.size();
    last_ = found;
  }
  return found;
}

}  // namespace tandem::server
