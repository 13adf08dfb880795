// Connection commands (networking.c, server.c): PING, ECHO, QUIT, AUTH, HELLO, CLIENT.
#include <fmt/format.h>

#include <algorithm>
#include <climits>

#include "server/arg_cursor.h"
#include "server/errors.h"
#include "server/server.h"

namespace tandem::server {

namespace {

void CmdPing(CommandContext& ctx) {
  if (ctx.args.size() > 2) return ctx.WrongArity();
  if ((ctx.client.flags & kClientPubsub) && ctx.client.resp == 2) {
    ctx.reply().ArrayHeader(2);
    ctx.reply().Bulk("pong");
    ctx.reply().Bulk(ctx.args.size() == 1 ? std::string_view() : ctx.args[1]);
    return;
  }
  if (ctx.args.size() == 1) return ctx.reply().SimpleString("PONG");
  ctx.reply().Bulk(ctx.args[1]);
}

void CmdEcho(CommandContext& ctx) { ctx.reply().Bulk(ctx.args[1]); }

void CmdQuit(CommandContext& ctx) {
  ctx.reply().Ok();
  ctx.client.conn().CloseAfterReply();
}

// ACLAuthenticateUser. Returns true when authenticated; otherwise the error has been sent. A
// failed attempt is answered at once (no delay that would stall the loop for everyone) and is
// counted in ACL LOG and INFO acl_access_denied_auth.
bool Authenticate(CommandContext& ctx, std::string_view user, std::string_view pass) {
  if (!ctx.server.Authenticate(ctx.client, user, pass, ctx.args[0])) {
    ctx.Error(err::kWrongPass);
    return false;
  }
  return true;
}

void CmdAuth(CommandContext& ctx) {
  if (ctx.args.size() > 3) return ctx.Error(err::kSyntax);
  // "AUTH <password>" with a default user that has no password (nopass).
  if (ctx.args.size() == 2 && (ctx.server.acl().default_user()->flags & acl::kUserNoPass)) {
    return ctx.Error(err::kAuthNoPassword);
  }
  std::string_view user = ctx.args.size() == 3 ? ctx.args[1] : std::string_view("default");
  std::string_view pass = ctx.args.size() == 3 ? ctx.args[2] : ctx.args[1];
  if (Authenticate(ctx, user, pass)) ctx.reply().Ok();
}

bool ValidClientName(std::string_view name) {
  for (unsigned char c : name) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

void CmdHello(CommandContext& ctx) {
  int64_t ver = 0;
  size_t next = 1;
  if (ctx.args.size() >= 2) {
    if (!ParseInt64(ctx.args[next++], ver)) {
      return ctx.Error("ERR Protocol version is not an integer or out of range");
    }
    if (ver < 2 || ver > 3) return ctx.Error("NOPROTO unsupported protocol version");
  }
  std::string_view user;
  std::string_view pass;
  std::string_view name;
  bool has_auth = false;
  bool has_name = false;
  for (size_t j = next; j < ctx.args.size(); ++j) {
    size_t more = ctx.args.size() - 1 - j;
    if (EqualsIgnoreCase(ctx.args[j], "AUTH") && more >= 2) {
      user = ctx.args[j + 1];
      pass = ctx.args[j + 2];
      has_auth = true;
      j += 2;
    } else if (EqualsIgnoreCase(ctx.args[j], "SETNAME") && more >= 1) {
      name = ctx.args[j + 1];
      has_name = true;
      ++j;
    } else {
      return ctx.Error(fmt::format("ERR Syntax error in HELLO option '{}'", ctx.args[j]));
    }
  }
  if (has_auth && !Authenticate(ctx, user, pass)) return;
  if (!ctx.client.authenticated) {
    return ctx.Error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
        "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and "
        "select the RESP protocol version at the same time");
  }
  if (has_name) {
    if (!ValidClientName(name)) {
      return ctx.Error("ERR Client names cannot contain spaces, newlines or special characters.");
    }
    ctx.client.name.assign(name);
  }
  if (ver != 0) {
    ctx.client.resp = static_cast<int>(ver);
    ctx.reply().set_protocol(ctx.client.resp);
  }
  resp::ReplyBuilder& r = ctx.reply();
  r.MapHeader(7);
  r.Bulk("server");
  r.Bulk("redis");
  r.Bulk("version");
  r.Bulk(kRedisVersion);
  r.Bulk("proto");
  r.Integer(ctx.client.resp);
  r.Bulk("id");
  r.Integer(static_cast<int64_t>(ctx.client.id()));
  r.Bulk("mode");
  r.Bulk("standalone");
  r.Bulk("role");
  r.Bulk(ctx.server.is_replica() ? "replica" : "master");
  r.Bulk("modules");
  r.EmptyArray();
}

// ------------------------------------------------------------------------------------------
// CLIENT
// ------------------------------------------------------------------------------------------

void CmdClientId(CommandContext& ctx) {
  ctx.reply().Integer(static_cast<int64_t>(ctx.client.id()));
}

void CmdClientSetname(CommandContext& ctx) {
  std::string_view name = ctx.args[2];
  if (!ValidClientName(name)) {
    return ctx.Error("ERR Client names cannot contain spaces, newlines or special characters.");
  }
  ctx.client.name.assign(name);
  ctx.reply().Ok();
}

void CmdClientGetname(CommandContext& ctx) {
  if (ctx.client.name.empty()) return ctx.reply().Null();
  ctx.reply().Bulk(ctx.client.name);
}

std::string_view ClientTypeName(const Client& c) {
  if (c.flags & kClientMaster) return "master";
  if (c.flags & kClientReplica) return "replica";
  if (c.flags & kClientPubsub) return "pubsub";
  return "normal";
}

bool ParseClientType(std::string_view s, std::string& out) {
  if (EqualsIgnoreCase(s, "normal"))
    out = "normal";
  else if (EqualsIgnoreCase(s, "replica") || EqualsIgnoreCase(s, "slave"))
    out = "replica";
  else if (EqualsIgnoreCase(s, "pubsub"))
    out = "pubsub";
  else if (EqualsIgnoreCase(s, "master"))
    out = "master";
  else
    return false;
  return true;
}

void CmdClientList(CommandContext& ctx) {
  std::string type;
  std::vector<uint64_t> ids;
  bool by_id = false;
  if (ctx.args.size() == 4 && EqualsIgnoreCase(ctx.args[2], "type")) {
    if (!ParseClientType(ctx.args[3], type)) {
      return ctx.Error(fmt::format("ERR Unknown client type '{}'", ctx.args[3]));
    }
  } else if (ctx.args.size() >= 4 && EqualsIgnoreCase(ctx.args[2], "id")) {
    by_id = true;
    for (size_t j = 3; j < ctx.args.size(); ++j) {
      int64_t id = 0;
      if (!ParseInt64(ctx.args[j], id) || id <= 0) return ctx.Error("ERR Invalid client ID");
      ids.push_back(static_cast<uint64_t>(id));
    }
  } else if (ctx.args.size() != 2) {
    return ctx.Error(err::kSyntax);
  }
  std::vector<Client*> clients;
  ctx.server.ForEachClient([&](Client& c) {
    if (!type.empty() && ClientTypeName(c) != type) return;
    if (by_id && std::find(ids.begin(), ids.end(), c.id()) == ids.end()) return;
    clients.push_back(&c);
  });
  std::sort(clients.begin(), clients.end(),
            [](const Client* a, const Client* b) { return a->id() < b->id(); });
  std::string out;
  for (Client* c : clients) {
    out += ClientInfoLine(ctx.server, *c, ctx.now_ms);
    out += '\n';
  }
  ctx.reply().Verbatim(out);
}

void CmdClientInfo(CommandContext& ctx) {
  ctx.reply().Verbatim(ClientInfoLine(ctx.server, ctx.client, ctx.now_ms) + "\n");
}

void CmdClientKill(CommandContext& ctx) {
  const auto& a = ctx.args;
  if (a.size() == 3) {
    // Old form: CLIENT KILL addr:port
    Client* target = nullptr;
    ctx.server.ForEachClient([&](Client& c) {
      if (c.conn().peer() == a[2] && !c.conn().closing()) target = &c;
    });
    if (target == nullptr) return ctx.Error("ERR No such client");
    ctx.server.KillClient(*target, &ctx.client);
    return ctx.reply().Ok();
  }
  if (a.size() % 2 != 0) return ctx.Error(err::kSyntax);
  uint64_t id = 0;
  bool by_id = false;
  std::string type;
  std::string_view addr;
  std::string_view laddr;
  std::string_view user;
  bool skipme = true;
  for (size_t j = 2; j + 1 < a.size(); j += 2) {
    std::string_view opt = a[j];
    std::string_view val = a[j + 1];
    if (EqualsIgnoreCase(opt, "id")) {
      int64_t v = 0;
      if (!ParseInt64(val, v) || v <= 0) {
        return ctx.Error("ERR client-id should be greater than 0");
      }
      id = static_cast<uint64_t>(v);
      by_id = true;
    } else if (EqualsIgnoreCase(opt, "type")) {
      if (!ParseClientType(val, type)) {
        return ctx.Error(fmt::format("ERR Unknown client type '{}'", val));
      }
    } else if (EqualsIgnoreCase(opt, "addr")) {
      addr = val;
    } else if (EqualsIgnoreCase(opt, "laddr")) {
      laddr = val;
    } else if (EqualsIgnoreCase(opt, "user")) {
      user = val;
      if (!ctx.server.acl().Find(user)) return ctx.Error(fmt::format("ERR No such user '{}'", val));
    } else if (EqualsIgnoreCase(opt, "skipme")) {
      if (EqualsIgnoreCase(val, "yes"))
        skipme = true;
      else if (EqualsIgnoreCase(val, "no"))
        skipme = false;
      else
        return ctx.Error(err::kSyntax);
    } else {
      return ctx.Error(err::kSyntax);
    }
  }
  std::vector<Client*> victims;
  ctx.server.ForEachClient([&](Client& c) {
    if (c.conn().closing()) return;
    if (by_id && c.id() != id) return;
    if (!type.empty() && ClientTypeName(c) != type) return;
    if (!addr.empty() && c.conn().peer() != addr) return;
    if (!laddr.empty() && c.conn().local() != laddr) return;
    if (!user.empty() && (!c.user || c.user->name != user)) return;
    if (skipme && &c == &ctx.client) return;
    victims.push_back(&c);
  });
  for (Client* c : victims) ctx.server.KillClient(*c, &ctx.client);
  ctx.reply().Integer(static_cast<int64_t>(victims.size()));
}

void CmdClientPause(CommandContext& ctx) {
  int64_t ms = 0;
  if (!ParseInt64(ctx.args[2], ms) || ms < 0) {
    return ctx.Error("ERR timeout is not an integer or out of range");
  }
  bool writes_only = false;
  if (ctx.args.size() == 4) {
    if (EqualsIgnoreCase(ctx.args[3], "write"))
      writes_only = true;
    else if (!EqualsIgnoreCase(ctx.args[3], "all"))
      return ctx.Error(err::kSyntax);
  } else if (ctx.args.size() > 4) {
    return ctx.Error(err::kSyntax);
  }
  ctx.server.PauseClients(ctx.now_ms + ms, writes_only);
  ctx.reply().Ok();
}

void CmdClientUnpause(CommandContext& ctx) {
  ctx.server.UnpauseClients();
  ctx.reply().Ok();
}

void CmdClientUnblock(CommandContext& ctx) {
  int64_t id = 0;
  if (!ParseInt64(ctx.args[2], id)) return ctx.Error(err::kNotInteger);
  bool with_error = false;
  if (ctx.args.size() == 4) {
    if (EqualsIgnoreCase(ctx.args[3], "error")) {
      with_error = true;
    } else if (!EqualsIgnoreCase(ctx.args[3], "timeout")) {
      return ctx.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
    }
  } else if (ctx.args.size() > 4) {
    return ctx.Error(err::kSyntax);
  }
  bool done = id > 0 && ctx.server.UnblockClient(static_cast<uint64_t>(id), with_error);
  ctx.reply().Integer(done ? 1 : 0);
}

void CmdClientReply(CommandContext& ctx) {
  std::string_view m = ctx.args[2];
  if (EqualsIgnoreCase(m, "on")) {
    ctx.client.reply_off = false;
    ctx.client.reply_skip = false;
    // Replies are on again from this very reply.
    ctx.reply().set_buffer(&ctx.client.conn().output());
    ctx.reply().Ok();
  } else if (EqualsIgnoreCase(m, "off")) {
    ctx.client.reply_off = true;
  } else if (EqualsIgnoreCase(m, "skip")) {
    if (!ctx.client.reply_off) ctx.client.reply_skip_next = true;
  } else {
    ctx.Error(err::kSyntax);
  }
}

void CmdClientNoEvict(CommandContext& ctx) {
  if (EqualsIgnoreCase(ctx.args[2], "on")) {
    ctx.client.flags |= kClientNoEvict;
  } else if (EqualsIgnoreCase(ctx.args[2], "off")) {
    ctx.client.flags &= ~kClientNoEvict;
  } else {
    return ctx.Error(err::kSyntax);
  }
  ctx.reply().Ok();
}

void CmdClientHelp(CommandContext& ctx) {
  ReplyHelp(ctx, "CLIENT",
            {"CACHING (YES|NO)",
             "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
             "GETREDIR",
             "    Return the client ID we are redirecting to when tracking is enabled.",
             "GETNAME",
             "    Return the name of the current connection.",
             "ID",
             "    Return the ID of the current connection.",
             "INFO",
             "    Return information about the current client connection.",
             "KILL <ip:port>",
             "    Kill connection made from <ip:port>.",
             "KILL <option> <value> [<option> <value> [...]]",
             "    Kill connections. Options are:",
             "    * ADDR (<ip:port>|<unixsocket>:0)",
             "      Kill connections made from the specified address",
             "    * LADDR (<ip:port>|<unixsocket>:0)",
             "      Kill connections made to specified local address",
             "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
             "      Kill connections by type.",
             "    * USER <username>",
             "      Kill connections authenticated by <username>.",
             "    * SKIPME (YES|NO)",
             "      Skip killing current connection (default: yes).",
             "LIST [options ...]",
             "    Return information about client connections. Options:",
             "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
             "      Return clients of specified type.",
             "UNPAUSE",
             "    Stop the current client pause, resuming traffic.",
             "PAUSE <timeout> [WRITE|ALL]",
             "    Suspend all, or just write, clients for <timeout> milliseconds.",
             "REPLY (ON|OFF|SKIP)",
             "    Control the replies sent to the current connection.",
             "SETNAME <name>",
             "    Assign the name <name> to the current connection.",
             "UNBLOCK <clientid> [TIMEOUT|ERROR]",
             "    Unblock the specified blocked client.",
             "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
             "         [OPTIN] [OPTOUT] [NOLOOP]",
             "    Control server assisted client side caching.",
             "TRACKINGINFO",
             "    Report tracking status for the current connection.",
             "NO-EVICT (ON|OFF)",
             "    Protect current client connection from eviction."});
}

}  // namespace

void RegisterConnectionCommands(CommandTable& t) {
  constexpr uint32_t kConn = kCmdNoscript | kCmdLoading | kCmdStale;
  t.Add({"ping", -1, kCmdFast | kCmdSentinel, 0, 0, 0, CmdPing, "@fast @connection", "connection",
         "Ping the server", "1.0.0"});
  t.Add({"echo", 2, kCmdFast | kCmdLoading | kCmdStale, 0, 0, 0, CmdEcho, "@fast @connection",
         "connection", "Echo the given string", "1.0.0"});
  t.Add({"quit", -1, kCmdAllowBusy | kCmdNoAuth | kConn | kCmdFast, 0, 0, 0, CmdQuit,
         "@fast @connection", "connection", "Close the connection", "1.0.0"});
  t.Add({"auth", -2, kConn | kCmdFast | kCmdNoAuth | kCmdSentinel | kCmdAllowBusy, 0, 0, 0, CmdAuth,
         "@fast @connection", "connection", "Authenticate to the server", "1.0.0", "O(N)"});
  t.Add({"hello", -1, kConn | kCmdFast | kCmdNoAuth | kCmdSentinel | kCmdAllowBusy, 0, 0, 0,
         CmdHello, "@fast @connection", "connection", "Handshake with Redis", "6.0.0"});
  Command* client = t.Add({"client", -2, kCmdSentinel, 0, 0, 0, nullptr, "@slow", "connection",
                           "A container for client connection commands", "2.4.0",
                           "Depends on "
                           "subcommand."});
  constexpr uint32_t kSub = kConn | kCmdSentinel;
  t.AddSubcommand(client, {"id", 2, kSub, 0, 0, 0, CmdClientId, "@slow @connection", "connection",
                           "Returns the client ID for the current connection", "5.0.0"});
  t.AddSubcommand(client, {"setname", 3, kSub, 0, 0, 0, CmdClientSetname, "@slow @connection",
                           "connection", "Set the current connection name", "2.6.9"});
  t.AddSubcommand(client, {"getname", 2, kSub, 0, 0, 0, CmdClientGetname, "@slow @connection",
                           "connection", "Get the current connection name", "2.6.9"});
  t.AddSubcommand(client, {"list", -2, kCmdAdmin | kSub, 0, 0, 0, CmdClientList,
                           "@admin @slow @dangerous @connection", "connection",
                           "Get the list of client connections", "2.4.0", "O(N)"});
  t.AddSubcommand(client,
                  {"info", 2, kSub, 0, 0, 0, CmdClientInfo, "@slow @connection", "connection",
                   "Returns information about the current client connection.", "6.2.0"});
  t.AddSubcommand(client, {"kill", -3, kCmdAdmin | kSub, 0, 0, 0, CmdClientKill,
                           "@admin @slow @dangerous @connection", "connection",
                           "Kill the connection of a client", "2.4.0", "O(N)"});
  t.AddSubcommand(client, {"pause", -3, kCmdAdmin | kSub, 0, 0, 0, CmdClientPause,
                           "@admin @slow @dangerous @connection", "connection",
                           "Stop processing commands from clients for some time", "2.9.50"});
  t.AddSubcommand(client, {"unpause", 2, kCmdAdmin | kSub, 0, 0, 0, CmdClientUnpause,
                           "@admin @slow @dangerous @connection", "connection",
                           "Resume processing of clients that were paused", "6.2.0", "O(N)"});
  t.AddSubcommand(client, {"unblock", -3, kCmdAdmin | kSub, 0, 0, 0, CmdClientUnblock,
                           "@admin @slow @dangerous @connection", "connection",
                           "Unblock a client blocked in a blocking command from a different "
                           "connection",
                           "5.0.0", "O(log N)"});
  t.AddSubcommand(client,
                  {"reply", 3, kSub, 0, 0, 0, CmdClientReply, "@slow @connection", "connection",
                   "Instruct the server whether to reply to commands", "3.2.0"});
  t.AddSubcommand(client, {"no-evict", 3, kCmdAdmin | kSub, 0, 0, 0, CmdClientNoEvict,
                           "@admin @slow @dangerous @connection", "connection",
                           "Set client eviction mode for the current connection", "7.0.0"});
  t.AddSubcommand(client, {"help", 2, kCmdLoading | kCmdStale | kCmdSentinel, 0, 0, 0,
                           CmdClientHelp, "@slow @connection", "connection",
                           "Show helpful text about the different subcommands", "5.0.0"});
}

}  // namespace tandem::server
