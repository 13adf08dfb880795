// io_uring for accepted connections, beside the libuv loop (Linux 6.0 and later; 6.1 for
// DEFER_TASKRUN).
//
// Why: at -P 1 every request costs the server a wake-up, a read and a write, and on a virtual
// machine each syscall is expensive (1.2 us for getppid on the machine bench/ was measured on).
// With the ring, one io_uring_enter per loop iteration submits every reply of the iteration
// (a send per connection, done inline in that call) and then sleeps until the next request:
// multishot receives land in a shared pool of provided buffers as the data arrives.
//
// How it shares the loop with libuv: the ring is the one place the server sleeps. libuv's
// epoll descriptor (the listener, replication links, signals, outbound clients, the rare
// write that did not fit in the socket) is watched by a poll request in the ring, and
// uv_run(UV_RUN_NOWAIT) runs when it is readable, when a timer is due, when a handle is closing,
// or when libuv has watchers it has not yet given to epoll. Otherwise the owner's before-sleep
// hook (the server's BeforeSleep) runs directly.
//
// Connections opt in when their Listener has a ring (tandem-server's); tandem-sentinel and all
// outbound connections stay on libuv alone. TANDEM_IO_URING=0 in the environment turns the ring
// off, as does any failure of the self-test Create runs.
#pragma once

#include <liburing.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace tandem::net {

class Connection;

class Ring {
 public:
  // A ring for `loop`, or nullptr with the reason in `why_not` (kernel without multishot
  // receive or provided buffer rings, io_uring disabled by sysctl or a seccomp filter, or
  // TANDEM_IO_URING=0).
  static std::unique_ptr<Ring> Create(uv_loop_t* loop, std::string& why_not);
  ~Ring();
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  // Replaces uv_run(loop, UV_RUN_DEFAULT): runs until the loop has no active handles, then
  // waits (bounded) for the connections still owed a completion. `before_sleep` runs before
  // every wait (uv_run runs the loop's own prepare and check handles instead).
  void Run(const std::function<void()>& before_sleep);
  // One turn that never sleeps (serving clients while the dataset loads).
  void RunOnce();

  // Requests made by Connection.
  void ArmRecv(Connection* c);
  void CancelRecv(Connection* c);
  // `c` has output: everything in its output() leaves in one send, prepared right before the
  // next submit (so all the replies of a loop turn go together).
  void QueueSend(Connection* c) { send_queue_.push_back(c); }
  // Prepares the queued sends and hands everything to the kernel now (replies to clients served
  // while loading, the last replies at shutdown). Only after the server's before-sleep step:
  // a reply must not leave before its write is in the AOF.
  void SubmitNow();
  // Hands the requests already prepared to the kernel, without preparing sends: before a
  // connection's descriptor is closed, so that a receive armed for it and not yet submitted
  // cannot land on a new socket that reuses the number.
  void SubmitPrepared();
  // A closed connection still owed completions; deleted when the last one arrives.
  void AddZombie() { ++zombies_; }

  // Buffers of the shared receive pool (each connection copies its bytes out at once).
  static constexpr unsigned kBuffers = 64;
  static constexpr unsigned kBufferSize = 16 * 1024;
  // A send above this size may well be partial (a fresh loopback socket's buffer starts at
  // 16 KB), so its completion is looked at before the loop sleeps.
  static constexpr size_t kSmallSend = 16 * 1024;
  // The longest the loop sleeps while a small send's completion is unread (a send that turned
  // out partial continues at the latest then).
  static constexpr int kUnreadSendMs = 10;

 private:
  explicit Ring(uv_loop_t* loop) : loop_(loop) {}
  std::string Init();
  std::string SelfTest();
  io_uring_sqe* Sqe();
  void Wait(int timeout_ms);
  void Reap();
  void Dispatch(uint64_t user_data, int res, uint32_t flags);
  bool WatchersPending() const;
  bool UvNeeded();
  char* PoolBuffer(uint16_t bid) const { return pool_ + size_t{bid} * kBufferSize; }
  void ReturnBuffer(uint16_t bid);
  void PrepareSends();

  uv_loop_t* loop_;
  io_uring ring_{};
  bool ring_ready_ = false;
  io_uring_buf_ring* buf_ring_ = nullptr;
  size_t buf_ring_bytes_ = 0;
  char* pool_ = nullptr;
  bool loop_poll_armed_ = false;
  bool need_uv_ = true;
  std::vector<Connection*> send_queue_;
  std::vector<Connection*> send_batch_;  // PrepareSends' spare vector
  unsigned unsubmitted_sends_ = 0;       // their completions arrive within the next submit
  bool look_before_sleep_ = false;       // a send among them may need action when it completes
  unsigned zombies_ = 0;
};

}  // namespace tandem::net
