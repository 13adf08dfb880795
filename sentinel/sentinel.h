// tandem-sentinel's core: the loop owner, the links to masters, replicas and peer Sentinels,
// failure detection (SDOWN/ODOWN), the leader election, the failover state machine and the
// commands served on the Sentinel port. Behaviour follows Redis 7.0's src/sentinel.c.
//
// Layout of the implementation:
//   sentinel.cc  events / config flush / links / periodic commands / INFO and hello processing /
//                down detection / failover state machine / timer (TILT)
//   commands.cc  client connections, command table, SENTINEL subcommands, INFO, Pub/Sub
//
// Lifetime rules: instances are shared_ptr; reply callbacks hold weak_ptr and do nothing once the
// instance is gone or flagged `removed`. A link or instance dropped while one of its own callbacks
// may be on the stack is parked in a graveyard that the next timer tick empties.
#pragma once

#include <uv.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/log.h"
#include "resp/net/connection.h"
#include "resp/net/listener.h"
#include "resp/net/resp_client.h"
#include "resp/reply_builder.h"
#include "resp/request_parser.h"
#include "resp/value.h"
#include "sentinel/config_file.h"
#include "sentinel/election.h"
#include "sentinel/state.h"

namespace tandem::sentinel {

// A client connected to the Sentinel port.
struct Client {
  uint64_t id = 0;
  net::Connection* conn = nullptr;
  resp::RequestParser parser;
  int protocol = 2;
  std::string name;
  bool authenticated = false;
  std::set<std::string> channels;
  std::set<std::string> patterns;
  int64_t ctime = 0;
  int64_t last_interaction = 0;
  std::string last_cmd = "NULL";
  size_t subscriptions() const { return channels.size() + patterns.size(); }
};

class Sentinel : public net::ConnectionHandler {
 public:
  Sentinel(uv_loop_t* loop, std::string config_path, ServerOptions opts, GlobalState state);
  ~Sentinel() override;

  // Listens, arms the timer and signals, picks and persists an id if the config has none, logs
  // the id and emits +monitor for each master. The error is the listener's message.
  std::string Start();
  int Run();
  void Shutdown(std::string_view reason);

  void OnReadable(net::Connection& conn) override;
  void OnClosed(net::Connection& conn) override;

  GlobalState& state() { return g_; }

 private:
  using ReplyFn = std::function<void(Instance&, const resp::Value&)>;

  // ---- events and persistence (sentinel.cc) ----
  // Logs "<type> <msg>" at `level`, publishes it on channel `type` (unless debug) and queues the
  // notification script for warnings. With `ri`, msg starts with the instance description
  // ("master <name> <ip> <port>" or "<type> <name> <ip> <port> @ <master> <ip> <port>").
  // With describe == false the message is `rest` alone but `ri` still selects the master whose
  // notification script runs (Redis's events formatted without %@, e.g. +switch-master).
  void Event(config::Level level, std::string_view type, const Instance* ri,
             std::string_view rest = {}, bool describe = true);
  std::string Describe(const Instance& ri) const;
  bool FlushConfig();  // sentinelFlushConfig; logs the outcome
  void Publish(std::string_view channel, std::string_view payload);

  // ---- links ----
  bool Send(Instance& ri, net::RespClient* c, const std::vector<std::string>& args, ReplyFn cb);
  void SendAuthIfNeeded(Instance& ri, net::RespClient* c);
  void ReconnectInstance(Instance& ri);
  // A link that was up has dropped. Redis frees it and its timer opens a new one at the next
  // tick, at most once per ping period ("links are retried at most once per ping period");
  // RespClient alone would first wait its back-off of one ping period. That second mattered:
  // the reconfiguration transaction's CLIENT KILL TYPE pubsub drops the pub/sub link of the
  // replica being promoted or reconfigured, which then counted as disconnected long enough for
  // a spurious +sdown with a short down-after, and FailoverDetectEnd skipped the SDOWN replica
  // (+failover-end before its +slave-reconf-done). So: if the last connect attempt is at least
  // one ping period old, close the link and let the next timer tick reconnect it.
  void ReconnectPromptly(Instance& ri, bool pubsub);
  void CloseCc(Instance& ri);
  void ClosePc(Instance& ri);
  void DropInstanceConnections(Instance& master);
  int DropSentinelConnections();
  void RemoveInstance(std::shared_ptr<Instance> ri);  // parks it in the graveyard

  // ---- periodic commands and replies ----
  void SendPeriodicCommands(Instance& ri);
  bool SendPing(Instance& ri);
  bool SendHello(Instance& ri);
  void OnPingReply(Instance& ri, const resp::Value& r);
  void RefreshInstanceInfo(Instance& ri, const std::string& info);
  void OnPubSubMessage(Instance& ri, const resp::Value& v);
  // Processes a hello payload (from Pub/Sub or our PUBLISH command). `source` names where it
  // came from for the log.
  void ProcessHello(std::string_view payload, std::string_view source);
  void ForceHelloUpdate(Instance& master);
  bool MasterLooksSane(const Instance& master) const;
  bool NoDownFor(const Instance& ri, int64_t ms) const;
  const Addr& CurrentMasterAddress(const Instance& master) const;

  // ---- down detection ----
  void CheckSubjectivelyDown(Instance& ri);
  void CheckObjectivelyDown(Instance& master);
  void AskMasterStateToOtherSentinels(Instance& master, bool forced);

  // ---- failover ----
  VoteResult Vote(Instance& master, uint64_t req_epoch, std::string_view req_runid);
  bool StartFailoverIfNeeded(Instance& master);
  void StartFailover(Instance& master);
  void FailoverStateMachine(Instance& master);
  void FailoverWaitStart(Instance& master);
  void FailoverSelectSlave(Instance& master);
  void FailoverSendSlaveOfNoOne(Instance& master);
  void FailoverWaitPromotion(Instance& master);
  void FailoverReconfNextSlave(Instance& master);
  void FailoverDetectEnd(Instance& master);
  void FailoverSwitchToPromotedSlave(Instance& master);
  void AbortFailover(Instance& master);
  bool SendSlaveOf(Instance& ri, const Addr* addr);
  void SetFailoverState(Instance& master, FailoverState s);
  void SimFailureCrash();
  void CallClientReconfScript(Instance& master, bool leader, const Addr& from, const Addr& to);

  // ---- reset ----
  static constexpr int kResetNoSentinels = 1;
  static constexpr int kResetGenerateEvent = 2;
  void ResetMaster(Instance& master, int flags);
  int ResetMastersByPattern(std::string_view pattern, int flags);
  bool ResetMasterAndChangeAddress(Instance& master, const std::string& host, int port);

  // ---- timer ----
  void Timer();
  void CheckTiltCondition();
  void HandleInstance(Instance& ri);
  void HandleTable(std::vector<std::shared_ptr<Instance>> table);
  void ScheduleTimer();
  void RunScripts();
  void ScheduleScript(const std::string& path, std::vector<std::string> args);

  // ---- clients and commands (commands.cc) ----
  void OnAccept(net::Connection* conn);
  void ProcessInput(Client& c);
  void Dispatch(Client& c, const std::vector<std::string>& argv, resp::ReplyBuilder& rb);
  void CmdSentinel(Client& c, const std::vector<std::string>& argv, resp::ReplyBuilder& rb);
  void CmdSentinelSet(Client& c, const std::vector<std::string>& argv, resp::ReplyBuilder& rb);
  void CmdInfo(Client& c, const std::vector<std::string>& argv, resp::ReplyBuilder& rb);
  void CmdClient(Client& c, const std::vector<std::string>& argv, resp::ReplyBuilder& rb);
  void CmdHello(Client& c, const std::vector<std::string>& argv, resp::ReplyBuilder& rb);
  void CmdSubscribe(Client& c, const std::vector<std::string>& argv, resp::ReplyBuilder& rb,
                    bool pattern, bool unsubscribe);
  void ReplyInstance(resp::ReplyBuilder& rb, const Instance& ri);
  void ReplyInstances(resp::ReplyBuilder& rb, const std::vector<std::shared_ptr<Instance>>& t);
  std::string ClientInfoLine(const Client& c) const;
  void BeforeSleep();

  uv_loop_t* loop_;
  std::string config_path_;
  ServerOptions opts_;
  GlobalState g_;
  std::unique_ptr<net::Listener> listener_;
  std::map<uint64_t, std::unique_ptr<Client>> clients_;
  uint64_t next_client_id_ = 0;
  uv_timer_t timer_;
  uv_prepare_t prepare_;
  uv_signal_t sigterm_;
  uv_signal_t sigint_;
  bool shutting_down_ = false;
  int exit_code_ = 0;
  int64_t start_time_ = 0;
  // Dropped links and instances, freed at the next timer tick (see the header comment).
  std::vector<std::unique_ptr<net::RespClient>> dead_links_;
  std::vector<std::shared_ptr<Instance>> dead_instances_;
  // Scripts (notification-script / client-reconfig-script).
  struct ScriptJob {
    std::vector<std::string> argv;
    pid_t pid = 0;
    int64_t start_time = 0;  // running: when it started; waiting: do not run before this
    int retry_num = 0;
  };
  std::deque<ScriptJob> scripts_;
  int running_scripts_ = 0;
  // Rate limit for the log lines about rejected hellos: reason -> last time logged.
  std::map<std::string, int64_t> hello_log_time_;
  // Addresses that published hellos carrying our own myid (a copied sentinel.conf).
  std::set<std::string> duplicate_myid_peers_;
  uint64_t total_connections_ = 0;
  uint64_t total_commands_ = 0;
};

}  // namespace tandem::sentinel
