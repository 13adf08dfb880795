// Topology file loading: TOML via toml++, validated key by key so that every error names the
// file, the line and the key. Unknown keys are errors (a typo must not silently fall back to a
// default on a production cluster).
#include "topology.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <span>
#include <sstream>

namespace tandem::deploy {

namespace {

// Thrown inside the loader only; LoadTopology turns it into the std::expected error.
struct LoadError {
  std::string message;
};

// Directives the tool writes itself: a [server] table may not set them (they come from
// [cluster], [paths], [auth] and the host's role).
struct Managed {
  std::string_view name;
  std::string_view from;
};
constexpr Managed kManagedServer[] = {
    {"port", "[cluster] port or the host's port"},
    {"daemonize", "the tool (always no: systemd or `up` supervises)"},
    {"supervised", "the tool (systemd in units, no under `up`)"},
    {"pidfile", "[paths] runtime"},
    {"logfile", "[paths] logs"},
    {"dir", "[paths] data"},
    {"replicaof", "[cluster] master"},
    {"slaveof", "[cluster] master"},
    {"masterauth", "[auth] password"},
    {"requirepass", "[auth] password"},
    {"include", "nothing: rendered files are self-contained"},
};
constexpr Managed kManagedSentinel[] = {
    {"port", "[cluster] sentinel_port"},
    {"daemonize", "the tool"},
    {"supervised", "the tool"},
    {"pidfile", "[paths] runtime"},
    {"logfile", "[paths] logs"},
    {"dir", "[paths] data"},
    {"sentinel", "[cluster] (monitor, timings) and the host's address (announce-ip)"},
    {"requirepass", "[auth] sentinel_password"},
    {"include", "nothing: rendered files are self-contained"},
};

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void Fail(const toml::source_region& where, std::string_view key,
                         std::string_view what) const {
    throw LoadError{
        fmt::format("{}:{}:{}: {}: {}", file_, where.begin.line, where.begin.column, key, what)};
  }

  // Every key of `tbl` must be in `allowed`.
  void CheckKeys(const toml::table& tbl, std::string_view prefix,
                 std::initializer_list<std::string_view> allowed) const {
    for (auto&& [k, v] : tbl) {
      if (std::find(allowed.begin(), allowed.end(), k.str()) == allowed.end()) {
        std::string names;
        for (auto a : allowed) names += (names.empty() ? "" : ", ") + std::string(a);
        Fail(k.source(), Join(prefix, k.str()),
             fmt::format("unknown key (expected one of: {})", names));
      }
      (void)v;
    }
  }

  const toml::table* Table(const toml::table& parent, std::string_view prefix, std::string_view key,
                           bool required) const {
    const toml::node* n = parent.get(key);
    if (n == nullptr) {
      if (required) Fail(parent.source(), Join(prefix, key), "missing table");
      return nullptr;
    }
    if (!n->is_table()) Fail(n->source(), Join(prefix, key), "must be a table");
    return n->as_table();
  }

  void String(const toml::table& tbl, std::string_view prefix, std::string_view key,
              std::string& out, bool required) const {
    const toml::node* n = tbl.get(key);
    if (n == nullptr) {
      if (required) Fail(tbl.source(), Join(prefix, key), "missing (a string is required)");
      return;
    }
    if (!n->is_string()) Fail(n->source(), Join(prefix, key), "must be a string");
    out = *n->value<std::string>();
  }

  template <typename Int>
  void Integer(const toml::table& tbl, std::string_view prefix, std::string_view key, Int& out,
               int64_t lo, int64_t hi, bool required) const {
    const toml::node* n = tbl.get(key);
    if (n == nullptr) {
      if (required) Fail(tbl.source(), Join(prefix, key), "missing (an integer is required)");
      return;
    }
    if (!n->is_integer()) Fail(n->source(), Join(prefix, key), "must be an integer");
    int64_t v = *n->value<int64_t>();
    if (v < lo || v > hi) {
      Fail(n->source(), Join(prefix, key), fmt::format("must be between {} and {}", lo, hi));
    }
    out = static_cast<Int>(v);
  }

  // A table of redis.conf directives: string, integer or boolean values (true -> yes), or an
  // array of strings for a directive written on several lines.
  std::vector<Setting> Settings(const toml::table& tbl, std::string_view prefix,
                                std::span<const Managed> managed) const {
    std::vector<Setting> out;
    for (auto&& [k, v] : tbl) {
      std::string key = Join(prefix, k.str());
      std::string name(k.str());
      std::transform(name.begin(), name.end(), name.begin(), ::tolower);
      for (const Managed& m : managed) {
        if (name == m.name) Fail(k.source(), key, fmt::format("is set by {}", m.from));
      }
      if (name.empty() || name.find_first_of(" \t\r\n\"'") != std::string::npos) {
        Fail(k.source(), key, "not a directive name");
      }
      Setting s{name, {}};
      if (v.is_array()) {
        const toml::array& arr = *v.as_array();
        if (arr.empty()) Fail(v.source(), key, "an empty array writes nothing; remove the key");
        for (const toml::node& e : arr) s.lines.push_back(Scalar(e, key));
      } else {
        s.lines.push_back(Scalar(v, key));
      }
      out.push_back(std::move(s));
    }
    return out;
  }

  static std::string Join(std::string_view prefix, std::string_view key) {
    return prefix.empty() ? std::string(key) : fmt::format("{}.{}", prefix, key);
  }

 private:
  std::string Scalar(const toml::node& n, const std::string& key) const {
    if (n.is_string()) {
      std::string s = *n.value<std::string>();
      if (s.find_first_of("\r\n") != std::string::npos) Fail(n.source(), key, "contains a newline");
      return s.empty() ? "\"\"" : s;
    }
    if (n.is_integer()) return std::to_string(*n.value<int64_t>());
    if (n.is_boolean()) return *n.value<bool>() ? "yes" : "no";
    Fail(n.source(), key, "must be a string, an integer, a boolean or an array of strings");
  }

  std::string file_;
};

bool ValidName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

bool ValidAddress(std::string_view s) {
  if (IsIpLiteral(s)) return true;
  if (s.empty() || s.size() > 253) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  });
}

void ReadPaths(const Reader& r, const toml::table& tbl, std::string_view prefix, Paths& p) {
  r.CheckKeys(tbl, prefix, {"config", "logs", "data", "runtime"});
  std::pair<std::string_view, std::string*> keys[] = {
      {"config", &p.config}, {"logs", &p.logs}, {"data", &p.data}, {"runtime", &p.runtime}};
  for (auto& [key, out] : keys) {
    r.String(tbl, prefix, key, *out, false);
    if (out->empty() || (*out)[0] != '/' || out->find_first_of(" \t\"'") != std::string::npos) {
      const toml::node* n = tbl.get(key);
      r.Fail(n ? n->source() : tbl.source(), Reader::Join(prefix, key),
             "must be an absolute path without spaces or quotes");
    }
    while (out->size() > 1 && out->back() == '/') out->pop_back();
  }
}

Topology Build(const toml::table& root, const std::string& file) {
  Reader r(file);
  Topology t;
  t.file = file;
  r.CheckKeys(root, "", {"cluster", "paths", "service", "auth", "server", "sentinel", "hosts"});

  const toml::table& cluster = *r.Table(root, "", "cluster", true);
  r.CheckKeys(cluster, "cluster",
              {"name", "master", "port", "sentinel_port", "quorum", "down_after_ms",
               "failover_timeout_ms", "parallel_syncs"});
  r.String(cluster, "cluster", "name", t.name, true);
  if (!ValidName(t.name)) {
    r.Fail(cluster.get("name")->source(), "cluster.name",
           "must be 1-64 characters of letters, digits, '-', '_' or '.'");
  }
  r.String(cluster, "cluster", "master", t.master, true);
  r.Integer(cluster, "cluster", "port", t.port, 1, 65535, false);
  r.Integer(cluster, "cluster", "sentinel_port", t.sentinel_port, 1, 65535, false);
  r.Integer(cluster, "cluster", "quorum", t.quorum, 1, 1000, false);
  r.Integer(cluster, "cluster", "down_after_ms", t.down_after_ms, 1, int64_t{1} << 40, false);
  r.Integer(cluster, "cluster", "failover_timeout_ms", t.failover_timeout_ms, 1, int64_t{1} << 40,
            false);
  r.Integer(cluster, "cluster", "parallel_syncs", t.parallel_syncs, 1, 1000, false);

  if (const toml::table* paths = r.Table(root, "", "paths", false)) {
    ReadPaths(r, *paths, "paths", t.paths);
  }
  if (const toml::table* svc = r.Table(root, "", "service", false)) {
    r.CheckKeys(*svc, "service",
                {"user", "group", "server_unit", "sentinel_unit", "server_binary",
                 "sentinel_binary", "server_config", "sentinel_config"});
    r.String(*svc, "service", "user", t.service.user, false);
    r.String(*svc, "service", "group", t.service.group, false);
    r.String(*svc, "service", "server_unit", t.service.server_unit, false);
    r.String(*svc, "service", "sentinel_unit", t.service.sentinel_unit, false);
    r.String(*svc, "service", "server_binary", t.service.server_binary, false);
    r.String(*svc, "service", "sentinel_binary", t.service.sentinel_binary, false);
    r.String(*svc, "service", "server_config", t.service.server_config, false);
    r.String(*svc, "service", "sentinel_config", t.service.sentinel_config, false);
    for (auto key : {"server_unit", "sentinel_unit"}) {
      const std::string& u =
          key == std::string_view("server_unit") ? t.service.server_unit : t.service.sentinel_unit;
      if (!u.ends_with(".service") || !ValidName(u)) {
        r.Fail(svc->get(key) ? svc->get(key)->source() : svc->source(),
               Reader::Join("service", key), "must be a unit name ending in .service");
      }
    }
    for (auto key : {"server_binary", "sentinel_binary"}) {
      const std::string& b = key == std::string_view("server_binary") ? t.service.server_binary
                                                                      : t.service.sentinel_binary;
      if (b.empty() || b[0] != '/') {
        r.Fail(svc->get(key) ? svc->get(key)->source() : svc->source(),
               Reader::Join("service", key), "must be an absolute path");
      }
    }
    if (t.service.server_unit == t.service.sentinel_unit) {
      r.Fail(svc->source(), "service.sentinel_unit", "must differ from service.server_unit");
    }
  }
  if (const toml::table* auth = r.Table(root, "", "auth", false)) {
    r.CheckKeys(*auth, "auth", {"password", "sentinel_password"});
    r.String(*auth, "auth", "password", t.password, false);
    r.String(*auth, "auth", "sentinel_password", t.sentinel_password, false);
    for (auto key : {"password", "sentinel_password"}) {
      const toml::node* n = auth->get(key);
      if (n && n->value<std::string>()->find_first_of("\r\n\"") != std::string::npos) {
        r.Fail(n->source(), Reader::Join("auth", key), "may not contain quotes or newlines");
      }
    }
  }
  if (const toml::table* server = r.Table(root, "", "server", false)) {
    t.server = r.Settings(*server, "server", kManagedServer);
  }
  if (const toml::table* sentinel = r.Table(root, "", "sentinel", false)) {
    t.sentinel = r.Settings(*sentinel, "sentinel", kManagedSentinel);
  }

  const toml::node* hosts_node = root.get("hosts");
  if (hosts_node == nullptr) r.Fail(root.source(), "hosts", "missing ([[hosts]] entries)");
  if (!hosts_node->is_array_of_tables()) {
    r.Fail(hosts_node->source(), "hosts", "must be an array of tables ([[hosts]])");
  }
  const toml::array& hosts = *hosts_node->as_array();
  if (hosts.empty()) r.Fail(hosts_node->source(), "hosts", "needs at least one host");
  std::set<std::string> names, endpoints, local_endpoints;
  for (size_t i = 0; i < hosts.size(); ++i) {
    const toml::table& h = *hosts[i].as_table();
    std::string prefix = fmt::format("hosts[{}]", i);
    r.CheckKeys(h, prefix,
                {"name", "address", "hostname", "local_address", "port", "sentinel_port", "paths",
                 "server", "sentinel"});
    Host host;
    r.String(h, prefix, "name", host.name, true);
    prefix = fmt::format("hosts.{}", host.name);
    if (!ValidName(host.name)) {
      r.Fail(h.get("name")->source(), prefix + ".name",
             "must be 1-64 characters of letters, digits, '-', '_' or '.'");
    }
    if (!names.insert(host.name).second) {
      r.Fail(h.get("name")->source(), prefix + ".name", "duplicate host name");
    }
    r.String(h, prefix, "address", host.address, true);
    if (!ValidAddress(host.address)) {
      r.Fail(h.get("address")->source(), prefix + ".address", "not an IP address or DNS name");
    }
    r.String(h, prefix, "hostname", host.hostname, false);
    host.local_address = fmt::format("127.0.0.{}", 11 + i);
    if (host.address.starts_with("127.")) host.local_address = host.address;
    r.String(h, prefix, "local_address", host.local_address, false);
    in_addr a4{};
    if (inet_pton(AF_INET, host.local_address.c_str(), &a4) != 1 ||
        !host.local_address.starts_with("127.")) {
      const toml::node* n = h.get("local_address");
      r.Fail(n ? n->source() : h.source(), prefix + ".local_address",
             fmt::format("'{}' is not a 127.x.y.z loopback address", host.local_address));
    }
    host.port = t.port;
    host.sentinel_port = t.sentinel_port;
    r.Integer(h, prefix, "port", host.port, 1, 65535, false);
    r.Integer(h, prefix, "sentinel_port", host.sentinel_port, 1, 65535, false);
    if (host.port == host.sentinel_port) {
      r.Fail(h.source(), prefix + ".sentinel_port", "must differ from the server port");
    }
    for (int p : {host.port, host.sentinel_port}) {
      if (!endpoints.insert(fmt::format("{}:{}", host.address, p)).second) {
        r.Fail(h.get("address")->source(), prefix + ".address",
               fmt::format("{}:{} is used twice in the topology", host.address, p));
      }
      if (!local_endpoints.insert(fmt::format("{}:{}", host.local_address, p)).second) {
        r.Fail(h.source(), prefix + ".local_address",
               fmt::format("{}:{} is used twice in the topology", host.local_address, p));
      }
    }
    host.paths = t.paths;
    if (const toml::table* p = r.Table(h, prefix, "paths", false)) {
      ReadPaths(r, *p, prefix + ".paths", host.paths);
    }
    if (const toml::table* s = r.Table(h, prefix, "server", false)) {
      host.server_overrides = r.Settings(*s, prefix + ".server", kManagedServer);
    }
    if (const toml::table* s = r.Table(h, prefix, "sentinel", false)) {
      host.sentinel_overrides = r.Settings(*s, prefix + ".sentinel", kManagedSentinel);
    }
    t.hosts.push_back(std::move(host));
  }

  if (t.FindHost(t.master) == nullptr) {
    r.Fail(cluster.get("master")->source(), "cluster.master",
           fmt::format("'{}' is not the name of a [[hosts]] entry", t.master));
  }
  if (t.quorum > static_cast<int>(t.hosts.size())) {
    const toml::node* n = cluster.get("quorum");
    r.Fail(
        n ? n->source() : cluster.source(), "cluster.quorum",
        fmt::format("{} is more than the {} Sentinels of the topology", t.quorum, t.hosts.size()));
  }
  return t;
}

void Emit(toml::table& tbl, const std::vector<Setting>& settings) {
  for (const Setting& s : settings) {
    if (s.lines.size() == 1) {
      tbl.insert(s.name, s.lines[0]);
    } else {
      toml::array arr;
      for (const std::string& l : s.lines) arr.push_back(l);
      tbl.insert(s.name, std::move(arr));
    }
  }
}

toml::table PathsTable(const Paths& p) {
  return toml::table{
      {"config", p.config}, {"logs", p.logs}, {"data", p.data}, {"runtime", p.runtime}};
}

}  // namespace

const Host* Topology::FindHost(std::string_view host_name) const {
  for (const Host& h : hosts) {
    if (h.name == host_name) return &h;
  }
  return nullptr;
}

const Host& Topology::MasterHost() const { return *FindHost(master); }

bool IsIpLiteral(std::string_view address) {
  std::string s(address);
  in_addr a4{};
  in6_addr a6{};
  return inet_pton(AF_INET, s.c_str(), &a4) == 1 || inet_pton(AF_INET6, s.c_str(), &a6) == 1;
}

std::expected<Topology, std::string> ParseTopology(std::string_view text, const std::string& path) {
  try {
    toml::table root = toml::parse(text, path);
    return Build(root, path);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    return std::unexpected(
        fmt::format("{}:{}:{}: syntax error: {}", path, b.line, b.column, e.description()));
  } catch (const LoadError& e) {
    return std::unexpected(e.message);
  }
}

std::expected<Topology, std::string> LoadTopology(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return std::unexpected(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  }
  std::string text;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  std::fclose(f);
  return ParseTopology(text, path);
}

std::string ToToml(const Topology& t) {
  toml::table root;
  root.insert("cluster", toml::table{{"name", t.name},
                                     {"master", t.master},
                                     {"port", t.port},
                                     {"sentinel_port", t.sentinel_port},
                                     {"quorum", t.quorum},
                                     {"down_after_ms", t.down_after_ms},
                                     {"failover_timeout_ms", t.failover_timeout_ms},
                                     {"parallel_syncs", t.parallel_syncs}});
  root.insert("paths", PathsTable(t.paths));
  const Service& s = t.service;
  root.insert("service", toml::table{{"user", s.user},
                                     {"group", s.group},
                                     {"server_unit", s.server_unit},
                                     {"sentinel_unit", s.sentinel_unit},
                                     {"server_binary", s.server_binary},
                                     {"sentinel_binary", s.sentinel_binary},
                                     {"server_config", s.server_config},
                                     {"sentinel_config", s.sentinel_config}});
  root.insert("auth",
              toml::table{{"password", t.password}, {"sentinel_password", t.sentinel_password}});
  toml::table server, sentinel;
  Emit(server, t.server);
  Emit(sentinel, t.sentinel);
  root.insert("server", std::move(server));
  root.insert("sentinel", std::move(sentinel));
  toml::array hosts;
  for (const Host& h : t.hosts) {
    toml::table ht{{"name", h.name},
                   {"address", h.address},
                   {"local_address", h.local_address},
                   {"port", h.port},
                   {"sentinel_port", h.sentinel_port}};
    if (!h.hostname.empty()) ht.insert("hostname", h.hostname);
    ht.insert("paths", PathsTable(h.paths));
    toml::table hs, hsen;
    Emit(hs, h.server_overrides);
    Emit(hsen, h.sentinel_overrides);
    ht.insert("server", std::move(hs));
    ht.insert("sentinel", std::move(hsen));
    hosts.push_back(std::move(ht));
  }
  root.insert("hosts", std::move(hosts));
  std::ostringstream out;
  out << "# Resolved topology written by tandem-deploy (addresses and ports as started).\n"
      << root << "\n";
  return out.str();
}

}  // namespace tandem::deploy
