// Blocking RESP client (see resp_link.h).
#include "resp_link.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace tandem::deploy {

namespace {

using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

}  // namespace

RespLink::~RespLink() { Close(); }

void RespLink::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  buffer_.clear();
}

std::expected<void, std::string> RespLink::Connect(const std::string& host, int port,
                                                   int timeout_ms) {
  Close();
  timeout_ms_ = timeout_ms;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
  if (rc != 0) return std::unexpected(fmt::format("resolve: {}", gai_strerror(rc)));
  std::string last = "no address";
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) continue;
    int r = connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (r < 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      r = poll(&p, 1, RemainingMs(deadline));
      if (r == 0) {
        errno = ETIMEDOUT;
        r = -1;
      } else if (r > 0) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        errno = err;
        r = err == 0 ? 0 : -1;
      }
    }
    if (r == 0) {
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      fd_ = fd;
      freeaddrinfo(res);
      return {};
    }
    last = std::strerror(errno);
    close(fd);
  }
  freeaddrinfo(res);
  return std::unexpected(last);
}

std::expected<resp::Value, std::string> RespLink::Call(const std::vector<std::string_view>& args) {
  if (fd_ < 0) return std::unexpected("not connected");
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms_);
  std::string out;
  resp::EncodeCommand(args, out);
  size_t sent = 0;
  while (sent < out.size()) {
    ssize_t n = send(fd_, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      if (poll(&p, 1, RemainingMs(deadline)) > 0) continue;
      Close();
      return std::unexpected("write timeout");
    }
    std::string err = std::strerror(errno);
    Close();
    return std::unexpected(err);
  }
  for (;;) {
    resp::Value v;
    size_t consumed = 0;
    std::string error;
    switch (resp::Decode(buffer_, v, consumed, error)) {
      case resp::DecodeResult::kValue:
        buffer_.erase(0, consumed);
        return v;
      case resp::DecodeResult::kError:
        Close();
        return std::unexpected("protocol error: " + error);
      case resp::DecodeResult::kNeedMore:
        break;
    }
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, RemainingMs(deadline)) <= 0) {
      Close();
      return std::unexpected("read timeout");
    }
    char buf[16384];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      buffer_.append(buf, static_cast<size_t>(n));
    } else if (n == 0) {
      Close();
      return std::unexpected("connection closed");
    } else if (errno != EAGAIN && errno != EINTR) {
      std::string err = std::strerror(errno);
      Close();
      return std::unexpected(err);
    }
  }
}

std::expected<void, std::string> RespLink::Auth(const std::string& password) {
  if (password.empty()) return {};
  auto r = Call({"AUTH", password});
  if (!r) return std::unexpected(r.error());
  if (r->is_error()) return std::unexpected(r->str);
  return {};
}

std::string InfoField(std::string_view info, std::string_view field) {
  size_t pos = 0;
  while (pos < info.size()) {
    size_t end = info.find('\n', pos);
    if (end == std::string_view::npos) end = info.size();
    std::string_view line = info.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > field.size() && line.starts_with(field) && line[field.size()] == ':') {
      return std::string(line.substr(field.size() + 1));
    }
    pos = end + 1;
  }
  return "";
}

}  // namespace tandem::deploy
