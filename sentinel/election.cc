// Votes, leader counting and replica selection.
#include "sentinel/election.h"

#include <fmt/format.h>
#include <strings.h>

#include <algorithm>
#include <map>

namespace tandem::sentinel {

VoteResult VoteLeader(GlobalState& g, Instance& master, uint64_t req_epoch,
                      std::string_view req_runid, int64_t now, int desync_ms) {
  VoteResult r;
  if (req_epoch > g.current_epoch) {
    g.current_epoch = req_epoch;
    r.new_epoch = true;
  }
  if (master.leader_epoch < req_epoch && g.current_epoch <= req_epoch) {
    master.leader = std::string(req_runid);
    master.leader_epoch = g.current_epoch;
    r.voted = true;
    // Voting for another Sentinel: do not start our own failover right away.
    if (strcasecmp(master.leader.c_str(), g.myid.c_str()) != 0) {
      master.failover_start_time = now + desync_ms;
    }
  }
  r.leader = master.leader;
  r.leader_epoch = master.leader_epoch;
  return r;
}

LeaderResult GetLeader(GlobalState& g, Instance& master, uint64_t epoch, int64_t now,
                       int desync_ms) {
  LeaderResult res;
  std::map<std::string, uint64_t> counters;
  std::vector<std::string> order;  // first-seen order, for a deterministic tie-break
  res.voters = static_cast<unsigned>(master.sentinels.size()) + 1;
  for (const auto& ri : master.sentinels) {
    if (!ri->leader.empty() && ri->leader_epoch == g.current_epoch) {
      if (counters[ri->leader]++ == 0) order.push_back(ri->leader);
    }
  }
  std::string winner;
  uint64_t max_votes = 0;
  for (const auto& cand : order) {
    if (counters[cand] > max_votes) {
      max_votes = counters[cand];
      winner = cand;
    }
  }
  res.my_vote = VoteLeader(g, master, epoch, winner.empty() ? g.myid : winner, now, desync_ms);
  if (!res.my_vote.leader.empty() && res.my_vote.leader_epoch == epoch) {
    uint64_t votes = ++counters[res.my_vote.leader];
    if (votes > max_votes) {
      max_votes = votes;
      winner = res.my_vote.leader;
    }
  }
  res.needed = std::max(res.voters / 2 + 1, master.quorum);
  res.votes = max_votes;
  if (!winner.empty() && max_votes >= res.needed) res.winner = winner;
  return res;
}

int CompareSlavesForPromotion(const Instance& a, const Instance& b) {
  if (a.slave_priority != b.slave_priority) return a.slave_priority - b.slave_priority;
  if (a.slave_repl_offset > b.slave_repl_offset) return -1;
  if (a.slave_repl_offset < b.slave_repl_offset) return 1;
  if (a.runid.empty() && b.runid.empty()) return 0;
  if (a.runid.empty()) return 1;
  if (b.runid.empty()) return -1;
  return strcasecmp(a.runid.c_str(), b.runid.c_str());
}

Instance* SelectSlave(const GlobalState& g, const Instance& master, int64_t now,
                      std::vector<std::string>* why) {
  const Timing& t = g.timing;
  int64_t max_master_down_time = 0;
  if (master.flags & kSDown) max_master_down_time += now - master.s_down_since_time;
  max_master_down_time += master.down_after_period * 10;
  std::vector<Instance*> ok;
  auto exclude = [&](const Instance& s, const std::string& reason) {
    if (why) why->push_back(fmt::format("replica {} excluded: {}", s.name, reason));
  };
  for (const auto& sp : master.slaves) {
    const Instance& s = *sp;
    if (s.flags & (kSDown | kODown)) {
      exclude(s, "it is down (s_down/o_down)");
      continue;
    }
    if (s.disconnected()) {
      exclude(s, "its link is disconnected");
      continue;
    }
    if (now - s.link.last_avail_time > t.ping_period * 5) {
      exclude(s, fmt::format("no valid PING reply for {} ms", now - s.link.last_avail_time));
      continue;
    }
    if (s.slave_priority == 0) {
      exclude(s, "replica-priority is 0");
      continue;
    }
    int64_t info_validity = (master.flags & kSDown) ? t.ping_period * 5 : t.info_period * 3;
    if (now - s.info_refresh > info_validity) {
      exclude(s,
              fmt::format("INFO is {} ms old (limit {} ms)", now - s.info_refresh, info_validity));
      continue;
    }
    if (s.master_link_down_time > max_master_down_time) {
      exclude(s, fmt::format("master link down for {} ms (limit {} ms)", s.master_link_down_time,
                             max_master_down_time));
      continue;
    }
    ok.push_back(const_cast<Instance*>(&s));
  }
  if (ok.empty()) return nullptr;
  std::stable_sort(ok.begin(), ok.end(), [](const Instance* a, const Instance* b) {
    return CompareSlavesForPromotion(*a, *b) < 0;
  });
  if (why) {
    for (size_t i = 0; i < ok.size(); ++i) {
      why->push_back(fmt::format("replica {} candidate #{}: priority {}, offset {}, runid {}",
                                 ok[i]->name, i + 1, ok[i]->slave_priority,
                                 ok[i]->slave_repl_offset,
                                 ok[i]->runid.empty() ? "?" : ok[i]->runid));
    }
  }
  return ok.front();
}

std::vector<std::string> QuorumWarnings(const GlobalState& g, const Instance& master,
                                        const std::string& my_ip,
                                        const std::vector<std::string>& duplicate_myid_peers) {
  std::vector<std::string> warnings;
  auto loopback = [](const std::string& ip) {
    return ip.starts_with("127.") || ip == "::1" || ip == "localhost";
  };
  bool peer_elsewhere = false;
  for (const auto& s : master.sentinels) peer_elsewhere |= !loopback(s->addr.ip);
  if (!my_ip.empty() && loopback(my_ip) && peer_elsewhere) {
    warnings.push_back(
        fmt::format("this Sentinel announces the loopback address {} but peers are on other hosts "
                    "(set sentinel announce-ip)",
                    my_ip));
  }
  const unsigned voters = static_cast<unsigned>(master.sentinels.size()) + 1;
  if (master.quorum > voters) {
    warnings.push_back(
        fmt::format("quorum {} is greater than the {} known Sentinels", master.quorum, voters));
  }
  for (const auto& peer : duplicate_myid_peers) {
    warnings.push_back(
        fmt::format("the Sentinel at {} uses this Sentinel's myid {}: the two ignore each other",
                    peer, g.myid));
  }
  return warnings;
}

}  // namespace tandem::sentinel
