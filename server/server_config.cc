// The server's option table: every option Redis 7.0.15 lists in `CONFIG GET *`, with its names,
// defaults, bounds and error strings (checked against stock redis-server 7.0.15, see
// tests/unit/config/server_config_test.cc).
#include "server/server_config.h"

#include <unistd.h>

#include <cctype>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "config/args.h"

namespace tandem::server {
namespace {

using config::EnumEntry;
using config::OptionSpec;
using config::OptionType;
using config::RewriteLine;
using config::Schema;
using config::SetContext;
using Args = std::span<const std::string>;
using Result = std::expected<void, std::string>;

constexpr uint32_t kImm = config::kImmutable;
constexpr uint32_t kNot = config::kNotActedOn;
constexpr uint32_t kMulti = config::kMultiArg;
constexpr uint32_t kSens = config::kSensitive;
constexpr uint32_t kNull = config::kEmptyIsNull;
constexpr long long kIntMax = INT_MAX;
constexpr long long kLongMax = LLONG_MAX;

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += ' ';
    out += v[i];
  }
  return out;
}

// ---- validators ---------------------------------------------------------------------------------

std::expected<void, std::string> NoSlash(const std::string& v, const char* err) {
  if (v.find('/') != std::string::npos) return std::unexpected(std::string(err));
  return {};
}

std::expected<void, std::string> ValidHostname(const std::string& v) {
  for (char c : v) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') {
      return std::unexpected("Hostnames may only contain alphanumeric characters, hyphens or dots");
    }
  }
  return {};
}

// Redis expands the template with an empty title and rejects unknown variables, unbalanced
// braces and templates that expand to nothing.
std::expected<void, std::string> ValidProcTitle(const std::string& v) {
  const std::string err = "template format is invalid or contains unknown variables";
  bool non_empty = false;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '}') return std::unexpected(err);
    if (v[i] != '{') {
      non_empty = true;
      continue;
    }
    const size_t close = v.find('}', i);
    if (close == std::string::npos) return std::unexpected(err);
    const std::string var = v.substr(i + 1, close - i - 1);
    if (var == "listen-addr" || var == "port" || var == "tls-port") {
      non_empty = true;
    } else if (var != "title" && var != "server-mode" && var != "unixsocket" &&
               var != "config-file") {
      return std::unexpected(err);
    }
    i = close;
  }
  if (!non_empty) return std::unexpected(err);
  return {};
}

// ---- notify-keyspace-events
// ----------------------------------------------------------------------

std::expected<int, std::string> ParseNotify(std::string_view s) {
  int flags = 0;
  for (char c : s) {
    switch (c) {
      case 'A':
        flags |= kNotifyAll;
        break;
      case 'g':
        flags |= kNotifyGeneric;
        break;
      case '$':
        flags |= kNotifyString;
        break;
      case 'l':
        flags |= kNotifyList;
        break;
      case 's':
        flags |= kNotifySet;
        break;
      case 'h':
        flags |= kNotifyHash;
        break;
      case 'z':
        flags |= kNotifyZset;
        break;
      case 'x':
        flags |= kNotifyExpired;
        break;
      case 'e':
        flags |= kNotifyEvicted;
        break;
      case 'K':
        flags |= kNotifyKeyspace;
        break;
      case 'E':
        flags |= kNotifyKeyevent;
        break;
      case 't':
        flags |= kNotifyStream;
        break;
      case 'm':
        flags |= kNotifyKeyMiss;
        break;
      case 'd':
        flags |= kNotifyModule;
        break;
      case 'n':
        flags |= kNotifyNew;
        break;
      default:
        return std::unexpected("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
    }
  }
  return flags;
}

std::string NotifyToString(int flags) {
  std::string out;
  if ((flags & kNotifyAll) == kNotifyAll) {
    out += 'A';
  } else {
    const std::pair<int, char> kOrder[] = {
        {kNotifyGeneric, 'g'}, {kNotifyString, '$'}, {kNotifyList, 'l'},    {kNotifySet, 's'},
        {kNotifyHash, 'h'},    {kNotifyZset, 'z'},   {kNotifyExpired, 'x'}, {kNotifyEvicted, 'e'},
        {kNotifyStream, 't'},  {kNotifyModule, 'd'}, {kNotifyNew, 'n'}};
    for (auto [bit, c] : kOrder) {
      if (flags & bit) out += c;
    }
  }
  if (flags & kNotifyKeyspace) out += 'K';
  if (flags & kNotifyKeyevent) out += 'E';
  if (flags & kNotifyKeyMiss) out += 'm';
  return out;
}

// ---- shutdown-on-sig* ---------------------------------------------------------------------------

constexpr std::pair<std::string_view, int> kShutdownNames[] = {{"default", 0},
                                                               {"save", kShutdownSave},
                                                               {"nosave", kShutdownNoSave},
                                                               {"now", kShutdownNow},
                                                               {"force", kShutdownForce}};

std::string ShutdownToString(int v) {
  for (auto [n, bits] : kShutdownNames) {
    if (bits == v) return std::string(n);
  }
  std::string out;
  for (auto [n, bits] : kShutdownNames) {
    if (bits != 0 && (v & bits) == bits) {
      if (!out.empty()) out += ' ';
      out += n;
    }
  }
  return out;
}

void AddShutdownOption(Schema& s, std::string_view name, int* field) {
  *field = 0;
  s.AddCustom(
      {name, {}, kMulti | kNot}, "default",
      [field](Args args, const SetContext&) -> Result {
        const std::string err =
            "argument(s) must be one of the following: default, save, nosave, now, force";
        if (args.empty()) return std::unexpected(err);
        int v = 0;
        for (const std::string& a : args) {
          bool found = false;
          for (auto [n, bits] : kShutdownNames) {
            if (config::EqualsNoCase(a, n)) {
              v |= bits;
              found = true;
              break;
            }
          }
          if (!found) return std::unexpected(err);
        }
        if ((v & kShutdownSave) && (v & kShutdownNoSave)) {
          return std::unexpected("shutdown options SAVE and NOSAVE can't be used simultaneously");
        }
        *field = v;
        return {};
      },
      [field] { return ShutdownToString(*field); },
      [field] {
        return std::vector<RewriteLine>{{ShutdownToString(*field), *field != 0}};
      });
}

// ---- client-output-buffer-limit -----------------------------------------------------------------

int ClientClass(std::string_view name) {
  if (config::EqualsNoCase(name, "normal")) return 0;
  if (config::EqualsNoCase(name, "slave") || config::EqualsNoCase(name, "replica")) return 1;
  if (config::EqualsNoCase(name, "pubsub")) return 2;
  return -1;  // unknown, or "master", which has no limits
}

// Redis validates soft_seconds with memtoull() but stores strtoll(): "5k" is accepted as 5.
long long LeadingInteger(const std::string& s) { return std::strtoll(s.c_str(), nullptr, 10); }

}  // namespace

void RegisterServerOptions(Schema& s, ServerConfig& c) {
  using T = OptionType;
  // ---- bool options ----
  struct BoolRow {
    OptionSpec spec;
    bool* field;
    bool def;
  };
  const BoolRow bools[] = {
      {{"rdbchecksum", {}, kImm}, &c.rdbchecksum, true},
      {{"daemonize", {}, kImm}, &c.daemonize, false},
      {{"io-threads-do-reads", {}, kImm | kNot}, &c.io_threads_do_reads, false},
      {{"always-show-logo", {}, kImm | kNot}, &c.always_show_logo, false},
      {{"protected-mode", {}, 0}, &c.protected_mode, true},
      {{"rdbcompression", {}, 0}, &c.rdbcompression, true},
      {{"rdb-del-sync-files", {}, kNot}, &c.rdb_del_sync_files, false},
      {{"activerehashing", {}, 0}, &c.activerehashing, true},
      {{"stop-writes-on-bgsave-error", {}, 0}, &c.stop_writes_on_bgsave_error, true},
      {{"set-proc-title", {}, kImm | kNot}, &c.set_proc_title, true},
      {{"dynamic-hz", {}, kNot}, &c.dynamic_hz, true},
      {{"lazyfree-lazy-eviction", {}, kNot}, &c.lazyfree_lazy_eviction, false},
      {{"lazyfree-lazy-expire", {}, kNot}, &c.lazyfree_lazy_expire, false},
      {{"lazyfree-lazy-server-del", {}, kNot}, &c.lazyfree_lazy_server_del, false},
      {{"lazyfree-lazy-user-del", {}, kNot}, &c.lazyfree_lazy_user_del, false},
      {{"lazyfree-lazy-user-flush", {}, kNot}, &c.lazyfree_lazy_user_flush, false},
      {{"repl-disable-tcp-nodelay", {}, 0}, &c.repl_disable_tcp_nodelay, false},
      {{"repl-diskless-sync", {}, 0}, &c.repl_diskless_sync, true},
      {{"aof-rewrite-incremental-fsync", {}, 0}, &c.aof_rewrite_incremental_fsync, true},
      {{"no-appendfsync-on-rewrite", {}, 0}, &c.no_appendfsync_on_rewrite, false},
      {{"cluster-require-full-coverage", {}, kNot}, &c.cluster_require_full_coverage, true},
      {{"rdb-save-incremental-fsync", {}, 0}, &c.rdb_save_incremental_fsync, true},
      {{"aof-load-truncated", {}, 0}, &c.aof_load_truncated, true},
      {{"aof-use-rdb-preamble", {}, 0}, &c.aof_use_rdb_preamble, true},
      {{"aof-timestamp-enabled", {}, kNot}, &c.aof_timestamp_enabled, false},
      {{"cluster-replica-no-failover", "cluster-slave-no-failover", kNot},
       &c.cluster_replica_no_failover,
       false},
      {{"replica-lazy-flush", "slave-lazy-flush", kNot}, &c.replica_lazy_flush, false},
      {{"replica-serve-stale-data", "slave-serve-stale-data", 0},
       &c.replica_serve_stale_data,
       true},
      {{"replica-read-only", "slave-read-only", 0}, &c.replica_read_only, true},
      {{"replica-ignore-maxmemory", "slave-ignore-maxmemory", 0},
       &c.replica_ignore_maxmemory,
       true},
      {{"jemalloc-bg-thread", {}, kNot}, &c.jemalloc_bg_thread, true},
      {{"activedefrag", {}, kNot}, &c.activedefrag, false},
      {{"syslog-enabled", {}, kImm | kNot}, &c.syslog_enabled, false},
      {{"cluster-enabled", {}, kImm | kNot}, &c.cluster_enabled, false},
      {{"appendonly", {}, 0}, &c.appendonly, false},
      {{"cluster-allow-reads-when-down", {}, kNot}, &c.cluster_allow_reads_when_down, false},
      {{"cluster-allow-pubsubshard-when-down", {}, kNot},
       &c.cluster_allow_pubsubshard_when_down,
       true},
      {{"crash-log-enabled", {}, kNot}, &c.crash_log_enabled, true},
      {{"crash-memcheck-enabled", {}, kNot}, &c.crash_memcheck_enabled, true},
      {{"disable-thp", {}, kImm | kNot}, &c.disable_thp, true},
      {{"cluster-allow-replica-migration", {}, kNot}, &c.cluster_allow_replica_migration, true},
      {{"replica-announced", {}, 0}, &c.replica_announced, true},
      {{"latency-tracking", {}, 0}, &c.latency_tracking, true},
      {{"aof-disable-auto-gc", {}, kNot}, &c.aof_disable_auto_gc, false},
      {{"replica-ignore-disk-write-errors", {}, kNot}, &c.replica_ignore_disk_write_errors, false},
      {{"tls-replication", {}, kNot}, &c.tls_replication, false},
      {{"tls-cluster", {}, kNot}, &c.tls_cluster, false},
      {{"tls-prefer-server-ciphers", {}, kNot}, &c.tls_prefer_server_ciphers, false},
      {{"tls-session-caching", {}, kNot}, &c.tls_session_caching, true},
  };
  for (const auto& b : bools) s.AddBool(b.spec, b.field, b.def);

  // ---- string options ----
  auto no_check = std::function<std::expected<void, std::string>(const std::string&)>{};
  s.AddString({"aclfile", {}, kImm}, &c.aclfile, "");
  s.AddString({"unixsocket", {}, kImm | kNull}, &c.unixsocket, "");
  s.AddString({"pidfile", {}, kImm | kNull}, &c.pidfile, "");
  s.AddString({"replica-announce-ip", "slave-announce-ip", kNull}, &c.replica_announce_ip, "");
  s.AddString({"masteruser", {}, kSens | kNull}, &c.masteruser, "");
  s.AddString({"cluster-announce-ip", {}, kNull | kNot}, &c.cluster_announce_ip, "");
  s.AddString({"cluster-config-file", {}, kImm | kNot}, &c.cluster_config_file, "nodes.conf");
  s.AddString({"cluster-announce-hostname", {}, kNull | kNot}, &c.cluster_announce_hostname, "",
              ValidHostname);
  s.AddString({"syslog-ident", {}, kImm | kNot}, &c.syslog_ident, "redis");
  s.AddString({"dbfilename", {}, config::kProtected | config::kDenyLoading}, &c.dbfilename,
              "dump.rdb", [](const std::string& v) {
                return NoSlash(v, "dbfilename can't be a path, just a filename");
              });
  s.AddString({"appendfilename", {}, kImm}, &c.appendfilename, "appendonly.aof",
              [](const std::string& v) {
                return NoSlash(v, "appendfilename can't be a path, just a filename");
              });
  s.AddString({"appenddirname", {}, kImm}, &c.appenddirname, "appendonlydir",
              [](const std::string& v) {
                return NoSlash(v, "appenddirname can't be a path, just a dirname");
              });
  s.AddString({"server_cpulist", {}, kImm | kNull | kNot}, &c.server_cpulist, "");
  s.AddString({"bio_cpulist", {}, kImm | kNull | kNot}, &c.bio_cpulist, "");
  s.AddString({"aof_rewrite_cpulist", {}, kImm | kNull | kNot}, &c.aof_rewrite_cpulist, "");
  s.AddString({"bgsave_cpulist", {}, kImm | kNull | kNot}, &c.bgsave_cpulist, "");
  s.AddString({"ignore-warnings", {}, kNot}, &c.ignore_warnings, "");
  s.AddString({"proc-title-template", {}, kNot}, &c.proc_title_template,
              "{title} {listen-addr} {server-mode}", ValidProcTitle);
  s.AddString({"bind-source-addr", {}, kNull | kNot}, &c.bind_source_addr, "");
  s.AddString({"logfile", {}, kImm}, &c.logfile, "");
  s.AddString({"masterauth", {}, kSens | kNull}, &c.masterauth, "");
  s.AddString({"requirepass", {}, kSens | kNull}, &c.requirepass, "");
  const std::pair<const char*, std::string*> tls_strings[] = {
      {"tls-cert-file", &c.tls_cert_file},
      {"tls-key-file", &c.tls_key_file},
      {"tls-key-file-pass", &c.tls_key_file_pass},
      {"tls-client-cert-file", &c.tls_client_cert_file},
      {"tls-client-key-file", &c.tls_client_key_file},
      {"tls-client-key-file-pass", &c.tls_client_key_file_pass},
      {"tls-dh-params-file", &c.tls_dh_params_file},
      {"tls-ca-cert-file", &c.tls_ca_cert_file},
      {"tls-ca-cert-dir", &c.tls_ca_cert_dir},
      {"tls-protocols", &c.tls_protocols},
      {"tls-ciphers", &c.tls_ciphers},
      {"tls-ciphersuites", &c.tls_ciphersuites},
  };
  for (auto [name, field] : tls_strings) s.AddString({name, {}, kNull | kNot}, field, "");
  (void)no_check;

  // ---- enum options ----
  s.AddEnum<Supervised>({"supervised", {}, kImm}, &c.supervised, Supervised::kNo,
                        {{"upstart", Supervised::kUpstart},
                         {"systemd", Supervised::kSystemd},
                         {"auto", Supervised::kAuto},
                         {"no", Supervised::kNo}});
  s.AddEnum<int>({"syslog-facility", {}, kImm | kNot}, &c.syslog_facility, 1,
                 {{"user", 0},
                  {"local0", 1},
                  {"local1", 2},
                  {"local2", 3},
                  {"local3", 4},
                  {"local4", 5},
                  {"local5", 6},
                  {"local6", 7},
                  {"local7", 8}});
  s.AddEnum<ReplDisklessLoad>({"repl-diskless-load", {}, 0}, &c.repl_diskless_load,
                              ReplDisklessLoad::kDisabled,
                              {{"disabled", ReplDisklessLoad::kDisabled},
                               {"on-empty-db", ReplDisklessLoad::kOnEmptyDb},
                               {"swapdb", ReplDisklessLoad::kSwapdb}});
  s.AddEnum<LogLevel>({"loglevel", {}, 0}, &c.loglevel, LogLevel::kNotice,
                      {{"debug", LogLevel::kDebug},
                       {"verbose", LogLevel::kVerbose},
                       {"notice", LogLevel::kNotice},
                       {"warning", LogLevel::kWarning}});
  s.AddEnum<MaxmemoryPolicy>({"maxmemory-policy", {}, 0}, &c.maxmemory_policy,
                             MaxmemoryPolicy::kNoeviction,
                             {{"volatile-lru", MaxmemoryPolicy::kVolatileLru},
                              {"volatile-lfu", MaxmemoryPolicy::kVolatileLfu},
                              {"volatile-random", MaxmemoryPolicy::kVolatileRandom},
                              {"volatile-ttl", MaxmemoryPolicy::kVolatileTtl},
                              {"allkeys-lru", MaxmemoryPolicy::kAllkeysLru},
                              {"allkeys-lfu", MaxmemoryPolicy::kAllkeysLfu},
                              {"allkeys-random", MaxmemoryPolicy::kAllkeysRandom},
                              {"noeviction", MaxmemoryPolicy::kNoeviction}});
  s.AddEnum<AppendFsync>({"appendfsync", {}, 0}, &c.appendfsync, AppendFsync::kEverysec,
                         {{"everysec", AppendFsync::kEverysec},
                          {"always", AppendFsync::kAlways},
                          {"no", AppendFsync::kNo}});
  s.AddEnum<OomScoreAdj>({"oom-score-adj", {}, kNot}, &c.oom_score_adj, OomScoreAdj::kNo,
                         {{"no", OomScoreAdj::kNo},
                          {"yes", OomScoreAdj::kRelative},
                          {"relative", OomScoreAdj::kRelative},
                          {"absolute", OomScoreAdj::kAbsolute}});
  s.AddEnum<AclPubsubDefault>({"acl-pubsub-default", {}, 0}, &c.acl_pubsub_default,
                              AclPubsubDefault::kResetChannels,
                              {{"allchannels", AclPubsubDefault::kAllChannels},
                               {"resetchannels", AclPubsubDefault::kResetChannels}});
  s.AddEnum<SanitizeDumpPayload>({"sanitize-dump-payload", {}, kNot}, &c.sanitize_dump_payload,
                                 SanitizeDumpPayload::kNo,
                                 {{"no", SanitizeDumpPayload::kNo},
                                  {"yes", SanitizeDumpPayload::kYes},
                                  {"clients", SanitizeDumpPayload::kClients}});
  s.AddEnum<ClusterEndpointType>({"cluster-preferred-endpoint-type", {}, kNot},
                                 &c.cluster_preferred_endpoint_type, ClusterEndpointType::kIp,
                                 {{"ip", ClusterEndpointType::kIp},
                                  {"hostname", ClusterEndpointType::kHostname},
                                  {"unknown-endpoint", ClusterEndpointType::kUnknownEndpoint}});
  s.AddEnum<PropagationErrorBehavior>(
      {"propagation-error-behavior", {}, kNot}, &c.propagation_error_behavior,
      PropagationErrorBehavior::kIgnore,
      {{"ignore", PropagationErrorBehavior::kIgnore},
       {"panic", PropagationErrorBehavior::kPanic},
       {"panic-on-replicas", PropagationErrorBehavior::kPanicOnReplicas}});
  const std::vector<EnumEntry<ProtectedSetting>> protected_names = {
      {"no", ProtectedSetting::kNo},
      {"yes", ProtectedSetting::kYes},
      {"local", ProtectedSetting::kLocal}};
  s.AddEnum<ProtectedSetting>({"enable-protected-configs", {}, kImm}, &c.enable_protected_configs,
                              ProtectedSetting::kNo, protected_names);
  s.AddEnum<ProtectedSetting>({"enable-debug-command", {}, kImm}, &c.enable_debug_command,
                              ProtectedSetting::kNo, protected_names);
  s.AddEnum<ProtectedSetting>({"enable-module-command", {}, kImm | kNot}, &c.enable_module_command,
                              ProtectedSetting::kNo, protected_names);
  s.AddEnum<TlsAuthClients>({"tls-auth-clients", {}, kNot}, &c.tls_auth_clients,
                            TlsAuthClients::kYes,
                            {{"no", TlsAuthClients::kNo},
                             {"yes", TlsAuthClients::kYes},
                             {"optional", TlsAuthClients::kOptional}});

  // ---- integer options ----
  auto I = [&](OptionSpec spec, auto* field, auto def, long long min, long long max) {
    using F = std::remove_pointer_t<decltype(field)>;
    return &s.AddNumber<F>(spec, T::kInteger, field, static_cast<F>(def), min, max);
  };
  auto M = [&](OptionSpec spec, auto* field, auto def, long long min, long long max) {
    using F = std::remove_pointer_t<decltype(field)>;
    return &s.AddNumber<F>(spec, T::kMemory, field, static_cast<F>(def), min, max);
  };
  I({"databases", {}, kImm}, &c.databases, 16, 1, kIntMax);
  I({"port", {}, 0}, &c.port, 6389, 0, 65535);
  I({"io-threads", {}, kImm | kNot}, &c.io_threads, 1, 1, 128);
  I({"auto-aof-rewrite-percentage", {}, 0}, &c.auto_aof_rewrite_percentage, 100, 0, kIntMax);
  I({"cluster-replica-validity-factor", "cluster-slave-validity-factor", kNot},
    &c.cluster_replica_validity_factor, 10, 0, kIntMax);
  I({"list-max-listpack-size", "list-max-ziplist-size", kNot}, &c.list_max_listpack_size, -2,
    INT_MIN, kIntMax);
  I({"tcp-keepalive", {}, 0}, &c.tcp_keepalive, 300, 0, kIntMax);
  I({"cluster-migration-barrier", {}, kNot}, &c.cluster_migration_barrier, 1, 0, kIntMax);
  I({"active-defrag-cycle-min", {}, kNot}, &c.active_defrag_cycle_min, 1, 1, 99);
  I({"active-defrag-cycle-max", {}, kNot}, &c.active_defrag_cycle_max, 25, 1, 99);
  I({"active-defrag-threshold-lower", {}, kNot}, &c.active_defrag_threshold_lower, 10, 0, 1000);
  I({"active-defrag-threshold-upper", {}, kNot}, &c.active_defrag_threshold_upper, 100, 0, 1000);
  I({"lfu-log-factor", {}, 0}, &c.lfu_log_factor, 10, 0, kIntMax);
  I({"lfu-decay-time", {}, 0}, &c.lfu_decay_time, 1, 0, kIntMax);
  I({"key-load-delay", {}, config::kHidden}, &c.key_load_delay, 0, INT_MIN, kIntMax);
  I({"loading-process-events-interval-bytes", {}, config::kHidden},
    &c.loading_process_events_interval_bytes, 2 * 1024 * 1024, 1024, kIntMax);
  I({"replica-priority", "slave-priority", 0}, &c.replica_priority, 100, 0, kIntMax);
  I({"repl-diskless-sync-delay", {}, 0}, &c.repl_diskless_sync_delay, 5, 0, kIntMax);
  I({"maxmemory-samples", {}, 0}, &c.maxmemory_samples, 5, 1, kIntMax);
  I({"maxmemory-eviction-tenacity", {}, kNot}, &c.maxmemory_eviction_tenacity, 10, 0, 100);
  I({"timeout", {}, 0}, &c.timeout, 0, 0, kIntMax);
  I({"replica-announce-port", "slave-announce-port", 0}, &c.replica_announce_port, 0, 0, 65535);
  I({"tcp-backlog", {}, kImm}, &c.tcp_backlog, 511, 0, kIntMax);
  I({"cluster-port", {}, kImm | kNot}, &c.cluster_port, 0, 0, 65535);
  I({"cluster-announce-bus-port", {}, kNot}, &c.cluster_announce_bus_port, 0, 0, 65535);
  I({"cluster-announce-port", {}, kNot}, &c.cluster_announce_port, 0, 0, 65535);
  I({"cluster-announce-tls-port", {}, kNot}, &c.cluster_announce_tls_port, 0, 0, 65535);
  I({"repl-timeout", {}, 0}, &c.repl_timeout, 60, 1, kIntMax);
  I({"repl-ping-replica-period", "repl-ping-slave-period", 0}, &c.repl_ping_replica_period, 10, 1,
    kIntMax);
  I({"list-compress-depth", {}, kNot}, &c.list_compress_depth, 0, 0, kIntMax);
  I({"active-expire-effort", {}, kNot}, &c.active_expire_effort, 1, 1, 10);
  s.AddNumber<int>({"hz", {}, 0}, T::kInteger, &c.hz, 10, 0, kIntMax,
                   [](long long v) -> std::expected<long long, std::string> {
                     // Redis stores hz clamped to CONFIG_MIN_HZ..CONFIG_MAX_HZ.
                     return v < 1 ? 1 : (v > 500 ? 500 : v);
                   });
  I({"min-replicas-to-write", "min-slaves-to-write", 0}, &c.min_replicas_to_write, 0, 0, kIntMax);
  I({"min-replicas-max-lag", "min-slaves-max-lag", 0}, &c.min_replicas_max_lag, 10, 0, kIntMax);
  I({"repl-diskless-sync-max-replicas", {}, 0}, &c.repl_diskless_sync_max_replicas, 0, 0, kIntMax);
  I({"maxclients", {}, config::kUnsigned}, &c.maxclients, 10000, 1, UINT_MAX);
  I({"socket-mark-id", {}, kImm | config::kUnsigned | kNot}, &c.socket_mark_id, 0, 0, UINT_MAX);
  I({"shutdown-timeout", {}, kNot}, &c.shutdown_timeout, 10, 0, kIntMax);
  I({"busy-reply-threshold", "lua-time-limit", kNot}, &c.busy_reply_threshold, 5000, 0, kLongMax);
  I({"cluster-node-timeout", {}, kNot}, &c.cluster_node_timeout, 15000, 0, kLongMax);
  I({"slowlog-log-slower-than", {}, 0}, &c.slowlog_log_slower_than, 10000, -1, kLongMax);
  I({"latency-monitor-threshold", {}, kNot}, &c.latency_monitor_threshold, 0, 0, kLongMax);
  I({"slowlog-max-len", {}, 0}, &c.slowlog_max_len, 128, 0, kLongMax);
  I({"acllog-max-len", {}, 0}, &c.acllog_max_len, 128, 0, kLongMax);
  I({"repl-backlog-ttl", {}, 0}, &c.repl_backlog_ttl, 3600, 0, kLongMax);
  I({"active-defrag-max-scan-fields", {}, kNot}, &c.active_defrag_max_scan_fields, 1000, 1,
    kLongMax);
  I({"tracking-table-max-keys", {}, kNot}, &c.tracking_table_max_keys, 1000000, 0, kLongMax);
  I({"hash-max-listpack-entries", "hash-max-ziplist-entries", kNot}, &c.hash_max_listpack_entries,
    512, 0, kLongMax);
  I({"set-max-intset-entries", {}, kNot}, &c.set_max_intset_entries, 512, 0, kLongMax);
  I({"zset-max-listpack-entries", "zset-max-ziplist-entries", kNot}, &c.zset_max_listpack_entries,
    128, 0, kLongMax);
  I({"stream-node-max-entries", {}, kNot}, &c.stream_node_max_entries, 100, 0, kLongMax);
  I({"tls-port", {}, kNot}, &c.tls_port, 0, 0, 65535);
  I({"tls-session-cache-size", {}, kNot}, &c.tls_session_cache_size, 20480, 0, kIntMax);
  I({"tls-session-cache-timeout", {}, kNot}, &c.tls_session_cache_timeout, 300, 0, kIntMax);
  I({"unixsocketperm", {}, kImm | config::kOctal}, &c.unixsocketperm, 0, 0, 0777);

  // ---- memory options ----
  M({"maxmemory", {}, config::kUnsigned}, &c.maxmemory, 0, 0, -1 /* ULLONG_MAX */);
  M({"proto-max-bulk-len", {}, 0}, &c.proto_max_bulk_len, 512LL << 20, 1024 * 1024, kLongMax);
  M({"stream-node-max-bytes", {}, kNot}, &c.stream_node_max_bytes, 4096, 0, kLongMax);
  M({"repl-backlog-size", {}, 0}, &c.repl_backlog_size, 1024 * 1024, 1, kLongMax);
  M({"maxmemory-clients", {}, config::kPercent | kNot}, &c.maxmemory_clients, 0, -100, kLongMax);
  M({"hash-max-listpack-value", "hash-max-ziplist-value", kNot}, &c.hash_max_listpack_value, 64, 0,
    kLongMax);
  M({"zset-max-listpack-value", "zset-max-ziplist-value", kNot}, &c.zset_max_listpack_value, 64, 0,
    kLongMax);
  M({"hll-sparse-max-bytes", {}, kNot}, &c.hll_sparse_max_bytes, 3000, 0, kLongMax);
  M({"active-defrag-ignore-bytes", {}, kNot}, &c.active_defrag_ignore_bytes, 100LL << 20, 1,
    kLongMax);
  M({"auto-aof-rewrite-min-size", {}, 0}, &c.auto_aof_rewrite_min_size, 64LL << 20, 0, kLongMax);
  M({"client-query-buffer-limit", {}, 0}, &c.client_query_buffer_limit, 1LL << 30, 1024 * 1024,
    kLongMax);
  M({"cluster-link-sendbuf-limit", {}, config::kUnsigned | kNot}, &c.cluster_link_sendbuf_limit, 0,
    0, -1 /* ULLONG_MAX */);

  // ---- special options ----
  // dir is the process's working directory, as in Redis: setting it chdir()s, GET reads it and
  // REWRITE always writes it.
  s.AddCustom(
      {"dir", {}, config::kProtected | config::kDenyLoading | config::kAlwaysRewrite}, "",
      [&c](Args args, const SetContext&) -> Result {
        if (args.size() != 1) return std::unexpected("wrong number of arguments");
        if (chdir(args[0].c_str()) == -1) return std::unexpected(std::string(strerror(errno)));
        c.dir = args[0];
        return {};
      },
      [] {
        char buf[4096];
        return std::string(getcwd(buf, sizeof(buf)) ? buf : "");
      },
      [] {
        char buf[4096];
        return std::vector<RewriteLine>{{config::Repr(getcwd(buf, sizeof(buf)) ? buf : ""), true}};
      });

  s.AddCustom(
      {"save", {}, kMulti}, "3600 1 300 100 60 10000",
      [&c](Args args, const SetContext& ctx) -> Result {
        // A single "" means no save points.
        if (args.size() == 1 && args[0].empty()) args = args.subspan(1);
        if (args.size() % 2 != 0) return std::unexpected("Invalid save parameters");
        std::vector<SavePoint> points;
        for (size_t j = 0; j < args.size(); j += 2) {
          char* end = nullptr;
          const long long secs = std::strtoll(args[j].c_str(), &end, 10);
          if (*end != '\0' || secs < 1) return std::unexpected("Invalid save parameters");
          const long long changes = std::strtoll(args[j + 1].c_str(), &end, 10);
          if (*end != '\0' || changes < 0) return std::unexpected("Invalid save parameters");
          points.push_back({secs, changes});
        }
        // In a file, the first "save" line replaces the defaults and later ones add to it.
        if (!ctx.from_file || ctx.first_in_load) c.save.clear();
        c.save.insert(c.save.end(), points.begin(), points.end());
        return {};
      },
      [&c] {
        std::string out;
        for (const auto& p : c.save) {
          if (!out.empty()) out += ' ';
          out += std::to_string(p.seconds) + " " + std::to_string(p.changes);
        }
        return out;
      },
      [&c] {
        std::vector<RewriteLine> lines;
        if (c.save.empty()) lines.push_back({"\"\"", true});
        for (const auto& p : c.save) {
          lines.push_back({std::to_string(p.seconds) + " " + std::to_string(p.changes), true});
        }
        return lines;
      });

  static const std::vector<std::string> kDefaultBind = {"*", "-::*"};
  c.bind = kDefaultBind;
  s.AddCustom(
      {"bind", {}, kMulti}, "* -::*",
      [&c](Args args, const SetContext&) -> Result {
        if (args.size() > 16) return std::unexpected("Too many bind addresses specified.");
        if (args.size() == 1 && args[0].empty()) args = args.subspan(1);
        c.bind.assign(args.begin(), args.end());
        return {};
      },
      [&c] { return Join(c.bind); },
      [&c] {
        if (c.bind == kDefaultBind) return std::vector<RewriteLine>{};
        std::vector<std::string> words;
        for (const auto& b : c.bind) words.push_back(config::RewriteWord(b));
        return std::vector<RewriteLine>{{Join(words), true}};
      });

  c.replicaof_host.clear();
  c.replicaof_port = 0;
  s.AddCustom(
      {"replicaof", "slaveof", kImm | kMulti}, "",
      [&c](Args args, const SetContext&) -> Result {
        if (args.size() != 2) return std::unexpected("wrong number of arguments");
        c.replicaof_host.clear();
        if (config::EqualsNoCase(args[0], "no") && config::EqualsNoCase(args[1], "one")) {
          return {};
        }
        char* end = nullptr;
        const long port = std::strtol(args[1].c_str(), &end, 10);
        if (port < 0 || port > 65535 || *end != '\0') {
          return std::unexpected("Invalid master port");
        }
        c.replicaof_host = args[0];
        c.replicaof_port = static_cast<int>(port);
        return {};
      },
      [&c] {
        if (c.replicaof_host.empty()) return std::string();
        return c.replicaof_host + " " + std::to_string(c.replicaof_port);
      },
      [&c] {
        if (c.replicaof_host.empty()) return std::vector<RewriteLine>{};
        return std::vector<RewriteLine>{
            {config::RewriteWord(c.replicaof_host) + " " + std::to_string(c.replicaof_port), true}};
      });

  static const OutputBufferLimit kDefaultLimits[3] = {
      {0, 0, 0}, {256LL << 20, 64LL << 20, 60}, {32LL << 20, 8LL << 20, 60}};
  std::copy(std::begin(kDefaultLimits), std::end(kDefaultLimits), c.client_output_buffer_limit);
  s.AddCustom(
      {"client-output-buffer-limit", {}, kMulti},
      "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
      [&c](Args args, const SetContext&) -> Result {
        if (args.size() % 4 != 0) {
          return std::unexpected("Wrong number of arguments in buffer limit configuration.");
        }
        // Validate everything before changing anything.
        for (size_t j = 0; j < args.size(); ++j) {
          if (j % 4 == 0) {
            if (ClientClass(args[j]) == -1) {
              return std::unexpected(
                  "Invalid client class specified in buffer limit configuration.");
            }
          } else if (!config::ParseMemory(args[j])) {
            return std::unexpected(
                "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
          }
        }
        for (size_t j = 0; j < args.size(); j += 4) {
          c.client_output_buffer_limit[ClientClass(args[j])] = {*config::ParseMemory(args[j + 1]),
                                                                *config::ParseMemory(args[j + 2]),
                                                                LeadingInteger(args[j + 3])};
        }
        return {};
      },
      [&c] {
        static const char* kNames[3] = {"normal", "slave", "pubsub"};
        std::string out;
        for (int i = 0; i < 3; ++i) {
          const auto& l = c.client_output_buffer_limit[i];
          if (i) out += ' ';
          out += std::string(kNames[i]) + " " + std::to_string(l.hard) + " " +
                 std::to_string(l.soft) + " " + std::to_string(l.soft_seconds);
        }
        return out;
      },
      [&c] {
        static const char* kNames[3] = {"normal", "replica", "pubsub"};
        std::vector<RewriteLine> lines;
        for (int i = 0; i < 3; ++i) {
          const auto& l = c.client_output_buffer_limit[i];
          lines.push_back({std::string(kNames[i]) + " " + config::FormatMemory(l.hard) + " " +
                               config::FormatMemory(l.soft) + " " + std::to_string(l.soft_seconds),
                           !(l == kDefaultLimits[i])});
        }
        return lines;
      });

  c.notify_keyspace_events = 0;
  s.AddCustom(
      {"notify-keyspace-events", {}, 0}, "",
      [&c](Args args, const SetContext&) -> Result {
        auto flags = ParseNotify(args[0]);
        if (!flags) return std::unexpected(flags.error());
        c.notify_keyspace_events = *flags;
        return {};
      },
      [&c] { return NotifyToString(c.notify_keyspace_events); },
      [&c] {
        return std::vector<RewriteLine>{{config::Repr(NotifyToString(c.notify_keyspace_events)),
                                         c.notify_keyspace_events != 0}};
      });

  static const std::vector<int> kDefaultOom = {0, 200, 800};
  c.oom_score_adj_values = kDefaultOom;
  auto oom_text = [&c] {
    std::string out;
    for (int v : c.oom_score_adj_values) {
      if (!out.empty()) out += ' ';
      out += std::to_string(v);
    }
    return out;
  };
  s.AddCustom(
      {"oom-score-adj-values", {}, kMulti | kNot}, "0 200 800",
      [&c](Args args, const SetContext&) -> Result {
        if (args.size() != 3) return std::unexpected("wrong number of arguments");
        std::vector<int> values;
        for (const auto& a : args) {
          char* end = nullptr;
          const long long v = std::strtoll(a.c_str(), &end, 10);
          if (*end != '\0' || v < -2000 || v > 2000) {
            return std::unexpected(
                "Invalid oom-score-adj-values, elements must be between -2000 and 2000.");
          }
          values.push_back(static_cast<int>(v));
        }
        c.oom_score_adj_values = std::move(values);
        return {};
      },
      oom_text,
      [&c, oom_text] {
        return std::vector<RewriteLine>{{oom_text(), c.oom_score_adj_values != kDefaultOom}};
      });

  c.latency_tracking_info_percentiles = {50.0, 99.0, 99.9};
  auto percentiles_text = [&c] {
    std::string out;
    for (double d : c.latency_tracking_info_percentiles) {
      if (!out.empty()) out += ' ';
      out += config::FormatTrimmedDouble(d);
    }
    return out;
  };
  s.AddCustom(
      {"latency-tracking-info-percentiles", {}, kMulti | kNot | config::kAlwaysRewrite},
      "50 99 99.9",
      [&c](Args args, const SetContext&) -> Result {
        if (args.size() == 1 && args[0].empty()) args = args.subspan(1);
        std::vector<double> values;
        for (const auto& a : args) {
          char* end = nullptr;
          errno = 0;
          const long double v = std::strtold(a.c_str(), &end);
          if (a.empty() || *end != '\0' || errno == ERANGE ||
              std::isspace(static_cast<unsigned char>(a[0])) || v != v) {
            return std::unexpected("Invalid latency-tracking-info-percentiles parameters");
          }
          if (v > 100.0 || v < 0.0) {
            return std::unexpected(
                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]");
          }
          values.push_back(static_cast<double>(v));
        }
        c.latency_tracking_info_percentiles = std::move(values);
        return {};
      },
      percentiles_text,
      [percentiles_text] {
        const std::string text = percentiles_text();
        return std::vector<RewriteLine>{{text.empty() ? "\"\"" : text, true}};
      });

  AddShutdownOption(s, "shutdown-on-sigint", &c.shutdown_on_sigint);
  AddShutdownOption(s, "shutdown-on-sigterm", &c.shutdown_on_sigterm);

  // ---- directives that are not options ----
  c.renamed_commands.clear();
  c.fence_master_name.clear();
  c.fence_sentinels.clear();
  s.AddDirective("sentinel-fence", 2, 64, [&c](Args args) -> Result {
    c.fence_master_name = args[0];
    c.fence_sentinels.clear();
    for (size_t i = 1; i < args.size(); ++i) {
      const std::string& a = args[i];
      size_t colon = a.rfind(':');
      char* end = nullptr;
      long port = colon == std::string::npos ? -1 : std::strtol(a.c_str() + colon + 1, &end, 10);
      if (colon == std::string::npos || colon == 0 || port <= 0 || port > 65535 || *end != '\0') {
        return std::unexpected("sentinel-fence: expected <master-name> <host:port> ...");
      }
      c.fence_sentinels.emplace_back(a.substr(0, colon), static_cast<int>(port));
    }
    return {};
  });
  c.users.clear();
  s.AddDirective("user", 1, 100000, [&c](Args args) -> Result {
    for (const auto& u : c.users) {
      if (u[0] == args[0]) {
        return std::unexpected("Error in user declaration '" + args[0] +
                               "': Duplicate user found. A user can only be defined once in "
                               "config files");
      }
    }
    c.users.emplace_back(args.begin(), args.end());
    return {};
  });
  s.AddDirective("rename-command", 2, 2, [&c](Args args) -> Result {
    c.renamed_commands.emplace_back(args[0], args[1]);
    return {};
  });
  // Removed in 7.0 and silently accepted with exactly one argument, as Redis does.
  s.AddDeprecated("list-max-ziplist-entries", 1, 1);
  s.AddDeprecated("list-max-ziplist-value", 1, 1);
  s.AddDeprecated("lua-replicate-commands", 1, 1);
}

}  // namespace tandem::server
