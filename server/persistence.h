// RDB persistence on the server side (rdb.c's rdbSave/rdbSaveBackground/rdbLoad callers,
// serverCron's save points and child reaping). The codec lives in storage/rdb.h; this file owns
// when to save, the fork, and what the server learns from a load.
//
// BGSAVE forks: the child writes the snapshot with storage::rdb::SaveToFile (temp file, fsync,
// rename) and exits; the parent never waits on it, it polls waitpid(WNOHANG) from the cron, as
// Redis's checkChildrenDone does.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace tandem::storage {
class Keyspace;
}  // namespace tandem::storage

namespace tandem::server {

class Server;

class Persistence {
 public:
  explicit Persistence(Server& server) : server_(server) {}

  // Start-up: loads the RDB at dir/dbfilename when present (AOF arrives separately). Returns an
  // error message when the file exists but cannot be loaded (the server must not start).
  std::string LoadAtStart();
  // A replica's full sync: loads `path` keeping logically expired keys (the master expires).
  std::string LoadRdbForReplication(const std::string& path);
  // repl-diskless-load: the payload received in memory, into `into` (the live keyspace, or a
  // separate one with swapdb).
  std::string LoadRdbForReplication(std::string_view payload, storage::Keyspace& into);

  // SAVE.
  std::expected<void, std::string> Save();
  // BGSAVE / save points. Fails when a child is running.
  std::expected<void, std::string> BgSave();
  // BGSAVE whose result replicas wait for (also tells Replication when it is done).
  std::expected<void, std::string> BgSaveForReplication();
  // Diskless sync: the child writes the RDB into `fd` (a pipe's write end, closed here after the
  // fork) instead of a file.
  std::expected<void, std::string> BgSaveToPipe(int fd);
  bool child_running() const { return child_pid_ > 0; }
  // Reaps the child; runs save points.
  void Cron(int64_t now_ms);
  // SHUTDOWN: kills a running child and removes its temp file.
  void KillChild();

  std::string RdbPath() const;
  int64_t lastsave_s() const { return lastsave_s_; }
  bool last_bgsave_ok() const { return last_bgsave_ok_; }
  // stop-writes-on-bgsave-error: writes are refused with -MISCONF.
  bool WritesRefused() const;
  void AppendInfo(std::string& out, int64_t now_ms) const;

  uint64_t rdb_saves = 0;
  uint64_t last_load_keys = 0;
  uint64_t last_load_expired = 0;

 private:
  template <typename LoadFn>
  std::string LoadForReplication(LoadFn&& load);
  std::expected<void, std::string> Fork(bool for_replication, int pipe_fd = -1);
  std::string SaveNow();

  Server& server_;
  pid_t child_pid_ = -1;
  bool child_for_replication_ = false;
  bool child_to_pipe_ = false;
  int64_t child_start_ms_ = 0;
  uint64_t dirty_at_fork_ = 0;
  int64_t lastsave_s_ = 0;
  int64_t last_bgsave_try_s_ = 0;
  bool last_bgsave_ok_ = true;
  int64_t last_bgsave_secs_ = -1;
};

}  // namespace tandem::server
