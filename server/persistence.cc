#include "server/persistence.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "config/log.h"
#include "config/process.h"
#include "server/replication.h"
#include "server/server.h"
#include "storage/rdb.h"

namespace tandem::server {

namespace {

using config::Level;
using config::LogMessage;

storage::rdb::EncodingLimits LimitsFrom(const ServerConfig& cfg) {
  storage::rdb::EncodingLimits l;
  l.hash_max_listpack_entries = static_cast<size_t>(cfg.hash_max_listpack_entries);
  l.hash_max_listpack_value = static_cast<size_t>(cfg.hash_max_listpack_value);
  l.zset_max_listpack_entries = static_cast<size_t>(cfg.zset_max_listpack_entries);
  l.zset_max_listpack_value = static_cast<size_t>(cfg.zset_max_listpack_value);
  l.set_max_intset_entries = static_cast<size_t>(cfg.set_max_intset_entries);
  return l;
}

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

std::string Persistence::RdbPath() const {
  const ServerConfig& cfg = server_.config();
  return cfg.dir + "/" + cfg.dbfilename;
}

std::string Persistence::LoadAtStart() {
  lastsave_s_ = storage::SystemClockMs() / 1000;
  const std::string path = RdbPath();
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  auto t0 = std::chrono::steady_clock::now();
  storage::rdb::LoadOptions opt;
  opt.limits = LimitsFrom(server_.config());
  opt.now_ms = storage::SystemClockMs();
  opt.drop_expired = server_.config().replicaof_host.empty();
  opt.progress = [this](size_t consumed) { server_.LoadingProgress(consumed); };
  opt.progress_bytes = 1024;  // the server decides when to turn the loop
  opt.key_load_delay = server_.config().key_load_delay;
  auto res = storage::rdb::LoadFile(path, server_.keyspace(), opt);
  if (!res) {
    return fmt::format(
        "Short read or OOM loading DB. Unrecoverable error, aborting now. ({} at "
        "offset {} of {}; check it with tandem-check-rdb)",
        res.error().what, res.error().offset, path);
  }
  last_load_keys = res->keys;
  last_load_expired = res->expired_skipped;
  LogMessage(Level::kNotice, fmt::format("Done loading RDB, keys loaded: {}, keys expired: {}.",
                                         res->keys, res->expired_skipped));
  LogMessage(Level::kNotice, fmt::format("DB loaded from disk: {:.3f} seconds", SecondsSince(t0)));
  // A replica restarted from its RDB continues the stream it had applied (PSYNC from
  // persisted replication info).
  if (!server_.config().replicaof_host.empty() && !res->aux.repl_id.empty() &&
      res->aux.repl_offset >= 0) {
    server_.replication().RestoreFromPersisted(res->aux.repl_id, res->aux.repl_offset);
    LogMessage(Level::kNotice, fmt::format("RDB has replication info: id {} offset {}",
                                           res->aux.repl_id, res->aux.repl_offset));
  } else if (server_.config().replicaof_host.empty() && !res->aux.repl_id.empty() &&
             res->aux.repl_offset >= 0 && res->aux.repl_stream_db >= 0) {
    server_.replication().RestoreAsMasterFromPersisted(res->aux.repl_id, res->aux.repl_offset);
  }
  return {};
}

template <typename LoadFn>
std::string Persistence::LoadForReplication(LoadFn&& load) {
  auto t0 = std::chrono::steady_clock::now();
  storage::rdb::LoadOptions opt;
  opt.limits = LimitsFrom(server_.config());
  opt.now_ms = storage::SystemClockMs();
  opt.drop_expired = false;  // the master sends DEL for what expires
  server_.set_mute_new_key_events(true);
  auto res = load(opt);
  server_.set_mute_new_key_events(false);
  if (!res) return fmt::format("{} at offset {}", res.error().what, res.error().offset);
  last_load_keys = res->keys;
  last_load_expired = res->expired_skipped;
  LogMessage(Level::kNotice,
             fmt::format("Done loading RDB, keys loaded: {}, keys expired: {}. ({:.3f} seconds)",
                         res->keys, res->expired_skipped, SecondsSince(t0)));
  return {};
}

std::string Persistence::LoadRdbForReplication(const std::string& path) {
  return LoadForReplication([&](const storage::rdb::LoadOptions& opt) {
    return storage::rdb::LoadFile(path, server_.keyspace(), opt);
  });
}

std::string Persistence::LoadRdbForReplication(std::string_view payload, storage::Keyspace& into) {
  return LoadForReplication(
      [&](const storage::rdb::LoadOptions& opt) { return storage::rdb::Load(payload, into, opt); });
}

// The snapshot's options: compression and checksum per config, plus the replication id and
// offset so a restarted replica (or master) can resume partially.
static storage::rdb::SaveOptions SaveOptionsFor(Server& server) {
  storage::rdb::SaveOptions o;
  o.compression = server.config().rdbcompression;
  o.checksum = server.config().rdbchecksum;
  o.repl_id = server.replication().replid();
  o.repl_offset = server.replication().offset();
  o.repl_stream_db = std::max(0, server.replication().stream_db());
  o.now_ms = storage::SystemClockMs();
  o.used_mem = UsedMemory();
  o.autosync_bytes = server.config().rdb_save_incremental_fsync ? storage::rdb::kAutosyncBytes : 0;
  return o;
}

std::string Persistence::SaveNow() {
  auto r = storage::rdb::SaveToFile(server_.keyspace(), SaveOptionsFor(server_), RdbPath());
  return r ? std::string() : r.error();
}

std::expected<void, std::string> Persistence::Save() {
  if (child_running()) return std::unexpected("ERR Background save already in progress");
  std::string err = SaveNow();
  if (!err.empty()) {
    LogMessage(Level::kWarning, fmt::format("Failed saving the DB: {}", err));
    last_bgsave_ok_ = false;
    return std::unexpected("ERR");
  }
  LogMessage(Level::kNotice, "DB saved on disk");
  lastsave_s_ = storage::SystemClockMs() / 1000;
  last_bgsave_ok_ = true;
  server_.reset_dirty();
  ++rdb_saves;
  return {};
}

std::expected<void, std::string> Persistence::BgSave() { return Fork(false); }

std::expected<void, std::string> Persistence::BgSaveForReplication() { return Fork(true); }

std::expected<void, std::string> Persistence::BgSaveToPipe(int fd) { return Fork(true, fd); }

std::expected<void, std::string> Persistence::Fork(bool for_replication, int pipe_fd) {
  if (child_running()) return std::unexpected("Background save already in progress");
  if (server_.aof().rewrite_in_progress()) {
    return std::unexpected("Background append only file rewriting in progress");
  }
  storage::rdb::SaveOptions opt = SaveOptionsFor(server_);
  const std::string path = RdbPath();
  last_bgsave_try_s_ = storage::SystemClockMs() / 1000;
  pid_t pid = ::fork();
  if (pid < 0) {
    last_bgsave_ok_ = false;
    return std::unexpected(fmt::format("Can't save in background: fork: {}", strerror(errno)));
  }
  if (pid == 0) {
    // Child: write the snapshot of the memory it inherited and leave without running any
    // destructor or loop callback of the parent's.
    config::SetLogRole('C');
    config::CloseInheritedFds(pipe_fd);
    if (pipe_fd >= 0) {
      storage::rdb::FileSink sink(pipe_fd);
      auto r = storage::rdb::Save(server_.keyspace(), opt, sink);
      bool ok = r.has_value() && sink.Flush();
      ::_exit(ok ? 0 : 1);
    }
    auto r = storage::rdb::SaveToFile(server_.keyspace(), opt, path);
    if (!r) {
      LogMessage(Level::kWarning, fmt::format("Failed saving the DB: {}", r.error()));
      ::_exit(1);
    }
    LogMessage(Level::kNotice, "DB saved on disk");
    ::_exit(0);
  }
  if (pipe_fd >= 0) ::close(pipe_fd);  // the child holds the write end
  child_pid_ = pid;
  child_for_replication_ = for_replication;
  child_to_pipe_ = pipe_fd >= 0;
  child_start_ms_ = storage::SystemClockMs();
  dirty_at_fork_ = server_.dirty();
  LogMessage(Level::kNotice, fmt::format("Background saving started by pid {}", pid));
  return {};
}

void Persistence::KillChild() {
  if (!child_running()) return;
  ::kill(child_pid_, SIGUSR1);
  int status = 0;
  ::waitpid(child_pid_, &status, 0);
  // SaveToFile writes <dir>/temp-<child pid>.rdb before renaming: remove what it left.
  ::unlink(fmt::format("{}/temp-{}.rdb", server_.config().dir, child_pid_).c_str());
  child_pid_ = -1;
}

void Persistence::Cron(int64_t now_ms) {
  if (child_running()) {
    int status = 0;
    pid_t r = ::waitpid(child_pid_, &status, WNOHANG);
    if (r == child_pid_) {
      bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
      child_pid_ = -1;
      last_bgsave_secs_ = (now_ms - child_start_ms_) / 1000;
      if (ok && child_to_pipe_) {
        LogMessage(Level::kNotice, "Background RDB transfer terminated with success");
      } else if (ok) {
        LogMessage(Level::kNotice, "Background saving terminated with success");
        lastsave_s_ = now_ms / 1000;
        server_.reset_dirty(dirty_at_fork_);
        ++rdb_saves;
      } else {
        LogMessage(Level::kWarning, "Background saving error");
      }
      if (child_to_pipe_) {
        // A diskless transfer: the stream itself tells the replicas when it ends; only a failed
        // child matters here. The dataset on disk did not change.
        child_to_pipe_ = false;
        server_.replication().OnDisklessChildDone(ok);
        return;
      }
      last_bgsave_ok_ = ok;
      // Replicas waiting for a snapshot use whichever one just finished.
      server_.replication().OnBgsaveDone(ok, RdbPath());
    }
    return;
  }
  // Save points: "save <seconds> <changes>"; after a failure, retry no sooner than 5 s
  // (CONFIG_BGSAVE_RETRY_DELAY).
  const ServerConfig& cfg = server_.config();
  for (const SavePoint& sp : cfg.save) {
    if (server_.dirty() >= static_cast<uint64_t>(sp.changes) &&
        now_ms / 1000 - lastsave_s_ > sp.seconds &&
        (last_bgsave_ok_ || now_ms / 1000 - last_bgsave_try_s_ > 5)) {
      LogMessage(Level::kNotice,
                 fmt::format("{} changes in {} seconds. Saving...", sp.changes, sp.seconds));
      (void)BgSave();
      break;
    }
  }
}

bool Persistence::WritesRefused() const {
  const ServerConfig& cfg = server_.config();
  return cfg.stop_writes_on_bgsave_error && !cfg.save.empty() && !last_bgsave_ok_;
}

void Persistence::AppendInfo(std::string& out, int64_t now_ms) const {
  auto field = [&](std::string_view k, const auto& v) { out += fmt::format("{}:{}\r\n", k, v); };
  field("rdb_changes_since_last_save", server_.dirty());
  field("rdb_bgsave_in_progress", child_running() ? 1 : 0);
  field("rdb_last_save_time", lastsave_s_);
  field("rdb_last_bgsave_status", last_bgsave_ok_ ? "ok" : "err");
  field("rdb_last_bgsave_time_sec", last_bgsave_secs_);
  field("rdb_current_bgsave_time_sec",
        child_running() ? (now_ms - child_start_ms_) / 1000 : static_cast<int64_t>(-1));
  field("rdb_saves", rdb_saves);
  field("rdb_last_cow_size", 0);
  field("rdb_last_load_keys_expired", last_load_expired);
  field("rdb_last_load_keys_loaded", last_load_keys);
}

}  // namespace tandem::server
