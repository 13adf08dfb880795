// libuv transport tests: a Listener-based echo server and the outbound RespClient on one loop.
// Every test ends with an empty loop (all handles closed), as libuv's own tests do.
#include <doctest/doctest.h>
#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include "resp/net/listener.h"
#include "resp/net/resp_client.h"
#include "resp/reply_builder.h"
#include "resp/request_parser.h"

namespace {

using tandem::net::Connection;

// Replies to every command with its first argument as a bulk string; "CLOSE" drops the link.
class EchoServer : public tandem::net::ConnectionHandler {
 public:
  explicit EchoServer(uv_loop_t* loop)
      : listener_(loop, [this](Connection* c) {
          c->set_handler(this);
          conns_.push_back(c);
        }) {}

  int Listen() {
    tandem::net::ListenOptions o;
    o.addresses = {"127.0.0.1"};
    for (int port = 23000 + (uv_os_getpid() % 2000); port < 30000; port += 7) {
      o.port = port;
      if (listener_.Listen(o).empty()) return port;
    }
    return 0;
  }
  void Stop() {
    listener_.Close();
    for (Connection* c : conns_) c->Close();
  }
  void DropClients() {
    for (Connection* c : conns_) c->Close();
  }
  void OnReadable(Connection& c) override {
    tandem::resp::RequestParser p;
    size_t off = 0;
    tandem::resp::ReplyBuilder out(&c.output());
    while (p.Parse(c.read_buffer().view().substr(off), {}) == tandem::resp::ParseResult::kCommand) {
      off += p.consumed();
      if (p.args().empty()) continue;
      if (p.args()[0] == "CLOSE") {
        c.Close();
        return;
      }
      out.Bulk(p.args()[0]);
    }
    c.read_buffer().Consume(off);
    c.Flush();
  }
  void OnClosed(Connection& c) override { std::erase(conns_, &c); }

 private:
  tandem::net::Listener listener_;
  std::vector<Connection*> conns_;
};

// Runs the loop until `done` or `max_ms` of loop time.
template <typename Pred>
bool RunUntil(uv_loop_t* loop, Pred done, int max_ms = 3000) {
  uint64_t start = uv_now(loop);
  while (!done()) {
    uv_run(loop, UV_RUN_ONCE);
    uv_update_time(loop);
    if (uv_now(loop) - start > static_cast<uint64_t>(max_ms)) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("net: client sends pipelined commands and gets replies in order") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    EchoServer server(&loop);
    int port = server.Listen();
    REQUIRE(port > 0);
    tandem::net::RespClient client(&loop, {"127.0.0.1", port});
    client.Start();
    REQUIRE(RunUntil(&loop, [&] { return client.connected(); }));
    std::vector<std::string> got;
    for (int i = 0; i < 100; ++i) {
      std::string word = "w" + std::to_string(i);
      REQUIRE(client.Send({word}, [&got](const tandem::resp::Value* v, std::string_view) {
        got.push_back(v ? v->str : "<error>");
      }));
    }
    REQUIRE(RunUntil(&loop, [&] { return got.size() == 100; }));
    CHECK(got.front() == "w0");
    CHECK(got.back() == "w99");
    client.Stop();
    server.Stop();
    uv_run(&loop, UV_RUN_DEFAULT);  // close callbacks reach the server while it exists
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("net: a dropped link fails waiting callbacks and reconnects with back-off") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    EchoServer server(&loop);
    int port = server.Listen();
    REQUIRE(port > 0);
    tandem::net::RespClient client(&loop, {"127.0.0.1", port, 1000, 20, 200});
    int disconnects = 0;
    client.set_on_disconnect([&](std::string_view) { ++disconnects; });
    client.Start();
    REQUIRE(RunUntil(&loop, [&] { return client.connected(); }));
    std::string error;
    bool called = false;
    client.Send({"CLOSE"}, [&](const tandem::resp::Value* v, std::string_view e) {
      called = true;
      CHECK(v == nullptr);
      error = e;
    });
    REQUIRE(RunUntil(&loop, [&] { return called; }));
    CHECK(error == "connection closed by peer");
    CHECK(disconnects == 1);
    REQUIRE(RunUntil(&loop, [&] { return client.connected(); }));
    CHECK(client.reconnects() == 1);
    std::string reply;
    client.Send({"again"}, [&](const tandem::resp::Value* v, std::string_view) {
      reply = v ? v->str : "<error>";
    });
    REQUIRE(RunUntil(&loop, [&] { return !reply.empty(); }));
    CHECK(reply == "again");
    client.Stop();
    server.Stop();
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("net: connecting to a closed port keeps retrying until stopped") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    tandem::net::RespClient client(&loop, {"127.0.0.1", 1, 500, 10, 40});
    client.Start();
    // Bounded: ~300 ms of loop time with 10-40 ms back-off is several attempts.
    RunUntil(
        &loop, [] { return false; }, 300);
    CHECK_FALSE(client.connected());
    CHECK_FALSE(client.Send({"PING"}, [](const tandem::resp::Value*, std::string_view) {}));
    client.Stop();
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}
