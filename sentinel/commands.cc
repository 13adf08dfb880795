// The Sentinel port: client connections, the command table of Redis 7.0 in sentinel mode (AUTH,
// CLIENT, COMMAND, HELLO, INFO, PING, ROLE, SENTINEL, SHUTDOWN, (P)(UN)SUBSCRIBE, PUBLISH for
// hellos) and the event Pub/Sub. Replies use the connection's protocol (RESP2 or RESP3 after
// HELLO 3): instance descriptions are maps, flat field/value arrays in RESP2.
#include <fmt/format.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "config/args.h"
#include "config/glob.h"
#include "resp/net/protected_mode.h"
#include "sentinel/sentinel.h"

namespace tandem::sentinel {

using config::Level;

namespace {

bool Eq(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool ParseLL(const std::string& s, long long& out) {
  auto r = config::ParseLongLong(s);
  if (!r) return false;
  out = *r;
  return true;
}

struct CommandSpec {
  const char* name;
  int arity;  // -N: at least N
  bool allowed_when_subscribed;
  bool no_auth;  // allowed before AUTH
};

constexpr CommandSpec kCommands[] = {
    {"auth", -2, false, true},         {"client", -2, false, false},
    {"command", -1, false, false},     {"hello", -1, false, true},
    {"info", -1, false, false},        {"ping", -1, true, false},
    {"psubscribe", -2, true, false},   {"publish", 3, false, false},
    {"punsubscribe", -1, true, false}, {"role", 1, false, false},
    {"sentinel", -2, false, false},    {"shutdown", -1, false, false},
    {"subscribe", -2, true, false},    {"unsubscribe", -1, true, false},
    {"quit", -1, true, true},          {"reset", 1, true, false},
};

// SENTINEL subcommand arities (Redis 7.0 commands/sentinel-*.json).
struct SubSpec {
  const char* name;
  int arity;
};
constexpr SubSpec kSentinelSubs[] = {
    {"ckquorum", 3},
    {"config", -3},
    {"debug", -2},
    {"flushconfig", 2},
    {"failover", 3},
    {"get-master-addr-by-name", 3},
    {"help", 2},
    {"info-cache", -3},
    {"is-master-down-by-addr", 6},
    {"master", 3},
    {"masters", 2},
    {"monitor", 6},
    {"myid", 2},
    {"pending-scripts", 2},
    {"remove", 3},
    {"replicas", 3},
    {"reset", 3},
    {"sentinels", 3},
    {"set", -5},
    {"simulate-failure", -3},
    {"slaves", 3},
};

}  // namespace

// ============================== Connections =====================================================

void Sentinel::OnAccept(net::Connection* conn) {
  if (net::ProtectedModeRefuses(*conn, opts_.protected_mode, opts_.requirepass.empty())) {
    return conn->Refuse(net::kProtectedModeDenied);
  }
  auto c = std::make_unique<Client>();
  c->id = conn->id();
  c->conn = conn;
  c->ctime = NowMs();
  c->last_interaction = c->ctime;
  c->authenticated = opts_.requirepass.empty();
  conn->set_handler(this);
  conn->set_data(c.get());
  clients_[c->id] = std::move(c);
  total_connections_++;
}

void Sentinel::OnClosed(net::Connection& conn) { clients_.erase(conn.id()); }

void Sentinel::OnReadable(net::Connection& conn) {
  auto* c = static_cast<Client*>(conn.data());
  if (c == nullptr) return;
  ProcessInput(*c);
}

void Sentinel::ProcessInput(Client& c) {
  net::Connection& conn = *c.conn;
  resp::ReplyBuilder rb(&conn.output(), c.protocol);
  while (!conn.closing() && !conn.close_after_reply()) {
    net::Buffer& buf = conn.read_buffer();
    if (buf.empty()) break;
    resp::ParserLimits limits;
    limits.unauthenticated = !c.authenticated;
    resp::ParseResult r = c.parser.Parse(buf.view(), limits);
    if (r == resp::ParseResult::kNeedMore) break;
    if (r == resp::ParseResult::kError) {
      rb.Error("ERR Protocol error: " + c.parser.error());
      conn.CloseAfterReply();
      break;
    }
    std::vector<std::string> argv(c.parser.args().begin(), c.parser.args().end());
    buf.Consume(c.parser.consumed());
    if (argv.empty()) continue;
    c.last_interaction = NowMs();
    rb.set_protocol(c.protocol);
    Dispatch(c, argv, rb);
    total_commands_++;
  }
  conn.Flush();
}

void Sentinel::BeforeSleep() {
  for (auto& [id, c] : clients_) {
    if (c->conn->pending_output() > 0 || c->conn->close_after_reply()) c->conn->Flush();
  }
}

void Sentinel::Publish(std::string_view channel, std::string_view payload) {
  for (auto& [id, cp] : clients_) {
    Client& c = *cp;
    if (c.conn->closing()) continue;
    resp::ReplyBuilder rb(&c.conn->output(), c.protocol);
    if (c.channels.contains(std::string(channel))) {
      rb.PushHeader(3);
      rb.Bulk("message");
      rb.Bulk(channel);
      rb.Bulk(payload);
    }
    for (const auto& p : c.patterns) {
      if (config::GlobMatch(p, channel, false)) {
        rb.PushHeader(4);
        rb.Bulk("pmessage");
        rb.Bulk(p);
        rb.Bulk(channel);
        rb.Bulk(payload);
      }
    }
  }
}

// ============================== Dispatch ========================================================

void Sentinel::Dispatch(Client& c, const std::vector<std::string>& argv, resp::ReplyBuilder& rb) {
  const std::string name = config::ToLower(argv[0]);
  const CommandSpec* spec = nullptr;
  for (const auto& s : kCommands) {
    if (name == s.name) spec = &s;
  }
  if (spec == nullptr) {
    std::string args;
    for (size_t i = 1; i < argv.size() && args.size() < 128; ++i) {
      args += "'" + argv[i].substr(0, 128 - std::min<size_t>(128, args.size())) + "' ";
    }
    rb.Error(fmt::format("ERR unknown command '{}', with args beginning with: {}",
                         argv[0].substr(0, 128), args));
    return;
  }
  c.last_cmd = name;
  const int argc = static_cast<int>(argv.size());
  if ((spec->arity > 0 && argc != spec->arity) || argc < -spec->arity) {
    rb.Error(fmt::format("ERR wrong number of arguments for '{}' command", name));
    return;
  }
  if (!c.authenticated && !spec->no_auth) {
    rb.Error("NOAUTH Authentication required.");
    return;
  }
  if (c.protocol == 2 && c.subscriptions() > 0 && !spec->allowed_when_subscribed) {
    rb.Error(fmt::format(
        "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET "
        "are allowed in this context",
        name));
    return;
  }

  if (name == "ping") {
    if (argc > 2) {
      rb.Error("ERR wrong number of arguments for 'ping' command");
      return;
    }
    if (c.protocol == 2 && c.subscriptions() > 0) {
      rb.ArrayHeader(2);
      rb.Bulk("pong");
      rb.Bulk(argc == 2 ? argv[1] : "");
    } else if (argc == 2) {
      rb.Bulk(argv[1]);
    } else {
      rb.SimpleString("PONG");
    }
  } else if (name == "quit") {
    rb.Ok();
    c.conn->CloseAfterReply();
  } else if (name == "reset") {
    c.channels.clear();
    c.patterns.clear();
    c.protocol = 2;
    c.name.clear();
    c.authenticated = opts_.requirepass.empty();
    rb.set_protocol(2);
    rb.SimpleString("RESET");
  } else if (name == "auth") {
    if (argc > 3) {
      rb.Error("ERR syntax error");
      return;
    }
    if (opts_.requirepass.empty()) {
      if (argc == 2) {
        rb.Error(
            "ERR AUTH <password> called without any password configured for the default user. "
            "Are you sure your configuration is correct?");
      } else if (argv[1] == "default") {
        c.authenticated = true;
        rb.Ok();
      } else {
        rb.Error("WRONGPASS invalid username-password pair or user is disabled.");
      }
      return;
    }
    bool user_ok = argc == 2 || argv[1] == "default";
    if (user_ok && argv.back() == opts_.requirepass) {
      c.authenticated = true;
      rb.Ok();
    } else {
      config::Log(Level::kVerbose, "Client {} failed to authenticate", c.conn->peer());
      rb.Error("WRONGPASS invalid username-password pair or user is disabled.");
    }
  } else if (name == "hello") {
    CmdHello(c, argv, rb);
  } else if (name == "client") {
    CmdClient(c, argv, rb);
  } else if (name == "command") {
    if (argc >= 2 && Eq(argv[1], "count")) {
      rb.Integer(static_cast<int64_t>(std::size(kCommands)));
    } else if (argc >= 2 && Eq(argv[1], "docs")) {
      rb.MapHeader(0);
    } else {
      rb.ArrayHeader(static_cast<int64_t>(std::size(kCommands)));
      for (const auto& s : kCommands) {
        rb.ArrayHeader(6);
        rb.Bulk(s.name);
        rb.Integer(s.arity);
        rb.SetHeader(0);
        rb.Integer(0);
        rb.Integer(0);
        rb.Integer(0);
      }
    }
  } else if (name == "info") {
    CmdInfo(c, argv, rb);
  } else if (name == "role") {
    rb.ArrayHeader(2);
    rb.Bulk("sentinel");
    rb.ArrayHeader(static_cast<int64_t>(g_.masters.size()));
    for (auto& m : g_.masters) rb.Bulk(m->name);
  } else if (name == "sentinel") {
    CmdSentinel(c, argv, rb);
  } else if (name == "shutdown") {
    rb.Ok();  // Redis closes the connection without a reply; an OK is harmless for clients
    c.conn->output().clear();
    Shutdown("SHUTDOWN command");
  } else if (name == "subscribe") {
    CmdSubscribe(c, argv, rb, false, false);
  } else if (name == "psubscribe") {
    CmdSubscribe(c, argv, rb, true, false);
  } else if (name == "unsubscribe") {
    CmdSubscribe(c, argv, rb, false, true);
  } else if (name == "punsubscribe") {
    CmdSubscribe(c, argv, rb, true, true);
  } else if (name == "publish") {
    // Only hellos from peer Sentinels are accepted (sentinelPublishCommand).
    if (argv[1] != "__sentinel__:hello") {
      rb.Error("ERR Only HELLO messages are accepted by Sentinel instances.");
      return;
    }
    ProcessHello(argv[2], "PUBLISH from " + c.conn->peer());
    rb.Integer(1);
  }
}

void Sentinel::CmdSubscribe(Client& c, const std::vector<std::string>& argv, resp::ReplyBuilder& rb,
                            bool pattern, bool unsubscribe) {
  auto& set = pattern ? c.patterns : c.channels;
  const char* kind = unsubscribe ? (pattern ? "punsubscribe" : "unsubscribe")
                                 : (pattern ? "psubscribe" : "subscribe");
  auto reply = [&](const std::string* item) {
    rb.PushHeader(3);
    rb.Bulk(kind);
    if (item) {
      rb.Bulk(*item);
    } else {
      rb.Null();
    }
    rb.Integer(static_cast<int64_t>(c.subscriptions()));
  };
  if (!unsubscribe) {
    for (size_t i = 1; i < argv.size(); ++i) {
      set.insert(argv[i]);
      reply(&argv[i]);
    }
    return;
  }
  std::vector<std::string> items(argv.begin() + 1, argv.end());
  if (items.empty()) items.assign(set.begin(), set.end());
  if (items.empty()) {
    reply(nullptr);
    return;
  }
  for (const auto& it : items) {
    set.erase(it);
    reply(&it);
  }
}

void Sentinel::CmdHello(Client& c, const std::vector<std::string>& argv, resp::ReplyBuilder& rb) {
  int ver = 0;
  size_t i = 1;
  if (argv.size() >= 2) {
    long long v = 0;
    if (!ParseLL(argv[1], v)) {
      rb.Error("ERR Protocol version is not an integer or out of range");
      return;
    }
    if (v < 2 || v > 3) {
      rb.Error("NOPROTO unsupported protocol version");
      return;
    }
    ver = static_cast<int>(v);
    i = 2;
  }
  for (; i < argv.size(); ++i) {
    if (Eq(argv[i], "AUTH") && i + 2 < argv.size()) {
      const std::string& user = argv[i + 1];
      const std::string& pass = argv[i + 2];
      bool ok = user == "default" && (opts_.requirepass.empty() || pass == opts_.requirepass);
      if (!ok) {
        rb.Error("WRONGPASS invalid username-password pair or user is disabled.");
        return;
      }
      c.authenticated = true;
      i += 2;
    } else if (Eq(argv[i], "SETNAME") && i + 1 < argv.size()) {
      c.name = argv[i + 1];
      i += 1;
    } else {
      rb.Error(fmt::format("ERR Syntax error in HELLO option '{}'", argv[i]));
      return;
    }
  }
  if (!c.authenticated) {
    rb.Error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
        "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and "
        "select the RESP protocol version at the same time");
    return;
  }
  if (ver) c.protocol = ver;
  rb.set_protocol(c.protocol);
  rb.MapHeader(6);
  rb.Bulk("server");
  rb.Bulk("redis");
  rb.Bulk("version");
  rb.Bulk(kRedisVersion);
  rb.Bulk("proto");
  rb.Integer(c.protocol);
  rb.Bulk("id");
  rb.Integer(static_cast<int64_t>(c.id));
  rb.Bulk("mode");
  rb.Bulk("sentinel");
  rb.Bulk("modules");
  rb.ArrayHeader(0);
}

std::string Sentinel::ClientInfoLine(const Client& c) const {
  int64_t now = NowMs();
  return fmt::format(
      "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db=0 sub={} psub={} ssub=0 "
      "multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 "
      "tot-mem=0 events=r cmd={} user=default redir=-1 resp={}",
      c.id, c.conn->peer(), c.conn->local(), c.conn->fd(), c.name, (now - c.ctime) / 1000,
      (now - c.last_interaction) / 1000, c.subscriptions() > 0 ? "P" : "N", c.channels.size(),
      c.patterns.size(), c.last_cmd, c.protocol);
}

void Sentinel::CmdClient(Client& c, const std::vector<std::string>& argv, resp::ReplyBuilder& rb) {
  const std::string sub = config::ToLower(argv[1]);
  const size_t argc = argv.size();
  if (sub == "setname" && argc == 3) {
    for (char ch : argv[2]) {
      if (ch < '!' || ch > '~') {
        rb.Error("ERR Client names cannot contain spaces, newlines or special characters.");
        return;
      }
    }
    c.name = argv[2];
    rb.Ok();
  } else if (sub == "getname" && argc == 2) {
    if (c.name.empty()) {
      rb.Null();
    } else {
      rb.Bulk(c.name);
    }
  } else if (sub == "id" && argc == 2) {
    rb.Integer(static_cast<int64_t>(c.id));
  } else if (sub == "info" && argc == 2) {
    rb.Verbatim(ClientInfoLine(c) + "\n");
  } else if (sub == "list") {
    std::string out;
    for (auto& [id, cl] : clients_) out += ClientInfoLine(*cl) + "\n";
    rb.Verbatim(out);
  } else if (sub == "kill" && argc >= 3) {
    // CLIENT KILL <addr> | CLIENT KILL ID <id> | ADDR <addr> | TYPE <type> | SKIPME yes/no
    std::vector<uint64_t> victims;
    if (argc == 3) {
      for (auto& [id, cl] : clients_) {
        if (cl->conn->peer() == argv[2]) victims.push_back(id);
      }
      if (victims.empty()) {
        rb.Error("ERR No such client");
        return;
      }
      for (auto id : victims) clients_[id]->conn->CloseAfterReply();
      rb.Ok();
      return;
    }
    bool skipme = true;
    std::string want_id, want_addr, want_type;
    for (size_t i = 2; i + 1 < argc; i += 2) {
      std::string k = config::ToLower(argv[i]);
      if (k == "id") {
        want_id = argv[i + 1];
      } else if (k == "addr") {
        want_addr = argv[i + 1];
      } else if (k == "type") {
        want_type = config::ToLower(argv[i + 1]);
      } else if (k == "skipme") {
        skipme = Eq(argv[i + 1], "yes");
      } else {
        rb.Error("ERR syntax error");
        return;
      }
    }
    int64_t killed = 0;
    for (auto& [id, cl] : clients_) {
      if (skipme && cl.get() == &c) continue;
      if (!want_id.empty() && std::to_string(id) != want_id) continue;
      if (!want_addr.empty() && cl->conn->peer() != want_addr) continue;
      if (!want_type.empty()) {
        bool pubsub = cl->subscriptions() > 0;
        if (want_type == "pubsub" ? !pubsub : (want_type == "normal" ? pubsub : true)) continue;
      }
      cl->conn->CloseAfterReply();
      killed++;
    }
    rb.Integer(killed);
  } else {
    rb.Error(
        fmt::format("ERR unknown subcommand or wrong number of arguments for '{}'. Try "
                    "CLIENT HELP.",
                    argv[1]));
  }
}

// ============================== INFO ============================================================

void Sentinel::CmdInfo(Client& /*c*/, const std::vector<std::string>& argv,
                       resp::ReplyBuilder& rb) {
  static const char* kSections[] = {"server", "clients", "cpu", "stats", "sentinel"};
  std::set<std::string> want;
  bool all = argv.size() == 1;
  for (size_t i = 1; i < argv.size(); ++i) {
    std::string s = config::ToLower(argv[i]);
    if (s == "all" || s == "everything" || s == "default") all = true;
    want.insert(s);
  }
  auto on = [&](const char* s) { return all || want.contains(s); };
  std::string out;
  auto section = [&](const char* title) {
    if (!out.empty()) out += "\r\n";
    out += fmt::format("# {}\r\n", title);
  };
  const int64_t now = NowMs();
  (void)kSections;
  if (on("server")) {
    section("Server");
    utsname un{};
    uname(&un);
    char exe[4096] = {0};
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n < 0) n = 0;
    exe[n] = '\0';
    out += fmt::format(
        "redis_version:{}\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\n"
        "redis_build_id:tandem\r\nredis_mode:sentinel\r\nos:{} {} {}\r\narch_bits:64\r\n"
        "monotonic_clock:POSIX clock_gettime\r\nmultiplexing_api:epoll\r\n"
        "atomicvar_api:c11-builtin\r\ngcc_version:{}.{}.0\r\nprocess_id:{}\r\n"
        "process_supervised:no\r\nrun_id:{}\r\ntcp_port:{}\r\nserver_time_usec:{}\r\n"
        "uptime_in_seconds:{}\r\nuptime_in_days:{}\r\nhz:10\r\nconfigured_hz:10\r\n"
        "lru_clock:{}\r\nexecutable:{}\r\nconfig_file:{}\r\nio_threads_active:0\r\n",
        kRedisVersion, un.sysname, un.release, un.machine, __GNUC__, __GNUC_MINOR__, getpid(),
        g_.myid, opts_.port, now * 1000, (now - start_time_) / 1000, (now - start_time_) / 86400000,
        (now / 1000) & ((1 << 24) - 1), exe, config_path_);
  }
  if (on("clients")) {
    section("Clients");
    out += fmt::format(
        "connected_clients:{}\r\ncluster_connections:0\r\nmaxclients:10000\r\n"
        "client_recent_max_input_buffer:0\r\nclient_recent_max_output_buffer:0\r\n"
        "blocked_clients:0\r\ntracking_clients:0\r\nclients_in_timeout_table:0\r\n",
        clients_.size());
  }
  if (on("stats")) {
    section("Stats");
    size_t channels = 0, patterns = 0;
    std::set<std::string> ch;
    for (auto& [id, cl] : clients_) {
      ch.insert(cl->channels.begin(), cl->channels.end());
      patterns += cl->patterns.size();
    }
    channels = ch.size();
    // The field list of Redis 7.0.15's stats section; what a Sentinel does not track is 0.
    static const char* kStats[] = {
        "total_connections_received",
        "total_commands_processed",
        "instantaneous_ops_per_sec",
        "total_net_input_bytes",
        "total_net_output_bytes",
        "total_net_repl_input_bytes",
        "total_net_repl_output_bytes",
        "instantaneous_input_kbps",
        "instantaneous_output_kbps",
        "instantaneous_input_repl_kbps",
        "instantaneous_output_repl_kbps",
        "rejected_connections",
        "sync_full",
        "sync_partial_ok",
        "sync_partial_err",
        "expired_keys",
        "expired_stale_perc",
        "expired_time_cap_reached_count",
        "expire_cycle_cpu_milliseconds",
        "evicted_keys",
        "evicted_clients",
        "total_eviction_exceeded_time",
        "current_eviction_exceeded_time",
        "keyspace_hits",
        "keyspace_misses",
        "pubsub_channels",
        "pubsub_patterns",
        "pubsubshard_channels",
        "latest_fork_usec",
        "total_forks",
        "migrate_cached_sockets",
        "slave_expires_tracked_keys",
        "active_defrag_hits",
        "active_defrag_misses",
        "active_defrag_key_hits",
        "active_defrag_key_misses",
        "total_active_defrag_time",
        "current_active_defrag_time",
        "tracking_total_keys",
        "tracking_total_items",
        "tracking_total_prefixes",
        "unexpected_error_replies",
        "total_error_replies",
        "dump_payload_sanitizations",
        "total_reads_processed",
        "total_writes_processed",
        "io_threaded_reads_processed",
        "io_threaded_writes_processed",
        "reply_buffer_shrinks",
        "reply_buffer_expands",
    };
    for (const char* f : kStats) {
      std::string_view k = f;
      std::string v = "0";
      if (k == "total_connections_received") v = std::to_string(total_connections_);
      if (k == "total_commands_processed") v = std::to_string(total_commands_);
      if (k == "pubsub_channels") v = std::to_string(channels);
      if (k == "pubsub_patterns") v = std::to_string(patterns);
      if (k.ends_with("_kbps")) v = "0.00";
      if (k == "expired_stale_perc") v = "0.00";
      out += fmt::format("{}:{}\r\n", k, v);
    }
  }
  if (on("cpu")) {
    section("CPU");
    rusage self{}, children{};
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    auto secs = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1000000.0; };
    out += fmt::format(
        "used_cpu_sys:{:.6f}\r\nused_cpu_user:{:.6f}\r\nused_cpu_sys_children:{:.6f}\r\n"
        "used_cpu_user_children:{:.6f}\r\nused_cpu_sys_main_thread:{:.6f}\r\n"
        "used_cpu_user_main_thread:{:.6f}\r\n",
        secs(self.ru_stime), secs(self.ru_utime), secs(children.ru_stime), secs(children.ru_utime),
        secs(self.ru_stime), secs(self.ru_utime));
  }
  if (on("sentinel")) {
    section("Sentinel");
    out += fmt::format(
        "sentinel_masters:{}\r\nsentinel_tilt:{}\r\nsentinel_tilt_since_seconds:{}\r\n"
        "sentinel_running_scripts:{}\r\nsentinel_scripts_queue_length:{}\r\n"
        "sentinel_simulate_failure_flags:{}\r\n",
        g_.masters.size(), g_.tilt ? 1 : 0, g_.tilt ? (now - g_.tilt_start_time) / 1000 : -1,
        running_scripts_, scripts_.size(), g_.simfailure_flags);
    int id = 0;
    for (auto& m : g_.masters) {
      const char* status = (m->flags & kODown) ? "odown" : (m->flags & kSDown) ? "sdown" : "ok";
      out += fmt::format("master{}:name={},status={},address={}:{},slaves={},sentinels={}\r\n",
                         id++, m->name, status, AnnounceAddr(g_, m->addr), m->addr.port,
                         m->slaves.size(), m->sentinels.size() + 1);
    }
  }
  rb.Verbatim(out);
}

// ============================== SENTINEL ========================================================

void Sentinel::ReplyInstance(resp::ReplyBuilder& rb, const Instance& ri) {
  const int64_t now = NowMs();
  std::vector<std::pair<std::string, std::string>> f;
  auto add = [&](const char* k, std::string v) { f.emplace_back(k, std::move(v)); };
  auto num = [&](const char* k, int64_t v) { f.emplace_back(k, std::to_string(v)); };
  add("name", ri.name);
  add("ip", AnnounceAddr(g_, ri.addr));
  num("port", ri.addr.port);
  add("runid", ri.runid);
  add("flags", ri.FlagsString());
  num("link-pending-commands", ri.link.pending_commands);
  num("link-refcount", 1);
  if (ri.flags & kFailoverInProgress)
    add("failover-state", std::string(FailoverStateName(ri.failover_state)));
  num("last-ping-sent", ri.link.act_ping_time ? now - ri.link.act_ping_time : 0);
  num("last-ok-ping-reply", now - ri.link.last_avail_time);
  num("last-ping-reply", now - ri.link.last_pong_time);
  if (ri.flags & kSDown) num("s-down-time", now - ri.s_down_since_time);
  if (ri.flags & kODown) num("o-down-time", now - ri.o_down_since_time);
  num("down-after-milliseconds", ri.down_after_period);
  if (ri.flags & (kMaster | kSlave)) {
    num("info-refresh", ri.info_refresh ? now - ri.info_refresh : 0);
    add("role-reported", ri.role_reported == kMaster ? "master" : "slave");
    num("role-reported-time", now - ri.role_reported_time);
  }
  if (ri.is_master()) {
    num("config-epoch", static_cast<int64_t>(ri.config_epoch));
    num("num-slaves", static_cast<int64_t>(ri.slaves.size()));
    num("num-other-sentinels", static_cast<int64_t>(ri.sentinels.size()));
    num("quorum", ri.quorum);
    num("failover-timeout", ri.failover_timeout);
    num("parallel-syncs", ri.parallel_syncs);
    if (!ri.notification_script.empty()) add("notification-script", ri.notification_script);
    if (!ri.client_reconfig_script.empty())
      add("client-reconfig-script", ri.client_reconfig_script);
  }
  if (ri.is_slave()) {
    num("master-link-down-time", ri.master_link_down_time);
    add("master-link-status", ri.slave_master_link_up ? "ok" : "err");
    add("master-host", ri.has_slave_master_host ? ri.slave_master_host : "?");
    num("master-port", ri.slave_master_port);
    num("slave-priority", ri.slave_priority);
    num("slave-repl-offset", static_cast<int64_t>(ri.slave_repl_offset));
    num("replica-announced", ri.replica_announced);
  }
  if (ri.is_sentinel()) {
    num("last-hello-message", now - ri.last_hello_time);
    add("voted-leader", ri.leader.empty() ? "?" : ri.leader);
    num("voted-leader-epoch", static_cast<int64_t>(ri.leader_epoch));
  }
  rb.MapHeader(static_cast<int64_t>(f.size()));
  for (auto& [k, v] : f) {
    rb.Bulk(k);
    rb.Bulk(v);
  }
}

void Sentinel::ReplyInstances(resp::ReplyBuilder& rb,
                              const std::vector<std::shared_ptr<Instance>>& t) {
  int64_t n = 0;
  for (auto& ri : t) {
    if (ri->is_slave() && !ri->replica_announced) continue;
    n++;
  }
  rb.ArrayHeader(n);
  for (auto& ri : t) {
    if (ri->is_slave() && !ri->replica_announced) continue;
    ReplyInstance(rb, *ri);
  }
}

void Sentinel::CmdSentinel(Client& c, const std::vector<std::string>& argv,
                           resp::ReplyBuilder& rb) {
  const std::string sub = config::ToLower(argv[1]);
  const int argc = static_cast<int>(argv.size());
  const SubSpec* spec = nullptr;
  for (const auto& s : kSentinelSubs) {
    if (sub == s.name) spec = &s;
  }
  if (!spec) {
    rb.Error(
        fmt::format("ERR unknown subcommand '{}'. Try SENTINEL HELP.", argv[1].substr(0, 128)));
    return;
  }
  if ((spec->arity > 0 && argc != spec->arity) || argc < -spec->arity) {
    rb.Error(fmt::format("ERR wrong number of arguments for 'sentinel|{}' command", sub));
    return;
  }
  auto master_or_error = [&](const std::string& name) -> Instance* {
    Instance* m = g_.FindMaster(name);
    if (!m) rb.Error("ERR No such master with that name");
    return m;
  };
  auto flush_and_reply = [&] {
    if (FlushConfig()) {
      rb.Ok();
    } else {
      rb.Error("ERR Failed to save config file. Check server logs.");
    }
  };

  if (sub == "help") {
    static const char* kHelp[] = {
        "SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CKQUORUM <master-name>",
        "    Check if the current Sentinel configuration is able to reach the quorum",
        "    needed to failover a master and the majority needed to authorize the",
        "    failover.",
        "CONFIG SET <param> <value>",
        "    Set a global Sentinel configuration parameter.",
        "CONFIG GET <param>",
        "    Get global Sentinel configuration parameter.",
        "DEBUG [<param> <value> ...]",
        "    Show a list of configurable time parameters and their values (milliseconds).",
        "    Or update current configurable parameters values (one or more).",
        "GET-MASTER-ADDR-BY-NAME <master-name>",
        "    Return the ip and port number of the master with that name.",
        "FAILOVER <master-name>",
        "    Manually failover a master node without asking for agreement from other",
        "    Sentinels",
        "FLUSHCONFIG",
        "    Force Sentinel to rewrite its configuration on disk, including the current",
        "    Sentinel state.",
        "INFO-CACHE <master-name>",
        "    Return last cached INFO output from masters and all its replicas.",
        "IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>",
        "    Check if the master specified by ip:port is down from current Sentinel's",
        "    point of view.",
        "MASTER <master-name>",
        "    Show the state and info of the specified master.",
        "MASTERS",
        "    Show a list of monitored masters and their state.",
        "MONITOR <name> <ip> <port> <quorum>",
        "    Start monitoring a new master with the specified name, ip, port and quorum.",
        "MYID",
        "    Return the ID of the Sentinel instance.",
        "PENDING-SCRIPTS",
        "    Get pending scripts information.",
        "REMOVE <master-name>",
        "    Remove master from Sentinel's monitor list.",
        "REPLICAS <master-name>",
        "    Show a list of replicas for this master and their state.",
        "RESET <pattern>",
        "    Reset masters for specific master name matching this pattern.",
        "SENTINELS <master-name>",
        "    Show a list of Sentinel instances for this master and their state.",
        "SET <master-name> <option> <value> [<option> <value> ...]",
        "    Set configuration parameters for certain masters.",
        "SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] [HELP]",
        "    Simulate a Sentinel crash.",
        "HELP",
        "    Print this help.",
    };
    rb.ArrayHeader(static_cast<int64_t>(std::size(kHelp)));
    for (const char* l : kHelp) rb.SimpleString(l);
  } else if (sub == "masters") {
    ReplyInstances(rb, g_.masters);
  } else if (sub == "master") {
    if (Instance* m = master_or_error(argv[2])) ReplyInstance(rb, *m);
  } else if (sub == "slaves" || sub == "replicas") {
    if (Instance* m = master_or_error(argv[2])) ReplyInstances(rb, m->slaves);
  } else if (sub == "sentinels") {
    if (Instance* m = master_or_error(argv[2])) ReplyInstances(rb, m->sentinels);
  } else if (sub == "myid") {
    rb.Bulk(g_.myid);
  } else if (sub == "is-master-down-by-addr") {
    long long port = 0, req_epoch = 0;
    if (!ParseLL(argv[3], port) || !ParseLL(argv[4], req_epoch)) {
      rb.Error("ERR value is not an integer or out of range");
      return;
    }
    Instance* ri = FindByAddrAndRunId(g_, g_.masters, argv[2], static_cast<int>(port), "");
    bool isdown = !g_.tilt && ri && (ri->flags & kSDown) && ri->is_master();
    std::string leader;
    uint64_t leader_epoch = 0;
    if (ri && ri->is_master() && argv[5] != "*") {
      VoteResult v = Vote(*ri, static_cast<uint64_t>(req_epoch), argv[5]);
      leader = v.leader;
      leader_epoch = v.leader_epoch;
      config::Log(Level::kVerbose,
                  "Vote request from {} for epoch {} (candidate {}): answered {} epoch {}",
                  c.conn->peer(), req_epoch, argv[5].substr(0, 8),
                  leader.empty() ? "*" : leader.substr(0, 8), leader_epoch);
    }
    rb.ArrayHeader(3);
    rb.Integer(isdown ? 1 : 0);
    rb.Bulk(leader.empty() ? "*" : leader);
    rb.Integer(static_cast<int64_t>(leader_epoch));
  } else if (sub == "reset") {
    rb.Integer(ResetMastersByPattern(argv[2], kResetGenerateEvent));
  } else if (sub == "get-master-addr-by-name") {
    Instance* m = g_.FindMaster(argv[2]);
    if (!m) {
      rb.NullArray();
      return;
    }
    const Addr& a = CurrentMasterAddress(*m);
    rb.ArrayHeader(2);
    rb.Bulk(AnnounceAddr(g_, a));
    rb.Bulk(std::to_string(a.port));
  } else if (sub == "failover") {
    Instance* m = master_or_error(argv[2]);
    if (!m) return;
    if (m->flags & kFailoverInProgress) {
      rb.Error("INPROG Failover already in progress");
      return;
    }
    if (SelectSlave(g_, *m, NowMs()) == nullptr) {
      rb.Error("NOGOODSLAVE No suitable replica to promote");
      return;
    }
    config::Log(Level::kWarning, "Executing user requested FAILOVER of '{}'", m->name);
    StartFailover(*m);
    m->flags |= kForceFailover;
    rb.Ok();
  } else if (sub == "pending-scripts") {
    rb.ArrayHeader(static_cast<int64_t>(scripts_.size()));
    for (auto& j : scripts_) {
      rb.MapHeader(5);
      rb.Bulk("argv");
      rb.ArrayHeader(static_cast<int64_t>(j.argv.size()));
      for (auto& a : j.argv) rb.Bulk(a);
      rb.Bulk("flags");
      rb.Bulk(j.pid ? "running" : "scheduled");
      rb.Bulk("pid");
      rb.Bulk(std::to_string(j.pid));
      const int64_t now = NowMs();
      rb.Bulk(j.pid ? "run-time" : "run-delay");
      rb.Bulk(std::to_string(j.pid                ? now - j.start_time
                             : j.start_time > now ? j.start_time - now
                                                  : 0));
      rb.Bulk("retry-num");
      rb.Bulk(std::to_string(j.retry_num));
    }
  } else if (sub == "monitor") {
    long long quorum = 0, port = 0;
    if (!ParseLL(argv[5], quorum)) {
      rb.Error("ERR Invalid quorum");
      return;
    }
    if (!ParseLL(argv[4], port)) {
      rb.Error("ERR Invalid port");
      return;
    }
    if (quorum <= 0) {
      rb.Error("ERR Quorum must be 1 or greater.");
      return;
    }
    Addr probe;
    if (!MakeAddr(g_, argv[3], 0, false, probe, nullptr)) {
      rb.Error("ERR Invalid IP address or hostname specified");
      return;
    }
    std::string err;
    auto m = CreateInstance(g_, argv[2], kMaster, argv[3], port, static_cast<unsigned>(quorum),
                            nullptr, &err);
    if (!m) {
      rb.Error("ERR " + err);
      return;
    }
    flush_and_reply();
    Event(Level::kWarning, "+monitor", m.get(), fmt::format(" quorum {}", m->quorum));
  } else if (sub == "flushconfig") {
    flush_and_reply();
  } else if (sub == "remove") {
    Instance* m = master_or_error(argv[2]);
    if (!m) return;
    Event(Level::kWarning, "-monitor", m);
    for (auto it = g_.masters.begin(); it != g_.masters.end(); ++it) {
      if (it->get() == m) {
        RemoveInstance(*it);
        g_.masters.erase(it);
        break;
      }
    }
    flush_and_reply();
  } else if (sub == "ckquorum") {
    Instance* m = master_or_error(argv[2]);
    if (!m) return;
    int usable = 1;
    int voters = static_cast<int>(m->sentinels.size()) + 1;
    for (auto& s : m->sentinels) {
      if (!(s->flags & (kSDown | kODown))) usable++;
    }
    bool noquorum = usable < static_cast<int>(m->quorum);
    bool noauth = usable < voters / 2 + 1;
    // Beyond Redis: warnings about configurations that look fine here but will not fail over.
    std::string my_ip = g_.announce_ip;
    if (my_ip.empty() && m->link.cc && m->link.cc->connected()) my_ip = m->link.cc->local_ip();
    std::vector<std::string> dups(duplicate_myid_peers_.begin(), duplicate_myid_peers_.end());
    std::vector<std::string> warnings = QuorumWarnings(g_, *m, my_ip, dups);
    for (const auto& w : warnings) config::Log(Level::kWarning, "CKQUORUM {}: {}", m->name, w);
    std::string extra;
    for (const auto& w : warnings) extra += ". WARNING: " + w;
    if (!noquorum && !noauth) {
      rb.SimpleString(
          fmt::format("OK {} usable Sentinels. Quorum and failover authorization can be reached{}",
                      usable, extra));
    } else {
      std::string e = fmt::format("NOQUORUM {} usable Sentinels. ", usable);
      if (noquorum)
        e += "Not enough available Sentinels to reach the specified quorum for this master";
      if (noauth) {
        if (noquorum) e += ". ";
        e += "Not enough available Sentinels to reach the majority and authorize a failover";
      }
      rb.Error(e + extra);
    }
  } else if (sub == "set") {
    CmdSentinelSet(c, argv, rb);
  } else if (sub == "config") {
    const std::string op = config::ToLower(argv[2]);
    if (op == "set" && argc == 5) {
      const std::string opt = config::ToLower(argv[3]);
      const std::string& val = argv[4];
      bool drop = false;
      auto badfmt = [&] {
        rb.Error(fmt::format("ERR Invalid value '{}' to SENTINEL CONFIG SET '{}'", val, argv[3]));
      };
      if (opt == "resolve-hostnames" || opt == "announce-hostnames") {
        int v = Eq(val, "yes") ? 1 : Eq(val, "no") ? 0 : -1;
        if (v < 0) return badfmt();
        (opt == "resolve-hostnames" ? g_.resolve_hostnames : g_.announce_hostnames) = v == 1;
      } else if (opt == "announce-ip") {
        g_.announce_ip = val;
      } else if (opt == "announce-port") {
        long long v = 0;
        if (!ParseLL(val, v) || v < 0 || v > 65535) return badfmt();
        g_.announce_port = static_cast<int>(v);
      } else if (opt == "sentinel-user") {
        g_.sentinel_auth_user = val;
        drop = true;
      } else if (opt == "sentinel-pass") {
        g_.sentinel_auth_pass = val;
        drop = true;
      } else {
        rb.Error(fmt::format("ERR Invalid argument '{}' to SENTINEL CONFIG SET", argv[3]));
        return;
      }
      flush_and_reply();
      if (drop) DropSentinelConnections();
    } else if (op == "get" && argc == 4) {
      const std::string& pat = argv[3];
      std::vector<std::pair<std::string, std::string>> out;
      auto maybe = [&](const char* name, std::string v) {
        if (config::GlobMatch(pat, name, true)) out.emplace_back(name, std::move(v));
      };
      maybe("resolve-hostnames", g_.resolve_hostnames ? "yes" : "no");
      maybe("announce-hostnames", g_.announce_hostnames ? "yes" : "no");
      maybe("announce-ip", g_.announce_ip);
      maybe("announce-port", std::to_string(g_.announce_port));
      maybe("sentinel-user", g_.sentinel_auth_user);
      maybe("sentinel-pass", g_.sentinel_auth_pass);
      rb.MapHeader(static_cast<int64_t>(out.size()));
      for (auto& [k, v] : out) {
        rb.Bulk(k);
        rb.Bulk(v);
      }
    } else {
      rb.Error("ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.");
    }
  } else if (sub == "info-cache") {
    std::vector<Instance*> ms;
    for (int i = 2; i < argc; ++i) {
      if (Instance* m = g_.FindMaster(argv[i]); m && std::find(ms.begin(), ms.end(), m) == ms.end())
        ms.push_back(m);
    }
    const int64_t now = NowMs();
    rb.ArrayHeader(static_cast<int64_t>(ms.size() * 2));
    for (Instance* m : ms) {
      rb.Bulk(m->name);
      rb.ArrayHeader(static_cast<int64_t>(m->slaves.size() + 1));
      auto one = [&](const Instance& ri) {
        rb.ArrayHeader(2);
        rb.Integer(m->info_refresh ? now - ri.info_refresh : 0);
        if (ri.has_info) {
          rb.Bulk(ri.info);
        } else {
          rb.Null();
        }
      };
      one(*m);
      for (auto& s : m->slaves) one(*s);
    }
  } else if (sub == "simulate-failure") {
    g_.simfailure_flags = 0;
    for (int j = 2; j < argc; ++j) {
      if (Eq(argv[j], "crash-after-election")) {
        g_.simfailure_flags |= kSimFailureCrashAfterElection;
        config::Log(Level::kWarning,
                    "Failure simulation: this Sentinel will crash after being successfully "
                    "elected as failover leader");
      } else if (Eq(argv[j], "crash-after-promotion")) {
        g_.simfailure_flags |= kSimFailureCrashAfterPromotion;
        config::Log(Level::kWarning,
                    "Failure simulation: this Sentinel will crash after promoting the selected "
                    "replica to master");
      } else if (Eq(argv[j], "help")) {
        rb.ArrayHeader(2);
        rb.Bulk("crash-after-election");
        rb.Bulk("crash-after-promotion");
        return;
      } else {
        rb.Error("ERR Unknown failure simulation specified");
        return;
      }
    }
    rb.Ok();
  } else if (sub == "debug") {
    Timing& t = g_.timing;
    struct Knob {
      const char* name;
      int64_t* v;
    };
    Knob knobs[] = {
        {"info-period", &t.info_period},
        {"ping-period", &t.ping_period},
        {"ask-period", &t.ask_period},
        {"publish-period", &t.publish_period},
        {"default-down-after", &t.default_down_after},
        {"default-failover-timeout", &t.default_failover_timeout},
        {"tilt-trigger", &t.tilt_trigger},
        {"tilt-period", &t.tilt_period},
        {"slave-reconf-timeout", &t.slave_reconf_timeout},
        {"min-link-reconnect-period", &t.min_link_reconnect_period},
        {"election-timeout", &t.election_timeout},
        {"script-max-runtime", &t.script_max_runtime},
        {"script-retry-delay", &t.script_retry_delay},
    };
    if (argc == 2) {
      rb.MapHeader(static_cast<int64_t>(std::size(knobs)));
      for (auto& k : knobs) {
        std::string up = k.name;
        for (auto& ch : up) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        rb.Bulk(up);
        rb.Bulk(std::to_string(*k.v));
      }
      return;
    }
    for (int j = 2; j < argc; ++j) {
      Knob* knob = nullptr;
      for (auto& k : knobs) {
        if (Eq(argv[j], k.name)) knob = &k;
      }
      if (!knob || j + 1 >= argc) {
        rb.Error(fmt::format("ERR Unknown option or number of arguments for SENTINEL DEBUG '{}'",
                             argv[j]));
        return;
      }
      long long v = 0;
      if (!ParseLL(argv[j + 1], v) || v <= 0) {
        rb.Error(
            fmt::format("ERR Invalid argument '{}' for SENTINEL DEBUG '{}'", argv[j + 1], argv[j]));
        return;
      }
      *knob->v = v;
      ++j;
    }
    rb.Ok();
  }
}

void Sentinel::CmdSentinelSet(Client& /*c*/, const std::vector<std::string>& argv,
                              resp::ReplyBuilder& rb) {
  Instance* ri = g_.FindMaster(argv[2]);
  if (!ri) {
    rb.Error("ERR No such master with that name");
    return;
  }
  const int argc = static_cast<int>(argv.size());
  int changes = 0;
  for (int j = 3; j < argc; ++j) {
    const int moreargs = argc - 1 - j;
    const std::string option = config::ToLower(argv[j]);
    const int old_j = j;
    bool redacted = false;
    long long ll = 0;
    auto badfmt = [&](int badarg) {
      rb.Error(fmt::format("ERR Invalid argument '{}' for SENTINEL SET '{}'", argv[badarg],
                           argv[old_j]));
      if (changes) FlushConfig();
    };
    if (option == "down-after-milliseconds" && moreargs > 0) {
      ++j;
      if (!ParseLL(argv[j], ll) || ll <= 0) return badfmt(j);
      ri->down_after_period = ll;
      for (auto& s : ri->slaves) s->down_after_period = ll;
      for (auto& s : ri->sentinels) s->down_after_period = ll;
    } else if (option == "failover-timeout" && moreargs > 0) {
      ++j;
      if (!ParseLL(argv[j], ll) || ll <= 0) return badfmt(j);
      ri->failover_timeout = ll;
    } else if (option == "parallel-syncs" && moreargs > 0) {
      ++j;
      if (!ParseLL(argv[j], ll) || ll <= 0) return badfmt(j);
      ri->parallel_syncs = static_cast<int>(ll);
    } else if ((option == "notification-script" || option == "client-reconfig-script") &&
               moreargs > 0) {
      const std::string& value = argv[++j];
      if (g_.deny_scripts_reconfig) {
        rb.Error(
            "ERR Reconfiguration of scripts path is denied for security reasons. Check the "
            "deny-scripts-reconfig configuration directive in your Sentinel configuration");
        if (changes) FlushConfig();
        return;
      }
      if (!value.empty() && access(value.c_str(), X_OK) == -1) {
        rb.Error(option == "notification-script"
                     ? "ERR Notification script seems non existing or non executable"
                     : "ERR Client reconfiguration script seems non existing or non executable");
        if (changes) FlushConfig();
        return;
      }
      (option == "notification-script" ? ri->notification_script : ri->client_reconfig_script) =
          value;
    } else if (option == "auth-pass" && moreargs > 0) {
      ri->auth_pass = argv[++j];
      DropInstanceConnections(*ri);
      redacted = true;
    } else if (option == "auth-user" && moreargs > 0) {
      ri->auth_user = argv[++j];
      DropInstanceConnections(*ri);
    } else if (option == "quorum" && moreargs > 0) {
      ++j;
      if (!ParseLL(argv[j], ll) || ll <= 0) return badfmt(j);
      ri->quorum = static_cast<unsigned>(ll);
    } else if (option == "rename-command" && moreargs > 1) {
      const std::string& oldname = argv[++j];
      const std::string& newname = argv[++j];
      if (oldname.empty() || newname.empty()) return badfmt(newname.empty() ? j : j - 1);
      std::string key = config::ToLower(oldname);
      ri->renamed_commands.erase(key);
      std::erase_if(ri->renamed_order,
                    [&](const std::string& s) { return config::ToLower(s) == key; });
      if (key != config::ToLower(newname)) {
        ri->renamed_commands[key] = newname;
        ri->renamed_order.push_back(oldname);
      }
    } else if (option == "master-reboot-down-after-period" && moreargs > 0) {
      ++j;
      if (!ParseLL(argv[j], ll) || ll < 0) return badfmt(j);
      ri->master_reboot_down_after_period = ll;
    } else {
      rb.Error(
          fmt::format("ERR Unknown option or number of arguments for SENTINEL SET '{}'", argv[j]));
      if (changes) FlushConfig();
      return;
    }
    changes++;
    int numargs = j - old_j + 1;
    if (numargs == 2) {
      Event(Level::kWarning, "+set", ri,
            fmt::format(" {} {}", argv[old_j], redacted ? "******" : argv[old_j + 1]));
    } else if (numargs == 3) {
      Event(Level::kWarning, "+set", ri,
            fmt::format(" {} {} {}", argv[old_j], argv[old_j + 1], argv[old_j + 2]));
    } else {
      Event(Level::kWarning, "+set", ri, fmt::format(" {}", argv[old_j]));
    }
  }
  if (changes) {
    if (FlushConfig()) {
      rb.Ok();
    } else {
      rb.Error("ERR Failed to save config file. Check server logs.");
    }
  }
}

}  // namespace tandem::sentinel
