// Replication as Redis 7.0 defines it (replication.c): one replication id and offset per node,
// a second id for PSYNC2 after a role change, one shared backlog, replicas fed from the same
// stream, and the replica side's handshake as a named list of steps.
//
// Offsets: master_repl_offset counts every byte ever written to the stream under this node's
// history. A replica that has processed up to offset N asks `PSYNC <replid> N+1`; the backlog
// holds bytes [first_byte_offset, master_repl_offset]. After a promotion the old id becomes
// replid2 and is still accepted for offsets up to second_replid_offset - 1
// (shiftReplicationId), which is what lets the other replica and the returning old master
// resynchronise partially.
//
// A replica proxies its master's stream byte for byte into its own backlog and to its own
// replicas (chained replication receives the identical stream), so its master_repl_offset is
// always the master's offset it has applied.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "resp/net/connection.h"

namespace tandem::server {

class Server;
class Client;
class CommandContext;

// The replication backlog: a ring of the last `capacity` bytes of the stream.
class Backlog {
 public:
  void Create(size_t capacity, int64_t end_offset);
  void Destroy();
  void Resize(size_t capacity);  // drops the history, as Redis's resizeReplicationBacklog may
  bool active() const { return !buf_.empty(); }
  size_t capacity() const { return buf_.size(); }
  void Append(std::string_view bytes);
  int64_t first_byte_offset() const { return end_offset_ - static_cast<int64_t>(histlen_) + 1; }
  size_t histlen() const { return histlen_; }
  // Appends the bytes from absolute offset `from` to the end of the history to `out`. False
  // when `from` is not inside [first_byte_offset, end + 1].
  bool CopyFrom(int64_t from, std::string& out) const;

 private:
  std::vector<char> buf_;
  size_t idx_ = 0;      // next write position
  size_t histlen_ = 0;  // valid bytes
  int64_t end_offset_ = 0;
};

class Replication : public net::ConnectionHandler {
 public:
  explicit Replication(Server& server);
  ~Replication() override;
  Replication(const Replication&) = delete;
  Replication& operator=(const Replication&) = delete;

  // Called once the server listens: starts the master link if configured as a replica.
  void Start();
  void Stop();

  // ---- identity ----
  const std::string& replid() const { return replid_; }
  const std::string& replid2() const { return replid2_; }
  int64_t offset() const { return master_repl_offset_; }
  int64_t second_replid_offset() const { return second_replid_offset_; }
  // Restores the id and offset persisted in an RDB's aux fields (a restarted replica resumes
  // with a partial sync).
  void RestoreFromPersisted(std::string_view replid, int64_t offset);
  // A master restarted from an RDB with replication info (Redis 7.0 loadDataFromDisk).
  void RestoreAsMasterFromPersisted(std::string_view replid, int64_t offset);

  // ---- propagation ----
  // Appends one command, in db `db`, to the stream (backlog + every replica). SELECT is emitted
  // when the stream's db differs.
  void Feed(int db, std::span<const std::string_view> argv);
  // Appends bytes already in stream form (a replica proxying its master).
  void FeedStream(std::string_view bytes);
  // Gives online replicas the stream fed since the last call (one append each).
  void FlushUnsent();
  // The next propagated command starts with a SELECT (after a full sync, a promotion).
  void ResetStreamDb() { stream_db_ = -1; }
  void ResizeBacklog(size_t size) { backlog_.Resize(size); }
  int stream_db() const { return stream_db_; }
  bool has_replicas() const { return !replicas_.empty(); }

  // ---- master side: commands ----
  void Psync(CommandContext& ctx);  // PSYNC replid offset | SYNC
  void Replconf(CommandContext& ctx);
  void Wait(CommandContext& ctx);
  // FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]: the coordinated switchover of Redis
  // 6.2+. Writes pause, the target replica catches up to our offset, then we become its
  // replica and our PSYNC carries FAILOVER, which makes it promote itself.
  void Failover(CommandContext& ctx);
  // min-replicas-to-write: false when fewer good replicas than configured.
  bool EnoughGoodReplicas(int64_t now_ms) const;
  void OnClientClosed(Client& c);
  // A BGSAVE for replication finished (`ok`); `rdb_path` is the file to send.
  void OnBgsaveDone(bool ok, const std::string& rdb_path);
  // A BGSAVE is wanted by waiting replicas and none is running.
  bool WantsBgsave() const;
  // The diskless child exited (`ok` false: the transfer failed).
  void OnDisklessChildDone(bool ok);

  // ---- replica side ----
  // REPLICAOF host port (config or command). Keeps the dataset; the link is (re)started.
  void SetMaster(const std::string& host, int port);
  // REPLICAOF NO ONE: this node becomes a master with a new replication id.
  void UnsetMaster();
  bool is_replica() const { return !master_host_.empty(); }
  bool link_up() const { return state_ == State::kConnected; }
  // The master client processed `raw` bytes of stream (one command).
  // `at_boundary`: the master client is not inside a MULTI after this command.
  void OnMasterBytesApplied(std::string_view raw, bool at_boundary);
  uint64_t master_client_id() const { return master_client_id_; }

  // ---- periodic work ----
  void Cron(int64_t now_ms);
  void BeforeSleep();

  // ---- observability ----
  void AppendInfo(std::string& out, int64_t now_ms) const;
  void ReplyRole(CommandContext& ctx) const;
  uint64_t sync_full = 0;
  uint64_t sync_partial_ok = 0;
  uint64_t sync_partial_err = 0;

  // ConnectionHandler: the master link while it is still handshaking / transferring.
  void OnReadable(net::Connection& conn) override;
  void OnClosed(net::Connection& conn) override;

 private:
  // ---- master side state per replica ----
  // kWaitAck: a diskless transfer ended; the stream starts once the replica ACKs (it cannot
  // tell the end of an EOF-marked payload from stream bytes that follow it in the same read).
  enum class ReplicaState { kWaitBgsave, kSendBulk, kWaitAck, kOnline };
  struct ReplicaInfo {
    uint64_t client_id = 0;
    ReplicaState state = ReplicaState::kWaitBgsave;
    std::string ip;
    int listening_port = 0;
    int64_t psync_offset = 0;  // stream offset the RDB corresponds to (FULLRESYNC offset)
    int64_t ack_offset = 0;
    int64_t ack_time_ms = 0;
    std::string pending;  // stream produced while the RDB is prepared and sent
    int bulk_fd = -1;     // the RDB being sent
    int64_t bulk_left = 0;
    bool capa_eof = false;
    bool capa_psync2 = false;
    bool in_bgsave = false;          // the running BGSAVE includes this replica
    bool diskless = false;           // fed from the pipe of a diskless child
    uint64_t bulk_written_seen = 0;  // diskless transfer progress, for repl-timeout
    int64_t bulk_progress_ms = 0;
  };
  ReplicaInfo* FindReplica(uint64_t client_id);

 public:
  // Stream bytes held for a replica that is not online yet (waiting for or receiving its RDB):
  // they count against client-output-buffer-limit replica, as Redis's output buffer does.
  size_t PendingStreamBytes(uint64_t client_id) const;

 private:
  ReplicaInfo& ReplicaFor(Client& c);
  void StartPartial(Client& c, ReplicaInfo& r, int64_t from, bool psync2);
  void SendBulkChunks(ReplicaInfo& r, Client& c);
  void PutOnline(ReplicaInfo& r, Client& c);
  bool StartDiskless(int64_t now_ms);
  void OnPipeReadable();
  void EndDisklessTransfer(bool ok);
  uv_idle_t* bulk_idle_ = nullptr;  // keeps the loop turning while an RDB file is sent
  int diskless_fd_ = -1;            // read end of the child's pipe
  uv_poll_t* diskless_poll_ = nullptr;
  std::string diskless_mark_;           // the 40-byte EOF mark
  int64_t diskless_wait_since_ms_ = 0;  // first replica waiting (repl-diskless-sync-delay)
  void DropReplica(uint64_t client_id);
  void DisconnectReplicas();
  void ServeWaiters(int64_t now_ms, bool timeouts);
  enum class FailoverState { kNone, kWaitForSync, kInProgress };
  void UpdateFailover(int64_t now_ms);
  void AbortFailover(std::string_view why);
  void EndFailover();
  FailoverState failover_state_ = FailoverState::kNone;
  std::string failover_host_;  // empty: any replica that catches up
  int failover_port_ = 0;
  int64_t failover_deadline_ms_ = 0;  // 0 = none
  bool failover_force_ = false;
  bool psync_failover_ = false;  // our next PSYNC asks the target to take over
  int CountAcked(int64_t offset) const;

  // ---- replica side: the handshake as named steps (REPL_STATE_* of replication.c) ----
  enum class State {
    kNone,
    kConnect,            // waiting to (re)connect
    kConnecting,         // resolving / connecting
    kReceivePingReply,   // PING sent
    kReceiveAuthReply,   // AUTH sent (masterauth)
    kReceivePortReply,   // REPLCONF listening-port sent
    kReceiveIpReply,     // REPLCONF ip-address sent
    kReceiveCapaReply,   // REPLCONF capa eof capa psync2 sent
    kReceivePsyncReply,  // PSYNC sent
    kTransfer,           // receiving the RDB
    kConnected,          // streaming
  };
  static const char* StateName(State s);
  void ConnectToMaster();
  void OnResolved(int status, addrinfo* res);
  void OnConnected(int status);
  void SendCommand(std::initializer_list<std::string_view> argv);
  void HandleLine(std::string_view line);
  void SendHandshake();
  void SendPsync();
  void HandlePsyncReply(std::string_view line);
  bool ReadTransfer(net::Connection& conn);
  void FinishTransfer();
  void FinishDisklessLoad();
  void AttachToNewDataset();
  void AdoptMasterLink();
  void DropMasterLink(std::string_view why);
  void CancelHandshake();
  void ShiftReplicationId();
  void NewReplicationId();
  void SendAck();

  Server& server_;
  // identity
  std::string replid_;
  std::string replid2_ = std::string(40, '0');
  int64_t master_repl_offset_ = 0;
  std::string unapplied_;  // master stream of a transaction still being queued
  int64_t second_replid_offset_ = -1;
  Backlog backlog_;
  // Stream bytes fed during this loop iteration that online replicas have not been given yet
  // (FlushUnsent, from BeforeSleep and before a replica goes online).
  std::string unsent_;
  std::string feed_scratch_;
  int64_t backlog_idle_since_ms_ = 0;  // no replicas since (repl-backlog-ttl)
  int stream_db_ = -1;
  // master side
  std::vector<ReplicaInfo> replicas_;
  struct Waiter {
    uint64_t client_id;
    int64_t offset;
    int64_t numreplicas;
    int64_t deadline_ms;  // 0 = forever
  };
  std::vector<Waiter> waiters_;
  bool getack_pending_ = false;
  int64_t last_ping_ms_ = 0;
  // replica side
  std::string master_host_;
  int master_port_ = 0;
  State state_ = State::kNone;
  net::Connection* link_ = nullptr;  // during the handshake; afterwards a server client
  uint64_t master_client_id_ = 0;
  uv_getaddrinfo_t* resolve_req_ = nullptr;
  uv_connect_t* connect_req_ = nullptr;
  uint64_t link_generation_ = 0;  // callbacks of a cancelled attempt are ignored
  int pending_replies_ = 0;       // handshake replies still expected in this step
  std::string transfer_path_;
  int transfer_fd_ = -1;
  int64_t transfer_size_ = -1;  // -1: not known yet; -2: EOF-marker mode
  int64_t transfer_read_ = 0;
  std::string eof_mark_;
  std::string eof_tail_;  // last 40 bytes seen in EOF-marker mode
  // repl-diskless-load swapdb / on-empty-db: the payload is kept in memory and parsed from there
  // (into a separate dataset with swapdb, swapped in only when it loaded whole).
  bool diskless_load_ = false;
  std::string transfer_mem_;
  std::string psync_replid_;
  int64_t psync_offset_ = 0;
  int64_t last_io_ms_ = 0;
  int64_t link_down_since_ms_ = 0;
  int64_t next_connect_ms_ = 0;
  int64_t last_ack_ms_ = 0;
  bool has_cached_master_ = false;  // replid_/offset_ describe a stream we can continue
};

}  // namespace tandem::server
