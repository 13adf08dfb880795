// Instance construction, flags rendering and address helpers (sentinel.c: sentinelAddr,
// createSentinelRedisInstance, sentinelRedisInstanceTypeStr).
#include "sentinel/state.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <strings.h>
#include <sys/socket.h>

#include <chrono>

#include "config/args.h"

namespace tandem::sentinel {

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string_view FailoverStateName(FailoverState s) {
  switch (s) {
    case FailoverState::kNone:
      return "none";
    case FailoverState::kWaitStart:
      return "wait_start";
    case FailoverState::kSelectSlave:
      return "select_slave";
    case FailoverState::kSendSlaveofNoOne:
      return "send_slaveof_noone";
    case FailoverState::kWaitPromotion:
      return "wait_promotion";
    case FailoverState::kReconfSlaves:
      return "reconf_slaves";
    case FailoverState::kUpdateConfig:
      return "update_config";
  }
  return "unknown";
}

Instance::Instance(uint32_t type_flags, std::string n, Addr a, int64_t now)
    : flags(type_flags), name(std::move(n)), addr(std::move(a)) {
  link.act_ping_time = now;  // so that an instance we never reach times out
  link.last_avail_time = now;
  link.last_pong_time = now;
  last_pub_time = now;
  last_hello_time = now;
  last_master_down_reply_time = now;
  role_reported = flags & (kMaster | kSlave);
  role_reported_time = now;
  slave_conf_change_time = now;
}

std::string_view Instance::TypeName() const {
  if (flags & kMaster) return "master";
  if (flags & kSlave) return "slave";
  if (flags & kSentinel) return "sentinel";
  return "unknown";
}

std::string Instance::FlagsString() const {
  std::string out;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!out.empty()) out += ',';
    out += name;
  };
  add(flags & kSDown, "s_down");
  add(flags & kODown, "o_down");
  add(flags & kMaster, "master");
  add(flags & kSlave, "slave");
  add(flags & kSentinel, "sentinel");
  add(disconnected(), "disconnected");
  add(flags & kMasterDown, "master_down");
  add(flags & kFailoverInProgress, "failover_in_progress");
  add(flags & kPromoted, "promoted");
  add(flags & kReconfSent, "reconf_sent");
  add(flags & kReconfInprog, "reconf_inprog");
  add(flags & kReconfDone, "reconf_done");
  add(flags & kForceFailover, "force_failover");
  add(flags & kScriptKillSent, "script_kill_sent");
  return out;
}

std::string Instance::MapCommand(std::string_view command) const {
  const Instance* ri = master ? master : this;
  auto it = ri->renamed_commands.find(config::ToLower(command));
  return it != ri->renamed_commands.end() ? it->second : std::string(command);
}

Instance* GlobalState::FindMaster(std::string_view name) const {
  for (const auto& m : masters) {
    if (m->name == name) return m.get();
  }
  return nullptr;
}

const std::string& AnnounceAddr(const GlobalState& g, const Addr& a) {
  return g.announce_hostnames ? a.hostname : a.ip;
}

std::string AnnounceAddrAndPort(const GlobalState& g, const Addr& a) {
  const std::string& host = AnnounceAddr(g, a);
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(a.port);
  return host + ":" + std::to_string(a.port);
}

namespace {

// anetResolve: with ip_only, only literal addresses are accepted.
bool ResolveImpl(std::string_view host, bool ip_only, std::string& ip) {
  std::string h(host);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  if (ip_only) hints.ai_flags = AI_NUMERICHOST;
  addrinfo* res = nullptr;
  if (getaddrinfo(h.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) return false;
  char buf[INET6_ADDRSTRLEN] = {0};
  if (res->ai_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr, buf, sizeof(buf));
  } else {
    inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(res->ai_addr)->sin6_addr, buf,
              sizeof(buf));
  }
  freeaddrinfo(res);
  ip = buf;
  return true;
}

}  // namespace

bool ResolveHost(std::string_view host, bool ip_only, std::string& ip) {
  return ResolveImpl(host, ip_only, ip);
}

bool MakeAddr(const GlobalState& g, std::string_view host, long long port, bool accept_unresolved,
              Addr& out, std::string* error) {
  if (port < 0 || port > 65535) {
    if (error) *error = "Invalid port number.";
    return false;
  }
  std::string ip;
  if (!ResolveImpl(host, !g.resolve_hostnames, ip)) {
    if (g.resolve_hostnames && accept_unresolved) {
      ip.clear();
    } else {
      if (error) *error = "Can't resolve instance hostname.";
      return false;
    }
  }
  out.hostname = std::string(host);
  out.ip = ip;
  out.port = static_cast<int>(port);
  return true;
}

bool AddrEqual(const Addr& a, const Addr& b) {
  return a.port == b.port && strcasecmp(a.ip.c_str(), b.ip.c_str()) == 0;
}

bool AddrEqualsHostname(const GlobalState& g, const Addr& a, std::string_view hostname) {
  std::string ip;
  if (!ResolveImpl(hostname, !g.resolve_hostnames, ip)) return false;
  return strcasecmp(a.ip.c_str(), ip.c_str()) == 0;
}

std::shared_ptr<Instance> CreateInstance(GlobalState& g, std::string_view name, uint32_t type,
                                         std::string_view host, long long port, unsigned quorum,
                                         Instance* master, std::string* error) {
  Addr addr;
  if (!MakeAddr(g, host, port, /*accept_unresolved=*/true, addr, error)) return nullptr;
  std::string key = (type & kSlave) ? AnnounceAddrAndPort(g, addr) : std::string(name);
  std::vector<std::shared_ptr<Instance>>* table = &g.masters;
  if (type & kSlave) table = &master->slaves;
  if (type & kSentinel) table = &master->sentinels;
  for (const auto& ri : *table) {
    if (ri->name == key) {
      if (error) {
        *error = (type & kMaster)  ? "Duplicate master name."
                 : (type & kSlave) ? "Duplicate hostname and port for replica."
                                   : "Duplicate runid for sentinel.";
      }
      return nullptr;
    }
  }
  auto ri = std::make_shared<Instance>(type, std::move(key), std::move(addr), NowMs());
  ri->quorum = quorum;
  ri->master = master;
  ri->down_after_period = master ? master->down_after_period : g.timing.default_down_after;
  ri->failover_timeout = g.timing.default_failover_timeout;
  table->push_back(ri);
  return ri;
}

Instance* FindSlave(const GlobalState& g, const Instance& master, std::string_view host, int port) {
  Addr addr;
  if (!MakeAddr(g, host, port, false, addr, nullptr)) return nullptr;
  const std::string key = AnnounceAddrAndPort(g, addr);
  for (const auto& s : master.slaves) {
    if (s->name == key) return s.get();
  }
  return nullptr;
}

Instance* FindByAddrAndRunId(const GlobalState& g,
                             const std::vector<std::shared_ptr<Instance>>& table,
                             std::string_view host, int port, std::string_view runid) {
  Addr want;
  bool by_addr = !host.empty();
  if (by_addr && !MakeAddr(g, host, port, true, want, nullptr)) return nullptr;
  for (const auto& ri : table) {
    if (!runid.empty() && ri->runid.empty()) continue;
    bool runid_ok = runid.empty() || ri->runid == runid;
    bool addr_ok = !by_addr || (ri->addr.port == want.port &&
                                (ri->addr.ip == want.ip || strcasecmp(ri->addr.hostname.c_str(),
                                                                      want.hostname.c_str()) == 0));
    if (runid_ok && addr_ok) return ri.get();
  }
  return nullptr;
}

}  // namespace tandem::sentinel
