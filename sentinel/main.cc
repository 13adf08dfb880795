// tandem-sentinel: start-up as `redis-sentinel /path/sentinel.conf [--directive value ...]` does
// it. The config file must exist and be writable (Sentinel persists its state there); it is made
// absolute before `dir` changes the working directory.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "config/log.h"
#include "config/process.h"
#include "config/schema.h"
#include "sentinel/config_file.h"
#include "sentinel/sentinel.h"

namespace config = tandem::config;
namespace sn = tandem::sentinel;

namespace {}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "-v" || args[0] == "--version")) {
    std::printf("Redis server v=%s sha=00000000:0 malloc=libc bits=%zu build=tandem-sentinel\n",
                std::string(sn::kRedisVersion).c_str(), sizeof(void*) * 8);
    return 0;
  }
  if (!args.empty() && (args[0] == "-h" || args[0] == "--help")) {
    std::fprintf(stderr,
                 "Usage: ./tandem-sentinel /path/to/sentinel.conf [options]\n"
                 "       ./tandem-sentinel -v or --version\n"
                 "       ./tandem-sentinel -h or --help\n\n"
                 "Examples:\n"
                 "       ./tandem-sentinel /etc/redis-cluster/sentinel.conf\n"
                 "       ./tandem-sentinel /etc/sentinel.conf --port 26389 --loglevel verbose\n");
    return 0;
  }
  std::signal(SIGPIPE, SIG_IGN);
  config::SetLogRole('X');

  config::CommandLine cl = config::ParseCommandLine(args);
  std::string config_file;
  if (!cl.config_file.empty()) {
    char* real = realpath(cl.config_file.c_str(), nullptr);
    config_file = real ? real : cl.config_file;
    std::free(real);
  }
  auto text = config::ReadConfigText(cl, stdin);
  if (!text) {
    config::Log(config::Level::kWarning, "{}", text.error().reason);
    return 1;
  }
  sn::ServerOptions opts;
  config::Schema schema;
  sn::RegisterServerOptions(schema, opts);
  sn::GlobalState g;
  auto loaded = sn::LoadConfigText(*text, schema, g);
  if (!loaded) {
    std::fputs(loaded.error().Format(sn::kRedisVersion).c_str(), stderr);
    return 1;
  }
  config::SetLogFile(opts.logfile);
  config::SetLogLevel(static_cast<config::Level>(opts.loglevel));

  // sentinelCheckConfigFile
  if (config_file.empty() || cl.config_from_stdin) {
    config::Log(config::Level::kWarning,
                "Sentinel needs config file on disk to save state. Exiting...");
    return 1;
  }
  if (access(config_file.c_str(), W_OK) == -1) {
    config::Log(config::Level::kWarning, "Sentinel config file {} is not writable: {}. Exiting...",
                config_file, std::strerror(errno));
    return 1;
  }

  bool supervised = false;
  if (opts.supervised == 2 || (opts.supervised == 3 && std::getenv("NOTIFY_SOCKET"))) {
    supervised = std::getenv("NOTIFY_SOCKET") != nullptr;
  }
  if (opts.daemonize && !supervised) config::Daemonize();
  config::Log(config::Level::kWarning, "oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo");
  config::Log(config::Level::kWarning,
              "Redis version={}, bits={}, commit=00000000, modified=0, pid={}, just started "
              "(tandem-sentinel)",
              sn::kRedisVersion, sizeof(void*) * 8, static_cast<int>(getpid()));
  config::Log(config::Level::kWarning, "Configuration loaded");
  for (const std::string& w : g.load_warnings) config::Log(config::Level::kWarning, "{}", w);
  config::WritePidFile(opts.pidfile);

  uv_loop_t loop;
  uv_loop_init(&loop);
  int rc = 0;
  {
    sn::Sentinel sentinel(&loop, config_file, opts, std::move(g));
    std::string err = sentinel.Start();
    if (!err.empty()) {
      config::Log(config::Level::kWarning, "{}", err);
      config::Log(config::Level::kWarning, "Failed listening on port {} (TCP), aborting.",
                  opts.port);
      return 1;
    }
    if (supervised) config::NotifySystemd("STATUS=Ready to accept connections\nREADY=1\n");
    rc = sentinel.Run();
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  return rc;
}
