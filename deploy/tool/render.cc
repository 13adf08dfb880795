// Rendering: server config, Sentinel config and systemd units for one host.
//
// The server config keeps the settings deployed today (deploy/examples/master.conf) in their
// order, applies [server] then [hosts.server] overrides, and adds what the topology decides:
// port, paths, supervision, passwords, and `replicaof` for every host except the one the
// topology names as master. Sentinel rewrites replicaof at run time (CONFIG REWRITE after a
// failover), which is why the config directory is writable in the units.
#include "render.h"

#include <fmt/format.h>

#include <algorithm>

namespace tandem::deploy {

namespace {

// master.conf as deployed today, minus the directives the tool writes itself (port, daemonize,
// supervised, pidfile, logfile, dir). Values are redis.conf argument text.
const Setting kBaseServerSettings[] = {
    {"bind", {"0.0.0.0"}},
    {"protected-mode", {"yes"}},
    {"tcp-backlog", {"511"}},
    {"timeout", {"0"}},
    {"tcp-keepalive", {"300"}},
    {"loglevel", {"notice"}},
    {"databases", {"16"}},
    {"stop-writes-on-bgsave-error", {"yes"}},
    {"rdbcompression", {"yes"}},
    {"rdbchecksum", {"yes"}},
    {"dbfilename", {"dump.rdb"}},
    {"slave-serve-stale-data", {"yes"}},
    {"slave-read-only", {"yes"}},
    {"repl-diskless-sync", {"no"}},
    {"repl-diskless-sync-delay", {"5"}},
    {"repl-disable-tcp-nodelay", {"no"}},
    {"slave-priority", {"100"}},
    {"appendonly", {"yes"}},
    {"appendfilename", {"\"appendonly.aof\""}},
    {"appendfsync", {"everysec"}},
    {"no-appendfsync-on-rewrite", {"no"}},
    {"auto-aof-rewrite-percentage", {"100"}},
    {"auto-aof-rewrite-min-size", {"64mb"}},
    {"aof-load-truncated", {"yes"}},
    {"lua-time-limit", {"5000"}},
    {"slowlog-log-slower-than", {"10000"}},
    {"slowlog-max-len", {"128"}},
    {"latency-monitor-threshold", {"0"}},
    {"notify-keyspace-events", {"\"\""}},
    {"hash-max-ziplist-entries", {"512"}},
    {"hash-max-ziplist-value", {"64"}},
    {"list-max-ziplist-size", {"-2"}},
    {"list-compress-depth", {"0"}},
    {"set-max-intset-entries", {"512"}},
    {"zset-max-ziplist-entries", {"128"}},
    {"zset-max-ziplist-value", {"64"}},
    {"hll-sparse-max-bytes", {"3000"}},
    {"activerehashing", {"yes"}},
    {"client-output-buffer-limit", {"normal 0 0 0", "slave 256mb 64mb 60", "pubsub 32mb 8mb 60"}},
    {"hz", {"10"}},
    {"aof-rewrite-incremental-fsync", {"yes"}},
};

// Old and new names of the same directive count as one when overriding.
std::string_view Canonical(std::string_view name) {
  static const std::pair<std::string_view, std::string_view> kAliases[] = {
      {"replica-serve-stale-data", "slave-serve-stale-data"},
      {"replica-read-only", "slave-read-only"},
      {"replica-priority", "slave-priority"},
      {"hash-max-listpack-entries", "hash-max-ziplist-entries"},
      {"hash-max-listpack-value", "hash-max-ziplist-value"},
      {"list-max-listpack-size", "list-max-ziplist-size"},
      {"zset-max-listpack-entries", "zset-max-ziplist-entries"},
      {"zset-max-listpack-value", "zset-max-ziplist-value"},
      {"client-output-buffer-limit replica", "client-output-buffer-limit slave"},
  };
  for (auto [alias, canon] : kAliases) {
    if (name == alias) return canon;
  }
  return name;
}

// Applies `overrides` onto `settings`: an overridden directive keeps its place (and takes the
// override's name), a new one is appended.
void Apply(std::vector<Setting>& settings, const std::vector<Setting>& overrides) {
  for (const Setting& o : overrides) {
    auto it = std::find_if(settings.begin(), settings.end(), [&](const Setting& s) {
      return Canonical(s.name) == Canonical(o.name);
    });
    if (it != settings.end()) {
      *it = o;
    } else {
      settings.push_back(o);
    }
  }
}

void Line(std::string& out, std::string_view name, std::string_view value) {
  out += fmt::format("{} {}\n", name, value);
}

void Lines(std::string& out, const std::vector<Setting>& settings) {
  for (const Setting& s : settings) {
    for (const std::string& l : s.lines) Line(out, s.name, l);
  }
}

std::string Header(const Topology& t, const Host& h, std::string_view what) {
  std::string host = h.hostname.empty() ? h.name : fmt::format("{} ({})", h.name, h.hostname);
  return fmt::format(
      "# {} for host {} of {}.\n"
      "# Rendered by tandem-deploy from {}.\n"
      "# Change the topology and render again rather than editing this file.\n",
      what, host, t.name, t.file);
}

// The systemd RuntimeDirectory= name for a runtime path under /run or /var/run, or "".
std::string RuntimeDirectoryName(std::string_view path) {
  for (std::string_view prefix : {"/run/", "/var/run/"}) {
    if (path.starts_with(prefix) && path.size() > prefix.size()) {
      return std::string(path.substr(prefix.size()));
    }
  }
  return "";
}

std::string UnderPrefix(std::string_view path, std::string_view prefix) {
  if (path.starts_with(prefix) && path.size() > prefix.size()) {
    return std::string(path.substr(prefix.size()));
  }
  return "";
}

// One unit; `writes` are the directories the process writes (and nothing else is writable).
std::string Unit(const Topology& t, const Host& h, std::string_view description,
                 std::string_view exec, const std::vector<std::string>& writes,
                 std::string_view about) {
  std::string out = Header(t, h, about);
  out += fmt::format(
      "# Install as /etc/systemd/system/{{unit}}. It has its own name, ports and directories,\n"
      "# so it runs beside the stock Redis units.\n"
      "[Unit]\n"
      "Description={}\n"
      "After=network-online.target\n"
      "Wants=network-online.target\n"
      "\n"
      "[Service]\n"
      "Type=notify\n"
      "ExecStart={}\n"
      "User={}\n"
      "Group={}\n"
      "UMask=0007\n"
      "LimitNOFILE=65535\n"
      "TimeoutStartSec=90\n"
      "TimeoutStopSec=90\n"
      "Restart=always\n"
      "RestartSec=2\n",
      description, exec, t.service.user, t.service.group);
  // Both units share the runtime directory (pid files): Preserve keeps it when one unit stops.
  if (std::string rt = RuntimeDirectoryName(h.paths.runtime); !rt.empty()) {
    out += fmt::format(
        "RuntimeDirectory={}\nRuntimeDirectoryMode=0755\nRuntimeDirectoryPreserve=yes\n", rt);
  }
  if (std::string st = UnderPrefix(h.paths.data, "/var/lib/");
      !st.empty() && std::find(writes.begin(), writes.end(), h.paths.data) != writes.end()) {
    out += fmt::format("StateDirectory={}\nStateDirectoryMode=0750\n", st);
  }
  if (std::string lg = UnderPrefix(h.paths.logs, "/var/log/"); !lg.empty()) {
    out += fmt::format("LogsDirectory={}\nLogsDirectoryMode=0750\n", lg);
  }
  out +=
      "NoNewPrivileges=yes\n"
      "ProtectSystem=strict\n"
      "ProtectHome=yes\n"
      "PrivateTmp=yes\n"
      "PrivateDevices=yes\n";
  std::string rw;
  for (const std::string& w : writes) rw += (rw.empty() ? "" : " ") + w;
  out += fmt::format("ReadWritePaths={}\n", rw);
  out +=
      "\n"
      "[Install]\n"
      "WantedBy=multi-user.target\n";
  return out;
}

}  // namespace

std::string ConfQuote(std::string_view s) {
  bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return c > ' ' && c < 127 && c != '"' && c != '\'' && c != '\\';
  });
  if (plain) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < ' ' || c == 127) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string ServerConfigPath(const Topology& t, const Host& h) {
  return h.paths.config + "/" + t.service.server_config;
}
std::string SentinelConfigPath(const Topology& t, const Host& h) {
  return h.paths.config + "/" + t.service.sentinel_config;
}
std::string ServerPidPath(const Topology&, const Host& h) {
  return h.paths.runtime + "/redis-cluster.pid";
}
std::string SentinelPidPath(const Topology&, const Host& h) {
  return h.paths.runtime + "/redis-sentinel.pid";
}
std::string ServerLogPath(const Topology&, const Host& h) {
  return h.paths.logs + "/redis-cluster.log";
}
std::string SentinelLogPath(const Topology&, const Host& h) {
  return h.paths.logs + "/redis-sentinel.log";
}

std::string RenderServerConfig(const Topology& t, const Host& h) {
  const Host& master = t.MasterHost();
  bool is_master = &master == &h || master.name == h.name;
  std::string out = Header(t, h, "tandem-server (redis-server 7.0) config");
  out += is_master ? "# This host starts as the master; Sentinel decides after the first start.\n"
                   : fmt::format(
                         "# This host starts as a replica of {}; Sentinel decides after "
                         "the first start.\n",
                         master.name);
  out += "\n";
  std::vector<Setting> settings(std::begin(kBaseServerSettings), std::end(kBaseServerSettings));
  Apply(settings, t.server);
  Apply(settings, h.server_overrides);
  // On one machine each host is its loopback address, whatever the files say.
  if (t.local) Apply(settings, {{"bind", {h.address}}});
  // Protected mode (Redis 7.0) counts only 127.0.0.1 and ::1 as local: without a password, the
  // replicas, Sentinels and clients of the other hosts would be refused. On one machine every
  // process binds its own 127.0.0.x address only, so nothing outside the machine reaches it.
  if (t.local && t.password.empty()) Apply(settings, {{"protected-mode", {"no"}}});

  Line(out, "port", std::to_string(h.port));
  Line(out, "daemonize", "no");
  Line(out, "supervised", t.local ? "no" : "systemd");
  Line(out, "pidfile", ServerPidPath(t, h));
  Line(out, "logfile", ServerLogPath(t, h));
  Line(out, "dir", h.paths.data);
  Lines(out, settings);
  if (t.local) {
    // On one machine every process shares the loopback interface: announce the host's own
    // address so masters and Sentinels tell the replicas apart.
    Line(out, "replica-announce-ip", h.address);
  }
  if (!t.password.empty()) {
    Line(out, "requirepass", ConfQuote(t.password));
    // Every node gets masterauth: any of them may be a replica after a failover.
    Line(out, "masterauth", ConfQuote(t.password));
  }
  if (!is_master) Line(out, "replicaof", fmt::format("{} {}", master.address, master.port));
  return out;
}

std::string RenderSentinelConfig(const Topology& t, const Host& h) {
  const Host& master = t.MasterHost();
  std::string out = Header(t, h, "Sentinel config");
  out +=
      "# Sentinel rewrites this file at run time (known replicas and Sentinels, epochs, myid),\n"
      "# so its directory must be writable by the service user.\n\n";
  std::vector<Setting> settings{{"bind", {"0.0.0.0"}}};
  Apply(settings, t.sentinel);
  Apply(settings, h.sentinel_overrides);
  if (t.local) Apply(settings, {{"bind", {h.address}}});
  Line(out, "port", std::to_string(h.sentinel_port));
  Line(out, "daemonize", "no");
  Line(out, "supervised", t.local ? "no" : "systemd");
  Line(out, "pidfile", SentinelPidPath(t, h));
  Line(out, "logfile", SentinelLogPath(t, h));
  // Sentinel keeps no data; its working directory is the one directory it writes anyway.
  Line(out, "dir", h.paths.config);
  Lines(out, settings);
  bool names = std::any_of(t.hosts.begin(), t.hosts.end(),
                           [](const Host& x) { return !IsIpLiteral(x.address); });
  if (names) {
    // Redis 7.0 refuses host names in `sentinel monitor` and announcements unless told to.
    Line(out, "sentinel resolve-hostnames", "yes");
    if (!IsIpLiteral(h.address)) Line(out, "sentinel announce-hostnames", "yes");
  }
  Line(out, "sentinel announce-ip", h.address);
  if (h.sentinel_port != t.sentinel_port) {
    Line(out, "sentinel announce-port", std::to_string(h.sentinel_port));
  }
  if (!t.sentinel_password.empty()) {
    Line(out, "requirepass", ConfQuote(t.sentinel_password));
    Line(out, "sentinel sentinel-pass", ConfQuote(t.sentinel_password));
  }
  Line(out, "sentinel monitor",
       fmt::format("{} {} {} {}", t.name, master.address, master.port, t.quorum));
  Line(out, "sentinel down-after-milliseconds", fmt::format("{} {}", t.name, t.down_after_ms));
  Line(out, "sentinel failover-timeout", fmt::format("{} {}", t.name, t.failover_timeout_ms));
  Line(out, "sentinel parallel-syncs", fmt::format("{} {}", t.name, t.parallel_syncs));
  if (!t.password.empty()) {
    Line(out, "sentinel auth-pass", fmt::format("{} {}", t.name, ConfQuote(t.password)));
  }
  return out;
}

std::string RenderServerUnit(const Topology& t, const Host& h) {
  std::string u =
      Unit(t, h, fmt::format("tandem-server for {} (host {}, port {})", t.name, h.name, h.port),
           fmt::format("{} {}", t.service.server_binary, ServerConfigPath(t, h)),
           // data (RDB/AOF), log, pid file, and the config file (CONFIG REWRITE after a failover)
           {h.paths.data, h.paths.logs, h.paths.runtime, h.paths.config},
           fmt::format("systemd unit {}", t.service.server_unit));
  size_t p = u.find("{unit}");
  return u.replace(p, 6, t.service.server_unit);
}

std::string RenderSentinelUnit(const Topology& t, const Host& h) {
  std::string u = Unit(
      t, h,
      fmt::format("tandem-sentinel for {} (host {}, port {})", t.name, h.name, h.sentinel_port),
      fmt::format("{} {}", t.service.sentinel_binary, SentinelConfigPath(t, h)),
      // log, pid file, and the config file Sentinel rewrites; Sentinel keeps no data
      {h.paths.logs, h.paths.runtime, h.paths.config},
      fmt::format("systemd unit {}", t.service.sentinel_unit));
  size_t p = u.find("{unit}");
  return u.replace(p, 6, t.service.sentinel_unit);
}

std::vector<RenderedFile> RenderHost(const Topology& t, const Host& h) {
  mode_t server_mode = t.password.empty() ? 0644 : 0640;
  mode_t sentinel_mode = t.password.empty() && t.sentinel_password.empty() ? 0644 : 0640;
  return {
      {t.service.server_config, ServerConfigPath(t, h), RenderServerConfig(t, h), server_mode},
      {t.service.sentinel_config, SentinelConfigPath(t, h), RenderSentinelConfig(t, h),
       sentinel_mode},
      {t.service.server_unit, "/etc/systemd/system/" + t.service.server_unit,
       RenderServerUnit(t, h), 0644},
      {t.service.sentinel_unit, "/etc/systemd/system/" + t.service.sentinel_unit,
       RenderSentinelUnit(t, h), 0644},
  };
}

}  // namespace tandem::deploy
