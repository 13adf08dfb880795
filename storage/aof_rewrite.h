// The AOF base in command form (aof-use-rdb-preamble no): the dataset written as the commands
// that rebuild it, byte for byte as Redis 7.0's rewriteAppendOnlyFileRio (aof.c) writes them.
//
// Layout: for every non-empty db in order, `SELECT <db>`, then per key (in the db's iteration
// order) the commands that create the value, followed by `PEXPIREAT <key> <ms>` when the key has
// a TTL:
//   string  SET key value
//   list    RPUSH key e1 e2 ...        head to tail
//   set     SADD key m1 m2 ...
//   zset    ZADD key s1 m1 s2 m2 ...   ascending; scores "%.17g" (FormatScore, as
//   rioWriteBulkDouble) hash    HMSET key f1 v1 f2 v2 ...
// Collections are split into commands of at most kRewriteItemsPerCmd items
// (AOF_REWRITE_ITEMS_PER_CMD), so no command grows with the value. Logically expired keys are
// written as they are, with their past PEXPIREAT, as Redis does (the loader drops them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <string>

#include "storage/keyspace.h"
#include "storage/rdb.h"

namespace tandem::storage::aof {

inline constexpr size_t kRewriteItemsPerCmd = 64;  // AOF_REWRITE_ITEMS_PER_CMD

struct RewriteOptions {
  // When non-empty, written as the annotation line "#<end_annotation>\r\n" after the last
  // command. The server puts its replication position there ("tandem-repl <replid> <offset>"),
  // the equivalent of the repl-id / repl-offset aux fields of an RDB base; it must come last
  // because the loader forgets a position that is followed by a write. Redis's loader skips '#'
  // lines, so stock Redis still loads the file.
  std::string end_annotation;
  // aof-rewrite-incremental-fsync: fdatasync every this many bytes (0 = only at the end).
  size_t autosync_bytes = 0;
};

// Writes the whole keyspace to `sink`. Fails on a value type that has no command form here
// (streams are not implemented) or on a sink error.
std::expected<void, std::string> WriteCommands(Keyspace& ks, const RewriteOptions& opt,
                                               rdb::Sink& sink);

// Writes <dir of path>/temp-<pid>.aof with rdb::WriteFileAtomically: fsync, rename onto `path` and
// fsyncs the directory, as rdb::SaveToFile does. The temp file is removed on failure.
std::expected<void, std::string> WriteCommandsToFile(Keyspace& ks, const RewriteOptions& opt,
                                                     const std::string& path);

}  // namespace tandem::storage::aof
