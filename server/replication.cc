#include "server/replication.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <random>

#include "config/args.h"
#include "config/log.h"
#include "resp/reply_builder.h"
#include "resp/value.h"
#include "server/arg_cursor.h"
#include "server/persistence.h"
#include "server/server.h"
#include "storage/keyspace.h"

namespace tandem::server {

namespace {

using config::Level;
using config::LogMessage;

std::string RandomHex40() {
  static const char* kHex = "0123456789abcdef";
  std::random_device rd;
  std::string s(40, '0');
  for (auto& c : s) c = kHex[rd() & 15];
  return s;
}

constexpr size_t kBulkChunk = 1 << 20;  // RDB bytes queued per replica per loop iteration

}  // namespace

// ---------------------------------------------------------------------------------------------
// Backlog
// ---------------------------------------------------------------------------------------------

void Backlog::Create(size_t capacity, int64_t end_offset) {
  buf_.assign(std::max<size_t>(capacity, 1), 0);
  idx_ = 0;
  histlen_ = 0;
  end_offset_ = end_offset;
}

void Backlog::Destroy() {
  std::vector<char>().swap(buf_);
  idx_ = 0;
  histlen_ = 0;
}

void Backlog::Resize(size_t capacity) {
  if (!active() || capacity == buf_.size()) return;
  Create(capacity, end_offset_);
}

void Backlog::Append(std::string_view bytes) {
  end_offset_ += static_cast<int64_t>(bytes.size());
  if (buf_.empty()) return;
  const size_t cap = buf_.size();
  if (bytes.size() >= cap) bytes = bytes.substr(bytes.size() - cap);
  while (!bytes.empty()) {
    size_t n = std::min(bytes.size(), cap - idx_);
    std::memcpy(buf_.data() + idx_, bytes.data(), n);
    idx_ = (idx_ + n) % cap;
    histlen_ = std::min(cap, histlen_ + n);
    bytes = bytes.substr(n);
  }
}

bool Backlog::CopyFrom(int64_t from, std::string& out) const {
  if (buf_.empty()) return false;
  if (from < first_byte_offset() || from > end_offset_ + 1) return false;
  size_t len = static_cast<size_t>(end_offset_ + 1 - from);
  const size_t cap = buf_.size();
  size_t start = (idx_ + cap - len) % cap;
  while (len > 0) {
    size_t n = std::min(len, cap - start);
    out.append(buf_.data() + start, n);
    start = (start + n) % cap;
    len -= n;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Identity and lifecycle
// ---------------------------------------------------------------------------------------------

Replication::Replication(Server& server) : server_(server) {
  replid_ = RandomHex40();
  // A replica from its configuration is a replica from the first command on (read-only, no
  // local expiry); the link starts with Start().
  const ServerConfig& cfg = server_.config();
  if (!cfg.replicaof_host.empty()) {
    master_host_ = cfg.replicaof_host;
    master_port_ = cfg.replicaof_port;
    state_ = State::kConnect;
    link_down_since_ms_ = storage::SystemClockMs();
    server_.keyspace().set_lazy_expire_deletes(false);
  }
}

Replication::~Replication() { Stop(); }

void Replication::Start() {
  if (!is_replica()) return;
  config::SetLogRole('S');
  server_.keyspace().set_lazy_expire_deletes(false);
  LogMessage(Level::kNotice, fmt::format("Connecting to MASTER {}:{}", master_host_, master_port_));
  ConnectToMaster();
}

void Replication::Stop() {
  CancelHandshake();
  if (bulk_idle_ != nullptr) {
    uv_idle_stop(bulk_idle_);
    uv_close(reinterpret_cast<uv_handle_t*>(bulk_idle_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_idle_t*>(h); });
    bulk_idle_ = nullptr;
  }
  if (diskless_fd_ >= 0) EndDisklessTransfer(false);
  for (ReplicaInfo& r : replicas_) {
    if (r.bulk_fd >= 0) ::close(r.bulk_fd);
    r.bulk_fd = -1;
  }
}

void Replication::RestoreFromPersisted(std::string_view replid, int64_t offset) {
  if (replid.size() != 40) return;
  replid_ = std::string(replid);
  master_repl_offset_ = offset;
  has_cached_master_ = true;
}

void Replication::RestoreAsMasterFromPersisted(std::string_view replid, int64_t offset) {
  if (replid.size() != 40 || offset < 0) return;
  // Redis 7.0: the saved history stays reachable as replid2, so replicas of the master before
  // its restart continue with a partial sync from the (empty) backlog at the saved offset.
  replid2_ = std::string(replid);
  second_replid_offset_ = offset + 1;
  master_repl_offset_ = offset;
  backlog_.Create(static_cast<size_t>(server_.config().repl_backlog_size), master_repl_offset_);
  backlog_idle_since_ms_ = storage::SystemClockMs();
}

void Replication::NewReplicationId() { replid_ = RandomHex40(); }

// shiftReplicationId: the current history stays reachable under replid2 up to this offset.
void Replication::ShiftReplicationId() {
  replid2_ = replid_;
  // +1 because the offset a replica asks for is the next byte it needs: a replica that has
  // processed everything we have asks for master_repl_offset + 1 and may continue.
  second_replid_offset_ = master_repl_offset_ + 1;
  NewReplicationId();
  LogMessage(Level::kNotice,
             fmt::format("Setting secondary replication ID to {}, valid up to offset: {}. New "
                         "replication ID is {}",
                         replid2_, second_replid_offset_, replid_));
}

// ---------------------------------------------------------------------------------------------
// Propagation
// ---------------------------------------------------------------------------------------------

void Replication::Feed(int db, std::span<const std::string_view> argv) {
  // Like Redis, nothing is buffered when there is no backlog and no replica: the offset still
  // only moves when someone could read the stream.
  if (!backlog_.active() && replicas_.empty()) return;
  std::string& bytes = feed_scratch_;  // reused: no allocation per command
  bytes.clear();
  if (db != stream_db_) {
    std::string dbs = std::to_string(db);
    std::string_view sel[] = {"SELECT", dbs};
    resp::EncodeCommand(sel, bytes);
    stream_db_ = db;
  }
  resp::EncodeCommand(argv, bytes);
  FeedStream(bytes);
  if (bytes.capacity() > (1u << 20)) std::string().swap(bytes);  // after a huge command
}

void Replication::FeedStream(std::string_view bytes) {
  if (!backlog_.active() && replicas_.empty()) {
    // A replica without a backlog (none created yet) still tracks the master's offset.
    master_repl_offset_ += static_cast<int64_t>(bytes.size());
    return;
  }
  backlog_.Append(bytes);
  master_repl_offset_ += static_cast<int64_t>(bytes.size());
  for (ReplicaInfo& r : replicas_) {
    if (r.state == ReplicaState::kOnline) {
      // Online replicas get the stream of a whole loop iteration in one append (FlushUnsent),
      // not one per command.
      unsent_.append(bytes);
      break;
    }
  }
  for (ReplicaInfo& r : replicas_) {
    if (r.state == ReplicaState::kOnline) continue;
    Client* c = server_.FindClient(r.client_id);
    if (c == nullptr || c->conn().closing()) continue;
    if (r.in_bgsave || r.state != ReplicaState::kWaitBgsave) {
      // Before its snapshot is forked a replica needs nothing: the snapshot will hold it.
      r.pending.append(bytes);
      server_.CheckOutputLimits(*c, storage::SystemClockMs());
    }
  }
}

void Replication::FlushUnsent() {
  if (unsent_.empty()) return;
  for (ReplicaInfo& r : replicas_) {
    if (r.state != ReplicaState::kOnline) continue;
    Client* c = server_.FindClient(r.client_id);
    if (c == nullptr || c->conn().closing()) continue;
    c->conn().output().append(unsent_);
    server_.MarkPendingWrite(*c);
  }
  if (unsent_.capacity() > (16u << 20)) {
    std::string().swap(unsent_);
  } else {
    unsent_.clear();
  }
}

size_t Replication::PendingStreamBytes(uint64_t client_id) const {
  for (const ReplicaInfo& r : replicas_) {
    if (r.client_id == client_id) return r.pending.size();
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Master side
// ---------------------------------------------------------------------------------------------

Replication::ReplicaInfo* Replication::FindReplica(uint64_t client_id) {
  for (ReplicaInfo& r : replicas_) {
    if (r.client_id == client_id) return &r;
  }
  return nullptr;
}

Replication::ReplicaInfo& Replication::ReplicaFor(Client& c) {
  if (ReplicaInfo* r = FindReplica(c.id())) return *r;
  ReplicaInfo r;
  r.client_id = c.id();
  std::string_view peer = c.conn().peer();
  size_t colon = peer.rfind(':');
  r.ip = std::string(colon == std::string_view::npos ? peer : peer.substr(0, colon));
  replicas_.push_back(std::move(r));
  return replicas_.back();
}

// REPLCONF <option> <value> ...: listening-port, ip-address, capa, ack, getack.
void Replication::Replconf(CommandContext& ctx) {
  if (ctx.args.size() % 2 == 0) {
    ctx.Error("ERR syntax error");
    return;
  }
  Client& c = ctx.client;
  // Options stored on the client until PSYNC creates its replica record.
  for (size_t i = 1; i + 1 < ctx.args.size(); i += 2) {
    std::string opt = ToLower(ctx.args[i]);
    std::string_view val = ctx.args[i + 1];
    if (opt == "listening-port") {
      int64_t port = 0;
      if (!storage::StringToInt64(val, port) || port < 0 || port > 65535) {
        ctx.Error("ERR value is not an integer or out of range");
        return;
      }
      c.repl_listening_port = static_cast<int>(port);
    } else if (opt == "ip-address") {
      if (val.size() >= 46 + 256) {  // NET_HOST_STR_LEN
        ctx.Error(
            fmt::format("ERR REPLCONF ip-address provided by replica instance is too long: "
                        "{} bytes",
                        val.size()));
        return;
      }
      c.repl_ip = std::string(val);
    } else if (opt == "capa") {
      if (EqualsIgnoreCase(val, "eof")) c.repl_capa_eof = true;
      if (EqualsIgnoreCase(val, "psync2")) c.repl_capa_psync2 = true;
    } else if (opt == "ack" || opt == "fack") {
      // Replicas send ACK without expecting a reply.
      if (!(c.flags & kClientReplica)) return;
      int64_t off = 0;
      if (!storage::StringToInt64(val, off)) return;
      if (ReplicaInfo* r = FindReplica(c.id())) {
        if (r->state == ReplicaState::kWaitAck) PutOnline(*r, c);
        if (opt == "ack") {
          if (off > r->ack_offset) r->ack_offset = off;
          r->ack_time_ms = ctx.now_ms;
        }
      }
      if (!waiters_.empty()) ServeWaiters(ctx.now_ms, false);
      return;
    } else if (opt == "getack") {
      // Only meaningful from a master to its replica: answered on the master link.
      if (!(c.flags & kClientMaster)) return;
      SendAck();
      return;
    } else if (opt == "rdb-only" || opt == "rdb-filter-only") {
      // Accepted as Redis 7.0 does; tandem always sends the full stream after the RDB.
    } else {
      ctx.Error(fmt::format("ERR Unrecognized REPLCONF option: {}", ctx.args[i]));
      return;
    }
  }
  ctx.reply().Ok();
}

void Replication::Psync(CommandContext& ctx) {
  Client& c = ctx.client;
  if (c.flags & kClientReplica) return;  // already a replica: ignored, as Redis does
  // The reply goes straight to the connection: the replica reads it as a protocol line.
  if (is_replica() && !link_up() && !(ctx.args.size() > 3)) {
    ctx.Error("NOMASTERLINK Can't SYNC while not connected with my master");
    return;
  }
  const bool is_psync = EqualsIgnoreCase(ctx.args[0], "psync");
  if (is_psync && ctx.args.size() > 3) {
    if (!EqualsIgnoreCase(ctx.args[3], "failover")) {
      ctx.Error("ERR syntax error");
      return;
    }
    // Our master hands its role over (FAILOVER): promote ourselves, then serve its PSYNC like
    // any replica's, which our replid2 lets continue partially.
    if (ctx.args[1] != replid_) {
      ctx.Error("ERR PSYNC FAILOVER replid must match my replid.");
      return;
    }
    if (is_replica()) {
      UnsetMaster();
      server_.config().replicaof_host.clear();
      server_.config().replicaof_port = 0;
      LogMessage(Level::kNotice, fmt::format("MASTER MODE enabled (failover request from "
                                             "'id={} addr={}')",
                                             c.id(), c.conn().peer()));
    }
  }
  std::string_view want_id = is_psync ? ctx.args[1] : std::string_view("?");
  int64_t want_off = -1;
  if (is_psync && !storage::StringToInt64(ctx.args[2], want_off)) {
    ctx.Error("ERR value is not an integer or out of range");
    return;
  }
  c.flags |= kClientReplica;
  c.reply_off = true;  // nothing but the stream goes to a replica from here on
  ReplicaInfo& r = ReplicaFor(c);
  if (!c.repl_ip.empty()) r.ip = c.repl_ip;
  r.listening_port = c.repl_listening_port;
  r.capa_eof = c.repl_capa_eof;
  r.capa_psync2 = c.repl_capa_psync2;
  r.ack_time_ms = ctx.now_ms;

  // Partial resynchronisation (masterTryPartialResynchronization).
  if (is_psync && want_id != "?") {
    bool id_ok = want_id == replid_ || (want_id == replid2_ && want_off <= second_replid_offset_);
    bool range_ok = backlog_.active() && want_off >= backlog_.first_byte_offset() &&
                    want_off <= master_repl_offset_ + 1;
    if (id_ok && range_ok) {
      StartPartial(c, r, want_off, r.capa_psync2);
      ++sync_partial_ok;
      LogMessage(Level::kNotice,
                 fmt::format("Partial resynchronization request from {} accepted. Sending {} "
                             "bytes of backlog starting from offset {}.",
                             c.conn().peer(), master_repl_offset_ + 1 - want_off, want_off));
      return;
    }
    ++sync_partial_err;
    if (want_id == replid2_ && want_off > second_replid_offset_) {
      LogMessage(Level::kNotice,
                 fmt::format("Partial resynchronization not accepted: Requested offset for second "
                             "ID was {}, but I can reply up to {}",
                             want_off, second_replid_offset_));
    } else if (!id_ok) {
      LogMessage(Level::kNotice,
                 fmt::format("Partial resynchronization not accepted: Replication ID mismatch "
                             "(Replica asked for '{}', my replication IDs are '{}' and '{}')",
                             want_id, replid_, replid2_));
    } else {
      LogMessage(Level::kNotice,
                 fmt::format("Unable to partial resync with replica {} for lack of backlog "
                             "(Replica request was: {}).",
                             c.conn().peer(), want_off));
    }
  }
  // Full resynchronisation: the replica waits for an RDB taken from now on.
  LogMessage(Level::kNotice, fmt::format("Replica {} asks for synchronization", c.conn().peer()));
  if (!backlog_.active()) {
    // The backlog starts with the first replica; a fresh id makes older histories invalid.
    backlog_.Create(static_cast<size_t>(server_.config().repl_backlog_size), master_repl_offset_);
    LogMessage(Level::kNotice, "Replication backlog created, my new replication IDs are '" +
                                   replid_ + "' and '" + replid2_ + "'");
  }
  ++sync_full;
  r.state = ReplicaState::kWaitBgsave;
  r.in_bgsave = false;
  r.pending.clear();
  // A replica that connects while a BGSAVE for replication is running waits for the next one.
}

void Replication::StartPartial(Client& c, ReplicaInfo& r, int64_t from, bool psync2) {
  FlushUnsent();  // the others' share first: the backlog copy below already holds it
  std::string& out = c.conn().output();
  out += psync2 ? fmt::format("+CONTINUE {}\r\n", replid_) : std::string("+CONTINUE\r\n");
  backlog_.CopyFrom(from, out);
  r.state = ReplicaState::kOnline;
  r.ack_offset = from - 1;
  server_.MarkPendingWrite(c);
}

bool Replication::WantsBgsave() const {
  for (const ReplicaInfo& r : replicas_) {
    if (r.state == ReplicaState::kWaitBgsave && !r.in_bgsave) return true;
  }
  return false;
}

void Replication::OnBgsaveDone(bool ok, const std::string& rdb_path) {
  for (ReplicaInfo& r : replicas_) {
    if (r.state != ReplicaState::kWaitBgsave || !r.in_bgsave) continue;
    Client* c = server_.FindClient(r.client_id);
    if (c == nullptr) continue;
    if (!ok) {
      LogMessage(Level::kWarning, "SYNC failed. BGSAVE child returned an error");
      server_.KillClient(*c);
      continue;
    }
    r.bulk_fd = ::open(rdb_path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (r.bulk_fd < 0 || ::fstat(r.bulk_fd, &st) != 0) {
      LogMessage(Level::kWarning,
                 fmt::format("SYNC failed. Can't open/stat DB after BGSAVE: {}", strerror(errno)));
      server_.KillClient(*c);
      continue;
    }
    r.bulk_left = st.st_size;
    r.state = ReplicaState::kSendBulk;
    c->conn().output() += fmt::format("${}\r\n", st.st_size);
    LogMessage(Level::kNotice,
               fmt::format("Synchronization with replica {} started: sending {} bytes of RDB",
                           c->conn().peer(), st.st_size));
    SendBulkChunks(r, *c);
  }
}

bool Replication::StartDiskless(int64_t now_ms) {
  const ServerConfig& cfg = server_.config();
  int waiting = 0;
  for (const ReplicaInfo& r : replicas_) {
    waiting += (r.state == ReplicaState::kWaitBgsave && !r.in_bgsave) ? 1 : 0;
  }
  if (diskless_wait_since_ms_ == 0) diskless_wait_since_ms_ = now_ms;
  const bool enough =
      cfg.repl_diskless_sync_max_replicas > 0 && waiting >= cfg.repl_diskless_sync_max_replicas;
  if (!enough && now_ms - diskless_wait_since_ms_ <
                     static_cast<int64_t>(cfg.repl_diskless_sync_delay) * 1000) {
    return false;
  }
  diskless_wait_since_ms_ = 0;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    LogMessage(Level::kWarning,
               fmt::format("Can't create the pipe for a diskless sync: {}", strerror(errno)));
    return false;
  }
  ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  const int64_t at = master_repl_offset_;
  auto started = server_.persistence().BgSaveToPipe(fds[1]);
  if (!started) {
    ::close(fds[0]);
    ::close(fds[1]);
    LogMessage(Level::kWarning, fmt::format("BGSAVE for replication failed: {}", started.error()));
    return false;
  }
  diskless_fd_ = fds[0];
  diskless_mark_ = RandomHex40();
  for (ReplicaInfo& r : replicas_) {
    if (r.state != ReplicaState::kWaitBgsave || r.in_bgsave) continue;
    Client* c = server_.FindClient(r.client_id);
    if (c == nullptr) continue;
    r.in_bgsave = true;
    r.diskless = true;
    r.bulk_written_seen = c->conn().bytes_written();
    r.bulk_progress_ms = now_ms;
    r.psync_offset = at;
    r.pending.clear();
    r.state = ReplicaState::kSendBulk;
    c->conn().output() +=
        fmt::format("+FULLRESYNC {} {}\r\n$EOF:{}\r\n", replid_, at, diskless_mark_);
    server_.MarkPendingWrite(*c);
    LogMessage(Level::kNotice,
               fmt::format("Starting BGSAVE for SYNC with target: replicas sockets (replica {})",
                           c->conn().peer()));
  }
  stream_db_ = -1;
  diskless_poll_ = new uv_poll_t;
  uv_poll_init(server_.loop(), diskless_poll_, diskless_fd_);
  diskless_poll_->data = this;
  uv_poll_start(diskless_poll_, UV_READABLE, [](uv_poll_t* h, int, int) {
    static_cast<Replication*>(h->data)->OnPipeReadable();
  });
  return true;
}

// Forwards what the child wrote to every replica of this transfer. When one of them has more
// than 8 MB queued the poll stops until BeforeSleep sees it drained (the child then blocks on
// the full pipe, so memory stays bounded).
void Replication::OnPipeReadable() {
  constexpr size_t kQueued = 8 << 20;
  char buf[64 * 1024];
  for (int i = 0; i < 16; ++i) {
    ssize_t n = ::read(diskless_fd_, buf, sizeof(buf));
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) {
      EndDisklessTransfer(n == 0);
      return;
    }
    bool full = false;
    for (ReplicaInfo& r : replicas_) {
      if (!r.diskless || r.state != ReplicaState::kSendBulk) continue;
      Client* c = server_.FindClient(r.client_id);
      if (c == nullptr) continue;
      c->conn().output().append(buf, static_cast<size_t>(n));
      c->conn().Flush();
      full = full || c->conn().pending_output() > kQueued;
    }
    if (full) {
      uv_poll_stop(diskless_poll_);
      return;
    }
  }
}

void Replication::EndDisklessTransfer(bool ok) {
  if (diskless_poll_ != nullptr) {
    uv_poll_stop(diskless_poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(diskless_poll_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    diskless_poll_ = nullptr;
  }
  if (diskless_fd_ >= 0) ::close(diskless_fd_);
  diskless_fd_ = -1;
  for (ReplicaInfo& r : replicas_) {
    if (!r.diskless || r.state != ReplicaState::kSendBulk) continue;
    Client* c = server_.FindClient(r.client_id);
    if (c == nullptr) continue;
    if (!ok) {
      LogMessage(Level::kWarning, "Diskless rdb transfer failed, closing the replica link");
      server_.KillClient(*c);
      continue;
    }
    c->conn().output() += diskless_mark_;
    server_.MarkPendingWrite(*c);
    r.state = ReplicaState::kWaitAck;
    r.diskless = false;
    LogMessage(Level::kNotice,
               fmt::format("Streamed RDB transfer with replica {} succeeded (socket). Waiting "
                           "for REPLCONF ACK from replica to enable streaming",
                           c->conn().peer()));
  }
}

void Replication::OnDisklessChildDone(bool ok) {
  if (!ok) {
    LogMessage(Level::kWarning, "Diskless RDB child failed");
    EndDisklessTransfer(false);
  }
}

void Replication::SendBulkChunks(ReplicaInfo& r, Client& c) {
  // Keep about one chunk queued: the file is streamed as the socket drains, not read whole.
  while (r.bulk_left > 0 && c.conn().pending_output() < kBulkChunk) {
    size_t n = static_cast<size_t>(std::min<int64_t>(r.bulk_left, kBulkChunk));
    std::string& out = c.conn().output();
    size_t old = out.size();
    out.resize(old + n);
    ssize_t got = ::read(r.bulk_fd, out.data() + old, n);
    if (got <= 0) {
      out.resize(old);
      LogMessage(Level::kWarning, fmt::format("Read error sending DB to replica: {}",
                                              got < 0 ? strerror(errno) : "premature EOF"));
      server_.KillClient(c);
      return;
    }
    out.resize(old + static_cast<size_t>(got));
    r.bulk_left -= got;
  }
  c.conn().Flush();
  if (r.bulk_left == 0) PutOnline(r, c);
}

void Replication::PutOnline(ReplicaInfo& r, Client& c) {
  FlushUnsent();  // r.pending already holds what the online replicas have not been sent yet
  if (r.bulk_fd >= 0) ::close(r.bulk_fd);
  r.bulk_fd = -1;
  r.state = ReplicaState::kOnline;
  r.ack_offset = r.psync_offset;
  c.conn().output().append(r.pending);
  std::string().swap(r.pending);
  server_.MarkPendingWrite(c);
  LogMessage(Level::kNotice,
             fmt::format("Synchronization with replica {} succeeded", c.conn().peer()));
}

void Replication::OnClientClosed(Client& c) {
  if (c.flags & kClientReplica) {
    DropReplica(c.id());
    LogMessage(Level::kNotice, fmt::format("Connection with replica {} lost.", c.conn().peer()));
  }
  if ((c.flags & kClientMaster) && c.id() == master_client_id_) {
    master_client_id_ = 0;
    unapplied_.clear();  // the queued transaction is sent again after the PSYNC
    if (state_ == State::kConnected) {
      LogMessage(Level::kNotice, "Connection with master lost.");
      LogMessage(Level::kNotice, "* Caching the disconnected master state.");
      state_ = State::kConnect;
      link_down_since_ms_ = storage::SystemClockMs();
      next_connect_ms_ = 0;
    }
  }
  std::erase_if(waiters_, [&](const Waiter& w) { return w.client_id == c.id(); });
}

void Replication::DropReplica(uint64_t client_id) {
  bool was_diskless = false;
  for (auto it = replicas_.begin(); it != replicas_.end(); ++it) {
    if (it->client_id != client_id) continue;
    if (it->bulk_fd >= 0) ::close(it->bulk_fd);
    was_diskless = it->diskless && it->state == ReplicaState::kSendBulk;
    replicas_.erase(it);
    break;
  }
  if (was_diskless && diskless_fd_ >= 0 &&
      std::none_of(replicas_.begin(), replicas_.end(), [](const ReplicaInfo& r) {
        return r.diskless && r.state == ReplicaState::kSendBulk;
      })) {
    LogMessage(Level::kWarning, "Diskless rdb transfer, last replica dropped, killing fork child.");
    server_.persistence().KillChild();
    EndDisklessTransfer(false);
  }
  if (replicas_.empty()) backlog_idle_since_ms_ = storage::SystemClockMs();
}

void Replication::DisconnectReplicas() {
  for (ReplicaInfo& r : replicas_) {
    if (Client* c = server_.FindClient(r.client_id)) c->conn().Close();
  }
}

int Replication::CountAcked(int64_t offset) const {
  int n = 0;
  for (const ReplicaInfo& r : replicas_) {
    if (r.state == ReplicaState::kOnline && r.ack_offset >= offset) ++n;
  }
  return n;
}

bool Replication::EnoughGoodReplicas(int64_t now_ms) const {
  const ServerConfig& cfg = server_.config();
  if (cfg.min_replicas_to_write <= 0 || cfg.min_replicas_max_lag <= 0 || is_replica()) {
    return true;
  }
  int good = 0;
  for (const ReplicaInfo& r : replicas_) {
    if (r.state == ReplicaState::kOnline &&
        (now_ms - r.ack_time_ms) / 1000 <= cfg.min_replicas_max_lag) {
      ++good;
    }
  }
  return good >= cfg.min_replicas_to_write;
}

// WAIT numreplicas timeout
void Replication::Wait(CommandContext& ctx) {
  if (is_replica()) {
    ctx.Error(
        "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 "
        "if a replica is configured to be writable (which is not the default) writes to "
        "replicas are just local and are not propagated.");
    return;
  }
  int64_t numreplicas = 0;
  if (!storage::StringToInt64(ctx.args[1], numreplicas)) {
    ctx.Error("ERR value is not an integer or out of range");
    return;
  }
  int64_t deadline = 0;
  // WAIT's timeout is in milliseconds (getTimeoutFromObjectOrReply with UNIT_MILLISECONDS).
  int64_t timeout = 0;
  if (!storage::StringToInt64(ctx.args[2], timeout)) {
    ctx.Error("ERR timeout is not an integer or out of range");
    return;
  }
  if (timeout < 0) {
    ctx.Error("ERR timeout is negative");
    return;
  }
  if (timeout > 0) deadline = ctx.now_ms + timeout;
  const int64_t target = master_repl_offset_;
  int acked = CountAcked(target);
  if (acked >= numreplicas || ctx.client.in_multi || !ctx.may_block) {
    ctx.reply().Integer(acked);
    return;
  }
  waiters_.push_back({ctx.client.id(), target, numreplicas, deadline});
  ctx.client.blocked = true;
  ctx.client.block = {};
  ctx.client.block.cmd = &ctx.cmd;
  ctx.client.block.deadline_ms = deadline;
  getack_pending_ = true;
}

// ---------------------------------------------------------------------------------------------
// FAILOVER (coordinated switchover)
// ---------------------------------------------------------------------------------------------

void Replication::Failover(CommandContext& ctx) {
  if (is_replica()) {
    ctx.Error("ERR FAILOVER is not valid when server is a replica.");
    return;
  }
  std::string host;
  int64_t port = 0;
  int64_t timeout = 0;
  bool force = false;
  bool abort = false;
  for (size_t j = 1; j < ctx.args.size(); ++j) {
    bool more = j + 1 < ctx.args.size();
    if (EqualsIgnoreCase(ctx.args[j], "to") && j + 2 < ctx.args.size() && host.empty()) {
      host = std::string(ctx.args[j + 1]);
      if (!storage::StringToInt64(ctx.args[j + 2], port)) {
        ctx.Error("ERR value is not an integer or out of range");
        return;
      }
      j += 2;
    } else if (EqualsIgnoreCase(ctx.args[j], "timeout") && more && timeout == 0) {
      if (!storage::StringToInt64(ctx.args[j + 1], timeout)) {
        ctx.Error("ERR value is not an integer or out of range");
        return;
      }
      if (timeout <= 0) {
        ctx.Error("ERR FAILOVER timeout must be greater than 0");
        return;
      }
      ++j;
    } else if (EqualsIgnoreCase(ctx.args[j], "force") && !force) {
      force = true;
    } else if (EqualsIgnoreCase(ctx.args[j], "abort") && !abort) {
      abort = true;
    } else {
      ctx.Error("ERR syntax error");
      return;
    }
  }
  if (abort) {
    if (failover_state_ == FailoverState::kNone) {
      ctx.Error("ERR No failover in progress.");
      return;
    }
    AbortFailover("Failover manually aborted");
    ctx.reply().Ok();
    return;
  }
  // Checked in failoverCommand's order (the differential corpus pins it).
  if (failover_state_ != FailoverState::kNone) {
    ctx.Error("ERR FAILOVER already in progress.");
    return;
  }
  if (replicas_.empty()) {
    ctx.Error("ERR FAILOVER requires connected replicas.");
    return;
  }
  if (force && (timeout == 0 || host.empty())) {
    ctx.Error("ERR FAILOVER with force option requires both a timeout and target HOST and IP.");
    return;
  }
  if (!host.empty()) {
    const ReplicaInfo* target = nullptr;
    for (const ReplicaInfo& r : replicas_) {
      if (r.ip == host && r.listening_port == port) target = &r;
    }
    if (target == nullptr) {
      ctx.Error("ERR FAILOVER target HOST and PORT is not a replica.");
      return;
    }
    if (target->state != ReplicaState::kOnline) {
      ctx.Error("ERR FAILOVER target replica is not online.");
      return;
    }
  }
  failover_host_ = host;
  failover_port_ = static_cast<int>(port);
  failover_force_ = force;
  failover_deadline_ms_ = timeout > 0 ? ctx.now_ms + timeout : 0;
  failover_state_ = FailoverState::kWaitForSync;
  // No write may be acknowledged that the new master would not have: writes wait from now on.
  server_.PauseClients(INT64_MAX, true);
  getack_pending_ = true;
  LogMessage(Level::kNotice, fmt::format("FAILOVER requested to {}.",
                                         host.empty() ? std::string("any replica")
                                                      : host + ":" + std::to_string(port)));
  ctx.reply().Ok();
}

void Replication::UpdateFailover(int64_t now_ms) {
  if (failover_state_ == FailoverState::kNone) return;
  if (failover_state_ == FailoverState::kWaitForSync) {
    const ReplicaInfo* chosen = nullptr;
    for (const ReplicaInfo& r : replicas_) {
      if (r.state != ReplicaState::kOnline) continue;
      if (!failover_host_.empty() &&
          (r.ip != failover_host_ || r.listening_port != failover_port_)) {
        continue;
      }
      if (r.ack_offset == master_repl_offset_) {
        chosen = &r;
        break;
      }
    }
    const bool expired = failover_deadline_ms_ > 0 && now_ms >= failover_deadline_ms_;
    if (chosen == nullptr && expired && failover_force_) {
      for (const ReplicaInfo& r : replicas_) {
        if (r.ip == failover_host_ && r.listening_port == failover_port_) chosen = &r;
      }
    }
    if (chosen == nullptr) {
      // No new GETACK here: each one moves our offset past what the replica can acknowledge
      // for it; its once-a-second ACK reports the full offset once writes are paused.
      if (expired) AbortFailover("Replica never caught up before timeout");
      return;
    }
    std::string host = chosen->ip;
    int port = chosen->listening_port;
    LogMessage(Level::kNotice,
               fmt::format("Failover target {}:{} is synced, failing over.", host, port));
    failover_state_ = FailoverState::kInProgress;
    // Become the target's replica; our PSYNC asks it to take over (replicationSetMaster).
    psync_failover_ = true;
    server_.config().replicaof_host = host;
    server_.config().replicaof_port = port;
    SetMaster(host, port);
    return;
  }
  // In progress: the handshake finishes it (AdoptMasterLink) or fails it.
  if (failover_deadline_ms_ > 0 && now_ms >= failover_deadline_ms_ + 5000) {
    AbortFailover("Failover target did not answer the PSYNC in time");
  }
}

void Replication::AbortFailover(std::string_view why) {
  LogMessage(Level::kWarning, fmt::format("FAILOVER aborted: {}", why));
  if (failover_state_ == FailoverState::kInProgress) {
    // Back to master: we never stopped holding the data, our replid still continues.
    if (Client* m = server_.FindClient(master_client_id_)) m->conn().Close();
    master_client_id_ = 0;
    CancelHandshake();
    master_host_.clear();
    master_port_ = 0;
    state_ = State::kNone;
    server_.config().replicaof_host.clear();
    server_.config().replicaof_port = 0;
    server_.keyspace().set_lazy_expire_deletes(true);
    config::SetLogRole('M');
  }
  psync_failover_ = false;
  failover_state_ = FailoverState::kNone;
  failover_host_.clear();
  server_.UnpauseClients();
}

void Replication::EndFailover() {
  LogMessage(Level::kNotice, "Failover target accepted: this node is now a replica.");
  psync_failover_ = false;
  failover_state_ = FailoverState::kNone;
  failover_host_.clear();
  // Paused writers now meet a replica and get -READONLY.
  server_.UnpauseClients();
}

void Replication::ServeWaiters(int64_t now_ms, bool timeouts) {
  std::vector<Waiter> keep;
  for (const Waiter& w : waiters_) {
    Client* c = server_.FindClient(w.client_id);
    if (c == nullptr) continue;
    int acked = CountAcked(w.offset);
    bool expired = timeouts && w.deadline_ms > 0 && now_ms >= w.deadline_ms;
    if (acked >= w.numreplicas || expired) {
      c->blocked = false;
      c->block = {};
      resp::ReplyBuilder out(&c->conn().output(), c->resp);
      out.Integer(acked);
      server_.MarkPendingWrite(*c);
      server_.ResumeInput(*c);
    } else {
      keep.push_back(w);
    }
  }
  waiters_.swap(keep);
}

// ---------------------------------------------------------------------------------------------
// Replica side: the handshake
// ---------------------------------------------------------------------------------------------

const char* Replication::StateName(State s) {
  switch (s) {
    case State::kNone:
      return "none";
    case State::kConnect:
      return "connect";
    case State::kConnecting:
      return "connecting";
    case State::kReceivePingReply:
      return "receive_ping_reply";
    case State::kReceiveAuthReply:
      return "receive_auth_reply";
    case State::kReceivePortReply:
      return "receive_port_reply";
    case State::kReceiveIpReply:
      return "receive_ip_reply";
    case State::kReceiveCapaReply:
      return "receive_capa_reply";
    case State::kReceivePsyncReply:
      return "receive_psync_reply";
    case State::kTransfer:
      return "transfer";
    case State::kConnected:
      return "connected";
  }
  return "?";
}

void Replication::SetMaster(const std::string& host, int port) {
  const bool was_master = !is_replica();
  if (Client* m = server_.FindClient(master_client_id_)) m->conn().Close();
  master_client_id_ = 0;
  CancelHandshake();
  master_host_ = host;
  master_port_ = port;
  if (was_master) {
    // replicationCacheMasterUsingMyself: our own history is what we can continue from, so a
    // former master pointed at its former replica resyncs partially.
    has_cached_master_ = true;
    // Writes that clients blocked waiting for are now someone else's business.
    server_.keyspace().set_lazy_expire_deletes(false);
  }
  state_ = State::kConnect;
  next_connect_ms_ = 0;
  link_down_since_ms_ = storage::SystemClockMs();
  config::SetLogRole('S');
  LogMessage(Level::kNotice, fmt::format("Connecting to MASTER {}:{}", master_host_, master_port_));
  ConnectToMaster();
}

void Replication::UnsetMaster() {
  if (!is_replica()) return;
  if (Client* m = server_.FindClient(master_client_id_)) m->conn().Close();
  master_client_id_ = 0;
  CancelHandshake();
  master_host_.clear();
  master_port_ = 0;
  state_ = State::kNone;
  ShiftReplicationId();
  // Our replicas must learn the new id; they can continue partially (replid2).
  DisconnectReplicas();
  stream_db_ = -1;
  server_.keyspace().set_lazy_expire_deletes(true);
  config::SetLogRole('M');
  if (!backlog_.active()) {
    backlog_.Create(static_cast<size_t>(server_.config().repl_backlog_size), master_repl_offset_);
  }
}

void Replication::CancelHandshake() {
  ++link_generation_;
  if (resolve_req_ != nullptr) {
    uv_cancel(reinterpret_cast<uv_req_t*>(resolve_req_));
    resolve_req_ = nullptr;  // freed by its callback
  }
  connect_req_ = nullptr;
  if (link_ != nullptr) {
    link_->set_handler(nullptr);
    link_->Close();
    link_ = nullptr;
  }
  if (transfer_fd_ >= 0) {
    ::close(transfer_fd_);
    ::unlink(transfer_path_.c_str());
    transfer_fd_ = -1;
  }
  transfer_mem_ = std::string();  // a half-received diskless payload
  if (state_ != State::kNone && state_ != State::kConnected) state_ = State::kConnect;
}

void Replication::DropMasterLink(std::string_view why) {
  LogMessage(Level::kWarning, fmt::format("Master link: {}", why));
  CancelHandshake();
  state_ = State::kConnect;
  next_connect_ms_ = storage::SystemClockMs() + 1000;  // retried once a second, as Redis does
}

void Replication::ConnectToMaster() {
  if (state_ != State::kConnect) return;
  state_ = State::kConnecting;
  last_io_ms_ = storage::SystemClockMs();  // repl-timeout counts from the attempt
  const uint64_t gen = ++link_generation_;
  auto* req = new uv_getaddrinfo_t;
  struct Ctx {
    Replication* self;
    uint64_t gen;
  };
  req->data = new Ctx{this, gen};
  resolve_req_ = req;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  std::string port = std::to_string(master_port_);
  int rc = uv_getaddrinfo(
      server_.loop(), req,
      [](uv_getaddrinfo_t* r, int status, addrinfo* res) {
        auto* ctx = static_cast<Ctx*>(r->data);
        Replication* self = ctx->self;
        bool current = ctx->gen == self->link_generation_;
        delete ctx;
        delete r;
        if (current) {
          self->resolve_req_ = nullptr;
          self->OnResolved(status, res);
        }
        if (res) uv_freeaddrinfo(res);
      },
      master_host_.c_str(), port.c_str(), &hints);
  if (rc != 0) {
    delete static_cast<Ctx*>(req->data);
    delete req;
    resolve_req_ = nullptr;
    DropMasterLink(fmt::format("Unable to resolve {}: {}", master_host_, uv_strerror(rc)));
  }
}

void Replication::OnResolved(int status, addrinfo* res) {
  if (status != 0 || res == nullptr) {
    DropMasterLink(fmt::format("Unable to connect to MASTER: {}", uv_strerror(status)));
    return;
  }
  link_ = new net::Connection(server_.loop(), net::Connection::Kind::kTcp, server_.NextClientId());
  link_->set_handler(this);
  auto* req = new uv_connect_t;
  struct Ctx {
    Replication* self;
    uint64_t gen;
  };
  req->data = new Ctx{this, link_generation_};
  connect_req_ = req;
  int rc = uv_tcp_connect(req, reinterpret_cast<uv_tcp_t*>(link_->stream()), res->ai_addr,
                          [](uv_connect_t* r, int st) {
                            auto* ctx = static_cast<Ctx*>(r->data);
                            Replication* self = ctx->self;
                            bool current = ctx->gen == self->link_generation_;
                            delete ctx;
                            delete r;
                            if (current) self->OnConnected(st);
                          });
  if (rc != 0) {
    delete static_cast<Ctx*>(req->data);
    delete req;
    connect_req_ = nullptr;
    DropMasterLink(fmt::format("Unable to connect to MASTER: {}", uv_strerror(rc)));
  }
}

void Replication::OnConnected(int status) {
  connect_req_ = nullptr;
  if (status != 0) {
    DropMasterLink(fmt::format("Error condition on socket for SYNC: {}", uv_strerror(status)));
    return;
  }
  LogMessage(Level::kNotice, "MASTER <-> REPLICA sync started");
  link_->Start(!server_.config().repl_disable_tcp_nodelay, server_.config().tcp_keepalive);
  last_io_ms_ = storage::SystemClockMs();
  state_ = State::kReceivePingReply;
  SendCommand({"PING"});
}

void Replication::SendCommand(std::initializer_list<std::string_view> argv) {
  if (link_ == nullptr) return;
  std::vector<std::string_view> v(argv);
  resp::EncodeCommand(v, link_->output());
  link_->Flush();
}

void Replication::OnReadable(net::Connection& conn) {
  if (&conn != link_) return;
  last_io_ms_ = storage::SystemClockMs();
  net::Buffer& buf = conn.read_buffer();
  while (link_ != nullptr && state_ != State::kConnected) {
    if (state_ == State::kTransfer) {
      if (!ReadTransfer(conn)) return;
      continue;
    }
    std::string_view v = buf.view();
    size_t nl = v.find('\n');
    if (nl == std::string_view::npos) return;
    std::string line(v.substr(0, nl));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    buf.Consume(nl + 1);
    HandleLine(line);
  }
}

void Replication::OnClosed(net::Connection& conn) {
  if (&conn != link_) return;
  link_ = nullptr;
  DropMasterLink(fmt::format("connection closed during {}", StateName(state_)));
}

void Replication::HandleLine(std::string_view line) {
  auto is_err = [&] { return !line.empty() && line[0] == '-'; };
  switch (state_) {
    case State::kReceivePingReply:
      // -NOAUTH / -NOPERM / -ERR operation not permitted mean "authenticate next", as Redis
      // accepts them here; any other error aborts.
      if (is_err() && !line.starts_with("-NOAUTH") && !line.starts_with("-NOPERM") &&
          !line.starts_with("-ERR operation not permitted")) {
        DropMasterLink(fmt::format("Error reply to PING from master: '{}'", line));
        return;
      }
      LogMessage(Level::kNotice, "Master replied to PING, replication can continue...");
      SendHandshake();
      return;
    case State::kReceiveAuthReply:
      if (is_err()) {
        DropMasterLink(fmt::format("Unable to AUTH to MASTER: {}", line));
        return;
      }
      state_ = State::kReceivePortReply;
      return;
    case State::kReceivePortReply:
      if (is_err()) {
        LogMessage(Level::kNotice, fmt::format("(Non critical) Master does not understand REPLCONF "
                                               "listening-port: {}",
                                               line));
      }
      state_ = server_.config().replica_announce_ip.empty() ? State::kReceiveCapaReply
                                                            : State::kReceiveIpReply;
      return;
    case State::kReceiveIpReply:
      if (is_err()) {
        LogMessage(Level::kNotice,
                   fmt::format("(Non critical) Master does not understand REPLCONF ip-address: "
                               "{}",
                               line));
      }
      state_ = State::kReceiveCapaReply;
      return;
    case State::kReceiveCapaReply:
      if (is_err()) {
        LogMessage(
            Level::kNotice,
            fmt::format("(Non critical) Master does not understand REPLCONF capa: {}", line));
      }
      SendPsync();
      return;
    case State::kReceivePsyncReply:
      if (line.empty()) return;  // keepalive newline before the reply
      HandlePsyncReply(line);
      return;
    default:
      return;
  }
}

void Replication::SendHandshake() {
  const ServerConfig& cfg = server_.config();
  // Pipelined as Redis 7.0 does; replies are read in the same order.
  if (!cfg.masterauth.empty()) {
    if (!cfg.masteruser.empty()) {
      SendCommand({"AUTH", cfg.masteruser, cfg.masterauth});
    } else {
      SendCommand({"AUTH", cfg.masterauth});
    }
    state_ = State::kReceiveAuthReply;
  } else {
    state_ = State::kReceivePortReply;
  }
  int port = cfg.replica_announce_port ? cfg.replica_announce_port : cfg.port;
  std::string port_s = std::to_string(port);
  SendCommand({"REPLCONF", "listening-port", port_s});
  if (!cfg.replica_announce_ip.empty()) {
    SendCommand({"REPLCONF", "ip-address", cfg.replica_announce_ip});
  }
  SendCommand({"REPLCONF", "capa", "eof", "capa", "psync2"});
}

void Replication::SendPsync() {
  if (has_cached_master_) {
    psync_replid_ = replid_;
    psync_offset_ = master_repl_offset_ + 1;
    LogMessage(Level::kNotice, fmt::format("Trying a partial resynchronization (request {}:{}).",
                                           psync_replid_, psync_offset_));
  } else {
    psync_replid_ = "?";
    psync_offset_ = -1;
    LogMessage(Level::kNotice, "Partial resynchronization not possible (no cached master)");
  }
  std::string off = std::to_string(psync_offset_);
  if (psync_failover_) {
    SendCommand({"PSYNC", psync_replid_, off, "FAILOVER"});
  } else {
    SendCommand({"PSYNC", psync_replid_, off});
  }
  state_ = State::kReceivePsyncReply;
}

void Replication::HandlePsyncReply(std::string_view line) {
  if (line.starts_with("+FULLRESYNC")) {
    std::vector<std::string> parts = config::SplitOnSpaces(line);
    int64_t off = 0;
    if (parts.size() < 3 || parts[1].size() != 40 || !storage::StringToInt64(parts[2], off)) {
      DropMasterLink(fmt::format("Master replied with wrong +FULLRESYNC syntax: {}", line));
      return;
    }
    psync_replid_ = parts[1];
    psync_offset_ = off;
    LogMessage(Level::kNotice, fmt::format("Full resync from master: {}:{}", parts[1], off));
    // repl-diskless-load (useDisklessLoad): swapdb always, on-empty-db when we hold no key.
    const ReplDisklessLoad mode = server_.config().repl_diskless_load;
    diskless_load_ = mode == ReplDisklessLoad::kSwapdb ||
                     (mode == ReplDisklessLoad::kOnEmptyDb && server_.keyspace().TotalKeys() == 0);
    transfer_mem_.clear();
    transfer_size_ = -1;
    transfer_read_ = 0;
    if (diskless_load_) {
      state_ = State::kTransfer;
      return;
    }
    // Open the temp file the RDB lands in (readSyncBulkPayload).
    transfer_path_ = fmt::format("{}/temp-{}.{}.rdb", server_.config().dir,
                                 storage::SystemClockMs() / 1000, ::getpid());
    transfer_fd_ = ::open(transfer_path_.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
    if (transfer_fd_ < 0) {
      DropMasterLink(
          fmt::format("Opening the temp file needed for MASTER <-> REPLICA "
                      "synchronization: {}",
                      strerror(errno)));
      return;
    }
    transfer_size_ = -1;
    transfer_read_ = 0;
    state_ = State::kTransfer;
    return;
  }
  if (line.starts_with("+CONTINUE")) {
    std::string_view rest = line.size() > 10 ? line.substr(10) : std::string_view();
    LogMessage(Level::kNotice, "Successful partial resynchronization with master.");
    if (rest.size() == 40 && rest != replid_) {
      // The master's history moved to a new id (it was promoted): ours becomes replid2.
      replid2_ = replid_;
      second_replid_offset_ = master_repl_offset_ + 1;
      replid_ = std::string(rest);
      LogMessage(Level::kNotice, fmt::format("Master replication ID changed to {}", replid_));
      DisconnectReplicas();
    }
    if (!backlog_.active()) {
      backlog_.Create(static_cast<size_t>(server_.config().repl_backlog_size), master_repl_offset_);
    }
    LogMessage(Level::kNotice,
               "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
    AdoptMasterLink();
    return;
  }
  if (line.starts_with("-NOMASTERLINK") || line.starts_with("-LOADING")) {
    DropMasterLink(
        fmt::format("Master is currently unable to PSYNC but should be in the "
                    "future: {}",
                    line));
    return;
  }
  if (psync_failover_) {
    // The target refused to take over: we stay (become again) the master.
    AbortFailover(fmt::format("Failover target rejected psync request: {}", line));
    return;
  }
  DropMasterLink(fmt::format("Unexpected reply to PSYNC from master: {}", line));
}

// Reads the bulk payload: "$<len>\r\n<len bytes>" or "$EOF:<40 bytes mark>\r\n...<mark>".
// Returns false when more bytes are needed.
bool Replication::ReadTransfer(net::Connection& conn) {
  net::Buffer& buf = conn.read_buffer();
  if (transfer_size_ == -1) {
    std::string_view v = buf.view();
    size_t nl = v.find('\n');
    if (nl == std::string_view::npos) return false;
    std::string line(v.substr(0, nl));
    buf.Consume(nl + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) return true;  // keepalive newline while the master prepares the RDB
    if (line[0] == '-') {
      DropMasterLink(fmt::format("MASTER aborted replication with an error: {}", line));
      return false;
    }
    if (line[0] != '$') {
      DropMasterLink(
          fmt::format("Bad protocol from MASTER, the first byte is not '$' (we "
                      "received '{}'), are you sure the host and port are right?",
                      line));
      return false;
    }
    if (line.starts_with("$EOF:") && line.size() == 5 + 40) {
      eof_mark_ = line.substr(5);
      eof_tail_.clear();
      transfer_size_ = -2;
      LogMessage(Level::kNotice,
                 fmt::format("MASTER <-> REPLICA sync: receiving streamed RDB from master "
                             "with EOF to {}",
                             diskless_load_ ? "parser" : "disk"));
    } else {
      int64_t n = 0;
      if (!storage::StringToInt64(std::string_view(line).substr(1), n) || n < 0) {
        DropMasterLink(fmt::format("Bad bulk length from MASTER: {}", line));
        return false;
      }
      transfer_size_ = n;
      LogMessage(Level::kNotice, fmt::format("MASTER <-> REPLICA sync: receiving {} bytes from "
                                             "master to {}",
                                             n, diskless_load_ ? "parser" : "disk"));
      if (diskless_load_) transfer_mem_.reserve(static_cast<size_t>(n));
    }
  }
  std::string_view v = buf.view();
  if (v.empty()) {
    if (transfer_size_ >= 0 && transfer_read_ == transfer_size_) {
      FinishTransfer();
      return true;
    }
    return false;
  }
  size_t take = v.size();
  if (transfer_size_ >= 0) {
    take = static_cast<size_t>(std::min<int64_t>(take, transfer_size_ - transfer_read_));
  }
  std::string_view chunk = v.substr(0, take);
  if (transfer_size_ == -2) {
    eof_tail_.append(chunk);
    if (eof_tail_.size() > 40) eof_tail_.erase(0, eof_tail_.size() - 40);
  }
  size_t written = diskless_load_ ? chunk.size() : 0;
  if (diskless_load_) transfer_mem_.append(chunk);
  while (written < chunk.size()) {
    ssize_t w = ::write(transfer_fd_, chunk.data() + written, chunk.size() - written);
    if (w < 0) {
      if (errno == EINTR) continue;
      DropMasterLink(
          fmt::format("Write error or short write writing to the DB dump file "
                      "needed for MASTER <-> REPLICA synchronization: {}",
                      strerror(errno)));
      return false;
    }
    written += static_cast<size_t>(w);
  }
  transfer_read_ += static_cast<int64_t>(take);
  buf.Consume(take);
  if ((transfer_size_ >= 0 && transfer_read_ == transfer_size_) ||
      (transfer_size_ == -2 && eof_tail_ == eof_mark_)) {
    if (transfer_size_ == -2 && diskless_load_) {
      transfer_mem_.resize(transfer_mem_.size() - 40);  // the mark is not part of the RDB
    } else if (transfer_size_ == -2) {
      // The mark is not part of the RDB.
      if (::ftruncate(transfer_fd_, transfer_read_ - 40) != 0) {
        DropMasterLink("Failed to truncate the streamed RDB");
        return false;
      }
    }
    FinishTransfer();
    return true;
  }
  return false;
}

void Replication::FinishTransfer() {
  if (diskless_load_) {
    FinishDisklessLoad();
    return;
  }
  if (::fsync(transfer_fd_) != 0) {
    LogMessage(Level::kWarning, fmt::format("Failed trying to sync the temp DB to disk in "
                                            "MASTER <-> REPLICA synchronization: {}",
                                            strerror(errno)));
  }
  ::close(transfer_fd_);
  transfer_fd_ = -1;
  const ServerConfig& cfg = server_.config();
  std::string target = cfg.dir + "/" + cfg.dbfilename;
  if (::rename(transfer_path_.c_str(), target.c_str()) != 0) {
    DropMasterLink(
        fmt::format("Failed trying to rename the temp DB into {} in MASTER <-> "
                    "REPLICA synchronization: {}",
                    cfg.dbfilename, strerror(errno)));
    return;
  }
  LogMessage(Level::kNotice, "MASTER <-> REPLICA sync: Flushing old data");
  server_.FlushAllForSync();
  LogMessage(Level::kNotice, "MASTER <-> REPLICA sync: Loading DB in memory");
  std::string err = server_.persistence().LoadRdbForReplication(target);
  if (!err.empty()) {
    LogMessage(
        Level::kWarning,
        fmt::format("Failed trying to load the MASTER synchronization DB from disk: {}", err));
    server_.FlushAllForSync();
    DropMasterLink("RDB load failed");
    return;
  }
  AttachToNewDataset();
}

// repl-diskless-load: the payload, received in memory, is parsed from there. With swapdb it loads
// into a separate dataset while the old one stays in place, and a payload that does not load
// whole leaves the old data untouched; with on-empty-db there is no old data to keep.
void Replication::FinishDisklessLoad() {
  std::string payload = std::move(transfer_mem_);
  transfer_mem_ = std::string();
  const bool swap = server_.config().repl_diskless_load == ReplDisklessLoad::kSwapdb;
  std::string err;
  if (swap) {
    LogMessage(Level::kNotice, "MASTER <-> REPLICA sync: Loading DB in memory");
    storage::Keyspace loaded(server_.keyspace().databases(), storage::SystemClockMs);
    err = server_.persistence().LoadRdbForReplication(payload, loaded);
    if (err.empty()) {
      LogMessage(Level::kNotice,
                 "MASTER <-> REPLICA sync: Swapping the old data with the loaded data");
      server_.SwapInDataset(loaded);
      LogMessage(Level::kNotice, "MASTER <-> REPLICA sync: Discarding old data");
    } else {
      LogMessage(Level::kWarning, "MASTER <-> REPLICA sync: Discarding the half-loaded data");
    }
  } else {
    LogMessage(Level::kNotice, "MASTER <-> REPLICA sync: Flushing old data");
    server_.FlushAllForSync();
    LogMessage(Level::kNotice, "MASTER <-> REPLICA sync: Loading DB in memory");
    err = server_.persistence().LoadRdbForReplication(payload, server_.keyspace());
    if (!err.empty()) server_.FlushAllForSync();
  }
  if (!err.empty()) {
    LogMessage(
        Level::kWarning,
        fmt::format("Failed trying to load the MASTER synchronization DB from socket: {}", err));
    DropMasterLink("RDB load failed");
    return;
  }
  AttachToNewDataset();
}

void Replication::AttachToNewDataset() {
  const ServerConfig& cfg = server_.config();
  // The stream continues from the snapshot's offset under the master's id; our own replicas
  // must resynchronise against the new dataset (replicationAttachToNewMaster).
  DisconnectReplicas();
  replid_ = psync_replid_;
  master_repl_offset_ = psync_offset_;
  replid2_ = std::string(40, '0');
  second_replid_offset_ = -1;
  backlog_.Create(static_cast<size_t>(cfg.repl_backlog_size), master_repl_offset_);
  has_cached_master_ = true;
  LogMessage(Level::kNotice, "MASTER <-> REPLICA sync: Finished with success");
  // The AOF must describe the new dataset: rewrite it (restartAOFAfterSYNC).
  server_.aof().RestartAfterSync();
  AdoptMasterLink();
}

void Replication::AdoptMasterLink() {
  if (psync_failover_) EndFailover();
  net::Connection* conn = link_;
  link_ = nullptr;
  state_ = State::kConnected;
  link_down_since_ms_ = 0;
  last_io_ms_ = storage::SystemClockMs();
  stream_db_ = -1;
  Client& c = server_.AdoptMasterConnection(conn);
  master_client_id_ = c.id();
  SendAck();
}

void Replication::OnMasterBytesApplied(std::string_view raw, bool at_boundary) {
  last_io_ms_ = storage::SystemClockMs();
  // As Redis's commandProcessed: the offset (and what our backlog and replicas see) moves only
  // at command or transaction boundaries, so a snapshot, an AOF annotation, an ACK or a PSYNC
  // after a dropped link never stands in the middle of a MULTI whose commands are still queued.
  if (at_boundary && unapplied_.empty()) {
    FeedStream(raw);
    return;
  }
  unapplied_.append(raw);
  if (at_boundary) {
    FeedStream(unapplied_);
    unapplied_.clear();
  }
}

void Replication::SendAck() {
  Client* m = server_.FindClient(master_client_id_);
  if (m == nullptr) return;
  std::string off = std::to_string(master_repl_offset_);
  std::string_view argv[] = {"REPLCONF", "ACK", off};
  resp::EncodeCommand(argv, m->conn().output());
  server_.MarkPendingWrite(*m);
  last_ack_ms_ = storage::SystemClockMs();
}

// ---------------------------------------------------------------------------------------------
// Cron
// ---------------------------------------------------------------------------------------------

void Replication::Cron(int64_t now_ms) {
  const ServerConfig& cfg = server_.config();
  // Replica: reconnect, timeouts, ACK once a second.
  if (is_replica()) {
    if (state_ == State::kConnect && now_ms >= next_connect_ms_) ConnectToMaster();
    if (state_ != State::kNone && state_ != State::kConnect && state_ != State::kConnected &&
        now_ms - last_io_ms_ > cfg.repl_timeout * 1000) {
      DropMasterLink(state_ == State::kTransfer
                         ? "Timeout receiving bulk data from MASTER... If the problem persists "
                           "try to set the 'repl-timeout' parameter in redis.conf to a larger "
                           "value."
                         : "Timeout connecting to the MASTER...");
    }
    if (state_ == State::kConnected) {
      if (now_ms - last_io_ms_ > cfg.repl_timeout * 1000) {
        LogMessage(Level::kWarning, "MASTER timeout: no data nor PING received...");
        if (Client* m = server_.FindClient(master_client_id_)) m->conn().Close();
      } else if (now_ms - last_ack_ms_ >= 1000) {
        SendAck();
      }
    }
  }
  // Master: PING replicas every repl-ping-replica-period so they see the link alive.
  if (!is_replica() && !replicas_.empty() &&
      now_ms - last_ping_ms_ >= static_cast<int64_t>(cfg.repl_ping_replica_period) * 1000) {
    last_ping_ms_ = now_ms;
    std::string_view ping[] = {"PING"};
    // PING goes in the stream without a SELECT (replicationCron feeds it with dictid -1 rules).
    std::string bytes;
    resp::EncodeCommand(ping, bytes);
    FeedStream(bytes);
  }
  // Replicas waiting for the RDB get a newline every second so they don't time out.
  for (ReplicaInfo& r : replicas_) {
    Client* c = server_.FindClient(r.client_id);
    if (c == nullptr) continue;
    if (r.state == ReplicaState::kWaitBgsave && (now_ms / 100) % 10 == 0) {
      c->conn().output() += "\n";
      server_.MarkPendingWrite(*c);
    }
    // A diskless replica that stopped reading holds the fork child (the pipe fills) and every
    // other replica of the transfer: drop it after repl-timeout without progress, as Redis does
    // (only diskless ones: a disk transfer does not block the child).
    if (r.state == ReplicaState::kSendBulk && r.diskless) {
      const uint64_t written = c->conn().bytes_written();
      if (written != r.bulk_written_seen || c->conn().pending_output() == 0) {
        r.bulk_written_seen = written;
        r.bulk_progress_ms = now_ms;
      } else if (now_ms - r.bulk_progress_ms > cfg.repl_timeout * 1000) {
        LogMessage(Level::kWarning,
                   fmt::format("Disconnecting timedout replica (full sync): {}", r.ip));
        c->conn().Close();
        continue;
      }
    }
    if (r.state == ReplicaState::kOnline && now_ms - r.ack_time_ms > cfg.repl_timeout * 1000 &&
        r.ack_time_ms > 0) {
      LogMessage(Level::kWarning,
                 fmt::format("Disconnecting timedout replica (streaming sync): {}", r.ip));
      c->conn().Close();
    }
  }
  // Start the BGSAVE waiting replicas need: streamed through a pipe with repl-diskless-sync,
  // after repl-diskless-sync-delay seconds to gather more replicas, else through the RDB file.
  if (WantsBgsave() && !server_.persistence().child_running() && cfg.repl_diskless_sync &&
      !server_.aof().rewrite_in_progress()) {
    StartDiskless(now_ms);
  } else if (WantsBgsave() && !server_.persistence().child_running() &&
             !server_.aof().rewrite_in_progress()) {
    int64_t at = master_repl_offset_;
    auto started = server_.persistence().BgSaveForReplication();
    if (started) {
      for (ReplicaInfo& r : replicas_) {
        if (r.state != ReplicaState::kWaitBgsave || r.in_bgsave) continue;
        r.in_bgsave = true;
        r.psync_offset = at;
        r.pending.clear();
        if (Client* c = server_.FindClient(r.client_id)) {
          c->conn().output() += fmt::format("+FULLRESYNC {} {}\r\n", replid_, at);
          server_.MarkPendingWrite(*c);
          LogMessage(Level::kNotice,
                     fmt::format("Starting BGSAVE for SYNC with target: disk (replica {})",
                                 c->conn().peer()));
        }
      }
      // The stream after the snapshot starts with a SELECT for whoever loads it.
      stream_db_ = -1;
    } else {
      LogMessage(Level::kWarning,
                 fmt::format("BGSAVE for replication failed: {}", started.error()));
    }
  }
  // repl-backlog-ttl: a master without replicas frees its backlog after the ttl.
  if (!is_replica() && replicas_.empty() && backlog_.active() && cfg.repl_backlog_ttl > 0 &&
      backlog_idle_since_ms_ > 0 && now_ms - backlog_idle_since_ms_ > cfg.repl_backlog_ttl * 1000) {
    NewReplicationId();
    replid2_ = std::string(40, '0');
    second_replid_offset_ = -1;
    backlog_.Destroy();
    LogMessage(Level::kNotice, fmt::format("Replication backlog freed after {} seconds without "
                                           "connected replicas.",
                                           cfg.repl_backlog_ttl));
  }
  if (!waiters_.empty()) ServeWaiters(now_ms, true);
  UpdateFailover(now_ms);
}

void Replication::BeforeSleep() {
  FlushUnsent();
  bool drained = true;
  bool more_bulk = false;  // a socket took its whole chunk: nothing will wake the loop for more
  for (ReplicaInfo& r : replicas_) {
    if (r.state != ReplicaState::kSendBulk) continue;
    Client* c = server_.FindClient(r.client_id);
    if (c == nullptr) continue;
    if (r.diskless) {
      drained = drained && c->conn().pending_output() < (1 << 20);
    } else {
      SendBulkChunks(r, *c);
      more_bulk = more_bulk || (r.state == ReplicaState::kSendBulk && r.bulk_left > 0 &&
                                c->conn().pending_output() == 0);
    }
  }
  // While an RDB file is sent and the socket keeps up, the loop must not block in poll until
  // the next timer: an active idle handle makes the next iteration start at once.
  if (more_bulk && bulk_idle_ == nullptr) {
    bulk_idle_ = new uv_idle_t;
    uv_idle_init(server_.loop(), bulk_idle_);
  }
  if (bulk_idle_ != nullptr) {
    if (more_bulk) {
      uv_idle_start(bulk_idle_, [](uv_idle_t*) {});
    } else {
      uv_idle_stop(bulk_idle_);
    }
  }
  if (diskless_poll_ != nullptr && drained &&
      !uv_is_active(reinterpret_cast<uv_handle_t*>(diskless_poll_))) {
    uv_poll_start(diskless_poll_, UV_READABLE, [](uv_poll_t* h, int, int) {
      static_cast<Replication*>(h->data)->OnPipeReadable();
    });
  }
  // WAIT: ask every replica for its offset once per iteration that has waiters.
  if (getack_pending_) {
    getack_pending_ = false;
    std::string_view argv[] = {"REPLCONF", "GETACK", "*"};
    std::string bytes;
    resp::EncodeCommand(argv, bytes);
    FeedStream(bytes);
  }
}

// ---------------------------------------------------------------------------------------------
// INFO replication and ROLE
// ---------------------------------------------------------------------------------------------

void Replication::AppendInfo(std::string& out, int64_t now_ms) const {
  const ServerConfig& cfg = server_.config();
  auto field = [&](std::string_view k, const auto& v) { out += fmt::format("{}:{}\r\n", k, v); };
  if (is_replica()) {
    field("role", "slave");
    field("master_host", master_host_);
    field("master_port", master_port_);
    field("master_link_status", link_up() ? "up" : "down");
    field("master_last_io_seconds_ago",
          link_up() ? (now_ms - last_io_ms_) / 1000 : static_cast<int64_t>(-1));
    field("master_sync_in_progress", state_ == State::kTransfer ? 1 : 0);
    field("slave_read_repl_offset", master_repl_offset_);
    field("slave_repl_offset", master_repl_offset_);
    if (state_ == State::kTransfer) {
      field("master_sync_total_bytes", transfer_size_);
      field("master_sync_read_bytes", transfer_read_);
      field("master_sync_left_bytes",
            transfer_size_ >= 0 ? transfer_size_ - transfer_read_ : static_cast<int64_t>(-1));
      field("master_sync_perc",
            transfer_size_ > 0 ? fmt::format("{:.2f}", 100.0 * static_cast<double>(transfer_read_) /
                                                           static_cast<double>(transfer_size_))
                               : std::string("-0.00"));
      field("master_sync_last_io_seconds_ago", (now_ms - last_io_ms_) / 1000);
    }
    if (!link_up()) {
      field("master_link_down_since_seconds",
            link_down_since_ms_ ? (now_ms - link_down_since_ms_) / 1000 : static_cast<int64_t>(-1));
    }
    field("slave_priority", cfg.replica_priority);
    field("slave_read_only", cfg.replica_read_only ? 1 : 0);
    field("replica_announced", cfg.replica_announced ? 1 : 0);
  } else {
    field("role", "master");
  }
  field("connected_slaves", replicas_.size());
  if (!is_replica() && cfg.min_replicas_to_write > 0 && cfg.min_replicas_max_lag > 0) {
    int good = 0;
    for (const ReplicaInfo& r : replicas_) {
      if (r.state == ReplicaState::kOnline &&
          (now_ms - r.ack_time_ms) / 1000 <= cfg.min_replicas_max_lag) {
        ++good;
      }
    }
    field("min_slaves_good_slaves", good);
  }
  int i = 0;
  for (const ReplicaInfo& r : replicas_) {
    // As Redis names them: a diskless transfer is still wait_bgsave (the child is writing), and
    // a replica waiting to ACK its diskless RDB is already online.
    const char* st = "send_bulk";
    if (r.state == ReplicaState::kOnline || r.state == ReplicaState::kWaitAck) {
      st = "online";
    } else if (r.state == ReplicaState::kWaitBgsave || r.diskless) {
      st = "wait_bgsave";
    }
    out += fmt::format("slave{}:ip={},port={},state={},offset={},lag={}\r\n", i++, r.ip,
                       r.listening_port, st, r.ack_offset, (now_ms - r.ack_time_ms) / 1000);
  }
  field("master_failover_state", failover_state_ == FailoverState::kNone ? "no-failover"
                                 : failover_state_ == FailoverState::kWaitForSync
                                     ? "waiting-for-sync"
                                     : "failover-in-progress");
  field("master_replid", replid_);
  field("master_replid2", replid2_);
  field("master_repl_offset", master_repl_offset_);
  field("second_repl_offset", second_replid_offset_);
  field("repl_backlog_active", backlog_.active() ? 1 : 0);
  field("repl_backlog_size", cfg.repl_backlog_size);
  field("repl_backlog_first_byte_offset", backlog_.active() ? backlog_.first_byte_offset() : 0);
  field("repl_backlog_histlen", backlog_.histlen());
}

void Replication::ReplyRole(CommandContext& ctx) const {
  resp::ReplyBuilder& r = ctx.reply();
  if (!is_replica()) {
    r.ArrayHeader(3);
    r.Bulk("master");
    r.Integer(master_repl_offset_);
    int n = 0;
    for (const ReplicaInfo& ri : replicas_) n += ri.state == ReplicaState::kOnline ? 1 : 0;
    r.ArrayHeader(n);
    for (const ReplicaInfo& ri : replicas_) {
      if (ri.state != ReplicaState::kOnline) continue;
      r.ArrayHeader(3);
      r.Bulk(ri.ip);
      r.Bulk(std::to_string(ri.listening_port));
      r.Bulk(std::to_string(ri.ack_offset));
    }
    return;
  }
  r.ArrayHeader(5);
  r.Bulk("slave");
  r.Bulk(master_host_);
  r.Integer(master_port_);
  const char* st = "connect";
  switch (state_) {
    case State::kNone:
      st = "none";
      break;
    case State::kConnect:
      st = "connect";
      break;
    case State::kConnecting:
      st = "connecting";
      break;
    case State::kTransfer:
      st = "sync";
      break;
    case State::kConnected:
      st = "connected";
      break;
    default:
      st = "handshake";
      break;
  }
  r.Bulk(st);
  r.Integer(link_up() ? master_repl_offset_ : -1);
}

}  // namespace tandem::server
