// The declarative command table: one row per command with Redis 7.0's name, arity (-N = at least
// N), flags, key positions and handler. The table drives dispatch, arity errors, COMMAND
// introspection, read-only checks on replicas and (later) propagation. Families register their
// rows with explicit Register*Commands(table) calls.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tandem::server {

class CommandContext;

enum CommandFlag : uint32_t {
  kCmdWrite = 1u << 0,
  kCmdReadonly = 1u << 1,
  kCmdDenyOom = 1u << 2,
  kCmdAdmin = 1u << 3,
  kCmdPubsub = 1u << 4,
  kCmdNoscript = 1u << 5,
  kCmdBlocking = 1u << 6,
  kCmdLoading = 1u << 7,
  kCmdStale = 1u << 8,
  kCmdSkipMonitor = 1u << 9,
  kCmdSkipSlowlog = 1u << 10,
  kCmdFast = 1u << 11,
  kCmdNoAuth = 1u << 12,
  kCmdMayReplicate = 1u << 13,
  kCmdSentinel = 1u << 14,
  kCmdNoMandatoryKeys = 1u << 15,
  kCmdNoAsyncLoading = 1u << 16,
  kCmdNoMulti = 1u << 17,
  kCmdMovableKeys = 1u << 18,
  kCmdAllowBusy = 1u << 19,
};

using CommandHandler = void (*)(CommandContext&);

// Latency of one command in microseconds, in log-linear buckets (8 per power of two, so a
// percentile is within 12.5% of the true value) for INFO latencystats.
class LatencyHistogram {
 public:
  static constexpr int kSubBuckets = 8;
  static constexpr int kBuckets = 64 * kSubBuckets;
  void Record(uint64_t usec);
  // The value at percentile p (0-100), or 0 when empty.
  double Percentile(double p) const;
  uint64_t count() const { return count_; }

 private:
  static int Index(uint64_t v);
  static double Midpoint(int index);
  uint32_t counts_[kBuckets] = {};
  uint64_t count_ = 0;
};

struct CommandStats {
  uint64_t calls = 0;
  uint64_t usec = 0;
  uint64_t rejected_calls = 0;
  uint64_t failed_calls = 0;
  LatencyHistogram latency;
};

struct Command {
  std::string name;  // lower case; subcommands "container|sub"
  int arity = 0;
  uint32_t flags = 0;
  int first_key = 0;
  int last_key = 0;
  int key_step = 0;
  // For the look-ahead over a pipeline (Server::PrefetchBatch): the first argument naming a
  // member or field of the key's collection (0: none) and the step to the next one (0: only one).
  int member_first = 0;
  int member_step = 0;
  CommandHandler handler = nullptr;
  std::string acl_categories;  // space separated, e.g. "@read @string @fast"
  std::string group;           // COMMAND DOCS group: string, generic, server, connection ...
  std::string summary;
  std::string since;
  std::string complexity;
  Command* parent = nullptr;
  int acl_id = -1;  // index in the ACL command set (acl::Acl), set when the server starts
  std::vector<std::unique_ptr<Command>> subcommands;

  mutable CommandStats stats;

  std::string_view short_name() const {
    size_t bar = name.find('|');
    return bar == std::string::npos ? std::string_view(name)
                                    : std::string_view(name).substr(bar + 1);
  }
  Command* FindSubcommand(std::string_view lower_name) const;
};

// Row used for registration.
struct CommandRow {
  std::string_view name;
  int arity;
  uint32_t flags;
  int first_key;
  int last_key;
  int key_step;
  CommandHandler handler;
  std::string_view acl_categories;
  std::string_view group;
  std::string_view summary;
  std::string_view since;
  std::string_view complexity = "O(1)";
};

class CommandTable {
 public:
  Command* Add(const CommandRow& row);
  // Adds "container|sub" under an existing container command.
  Command* AddSubcommand(Command* container, const CommandRow& row);

  // rename-command: gives `from` the name `to`, or removes it when `to` is empty. False if
  // there is no such command or `to` is taken.
  bool Rename(std::string_view from, std::string_view to);

  // Case-insensitive lookup of a top-level command.
  Command* Find(std::string_view name) const;
  const std::vector<Command*>& all() const { return ordered_; }
  size_t size() const { return ordered_.size(); }

  // Every command and subcommand, for INFO commandstats and CONFIG RESETSTAT.
  template <typename Fn>
  void ForEachWithSubcommands(Fn&& fn) const {
    for (Command* c : ordered_) {
      fn(*c);
      for (auto& s : c->subcommands) fn(*s);
    }
  }

 private:
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, std::unique_ptr<Command>, NameHash, std::equal_to<>> by_name_;
  std::vector<Command*> ordered_;
  std::vector<std::unique_ptr<Command>> retired_;
  // The last name looked up, as the client spelled it, and its command: a pipeline repeats one
  // command, and comparing a few bytes costs less than lowering and hashing them (Find was 1.8%
  // of the server's time for PING -P 16). Add and Rename forget it; an empty name never matches.
  void Forget() {
    last_len_ = 0;
    last_ = nullptr;
  }
  mutable char last_name_[16] = {};
  mutable size_t last_len_ = 0;  // 0: nothing remembered
  mutable Command* last_ = nullptr;
};

// Calls fn(i) for each argument index that the command's first/last/step key positions name in
// a call of `argc` arguments (the legacy key spec, what COMMAND GETKEYS, WATCH invalidation and
// the pipeline look-ahead use); nothing for a command without keys.
template <typename Fn>
void ForEachKeyIndex(const Command& cmd, int argc, Fn&& fn) {
  if (cmd.first_key <= 0) return;
  const int last = cmd.last_key < 0 ? argc + cmd.last_key : std::min(cmd.last_key, argc - 1);
  const int step = std::max(cmd.key_step, 1);
  for (int i = cmd.first_key; i <= last; i += step) fn(i);
}

// After the Register* calls: where the commands that look up members of a hash, set or sorted
// set name them (Command::member_first / member_step), for the server's look-ahead over a
// pipeline. ZADD's first member assumes no NX/XX/GT/LT/CH/INCR flags; a wrong guess only costs a
// useless prefetch.
void DeclareMemberArgs(CommandTable& table);
void RegisterConnectionCommands(CommandTable& table);
void RegisterKeyCommands(CommandTable& table);
void RegisterStringCommands(CommandTable& table);
void RegisterBitmapCommands(CommandTable& table);
void RegisterServerCommands(CommandTable& table);
void RegisterListCommands(CommandTable& table);
void RegisterBlockingListCommands(CommandTable& table);
void RegisterHashCommands(CommandTable& table);
void RegisterSetCommands(CommandTable& table);
void RegisterZSetCommands(CommandTable& table);
void RegisterPubsubCommands(CommandTable& table);
void RegisterReplicationCommands(CommandTable& table);
void RegisterTransactionCommands(CommandTable& table);
void RegisterAclCommands(CommandTable& table);

// Lower-cases ASCII into `out` (command names are ASCII).
std::string ToLower(std::string_view s);

}  // namespace tandem::server
