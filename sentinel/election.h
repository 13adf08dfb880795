// Leader election and replica selection, as pure functions over the state so that the rules can
// be unit tested without sockets (sentinel.c: sentinelVoteLeader, sentinelGetLeader,
// sentinelSelectSlave, compareSlavesForPromotion).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sentinel/state.h"

namespace tandem::sentinel {

// What a vote request did. The caller must persist the config before answering when
// new_epoch or voted is set, and emit +new-epoch / +vote-for-leader.
struct VoteResult {
  std::string leader;  // our vote for this master (may be empty: no vote yet)
  uint64_t leader_epoch = 0;
  bool new_epoch = false;  // current_epoch was raised to the request epoch
  bool voted = false;      // a new vote was cast in this call
};

// Votes once per epoch: for `req_runid` if our recorded leader_epoch < req_epoch and
// current_epoch <= req_epoch. A vote for someone else delays our own failover attempt
// (failover_start_time = now + desync_ms).
VoteResult VoteLeader(GlobalState& g, Instance& master, uint64_t req_epoch,
                      std::string_view req_runid, int64_t now, int desync_ms);

struct LeaderResult {
  std::string winner;  // empty: no leader for the epoch
  uint64_t votes = 0;  // votes of the most voted candidate (including ours)
  unsigned voters = 0;
  unsigned needed = 0;  // max(voters/2+1, quorum)
  VoteResult my_vote;
};

// Counts the votes of the known Sentinels for the current epoch, adds our own vote (for the most
// voted candidate, or ourselves when nobody has votes) and returns the winner when it has at
// least max(voters/2+1, quorum) votes; voters = known Sentinels + 1.
LeaderResult GetLeader(GlobalState& g, Instance& master, uint64_t epoch, int64_t now,
                       int desync_ms);

// Replica ordering for promotion: lower priority first, then higher replication offset, then
// lexicographically smaller runid (an unknown runid sorts last). Negative when a < b.
int CompareSlavesForPromotion(const Instance& a, const Instance& b);

// The best replica to promote, or null. When `why` is given it receives one line per replica
// saying why it was excluded or where it ranked.
Instance* SelectSlave(const GlobalState& g, const Instance& master, int64_t now,
                      std::vector<std::string>* why = nullptr);

// Beyond Redis: configurations SENTINEL CKQUORUM accepts but that will not fail over as hoped.
// `my_ip` is the address this Sentinel announces; `duplicate_myid_peers` lists addresses seen
// publishing hellos with our own myid (such peers are invisible to each other).
std::vector<std::string> QuorumWarnings(const GlobalState& g, const Instance& master,
                                        const std::string& my_ip,
                                        const std::vector<std::string>& duplicate_myid_peers);

}  // namespace tandem::sentinel
