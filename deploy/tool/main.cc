// tandem-deploy: the topology file in, a running cluster out.
//   render  --topology F [--host NAME] --out DIR   configs and systemd units for one host (or all)
//   up      --topology F [--run-dir D] ...         the whole topology on one machine's loopback
//   down    --run-dir D                            stop what `up` started (pid files)
//   status  --topology F | --run-dir D             one table from every node and Sentinel
//   check   --topology F                           validate the file only
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "local_run.h"
#include "render.h"
#include "status.h"
#include "topology.h"

namespace fs = std::filesystem;
using namespace tandem::deploy;

namespace {

constexpr const char* kUsage =
    "usage: tandem-deploy <command> [options]\n"
    "\n"
    "  render --topology F --out DIR [--host NAME] [--master NAME|ADDR] [--server-binary P]\n"
    "         [--sentinel-binary P]\n"
    "      Write the server config, Sentinel config and systemd units of host NAME into DIR\n"
    "      (every host into DIR/<host>/ when --host is omitted). --master names the current\n"
    "      master (e.g. from `status --master`) instead of the topology's first master.\n"
    "  up --topology F [--run-dir D] [--base-port N] [--sentinel-port N] [--timeout S]\n"
    "     [--server-binary P] [--sentinel-binary P] [--detach]\n"
    "      Start every host of the topology on this machine, host i on its loopback address\n"
    "      (127.0.0.11, .12, ... unless the topology says), wait until healthy, print how to\n"
    "      connect, and stop everything on Ctrl-C (or return at once with --detach).\n"
    "      Run directory default: .run/<cluster name>.\n"
    "  down --run-dir D [--timeout S]\n"
    "      Stop the processes of a run directory (from its pid files).\n"
    "  status (--topology F | --run-dir D) [--timeout-ms N] [--master]\n"
    "      Ask every server and Sentinel; print one table; exit 1 when unhealthy.\n"
    "      --master prints only the master a majority of Sentinels names (\"ip port\").\n"
    "  check --topology F\n"
    "      Validate the topology file.\n";

struct Args {
  std::string command;
  std::map<std::string, std::string> values;
  std::map<std::string, bool> flags;
};

// Options taking a value, and boolean flags, per command.
const std::map<std::string, std::pair<std::vector<std::string>, std::vector<std::string>>>
    kOptions = {
        {"render",
         {{"--topology", "--host", "--out", "--master", "--server-binary", "--sentinel-binary"},
          {}}},
        {"up",
         {{"--topology", "--run-dir", "--base-port", "--sentinel-port", "--timeout",
           "--server-binary", "--sentinel-binary"},
          {"--detach"}}},
        {"down", {{"--run-dir", "--timeout"}, {}}},
        {"status", {{"--topology", "--run-dir", "--timeout-ms"}, {"--master"}}},
        {"check", {{"--topology"}, {}}},
};

bool Parse(int argc, char** argv, Args& a, std::string& error) {
  if (argc < 2) {
    error = "missing command";
    return false;
  }
  a.command = argv[1];
  auto spec = kOptions.find(a.command);
  if (spec == kOptions.end()) {
    error = fmt::format("unknown command '{}'", a.command);
    return false;
  }
  const auto& [with_value, booleans] = spec->second;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool inline_value = false;
    if (size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      inline_value = true;
    }
    if (std::find(booleans.begin(), booleans.end(), arg) != booleans.end() && !inline_value) {
      a.flags[arg] = true;
    } else if (std::find(with_value.begin(), with_value.end(), arg) != with_value.end()) {
      if (!inline_value) {
        if (i + 1 >= argc) {
          error = fmt::format("{} needs a value", arg);
          return false;
        }
        value = argv[++i];
      }
      a.values[arg] = value;
    } else {
      error = fmt::format("unknown option '{}' for {}", arg, a.command);
      return false;
    }
  }
  return true;
}

std::string Get(const Args& a, const std::string& key) {
  auto it = a.values.find(key);
  return it == a.values.end() ? "" : it->second;
}

bool GetInt(const Args& a, const std::string& key, int lo, int hi, int& out) {
  std::string v = Get(a, key);
  if (v.empty()) return true;
  char* end = nullptr;
  long n = std::strtol(v.c_str(), &end, 10);
  if (*end != '\0' || n < lo || n > hi) {
    std::fprintf(stderr, "tandem-deploy: %s must be an integer between %d and %d\n", key.c_str(),
                 lo, hi);
    return false;
  }
  out = static_cast<int>(n);
  return true;
}

int Fail(const std::string& message, int code = 2) {
  std::fprintf(stderr, "tandem-deploy: %s\n", message.c_str());
  return code;
}

std::expected<Topology, std::string> Load(const Args& a) {
  std::string path = Get(a, "--topology");
  if (path.empty()) return std::unexpected("--topology is required");
  return LoadTopology(path);
}

int Render(const Args& a) {
  auto t = Load(a);
  if (!t) return Fail(t.error());
  std::string out = Get(a, "--out");
  if (out.empty()) return Fail("--out is required");
  if (std::string b = Get(a, "--server-binary"); !b.empty()) t->service.server_binary = b;
  if (std::string b = Get(a, "--sentinel-binary"); !b.empty()) t->service.sentinel_binary = b;
  // --master NAME|ADDRESS[:PORT]: the host that is master now (as the Sentinels report it), so
  // re-rendering a live cluster never writes replicaof for its current master.
  if (std::string m = Get(a, "--master"); !m.empty()) {
    std::string addr = m;
    if (size_t sp = addr.find_first_of(" :");
        sp != std::string::npos && addr.find("::") == std::string::npos) {
      addr = addr.substr(0, sp);
    }
    const Host* found = t->FindHost(m);
    for (const Host& h : t->hosts) {
      if (found == nullptr && (h.address == addr || h.local_address == addr)) found = &h;
    }
    if (found == nullptr) return Fail(fmt::format("--master {}: not a host of {}", m, t->file));
    t->master = found->name;
  }
  std::string only = Get(a, "--host");
  if (!only.empty() && t->FindHost(only) == nullptr) {
    std::string names;
    for (const Host& h : t->hosts) names += (names.empty() ? "" : ", ") + h.name;
    return Fail(fmt::format("{}: no host '{}' (hosts: {})", t->file, only, names));
  }
  if (t->password.empty()) {
    bool remote = std::any_of(t->hosts.begin(), t->hosts.end(),
                              [](const Host& h) { return !h.address.starts_with("127."); });
    if (remote) {
      std::fprintf(stderr,
                   "tandem-deploy: warning: no [auth] password: with protected-mode yes, servers "
                   "refuse replicas and clients from other hosts\n");
    }
  }
  for (const Host& h : t->hosts) {
    if (!only.empty() && h.name != only) continue;
    fs::path dir = only.empty() ? fs::path(out) / h.name : fs::path(out);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return Fail(fmt::format("mkdir {}: {}", dir.string(), ec.message()), 1);
    for (const RenderedFile& f : RenderHost(*t, h)) {
      fs::path p = dir / f.name;
      std::ofstream o(p, std::ios::trunc);
      o << f.content;
      o.close();
      if (!o) return Fail(fmt::format("write {}: failed", p.string()), 1);
      chmod(p.c_str(), f.mode);
      std::printf("%s  (install as %s)\n", p.c_str(), f.install_path.c_str());
    }
  }
  return 0;
}

int Status(const Args& a) {
  std::string path = Get(a, "--topology");
  std::string run = Get(a, "--run-dir");
  if (path.empty() && run.empty()) return Fail("status needs --topology or --run-dir");
  if (path.empty()) path = (fs::path(run) / "topology.toml").string();
  auto t = LoadTopology(path);
  if (!t) return Fail(t.error());
  int timeout_ms = 1000;
  if (!GetInt(a, "--timeout-ms", 10, 60000, timeout_ms)) return 2;
  ClusterStatus s = GatherStatus(*t, timeout_ms);
  if (a.flags.contains("--master")) {
    if (s.master_addr.empty()) {
      std::fprintf(stderr, "tandem-deploy: no majority of Sentinels names a master\n");
      return 1;
    }
    std::string addr = s.master_addr;
    size_t colon = addr.rfind(':');
    std::string host = addr.substr(0, colon);
    if (host.starts_with("[")) host = host.substr(1, host.size() - 2);
    std::printf("%s %s\n", host.c_str(), addr.substr(colon + 1).c_str());
    return 0;
  }
  std::fputs(FormatStatus(*t, s).c_str(), stdout);
  return s.problems.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && (std::string(argv[1]) == "-h" || std::string(argv[1]) == "--help" ||
                    std::string(argv[1]) == "help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  Args a;
  std::string error;
  if (!Parse(argc, argv, a, error)) {
    std::fprintf(stderr, "tandem-deploy: %s\n\n%s", error.c_str(), kUsage);
    return 2;
  }
  if (a.command == "render") return Render(a);
  if (a.command == "status") return Status(a);
  if (a.command == "check") {
    auto t = Load(a);
    if (!t) return Fail(t.error());
    std::printf("%s: ok: %s, %zu hosts, master %s, quorum %d\n", t->file.c_str(), t->name.c_str(),
                t->hosts.size(), t->master.c_str(), t->quorum);
    return 0;
  }
  if (a.command == "down") {
    std::string run = Get(a, "--run-dir");
    if (run.empty()) return Fail("down needs --run-dir");
    int timeout = 10;
    if (!GetInt(a, "--timeout", 1, 600, timeout)) return 2;
    return Down(run, timeout);
  }
  UpOptions o;
  o.topology = Get(a, "--topology");
  if (o.topology.empty()) return Fail("--topology is required");
  o.run_dir = Get(a, "--run-dir");
  o.server_binary = Get(a, "--server-binary");
  o.sentinel_binary = Get(a, "--sentinel-binary");
  o.detach = a.flags.contains("--detach");
  if (!GetInt(a, "--base-port", 1, 65535, o.base_port) ||
      !GetInt(a, "--sentinel-port", 1, 65535, o.sentinel_port) ||
      !GetInt(a, "--timeout", 1, 3600, o.timeout_s)) {
    return 2;
  }
  return Up(o);
}
