// Replication and persistence commands: REPLICAOF/SLAVEOF, PSYNC/SYNC, REPLCONF, WAIT, ROLE,
// SAVE, BGSAVE, LASTSAVE. The work itself is in replication.cc and persistence.cc.
#include <fmt/format.h>

#include "config/args.h"
#include "config/log.h"
#include "server/arg_cursor.h"
#include "server/errors.h"
#include "server/server.h"

namespace tandem::server {

namespace {

// REPLICAOF host port | NO ONE
void CmdReplicaof(CommandContext& ctx) {
  Server& s = ctx.server;
  ServerConfig& cfg = s.config();
  if (EqualsIgnoreCase(ctx.args[1], "no") && EqualsIgnoreCase(ctx.args[2], "one")) {
    if (s.is_replica()) {
      s.replication().UnsetMaster();
      cfg.replicaof_host.clear();
      cfg.replicaof_port = 0;
      config::LogMessage(config::Level::kNotice,
                         fmt::format("MASTER MODE enabled (user request from 'id={} addr={}')",
                                     ctx.client.id(), ctx.client.conn().peer()));
    }
    ctx.reply().Ok();
    return;
  }
  if (ctx.client.flags & kClientReplica) {
    // A replica of ours cannot make us its replica (replicaofCommand).
    ctx.Error("ERR Command is not valid when client is a replica.");
    return;
  }
  int64_t port = 0;
  // getRangeLongFromObjectOrReply: not a number and out of range share one message.
  if (!ParseInt64(ctx.args[2], port) || port < 0 || port > 65535) {
    ctx.Error("ERR Invalid master port");
    return;
  }
  std::string host(ctx.args[1]);
  if (s.is_replica() && cfg.replicaof_host == host && cfg.replicaof_port == port) {
    config::LogMessage(config::Level::kNotice,
                       "REPLICAOF would result into synchronization with the master we are "
                       "already connected with. No operation performed.");
    ctx.reply().SimpleString("OK Already connected to specified master");
    return;
  }
  cfg.replicaof_host = host;
  cfg.replicaof_port = static_cast<int>(port);
  s.replication().SetMaster(host, static_cast<int>(port));
  config::LogMessage(config::Level::kNotice,
                     fmt::format("REPLICAOF {}:{} enabled (user request from 'id={} addr={}')",
                                 host, port, ctx.client.id(), ctx.client.conn().peer()));
  ctx.reply().Ok();
}

void CmdPsync(CommandContext& ctx) { ctx.server.replication().Psync(ctx); }
void CmdReplconf(CommandContext& ctx) { ctx.server.replication().Replconf(ctx); }
void CmdWait(CommandContext& ctx) { ctx.server.replication().Wait(ctx); }
void CmdFailover(CommandContext& ctx) { ctx.server.replication().Failover(ctx); }
void CmdRole(CommandContext& ctx) { ctx.server.replication().ReplyRole(ctx); }

void CmdSave(CommandContext& ctx) {
  if (ctx.server.persistence().child_running()) {
    ctx.Error("ERR Background save already in progress");
    return;
  }
  if (ctx.server.persistence().Save()) {
    ctx.reply().Ok();
  } else {
    ctx.Error("ERR");
  }
}

// BGSAVE [SCHEDULE]
void CmdBgsave(CommandContext& ctx) {
  bool schedule = false;
  if (ctx.args.size() == 2) {
    if (!EqualsIgnoreCase(ctx.args[1], "schedule")) {
      ctx.Error(err::kSyntax);
      return;
    }
    schedule = true;
  } else if (ctx.args.size() > 2) {
    ctx.Error(err::kSyntax);
    return;
  }
  Persistence& p = ctx.server.persistence();
  if (p.child_running()) {
    if (schedule) {
      ctx.reply().SimpleString("Background saving scheduled");
      return;
    }
    ctx.Error("ERR Background save already in progress");
    return;
  }
  auto r = p.BgSave();
  if (!r) {
    ctx.Error("ERR " + r.error());
    return;
  }
  ctx.reply().SimpleString("Background saving started");
}

void CmdBgrewriteaof(CommandContext& ctx) {
  Aof& aof = ctx.server.aof();
  if (aof.rewrite_in_progress()) {
    ctx.Error("ERR Background append only file rewriting already in progress");
    return;
  }
  if (ctx.server.persistence().child_running()) {
    aof.ScheduleRewrite();
    ctx.reply().SimpleString("Background append only file rewriting scheduled");
    return;
  }
  auto r = aof.StartRewrite();
  if (!r) {
    ctx.Error("ERR " + r.error());
    return;
  }
  ctx.reply().SimpleString("Background append only file rewriting started");
}

void CmdLastsave(CommandContext& ctx) {
  ctx.reply().Integer(ctx.server.persistence().lastsave_s());
}

}  // namespace

void RegisterReplicationCommands(CommandTable& t) {
  constexpr uint32_t kReplAdmin = kCmdAdmin | kCmdNoscript | kCmdStale;
  t.Add({"replicaof", 3, kReplAdmin | kCmdNoAsyncLoading, 0, 0, 0, CmdReplicaof,
         "@admin @slow @dangerous", "server",
         "Make the server a replica of another instance, or promote it as master.", "5.0.0",
         "O(1)"});
  t.Add({"slaveof", 3, kReplAdmin | kCmdNoAsyncLoading, 0, 0, 0, CmdReplicaof,
         "@admin @slow @dangerous", "server",
         "Make the server a replica of another instance, or promote it as master.", "1.0.0",
         "O(1)"});
  t.Add({"psync", -3, (kReplAdmin & ~kCmdStale) | kCmdNoMulti | kCmdNoAsyncLoading, 0, 0, 0,
         CmdPsync, "@admin @slow @dangerous", "server", "Internal command used for replication",
         "2.8.0"});
  t.Add({"sync", 1, (kReplAdmin & ~kCmdStale) | kCmdNoMulti | kCmdNoAsyncLoading, 0, 0, 0, CmdPsync,
         "@admin @slow @dangerous", "server", "Internal command used for replication", "1.0.0"});
  t.Add({"replconf", -1, kCmdAdmin | kCmdNoscript | kCmdLoading | kCmdStale | kCmdAllowBusy, 0, 0,
         0, CmdReplconf, "@admin @slow @dangerous", "server",
         "An internal command for configuring the replication stream", "3.0.0", "O(1)"});
  t.Add({"wait", 3, kCmdNoscript, 0, 0, 0, CmdWait, "@slow @connection", "generic",
         "Wait for the synchronous replication of all the write commands sent in the context of "
         "the current connection",
         "3.0.0", "O(1)"});
  t.Add({"failover", -1, kCmdAdmin | kCmdNoscript | kCmdStale, 0, 0, 0, CmdFailover,
         "@admin @slow @dangerous", "server",
         "Start a coordinated failover between this server and one of its replicas.", "6.2.0",
         "O(1)"});
  t.Add({"role", 1, kCmdNoscript | kCmdLoading | kCmdStale | kCmdFast | kCmdSentinel, 0, 0, 0,
         CmdRole, "@admin @fast @dangerous", "server",
         "Return the role of the instance in the context of replication", "2.8.12"});
  t.Add({"save", 1, kCmdAdmin | kCmdNoscript | kCmdNoAsyncLoading | kCmdNoMulti, 0, 0, 0, CmdSave,
         "@admin @slow @dangerous", "server", "Synchronously save the dataset to disk", "1.0.0",
         "O(N) where N is the total number of keys in all databases"});
  t.Add({"bgsave", -1, kCmdAdmin | kCmdNoscript | kCmdNoAsyncLoading, 0, 0, 0, CmdBgsave,
         "@admin @slow @dangerous", "server", "Asynchronously save the dataset to disk", "1.0.0",
         "O(N) where N is the total number of keys in all databases"});
  t.Add({"bgrewriteaof", 1, kCmdAdmin | kCmdNoscript | kCmdNoAsyncLoading, 0, 0, 0, CmdBgrewriteaof,
         "@admin @slow @dangerous", "server", "Asynchronously rewrite the append-only file",
         "1.0.0", "O(1)"});
  t.Add({"lastsave", 1, kCmdLoading | kCmdStale | kCmdFast, 0, 0, 0, CmdLastsave,
         "@admin @fast @dangerous", "server",
         "Get the UNIX time stamp of the last successful save to disk", "1.0.0", "O(1)"});
}

}  // namespace tandem::server
