#include "resp/net/resp_client.h"

#include <netinet/in.h>

#include <cstring>
#include <string>

namespace tandem::net {

// Owns the TCP handle, the connect and resolve requests and the bytes of the write in flight.
// It outlives the RespClient if a close is pending: `owner` is cleared and the close callback
// frees it.
struct RespClient::Link {
  RespClient* owner = nullptr;
  uv_tcp_t tcp;
  uv_connect_t connect_req;
  uv_getaddrinfo_t resolve_req;
  uv_write_t write_req;
  std::string inflight;
  bool resolving = false;
};

RespClient::RespClient(uv_loop_t* loop, Options options) : loop_(loop), opts_(std::move(options)) {
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
}

RespClient::~RespClient() {
  Stop();
  uv_close(reinterpret_cast<uv_handle_t*>(timer_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
}

void RespClient::Start() {
  if (state_ != State::kIdle && state_ != State::kStopped) return;
  backoff_ms_ = opts_.min_backoff_ms;
  Connect();
}

void RespClient::Stop() {
  if (state_ == State::kStopped || state_ == State::kIdle) {
    state_ = State::kStopped;
    return;
  }
  uv_timer_stop(timer_);
  state_ = State::kStopped;
  Drop("connection stopped");
}

void RespClient::Connect() {
  link_ = new Link;
  link_->owner = this;
  uv_tcp_init(loop_, &link_->tcp);
  link_->tcp.data = link_;
  rbuf_.clear();
  wbuf_.clear();
  writing_ = false;
  state_ = State::kResolving;
  // Connect timeout (also covers resolution).
  uv_timer_start(
      timer_,
      [](uv_timer_t* t) {
        auto* self = static_cast<RespClient*>(t->data);
        if (self->state_ == State::kResolving || self->state_ == State::kConnecting) {
          self->Drop("connect timeout");
        } else if (self->state_ == State::kWaiting) {
          self->Connect();
        }
      },
      static_cast<uint64_t>(opts_.connect_timeout_ms), 0);

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  link_->resolving = true;
  link_->resolve_req.data = link_;
  int rc = uv_getaddrinfo(
      loop_, &link_->resolve_req,
      [](uv_getaddrinfo_t* req, int status, addrinfo* res) {
        auto* link = static_cast<Link*>(req->data);
        link->resolving = false;
        RespClient* self = link->owner;
        if (self == nullptr) {  // stopped while resolving: the link waits for us to free it
          uv_freeaddrinfo(res);
          uv_close(reinterpret_cast<uv_handle_t*>(&link->tcp),
                   [](uv_handle_t* h) { delete static_cast<Link*>(h->data); });
          return;
        }
        if (status != 0 || res == nullptr) {
          uv_freeaddrinfo(res);
          self->Drop(std::string("cannot resolve host: ") + uv_strerror(status));
          return;
        }
        self->state_ = State::kConnecting;
        link->connect_req.data = link;
        int crc = uv_tcp_connect(&link->connect_req, &link->tcp, res->ai_addr,
                                 [](uv_connect_t* creq, int st) {
                                   auto* l = static_cast<Link*>(creq->data);
                                   if (l->owner) l->owner->OnConnected(st);
                                 });
        uv_freeaddrinfo(res);
        if (crc != 0) self->Drop(std::string("connect: ") + uv_strerror(crc));
      },
      opts_.host.c_str(), std::to_string(opts_.port).c_str(), &hints);
  if (rc != 0) {
    link_->resolving = false;
    Drop(std::string("cannot resolve host: ") + uv_strerror(rc));
  }
}

void RespClient::OnConnected(int status) {
  if (status != 0) {
    Drop(std::string("connect: ") + uv_strerror(status));
    return;
  }
  uv_timer_stop(timer_);
  state_ = State::kConnected;
  backoff_ms_ = opts_.min_backoff_ms;
  ++connects_;
  uv_tcp_nodelay(&link_->tcp, 1);
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&link_->tcp),
      [](uv_handle_t*, size_t suggested, uv_buf_t* buf) {
        *buf = uv_buf_init(new char[suggested], static_cast<unsigned>(suggested));
      },
      [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
        auto* link = static_cast<Link*>(s->data);
        RespClient* self = link->owner;
        if (self && n > 0) self->OnData(buf->base, static_cast<size_t>(n));
        delete[] buf->base;
        if (self && n < 0)
          self->Drop(n == UV_EOF ? "connection closed by peer" : uv_strerror(static_cast<int>(n)));
      });
  if (on_connect_) on_connect_();
}

void RespClient::OnData(const char* data, size_t n) {
  rbuf_.append(data, n);
  size_t off = 0;
  while (state_ == State::kConnected) {
    resp::Value v;
    size_t consumed = 0;
    std::string error;
    resp::DecodeResult r = resp::Decode(std::string_view(rbuf_).substr(off), v, consumed, error);
    if (r == resp::DecodeResult::kNeedMore) break;
    if (r == resp::DecodeResult::kError) {
      Drop("protocol error from peer: " + error);
      return;
    }
    off += consumed;
    if (v.type == resp::Type::kPush || waiting_.empty()) {
      if (on_push_) on_push_(v);
      continue;
    }
    ReplyFn cb = std::move(waiting_.front());
    waiting_.pop_front();
    cb(&v, {});
  }
  if (state_ == State::kConnected) rbuf_.erase(0, off);
}

std::string RespClient::local_ip() const {
  if (state_ != State::kConnected || link_ == nullptr) return {};
  sockaddr_storage ss;
  int len = sizeof(ss);
  if (uv_tcp_getsockname(&link_->tcp, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
  char ip[INET6_ADDRSTRLEN] = {0};
  if (ss.ss_family == AF_INET) {
    uv_ip4_name(reinterpret_cast<const sockaddr_in*>(&ss), ip, sizeof(ip));
  } else if (ss.ss_family == AF_INET6) {
    uv_ip6_name(reinterpret_cast<const sockaddr_in6*>(&ss), ip, sizeof(ip));
  }
  return ip;
}

bool RespClient::Send(const std::vector<std::string_view>& args, ReplyFn cb) {
  if (state_ != State::kConnected) return false;
  resp::EncodeCommand(args, wbuf_);
  waiting_.push_back(std::move(cb));
  FlushWrites();
  return true;
}

void RespClient::FlushWrites() {
  if (writing_ || wbuf_.empty() || link_ == nullptr) return;
  link_->inflight.swap(wbuf_);
  wbuf_.clear();
  writing_ = true;
  link_->write_req.data = link_;
  uv_buf_t b = uv_buf_init(link_->inflight.data(), static_cast<unsigned>(link_->inflight.size()));
  int rc = uv_write(&link_->write_req, reinterpret_cast<uv_stream_t*>(&link_->tcp), &b, 1,
                    [](uv_write_t* req, int status) {
                      auto* link = static_cast<Link*>(req->data);
                      link->inflight.clear();
                      RespClient* self = link->owner;
                      if (self == nullptr) return;
                      self->writing_ = false;
                      if (status < 0) {
                        self->Drop(std::string("write: ") + uv_strerror(status));
                        return;
                      }
                      self->FlushWrites();
                    });
  if (rc != 0) {
    writing_ = false;
    Drop(std::string("write: ") + uv_strerror(rc));
  }
}

void RespClient::Drop(std::string_view why) {
  bool was_connected = state_ == State::kConnected;
  Link* link = link_;
  link_ = nullptr;
  if (link != nullptr) {
    link->owner = nullptr;
    if (!link->resolving) {
      // uv_close cancels a pending connect or write (their callbacks see owner == nullptr).
      uv_close(reinterpret_cast<uv_handle_t*>(&link->tcp),
               [](uv_handle_t* h) { delete static_cast<Link*>(h->data); });
    }
  }
  writing_ = false;
  std::deque<ReplyFn> failed;
  failed.swap(waiting_);
  for (auto& cb : failed) cb(nullptr, why);
  if (was_connected && on_disconnect_) on_disconnect_(why);
  if (state_ != State::kStopped) ScheduleReconnect();
}

void RespClient::ScheduleReconnect() {
  state_ = State::kWaiting;
  uv_timer_start(
      timer_,
      [](uv_timer_t* t) {
        auto* self = static_cast<RespClient*>(t->data);
        if (self->state_ == State::kWaiting) self->Connect();
      },
      static_cast<uint64_t>(backoff_ms_), 0);
  backoff_ms_ = std::min(backoff_ms_ * 2, opts_.max_backoff_ms);
}

}  // namespace tandem::net
