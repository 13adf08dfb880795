// In-process command tests: a Server that is never started, a client whose connection has no
// socket, commands dispatched directly and replies read from the output buffer.
#include <doctest/doctest.h>
#include <uv.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "config/schema.h"
#include "resp/request_parser.h"
#include "server/command_meta.h"
#include "server/server.h"
#include "server/server_config.h"

namespace tandem::server {
namespace {

class Harness {
 public:
  // `config_text` is redis.conf text applied on top of the defaults.
  explicit Harness(std::string_view config_text = "") {
    RegisterServerOptions(schema_, config_);
    REQUIRE(schema_.LoadFromString(config_text).has_value());
    server_ = std::make_unique<Server>(config_, schema_, "", "tandem-server");
    conn_ = new net::Connection(uv_default_loop(), net::Connection::Kind::kTcp, 1);
    client_ = std::make_unique<Client>(conn_, 0);
    client_->authenticated = config_.requirepass.empty();
  }
  ~Harness() {
    client_.reset();
    conn_->Close();
    uv_run(uv_default_loop(), UV_RUN_DEFAULT);  // libuv tests end with an empty loop
  }

  // Sends one inline command line and returns the raw reply bytes.
  std::string Cmd(std::string_view line) {
    resp::RequestParser p;
    std::string input(line);
    input += "\r\n";
    REQUIRE(p.Parse(input, {}) == resp::ParseResult::kCommand);
    std::vector<std::string_view> args(p.args().begin(), p.args().end());
    conn_->output().clear();
    server_->Dispatch(*client_, args);
    return conn_->output();
  }

  Client& client() { return *client_; }
  Server& server() { return *server_; }

 private:
  ServerConfig config_;
  config::Schema schema_;
  std::unique_ptr<Server> server_;
  net::Connection* conn_;
  std::unique_ptr<Client> client_;
};

TEST_CASE("commands: SET/GET/DEL round trip") {
  Harness h;
  CHECK(h.Cmd("SET k v") == "+OK\r\n");
  CHECK(h.Cmd("GET k") == "$1\r\nv\r\n");
  CHECK(h.Cmd("DEL k nokey") == ":1\r\n");
  CHECK(h.Cmd("GET k") == "$-1\r\n");
}

TEST_CASE("commands: dispatch errors follow Redis's order and texts") {
  Harness h;
  CHECK(h.Cmd("NOSUCH a b") ==
        "-ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' \r\n");
  CHECK(h.Cmd("GET") == "-ERR wrong number of arguments for 'get' command\r\n");
  CHECK(h.Cmd("CLIENT SETNAME") ==
        "-ERR wrong number of arguments for 'client|setname' command\r\n");
  CHECK(h.Cmd("CLIENT FOO") == "-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n");
  CHECK(h.Cmd("SET k v EX 0") == "-ERR invalid expire time in 'set' command\r\n");
  CHECK(h.Cmd("SET k v NX XX") == "-ERR syntax error\r\n");
  CHECK(h.Cmd("SET k v") == "+OK\r\n");
  CHECK(h.Cmd("INCR k") == "-ERR value is not an integer or out of range\r\n");
}

TEST_CASE("commands: the table's memory of the last name never answers for another name") {
  Harness h;
  // The constructor's last lookups leave a command remembered; an empty name must still be
  // unknown (a review found Find("") returning the remembered command after Rename).
  CommandTable& t = h.server().commands();
  CHECK(t.Find("ZREM") != nullptr);
  std::vector<std::string_view> empty_name = {"", "k", "m"};
  h.server().Dispatch(h.client(), empty_name);
  CHECK(h.client().conn().output() ==
        "-ERR unknown command '', with args beginning with: 'k' 'm' \r\n");
  h.client().conn().output().clear();
  // Renamed away: neither the old name nor an empty one finds the retired command.
  CHECK(t.Find("zrem") != nullptr);
  CHECK(t.Rename("zrem", ""));
  CHECK(t.Find("") == nullptr);
  CHECK(t.Find("zrem") == nullptr);
  CHECK(t.Find("ZREM") == nullptr);
  // Case and length: each spelling is looked up, names past the remembered 16 bytes too.
  CHECK(t.Find("GeT") == t.Find("get"));
  CHECK(t.Find("get") != nullptr);
  CHECK(t.Find("zremrangebyscore") != nullptr);
  CHECK(t.Find("zremrangebyscorex") == nullptr);
  CHECK(t.Find("zremrangebyscore") != nullptr);
}

TEST_CASE("commands: member positions for the look-ahead sit after the key, within the arity") {
  Harness h;
  int declared = 0;
  for (const Command* c : h.server().commands().all()) {
    if (c->member_first == 0) continue;
    CAPTURE(c->name);
    ++declared;
    CHECK(c->first_key == 1);
    CHECK(c->member_first > c->first_key);
    // The smallest valid call names a member where member_first says.
    CHECK(std::abs(c->arity) > c->member_first);
  }
  CHECK(declared == 21);
  CHECK(h.server().commands().Find("zadd")->member_first == 3);
  CHECK(h.server().commands().Find("hset")->member_step == 2);
}

TEST_CASE("commands: NOAUTH until AUTH with requirepass") {
  Harness h("requirepass secret");
  CHECK(h.Cmd("GET k") == "-NOAUTH Authentication required.\r\n");
  CHECK(h.Cmd("AUTH wrong") ==
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  CHECK(h.Cmd("AUTH secret") == "+OK\r\n");
  CHECK(h.Cmd("GET k") == "$-1\r\n");
}

TEST_CASE("commands: HELLO 3 switches the client to RESP3 replies") {
  Harness h;
  std::string hello = h.Cmd("HELLO 3");
  CHECK(hello.rfind("%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n", 0) == 0);
  CHECK(h.Cmd("GET nokey") == "_\r\n");
  CHECK(h.Cmd("HELLO 4") == "-NOPROTO unsupported protocol version\r\n");
}

TEST_CASE("commands: CLIENT REPLY OFF, ON and SKIP") {
  Harness h;
  CHECK(h.Cmd("CLIENT REPLY OFF").empty());
  CHECK(h.Cmd("SET a 1").empty());
  CHECK(h.Cmd("CLIENT REPLY ON") == "+OK\r\n");
  CHECK(h.Cmd("CLIENT REPLY SKIP").empty());
  CHECK(h.Cmd("GET a").empty());
  CHECK(h.Cmd("GET a") == "$1\r\n1\r\n");
}

TEST_CASE("commands: expire in the past deletes, TTL reports -2/-1/seconds") {
  Harness h;
  CHECK(h.Cmd("SET k v") == "+OK\r\n");
  CHECK(h.Cmd("TTL k") == ":-1\r\n");
  CHECK(h.Cmd("EXPIRE k 100") == ":1\r\n");
  CHECK(h.Cmd("TTL k") == ":100\r\n");
  CHECK(h.Cmd("EXPIRE k 50 GT") == ":0\r\n");
  CHECK(h.Cmd("EXPIRE k -1") == ":1\r\n");
  CHECK(h.Cmd("TTL k") == ":-2\r\n");
  CHECK(h.Cmd("EXISTS k") == ":0\r\n");
}

TEST_CASE("commands: PX expiry passes in real time") {
  Harness h;
  CHECK(h.Cmd("SET k v PX 30") == "+OK\r\n");
  CHECK(h.Cmd("GET k") == "$1\r\nv\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  CHECK(h.Cmd("GET k") == "$-1\r\n");
}

TEST_CASE("commands: a replica refuses writes and serves reads") {
  Harness h("replicaof 127.0.0.1 1");
  CHECK(h.Cmd("SET k v") == "-READONLY You can't write against a read only replica.\r\n");
  CHECK(h.Cmd("GET k") == "$-1\r\n");
  CHECK(h.Cmd("ROLE") == "*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:1\r\n$7\r\nconnect\r\n:-1\r\n");
}

TEST_CASE("commands: INCRBYFLOAT formats like Redis") {
  Harness h;
  CHECK(h.Cmd("SET f 10.50") == "+OK\r\n");
  CHECK(h.Cmd("INCRBYFLOAT f 0.1") == "$4\r\n10.6\r\n");
  CHECK(h.Cmd("INCRBYFLOAT f -10.6") == "$1\r\n0\r\n");
  CHECK(h.Cmd("INCRBYFLOAT f 5.0e3") == "$4\r\n5000\r\n");
  CHECK(h.Cmd("INCRBYFLOAT f abc") == "-ERR value is not a valid float\r\n");
}

TEST_CASE("commands: OBJECT ENCODING follows Redis's string encodings") {
  Harness h;
  h.Cmd("SET i 12345");
  h.Cmd("SET e hello");
  h.Cmd("SET r " + std::string(45, 'x'));
  h.Cmd("SET a x");
  h.Cmd("APPEND a y");
  CHECK(h.Cmd("OBJECT ENCODING i") == "$3\r\nint\r\n");
  CHECK(h.Cmd("OBJECT ENCODING e") == "$6\r\nembstr\r\n");
  CHECK(h.Cmd("OBJECT ENCODING r") == "$3\r\nraw\r\n");
  CHECK(h.Cmd("OBJECT ENCODING a") == "$3\r\nraw\r\n");
}

// The flags COMMAND INFO lists, as CommandFlag bits.
uint32_t MetaFlags(const resp::Value& flags) {
  static const std::pair<std::string_view, uint32_t> kNames[] = {
      {"write", kCmdWrite},
      {"readonly", kCmdReadonly},
      {"denyoom", kCmdDenyOom},
      {"admin", kCmdAdmin},
      {"pubsub", kCmdPubsub},
      {"noscript", kCmdNoscript},
      {"blocking", kCmdBlocking},
      {"loading", kCmdLoading},
      {"stale", kCmdStale},
      {"skip_monitor", kCmdSkipMonitor},
      {"skip_slowlog", kCmdSkipSlowlog},
      {"fast", kCmdFast},
      {"no_auth", kCmdNoAuth},
      {"no_mandatory_keys", kCmdNoMandatoryKeys},
      {"no_async_loading", kCmdNoAsyncLoading},
      {"no_multi", kCmdNoMulti},
      {"movablekeys", kCmdMovableKeys},
      {"allow_busy", kCmdAllowBusy},
  };
  uint32_t out = 0;
  for (const auto& f : flags.elements) {
    for (const auto& [name, bit] : kNames) {
      if (f.str == name) out |= bit;
    }
  }
  return out;
}

// The bits COMMAND INFO reports: Redis hides may_replicate and sentinel on purpose.
constexpr uint32_t kReportedFlags = ~static_cast<uint32_t>(kCmdSentinel | kCmdMayReplicate);

TEST_CASE("commands: the command table agrees with Redis 7.0.15's command specification") {
  Harness h;
  int checked = 0;
  for (const Command* c : h.server().commands().all()) {
    const CommandMeta* meta = FindCommandMeta(h.server().commands(), c->name);
    CAPTURE(c->name);
    REQUIRE(meta != nullptr);
    const auto& info = meta->info.elements;
    REQUIRE(info.size() == 10);
    CHECK(info[0].str == c->name);
    CHECK(info[1].integer == c->arity);
    CHECK(info[3].integer == c->first_key);
    CHECK(info[4].integer == c->last_key);
    CHECK(info[5].integer == c->key_step);
    // Flags decide dispatch (-LOADING, -MASTERDOWN, READONLY, OOM...), so they must be Redis's.
    CHECK(MetaFlags(info[2]) == (c->flags & kReportedFlags));
    // Every subcommand tandem has is one Redis has, with the same arity.
    for (const auto& sub : c->subcommands) {
      bool found = false;
      for (const auto& s : info[9].elements) {
        if (s.elements[0].str == sub->name) {
          found = true;
          CHECK(s.elements[1].integer == sub->arity);
          CAPTURE(sub->name);
          CHECK(MetaFlags(s.elements[2]) == (sub->flags & kReportedFlags));
        }
      }
      CAPTURE(sub->name);
      CHECK(found);
    }
    ++checked;
  }
  CHECK(checked == static_cast<int>(h.server().commands().size()));
}

}  // namespace
}  // namespace tandem::server
