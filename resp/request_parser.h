// Incremental parser for client requests: RESP2 multibulk (`*N\r\n$len\r\n...`) and inline
// commands, with the limits and exact protocol error texts of Redis 7.0 (networking.c,
// processMultibulkBuffer / processInlineBuffer).
//
// Two phases: the parser first walks the headers of a frame to learn whether the whole frame is
// in the buffer ("is it here?"), remembering how far it got, so that a frame arriving over many
// reads is never re-scanned from its start; only then does it hand out the arguments.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace tandem::resp {

inline constexpr size_t kInlineMaxSize = 64 * 1024;         // PROTO_INLINE_MAX_SIZE
inline constexpr int64_t kDefaultMaxBulkLen = 512LL << 20;  // proto-max-bulk-len default
inline constexpr int64_t kUnauthMaxArgs = 10;               // before AUTH, as Redis 7.0.15
inline constexpr int64_t kUnauthMaxBulk = 16384;

struct ParserLimits {
  int64_t max_bulk_len = kDefaultMaxBulkLen;
  bool unauthenticated = false;  // requirepass set and the client has not authenticated
  bool from_master = false;      // the master link is exempt from proto-max-bulk-len
};

enum class ParseResult {
  kCommand,   // args() holds one command; consumed() bytes of the input belong to it
  kNeedMore,  // the input holds no complete command yet; call again with more bytes appended
  kError,     // protocol error: error() is Redis's text (without "-ERR "); close after replying
};

class RequestParser {
 public:
  // Parses at most one command from the start of `input`. Between calls the caller may append
  // bytes to its buffer and must drop exactly consumed() bytes from the front after kCommand,
  // nothing otherwise. Empty requests (`*0`, `*-1`, blank inline lines) are skipped, as Redis
  // does: kCommand with empty args() means "drop consumed() bytes and call again".
  // The views in args() point into `input` (multibulk) or into the parser (inline) and stay valid
  // until the next call of Parse or until the input buffer changes.
  ParseResult Parse(std::string_view input, const ParserLimits& limits);

  const std::vector<std::string_view>& args() const { return args_; }
  size_t consumed() const { return consumed_; }
  const std::string& error() const { return error_; }

  // Lower bound of the buffer size at which the pending frame can complete, so the transport can
  // grow its read buffer once for a large bulk instead of many times. 0 when unknown.
  size_t bytes_needed() const { return need_; }

  // Forget any partially parsed frame (the connection was reset).
  void Reset();

 private:
  ParseResult ParseInline(std::string_view input);
  ParseResult ParseMultibulk(std::string_view input, const ParserLimits& limits);
  ParseResult Fail(const char* message);

  // State of a multibulk frame in progress; offsets are relative to the start of the input.
  int64_t multibulk_len_ = 0;  // arguments still to read; 0 = no frame in progress
  int64_t bulk_len_ = -1;      // length of the bulk whose header was read, -1 = none
  size_t pos_ = 0;             // next unread byte of the frame
  size_t need_ = 0;
  std::vector<std::pair<size_t, size_t>> offsets_;  // (offset, length) of each argument

  std::vector<std::string_view> args_;
  std::vector<std::string> inline_args_;
  size_t consumed_ = 0;
  std::string error_;
};

// Visits the complete, well-formed multibulk commands at the front of `input`, at most
// `max_commands` of them, calling fn(std::span<const std::string_view> args) for each until fn
// returns false. Returns the number visited. A look-ahead, not a parser: it checks only what
// keeps it inside `input`, and stops at the first frame that is incomplete, inline, empty, has
// more than kScanMaxArgs arguments or anything unexpected (RequestParser later reports what is
// wrong with it). The server uses it to start the cache misses of a pipelined batch's keys
// before running the batch.
inline constexpr size_t kScanMaxArgs = 32;
size_t ScanCommands(std::string_view input, size_t max_commands,
                    bool (*fn)(void* ctx, std::span<const std::string_view> args), void* ctx);
template <typename Fn>
size_t ScanCommands(std::string_view input, size_t max_commands, Fn&& fn) {
  return ScanCommands(
      input, max_commands,
      [](void* ctx, std::span<const std::string_view> args) {
        return (*static_cast<std::remove_reference_t<Fn>*>(ctx))(args);
      },
      &fn);
}

// Splits a line into arguments with the rules of Redis's sdssplitargs (used for inline commands
// and configuration files): double quotes with \n \r \t \b \a \\ \" and \xHH escapes, single
// quotes with \' only, and a closing quote must be followed by a space or the end; the line
// ends at its first NUL byte. Returns false on unbalanced quotes.
bool SplitArgs(std::string_view line, std::vector<std::string>& out);

}  // namespace tandem::resp
