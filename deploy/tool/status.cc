// Cluster status (see status.h).
#include "status.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>

#include "resp_link.h"

namespace tandem::deploy {

namespace {

int64_t ToInt(std::string_view s, int64_t fallback = -1) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() ? v : fallback;
}

std::string Endpoint(std::string_view host, int port) {
  return host.find(':') != std::string_view::npos ? fmt::format("[{}]:{}", host, port)
                                                  : fmt::format("{}:{}", host, port);
}

ServerView AskServer(const Topology& t, const Host& h, int timeout_ms) {
  ServerView v;
  RespLink link;
  auto c = link.Connect(h.address, h.port, timeout_ms);
  if (!c) {
    v.error = c.error();
    return v;
  }
  if (auto a = link.Auth(t.password); !a) {
    v.error = "AUTH: " + a.error();
    return v;
  }
  auto r = link.Call({"INFO", "replication"});
  if (!r) {
    v.error = r.error();
    return v;
  }
  if (r->is_error()) {
    v.error = r->str;
    return v;
  }
  const std::string& info = r->str;
  v.role = InfoField(info, "role");
  if (v.role == "slave") {
    v.master_host = InfoField(info, "master_host");
    v.master_port = static_cast<int>(ToInt(InfoField(info, "master_port"), 0));
    v.link = InfoField(info, "master_link_status");
    v.offset = ToInt(InfoField(info, "slave_repl_offset"));
  } else {
    v.offset = ToInt(InfoField(info, "master_repl_offset"));
  }
  return v;
}

SentinelView AskSentinel(const Topology& t, const Host& h, int timeout_ms) {
  SentinelView v;
  RespLink link;
  auto c = link.Connect(h.address, h.sentinel_port, timeout_ms);
  if (!c) {
    v.error = c.error();
    return v;
  }
  if (auto a = link.Auth(t.sentinel_password); !a) {
    v.error = "AUTH: " + a.error();
    return v;
  }
  auto addr = link.Call({"SENTINEL", "get-master-addr-by-name", t.name});
  if (!addr) {
    v.error = addr.error();
    return v;
  }
  if (addr->is_error()) {
    v.error = addr->str;
    return v;
  }
  if (addr->elements.size() == 2) {
    v.master_addr = Endpoint(addr->elements[0].str, static_cast<int>(ToInt(addr->elements[1].str)));
  }
  auto m = link.Call({"SENTINEL", "master", t.name});
  if (m && !m->is_error()) {
    // RESP2 flat array or RESP3 map: key, value, key, value ...
    for (size_t i = 0; i + 1 < m->elements.size(); i += 2) {
      const std::string& k = m->elements[i].str;
      const resp::Value& val = m->elements[i + 1];
      std::string s = val.type == resp::Type::kInteger ? std::to_string(val.integer) : val.str;
      if (k == "flags") v.flags = s;
      if (k == "config-epoch") v.epoch = ToInt(s);
      if (k == "num-slaves") v.replicas = ToInt(s);
      if (k == "num-other-sentinels") v.other_sentinels = ToInt(s);
    }
  }
  auto q = link.Call({"SENTINEL", "ckquorum", t.name});
  if (q) {
    v.quorum_ok = !q->is_error() && q->str.starts_with("OK");
    v.quorum_text = q->str;
  } else {
    v.quorum_text = q.error();
  }
  return v;
}

std::string Or(std::string_view s, std::string_view fallback = "-") {
  return std::string(s.empty() ? fallback : s);
}

}  // namespace

ClusterStatus GatherStatus(const Topology& t, int timeout_ms) {
  ClusterStatus s;
  for (const Host& h : t.hosts) {
    s.servers.push_back(AskServer(t, h, timeout_ms));
    s.sentinels.push_back(AskSentinel(t, h, timeout_ms));
  }

  // The master the Sentinels agree on (a majority of all Sentinels of the topology).
  std::map<std::string, size_t> votes;
  for (const SentinelView& v : s.sentinels) {
    if (v.error.empty() && !v.master_addr.empty()) ++votes[v.master_addr];
  }
  for (auto& [addr, n] : votes) {
    if (n * 2 > t.hosts.size()) s.master_addr = addr;
  }

  std::vector<size_t> masters;
  for (size_t i = 0; i < t.hosts.size(); ++i) {
    const Host& h = t.hosts[i];
    const ServerView& v = s.servers[i];
    if (!v.error.empty()) {
      s.problems.push_back(
          fmt::format("server {} ({}): {}", h.name, Endpoint(h.address, h.port), v.error));
    } else if (v.role == "master") {
      masters.push_back(i);
    }
  }
  if (masters.size() > 1) {
    std::string names;
    for (size_t i : masters) names += (names.empty() ? "" : ", ") + t.hosts[i].name;
    s.problems.push_back(fmt::format("{} servers claim to be master: {}", masters.size(), names));
  } else if (masters.empty()) {
    s.problems.push_back("no reachable server is master");
  }
  std::string master_ep;
  if (masters.size() == 1) {
    const Host& m = t.hosts[masters[0]];
    master_ep = Endpoint(m.address, m.port);
  }
  for (size_t i = 0; i < t.hosts.size(); ++i) {
    const Host& h = t.hosts[i];
    const ServerView& v = s.servers[i];
    if (!v.error.empty() || v.role != "slave") continue;
    std::string ep = Endpoint(v.master_host, v.master_port);
    if (!master_ep.empty() && ep != master_ep) {
      s.problems.push_back(
          fmt::format("replica {} follows {}, not the master {}", h.name, ep, master_ep));
    }
    if (v.link != "up") {
      s.problems.push_back(fmt::format("replica {}: master_link_status {}", h.name, Or(v.link)));
    }
  }
  for (size_t i = 0; i < t.hosts.size(); ++i) {
    const Host& h = t.hosts[i];
    const SentinelView& v = s.sentinels[i];
    std::string where =
        fmt::format("sentinel {} ({})", h.name, Endpoint(h.address, h.sentinel_port));
    if (!v.error.empty()) {
      s.problems.push_back(fmt::format("{}: {}", where, v.error));
      continue;
    }
    if (v.master_addr.empty()) {
      s.problems.push_back(fmt::format("{}: does not monitor {}", where, t.name));
    } else if (!master_ep.empty() && v.master_addr != master_ep) {
      s.problems.push_back(
          fmt::format("{}: names {} as master, but {} is", where, v.master_addr, master_ep));
    }
    if (!v.quorum_ok) {
      s.problems.push_back(fmt::format("{}: CKQUORUM: {}", where, Or(v.quorum_text)));
    }
  }
  return s;
}

std::string FormatStatus(const Topology& t, const ClusterStatus& s) {
  int64_t master_offset = -1;
  for (const ServerView& v : s.servers) {
    if (v.error.empty() && v.role == "master") master_offset = v.offset;
  }
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"HOST", "SERVER", "ROLE", "MASTER", "LINK", "OFFSET", "LAG", "SENTINEL",
                  "SENTINEL-MASTER", "EPOCH", "CKQUORUM"});
  for (size_t i = 0; i < t.hosts.size(); ++i) {
    const Host& h = t.hosts[i];
    const ServerView& v = s.servers[i];
    const SentinelView& sv = s.sentinels[i];
    std::vector<std::string> r{h.name, Endpoint(h.address, h.port)};
    if (!v.error.empty()) {
      r.insert(r.end(), {"down", "-", "-", "-", "-"});
    } else {
      bool replica = v.role == "slave";
      r.push_back(replica ? "replica" : v.role);
      r.push_back(replica ? Endpoint(v.master_host, v.master_port) : "-");
      r.push_back(replica ? Or(v.link) : "-");
      r.push_back(v.offset >= 0 ? std::to_string(v.offset) : "-");
      r.push_back(replica && v.offset >= 0 && master_offset >= 0
                      ? std::to_string(std::max<int64_t>(0, master_offset - v.offset))
                      : "-");
    }
    r.push_back(Endpoint(h.address, h.sentinel_port));
    if (!sv.error.empty()) {
      r.insert(r.end(), {"down", "-", "-"});
    } else {
      std::string seen = Or(sv.master_addr, "none");
      if (sv.flags.find("o_down") != std::string::npos) {
        seen += " (odown)";
      } else if (sv.flags.find("s_down") != std::string::npos) {
        seen += " (sdown)";
      }
      r.push_back(seen);
      r.push_back(sv.epoch >= 0 ? std::to_string(sv.epoch) : "-");
      r.push_back(sv.quorum_ok ? "OK" : "NO");
    }
    rows.push_back(std::move(r));
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& r : rows) {
    for (size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
  }
  std::string out = fmt::format("cluster {} ({})\n", t.name, t.file);
  for (const auto& r : rows) {
    std::string line;
    for (size_t c = 0; c < r.size(); ++c) {
      line += c + 1 == r.size() ? r[c] : fmt::format("{:<{}}  ", r[c], width[c]);
    }
    out += line + "\n";
  }
  if (s.problems.empty()) {
    out += fmt::format("healthy: master {}, {} replicas linked, {} Sentinels agree\n",
                       s.master_addr, t.hosts.size() - 1, t.hosts.size());
  } else {
    out += fmt::format("UNHEALTHY ({} problems); Sentinels' master: {}\n", s.problems.size(),
                       Or(s.master_addr, "no majority"));
    for (const std::string& p : s.problems) out += "  - " + p + "\n";
  }
  return out;
}

}  // namespace tandem::deploy
