// Sentinel core: events, config flush, links, monitoring, down detection, election, failover and
// the timer. Function names map to sentinel.c's (sentinelEvent, sentinelReconnectInstance,
// sentinelRefreshInstanceInfo, sentinelProcessHelloMessage, sentinelFailover*...).
#include "sentinel/sentinel.h"

#include <fmt/format.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "config/glob.h"
#include "sentinel/hello.h"
#include "sentinel/info_parse.h"

extern char** environ;

namespace tandem::sentinel {

using config::Level;

namespace {

constexpr std::string_view kHelloChannel = "__sentinel__:hello";

int RandomInt(int bound) {
  static std::mt19937 rng(std::random_device{}());
  if (bound <= 0) return 0;
  return static_cast<int>(rng() % static_cast<unsigned>(bound));
}

std::string RandomHex(size_t n) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  std::random_device rd;
  for (size_t i = 0; i < n; ++i) out += hex[rd() % 16];
  return out;
}

}  // namespace

Sentinel::Sentinel(uv_loop_t* loop, std::string config_path, ServerOptions opts, GlobalState state)
    : loop_(loop),
      config_path_(std::move(config_path)),
      opts_(std::move(opts)),
      g_(std::move(state)) {}

Sentinel::~Sentinel() = default;

// ============================== Events ==========================================================

std::string Sentinel::Describe(const Instance& ri) const {
  const Instance* master = ri.is_master() ? nullptr : ri.master;
  if (master) {
    return fmt::format("{} {} {} {} @ {} {} {}", ri.TypeName(), ri.name, AnnounceAddr(g_, ri.addr),
                       ri.addr.port, master->name, AnnounceAddr(g_, master->addr),
                       master->addr.port);
  }
  return fmt::format("{} {} {} {}", ri.TypeName(), ri.name, AnnounceAddr(g_, ri.addr),
                     ri.addr.port);
}

void Sentinel::Event(Level level, std::string_view type, const Instance* ri, std::string_view rest,
                     bool describe) {
  std::string msg = ri && describe ? Describe(*ri) : std::string();
  msg += rest;
  config::Log(level, "{} {}", type, msg);
  if (level != Level::kDebug) Publish(type, msg);
  if (level == Level::kWarning && ri != nullptr) {
    const Instance* master = ri->is_master() ? ri : ri->master;
    if (master && !master->notification_script.empty()) {
      ScheduleScript(master->notification_script, {std::string(type), msg});
    }
  }
}

bool Sentinel::FlushConfig() {
  std::string old;
  {
    std::ifstream in(config_path_, std::ios::binary);
    if (in) {
      std::stringstream ss;
      ss << in.rdbuf();
      old = ss.str();
    }
  }
  auto r = WriteFileAtomic(config_path_, RenderSentinelConfig(old, g_));
  if (!r) {
    config::Log(Level::kWarning,
                "WARNING: Sentinel was not able to save the new configuration on disk!!!: {}",
                r.error());
    return false;
  }
  config::Log(Level::kNotice, "Sentinel new configuration saved on disk");
  return true;
}

// ============================== Links ===========================================================

bool Sentinel::Send(Instance& ri, net::RespClient* c, const std::vector<std::string>& args,
                    ReplyFn cb) {
  if (c == nullptr || !c->connected()) return false;
  std::vector<std::string_view> v(args.begin(), args.end());
  std::weak_ptr<Instance> weak = ri.weak_from_this();
  bool ok = c->Send(v, [weak, cb = std::move(cb)](const resp::Value* reply, std::string_view) {
    auto sp = weak.lock();
    if (!sp || sp->removed) return;
    if (sp->link.pending_commands > 0) sp->link.pending_commands--;
    if (reply && cb) cb(*sp, *reply);
  });
  if (ok) ri.link.pending_commands++;
  return ok;
}

void Sentinel::SendAuthIfNeeded(Instance& ri, net::RespClient* c) {
  std::string pass, user;
  if (ri.is_master()) {
    pass = ri.auth_pass;
    user = ri.auth_user;
  } else if (ri.is_slave()) {
    pass = ri.master->auth_pass;
    user = ri.master->auth_user;
  } else if (ri.is_sentinel()) {
    if (!g_.sentinel_auth_pass.empty()) {
      pass = g_.sentinel_auth_pass;
      user = g_.sentinel_auth_user;
    } else {
      pass = opts_.requirepass;  // old configs: one password for every Sentinel
    }
  }
  if (pass.empty()) return;
  std::vector<std::string> args{ri.MapCommand("AUTH")};
  if (!user.empty()) args.push_back(user);
  args.push_back(pass);
  Send(ri, c, args, [this](Instance& r, const resp::Value& v) {
    if (v.is_error()) {
      config::Log(Level::kWarning, "AUTH to {} failed: {}", Describe(r), v.str);
    }
  });
}

void Sentinel::ReconnectInstance(Instance& ri) {
  if (ri.addr.port == 0 || ri.addr.ip.empty()) return;
  const bool need_pc = !ri.is_sentinel();
  if (ri.link.cc && (!need_pc || ri.link.pc)) return;
  int64_t now = NowMs();
  if (now - ri.link.last_reconn_time < g_.timing.ping_period) return;
  ri.link.last_reconn_time = now;

  net::RespClient::Options o;
  o.host = ri.addr.ip;
  o.port = ri.addr.port;
  o.connect_timeout_ms = static_cast<int>(std::max<int64_t>(g_.timing.ping_period, 1000));
  o.min_backoff_ms = static_cast<int>(g_.timing.ping_period);
  o.max_backoff_ms = static_cast<int>(g_.timing.ping_period);
  std::weak_ptr<Instance> weak = ri.weak_from_this();
  const std::string setname_prefix = "sentinel-" + g_.myid.substr(0, 8) + "-";

  if (!ri.link.cc) {
    ri.link.cc = std::make_unique<net::RespClient>(loop_, o);
    net::RespClient* cc = ri.link.cc.get();
    cc->set_on_connect([this, weak, cc, setname_prefix] {
      auto sp = weak.lock();
      if (!sp || sp->removed) return;
      sp->link.pending_commands = 0;
      sp->link.cc_conn_time = NowMs();
      SendAuthIfNeeded(*sp, cc);
      Send(*sp, cc, {sp->MapCommand("CLIENT"), "SETNAME", setname_prefix + "cmd"}, nullptr);
      SendPing(*sp);
    });
    cc->set_on_disconnect([this, weak](std::string_view why) {
      auto sp = weak.lock();
      if (!sp || sp->removed) return;
      sp->link.pending_commands = 0;
      // Redis reconnects at once and queues a PING on the new connection, so the down timer
      // starts when the link drops (not at the last PONG): a master restarting within
      // down-after-milliseconds is not flagged SDOWN.
      if (sp->link.act_ping_time == 0) sp->link.act_ping_time = NowMs();
      Event(Level::kDebug, "-cmd-link-reconnection", sp.get(), fmt::format(" #{}", why));
      ReconnectPromptly(*sp, /*pubsub=*/false);
    });
    cc->Start();
  }
  if (need_pc && !ri.link.pc) {
    ri.link.pc = std::make_unique<net::RespClient>(loop_, o);
    net::RespClient* pc = ri.link.pc.get();
    pc->set_on_connect([this, weak, pc, setname_prefix] {
      auto sp = weak.lock();
      if (!sp || sp->removed) return;
      sp->link.pc_conn_time = NowMs();
      sp->link.pc_last_activity = NowMs();
      SendAuthIfNeeded(*sp, pc);
      Send(*sp, pc, {sp->MapCommand("CLIENT"), "SETNAME", setname_prefix + "pubsub"}, nullptr);
      Send(*sp, pc, {sp->MapCommand("SUBSCRIBE"), std::string(kHelloChannel)},
           [](Instance& r, const resp::Value&) { r.link.pc_last_activity = NowMs(); });
    });
    pc->set_on_disconnect([this, weak](std::string_view why) {
      auto sp = weak.lock();
      if (!sp || sp->removed) return;
      Event(Level::kDebug, "-pubsub-link-reconnection", sp.get(), fmt::format(" #{}", why));
      ReconnectPromptly(*sp, /*pubsub=*/true);
    });
    pc->set_on_push([this, weak](const resp::Value& v) {
      auto sp = weak.lock();
      if (!sp || sp->removed) return;
      OnPubSubMessage(*sp, v);
    });
    pc->Start();
  }
}

// Called from a link's disconnect handler, i.e. inside RespClient::Drop: closing the link here is
// safe because CloseCc/ClosePc park it in dead_links_ (freed at the next timer tick), and a
// stopped RespClient schedules no reconnect of its own.
void Sentinel::ReconnectPromptly(Instance& ri, bool pubsub) {
  if (NowMs() - ri.link.last_reconn_time < g_.timing.ping_period) return;  // RespClient retries
  if (pubsub) {
    ClosePc(ri);
  } else {
    CloseCc(ri);
  }
}

void Sentinel::CloseCc(Instance& ri) {
  if (!ri.link.cc) return;
  ri.link.cc->Stop();
  dead_links_.push_back(std::move(ri.link.cc));
  ri.link.pending_commands = 0;
}

void Sentinel::ClosePc(Instance& ri) {
  if (!ri.link.pc) return;
  ri.link.pc->Stop();
  dead_links_.push_back(std::move(ri.link.pc));
}

void Sentinel::DropInstanceConnections(Instance& master) {
  CloseCc(master);
  ClosePc(master);
  for (auto& s : master.slaves) {
    CloseCc(*s);
    ClosePc(*s);
  }
}

int Sentinel::DropSentinelConnections() {
  int dropped = 0;
  for (auto& m : g_.masters) {
    for (auto& s : m->sentinels) {
      if (!s->disconnected()) dropped++;
      CloseCc(*s);
    }
  }
  return dropped;
}

void Sentinel::RemoveInstance(std::shared_ptr<Instance> ri) {
  ri->removed = true;
  for (auto& s : ri->slaves) RemoveInstance(s);
  for (auto& s : ri->sentinels) RemoveInstance(s);
  ri->slaves.clear();
  ri->sentinels.clear();
  CloseCc(*ri);
  ClosePc(*ri);
  dead_instances_.push_back(std::move(ri));
}

// ============================== Periodic commands ===============================================

bool Sentinel::SendPing(Instance& ri) {
  bool ok = Send(ri, ri.link.cc.get(), {ri.MapCommand("PING")},
                 [this](Instance& r, const resp::Value& v) { OnPingReply(r, v); });
  if (ok) {
    ri.link.last_ping_time = NowMs();
    if (ri.link.act_ping_time == 0) ri.link.act_ping_time = ri.link.last_ping_time;
  }
  return ok;
}

void Sentinel::OnPingReply(Instance& ri, const resp::Value& r) {
  int64_t now = NowMs();
  if (r.type == resp::Type::kSimpleString || r.is_error()) {
    const std::string& s = r.str;
    if (s.starts_with("PONG") || s.starts_with("LOADING") || s.starts_with("MASTERDOWN")) {
      ri.link.last_avail_time = now;
      ri.link.act_ping_time = 0;
      if ((ri.flags & kMasterReboot) && s.starts_with("PONG")) ri.flags &= ~kMasterReboot;
    } else {
      if (s.starts_with("BUSY") && (ri.flags & kSDown) && !(ri.flags & kScriptKillSent)) {
        Send(ri, ri.link.cc.get(), {ri.MapCommand("SCRIPT"), "KILL"}, nullptr);
        ri.flags |= kScriptKillSent;
      }
      config::Log(Level::kVerbose, "PING reply from {} is not valid: {}", Describe(ri), s);
    }
  }
  ri.link.last_pong_time = now;
}

bool Sentinel::SendHello(Instance& ri) {
  if (ri.disconnected()) return false;
  Instance& master = ri.is_master() ? ri : *ri.master;
  const Addr& maddr = CurrentMasterAddress(master);
  Hello h;
  h.ip = !g_.announce_ip.empty() ? g_.announce_ip : ri.link.cc->local_ip();
  if (h.ip.empty()) return false;
  h.port = g_.announce_port ? g_.announce_port : opts_.port;
  h.runid = g_.myid;
  h.current_epoch = g_.current_epoch;
  h.master_name = master.name;
  h.master_ip = AnnounceAddr(g_, maddr);
  h.master_port = maddr.port;
  h.master_config_epoch = master.config_epoch;
  return Send(ri, ri.link.cc.get(),
              {ri.MapCommand("PUBLISH"), std::string(kHelloChannel), FormatHello(h)},
              [](Instance& r, const resp::Value& v) {
                if (!v.is_error()) r.last_pub_time = NowMs();
              });
}

void Sentinel::SendPeriodicCommands(Instance& ri) {
  if (ri.disconnected()) return;
  if (ri.link.pending_commands >= kMaxPendingCommands) return;
  int64_t now = NowMs();
  int64_t info_period = g_.timing.info_period;
  if (ri.is_slave() &&
      ((ri.master->flags & (kODown | kFailoverInProgress)) || ri.master_link_down_time != 0)) {
    info_period = 1000;
  }
  int64_t ping_period = std::min(ri.down_after_period, g_.timing.ping_period);
  if (!ri.is_sentinel() && (ri.info_refresh == 0 || now - ri.info_refresh > info_period)) {
    Send(ri, ri.link.cc.get(), {ri.MapCommand("INFO")}, [this](Instance& r, const resp::Value& v) {
      if (v.type == resp::Type::kBulk) {
        RefreshInstanceInfo(r, v.str);
      } else if (v.type == resp::Type::kVerbatim) {
        RefreshInstanceInfo(r, v.str.size() >= 4 ? v.str.substr(4) : v.str);
      }
    });
  }
  if (now - ri.link.last_pong_time > ping_period &&
      now - ri.link.last_ping_time > ping_period / 2) {
    SendPing(ri);
  }
  if (now - ri.last_pub_time > g_.timing.publish_period) SendHello(ri);
}

// ============================== INFO ============================================================

bool Sentinel::MasterLooksSane(const Instance& m) const {
  return m.is_master() && m.role_reported == kMaster && (m.flags & (kSDown | kODown)) == 0 &&
         NowMs() - m.info_refresh < g_.timing.info_period * 2;
}

bool Sentinel::NoDownFor(const Instance& ri, int64_t ms) const {
  int64_t most_recent = std::max(ri.s_down_since_time, ri.o_down_since_time);
  return most_recent == 0 || NowMs() - most_recent > ms;
}

const Addr& Sentinel::CurrentMasterAddress(const Instance& m) const {
  if ((m.flags & kFailoverInProgress) && m.promoted_slave &&
      m.failover_state >= FailoverState::kReconfSlaves) {
    return m.promoted_slave->addr;
  }
  return m.addr;
}

void Sentinel::RefreshInstanceInfo(Instance& ri, const std::string& info) {
  const int64_t now = NowMs();
  ri.info = info;
  ri.has_info = true;
  InfoReport rep = ParseInfo(info);
  ri.master_link_down_time = rep.master_link_down_ms;

  if (!rep.run_id.empty()) {
    if (ri.runid.empty()) {
      ri.runid = rep.run_id;
    } else if (ri.runid != rep.run_id) {
      Event(Level::kNotice, "+reboot", &ri);
      if (ri.is_master() && ri.master_reboot_down_after_period != 0) {
        ri.flags |= kMasterReboot;
        ri.master_reboot_since_time = now;
      }
      ri.runid = rep.run_id;
    }
  }
  if (ri.is_master()) {
    for (const auto& [ip, port] : rep.slaves) {
      if (FindSlave(g_, ri, ip, port) != nullptr) continue;
      if (auto slave = CreateInstance(g_, "", kSlave, ip, port, ri.quorum, &ri, nullptr)) {
        Event(Level::kNotice, "+slave", slave.get());
        FlushConfig();
      }
    }
  }
  uint32_t role = 0;
  if (rep.role == InfoReport::Role::kMaster) role = kMaster;
  if (rep.role == InfoReport::Role::kSlave) role = kSlave;
  if (role == kSlave) {
    if (rep.has_master_host &&
        (!ri.has_slave_master_host ||
         strcasecmp(rep.master_host.c_str(), ri.slave_master_host.c_str()))) {
      ri.slave_master_host = rep.master_host;
      ri.has_slave_master_host = true;
      ri.slave_conf_change_time = now;
    }
    if (rep.has_master_port && ri.slave_master_port != rep.master_port) {
      ri.slave_master_port = rep.master_port;
      ri.slave_conf_change_time = now;
    }
    if (rep.has_link_status) ri.slave_master_link_up = rep.master_link_up;
    if (rep.has_priority) ri.slave_priority = rep.slave_priority;
    if (rep.has_repl_offset) ri.slave_repl_offset = rep.slave_repl_offset;
    if (rep.has_replica_announced) ri.replica_announced = rep.replica_announced;
  }
  ri.info_refresh = now;

  // ---- acting half ----
  if (role != ri.role_reported) {
    ri.role_reported_time = now;
    ri.role_reported = role;
    if (role == kSlave) ri.slave_conf_change_time = now;
    Event(Level::kVerbose,
          (ri.flags & (kMaster | kSlave)) == role ? "+role-change" : "-role-change", &ri,
          fmt::format(" new reported role is {}", role == kMaster ? "master" : "slave"));
  }
  if (g_.tilt) return;

  // A replica turned master.
  if (ri.is_slave() && role == kMaster) {
    Instance& m = *ri.master;
    if ((ri.flags & kPromoted) && (m.flags & kFailoverInProgress) &&
        m.failover_state == FailoverState::kWaitPromotion) {
      m.config_epoch = m.failover_epoch;
      m.failover_state = FailoverState::kReconfSlaves;
      m.failover_state_change_time = now;
      FlushConfig();
      Event(Level::kWarning, "+promoted-slave", &ri);
      if (g_.simfailure_flags & kSimFailureCrashAfterPromotion) SimFailureCrash();
      Event(Level::kWarning, "+failover-state-reconf-slaves", &m);
      CallClientReconfScript(m, true, m.addr, ri.addr);
      ForceHelloUpdate(m);
    } else {
      int64_t wait_time = g_.timing.publish_period * 4;
      if (!(ri.flags & kPromoted) && MasterLooksSane(m) && NoDownFor(ri, wait_time) &&
          now - ri.role_reported_time > wait_time) {
        if (SendSlaveOf(ri, &m.addr)) Event(Level::kNotice, "+convert-to-slave", &ri);
      }
    }
  }

  // A replica replicating from the wrong master.
  if (ri.is_slave() && role == kSlave &&
      (ri.slave_master_port != ri.master->addr.port ||
       !AddrEqualsHostname(g_, ri.master->addr, ri.slave_master_host))) {
    int64_t wait_time = ri.master->failover_timeout;
    if (MasterLooksSane(*ri.master) && NoDownFor(ri, wait_time) &&
        now - ri.slave_conf_change_time > wait_time) {
      if (SendSlaveOf(ri, &ri.master->addr)) Event(Level::kNotice, "+fix-slave-config", &ri);
    }
  }

  // Progress of a replica being reconfigured.
  if (ri.is_slave() && role == kSlave && (ri.flags & (kReconfSent | kReconfInprog)) &&
      ri.master->promoted_slave) {
    const Addr& p = ri.master->promoted_slave->addr;
    if ((ri.flags & kReconfSent) && ri.has_slave_master_host &&
        AddrEqualsHostname(g_, p, ri.slave_master_host) && ri.slave_master_port == p.port) {
      ri.flags &= ~kReconfSent;
      ri.flags |= kReconfInprog;
      Event(Level::kNotice, "+slave-reconf-inprog", &ri);
    }
    if ((ri.flags & kReconfInprog) && ri.slave_master_link_up) {
      ri.flags &= ~kReconfInprog;
      ri.flags |= kReconfDone;
      Event(Level::kNotice, "+slave-reconf-done", &ri);
    }
  }
}

// ============================== Hello ===========================================================

void Sentinel::OnPubSubMessage(Instance& ri, const resp::Value& r) {
  ri.link.pc_last_activity = NowMs();
  if ((r.type != resp::Type::kArray && r.type != resp::Type::kPush) || r.elements.size() != 3)
    return;
  for (const auto& e : r.elements) {
    if (e.type != resp::Type::kBulk) return;
  }
  if (r.elements[0].str != "message") return;
  const std::string& payload = r.elements[2].str;
  if (payload.find(g_.myid) != std::string::npos) {
    // Our own hello, as Redis assumes; but a hello with our id from another address means two
    // Sentinels share a myid (a copied config) and will never count each other.
    auto h = ParseHello(payload);
    std::string me = !g_.announce_ip.empty() ? g_.announce_ip
                     : ri.link.cc            ? ri.link.cc->local_ip()
                                             : std::string();
    int my_port = g_.announce_port ? g_.announce_port : opts_.port;
    if (h && h->runid == g_.myid && !me.empty() && (h->ip != me || h->port != my_port)) {
      std::string peer = fmt::format("{}:{}", h->ip, h->port);
      if (duplicate_myid_peers_.insert(peer).second) {
        config::Log(Level::kWarning,
                    "The Sentinel at {} announces this Sentinel's myid {}: Sentinels sharing an "
                    "id ignore each other (give each its own sentinel.conf)",
                    peer, g_.myid);
      }
    }
    return;
  }
  ProcessHello(payload, Describe(ri));
}

void Sentinel::ProcessHello(std::string_view payload, std::string_view source) {
  auto parsed = ParseHello(payload);
  auto log_limited = [&](const std::string& key, const std::string& msg) {
    int64_t now = NowMs();
    auto& last = hello_log_time_[key];
    if (now - last < 10000) return;
    last = now;
    config::Log(Level::kNotice, "{}", msg);
  };
  if (!parsed) {
    log_limited("malformed:" + std::string(source),
                fmt::format("Ignoring malformed hello from {}: {} ('{}')", source, parsed.error(),
                            payload.substr(0, 200)));
    return;
  }
  const Hello& h = *parsed;
  Instance* master = g_.FindMaster(h.master_name);
  if (!master) {
    log_limited("unknown:" + h.master_name,
                fmt::format("Ignoring hello from {}:{} about unknown master '{}'", h.ip, h.port,
                            h.master_name));
    return;
  }
  Instance* si = FindByAddrAndRunId(g_, master->sentinels, h.ip, h.port, h.runid);
  if (!si) {
    // Same runid at another address: drop the old entries and re-add.
    size_t before = master->sentinels.size();
    std::vector<std::shared_ptr<Instance>> keep;
    for (auto& s : master->sentinels) {
      if (s->runid == h.runid) {
        RemoveInstance(s);
      } else {
        keep.push_back(s);
      }
    }
    master->sentinels = std::move(keep);
    bool removed = master->sentinels.size() != before;
    if (removed) {
      Event(Level::kNotice, "+sentinel-address-switch", master,
            fmt::format(" ip {} port {} for {}", h.ip, h.port, h.runid));
    } else if (Instance* other = FindByAddrAndRunId(g_, master->sentinels, h.ip, h.port, "")) {
      // Same address, different runid: the old one is gone, everywhere.
      Event(Level::kNotice, "+sentinel-invalid-addr", other);
      std::string obsolete = other->runid;
      for (auto& m : g_.masters) {
        std::vector<std::shared_ptr<Instance>> k;
        for (auto& s : m->sentinels) {
          if (!obsolete.empty() && s->runid == obsolete) {
            RemoveInstance(s);
          } else {
            k.push_back(s);
          }
        }
        m->sentinels = std::move(k);
      }
    }
    std::string err;
    auto added = CreateInstance(g_, h.runid, kSentinel, h.ip, h.port, master->quorum, master, &err);
    if (added) {
      added->runid = h.runid;
      if (!removed) Event(Level::kNotice, "+sentinel", added.get());
      FlushConfig();
      si = added.get();
    } else {
      config::Log(Level::kNotice, "Cannot add Sentinel {}:{} from hello: {}", h.ip, h.port, err);
    }
  }
  if (h.current_epoch > g_.current_epoch) {
    g_.current_epoch = h.current_epoch;
    FlushConfig();
    Event(Level::kWarning, "+new-epoch", master, fmt::format("{}", g_.current_epoch), false);
  }
  if (si && master->config_epoch < h.master_config_epoch) {
    master->config_epoch = h.master_config_epoch;
    if (h.master_port != master->addr.port || !AddrEqualsHostname(g_, master->addr, h.master_ip)) {
      Event(Level::kWarning, "+config-update-from", si);
      Event(Level::kWarning, "+switch-master", master,
            fmt::format("{} {} {} {} {}", master->name, AnnounceAddr(g_, master->addr),
                        master->addr.port, h.master_ip, h.master_port),
            /*describe=*/false);
      Addr old = master->addr;
      if (ResetMasterAndChangeAddress(*master, h.master_ip, h.master_port)) {
        CallClientReconfScript(*master, false, old, master->addr);
      }
    } else {
      FlushConfig();
    }
  }
  if (si) si->last_hello_time = NowMs();
}

void Sentinel::ForceHelloUpdate(Instance& master) {
  auto bump = [&](Instance& ri) {
    if (ri.last_pub_time >= g_.timing.publish_period + 1)
      ri.last_pub_time -= g_.timing.publish_period + 1;
  };
  bump(master);
  for (auto& s : master.sentinels) bump(*s);
  for (auto& s : master.slaves) bump(*s);
}

// ============================== Down detection ==================================================

void Sentinel::CheckSubjectivelyDown(Instance& ri) {
  const int64_t now = NowMs();
  int64_t elapsed = 0;
  // The PINGs travel on the command link, so only its state counts. Redis also counts a dropped
  // pub/sub link here: the reconfiguration transaction's CLIENT KILL TYPE pubsub then makes a
  // replica that answered its last PING up to a ping period ago look down for the moment until
  // the link is back, a false +sdown whenever down-after-milliseconds is near the ping period.
  if (ri.link.act_ping_time) {
    elapsed = now - ri.link.act_ping_time;
  } else if (!ri.link.cc_up()) {
    elapsed = now - ri.link.last_avail_time;
  }
  const Timing& t = g_.timing;
  // Reconnect links that look stuck.
  if (ri.link.cc && ri.link.cc_up() && now - ri.link.cc_conn_time > t.min_link_reconnect_period &&
      ri.link.act_ping_time != 0 && now - ri.link.act_ping_time > ri.down_after_period / 2 &&
      now - ri.link.last_pong_time > ri.down_after_period / 2) {
    config::Log(Level::kVerbose, "Reconnecting the stalled command link of {}", Describe(ri));
    CloseCc(ri);
  }
  if (ri.link.pc && ri.link.pc_up() && now - ri.link.pc_conn_time > t.min_link_reconnect_period &&
      now - ri.link.pc_last_activity > t.publish_period * 3) {
    config::Log(Level::kVerbose, "Reconnecting the idle pub/sub link of {}", Describe(ri));
    ClosePc(ri);
  }
  bool no_reply = elapsed > ri.down_after_period;
  bool wrong_role = ri.is_master() && ri.role_reported == kSlave &&
                    now - ri.role_reported_time > ri.down_after_period + t.info_period * 2;
  bool rebooting = (ri.flags & kMasterReboot) &&
                   now - ri.master_reboot_since_time > ri.master_reboot_down_after_period;
  if (no_reply || wrong_role || rebooting) {
    if (!(ri.flags & kSDown)) {
      if (no_reply) {
        config::Log(Level::kNotice,
                    "{} is subjectively down: no valid PING reply for {} ms "
                    "(down-after-milliseconds {}){}",
                    Describe(ri), elapsed, ri.down_after_period,
                    ri.link.cc_up() ? "" : ", command link disconnected");
      } else if (wrong_role) {
        config::Log(Level::kNotice, "{} is subjectively down: it reports role:slave for {} ms",
                    Describe(ri), now - ri.role_reported_time);
      } else {
        config::Log(Level::kNotice, "{} is subjectively down: rebooted {} ms ago", Describe(ri),
                    now - ri.master_reboot_since_time);
      }
      Event(Level::kWarning, "+sdown", &ri);
      ri.s_down_since_time = now;
      ri.flags |= kSDown;
    }
  } else if (ri.flags & kSDown) {
    Event(Level::kWarning, "-sdown", &ri);
    ri.flags &= ~(kSDown | kScriptKillSent);
  }
}

void Sentinel::CheckObjectivelyDown(Instance& m) {
  unsigned quorum = 0;
  bool odown = false;
  std::vector<std::string> agreeing;
  if (m.flags & kSDown) {
    quorum = 1;
    for (auto& s : m.sentinels) {
      if (s->flags & kMasterDown) {
        quorum++;
        agreeing.push_back(AnnounceAddrAndPort(g_, s->addr));
      }
    }
    if (quorum >= m.quorum) odown = true;
  }
  if (odown) {
    if (!(m.flags & kODown)) {
      std::string who;
      for (auto& a : agreeing) who += (who.empty() ? "" : ", ") + a;
      config::Log(Level::kNotice, "{} is objectively down: {} of quorum {} agree (me{}{})",
                  Describe(m), quorum, m.quorum, who.empty() ? "" : ", ", who);
      Event(Level::kWarning, "+odown", &m, fmt::format(" #quorum {}/{}", quorum, m.quorum));
      m.flags |= kODown;
      m.o_down_since_time = NowMs();
    }
  } else if (m.flags & kODown) {
    Event(Level::kWarning, "-odown", &m);
    m.flags &= ~kODown;
  }
}

void Sentinel::AskMasterStateToOtherSentinels(Instance& m, bool forced) {
  const int64_t now = NowMs();
  for (auto& sp : m.sentinels) {
    Instance& ri = *sp;
    if (now - ri.last_master_down_reply_time > g_.timing.ask_period * 5) {
      ri.flags &= ~kMasterDown;
      ri.leader.clear();
    }
    if (!(m.flags & kSDown)) continue;
    if (ri.disconnected()) continue;
    if (!forced && now - ri.last_master_down_reply_time < g_.timing.ask_period) continue;
    std::string runid = m.failover_state > FailoverState::kNone ? g_.myid : "*";
    Send(ri, ri.link.cc.get(),
         {ri.MapCommand("SENTINEL"), "is-master-down-by-addr", AnnounceAddr(g_, m.addr),
          std::to_string(m.addr.port), std::to_string(g_.current_epoch), runid},
         [](Instance& r, const resp::Value& v) {
           if (v.type != resp::Type::kArray || v.elements.size() != 3 ||
               v.elements[0].type != resp::Type::kInteger ||
               (v.elements[1].type != resp::Type::kBulk &&
                v.elements[1].type != resp::Type::kSimpleString) ||
               v.elements[2].type != resp::Type::kInteger) {
             return;
           }
           r.last_master_down_reply_time = NowMs();
           if (v.elements[0].integer == 1) {
             r.flags |= kMasterDown;
           } else {
             r.flags &= ~kMasterDown;
           }
           if (v.elements[1].str != "*") {
             if (static_cast<int64_t>(r.leader_epoch) != v.elements[2].integer) {
               config::Log(Level::kWarning, "{} voted for {} {}", r.name, v.elements[1].str,
                           v.elements[2].integer);
             }
             r.leader = v.elements[1].str;
             r.leader_epoch = static_cast<uint64_t>(v.elements[2].integer);
           }
         });
  }
}

// ============================== Failover ========================================================

VoteResult Sentinel::Vote(Instance& master, uint64_t req_epoch, std::string_view req_runid) {
  VoteResult r = VoteLeader(g_, master, req_epoch, req_runid, NowMs(), RandomInt(kMaxDesyncMs));
  // Persist before anyone sees the vote (the reply is written after this returns).
  if (r.new_epoch || r.voted) FlushConfig();
  if (r.new_epoch) {
    Event(Level::kWarning, "+new-epoch", &master, fmt::format("{}", g_.current_epoch), false);
  }
  if (r.voted) {
    Event(Level::kWarning, "+vote-for-leader", &master,
          fmt::format("{} {}", master.leader, master.leader_epoch), false);
  }
  return r;
}

void Sentinel::SimFailureCrash() {
  config::Log(Level::kWarning, "Sentinel CRASH because of SENTINEL simulate-failure");
  std::exit(99);
}

bool Sentinel::SendSlaveOf(Instance& ri, const Addr* addr) {
  std::string host = "NO", port = "ONE";
  if (addr) {
    host = AnnounceAddr(g_, *addr);
    port = std::to_string(addr->port);
  }
  net::RespClient* cc = ri.link.cc.get();
  // The transaction's replies are discarded: the effect is observed in later INFO output.
  if (!Send(ri, cc, {ri.MapCommand("MULTI")}, nullptr)) return false;
  if (!Send(ri, cc, {ri.MapCommand("SLAVEOF"), host, port}, nullptr)) return false;
  if (!Send(ri, cc, {ri.MapCommand("CONFIG"), "REWRITE"}, nullptr)) return false;
  if (!Send(ri, cc, {ri.MapCommand("CLIENT"), "KILL", "TYPE", "normal"}, nullptr)) return false;
  if (!Send(ri, cc, {ri.MapCommand("CLIENT"), "KILL", "TYPE", "pubsub"}, nullptr)) return false;
  if (!Send(ri, cc, {ri.MapCommand("EXEC")}, nullptr)) return false;
  return true;
}

void Sentinel::StartFailover(Instance& m) {
  m.failover_state = FailoverState::kWaitStart;
  m.flags |= kFailoverInProgress;
  m.failover_epoch = ++g_.current_epoch;
  Event(Level::kWarning, "+new-epoch", &m, fmt::format("{}", g_.current_epoch), false);
  Event(Level::kWarning, "+try-failover", &m);
  m.failover_start_time = NowMs() + RandomInt(kMaxDesyncMs);
  m.failover_state_change_time = NowMs();
}

bool Sentinel::StartFailoverIfNeeded(Instance& m) {
  if (!(m.flags & kODown)) return false;
  if (m.flags & kFailoverInProgress) return false;
  if (NowMs() - m.failover_start_time < m.failover_timeout * 2) {
    if (m.failover_delay_logged != m.failover_start_time) {
      time_t clock = static_cast<time_t>((m.failover_start_time + m.failover_timeout * 2) / 1000);
      char buf[26];
      ctime_r(&clock, buf);
      buf[24] = '\0';
      m.failover_delay_logged = m.failover_start_time;
      config::Log(Level::kWarning, "Next failover delay: I will not start a failover before {}",
                  buf);
    }
    return false;
  }
  StartFailover(m);
  return true;
}

void Sentinel::SetFailoverState(Instance& m, FailoverState s) {
  m.failover_state = s;
  m.failover_state_change_time = NowMs();
}

void Sentinel::AbortFailover(Instance& m) {
  m.flags &= ~(kFailoverInProgress | kForceFailover);
  SetFailoverState(m, FailoverState::kNone);
  if (m.promoted_slave) {
    m.promoted_slave->flags &= ~kPromoted;
    m.promoted_slave = nullptr;
  }
}

void Sentinel::FailoverWaitStart(Instance& m) {
  LeaderResult lr = GetLeader(g_, m, m.failover_epoch, NowMs(), RandomInt(kMaxDesyncMs));
  if (lr.my_vote.new_epoch || lr.my_vote.voted) FlushConfig();
  if (lr.my_vote.new_epoch) {
    Event(Level::kWarning, "+new-epoch", &m, fmt::format("{}", g_.current_epoch), false);
  }
  if (lr.my_vote.voted) {
    Event(Level::kWarning, "+vote-for-leader", &m, fmt::format("{} {}", m.leader, m.leader_epoch),
          false);
  }
  bool isleader = !lr.winner.empty() && strcasecmp(lr.winner.c_str(), g_.myid.c_str()) == 0;
  if (!isleader && !(m.flags & kForceFailover)) {
    int64_t election_timeout = std::min(g_.timing.election_timeout, m.failover_timeout);
    if (NowMs() - m.failover_start_time > election_timeout) {
      std::string votes;
      for (auto& s : m.sentinels) {
        votes += fmt::format(" {}={}@{}", AnnounceAddrAndPort(g_, s->addr),
                             s->leader.empty() ? "?" : s->leader.substr(0, 8), s->leader_epoch);
      }
      config::Log(Level::kNotice,
                  "Not elected for epoch {}: best candidate has {} of {} votes needed ({} "
                  "voters); votes seen:{}",
                  m.failover_epoch, lr.votes, lr.needed, lr.voters,
                  votes.empty() ? " none" : votes);
      Event(Level::kWarning, "-failover-abort-not-elected", &m);
      AbortFailover(m);
    }
    return;
  }
  config::Log(Level::kNotice, "Elected leader for epoch {} with {} votes ({} needed, {} voters)",
              m.failover_epoch, lr.votes, lr.needed, lr.voters);
  Event(Level::kWarning, "+elected-leader", &m);
  if (g_.simfailure_flags & kSimFailureCrashAfterElection) SimFailureCrash();
  SetFailoverState(m, FailoverState::kSelectSlave);
  Event(Level::kWarning, "+failover-state-select-slave", &m);
}

void Sentinel::FailoverSelectSlave(Instance& m) {
  std::vector<std::string> why;
  Instance* slave = SelectSlave(g_, m, NowMs(), &why);
  for (const auto& line : why) config::Log(Level::kNotice, "Replica selection: {}", line);
  if (!slave) {
    Event(Level::kWarning, "-failover-abort-no-good-slave", &m);
    AbortFailover(m);
    return;
  }
  Event(Level::kWarning, "+selected-slave", slave);
  slave->flags |= kPromoted;
  m.promoted_slave = slave;
  SetFailoverState(m, FailoverState::kSendSlaveofNoOne);
  Event(Level::kNotice, "+failover-state-send-slaveof-noone", slave);
}

void Sentinel::FailoverSendSlaveOfNoOne(Instance& m) {
  if (m.promoted_slave->disconnected()) {
    if (NowMs() - m.failover_state_change_time > m.failover_timeout) {
      Event(Level::kWarning, "-failover-abort-slave-timeout", &m);
      AbortFailover(m);
    }
    return;
  }
  if (!SendSlaveOf(*m.promoted_slave, nullptr)) return;
  Event(Level::kNotice, "+failover-state-wait-promotion", m.promoted_slave);
  SetFailoverState(m, FailoverState::kWaitPromotion);
}

void Sentinel::FailoverWaitPromotion(Instance& m) {
  if (NowMs() - m.failover_state_change_time > m.failover_timeout) {
    Event(Level::kWarning, "-failover-abort-slave-timeout", &m);
    AbortFailover(m);
  }
}

void Sentinel::FailoverDetectEnd(Instance& m) {
  const int64_t elapsed = NowMs() - m.failover_state_change_time;
  if (m.promoted_slave == nullptr || (m.promoted_slave->flags & kSDown)) return;
  int not_reconfigured = 0;
  bool timeout = false;
  for (auto& s : m.slaves) {
    if (s->flags & (kPromoted | kReconfDone)) continue;
    if (s->flags & kSDown) continue;
    not_reconfigured++;
  }
  if (elapsed > m.failover_timeout) {
    not_reconfigured = 0;
    timeout = true;
    Event(Level::kWarning, "+failover-end-for-timeout", &m);
  }
  if (not_reconfigured == 0) {
    Event(Level::kWarning, "+failover-end", &m);
    SetFailoverState(m, FailoverState::kUpdateConfig);
  }
  if (timeout) {
    for (auto& s : m.slaves) {
      if (s->flags & (kPromoted | kReconfDone | kReconfSent)) continue;
      if (s->disconnected()) continue;
      if (SendSlaveOf(*s, &m.promoted_slave->addr)) {
        Event(Level::kNotice, "+slave-reconf-sent-be", s.get());
        s->flags |= kReconfSent;
      }
    }
  }
}

void Sentinel::FailoverReconfNextSlave(Instance& m) {
  int in_progress = 0;
  for (auto& s : m.slaves) {
    if (s->flags & (kReconfSent | kReconfInprog)) in_progress++;
  }
  const int64_t now = NowMs();
  for (auto& sp : m.slaves) {
    if (in_progress >= m.parallel_syncs) break;
    Instance& s = *sp;
    if (s.flags & (kPromoted | kReconfDone)) continue;
    if ((s.flags & kReconfSent) &&
        now - s.slave_reconf_sent_time > g_.timing.slave_reconf_timeout) {
      Event(Level::kNotice, "-slave-reconf-sent-timeout", &s);
      s.flags &= ~kReconfSent;
      s.flags |= kReconfDone;
    }
    if (s.flags & (kReconfSent | kReconfInprog)) continue;
    if (s.disconnected()) continue;
    if (SendSlaveOf(s, &m.promoted_slave->addr)) {
      s.flags |= kReconfSent;
      s.slave_reconf_sent_time = now;
      Event(Level::kNotice, "+slave-reconf-sent", &s);
      in_progress++;
    }
  }
  FailoverDetectEnd(m);
}

void Sentinel::FailoverSwitchToPromotedSlave(Instance& m) {
  const Instance& ref = m.promoted_slave ? *m.promoted_slave : m;
  std::string host = ref.addr.hostname;
  int port = ref.addr.port;
  Event(Level::kWarning, "+switch-master", &m,
        fmt::format("{} {} {} {} {}", m.name, AnnounceAddr(g_, m.addr), m.addr.port,
                    AnnounceAddr(g_, ref.addr), ref.addr.port),
        /*describe=*/false);
  ResetMasterAndChangeAddress(m, host, port);
}

void Sentinel::FailoverStateMachine(Instance& m) {
  if (!(m.flags & kFailoverInProgress)) return;
  switch (m.failover_state) {
    case FailoverState::kWaitStart:
      FailoverWaitStart(m);
      break;
    case FailoverState::kSelectSlave:
      FailoverSelectSlave(m);
      break;
    case FailoverState::kSendSlaveofNoOne:
      FailoverSendSlaveOfNoOne(m);
      break;
    case FailoverState::kWaitPromotion:
      FailoverWaitPromotion(m);
      break;
    case FailoverState::kReconfSlaves:
      FailoverReconfNextSlave(m);
      break;
    case FailoverState::kNone:
    case FailoverState::kUpdateConfig:
      break;
  }
}

void Sentinel::CallClientReconfScript(Instance& m, bool leader, const Addr& from, const Addr& to) {
  if (m.client_reconfig_script.empty()) return;
  ScheduleScript(m.client_reconfig_script,
                 {m.name, leader ? "leader" : "observer", "start", AnnounceAddr(g_, from),
                  std::to_string(from.port), AnnounceAddr(g_, to), std::to_string(to.port)});
}

// ============================== Reset ===========================================================

void Sentinel::ResetMaster(Instance& m, int flags) {
  for (auto& s : m.slaves) RemoveInstance(s);
  m.slaves.clear();
  if (!(flags & kResetNoSentinels)) {
    for (auto& s : m.sentinels) RemoveInstance(s);
    m.sentinels.clear();
  }
  CloseCc(m);
  ClosePc(m);
  m.flags &= kMaster;
  m.leader.clear();
  m.failover_state = FailoverState::kNone;
  m.failover_state_change_time = 0;
  m.failover_start_time = 0;
  m.promoted_slave = nullptr;
  m.runid.clear();
  m.slave_master_host.clear();
  m.has_slave_master_host = false;
  int64_t now = NowMs();
  m.link.act_ping_time = now;
  m.link.last_ping_time = 0;
  m.link.last_avail_time = now;
  m.link.last_pong_time = now;
  m.role_reported_time = now;
  m.role_reported = kMaster;
  if (flags & kResetGenerateEvent) Event(Level::kWarning, "+reset-master", &m);
}

int Sentinel::ResetMastersByPattern(std::string_view pattern, int flags) {
  int n = 0;
  for (auto& m : g_.masters) {
    if (config::GlobMatch(pattern, m->name, false)) {
      ResetMaster(*m, flags);
      n++;
    }
  }
  return n;
}

bool Sentinel::ResetMasterAndChangeAddress(Instance& m, const std::string& host, int port) {
  Addr newaddr;
  if (!MakeAddr(g_, host, port, false, newaddr, nullptr)) return false;
  std::vector<Addr> slaves;
  for (auto& s : m.slaves) {
    if (AddrEqual(s->addr, newaddr)) continue;
    slaves.push_back(s->addr);
  }
  if (!AddrEqual(newaddr, m.addr)) slaves.push_back(m.addr);
  ResetMaster(m, kResetNoSentinels);
  m.addr = newaddr;
  m.o_down_since_time = 0;
  m.s_down_since_time = 0;
  for (const Addr& a : slaves) {
    if (auto s = CreateInstance(g_, "", kSlave, a.hostname, a.port, m.quorum, &m, nullptr)) {
      Event(Level::kNotice, "+slave", s.get());
    }
  }
  FlushConfig();
  return true;
}

// ============================== Scripts =========================================================

void Sentinel::ScheduleScript(const std::string& path, std::vector<std::string> args) {
  ScriptJob job;
  job.argv.push_back(path);
  for (auto& a : args) job.argv.push_back(std::move(a));
  scripts_.push_back(std::move(job));
  while (scripts_.size() > 256) {
    auto it = std::find_if(scripts_.begin(), scripts_.end(),
                           [](const ScriptJob& j) { return j.pid == 0; });
    if (it == scripts_.end()) break;
    scripts_.erase(it);
  }
}

void Sentinel::RunScripts() {
  int64_t now = NowMs();
  for (auto& j : scripts_) {
    if (running_scripts_ >= 16) break;
    if (j.pid != 0) continue;
    if (j.start_time && j.start_time > now) continue;  // a retry that is not due yet
    std::vector<char*> argv;
    for (auto& a : j.argv) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = fork();
    if (pid == 0) {
      execve(argv[0], argv.data(), environ);
      _exit(2);
    }
    if (pid < 0) {
      Event(Level::kWarning, "-script-error", nullptr, fmt::format("{} 99 0", j.argv[0]));
      continue;
    }
    j.pid = pid;
    j.start_time = now;
    j.retry_num++;
    running_scripts_++;
    Event(Level::kDebug, "+script-child", nullptr, fmt::format("{}", pid));
  }
  int status = 0;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    Event(Level::kDebug, "-script-child", nullptr, fmt::format("{} {} {}", pid, code, sig));
    auto it = std::find_if(scripts_.begin(), scripts_.end(),
                           [pid](const ScriptJob& j) { return j.pid == pid; });
    if (it == scripts_.end()) continue;
    running_scripts_--;
    // Killed by a signal or exit code 1 ("please retry"): run again later, with a delay that
    // doubles on every retry, at most 10 times (sentinelCollectTerminatedScripts).
    if ((sig || code == 1) && it->retry_num != 10) {
      int64_t delay = g_.timing.script_retry_delay;
      for (int r = it->retry_num; r > 1; --r) delay *= 2;
      it->pid = 0;
      it->start_time = NowMs() + delay;
      continue;
    }
    if (sig || code != 0) {
      Event(Level::kWarning, "-script-error", nullptr,
            fmt::format("{} {} {}", it->argv[0], sig, code));
    }
    scripts_.erase(it);
  }
  for (auto& j : scripts_) {
    if (j.pid != 0 && now - j.start_time > g_.timing.script_max_runtime) {
      Event(Level::kWarning, "-script-timeout", nullptr, fmt::format("{} {}", j.argv[0], j.pid));
      kill(j.pid, SIGKILL);
    }
  }
}

// ============================== Timer ===========================================================

void Sentinel::HandleInstance(Instance& ri) {
  ReconnectInstance(ri);
  SendPeriodicCommands(ri);
  if (g_.tilt) {
    if (NowMs() - g_.tilt_start_time < g_.timing.tilt_period) return;
    g_.tilt = false;
    Event(Level::kWarning, "-tilt", nullptr, "#tilt mode exited");
  }
  CheckSubjectivelyDown(ri);
  if (ri.is_master()) {
    CheckObjectivelyDown(ri);
    if (StartFailoverIfNeeded(ri)) AskMasterStateToOtherSentinels(ri, true);
    FailoverStateMachine(ri);
    AskMasterStateToOtherSentinels(ri, false);
  }
}

void Sentinel::HandleTable(std::vector<std::shared_ptr<Instance>> table) {
  Instance* switch_to_promoted = nullptr;
  for (auto& ri : table) {
    if (ri->removed) continue;
    HandleInstance(*ri);
    if (ri->is_master()) {
      HandleTable(ri->slaves);
      HandleTable(ri->sentinels);
      if (ri->failover_state == FailoverState::kUpdateConfig) switch_to_promoted = ri.get();
    }
  }
  if (switch_to_promoted) FailoverSwitchToPromotedSlave(*switch_to_promoted);
}

void Sentinel::CheckTiltCondition() {
  int64_t now = NowMs();
  int64_t delta = now - g_.previous_time;
  if (delta < 0 || delta > g_.timing.tilt_trigger) {
    config::Log(Level::kNotice, "Timer ran {} ms after the previous run (trigger {} ms)", delta,
                g_.timing.tilt_trigger);
    g_.tilt = true;
    g_.tilt_start_time = now;
    Event(Level::kWarning, "+tilt", nullptr, "#tilt mode entered");
  }
  g_.previous_time = NowMs();
}

void Sentinel::Timer() {
  dead_links_.clear();
  dead_instances_.clear();
  CheckTiltCondition();
  HandleTable(g_.masters);
  RunScripts();
  ScheduleTimer();
}

void Sentinel::ScheduleTimer() {
  if (shutting_down_) return;
  // Like Redis's server.hz = 10 + rand() % 10: every Sentinel runs at its own pace so that
  // Sentinels started together do not keep asking for votes at the same moment.
  int hz = 10 + RandomInt(10);
  uv_timer_start(
      &timer_, [](uv_timer_t* t) { static_cast<Sentinel*>(t->data)->Timer(); },
      static_cast<uint64_t>(1000 / hz), 0);
}

// ============================== Start / stop ====================================================

std::string Sentinel::Start() {
  start_time_ = NowMs();
  g_.previous_time = start_time_;
  listener_ = std::make_unique<net::Listener>(loop_, [this](net::Connection* c) { OnAccept(c); });
  listener_->set_next_id([this] { return ++next_client_id_; });
  listener_->set_on_accept_error([](int status) {
    config::Log(Level::kWarning, "Accepting client connection: accept: {}", std::strerror(-status));
  });
  net::ListenOptions lo;
  lo.addresses = opts_.bind.empty() ? std::vector<std::string>{"*", "-::*"} : opts_.bind;
  lo.port = opts_.port;
  lo.backlog = opts_.tcp_backlog;
  lo.tcp_keepalive = opts_.tcp_keepalive;
  std::string err = listener_->Listen(lo);
  if (!err.empty()) return err;

  uv_timer_init(loop_, &timer_);
  timer_.data = this;
  uv_prepare_init(loop_, &prepare_);
  prepare_.data = this;
  uv_prepare_start(&prepare_,
                   [](uv_prepare_t* h) { static_cast<Sentinel*>(h->data)->BeforeSleep(); });
  auto on_signal = [](uv_signal_t* h, int signum) {
    auto* self = static_cast<Sentinel*>(h->data);
    config::Log(Level::kWarning, "Received {} scheduling shutdown...",
                signum == SIGINT ? "SIGINT" : "SIGTERM");
    self->Shutdown("signal");
  };
  uv_signal_init(loop_, &sigterm_);
  sigterm_.data = this;
  uv_signal_start(&sigterm_, on_signal, SIGTERM);
  uv_signal_init(loop_, &sigint_);
  sigint_.data = this;
  uv_signal_start(&sigint_, on_signal, SIGINT);

  config::Log(Level::kNotice, "Running mode=sentinel, port={}.", opts_.port);
  if (g_.myid.empty()) {
    g_.myid = RandomHex(kRunIdSize);
    FlushConfig();
  }
  config::Log(Level::kWarning, "Sentinel ID is {}", g_.myid);
  for (auto& m : g_.masters)
    Event(Level::kWarning, "+monitor", m.get(), fmt::format(" quorum {}", m->quorum));
  ScheduleTimer();
  return {};
}

int Sentinel::Run() {
  uv_run(loop_, UV_RUN_DEFAULT);
  return exit_code_;
}

void Sentinel::Shutdown(std::string_view reason) {
  if (shutting_down_) return;
  shutting_down_ = true;
  config::Log(Level::kWarning, "User requested shutdown...");
  config::Log(Level::kVerbose, "Shutdown reason: {}", reason);
  if (listener_) listener_->Close();
  BeforeSleep();
  for (auto& [id, c] : clients_) c->conn->Close();
  uv_timer_stop(&timer_);
  uv_prepare_stop(&prepare_);
  uv_signal_stop(&sigterm_);
  uv_signal_stop(&sigint_);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&prepare_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigterm_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigint_), nullptr);
  for (auto& m : g_.masters) RemoveInstance(m);
  g_.masters.clear();
  dead_links_.clear();
  dead_instances_.clear();
  if (!opts_.pidfile.empty()) unlink(opts_.pidfile.c_str());
  config::Log(Level::kWarning, "Sentinel is now ready to exit, bye bye...");
}

}  // namespace tandem::sentinel
