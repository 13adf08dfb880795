#include "resp/net/connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "resp/net/ring.h"

namespace tandem::net {

// An emptied output buffer keeps its capacity up to this size for the next replies. Freeing a
// buffer of a few hundred KB after every flush made glibc hand out fresh mmap'd memory for the
// next pipeline's replies: a page fault per 4 KB, and LRANGE_100 at -P 16 ran at a tenth of its
// speed until malloc's dynamic mmap threshold happened to rise. Larger buffers are still freed.
constexpr size_t kKeepOutputBuffer = 1024 * 1024;

std::string FormatAddress(const sockaddr* sa) {
  char ip[INET6_ADDRSTRLEN] = {0};
  int port = 0;
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    uv_ip4_name(in, ip, sizeof(ip));
    port = ntohs(in->sin_port);
  } else if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    uv_ip6_name(in6, ip, sizeof(ip));
    port = ntohs(in6->sin6_port);
  } else {
    return "?:0";
  }
  return std::string(ip) + ":" + std::to_string(port);
}

Connection::Connection(uv_loop_t* loop, Kind kind, uint64_t id) : kind_(kind), id_(id) {
  std::memset(&handle_, 0, sizeof(handle_));
  if (kind == Kind::kTcp) {
    uv_tcp_init(loop, &handle_.tcp);
  } else {
    uv_pipe_init(loop, &handle_.pipe, 0);
  }
  handle_.tcp.data = this;  // the data field sits at the same offset in both handle types
}

int Connection::fd() const {
  uv_os_fd_t fd = -1;
  uv_fileno(reinterpret_cast<const uv_handle_t*>(&handle_), &fd);
  return fd;
}

// anetKeepAlive: the first probe after `interval` idle seconds, then one every interval/3 seconds,
// three unanswered probes drop the peer (about 2 * interval in all). libuv's uv_tcp_keepalive
// probes every second, 10 times.
void Connection::SetKeepAlive(int interval) {
  uv_os_fd_t fd;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(&handle_.tcp), &fd) != 0) return;
  const int on = 1;
  const int intvl = std::max(1, interval / 3);
  const int cnt = 3;
  if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) != 0) return;
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &interval, sizeof(interval));
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
}

int Connection::Start(bool nodelay, int keepalive_seconds) {
  if (kind_ == Kind::kTcp) {
    sockaddr_storage ss;
    int len = sizeof(ss);
    if (uv_tcp_getpeername(&handle_.tcp, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
      peer_ = FormatAddress(reinterpret_cast<sockaddr*>(&ss));
    }
    len = sizeof(ss);
    if (uv_tcp_getsockname(&handle_.tcp, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
      local_ = FormatAddress(reinterpret_cast<sockaddr*>(&ss));
    }
    if (nodelay) uv_tcp_nodelay(&handle_.tcp, 1);
    if (keepalive_seconds > 0) SetKeepAlive(keepalive_seconds);
  } else {
    char path[256];
    size_t len = sizeof(path);
    if (uv_pipe_getsockname(&handle_.pipe, path, &len) == 0) {
      local_ = std::string(path, len) + ":0";
    }
    peer_ = local_;
  }
  ResumeReading();
  return 0;
}

void Connection::ResumeReading() {
  if (reading_ || closing_) return;
  if (ring_ != nullptr) {
    reading_ = true;
    // While a cancelled receive is still winding down, its last completion re-arms.
    if (recv_state_ == RecvState::kNone) {
      ring_->ArmRecv(this);
      recv_state_ = RecvState::kArmed;
    }
    return;
  }
  if (uv_read_start(stream(), &Connection::OnAlloc, &Connection::OnRead) == 0) reading_ = true;
}

void Connection::PauseReading() {
  if (!reading_) return;
  reading_ = false;
  if (ring_ != nullptr) {
    // Bytes that arrive before the cancellation lands wait in the read buffer, unparsed, as
    // they would in the socket.
    if (recv_state_ == RecvState::kArmed) {
      ring_->CancelRecv(this);
      recv_state_ = RecvState::kCancelling;
    }
    return;
  }
  uv_read_stop(stream());
}

void Connection::AppendReceived(const char* data, size_t n) {
  std::memcpy(rbuf_.PrepareWrite(n), data, n);
  rbuf_.CommitWrite(n);
  bytes_read_ += n;
}

bool Connection::OnRingRecv(int res, bool more) {
  if (!more) recv_state_ = RecvState::kNone;
  if (closed_) return FreeIfDone();
  if (closing_) return false;
  if (res > 0) {
    if (reading_ && !close_after_reply_ && handler_) handler_->OnReadable(*this);
  } else if (res == 0) {
    // EOF. While paused it is seen again once reading resumes, as libuv would see it.
    if (reading_) Close();
    return false;
  } else if (res != -ENOBUFS && res != -ECANCELED) {
    Close();  // reset by the peer, or another socket error
    return false;
  }
  // The multishot receive ended (the pool ran dry, or it was cancelled and reading resumed
  // meanwhile): arm a new one.
  if (!closing_ && reading_ && recv_state_ == RecvState::kNone) {
    ring_->ArmRecv(this);
    recv_state_ = RecvState::kArmed;
  }
  return false;
}

bool Connection::OnRingSend(int res) {
  ring_send_ = false;
  if (closed_) return FreeIfDone();
  if (closing_) {
    if (res > 0) bytes_written_ += static_cast<uint64_t>(res);  // they did leave
    writing_ = false;
    return false;
  }
  if (res < 0 && res != -EAGAIN) {
    writing_ = false;
    Close();
    return false;
  }
  size_t n = res > 0 ? static_cast<size_t>(res) : 0;
  bytes_written_ += n;
  inflight_sent_ += n;
  if (inflight_sent_ < inflight_.size()) {
    congested_ = true;
    WriteRest();  // the socket is full: libuv writes the rest when it drains
    return false;
  }
  congested_ = false;
  ReleaseInflight();
  ContinueAfterWrite();
  return false;
}

std::pair<const char*, size_t> Connection::TakeOutputForSend() {
  if (closing_ || writing_ || out_.empty()) {
    ring_send_ = false;
    return {nullptr, 0};
  }
  inflight_.clear();
  inflight_.swap(out_);
  inflight_sent_ = 0;
  writing_ = true;
  return {inflight_.data(), inflight_.size()};
}

bool Connection::FreeIfDone() {
  if (!closed_ || ring_send_ || recv_state_ != RecvState::kNone) return false;
  delete this;
  return true;
}

void Connection::OnAlloc(uv_handle_t* h, size_t /*suggested*/, uv_buf_t* buf) {
  auto* c = static_cast<Connection*>(h->data);
  size_t want = kMinReadSpace;
  if (c->rbuf_.free_space() > want) want = c->rbuf_.free_space();
  char* p = c->rbuf_.PrepareWrite(want);
  *buf = uv_buf_init(p, static_cast<unsigned>(c->rbuf_.free_space()));
}

void Connection::OnRead(uv_stream_t* s, ssize_t n, const uv_buf_t* /*buf*/) {
  auto* c = static_cast<Connection*>(s->data);
  if (n > 0) {
    c->rbuf_.CommitWrite(static_cast<size_t>(n));
    c->bytes_read_ += static_cast<uint64_t>(n);
    if (!c->closing_ && !c->close_after_reply_ && c->handler_) c->handler_->OnReadable(*c);
    return;
  }
  if (n < 0) c->Close();  // EOF or error: the peer is gone
}

void Connection::Flush() {
  if (closing_ || writing_) return;
  if (out_.empty()) {
    if (close_after_reply_) Close();
    return;
  }
  if (ring_ != nullptr) {
    // What out_ holds when the loop next submits leaves then, in one send; replies added
    // after that wait in out_ until the send completes.
    if (!ring_send_) {
      ring_send_ = true;
      ring_->QueueSend(this);
    }
    return;
  }
  uv_buf_t b = uv_buf_init(out_.data(), static_cast<unsigned>(out_.size()));
  int n = uv_try_write(stream(), &b, 1);
  if (n == UV_EAGAIN || n == UV_ENOSYS) n = 0;
  if (n < 0) {
    Close();
    return;
  }
  bytes_written_ += static_cast<uint64_t>(n);
  if (static_cast<size_t>(n) == out_.size()) {
    out_.clear();
    if (out_.capacity() > kKeepOutputBuffer) out_.shrink_to_fit();
    if (close_after_reply_) Close();
    return;
  }
  // Hand the remainder to an asynchronous write; new replies keep accumulating in out_. The
  // buffers swap rather than copy (a 512 MB reply is not duplicated): the write starts at n.
  inflight_.clear();
  inflight_.swap(out_);
  inflight_sent_ = static_cast<size_t>(n);
  writing_ = true;
  WriteRest();
}

void Connection::WriteRest() {
  write_req_.data = this;
  uv_buf_t rest = uv_buf_init(inflight_.data() + inflight_sent_,
                              static_cast<unsigned>(inflight_.size() - inflight_sent_));
  if (uv_write(&write_req_, stream(), &rest, 1, &Connection::OnWrite) != 0) {
    writing_ = false;
    Close();
  }
}

void Connection::OnWrite(uv_write_t* req, int status) {
  auto* c = static_cast<Connection*>(req->data);
  if (status == 0) c->bytes_written_ += c->inflight_.size() - c->inflight_sent_;
  c->ReleaseInflight();
  if (status < 0) {
    c->Close();
    return;
  }
  if (!c->closing_) c->ContinueAfterWrite();
}

void Connection::ReleaseInflight() {
  writing_ = false;
  inflight_.clear();
  inflight_sent_ = 0;
  if (inflight_.capacity() > kKeepOutputBuffer) inflight_.shrink_to_fit();
}

void Connection::ContinueAfterWrite() {
  if (!out_.empty()) {
    Flush();
  } else if (close_after_reply_) {
    Close();
  }
}

void Connection::CloseAfterReply() {
  close_after_reply_ = true;
  PauseReading();
}

void Connection::Close() {
  if (closing_) return;
  closing_ = true;
  reading_ = false;
  if (ring_ != nullptr) {
    if (recv_state_ == RecvState::kArmed) {
      ring_->CancelRecv(this);
      recv_state_ = RecvState::kCancelling;
    }
    // A receive armed for this descriptor but not yet submitted must reach the kernel before
    // the number is closed and can be reused by the next accepted socket. (This connection's
    // own queued send is dropped, as Redis drops the output of a freed client.)
    ring_->SubmitPrepared();
  }
  // uv_close cancels a pending write (its callback runs with UV_ECANCELED before the close
  // callback), so `inflight_` stays alive until OnCloseDone frees the connection.
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_), &Connection::OnCloseDone);
}

void Connection::OnCloseDone(uv_handle_t* h) {
  auto* c = static_cast<Connection*>(h->data);
  if (c->handler_) c->handler_->OnClosed(*c);
  c->handler_ = nullptr;
  c->closed_ = true;
  if (c->FreeIfDone()) return;  // always, without a ring
  c->ring_->AddZombie();        // the ring frees it with its last completion
}

}  // namespace tandem::net
