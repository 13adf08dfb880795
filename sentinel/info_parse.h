// The part of an instance's INFO reply Sentinel reads (sentinelRefreshInstanceInfo): run_id,
// role, the master's slaveN lines (both "slave0:ip=..,port=.." and the old "slave0:ip,port,state"
// form) and, once role:slave was seen, the replica's view of its master.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tandem::sentinel {

struct InfoReport {
  std::string run_id;  // empty when absent (or shorter than 40 chars)
  enum class Role { kUnknown, kMaster, kSlave } role = Role::kUnknown;
  std::vector<std::pair<std::string, int>> slaves;  // slaveN lines (masters only use them)
  int64_t master_link_down_ms = 0;                  // master_link_down_since_seconds * 1000
  // Replica fields, parsed only after role:slave, as Redis does.
  bool has_master_host = false;
  std::string master_host;
  bool has_master_port = false;
  int master_port = 0;
  bool has_link_status = false;
  bool master_link_up = false;
  bool has_priority = false;
  int slave_priority = 100;
  bool has_repl_offset = false;
  uint64_t slave_repl_offset = 0;
  bool has_replica_announced = false;
  int replica_announced = 1;
};

InfoReport ParseInfo(std::string_view info);

}  // namespace tandem::sentinel
