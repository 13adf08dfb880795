// The append-only file as Redis 7.0 keeps it (aof.c): a directory (appenddirname) holding a
// base file, incremental files and a manifest naming them in order.
//
// Durability contract: every command that changed the dataset is appended to the AOF buffer
// while it runs; BeforeSleep writes the buffer to the current incremental file before any reply
// of this loop iteration is flushed, so a client never sees a reply for a write that is not at
// least in the kernel's page cache. With appendfsync always the file is fdatasync'ed in the same
// step (a failed write or fsync stops the server, as Redis does, because acknowledged data would
// otherwise be lost); with everysec a background thread fdatasyncs once a second, so the loop
// never waits on the disk; with no the kernel decides. With no-appendfsync-on-rewrite yes, while
// a rewrite or BGSAVE child runs, writes still reach the file before replies leave but the fsync
// (always and everysec) waits until the child has ended, as Redis 7.0 does.
//
// Rewrite (BGREWRITEAOF): the buffer is flushed, a new incremental file is opened and recorded
// in the manifest, then a forked child writes the dataset as the new base: an RDB
// (<appendfilename>.<seq>.base.rdb), or with aof-use-rdb-preamble no the commands that rebuild
// it (<appendfilename>.<seq>.base.aof, storage/aof_rewrite.h). When the child succeeds the manifest
// is switched to {new base, new incremental} and the old files are deleted; a crash at any point
// leaves a manifest that loads the complete dataset.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <expected>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "storage/aof.h"

namespace tandem::server {

class Server;

class Aof {
 public:
  explicit Aof(Server& server);
  ~Aof();
  Aof(const Aof&) = delete;
  Aof& operator=(const Aof&) = delete;

  bool enabled() const { return fd_ >= 0; }
  // Start-up with appendonly yes: loads the manifest's files (or a pre-7.0 single file, which is
  // moved into the directory as the base) and opens the last incremental file for appending.
  // Returns an error message when the server must not start. `loaded` tells whether any AOF
  // existed (if not, the dataset starts empty and a base is written).
  std::string LoadAtStart(bool& loaded);
  // CONFIG SET appendonly yes / no.
  std::expected<void, std::string> Enable();
  void Disable();

  void Feed(int db, std::span<const std::string_view> argv);
  void BeforeSleep();
  void Cron(int64_t now_ms);
  // Final write and fsync on shutdown.
  void FlushForShutdown();
  // Stops a running rewrite and removes its temporary files (shutdown, appendonly no).
  void KillChild();

  std::expected<void, std::string> StartRewrite();
  // After a full sync replaced the dataset (Redis 7.0's restartAOFAfterSYNC): new writes go to a
  // fresh incremental file and a rewrite of the new dataset starts (retried every second until it
  // succeeds). Until it finishes the manifest on disk keeps naming the old files, so a crash in
  // between reloads the old dataset whole, never old data mixed with the new stream.
  void RestartAfterSync();
  bool rebase_pending() const { return rebase_pending_; }
  bool rewrite_in_progress() const { return child_pid_ > 0; }
  bool rewrite_scheduled() const { return rewrite_scheduled_; }
  void ScheduleRewrite() { rewrite_scheduled_ = true; }
  // A write error since the last successful write: writes are refused with -MISCONF.
  bool write_failed() const { return write_failed_; }
  std::string WriteErrorMessage() const;
  void AppendInfo(std::string& out, int64_t now_ms) const;

 private:
  std::string DirPath() const;
  std::string PathOf(const std::string& name) const;
  std::string LoadFile(const std::string& name, bool last, bool& truncated_fixed);
  std::expected<void, std::string> WriteManifest(const storage::aof::Manifest& m);
  std::expected<void, std::string> OpenIncr(int64_t seq);
  std::expected<void, std::string> CreateFresh();
  bool WriteBuffer();
  // no-appendfsync-on-rewrite is set and a fork child (rewrite or BGSAVE) is running.
  bool FsyncPostponed() const;
  // appendfsync always: fdatasync now; a failure stops the server (see the contract above).
  void FsyncOrExit();
  void FsyncInBackground();
  void FsyncThread();
  void FinishRewrite(bool ok);
  void AnnotateReplication();
  void OnAnnotation(std::string_view text);
  bool OpenRebaseIncr();

  Server& server_;
  storage::aof::Manifest manifest_;
  int fd_ = -1;  // current incremental file
  std::string buf_;
  int cur_db_ = -1;
  int64_t base_size_ = 0;
  int64_t current_size_ = 0;  // base + incremental bytes
  int64_t last_fsync_ms_ = 0;
  bool unsynced_ = false;
  bool write_failed_ = false;
  int write_errno_ = 0;
  // rewrite
  pid_t child_pid_ = -1;
  int64_t rewrite_start_ms_ = 0;
  std::string rewrite_temp_;
  int64_t new_incr_seq_ = 0;
  bool rewrite_rdb_preamble_ = true;  // the form the running (or last) rewrite child writes
  bool rewrite_scheduled_ = false;
  static constexpr std::string_view kReplAnnotation = "tandem-repl";
  std::string annotated_id_;  // last annotation written
  int64_t annotated_offset_ = -1;
  std::string loaded_repl_id_;  // while loading: the stream position the data reflects, if known
  int64_t loaded_repl_offset_ = -1;
  bool rebase_pending_ = false;    // RestartAfterSync: the manifest on disk names the old dataset
  bool rebase_incr_open_ = false;  // ... and the incremental file after the new one is open
  bool last_rewrite_ok_ = true;
  int64_t last_rewrite_secs_ = -1;
  uint64_t rewrites_ = 0;
  uint64_t consecutive_failures_ = 0;
  int64_t last_rewrite_try_ms_ = 0;
  // everysec fsync thread: fsyncs a dup of the fd it was handed.
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  int fsync_fd_ = -1;  // job for the thread, -1 = none
  bool fsync_running_ = false;
  bool stop_ = false;
  int fsync_errno_ = 0;  // reported by the thread
};

}  // namespace tandem::server
