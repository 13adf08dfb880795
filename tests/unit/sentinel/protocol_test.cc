#include <doctest/doctest.h>

#include <cstdint>
#include <limits>

#include "sentinel/hello.h"
#include "sentinel/info_parse.h"

using namespace tandem::sentinel;

TEST_CASE("hello: format and parse round trip") {
  Hello h{"127.0.0.11", 26389, std::string(40, 'a'), 5, "redis-dev-cluster", "127.0.0.12", 6389, 4};
  std::string s = FormatHello(h);
  CHECK(s ==
        "127.0.0.11,26389,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,5,redis-dev-cluster,"
        "127.0.0.12,6389,4");
  auto p = ParseHello(s);
  REQUIRE(p.has_value());
  CHECK(p->ip == "127.0.0.11");
  CHECK(p->port == 26389);
  CHECK(p->current_epoch == 5);
  CHECK(p->master_name == "redis-dev-cluster");
  CHECK(p->master_port == 6389);
  CHECK(p->master_config_epoch == 4);
}

TEST_CASE("hello: malformed messages are rejected with a reason") {
  const std::string id(40, 'a');
  const char* bad[] = {
      "",
      "garbage",
      "1,2,3",
      "127.0.0.1,26389,x,0,m,127.0.0.1,6379,0",            // short runid
      "127.0.0.1,0,RUNID,0,m,127.0.0.1,6379,0",            // port 0
      "127.0.0.1,70000,RUNID,0,m,127.0.0.1,6379,0",        // port too large
      "127.0.0.1,abc,RUNID,0,m,127.0.0.1,6379,0",          // port not a number
      "127.0.0.1,26379,RUNID,-1,m,127.0.0.1,6379,0",       // negative epoch
      "127.0.0.1,26379,RUNID,0,m,127.0.0.1,6379,x",        // bad config epoch
      "127.0.0.1,26379,RUNID,0,,127.0.0.1,6379,0",         // empty master name
      "127.0.0.1,26379,RUNID,0,m,127.0.0.1,6379,0,extra",  // 9 fields
      ",26379,RUNID,0,m,127.0.0.1,6379,0",                 // empty address
  };
  for (const char* b : bad) {
    std::string msg = b;
    if (auto pos = msg.find("RUNID"); pos != std::string::npos) msg.replace(pos, 5, id);
    CAPTURE(msg);
    CHECK_FALSE(ParseHello(msg).has_value());
  }
}

TEST_CASE("info: master INFO lists replicas in both slaveN formats") {
  std::string info =
      "# Server\r\nrun_id:0123456789012345678901234567890123456789\r\n"
      "# Replication\r\nrole:master\r\nconnected_slaves:2\r\n"
      "slave0:ip=127.0.0.12,port=6389,state=online,offset=10,lag=0\r\n"
      "slave1:127.0.0.13,6389,online\r\n"
      "master_replid:x\r\n";
  InfoReport r = ParseInfo(info);
  CHECK(r.run_id == "0123456789012345678901234567890123456789");
  CHECK(r.role == InfoReport::Role::kMaster);
  REQUIRE(r.slaves.size() == 2);
  CHECK(r.slaves[0] == std::pair<std::string, int>{"127.0.0.12", 6389});
  CHECK(r.slaves[1] == std::pair<std::string, int>{"127.0.0.13", 6389});
  CHECK_FALSE(r.has_master_host);
}

TEST_CASE("info: replica INFO gives its view of the master") {
  std::string info =
      "run_id:0123456789012345678901234567890123456789\r\n"
      "role:slave\r\nmaster_host:127.0.0.11\r\nmaster_port:6389\r\n"
      "master_link_status:down\r\nmaster_link_down_since_seconds:7\r\n"
      "slave_repl_offset:12345\r\nslave_priority:50\r\nreplica_announced:0\r\n";
  InfoReport r = ParseInfo(info);
  CHECK(r.role == InfoReport::Role::kSlave);
  CHECK(r.master_host == "127.0.0.11");
  CHECK(r.master_port == 6389);
  CHECK(r.has_link_status);
  CHECK_FALSE(r.master_link_up);
  CHECK(r.master_link_down_ms == 7000);
  CHECK(r.slave_repl_offset == 12345);
  CHECK(r.slave_priority == 50);
  CHECK(r.replica_announced == 0);
}

TEST_CASE("info: replica fields before role:slave are ignored, as in Redis") {
  InfoReport r = ParseInfo("master_host:1.2.3.4\r\nrole:slave\r\nmaster_port:1\r\n");
  CHECK_FALSE(r.has_master_host);
  CHECK(r.has_master_port);
  CHECK(ParseInfo("run_id:short\r\n").run_id.empty());
}

TEST_CASE("info: a huge master_link_down_since_seconds saturates instead of overflowing") {
  // Found by info_fuzz (tests/fuzz/corpus/info/huge-link-down): seconds * 1000 overflowed int64
  // (undefined behaviour) for a value from a peer beyond 2^63 / 1000.
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max() / 1000 * 1000;
  CHECK(ParseInfo("master_link_down_since_seconds:99999999999999999999\r\n").master_link_down_ms ==
        kMax);
  CHECK(ParseInfo("master_link_down_since_seconds:9223372036854776\r\n").master_link_down_ms ==
        kMax);
  CHECK(ParseInfo("master_link_down_since_seconds:-99999999999999999999\r\n").master_link_down_ms ==
        -kMax);
  CHECK(ParseInfo("master_link_down_since_seconds:9223372036854775\r\n").master_link_down_ms ==
        kMax);
}
