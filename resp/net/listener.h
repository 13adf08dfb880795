// Listening sockets: any number of TCP addresses (IPv4 and IPv6) and an optional Unix socket.
// Each accepted connection is handed to the owner's callback already started.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "resp/net/connection.h"

namespace tandem::net {

struct ListenOptions {
  std::vector<std::string> addresses;  // "127.0.0.1", "::1", "*" (all IPv4), "-::*" optional
  int port = 0;                        // 0 = no TCP
  int backlog = 511;
  std::string unix_path;  // empty = none
  int unix_perm = 0;      // octal mode for the socket file, 0 = leave as created
  int tcp_keepalive = 300;
};

class Listener {
 public:
  using AcceptFn = std::function<void(Connection*)>;
  // Told about a failed accept (a negative libuv status such as UV_EMFILE, UV_ENFILE,
  // UV_ENOMEM); the listener keeps listening. libuv itself absorbs most EMFILE cases with its
  // reserve descriptor (it accepts and closes the pending connections), so this fires only when
  // that trick cannot run.
  using AcceptErrorFn = std::function<void(int status)>;

  Listener(uv_loop_t* loop, AcceptFn on_accept);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Binds and listens on everything in `opts`. On failure returns a message naming the address
  // ("Could not create server TCP listening socket 1.2.3.4:6389: bind: Address already in use")
  // and leaves nothing listening.
  std::string Listen(const ListenOptions& opts);
  // Stops accepting (shutdown); existing connections are not affected.
  void Close();
  // Sockets are created with a connection id source shared by the owner.
  void set_next_id(std::function<uint64_t()> next_id) { next_id_ = std::move(next_id); }
  void set_tcp_keepalive(int seconds) { keepalive_ = seconds; }
  void set_on_accept_error(AcceptErrorFn fn) { on_accept_error_ = std::move(fn); }
  // Accepted connections read and write through `ring` (see ring.h); nullptr: libuv alone.
  void set_ring(Ring* ring) { ring_ = ring; }

 private:
  struct Socket {
    Listener* owner;
    Connection::Kind kind;
    union {
      uv_tcp_t tcp;
      uv_pipe_t pipe;
    } h;
  };
  static void OnConnection(uv_stream_t* server, int status);

  uv_loop_t* loop_;
  AcceptFn on_accept_;
  AcceptErrorFn on_accept_error_;
  std::function<uint64_t()> next_id_;
  int keepalive_ = 300;
  Ring* ring_ = nullptr;
  std::vector<Socket*> sockets_;
};

}  // namespace tandem::net
