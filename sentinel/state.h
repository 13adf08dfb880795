// Sentinel's data model: the monitored masters, their replicas and the peer Sentinels, with the
// flags, timers and failover fields Redis 7.0 keeps per instance (sentinel.c,
// sentinelRedisInstance / instanceLink), plus the timing knobs SENTINEL DEBUG can change.
//
// Pure data: no libuv here except the link's client handles, which stay null in unit tests.
// Times are wall-clock milliseconds (mstime()), as in Redis: TILT exists precisely to notice
// when that clock jumps.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "resp/net/resp_client.h"

namespace tandem::sentinel {

int64_t NowMs();

// ---- Flags (SRI_*), in the order SENTINEL MASTERS prints them ---------------------------------
enum Flag : uint32_t {
  kMaster = 1u << 0,
  kSlave = 1u << 1,
  kSentinel = 1u << 2,
  kSDown = 1u << 3,
  kODown = 1u << 4,
  kMasterDown = 1u << 5,  // a peer Sentinel told us it thinks the master is down
  kFailoverInProgress = 1u << 6,
  kPromoted = 1u << 7,
  kReconfSent = 1u << 8,
  kReconfInprog = 1u << 9,
  kReconfDone = 1u << 10,
  kForceFailover = 1u << 11,
  kScriptKillSent = 1u << 12,
  kMasterReboot = 1u << 13,
};

// ---- Failover states, with the names SENTINEL MASTER shows as failover-state ------------------
enum class FailoverState {
  kNone,
  kWaitStart,
  kSelectSlave,
  kSendSlaveofNoOne,
  kWaitPromotion,
  kReconfSlaves,
  kUpdateConfig,
};
std::string_view FailoverStateName(FailoverState s);

// ---- Timing knobs (SENTINEL DEBUG); defaults are Redis 7.0's --------------------------------
struct Timing {
  int64_t info_period = 10000;
  int64_t ping_period = 1000;
  int64_t ask_period = 1000;
  int64_t publish_period = 2000;
  int64_t default_down_after = 30000;
  int64_t default_failover_timeout = 180000;
  int64_t tilt_trigger = 2000;
  int64_t tilt_period = 30000;
  int64_t slave_reconf_timeout = 10000;
  int64_t min_link_reconnect_period = 15000;
  int64_t election_timeout = 10000;
  int64_t script_max_runtime = 60000;
  int64_t script_retry_delay = 30000;
};
inline constexpr int kMaxDesyncMs = 1000;  // SENTINEL_MAX_DESYNC
inline constexpr int kDefaultSlavePriority = 100;
inline constexpr int kMaxPendingCommands = 100;
inline constexpr size_t kRunIdSize = 40;

// An instance address: the host as configured or announced, and the address we connect to.
// Without resolve-hostnames, host must already be an IP and ip == host.
struct Addr {
  std::string hostname;
  std::string ip;
  int port = 0;
};

// The link to an instance: a command connection (cc) and, for masters and replicas, a pub/sub
// connection (pc), with the times failure detection is computed from (instanceLink).
struct Link {
  std::unique_ptr<net::RespClient> cc;
  std::unique_ptr<net::RespClient> pc;
  int pending_commands = 0;
  int64_t cc_conn_time = 0;
  int64_t pc_conn_time = 0;
  int64_t pc_last_activity = 0;
  int64_t last_avail_time = 0;  // last valid PING reply (+PONG, -LOADING, -MASTERDOWN)
  int64_t act_ping_time = 0;    // oldest PING still unanswered; 0 when none is pending
  int64_t last_ping_time = 0;   // last PING sent
  int64_t last_pong_time = 0;   // last PING reply of any kind
  int64_t last_reconn_time = 0;
  // Set for instances built by unit tests: the link counts as connected without clients.
  bool fake_connected = false;

  bool cc_up() const { return fake_connected || (cc && cc->connected()); }
  bool pc_up() const { return fake_connected || (pc && pc->connected()); }
};

struct Instance : std::enable_shared_from_this<Instance> {
  Instance(uint32_t type_flags, std::string name, Addr addr, int64_t now);

  uint32_t flags = 0;
  std::string name;   // masters: the configured name; replicas: "ip:port"; sentinels: runid
  std::string runid;  // empty until INFO (or a hello for Sentinels) tells us
  uint64_t config_epoch = 0;
  Addr addr;
  Link link;
  int64_t last_pub_time = 0;
  int64_t last_hello_time = 0;
  int64_t last_master_down_reply_time = 0;
  int64_t s_down_since_time = 0;
  int64_t o_down_since_time = 0;
  int64_t down_after_period = 30000;
  int64_t master_reboot_down_after_period = 0;
  int64_t master_reboot_since_time = 0;
  int64_t info_refresh = 0;                             // 0: no INFO received yet
  std::map<std::string, std::string> renamed_commands;  // lower-case old name -> new name
  std::vector<std::string> renamed_order;               // old names as configured, in order

  uint32_t role_reported = 0;  // kMaster or kSlave (or 0 when INFO showed no role)
  int64_t role_reported_time = 0;
  int64_t slave_conf_change_time = 0;

  // Masters.
  std::vector<std::shared_ptr<Instance>> sentinels;
  std::vector<std::shared_ptr<Instance>> slaves;
  unsigned quorum = 1;
  int parallel_syncs = 1;
  std::string auth_pass;  // empty: none
  std::string auth_user;

  // Replicas.
  int64_t master_link_down_time = 0;
  int slave_priority = kDefaultSlavePriority;
  int replica_announced = 1;
  int64_t slave_reconf_sent_time = 0;
  Instance* master = nullptr;  // owner (replicas and sentinels)
  std::string slave_master_host;
  bool has_slave_master_host = false;
  int slave_master_port = 0;
  bool slave_master_link_up = false;
  uint64_t slave_repl_offset = 0;

  // Failover. For a master, leader/leader_epoch is our vote; for a Sentinel, its vote.
  std::string leader;
  uint64_t leader_epoch = 0;
  uint64_t failover_epoch = 0;
  FailoverState failover_state = FailoverState::kNone;
  int64_t failover_state_change_time = 0;
  int64_t failover_start_time = 0;
  int64_t failover_timeout = 180000;
  int64_t failover_delay_logged = 0;
  Instance* promoted_slave = nullptr;
  std::string notification_script;
  std::string client_reconfig_script;
  std::string info;  // last INFO reply
  bool has_info = false;
  bool removed = false;  // dropped from the tables; its callbacks must do nothing

  bool is_master() const { return (flags & kMaster) != 0; }
  bool is_slave() const { return (flags & kSlave) != 0; }
  bool is_sentinel() const { return (flags & kSentinel) != 0; }
  // Redis's link->disconnected: a missing command link, or a missing pub/sub link for masters
  // and replicas.
  bool disconnected() const { return !link.cc_up() || (!is_sentinel() && !link.pc_up()); }
  std::string_view TypeName() const;
  // Comma-separated flags as SENTINEL MASTERS shows them.
  std::string FlagsString() const;
  // The command name to send, after `sentinel rename-command` of the master.
  std::string MapCommand(std::string_view command) const;
};

// Global state (sentinelState).
struct GlobalState {
  std::string myid;
  uint64_t current_epoch = 0;
  std::vector<std::shared_ptr<Instance>> masters;
  bool tilt = false;
  int64_t tilt_start_time = 0;
  int64_t previous_time = 0;
  std::string announce_ip;
  int announce_port = 0;
  unsigned simfailure_flags = 0;
  bool deny_scripts_reconfig = true;
  std::string sentinel_auth_pass;
  std::string sentinel_auth_user;
  bool resolve_hostnames = false;
  bool announce_hostnames = false;
  // Warnings from loading the config file, logged once logging is set up.
  std::vector<std::string> load_warnings;
  Timing timing;

  Instance* FindMaster(std::string_view name) const;
};

inline constexpr unsigned kSimFailureCrashAfterElection = 1u << 0;
inline constexpr unsigned kSimFailureCrashAfterPromotion = 1u << 1;

// The address an instance is announced with (announce-hostnames picks the hostname).
const std::string& AnnounceAddr(const GlobalState& g, const Addr& a);
// "ip:port", or "[ip]:port" for IPv6: the name of a replica.
std::string AnnounceAddrAndPort(const GlobalState& g, const Addr& a);

// Builds an address as createSentinelAddr does: port 0..65535, host must be an IP unless
// resolve-hostnames is on. With accept_unresolved, an unresolvable name is kept with empty ip.
// Errors: "Invalid port number." / "Can't resolve instance hostname."
bool MakeAddr(const GlobalState& g, std::string_view host, long long port, bool accept_unresolved,
              Addr& out, std::string* error);
// Resolves `host` to its first address (any name when !ip_only, a literal IP only otherwise).
bool ResolveHost(std::string_view host, bool ip_only, std::string& ip);
bool AddrEqual(const Addr& a, const Addr& b);  // same port and ip (case-insensitive)
// Whether `hostname` (resolved as MakeAddr would) is the address of `a`.
bool AddrEqualsHostname(const GlobalState& g, const Addr& a, std::string_view hostname);

// createSentinelRedisInstance: builds the instance and adds it to its table (g.masters,
// master->slaves or master->sentinels). Replicas are named "ip:port". On failure returns null and
// sets *error to Redis's text ("Duplicate master name.", "Can't resolve instance hostname.", ...).
std::shared_ptr<Instance> CreateInstance(GlobalState& g, std::string_view name, uint32_t type,
                                         std::string_view host, long long port, unsigned quorum,
                                         Instance* master, std::string* error);
Instance* FindSlave(const GlobalState& g, const Instance& master, std::string_view host, int port);
// Lookup by address and/or runid (either may be empty) in a table of instances.
Instance* FindByAddrAndRunId(const GlobalState& g,
                             const std::vector<std::shared_ptr<Instance>>& table,
                             std::string_view host, int port, std::string_view runid);

}  // namespace tandem::sentinel
