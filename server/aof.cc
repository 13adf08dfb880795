#include "server/aof.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "config/args.h"
#include "config/log.h"
#include "config/process.h"
#include "resp/value.h"
#include "server/arg_cursor.h"
#include "server/server.h"
#include "storage/aof_rewrite.h"
#include "storage/file_io.h"
#include "storage/rdb.h"
#include "storage/value.h"

namespace tandem::server {

namespace aof = storage::aof;
using config::Level;
using config::LogMessage;

namespace {

int64_t FileSize(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

void FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    (void)::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

Aof::Aof(Server& server) : server_(server) {}

Aof::~Aof() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) ::close(fd_);
}

std::string Aof::DirPath() const {
  const ServerConfig& cfg = server_.config();
  return cfg.dir + "/" + cfg.appenddirname;
}

std::string Aof::PathOf(const std::string& name) const { return DirPath() + "/" + name; }

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

std::string Aof::LoadFile(const std::string& name, bool last, bool& truncated_fixed) {
  const std::string path = PathOf(name);
  storage::MappedFile file;
  if (!file.open(path)) {
    return fmt::format("Fatal error: can't open the append log file {} for reading: {}", name,
                       strerror(errno));
  }
  const std::string_view data = file.data();
  std::string_view rest = data;
  if (aof::HasRdbPreamble(rest)) {
    storage::rdb::LoadOptions opt;
    opt.now_ms = storage::SystemClockMs();
    opt.drop_expired = false;  // the commands after it may refer to them; expiry runs later
    opt.progress = [this](size_t consumed) { server_.LoadingProgress(consumed); };
    opt.progress_bytes = 1024;  // the server decides when to turn the loop
    const ServerConfig& cfg = server_.config();
    opt.key_load_delay = cfg.key_load_delay;
    opt.limits.hash_max_listpack_entries = static_cast<size_t>(cfg.hash_max_listpack_entries);
    opt.limits.hash_max_listpack_value = static_cast<size_t>(cfg.hash_max_listpack_value);
    opt.limits.zset_max_listpack_entries = static_cast<size_t>(cfg.zset_max_listpack_entries);
    opt.limits.zset_max_listpack_value = static_cast<size_t>(cfg.zset_max_listpack_value);
    opt.limits.set_max_intset_entries = static_cast<size_t>(cfg.set_max_intset_entries);
    auto res = storage::rdb::Load(rest, server_.keyspace(), opt);
    if (!res) {
      return fmt::format(
          "Bad file format reading the append only file {}: the RDB preamble is "
          "corrupt at offset {} ({}). Make a backup of your AOF file, then use "
          "tandem-check-aof --fix <filename.manifest>",
          name, res.error().offset, res.error().what);
    }
    LogMessage(Level::kNotice,
               fmt::format("Reading RDB base file on AOF loading... ({} keys)", res->keys));
    rest = rest.substr(res->bytes);
    if (res->aux.repl_id.size() == 40 && res->aux.repl_offset >= 0) {
      loaded_repl_id_ = res->aux.repl_id;
      loaded_repl_offset_ = res->aux.repl_offset;
    }
  }
  const size_t preamble = data.size() - rest.size();
  std::string err;
  aof::ScanResult r = aof::Scan(
      rest,
      [&](std::span<const std::string_view> args) {
        // A write after the last annotation: the applied offset is no longer known.
        if (!(args.size() == 2 && EqualsIgnoreCase(args[0], "select"))) loaded_repl_id_.clear();
        if (err.empty()) server_.LoadCommand(args, err);
      },
      [&](std::string_view text) { OnAnnotation(text); });
  if (!err.empty()) {
    return fmt::format("{} reading the append only file {}", err, name);
  }
  if (r.corrupt) {
    return fmt::format(
        "Bad file format reading the append only file {} at offset {}: {}. Make "
        "a backup of your AOF file, then use tandem-check-aof --fix "
        "<filename.manifest>",
        name, preamble + r.valid_bytes, r.error);
  }
  if (r.truncated) {
    // Only the newest file can end mid-command (a crash while appending).
    if (!last || !server_.config().aof_load_truncated) {
      return fmt::format(
          "Unexpected end of file reading the append only file {} (offset {}). "
          "You can: 1) Make a backup of your AOF file, then use tandem-check-aof "
          "--fix <filename.manifest>. 2) Alternatively you can set the "
          "'aof-load-truncated' configuration option to yes and restart the "
          "server.",
          name, preamble + r.valid_bytes);
    }
    LogMessage(Level::kWarning,
               fmt::format("!!! Warning: short read while loading the AOF file {}!!!", name));
    LogMessage(Level::kWarning, fmt::format("!!! Truncating the AOF {} at offset {} !!!", name,
                                            preamble + r.valid_bytes));
    if (::truncate(path.c_str(), static_cast<off_t>(preamble + r.valid_bytes)) != 0) {
      return fmt::format("Error truncating the AOF file {}: {}", name, strerror(errno));
    }
    LogMessage(Level::kWarning, "AOF loaded anyway because aof-load-truncated is enabled");
    truncated_fixed = true;
  }
  return {};
}

std::string Aof::LoadAtStart(bool& loaded) {
  loaded = false;
  const ServerConfig& cfg = server_.config();
  const std::string dir = DirPath();
  const std::string manifest_path = PathOf(aof::ManifestName(cfg.appendfilename));
  const std::string legacy = cfg.dir + "/" + cfg.appendfilename;
  std::string text;
  if (!storage::ReadFile(manifest_path, text)) {
    struct stat st {};
    if (::stat(legacy.c_str(), &st) == 0) {
      // Redis < 7.0 layout: load it, then move it into the directory as the base.
      ::mkdir(dir.c_str(), 0755);
      std::string moved = PathOf(cfg.appendfilename);
      if (::rename(legacy.c_str(), moved.c_str()) != 0) {
        return fmt::format("Error moving the old AOF {} into {}: {}", legacy, dir, strerror(errno));
      }
      manifest_.files = {{cfg.appendfilename, 1, 'b'}};
      LogMessage(Level::kNotice,
                 fmt::format("Creating AOF incr file on background rewrite (upgrading {} to the "
                             "multi part AOF layout in {})",
                             cfg.appendfilename, cfg.appenddirname));
    } else {
      return {};  // nothing to load; Enable() writes a fresh base
    }
  } else {
    auto m = aof::ParseManifest(text);
    if (!m) return fmt::format("{} in {}", m.error(), manifest_path);
    manifest_ = std::move(*m);
  }
  loaded = true;
  auto t0 = std::chrono::steady_clock::now();
  server_.BeginLoading();
  std::vector<std::string> names;
  if (const aof::ManifestEntry* b = manifest_.base()) names.push_back(b->name);
  for (const aof::ManifestEntry* e : manifest_.incrs()) names.push_back(e->name);
  for (size_t i = 0; i < names.size(); ++i) {
    bool fixed = false;
    std::string err = LoadFile(names[i], i + 1 == names.size(), fixed);
    if (!err.empty()) {
      server_.EndLoading();
      return err;
    }
  }
  server_.EndLoading();
  LogMessage(
      Level::kNotice,
      fmt::format("DB loaded from append only file: {:.3f} seconds",
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()));
  if (!loaded_repl_id_.empty() && !server_.config().replicaof_host.empty()) {
    server_.replication().RestoreFromPersisted(loaded_repl_id_, loaded_repl_offset_);
    LogMessage(Level::kNotice, fmt::format("AOF has replication info: id {} offset {}",
                                           loaded_repl_id_, loaded_repl_offset_));
  }
  return {};
}

// A replica ends each write with "#tandem-repl <replid> <offset>": the master stream applied
// so far, so that restarted from its AOF it continues with a partial sync (Redis 7.0 keeps this
// only in RDB files). Redis's loader skips '#' lines, so the files stay loadable by stock Redis.
void Aof::AnnotateReplication() {
  const Replication& repl = server_.replication();
  if (!repl.is_replica()) return;
  if (repl.replid() == annotated_id_ && repl.offset() == annotated_offset_) return;
  annotated_id_ = repl.replid();
  annotated_offset_ = repl.offset();
  buf_ += fmt::format("#{} {} {}\r\n", kReplAnnotation, annotated_id_, annotated_offset_);
}

void Aof::OnAnnotation(std::string_view text) {
  std::vector<std::string> words = config::SplitOnSpaces(text);
  int64_t off = 0;
  if (words.size() == 3 && words[0] == kReplAnnotation && words[1].size() == 40 &&
      storage::StringToInt64(words[2], off) && off >= 0) {
    loaded_repl_id_ = words[1];
    loaded_repl_offset_ = off;
  }
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

std::expected<void, std::string> Aof::WriteManifest(const aof::Manifest& m) {
  const ServerConfig& cfg = server_.config();
  const std::string path = PathOf(aof::ManifestName(cfg.appendfilename));
  const std::string tmp = PathOf("temp-" + aof::ManifestName(cfg.appendfilename));
  std::string text = m.Serialize();
  int fd = ::open(tmp.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return std::unexpected(fmt::format("Can't open the AOF manifest: {}", strerror(errno)));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  int e = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return std::unexpected(fmt::format("Can't write the AOF manifest: {}", strerror(e)));
  }
  FsyncDir(DirPath());
  return {};
}

std::expected<void, std::string> Aof::OpenIncr(int64_t seq) {
  const std::string name = aof::IncrName(server_.config().appendfilename, seq);
  int fd = ::open(PathOf(name).c_str(), O_CREAT | O_WRONLY | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    return std::unexpected(
        fmt::format("Can't open the append-only file {}: {}", name, strerror(errno)));
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  cur_db_ = -1;  // every incremental file starts with a SELECT
  return {};
}

std::expected<void, std::string> Aof::CreateFresh() {
  const ServerConfig& cfg = server_.config();
  ::mkdir(DirPath().c_str(), 0755);
  // AOF turned back on (CONFIG SET appendonly no, then yes): the directory still holds the old
  // files. The new ones take the next sequence numbers, and the old ones are deleted once the
  // new manifest is written, so none of their commands can come back.
  aof::Manifest old;
  int64_t base_seq = 1;
  int64_t incr_seq = 1;
  {
    std::string text;
    if (storage::ReadFile(PathOf(aof::ManifestName(cfg.appendfilename)), text)) {
      if (auto m = aof::ParseManifest(text)) old = std::move(*m);
      for (const aof::ManifestEntry& e : old.files) {
        if (e.type == 'i') incr_seq = std::max(incr_seq, e.seq + 1);
        if (e.type == 'b' || e.type == 'h') base_seq = std::max(base_seq, e.seq + 1);
      }
    }
  }
  // The base is the current dataset (empty at a first start), as an RDB or as commands.
  const bool rdb_preamble = cfg.aof_use_rdb_preamble;
  std::string base = aof::BaseName(cfg.appendfilename, base_seq, rdb_preamble);
  std::expected<void, std::string> r;
  if (rdb_preamble) {
    storage::rdb::SaveOptions opt;
    opt.aof_base = 1;
    opt.now_ms = storage::SystemClockMs();
    r = storage::rdb::SaveToFile(server_.keyspace(), opt, PathOf(base));
  } else {
    r = aof::WriteCommandsToFile(server_.keyspace(), {}, PathOf(base));
  }
  if (!r) return std::unexpected(r.error());
  const std::string incr = aof::IncrName(cfg.appendfilename, incr_seq);
  ::unlink(PathOf(incr).c_str());  // not in any manifest: a leftover, never to be appended to
  manifest_.files = {{base, base_seq, 'b'}, {incr, incr_seq, 'i'}};
  auto o = OpenIncr(incr_seq);
  if (!o) return o;
  LogMessage(Level::kNotice, fmt::format("Creating AOF base file {} on server start", base));
  auto w = WriteManifest(manifest_);
  if (!w) return w;
  for (const aof::ManifestEntry& e : old.files) {
    if (e.name != base && e.name != incr) ::unlink(PathOf(e.name).c_str());
  }
  return {};
}

std::expected<void, std::string> Aof::Enable() {
  if (enabled()) return {};
  if (!thread_.joinable()) thread_ = std::thread([this] { FsyncThread(); });
  const ServerConfig& cfg = server_.config();
  if (manifest_.files.empty()) {
    auto r = CreateFresh();
    if (!r) return r;
  } else {
    // Continue appending to the newest incremental file (create one after a legacy upgrade).
    int64_t seq = manifest_.max_incr_seq();
    if (seq == 0) {
      seq = 1;
      manifest_.files.push_back({aof::IncrName(cfg.appendfilename, 1), 1, 'i'});
      auto o = OpenIncr(seq);
      if (!o) return o;
      auto w = WriteManifest(manifest_);
      if (!w) return w;
    } else {
      auto o = OpenIncr(seq);
      if (!o) return o;
    }
  }
  base_size_ = manifest_.base() ? FileSize(PathOf(manifest_.base()->name)) : 0;
  current_size_ = base_size_;
  for (const aof::ManifestEntry* e : manifest_.incrs()) current_size_ += FileSize(PathOf(e->name));
  last_fsync_ms_ = storage::SystemClockMs();
  return {};
}

void Aof::KillChild() {
  if (child_pid_ <= 0) return;
  ::kill(child_pid_, SIGUSR1);
  int st = 0;
  ::waitpid(child_pid_, &st, 0);
  // The child writes temp-<its pid>.rdb (or .aof, for a command-form base) next to
  // rewrite_temp_ before renaming it.
  ::unlink(PathOf(fmt::format("temp-{}.rdb", child_pid_)).c_str());
  ::unlink(PathOf(fmt::format("temp-{}.aof", child_pid_)).c_str());
  ::unlink(rewrite_temp_.c_str());
  child_pid_ = -1;
  LogMessage(Level::kNotice, "Killing running AOF rewrite child");
}

void Aof::Disable() {
  if (!enabled()) return;
  WriteBuffer();
  (void)::fsync(fd_);
  ::close(fd_);
  fd_ = -1;
  KillChild();
  manifest_.files.clear();
  rebase_pending_ = false;
  rebase_incr_open_ = false;
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

void Aof::Feed(int db, std::span<const std::string_view> argv) {
  if (!enabled()) return;
  if (db != cur_db_) {
    std::string dbs = std::to_string(db);
    std::string_view sel[] = {"SELECT", dbs};
    resp::EncodeCommand(sel, buf_);
    cur_db_ = db;
  }
  resp::EncodeCommand(argv, buf_);
}

// Writes the whole buffer or nothing: a partial write is cut off again so the file never ends
// with half a command that a later append would glue to the next one.
bool Aof::WriteBuffer() {
  if (buf_.empty() || fd_ < 0) return true;
  // After a sync, nothing may reach the old incremental file (it belongs to the old dataset).
  if (rebase_pending_ && !rebase_incr_open_ && !OpenRebaseIncr()) return false;
  off_t before = ::lseek(fd_, 0, SEEK_END);
  size_t done = 0;
  while (done < buf_.size()) {
    ssize_t n = storage::Io().Write(fd_, buf_.data() + done, buf_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      write_errno_ = n < 0 ? errno : ENOSPC;
      if (done > 0 && before >= 0 && ::ftruncate(fd_, before) != 0) {
        // Could not remove the partial command: keep the buffer's tail only.
        buf_.erase(0, done);
      }
      if (!write_failed_) {
        LogMessage(Level::kWarning,
                   fmt::format("Error writing to the AOF file: {}", strerror(write_errno_)));
      }
      write_failed_ = true;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  current_size_ += static_cast<int64_t>(buf_.size());
  buf_.clear();
  unsynced_ = true;
  if (write_failed_) {
    LogMessage(Level::kWarning, "AOF write error looks solved, Redis can write again.");
    write_failed_ = false;
  }
  return true;
}

bool Aof::FsyncPostponed() const {
  return server_.config().no_appendfsync_on_rewrite &&
         (child_pid_ > 0 || server_.persistence().child_running());
}

void Aof::FsyncOrExit() {
  if (storage::Io().Fdatasync(fd_) != 0) {
    LogMessage(Level::kWarning,
               fmt::format("Can't persist AOF for fsync error when the AOF fsync policy is "
                           "'always': {}. Exiting...",
                           strerror(errno)));
    ::_exit(1);
  }
  unsynced_ = false;
  last_fsync_ms_ = storage::SystemClockMs();
}

void Aof::BeforeSleep() {
  if (!enabled()) return;
  const AppendFsync policy = server_.config().appendfsync;
  if (buf_.empty()) {
    // An fsync that no-appendfsync-on-rewrite held back is done as soon as the child is gone
    // (Redis 7.0 waits for the next write; the bytes are on disk sooner this way).
    if (policy == AppendFsync::kAlways && unsynced_ && !write_failed_ && !FsyncPostponed()) {
      FsyncOrExit();
    }
    return;
  }
  AnnotateReplication();
  if (!WriteBuffer()) {
    if (policy == AppendFsync::kAlways) {
      // Replies for these writes are about to leave: they must not, unless the data is safe.
      LogMessage(Level::kWarning,
                 "Can't recover from AOF write error when the AOF fsync policy is 'always'. "
                 "Exiting...");
      ::_exit(1);
    }
    return;
  }
  // flushAppendOnlyFile: with no-appendfsync-on-rewrite and a fork child writing, the bytes are
  // written but not fsynced (the child's disk traffic would make the fsync block); unsynced_
  // stays set so the fsync follows once the child ends.
  if (policy == AppendFsync::kAlways && !FsyncPostponed()) FsyncOrExit();
}

void Aof::FsyncInBackground() {
  std::lock_guard<std::mutex> lock(mu_);
  if (fsync_running_ || fsync_fd_ >= 0) return;  // one in flight is enough
  fsync_fd_ = ::dup(fd_);
  if (fsync_fd_ < 0) return;
  fsync_running_ = true;
  cv_.notify_one();
}

void Aof::FsyncThread() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || fsync_fd_ >= 0; });
    if (fsync_fd_ < 0 && stop_) return;
    int fd = fsync_fd_;
    lock.unlock();
    int rc = storage::Io().Fdatasync(fd);
    int e = rc == 0 ? 0 : errno;
    ::close(fd);
    lock.lock();
    fsync_fd_ = -1;
    fsync_running_ = false;
    fsync_errno_ = e;
  }
}

void Aof::FlushForShutdown() {
  KillChild();
  if (!enabled()) return;
  WriteBuffer();
  if (::fsync(fd_) != 0) {
    LogMessage(Level::kWarning,
               fmt::format("Error fsyncing the AOF on shutdown: {}", strerror(errno)));
  }
}

std::string Aof::WriteErrorMessage() const {
  return fmt::format("MISCONF Errors writing to the AOF file: {}", strerror(write_errno_));
}

// ---------------------------------------------------------------------------------------------
// Rewrite
// ---------------------------------------------------------------------------------------------

std::expected<void, std::string> Aof::StartRewrite() {
  if (child_pid_ > 0)
    return std::unexpected("Background append only file rewriting already in progress");
  if (server_.persistence().child_running()) {
    rewrite_scheduled_ = true;
    return std::unexpected("scheduled");
  }
  if (!enabled()) {
    return std::unexpected("tandem rewrites the AOF only while appendonly is yes");
  }
  rewrite_scheduled_ = false;
  last_rewrite_try_ms_ = storage::SystemClockMs();
  const ServerConfig& cfg = server_.config();
  // Everything so far goes to the current incremental file, which the new base will replace.
  if (!WriteBuffer()) return std::unexpected("Can't flush the AOF buffer before rewriting");
  (void)::fdatasync(fd_);
  if (rebase_pending_) {
    if (!OpenRebaseIncr()) return std::unexpected("Can't open a new incremental AOF file");
  } else {
    new_incr_seq_ = manifest_.max_incr_seq() + 1;
    auto o = OpenIncr(new_incr_seq_);
    if (!o) return o;
    manifest_.files.push_back(
        {aof::IncrName(cfg.appendfilename, new_incr_seq_), new_incr_seq_, 'i'});
    auto w = WriteManifest(manifest_);
    if (!w) return w;
  }
  rewrite_temp_ = PathOf(fmt::format("temp-rewriteaof-bg-{}.aof", ::getpid()));
  // The form is fixed at the fork: FinishRewrite names the base after what the child wrote, even
  // if aof-use-rdb-preamble changes meanwhile.
  rewrite_rdb_preamble_ = cfg.aof_use_rdb_preamble;
  storage::rdb::SaveOptions opt;
  opt.aof_base = 1;
  aof::RewriteOptions cmd_opt;
  if (server_.replication().is_replica()) {
    // The stream position the base holds: RDB aux fields, or the annotation that ends a
    // command-form base.
    opt.repl_id = server_.replication().replid();
    opt.repl_offset = server_.replication().offset();
    opt.repl_stream_db = 0;
    cmd_opt.end_annotation = fmt::format("{} {} {}", kReplAnnotation, opt.repl_id, opt.repl_offset);
  }
  opt.compression = cfg.rdbcompression;
  opt.checksum = cfg.rdbchecksum;
  opt.now_ms = storage::SystemClockMs();
  opt.autosync_bytes = cfg.aof_rewrite_incremental_fsync ? storage::rdb::kAutosyncBytes : 0;
  cmd_opt.autosync_bytes = opt.autosync_bytes;
  const std::string temp = rewrite_temp_;
  const bool rdb_preamble = rewrite_rdb_preamble_;
  pid_t pid = ::fork();
  if (pid < 0)
    return std::unexpected(
        fmt::format("Can't rewrite append only file in background: "
                    "fork: {}",
                    strerror(errno)));
  if (pid == 0) {
    config::SetLogRole('C');
    config::CloseInheritedFds(-1);
    auto r = rdb_preamble ? storage::rdb::SaveToFile(server_.keyspace(), opt, temp)
                          : aof::WriteCommandsToFile(server_.keyspace(), cmd_opt, temp);
    if (!r) {
      LogMessage(Level::kWarning, fmt::format("Error rewriting the AOF: {}", r.error()));
      ::_exit(1);
    }
    LogMessage(Level::kNotice, "Successfully created the temporary AOF base file");
    ::_exit(0);
  }
  child_pid_ = pid;
  rewrite_start_ms_ = storage::SystemClockMs();
  LogMessage(Level::kNotice,
             fmt::format("Background append only file rewriting started by pid {}", pid));
  return {};
}

void Aof::FinishRewrite(bool ok) {
  const ServerConfig& cfg = server_.config();
  last_rewrite_secs_ = (storage::SystemClockMs() - rewrite_start_ms_) / 1000;
  if (!ok || !enabled()) {
    ::unlink(rewrite_temp_.c_str());
    last_rewrite_ok_ = false;
    ++consecutive_failures_;
    LogMessage(Level::kWarning, "Background AOF rewrite terminated with error");
    return;
  }
  const aof::ManifestEntry* old_base = manifest_.base();
  int64_t base_seq = old_base ? old_base->seq + 1 : 1;
  std::string base = aof::BaseName(cfg.appendfilename, base_seq, rewrite_rdb_preamble_);
  if (::rename(rewrite_temp_.c_str(), PathOf(base).c_str()) != 0) {
    LogMessage(Level::kWarning, fmt::format("Error trying to rename the temporary AOF base file: "
                                            "{}",
                                            strerror(errno)));
    ::unlink(rewrite_temp_.c_str());
    last_rewrite_ok_ = false;
    ++consecutive_failures_;
    return;
  }
  aof::Manifest next;
  std::vector<std::string> obsolete;
  for (const aof::ManifestEntry& e : manifest_.files) {
    if (e.type == 'i' && e.seq >= new_incr_seq_) {
      next.files.push_back(e);
    } else {
      obsolete.push_back(e.name);
    }
  }
  next.files.insert(next.files.begin(), {base, base_seq, 'b'});
  auto w = WriteManifest(next);
  if (!w) {
    LogMessage(Level::kWarning, w.error());
    last_rewrite_ok_ = false;
    ++consecutive_failures_;
    return;
  }
  manifest_ = std::move(next);
  for (const std::string& name : obsolete) ::unlink(PathOf(name).c_str());
  base_size_ = FileSize(PathOf(base));
  current_size_ = base_size_;
  for (const aof::ManifestEntry* e : manifest_.incrs()) current_size_ += FileSize(PathOf(e->name));
  last_rewrite_ok_ = true;
  consecutive_failures_ = 0;
  ++rewrites_;
  rebase_pending_ = false;
  rebase_incr_open_ = false;
  LogMessage(Level::kNotice, "Background AOF rewrite finished successfully");
}

void Aof::RestartAfterSync() {
  if (!enabled()) return;
  KillChild();  // it was writing the dataset the sync replaced
  rewrite_scheduled_ = false;
  buf_.clear();
  rebase_pending_ = true;
  rebase_incr_open_ = false;
  auto r = StartRewrite();
  if (!r && r.error() != "scheduled") {
    LogMessage(Level::kWarning, fmt::format("Failed enabling the AOF after successful master "
                                            "synchronization: {}. Trying it again in one second.",
                                            r.error()));
  }
}

// The incremental file that follows the new dataset, recorded in the manifest in memory only:
// the manifest on disk changes when the rewrite of the new dataset is done.
bool Aof::OpenRebaseIncr() {
  if (rebase_incr_open_) return true;
  const int64_t seq = manifest_.max_incr_seq() + 1;
  auto o = OpenIncr(seq);
  if (!o) {
    LogMessage(Level::kWarning, o.error());
    return false;
  }
  manifest_.files.push_back({aof::IncrName(server_.config().appendfilename, seq), seq, 'i'});
  new_incr_seq_ = seq;
  rebase_incr_open_ = true;
  return true;
}

void Aof::Cron(int64_t now_ms) {
  if (child_pid_ > 0) {
    int status = 0;
    if (::waitpid(child_pid_, &status, WNOHANG) == child_pid_) {
      child_pid_ = -1;
      FinishRewrite(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
  }
  if (!enabled()) return;
  // A failed write or fsync is retried from the cron, so the error clears itself once the disk
  // recovers: pending bytes are written again; with nothing pending, an fsync must succeed.
  if (write_failed_) {
    if (!buf_.empty()) {
      WriteBuffer();
    } else if (storage::Io().Fdatasync(fd_) == 0) {
      LogMessage(Level::kWarning, "AOF write error looks solved, Redis can write again.");
      write_failed_ = false;
    }
  }
  if (server_.config().appendfsync == AppendFsync::kEverysec && unsynced_ &&
      now_ms - last_fsync_ms_ >= 1000 && !FsyncPostponed()) {
    FsyncInBackground();
    unsynced_ = false;
    last_fsync_ms_ = now_ms;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (fsync_errno_ != 0) {
      LogMessage(Level::kWarning, fmt::format("Error in the background fsync of the AOF: {}",
                                              strerror(fsync_errno_)));
      write_errno_ = fsync_errno_;
      write_failed_ = true;
      fsync_errno_ = 0;
      unsynced_ = true;
    }
  }
  const ServerConfig& cfg = server_.config();
  if (child_pid_ < 0 && !server_.persistence().child_running()) {
    bool due = rewrite_scheduled_ || (rebase_pending_ && now_ms - last_rewrite_try_ms_ >= 1000);
    if (!due && cfg.auto_aof_rewrite_percentage > 0 &&
        current_size_ > cfg.auto_aof_rewrite_min_size) {
      int64_t base = base_size_ > 0 ? base_size_ : 1;
      int64_t growth = (current_size_ * 100 / base) - 100;
      due = growth >= cfg.auto_aof_rewrite_percentage &&
            (last_rewrite_ok_ || now_ms - last_rewrite_try_ms_ > 5000);
      if (due) {
        LogMessage(Level::kNotice,
                   fmt::format("Starting automatic rewriting of AOF on {}% growth", growth));
      }
    }
    if (due) (void)StartRewrite();
  }
}

void Aof::AppendInfo(std::string& out, int64_t now_ms) const {
  auto field = [&](std::string_view k, const auto& v) { out += fmt::format("{}:{}\r\n", k, v); };
  field("aof_enabled", enabled() ? 1 : 0);
  field("aof_rewrite_in_progress", child_pid_ > 0 ? 1 : 0);
  field("aof_rewrite_scheduled", rewrite_scheduled_ ? 1 : 0);
  field("aof_last_rewrite_time_sec", last_rewrite_secs_);
  field("aof_current_rewrite_time_sec",
        child_pid_ > 0 ? (now_ms - rewrite_start_ms_) / 1000 : static_cast<int64_t>(-1));
  field("aof_last_bgrewrite_status", last_rewrite_ok_ ? "ok" : "err");
  field("aof_rewrites", rewrites_);
  field("aof_rewrites_consecutive_failures", consecutive_failures_);
  field("aof_last_write_status", write_failed_ ? "err" : "ok");
  field("aof_last_cow_size", 0);
  field("module_fork_in_progress", 0);
  field("module_fork_last_cow_size", 0);
  // Redis prints these with the appendonly option on (server.aof_enabled), also while the AOF
  // is still loading and aof_enabled (aof_state) says 0.
  if (enabled() || server_.config().appendonly) {
    field("aof_current_size", current_size_);
    field("aof_base_size", base_size_);
    field("aof_pending_rewrite", rewrite_scheduled_ ? 1 : 0);
    field("aof_buffer_length", buf_.size());
    field("aof_pending_bio_fsync", fsync_running_ ? 1 : 0);
    field("aof_delayed_fsync", 0);
  }
}

}  // namespace tandem::server
