// `tandem-deploy status`: asks every server (INFO replication) and every Sentinel (master address,
// epoch, CKQUORUM) over plain RESP and prints one table. The cluster is healthy when every
// process answers, exactly one server is master, every replica's link to it is up, and every
// Sentinel names that master and reaches quorum.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "topology.h"

namespace tandem::deploy {

struct ServerView {
  std::string error;  // non-empty: not reachable / not answering
  std::string role;   // master | slave
  std::string master_host;
  int master_port = 0;
  std::string link;  // master_link_status for replicas
  int64_t offset = -1;
};

struct SentinelView {
  std::string error;
  std::string master_addr;  // "ip:port" the Sentinel names for the cluster, "" if none
  std::string flags;
  int64_t epoch = -1;
  int64_t replicas = -1;
  int64_t other_sentinels = -1;
  bool quorum_ok = false;
  std::string quorum_text;
};

struct ClusterStatus {
  std::vector<ServerView> servers;  // parallel to topology.hosts
  std::vector<SentinelView> sentinels;
  std::vector<std::string> problems;  // empty when healthy
  std::string master_addr;            // the master a majority of Sentinels names ("" if none)
};

ClusterStatus GatherStatus(const Topology& t, int timeout_ms);
std::string FormatStatus(const Topology& t, const ClusterStatus& s);

}  // namespace tandem::deploy
