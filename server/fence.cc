#include "server/fence.h"

#include <fmt/format.h>

#include <map>

#include "config/log.h"
#include "server/server.h"

namespace tandem::server {

using config::Level;
using config::LogMessage;

Fence::~Fence() { Stop(); }

void Fence::Start() {
  const ServerConfig& cfg = server_.config();
  if (cfg.fence_sentinels.empty() || server_.is_replica()) return;
  active_ = true;
  LogMessage(Level::kNotice,
             fmt::format("Fenced start: writes are refused until the Sentinels of '{}' confirm "
                         "the master",
                         cfg.fence_master_name));
  for (const auto& [host, port] : cfg.fence_sentinels) {
    Peer p;
    net::RespClient::Options o;
    o.host = host;
    o.port = port;
    o.connect_timeout_ms = 1000;
    o.min_backoff_ms = 200;
    o.max_backoff_ms = 1000;
    p.client = std::make_unique<net::RespClient>(server_.loop(), o);
    peers_.push_back(std::move(p));
  }
  for (size_t i = 0; i < peers_.size(); ++i) {
    peers_[i].client->set_on_connect([this, i] { Ask(i); });
    peers_[i].client->Start();
  }
  timer_ = new uv_timer_t;
  uv_timer_init(server_.loop(), timer_);
  timer_->data = this;
  uv_timer_start(
      timer_, [](uv_timer_t* t) { static_cast<Fence*>(t->data)->Tick(); }, 1000, 1000);
}

void Fence::Stop() {
  for (Peer& p : peers_) {
    if (p.client) p.client->Stop();
  }
  peers_.clear();
  if (timer_ != nullptr) {
    uv_timer_stop(timer_);
    uv_close(reinterpret_cast<uv_handle_t*>(timer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    timer_ = nullptr;
  }
}

void Fence::Ask(size_t i) {
  if (!active_ || i >= peers_.size() || peers_[i].asking || peers_[i].answered) return;
  Peer& p = peers_[i];
  const std::string name = server_.config().fence_master_name;
  p.asking =
      p.client->Send({"SENTINEL", "get-master-addr-by-name", name},
                     [this, i](const resp::Value* reply, std::string_view) {
                       if (!active_ || i >= peers_.size()) return;
                       Peer& q = peers_[i];
                       q.asking = false;
                       if (reply == nullptr) return;  // link dropped: asked again later
                       q.answered = true;
                       if (reply->type == resp::Type::kArray && reply->elements.size() == 2) {
                         q.answer = std::make_pair(reply->elements[0].str,
                                                   std::atoi(reply->elements[1].str.c_str()));
                       }
                       if (first_answer_ms_ == 0) first_answer_ms_ = storage::SystemClockMs();
                       Decide(false);
                     });
}

void Fence::Tick() {
  if (!active_) return;
  for (size_t i = 0; i < peers_.size(); ++i) {
    if (peers_[i].client->connected()) Ask(i);
  }
  if (first_answer_ms_ > 0 && storage::SystemClockMs() - first_answer_ms_ >= 2000) Decide(true);
}

bool Fence::IsMe(const std::string& host, int port) const {
  const ServerConfig& cfg = server_.config();
  if (port != cfg.port) return false;
  if (!cfg.replica_announce_ip.empty() && host == cfg.replica_announce_ip) return true;
  for (const std::string& b : cfg.bind) {
    std::string a = b.starts_with("-") ? b.substr(1) : b;
    if (a == host) return true;
  }
  return false;
}

void Fence::Decide(bool final) {
  size_t answered = 0;
  std::map<std::pair<std::string, int>, int> votes;
  for (const Peer& p : peers_) {
    if (!p.answered) continue;
    ++answered;
    if (p.answer) ++votes[*p.answer];
  }
  const size_t majority = peers_.size() / 2 + 1;
  if (answered < majority && !final) return;
  if (votes.empty()) {
    if (final) {
      LogMessage(Level::kWarning, fmt::format("Fenced start: no Sentinel knows master '{}' yet; "
                                              "still refusing writes",
                                              server_.config().fence_master_name));
    }
    return;
  }
  std::pair<std::string, int> best;
  int best_votes = -1;
  for (const auto& [addr, n] : votes) {
    if (n > best_votes) {
      best = addr;
      best_votes = n;
    } else if (n == best_votes && !IsMe(addr.first, addr.second)) {
      best = addr;  // a tie goes to another node
    }
  }
  active_ = false;
  if (IsMe(best.first, best.second)) {
    LogMessage(Level::kNotice,
               fmt::format("Fenced start: {} of {} Sentinels name this node as master of '{}'; "
                           "accepting writes",
                           best_votes, peers_.size(), server_.config().fence_master_name));
  } else {
    LogMessage(Level::kWarning,
               fmt::format("Fenced start: {} of {} Sentinels name {}:{} as master of '{}'; "
                           "starting as its replica",
                           best_votes, peers_.size(), best.first, best.second,
                           server_.config().fence_master_name));
    server_.config().replicaof_host = best.first;
    server_.config().replicaof_port = best.second;
    server_.replication().SetMaster(best.first, best.second);
  }
  // The clients are stopped from the loop, not from inside their own reply callback.
  auto* idle = new uv_idle_t;
  uv_idle_init(server_.loop(), idle);
  idle->data = this;
  uv_idle_start(idle, [](uv_idle_t* h) {
    static_cast<Fence*>(h->data)->Stop();
    uv_idle_stop(h);
    uv_close(reinterpret_cast<uv_handle_t*>(h),
             [](uv_handle_t* x) { delete reinterpret_cast<uv_idle_t*>(x); });
  });
}

}  // namespace tandem::server
