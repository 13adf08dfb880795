// An accepted client connection over TCP or a Unix socket, owned by the libuv loop.
//
// Ownership: a Connection is created by a Listener and freed by itself in its uv_close callback,
// after it has told its handler OnClose. Code in the middle of a command never frees one: it
// calls Close(), which marks it closing and schedules uv_close; the memory stays valid until the
// loop runs the close callback. Other subsystems keep the id(), not a pointer.
//
// Reads land in read_buffer(); the handler parses and consumes them. Replies are appended to
// output() and sent by Flush(), which first tries uv_try_write and queues only the remainder; the
// queued bytes belong to the in-flight write until its callback.
//
// With a Ring (set by the Listener before Start), reads are a multishot receive in the ring and
// Flush queues a send that the loop's next io_uring_enter performs; a send the socket cannot
// take whole continues through libuv's write path. A closed connection is then freed only when
// the ring owes it nothing more (its receive's last completion, its send's completion).
#pragma once

#include <uv.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "resp/net/buffer.h"

namespace tandem::net {

class Connection;
class Ring;

class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  // New bytes were appended to conn.read_buffer().
  virtual void OnReadable(Connection& conn) = 0;
  // The connection is closed; it is freed right after this returns.
  virtual void OnClosed(Connection& conn) = 0;
};

class Connection {
 public:
  enum class Kind { kTcp, kUnix };
  // Free space every read gets in the read buffer (it grows to provide it).
  static constexpr size_t kMinReadSpace = 16 * 1024;

  // Creates a connection handle on `loop`; the Listener accepts into stream().
  Connection(uv_loop_t* loop, Kind kind, uint64_t id);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  uint64_t id() const { return id_; }
  Kind kind() const { return kind_; }
  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&handle_); }
  int fd() const;

  void set_handler(ConnectionHandler* h) { handler_ = h; }
  // Before Start: reads and writes go through `ring` (nullptr: libuv alone).
  void set_ring(Ring* ring) { ring_ = ring; }
  void set_data(void* d) { data_ = d; }
  void* data() const { return data_; }

  // Called once after accept: fills in addresses, sets options, starts reading.
  int Start(bool nodelay, int keepalive_seconds);

  Buffer& read_buffer() { return rbuf_; }
  std::string& output() { return out_; }
  size_t pending_output() const { return out_.size() + inflight_.size() - inflight_sent_; }

  // Sends what is in output(). Safe to call at any time; a no-op while a write is in flight
  // (the completion callback continues with what accumulated meanwhile).
  void Flush();
  // Stops reading and closes once the output is flushed (protocol errors, QUIT).
  void CloseAfterReply();
  // A connection refused at accept (maxclients, protected mode): `reply` is written at once, as
  // Redis does, and the connection closes.
  void Refuse(std::string_view reply) {
    out_.assign(reply);
    CloseAfterReply();
    Flush();
  }
  // Closes now; pending output is dropped.
  void Close();
  bool closing() const { return closing_; }
  bool close_after_reply() const { return close_after_reply_; }

  void PauseReading();
  void ResumeReading();

  const std::string& peer() const { return peer_; }    // "ip:port", or "path:0" for unix
  const std::string& local() const { return local_; }  // "ip:port"

  // Bytes read and written over the connection's life (INFO stats).
  uint64_t bytes_read() const { return bytes_read_; }
  uint64_t bytes_written() const { return bytes_written_; }

 private:
  friend class Ring;
  // SO_KEEPALIVE with Redis's probe timing (anetKeepAlive).
  void SetKeepAlive(int interval);
  ~Connection() = default;  // only the close callback (or the ring, after it) deletes
  // Ring completions. Both return true when they freed the connection.
  void AppendReceived(const char* data, size_t n);
  bool OnRingRecv(int res, bool more);
  bool OnRingSend(int res);
  bool FreeIfDone();
  // For Ring::PrepareSends: moves output() into the in-flight buffer and returns it; {nullptr,
  // 0} (and no longer held by the ring) when there is nothing to send any more.
  std::pair<const char*, size_t> TakeOutputForSend();
  // Hands inflight_[inflight_sent_..] to uv_write.
  void WriteRest();
  // After a write (ring or libuv) ended: the in-flight bytes are released; then what
  // accumulated meanwhile is flushed, or a close-after-reply connection closes.
  void ReleaseInflight();
  void ContinueAfterWrite();
  static void OnAlloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);
  static void OnWrite(uv_write_t* req, int status);
  static void OnCloseDone(uv_handle_t* h);

  union {
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } handle_;
  Kind kind_;
  uint64_t id_;
  ConnectionHandler* handler_ = nullptr;
  void* data_ = nullptr;

  Buffer rbuf_;
  std::string out_;           // replies not yet handed to the kernel
  std::string inflight_;      // bytes owned by the pending uv_write
  size_t inflight_sent_ = 0;  // its prefix that uv_try_write had already sent
  uv_write_t write_req_;
  bool writing_ = false;
  bool reading_ = false;
  bool closing_ = false;
  bool close_after_reply_ = false;
  std::string peer_;
  std::string local_;
  uint64_t bytes_read_ = 0;
  uint64_t bytes_written_ = 0;

  Ring* ring_ = nullptr;
  enum class RecvState : uint8_t { kNone, kArmed, kCancelling };
  RecvState recv_state_ = RecvState::kNone;
  bool ring_send_ = false;  // a send is queued in the ring or awaiting its completion
  bool congested_ = false;  // the last ring send was partial
  bool closed_ = false;     // OnCloseDone ran: free when the ring owes nothing more
};

// Formats a sockaddr as Redis does in CLIENT LIST: "1.2.3.4:5" or "::1:5" (no brackets).
std::string FormatAddress(const sockaddr* sa);

}  // namespace tandem::net
