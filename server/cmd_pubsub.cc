// Pub/Sub commands (pubsub.c): SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH,
// SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH, PUBSUB. Replies to (un)subscriptions are push frames in
// RESP3 and arrays in RESP2; the server's registry (Server::Subscribe ...) does the delivery.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "config/glob.h"
#include "server/arg_cursor.h"
#include "server/errors.h"
#include "server/server.h"

namespace tandem::server {

namespace {

using SubKind = Server::SubKind;

void ReplySubscription(CommandContext& ctx, std::string_view kind, std::string_view name,
                       bool null_name, size_t count) {
  resp::ReplyBuilder& r = ctx.reply();
  r.PushHeader(3);
  r.Bulk(kind);
  null_name ? r.Null() : r.Bulk(name);
  r.Integer(static_cast<int64_t>(count));
}

size_t CountFor(const Client& c, SubKind kind) {
  return kind == SubKind::kShard ? c.shard_channels.size() : c.subscription_count();
}

void SubscribeGeneric(CommandContext& ctx, SubKind kind, std::string_view reply_kind) {
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    ctx.server.Subscribe(ctx.client, kind, ctx.args[i]);
    ReplySubscription(ctx, reply_kind, ctx.args[i], false, CountFor(ctx.client, kind));
  }
}

void UnsubscribeGeneric(CommandContext& ctx, SubKind kind, std::string_view reply_kind) {
  std::vector<std::string> names;
  if (ctx.args.size() > 1) {
    names.assign(ctx.args.begin() + 1, ctx.args.end());
  } else {
    const std::set<std::string>& mine = kind == SubKind::kChannel   ? ctx.client.channels
                                        : kind == SubKind::kPattern ? ctx.client.patterns
                                                                    : ctx.client.shard_channels;
    names.assign(mine.begin(), mine.end());
    if (names.empty()) {
      // Nothing to unsubscribe from: one reply with a null name and the current count.
      ReplySubscription(ctx, reply_kind, {}, true, CountFor(ctx.client, kind));
      return;
    }
  }
  for (const std::string& n : names) {
    ctx.server.Unsubscribe(ctx.client, kind, n);
    ReplySubscription(ctx, reply_kind, n, false, CountFor(ctx.client, kind));
  }
}

void CmdSubscribe(CommandContext& ctx) { SubscribeGeneric(ctx, SubKind::kChannel, "subscribe"); }
void CmdUnsubscribe(CommandContext& ctx) {
  UnsubscribeGeneric(ctx, SubKind::kChannel, "unsubscribe");
}
void CmdPsubscribe(CommandContext& ctx) { SubscribeGeneric(ctx, SubKind::kPattern, "psubscribe"); }
void CmdPunsubscribe(CommandContext& ctx) {
  UnsubscribeGeneric(ctx, SubKind::kPattern, "punsubscribe");
}
void CmdSsubscribe(CommandContext& ctx) { SubscribeGeneric(ctx, SubKind::kShard, "ssubscribe"); }
void CmdSunsubscribe(CommandContext& ctx) {
  UnsubscribeGeneric(ctx, SubKind::kShard, "sunsubscribe");
}

// Replicas get every PUBLISH (forceCommandPropagation(c, PROPAGATE_REPL) without cluster).
void CmdPublish(CommandContext& ctx) {
  ctx.reply().Integer(ctx.server.Publish(ctx.args[1], ctx.args[2]));
  ctx.PropagateToReplicas();
}

void CmdSpublish(CommandContext& ctx) {
  ctx.reply().Integer(ctx.server.PublishShard(ctx.args[1], ctx.args[2]));
  ctx.PropagateToReplicas();
}

void ReplyChannelList(CommandContext& ctx, SubKind kind) {
  if (ctx.args.size() > 3) {
    return ctx.Error(
        fmt::format("ERR unknown subcommand or wrong number of arguments for '{}'. "
                    "Try PUBSUB HELP.",
                    ctx.args[1]));
  }
  std::string_view pattern = ctx.args.size() == 3 ? ctx.args[2] : std::string_view();
  std::vector<std::string_view> names;
  for (const auto& [name, ids] : ctx.server.subscriptions(kind)) {
    if (pattern.empty() || config::GlobMatch(pattern, name, false)) names.push_back(name);
  }
  ctx.reply().ArrayHeader(static_cast<int64_t>(names.size()));
  for (std::string_view n : names) ctx.reply().Bulk(n);
}

void ReplyNumsub(CommandContext& ctx, SubKind kind) {
  const auto& subs = ctx.server.subscriptions(kind);
  // A flat array in both protocols, as pubsubCommand replies.
  ctx.reply().ArrayHeader(static_cast<int64_t>(ctx.args.size() - 2) * 2);
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    auto it = subs.find(std::string(ctx.args[i]));
    ctx.reply().Bulk(ctx.args[i]);
    ctx.reply().Integer(it == subs.end() ? 0 : static_cast<int64_t>(it->second.size()));
  }
}

void CmdPubsubChannels(CommandContext& ctx) { ReplyChannelList(ctx, SubKind::kChannel); }
void CmdPubsubShardchannels(CommandContext& ctx) { ReplyChannelList(ctx, SubKind::kShard); }
void CmdPubsubNumsub(CommandContext& ctx) { ReplyNumsub(ctx, SubKind::kChannel); }
void CmdPubsubShardnumsub(CommandContext& ctx) { ReplyNumsub(ctx, SubKind::kShard); }
void CmdPubsubNumpat(CommandContext& ctx) {
  ctx.reply().Integer(static_cast<int64_t>(ctx.server.pattern_count()));
}

void CmdPubsubHelp(CommandContext& ctx) {
  ReplyHelp(ctx, "PUBSUB",
            {"CHANNELS [<pattern>]",
             "    Return the currently active channels matching a <pattern> (default: '*').",
             "NUMPAT", "    Return number of subscriptions to patterns.", "NUMSUB [<channel> ...]",
             "    Return the number of subscribers for the specified channels, excluding",
             "    pattern subscriptions(default: no channels).", "SHARDCHANNELS [<pattern>]",
             "    Return the currently active shard level channels matching a <pattern> "
             "(default: '*').",
             "SHARDNUMSUB [<shardchannel> ...]",
             "    Return the number of subscribers for the specified shard level channel(s)"});
}

}  // namespace

void RegisterPubsubCommands(CommandTable& t) {
  constexpr uint32_t kSub = kCmdPubsub | kCmdNoscript | kCmdLoading | kCmdStale;
  t.Add({"subscribe", -2, kSub | kCmdSentinel, 0, 0, 0, CmdSubscribe, "@pubsub @slow", "pubsub",
         "Listen for messages published to the given channels", "2.0.0", "O(N)"});
  t.Add({"unsubscribe", -1, kSub | kCmdSentinel, 0, 0, 0, CmdUnsubscribe, "@pubsub @slow", "pubsub",
         "Stop listening for messages posted to the given channels", "2.0.0", "O(N)"});
  t.Add({"psubscribe", -2, kSub | kCmdSentinel, 0, 0, 0, CmdPsubscribe, "@pubsub @slow", "pubsub",
         "Listen for messages published to channels matching the given patterns", "2.0.0", "O(N)"});
  t.Add({"punsubscribe", -1, kSub | kCmdSentinel, 0, 0, 0, CmdPunsubscribe, "@pubsub @slow",
         "pubsub", "Stop listening for messages posted to channels matching the given patterns",
         "2.0.0", "O(N+M)"});
  t.Add({"ssubscribe", -2, kSub, 1, -1, 1, CmdSsubscribe, "@pubsub @slow", "pubsub",
         "Listen for messages published to the given shard channels", "7.0.0", "O(N)"});
  t.Add({"sunsubscribe", -1, kSub, 1, -1, 1, CmdSunsubscribe, "@pubsub @slow", "pubsub",
         "Stop listening for messages posted to the given shard channels", "7.0.0", "O(N)"});
  t.Add({"publish", 3,
         kCmdPubsub | kCmdLoading | kCmdStale | kCmdFast | kCmdMayReplicate | kCmdSentinel, 0, 0, 0,
         CmdPublish, "@pubsub @fast", "pubsub", "Post a message to a channel", "2.0.0", "O(N+M)"});
  t.Add({"spublish", 3, kCmdPubsub | kCmdLoading | kCmdStale | kCmdFast | kCmdMayReplicate, 1, 1, 1,
         CmdSpublish, "@pubsub @fast", "pubsub", "Post a message to a shard channel", "7.0.0",
         "O(N)"});
  Command* pubsub = t.Add({"pubsub", -2, 0, 0, 0, 0, nullptr, "@slow", "pubsub",
                           "A container for Pub/Sub commands", "2.8.0", "Depends on subcommand."});
  constexpr uint32_t kInfo = kCmdPubsub | kCmdLoading | kCmdStale;
  t.AddSubcommand(pubsub, {"channels", -2, kInfo, 0, 0, 0, CmdPubsubChannels, "@pubsub @slow",
                           "pubsub", "List active channels", "2.8.0", "O(N)"});
  t.AddSubcommand(pubsub, {"numsub", -2, kInfo, 0, 0, 0, CmdPubsubNumsub, "@pubsub @slow", "pubsub",
                           "Get the count of subscribers for channels", "2.8.0", "O(N)"});
  t.AddSubcommand(pubsub, {"numpat", 2, kInfo, 0, 0, 0, CmdPubsubNumpat, "@pubsub @slow", "pubsub",
                           "Get the count of unique patterns pattern subscriptions", "2.8.0"});
  t.AddSubcommand(pubsub,
                  {"shardchannels", -2, kInfo, 0, 0, 0, CmdPubsubShardchannels, "@pubsub @slow",
                   "pubsub", "List active shard channels", "7.0.0", "O(N)"});
  t.AddSubcommand(
      pubsub, {"shardnumsub", -2, kInfo, 0, 0, 0, CmdPubsubShardnumsub, "@pubsub @slow", "pubsub",
               "Get the count of subscribers for shard channels", "7.0.0", "O(N)"});
  t.AddSubcommand(pubsub, {"help", 2, kCmdLoading | kCmdStale, 0, 0, 0, CmdPubsubHelp, "@slow",
                           "pubsub", "Show helpful text about the different subcommands", "6.2.0"});
}

}  // namespace tandem::server
