// Server commands (server.c, config.c, debug.c, object.c, slowlog.c): INFO, CONFIG, COMMAND,
// TIME, SLOWLOG, MONITOR, OBJECT, MEMORY, DEBUG, ROLE, SHUTDOWN.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cmath>
#include <thread>

#include "config/glob.h"
#include "config/log.h"
#include "resp/net/protected_mode.h"
#include "server/arg_cursor.h"
#include "server/command_meta.h"
#include "server/errors.h"
#include "server/server.h"
#include "storage/digest.h"
#include "storage/file_io.h"

namespace tandem::server {

namespace {

using storage::Entry;

void CmdInfo(CommandContext& ctx) {
  std::string text = BuildInfo(ctx.server, ctx.args.subspan(1));
  ctx.reply().Verbatim(text);
}

// ---- CONFIG ----------------------------------------------------------------------------------

void CmdConfigGet(CommandContext& ctx) {
  std::vector<std::string> patterns(ctx.args.begin() + 2, ctx.args.end());
  auto pairs = ctx.server.schema().ConfigGet(patterns);
  ctx.reply().MapHeader(static_cast<int64_t>(pairs.size()));
  for (const auto& [k, v] : pairs) {
    ctx.reply().Bulk(k);
    ctx.reply().Bulk(v);
  }
}

void CmdConfigSet(CommandContext& ctx) {
  if (ctx.args.size() % 2 != 0) return ctx.WrongArity();
  std::vector<std::string> pairs(ctx.args.begin() + 2, ctx.args.end());
  auto r = ctx.server.schema().ConfigSet(pairs);
  if (!r) return ctx.Error(r.error());
  ctx.reply().Ok();
}

void CmdConfigRewrite(CommandContext& ctx) {
  const std::string& file = ctx.server.config_file();
  if (file.empty()) return ctx.Error("ERR The server is running without a config file");
  auto r = ctx.server.schema().Rewrite(file);
  if (!r) {
    config::LogMessage(config::Level::kWarning,
                       fmt::format("CONFIG REWRITE failed: {}", r.error()));
    return ctx.Error(fmt::format("ERR Rewriting config file: {}", r.error()));
  }
  config::LogMessage(config::Level::kNotice, "CONFIG REWRITE executed with success.");
  ctx.reply().Ok();
}

void CmdConfigResetstat(CommandContext& ctx) {
  ServerStats& st = ctx.server.stats();
  st = ServerStats{};
  ctx.server.keyspace().expired_keys = 0;
  acl::Acl& acl = ctx.server.acl();
  acl.denied_auth = acl.denied_cmd = acl.denied_key = acl.denied_channel = 0;
  ctx.server.commands().ForEachWithSubcommands([](const Command& c) { c.stats = CommandStats{}; });
  ctx.reply().Ok();
}

void CmdConfigHelp(CommandContext& ctx) {
  ReplyHelp(
      ctx, "CONFIG",
      {"GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
       "SET <directive> <value>", "    Set the configuration <directive> to <value>.", "RESETSTAT",
       "    Reset statistics reported by the INFO command.", "REWRITE",
       "    Rewrite the configuration file."});
}

// ---- COMMAND ---------------------------------------------------------------------------------

// COMMAND and COMMAND INFO [name ...]: one entry per name, null for unknown names.
void ReplyCommandInfos(CommandContext& ctx, std::span<const std::string_view> names) {
  resp::ReplyBuilder& r = ctx.reply();
  if (names.empty()) {
    const auto& all = ctx.server.commands().all();
    r.ArrayHeader(static_cast<int64_t>(all.size()));
    for (const Command* c : all) {
      const CommandMeta* m = FindCommandMeta(ctx.server.commands(), c->name);
      m ? resp::WriteValue(m->info, r) : r.NullArray();
    }
    return;
  }
  r.ArrayHeader(static_cast<int64_t>(names.size()));
  for (std::string_view n : names) {
    const CommandMeta* m = FindCommandMeta(ctx.server.commands(), ToLower(n));
    m ? resp::WriteValue(m->info, r) : r.Null();
  }
}

void CmdCommand(CommandContext& ctx) {
  if (ctx.args.size() > 1) {
    // "COMMAND x" with an unknown subcommand is answered by the dispatcher.
    return ctx.Error(err::kSyntax);
  }
  ReplyCommandInfos(ctx, {});
}

void CmdCommandInfo(CommandContext& ctx) { ReplyCommandInfos(ctx, ctx.args.subspan(2)); }

void CmdCommandDocs(CommandContext& ctx) {
  resp::ReplyBuilder& r = ctx.reply();
  std::vector<std::pair<std::string, const CommandMeta*>> found;
  if (ctx.args.size() == 2) {
    for (const Command* c : ctx.server.commands().all()) {
      if (const CommandMeta* m = FindCommandMeta(ctx.server.commands(), c->name)) {
        found.emplace_back(c->name, m);
      }
    }
  } else {
    for (std::string_view n : ctx.args.subspan(2)) {
      std::string name = ToLower(n);
      if (const CommandMeta* m = FindCommandMeta(ctx.server.commands(), name)) {
        found.emplace_back(name, m);
      }
    }
  }
  r.MapHeader(static_cast<int64_t>(found.size()));
  for (const auto& [name, m] : found) {
    r.Bulk(name);
    resp::WriteValue(m->docs, r);
  }
}

void CmdCommandCount(CommandContext& ctx) {
  ctx.reply().Integer(static_cast<int64_t>(ctx.server.commands().size()));
}

void CmdCommandList(CommandContext& ctx) {
  std::string_view pattern;
  std::string_view category;
  if (ctx.args.size() == 5 && EqualsIgnoreCase(ctx.args[2], "filterby")) {
    if (EqualsIgnoreCase(ctx.args[3], "pattern")) {
      pattern = ctx.args[4];
    } else if (EqualsIgnoreCase(ctx.args[3], "aclcat")) {
      category = ctx.args[4];
    } else if (!EqualsIgnoreCase(ctx.args[3], "module")) {
      return ctx.Error(err::kSyntax);
    } else {
      return ctx.reply().EmptyArray();  // no modules
    }
  } else if (ctx.args.size() != 2) {
    return ctx.Error(err::kSyntax);
  }
  std::vector<std::string_view> names;
  ctx.server.commands().ForEachWithSubcommands([&](const Command& c) {
    if (!pattern.empty() && !config::GlobMatch(pattern, c.name, true)) return;
    if (!category.empty()) {
      std::string cat = "@" + ToLower(category);
      std::string cats = c.acl_categories + " ";
      if (cats.find(cat + " ") == std::string::npos) return;
    }
    names.push_back(c.name);
  });
  ctx.reply().ArrayHeader(static_cast<int64_t>(names.size()));
  for (std::string_view n : names) ctx.reply().Bulk(n);
}

// Keys of a full command line by its table row (first/last/step), as COMMAND GETKEYS does for
// commands without movable keys.
void CmdCommandGetkeys(CommandContext& ctx) {
  std::span<const std::string_view> argv = ctx.args.subspan(2);
  const Command* cmd = ctx.server.commands().Find(argv[0]);
  if (cmd && !cmd->subcommands.empty() && argv.size() >= 2) {
    cmd = cmd->FindSubcommand(ToLower(argv[1]));
  }
  if (cmd == nullptr) return ctx.Error("ERR Invalid command specified");
  int argc = static_cast<int>(argv.size());
  if ((cmd->arity > 0 && cmd->arity != argc) || argc < -cmd->arity) {
    return ctx.Error("ERR Invalid number of arguments specified for command");
  }
  std::vector<std::string_view> keys;
  if (cmd->flags & kCmdMovableKeys) {
    // "numkeys key [key ...]" commands: where numkeys sits, and a destination key before it.
    struct Movable {
      std::string_view name;
      int numkeys_at;
      bool has_destination;
    };
    static constexpr Movable kMovable[] = {
        {"lmpop", 1, false},      {"zmpop", 1, false},      {"sintercard", 1, false},
        {"zintercard", 1, false}, {"zunion", 1, false},     {"zinter", 1, false},
        {"zdiff", 1, false},      {"blmpop", 2, false},     {"bzmpop", 2, false},
        {"zunionstore", 2, true}, {"zinterstore", 2, true}, {"zdiffstore", 2, true},
    };
    for (const Movable& m : kMovable) {
      if (cmd->name != m.name) continue;
      int64_t n = 0;
      if (!ParseInt64(argv[m.numkeys_at], n) || n <= 0 || m.numkeys_at + n >= argc) break;
      if (m.has_destination) keys.push_back(argv[1]);
      for (int64_t i = 0; i < n; ++i) keys.push_back(argv[m.numkeys_at + 1 + i]);
    }
  }
  if (keys.empty()) ForEachKeyIndex(*cmd, argc, [&](int i) { keys.push_back(argv[i]); });
  if (keys.empty()) return ctx.Error("ERR The command has no key arguments");
  ctx.reply().ArrayHeader(static_cast<int64_t>(keys.size()));
  for (std::string_view k : keys) ctx.reply().Bulk(k);
}

void CmdCommandHelp(CommandContext& ctx) {
  ReplyHelp(ctx, "COMMAND",
            {"(no subcommand)", "    Return details about all Redis commands.", "COUNT",
             "    Return the total number of commands in this Redis server.", "LIST",
             "    Return a list of all commands in this Redis server.", "INFO [<command-name> ...]",
             "    Return details about multiple Redis commands.",
             "    If no command names are given, documentation details for all",
             "    commands are returned.", "DOCS [<command-name> ...]",
             "    Return documentation details about multiple Redis commands.",
             "    If no command names are given, documentation details for all",
             "    commands are returned.", "GETKEYS <full-command>",
             "    Return the keys from a full Redis command.", "GETKEYSANDFLAGS <full-command>",
             "    Return the keys and the access flags from a full Redis command."});
}

// ---- TIME, SLOWLOG, MONITOR, ROLE ------------------------------------------------------------

void CmdTime(CommandContext& ctx) {
  using namespace std::chrono;
  int64_t us = duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
  ctx.reply().ArrayHeader(2);
  ctx.reply().BulkInteger(us / 1000000);
  ctx.reply().BulkInteger(us % 1000000);
}

void CmdSlowlogGet(CommandContext& ctx) {
  int64_t count = 10;
  if (ctx.args.size() == 3) {
    if (!ParseInt64(ctx.args[2], count)) return ctx.Error(err::kNotInteger);
    if (count < -1) return ctx.Error("ERR count should be greater than or equal to -1");
    if (count == -1) count = LLONG_MAX;
  } else if (ctx.args.size() > 3) {
    return ctx.WrongArity();
  }
  const auto& log = ctx.server.slowlog();
  size_t n = std::min<size_t>(log.size(), static_cast<size_t>(count));
  resp::ReplyBuilder& r = ctx.reply();
  r.ArrayHeader(static_cast<int64_t>(n));
  for (size_t i = 0; i < n; ++i) {
    const SlowlogEntry& e = log[i];
    r.ArrayHeader(6);
    r.Integer(static_cast<int64_t>(e.id));
    r.Integer(e.time_s);
    r.Integer(e.duration_us);
    r.ArrayHeader(static_cast<int64_t>(e.args.size()));
    for (const auto& a : e.args) r.Bulk(a);
    r.Bulk(e.peer);
    r.Bulk(e.name);
  }
}

void CmdSlowlogLen(CommandContext& ctx) {
  ctx.reply().Integer(static_cast<int64_t>(ctx.server.slowlog().size()));
}

void CmdSlowlogReset(CommandContext& ctx) {
  ctx.server.slowlog().clear();
  ctx.reply().Ok();
}

void CmdSlowlogHelp(CommandContext& ctx) {
  ReplyHelp(ctx, "SLOWLOG",
            {"GET [<count>]",
             "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
             "    Entries are made of:",
             "    id, timestamp, time in microseconds, arguments array, client IP and port,",
             "    client name", "LEN", "    Return the length of the slowlog.", "RESET",
             "    Reset the slowlog."});
}

void CmdMonitor(CommandContext& ctx) {
  if (ctx.client.flags & kClientMonitor) return;  // already monitoring: no reply, as Redis
  ctx.server.AddMonitor(ctx.client);
  ctx.reply().Ok();
}

// ---- OBJECT, MEMORY --------------------------------------------------------------------------

constexpr int64_t kSharedRefcount = INT_MAX;  // OBJ_SHARED_REFCOUNT
constexpr int64_t kSharedIntegers = 10000;    // OBJ_SHARED_INTEGERS

// Redis shares the integer objects 0..9999 when maxmemory is off.
bool IsSharedInteger(const CommandContext& ctx, const Entry& e) {
  if (e.value.encoding != storage::Encoding::kInt) return false;
  if (ctx.server.config().maxmemory != 0) return false;
  int64_t v = 0;
  return ParseInt64(e.value.str(), v) && v >= 0 && v < kSharedIntegers;
}

void CmdObjectEncoding(CommandContext& ctx) {
  Entry* e = ctx.LookupWrite(ctx.args[2]);
  if (e == nullptr) return ctx.reply().Null();
  ctx.reply().Bulk(storage::EncodingName(e->value.encoding));
}

void CmdObjectRefcount(CommandContext& ctx) {
  Entry* e = ctx.LookupWrite(ctx.args[2]);
  if (e == nullptr) return ctx.reply().Null();
  ctx.reply().Integer(IsSharedInteger(ctx, *e) ? kSharedRefcount : 1);
}

bool LfuPolicy(const CommandContext& ctx) {
  return IsLfuPolicy(ctx.server.config().maxmemory_policy);
}

void CmdObjectIdletime(CommandContext& ctx) {
  Entry* e = ctx.LookupWrite(ctx.args[2]);
  if (e == nullptr) return ctx.reply().Null();
  if (LfuPolicy(ctx)) {
    return ctx.Error(
        "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
        "switching between policies at runtime LRU and LFU data will take some time to adjust.");
  }
  int64_t idle = ctx.now_ms / 1000 - e->lru_seconds();
  ctx.reply().Integer(idle < 0 ? 0 : idle);
}

void CmdObjectFreq(CommandContext& ctx) {
  Entry* e = ctx.LookupWrite(ctx.args[2]);
  if (e == nullptr) return ctx.reply().Null();
  if (!LfuPolicy(ctx)) {
    return ctx.Error(
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
        "that when switching between policies at runtime LRU and LFU data will take some time "
        "to adjust.");
  }
  ctx.reply().Integer(ctx.server.LfuFrequency(*e, ctx.now_ms));
}

void CmdObjectHelp(CommandContext& ctx) {
  ReplyHelp(ctx, "OBJECT",
            {"ENCODING <key>",
             "    Return the kind of internal representation used in order to store the value",
             "    associated with a <key>.", "FREQ <key>",
             "    Return the access frequency index of the <key>. The returned integer is",
             "    proportional to the logarithm of the recent access frequency of the key.",
             "IDLETIME <key>",
             "    Return the idle time of the <key>, that is the approximated number of",
             "    seconds elapsed since the last access to the key.", "REFCOUNT <key>",
             "    Return the number of references of the value associated with the specified",
             "    <key>."});
}

size_t Usable(size_t n) { return n == 0 ? 0 : (n + 15) / 16 * 16; }

// Bytes this key costs: the entry, its key and value buffers, and its bucket slot.
size_t EntryMemory(const Entry& e) {
  size_t inline_room = e.value.is_inline() ? e.value.str_capacity() : 0;
  size_t n = Usable(sizeof(Entry) + e.key().size() + inline_room) + sizeof(void*);
  if (!e.value.is_inline() && e.value.str_capacity() > 0) n += Usable(e.value.str_capacity() + 16);
  if (e.value.obj() != nullptr) n += e.value.obj()->MemoryUsage();
  return n;
}

void CmdMemoryUsage(CommandContext& ctx) {
  if (ctx.args.size() == 5) {
    if (!EqualsIgnoreCase(ctx.args[3], "samples")) return ctx.Error(err::kSyntax);
    int64_t samples = 0;
    if (!ParseInt64(ctx.args[4], samples)) return ctx.Error(err::kNotInteger);
    if (samples < 0) return ctx.Error(err::kSyntax);
  } else if (ctx.args.size() != 3) {
    return ctx.Error(err::kSyntax);
  }
  Entry* e = ctx.LookupWrite(ctx.args[2]);
  if (e == nullptr) return ctx.reply().Null();
  ctx.reply().Integer(static_cast<int64_t>(EntryMemory(*e)));
}

void CmdMemoryHelp(CommandContext& ctx) {
  ReplyHelp(ctx, "MEMORY",
            {"DOCTOR", "    Return memory problems reports.", "MALLOC-STATS",
             "    Return internal statistics report from the memory allocator.", "PURGE",
             "    Attempt to purge dirty pages for reclamation by the allocator.", "STATS",
             "    Return information about the memory usage of the server.",
             "USAGE <key> [SAMPLES <count>]",
             "    Return memory in bytes used by <key> and its value. Nested values are",
             "    sampled up to <count> times (default: 5, 0 means sample all)."});
}

void CmdMemoryPurge(CommandContext& ctx) {
  malloc_trim(0);
  ctx.reply().Ok();
}

// ---- DEBUG -----------------------------------------------------------------------------------

// Dataset digests exactly as Redis computes them (debug.c), so DEBUG DIGEST compares a tandem
// dataset with a Redis one, and a replica with its master.
using Digest = storage::DigestBytes;
using storage::HexDigest;
using storage::MixDigest;
using storage::XorDigest;

// xorObjectDigest: the value's type, its content, and a marker if it has a TTL.
void XorObjectDigest(Digest& digest, const storage::Db& db, const Entry& e) {
  uint32_t type = htonl(storage::RedisTypeCode(static_cast<uint8_t>(e.value.type)));
  MixDigest(digest, &type, sizeof(type));
  if (e.value.type == storage::ObjType::kString) {
    std::string_view s = e.value.str();
    MixDigest(digest, s.data(), s.size());
  } else {
    storage::DigestAggregate(e.value, digest);
  }
  if (db.HasExpire(&e)) XorDigest(digest, "!!expire!!", 10);
}

Digest DatasetDigest(storage::Keyspace& ks) {
  Digest final{};
  for (int j = 0; j < ks.databases(); ++j) {
    storage::Db& db = ks.db(j);
    if (db.size() == 0) continue;
    uint32_t aux = htonl(static_cast<uint32_t>(j));
    MixDigest(final, &aux, sizeof(aux));
    db.ForEach([&](Entry* e) {
      Digest digest{};
      MixDigest(digest, e->key().data(), e->key().size());
      XorObjectDigest(digest, db, *e);
      XorDigest(final, digest.data(), digest.size());
    });
  }
  return final;
}

void CmdDebug(CommandContext& ctx) {
  ProtectedSetting mode = ctx.server.config().enable_debug_command;
  bool local = ctx.client.conn().kind() == net::Connection::Kind::kUnix ||
               net::IsLocalPeer(ctx.client.conn().peer());
  if (!(mode == ProtectedSetting::kYes || (mode == ProtectedSetting::kLocal && local))) {
    return ctx.Error(
        "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", "
        "you can run it from a local connection, otherwise you need to set this option in the "
        "configuration file, and then restart the server.");
  }
  std::string_view sub = ctx.args[1];
  size_t argc = ctx.args.size();
  if (EqualsIgnoreCase(sub, "sleep") && argc == 3) {
    double secs = 0;
    if (!ParseDouble(ctx.args[2], secs)) return ctx.Error(err::kNotFloat);
    secs = std::clamp(secs, 0.0, 1e9);
    std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(secs * 1e6)));
    return ctx.reply().Ok();
  }
  if (EqualsIgnoreCase(sub, "tandem-disk-fault") && argc == 4) {
    // Test hook (tandem only, behind enable-debug-command like every DEBUG subcommand): make the
    // disk seam (storage/file_io.h) fail writes or fsyncs with ENOSPC / EIO, or clear it (OK).
    storage::IoOp op;
    if (EqualsIgnoreCase(ctx.args[2], "write")) {
      op = storage::IoOp::kWrite;
    } else if (EqualsIgnoreCase(ctx.args[2], "fsync")) {
      op = storage::IoOp::kFsync;
    } else {
      return ctx.Error(err::kSyntax);
    }
    int e = 0;
    if (EqualsIgnoreCase(ctx.args[3], "enospc")) {
      e = ENOSPC;
    } else if (EqualsIgnoreCase(ctx.args[3], "eio")) {
      e = EIO;
    } else if (!EqualsIgnoreCase(ctx.args[3], "ok")) {
      return ctx.Error(err::kSyntax);
    }
    storage::Io().InjectFault(op, e);
    return ctx.reply().Ok();
  }
  if (EqualsIgnoreCase(sub, "set-active-expire") && argc == 3) {
    int64_t v = 0;
    if (!ParseInt64(ctx.args[2], v)) return ctx.Error(err::kNotInteger);
    ctx.server.set_active_expire(v != 0);
    return ctx.reply().Ok();
  }
  if (EqualsIgnoreCase(sub, "populate") && argc >= 3 && argc <= 5) {
    int64_t count = 0;
    if (!ParseInt64(ctx.args[2], count)) return ctx.Error(err::kNotInteger);
    if (count < 0) return ctx.Error("ERR count must be greater than or equal to 0");
    std::string_view prefix = argc >= 4 ? ctx.args[3] : std::string_view("key");
    int64_t size = 0;
    if (argc == 5) {
      if (!ParseInt64(ctx.args[4], size)) return ctx.Error(err::kNotInteger);
      if (size < 0) return ctx.Error("ERR size must be greater than or equal to 0");
    }
    storage::Db& db = ctx.db();
    for (int64_t i = 0; i < count; ++i) {
      std::string key = fmt::format("{}:{}", prefix, i);
      if (db.FindRaw(key) != nullptr) continue;
      std::string val = fmt::format("value:{}", i);
      if (size > 0) val.resize(static_cast<size_t>(size), '\0');
      db.Add(key, storage::Value::String(val));
    }
    return ctx.reply().Ok();
  }
  if (EqualsIgnoreCase(sub, "object") && argc == 3) {
    Entry* e = ctx.db().FindRaw(ctx.args[2]);
    if (e == nullptr) return ctx.Error(err::kNoSuchKey);
    return ctx.reply().SimpleString(fmt::format(
        "Value at:{} refcount:{} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}",
        static_cast<const void*>(&e->value), IsSharedInteger(ctx, *e) ? kSharedRefcount : 1,
        storage::EncodingName(e->value.encoding), e->value.str_size() + 1,
        e->lru_seconds() & ((1 << 24) - 1), ctx.now_ms / 1000 - e->lru_seconds()));
  }
  if (EqualsIgnoreCase(sub, "digest") && argc == 2) {
    return ctx.reply().SimpleString(HexDigest(DatasetDigest(ctx.keyspace())));
  }
  if (EqualsIgnoreCase(sub, "digest-value") && argc >= 2) {
    ctx.reply().ArrayHeader(static_cast<int64_t>(argc - 2));
    for (size_t j = 2; j < argc; ++j) {
      Digest d{};
      // LOOKUP_NOTOUCH: a logically expired key reads as absent.
      Entry* e = ctx.keyspace().Lookup(ctx.db(), ctx.args[j], ctx.now_ms);
      if (e != nullptr) XorObjectDigest(d, ctx.db(), *e);
      ctx.reply().SimpleString(HexDigest(d));
    }
    return;
  }
  if (EqualsIgnoreCase(sub, "help") && argc == 2) {
    return ReplyHelp(
        ctx, "DEBUG",
        {"DIGEST", "    Output a hex signature representing the current DB content.",
         "DIGEST-VALUE <key> [<key> ...]",
         "    Output a hex signature of the values of all the specified keys.", "OBJECT <key>",
         "    Show low level info about the `key` and associated value.",
         "POPULATE <count> [<prefix>] [<size>]",
         "    Create <count> string keys named key:<num>. If <prefix> is specified then",
         "    it is used instead of the 'key' prefix. These are not propagated to",
         "    replicas. Cluster slots are not respected so keys not belonging to the",
         "    current node can be created in cluster mode.", "SET-ACTIVE-EXPIRE <0|1>",
         "    Setting it to 0 disables expiring keys in background when they are not",
         "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
         "    default.", "SLEEP <seconds>",
         "    Stop the server for <seconds>. Decimals allowed."});
  }
  ctx.Error(
      fmt::format("ERR Unknown subcommand or wrong number of arguments for '{}'. Try DEBUG "
                  "HELP.",
                  sub.substr(0, 128)));
}

// ---- SHUTDOWN --------------------------------------------------------------------------------

void CmdShutdown(CommandContext& ctx) {
  bool save = false;
  bool nosave = false;
  bool abort = false;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    std::string_view a = ctx.args[i];
    if (EqualsIgnoreCase(a, "nosave"))
      nosave = true;
    else if (EqualsIgnoreCase(a, "save"))
      save = true;
    else if (EqualsIgnoreCase(a, "now") || EqualsIgnoreCase(a, "force"))
      continue;
    else if (EqualsIgnoreCase(a, "abort"))
      abort = true;
    else
      return ctx.Error(err::kSyntax);
  }
  if ((abort && ctx.args.size() != 2) || (save && nosave)) return ctx.Error(err::kSyntax);
  if (abort) return ctx.Error("ERR No shutdown in progress.");
  // prepareForShutdown: while loading, never save (SAVE is ignored as NOSAVE).
  if (ctx.server.startup_load().active) ctx.server.ExitWhileLoading();
  if (!ctx.server.SaveBeforeShutdown(save, nosave)) {
    return ctx.Error("ERR Errors trying to SHUTDOWN. Check logs.");
  }
  ctx.server.Shutdown("SHUTDOWN command");
}

}  // namespace

void RegisterServerCommands(CommandTable& t) {
  constexpr uint32_t kAdm = kCmdAdmin | kCmdNoscript | kCmdLoading | kCmdStale;
  t.Add({"info", -1, kCmdLoading | kCmdStale | kCmdSentinel, 0, 0, 0, CmdInfo, "@slow @dangerous",
         "server", "Get information and statistics about the server", "1.0.0", "O(1)"});
  Command* config =
      t.Add({"config", -2, 0, 0, 0, 0, nullptr, "@slow", "server",
             "A container for server configuration commands", "2.0.0", "Depends on subcommand."});
  t.AddSubcommand(config,
                  {"get", -3, kAdm, 0, 0, 0, CmdConfigGet, "@admin @slow @dangerous", "server",
                   "Get the values of configuration parameters", "2.0.0", "O(N)"});
  t.AddSubcommand(
      config, {"set", -4, kAdm | kCmdMayReplicate, 0, 0, 0, CmdConfigSet, "@admin @slow @dangerous",
               "server", "Set configuration parameters to the given values", "2.0.0", "O(N)"});
  t.AddSubcommand(
      config, {"rewrite", 2, kAdm, 0, 0, 0, CmdConfigRewrite, "@admin @slow @dangerous", "server",
               "Rewrite the configuration file with the in memory configuration", "2.8.0"});
  t.AddSubcommand(config,
                  {"resetstat", 2, kAdm, 0, 0, 0, CmdConfigResetstat, "@admin @slow @dangerous",
                   "server", "Reset the stats returned by INFO", "2.0.0"});
  t.AddSubcommand(config, {"help", 2, kCmdLoading | kCmdStale, 0, 0, 0, CmdConfigHelp, "@slow",
                           "server", "Show helpful text about the different subcommands", "5.0.0"});
  Command* command = t.Add({"command", -1, kCmdLoading | kCmdStale | kCmdSentinel, 0, 0, 0,
                            CmdCommand, "@slow @connection", "server",
                            "Get array of Redis command details", "2.8.13", "O(N)"});
  constexpr uint32_t kCmdSub = kCmdLoading | kCmdStale | kCmdSentinel;
  t.AddSubcommand(command, {"count", 2, kCmdSub, 0, 0, 0, CmdCommandCount, "@slow @connection",
                            "server", "Get total number of Redis commands", "2.8.13"});
  t.AddSubcommand(command, {"list", -2, kCmdSub, 0, 0, 0, CmdCommandList, "@slow @connection",
                            "server", "Get an array of Redis command names", "7.0.0", "O(N)"});
  t.AddSubcommand(command,
                  {"info", -2, kCmdSub, 0, 0, 0, CmdCommandInfo, "@slow @connection", "server",
                   "Get array of specific Redis command details, or all when "
                   "no argument is given.",
                   "2.8.13", "O(N)"});
  t.AddSubcommand(command,
                  {"docs", -2, kCmdSub, 0, 0, 0, CmdCommandDocs, "@slow @connection", "server",
                   "Get array of specific Redis command documentation", "7.0.0", "O(N)"});
  t.AddSubcommand(command, {"getkeys", -4, kCmdSub, 0, 0, 0, CmdCommandGetkeys, "@slow @connection",
                            "server", "Extract keys given a full Redis command", "2.8.13", "O(N)"});
  t.AddSubcommand(command,
                  {"help", 2, kCmdSub, 0, 0, 0, CmdCommandHelp, "@slow @connection", "server",
                   "Show helpful text about the different subcommands", "5.0.0"});
  t.Add({"time", 1, kCmdLoading | kCmdStale | kCmdFast, 0, 0, 0, CmdTime, "@fast", "server",
         "Return the current server time", "2.6.0"});
  Command* slowlog =
      t.Add({"slowlog", -2, 0, 0, 0, 0, nullptr, "@slow", "server",
             "A container for slow log commands", "2.2.12", "Depends on subcommand."});
  t.AddSubcommand(slowlog, {"get", -2, kCmdAdmin | kCmdLoading | kCmdStale, 0, 0, 0, CmdSlowlogGet,
                            "@admin @slow @dangerous", "server", "Get the slow log's entries",
                            "2.2.12", "O(N)"});
  t.AddSubcommand(slowlog,
                  {"len", 2, kCmdAdmin | kCmdLoading | kCmdStale, 0, 0, 0, CmdSlowlogLen,
                   "@admin @slow @dangerous", "server", "Get the slow log's length", "2.2.12"});
  t.AddSubcommand(slowlog, {"reset", 2, kCmdAdmin | kCmdLoading | kCmdStale, 0, 0, 0,
                            CmdSlowlogReset, "@admin @slow @dangerous", "server",
                            "Clear all entries from the slow log", "2.2.12", "O(N)"});
  t.AddSubcommand(slowlog,
                  {"help", 2, kCmdLoading | kCmdStale, 0, 0, 0, CmdSlowlogHelp, "@slow", "server",
                   "Show helpful text about the different subcommands", "6.2.0"});
  t.Add({"monitor", 1, kAdm, 0, 0, 0, CmdMonitor, "@admin @slow @dangerous", "server",
         "Listen for all requests received by the server in real time", "1.0.0"});
  Command* object =
      t.Add({"object", -2, 0, 0, 0, 0, nullptr, "@slow", "generic",
             "A container for object introspection commands", "2.2.3", "Depends on subcommand."});
  t.AddSubcommand(object,
                  {"encoding", 3, kCmdReadonly, 2, 2, 1, CmdObjectEncoding, "@keyspace @read @slow",
                   "generic", "Inspect the internal encoding of a Redis object", "2.2.3"});
  t.AddSubcommand(object,
                  {"refcount", 3, kCmdReadonly, 2, 2, 1, CmdObjectRefcount, "@keyspace @read @slow",
                   "generic", "Get the number of references to the value of the key", "2.2.3"});
  t.AddSubcommand(object,
                  {"idletime", 3, kCmdReadonly, 2, 2, 1, CmdObjectIdletime, "@keyspace @read @slow",
                   "generic", "Get the time since a Redis object was last accessed", "2.2.3"});
  t.AddSubcommand(
      object, {"freq", 3, kCmdReadonly, 2, 2, 1, CmdObjectFreq, "@keyspace @read @slow", "generic",
               "Get the logarithmic access frequency counter of a Redis object", "4.0.0"});
  t.AddSubcommand(object,
                  {"help", 2, kCmdLoading | kCmdStale, 0, 0, 0, CmdObjectHelp, "@keyspace @slow",
                   "generic", "Show helpful text about the different subcommands", "6.2.0"});
  Command* memory =
      t.Add({"memory", -2, 0, 0, 0, 0, nullptr, "@slow", "server",
             "A container for memory diagnostics commands", "4.0.0", "Depends on subcommand."});
  t.AddSubcommand(memory, {"usage", -3, kCmdReadonly, 2, 2, 1, CmdMemoryUsage, "@read @slow",
                           "server", "Estimate the memory usage of a key", "4.0.0", "O(N)"});
  t.AddSubcommand(memory, {"purge", 2, 0, 0, 0, 0, CmdMemoryPurge, "@slow", "server",
                           "Ask the allocator to release memory", "4.0.0"});
  t.AddSubcommand(memory, {"help", 2, kCmdLoading | kCmdStale, 0, 0, 0, CmdMemoryHelp, "@slow",
                           "server", "Show helpful text about the different subcommands", "4.0.0"});
  t.Add({"debug", -2, kAdm, 0, 0, 0, CmdDebug, "@admin @slow @dangerous", "server",
         "A container for debugging commands", "1.0.0", "Depends on subcommand."});
  t.Add({"shutdown", -1, kAdm | kCmdNoMulti | kCmdSentinel | kCmdAllowBusy, 0, 0, 0, CmdShutdown,
         "@admin @slow @dangerous", "server",
         "Synchronously save the dataset to disk and then shut down the server", "1.0.0",
         "O(N) when saving, where N is the total number of keys in all databases when saving "
         "data, otherwise O(1)"});
}

}  // namespace tandem::server
