// ACL (acl.c aclCommand): SETUSER, GETUSER, DELUSER, LIST, USERS, WHOAMI, CAT, GENPASS, LOAD,
// SAVE, LOG, DRYRUN, HELP. Rules, checks and descriptions live in acl.cc; this file answers.
#include <fmt/format.h>

#include <cstdio>

#include "config/log.h"
#include "server/arg_cursor.h"
#include "server/errors.h"
#include "server/server.h"

namespace tandem::server {

namespace {

void SubcommandSyntaxError(CommandContext& ctx) {
  ctx.Error(
      fmt::format("ERR unknown subcommand or wrong number of arguments for '{}'. Try ACL HELP.",
                  ctx.args[1].substr(0, 128)));
}

void CmdAclSetuser(CommandContext& ctx) {
  std::string_view name = ctx.args[2];
  if (acl::HasSpaces(name))
    return ctx.Error("ERR Usernames can't contain spaces or null characters");
  std::vector<std::string> rules(ctx.args.begin() + 3, ctx.args.end());
  acl::Acl& acl = ctx.server.acl();
  const bool existed = acl.Find(name) != nullptr;
  std::string err = acl.SetUser(name, rules);
  if (!err.empty()) return ctx.Error("ERR " + err);
  if (existed) ctx.server.KillPubsubClientsIfNeeded(acl.Find(name), &ctx.client);
  ctx.reply().Ok();
}

void CmdAclGetuser(CommandContext& ctx) {
  acl::Acl& acl = ctx.server.acl();
  std::shared_ptr<acl::User> u = acl.Find(ctx.args[2]);
  if (!u) return ctx.reply().Null();
  resp::ReplyBuilder& r = ctx.reply();
  auto selector = [&](const acl::Selector& s) {
    r.Bulk("commands");
    r.Bulk(acl.DescribeCommandRules(s));
    r.Bulk("keys");
    r.Bulk(acl::Acl::DescribeKeys(s));
    r.Bulk("channels");
    r.Bulk(acl::Acl::DescribeChannels(s));
  };
  r.MapHeader(6);
  r.Bulk("flags");
  static constexpr std::pair<uint32_t, std::string_view> kFlags[] = {
      {acl::kUserEnabled, "on"},
      {acl::kUserDisabled, "off"},
      {acl::kUserNoPass, "nopass"},
      {acl::kUserSkipSanitizePayload, "skip-sanitize-payload"},
      {acl::kUserSanitizePayload, "sanitize-payload"}};
  int nflags = 0;
  for (auto [bit, name] : kFlags) nflags += (u->flags & bit) ? 1 : 0;
  r.SetHeader(nflags);
  for (auto [bit, name] : kFlags) {
    if (u->flags & bit) r.Bulk(name);
  }
  r.Bulk("passwords");
  r.ArrayHeader(static_cast<int64_t>(u->passwords.size()));
  for (const std::string& p : u->passwords) r.Bulk(p);
  selector(u->root());
  r.Bulk("selectors");
  r.ArrayHeader(static_cast<int64_t>(u->selectors.size() - 1));
  for (size_t i = 1; i < u->selectors.size(); ++i) {
    r.MapHeader(3);
    selector(u->selectors[i]);
  }
}

void CmdAclDeluser(CommandContext& ctx) {
  for (size_t j = 2; j < ctx.args.size(); ++j) {
    if (ctx.args[j] == "default") return ctx.Error("ERR The 'default' user cannot be removed");
  }
  acl::Acl& acl = ctx.server.acl();
  std::vector<std::shared_ptr<acl::User>> removed;
  for (size_t j = 2; j < ctx.args.size(); ++j) {
    std::shared_ptr<acl::User> u = acl.Find(ctx.args[j]);
    if (u && acl.Delete(ctx.args[j])) removed.push_back(std::move(u));
  }
  ctx.server.KillClientsOfUsers(removed, &ctx.client);
  ctx.reply().Integer(static_cast<int64_t>(removed.size()));
}

void CmdAclList(CommandContext& ctx) {
  acl::Acl& acl = ctx.server.acl();
  ctx.reply().ArrayHeader(static_cast<int64_t>(acl.users().size()));
  for (const auto& [name, u] : acl.users()) {
    ctx.reply().Bulk("user " + name + " " + acl.Describe(*u));
  }
}

void CmdAclUsers(CommandContext& ctx) {
  acl::Acl& acl = ctx.server.acl();
  ctx.reply().ArrayHeader(static_cast<int64_t>(acl.users().size()));
  for (const auto& [name, u] : acl.users()) ctx.reply().Bulk(name);
}

void CmdAclWhoami(CommandContext& ctx) {
  ctx.reply().Bulk(ctx.client.user ? std::string_view(ctx.client.user->name)
                                   : std::string_view("default"));
}

void CmdAclCat(CommandContext& ctx) {
  if (ctx.args.size() > 3) return SubcommandSyntaxError(ctx);
  if (ctx.args.size() == 2) {
    ctx.reply().ArrayHeader(static_cast<int64_t>(std::size(acl::kCategoryNames)));
    for (std::string_view c : acl::kCategoryNames) ctx.reply().Bulk(c);
    return;
  }
  uint32_t cat = acl::CategoryBit(ctx.args[2]);
  if (cat == 0) return ctx.Error(fmt::format("ERR Unknown category '{}'", ctx.args[2]));
  std::vector<std::string_view> names;
  for (const acl::AclCommand& c : ctx.server.acl().commands()) {
    if (c.categories & cat) names.push_back(c.name);
  }
  ctx.reply().ArrayHeader(static_cast<int64_t>(names.size()));
  for (std::string_view n : names) ctx.reply().Bulk(n);
}

void CmdAclGenpass(CommandContext& ctx) {
  if (ctx.args.size() > 3) return SubcommandSyntaxError(ctx);
  int64_t bits = 256;
  if (ctx.args.size() == 3 && !ParseInt64(ctx.args[2], bits)) return ctx.Error(err::kNotInteger);
  if (bits <= 0 || bits > 4096) {
    return ctx.Error(
        "ERR ACL GENPASS argument must be the number of bits for the output password, a "
        "positive number up to 4096");
  }
  const size_t chars = static_cast<size_t>((bits + 3) / 4);
  std::string raw((chars + 1) / 2, '\0');
  if (std::FILE* fp = std::fopen("/dev/urandom", "rb")) {
    size_t got = std::fread(raw.data(), 1, raw.size(), fp);
    std::fclose(fp);
    (void)got;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(chars);
  for (unsigned char b : raw) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  out.resize(chars);
  ctx.reply().Bulk(out);
}

constexpr std::string_view kNoAclFile =
    "ERR This Redis instance is not configured to use an ACL file. You may want to specify users "
    "via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis "
    "configuration file set) in order to store users in the Redis configuration.";

void CmdAclLoad(CommandContext& ctx) {
  const std::string& path = ctx.server.config().aclfile;
  if (path.empty()) return ctx.Error(kNoAclFile);
  std::vector<std::shared_ptr<acl::User>> replaced;
  std::string err = ctx.server.acl().LoadFile(path, &replaced);
  if (!err.empty()) return ctx.Error("ERR " + err);
  // Clients of the users that were replaced or removed are disconnected, as in Redis 7.0.
  ctx.server.KillClientsOfUsers(replaced, &ctx.client);
  ctx.reply().Ok();
}

void CmdAclSave(CommandContext& ctx) {
  const std::string& path = ctx.server.config().aclfile;
  if (path.empty()) return ctx.Error(kNoAclFile);
  std::string err = ctx.server.acl().SaveFile(path);
  if (!err.empty()) {
    config::LogMessage(config::Level::kWarning, err);
    return ctx.Error(
        "ERR There was an error trying to save the ACLs. Please check the server logs for more "
        "information");
  }
  ctx.reply().Ok();
}

void CmdAclLog(CommandContext& ctx) {
  if (ctx.args.size() > 3) return SubcommandSyntaxError(ctx);
  auto& log = ctx.server.acl().log();
  int64_t count = 10;
  if (ctx.args.size() == 3) {
    if (EqualsIgnoreCase(ctx.args[2], "reset")) {
      log.clear();
      return ctx.reply().Ok();
    }
    if (!ParseInt64(ctx.args[2], count)) return ctx.Error(err::kNotInteger);
    if (count < 0) count = 0;
  }
  const size_t n = std::min(log.size(), static_cast<size_t>(count));
  resp::ReplyBuilder& r = ctx.reply();
  r.ArrayHeader(static_cast<int64_t>(n));
  for (size_t i = 0; i < n; ++i) {
    const acl::LogEntry& e = log[i];
    r.MapHeader(7);
    r.Bulk("count");
    r.Integer(static_cast<int64_t>(e.count));
    r.Bulk("reason");
    r.Bulk(e.reason);
    r.Bulk("context");
    r.Bulk(e.context);
    r.Bulk("object");
    r.Bulk(e.object);
    r.Bulk("username");
    r.Bulk(e.username);
    r.Bulk("age-seconds");
    r.Double(static_cast<double>(ctx.now_ms - e.ctime_ms) / 1000.0);
    r.Bulk("client-info");
    r.Bulk(e.client_info);
  }
}

void CmdAclDryrun(CommandContext& ctx) {
  acl::Acl& acl = ctx.server.acl();
  std::shared_ptr<acl::User> u = acl.Find(ctx.args[2]);
  if (!u) return ctx.Error(fmt::format("ERR User '{}' not found", ctx.args[2]));
  std::span<const std::string_view> argv = ctx.args.subspan(3);
  const Command* cmd = ctx.server.commands().Find(argv[0]);
  if (cmd && !cmd->subcommands.empty() && argv.size() >= 2) {
    cmd = cmd->FindSubcommand(ToLower(argv[1]));
  }
  if (cmd == nullptr) return ctx.Error(fmt::format("ERR Command '{}' not found", argv[0]));
  const int argc = static_cast<int>(argv.size());
  if ((cmd->arity > 0 && cmd->arity != argc) || argc < -cmd->arity) {
    return ctx.Error(fmt::format("ERR wrong number of arguments for '{}' command", cmd->name));
  }
  acl::CheckResult res = acl.Check(*u, *cmd, argv);
  switch (res.verdict) {
    case acl::Verdict::kOk:
      return ctx.reply().Ok();
    case acl::Verdict::kDeniedCmd:
      return ctx.reply().Bulk(
          fmt::format("This user has no permissions to run the '{}' command", cmd->name));
    case acl::Verdict::kDeniedKey:
      return ctx.reply().Bulk(fmt::format("This user has no permissions to access the '{}' key",
                                          argv[static_cast<size_t>(res.errpos)]));
    default:
      return ctx.reply().Bulk(fmt::format("This user has no permissions to access the '{}' channel",
                                          argv[static_cast<size_t>(res.errpos)]));
  }
}

void CmdAclHelp(CommandContext& ctx) {
  ReplyHelp(ctx, "ACL",
            {"CAT [<category>]",
             "    List all commands that belong to <category>, or all command categories",
             "    when no category is specified.",
             "DELUSER <username> [<username> ...]",
             "    Delete a list of users.",
             "DRYRUN <username> <command> [<arg> ...]",
             "    Returns whether the user can execute the given command without executing the "
             "command.",
             "GETUSER <username>",
             "    Get the user's details.",
             "GENPASS [<bits>]",
             "    Generate a secure 256-bit user password. The optional `bits` argument can",
             "    be used to specify a different size.",
             "LIST",
             "    Show users details in config file format.",
             "LOAD",
             "    Reload users from the ACL file.",
             "LOG [<count> | RESET]",
             "    Show the ACL log entries.",
             "SAVE",
             "    Save the current config to the ACL file.",
             "SETUSER <username> <attribute> [<attribute> ...]",
             "    Create or modify a user with the specified attributes.",
             "USERS",
             "    List all the registered usernames.",
             "WHOAMI",
             "    Return the current connection username."});
}

}  // namespace

void RegisterAclCommands(CommandTable& t) {
  constexpr uint32_t kBase = kCmdNoscript | kCmdLoading | kCmdStale | kCmdSentinel;
  constexpr uint32_t kAdm = kBase | kCmdAdmin;
  constexpr std::string_view kAdmCats = "@admin @slow @dangerous";
  Command* acl =
      t.Add({"acl", -2, kCmdSentinel, 0, 0, 0, nullptr, "@slow", "server",
             "A container for Access List Control commands", "6.0.0", "Depends on subcommand."});
  t.AddSubcommand(acl, {"cat", -2, kBase, 0, 0, 0, CmdAclCat, "@slow", "server",
                        "List the ACL categories or the commands inside a category", "6.0.0"});
  t.AddSubcommand(acl, {"deluser", -3, kAdm, 0, 0, 0, CmdAclDeluser, kAdmCats, "server",
                        "Remove the specified ACL users and the associated rules", "6.0.0"});
  t.AddSubcommand(acl, {"dryrun", -4, kAdm, 0, 0, 0, CmdAclDryrun, kAdmCats, "server",
                        "Returns whether the user can execute the given command without "
                        "executing the command.",
                        "7.0.0"});
  t.AddSubcommand(acl, {"genpass", -2, kBase, 0, 0, 0, CmdAclGenpass, "@slow", "server",
                        "Generate a pseudorandom secure password to use for ACL users", "6.0.0"});
  t.AddSubcommand(acl, {"getuser", 3, kAdm, 0, 0, 0, CmdAclGetuser, kAdmCats, "server",
                        "Get the rules for a specific ACL user", "6.0.0"});
  t.AddSubcommand(acl, {"list", 2, kAdm, 0, 0, 0, CmdAclList, kAdmCats, "server",
                        "List the current ACL rules in ACL config file format", "6.0.0"});
  t.AddSubcommand(acl, {"load", 2, kAdm, 0, 0, 0, CmdAclLoad, kAdmCats, "server",
                        "Reload the ACLs from the configured ACL file", "6.0.0"});
  t.AddSubcommand(acl, {"log", -2, kAdm, 0, 0, 0, CmdAclLog, kAdmCats, "server",
                        "List latest events denied because of ACLs in place", "6.0.0"});
  t.AddSubcommand(acl, {"save", 2, kAdm, 0, 0, 0, CmdAclSave, kAdmCats, "server",
                        "Save the current ACL rules in the configured ACL file", "6.0.0"});
  t.AddSubcommand(acl, {"setuser", -3, kAdm, 0, 0, 0, CmdAclSetuser, kAdmCats, "server",
                        "Modify or create the rules for a specific ACL user", "6.0.0"});
  t.AddSubcommand(acl, {"users", 2, kAdm, 0, 0, 0, CmdAclUsers, kAdmCats, "server",
                        "List the username of all the configured ACL rules", "6.0.0"});
  t.AddSubcommand(acl,
                  {"whoami", 2, kBase, 0, 0, 0, CmdAclWhoami, "@slow", "server",
                   "Return the name of the user associated to the current connection", "6.0.0"});
  t.AddSubcommand(acl,
                  {"help", 2, kCmdLoading | kCmdStale | kCmdSentinel, 0, 0, 0, CmdAclHelp, "@slow",
                   "server", "Show helpful text about the different subcommands", "6.0.0"});
}

}  // namespace tandem::server
