#include "server/acl.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "config/args.h"
#include "config/glob.h"
#include "server/arg_cursor.h"
#include "server/command.h"
#include "server/command_meta.h"
#include "server/sha256.h"
#include "storage/file_io.h"

namespace tandem::server::acl {

namespace {

struct RawAclCommand {
  const char* name;
  const char* categories;
  bool no_auth;
};

const RawAclCommand kRawCommands[] = {
#include "server/acl_commands.inc"
};

// ACLSetUserStringError texts, by the errno Redis sets.
constexpr std::string_view kErrUnknown = "Unknown command or category name in ACL";
constexpr std::string_view kErrSyntax = "Syntax error";
constexpr std::string_view kErrKeysAfterAll =
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have "
    "any effect. Try 'resetkeys' to start with an empty list of patterns";
constexpr std::string_view kErrChannelsAfterAll =
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not "
    "have any effect. Try 'resetchannels' to start with an empty list of channels";
constexpr std::string_view kErrNoSuchPass =
    "The password you are trying to remove from the user does not exist";
constexpr std::string_view kErrBadHash =
    "The password hash must be exactly 64 characters and contain only lowercase hexadecimal "
    "characters";
constexpr std::string_view kErrDuplicate =
    "Duplicate user found. A user can only be defined once in config files";
constexpr std::string_view kErrFirstArgOfSub =
    "Allowing first-arg of a subcommand is not supported";

bool ValidHash(std::string_view h) {
  if (h.size() != 64) return false;
  for (char c : h) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// "%R~pat" / "%W~pat" / "~pat" (sdsCatPatternString).
std::string PatternString(const KeyPattern& p) {
  if (p.flags == kPermAll) return "~" + p.pattern;
  if (p.flags == kPermRead) return "%R~" + p.pattern;
  if (p.flags == kPermWrite) return "%W~" + p.pattern;
  return "%~" + p.pattern;  // not reachable: a pattern has at least one permission
}

// The words of a selector "( ... )", split as sdssplitargs does (config/args.h).
std::vector<std::string> SplitSelector(std::string_view body, bool& ok) {
  auto words = config::SplitArgs(body);
  ok = words.has_value();
  return ok ? *words : std::vector<std::string>{};
}

}  // namespace

uint32_t CategoryBit(std::string_view name) {
  for (size_t i = 0; i < std::size(kCategoryNames); ++i) {
    if (EqualsIgnoreCase(name, kCategoryNames[i])) return 1u << i;
  }
  return 0;
}

uint32_t ParseCategories(std::string_view list) {
  uint32_t bits = 0;
  size_t pos = 0;
  while (pos < list.size()) {
    size_t end = list.find(' ', pos);
    if (end == std::string_view::npos) end = list.size();
    std::string_view word = list.substr(pos, end - pos);
    if (word.starts_with('@')) bits |= CategoryBit(word.substr(1));
    pos = end + 1;
  }
  return bits;
}

bool HasSpaces(std::string_view s) {
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == '\0') return true;
  }
  return false;
}

bool MergeSelectorArgs(std::span<const std::string> in, std::vector<std::string>& out,
                       size_t& bad) {
  out.clear();
  std::string acc;
  bool open = false;
  size_t opened_at = 0;
  for (size_t j = 0; j < in.size(); ++j) {
    const std::string& op = in[j];
    if (!op.empty() && op[0] == '(' && op.back() != ')') {
      acc = op;
      open = true;
      opened_at = j;
    } else if (open) {
      acc += ' ';
      acc += op;
      if (!op.empty() && op.back() == ')') {
        open = false;
        out.push_back(std::move(acc));
        acc.clear();
      }
    } else {
      out.push_back(op);
    }
  }
  if (open) {
    bad = opened_at;
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Command set
// ---------------------------------------------------------------------------------------------

Acl::Acl(CommandTable& table) : table_(table) {
  for (const RawAclCommand& raw : kRawCommands) {
    AclCommand c;
    c.name = raw.name;
    c.categories = ParseCategories(raw.categories);
    c.no_auth = raw.no_auth;
    int id = static_cast<int>(commands_.size());
    size_t bar = c.name.find('|');
    if (bar != std::string::npos) {
      auto it = by_name_.find(c.name.substr(0, bar));
      if (it != by_name_.end()) {
        c.parent = it->second;
        commands_[static_cast<size_t>(it->second)].subcommands.push_back(id);
      }
    }
    by_name_[c.name] = id;
    commands_.push_back(std::move(c));
  }
  // Commands tandem has that Redis 7.0.15 lacks (none today) get ids after Redis's.
  auto assign = [&](Command& cmd, int parent) {
    auto it = by_name_.find(cmd.name);
    if (it == by_name_.end() && commands_.size() < kFutureBit) {
      AclCommand c;
      c.name = cmd.name;
      c.categories = ParseCategories(cmd.acl_categories);
      c.no_auth = (cmd.flags & kCmdNoAuth) != 0;
      c.parent = parent;
      int id = static_cast<int>(commands_.size());
      if (parent >= 0) commands_[static_cast<size_t>(parent)].subcommands.push_back(id);
      it = by_name_.emplace(c.name, id).first;
      commands_.push_back(std::move(c));
    }
    cmd.acl_id = it == by_name_.end() ? -1 : it->second;
  };
  for (Command* c : table.all()) {
    assign(*c, -1);
    for (auto& sub : c->subcommands) assign(*sub, c->acl_id);
  }

  default_user_ = std::make_shared<User>(NewUser("default"));
  for (std::string_view r : {"+@all", "~*", "&*", "on", "nopass"}) {
    (void)ApplyRule(*default_user_, r);
  }
  users_.emplace("default", default_user_);
}

int Acl::LookupCommand(std::string_view name) const {
  std::string lower;
  lower.reserve(name.size());
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t bar = lower.find('|');
  if (bar != std::string::npos && lower.find('|', bar + 1) != std::string::npos) return -1;
  auto it = by_name_.find(lower);
  if (it == by_name_.end()) return -1;
  // "get|x" is not a command: only containers have "|" names (lookupCommandLogic, strict).
  return it->second;
}

// ---------------------------------------------------------------------------------------------
// Users and rules
// ---------------------------------------------------------------------------------------------

Selector Acl::NewSelector() const {
  Selector s;
  s.allchannels = pubsub_default_all_;
  return s;
}

User Acl::NewUser(std::string_view name) const {
  User u;
  u.name = std::string(name);
  u.flags = kUserDisabled;
  u.selectors.push_back(NewSelector());
  u.selectors.front().root = true;
  return u;
}

std::shared_ptr<User> Acl::Find(std::string_view name) const {
  auto it = users_.find(name);
  return it == users_.end() ? nullptr : it->second;
}

void Acl::ChangePerm(Selector& s, int id, bool allow) const {
  if (id < 0) return;
  s.allowed.set(static_cast<size_t>(id), allow);
  if (!allow) s.allcommands = false;
  s.firstargs.erase(id);
  for (int sub : commands_[static_cast<size_t>(id)].subcommands) {
    s.allowed.set(static_cast<size_t>(sub), allow);
    if (!allow) s.allcommands = false;
  }
}

void Acl::SetCategory(Selector& s, uint32_t cat, bool allow) const {
  for (size_t i = 0; i < commands_.size(); ++i) {
    if (commands_[i].categories & cat) ChangePerm(s, static_cast<int>(i), allow);
  }
}

void Acl::CountCategory(const Selector& s, uint32_t cat, int& on, int& off) const {
  on = off = 0;
  for (size_t i = 0; i < commands_.size(); ++i) {
    if (!(commands_[i].categories & cat)) continue;
    if (s.allowed.test(i))
      ++on;
    else
      ++off;
  }
}

// ACLSetSelector: key, channel and command rules, valid at the top level and in selectors.
std::string Acl::ApplySelectorRule(Selector& s, std::string_view op) const {
  if (EqualsIgnoreCase(op, "allkeys") || EqualsIgnoreCase(op, "~*")) {
    s.allkeys = true;
    s.patterns.clear();
  } else if (EqualsIgnoreCase(op, "resetkeys")) {
    s.allkeys = false;
    s.patterns.clear();
  } else if (EqualsIgnoreCase(op, "allchannels") || EqualsIgnoreCase(op, "&*")) {
    s.allchannels = true;
    s.channels.clear();
  } else if (EqualsIgnoreCase(op, "resetchannels")) {
    s.allchannels = false;
    s.channels.clear();
  } else if (EqualsIgnoreCase(op, "allcommands") || EqualsIgnoreCase(op, "+@all")) {
    s.allowed.set();
    s.allcommands = true;
    s.firstargs.clear();
  } else if (EqualsIgnoreCase(op, "nocommands") || EqualsIgnoreCase(op, "-@all")) {
    s.allowed.reset();
    s.allcommands = false;
    s.firstargs.clear();
  } else if (op[0] == '~' || op[0] == '%') {
    if (s.allkeys) return std::string(kErrKeysAfterAll);
    int flags = 0;
    size_t offset = 1;
    if (op[0] == '%') {
      for (; offset < op.size(); ++offset) {
        char c = static_cast<char>(std::toupper(static_cast<unsigned char>(op[offset])));
        if (c == 'R' && !(flags & kPermRead)) {
          flags |= kPermRead;
        } else if (c == 'W' && !(flags & kPermWrite)) {
          flags |= kPermWrite;
        } else if (op[offset] == '~') {
          ++offset;
          break;
        } else {
          return std::string(kErrSyntax);
        }
      }
    } else {
      flags = kPermAll;
    }
    if (flags == 0) return std::string(kErrSyntax);
    std::string_view pat = op.substr(std::min(offset, op.size()));
    if (HasSpaces(pat)) return std::string(kErrSyntax);
    auto it = std::find_if(s.patterns.begin(), s.patterns.end(),
                           [&](const KeyPattern& p) { return p.pattern == pat; });
    if (it == s.patterns.end()) {
      s.patterns.push_back({std::string(pat), flags});
    } else {
      it->flags |= flags;
    }
    s.allkeys = false;
  } else if (op[0] == '&') {
    if (s.allchannels) return std::string(kErrChannelsAfterAll);
    std::string_view pat = op.substr(1);
    if (HasSpaces(pat)) return std::string(kErrSyntax);
    if (std::find(s.channels.begin(), s.channels.end(), pat) == s.channels.end()) {
      s.channels.emplace_back(pat);
    }
    s.allchannels = false;
  } else if (op[0] == '+' && (op.size() < 2 || op[1] != '@')) {
    std::string_view name = op.substr(1);
    size_t bar = name.rfind('|');
    if (bar == std::string_view::npos) {
      int id = LookupCommand(name);
      if (id < 0) return std::string(kErrUnknown);
      ChangePerm(s, id, true);
    } else {
      std::string_view base = name.substr(0, bar);
      std::string_view sub = name.substr(bar + 1);
      int id = LookupCommand(base);
      if (id < 0) return std::string(kErrUnknown);
      if (commands_[static_cast<size_t>(id)].parent >= 0) return std::string(kErrFirstArgOfSub);
      if (sub.empty()) return std::string(kErrSyntax);
      if (!commands_[static_cast<size_t>(id)].subcommands.empty()) {
        int subid = LookupCommand(name);
        if (subid < 0) return std::string(kErrUnknown);
        ChangePerm(s, subid, true);
      } else {
        // A first argument of a command without subcommands (+select|0): deprecated in Redis,
        // which logs a warning, still supported.
        auto& args = s.firstargs[id];
        bool dup = std::any_of(args.begin(), args.end(),
                               [&](const std::string& a) { return EqualsIgnoreCase(a, sub); });
        if (!dup) args.emplace_back(sub);
      }
    }
  } else if (op[0] == '-' && (op.size() < 2 || op[1] != '@')) {
    int id = LookupCommand(op.substr(1));
    if (id < 0) return std::string(kErrUnknown);
    ChangePerm(s, id, false);
  } else if ((op[0] == '+' || op[0] == '-') && op[1] == '@') {
    uint32_t cat = CategoryBit(op.substr(2));
    if (cat == 0) return std::string(kErrUnknown);
    SetCategory(s, cat, op[0] == '+');
  } else {
    return std::string(kErrSyntax);
  }
  return {};
}

std::string Acl::ApplyRule(User& u, std::string_view op) const {
  if (op.empty()) return {};
  if (EqualsIgnoreCase(op, "on")) {
    u.flags = (u.flags | kUserEnabled) & ~kUserDisabled;
  } else if (EqualsIgnoreCase(op, "off")) {
    u.flags = (u.flags | kUserDisabled) & ~kUserEnabled;
  } else if (EqualsIgnoreCase(op, "skip-sanitize-payload")) {
    u.flags = (u.flags | kUserSkipSanitizePayload) & ~kUserSanitizePayload;
  } else if (EqualsIgnoreCase(op, "sanitize-payload")) {
    u.flags = (u.flags | kUserSanitizePayload) & ~kUserSkipSanitizePayload;
  } else if (EqualsIgnoreCase(op, "nopass")) {
    u.flags |= kUserNoPass;
    u.passwords.clear();
  } else if (EqualsIgnoreCase(op, "resetpass")) {
    u.flags &= ~kUserNoPass;
    u.passwords.clear();
  } else if (op[0] == '>' || op[0] == '#') {
    std::string hash;
    if (op[0] == '>') {
      hash = Sha256Hex(op.substr(1));
    } else {
      if (!ValidHash(op.substr(1))) return std::string(kErrBadHash);
      hash = std::string(op.substr(1));
    }
    if (std::find(u.passwords.begin(), u.passwords.end(), hash) == u.passwords.end()) {
      u.passwords.push_back(std::move(hash));
    }
    u.flags &= ~kUserNoPass;
  } else if (op[0] == '<' || op[0] == '!') {
    std::string hash;
    if (op[0] == '<') {
      hash = Sha256Hex(op.substr(1));
    } else {
      if (!ValidHash(op.substr(1))) return std::string(kErrBadHash);
      hash = std::string(op.substr(1));
    }
    auto it = std::find(u.passwords.begin(), u.passwords.end(), hash);
    if (it == u.passwords.end()) return std::string(kErrNoSuchPass);
    u.passwords.erase(it);
  } else if (op[0] == '(' && op.back() == ')') {
    // aclCreateSelectorFromOpSet: the words inside are selector rules.
    Selector s = NewSelector();
    bool ok = true;
    auto words = SplitSelector(op.substr(1, op.size() - 2), ok);
    if (!ok) return std::string(kErrSyntax);
    for (const std::string& w : words) {
      if (w.empty()) continue;
      std::string err = ApplySelectorRule(s, w);
      if (!err.empty()) return err;
    }
    u.selectors.push_back(std::move(s));
  } else if (EqualsIgnoreCase(op, "clearselectors")) {
    u.selectors.resize(1);
  } else if (EqualsIgnoreCase(op, "reset")) {
    for (std::string_view r : {"resetpass", "resetkeys", "resetchannels"}) (void)ApplyRule(u, r);
    if (pubsub_default_all_) (void)ApplyRule(u, "allchannels");
    for (std::string_view r : {"off", "sanitize-payload", "clearselectors", "-@all"}) {
      (void)ApplyRule(u, r);
    }
  } else {
    return ApplySelectorRule(u.root(), op);
  }
  return {};
}

std::string Acl::SetUser(std::string_view name, std::span<const std::string> rules) {
  std::vector<std::string> merged;
  size_t bad = 0;
  if (!MergeSelectorArgs(rules, merged, bad)) {
    return "Unmatched parenthesis in acl selector starting at '" + rules[bad] + "'.";
  }
  std::shared_ptr<User> existing = Find(name);
  User temp = existing ? *existing : NewUser(name);
  for (const std::string& r : merged) {
    std::string err = ApplyRule(temp, r);
    if (!err.empty()) return "Error in ACL SETUSER modifier '" + r + "': " + err;
  }
  if (existing) {
    *existing = std::move(temp);
  } else {
    users_.emplace(std::string(name), std::make_shared<User>(std::move(temp)));
  }
  return {};
}

bool Acl::Delete(std::string_view name) {
  auto it = users_.find(name);
  if (it == users_.end()) return false;
  users_.erase(it);
  return true;
}

void Acl::SetDefaultPassword(std::string_view password) {
  (void)ApplyRule(*default_user_, "resetpass");
  if (password.empty()) {
    (void)ApplyRule(*default_user_, "nopass");
  } else {
    (void)ApplyRule(*default_user_, ">" + std::string(password));
  }
}

std::shared_ptr<User> Acl::CheckCredentials(std::string_view user, std::string_view pass) const {
  std::shared_ptr<User> u = Find(user);
  if (!u || (u->flags & kUserDisabled)) return nullptr;
  if (u->flags & kUserNoPass) return u;
  std::string hash = Sha256Hex(pass);
  // Compared in full for every stored hash, so the time does not depend on where they differ.
  bool found = false;
  for (const std::string& h : u->passwords) {
    unsigned diff = 0;
    for (size_t i = 0; i < h.size() && i < hash.size(); ++i) {
      diff |= static_cast<unsigned>(h[i] ^ hash[i]);
    }
    if (diff == 0 && h.size() == hash.size()) found = true;
  }
  return found ? u : nullptr;
}

// ---------------------------------------------------------------------------------------------
// Permission checks
// ---------------------------------------------------------------------------------------------

// Key specs of COMMAND INFO (element 8 of an entry): flags, begin_search, find_keys.
const std::vector<Acl::KeySpec>& Acl::Specs(const Command& cmd) {
  auto it = specs_.find(&cmd);
  if (it != specs_.end()) return it->second;
  std::vector<KeySpec> specs;
  const Command* top = cmd.parent ? cmd.parent : &cmd;
  const CommandMeta* meta = FindCommandMeta(table_, top->name);
  const resp::Value* entry = meta ? &meta->info : nullptr;
  if (entry && cmd.parent && entry->elements.size() >= 10) {
    const resp::Value* found = nullptr;
    for (const auto& s : entry->elements[9].elements) {
      if (!s.elements.empty() && s.elements[0].str == cmd.name) found = &s;
    }
    entry = found;
  }
  auto map_get = [](const resp::Value& m, std::string_view key) -> const resp::Value* {
    for (size_t i = 0; i + 1 < m.elements.size(); i += 2) {
      if (m.elements[i].str == key) return &m.elements[i + 1];
    }
    return nullptr;
  };
  auto int_of = [&](const resp::Value* m, std::string_view key) {
    const resp::Value* v = m ? map_get(*m, key) : nullptr;
    return v ? static_cast<int>(v->integer) : 0;
  };
  if (entry && entry->elements.size() >= 9) {
    for (const resp::Value& spec : entry->elements[8].elements) {
      KeySpec ks;
      if (const resp::Value* flags = map_get(spec, "flags")) {
        for (const auto& f : flags->elements) {
          if (f.str == "access") ks.flags |= kPermRead;
          if (f.str == "insert" || f.str == "delete" || f.str == "update") ks.flags |= kPermWrite;
        }
      }
      const resp::Value* bs = map_get(spec, "begin_search");
      const resp::Value* fk = map_get(spec, "find_keys");
      if (!bs || !fk) continue;
      const resp::Value* bs_type = map_get(*bs, "type");
      const resp::Value* bs_spec = map_get(*bs, "spec");
      const resp::Value* fk_type = map_get(*fk, "type");
      const resp::Value* fk_spec = map_get(*fk, "spec");
      if (!bs_type || !fk_type) continue;
      if (bs_type->str == "index") {
        ks.index = int_of(bs_spec, "index");
      } else if (bs_type->str == "keyword") {
        ks.by_keyword = true;
        const resp::Value* kw = bs_spec ? map_get(*bs_spec, "keyword") : nullptr;
        ks.keyword = kw ? kw->str : "";
        ks.startfrom = int_of(bs_spec, "startfrom");
      } else {
        continue;
      }
      if (fk_type->str == "range") {
        ks.lastkey = int_of(fk_spec, "lastkey");
        ks.keystep = int_of(fk_spec, "keystep");
        ks.limit = int_of(fk_spec, "limit");
      } else if (fk_type->str == "keynum") {
        ks.keynum = true;
        ks.keynumidx = int_of(fk_spec, "keynumidx");
        ks.firstkey = int_of(fk_spec, "firstkey");
        ks.keystep = int_of(fk_spec, "keystep");
      } else {
        continue;
      }
      if (ks.keystep <= 0) ks.keystep = 1;
      specs.push_back(std::move(ks));
    }
  } else if (cmd.first_key > 0) {
    // No specification (a renamed command): first/last/step, written keys for write commands.
    KeySpec ks;
    ks.flags = (cmd.flags & kCmdWrite) ? kPermWrite : kPermRead;
    ks.index = cmd.first_key;
    ks.lastkey = cmd.last_key < 0 ? cmd.last_key : cmd.last_key - cmd.first_key;
    ks.keystep = cmd.key_step > 0 ? cmd.key_step : 1;
    specs.push_back(ks);
  }
  return specs_.emplace(&cmd, std::move(specs)).first->second;
}

// getKeysUsingKeySpecs: a spec that cannot be applied (bad numkeys) drops every key, as the
// default search does; the command itself then answers its syntax error.
std::vector<std::pair<int, int>> Acl::KeyPositions(const Command& cmd,
                                                   std::span<const std::string_view> argv) {
  std::vector<std::pair<int, int>> keys;
  const int argc = static_cast<int>(argv.size());
  for (const KeySpec& ks : Specs(cmd)) {
    int first = 0;
    if (!ks.by_keyword) {
      first = ks.index;
    } else {
      int start = ks.startfrom > 0 ? ks.startfrom : argc + ks.startfrom;
      int end = ks.startfrom > 0 ? argc - 1 : 1;
      bool found = false;
      for (int i = start; i != end + (start <= end ? 1 : -1); i += start <= end ? 1 : -1) {
        if (i >= argc || i < 1) break;
        if (EqualsIgnoreCase(argv[static_cast<size_t>(i)], ks.keyword)) {
          first = i + 1;
          found = true;
          break;
        }
      }
      if (!found) continue;
    }
    int last = 0;
    int step = ks.keystep;
    if (!ks.keynum) {
      if (ks.lastkey >= 0) {
        last = first + ks.lastkey;
      } else if (ks.limit == 0) {
        last = argc + ks.lastkey;
      } else {
        last = first + ((argc - first) / ks.limit + ks.lastkey);
      }
    } else {
      int at = first + ks.keynumidx;
      if (at >= argc || at < 0) return {};
      char* end = nullptr;
      std::string n(argv[static_cast<size_t>(at)]);
      errno = 0;
      long long numkeys = std::strtoll(n.c_str(), &end, 10);
      if (n.empty() || *end != '\0' || errno != 0 || numkeys < 0 || numkeys > argc) return {};
      first += ks.firstkey;
      last = first + static_cast<int>(numkeys) - 1;
    }
    for (int i = first; i <= last; i += step) {
      if (i >= argc || i < first) continue;
      keys.emplace_back(i, ks.flags);
    }
  }
  // VARIABLE_FLAGS specs: Redis asks the command (setGetKeys, bitfieldGetKeys).
  if (keys.size() == 1 && cmd.name == "set") {
    keys[0].second = kPermWrite;
    for (size_t i = 3; i < argv.size(); ++i) {
      if (EqualsIgnoreCase(argv[i], "get")) keys[0].second = kPermAll;
    }
  } else if (keys.size() == 1 && cmd.name == "bitfield") {
    bool readonly = true;
    for (size_t i = 2; i < argv.size() && readonly; ++i) {
      const size_t remargs = argv.size() - i - 1;
      if (EqualsIgnoreCase(argv[i], "get") && remargs >= 2) {
        i += 2;
      } else if (EqualsIgnoreCase(argv[i], "overflow") && remargs >= 1) {
        i += 1;
      } else {
        readonly = false;  // SET, INCRBY or a syntax error: not read-only
      }
    }
    keys[0].second = readonly ? kPermRead : kPermAll;
  }
  return keys;
}

namespace {

bool KeyAllowed(const Selector& s, std::string_view key, int key_flags) {
  if (s.allkeys) return true;
  for (const KeyPattern& p : s.patterns) {
    if ((p.flags & key_flags) != key_flags) continue;
    if (config::GlobMatch(p.pattern, key, false)) return true;
  }
  return false;
}

bool ChannelAllowedBy(const Selector& s, std::string_view channel, bool is_pattern) {
  if (s.allchannels) return true;
  for (const std::string& p : s.channels) {
    // A subscription pattern is allowed only by the identical pattern (ACLCheckChannelAgainstList).
    if (is_pattern ? p == channel : config::GlobMatch(p, channel, false)) return true;
  }
  return false;
}

// The channel arguments of PUBLISH, SPUBLISH, SUBSCRIBE, SSUBSCRIBE and PSUBSCRIBE (the commands
// whose channels ACLs check); `pattern` for PSUBSCRIBE.
bool ChannelArgs(const Command& cmd, int argc, int& first, int& last, bool& pattern) {
  const std::string& n = cmd.name;
  pattern = n == "psubscribe";
  if (n == "publish" || n == "spublish") {
    first = last = 1;
    return true;
  }
  if (n == "subscribe" || n == "ssubscribe" || n == "psubscribe") {
    first = 1;
    last = argc - 1;
    return true;
  }
  return false;
}

}  // namespace

CheckResult Acl::CheckSelector(const Selector& s, const Command& cmd,
                               std::span<const std::string_view> argv,
                               std::vector<std::pair<int, int>>* keys, bool* keys_done) {
  const int id = cmd.acl_id;
  if (!s.allcommands && !(cmd.flags & kCmdNoAuth)) {
    if (id < 0 || !s.allowed.test(static_cast<size_t>(id))) {
      auto it = id < 0 ? s.firstargs.end() : s.firstargs.find(id);
      if (argv.size() < 2 || it == s.firstargs.end()) return {Verdict::kDeniedCmd, 0};
      size_t idx = cmd.parent ? 2 : 1;
      if (idx >= argv.size()) return {Verdict::kDeniedCmd, 0};
      bool match = std::any_of(it->second.begin(), it->second.end(), [&](const std::string& a) {
        return EqualsIgnoreCase(a, argv[idx]);
      });
      if (!match) return {Verdict::kDeniedCmd, 0};
    }
  }
  if (!s.allkeys && (cmd.first_key > 0 || (cmd.flags & kCmdMovableKeys) || !Specs(cmd).empty())) {
    if (!*keys_done) {
      *keys = KeyPositions(cmd, argv);
      *keys_done = true;
    }
    for (auto [pos, flags] : *keys) {
      if (!KeyAllowed(s, argv[static_cast<size_t>(pos)], flags)) return {Verdict::kDeniedKey, pos};
    }
  }
  int first = 0, last = -1;
  bool pattern = false;
  if (!s.allchannels && ChannelArgs(cmd, static_cast<int>(argv.size()), first, last, pattern)) {
    for (int i = first; i <= last && i < static_cast<int>(argv.size()); ++i) {
      if (!ChannelAllowedBy(s, argv[static_cast<size_t>(i)], pattern)) {
        return {Verdict::kDeniedChannel, i};
      }
    }
  }
  return {};
}

CheckResult Acl::Check(const User& u, const Command& cmd, std::span<const std::string_view> argv) {
  const Selector& root = u.root();
  if (u.selectors.size() == 1 && root.allcommands && root.allkeys && root.allchannels) return {};
  std::vector<std::pair<int, int>> keys;
  bool keys_done = false;
  CheckResult relevant;
  for (const Selector& s : u.selectors) {
    CheckResult r = CheckSelector(s, cmd, argv, &keys, &keys_done);
    if (r.verdict == Verdict::kOk) return r;
    if (static_cast<int>(r.verdict) > static_cast<int>(relevant.verdict)) relevant = r;
  }
  return relevant;
}

bool Acl::ChannelAllowed(const User& u, std::string_view channel, bool is_pattern) const {
  for (const Selector& s : u.selectors) {
    if (ChannelAllowedBy(s, channel, is_pattern)) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Descriptions
// ---------------------------------------------------------------------------------------------

// ACLDescribeSelectorCommandRules: +@all or -@all, then the categories that fit best, tried
// in Redis's order against a copy whose fitted categories are taken away, then the single
// commands and first arguments that still differ. The single commands come in command-set
// order (sorted by name); Redis emits them in its dict's order, which changes with the hash
// seed of each process.
std::string Acl::DescribeCommandRules(const Selector& s) const {
  std::string rules;
  Selector fake;
  const bool additive = !s.allowed.test(kFutureBit);
  if (!additive) {
    rules += "+@all ";
    fake.allowed.set();
    fake.allcommands = true;
  } else {
    rules += "-@all ";
  }
  Selector temp;
  temp.allowed = s.allowed;
  for (size_t j = 0; j < std::size(kCategoryNames); ++j) {
    const uint32_t cat = 1u << j;
    int on = 0, off = 0;
    CountCategory(temp, cat, on, off);
    if ((additive && on > off) || (!additive && off > on)) {
      SetCategory(fake, cat, additive);
      SetCategory(temp, cat, !additive);
      rules += additive ? "+@" : "-@";
      rules += kCategoryNames[j];
      rules += ' ';
    }
  }
  // Single commands: a container first, then its subcommands, then first arguments.
  auto single = [&](auto& self, int id) -> void {
    const size_t i = static_cast<size_t>(id);
    const bool userbit = s.allowed.test(i);
    if (userbit != fake.allowed.test(i)) {
      rules += userbit ? '+' : '-';
      rules += commands_[i].name;
      rules += ' ';
      ChangePerm(fake, id, userbit);
    }
    for (int sub : commands_[i].subcommands) self(self, sub);
    auto fa = s.firstargs.find(id);
    if (!userbit && fa != s.firstargs.end()) {
      for (const std::string& a : fa->second) {
        rules += '+';
        rules += commands_[i].name;
        rules += '|';
        rules += a;
        rules += ' ';
      }
    }
  };
  for (size_t i = 0; i < commands_.size(); ++i) {
    if (commands_[i].parent < 0) single(single, static_cast<int>(i));
  }
  rules.pop_back();
  return rules;
}

std::string Acl::DescribeKeys(const Selector& s) {
  if (s.allkeys) return "~*";
  std::string out;
  for (const KeyPattern& p : s.patterns) {
    if (!out.empty()) out += ' ';
    out += PatternString(p);
  }
  return out;
}

std::string Acl::DescribeChannels(const Selector& s) {
  if (s.allchannels) return "&*";
  std::string out;
  for (const std::string& c : s.channels) {
    if (!out.empty()) out += ' ';
    out += '&';
    out += c;
  }
  return out;
}

std::string Acl::DescribeSelector(const Selector& s) const {
  std::string res;
  if (s.allkeys) {
    res += "~* ";
  } else {
    for (const KeyPattern& p : s.patterns) res += PatternString(p) + " ";
  }
  if (s.allchannels) {
    res += "&* ";
  } else {
    res += "resetchannels ";
    for (const std::string& c : s.channels) res += "&" + c + " ";
  }
  res += DescribeCommandRules(s);
  return res;
}

std::string Acl::Describe(const User& u) const {
  std::string res;
  static constexpr std::pair<uint32_t, std::string_view> kFlags[] = {
      {kUserEnabled, "on"},
      {kUserDisabled, "off"},
      {kUserNoPass, "nopass"},
      {kUserSkipSanitizePayload, "skip-sanitize-payload"},
      {kUserSanitizePayload, "sanitize-payload"}};
  for (auto [bit, name] : kFlags) {
    if (u.flags & bit) {
      res += name;
      res += ' ';
    }
  }
  for (const std::string& p : u.passwords) res += "#" + p + " ";
  for (const Selector& s : u.selectors) {
    if (s.root) {
      res += DescribeSelector(s);
    } else {
      res += " (" + DescribeSelector(s) + ")";
    }
  }
  return res;
}

// ---------------------------------------------------------------------------------------------
// ACL file and configured users
// ---------------------------------------------------------------------------------------------

std::string Acl::LoadConfigured(const std::vector<std::vector<std::string>>& users) {
  for (const auto& words : users) {
    const std::string& name = words[0];
    std::shared_ptr<User> u = Find(name);
    if (u) {
      (void)ApplyRule(*u, "reset");
    } else {
      u = std::make_shared<User>(NewUser(name));
    }
    std::vector<std::string> merged;
    size_t bad = 0;
    std::span<const std::string> rules(words.begin() + 1, words.end());
    if (!MergeSelectorArgs(rules, merged, bad)) {
      return "Unmatched parenthesis in acl selector starting at '" + rules[bad] + "'.";
    }
    for (const std::string& r : merged) {
      std::string err = ApplyRule(*u, r);
      if (!err.empty()) {
        return "Error loading ACL rule '" + r + "' for the user named '" + name + "': " + err;
      }
    }
    users_[name] = u;
  }
  return {};
}

std::string Acl::LoadFile(const std::string& path, std::vector<std::shared_ptr<User>>* replaced) {
  std::string content;
  if (!storage::ReadFile(path, content)) {
    return "Error loading ACLs, opening file '" + path + "': " + std::strerror(errno);
  }

  std::map<std::string, std::shared_ptr<User>, std::less<>> fresh;
  std::string errors;
  int linenum = 0;
  size_t pos = 0;
  while (pos <= content.size()) {
    size_t nl = content.find('\n', pos);
    if (nl == std::string::npos) nl = content.size();
    std::string line = content.substr(pos, nl - pos);
    pos = nl + 1;
    ++linenum;
    // sdstrim(" \t\r\n"), then split on single spaces (no quoting), as ACLLoadFromFile does.
    size_t b = line.find_first_not_of(" \t\r\n");
    size_t e = line.find_last_not_of(" \t\r\n");
    if (b == std::string::npos) {
      if (nl == content.size()) break;
      continue;
    }
    line = line.substr(b, e - b + 1);
    std::vector<std::string> argv;
    size_t p = 0;
    while (true) {
      size_t sp = line.find(' ', p);
      argv.push_back(line.substr(p, sp == std::string::npos ? std::string::npos : sp - p));
      if (sp == std::string::npos) break;
      p = sp + 1;
    }
    if (argv[0] != "user" || argv.size() < 2) {
      errors += path + ":" + std::to_string(linenum) +
                " should start with user keyword followed by the username. ";
      continue;
    }
    if (HasSpaces(argv[1])) {
      errors += "'" + path + ":" + std::to_string(linenum) + ": username '" + argv[1] +
                "' contains invalid characters. ";
      continue;
    }
    if (fresh.contains(argv[1])) {
      errors += "WARNING: Duplicate user '" + argv[1] + "' found on line " +
                std::to_string(linenum) + ". ";
      continue;
    }
    auto u = std::make_shared<User>(NewUser(argv[1]));
    std::vector<std::string> merged;
    size_t bad = 0;
    std::span<const std::string> rules(argv.begin() + 2, argv.end());
    if (!MergeSelectorArgs(rules, merged, bad)) {
      errors +=
          path + ":" + std::to_string(linenum) + ": Unmatched parenthesis in selector definition.";
    }
    // An unknown command is named (no secret in it); of the other errors only the line's
    // first is reported, since it may explain the following ones.
    bool syntax_error = false;
    for (std::string& r : merged) {
      size_t rb = r.find_first_not_of("\t\r\n");
      size_t re = r.find_last_not_of("\t\r\n");
      r = rb == std::string::npos ? std::string() : r.substr(rb, re - rb + 1);
      std::string err = ApplyRule(*u, r);
      if (err.empty()) continue;
      if (err == kErrUnknown) {
        errors += path + ":" + std::to_string(linenum) + ": Error in applying operation '" + r +
                  "': " + err + ". ";
      } else if (!syntax_error) {
        errors += path + ":" + std::to_string(linenum) + ": " + err + ". ";
        syntax_error = true;
      }
    }
    fresh.emplace(argv[1], std::move(u));
    if (nl == content.size()) break;
  }
  if (!errors.empty()) {
    return errors +
           "WARNING: ACL errors detected, no change to the previously active ACL rules was "
           "performed";
  }
  // The default user object stays (clients point at it); it takes the file's rules, or the
  // rules of a fresh default user when the file has none.
  auto def = fresh.find("default");
  User new_default;
  if (def != fresh.end()) {
    new_default = *def->second;
  } else {
    new_default = NewUser("default");
    for (std::string_view r : {"+@all", "~*", "&*", "on", "nopass"})
      (void)ApplyRule(new_default, r);
  }
  for (auto& [name, u] : users_) {
    if (u != default_user_ && replaced) replaced->push_back(u);
  }
  *default_user_ = std::move(new_default);
  fresh["default"] = default_user_;
  users_ = std::move(fresh);
  return {};
}

std::string Acl::SaveFile(const std::string& path) const {
  std::string out;
  for (const auto& [name, u] : users_) out += "user " + name + " " + Describe(*u) + "\n";
  std::string tmp = path + ".tmp-" + std::to_string(getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return std::string("Opening temp ACL file for ACL SAVE: ") + std::strerror(errno);
  size_t off = 0;
  while (off < out.size()) {
    ssize_t w = write(fd, out.data() + off, out.size() - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      std::string err = std::string("Writing ACL file for ACL SAVE: ") + std::strerror(errno);
      close(fd);
      unlink(tmp.c_str());
      return err;
    }
    off += static_cast<size_t>(w);
  }
  fsync(fd);
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    std::string err = std::string("Renaming ACL file for ACL SAVE: ") + std::strerror(errno);
    unlink(tmp.c_str());
    return err;
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// ACL LOG
// ---------------------------------------------------------------------------------------------

void Acl::AddLogEntry(Verdict reason, bool in_multi, std::string object, std::string username,
                      std::string client_info, int64_t now_ms, size_t max_len) {
  LogEntry le;
  switch (reason) {
    case Verdict::kDeniedCmd:
      le.reason = "command";
      ++denied_cmd;
      break;
    case Verdict::kDeniedKey:
      le.reason = "key";
      ++denied_key;
      break;
    case Verdict::kDeniedChannel:
      le.reason = "channel";
      ++denied_channel;
      break;
    case Verdict::kDeniedAuth:
      le.reason = "auth";
      ++denied_auth;
      break;
    case Verdict::kOk:
      return;
  }
  le.context = in_multi ? "multi" : "toplevel";
  le.object = std::move(object);
  le.username = std::move(username);
  le.ctime_ms = now_ms;
  le.client_info = std::move(client_info);
  // Grouped with a similar entry among the 10 newest (ACLLogMatchEntry: same reason, context,
  // object and user, within 60 s), which moves to the head.
  for (size_t i = 0; i < log_.size() && i < 10; ++i) {
    LogEntry& cur = log_[i];
    if (cur.reason == le.reason && cur.context == le.context && cur.object == le.object &&
        cur.username == le.username && le.ctime_ms - cur.ctime_ms <= 60000) {
      LogEntry moved = std::move(cur);
      log_.erase(log_.begin() + static_cast<std::ptrdiff_t>(i));
      moved.count++;
      moved.ctime_ms = le.ctime_ms;
      moved.client_info = std::move(le.client_info);
      log_.push_front(std::move(moved));
      return;
    }
  }
  log_.push_front(std::move(le));
  while (log_.size() > max_len) log_.pop_back();
}

}  // namespace tandem::server::acl
