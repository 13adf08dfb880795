// The topology file: one TOML file describing a Sentinel-managed cluster on N hosts (names,
// addresses, which host starts as master, ports, Sentinel timings, directories, service user,
// passwords, and settings for every server with per-host overrides). See
// deploy/topology.example.toml for the format. Loading validates everything and reports the
// first problem as "file:line:column: key: message".
#pragma once

#include <expected>
#include <string>
#include <vector>

namespace tandem::deploy {

// One redis.conf directive. `lines` holds the argument text of each line it occupies (most
// directives have one line; `save` or `client-output-buffer-limit` may have several). The text is
// written verbatim after the name, so it may carry redis.conf quoting.
struct Setting {
  std::string name;
  std::vector<std::string> lines;
};

struct Paths {
  std::string config = "/etc/redis-cluster";
  std::string logs = "/var/log/redis-cluster";
  std::string data = "/var/lib/redis-cluster";
  std::string runtime = "/var/run/redis-cluster";
};

struct Host {
  std::string name;
  std::string address;        // how peers, Sentinels and clients reach it: IP literal or DNS name
  std::string hostname;       // informational, written in comments
  std::string local_address;  // the loopback address `up` gives it on one machine
  int port = 0;               // resolved: per-host value or the cluster's
  int sentinel_port = 0;
  Paths paths;                            // resolved: per-host [hosts.paths] over [paths]
  std::vector<Setting> server_overrides;  // [hosts.server]
  std::vector<Setting> sentinel_overrides;
};

struct Service {
  std::string user = "redis";
  std::string group = "redis";
  std::string server_unit = "redis-cluster.service";
  std::string sentinel_unit = "redis-sentinel.service";
  std::string server_binary = "/usr/bin/tandem-server";
  std::string sentinel_binary = "/usr/bin/tandem-sentinel";
  std::string server_config = "redis-cluster.conf";  // file names inside paths.config
  std::string sentinel_config = "sentinel.conf";
};

struct Topology {
  std::string file;  // where it was loaded from (for messages and rendered headers)
  std::string name;  // Sentinel monitor name
  std::string master;
  int port = 6389;
  int sentinel_port = 26389;
  int quorum = 2;
  int64_t down_after_ms = 30000;  // Redis's defaults when the file does not say
  int64_t failover_timeout_ms = 180000;
  int parallel_syncs = 1;
  Paths paths;
  Service service;
  std::string password;           // requirepass + masterauth on servers, auth-pass in Sentinels
  std::string sentinel_password;  // requirepass of the Sentinels (and sentinel-pass between them)
  std::vector<Setting> server;    // [server]: over the built-in master.conf settings
  std::vector<Setting> sentinel;  // [sentinel]: extra Sentinel directives (bind, loglevel, ...)
  std::vector<Host> hosts;

  // Set by `up` only: every process runs in the foreground of one machine, not under systemd.
  bool local = false;

  const Host* FindHost(std::string_view host_name) const;
  const Host& MasterHost() const;  // validated to exist
};

// Loads and validates `path`. The error is one line: "path:line:col: key: what is wrong".
std::expected<Topology, std::string> LoadTopology(const std::string& path);
std::expected<Topology, std::string> ParseTopology(std::string_view text, const std::string& path);

// The file text of a fully resolved topology (what `up` writes into its run directory, so that
// `status` and `down` can find nodes started with overridden addresses and ports).
std::string ToToml(const Topology& t);

// True for an IPv4 or IPv6 literal (as opposed to a DNS name).
bool IsIpLiteral(std::string_view address);

}  // namespace tandem::deploy
