// Access control lists (Redis 7.0's acl.c): users with passwords, command permissions by
// command, subcommand, first argument and category, key patterns with read/write permissions,
// pub/sub channel patterns and selectors. Rules are parsed and described exactly as Redis 7.0.15
// does (ACL SETUSER / LIST / GETUSER, `user` directives, the ACL file), and every command is
// checked against the client's user before it runs (ACLCheckAllUserCommandPerm).
//
// Command permissions are kept per command id over Redis 7.0.15's complete command set
// (acl_commands.inc), not only the commands tandem has: `+xadd` or `+@stream` are accepted as
// Redis accepts them, and the categories ACL LIST derives from a bitmap are the ones Redis
// derives. No libuv, no server: the server calls in with users and arguments.
#pragma once

#include <bitset>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tandem::server {

class Command;
class CommandTable;

namespace acl {

// Categories in Redis's order (ACL CAT lists them so; ACL LIST tries them so).
inline constexpr std::string_view kCategoryNames[] = {
    "keyspace", "read",   "write",       "set",       "sortedset",  "list",        "hash",
    "string",   "bitmap", "hyperloglog", "geo",       "stream",     "pubsub",      "admin",
    "fast",     "slow",   "blocking",    "dangerous", "connection", "transaction", "scripting"};
// The bit of a category name (case-insensitive), 0 if unknown.
uint32_t CategoryBit(std::string_view name);
// "@read @fast" -> bits.
uint32_t ParseCategories(std::string_view list);

// Key permissions of a pattern and of a key argument (ACL_READ_PERMISSION ...).
inline constexpr int kPermRead = 1;
inline constexpr int kPermWrite = 2;
inline constexpr int kPermAll = 3;

// One bit per command id; the last bit is Redis's reserved "future commands" bit, set only by
// +@all / allcommands, which decides whether ACL LIST starts with +@all or -@all.
inline constexpr size_t kMaxCommands = 1024;
inline constexpr size_t kFutureBit = kMaxCommands - 1;

struct KeyPattern {
  std::string pattern;
  int flags = kPermAll;
};

struct Selector {
  bool root = false;
  bool allkeys = false;
  bool allchannels = false;
  bool allcommands = false;
  std::bitset<kMaxCommands> allowed;
  std::map<int, std::vector<std::string>> firstargs;  // command id -> allowed first arguments
  std::vector<KeyPattern> patterns;
  std::vector<std::string> channels;
};

enum UserFlag : uint32_t {
  kUserEnabled = 1u << 0,
  kUserDisabled = 1u << 1,
  kUserNoPass = 1u << 2,
  kUserSanitizePayload = 1u << 3,
  kUserSkipSanitizePayload = 1u << 4,
};

struct User {
  std::string name;
  uint32_t flags = kUserDisabled;
  std::vector<std::string> passwords;  // SHA-256 hex, in the order they were added
  std::vector<Selector> selectors;     // [0] is the root selector
  Selector& root() { return selectors.front(); }
  const Selector& root() const { return selectors.front(); }
  bool enabled() const { return (flags & kUserEnabled) != 0; }
};

// ACL_OK, ACL_DENIED_*: the numeric order is Redis's (the check reports the "most relevant"
// denial across selectors as the highest value).
enum class Verdict { kOk = 0, kDeniedCmd = 1, kDeniedKey = 2, kDeniedAuth = 3, kDeniedChannel = 4 };

struct CheckResult {
  Verdict verdict = Verdict::kOk;
  int errpos = 0;  // argv index of the denied key or channel
};

// A command of Redis's command set, as ACL rules see it.
struct AclCommand {
  std::string name;  // "get", "client|kill"
  uint32_t categories = 0;
  bool no_auth = false;
  int parent = -1;
  std::vector<int> subcommands;
};

struct LogEntry {
  uint64_t count = 1;
  std::string reason;   // command, key, channel, auth
  std::string context;  // toplevel, multi
  std::string object;
  std::string username;
  int64_t ctime_ms = 0;
  std::string client_info;
};

class Acl {
 public:
  // Builds the command set and gives every command of `table` its id (Command::acl_id).
  // Creates the default user (on nopass ~* &* +@all). `pubsub_default_all` is
  // acl-pubsub-default allchannels: new users start with every channel allowed.
  explicit Acl(CommandTable& table);
  Acl(const Acl&) = delete;
  Acl& operator=(const Acl&) = delete;

  void set_pubsub_default_all(bool all) { pubsub_default_all_ = all; }

  // ---- users -----------------------------------------------------------------------------
  std::shared_ptr<User> Find(std::string_view name) const;
  const std::shared_ptr<User>& default_user() const { return default_user_; }
  const std::map<std::string, std::shared_ptr<User>, std::less<>>& users() const { return users_; }
  // ACL SETUSER semantics (ACLStringSetUser): every rule is applied to a copy, the user is
  // created or changed only if all apply. The error is the reply text without "ERR ".
  std::string SetUser(std::string_view name, std::span<const std::string> rules);
  // Applies one rule to `u` (ACLSetUser); the error is ACLSetUserStringError's text.
  std::string ApplyRule(User& u, std::string_view rule) const;
  // Removes a user; false for an unknown one. The default user can't be removed (checked by
  // the caller, which answers Redis's error).
  bool Delete(std::string_view name);
  // requirepass: resetpass, then >pass or nopass (ACLUpdateDefaultUserPassword).
  void SetDefaultPassword(std::string_view password);
  // A fresh user as ACLCreateUser makes it (off, resetchannels or allchannels, -@all).
  User NewUser(std::string_view name) const;

  // ---- authentication ----
  // ACLCheckUserCredentials: the user exists, is on, and has nopass or this password.
  std::shared_ptr<User> CheckCredentials(std::string_view user, std::string_view pass) const;

  // ---- permission checks ----
  // ACLCheckAllUserCommandPerm: may `u` run `cmd` (already resolved to the subcommand) with
  // `argv` (argv[0] is the command name)?
  CheckResult Check(const User& u, const Command& cmd, std::span<const std::string_view> argv);
  // The keys of a command with their permission bits (from the key specs of COMMAND INFO).
  std::vector<std::pair<int, int>> KeyPositions(const Command& cmd,
                                                std::span<const std::string_view> argv);
  // Is `channel` (a pattern when is_pattern, compared literally then) allowed by `u`?
  bool ChannelAllowed(const User& u, std::string_view channel, bool is_pattern) const;

  // ---- descriptions ----
  std::string Describe(const User& u) const;  // the rules part of ACL LIST / ACL SAVE lines
  std::string DescribeCommandRules(const Selector& s) const;
  static std::string DescribeKeys(const Selector& s);      // GETUSER "keys"
  static std::string DescribeChannels(const Selector& s);  // GETUSER "channels"

  // ---- commands by name and category ----
  const std::vector<AclCommand>& commands() const { return commands_; }
  // ACLLookupCommand: "get" or "client|kill" (one level), case-insensitive; -1 if unknown.
  int LookupCommand(std::string_view name) const;

  // ---- ACL file and `user` directives ----
  // ACLLoadFromFile: replaces every user with the file's, or changes nothing and returns the
  // errors (Redis's text). Sets `replaced` to the users that were replaced or removed.
  std::string LoadFile(const std::string& path, std::vector<std::shared_ptr<User>>* replaced);
  // ACL SAVE: writes every user as "user <name> <rules>" lines (temp file, fsync, rename).
  std::string SaveFile(const std::string& path) const;
  // `user` directives of redis.conf, applied at start (ACLLoadConfiguredUsers). The default
  // user is reset first when it is declared. The error names the rule and the user.
  std::string LoadConfigured(const std::vector<std::vector<std::string>>& users);

  // ---- ACL LOG ----
  void AddLogEntry(Verdict reason, bool in_multi, std::string object, std::string username,
                   std::string client_info, int64_t now_ms, size_t max_len);
  std::deque<LogEntry>& log() { return log_; }

  // INFO stats (tandem extension; Redis 7.2's field names).
  uint64_t denied_auth = 0;
  uint64_t denied_cmd = 0;
  uint64_t denied_key = 0;
  uint64_t denied_channel = 0;

 private:
  struct KeySpec {
    int flags = 0;  // kPermRead / kPermWrite of the spec
    bool by_keyword = false;
    int index = 0;
    std::string keyword;
    int startfrom = 0;
    bool keynum = false;
    int lastkey = 0, keystep = 1, limit = 0;  // range
    int keynumidx = 0, firstkey = 1;          // keynum
  };
  std::string ApplySelectorRule(Selector& s, std::string_view rule) const;
  void ChangePerm(Selector& s, int id, bool allow) const;
  void SetCategory(Selector& s, uint32_t cat, bool allow) const;
  void CountCategory(const Selector& s, uint32_t cat, int& on, int& off) const;
  CheckResult CheckSelector(const Selector& s, const Command& cmd,
                            std::span<const std::string_view> argv,
                            std::vector<std::pair<int, int>>* keys, bool* keys_done);
  std::string DescribeSelector(const Selector& s) const;
  const std::vector<KeySpec>& Specs(const Command& cmd);
  Selector NewSelector() const;

  CommandTable& table_;
  std::vector<AclCommand> commands_;
  std::unordered_map<std::string, int> by_name_;
  std::map<std::string, std::shared_ptr<User>, std::less<>> users_;
  std::shared_ptr<User> default_user_;
  bool pubsub_default_all_ = false;
  std::unordered_map<const Command*, std::vector<KeySpec>> specs_;
  std::deque<LogEntry> log_;
};

// ACLMergeSelectorArguments: joins "(a", "b)" into "(a b)"; false on an unmatched '('
// (`bad` is then the index of the argument that opened it).
bool MergeSelectorArgs(std::span<const std::string> in, std::vector<std::string>& out, size_t& bad);
// ACLStringHasSpaces: a space or NUL.
bool HasSpaces(std::string_view s);

}  // namespace acl
}  // namespace tandem::server
