// `tandem-deploy up` / `down`: the whole topology on one machine. Each host gets its own loopback
// address (127.0.0.11, .12, .13 ...) with the topology's ports, and a directory in the run
// directory holding its rendered configs, data, logs and pid files. `up` starts the servers
// (master first) and the Sentinels, waits until the cluster is healthy, prints how to use it, and
// stops everything on SIGINT/SIGTERM; `down` stops a run directory's processes from their pid
// files (only processes whose working directory is inside that run directory).
#pragma once

#include <string>

namespace tandem::deploy {

struct UpOptions {
  std::string topology;
  std::string run_dir;
  int base_port = 0;      // 0: the topology's ports
  int sentinel_port = 0;  // 0: the topology's ports
  std::string server_binary;
  std::string sentinel_binary;
  int timeout_s = 60;   // bound on "wait until healthy"
  bool detach = false;  // return once healthy, leaving the processes running
};

int Up(const UpOptions& o);
int Down(const std::string& run_dir, int timeout_s);

// The default run directory for a topology file ("./.run/<cluster name>").
std::string DefaultRunDir(const std::string& cluster_name);

}  // namespace tandem::deploy
