// The AOF's file formats, without any I/O policy (the server decides when to write and fsync):
// the Redis 7.0 multi-part manifest, and a scanner that walks a file of RESP commands and says
// where the valid prefix ends (aof.c's loadSingleAppendOnlyFile, redis-check-aof).
//
// Manifest: one line per file, `file <name> seq <n> type <b|h|i>` (base, history, incremental),
// in order: the base first, then the incremental files oldest first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::storage::aof {

struct ManifestEntry {
  std::string name;
  int64_t seq = 0;
  char type = 'i';  // 'b' base, 'h' history (to delete), 'i' incremental
};

struct Manifest {
  std::vector<ManifestEntry> files;
  const ManifestEntry* base() const;
  std::vector<const ManifestEntry*> incrs() const;
  int64_t max_incr_seq() const;
  std::string Serialize() const;
};

// Parses the manifest text; errors name the line ("Invalid AOF manifest file format" ...).
std::expected<Manifest, std::string> ParseManifest(std::string_view text);

// File names as Redis 7.0 forms them: <appendfilename>.<seq>.base.rdb|.base.aof,
// <appendfilename>.<seq>.incr.aof, <appendfilename>.manifest.
std::string BaseName(std::string_view appendfilename, int64_t seq, bool rdb_preamble);
std::string IncrName(std::string_view appendfilename, int64_t seq);
std::string ManifestName(std::string_view appendfilename);

// The result of scanning a file of RESP commands.
struct ScanResult {
  size_t valid_bytes = 0;  // length of the prefix made of whole, well-formed commands
  size_t commands = 0;
  bool truncated = false;  // the data ends inside a command (a crash mid-write)
  bool corrupt = false;    // a malformed byte at `valid_bytes`
  std::string error;       // what is wrong at `valid_bytes`
};

// Walks `data` (which must not start with an RDB preamble; see RdbPreambleLength) and calls
// `on_command` for every whole command, with the db-independent arguments. A command that ends
// the data mid-frame makes `truncated`; anything else malformed makes `corrupt`. A MULTI without
// its EXEC at the very end counts as truncated at the MULTI (a half-written transaction is not
// applied, as Redis does).
// Lines starting with '#' between commands are annotations, skipped by Redis 7.0's loader (it
// writes "#TS:<unix time>" with aof-timestamp-enabled); `on_annotation` gets each one's text
// after the '#', without the line end.
using CommandFn = std::function<void(std::span<const std::string_view> args)>;
using AnnotationFn = std::function<void(std::string_view text)>;
ScanResult Scan(std::string_view data, const CommandFn& on_command,
                const AnnotationFn& on_annotation = {});

// True when `data` starts with an RDB ("REDIS" magic): a base file or an RDB preamble.
bool HasRdbPreamble(std::string_view data);

}  // namespace tandem::storage::aof
