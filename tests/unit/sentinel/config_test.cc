#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "sentinel/config_file.h"

using namespace tandem::sentinel;

namespace {

struct Loaded {
  ServerOptions opts;
  GlobalState g;
  std::expected<void, tandem::config::LoadError> result;
};

Loaded Load(const std::string& text) {
  Loaded l;
  tandem::config::Schema schema;
  RegisterServerOptions(schema, l.opts);
  l.result = LoadConfigText(text, schema, l.g);
  return l;
}

const char* kMyId = "0123456789abcdef0123456789abcdef01234567";

}  // namespace

TEST_CASE("config: the topology's sentinel.conf loads") {
  auto l = Load(
      "sentinel monitor redis-dev-cluster 127.0.0.11 6389 2\n"
      "bind 127.0.0.11\n"
      "port 26389\n"
      "sentinel announce-ip 127.0.0.11\n"
      "sentinel down-after-milliseconds redis-dev-cluster 6001\n"
      "sentinel failover-timeout redis-dev-cluster 60000\n"
      "sentinel parallel-syncs redis-dev-cluster 1\n"
      "daemonize no\n");
  REQUIRE(l.result.has_value());
  CHECK(l.opts.port == 26389);
  CHECK(l.opts.bind == std::vector<std::string>{"127.0.0.11"});
  REQUIRE(l.g.masters.size() == 1);
  Instance& m = *l.g.masters[0];
  CHECK(m.name == "redis-dev-cluster");
  CHECK(m.addr.ip == "127.0.0.11");
  CHECK(m.addr.port == 6389);
  CHECK(m.quorum == 2);
  CHECK(m.down_after_period == 6001);
  CHECK(m.failover_timeout == 60000);
  CHECK(l.g.announce_ip == "127.0.0.11");
}

TEST_CASE("config: per-master lines before the monitor line still apply (Redis queues them)") {
  auto l = Load(
      "sentinel known-replica m 127.0.0.12 6389\n"
      "sentinel myid " +
      std::string(kMyId) +
      "\n"
      "sentinel monitor m 127.0.0.11 6389 2\n"
      "sentinel known-sentinel m 127.0.0.12 26389 " +
      std::string(40, 'b') + "\n");
  REQUIRE(l.result.has_value());
  CHECK(l.g.myid == kMyId);
  CHECK(l.g.masters[0]->slaves.size() == 1);
  CHECK(l.g.masters[0]->sentinels.size() == 1);
  CHECK(l.g.masters[0]->sentinels[0]->runid == std::string(40, 'b'));
}

TEST_CASE("config: bad sentinel lines fail with Redis's texts and the right line number") {
  struct Case {
    std::string text;
    int line;
    std::string reason;
  };
  const Case cases[] = {
      {"port 26389\nsentinel monitor m 127.0.0.1 6379 0\n", 2, "Quorum must be 1 or greater."},
      {"sentinel monitor m host.invalid 6379 2\n", 1, "Can't resolve instance hostname."},
      {"sentinel monitor m 127.0.0.1 70000 2\n", 1, "Invalid port number."},
      {"sentinel monitor m 127.0.0.1 6379 2\nsentinel monitor m 127.0.0.1 6380 2\n", 2,
       "Duplicate master name."},
      {"sentinel down-after-milliseconds nope 1000\n", 1, "No such master with specified name."},
      {"sentinel monitor m 127.0.0.1 6379 2\n\nsentinel down-after-milliseconds m 0\n", 3,
       "negative or zero time parameter."},
      {"sentinel myid abc\n", 1, "Malformed Sentinel id in myid option."},
      {"sentinel frobnicate 1\n", 1, "Unrecognized sentinel configuration statement."},
      {"sentinel deny-scripts-reconfig maybe\n", 1,
       "Please specify yes or no for the deny-scripts-reconfig options."},
      {"sentinel monitor m 127.0.0.1 6379 2\nsentinel notification-script m /nonexistent\n", 2,
       "Notification script seems non existing or non executable."},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto l = Load(c.text);
    REQUIRE_FALSE(l.result.has_value());
    CHECK(l.result.error().line == c.line);
    CHECK(l.result.error().reason == c.reason);
  }
  auto l = Load("sentinel monitor m 127.0.0.1 6379 0\n");
  CHECK(l.result.error().Format(kRedisVersion) ==
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n"
        "Reading the configuration file, at line 1\n"
        ">>> 'sentinel monitor m 127.0.0.1 6379 0'\n"
        "Quorum must be 1 or greater.\n");
}

TEST_CASE("config: generic directives go through the schema with its errors") {
  auto l = Load("port 26389\nfoo bar\n");
  REQUIRE_FALSE(l.result.has_value());
  CHECK(l.result.error().line == 2);
  CHECK(l.result.error().reason == "Bad directive or wrong number of arguments");
  // Lines a stock rewrite puts into sentinel.conf are accepted.
  auto ok = Load(
      "latency-tracking-info-percentiles 50 99 99.9\nuser default on nopass ~* &* +@all\n"
      "protected-mode no\n");
  CHECK(ok.result.has_value());
}

TEST_CASE("config: rewrite keeps other lines, replaces state in place and round-trips") {
  const std::string original =
      "# my sentinel\n"
      "port 26389\n"
      "sentinel monitor m 127.0.0.11 6389 2\n"
      "sentinel down-after-milliseconds m 6001\n"
      "sentinel parallel-syncs m 1\n"
      "sentinel current-epoch 3\n";
  auto l = Load(original);
  REQUIRE(l.result.has_value());
  l.g.myid = kMyId;
  l.g.current_epoch = 7;
  Instance& m = *l.g.masters[0];
  m.config_epoch = 7;
  m.leader_epoch = 7;
  std::string err;
  REQUIRE(CreateInstance(l.g, "", kSlave, "127.0.0.12", 6389, 2, &m, &err));
  auto s = CreateInstance(l.g, std::string(40, 'c'), kSentinel, "127.0.0.13", 26389, 2, &m, &err);
  REQUIRE(s);
  s->runid = std::string(40, 'c');
  std::string out = RenderSentinelConfig(original, l.g);
  CHECK(out ==
        "# my sentinel\n"
        "port 26389\n"
        "sentinel monitor m 127.0.0.11 6389 2\n"
        "sentinel down-after-milliseconds m 6001\n"
        "sentinel current-epoch 7\n"
        "\n# Generated by CONFIG REWRITE\n"
        "sentinel myid 0123456789abcdef0123456789abcdef01234567\n"
        "sentinel config-epoch m 7\n"
        "sentinel leader-epoch m 7\n"
        "sentinel known-replica m 127.0.0.12 6389\n"
        "sentinel known-sentinel m 127.0.0.13 26389 cccccccccccccccccccccccccccccccccccccccc\n");
  // Rewriting the rewritten file changes nothing, and loading it gives the same state.
  CHECK(RenderSentinelConfig(out, l.g) == out);
  auto again = Load(out);
  REQUIRE(again.result.has_value());
  CHECK(again.g.myid == kMyId);
  CHECK(again.g.current_epoch == 7);
  CHECK(again.g.masters[0]->config_epoch == 7);
  CHECK(again.g.masters[0]->slaves.size() == 1);
  CHECK(again.g.masters[0]->sentinels.size() == 1);
}

TEST_CASE("config: rewritten names, hosts and passwords load back, unresolved or with blanks") {
  // Found by sentinel_config_fuzz (tests/fuzz/corpus/sentinel_config/unresolved-host): with
  // resolve-hostnames yes a master whose name did not resolve was written with its empty ip
  // ("sentinel monitor m  6379 2"), and names and passwords with a blank were written raw: the
  // rewritten file no longer loaded.
  auto l = Load(
      "sentinel resolve-hostnames yes\n"
      "sentinel monitor \"my master\" host.invalid 6379 2\n"
      "sentinel auth-pass \"my master\" \"p w\"\n"
      "sentinel known-replica \"my master\" other.invalid 6380\n");
  REQUIRE(l.result);
  l.g.myid = kMyId;
  const std::string text = RenderSentinelConfig("", l.g);
  CHECK(text.find("sentinel monitor \"my master\" host.invalid 6379 2\n") != std::string::npos);
  CHECK(text.find("sentinel auth-pass \"my master\" \"p w\"\n") != std::string::npos);
  CHECK(text.find("sentinel known-replica \"my master\" other.invalid 6380\n") !=
        std::string::npos);
  auto again = Load(text);
  REQUIRE(again.result);
  REQUIRE(again.g.masters.size() == 1);
  const Instance& m = *again.g.masters[0];
  CHECK(m.name == "my master");
  CHECK(m.addr.hostname == "host.invalid");
  CHECK(m.auth_pass == "p w");
  CHECK(m.slaves.size() == 1);
  CHECK(RenderSentinelConfig(text, again.g) == text);
}

TEST_CASE("config: a switched master is written with its new address and the old one as replica") {
  auto l = Load("sentinel monitor m 127.0.0.11 6389 2\n");
  REQUIRE(l.result.has_value());
  l.g.myid = kMyId;
  Instance& m = *l.g.masters[0];
  auto s = CreateInstance(l.g, "", kSlave, "127.0.0.12", 6389, 2, &m, nullptr);
  // In the reconf-slaves step the promoted replica is announced as the master.
  m.flags |= kFailoverInProgress;
  m.failover_state = FailoverState::kReconfSlaves;
  m.promoted_slave = s.get();
  std::string out = RenderSentinelConfig("sentinel monitor m 127.0.0.11 6389 2\n", l.g);
  CHECK(out.starts_with("sentinel monitor m 127.0.0.12 6389 2\n"));
  CHECK(out.find("sentinel known-replica m 127.0.0.11 6389\n") != std::string::npos);
}

TEST_CASE("config: WriteFileAtomic replaces the file") {
  char tmpl[] = "/tmp/sentinel_test_XXXXXX";
  int fd = mkstemp(tmpl);
  REQUIRE(fd != -1);
  close(fd);
  REQUIRE(WriteFileAtomic(tmpl, "hello\n").has_value());
  std::ifstream in(tmpl);
  std::stringstream ss;
  ss << in.rdbuf();
  CHECK(ss.str() == "hello\n");
  unlink(tmpl);
  CHECK_FALSE(WriteFileAtomic("/nonexistent-dir/x.conf", "x").has_value());
}
