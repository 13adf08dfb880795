#include "resp/net/listener.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

namespace tandem::net {

Listener::Listener(uv_loop_t* loop, AcceptFn on_accept)
    : loop_(loop), on_accept_(std::move(on_accept)) {
  next_id_ = [n = uint64_t{0}]() mutable { return ++n; };
}

Listener::~Listener() { Close(); }

void Listener::Close() {
  for (Socket* s : sockets_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&s->h),
             [](uv_handle_t* h) { delete static_cast<Socket*>(h->data); });
  }
  sockets_.clear();
}

std::string Listener::Listen(const ListenOptions& opts) {
  keepalive_ = opts.tcp_keepalive;
  auto fail = [this](std::string msg) {
    Close();
    return msg;
  };
  if (opts.port > 0) {
    for (std::string addr : opts.addresses) {
      // "-addr" marks an optional address: failure to bind it is not fatal (redis.conf bind).
      bool optional = !addr.empty() && addr[0] == '-';
      if (optional) addr.erase(0, 1);
      if (addr == "*") addr = "0.0.0.0";
      if (addr == "::*") addr = "::";
      sockaddr_storage ss;
      std::memset(&ss, 0, sizeof(ss));
      bool v6 = addr.find(':') != std::string::npos;
      int rc = v6 ? uv_ip6_addr(addr.c_str(), opts.port, reinterpret_cast<sockaddr_in6*>(&ss))
                  : uv_ip4_addr(addr.c_str(), opts.port, reinterpret_cast<sockaddr_in*>(&ss));
      if (rc != 0) {
        if (optional) continue;
        return fail("Invalid bind address '" + addr + "'");
      }
      auto* s = new Socket{this, Connection::Kind::kTcp, {}};
      uv_tcp_init(loop_, &s->h.tcp);
      s->h.tcp.data = s;
      unsigned flags = v6 ? UV_TCP_IPV6ONLY : 0;
      rc = uv_tcp_bind(&s->h.tcp, reinterpret_cast<sockaddr*>(&ss), flags);
      if (rc == 0)
        rc = uv_listen(reinterpret_cast<uv_stream_t*>(&s->h.tcp), opts.backlog,
                       &Listener::OnConnection);
      sockets_.push_back(s);
      if (rc != 0) {
        if (optional && (rc == UV_EADDRNOTAVAIL || rc == UV_EAFNOSUPPORT)) {
          uv_close(reinterpret_cast<uv_handle_t*>(&s->h),
                   [](uv_handle_t* h) { delete static_cast<Socket*>(h->data); });
          sockets_.pop_back();
          continue;
        }
        // strerror's text, as Redis's anet error ("Address already in use").
        return fail("Could not create server TCP listening socket " + addr + ":" +
                    std::to_string(opts.port) + ": bind: " + std::strerror(-rc));
      }
    }
  }
  if (!opts.unix_path.empty()) {
    ::unlink(opts.unix_path.c_str());
    auto* s = new Socket{this, Connection::Kind::kUnix, {}};
    uv_pipe_init(loop_, &s->h.pipe, 0);
    s->h.pipe.data = s;
    sockets_.push_back(s);
    int rc = uv_pipe_bind(&s->h.pipe, opts.unix_path.c_str());
    if (rc == 0 && opts.unix_perm != 0) {
      ::chmod(opts.unix_path.c_str(), static_cast<mode_t>(opts.unix_perm));
    }
    if (rc == 0) {
      rc = uv_listen(reinterpret_cast<uv_stream_t*>(&s->h.pipe), opts.backlog,
                     &Listener::OnConnection);
    }
    if (rc != 0) {
      return fail("Failed opening Unix socket: " + std::string(uv_strerror(rc)));
    }
  }
  return {};
}

void Listener::OnConnection(uv_stream_t* server, int status) {
  auto* s = static_cast<Socket*>(server->data);
  Listener* self = s->owner;
  if (status < 0) {
    // The socket stays in libuv's poll set: the next readable event retries the accept.
    if (self->on_accept_error_) self->on_accept_error_(status);
    return;
  }
  auto* conn = new Connection(self->loop_, s->kind, self->next_id_());
  if (int rc = uv_accept(server, conn->stream()); rc != 0) {
    conn->Close();
    if (self->on_accept_error_) self->on_accept_error_(rc);
    return;
  }
  conn->set_ring(self->ring_);
  conn->Start(/*nodelay=*/true, self->keepalive_);
  self->on_accept_(conn);
}

}  // namespace tandem::net
