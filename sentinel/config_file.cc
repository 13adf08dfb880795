// sentinel.conf loading and state rewrite. Error texts are sentinel.c's
// (sentinelHandleConfiguration); the rewrite follows rewriteConfigSentinelOption's line order.
#include "sentinel/config_file.h"

#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>

#include "config/args.h"
#include "config/log.h"

namespace tandem::sentinel {

namespace cfg = tandem::config;

void RegisterServerOptions(config::Schema& s, ServerOptions& o) {
  using config::OptionType;
  s.AddNumber<int>({"port", {}, config::kImmutable}, OptionType::kInteger, &o.port,
                   kDefaultSentinelPort, 0, 65535);
  s.AddCustom(
      {"bind", {}, config::kMultiArg}, "* -::*",
      [&o](std::span<const std::string> args,
           const config::SetContext&) -> std::expected<void, std::string> {
        if (args.size() > 16) return std::unexpected("Too many bind addresses specified.");
        o.bind.assign(args.begin(), args.end());
        return {};
      },
      [&o] {
        std::string out;
        for (const auto& b : o.bind) out += (out.empty() ? "" : " ") + b;
        return out;
      },
      [] { return std::vector<config::RewriteLine>{}; });
  s.AddBool({"daemonize", {}, config::kImmutable}, &o.daemonize, false);
  s.AddString({"pidfile", {}, config::kImmutable}, &o.pidfile, "");
  s.AddString({"logfile", {}, config::kImmutable}, &o.logfile, "");
  s.AddEnum<int>({"loglevel", {}, 0}, &o.loglevel, 2,
                 {{"debug", 0}, {"verbose", 1}, {"notice", 2}, {"warning", 3}, {"nothing", 4}});
  s.AddEnum<int>({"supervised", {}, config::kImmutable}, &o.supervised, 0,
                 {{"upstart", 1}, {"systemd", 2}, {"auto", 3}, {"no", 0}});
  s.AddString({"requirepass", {}, config::kSensitive}, &o.requirepass, "");
  s.AddBool({"protected-mode", {}, 0}, &o.protected_mode, false);
  s.AddNumber<int>({"tcp-keepalive", {}, 0}, OptionType::kInteger, &o.tcp_keepalive, 300, 0,
                   2147483647);
  s.AddNumber<int>({"tcp-backlog", {}, config::kImmutable}, OptionType::kInteger, &o.tcp_backlog,
                   511, 0, 2147483647);
  // dir: as in Redis, setting it changes the working directory at once (relative paths of the
  // log and pid files are relative to it).
  s.AddCustom(
      {"dir", {}, 0}, "",
      [](std::span<const std::string> args,
         const config::SetContext&) -> std::expected<void, std::string> {
        if (chdir(args[0].c_str()) == -1) return std::unexpected(std::string(strerror(errno)));
        return {};
      },
      [] {
        char buf[4096];
        return std::string(getcwd(buf, sizeof(buf)) ? buf : "");
      },
      [] { return std::vector<config::RewriteLine>{}; });
  // Accepted and ignored: what a stock rewrite writes into sentinel.conf, and common generic
  // lines that have no meaning for a Sentinel.
  s.AddDeprecated("user", 1, 1000);
  s.AddDeprecated("latency-tracking-info-percentiles", 0, 1000);
  s.AddDeprecated("latency-tracking", 1, 1);
  s.AddDeprecated("always-show-logo", 1, 1);
  s.AddDeprecated("set-proc-title", 1, 1);
  s.AddDeprecated("proc-title-template", 1, 1);
  s.AddDeprecated("syslog-enabled", 1, 1);
  s.AddDeprecated("syslog-ident", 1, 1);
  s.AddDeprecated("syslog-facility", 1, 1);
  s.AddDeprecated("hz", 1, 1);
  s.AddDeprecated("maxclients", 1, 1);
  s.AddDeprecated("timeout", 1, 1);
  s.AddDeprecated("save", 0, 1000);
  s.AddDeprecated("appendonly", 1, 1);
  s.AddDeprecated("bind-source-addr", 1, 1);
  s.AddDeprecated("rename-command", 2, 2);
  s.AddDeprecated("acllog-max-len", 1, 1);
  s.AddDeprecated("aclfile", 1, 1);
  s.AddDeprecated("enable-debug-command", 1, 1);
  s.AddDeprecated("crash-log-enabled", 1, 1);
  s.AddDeprecated("crash-memcheck-enabled", 1, 1);
}

namespace {

long long Atoi(const std::string& s) { return std::atoll(s.c_str()); }

int YesNo(const std::string& s) {
  if (strcasecmp(s.c_str(), "yes") == 0) return 1;
  if (strcasecmp(s.c_str(), "no") == 0) return 0;
  return -1;
}

bool Is(const std::string& a, const char* b) { return strcasecmp(a.c_str(), b) == 0; }

constexpr const char* kPreMonitor[] = {
    "announce-ip",   "announce-port", "deny-scripts-reconfig", "sentinel-user",     "sentinel-pass",
    "current-epoch", "myid",          "resolve-hostnames",     "announce-hostnames"};

}  // namespace

std::string ApplySentinelDirective(GlobalState& g, const std::vector<std::string>& argv) {
  const size_t argc = argv.size();
  if (argc == 0) return "Unrecognized sentinel configuration statement.";
  const std::string& d = argv[0];
  Instance* ri = nullptr;
  auto need_master = [&]() -> bool {
    ri = g.FindMaster(argv[1]);
    return ri != nullptr;
  };
  constexpr const char* kNoMaster = "No such master with specified name.";
  std::string err;
  if (Is(d, "monitor") && argc == 5) {
    long long quorum = Atoi(argv[4]);
    if (quorum <= 0) return "Quorum must be 1 or greater.";
    // Tandem extension: Redis 7.0 refuses a monitored hostname unless resolve-hostnames is on
    // ("Can't resolve instance hostname."). Sentinel.conf files written for Redis 6.0 and
    // older, which had no such option, name masters by hostname and relied on Sentinel
    // resolving it once at load; tandem keeps doing that, and says so in the log.
    std::string host = argv[2];
    std::string ip;
    if (!g.resolve_hostnames && !ResolveHost(host, /*ip_only=*/true, ip) &&
        ResolveHost(host, /*ip_only=*/false, ip)) {
      g.load_warnings.push_back(fmt::format(
          "sentinel monitor {}: '{}' is a hostname and resolve-hostnames is no; resolved it once "
          "to {} as Redis 6.0 did (Redis 7.0 refuses the line). Add 'sentinel resolve-hostnames "
          "yes' to keep following the name.",
          argv[1], host, ip));
      host = ip;
    }
    if (!CreateInstance(g, argv[1], kMaster, host, Atoi(argv[3]), static_cast<unsigned>(quorum),
                        nullptr, &err)) {
      return err;
    }
  } else if (Is(d, "down-after-milliseconds") && argc == 3) {
    if (!need_master()) return kNoMaster;
    ri->down_after_period = static_cast<int>(Atoi(argv[2]));
    if (ri->down_after_period <= 0) return "negative or zero time parameter.";
    for (auto& s : ri->slaves) s->down_after_period = ri->down_after_period;
    for (auto& s : ri->sentinels) s->down_after_period = ri->down_after_period;
  } else if (Is(d, "failover-timeout") && argc == 3) {
    if (!need_master()) return kNoMaster;
    ri->failover_timeout = static_cast<int>(Atoi(argv[2]));
    if (ri->failover_timeout <= 0) return "negative or zero time parameter.";
  } else if (Is(d, "parallel-syncs") && argc == 3) {
    if (!need_master()) return kNoMaster;
    ri->parallel_syncs = static_cast<int>(Atoi(argv[2]));
  } else if (Is(d, "notification-script") && argc == 3) {
    if (!need_master()) return kNoMaster;
    if (access(argv[2].c_str(), X_OK) == -1)
      return "Notification script seems non existing or non executable.";
    ri->notification_script = argv[2];
  } else if (Is(d, "client-reconfig-script") && argc == 3) {
    if (!need_master()) return kNoMaster;
    if (access(argv[2].c_str(), X_OK) == -1)
      return "Client reconfiguration script seems non existing or non executable.";
    ri->client_reconfig_script = argv[2];
  } else if (Is(d, "auth-pass") && argc == 3) {
    if (!need_master()) return kNoMaster;
    ri->auth_pass = argv[2];
  } else if (Is(d, "auth-user") && argc == 3) {
    if (!need_master()) return kNoMaster;
    ri->auth_user = argv[2];
  } else if (Is(d, "current-epoch") && argc == 2) {
    uint64_t e = std::strtoull(argv[1].c_str(), nullptr, 10);
    if (e > g.current_epoch) g.current_epoch = e;
  } else if (Is(d, "myid") && argc == 2) {
    if (argv[1].size() != kRunIdSize) return "Malformed Sentinel id in myid option.";
    g.myid = argv[1];
  } else if (Is(d, "config-epoch") && argc == 3) {
    if (!need_master()) return kNoMaster;
    ri->config_epoch = std::strtoull(argv[2].c_str(), nullptr, 10);
    if (ri->config_epoch > g.current_epoch) g.current_epoch = ri->config_epoch;
  } else if (Is(d, "leader-epoch") && argc == 3) {
    if (!need_master()) return kNoMaster;
    ri->leader_epoch = std::strtoull(argv[2].c_str(), nullptr, 10);
  } else if ((Is(d, "known-slave") || Is(d, "known-replica")) && argc == 4) {
    if (!need_master()) return kNoMaster;
    if (!CreateInstance(g, "", kSlave, argv[2], Atoi(argv[3]), ri->quorum, ri, &err)) return err;
  } else if (Is(d, "known-sentinel") && (argc == 4 || argc == 5)) {
    if (argc == 5) {  // the old form without runid is ignored
      if (!need_master()) return kNoMaster;
      auto si = CreateInstance(g, argv[4], kSentinel, argv[2], Atoi(argv[3]), ri->quorum, ri, &err);
      if (!si) return err;
      si->runid = argv[4];
    }
  } else if (Is(d, "rename-command") && argc == 4) {
    if (!need_master()) return kNoMaster;
    std::string key = cfg::ToLower(argv[2]);
    if (ri->renamed_commands.contains(key))
      return "Same command renamed multiple times with rename-command.";
    ri->renamed_commands[key] = argv[3];
    ri->renamed_order.push_back(argv[2]);
  } else if (Is(d, "announce-ip") && argc == 2) {
    if (!argv[1].empty()) g.announce_ip = argv[1];
  } else if (Is(d, "announce-port") && argc == 2) {
    g.announce_port = static_cast<int>(Atoi(argv[1]));
  } else if (Is(d, "deny-scripts-reconfig") && argc == 2) {
    int v = YesNo(argv[1]);
    if (v == -1) return "Please specify yes or no for the deny-scripts-reconfig options.";
    g.deny_scripts_reconfig = v == 1;
  } else if (Is(d, "sentinel-user") && argc == 2) {
    if (!argv[1].empty()) g.sentinel_auth_user = argv[1];
  } else if (Is(d, "sentinel-pass") && argc == 2) {
    if (!argv[1].empty()) g.sentinel_auth_pass = argv[1];
  } else if (Is(d, "resolve-hostnames") && argc == 2) {
    int v = YesNo(argv[1]);
    if (v == -1) return "Please specify yes or no for the resolve-hostnames option.";
    g.resolve_hostnames = v == 1;
  } else if (Is(d, "announce-hostnames") && argc == 2) {
    int v = YesNo(argv[1]);
    if (v == -1) return "Please specify yes or no for the announce-hostnames option.";
    g.announce_hostnames = v == 1;
  } else if (Is(d, "master-reboot-down-after-period") && argc == 3) {
    if (!need_master()) return kNoMaster;
    ri->master_reboot_down_after_period = static_cast<int>(Atoi(argv[2]));
    if (ri->master_reboot_down_after_period < 0) return "negative time parameter.";
  } else {
    return "Unrecognized sentinel configuration statement.";
  }
  return {};
}

namespace {

std::string_view TrimLine(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      if (start < text.size()) out.push_back(text.substr(start));
      break;
    }
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

// The words of a `sentinel ...` line, or nothing when the line is something else.
bool SentinelWords(std::string_view raw, std::vector<std::string>& words) {
  std::string_view line = TrimLine(raw);
  if (line.empty() || line[0] == '#') return false;
  auto split = cfg::SplitArgs(line);
  if (!split || split->empty() || !Is((*split)[0], "sentinel")) return false;
  words = std::move(*split);
  return true;
}

struct Queued {
  std::vector<std::string> argv;
  int linenum;
  std::string line;
};

}  // namespace

std::expected<void, config::LoadError> LoadConfigText(std::string_view text, config::Schema& schema,
                                                      GlobalState& g) {
  // Generic lines first, with every `sentinel` line blanked so that line numbers stay right.
  std::string generic;
  std::vector<Queued> pre, monitor, post;
  int linenum = 0;
  for (std::string_view raw : Lines(text)) {
    ++linenum;
    std::vector<std::string> words;
    if (SentinelWords(raw, words)) {
      generic += '\n';
      if (words.size() == 1) continue;  // a bare "sentinel" only selects the mode
      words.erase(words.begin());
      Queued q{std::move(words), linenum, std::string(TrimLine(raw))};
      bool is_pre = false;
      for (const char* n : kPreMonitor) is_pre = is_pre || Is(q.argv[0], n);
      if (Is(q.argv[0], "monitor")) {
        monitor.push_back(std::move(q));
      } else if (is_pre) {
        pre.push_back(std::move(q));
      } else {
        post.push_back(std::move(q));
      }
      continue;
    }
    generic.append(raw);
    generic += '\n';
  }
  if (auto r = schema.LoadFromString(generic); !r) return r;
  for (auto* list : {&pre, &monitor, &post}) {
    for (const Queued& q : *list) {
      std::string err = ApplySentinelDirective(g, q.argv);
      if (!err.empty()) return std::unexpected(config::LoadError{q.linenum, q.line, err});
    }
  }
  return {};
}

namespace {

// rewriteConfigRewriteLine: lines in the order they are generated, grouped by key.
struct RewriteState {
  std::vector<std::pair<std::string, std::string>> lines;  // key, line
  std::set<std::string> optional;  // keys written only if present in the old file
  void Add(std::string key, std::string line) { lines.emplace_back(std::move(key), line); }
};

// The host a rewritten line names. With resolve-hostnames yes an instance whose name did not
// resolve is kept with an empty ip; Redis 7.0 writes that empty ip (without announce-hostnames)
// and leaves a file it cannot load again, so the configured hostname is written instead.
std::string RewriteHost(const GlobalState& g, const Addr& a) {
  const std::string& host = AnnounceAddr(g, a);
  return cfg::RewriteWord(host.empty() ? a.hostname : host);
}

std::string SentinelKey(const std::vector<std::string>& words) {
  std::string sub = cfg::ToLower(words[1]);
  if (sub == "known-slave") sub = "known-replica";
  return "sentinel " + sub;
}

}  // namespace

std::string RenderSentinelConfig(std::string_view old_content, const GlobalState& g) {
  RewriteState st;
  const Timing& t = g.timing;
  st.Add("sentinel myid", "sentinel myid " + cfg::RewriteWord(g.myid));
  auto yn = [](bool b) { return std::string(b ? "yes" : "no"); };
  // Written when not at the default, or when the file already had a line for them.
  std::vector<std::pair<std::string, bool>> optional_globals = {
      {"sentinel deny-scripts-reconfig " + yn(g.deny_scripts_reconfig), !g.deny_scripts_reconfig},
      {"sentinel resolve-hostnames " + yn(g.resolve_hostnames), g.resolve_hostnames},
      {"sentinel announce-hostnames " + yn(g.announce_hostnames), g.announce_hostnames},
  };
  std::vector<std::string> old_lines;
  std::set<std::string> old_keys;
  for (std::string_view raw : Lines(old_content)) {
    old_lines.emplace_back(raw);
    std::vector<std::string> w;
    if (SentinelWords(raw, w) && w.size() > 1) old_keys.insert(SentinelKey(w));
  }
  for (auto& [line, force] : optional_globals) {
    std::string key = line.substr(0, line.rfind(' '));
    if (force || old_keys.contains(key)) st.Add(key, line);
  }
  for (const auto& mp : g.masters) {
    const Instance& m = *mp;
    const Addr& maddr = (m.flags & kFailoverInProgress) && m.promoted_slave &&
                                m.failover_state >= FailoverState::kReconfSlaves
                            ? m.promoted_slave->addr
                            : m.addr;
    // Names, hosts and strings are written plain as Redis does, quoted only when a plain word
    // would not read back the same (config::RewriteWord).
    const std::string n = cfg::RewriteWord(m.name);
    st.Add("sentinel monitor", fmt::format("sentinel monitor {} {} {} {}", n, RewriteHost(g, maddr),
                                           maddr.port, m.quorum));
    if (m.down_after_period != t.default_down_after)
      st.Add("sentinel down-after-milliseconds",
             fmt::format("sentinel down-after-milliseconds {} {}", n, m.down_after_period));
    if (m.failover_timeout != t.default_failover_timeout)
      st.Add("sentinel failover-timeout",
             fmt::format("sentinel failover-timeout {} {}", n, m.failover_timeout));
    if (m.parallel_syncs != 1)
      st.Add("sentinel parallel-syncs",
             fmt::format("sentinel parallel-syncs {} {}", n, m.parallel_syncs));
    if (!m.notification_script.empty())
      st.Add("sentinel notification-script", fmt::format("sentinel notification-script {} {}", n,
                                                         cfg::RewriteWord(m.notification_script)));
    if (!m.client_reconfig_script.empty())
      st.Add("sentinel client-reconfig-script",
             fmt::format("sentinel client-reconfig-script {} {}", n,
                         cfg::RewriteWord(m.client_reconfig_script)));
    if (!m.auth_pass.empty())
      st.Add("sentinel auth-pass",
             fmt::format("sentinel auth-pass {} {}", n, cfg::RewriteWord(m.auth_pass)));
    if (!m.auth_user.empty())
      st.Add("sentinel auth-user",
             fmt::format("sentinel auth-user {} {}", n, cfg::RewriteWord(m.auth_user)));
    if (m.master_reboot_down_after_period != 0)
      st.Add("sentinel master-reboot-down-after-period",
             fmt::format("sentinel master-reboot-down-after-period {} {}", n,
                         m.master_reboot_down_after_period));
    st.Add("sentinel config-epoch", fmt::format("sentinel config-epoch {} {}", n, m.config_epoch));
    st.Add("sentinel leader-epoch", fmt::format("sentinel leader-epoch {} {}", n, m.leader_epoch));
    for (const auto& s : m.slaves) {
      // The promoted replica of a failover in its last steps is listed with the old master's
      // address: the monitor line already names it.
      const Addr& a = AddrEqual(s->addr, maddr) ? m.addr : s->addr;
      st.Add("sentinel known-replica",
             fmt::format("sentinel known-replica {} {} {}", n, RewriteHost(g, a), a.port));
    }
    for (const auto& s : m.sentinels) {
      if (s->runid.empty()) continue;
      st.Add("sentinel known-sentinel",
             fmt::format("sentinel known-sentinel {} {} {} {}", n, RewriteHost(g, s->addr),
                         s->addr.port, cfg::RewriteWord(s->runid)));
    }
    for (const auto& old : m.renamed_order) {
      auto it = m.renamed_commands.find(cfg::ToLower(old));
      if (it == m.renamed_commands.end()) continue;
      st.Add("sentinel rename-command",
             fmt::format("sentinel rename-command {} {} {}", n, cfg::RewriteWord(old),
                         cfg::RewriteWord(it->second)));
    }
  }
  st.Add("sentinel current-epoch", fmt::format("sentinel current-epoch {}", g.current_epoch));
  if (!g.announce_ip.empty())
    st.Add("sentinel announce-ip", "sentinel announce-ip " + cfg::Repr(g.announce_ip));
  if (g.announce_port != 0)
    st.Add("sentinel announce-port", fmt::format("sentinel announce-port {}", g.announce_port));
  if (!g.sentinel_auth_user.empty())
    st.Add("sentinel sentinel-user",
           "sentinel sentinel-user " + cfg::RewriteWord(g.sentinel_auth_user));
  if (!g.sentinel_auth_pass.empty())
    st.Add("sentinel sentinel-pass",
           "sentinel sentinel-pass " + cfg::RewriteWord(g.sentinel_auth_pass));

  // Every key above is owned by the rewrite: its old lines are replaced or dropped.
  static const std::set<std::string> kOwned = {
      "sentinel myid",
      "sentinel deny-scripts-reconfig",
      "sentinel resolve-hostnames",
      "sentinel announce-hostnames",
      "sentinel monitor",
      "sentinel down-after-milliseconds",
      "sentinel failover-timeout",
      "sentinel parallel-syncs",
      "sentinel notification-script",
      "sentinel client-reconfig-script",
      "sentinel auth-pass",
      "sentinel auth-user",
      "sentinel master-reboot-down-after-period",
      "sentinel config-epoch",
      "sentinel leader-epoch",
      "sentinel known-replica",
      "sentinel known-sentinel",
      "sentinel rename-command",
      "sentinel current-epoch",
      "sentinel announce-ip",
      "sentinel announce-port",
      "sentinel sentinel-user",
      "sentinel sentinel-pass",
  };
  std::map<std::string, std::vector<std::string>> by_key;
  for (auto& [key, line] : st.lines) by_key[key].push_back(line);
  std::map<std::string, size_t> used;
  std::vector<bool> emitted(st.lines.size(), false);

  std::string out;
  bool has_signature = false;
  for (const std::string& raw : old_lines) {
    std::string_view trimmed = TrimLine(raw);
    if (trimmed == "# Generated by CONFIG REWRITE") has_signature = true;
    std::vector<std::string> w;
    if (SentinelWords(raw, w) && w.size() > 1) {
      std::string key = SentinelKey(w);
      if (kOwned.contains(key)) {
        auto& lines = by_key[key];
        size_t& u = used[key];
        if (u < lines.size()) {
          out += lines[u++];
          out += '\n';
        }
        continue;
      }
    }
    out += raw;
    out += '\n';
  }
  // What did not replace an old line goes at the end, in generation order.
  std::map<std::string, size_t> appended;
  std::string tail;
  for (auto& [key, line] : st.lines) {
    size_t& a = appended[key];
    if (a++ < used[key]) continue;
    tail += line;
    tail += '\n';
  }
  if (!tail.empty()) {
    if (!has_signature) out += "\n# Generated by CONFIG REWRITE\n";
    out += tail;
  }
  return out;
}

std::expected<void, std::string> WriteFileAtomic(const std::string& path,
                                                 std::string_view content) {
  std::string tmp = path + ".XXXXXX";
  int fd = mkostemp(tmp.data(), O_CLOEXEC);
  if (fd == -1) return std::unexpected(std::string(std::strerror(errno)));
  auto fail = [&](int err) -> std::expected<void, std::string> {
    close(fd);
    unlink(tmp.c_str());
    return std::unexpected(std::string(std::strerror(err)));
  };
  size_t off = 0;
  while (off < content.size()) {
    ssize_t n = write(fd, content.data() + off, content.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(errno);
    }
    off += static_cast<size_t>(n);
  }
  // Keep the permissions of the file being replaced (the operator's sentinel.conf).
  struct stat st;
  if (stat(path.c_str(), &st) == 0)
    fchmod(fd, st.st_mode & 07777);
  else
    fchmod(fd, 0644);
  if (fsync(fd) == -1) return fail(errno);
  if (close(fd) == -1) {
    unlink(tmp.c_str());
    return std::unexpected(std::string(std::strerror(errno)));
  }
  if (rename(tmp.c_str(), path.c_str()) == -1) {
    int err = errno;
    unlink(tmp.c_str());
    return std::unexpected(std::string(std::strerror(err)));
  }
  std::string dir = ".";
  if (auto slash = path.rfind('/'); slash != std::string::npos)
    dir = slash == 0 ? "/" : path.substr(0, slash);
  int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd != -1) {
    fsync(dfd);
    close(dfd);
  }
  return {};
}

}  // namespace tandem::sentinel
