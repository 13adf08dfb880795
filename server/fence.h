// Fenced start (a tandem extension, directive `sentinel-fence <master-name> <host:port> ...`).
//
// With stock Redis a master that was killed and comes back is a writable master until a Sentinel
// converts it (about ten seconds), and clients that reach it meanwhile write into a dead branch.
// A fenced node that starts as a master refuses writes (-READONLY) until the Sentinels have told
// it who the master is: if they name another node it starts as that node's replica, if they
// name this node it starts accepting writes.
//
// Decision rule: ask every configured Sentinel `SENTINEL get-master-addr-by-name`. Decide once a
// majority of them answered, or once every Sentinel that can be reached answered and two seconds
// passed since the first answer. The address named most often wins; a tie goes to another node
// (the safe side). Until then the node keeps asking, once a second, and keeps refusing writes.
#pragma once

#include <uv.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "resp/net/resp_client.h"

namespace tandem::server {

class Server;

class Fence {
 public:
  explicit Fence(Server& server) : server_(server) {}
  ~Fence();
  Fence(const Fence&) = delete;
  Fence& operator=(const Fence&) = delete;

  // Starts asking when the node is configured with sentinel-fence and starts as a master.
  void Start();
  void Stop();
  // Writes are refused while this is true.
  bool active() const { return active_; }

 private:
  struct Peer {
    std::unique_ptr<net::RespClient> client;
    std::optional<std::pair<std::string, int>> answer;  // set once it answered with an address
    bool answered = false;
    bool asking = false;
  };
  void Ask(size_t i);
  void Tick();
  void Decide(bool final);
  bool IsMe(const std::string& host, int port) const;

  Server& server_;
  std::vector<Peer> peers_;
  uv_timer_t* timer_ = nullptr;
  bool active_ = false;
  int64_t first_answer_ms_ = 0;
};

}  // namespace tandem::server
