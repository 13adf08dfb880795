// tandem-server's core: the event loop owner, client registry, command dispatch and the
// before-sleep / cron steps (Redis's server.c: processCommand, call, beforeSleep, serverCron).
//
// One libuv loop, one thread. Order of work per loop iteration:
//   timers (cron) -> [prepare: BeforeSleep] -> poll (reads, commands) -> [check: BeforeSleep]
//   -> close callbacks (connections freed).
// BeforeSleep runs both before polling (for work produced by timers) and right after I/O, so a
// reply produced in either phase leaves before the connection could be freed, and before the
// loop sleeps. Its steps are fixed: (1) AOF write + fsync per policy (persistence issue),
// (2) flush client replies, (3) drop clients closed asynchronously.
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <expected>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/schema.h"
#include "resp/net/listener.h"
#include "resp/net/ring.h"
#include "server/acl.h"
#include "server/aof.h"
#include "server/client.h"
#include "server/clock.h"
#include "server/command.h"
#include "server/fence.h"
#include "server/persistence.h"
#include "server/replication.h"
#include "server/server_config.h"
#include "storage/keyspace.h"

namespace tandem::server {

inline constexpr std::string_view kRedisVersion = "7.0.15";  // what clients see in HELLO/INFO
inline constexpr std::string_view kTandemVersion = "0.1.0";

struct SlowlogEntry {
  uint64_t id;
  int64_t time_s;
  int64_t duration_us;
  std::vector<std::string> args;
  std::string peer;
  std::string name;
};

struct ServerStats {
  uint64_t total_connections_received = 0;
  uint64_t total_commands_processed = 0;
  uint64_t rejected_connections = 0;
  uint64_t keyspace_hits = 0;
  uint64_t keyspace_misses = 0;
  uint64_t total_error_replies = 0;
  uint64_t unexpected_error_replies = 0;
  uint64_t total_reads_processed = 0;
  uint64_t total_writes_processed = 0;
  uint64_t client_qbuf_limit_disconnections = 0;
  uint64_t client_outbuf_limit_disconnections = 0;
  uint64_t net_input_bytes = 0;
  uint64_t net_output_bytes = 0;
  std::map<std::string, uint64_t> errorstats;  // error code ("ERR", "WRONGTYPE") -> count
  // Instantaneous ops/sec: samples of total_commands_processed per cron tick.
  static constexpr int kSamples = 16;
  int64_t ops_samples[kSamples] = {};
  int ops_sample_idx = 0;
  int64_t last_sample_ms = 0;
  uint64_t last_sample_ops = 0;
  int64_t instantaneous_ops = 0;
};

class Server;

// What a command handler sees: the server, the calling client, the arguments, the reply writer
// and the command's time snapshot.
class CommandContext {
 public:
  CommandContext(Server& server, Client& client, std::span<const std::string_view> args,
                 const Command& cmd, int64_t now_ms);

  Server& server;
  Client& client;
  std::span<const std::string_view> args;
  const Command& cmd;
  int64_t now_ms;

  resp::ReplyBuilder& reply() { return client.reply(); }
  storage::Db& db();
  storage::Keyspace& keyspace();
  // Lookup for reading: counts keyspace hits/misses and touches the LRU clock.
  storage::Entry* LookupRead(std::string_view key);
  // Lookup for writing (no hit/miss accounting), expired keys are removed first.
  storage::Entry* LookupWrite(std::string_view key);
  // Sends an error reply and counts it in errorstats and the command's failed_calls.
  void Error(std::string_view message);
  void WrongArity();
  // The keyspace changed: count it for INFO (rdb_changes_since_last_save).
  void Dirty(uint64_t n = 1);
  // A keyspace event (notifyKeyspaceEvent): `type` is one of the kNotify* class bits of
  // server_config.h (kNotifyGeneric, kNotifyString, kNotifyList, ...), `event` Redis's event
  // name ("lpush", "hset", "del", "expire" ...). Published on __keyspace@<db>__:<key> and
  // __keyevent@<db>__:<event> when notify-keyspace-events selects the class.
  void Notify(int type, std::string_view event, std::string_view key);

  // False inside MULTI/EXEC (and when re-run after a wake-up that found the key empty again
  // is fine either way): a blocking command then answers its timeout reply at once.
  bool may_block = true;
  bool failed = false;

  // Replication and AOF: a command that changed the dataset is propagated as it was sent. A
  // handler whose text would not reproduce its effect on a replica (random choices, relative
  // times, blocking variants) names what to propagate instead; each call adds one command, in
  // the client's db. PropagateNothing() suppresses propagation (the effect is already sent).
  void PropagateAs(std::vector<std::string> argv) { propagate_as.push_back(std::move(argv)); }
  void PropagateNothing() { propagate_suppressed = true; }
  // checkAlreadyExpired: an absolute expire time that has passed deletes the key at once, except
  // while loading (the AOF's later commands may still refer to it) and on a replica (its master
  // sends the DEL).
  bool AlreadyExpired(int64_t when_ms) const;
  // The command changed nothing but its replicas must run it too (PUBLISH).
  void PropagateToReplicas() { propagate_to_replicas = true; }
  bool propagate_to_replicas = false;
  std::vector<std::vector<std::string>> propagate_as;
  bool propagate_suppressed = false;
};

class Server : public net::ConnectionHandler {
 public:
  Server(ServerConfig& config, config::Schema& schema, std::string config_file,
         std::string executable);
  ~Server() override;

  // Opens the listeners and installs the loop hooks. Returns an error message on failure.
  std::string Start();
  // Runs the loop until shutdown. Returns the process exit code.
  int Run();
  // Graceful stop (SIGTERM/SIGINT, SHUTDOWN).
  void Shutdown(std::string_view reason);
  // SHUTDOWN / SIGTERM: saves the RDB when configured (or asked); false if the save failed.
  bool SaveBeforeShutdown(bool save, bool nosave);

  ServerConfig& config() { return config_; }
  config::Schema& schema() { return schema_; }
  const std::string& config_file() const { return config_file_; }
  const std::string& executable() const { return executable_; }
  storage::Keyspace& keyspace() { return keyspace_; }
  CommandTable& commands() { return commands_; }
  ServerStats& stats() { return stats_; }
  acl::Acl& acl() { return *acl_; }
  // authRequired(): the default user has a password (or is off) and the client has not
  // authenticated.
  bool AuthRequired(const Client& c) const;
  // Applies the `user` directives or the aclfile at start (ACLLoadUsersAtStartup); the error
  // is logged by the caller, which exits.
  std::string LoadAclsAtStartup();
  // AUTH / HELLO AUTH (ACLAuthenticateUser): on success the client runs as `user`; on failure
  // the attempt is logged in ACL LOG and counted, and false is returned (the caller answers
  // WRONGPASS). Never waits: a failed attempt costs the same loop time as a good one.
  bool Authenticate(Client& c, std::string_view user, std::string_view pass,
                    std::string_view command_name);
  // ACL DELUSER / ACL LOAD: closes every client authenticated as one of `users`.
  void KillClientsOfUsers(const std::vector<std::shared_ptr<acl::User>>& users,
                          const Client* caller);
  // ACL SETUSER: a pub/sub client of `u` subscribed to a channel or pattern it may no longer
  // use is closed (ACLKillPubsubClientsIfNeeded).
  void KillPubsubClientsIfNeeded(const std::shared_ptr<acl::User>& u, const Client* caller);
  uv_loop_t* loop() { return loop_; }
  // INFO's multiplexing_api: "io_uring" when client sockets use the ring, else "epoll".
  bool uses_io_uring() const { return ring_ != nullptr; }
  const CommandClock& command_clock() const { return clock_; }
  const std::string& run_id() const { return run_id_; }
  int64_t start_time_ms() const { return start_time_ms_; }
  uint64_t dirty() const { return dirty_; }
  uint64_t startup_memory() const { return startup_memory_; }
  void add_dirty(uint64_t n) { dirty_ += n; }
  std::deque<SlowlogEntry>& slowlog() { return slowlog_; }
  uint64_t& slowlog_next_id() { return slowlog_next_id_; }
  const std::vector<int>& listening_ports() const { return ports_; }

  Client* FindClient(uint64_t id);
  template <typename Fn>
  void ForEachClient(Fn&& fn) {
    for (auto& [id, c] : clients_) fn(*c);
  }
  size_t client_count() const { return clients_.size(); }
  size_t monitor_count() const { return monitors_.size(); }
  void AddMonitor(Client& c);

  // CLIENT PAUSE: until `until_ms`, commands of the given kind wait.
  void PauseClients(int64_t until_ms, bool writes_only);
  void UnpauseClients();
  bool paused() const { return pause_until_ms_ > 0; }
  void set_active_expire(bool on) { active_expire_ = on; }
  void set_supervised(bool on) { supervised_ = on; }
  bool supervised() const { return supervised_; }
  // Configured with replicaof. The replication link itself arrives with the replication issue;
  // until then the link is reported down and the node behaves as a replica whose master is
  // unreachable: read-only, stale-data policy applied, keys never expired locally.
  bool is_replica() const { return replication_.is_replica(); }
  Replication& replication() { return replication_; }
  const Replication& replication() const { return replication_; }
  Persistence& persistence() { return persistence_; }
  Aof& aof() { return aof_; }
  const Aof& aof() const { return aof_; }
  // AOF loading: commands run on a loading client (no replies, no propagation, keys seen as
  // stored, expiry off). LoadCommand sets `error` for a command that doesn't exist.
  void BeginLoading();
  void LoadCommand(std::span<const std::string_view> args, std::string& error);
  void EndLoading();
  bool loading() const { return loading_; }
  // Start-up load of the AOF or RDB (server.loading): clients that connect meanwhile are served
  // between chunks of the load and get -LOADING for every command without the loading flag
  // (INFO, PING-less admin commands... as Redis 7.0 flags them). `loaded_delta` bytes more of
  // `total` have been read; the loop turns when enough has passed since it last turned.
  struct StartupLoad {
    bool active = false;
    int64_t start_s = 0;
    uint64_t total_bytes = 0;
    uint64_t loaded_bytes = 0;
    uint64_t served_at_bytes = 0;
  };
  const StartupLoad& startup_load() const { return startup_load_; }
  void LoadingProgress(uint64_t loaded_delta);
  // SHUTDOWN while loading: nothing is saved (a partial dataset must not overwrite the files).
  [[noreturn]] void ExitWhileLoading();
  const Persistence& persistence() const { return persistence_; }
  // The dataset was saved: `saved` changes are no longer pending (all when omitted).
  void reset_dirty(uint64_t saved = UINT64_MAX) { dirty_ = saved >= dirty_ ? 0 : dirty_ - saved; }
  uint64_t NextClientId() { return ++next_client_id_; }
  // The replica's master link, handshake done: from now on a client whose commands are the
  // replication stream. Bytes already read are processed at once.
  Client& AdoptMasterConnection(net::Connection* conn);
  // Empties every db before a full sync loads the master's RDB (emptyData).
  void FlushAllForSync();
  // client-output-buffer-limit for the client's class: closes it when over the hard limit, or
  // over the soft limit for longer than its seconds.
  void CheckOutputLimits(Client& client, int64_t now_ms);
  // repl-diskless-load swapdb: `loaded` takes the old data, every db takes the loaded one.
  void SwapInDataset(storage::Keyspace& loaded);
  // The "new" keyspace event (class n) needs a hook on every key creation; it is installed only
  // while notify-keyspace-events asks for it, and muted while a dataset is loaded.
  void InstallNewKeyHook();
  void set_mute_new_key_events(bool on) { mute_new_key_events_ = on; }
  // Processes input that waited while the client was blocked.
  void ResumeInput(Client& c) { ProcessInput(c); }
  // Sends one command to the AOF and/or the replication stream in db `db`.
  enum PropagateTarget { kPropagateAof = 1, kPropagateRepl = 2, kPropagateAll = 3 };
  void Propagate(int db, std::span<const std::string_view> argv, int targets = kPropagateAll);

  // CLIENT KILL, ACL changes, failed replica syncs. The client running the command (`caller`)
  // is closed once its reply has left; any other is closed at once and its pending replies
  // are dropped, as Redis's freeClient does (a client that stopped reading cannot hold it off).
  void KillClient(Client& c, const Client* caller = nullptr);

  // ConnectionHandler
  void OnReadable(net::Connection& conn) override;
  void OnClosed(net::Connection& conn) override;

  // notifyKeyspaceEvent for db `dbid` (see CommandContext::Notify).
  void NotifyKeyspaceEvent(int type, std::string_view event, std::string_view key, int dbid);
  // PUBLISH: delivers `message` to subscribers of `channel` and matching patterns; returns the
  // number of clients that received it.
  int64_t Publish(std::string_view channel, std::string_view message);

  // ---- pub/sub registry (channel/pattern -> subscriber ids, in subscription order) ----
  enum class SubKind { kChannel, kPattern, kShard };
  // Returns false if the client was already subscribed.
  bool Subscribe(Client& c, SubKind kind, std::string_view name);
  bool Unsubscribe(Client& c, SubKind kind, std::string_view name);
  int64_t PublishShard(std::string_view channel, std::string_view message);
  const std::unordered_map<std::string, std::vector<uint64_t>>& subscriptions(SubKind kind) const;
  uint64_t pattern_count() const;
  // Queues `c` for this iteration's flush and applies its output-buffer limits.
  void MarkPendingWrite(Client& c);

  // ---- WATCH: (db, key) -> watching client ids ----
  void Watch(Client& c, int db, std::string_view key);
  void UnwatchAll(Client& c);
  // signalModifiedKey: every client watching the key will fail its EXEC.
  void TouchWatchedKey(int db, std::string_view key);
  void TouchWatchedDb(int db);  // FLUSHDB / FLUSHALL / SWAPDB
  bool has_watchers() const { return !watched_keys_.empty(); }
  // Runs the queued commands of a transaction (EXEC).
  void ExecTransaction(Client& c);

  // ---- blocking commands (blocking.c) ----
  // Called by a handler that found no data: the client waits on `keys` until one is written,
  // the deadline passes (0 = never) or CLIENT UNBLOCK; then the command runs again (or answers
  // the timeout reply). Clients blocked on the same key are served first come, first served.
  void BlockClient(Client& c, const Command& cmd, std::span<const std::string_view> args,
                   std::vector<std::string> keys, int64_t deadline_ms, bool null_array_reply);
  // maxmemory: evicts keys by maxmemory-policy until used memory is under the limit. Returns
  // false when it could not get there (noeviction, or no candidate keys): write commands are
  // then refused with -OOM.
  bool PerformEvictions();
  // Records an access to `e` for the eviction policy (LRU clock or LFU counter).
  void TouchAccess(storage::Entry* e, int64_t now_ms);
  uint64_t evicted_keys() const { return evicted_keys_; }
  // OBJECT FREQ: the key's LFU counter after decay.
  int LfuFrequency(const storage::Entry& e, int64_t now_ms) const;

  // CLIENT UNBLOCK: false if the client is not blocked.
  bool UnblockClient(uint64_t id, bool with_error);
  size_t blocked_count() const { return blocked_clients_; }

  // Executes one parsed command for `client` (also used for tests without sockets).
  void Dispatch(Client& client, std::span<const std::string_view> args);

 private:
  net::ListenOptions ListenOptionsFromConfig() const;
  // A listener that hands connections to Accept and logs failed accepts as Redis does.
  std::unique_ptr<net::Listener> NewListener();
  // CONFIG SET port/bind: listen on the new addresses, or keep the old ones and fail.
  std::expected<void, std::string> Relisten(std::string_view error);
  void InstallConfigHooks();
  void Accept(net::Connection* conn);
  void ProcessInput(Client& client);
  // Before a pipelined batch runs: starts the cache misses of its keys (storage::Db::Prefetch).
  // Returns the number of commands it looked at, keyless ones included (0 when `input` does not
  // start with a complete, plain multibulk command).
  size_t PrefetchBatch(const Client& client, std::string_view input);
  void Call(Client& client, const Command& cmd, std::span<const std::string_view> args);
  // After a write command: the keys it names are modified for WATCH purposes.
  void TouchCommandKeys(const Client& client, const Command& cmd,
                        std::span<const std::string_view> args);
  void RemoveSubscriptions(Client& c);
  static bool QueuedDenyOom(const Client& c);
  void UnblockAndForget(Client& c);
  void MarkKeyReady(int db, std::string_view key);
  void ServeReadyKeys();
  void ArmBlockTimer();
  void ExpireBlockedClients();
  void FeedMonitors(const Client& client, std::span<const std::string_view> args, int64_t now_us);
  void BeforeSleep();
  void FlushPendingWrites();
  void Cron();
  void ResumePausedClients();

  ServerConfig& config_;
  // maxclients as last applied: CONFIG SET raises the fd limit only when going above it (Redis's
  // updateMaxclients).
  unsigned applied_maxclients_ = 0;
  config::Schema& schema_;
  std::string config_file_;
  std::string executable_;
  uv_loop_t* loop_;
  storage::Keyspace keyspace_;
  CommandTable commands_;
  std::unique_ptr<acl::Acl> acl_;
  ServerStats stats_;
  // Declared before the listener, so destroyed after it. nullptr: epoll (libuv) alone.
  std::unique_ptr<net::Ring> ring_;
  std::unique_ptr<net::Listener> listener_;
  std::vector<int> ports_;
  net::ListenOptions listen_opts_;
  std::unordered_map<uint64_t, Client*> clients_;
  std::vector<uint64_t> monitors_;
  std::vector<net::Connection*> pending_writes_;
  std::vector<net::Connection*> flush_batch_;  // FlushPendingWrites' spare vector
  std::unordered_map<std::string, std::vector<uint64_t>> channels_;
  std::unordered_map<std::string, std::vector<uint64_t>> patterns_;
  std::unordered_map<std::string, std::vector<uint64_t>> shard_channels_;
  std::map<std::pair<int, std::string>, std::vector<uint64_t>> watched_keys_;
  // Blocked clients per (db, key) in arrival order; keys written since the last serve.
  std::map<std::pair<int, std::string>, std::vector<uint64_t>> blocking_keys_;
  std::vector<std::pair<int, std::string>> ready_keys_;
  std::multimap<int64_t, uint64_t> block_deadlines_;
  size_t blocked_clients_ = 0;
  uint64_t evicted_keys_ = 0;
  uv_timer_t block_timer_;
  uint64_t next_client_id_ = 0;

  uv_prepare_t prepare_;
  uv_check_t check_;
  uv_timer_t cron_;
  uv_signal_t sigterm_;
  uv_signal_t sigint_;

  std::string run_id_;
  int64_t start_time_ms_;
  uint64_t dirty_ = 0;
  // While ProcessInput runs a client's batch: the end time of the command Call ran last, which
  // the next Dispatch of the batch takes as its time (0: read the clock). Dispatch clears it, so
  // it never outlives the command right after.
  bool in_batch_ = false;
  int64_t batch_clock_us_ = 0;
  CommandClock clock_;  // Dispatch's and Call's time (TSC when the kernel uses it)
  uint64_t startup_memory_ = 0;
  std::deque<SlowlogEntry> slowlog_;
  uint64_t slowlog_next_id_ = 0;
  int64_t pause_until_ms_ = 0;
  bool pause_writes_only_ = false;
  std::vector<uint64_t> paused_clients_;
  bool shutting_down_ = false;
  bool in_exec_ = false;
  bool active_expire_ = true;
  bool supervised_ = false;
  int exit_code_ = 0;
  uint64_t cron_loops_ = 0;
  int multi_targets_ = 0;  // EXEC: the PropagateTargets that already got MULTI
  Replication replication_{*this};
  Persistence persistence_{*this};
  Aof aof_{*this};
  Fence fence_{*this};
  bool loading_ = false;
  StartupLoad startup_load_;
  uint32_t load_commands_ = 0;
  bool mute_new_key_events_ = false;
  Client* loader_ = nullptr;
};

// Bytes the allocator has handed out and not taken back (glibc mallinfo2).
uint64_t UsedMemory();
// The options of SCAN / HSCAN / SSCAN / ZSCAN (scanGenericCommand): COUNT n (>= 1), MATCH
// pattern, and TYPE t for SCAN only. Parses ctx.args from `first`; false after sending the error.
struct ScanOptions {
  int64_t count = 10;
  std::string_view pattern;
  bool use_pattern = false;  // a pattern other than "*"
  std::string_view type;
  bool use_type = false;
};
bool ParseScanOptions(CommandContext& ctx, size_t first, bool allow_type, ScanOptions& out);

// getTimeoutFromObjectOrReply (seconds, fractional): the absolute deadline in ms, 0 for "wait
// forever". On a bad value the error has been sent and false is returned.
bool ParseBlockTimeout(CommandContext& ctx, std::string_view arg, int64_t& deadline_ms);

// addReplyHelp: "<NAME> <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", the lines,
// then "HELP" / "    Prints this help.", all as status replies.
void ReplyHelp(CommandContext& ctx, std::string_view name,
               std::initializer_list<std::string_view> lines);
// Redis's adjustOpenFilesLimit: makes RLIMIT_NOFILE cover `maxclients` plus the descriptors the
// server keeps for itself (Redis's CONFIG_MIN_RESERVED_FDS, 32), raising the soft and hard limit
// when the OS allows. Returns the maxclients the limit allows: `maxclients` when it fits, less when
// the limit could not be raised (logged with Redis's warnings), 0 when not even the reserved
// descriptors fit (logged; the server must not start).
unsigned AdjustOpenFilesLimit(unsigned maxclients);

// INFO text for the given sections ("default", "all", "everything" or names).
std::string BuildInfo(Server& server, std::span<const std::string_view> sections);
// CLIENT LIST / CLIENT INFO line for one client.
std::string ClientInfoLine(Server& server, const Client& c, int64_t now_ms);

}  // namespace tandem::server
