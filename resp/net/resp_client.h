// An outbound RESP connection with automatic reconnect, for links a server or Sentinel opens to
// others (a replica's master link, Sentinel's command and pub/sub links).
//
// Contract: Send() queues a command and its callback; replies are matched to callbacks in FIFO
// order. Replies arriving with no callback waiting (pub/sub messages, RESP3 pushes) go to the
// push handler. When the connection drops, every waiting callback is called with an error, the
// disconnect handler runs, and a reconnect is scheduled with exponential back-off (min..max).
// Stop() cancels everything; no callback runs after Stop() returns except those it fails.
#pragma once

#include <uv.h>

#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "resp/value.h"

namespace tandem::net {

class RespClient {
 public:
  struct Options {
    std::string host;
    int port = 0;
    int connect_timeout_ms = 5000;
    int min_backoff_ms = 100;
    int max_backoff_ms = 5000;
  };
  // `reply` is null when the command failed because the link went down; `error` says why.
  using ReplyFn = std::function<void(const resp::Value* reply, std::string_view error)>;

  RespClient(uv_loop_t* loop, Options options);
  ~RespClient();
  RespClient(const RespClient&) = delete;
  RespClient& operator=(const RespClient&) = delete;

  void Start();
  void Stop();
  bool connected() const { return state_ == State::kConnected; }
  uint64_t reconnects() const { return connects_ > 0 ? connects_ - 1 : 0; }
  // The local IP address of the connected socket ("" when not connected). Sentinel announces
  // it in hello messages when no announce-ip is configured.
  std::string local_ip() const;

  // Returns false (and does not call `cb`) when not connected.
  bool Send(const std::vector<std::string_view>& args, ReplyFn cb);

  void set_on_connect(std::function<void()> fn) { on_connect_ = std::move(fn); }
  void set_on_disconnect(std::function<void(std::string_view)> fn) {
    on_disconnect_ = std::move(fn);
  }
  void set_on_push(std::function<void(const resp::Value&)> fn) { on_push_ = std::move(fn); }

 private:
  enum class State { kIdle, kResolving, kConnecting, kConnected, kWaiting, kStopped };
  struct Link;  // libuv handles, freed in their close callbacks

  void Connect();
  void OnConnected(int status);
  void OnData(const char* data, size_t n);
  void Drop(std::string_view why);
  void ScheduleReconnect();
  void FlushWrites();

  uv_loop_t* loop_;
  Options opts_;
  State state_ = State::kIdle;
  Link* link_ = nullptr;
  uv_timer_t* timer_ = nullptr;  // reconnect back-off and connect timeout
  int backoff_ms_ = 0;
  uint64_t connects_ = 0;
  std::string rbuf_;
  std::string wbuf_;
  bool writing_ = false;
  std::deque<ReplyFn> waiting_;
  std::function<void()> on_connect_;
  std::function<void(std::string_view)> on_disconnect_;
  std::function<void(const resp::Value&)> on_push_;
};

}  // namespace tandem::net
