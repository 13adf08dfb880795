// The RDB codec: Redis 7.0's snapshot format (RDB version 10), both ways, and the DUMP / RESTORE
// payload built from the same value encoding.
//
// Saving writes what Redis 7.0.15 writes for the same data: strings int-encoded (8/16/32 bit) when
// they are canonical integers, LZF-compressed when that saves at least four bytes, else raw;
// lists as QUICKLIST_2 with listpack nodes split by list-max-listpack-size exactly as Redis's
// RPUSH fills them; sets as SET_INTSET or SET; hashes and zsets as HASH_LISTPACK / ZSET_LISTPACK
// blobs when listpack-encoded, else HASH / ZSET_2 (skiplists from the highest score down).
//
// Loading accepts every non-stream, non-module type Redis 7.0 loads (also the legacy ziplist,
// zipmap and quicklist-of-ziplist forms), picks the in-memory encoding with the server's limits as
// rdbLoadObject does, and treats the input as untrusted: every length is checked against the
// bytes that remain before anything is allocated, every embedded listpack / ziplist / intset /
// zipmap is validated (bounds, terminators, back-lengths, counts), and duplicates inside a set,
// hash or zset are an error. Corrupt input yields a LoadError, never a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/keyspace.h"
#include "storage/value.h"

namespace tandem::storage::rdb {

inline constexpr int kRdbVersion = 10;
inline constexpr std::string_view kRedisVersion = "7.0.15";  // the aux redis-ver we write

// From the server's config: decides encodings on load. The defaults are Redis 7.0's
// (hash-max-listpack-entries is 512 there, unlike the zset limit).
struct EncodingLimits {
  size_t hash_max_listpack_entries = 512, hash_max_listpack_value = 64;
  size_t zset_max_listpack_entries = 128, zset_max_listpack_value = 64;
  size_t set_max_intset_entries = 512;
  // lists are always quicklist in 7.0
};

struct SaveOptions {
  bool compression = true;  // rdbcompression: LZF for strings > 20 bytes when it saves space
  bool checksum = true;     // rdbchecksum: CRC64 trailer, else 8 zero bytes
  std::string repl_id;      // aux repl-id and repl-offset, written only when repl_id is non-empty
  int64_t repl_offset = 0;
  int repl_stream_db = -1;  // aux repl-stream-db, written when >= 0
  int64_t now_ms = 0;       // aux ctime (written in seconds); 0 = read the system clock
  uint64_t used_mem = 0;    // aux used-mem
  int aof_base = 0;         // aux aof-base (1 when writing an AOF preamble)
  // list-max-listpack-size: how list elements are grouped into quicklist nodes (-1..-5 = 4..64 KB
  // per node, N > 0 = N elements per node up to 8 KB), as RPUSH would have filled them. Like Redis
  // 7.0.15, an element only gets a plain (container 1) node from 1 GB up; a large element below
  // that sits alone in a packed node.
  int list_max_listpack_size = -2;
  // rdb-save-incremental-fsync / aof-rewrite-incremental-fsync: SaveToFile fdatasyncs every
  // this many bytes written (Redis's REDIS_AUTOSYNC_BYTES, 4 MB), so the kernel never holds a
  // huge dirty file whose final fsync stalls the disk; 0 = only the final fsync.
  size_t autosync_bytes = 0;
};

inline constexpr size_t kAutosyncBytes = 4u << 20;

// A byte sink. Write returns false on I/O error; the saver stops and reports it.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual bool Write(const void* p, size_t n) = 0;
};

class StringSink : public Sink {
 public:
  bool Write(const void* p, size_t n) override {
    out.append(static_cast<const char*>(p), n);
    return true;
  }
  std::string out;
};

// Buffered write(2) to an fd the caller owns (not closed here). Flush() pushes out what is
// buffered; the destructor does not flush, so call Flush() and check it.
class FileSink : public Sink {
 public:
  explicit FileSink(int fd, size_t buffer_size = 64 * 1024) : fd_(fd), cap_(buffer_size) {}
  bool Write(const void* p, size_t n) override;
  bool Flush();
  int error() const { return errno_; }  // errno of the first failed write, 0 if none
  uint64_t written() const { return written_; }
  // fdatasync after every `bytes` written (0 = never); a failed fdatasync is a write error.
  void set_autosync(size_t bytes) { autosync_ = bytes; }

 private:
  bool WriteAll(const char* p, size_t n);
  int fd_;
  size_t autosync_ = 0;
  uint64_t synced_at_ = 0;
  size_t cap_;
  std::string buf_;
  int errno_ = 0;
  uint64_t written_ = 0;
};

// Whole file: "REDIS0010", aux fields (redis-ver, redis-bits, ctime, used-mem, repl-stream-db,
// repl-id, repl-offset, aof-base), then per non-empty db: SELECTDB, RESIZEDB, the keys (an
// EXPIRETIME_MS before a key with a TTL); EOF; the CRC64 of everything before it (or 8 zero
// bytes). Logically expired keys are saved as they are, as Redis does. Fails on a stream value
// (not supported yet) or a sink error.
std::expected<void, std::string> Save(Keyspace& ks, const SaveOptions& opt, Sink& sink);

// The words of WriteFileAtomically's error messages and its temp file's extension.
struct AtomicFileNames {
  std::string_view extension;   // temp-<pid>.<extension>
  std::string_view temp_file;   // "Failed opening the <temp_file> ..."
  std::string_view writing;     // "Write error <writing>: ..."
  std::string_view moved_file;  // "Error moving <moved_file> ... on the final destination ..."
};

// Writes <dir of path>/temp-<pid>.<extension> through `body`, fdatasyncing every
// `autosync_bytes` (0 = never), fsyncs it, renames it onto `path` (atomic replace) and fsyncs
// the directory. The temp file is removed on failure.
std::expected<void, std::string> WriteFileAtomically(
    const std::string& path, const AtomicFileNames& names, size_t autosync_bytes,
    const std::function<std::expected<void, std::string>(FileSink&)>& body);

// SaveToFile: Save into `path` with WriteFileAtomically (temp-<pid>.rdb).
std::expected<void, std::string> SaveToFile(Keyspace& ks, const SaveOptions& opt,
                                            const std::string& path);

struct AuxFields {
  std::string repl_id;  // set only from a 40-character repl-id, as Redis does
  int64_t repl_offset = -1;
  int repl_stream_db = -1;
  bool aof_base = false;  // aof-base (or the older aof-preamble) was non-zero
  std::vector<std::pair<std::string, std::string>> all;  // every aux field, in file order
};

struct LoadOptions {
  EncodingLimits limits;
  int64_t now_ms = 0;
  // A master skips keys whose expire time is already past (expire < now_ms); a replica or an AOF
  // preamble keeps them (the master / the AOF tail deletes them).
  bool drop_expired = true;
  // rdbchecksum: verify a non-zero CRC64 trailer. A zero trailer means "saved without checksum".
  bool verify_checksum = true;
  // Called with the bytes consumed since the previous call, about every `progress_bytes`, between
  // keys (the server answers clients with -LOADING meanwhile).
  std::function<void(size_t consumed)> progress;
  size_t progress_bytes = 2u << 20;
  // key-load-delay (a test knob): DebugDelay(key_load_delay) after every key.
  int key_load_delay = 0;
};

// Redis's debugDelay: sleeps `usec` microseconds; a negative value sleeps 1 us with probability
// 1/-usec (a short average pause without a syscall per call).
void DebugDelay(int usec);

struct LoadResult {
  uint64_t keys = 0;             // keys stored into the keyspace
  uint64_t expired_skipped = 0;  // dropped because already expired
  uint64_t empty_skipped = 0;    // empty collections, skipped silently as Redis 7.0 does
  AuxFields aux;
  size_t bytes = 0;  // bytes consumed, including the checksum
};

struct LoadError {
  size_t offset = 0;  // offset of the first bad byte (or of the item that runs past the end)
  std::string what;
  int sys_errno = 0;  // LoadFile only: errno when the file could not be opened/read (ENOENT...)
};

// Loads into `ks`, adding to what is there; a key that exists is replaced. On error the keys
// loaded before the bad byte stay in `ks` (the server decides whether to flush or exit).
std::expected<LoadResult, LoadError> Load(std::string_view data, Keyspace& ks,
                                          const LoadOptions& opt);
std::expected<LoadResult, LoadError> LoadFile(const std::string& path, Keyspace& ks,
                                              const LoadOptions& opt);

// DUMP payload: <type byte><value as in RDB><RDB version 10, 2 bytes LE><CRC64 LE of all before>.
// `compression` is rdbcompression (Redis's DUMP honours it too). A stream value gives "" (not
// supported yet).
std::string DumpPayload(const Value& v, bool compression = true);

// RESTORE: verifies the footer (version <= 10 and the CRC) and decodes the value with encodings
// chosen by `limits`. Errors are Redis's messages without the "ERR " prefix:
// "DUMP payload version or checksum are wrong" or "Bad data format".
std::expected<Value, std::string> RestorePayload(std::string_view payload,
                                                 const EncodingLimits& limits);

// ---------------------------------------------------------------------------------------------
// Building blocks, exposed for tests and for tools.

// RDB type bytes (rdb.h in Redis).
enum class RdbType : uint8_t {
  kString = 0,
  kList = 1,
  kSet = 2,
  kZSet = 3,
  kHash = 4,
  kZSet2 = 5,
  kModule = 6,
  kModule2 = 7,
  kHashZipmap = 9,
  kListZiplist = 10,
  kSetIntset = 11,
  kZSetZiplist = 12,
  kHashZiplist = 13,
  kListQuicklist = 14,
  kStreamListpacks = 15,
  kHashListpack = 16,
  kZSetListpack = 17,
  kListQuicklist2 = 18,
  kStreamListpacks2 = 19,
};

// A listpack of the given elements, each stored as an integer when it is a canonical int64
// (lpAppend's choice) and as a string otherwise.
std::string EncodeListpack(const std::vector<std::string>& elements);
// The elements of a listpack blob (integers as their decimal text), or nullopt-like failure
// (std::unexpected with a reason) when the blob is malformed.
std::expected<std::vector<std::string>, std::string> DecodeListpack(std::string_view blob);
// An intset of the values (sorted and deduplicated here), width 2, 4 or 8 as the values need.
std::string EncodeIntset(std::vector<int64_t> values);
// The values of an intset blob; fails unless well formed, non-empty and strictly ascending.
std::expected<std::vector<int64_t>, std::string> DecodeIntset(std::string_view blob);
// The entries of a legacy ziplist blob (integers as decimal text).
std::expected<std::vector<std::string>, std::string> DecodeZiplist(std::string_view blob);
// A score as Redis 7.0 writes it into a zset listpack (d2string: integral values within +-2^62 as
// integers, else "%.17g", "inf", "-inf").
std::string ListpackScoreString(double score);

}  // namespace tandem::storage::rdb
