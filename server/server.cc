#include "server/server.h"

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>

#include "config/args.h"
#include "config/glob.h"
#include "config/log.h"
#include "resp/net/protected_mode.h"
#include "server/arg_cursor.h"
#include "server/errors.h"
#include "storage/rdb.h"

namespace tandem::server {

namespace {

std::string RandomHex(size_t n) {
  static const char* kHex = "0123456789abcdef";
  std::random_device rd;
  std::string s(n, '0');
  for (auto& c : s) c = kHex[rd() & 15];
  return s;
}

// Arguments as MONITOR and the slow log may show them: passwords become "(redacted)", as Redis's
// redactClientCommandArgument does for AUTH, HELLO ... AUTH and CONFIG SET of sensitive options.
std::vector<std::string_view> Redact(const config::Schema& schema, const Command& cmd,
                                     std::span<const std::string_view> args) {
  std::vector<std::string_view> out(args.begin(), args.end());
  constexpr std::string_view kRedacted = "(redacted)";
  if (cmd.name == "auth") {
    for (size_t i = 1; i < out.size(); ++i) out[i] = kRedacted;
  } else if (cmd.name == "hello") {
    for (size_t i = 2; i + 2 < out.size(); ++i) {
      if (EqualsIgnoreCase(out[i], "auth")) {
        out[i + 1] = kRedacted;
        out[i + 2] = kRedacted;
        i += 2;
      }
    }
  } else if (cmd.name == "config|set") {
    for (size_t i = 2; i + 1 < out.size(); i += 2) {
      const config::Option* o = schema.Find(out[i]);
      if (o != nullptr && o->Has(config::kSensitive)) out[i + 1] = kRedacted;
    }
  }
  return out;
}

// What a start-up load will read: the AOF directory's files (and a pre-7.0 single file), or
// the RDB. For INFO's loading_total_bytes and the pace of serving clients while loading.
uint64_t StartupLoadBytes(const ServerConfig& cfg) {
  std::error_code ec;
  auto size_of = [&](const std::filesystem::path& p) -> uint64_t {
    auto n = std::filesystem::file_size(p, ec);
    return ec ? 0 : static_cast<uint64_t>(n);
  };
  const std::filesystem::path dir = cfg.dir.empty() ? "." : cfg.dir;
  if (!cfg.appendonly) return size_of(dir / cfg.dbfilename);
  uint64_t total = size_of(dir / cfg.appendfilename);
  for (const auto& e : std::filesystem::directory_iterator(dir / cfg.appenddirname, ec)) {
    if (e.is_regular_file(ec) && e.path().extension() != ".manifest") total += size_of(e.path());
  }
  return total;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// CommandContext
// ---------------------------------------------------------------------------------------------

CommandContext::CommandContext(Server& s, Client& c, std::span<const std::string_view> a,
                               const Command& command, int64_t now)
    : server(s), client(c), args(a), cmd(command), now_ms(now) {}

storage::Db& CommandContext::db() { return server.keyspace().db(client.db_index); }
storage::Keyspace& CommandContext::keyspace() { return server.keyspace(); }
bool CommandContext::AlreadyExpired(int64_t when_ms) const {
  return when_ms <= now_ms && !server.loading() && !server.is_replica();
}

// The stream from our master sees keys as they are: a key that is logically expired here but
// not yet deleted by the master's DEL is still the master's key (expireIfNeeded returns 0 for
// server.master), so its writes and DELs apply to it.
static storage::Entry* Find(CommandContext& ctx, std::string_view key) {
  if (ctx.client.flags & kClientMaster) return ctx.db().FindRaw(key);
  return ctx.server.keyspace().Lookup(ctx.db(), key, ctx.now_ms);
}

storage::Entry* CommandContext::LookupRead(std::string_view key) {
  storage::Entry* e = Find(*this, key);
  if (e == nullptr) {
    ++server.stats().keyspace_misses;
  } else {
    ++server.stats().keyspace_hits;
    server.TouchAccess(e, now_ms);
  }
  return e;
}

storage::Entry* CommandContext::LookupWrite(std::string_view key) {
  storage::Entry* e = Find(*this, key);
  if (e != nullptr) server.TouchAccess(e, now_ms);
  return e;
}

void CommandContext::Error(std::string_view message) {
  failed = true;
  reply().Error(message);
  ServerStats& st = server.stats();
  ++st.total_error_replies;
  size_t sp = message.find(' ');
  std::string code(message.substr(0, sp == std::string_view::npos ? message.size() : sp));
  ++st.errorstats[code];
}

void CommandContext::WrongArity() {
  Error(fmt::format("ERR wrong number of arguments for '{}' command", cmd.name));
}

void CommandContext::Dirty(uint64_t n) { server.add_dirty(n); }

void ReplyHelp(CommandContext& ctx, std::string_view name,
               std::initializer_list<std::string_view> lines) {
  resp::ReplyBuilder& r = ctx.reply();
  r.ArrayHeader(static_cast<int64_t>(lines.size() + 3));
  r.SimpleString(fmt::format("{} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", name));
  for (std::string_view l : lines) r.SimpleString(l);
  r.SimpleString("HELP");
  r.SimpleString("    Prints this help.");
}

void CommandContext::Notify(int type, std::string_view event, std::string_view key) {
  server.NotifyKeyspaceEvent(type, event, key, client.db_index);
}

void Server::NotifyKeyspaceEvent(int type, std::string_view event, std::string_view key, int dbid) {
  const int flags = config_.notify_keyspace_events;
  if (!(flags & type)) return;
  if (flags & kNotifyKeyspace) {
    Publish(fmt::format("__keyspace@{}__:{}", dbid, key), event);
  }
  if (flags & kNotifyKeyevent) {
    Publish(fmt::format("__keyevent@{}__:{}", dbid, event), key);
  }
}

// ---------------------------------------------------------------------------------------------
// Server: set-up and loop hooks
// ---------------------------------------------------------------------------------------------

Server::Server(ServerConfig& config, config::Schema& schema, std::string config_file,
               std::string executable)
    : config_(config),
      schema_(schema),
      config_file_(std::move(config_file)),
      executable_(std::move(executable)),
      loop_(uv_default_loop()),
      keyspace_(static_cast<int>(config.databases), storage::SystemClockMs),
      run_id_(RandomHex(40)),
      start_time_ms_(storage::SystemClockMs()) {
  RegisterConnectionCommands(commands_);
  RegisterKeyCommands(commands_);
  RegisterStringCommands(commands_);
  RegisterBitmapCommands(commands_);
  RegisterServerCommands(commands_);
  RegisterListCommands(commands_);
  RegisterBlockingListCommands(commands_);
  RegisterHashCommands(commands_);
  RegisterSetCommands(commands_);
  RegisterZSetCommands(commands_);
  RegisterPubsubCommands(commands_);
  RegisterReplicationCommands(commands_);
  RegisterTransactionCommands(commands_);
  RegisterAclCommands(commands_);
  DeclareMemberArgs(commands_);
  acl_ = std::make_unique<acl::Acl>(commands_);
  acl_->set_pubsub_default_all(config_.acl_pubsub_default == AclPubsubDefault::kAllChannels);
  if (!config_.requirepass.empty()) acl_->SetDefaultPassword(config_.requirepass);
}

Server::~Server() = default;

net::ListenOptions Server::ListenOptionsFromConfig() const {
  net::ListenOptions opts;
  opts.addresses = config_.bind;
  if (opts.addresses.empty()) opts.addresses = {"*", "-::*"};
  opts.port = static_cast<int>(config_.port);
  opts.backlog = static_cast<int>(config_.tcp_backlog);
  opts.unix_path = config_.unixsocket;
  opts.unix_perm = static_cast<int>(config_.unixsocketperm);
  opts.tcp_keepalive = static_cast<int>(config_.tcp_keepalive);
  return opts;
}

std::unique_ptr<net::Listener> Server::NewListener() {
  auto l = std::make_unique<net::Listener>(loop_, [this](net::Connection* c) { Accept(c); });
  l->set_next_id([this] { return ++next_client_id_; });
  l->set_ring(ring_.get());
  l->set_on_accept_error([](int status) {
    // acceptTcpHandler's wording; the anet error text is "accept: <strerror>".
    config::LogMessage(
        config::Level::kWarning,
        fmt::format("Accepting client connection: accept: {}", std::strerror(-status)));
  });
  return l;
}

unsigned AdjustOpenFilesLimit(unsigned maxclients) {
  constexpr rlim_t kReservedFds = 32;  // Redis's CONFIG_MIN_RESERVED_FDS
  constexpr rlim_t kStep = 16;         // how far each refused attempt steps down
  const rlim_t wanted = static_cast<rlim_t>(maxclients) + kReservedFds;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == -1) {
    config::LogMessage(config::Level::kWarning,
                       fmt::format("Unable to obtain the current NOFILE limit ({}), assuming 1024 "
                                   "and setting the max clients configuration accordingly.",
                                   std::strerror(errno)));
    return static_cast<unsigned>(std::min<rlim_t>(maxclients, 1024 - kReservedFds));
  }
  const rlim_t old_limit = limit.rlim_cur;
  if (old_limit >= wanted) return maxclients;
  // Try the wanted limit, then lower ones, for soft and hard limit together (as Redis does).
  rlim_t best = wanted;
  int error = 0;
  while (best > old_limit) {
    limit.rlim_cur = limit.rlim_max = best;
    if (setrlimit(RLIMIT_NOFILE, &limit) != -1) break;
    error = errno;
    if (best < kStep) {
      best = old_limit;
      break;
    }
    best -= kStep;
  }
  best = std::max(best, old_limit);  // the limit we had still holds if every attempt failed
  if (best >= wanted) {
    config::LogMessage(config::Level::kNotice,
                       fmt::format("Increased maximum number of open files to {} (it was "
                                   "originally set to {}).",
                                   wanted, old_limit));
    return maxclients;
  }
  if (best <= kReservedFds) {
    config::LogMessage(config::Level::kWarning,
                       fmt::format("Your current 'ulimit -n' of {} is not enough for the server "
                                   "to start. Please increase your open file limit to at least "
                                   "{}. Exiting.",
                                   old_limit, wanted));
    return 0;
  }
  const auto fit = static_cast<unsigned>(best - kReservedFds);
  config::LogMessage(config::Level::kWarning,
                     fmt::format("You requested maxclients of {} requiring at least {} max file "
                                 "descriptors.",
                                 maxclients, wanted));
  config::LogMessage(config::Level::kWarning,
                     fmt::format("Server can't set maximum open files to {} because of OS error: "
                                 "{}.",
                                 wanted, std::strerror(error)));
  config::LogMessage(config::Level::kWarning,
                     fmt::format("Current maximum open files is {}. maxclients has been reduced "
                                 "to {} to compensate for low ulimit. If you need higher "
                                 "maxclients increase 'ulimit -n'.",
                                 best, fit));
  return fit;
}

std::expected<void, std::string> Server::Relisten(std::string_view error) {
  net::ListenOptions next = ListenOptionsFromConfig();
  if (next.addresses == listen_opts_.addresses && next.port == listen_opts_.port) return {};
  next.unix_path.clear();  // the unix socket is immutable and stays where it is
  listener_->Close();      // closes the sockets now; handles are freed by the loop
  auto fresh = NewListener();
  std::string err = fresh->Listen(next);
  if (!err.empty()) {
    config::LogMessage(config::Level::kWarning, err);
    net::ListenOptions old = listen_opts_;
    old.unix_path.clear();
    listener_->Listen(old);
    return std::unexpected(std::string(error));
  }
  listener_ = std::move(fresh);
  listen_opts_.addresses = next.addresses;
  listen_opts_.port = next.port;
  ports_.assign(1, next.port);
  return {};
}

void Server::InstallConfigHooks() {
  schema_.SetApply("port", [this] { return Relisten("Unable to listen on this port"); });
  schema_.SetApply("bind", [this] { return Relisten("Failed to bind to specified addresses."); });
  schema_.SetApply("notify-keyspace-events", [this]() -> std::expected<void, std::string> {
    InstallNewKeyHook();
    return {};
  });
  // Entry::access holds the LRU second or the LFU counter depending on the policy, as robj.lru.
  schema_.SetApply("maxmemory-policy", [this]() -> std::expected<void, std::string> {
    keyspace_.set_lfu(IsLfuPolicy(config_.maxmemory_policy));
    return {};
  });
  schema_.SetApply("appendonly", [this]() -> std::expected<void, std::string> {
    if (!config_.appendonly) {
      aof_.Disable();
      return {};
    }
    return aof_.Enable();
  });
  schema_.SetApply("repl-backlog-size", [this]() -> std::expected<void, std::string> {
    replication_.ResizeBacklog(static_cast<size_t>(config_.repl_backlog_size));
    return {};
  });
  schema_.SetApply("hz", [this]() -> std::expected<void, std::string> {
    uint64_t period = static_cast<uint64_t>(1000 / std::max<int64_t>(1, config_.hz));
    uv_timer_set_repeat(&cron_, period);
    return {};
  });
  // requirepass is the default user's password (ACLUpdateDefaultUserPassword).
  schema_.SetApply("requirepass", [this]() -> std::expected<void, std::string> {
    acl_->SetDefaultPassword(config_.requirepass);
    return {};
  });
  schema_.SetApply("acl-pubsub-default", [this]() -> std::expected<void, std::string> {
    acl_->set_pubsub_default_all(config_.acl_pubsub_default == AclPubsubDefault::kAllChannels);
    return {};
  });
  // rewriteConfigUserOption: every user as a `user` line, unless users live in an aclfile.
  schema_.SetDirectiveRewrite("user", [this] {
    std::vector<config::RewriteLine> out;
    if (!config_.aclfile.empty()) return out;
    for (const auto& [name, u] : acl_->users()) {
      out.push_back({name + " " + acl_->Describe(*u), true});
    }
    return out;
  });
  // updateMaxclients: going above the last value must fit the fd limit (raised if possible).
  schema_.SetApply("maxclients", [this]() -> std::expected<void, std::string> {
    if (config_.maxclients > applied_maxclients_) {
      unsigned fit = AdjustOpenFilesLimit(config_.maxclients);
      if (fit != config_.maxclients) {
        config::LogMessage(config::Level::kWarning,
                           "Failed applying new configuration. Possibly related to new "
                           "maxclients setting. Restoring previous settings.");
        return std::unexpected(
            fmt::format("The operating system is not able to handle the "
                        "specified number of clients, try with {}",
                        fit));
      }
    }
    applied_maxclients_ = config_.maxclients;
    return {};
  });
  schema_.SetApply("loglevel", [this]() -> std::expected<void, std::string> {
    config::SetLogLevel(static_cast<config::Level>(static_cast<int>(config_.loglevel)));
    return {};
  });
}

std::string Server::Start() {
  for (const auto& [from, to] : config_.renamed_commands) {
    if (!commands_.Rename(from, to)) return "No such command in rename-command: " + from;
  }
  applied_maxclients_ = config_.maxclients;
  const char* tsc_env = std::getenv("TANDEM_TSC");
  clock_.Init(tsc_env == nullptr || std::strcmp(tsc_env, "0") != 0);
  std::string no_ring;
  ring_ = net::Ring::Create(loop_, no_ring);
  config::LogMessage(config::Level::kNotice,
                     ring_ ? std::string("Client sockets use io_uring.")
                           : "Client sockets use epoll (io_uring unavailable: " + no_ring + ").");
  listener_ = NewListener();
  listen_opts_ = ListenOptionsFromConfig();
  std::string err = listener_->Listen(listen_opts_);
  if (!err.empty()) return err;
  // The dataset is loaded before commands run; clients that connect meanwhile are answered
  // -LOADING between chunks of the load (LoadingProgress), as Redis does.
  if (!config_.replicaof_host.empty()) keyspace_.set_lazy_expire_deletes(false);
  keyspace_.set_lfu(IsLfuPolicy(config_.maxmemory_policy));
  startup_load_ =
      StartupLoad{true, storage::SystemClockMs() / 1000, StartupLoadBytes(config_), 0, 0};
  if (config_.appendonly) {
    // With AOF on, the AOF is the dataset (an RDB beside it is not read), as in Redis.
    bool loaded = false;
    err = aof_.LoadAtStart(loaded);
    startup_load_.active = false;
    if (!err.empty()) return err;
    auto on = aof_.Enable();
    if (!on) return on.error();
  } else {
    err = persistence_.LoadAtStart();
    startup_load_.active = false;
    if (!err.empty()) return err;
  }
  // Replies to clients served while loading leave now; their next commands run normally.
  FlushPendingWrites();
  if (listen_opts_.port > 0) ports_.push_back(listen_opts_.port);
  InstallConfigHooks();
  startup_memory_ = UsedMemory();
  // notify-keyspace-events n: every key created (dbAdd's "new" event).
  if (config_.notify_keyspace_events & kNotifyNew) InstallNewKeyHook();
  // A key deleted because it expired breaks WATCH and is an "expired" keyspace event.
  keyspace_.set_expired_hook([this](storage::Db& db, std::string_view key) {
    // Replicas and the AOF learn of an expiry as a DEL (propagateDeletion).
    std::string k(key);
    std::string_view del[] = {"DEL", k};
    Propagate(db.index(), del);
    TouchWatchedKey(db.index(), key);
    NotifyKeyspaceEvent(kNotifyExpired, "expired", key, db.index());
  });

  uv_prepare_init(loop_, &prepare_);
  prepare_.data = this;
  uv_prepare_start(&prepare_,
                   [](uv_prepare_t* h) { static_cast<Server*>(h->data)->BeforeSleep(); });
  uv_check_init(loop_, &check_);
  check_.data = this;
  uv_check_start(&check_, [](uv_check_t* h) { static_cast<Server*>(h->data)->BeforeSleep(); });

  uv_timer_init(loop_, &block_timer_);
  block_timer_.data = this;
  uv_timer_init(loop_, &cron_);
  cron_.data = this;
  uint64_t period = static_cast<uint64_t>(1000 / std::max<int64_t>(1, config_.hz));
  uv_timer_start(
      &cron_, [](uv_timer_t* t) { static_cast<Server*>(t->data)->Cron(); }, period, period);

  auto on_signal = [](uv_signal_t* h, int signum) {
    auto* self = static_cast<Server*>(h->data);
    config::LogMessage(
        config::Level::kWarning,
        fmt::format("Received {} scheduling shutdown...", signum == SIGINT ? "SIGINT" : "SIGTERM"));
    if (self->SaveBeforeShutdown(false, false)) self->Shutdown("signal");
  };
  uv_signal_init(loop_, &sigterm_);
  sigterm_.data = this;
  uv_signal_start(&sigterm_, on_signal, SIGTERM);
  uv_signal_init(loop_, &sigint_);
  sigint_.data = this;
  uv_signal_start(&sigint_, on_signal, SIGINT);
  replication_.Start();
  fence_.Start();
  return {};
}

int Server::Run() {
  if (ring_) {
    ring_->Run([this] {
      if (!shutting_down_) BeforeSleep();  // as the prepare and check handles Shutdown stops
    });
  } else {
    uv_run(loop_, UV_RUN_DEFAULT);
  }
  return exit_code_;
}

bool Server::SaveBeforeShutdown(bool save, bool nosave) {
  // prepareForShutdown: a child's snapshot is abandoned; with save points (or SAVE) the dataset
  // is saved in the foreground, and a failed save keeps the server running.
  persistence_.KillChild();
  if (nosave || (!save && config_.save.empty())) return true;
  config::LogMessage(config::Level::kNotice, "Saving the final RDB snapshot before exiting.");
  if (!persistence_.Save()) {
    config::LogMessage(config::Level::kWarning, "Error trying to save the DB, can't exit.");
    return false;
  }
  return true;
}

void Server::Shutdown(std::string_view reason) {
  if (shutting_down_) return;
  shutting_down_ = true;
  config::LogMessage(config::Level::kWarning, "User requested shutdown...");
  config::LogMessage(config::Level::kVerbose, fmt::format("Shutdown reason: {}", reason));
  if (listener_) listener_->Close();
  replication_.Stop();
  fence_.Stop();
  aof_.FlushForShutdown();
  // Replies already produced (e.g. to other clients) still leave before we stop.
  BeforeSleep();
  if (ring_) ring_->SubmitNow();  // before the closes below, which drop queued output
  for (auto& [id, c] : clients_) c->conn().Close();
  uv_prepare_stop(&prepare_);
  uv_check_stop(&check_);
  uv_timer_stop(&cron_);
  uv_timer_stop(&block_timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&block_timer_), nullptr);
  uv_signal_stop(&sigterm_);
  uv_signal_stop(&sigint_);
  uv_close(reinterpret_cast<uv_handle_t*>(&prepare_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&check_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&cron_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigterm_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigint_), nullptr);
  if (!config_.pidfile.empty()) {
    config::LogMessage(config::Level::kNotice, "Removing the pid file.");
    ::unlink(config_.pidfile.c_str());
  }
  if (!config_.unixsocket.empty()) {
    config::LogMessage(config::Level::kNotice, "Removing the unix socket file.");
    ::unlink(config_.unixsocket.c_str());
  }
  config::LogMessage(config::Level::kWarning, "Redis is now ready to exit, bye bye...");
}

// ---------------------------------------------------------------------------------------------
// Clients
// ---------------------------------------------------------------------------------------------

void Server::Accept(net::Connection* conn) {
  const acl::User& default_user = *acl_->default_user();
  // Refused connections count as rejected, not received; the reply is a best-effort direct write.
  std::string_view refusal;
  if (clients_.size() >= config_.maxclients) {
    refusal = "-ERR max number of clients reached\r\n";
  } else if (net::ProtectedModeRefuses(*conn, config_.protected_mode,
                                       (default_user.flags & acl::kUserNoPass) != 0)) {
    refusal = net::kProtectedModeDenied;
  }
  if (!refusal.empty()) {
    ++stats_.rejected_connections;
    return conn->Refuse(refusal);
  }
  ++stats_.total_connections_received;
  auto* client = new Client(conn, storage::SystemClockMs());
  client->user = acl_->default_user();
  client->authenticated =
      (default_user.flags & acl::kUserNoPass) && !(default_user.flags & acl::kUserDisabled);
  conn->set_data(client);
  conn->set_handler(this);
  clients_.emplace(conn->id(), client);
}

bool Server::AuthRequired(const Client& c) const {
  const acl::User& d = *acl_->default_user();
  return (!(d.flags & acl::kUserNoPass) || (d.flags & acl::kUserDisabled)) && !c.authenticated;
}

bool Server::Authenticate(Client& c, std::string_view user, std::string_view pass,
                          std::string_view command_name) {
  std::shared_ptr<acl::User> u = acl_->CheckCredentials(user, pass);
  if (u) {
    c.authenticated = true;
    c.user = std::move(u);
    return true;
  }
  const int64_t now_ms = storage::SystemClockMs();
  acl_->AddLogEntry(acl::Verdict::kDeniedAuth, c.in_multi, std::string(command_name),
                    std::string(user), ClientInfoLine(*this, c, now_ms), now_ms,
                    static_cast<size_t>(config_.acllog_max_len));
  return false;
}

std::string Server::LoadAclsAtStartup() {
  if (!config_.users.empty() && !config_.aclfile.empty()) {
    return "Configuring Redis with users defined in redis.conf and at the same setting an ACL "
           "file path is invalid. This setup is very likely to lead to configuration errors and "
           "security holes, please define either an ACL file or declare users directly in your "
           "redis.conf, but not both.";
  }
  std::string err = acl_->LoadConfigured(config_.users);
  if (!err.empty()) return err;
  if (!config_.aclfile.empty()) {
    err = acl_->LoadFile(config_.aclfile, nullptr);
    if (!err.empty()) return "Aborting Redis startup because of ACL errors: " + err;
  }
  return {};
}

void Server::KillClientsOfUsers(const std::vector<std::shared_ptr<acl::User>>& users,
                                const Client* caller) {
  std::vector<Client*> victims;
  ForEachClient([&](Client& c) {
    if (c.conn().closing()) return;
    if (c.user && std::find(users.begin(), users.end(), c.user) != users.end()) {
      victims.push_back(&c);
    }
  });
  // The calling client gets this command's reply first (CLIENT_CLOSE_AFTER_COMMAND).
  for (Client* c : victims) KillClient(*c, caller);
}

void Server::KillPubsubClientsIfNeeded(const std::shared_ptr<acl::User>& u, const Client* caller) {
  std::vector<Client*> victims;
  ForEachClient([&](Client& c) {
    if (c.user != u || c.conn().closing()) return;
    bool kill = false;
    for (const auto& p : c.patterns) kill = kill || !acl_->ChannelAllowed(*u, p, true);
    for (const auto& ch : c.channels) kill = kill || !acl_->ChannelAllowed(*u, ch, false);
    for (const auto& ch : c.shard_channels) kill = kill || !acl_->ChannelAllowed(*u, ch, false);
    if (kill) victims.push_back(&c);
  });
  for (Client* c : victims) KillClient(*c, caller);
}

Client* Server::FindClient(uint64_t id) {
  auto it = clients_.find(id);
  return it == clients_.end() ? nullptr : it->second;
}

void Server::OnClosed(net::Connection& conn) {
  auto* client = static_cast<Client*>(conn.data());
  if (client == nullptr) return;
  stats_.net_input_bytes += conn.bytes_read();
  stats_.net_output_bytes += conn.bytes_written();
  replication_.OnClientClosed(*client);
  RemoveSubscriptions(*client);
  UnwatchAll(*client);
  UnblockAndForget(*client);
  clients_.erase(conn.id());
  std::erase(monitors_, conn.id());
  std::erase(paused_clients_, conn.id());
  std::erase(pending_writes_, &conn);
  delete client;
}

void Server::KillClient(Client& c, const Client* caller) {
  if (&c != caller) {
    c.conn().Close();  // its memory stays valid until the loop runs the close callback
    return;
  }
  // The caller: closed after this command's reply leaves, in the flush step of this iteration.
  c.conn().CloseAfterReply();
  if (!c.pending_write) {
    c.pending_write = true;
    pending_writes_.push_back(&c.conn());
  }
}

void Server::AddMonitor(Client& c) {
  c.flags |= kClientMonitor;
  monitors_.push_back(c.id());
}

void Server::OnReadable(net::Connection& conn) {
  auto* client = static_cast<Client*>(conn.data());
  ++stats_.total_reads_processed;
  ProcessInput(*client);
}

// Capacity of an emptied query buffer kept for the client's next requests (see ProcessInput).
constexpr size_t kKeepQueryBuffer = 64 * 1024;

void Server::ProcessInput(Client& client) {
  net::Connection& conn = client.conn();
  net::Buffer& buf = conn.read_buffer();
  resp::ParserLimits limits;
  limits.max_bulk_len = config_.proto_max_bulk_len;
  size_t offset = 0;
  size_t run_before_look_ahead = 0;  // commands left that the last look-ahead covered
  // The commands of this batch run back to back: Dispatch takes the end time of the command that
  // ran just before as its own time, two clock reads per command instead of three. Restored at
  // the end for a ProcessInput nested in a command (a client resumed from inside one).
  const bool outer_in_batch = in_batch_;
  in_batch_ = true;
  batch_clock_us_ = 0;
  while (!conn.closing() && !conn.close_after_reply()) {
    if (pause_until_ms_ > 0 && (client.flags & kClientPausedWaiting)) break;
    if (client.blocked) break;  // the rest waits until the blocking command completes
    limits.unauthenticated = !client.authenticated;
    std::string_view input = buf.view().substr(offset);
    resp::ParseResult r = client.parser().Parse(input, limits);
    if (r == resp::ParseResult::kNeedMore) {
      if (client.parser().bytes_needed() > 0) {
        // The whole bulk plus the free space each read asks for, so the reads that bring it
        // never grow the buffer again.
        buf.Reserve(offset + client.parser().bytes_needed() + net::Connection::kMinReadSpace);
      }
      break;
    }
    if (r == resp::ParseResult::kError) {
      config::LogMessage(config::Level::kVerbose,
                         fmt::format("Protocol error ({}) from client: id={} addr={}",
                                     client.parser().error(), client.id(), conn.peer()));
      client.reply().Error("ERR " + client.parser().error());
      ++stats_.total_error_replies;
      ++stats_.errorstats["ERR"];
      conn.CloseAfterReply();
      offset = buf.size();
      break;
    }
    const auto& args = client.parser().args();
    if (args.empty()) {
      offset += client.parser().consumed();
      continue;
    }
    // CLIENT PAUSE: leave the command in the buffer and retry it when the pause ends.
    if (pause_until_ms_ > 0 && !(client.flags & (kClientMaster | kClientReplica))) {
      const Command* cmd = commands_.Find(args[0]);
      bool blocked =
          !pause_writes_only_ || (cmd != nullptr && (cmd->flags & (kCmdWrite | kCmdMayReplicate)));
      if (blocked) {
        client.flags |= kClientPausedWaiting;
        paused_clients_.push_back(client.id());
        conn.PauseReading();
        break;
      }
    }
    size_t consumed = client.parser().consumed();
    if (run_before_look_ahead == 0) {
      // More than this one command in the buffer (a pipeline, or a master's stream): start the
      // cache misses of the next commands' keys before running them. At -P 1 this costs one
      // comparison and one (remembered) command lookup per command.
      run_before_look_ahead = storage::Db::kMaxPrefetch;
      // A pipeline mostly repeats its first command: one without keys (PING) skips the scan, and
      // so does a client that has not authenticated.
      const Command* first = offset + consumed < buf.size() && client.authenticated
                                 ? commands_.Find(args[0])
                                 : nullptr;
      if (first != nullptr && first->first_key > 0) {
        run_before_look_ahead =
            std::max<size_t>(PrefetchBatch(client, buf.view().substr(offset)), 1);
      }
    }
    --run_before_look_ahead;
    Dispatch(client, args);
    if (client.flags & kClientMaster) {
      // The bytes of the command, as received, continue our own stream (chained replicas and
      // the backlog see exactly what the master sent).
      replication_.OnMasterBytesApplied(buf.view().substr(offset, consumed), !client.in_multi);
    }
    offset += consumed;
  }
  in_batch_ = outer_in_batch;
  batch_clock_us_ = 0;
  buf.Consume(offset);
  // A big request's buffer (512 MB for a bulk at proto-max-bulk-len) must not stay with the
  // client once served; Redis shrinks such query buffers in clientsCron. Smaller buffers are kept
  // for reuse.
  if (buf.empty()) buf.ShrinkIfIdle(kKeepQueryBuffer);
  if (buf.size() > static_cast<size_t>(config_.client_query_buffer_limit)) {
    config::LogMessage(
        config::Level::kWarning,
        fmt::format("Closing client that reached max query buffer length: id={} addr={} "
                    "(qbuf initial bytes: ...)",
                    client.id(), conn.peer()));
    ++stats_.client_qbuf_limit_disconnections;
    conn.Close();
    return;
  }
  if (!conn.output().empty()) {
    if (!client.pending_write) {
      client.pending_write = true;
      pending_writes_.push_back(&conn);
    }
    CheckOutputLimits(client, storage::SystemClockMs());
  }
}

namespace {

// Keys of commands about to run, gathered for storage::Db::Prefetch: each command's keys by its
// key spec (first, last, step). CommandTable::Find remembers the last name, which a pipeline
// mostly repeats.
class KeyBatch {
 public:
  explicit KeyBatch(const CommandTable& commands) : commands_(commands) {}
  // Longer keys and members are left out: hashing one twice costs more than its cache miss.
  static constexpr size_t kMaxLength = 1024;

  // Adds the keys of one command, and the members it names when all such commands of the batch
  // are on one key (a hot hash, set or sorted set); false once the batch is full.
  bool Add(std::span<const std::string_view> args) {
    const Command* cmd = commands_.Find(args[0]);
    if (cmd == nullptr || cmd->first_key <= 0) return n_ < keys_.size();
    const int argc = static_cast<int>(args.size());
    ForEachKeyIndex(*cmd, argc, [&](int i) {
      std::string_view key = args[static_cast<size_t>(i)];
      if (n_ < keys_.size() && key.size() <= kMaxLength) keys_[n_++] = key;
    });
    if (cmd->member_first > 0 && cmd->member_first < argc && !mixed_) {
      std::string_view key = args[static_cast<size_t>(cmd->first_key)];
      if (n_members_ == 0) member_key_ = key;
      mixed_ = key != member_key_;
      const int mstep = cmd->member_step > 0 ? cmd->member_step : argc;
      for (int i = cmd->member_first; i < argc && n_members_ < members_.size(); i += mstep) {
        std::string_view member = args[static_cast<size_t>(i)];
        if (member.size() <= kMaxLength) members_[n_members_++] = member;
      }
    }
    return n_ < keys_.size();
  }
  std::span<const std::string_view> keys() const { return {keys_.data(), n_}; }
  // The one key whose members were gathered, and those members; empty when none or when
  // commands on different keys named members.
  std::string_view member_key() const { return mixed_ ? std::string_view() : member_key_; }
  std::span<const std::string_view> members() const {
    return {members_.data(), mixed_ ? 0 : n_members_};
  }

 private:
  const CommandTable& commands_;
  std::array<std::string_view, storage::Db::kMaxPrefetch> keys_;
  size_t n_ = 0;
  std::array<std::string_view, storage::Db::kMaxPrefetch> members_;
  size_t n_members_ = 0;
  std::string_view member_key_;
  bool mixed_ = false;
};

}  // namespace

size_t Server::PrefetchBatch(const Client& client, std::string_view input) {
  KeyBatch batch(commands_);
  size_t commands =
      resp::ScanCommands(input, storage::Db::kMaxPrefetch,
                         [&](std::span<const std::string_view> args) { return batch.Add(args); });
  storage::Db& db = keyspace_.db(client.db_index);
  db.Prefetch(batch.keys());
  if (!batch.members().empty()) {
    // The members' lookups in the collection's own table. Only for one key, which a pipeline
    // repeats, so its entry is already in the cache and this lookup does not wait for memory.
    const storage::Entry* e = db.FindRaw(batch.member_key());
    if (e != nullptr && e->value.obj() != nullptr) e->value.obj()->PrefetchMembers(batch.members());
  }
  return commands;
}

void Server::Dispatch(Client& client, std::span<const std::string_view> args) {
  // In a batch, the end time of the command that ran just before this one (see ProcessInput)
  // serves as this one's time here; the hint is used once. Call reads the clock for the
  // command's own time and duration.
  const int64_t now_ms = (batch_clock_us_ != 0 ? batch_clock_us_ : clock_.NowUs()) / 1000;
  batch_clock_us_ = 0;
  client.set_last_interaction(now_ms);
  resp::ReplyBuilder& reply = client.reply();
  // CLIENT REPLY OFF|SKIP: the command runs, its reply goes nowhere.
  std::string discard;
  bool suppress = client.reply_off || client.reply_skip;
  if (suppress) reply.set_buffer(&discard);
  reply.set_protocol(client.resp);

  auto reject = [&](std::string_view msg, Command* cmd) {
    // A command rejected inside MULTI makes EXEC fail with EXECABORT (flagTransaction); a
    // rejected EXEC itself discards the transaction and says why (execCommandAbort).
    if (client.in_multi) client.exec_abort = true;
    if (cmd != nullptr && cmd->name == "exec") {
      client.queued.clear();
      client.in_multi = false;
      client.exec_abort = false;
      client.dirty_cas = false;
      UnwatchAll(client);
      std::string_view why = msg.starts_with("ERR ") ? msg.substr(4) : msg;
      reply.Error(fmt::format("EXECABORT Transaction discarded because of: {}", why));
    } else {
      reply.Error(msg);
    }
    ++stats_.total_error_replies;
    size_t sp = msg.find(' ');
    ++stats_.errorstats[std::string(msg.substr(0, sp))];
    if (cmd) ++cmd->stats.rejected_calls;
  };

  Command* cmd = commands_.Find(args[0]);
  if (cmd == nullptr) {
    // Redis formats these with %.128s / %.*s, which stop at a NUL byte.
    auto c_str = [](std::string_view s, size_t max) {
      s = s.substr(0, std::min(max, s.find('\0')));
      return s;
    };
    std::string tail;
    for (size_t i = 1; i < args.size() && tail.size() < 128; ++i) {
      size_t room = 128 - tail.size();
      tail += "'";
      tail.append(c_str(args[i], room));
      tail += "' ";
    }
    reject(fmt::format("ERR unknown command '{}', with args beginning with: {}",
                       c_str(args[0], 128), tail),
           nullptr);
  } else {
    if (!cmd->subcommands.empty() && args.size() >= 2) {
      Command* sub = cmd->FindSubcommand(ToLower(args[1]));
      if (sub == nullptr) {
        std::string upper(cmd->name);
        for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        reject(
            fmt::format("ERR unknown subcommand '{}'. Try {} HELP.", args[1].substr(0, 128), upper),
            nullptr);
        cmd = nullptr;
      } else {
        cmd = sub;
      }
    }
    if (cmd != nullptr) {
      int argc = static_cast<int>(args.size());
      if ((cmd->arity > 0 && cmd->arity != argc) || argc < -cmd->arity) {
        reject(fmt::format("ERR wrong number of arguments for '{}' command", cmd->name), cmd);
      } else if (AuthRequired(client) && !(cmd->flags & kCmdNoAuth)) {
        reject(err::kNoAuth, cmd);
      } else if (client.in_multi && (cmd->flags & kCmdNoMulti)) {
        reject("ERR Command not allowed inside a transaction", cmd);
      } else if (acl::CheckResult acl_res =
                     client.user ? acl_->Check(*client.user, *cmd, args) : acl::CheckResult{};
                 acl_res.verdict != acl::Verdict::kOk) {
        std::string object = acl_res.verdict == acl::Verdict::kDeniedCmd
                                 ? cmd->name
                                 : std::string(args[static_cast<size_t>(acl_res.errpos)]);
        acl_->AddLogEntry(acl_res.verdict, client.in_multi, std::move(object), client.user->name,
                          ClientInfoLine(*this, client, now_ms), now_ms,
                          static_cast<size_t>(config_.acllog_max_len));
        switch (acl_res.verdict) {
          case acl::Verdict::kDeniedCmd:
            reject(fmt::format("NOPERM this user has no permissions to run the '{}' command",
                               cmd->name),
                   cmd);
            break;
          case acl::Verdict::kDeniedKey:
            reject(
                "NOPERM this user has no permissions to access one of the keys used as "
                "arguments",
                cmd);
            break;
          default:
            reject(
                "NOPERM this user has no permissions to access one of the channels used as "
                "arguments",
                cmd);
            break;
        }
      } else if (config_.maxmemory > 0 && !(client.flags & kClientMaster) &&
                 !(is_replica() && config_.replica_ignore_maxmemory) && !PerformEvictions() &&
                 ((cmd->flags & kCmdDenyOom) ||
                  (cmd->name == "exec" && client.in_multi && QueuedDenyOom(client)))) {
        reject("OOM command not allowed when used memory > 'maxmemory'.", cmd);
      } else if ((is_replica() || fence_.active()) && config_.replica_read_only &&
                 (cmd->flags & kCmdWrite) && !(client.flags & kClientMaster)) {
        reject("READONLY You can't write against a read only replica.", cmd);
      } else if ((cmd->flags & kCmdWrite) && !(client.flags & kClientMaster) && !is_replica() &&
                 persistence_.WritesRefused()) {
        reject(
            "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to "
            "persist to disk. Commands that may modify the data set are disabled, because "
            "this instance is configured to report errors during writes if RDB snapshotting "
            "fails (stop-writes-on-bgsave-error option). Please check the Redis logs for "
            "details about the RDB error.",
            cmd);
      } else if ((cmd->flags & kCmdWrite) && !(client.flags & kClientMaster) &&
                 aof_.write_failed()) {
        reject(aof_.WriteErrorMessage(), cmd);
      } else if ((cmd->flags & kCmdWrite) && !is_replica() &&
                 !replication_.EnoughGoodReplicas(now_ms)) {
        reject("NOREPLICAS Not enough good replicas to write.", cmd);
      } else if (is_replica() && !replication_.link_up() && !config_.replica_serve_stale_data &&
                 !(cmd->flags & kCmdStale)) {
        reject("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
               cmd);
      } else if ((client.flags & kClientPubsub) && client.resp == 2 && cmd->name != "ping" &&
                 cmd->name != "quit" && cmd->name != "reset" &&
                 cmd->name.find("subscribe") == std::string::npos) {
        reject(fmt::format("ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / "
                           "PING / QUIT / RESET are allowed in this context",
                           cmd->name),
               cmd);
      } else if (startup_load_.active && &client != loader_ && !(cmd->flags & kCmdLoading)) {
        reject("LOADING Redis is loading the dataset in memory", cmd);
      } else if (client.in_multi && cmd->name != "exec" && cmd->name != "discard" &&
                 cmd->name != "multi" && cmd->name != "watch" && cmd->name != "quit" &&
                 cmd->name != "reset") {
        Client::QueuedCommand q{cmd, {}};
        q.args.reserve(args.size());
        for (std::string_view a : args) q.args.emplace_back(a);
        client.queued.push_back(std::move(q));
        reply.SimpleString("QUEUED");
      } else {
        Call(client, *cmd, args);
      }
    }
  }

  if (suppress) reply.set_buffer(&client.conn().output());
  client.reply_skip = client.reply_skip_next;
  client.reply_skip_next = false;
  ++client.commands_processed;
}

void Server::Call(Client& client, const Command& cmd, std::span<const std::string_view> args) {
  const int64_t start_us = clock_.NowUs();
  client.last_command = &cmd;  // CLIENT LIST shows the command being run, as Redis does
  CommandContext ctx(*this, client, args, cmd, start_us / 1000);
  ctx.may_block = !in_exec_ && !(client.flags & kClientMaster);
  const uint64_t dirty_before = dirty_;
  const int db_before = client.db_index;
  cmd.handler(ctx);
  // Propagation (call() with PROPAGATE_AOF|PROPAGATE_REPL): commands from our master go to our
  // AOF only; their raw bytes reach our replicas through the replication code.
  if (!ctx.propagate_suppressed) {
    const int targets = (client.flags & kClientMaster) ? kPropagateAof : kPropagateAll;
    if (!ctx.propagate_as.empty()) {
      for (const auto& argv : ctx.propagate_as) {
        std::vector<std::string_view> v(argv.begin(), argv.end());
        Propagate(db_before, v, targets);
      }
    } else if (dirty_ != dirty_before) {
      Propagate(db_before, args, targets);
    } else if (ctx.propagate_to_replicas) {
      Propagate(db_before, args, targets & kPropagateRepl);  // PUBLISH: replicas only
    }
  }
  if (dirty_ != dirty_before && (!watched_keys_.empty() || !blocking_keys_.empty())) {
    TouchCommandKeys(client, cmd, args);
  }
  const int64_t end_us = clock_.NowUs();
  if (in_batch_) batch_clock_us_ = end_us;
  const int64_t duration = std::max<int64_t>(end_us - start_us, 0);  // the wall clock may step
  ++stats_.total_commands_processed;
  ++cmd.stats.calls;
  cmd.stats.usec += static_cast<uint64_t>(duration);
  if (ctx.failed) ++cmd.stats.failed_calls;
  if (config_.latency_tracking) cmd.stats.latency.Record(static_cast<uint64_t>(duration));

  const Command& top = cmd.parent ? *cmd.parent : cmd;
  bool to_slowlog = config_.slowlog_log_slower_than >= 0 &&
                    duration >= config_.slowlog_log_slower_than && !(cmd.flags & kCmdSkipSlowlog);
  bool to_monitors = !monitors_.empty() && !(top.flags & (kCmdSkipMonitor | kCmdAdmin)) &&
                     !(cmd.flags & (kCmdSkipMonitor | kCmdAdmin));
  if (!to_slowlog && !to_monitors) return;
  std::vector<std::string_view> shown = Redact(schema_, cmd, args);
  args = shown;
  if (to_slowlog) {
    SlowlogEntry e;
    e.id = slowlog_next_id_++;
    e.time_s = start_us / 1000000;
    e.duration_us = duration;
    // Like slowlogCreateEntry: at most 32 arguments, each at most 128 bytes.
    size_t n = std::min<size_t>(args.size(), 32);
    for (size_t i = 0; i < n; ++i) {
      if (n < args.size() && i == n - 1) {
        e.args.push_back(fmt::format("... ({} more arguments)", args.size() - n + 1));
      } else if (args[i].size() > 128) {
        e.args.push_back(
            fmt::format("{}... ({} more bytes)", args[i].substr(0, 128), args[i].size() - 128));
      } else {
        e.args.emplace_back(args[i]);
      }
    }
    e.peer = client.conn().peer();
    e.name = client.name;
    slowlog_.push_front(std::move(e));
    while (slowlog_.size() > static_cast<size_t>(std::max<int64_t>(0, config_.slowlog_max_len))) {
      slowlog_.pop_back();
    }
  }
  if (to_monitors) FeedMonitors(client, args, start_us);
}

void Server::FeedMonitors(const Client& client, std::span<const std::string_view> args,
                          int64_t now_us) {
  std::string line =
      fmt::format("+{}.{:06} [{} ", now_us / 1000000, now_us % 1000000, client.db_index);
  if (client.conn().kind() == net::Connection::Kind::kUnix) {
    line += "unix:" + config_.unixsocket;
  } else {
    line += client.conn().peer();
  }
  line += "]";
  for (std::string_view a : args) {
    line.push_back(' ');
    line += config::Repr(a);  // sdscatrepr
  }
  line += "\r\n";
  for (uint64_t id : monitors_) {
    Client* m = FindClient(id);
    if (m == nullptr || m->conn().closing()) continue;
    m->conn().output() += line;
    if (!m->pending_write) {
      m->pending_write = true;
      pending_writes_.push_back(&m->conn());
    }
  }
}

// Redis's per-client reply buffer (PROTO_REPLY_CHUNK_BYTES): what an unauthenticated client
// may have pending before it is closed.
constexpr size_t kUnauthenticatedOutputLimit = 16 * 1024;

void Server::CheckOutputLimits(Client& client, int64_t now_ms) {
  // client-output-buffer-limit classes, in the order of Redis's CLIENT_TYPE_*.
  const OutputBufferLimit& lim =
      (client.flags & kClientReplica)  ? config_.client_output_buffer_limit[1]
      : (client.flags & kClientPubsub) ? config_.client_output_buffer_limit[2]
                                       : config_.client_output_buffer_limit[0];
  size_t used = client.conn().pending_output();
  long long hard_bytes = lim.hard;
  long long soft_bytes = lim.soft;
  if (client.flags & kClientReplica) {
    used += replication_.PendingStreamBytes(client.id());
    // Redis 7.0 never drops a replica below repl-backlog-size: one that could still resync
    // partially from the backlog would only be dropped again.
    if (hard_bytes > 0) hard_bytes = std::max(hard_bytes, config_.repl_backlog_size);
    if (soft_bytes > 0) soft_bytes = std::max(soft_bytes, config_.repl_backlog_size);
  }
  bool hard = hard_bytes > 0 && used >= static_cast<size_t>(hard_bytes);
  // A client that still has to authenticate may not queue replies beyond Redis's 16 KB reply
  // buffer, whatever its class allows (the fix for CVE-2025-21605 that Debian's 7.0.15
  // carries): a pipeline of wrong AUTHs or -NOAUTH replies that it never reads is closed.
  if (used > kUnauthenticatedOutputLimit && AuthRequired(client)) hard = true;
  bool soft = false;
  if (soft_bytes > 0 && used >= static_cast<size_t>(soft_bytes)) {
    if (client.obuf_soft_limit_since_ms == 0) {
      client.obuf_soft_limit_since_ms = now_ms;
    } else if (now_ms - client.obuf_soft_limit_since_ms > lim.soft_seconds * 1000) {
      soft = true;
    }
  } else {
    client.obuf_soft_limit_since_ms = 0;
  }
  if (hard || soft) {
    config::LogMessage(
        config::Level::kWarning,
        fmt::format("Client id={} addr={} scheduled to be closed ASAP for overcoming of "
                    "output buffer limits.",
                    client.id(), client.conn().peer()));
    ++stats_.client_outbuf_limit_disconnections;
    client.conn().Close();
  }
}

void Server::PauseClients(int64_t until_ms, bool writes_only) {
  // A second pause can only extend (or make stricter) the current one, as in Redis.
  if (pause_until_ms_ > 0) {
    pause_until_ms_ = std::max(pause_until_ms_, until_ms);
    pause_writes_only_ = pause_writes_only_ && writes_only;
  } else {
    pause_until_ms_ = until_ms;
    pause_writes_only_ = writes_only;
  }
}

void Server::UnpauseClients() {
  pause_until_ms_ = 0;
  ResumePausedClients();
}

void Server::ResumePausedClients() {
  std::vector<uint64_t> ids;
  ids.swap(paused_clients_);
  for (uint64_t id : ids) {
    Client* c = FindClient(id);
    if (c == nullptr || c->conn().closing()) continue;
    c->flags &= ~kClientPausedWaiting;
    c->conn().ResumeReading();
    ProcessInput(*c);
  }
}

// ---------------------------------------------------------------------------------------------
// beforeSleep and cron
// ---------------------------------------------------------------------------------------------

void Server::BeforeSleep() {
  // (0) Clients blocked on keys written during this iteration run their command again.
  if (!ready_keys_.empty()) ServeReadyKeys();
  // (1) Replication: RDB chunks for syncing replicas, GETACK for WAIT.
  replication_.BeforeSleep();
  // (1b) AOF write (and fsync with appendfsync always) before any reply leaves.
  aof_.BeforeSleep();
  // (2) Flush replies: one write per client per loop iteration.
  FlushPendingWrites();
  // (3) Closed clients are freed by libuv's close callbacks (OnClosed), after this step.
}

void Server::FlushPendingWrites() {
  if (pending_writes_.empty()) return;
  // Two vectors take turns (no allocation per loop iteration); `batch` is local because a
  // Flush may queue new writes.
  std::vector<net::Connection*> batch;
  batch.swap(flush_batch_);
  batch.clear();
  batch.swap(pending_writes_);
  // Replicas first: by the time a client can read the reply to a write, the write has left for
  // every online replica (Redis gets the same order by queueing pending clients at the head).
  // A master killed right after replying then loses only what the kernel had not yet sent.
  // (std::partition: stable_partition would allocate a buffer per call; the order among
  // ordinary clients does not matter.)
  std::partition(batch.begin(), batch.end(), [](net::Connection* c) {
    auto* client = static_cast<Client*>(c->data());
    return client != nullptr && (client->flags & kClientReplica) != 0;
  });
  for (net::Connection* c : batch) {
    auto* client = static_cast<Client*>(c->data());
    if (client) client->pending_write = false;
    if (c->closing()) continue;
    ++stats_.total_writes_processed;
    c->Flush();
  }
  batch.clear();
  if (flush_batch_.capacity() < batch.capacity()) flush_batch_.swap(batch);
}

void Server::Cron() {
  clock_.Tick();
  const int64_t now = clock_.NowUs() / 1000;
  ++cron_loops_;
  // Instantaneous ops/sec, sampled every 100 ms like trackInstantaneousMetric.
  if (now - stats_.last_sample_ms >= 100) {
    int64_t dt = now - stats_.last_sample_ms;
    uint64_t ops = stats_.total_commands_processed - stats_.last_sample_ops;
    if (stats_.last_sample_ms != 0 && dt > 0) {
      stats_.ops_samples[stats_.ops_sample_idx] = static_cast<int64_t>(ops) * 1000 / dt;
      stats_.ops_sample_idx = (stats_.ops_sample_idx + 1) % ServerStats::kSamples;
      int64_t sum = 0;
      for (int64_t s : stats_.ops_samples) sum += s;
      stats_.instantaneous_ops = sum / ServerStats::kSamples;
    }
    stats_.last_sample_ms = now;
    stats_.last_sample_ops = stats_.total_commands_processed;
  }
  persistence_.Cron(now);
  aof_.Cron(now);
  replication_.Cron(now);
  // Client pause expiry.
  if (pause_until_ms_ > 0 && now >= pause_until_ms_) UnpauseClients();
  // Idle timeout and soft output limits.
  std::vector<Client*> to_close;
  for (auto& [id, c] : clients_) {
    if (config_.timeout > 0 && !c->blocked &&
        !(c->flags & (kClientReplica | kClientMaster | kClientPubsub | kClientMonitor |
                      kClientPausedWaiting))) {
      if (now - c->last_interaction() > config_.timeout * 1000) to_close.push_back(c);
    }
    if (c->conn().pending_output() > 0 || (c->flags & kClientReplica)) CheckOutputLimits(*c, now);
  }
  for (Client* c : to_close) {
    config::LogMessage(config::Level::kVerbose, "Closing idle client");
    c->conn().Close();
  }
  // Active expiry: 25% of a cron period at most (ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC).
  int64_t period_us = 1000000 / std::max<int64_t>(1, config_.hz);
  if (active_expire_ && !is_replica()) keyspace_.ActiveExpireCycle(now, period_us / 4);
  // Incremental rehash: 1 ms per tick (activerehashing).
  if (config_.activerehashing) keyspace_.RehashCron(1000);
}

}  // namespace tandem::server

namespace tandem::server {

// ---------------------------------------------------------------------------------------------
// Pub/Sub registry
// ---------------------------------------------------------------------------------------------

namespace {
using SubMap = std::unordered_map<std::string, std::vector<uint64_t>>;
}

const SubMap& Server::subscriptions(SubKind kind) const {
  switch (kind) {
    case SubKind::kChannel:
      return channels_;
    case SubKind::kPattern:
      return patterns_;
    case SubKind::kShard:
      return shard_channels_;
  }
  return channels_;
}

uint64_t Server::pattern_count() const { return patterns_.size(); }

bool Server::Subscribe(Client& c, SubKind kind, std::string_view name) {
  std::set<std::string>& mine = kind == SubKind::kChannel   ? c.channels
                                : kind == SubKind::kPattern ? c.patterns
                                                            : c.shard_channels;
  if (!mine.emplace(name).second) return false;
  SubMap& map = const_cast<SubMap&>(subscriptions(kind));
  map[std::string(name)].push_back(c.id());
  c.flags |= kClientPubsub;
  return true;
}

bool Server::Unsubscribe(Client& c, SubKind kind, std::string_view name) {
  std::set<std::string>& mine = kind == SubKind::kChannel   ? c.channels
                                : kind == SubKind::kPattern ? c.patterns
                                                            : c.shard_channels;
  auto it = mine.find(std::string(name));
  if (it == mine.end()) return false;
  mine.erase(it);
  SubMap& map = const_cast<SubMap&>(subscriptions(kind));
  auto m = map.find(std::string(name));
  if (m != map.end()) {
    std::erase(m->second, c.id());
    if (m->second.empty()) map.erase(m);
  }
  if (c.channels.empty() && c.patterns.empty() && c.shard_channels.empty()) {
    c.flags &= ~kClientPubsub;
  }
  return true;
}

void Server::RemoveSubscriptions(Client& c) {
  for (std::string ch : std::set<std::string>(c.channels)) Unsubscribe(c, SubKind::kChannel, ch);
  for (std::string p : std::set<std::string>(c.patterns)) Unsubscribe(c, SubKind::kPattern, p);
  for (std::string s : std::set<std::string>(c.shard_channels)) {
    Unsubscribe(c, SubKind::kShard, s);
  }
}

void Server::MarkPendingWrite(Client& c) {
  if (!c.pending_write) {
    c.pending_write = true;
    pending_writes_.push_back(&c.conn());
  }
  CheckOutputLimits(c, storage::SystemClockMs());
}

int64_t Server::Publish(std::string_view channel, std::string_view message) {
  int64_t receivers = 0;
  auto deliver = [&](Client& c, std::initializer_list<std::string_view> parts) {
    if (c.conn().closing()) return;
    resp::ReplyBuilder out(&c.conn().output(), c.resp);
    out.PushHeader(static_cast<int64_t>(parts.size()));
    for (std::string_view p : parts) out.Bulk(p);
    MarkPendingWrite(c);
    ++receivers;
  };
  auto it = channels_.find(std::string(channel));
  if (it != channels_.end()) {
    for (uint64_t id : std::vector<uint64_t>(it->second)) {
      if (Client* c = FindClient(id)) deliver(*c, {"message", channel, message});
    }
  }
  for (const auto& [pattern, ids] : SubMap(patterns_)) {
    if (!config::GlobMatch(pattern, channel, false)) continue;
    for (uint64_t id : ids) {
      if (Client* c = FindClient(id)) deliver(*c, {"pmessage", pattern, channel, message});
    }
  }
  return receivers;
}

int64_t Server::PublishShard(std::string_view channel, std::string_view message) {
  int64_t receivers = 0;
  auto it = shard_channels_.find(std::string(channel));
  if (it == shard_channels_.end()) return 0;
  for (uint64_t id : std::vector<uint64_t>(it->second)) {
    Client* c = FindClient(id);
    if (c == nullptr || c->conn().closing()) continue;
    resp::ReplyBuilder out(&c->conn().output(), c->resp);
    out.PushHeader(3);
    out.Bulk("smessage");
    out.Bulk(channel);
    out.Bulk(message);
    MarkPendingWrite(*c);
    ++receivers;
  }
  return receivers;
}

// ---------------------------------------------------------------------------------------------
// WATCH and transactions
// ---------------------------------------------------------------------------------------------

void Server::Watch(Client& c, int db, std::string_view key) {
  std::pair<int, std::string> k{db, std::string(key)};
  if (std::find(c.watched.begin(), c.watched.end(), k) != c.watched.end()) return;
  c.watched.push_back(k);
  watched_keys_[k].push_back(c.id());
}

void Server::UnwatchAll(Client& c) {
  for (const auto& k : c.watched) {
    auto it = watched_keys_.find(k);
    if (it == watched_keys_.end()) continue;
    std::erase(it->second, c.id());
    if (it->second.empty()) watched_keys_.erase(it);
  }
  c.watched.clear();
}

void Server::TouchWatchedKey(int db, std::string_view key) {
  MarkKeyReady(db, key);
  auto it = watched_keys_.find({db, std::string(key)});
  if (it == watched_keys_.end()) return;
  for (uint64_t id : it->second) {
    if (Client* c = FindClient(id)) c->dirty_cas = true;
  }
}

void Server::TouchWatchedDb(int db) {
  for (auto& [k, ids] : watched_keys_) {
    if (k.first != db) continue;
    for (uint64_t id : ids) {
      if (Client* c = FindClient(id)) c->dirty_cas = true;
    }
  }
}

void Server::TouchCommandKeys(const Client& client, const Command& cmd,
                              std::span<const std::string_view> args) {
  const std::string& name = cmd.name;
  if (name == "flushall") {
    for (int i = 0; i < keyspace_.databases(); ++i) TouchWatchedDb(i);
    return;
  }
  if (name == "flushdb") return TouchWatchedDb(client.db_index);
  if (name == "swapdb") {
    int64_t a = 0;
    int64_t b = 0;
    if (ParseInt64(args[1], a) && ParseInt64(args[2], b)) {
      TouchWatchedDb(static_cast<int>(a));
      TouchWatchedDb(static_cast<int>(b));
    }
    return;
  }
  ForEachKeyIndex(cmd, static_cast<int>(args.size()),
                  [&](int i) { TouchWatchedKey(client.db_index, args[static_cast<size_t>(i)]); });
  // MOVE and COPY ... DB also change the key in the other database.
  if (name == "move") {
    int64_t db = 0;
    if (ParseInt64(args[2], db)) TouchWatchedKey(static_cast<int>(db), args[1]);
  } else if (name == "copy") {
    for (size_t i = 3; i + 1 < args.size(); ++i) {
      int64_t db = 0;
      if (EqualsIgnoreCase(args[i], "db") && ParseInt64(args[i + 1], db)) {
        TouchWatchedKey(static_cast<int>(db), args[2]);
      }
    }
  }
}

void Server::Propagate(int db, std::span<const std::string_view> argv, int targets) {
  if (loading_) return;
  // Only a master feeds the replication stream (shouldPropagate): a replica's stream is its
  // master's, proxied byte for byte, and a command run on the replica itself (PUBLISH of a
  // Sentinel hello, a write on a writable replica) must not move its offset.
  if (is_replica()) targets &= ~kPropagateRepl;
  if (targets == 0) return;
  // A transaction reaches replicas and the AOF as MULTI ... EXEC so it applies atomically there
  // too (and a crash in the middle of writing it loses all of it, never half).
  if (in_exec_ && (targets & ~multi_targets_)) {
    const int need = targets & ~multi_targets_;
    multi_targets_ |= need;
    std::string_view multi[] = {"MULTI"};
    if ((need & kPropagateAof) && aof_.enabled()) aof_.Feed(db, multi);
    if (need & kPropagateRepl) replication_.Feed(db, multi);
  }
  if ((targets & kPropagateAof) && aof_.enabled()) aof_.Feed(db, argv);
  if (targets & kPropagateRepl) replication_.Feed(db, argv);
}

void Server::BeginLoading() {
  loading_ = true;
  auto* conn = new net::Connection(loop_, net::Connection::Kind::kTcp, NextClientId());
  loader_ = new Client(conn, storage::SystemClockMs());
  // The master flag gives the semantics loading needs: keys as stored, no READONLY/OOM checks.
  loader_->flags |= kClientMaster;
  loader_->authenticated = true;
  loader_->reply_off = true;
}

void Server::LoadCommand(std::span<const std::string_view> args, std::string& error) {
  if (commands_.Find(args[0]) == nullptr) {
    error = fmt::format("Unknown command '{}'", args[0].substr(0, 128));
    return;
  }
  Dispatch(*loader_, args);
  if (config_.key_load_delay != 0) storage::rdb::DebugDelay(config_.key_load_delay);
  if (startup_load_.active && (++load_commands_ & 1023) == 0) {
    // The bytes of the last command as the AOF holds it (*N, then $len and the argument per
    // argument); the others of this batch are counted as the same size, close enough for INFO.
    auto digits = [](size_t n) {
      size_t d = 1;
      while (n >= 10) n /= 10, ++d;
      return d;
    };
    uint64_t bytes = 3 + digits(args.size());
    for (std::string_view a : args) bytes += 5 + digits(a.size()) + a.size();
    LoadingProgress(bytes * 1024);
  }
}

void Server::LoadingProgress(uint64_t loaded_delta) {
  startup_load_.loaded_bytes += loaded_delta;
  if (!startup_load_.active) return;
  // processEventsWhileBlocked every 2 MB (loading-process-events-interval-bytes): accept, read
  // and answer clients without waiting. No timers or BeforeSleep hooks are running yet, so
  // only the listener and client connections have events.
  if (startup_load_.loaded_bytes - startup_load_.served_at_bytes <
      static_cast<uint64_t>(config_.loading_process_events_interval_bytes)) {
    return;
  }
  startup_load_.served_at_bytes = startup_load_.loaded_bytes;
  if (ring_) {
    ring_->RunOnce();
  } else {
    uv_run(loop_, UV_RUN_NOWAIT);
  }
  FlushPendingWrites();
  if (ring_) ring_->SubmitNow();  // the replies leave now, not at the next turn
}

void Server::ExitWhileLoading() {
  config::LogMessage(config::Level::kWarning, "User requested shutdown...");
  config::LogMessage(config::Level::kWarning,
                     "The dataset is still loading: nothing is saved (the files on disk are "
                     "whole; a partial dataset must not replace them).");
  if (!config_.pidfile.empty()) ::unlink(config_.pidfile.c_str());
  if (!config_.unixsocket.empty()) ::unlink(config_.unixsocket.c_str());
  config::LogMessage(config::Level::kWarning, "Redis is now ready to exit, bye bye...");
  std::_Exit(0);
}

void Server::EndLoading() {
  if (loader_ != nullptr) {
    net::Connection& conn = loader_->conn();
    delete loader_;
    loader_ = nullptr;
    conn.Close();
  }
  loading_ = false;
}

Client& Server::AdoptMasterConnection(net::Connection* conn) {
  auto* client = new Client(conn, storage::SystemClockMs());
  client->flags |= kClientMaster;
  client->authenticated = true;
  client->reply_off = true;  // a master never reads our replies (REPLCONF ACK is sent apart)
  conn->set_handler(this);
  conn->set_data(client);
  clients_[conn->id()] = client;
  if (conn->read_buffer().size() > 0) ProcessInput(*client);
  return *client;
}

void Server::InstallNewKeyHook() {
  if (!(config_.notify_keyspace_events & kNotifyNew)) {
    keyspace_.set_new_key_hook(nullptr);
    return;
  }
  keyspace_.set_new_key_hook([this](storage::Db& db, std::string_view key) {
    if (loading_ || mute_new_key_events_) return;
    NotifyKeyspaceEvent(kNotifyNew, "new", key, db.index());
  });
}

void Server::FlushAllForSync() {
  for (int i = 0; i < keyspace_.databases(); ++i) {
    keyspace_.db(i).Clear();
    TouchWatchedDb(i);
  }
}

void Server::SwapInDataset(storage::Keyspace& loaded) {
  for (int i = 0; i < keyspace_.databases(); ++i) {
    keyspace_.db(i).SwapContents(loaded.db(i));
    TouchWatchedDb(i);
  }
}

void Server::ExecTransaction(Client& c) {
  in_exec_ = true;  // blocking commands answer at once inside a transaction
  multi_targets_ = 0;
  std::vector<Client::QueuedCommand> queued;
  queued.swap(c.queued);
  c.in_multi = false;
  c.exec_abort = false;
  UnwatchAll(c);
  c.reply().ArrayHeader(static_cast<int64_t>(queued.size()));
  for (const auto& q : queued) {
    std::vector<std::string_view> argv(q.args.begin(), q.args.end());
    // Checks that can change between queueing and EXEC (a replica, a pubsub context) are
    // applied again; everything else was checked when the command was queued.
    if ((is_replica() || fence_.active()) && config_.replica_read_only &&
        (q.cmd->flags & kCmdWrite) && !(c.flags & kClientMaster)) {
      c.reply().Error("READONLY You can't write against a read only replica.");
      ++stats_.total_error_replies;
      ++stats_.errorstats["READONLY"];
      continue;
    }
    // ACLs are checked again: they may have changed since the command was queued.
    if (c.user) {
      acl::CheckResult r = acl_->Check(*c.user, *q.cmd, argv);
      if (r.verdict != acl::Verdict::kOk) {
        std::string_view reason =
            r.verdict == acl::Verdict::kDeniedCmd
                ? "no permission to execute the command or subcommand"
            : r.verdict == acl::Verdict::kDeniedKey
                ? "no permission to touch the specified keys"
                : "no permission to access one of the channels used as arguments";
        const int64_t now_ms = storage::SystemClockMs();
        acl_->AddLogEntry(r.verdict, true,
                          r.verdict == acl::Verdict::kDeniedCmd
                              ? q.cmd->name
                              : q.args[static_cast<size_t>(r.errpos)],
                          c.user->name, ClientInfoLine(*this, c, now_ms), now_ms,
                          static_cast<size_t>(config_.acllog_max_len));
        c.reply().Error(fmt::format(
            "NOPERM ACLs rules changed between the moment the transaction was accumulated and "
            "the EXEC call. This command is no longer allowed for the following reason: {}",
            reason));
        ++stats_.total_error_replies;
        ++stats_.errorstats["NOPERM"];
        continue;
      }
    }
    Call(c, *q.cmd, argv);
  }
  c.dirty_cas = false;
  if (multi_targets_ != 0) {
    std::string_view exec[] = {"EXEC"};
    if ((multi_targets_ & kPropagateAof) && aof_.enabled()) aof_.Feed(c.db_index, exec);
    if (multi_targets_ & kPropagateRepl) {
      replication_.Feed(replication_.stream_db() < 0 ? c.db_index : replication_.stream_db(), exec);
    }
    multi_targets_ = 0;
  }
  in_exec_ = false;
}

}  // namespace tandem::server

namespace tandem::server {

// ---------------------------------------------------------------------------------------------
// Blocking commands
// ---------------------------------------------------------------------------------------------

bool ParseScanOptions(CommandContext& ctx, size_t first, bool allow_type, ScanOptions& out) {
  const auto& a = ctx.args;
  for (size_t i = first; i < a.size(); i += 2) {
    bool has_value = i + 1 < a.size();
    if (EqualsIgnoreCase(a[i], "count") && has_value) {
      if (!ParseInt64(a[i + 1], out.count)) {
        ctx.Error(err::kNotInteger);
        return false;
      }
      if (out.count < 1) {
        ctx.Error(err::kSyntax);
        return false;
      }
    } else if (EqualsIgnoreCase(a[i], "match") && has_value) {
      out.pattern = a[i + 1];
      out.use_pattern = out.pattern != "*";
    } else if (allow_type && EqualsIgnoreCase(a[i], "type") && has_value) {
      out.type = a[i + 1];
      out.use_type = true;
    } else {
      ctx.Error(err::kSyntax);
      return false;
    }
  }
  return true;
}

bool ParseBlockTimeout(CommandContext& ctx, std::string_view arg, int64_t& deadline_ms) {
  long double seconds = 0;
  if (!ParseLongDouble(arg, seconds)) {
    ctx.Error("ERR timeout is not a float or out of range");
    return false;
  }
  long double ms = std::ceil(seconds * 1000.0L);
  // Redis 7.0.15 converts with a plain cast: a timeout too large for an int64 comes out
  // negative there, and so it is reported here (without the undefined conversion).
  if (ms >= 9223372036854775807.0L) {
    ctx.Error("ERR timeout is negative");
    return false;
  }
  int64_t t = static_cast<int64_t>(ms);
  if (t < 0) {
    ctx.Error("ERR timeout is negative");
    return false;
  }
  if (t > 0) {
    if (t > LLONG_MAX - ctx.now_ms) {
      ctx.Error("ERR timeout is out of range");
      return false;
    }
    t += ctx.now_ms;
  }
  deadline_ms = t;
  return true;
}

void Server::BlockClient(Client& c, const Command& cmd, std::span<const std::string_view> args,
                         std::vector<std::string> keys, int64_t deadline_ms,
                         bool null_array_reply) {
  c.blocked = true;
  c.block.cmd = &cmd;
  c.block.args.assign(args.begin(), args.end());
  c.block.keys = std::move(keys);
  c.block.db = c.db_index;
  c.block.deadline_ms = deadline_ms;
  c.block.null_array_on_timeout = null_array_reply;
  for (const std::string& k : c.block.keys) {
    auto& waiters = blocking_keys_[{c.db_index, k}];
    if (std::find(waiters.begin(), waiters.end(), c.id()) == waiters.end()) {
      waiters.push_back(c.id());
    }
  }
  if (deadline_ms > 0) {
    block_deadlines_.emplace(deadline_ms, c.id());
    ArmBlockTimer();
  }
  ++blocked_clients_;
}

// Removes the client from every wait list; it stays connected.
void Server::UnblockAndForget(Client& c) {
  if (!c.blocked) return;
  for (const std::string& k : c.block.keys) {
    auto it = blocking_keys_.find({c.block.db, k});
    if (it == blocking_keys_.end()) continue;
    std::erase(it->second, c.id());
    if (it->second.empty()) blocking_keys_.erase(it);
  }
  for (auto it = block_deadlines_.begin(); it != block_deadlines_.end();) {
    it = it->second == c.id() ? block_deadlines_.erase(it) : std::next(it);
  }
  c.blocked = false;
  c.block = Client::BlockedState{};
  --blocked_clients_;
}

void Server::MarkKeyReady(int db, std::string_view key) {
  if (blocking_keys_.empty()) return;
  std::pair<int, std::string> k{db, std::string(key)};
  if (!blocking_keys_.count(k)) return;
  if (std::find(ready_keys_.begin(), ready_keys_.end(), k) == ready_keys_.end()) {
    ready_keys_.push_back(std::move(k));
  }
}

void Server::ServeReadyKeys() {
  // Serving one client can make other keys ready (BLMOVE pushes to its destination); keep
  // going until nothing is ready. Bounded by the number of blocked clients per round.
  for (int round = 0; round < 1000 && !ready_keys_.empty(); ++round) {
    std::vector<std::pair<int, std::string>> ready;
    ready.swap(ready_keys_);
    for (const auto& k : ready) {
      auto it = blocking_keys_.find(k);
      if (it == blocking_keys_.end()) continue;
      std::vector<uint64_t> waiters = it->second;  // first come, first served
      for (uint64_t id : waiters) {
        storage::Db& db = keyspace_.db(k.first);
        if (keyspace_.Lookup(db, k.second, storage::SystemClockMs()) == nullptr) break;
        Client* c = FindClient(id);
        if (c == nullptr || !c->blocked || c->conn().closing()) continue;
        Client::BlockedState state = c->block;
        UnblockAndForget(*c);
        std::vector<std::string_view> argv(state.args.begin(), state.args.end());
        int saved_db = c->db_index;
        c->db_index = state.db;
        c->reply().set_protocol(c->resp);
        Call(*c, *state.cmd, argv);
        c->db_index = saved_db;
        MarkPendingWrite(*c);
        if (!c->blocked) ProcessInput(*c);  // commands that arrived while it waited
      }
    }
  }
}

void Server::ArmBlockTimer() {
  if (block_deadlines_.empty()) {
    uv_timer_stop(&block_timer_);
    return;
  }
  int64_t wait = block_deadlines_.begin()->first - storage::SystemClockMs();
  uv_timer_start(
      &block_timer_, [](uv_timer_t* t) { static_cast<Server*>(t->data)->ExpireBlockedClients(); },
      static_cast<uint64_t>(std::max<int64_t>(0, wait)), 0);
}

void Server::ExpireBlockedClients() {
  const int64_t now = storage::SystemClockMs();
  std::vector<uint64_t> due;
  for (auto it = block_deadlines_.begin(); it != block_deadlines_.end() && it->first <= now; ++it) {
    due.push_back(it->second);
  }
  for (uint64_t id : due) UnblockClient(id, /*with_error=*/false);
  ArmBlockTimer();
}

bool Server::UnblockClient(uint64_t id, bool with_error) {
  Client* c = FindClient(id);
  if (c == nullptr || !c->blocked) return false;
  bool null_array = c->block.null_array_on_timeout;
  UnblockAndForget(*c);
  resp::ReplyBuilder out(&c->conn().output(), c->resp);
  if (with_error) {
    out.Error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
    ++stats_.total_error_replies;
    ++stats_.errorstats["UNBLOCKED"];
  } else if (null_array) {
    out.NullArray();
  } else {
    out.Null();
  }
  MarkPendingWrite(*c);
  ProcessInput(*c);
  return true;
}

}  // namespace tandem::server
