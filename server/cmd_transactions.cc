// Transactions (multi.c): MULTI, EXEC, DISCARD, WATCH, UNWATCH. Queueing itself happens in
// Server::Dispatch (a command inside MULTI that passes the checks answers +QUEUED); a rejected
// command marks the transaction so EXEC answers EXECABORT. Runtime errors inside EXEC do not
// roll anything back, as in Redis.
#include "server/errors.h"
#include "server/server.h"

namespace tandem::server {

namespace {

void DiscardTransaction(Server& server, Client& c) {
  c.queued.clear();
  c.in_multi = false;
  c.exec_abort = false;
  c.dirty_cas = false;
  server.UnwatchAll(c);
}

void CmdMulti(CommandContext& ctx) {
  if (ctx.client.in_multi) return ctx.Error("ERR MULTI calls can not be nested");
  ctx.client.in_multi = true;
  ctx.reply().Ok();
}

void CmdExec(CommandContext& ctx) {
  Client& c = ctx.client;
  if (!c.in_multi) return ctx.Error("ERR EXEC without MULTI");
  if (c.exec_abort) {
    DiscardTransaction(ctx.server, c);
    return ctx.Error("EXECABORT Transaction discarded because of previous errors.");
  }
  if (c.dirty_cas) {
    DiscardTransaction(ctx.server, c);
    return ctx.reply().NullArray();
  }
  ctx.server.ExecTransaction(c);
}

void CmdDiscard(CommandContext& ctx) {
  if (!ctx.client.in_multi) return ctx.Error("ERR DISCARD without MULTI");
  DiscardTransaction(ctx.server, ctx.client);
  ctx.reply().Ok();
}

void CmdWatch(CommandContext& ctx) {
  if (ctx.client.in_multi) return ctx.Error("ERR WATCH inside MULTI is not allowed");
  // A key watched while already expired counts as changed only if it changes again; Redis
  // 7.0 looks it up first so a logically expired key is deleted before it is watched.
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    ctx.LookupWrite(ctx.args[i]);
    ctx.server.Watch(ctx.client, ctx.client.db_index, ctx.args[i]);
  }
  ctx.reply().Ok();
}

void CmdUnwatch(CommandContext& ctx) {
  ctx.server.UnwatchAll(ctx.client);
  ctx.client.dirty_cas = false;
  ctx.reply().Ok();
}

}  // namespace

void RegisterTransactionCommands(CommandTable& t) {
  constexpr uint32_t kTx = kCmdNoscript | kCmdLoading | kCmdStale | kCmdFast | kCmdAllowBusy;
  t.Add({"multi", 1, kTx, 0, 0, 0, CmdMulti, "@fast @transaction", "transactions",
         "Mark the start of a transaction block", "1.2.0"});
  t.Add({"exec", 1, kCmdNoscript | kCmdLoading | kCmdStale | kCmdSkipSlowlog, 0, 0, 0, CmdExec,
         "@slow @transaction", "transactions", "Execute all commands issued after MULTI", "1.2.0",
         "Depends on commands in the transaction"});
  t.Add({"discard", 1, kTx, 0, 0, 0, CmdDiscard, "@fast @transaction", "transactions",
         "Discard all commands issued after MULTI", "2.0.0",
         "O(N), when N is the number of "
         "queued commands"});
  t.Add({"watch", -2, kTx, 1, -1, 1, CmdWatch, "@fast @transaction", "transactions",
         "Watch the given keys to determine execution of the MULTI/EXEC block", "2.2.0"});
  t.Add({"unwatch", 1, kTx, 0, 0, 0, CmdUnwatch, "@fast @transaction", "transactions",
         "Forget about all watched keys", "2.2.0"});
}

}  // namespace tandem::server
