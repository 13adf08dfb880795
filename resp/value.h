// A decoded RESP2/RESP3 reply, and an incremental decoder for replies arriving from a server.
// Used by the outbound client (replica links, Sentinel links) and by tests; the request path of
// the server never builds Values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::resp {

enum class Type : char {
  kSimpleString = '+',
  kError = '-',
  kInteger = ':',
  kBulk = '$',
  kArray = '*',
  kNull = '_',
  kDouble = ',',
  kBool = '#',
  kBigNumber = '(',
  kVerbatim = '=',
  kBlobError = '!',
  kMap = '%',
  kSet = '~',
  kPush = '>',
  kAttribute = '|',
};

struct Value {
  Type type = Type::kNull;
  std::string str;              // simple string, error, bulk, verbatim, double/big number text
  int64_t integer = 0;          // integer, bool (0/1)
  std::vector<Value> elements;  // array, set, push; map: key, value, key, value ...

  bool is_error() const { return type == Type::kError || type == Type::kBlobError; }
  bool is_null() const { return type == Type::kNull; }
};

enum class DecodeResult { kValue, kNeedMore, kError };

struct DecoderLimits {
  int64_t max_bulk_len = 1LL << 32;
  int64_t max_elements = 1LL << 32;
  int max_depth = 64;
};

// Decodes one reply from the front of `input`. On kValue, `consumed` is its size in bytes.
// RESP2 null bulk ($-1) and null array (*-1) decode as kNull. Attributes (|) are skipped.
// On kError, `error` says what is malformed. Decoding is restarted from the frame start on each
// call; replies in the links that use it are small (large payloads go through dedicated paths).
DecodeResult Decode(std::string_view input, Value& out, size_t& consumed, std::string& error,
                    const DecoderLimits& limits = {});

// Encodes a command as a RESP2 multibulk of bulk strings.
void EncodeCommand(std::span<const std::string_view> args, std::string& out);

}  // namespace tandem::resp

namespace tandem::resp {
class ReplyBuilder;
// Writes a decoded value back out for the builder's protocol: maps, sets, doubles and booleans
// become their RESP2 fallbacks when the client speaks RESP2.
void WriteValue(const Value& v, ReplyBuilder& out);
}  // namespace tandem::resp
