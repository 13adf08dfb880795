// The server's option table against stock redis-server 7.0.15: names, defaults, bounds and error
// strings (golden data captured from `CONFIG GET *`, `CONFIG SET` and fatal config-file errors of
// stock Redis), the shared example configs, and a round trip of every option through load, GET,
// SET, REWRITE and reload.
#include "server/server_config.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "config/args.h"

using namespace tandem;
using config::Schema;
using server::ServerConfig;
using V = std::vector<std::string>;

namespace {

struct Fixture {
  std::unique_ptr<ServerConfig> cfg = std::make_unique<ServerConfig>();
  Schema schema;
  Fixture() { server::RegisterServerOptions(schema, *cfg); }
};

enum Mut { kMut, kImm, kProt };
struct Golden {
  const char* name;
  const char* get;  // stock CONFIG GET (port/bind/save/dir were overridden on the stock server)
  Mut mut;
  // Fatal reason (or "OK") of a config file line "<name> <value>" for these values:
  const char* lo;    // -9223372036854775808
  const char* hi;    // 99999999999999999999999
  const char* zz;    // zz
  const char* neg1;  // -1
  const char* zero;  // 0
};

// Captured from redis-server 7.0.15 (see the config owner's report for the probe script).
const Golden kGolden[] = {
    {"acl-pubsub-default", "resetchannels", kMut,
     "argument(s) must be one of the following: allchannels, resetchannels",
     "argument(s) must be one of the following: allchannels, resetchannels",
     "argument(s) must be one of the following: allchannels, resetchannels",
     "argument(s) must be one of the following: allchannels, resetchannels",
     "argument(s) must be one of the following: allchannels, resetchannels"},
    {"aclfile", "", kImm, "OK", "OK", "OK", "OK", "OK"},
    {"acllog-max-len", "128", kMut, "argument must be between 0 and 9223372036854775807 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 9223372036854775807 inclusive", "OK"},
    {"active-defrag-cycle-max", "25", kMut, "argument must be between 1 and 99 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 1 and 99 inclusive", "argument must be between 1 and 99 inclusive"},
    {"active-defrag-cycle-min", "1", kMut, "argument must be between 1 and 99 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 1 and 99 inclusive", "argument must be between 1 and 99 inclusive"},
    {"active-defrag-ignore-bytes", "104857600", kMut, "argument must be a memory value",
     "argument must be between 1 and 9223372036854775807 inclusive",
     "argument must be a memory value", "argument must be a memory value",
     "argument must be between 1 and 9223372036854775807 inclusive"},
    {"active-defrag-max-scan-fields", "1000", kMut,
     "argument must be between 1 and 9223372036854775807 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 1 and 9223372036854775807 inclusive",
     "argument must be between 1 and 9223372036854775807 inclusive"},
    {"active-defrag-threshold-lower", "10", kMut, "argument must be between 0 and 1000 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 1000 inclusive", "OK"},
    {"active-defrag-threshold-upper", "100", kMut, "argument must be between 0 and 1000 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 1000 inclusive", "OK"},
    {"active-expire-effort", "1", kMut, "argument must be between 1 and 10 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 1 and 10 inclusive", "argument must be between 1 and 10 inclusive"},
    {"activedefrag", "no", kMut, "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'"},
    {"activerehashing", "yes", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"always-show-logo", "no", kImm, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"aof-disable-auto-gc", "no", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"aof-load-truncated", "yes", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"aof-rewrite-incremental-fsync", "yes", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"aof-timestamp-enabled", "no", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"aof-use-rdb-preamble", "yes", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"aof_rewrite_cpulist", "", kImm, "OK", "OK", "OK", "OK", "OK"},
    {"appenddirname", "appendonlydir", kImm, "OK", "OK", "OK", "OK", "OK"},
    {"appendfilename", "appendonly.aof", kImm, "OK", "OK", "OK", "OK", "OK"},
    {"appendfsync", "everysec", kMut,
     "argument(s) must be one of the following: everysec, always, no",
     "argument(s) must be one of the following: everysec, always, no",
     "argument(s) must be one of the following: everysec, always, no",
     "argument(s) must be one of the following: everysec, always, no",
     "argument(s) must be one of the following: everysec, always, no"},
    {"appendonly", "no", kMut, "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'"},
    {"auto-aof-rewrite-min-size", "67108864", kMut, "argument must be a memory value",
     "argument must be between 0 and 9223372036854775807 inclusive",
     "argument must be a memory value", "argument must be a memory value", "OK"},
    {"auto-aof-rewrite-percentage", "100", kMut,
     "argument must be between 0 and 2147483647 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 2147483647 inclusive", "OK"},
    {"bgsave_cpulist", "", kImm, "OK", "OK", "OK", "OK", "OK"},
    {"bind", "127.0.0.1", kMut, "OK", "OK", "OK", "OK", "OK"},
    {"bind-source-addr", "", kMut, "OK", "OK", "OK", "OK", "OK"},
    {"bio_cpulist", "", kImm, "OK", "OK", "OK", "OK", "OK"},
    {"busy-reply-threshold", "5000", kMut,
     "argument must be between 0 and 9223372036854775807 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 9223372036854775807 inclusive", "OK"},
    {"client-output-buffer-limit",
     "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", kMut,
     "Wrong number of arguments in buffer limit configuration.",
     "Wrong number of arguments in buffer limit configuration.",
     "Wrong number of arguments in buffer limit configuration.",
     "Wrong number of arguments in buffer limit configuration.",
     "Wrong number of arguments in buffer limit configuration."},
    {"client-query-buffer-limit", "1073741824", kMut, "argument must be a memory value",
     "argument must be between 1048576 and 9223372036854775807 inclusive",
     "argument must be a memory value", "argument must be a memory value",
     "argument must be between 1048576 and 9223372036854775807 inclusive"},
    {"cluster-allow-pubsubshard-when-down", "yes", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"cluster-allow-reads-when-down", "no", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"cluster-allow-replica-migration", "yes", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"cluster-announce-bus-port", "0", kMut, "argument must be between 0 and 65535 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 65535 inclusive", "OK"},
    {"cluster-announce-hostname", "", kMut, "OK", "OK", "OK", "OK", "OK"},
    {"cluster-announce-ip", "", kMut, "OK", "OK", "OK", "OK", "OK"},
    {"cluster-announce-port", "0", kMut, "argument must be between 0 and 65535 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 65535 inclusive", "OK"},
    {"cluster-announce-tls-port", "0", kMut, "argument must be between 0 and 65535 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 65535 inclusive", "OK"},
    {"cluster-config-file", "nodes.conf", kImm, "OK", "OK", "OK", "OK", "OK"},
    {"cluster-enabled", "no", kImm, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"cluster-link-sendbuf-limit", "0", kMut, "argument must be a memory value", "OK",
     "argument must be a memory value", "argument must be a memory value", "OK"},
    {"cluster-migration-barrier", "1", kMut, "argument must be between 0 and 2147483647 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 2147483647 inclusive", "OK"},
    {"cluster-node-timeout", "15000", kMut,
     "argument must be between 0 and 9223372036854775807 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 9223372036854775807 inclusive", "OK"},
    {"cluster-port", "0", kImm, "argument must be between 0 and 65535 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 65535 inclusive", "OK"},
    {"cluster-preferred-endpoint-type", "ip", kMut,
     "argument(s) must be one of the following: ip, hostname, unknown-endpoint",
     "argument(s) must be one of the following: ip, hostname, unknown-endpoint",
     "argument(s) must be one of the following: ip, hostname, unknown-endpoint",
     "argument(s) must be one of the following: ip, hostname, unknown-endpoint",
     "argument(s) must be one of the following: ip, hostname, unknown-endpoint"},
    {"cluster-replica-no-failover", "no", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"cluster-replica-validity-factor", "10", kMut,
     "argument must be between 0 and 2147483647 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 2147483647 inclusive", "OK"},
    {"cluster-require-full-coverage", "yes", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"cluster-slave-no-failover", "no", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"cluster-slave-validity-factor", "10", kMut,
     "argument must be between 0 and 2147483647 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 2147483647 inclusive", "OK"},
    {"crash-log-enabled", "yes", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"crash-memcheck-enabled", "yes", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"daemonize", "no", kImm, "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'"},
    {"databases", "16", kImm, "argument must be between 1 and 2147483647 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 1 and 2147483647 inclusive",
     "argument must be between 1 and 2147483647 inclusive"},
    {"dbfilename", "dump.rdb", kProt, "OK", "OK", "OK", "OK", "OK"},
    {"dir", "/tmp/cfgwork", kProt, "No such file or directory", "No such file or directory",
     "No such file or directory", "No such file or directory", "No such file or directory"},
    {"disable-thp", "yes", kImm, "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'"},
    {"dynamic-hz", "yes", kMut, "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'"},
    {"enable-debug-command", "no", kImm, "argument(s) must be one of the following: no, yes, local",
     "argument(s) must be one of the following: no, yes, local",
     "argument(s) must be one of the following: no, yes, local",
     "argument(s) must be one of the following: no, yes, local",
     "argument(s) must be one of the following: no, yes, local"},
    {"enable-module-command", "no", kImm,
     "argument(s) must be one of the following: no, yes, local",
     "argument(s) must be one of the following: no, yes, local",
     "argument(s) must be one of the following: no, yes, local",
     "argument(s) must be one of the following: no, yes, local",
     "argument(s) must be one of the following: no, yes, local"},
    {"enable-protected-configs", "no", kImm,
     "argument(s) must be one of the following: no, yes, local",
     "argument(s) must be one of the following: no, yes, local",
     "argument(s) must be one of the following: no, yes, local",
     "argument(s) must be one of the following: no, yes, local",
     "argument(s) must be one of the following: no, yes, local"},
    {"hash-max-listpack-entries", "512", kMut,
     "argument must be between 0 and 9223372036854775807 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 9223372036854775807 inclusive", "OK"},
    {"hash-max-listpack-value", "64", kMut, "argument must be a memory value",
     "argument must be between 0 and 9223372036854775807 inclusive",
     "argument must be a memory value", "argument must be a memory value", "OK"},
    {"hash-max-ziplist-entries", "512", kMut,
     "argument must be between 0 and 9223372036854775807 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 9223372036854775807 inclusive", "OK"},
    {"hash-max-ziplist-value", "64", kMut, "argument must be a memory value",
     "argument must be between 0 and 9223372036854775807 inclusive",
     "argument must be a memory value", "argument must be a memory value", "OK"},
    {"hll-sparse-max-bytes", "3000", kMut, "argument must be a memory value",
     "argument must be between 0 and 9223372036854775807 inclusive",
     "argument must be a memory value", "argument must be a memory value", "OK"},
    {"hz", "10", kMut, "argument must be between 0 and 2147483647 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 2147483647 inclusive", "OK"},
    {"ignore-warnings", "", kMut, "OK", "OK", "OK", "OK", "OK"},
    {"io-threads", "1", kImm, "argument must be between 1 and 128 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 1 and 128 inclusive",
     "argument must be between 1 and 128 inclusive"},
    {"io-threads-do-reads", "no", kImm, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"jemalloc-bg-thread", "yes", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"latency-monitor-threshold", "0", kMut,
     "argument must be between 0 and 9223372036854775807 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 9223372036854775807 inclusive", "OK"},
    {"latency-tracking", "yes", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"latency-tracking-info-percentiles", "50 99 99.9", kMut,
     "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]",
     "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]",
     "Invalid latency-tracking-info-percentiles parameters",
     "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]", "OK"},
    {"lazyfree-lazy-eviction", "no", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"lazyfree-lazy-expire", "no", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"lazyfree-lazy-server-del", "no", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"lazyfree-lazy-user-del", "no", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"lazyfree-lazy-user-flush", "no", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"lfu-decay-time", "1", kMut, "argument must be between 0 and 2147483647 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 2147483647 inclusive", "OK"},
    {"lfu-log-factor", "10", kMut, "argument must be between 0 and 2147483647 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 2147483647 inclusive", "OK"},
    {"list-compress-depth", "0", kMut, "argument must be between 0 and 2147483647 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 2147483647 inclusive", "OK"},
    {"list-max-listpack-size", "-2", kMut,
     "argument must be between -2147483648 and 2147483647 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "OK", "OK"},
    {"list-max-ziplist-size", "-2", kMut,
     "argument must be between -2147483648 and 2147483647 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "OK", "OK"},
    {"logfile", "", kImm, "OK", "OK", "OK", "OK", "OK"},
    {"loglevel", "notice", kMut,
     "argument(s) must be one of the following: debug, verbose, notice, warning",
     "argument(s) must be one of the following: debug, verbose, notice, warning",
     "argument(s) must be one of the following: debug, verbose, notice, warning",
     "argument(s) must be one of the following: debug, verbose, notice, warning",
     "argument(s) must be one of the following: debug, verbose, notice, warning"},
    {"lua-time-limit", "5000", kMut, "argument must be between 0 and 9223372036854775807 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 9223372036854775807 inclusive", "OK"},
    {"masterauth", "", kMut, "OK", "OK", "OK", "OK", "OK"},
    {"masteruser", "", kMut, "OK", "OK", "OK", "OK", "OK"},
    {"maxclients", "10000", kMut, "argument must be between 1 and 4294967295 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 1 and 4294967295 inclusive",
     "argument must be between 1 and 4294967295 inclusive"},
    {"maxmemory", "0", kMut, "argument must be a memory value", "OK",
     "argument must be a memory value", "argument must be a memory value", "OK"},
    {"maxmemory-clients", "0", kMut, "argument must be a memory or percent value", "OK",
     "argument must be a memory or percent value", "argument must be a memory or percent value",
     "OK"},
    {"maxmemory-eviction-tenacity", "10", kMut, "argument must be between 0 and 100 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 100 inclusive", "OK"},
    {"maxmemory-policy", "noeviction", kMut,
     "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, "
     "volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction",
     "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, "
     "volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction",
     "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, "
     "volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction",
     "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, "
     "volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction",
     "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, "
     "volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"},
    {"maxmemory-samples", "5", kMut, "argument must be between 1 and 2147483647 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 1 and 2147483647 inclusive",
     "argument must be between 1 and 2147483647 inclusive"},
    {"min-replicas-max-lag", "10", kMut, "argument must be between 0 and 2147483647 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 2147483647 inclusive", "OK"},
    {"min-replicas-to-write", "0", kMut, "argument must be between 0 and 2147483647 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 2147483647 inclusive", "OK"},
    {"min-slaves-max-lag", "10", kMut, "argument must be between 0 and 2147483647 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 2147483647 inclusive", "OK"},
    {"min-slaves-to-write", "0", kMut, "argument must be between 0 and 2147483647 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 2147483647 inclusive", "OK"},
    {"no-appendfsync-on-rewrite", "no", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"notify-keyspace-events", "", kMut, "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.",
     "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.", "OK",
     "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.",
     "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."},
    {"oom-score-adj", "no", kMut,
     "argument(s) must be one of the following: no, yes, relative, absolute",
     "argument(s) must be one of the following: no, yes, relative, absolute",
     "argument(s) must be one of the following: no, yes, relative, absolute",
     "argument(s) must be one of the following: no, yes, relative, absolute",
     "argument(s) must be one of the following: no, yes, relative, absolute"},
    {"oom-score-adj-values", "0 200 800", kMut, "wrong number of arguments",
     "wrong number of arguments", "wrong number of arguments", "wrong number of arguments",
     "wrong number of arguments"},
    {"pidfile", "", kImm, "OK", "OK", "OK", "OK", "OK"},
    {"port", "17000", kMut, "argument must be between 0 and 65535 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 65535 inclusive", "OK"},
    {"proc-title-template", "{title} {listen-addr} {server-mode}", kMut, "OK", "OK", "OK", "OK",
     "OK"},
    {"propagation-error-behavior", "ignore", kMut,
     "argument(s) must be one of the following: ignore, panic, panic-on-replicas",
     "argument(s) must be one of the following: ignore, panic, panic-on-replicas",
     "argument(s) must be one of the following: ignore, panic, panic-on-replicas",
     "argument(s) must be one of the following: ignore, panic, panic-on-replicas",
     "argument(s) must be one of the following: ignore, panic, panic-on-replicas"},
    {"protected-mode", "yes", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"proto-max-bulk-len", "536870912", kMut, "argument must be a memory value",
     "argument must be between 1048576 and 9223372036854775807 inclusive",
     "argument must be a memory value", "argument must be a memory value",
     "argument must be between 1048576 and 9223372036854775807 inclusive"},
    {"rdb-del-sync-files", "no", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"rdb-save-incremental-fsync", "yes", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"rdbchecksum", "yes", kImm, "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'"},
    {"rdbcompression", "yes", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"repl-backlog-size", "1048576", kMut, "argument must be a memory value",
     "argument must be between 1 and 9223372036854775807 inclusive",
     "argument must be a memory value", "argument must be a memory value",
     "argument must be between 1 and 9223372036854775807 inclusive"},
    {"repl-backlog-ttl", "3600", kMut,
     "argument must be between 0 and 9223372036854775807 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 9223372036854775807 inclusive", "OK"},
    {"repl-disable-tcp-nodelay", "no", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"repl-diskless-load", "disabled", kMut,
     "argument(s) must be one of the following: disabled, on-empty-db, swapdb",
     "argument(s) must be one of the following: disabled, on-empty-db, swapdb",
     "argument(s) must be one of the following: disabled, on-empty-db, swapdb",
     "argument(s) must be one of the following: disabled, on-empty-db, swapdb",
     "argument(s) must be one of the following: disabled, on-empty-db, swapdb"},
    {"repl-diskless-sync", "yes", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"repl-diskless-sync-delay", "5", kMut, "argument must be between 0 and 2147483647 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 2147483647 inclusive", "OK"},
    {"repl-diskless-sync-max-replicas", "0", kMut,
     "argument must be between 0 and 2147483647 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 2147483647 inclusive", "OK"},
    {"repl-ping-replica-period", "10", kMut, "argument must be between 1 and 2147483647 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 1 and 2147483647 inclusive",
     "argument must be between 1 and 2147483647 inclusive"},
    {"repl-ping-slave-period", "10", kMut, "argument must be between 1 and 2147483647 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 1 and 2147483647 inclusive",
     "argument must be between 1 and 2147483647 inclusive"},
    {"repl-timeout", "60", kMut, "argument must be between 1 and 2147483647 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 1 and 2147483647 inclusive",
     "argument must be between 1 and 2147483647 inclusive"},
    {"replica-announce-ip", "", kMut, "OK", "OK", "OK", "OK", "OK"},
    {"replica-announce-port", "0", kMut, "argument must be between 0 and 65535 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 65535 inclusive", "OK"},
    {"replica-announced", "yes", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"replica-ignore-disk-write-errors", "no", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"replica-ignore-maxmemory", "yes", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"replica-lazy-flush", "no", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"replica-priority", "100", kMut, "argument must be between 0 and 2147483647 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 2147483647 inclusive", "OK"},
    {"replica-read-only", "yes", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"replica-serve-stale-data", "yes", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"replicaof", "", kImm, "wrong number of arguments", "wrong number of arguments",
     "wrong number of arguments", "wrong number of arguments", "wrong number of arguments"},
    {"requirepass", "", kMut, "OK", "OK", "OK", "OK", "OK"},
    {"sanitize-dump-payload", "no", kMut,
     "argument(s) must be one of the following: no, yes, clients",
     "argument(s) must be one of the following: no, yes, clients",
     "argument(s) must be one of the following: no, yes, clients",
     "argument(s) must be one of the following: no, yes, clients",
     "argument(s) must be one of the following: no, yes, clients"},
    {"save", "", kMut, "Invalid save parameters", "Invalid save parameters",
     "Invalid save parameters", "Invalid save parameters", "Invalid save parameters"},
    {"server_cpulist", "", kImm, "OK", "OK", "OK", "OK", "OK"},
    {"set-max-intset-entries", "512", kMut,
     "argument must be between 0 and 9223372036854775807 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 9223372036854775807 inclusive", "OK"},
    {"set-proc-title", "yes", kImm, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"shutdown-on-sigint", "default", kMut,
     "argument(s) must be one of the following: default, save, nosave, now, force",
     "argument(s) must be one of the following: default, save, nosave, now, force",
     "argument(s) must be one of the following: default, save, nosave, now, force",
     "argument(s) must be one of the following: default, save, nosave, now, force",
     "argument(s) must be one of the following: default, save, nosave, now, force"},
    {"shutdown-on-sigterm", "default", kMut,
     "argument(s) must be one of the following: default, save, nosave, now, force",
     "argument(s) must be one of the following: default, save, nosave, now, force",
     "argument(s) must be one of the following: default, save, nosave, now, force",
     "argument(s) must be one of the following: default, save, nosave, now, force",
     "argument(s) must be one of the following: default, save, nosave, now, force"},
    {"shutdown-timeout", "10", kMut, "argument must be between 0 and 2147483647 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 2147483647 inclusive", "OK"},
    {"slave-announce-ip", "", kMut, "OK", "OK", "OK", "OK", "OK"},
    {"slave-announce-port", "0", kMut, "argument must be between 0 and 65535 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 65535 inclusive", "OK"},
    {"slave-ignore-maxmemory", "yes", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"slave-lazy-flush", "no", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"slave-priority", "100", kMut, "argument must be between 0 and 2147483647 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 2147483647 inclusive", "OK"},
    {"slave-read-only", "yes", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"slave-serve-stale-data", "yes", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"slaveof", "", kImm, "wrong number of arguments", "wrong number of arguments",
     "wrong number of arguments", "wrong number of arguments", "wrong number of arguments"},
    {"slowlog-log-slower-than", "10000", kMut,
     "argument must be between -1 and 9223372036854775807 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "OK", "OK"},
    {"slowlog-max-len", "128", kMut, "argument must be between 0 and 9223372036854775807 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 9223372036854775807 inclusive", "OK"},
    {"socket-mark-id", "0", kImm, "argument must be between 0 and 4294967295 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 4294967295 inclusive", "OK"},
    {"stop-writes-on-bgsave-error", "yes", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"stream-node-max-bytes", "4096", kMut, "argument must be a memory value",
     "argument must be between 0 and 9223372036854775807 inclusive",
     "argument must be a memory value", "argument must be a memory value", "OK"},
    {"stream-node-max-entries", "100", kMut,
     "argument must be between 0 and 9223372036854775807 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 9223372036854775807 inclusive", "OK"},
    {"supervised", "no", kImm,
     "argument(s) must be one of the following: upstart, systemd, auto, no",
     "argument(s) must be one of the following: upstart, systemd, auto, no",
     "argument(s) must be one of the following: upstart, systemd, auto, no",
     "argument(s) must be one of the following: upstart, systemd, auto, no",
     "argument(s) must be one of the following: upstart, systemd, auto, no"},
    {"syslog-enabled", "no", kImm, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"syslog-facility", "local0", kImm,
     "argument(s) must be one of the following: user, local0, local1, local2, local3, local4, "
     "local5, local6, local7",
     "argument(s) must be one of the following: user, local0, local1, local2, local3, local4, "
     "local5, local6, local7",
     "argument(s) must be one of the following: user, local0, local1, local2, local3, local4, "
     "local5, local6, local7",
     "argument(s) must be one of the following: user, local0, local1, local2, local3, local4, "
     "local5, local6, local7",
     "argument(s) must be one of the following: user, local0, local1, local2, local3, local4, "
     "local5, local6, local7"},
    {"syslog-ident", "redis", kImm, "OK", "OK", "OK", "OK", "OK"},
    {"tcp-backlog", "511", kImm, "argument must be between 0 and 2147483647 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 2147483647 inclusive", "OK"},
    {"tcp-keepalive", "300", kMut, "argument must be between 0 and 2147483647 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 2147483647 inclusive", "OK"},
    {"timeout", "0", kMut, "argument must be between 0 and 2147483647 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 2147483647 inclusive", "OK"},
    {"tls-auth-clients", "yes", kMut, "argument(s) must be one of the following: no, yes, optional",
     "argument(s) must be one of the following: no, yes, optional",
     "argument(s) must be one of the following: no, yes, optional",
     "argument(s) must be one of the following: no, yes, optional",
     "argument(s) must be one of the following: no, yes, optional"},
    {"tls-ca-cert-dir", "", kMut, "OK", "OK", "OK", "OK", "OK"},
    {"tls-ca-cert-file", "", kMut, "OK", "OK", "OK", "OK", "OK"},
    {"tls-cert-file", "", kMut, "OK", "OK", "OK", "OK", "OK"},
    {"tls-ciphers", "", kMut, "OK", "OK", "OK", "OK", "OK"},
    {"tls-ciphersuites", "", kMut, "OK", "OK", "OK", "OK", "OK"},
    {"tls-client-cert-file", "", kMut, "OK", "OK", "OK", "OK", "OK"},
    {"tls-client-key-file", "", kMut, "OK", "OK", "OK", "OK", "OK"},
    {"tls-client-key-file-pass", "", kMut, "OK", "OK", "OK", "OK", "OK"},
    {"tls-cluster", "no", kMut, "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'"},
    {"tls-dh-params-file", "", kMut, "OK", "OK", "OK", "OK", "OK"},
    {"tls-key-file", "", kMut, "OK", "OK", "OK", "OK", "OK"},
    {"tls-key-file-pass", "", kMut, "OK", "OK", "OK", "OK", "OK"},
    {"tls-port", "0", kMut, "argument must be between 0 and 65535 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 65535 inclusive", "OK"},
    {"tls-prefer-server-ciphers", "no", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"tls-protocols", "", kMut, "OK", "OK", "OK", "OK", "OK"},
    {"tls-replication", "no", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"tls-session-cache-size", "20480", kMut, "argument must be between 0 and 2147483647 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 2147483647 inclusive", "OK"},
    {"tls-session-cache-timeout", "300", kMut,
     "argument must be between 0 and 2147483647 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 2147483647 inclusive", "OK"},
    {"tls-session-caching", "yes", kMut, "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'",
     "argument must be 'yes' or 'no'", "argument must be 'yes' or 'no'"},
    {"tracking-table-max-keys", "1000000", kMut,
     "argument must be between 0 and 9223372036854775807 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 9223372036854775807 inclusive", "OK"},
    {"unixsocket", "", kImm, "OK", "OK", "OK", "OK", "OK"},
    {"unixsocketperm", "0", kImm, "argument couldn't be parsed as an octal number",
     "argument couldn't be parsed as an octal number",
     "argument couldn't be parsed as an octal number",
     "argument must be between 0 and 777 inclusive", "OK"},
    {"zset-max-listpack-entries", "128", kMut,
     "argument must be between 0 and 9223372036854775807 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 9223372036854775807 inclusive", "OK"},
    {"zset-max-listpack-value", "64", kMut, "argument must be a memory value",
     "argument must be between 0 and 9223372036854775807 inclusive",
     "argument must be a memory value", "argument must be a memory value", "OK"},
    {"zset-max-ziplist-entries", "128", kMut,
     "argument must be between 0 and 9223372036854775807 inclusive",
     "argument couldn't be parsed into an integer", "argument couldn't be parsed into an integer",
     "argument must be between 0 and 9223372036854775807 inclusive", "OK"},
    {"zset-max-ziplist-value", "64", kMut, "argument must be a memory value",
     "argument must be between 0 and 9223372036854775807 inclusive",
     "argument must be a memory value", "argument must be a memory value", "OK"},
};

std::string LoadReason(const std::string& line) {
  Fixture f;
  auto r = f.schema.LoadFromString(line + "\n");
  return r ? std::string("OK") : r.error().reason;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("server options: the table lists exactly the names of Redis 7.0.15 CONFIG GET *") {
  Fixture f;
  std::set<std::string> ours;
  for (const auto& [k, v] : f.schema.ConfigGet(V{"*"})) ours.insert(k);
  std::set<std::string> stock;
  for (const auto& g : kGolden) stock.insert(g.name);
  CHECK(ours == stock);
}

TEST_CASE("server options: defaults match stock Redis (port is 6389 by design)") {
  Fixture f;
  char cwd[4096];
  REQUIRE(getcwd(cwd, sizeof(cwd)) != nullptr);
  for (const auto& g : kGolden) {
    CAPTURE(g.name);
    const std::string name = g.name;
    const std::string ours = *f.schema.GetValue(name);
    if (name == "port") {
      CHECK(ours == "6389");
    } else if (name == "bind") {
      CHECK(ours == "* -::*");
    } else if (name == "save") {
      CHECK(ours == "3600 1 300 100 60 10000");
    } else if (name == "dir") {
      CHECK(ours == cwd);
    } else {
      CHECK(ours == g.get);
    }
  }
}

TEST_CASE("server options: mutability matches stock Redis") {
  Fixture f;
  for (const auto& g : kGolden) {
    CAPTURE(g.name);
    const config::Option* o = f.schema.Find(g.name);
    REQUIRE(o != nullptr);
    CHECK(o->Has(config::kImmutable) == (g.mut == kImm));
    CHECK(o->Has(config::kProtected) == (g.mut == kProt));
  }
}

TEST_CASE("server options: bounds and parse errors match stock Redis for every option") {
  const std::filesystem::path cwd = std::filesystem::current_path();
  for (const auto& g : kGolden) {
    const std::string name = g.name;
    CAPTURE(name);
    CHECK(LoadReason(name + " -9223372036854775808") == g.lo);
    CHECK(LoadReason(name + " 99999999999999999999999") == g.hi);
    CHECK(LoadReason(name + " zz") == g.zz);
    CHECK(LoadReason(name + " -1") == g.neg1);
    CHECK(LoadReason(name + " 0") == g.zero);
    std::filesystem::current_path(cwd);
  }
}

TEST_CASE("server options: the shared example configs load") {
  for (const char* file : {"master.conf", "replica.conf"}) {
    const std::string path = std::string("/work/shared/examples/") + file;
    if (!std::filesystem::exists(path)) continue;
    CAPTURE(path);
    Fixture f;
    // These files name directories that do not exist here; drop "dir" lines only.
    std::string text;
    std::istringstream in(Slurp(path));
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("dir ", 0) == 0) continue;
      text += line + "\n";
    }
    auto r = f.schema.LoadFromString(text);
    if (!r) FAIL(r.error().Format("7.0.15"));
    CHECK(f.cfg->appendonly);
    CHECK(f.cfg->bind == V{"0.0.0.0"});
    CHECK(f.cfg->client_output_buffer_limit[1].hard == 256LL << 20);
    if (std::string(file) == "replica.conf") {
      CHECK(f.cfg->replicaof_host == "dev.backend-console-internal.example.com");
      CHECK(f.cfg->replicaof_port == 6389);
      CHECK(*f.schema.GetValue("slaveof") == "dev.backend-console-internal.example.com 6389");
    } else {
      CHECK(f.cfg->auto_aof_rewrite_min_size == 64LL << 20);
      CHECK(f.cfg->hash_max_listpack_entries == 512);
      CHECK(f.cfg->notify_keyspace_events == 0);
    }
  }
}

TEST_CASE("server options: special options parse and print like Redis") {
  Fixture f;
  REQUIRE(
      f.schema.LoadFromString("bind 127.0.0.1 -::1 192.168.1.1\n"
                              "save 900 1\nsave 300 10\n"
                              "client-output-buffer-limit normal 0 0 0\n"
                              "client-output-buffer-limit slave 256mb 64mb 60\n"
                              "client-output-buffer-limit pubsub 32mb 8mb 60\n"
                              "client-output-buffer-limit replica 1mb 2mb 3\n"
                              "slaveof 10.0.0.1 6379\n"
                              "notify-keyspace-events KEA\n"
                              "rename-command FLUSHALL \"\"\n"
                              "rename-command CONFIG cfg\n"
                              "maxmemory-clients 5%\n"
                              "shutdown-on-sigint save now\n"
                              "unixsocketperm 700\n"
                              "hz 1000\n"));
  auto get = [&](const char* n) { return *f.schema.GetValue(n); };
  CHECK(get("bind") == "127.0.0.1 -::1 192.168.1.1");
  CHECK(get("save") == "900 1 300 10");
  CHECK(get("client-output-buffer-limit") ==
        "normal 0 0 0 slave 1048576 2097152 3 pubsub 33554432 8388608 60");
  CHECK(get("replicaof") == "10.0.0.1 6379");
  CHECK(get("notify-keyspace-events") == "AKE");
  CHECK(get("maxmemory-clients") == "5%");
  CHECK(get("shutdown-on-sigint") == "save now");
  CHECK(get("unixsocketperm") == "700");
  CHECK(f.cfg->unixsocketperm == 0700);
  CHECK(get("hz") == "500");
  CHECK(f.cfg->renamed_commands ==
        std::vector<std::pair<std::string, std::string>>{{"FLUSHALL", ""}, {"CONFIG", "cfg"}});
  REQUIRE(f.schema.LoadFromString("slaveof no one\nsave \"\"\nbind \"\"\n"));
  CHECK(get("replicaof").empty());
  CHECK(get("save").empty());
  CHECK(get("bind").empty());
  REQUIRE(f.schema.ConfigSet(V{"notify-keyspace-events", "Kx"}));
  CHECK(get("notify-keyspace-events") == "xK");
  REQUIRE(f.schema.ConfigSet(V{"shutdown-on-sigint", "default now"}));
  CHECK(get("shutdown-on-sigint") == "now");
  REQUIRE(f.schema.ConfigSet(V{"latency-tracking-info-percentiles", ""}));
  CHECK(get("latency-tracking-info-percentiles").empty());
  REQUIRE(f.schema.ConfigSet(V{"maxmemory-policy", "ALLKEYS-LRU", "appendonly", "YES"}));
  CHECK(get("maxmemory-policy") == "allkeys-lru");
  CHECK(get("appendonly") == "yes");
  REQUIRE(f.schema.ConfigSet(V{"maxmemory", "5K", "hz", "0"}));
  CHECK(get("maxmemory") == "5000");
  CHECK(get("hz") == "1");
}

TEST_CASE("server options: CONFIG SET error strings of special options") {
  Fixture f;
  auto set = [&](V args) {
    auto r = f.schema.ConfigSet(args);
    return r ? std::string("OK") : r.error();
  };
  const std::string p = "ERR CONFIG SET failed (possibly related to argument '";
  CHECK(set({"save", "1"}) == p + "save') - Invalid save parameters");
  CHECK(set({"client-output-buffer-limit", "foo 1 2 3"}) ==
        p + "client-output-buffer-limit') - Invalid client class specified in buffer limit "
            "configuration.");
  CHECK(set({"client-output-buffer-limit", "normal 1 2"}) ==
        p + "client-output-buffer-limit') - Wrong number of arguments in buffer limit "
            "configuration.");
  CHECK(set({"notify-keyspace-events", "Z"}) ==
        p + "notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
  CHECK(set({"oom-score-adj-values", "1 2"}) ==
        p + "oom-score-adj-values') - wrong number of arguments");
  CHECK(set({"oom-score-adj-values", "1 2 3000"}) ==
        p + "oom-score-adj-values') - Invalid oom-score-adj-values, elements must be between "
            "-2000 and 2000.");
  CHECK(set({"latency-tracking-info-percentiles", "50 200"}) ==
        p + "latency-tracking-info-percentiles') - latency-tracking-info-percentiles parameters "
            "should sit between [0.0,100.0]");
  CHECK(set({"latency-tracking-info-percentiles", "a"}) ==
        p + "latency-tracking-info-percentiles') - Invalid latency-tracking-info-percentiles "
            "parameters");
  CHECK(set({"maxmemory-clients", "200%"}) ==
        p + "maxmemory-clients') - percentage argument must be less or equal to 100");
  CHECK(set({"maxmemory-clients", "1.5%"}) ==
        p + "maxmemory-clients') - argument must be a memory or percent value");
  CHECK(set({"shutdown-on-sigint", "nosave save"}) ==
        p + "shutdown-on-sigint') - shutdown options SAVE and NOSAVE can't be used "
            "simultaneously");
  CHECK(set({"proc-title-template", "{foo}"}) ==
        p + "proc-title-template') - template format is invalid or contains unknown variables");
  CHECK(set({"proc-title-template", "{title}"}) ==
        p + "proc-title-template') - template format is invalid or contains unknown variables");
  CHECK(set({"cluster-announce-hostname", "a b"}) ==
        p + "cluster-announce-hostname') - Hostnames may only contain alphanumeric characters, "
            "hyphens or dots");
  CHECK(set({"replicaof", "a b"}) == p + "replicaof') - can't set immutable config");
  CHECK(set({"slaveof", ""}) == p + "slaveof') - can't set immutable config");
  CHECK(set({"dir", "/tmp"}) == p + "dir') - can't set protected config");
  CHECK(set({"dbfilename", "x/y"}) == p + "dbfilename') - can't set protected config");
  CHECK(set({"unixsocketperm", "777"}) == p + "unixsocketperm') - can't set immutable config");
  CHECK(set({"port", "1", "port", "2"}) == p + "port') - duplicate parameter");
  CHECK(set({"replica-priority", "50", "slave-priority", "60"}) == "OK");
  CHECK(f.cfg->replica_priority == 60);
  CHECK(set({"dir", "/"}) == p + "dir') - can't set protected config");
  auto r = f.schema.ConfigSet(V{"dbfilename", "x.rdb"}, Schema::SetOptions{true, true});
  CHECK(r.error() == "ERR CONFIG SET failed - can't set config while loading");
}

TEST_CASE("server options: bad config lines give Redis's exact fatal messages") {
  auto reason = [](const char* text) {
    Fixture f;
    auto r = f.schema.LoadFromString(text);
    return r ? std::string("OK") : r.error().reason;
  };
  CHECK(reason("port 1234 5") == "wrong number of arguments");
  CHECK(reason("foo bar") == "Bad directive or wrong number of arguments");
  CHECK(reason("port \"abc") == "Unbalanced quotes in configuration line");
  CHECK(reason("port 'abc'x") == "Unbalanced quotes in configuration line");
  CHECK(reason("save 1") == "Invalid save parameters");
  CHECK(reason("save 0 1") == "Invalid save parameters");
  CHECK(reason("save 1 -1") == "Invalid save parameters");
  CHECK(reason("save") == "OK");
  CHECK(reason("bind") == "OK");
  CHECK(reason("bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17") ==
        "Too many bind addresses specified.");
  CHECK(reason("slaveof a") == "wrong number of arguments");
  CHECK(reason("replicaof a b") == "Invalid master port");
  CHECK(reason("replicaof a 99999") == "Invalid master port");
  CHECK(reason("client-output-buffer-limit master 1 2 3") ==
        "Invalid client class specified in buffer limit configuration.");
  CHECK(reason("client-output-buffer-limit normal x 2 3") ==
        "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
  CHECK(reason("dbfilename a/b") == "dbfilename can't be a path, just a filename");
  CHECK(reason("appendfilename a/b") == "appendfilename can't be a path, just a filename");
  CHECK(reason("appenddirname a/b") == "appenddirname can't be a path, just a dirname");
  CHECK(reason("dir /nonexistent") == "No such file or directory");
  CHECK(reason("unixsocketperm 8") == "argument couldn't be parsed as an octal number");
  CHECK(reason("loglevel nothing") ==
        "argument(s) must be one of the following: debug, verbose, notice, warning");
  CHECK(reason("rename-command get") == "Bad directive or wrong number of arguments");
  CHECK(reason("list-max-ziplist-entries 5") == "OK");
  CHECK(reason("list-max-ziplist-value 5 6") == "Bad directive or wrong number of arguments");
  CHECK(reason("lua-replicate-commands yes") == "OK");
  CHECK(reason("user default on") == "OK");  // ACL users (rules are checked at start)
  CHECK(reason("user") == "Bad directive or wrong number of arguments");
  for (const char* bad : {"port 0x10", "port \" 12\"", "port +12", "port -0", "port 012", "hz 1.0",
                          "hz 99999999999999999999"}) {
    CAPTURE(bad);
    CHECK(reason(bad) == "argument couldn't be parsed into an integer");
  }
  CHECK(reason("maxmemory 1.5gb") == "argument must be a memory value");
  CHECK(reason("maxmemory \" 5\"") == "argument must be a memory value");
  CHECK(reason("maxmemory 1GB") == "OK");
}

TEST_CASE("server options: rewrite matches stock Redis on a representative file") {
  // Same steps as run against stock redis-server 7.0.15; its output is the expected text.
  Fixture f;
  const std::string old =
      "# top comment\nport 17001\nbind 127.0.0.1\n\n# save section\nsave 900 1\nsave 300 10\n"
      "hz 10\nhz 12\nslave-read-only yes\nhash-max-ziplist-entries 256\n"
      "auto-aof-rewrite-min-size 64mb\nmaxmemory 1000\nclient-output-buffer-limit normal 0 0 0\n"
      "client-output-buffer-limit slave 256mb 64mb 60\nrename-command FLUSHALL \"\"\n"
      "slaveof 127.0.0.1 1\n  timeout   0\nlogfile \"\"\ndbfilename \"dump.rdb\"\n"
      "notify-keyspace-events \"\"\ndaemonize no\nlist-max-ziplist-entries 5\n# end\n";
  REQUIRE(f.schema.LoadFromString(old));
  char cwd[4096];
  REQUIRE(getcwd(cwd, sizeof(cwd)) != nullptr);
  const std::string dir_line = "dir " + config::Repr(cwd) + "\n";
  CHECK(f.schema.RenderRewrite(old) ==
        "# top comment\nport 17001\nbind 127.0.0.1\n\n# save section\nsave 900 1\nsave 300 10\n"
        "hz 12\n\nreplica-read-only yes\nhash-max-listpack-entries 256\n"
        "auto-aof-rewrite-min-size 64mb\nmaxmemory 1000\nclient-output-buffer-limit normal 0 0 0\n"
        "client-output-buffer-limit replica 256mb 64mb 60\nrename-command FLUSHALL \"\"\n"
        "replicaof 127.0.0.1 1\ntimeout 0\nlogfile \"\"\ndbfilename \"dump.rdb\"\n"
        "notify-keyspace-events \"\"\ndaemonize no\n# ??? list-max-ziplist-entries 5\n# end\n\n"
        "# Generated by CONFIG REWRITE\n" +
            dir_line + "latency-tracking-info-percentiles 50 99 99.9\n");

  // Second round, as on stock: unset replicaof, change save/bind/limits, set new options.
  REQUIRE(f.schema.LoadFromString("replicaof no one\n"));
  REQUIRE(f.schema.ConfigSet(V{"client-output-buffer-limit",
                               "replica 0 0 0 pubsub 1mb 2mb 3",
                               "save",
                               "60 5",
                               "bind",
                               "127.0.0.1 -::1",
                               "hz",
                               "10",
                               "slave-read-only",
                               "no",
                               "maxmemory",
                               "2gb",
                               "appendonly",
                               "yes",
                               "maxmemory-clients",
                               "5%",
                               "requirepass",
                               "a b\"c",
                               "notify-keyspace-events",
                               "Kx"}));
  const std::string second = f.schema.RenderRewrite(old);
  CHECK(
      second ==
      std::string(
          "# top comment\nport 17001\nbind 127.0.0.1 -::1\n\n# save section\nsave 60 5\n\n"
          "hz 10\n\nreplica-read-only no\nhash-max-listpack-entries 256\n"
          "auto-aof-rewrite-min-size 64mb\nmaxmemory 2gb\nclient-output-buffer-limit normal 0 0 0\n"
          "client-output-buffer-limit replica 0 0 0\nrename-command FLUSHALL \"\"\n\n"
          "timeout 0\nlogfile \"\"\ndbfilename \"dump.rdb\"\nnotify-keyspace-events \"xK\"\n"
          "daemonize no\n# ??? list-max-ziplist-entries 5\n# end\n\n"
          "# Generated by CONFIG REWRITE\n"
          "appendonly yes\nrequirepass \"a b\\\"c\"\n") +
          "maxmemory-clients 5%\n" + dir_line +
          "client-output-buffer-limit pubsub 1mb 2mb 3\n"
          "latency-tracking-info-percentiles 50 99 99.9\n");
}

TEST_CASE("server options: a rewritten replicaof or bind with blanks or NUL bytes loads back") {
  // Found by config_fuzz (tests/fuzz/corpus/config/replicaof-nul): replicaof's host and bind's
  // addresses were written raw, so a host holding a NUL byte or a blank came back cut or split
  // and the rewritten file failed to load. Plain values are written as Redis writes them.
  Fixture f;
  REQUIRE(f.schema.LoadFromString("replicaof \"db\\x00 x\" 6379\nbind \"\" 127.0.0.1 \"a b\"\n"));
  const std::string text = f.schema.RenderRewrite("");
  CHECK(text.find("replicaof \"db\\x00 x\" 6379\n") != std::string::npos);
  CHECK(text.find("bind \"\" 127.0.0.1 \"a b\"\n") != std::string::npos);
  Fixture g;
  REQUIRE(g.schema.LoadFromString(text));
  CHECK(g.cfg->replicaof_host == std::string("db\0 x", 5));
  CHECK(g.cfg->replicaof_port == 6379);
  CHECK(g.cfg->bind == V{"", "127.0.0.1", "a b"});

  Fixture plain;
  REQUIRE(plain.schema.LoadFromString("replicaof 10.0.0.1 6379\nbind 127.0.0.1 -::1\n"));
  const std::string plain_text = plain.schema.RenderRewrite("");
  CHECK(plain_text.find("replicaof 10.0.0.1 6379\n") != std::string::npos);
  CHECK(plain_text.find("bind 127.0.0.1 -::1\n") != std::string::npos);
}

TEST_CASE("server options: every option survives load, GET, SET, REWRITE and reload") {
  // A non-default value per option where one exists; chosen by trying candidates in order.
  const std::map<std::string, std::string> special = {
      {"save", "100 10 200 20"},
      {"bind", "127.0.0.1 -::1"},
      {"replicaof", "127.0.0.1 6390"},
      {"client-output-buffer-limit", "normal 1mb 2mb 3 replica 1gb 1025 5"},
      {"notify-keyspace-events", "KEA"},
      {"oom-score-adj-values", "1 -2 3"},
      {"latency-tracking-info-percentiles", "50 99.99"},
      {"shutdown-on-sigint", "save now"},
      {"shutdown-on-sigterm", "nosave force"},
      {"dir", "."},
      {"proc-title-template", "\"{title} x\""},
      {"cluster-announce-hostname", "host.example"},
      {"maxmemory-clients", "7%"},
      {"unixsocketperm", "750"},
  };
  const std::vector<std::string> candidates = {"no",  "yes",  "\"a b\\\"c\"", "3",  "7",
                                               "1mb", "1025", "100",          "abc"};
  char tmpl[] = "/tmp/tandem-config-rt-XXXXXX";
  const std::filesystem::path dir = mkdtemp(tmpl);
  const std::filesystem::path cwd = std::filesystem::current_path();
  Fixture probe;
  int checked = 0;
  for (const config::Option& opt : probe.schema.options()) {
    for (const std::string& name : {opt.name, opt.alias}) {
      if (name.empty()) continue;
      CAPTURE(name);
      std::string line;
      if (auto it = special.find(opt.name); it != special.end()) {
        line = name + " " + it->second;
      } else {
        std::vector<std::string> options;
        if (opt.type == config::OptionType::kEnum) {
          // Every name listed in the enum's error message is a valid value.
          Fixture f;
          auto err = f.schema.LoadFromString(name + " \x01\n").error().reason;
          std::istringstream names(err.substr(err.find(": ") + 2));
          for (std::string n; std::getline(names, n, ',');) {
            options.push_back(n.substr(n.find_first_not_of(' ')));
          }
        }
        options.insert(options.end(), candidates.begin(), candidates.end());
        for (const std::string& cand : options) {
          Fixture f;
          if (f.schema.LoadFromString(name + " " + cand + "\n") &&
              !f.schema.Find(name)->IsDefault()) {
            line = name + " " + cand;
            break;
          }
        }
      }
      REQUIRE_MESSAGE(!line.empty(), "no non-default value found");

      Fixture f;
      auto loaded = f.schema.LoadFromString(line + "\n");
      REQUIRE_MESSAGE(loaded.has_value(), line);
      const std::string value = *f.schema.GetValue(name);
      CHECK(f.schema.GetValue(opt.name) == value);
      if (!opt.Has(config::kImmutable)) {
        auto set = f.schema.ConfigSet(V{name, value}, Schema::SetOptions{false, true});
        CHECK_MESSAGE(set.has_value(), set.error());
        CHECK(*f.schema.GetValue(name) == value);
      }
      const std::string path = (dir / "rt.conf").string();
      std::filesystem::remove(path);
      { std::ofstream(path) << "# header\n"; }
      REQUIRE(f.schema.Rewrite(path));
      Fixture g;
      auto reloaded = g.schema.LoadFromFile(path);
      REQUIRE_MESSAGE(reloaded.has_value(), Slurp(path));
      CHECK_MESSAGE(*g.schema.GetValue(name) == value, Slurp(path));
      // A second rewrite of the rewritten file is stable apart from blank-line collapsing.
      REQUIRE(g.schema.Rewrite(path));
      Fixture h;
      REQUIRE(h.schema.LoadFromFile(path));
      CHECK(*h.schema.GetValue(name) == value);
      std::filesystem::current_path(cwd);
      ++checked;
    }
  }
  std::filesystem::remove_all(dir);
  CHECK(checked == 194);
}

TEST_CASE("server options: not-acted-on options are reported when set") {
  Fixture f;
  const auto all = f.schema.NotActedOn(false);
  CHECK(std::find(all.begin(), all.end(), "io-threads") != all.end());
  CHECK(std::find(all.begin(), all.end(), "port") == all.end());
  // Both AOF options are acted on (command-form base, fsync held back during a fork child).
  CHECK(std::find(all.begin(), all.end(), "aof-use-rdb-preamble") == all.end());
  CHECK(std::find(all.begin(), all.end(), "no-appendfsync-on-rewrite") == all.end());
  CHECK(f.schema.NotActedOn(true).empty());
  REQUIRE(f.schema.LoadFromString("io-threads 4\nactivedefrag yes\nport 7000\n"));
  CHECK(f.schema.NotActedOn(true) == V{"activedefrag", "io-threads"});
}
