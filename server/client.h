// A connected client: protocol state, selected db, name, flags and per-client statistics. The
// transport (net::Connection) carries the bytes; the Client carries what Redis keeps in `client`.
// Other subsystems refer to a client by id (Server::FindClient), never by a stored pointer.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "resp/net/connection.h"
#include "resp/reply_builder.h"
#include "resp/request_parser.h"

namespace tandem::server {

class Command;
namespace acl {
struct User;
}

enum ClientFlag : uint64_t {
  kClientMonitor = 1u << 0,
  kClientNoEvict = 1u << 1,
  kClientPubsub = 1u << 2,
  kClientReplica = 1u << 3,
  kClientMaster = 1u << 4,
  kClientCloseAsap = 1u << 5,
  kClientPausedWaiting = 1u << 6,  // postponed by CLIENT PAUSE; its command is still queued
};

class Client {
 public:
  Client(net::Connection* conn, int64_t now_ms)
      : conn_(conn), reply_(&conn->output()), ctime_ms_(now_ms), last_interaction_ms_(now_ms) {}

  uint64_t id() const { return conn_->id(); }
  net::Connection& conn() { return *conn_; }
  const net::Connection& conn() const { return *conn_; }
  resp::RequestParser& parser() { return parser_; }
  resp::ReplyBuilder& reply() { return reply_; }

  int db_index = 0;
  int resp = 2;
  std::string name;
  bool authenticated = false;
  // The user whose permissions apply (the default user until AUTH); null for the master link
  // and the AOF loader, which run everything (Redis's c->user == NULL).
  std::shared_ptr<acl::User> user;
  // CLIENT REPLY: OFF until ON; SKIP suppresses the next command's reply (skip_next becomes
  // skip when the CLIENT REPLY SKIP command itself completes, as in Redis's resetClient).
  bool reply_off = false;
  bool reply_skip = false;
  bool reply_skip_next = false;
  uint64_t flags = 0;
  const Command* last_command = nullptr;
  int64_t ctime_ms() const { return ctime_ms_; }
  // Output-buffer soft limit bookkeeping: when the soft limit was first exceeded, 0 = not.
  int64_t obuf_soft_limit_since_ms = 0;
  uint64_t commands_processed = 0;
  bool pending_write = false;  // queued in the server's flush list for this loop iteration

  // ---- pub/sub: what this client is subscribed to (the server keeps the reverse maps) ----
  std::set<std::string> channels;
  std::set<std::string> patterns;
  std::set<std::string> shard_channels;
  size_t subscription_count() const { return channels.size() + patterns.size(); }

  // ---- MULTI/EXEC ----
  struct QueuedCommand {
    const Command* cmd;
    std::vector<std::string> args;  // owned copies: the read buffer moves on
  };
  bool in_multi = false;
  bool exec_abort = false;  // a command failed to queue: EXEC answers EXECABORT
  bool dirty_cas = false;   // a watched key changed: EXEC answers null
  std::vector<QueuedCommand> queued;
  std::vector<std::pair<int, std::string>> watched;  // (db, key)

  // ---- blocking commands (BLPOP ...): the command is run again when a key it waits on is
  // written; until then the client's further input waits in its buffer ----
  struct BlockedState {
    const Command* cmd = nullptr;
    std::vector<std::string> args;  // owned copy of the command
    std::vector<std::string> keys;  // keys waited on, in db `db`
    int db = 0;
    int64_t deadline_ms = 0;            // 0 = wait forever
    bool null_array_on_timeout = true;  // BLPOP & co answer a null array, BLMOVE a null bulk
  };
  bool blocked = false;
  BlockedState block;

  // ---- replication: what a replica told us with REPLCONF before PSYNC ----
  int repl_listening_port = 0;
  std::string repl_ip;
  bool repl_capa_eof = false;
  bool repl_capa_psync2 = false;

  void set_last_interaction(int64_t ms) { last_interaction_ms_ = ms; }
  int64_t last_interaction() const { return last_interaction_ms_; }

 private:
  net::Connection* conn_;
  resp::RequestParser parser_;
  resp::ReplyBuilder reply_;
  int64_t ctime_ms_;
  int64_t last_interaction_ms_;
};

}  // namespace tandem::server
