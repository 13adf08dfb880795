// One-machine runs (see local_run.h).
#include "local_run.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "render.h"
#include "status.h"
#include "topology.h"

namespace fs = std::filesystem;

namespace tandem::deploy {

namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kSupervisorPid = "deploy.pid";
constexpr const char* kResolvedTopology = "topology.toml";

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

struct Child {
  std::string what;  // "console server"
  std::string host;
  bool sentinel = false;
  pid_t pid = -1;
  bool running = false;
};

std::string ExeDir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : exe.parent_path().string();
}

bool Executable(const std::string& p) { return !p.empty() && access(p.c_str(), X_OK) == 0; }

// --flag, then the environment, then the build tree beside this binary, then an install beside
// it; the Sentinel falls back to the stock redis-sentinel so nobody is blocked on it.
std::string FindBinary(const std::string& flag, const char* env, const std::string& build_rel,
                       const std::string& name, const std::string& fallback) {
  if (!flag.empty()) return flag;
  if (const char* e = std::getenv(env); e != nullptr && Executable(e)) return e;
  std::string dir = ExeDir();
  for (const std::string& p : {dir + "/" + build_rel, dir + "/" + name}) {
    if (Executable(p)) return fs::weakly_canonical(p).string();
  }
  return fallback;
}

bool PortFree(const std::string& address, int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, address.c_str(), &a.sin_addr);
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

pid_t ReadPid(const fs::path& p) {
  std::ifstream in(p);
  long pid = 0;
  if (!(in >> pid) || pid <= 1) return -1;
  return static_cast<pid_t>(pid);
}

bool Alive(pid_t pid) { return pid > 1 && (kill(pid, 0) == 0 || errno == EPERM); }

std::string ReadProc(pid_t pid, const char* what) {
  std::ifstream in(fmt::format("/proc/{}/{}", pid, what), std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  std::replace(s.begin(), s.end(), '\0', ' ');
  return s;
}

// A pid from a pid file is ours to signal only if that process works inside the run directory
// (servers chdir into their data dir, Sentinels into their config dir) or names it on its command
// line. A stale pid file whose pid was reused by something else is left alone.
bool BelongsToRunDir(pid_t pid, const fs::path& run_dir) {
  if (!Alive(pid)) return false;
  std::error_code ec;
  fs::path cwd = fs::read_symlink(fmt::format("/proc/{}/cwd", pid), ec);
  std::string root = run_dir.string();
  if (!ec && (cwd.string() == root || cwd.string().starts_with(root + "/"))) return true;
  return ReadProc(pid, "cmdline").find(root + "/") != std::string::npos;
}

// SIGTERM, then SIGKILL after `grace`; our own children are reaped here.
bool StopPid(pid_t pid, std::chrono::milliseconds grace, bool child) {
  kill(pid, SIGTERM);
  auto deadline = Clock::now() + grace;
  auto gone = [&] {
    if (child) {
      int st;
      pid_t r = waitpid(pid, &st, WNOHANG);
      return r == pid || (r < 0 && errno == ECHILD);
    }
    return !Alive(pid) || ReadProc(pid, "stat").find(") Z ") != std::string::npos;
  };
  while (Clock::now() < deadline) {
    if (gone()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid, SIGKILL);
  auto hard = Clock::now() + std::chrono::seconds(5);
  while (Clock::now() < hard) {
    if (gone()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

void WriteFile(const fs::path& p, const std::string& content, mode_t mode) {
  std::ofstream out(p, std::ios::trunc);
  out << content;
  out.close();
  chmod(p.c_str(), mode);
}

std::string Tail(const fs::path& p, size_t max_bytes = 2000) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > max_bytes ? s.substr(s.size() - max_bytes) : s;
}

pid_t Spawn(const std::string& binary, const std::string& config, const fs::path& dir,
            const fs::path& out) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  // Child: own session, so a terminal's Ctrl-C reaches only `up`, which stops nodes in order.
  setsid();
  int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
  }
  if (null >= 0) dup2(null, STDIN_FILENO);
  if (chdir(dir.c_str()) != 0) _exit(126);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  execl(binary.c_str(), binary.c_str(), config.c_str(), static_cast<char*>(nullptr));
  std::fprintf(stderr, "exec %s: %s\n", binary.c_str(), std::strerror(errno));
  _exit(127);
}

// Ready: status is healthy and every Sentinel has found every replica and every other Sentinel.
bool FullyUp(const Topology& t, const ClusterStatus& s) {
  if (!s.problems.empty()) return false;
  auto n = static_cast<int64_t>(t.hosts.size());
  for (const SentinelView& v : s.sentinels) {
    if (v.replicas != n - 1 || v.other_sentinels != n - 1) return false;
  }
  return true;
}

void StopChildren(std::vector<Child>& children) {
  // Sentinels first (no failover while the servers go), then replicas, then the master.
  for (int pass = 0; pass < 2; ++pass) {
    for (auto it = children.rbegin(); it != children.rend(); ++it) {
      if (!it->running || it->sentinel != (pass == 0)) continue;
      StopPid(it->pid, std::chrono::seconds(10), true);
      it->running = false;
      std::printf("stopped %s (pid %d)\n", it->what.c_str(), it->pid);
    }
  }
}

// Reports children that exited since the last call.
void Reap(const Topology& t, std::vector<Child>& children, const fs::path& run) {
  for (Child& c : children) {
    if (!c.running) continue;
    int st = 0;
    if (waitpid(c.pid, &st, WNOHANG) != c.pid) continue;
    c.running = false;
    std::string how = WIFSIGNALED(st) ? fmt::format("killed by signal {}", WTERMSIG(st))
                                      : fmt::format("exited with status {}", WEXITSTATUS(st));
    std::printf("%s (pid %d) %s\n", c.what.c_str(), c.pid, how.c_str());
    if (!c.sentinel) {
      const Host& h = *t.FindHost(c.host);
      std::printf(
          "  Sentinels fail over after down-after (%lld ms); watch: tandem-deploy status "
          "--run-dir %s\n  restart it (it rejoins as a replica): %s %s --daemonize yes\n",
          static_cast<long long>(t.down_after_ms), run.c_str(), t.service.server_binary.c_str(),
          ServerConfigPath(t, h).c_str());
    }
    std::fflush(stdout);
  }
}

}  // namespace

std::string DefaultRunDir(const std::string& cluster_name) { return ".run/" + cluster_name; }

int Up(const UpOptions& o) {
  auto loaded = LoadTopology(o.topology);
  if (!loaded) {
    std::fprintf(stderr, "tandem-deploy: %s\n", loaded.error().c_str());
    return 2;
  }
  Topology t = std::move(*loaded);
  fs::path run = fs::absolute(o.run_dir.empty() ? DefaultRunDir(t.name) : o.run_dir);
  run = run.lexically_normal();
  if (run.string().back() == '/') run = run.parent_path();

  // The topology as it runs here: loopback addresses, run-directory paths, local binaries.
  t.local = true;
  t.file = fs::absolute(o.topology).lexically_normal().string();
  t.service.server_binary =
      FindBinary(o.server_binary, "TANDEM_SERVER", "../server/tandem-server", "tandem-server", "");
  t.service.sentinel_binary =
      FindBinary(o.sentinel_binary, "TANDEM_SENTINEL", "../sentinel/tandem-sentinel",
                 "tandem-sentinel", "/usr/bin/redis-sentinel");
  if (!Executable(t.service.server_binary)) {
    std::fprintf(stderr,
                 "tandem-deploy: no tandem-server found (build it, or pass --server-binary)\n");
    return 2;
  }
  if (!Executable(t.service.sentinel_binary)) {
    std::fprintf(stderr, "tandem-deploy: sentinel binary '%s' is not executable\n",
                 t.service.sentinel_binary.c_str());
    return 2;
  }
  if (t.service.sentinel_binary.ends_with("/redis-sentinel")) {
    std::printf(
        "note: using %s (stock Redis) for the Sentinels; pass --sentinel-binary to "
        "choose another\n",
        t.service.sentinel_binary.c_str());
  }
  t.paths = Paths{run.string(), run.string(), run.string(), run.string()};
  for (Host& h : t.hosts) {
    h.address = h.local_address;
    if (o.base_port) h.port = o.base_port;
    if (o.sentinel_port) h.sentinel_port = o.sentinel_port;
    fs::path dir = run / h.name;
    h.paths = Paths{dir.string(), dir.string(), (dir / "data").string(), dir.string()};
  }
  if (o.base_port) t.port = o.base_port;
  if (o.sentinel_port) t.sentinel_port = o.sentinel_port;

  // Refuse a run directory whose processes are still running.
  if (pid_t p = ReadPid(run / kSupervisorPid);
      Alive(p) && ReadProc(p, "cmdline").find("tandem-deploy") != std::string::npos) {
    std::fprintf(stderr,
                 "tandem-deploy: %s is in use by tandem-deploy up (pid %d); run "
                 "`tandem-deploy down --run-dir %s` first\n",
                 run.c_str(), p, run.c_str());
    return 1;
  }
  for (const Host& h : t.hosts) {
    for (const std::string& pidfile : {ServerPidPath(t, h), SentinelPidPath(t, h)}) {
      pid_t p = ReadPid(pidfile);
      if (BelongsToRunDir(p, run)) {
        std::fprintf(stderr,
                     "tandem-deploy: pid %d from %s is still running; run `tandem-deploy down "
                     "--run-dir %s` first\n",
                     p, pidfile.c_str(), run.c_str());
        return 1;
      }
    }
  }
  for (const Host& h : t.hosts) {
    for (int port : {h.port, h.sentinel_port}) {
      if (!PortFree(h.address, port)) {
        std::fprintf(stderr,
                     "tandem-deploy: %s:%d is in use (another cluster?); pick other ports with "
                     "--base-port/--sentinel-port\n",
                     h.address.c_str(), port);
        return 1;
      }
    }
  }

  std::error_code ec;
  fs::create_directories(run, ec);
  for (const Host& h : t.hosts) {
    fs::create_directories(h.paths.data, ec);
    if (ec) {
      std::fprintf(stderr, "tandem-deploy: mkdir %s: %s\n", h.paths.data.c_str(),
                   ec.message().c_str());
      return 1;
    }
    // Fresh configs every time: Sentinel state from an earlier run would name old masters.
    WriteFile(ServerConfigPath(t, h), RenderServerConfig(t, h), 0640);
    WriteFile(SentinelConfigPath(t, h), RenderSentinelConfig(t, h), 0640);
  }
  WriteFile(run / kResolvedTopology, ToToml(t), 0640);

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);
  if (!o.detach) WriteFile(run / kSupervisorPid, fmt::format("{}\n", getpid()), 0644);

  // Servers, master first; then the Sentinels.
  std::vector<Child> children;
  std::vector<const Host*> order{&t.MasterHost()};
  for (const Host& h : t.hosts) {
    if (h.name != t.master) order.push_back(&h);
  }
  for (int sentinel = 0; sentinel < 2; ++sentinel) {
    for (const Host* h : order) {
      Child c;
      c.host = h->name;
      c.sentinel = sentinel == 1;
      c.what = fmt::format("{} {}", h->name, c.sentinel ? "sentinel" : "server");
      fs::path dir = h->paths.config;
      c.pid = Spawn(c.sentinel ? t.service.sentinel_binary : t.service.server_binary,
                    c.sentinel ? SentinelConfigPath(t, *h) : ServerConfigPath(t, *h), dir,
                    dir / (c.sentinel ? "redis-sentinel.out" : "redis-cluster.out"));
      c.running = c.pid > 0;
      children.push_back(c);
    }
  }
  std::printf("started %zu processes for %s in %s; waiting up to %d s until healthy\n",
              children.size(), t.name.c_str(), run.c_str(), o.timeout_s);
  std::fflush(stdout);

  auto fail = [&](const std::string& why) {
    std::fprintf(stderr, "tandem-deploy: %s\n", why.c_str());
    StopChildren(children);
    fs::remove(run / kSupervisorPid, ec);
    return 1;
  };

  auto deadline = Clock::now() + std::chrono::seconds(o.timeout_s);
  ClusterStatus st;
  for (;;) {
    for (Child& c : children) {
      int s = 0;
      if (c.running && waitpid(c.pid, &s, WNOHANG) == c.pid) {
        c.running = false;
        fs::path dir = t.FindHost(c.host)->paths.config;
        std::string log = c.sentinel ? SentinelLogPath(t, *t.FindHost(c.host))
                                     : ServerLogPath(t, *t.FindHost(c.host));
        return fail(fmt::format(
            "{} exited during start-up (status {})\n--- {} ---\n{}\n--- {} ---\n{}", c.what, s,
            (dir / (c.sentinel ? "redis-sentinel.out" : "redis-cluster.out")).string(),
            Tail(dir / (c.sentinel ? "redis-sentinel.out" : "redis-cluster.out")), log, Tail(log)));
      }
    }
    if (g_stop) return fail("interrupted during start-up");
    st = GatherStatus(t, 500);
    if (FullyUp(t, st)) break;
    if (Clock::now() >= deadline) {
      return fail(fmt::format("not healthy after {} s:\n{}", o.timeout_s, FormatStatus(t, st)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }

  const Host& m = t.MasterHost();
  const Host& s0 = t.hosts[0];
  std::string self = fmt::format("{}/tandem-deploy", ExeDir());
  std::printf("\n%s", FormatStatus(t, st).c_str());
  std::printf(
      "\nConnect to the master:     redis-cli -h %s -p %d\n"
      "Ask a Sentinel the master: redis-cli -h %s -p %d sentinel get-master-addr-by-name %s\n"
      "Watch Sentinel events:     redis-cli -h %s -p %d psubscribe '*'\n"
      "Cluster status:            %s status --run-dir %s\n"
      "Watch a failover:          kill -9 $(cat %s)   # then run status again; after "
      "down-after (%lld ms)\n"
      "                           the Sentinels elect a leader and promote a replica "
      "(+switch-master)\n"
      "Logs and data:             %s/<host>/\n"
      "Stop everything:           %s\n",
      m.address.c_str(), m.port, s0.address.c_str(), s0.sentinel_port, t.name.c_str(),
      s0.address.c_str(), s0.sentinel_port, self.c_str(), run.c_str(), ServerPidPath(t, m).c_str(),
      static_cast<long long>(t.down_after_ms), run.c_str(),
      o.detach ? fmt::format("{} down --run-dir {}", self, run.string()).c_str()
               : fmt::format("Ctrl-C here, or {} down --run-dir {}", self, run.string()).c_str());
  std::fflush(stdout);
  if (o.detach) return 0;

  while (!g_stop) {
    Reap(t, children, run);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::printf("\nstopping %s\n", t.name.c_str());
  StopChildren(children);
  // Nodes restarted by hand since (they wrote their pid files again) go too.
  int rc = Down(run.string(), 15);
  fs::remove(run / kSupervisorPid, ec);
  return rc;
}

int Down(const std::string& run_dir, int timeout_s) {
  fs::path run = fs::absolute(run_dir).lexically_normal();
  if (run.string().size() > 1 && run.string().back() == '/') run = run.parent_path();
  std::error_code ec;
  if (!fs::is_directory(run, ec)) {
    std::fprintf(stderr, "tandem-deploy: %s is not a run directory\n", run.c_str());
    return 2;
  }
  // A running `up` stops its own children in order; give it the time to.
  if (pid_t p = ReadPid(run / kSupervisorPid);
      p != getpid() && Alive(p) &&
      ReadProc(p, "cmdline").find("tandem-deploy") != std::string::npos) {
    std::printf("stopping tandem-deploy up (pid %d)\n", p);
    if (!StopPid(p, std::chrono::seconds(timeout_s + 30), false)) {
      std::fprintf(stderr, "tandem-deploy: pid %d did not stop\n", p);
    }
  }
  // Then anything left with a pid file in the run directory: Sentinels first.
  int left = 0;
  for (const char* name : {"redis-sentinel.pid", "redis-cluster.pid"}) {
    for (const auto& entry : fs::directory_iterator(run, ec)) {
      fs::path pidfile = entry.path() / name;
      if (!entry.is_directory() || !fs::exists(pidfile)) continue;
      pid_t p = ReadPid(pidfile);
      if (!BelongsToRunDir(p, run)) continue;
      bool ok = StopPid(p, std::chrono::seconds(timeout_s), false);
      std::printf("%s pid %d (%s)\n", ok ? "stopped" : "could not stop", p, pidfile.c_str());
      if (!ok) ++left;
    }
  }
  fs::remove(run / kSupervisorPid, ec);
  if (left == 0) std::printf("nothing of %s is running\n", run.c_str());
  return left == 0 ? 0 : 1;
}

}  // namespace tandem::deploy
