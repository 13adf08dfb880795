// tandem-server: start-up as redis-server does it. Parse the command line and config file, set up
// logging, daemonize, write the pid file, tell systemd we are ready, and run the loop.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/stat.h>
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
#include "server/server.h"
#include "server/server_config.h"

namespace config = tandem::config;

namespace {

void PrintVersion() {
  // The first words are redis-server's, so scripts that parse `redis-server --version` keep
  // working; build= names tandem.
  std::printf("Redis server v=%s sha=00000000:0 malloc=libc bits=%zu build=tandem-%s\n",
              std::string(tandem::server::kRedisVersion).c_str(), sizeof(void*) * 8,
              std::string(tandem::server::kTandemVersion).c_str());
}

void PrintUsage() {
  std::fprintf(stderr,
               "Usage: ./tandem-server [/path/to/redis.conf] [options] [-]\n"
               "       ./tandem-server - (read config from stdin)\n"
               "       ./tandem-server -v or --version\n"
               "       ./tandem-server -h or --help\n\n"
               "Examples:\n"
               "       ./tandem-server (run the server with default config)\n"
               "       ./tandem-server /etc/redis-cluster/redis-cluster.conf\n"
               "       ./tandem-server --port 7777\n"
               "       ./tandem-server --port 7777 --replicaof 127.0.0.1 8888\n"
               "       ./tandem-server /etc/myredis.conf --loglevel verbose -\n"
               "       ./tandem-server /etc/myredis.conf --loglevel verbose\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "-v" || args[0] == "--version")) {
    PrintVersion();
    return 0;
  }
  if (!args.empty() && (args[0] == "-h" || args[0] == "--help")) {
    PrintUsage();
    return 0;
  }
  std::signal(SIGPIPE, SIG_IGN);

  tandem::server::ServerConfig cfg;
  tandem::config::Schema schema;
  tandem::server::RegisterServerOptions(schema, cfg);

  tandem::config::CommandLine cl = tandem::config::ParseCommandLine(args);
  std::string config_file;
  if (!cl.config_file.empty()) {
    char* real = realpath(cl.config_file.c_str(), nullptr);
    config_file = real ? real : cl.config_file;
    std::free(real);
  }
  auto text = tandem::config::ReadConfigText(cl, stdin);
  if (!text) {
    std::fputs(text.error().Format(tandem::server::kRedisVersion).c_str(), stderr);
    return 1;
  }
  auto loaded = schema.LoadFromString(*text);
  if (!loaded) {
    std::fputs(loaded.error().Format(tandem::server::kRedisVersion).c_str(), stderr);
    return 1;
  }

  using tandem::server::Supervised;
  config::SetLogFile(cfg.logfile);
  config::SetLogLevel(static_cast<config::Level>(static_cast<int>(cfg.loglevel)));
  config::SetLogRole('M');
  bool supervised = false;
  if (cfg.supervised == Supervised::kSystemd ||
      (cfg.supervised == Supervised::kAuto && std::getenv("NOTIFY_SOCKET") != nullptr)) {
    supervised = std::getenv("NOTIFY_SOCKET") != nullptr;
    if (!supervised) {
      tandem::config::LogMessage(
          config::Level::kWarning,
          "systemd supervision requested or auto-detected, but NOTIFY_SOCKET "
          "environment variable is not set");
    }
  }

  // Under systemd (Type=notify) the process must stay in the foreground.
  if (cfg.daemonize && !supervised) config::Daemonize();
  tandem::config::LogMessage(config::Level::kWarning,
                             "oO0OoO0OoO0Oo tandem is starting oO0OoO0OoO0Oo");
  tandem::config::LogMessage(
      config::Level::kWarning,
      fmt::format("tandem version={} (Redis {} compatible), bits={}, pid={}, "
                  "just started",
                  tandem::server::kTandemVersion, tandem::server::kRedisVersion, sizeof(void*) * 8,
                  getpid()));
  if (config_file.empty() && !cl.config_from_stdin) {
    tandem::config::LogMessage(
        config::Level::kWarning,
        "Warning: no config file specified, using the default config. In order "
        "to specify a config file use tandem-server /path/to/redis.conf");
  } else {
    tandem::config::LogMessage(config::Level::kWarning, "Configuration loaded");
  }
  for (const std::string& name : schema.NotActedOn(/*only_changed=*/true)) {
    tandem::config::LogMessage(
        config::Level::kNotice,
        fmt::format("Config '{}' is accepted and kept, but tandem does not act "
                    "on it yet",
                    name));
  }

  if (!cfg.dir.empty() && chdir(cfg.dir.c_str()) != 0) {
    tandem::config::LogMessage(config::Level::kWarning, fmt::format("Can't chdir to '{}': {}",
                                                                    cfg.dir, std::strerror(errno)));
    return 1;
  }

  // As Redis's initServer: maxclients shrinks to what `ulimit -n` allows (CONFIG GET shows it).
  cfg.maxclients = tandem::server::AdjustOpenFilesLimit(cfg.maxclients);
  if (cfg.maxclients == 0) return 1;
  tandem::server::Server server(cfg, schema, config_file, std::string(argv[0]));
  server.set_supervised(supervised);
  if (std::string acl_err = server.LoadAclsAtStartup(); !acl_err.empty()) {
    tandem::config::LogMessage(config::Level::kWarning, acl_err);
    if (cfg.aclfile.empty() || cfg.users.empty()) {
      tandem::config::LogMessage(config::Level::kWarning,
                                 "Critical error while loading ACLs. Exiting.");
    }
    return 1;
  }
  std::string err = server.Start();
  if (!err.empty()) {
    tandem::config::LogMessage(config::Level::kWarning, "Warning: " + err);
    tandem::config::LogMessage(
        config::Level::kWarning,
        "Failed listening on port " + std::to_string(cfg.port) + " (TCP), aborting.");
    return 1;
  }
  if (cfg.daemonize || !cfg.pidfile.empty()) config::WritePidFile(cfg.pidfile);
  tandem::config::LogMessage(config::Level::kNotice,
                             fmt::format("Server initialized, listening on port {}", cfg.port));
  tandem::config::LogMessage(config::Level::kNotice, "Ready to accept connections");
  if (supervised) {
    config::NotifySystemd("STATUS=Ready to accept connections\n");
    config::NotifySystemd("READY=1\n");
  }
  int rc = server.Run();
  if (supervised) config::NotifySystemd("STOPPING=1\n");
  return rc;
}
