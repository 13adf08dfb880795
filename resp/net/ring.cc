#include "resp/net/ring.h"

#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "resp/net/connection.h"

namespace tandem::net {

namespace {

// user_data: a Connection* with the request kind in the low bits (a Connection is 8-aligned),
// or one of the constants below.
constexpr uint64_t kKindMask = 3;
constexpr uint64_t kRecv = 0;
constexpr uint64_t kSend = 1;
constexpr uint64_t kLoopPoll = 2;      // alone: the poll on libuv's epoll descriptor
constexpr uint64_t kIgnore = 3;        // cancellations and the self-test's receive
constexpr uint64_t kSelfTestSend = 7;  // below any Connection address, like the others
constexpr uint16_t kBufferGroup = 0;

uint16_t BufferId(uint32_t cqe_flags) {
  return static_cast<uint16_t>(cqe_flags >> IORING_CQE_BUFFER_SHIFT);
}

uint64_t Tag(Connection* c, uint64_t kind) { return reinterpret_cast<uintptr_t>(c) | kind; }

std::string Errno(const char* what, int err) {
  return std::string(what) + ": " + std::strerror(err < 0 ? -err : err);
}

}  // namespace

std::unique_ptr<Ring> Ring::Create(uv_loop_t* loop, std::string& why_not) {
  if (const char* env = std::getenv("TANDEM_IO_URING");
      env != nullptr && std::strcmp(env, "0") == 0) {
    why_not = "TANDEM_IO_URING=0";
    return nullptr;
  }
  std::unique_ptr<Ring> ring(new Ring(loop));
  why_not = ring->Init();
  if (why_not.empty()) why_not = ring->SelfTest();
  if (!why_not.empty()) return nullptr;
  return ring;
}

std::string Ring::Init() {
  io_uring_params p{};
  // Completions of receives run when this thread enters the kernel to wait, not through an
  // interrupt while it is busy (DEFER_TASKRUN, 6.1); older kernels fall back to cooperative
  // task running (5.19).
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  int rc = io_uring_queue_init_params(4096, &ring_, &p);
  if (rc == -EINVAL) {
    p = io_uring_params{};
    p.flags = IORING_SETUP_COOP_TASKRUN;
    rc = io_uring_queue_init_params(4096, &ring_, &p);
  }
  if (rc < 0) return Errno("io_uring_setup", rc);
  ring_ready_ = true;
  if (!(p.features & IORING_FEAT_EXT_ARG) || !(p.features & IORING_FEAT_NODROP)) {
    return "io_uring: kernel lacks IORING_FEAT_EXT_ARG / NODROP";
  }
  buf_ring_bytes_ = kBuffers * sizeof(io_uring_buf);
  void* mem =
      mmap(nullptr, buf_ring_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED) return Errno("mmap", errno);
  buf_ring_ = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uintptr_t>(mem);
  reg.ring_entries = kBuffers;
  reg.bgid = kBufferGroup;
  rc = io_uring_register_buf_ring(&ring_, &reg, 0);
  if (rc < 0) return Errno("io_uring_register_buf_ring", rc);
  // The pool is mmap'd, as libuv's own buffers are malloc'd outside the server's counter: it is
  // transport, not data (RSS shows the pages it touches).
  void* pool = mmap(nullptr, size_t{kBuffers} * kBufferSize, PROT_READ | PROT_WRITE,
                    MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (pool == MAP_FAILED) return Errno("mmap", errno);
  pool_ = static_cast<char*>(pool);
  io_uring_buf_ring_init(buf_ring_);
  for (unsigned i = 0; i < kBuffers; ++i) {
    io_uring_buf_ring_add(buf_ring_, PoolBuffer(static_cast<uint16_t>(i)), kBufferSize,
                          static_cast<unsigned short>(i), io_uring_buf_ring_mask(kBuffers),
                          static_cast<int>(i));
  }
  io_uring_buf_ring_advance(buf_ring_, kBuffers);
  return {};
}

// Proves on this kernel what the server relies on, on a socket pair: a multishot receive that
// delivers into the pool and stays armed, and a MSG_DONTWAIT send whose completion is posted
// within the submitting call. Containers whose seccomp filter refuses io_uring fail here.
std::string Ring::SelfTest() {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) {
    return Errno("socketpair", errno);
  }
  std::string why;
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  io_uring_prep_recv_multishot(sqe, sv[0], nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = kBufferGroup;
  io_uring_sqe_set_data64(sqe, kIgnore);
  static const char kPing[] = "ping";
  sqe = io_uring_get_sqe(&ring_);
  io_uring_prep_send(sqe, sv[1], kPing, 4, MSG_DONTWAIT | MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, kSelfTestSend);
  int rc = io_uring_submit(&ring_);
  bool sent_inline = rc == 2 && io_uring_cq_ready(&ring_) >= 1;
  __kernel_timespec ts{1, 0};
  io_uring_cqe* cqe = nullptr;
  bool got_recv = false;
  bool got_send = false;
  for (int i = 0; i < 4 && rc >= 0 && !(got_recv && got_send); ++i) {
    rc = io_uring_wait_cqe_timeout(&ring_, &cqe, &ts);
    if (rc < 0) break;
    if (cqe->user_data == kSelfTestSend) {
      got_send = cqe->res == 4;
    } else if (cqe->res == 4 && (cqe->flags & IORING_CQE_F_MORE) &&
               (cqe->flags & IORING_CQE_F_BUFFER) &&
               std::memcmp(PoolBuffer(BufferId(cqe->flags)), "ping", 4) == 0) {
      got_recv = true;
      ReturnBuffer(BufferId(cqe->flags));
    } else {
      why = "io_uring: multishot receive answered " + std::to_string(cqe->res);
    }
    io_uring_cqe_seen(&ring_, cqe);
  }
  if (why.empty() && rc < 0) why = Errno("io_uring self-test", rc);
  if (why.empty() && !(got_recv && got_send)) why = "io_uring: self-test did not complete";
  if (why.empty() && !sent_inline) why = "io_uring: a MSG_DONTWAIT send did not complete inline";
  // Stop the receive: close the peer (EOF ends it) and reap until its last completion.
  ::close(sv[1]);
  for (int i = 0; i < 8; ++i) {
    if (io_uring_wait_cqe_timeout(&ring_, &cqe, &ts) < 0) break;
    bool last = cqe->user_data == kIgnore && !(cqe->flags & IORING_CQE_F_MORE);
    if (cqe->flags & IORING_CQE_F_BUFFER) ReturnBuffer(BufferId(cqe->flags));
    io_uring_cqe_seen(&ring_, cqe);
    if (last) break;
  }
  ::close(sv[0]);
  return why;
}

Ring::~Ring() {
  if (ring_ready_) io_uring_queue_exit(&ring_);
  if (pool_ != nullptr) munmap(pool_, size_t{kBuffers} * kBufferSize);
  if (buf_ring_ != nullptr) munmap(buf_ring_, buf_ring_bytes_);
}

void Ring::ReturnBuffer(uint16_t bid) {
  io_uring_buf_ring_add(buf_ring_, PoolBuffer(bid), kBufferSize, bid,
                        io_uring_buf_ring_mask(kBuffers), 0);
  io_uring_buf_ring_advance(buf_ring_, 1);
}

io_uring_sqe* Ring::Sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  // The submission queue is full: hand it over and start again. (The sends among it complete
  // inside the submit; the loop reaps them before it sleeps.)
  int rc = 0;
  for (int i = 0; i < 3 && sqe == nullptr; ++i) {
    rc = io_uring_submit(&ring_);
    sqe = io_uring_get_sqe(&ring_);
  }
  if (sqe == nullptr) {
    // The kernel refuses submissions (-EBUSY with its completion backlog full, -ENOMEM): no
    // request can be made, and dropping one would lose a reply or a client silently.
    std::fprintf(stderr, "io_uring: no submission queue entry (%s), aborting\n",
                 std::strerror(-rc));
    std::abort();
  }
  return sqe;
}

void Ring::SubmitPrepared() { io_uring_submit(&ring_); }

void Ring::SubmitNow() {
  PrepareSends();
  io_uring_submit(&ring_);
  unsubmitted_sends_ = 0;
  look_before_sleep_ = false;
}

void Ring::ArmRecv(Connection* c) {
  io_uring_sqe* sqe = Sqe();
  io_uring_prep_recv_multishot(sqe, c->fd(), nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = kBufferGroup;
  io_uring_sqe_set_data64(sqe, Tag(c, kRecv));
}

void Ring::CancelRecv(Connection* c) {
  io_uring_sqe* sqe = Sqe();
  io_uring_prep_cancel64(sqe, Tag(c, kRecv), 0);
  io_uring_sqe_set_data64(sqe, kIgnore);
  sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
}

void Ring::PrepareSends() {
  if (send_queue_.empty()) return;
  // Two vectors take turns; a connection's preparation never queues another send.
  std::vector<Connection*> batch;
  batch.swap(send_batch_);
  batch.clear();
  batch.swap(send_queue_);
  for (Connection* c : batch) {
    auto [data, len] = c->TakeOutputForSend();
    if (len == 0) {
      if (c->FreeIfDone()) --zombies_;  // closed meanwhile: it was only waiting for this
      continue;
    }
    io_uring_sqe* sqe = Sqe();
    // MSG_DONTWAIT: the send is tried once, inside the submitting call, and never parked in
    // the kernel; what does not fit goes to libuv's write path (Connection::OnRingSend).
    io_uring_prep_send(sqe, c->fd(), data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, Tag(c, kSend));
    ++unsubmitted_sends_;
    if (len > kSmallSend || c->congested_ || c->close_after_reply_) look_before_sleep_ = true;
  }
  batch.clear();
  if (send_batch_.capacity() < batch.capacity()) send_batch_.swap(batch);
}

// libuv 1.44 (unix): uv__io_start puts a watcher on loop->watcher_queue and gives it to epoll
// only in the next uv__io_poll. Sleeping in the ring with such a watcher pending would miss its
// events, so the loop turns through uv_run first.
bool Ring::WatchersPending() const {
  void* const* q = loop_->watcher_queue;
  return q[0] != static_cast<const void*>(q);
}

bool Ring::UvNeeded() {
  uv_update_time(loop_);
  return need_uv_ || WatchersPending() || uv_backend_timeout(loop_) == 0;
}

void Ring::Wait(int timeout_ms) {
  PrepareSends();
  if (!loop_poll_armed_) {
    io_uring_sqe* sqe = Sqe();
    io_uring_prep_poll_add(sqe, uv_backend_fd(loop_), POLLIN);
    io_uring_sqe_set_data64(sqe, kLoopPoll);
    loop_poll_armed_ = true;
  }
  // Every queued send completes inside this call, so sleeping until one completion more than
  // those is sleeping until the next event. A send that may be partial (large, to a socket
  // that was full, or the last before a close) is read first: the call returns at once, the
  // loop turns and then sleeps. A small send that turns out partial is read at the latest
  // after kUnreadSendMs; its connection then counts as congested.
  unsigned wait_nr = look_before_sleep_ ? 1 : unsubmitted_sends_ + 1;
  if (unsubmitted_sends_ > 0 && !look_before_sleep_ &&
      (timeout_ms < 0 || timeout_ms > kUnreadSendMs)) {
    timeout_ms = kUnreadSendMs;
  }
  unsubmitted_sends_ = 0;
  look_before_sleep_ = false;
  io_uring_cqe* cqe = nullptr;
  if (timeout_ms == 0) {
    // Not sleeping, but still entering with GETEVENTS: with DEFER_TASKRUN, receives complete
    // only then (a plain submit would starve clients while an idle handle keeps the loop busy).
    io_uring_submit_and_get_events(&ring_);
    return;
  }
  __kernel_timespec ts{};
  __kernel_timespec* tsp = nullptr;
  if (timeout_ms > 0) {
    ts.tv_sec = timeout_ms / 1000;
    ts.tv_nsec = static_cast<long long>(timeout_ms % 1000) * 1000000;
    tsp = &ts;
  }
  // -ETIME (the timer is due) and -EINTR (a signal; libuv's handler has written to its pipe)
  // both just end the wait.
  io_uring_submit_and_wait_timeout(&ring_, &cqe, wait_nr, tsp, nullptr);
}

void Ring::Reap() {
  // One at a time: a handler may queue or submit requests, or close connections.
  for (unsigned n = 0; n < 4096 && io_uring_cq_ready(&ring_) > 0; ++n) {
    io_uring_cqe* cqe = nullptr;
    if (io_uring_peek_cqe(&ring_, &cqe) != 0 || cqe == nullptr) break;
    uint64_t user_data = cqe->user_data;
    int res = cqe->res;
    uint32_t flags = cqe->flags;
    io_uring_cqe_seen(&ring_, cqe);
    Dispatch(user_data, res, flags);
  }
}

void Ring::Dispatch(uint64_t user_data, int res, uint32_t flags) {
  if (user_data == kLoopPoll) {
    loop_poll_armed_ = false;
    need_uv_ = true;
    return;
  }
  if (user_data == kIgnore || user_data < 8) return;
  auto* c = reinterpret_cast<Connection*>(user_data & ~kKindMask);
  if ((user_data & kKindMask) == kSend) {
    if (c->OnRingSend(res)) --zombies_;
    return;
  }
  // The bytes are copied into the connection's buffer before anything else runs, and the pool
  // buffer goes back to the kernel at once.
  if (flags & IORING_CQE_F_BUFFER) {
    uint16_t bid = BufferId(flags);
    if (res > 0) c->AppendReceived(PoolBuffer(bid), static_cast<size_t>(res));
    ReturnBuffer(bid);
  }
  if (c->OnRingRecv(res, (flags & IORING_CQE_F_MORE) != 0)) --zombies_;
}

void Ring::Run(const std::function<void()>& before_sleep) {
  for (;;) {
    if (UvNeeded()) {
      need_uv_ = false;
      uv_run(loop_, UV_RUN_NOWAIT);
      if (!uv_loop_alive(loop_)) break;
    } else {
      before_sleep();
    }
    // Completions already posted (by a submit since the last wait): this turn's sends still
    // go out, but the loop does not sleep.
    const bool posted = io_uring_cq_ready(&ring_) > 0;
    uv_update_time(loop_);
    Wait(posted || WatchersPending() || need_uv_ ? 0 : uv_backend_timeout(loop_));
    Reap();
  }
  // Closed connections still owed a completion (a cancelled receive) are freed when it arrives.
  for (int i = 0; i < 100 && zombies_ > 0; ++i) {
    Wait(10);
    Reap();
  }
}

void Ring::RunOnce() {
  uv_run(loop_, UV_RUN_NOWAIT);
  need_uv_ = false;
  Wait(0);
  Reap();
}

}  // namespace tandem::net
