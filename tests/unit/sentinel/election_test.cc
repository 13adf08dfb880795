#include "sentinel/election.h"

#include <doctest/doctest.h>

using namespace tandem::sentinel;

namespace {

const std::string kMe(40, 'm');
const std::string kA(40, 'a');
const std::string kB(40, 'b');

struct World {
  GlobalState g;
  Instance* master = nullptr;
  World(int peers, unsigned quorum) {
    g.myid = kMe;
    auto m = CreateInstance(g, "m", kMaster, "127.0.0.11", 6389, quorum, nullptr, nullptr);
    master = m.get();
    for (int i = 0; i < peers; ++i) {
      auto s = CreateInstance(g, std::string(40, static_cast<char>('a' + i)), kSentinel,
                              "127.0.0.1" + std::to_string(2 + i), 26389, quorum, master, nullptr);
      s->runid = s->name;
    }
  }
  Instance& peer(int i) { return *master->sentinels[static_cast<size_t>(i)]; }
};

std::shared_ptr<Instance> Replica(GlobalState& g, Instance& m, const std::string& ip, int prio,
                                  uint64_t offset, const std::string& runid, int64_t now) {
  auto s = CreateInstance(g, "", kSlave, ip, 6389, m.quorum, &m, nullptr);
  s->slave_priority = prio;
  s->slave_repl_offset = offset;
  s->runid = runid;
  s->link.fake_connected = true;
  s->link.last_avail_time = now;
  s->info_refresh = now;
  return s;
}

}  // namespace

TEST_CASE("vote: one vote per epoch, for the first requester") {
  World w(2, 2);
  auto r1 = VoteLeader(w.g, *w.master, 1, kA, 1000, 0);
  CHECK(r1.new_epoch);
  CHECK(r1.voted);
  CHECK(r1.leader == kA);
  CHECK(r1.leader_epoch == 1);
  CHECK(w.g.current_epoch == 1);
  // Same epoch, another candidate: the old vote is returned.
  auto r2 = VoteLeader(w.g, *w.master, 1, kB, 1000, 0);
  CHECK_FALSE(r2.voted);
  CHECK(r2.leader == kA);
  // A newer epoch gets a new vote.
  auto r3 = VoteLeader(w.g, *w.master, 2, kB, 1000, 0);
  CHECK(r3.voted);
  CHECK(r3.leader == kB);
  CHECK(r3.leader_epoch == 2);
}

TEST_CASE("vote: an older epoch than ours gets no vote") {
  World w(2, 2);
  w.g.current_epoch = 5;
  auto r = VoteLeader(w.g, *w.master, 4, kA, 1000, 0);
  CHECK_FALSE(r.voted);
  CHECK_FALSE(r.new_epoch);
  CHECK(r.leader.empty());
  CHECK(w.g.current_epoch == 5);
}

TEST_CASE("vote: voting for another Sentinel delays our own failover") {
  World w(2, 2);
  VoteLeader(w.g, *w.master, 1, kA, 5000, 300);
  CHECK(w.master->failover_start_time == 5300);
  World w2(2, 2);
  VoteLeader(w2.g, *w2.master, 1, kMe, 5000, 300);
  CHECK(w2.master->failover_start_time == 0);
}

TEST_CASE("leader: majority of voters and quorum are both needed") {
  // 3 Sentinels (2 peers + me), quorum 2: need max(3/2+1, 2) = 2 votes.
  World w(2, 2);
  w.g.current_epoch = 1;
  w.peer(0).leader = kMe;
  w.peer(0).leader_epoch = 1;
  auto r = GetLeader(w.g, *w.master, 1, 0, 0);
  CHECK(r.winner == kMe);
  CHECK(r.votes == 2);
  CHECK(r.needed == 2);
  CHECK(r.voters == 3);
}

TEST_CASE("leader: our own vote alone is not enough with three Sentinels") {
  World w(2, 2);
  w.g.current_epoch = 1;
  auto r = GetLeader(w.g, *w.master, 1, 0, 0);
  CHECK(r.winner.empty());
  CHECK(r.votes == 1);
}

TEST_CASE("leader: quorum above the majority raises the bar") {
  World w(2, 3);  // 3 voters, quorum 3
  w.g.current_epoch = 1;
  w.peer(0).leader = kMe;
  w.peer(0).leader_epoch = 1;
  auto r = GetLeader(w.g, *w.master, 1, 0, 0);
  CHECK(r.needed == 3);
  CHECK(r.winner.empty());
  w.peer(1).leader = kMe;
  w.peer(1).leader_epoch = 1;
  w.master->leader.clear();
  w.master->leader_epoch = 0;
  CHECK(GetLeader(w.g, *w.master, 1, 0, 0).winner == kMe);
}

TEST_CASE("leader: votes from older epochs are not counted; we vote with the majority") {
  World w(4, 2);  // 5 voters, need 3
  w.g.current_epoch = 2;
  w.peer(0).leader = kA;
  w.peer(0).leader_epoch = 2;
  w.peer(1).leader = kA;
  w.peer(1).leader_epoch = 2;
  w.peer(2).leader = kB;
  w.peer(2).leader_epoch = 1;  // stale
  auto r = GetLeader(w.g, *w.master, 2, 0, 0);
  CHECK(r.my_vote.leader == kA);  // we join the most voted candidate
  CHECK(r.winner == kA);
  CHECK(r.votes == 3);
}

TEST_CASE("select: priority, then offset, then runid") {
  World w(0, 1);
  const int64_t now = 100000;
  Replica(w.g, *w.master, "127.0.0.12", 100, 500, kB, now);
  Replica(w.g, *w.master, "127.0.0.13", 100, 900, kB, now);
  Replica(w.g, *w.master, "127.0.0.14", 100, 900, kA, now);
  Replica(w.g, *w.master, "127.0.0.15", 50, 1, kB, now);
  Instance* best = SelectSlave(w.g, *w.master, now);
  REQUIRE(best);
  CHECK(best->addr.ip == "127.0.0.15");  // lowest priority wins over offset
  best->slave_priority = 100;
  best = SelectSlave(w.g, *w.master, now);
  CHECK(best->addr.ip == "127.0.0.14");  // highest offset, then the smaller runid
}

TEST_CASE("select: unusable replicas are excluded, with reasons") {
  World w(0, 1);
  const int64_t now = 100000;
  w.master->flags |= kSDown;
  w.master->s_down_since_time = now - 1000;
  w.master->down_after_period = 1000;
  auto down = Replica(w.g, *w.master, "127.0.0.12", 100, 9, kA, now);
  down->flags |= kSDown;
  auto prio0 = Replica(w.g, *w.master, "127.0.0.13", 0, 9, kA, now);
  auto stale = Replica(w.g, *w.master, "127.0.0.14", 100, 9, kA, now);
  stale->info_refresh = now - 6000;  // > 5 ping periods while the master is SDOWN
  auto silent = Replica(w.g, *w.master, "127.0.0.15", 100, 9, kA, now);
  silent->link.last_avail_time = now - 6000;
  auto lagging = Replica(w.g, *w.master, "127.0.0.16", 100, 9, kA, now);
  lagging->master_link_down_time = 12000;  // > 1000 ms down + 10 * down-after
  auto gone = Replica(w.g, *w.master, "127.0.0.17", 100, 9, kA, now);
  gone->link.fake_connected = false;
  std::vector<std::string> why;
  CHECK(SelectSlave(w.g, *w.master, now, &why) == nullptr);
  CHECK(why.size() == 6);
  auto ok = Replica(w.g, *w.master, "127.0.0.18", 100, 1, kB, now);
  CHECK(SelectSlave(w.g, *w.master, now) == ok.get());
}

TEST_CASE("select: comparison treats an unknown runid as the largest") {
  GlobalState g;
  Instance a(kSlave, "a", {}, 0), b(kSlave, "b", {}, 0);
  a.runid = kA;
  CHECK(CompareSlavesForPromotion(a, b) < 0);
  CHECK(CompareSlavesForPromotion(b, a) > 0);
}

TEST_CASE("ckquorum warnings: loopback announce with remote peers, quorum too high, same myid") {
  World w(1, 3);  // 2 voters, quorum 3
  w.peer(0).addr.ip = "10.0.2.71";
  auto warn = QuorumWarnings(w.g, *w.master, "127.0.0.1", {"127.0.0.12:26389"});
  REQUIRE(warn.size() == 3);
  CHECK(warn[0].find("loopback address 127.0.0.1") != std::string::npos);
  CHECK(warn[1] == "quorum 3 is greater than the 2 known Sentinels");
  CHECK(warn[2].find("127.0.0.12:26389 uses this Sentinel's myid") != std::string::npos);
  World ok(2, 2);
  CHECK(QuorumWarnings(ok.g, *ok.master, "127.0.0.11", {}).empty());
}
