// INFO parsing with the prefix rules of sentinelRefreshInstanceInfo.
#include "sentinel/info_parse.h"

#include <strings.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <limits>
#include <string>

namespace tandem::sentinel {

namespace {

bool StartsWith(std::string_view l, std::string_view p) { return l.substr(0, p.size()) == p; }

std::string_view CutAt(std::string_view s, char c) {
  size_t pos = s.find(c);
  return pos == std::string_view::npos ? s : s.substr(0, pos);
}

}  // namespace

InfoReport ParseInfo(std::string_view info) {
  InfoReport r;
  size_t start = 0;
  while (start < info.size()) {
    size_t end = info.find("\r\n", start);
    std::string_view l =
        info.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    start = end == std::string_view::npos ? info.size() : end + 2;

    if (l.size() >= 47 && StartsWith(l, "run_id:")) r.run_id = std::string(l.substr(7, 40));

    if (l.size() >= 7 && StartsWith(l, "slave") && std::isdigit(static_cast<unsigned char>(l[5]))) {
      std::string_view ip, port;
      if (l.find("ip=") == std::string_view::npos) {
        size_t colon = l.find(':');
        if (colon == std::string_view::npos) continue;
        std::string_view rest = l.substr(colon + 1);
        size_t c1 = rest.find(',');
        if (c1 == std::string_view::npos) continue;
        ip = rest.substr(0, c1);
        std::string_view after = rest.substr(c1 + 1);
        size_t c2 = after.find(',');
        if (c2 == std::string_view::npos) continue;
        port = after.substr(0, c2);
      } else {
        size_t ipos = l.find("ip=");
        size_t ppos = l.find("port=");
        if (ppos == std::string_view::npos) continue;
        ip = CutAt(l.substr(ipos + 3), ',');
        port = CutAt(l.substr(ppos + 5), ',');
      }
      r.slaves.emplace_back(std::string(ip), std::atoi(std::string(port).c_str()));
    }

    if (l.size() >= 32 && StartsWith(l, "master_link_down_since_seconds")) {
      // Redis multiplies strtoll's result by 1000 as it is, which overflows for a value beyond
      // 2^63 / 1000 from a peer: the product saturates instead (a link down "forever").
      constexpr long long kMaxSeconds = std::numeric_limits<int64_t>::max() / 1000;
      const long long secs = std::strtoll(std::string(l.substr(31)).c_str(), nullptr, 10);
      r.master_link_down_ms = std::clamp(secs, -kMaxSeconds, kMaxSeconds) * 1000;
    }

    if (l.size() >= 11 && StartsWith(l, "role:master")) {
      r.role = InfoReport::Role::kMaster;
    } else if (l.size() >= 10 && StartsWith(l, "role:slave")) {
      r.role = InfoReport::Role::kSlave;
    }

    if (r.role == InfoReport::Role::kSlave) {
      if (l.size() >= 12 && StartsWith(l, "master_host:")) {
        r.has_master_host = true;
        r.master_host = std::string(l.substr(12));
      }
      if (l.size() >= 12 && StartsWith(l, "master_port:")) {
        r.has_master_port = true;
        r.master_port = std::atoi(std::string(l.substr(12)).c_str());
      }
      if (l.size() >= 19 && StartsWith(l, "master_link_status:")) {
        r.has_link_status = true;
        r.master_link_up = strcasecmp(std::string(l.substr(19)).c_str(), "up") == 0;
      }
      if (l.size() >= 15 && StartsWith(l, "slave_priority:")) {
        r.has_priority = true;
        r.slave_priority = std::atoi(std::string(l.substr(15)).c_str());
      }
      if (l.size() >= 18 && StartsWith(l, "slave_repl_offset:")) {
        r.has_repl_offset = true;
        r.slave_repl_offset = std::strtoull(std::string(l.substr(18)).c_str(), nullptr, 10);
      }
      if (l.size() >= 18 && StartsWith(l, "replica_announced:")) {
        r.has_replica_announced = true;
        r.replica_announced = std::atoi(std::string(l.substr(18)).c_str());
      }
    }
  }
  return r;
}

}  // namespace tandem::sentinel
