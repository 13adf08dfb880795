// Reply encoder for RESP2 and RESP3. Commands describe their reply once (map, set, double, null,
// push) and the builder writes what Redis 7.0 writes for the connection's protocol version:
// RESP3 types where the client said HELLO 3, their RESP2 fallbacks otherwise (networking.c,
// addReplyMapLen / addReplyNull / addReplyDouble ...).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tandem::resp {

class ReplyBuilder {
 public:
  // Appends to `out`, which the caller owns (a connection's output buffer).
  explicit ReplyBuilder(std::string* out, int protocol = 2) : out_(out), protocol_(protocol) {}

  void set_protocol(int protocol) { protocol_ = protocol; }
  int protocol() const { return protocol_; }
  std::string* buffer() { return out_; }
  void set_buffer(std::string* out) { out_ = out; }

  void SimpleString(std::string_view s);  // +s
  void Ok() { Raw("+OK\r\n"); }
  // `msg` without the leading '-' and with its code ("ERR ...", "WRONGTYPE ..."); newlines are
  // replaced by spaces so the reply stays one line, as addReplyErrorLength does.
  void Error(std::string_view msg);
  void Integer(int64_t v);
  void Bulk(std::string_view s);
  void BulkInteger(int64_t v);  // an integer sent as a bulk string
  void Null();                  // RESP2 $-1, RESP3 _
  void NullArray();             // RESP2 *-1, RESP3 _
  void ArrayHeader(int64_t n);
  void MapHeader(int64_t n);   // RESP3 %n, RESP2 *2n
  void SetHeader(int64_t n);   // RESP3 ~n, RESP2 *n
  void PushHeader(int64_t n);  // RESP3 >n, RESP2 *n
  void Double(double d);       // RESP3 ,d, RESP2 bulk "%.17g" (inf / -inf)
  void Bool(bool b);           // RESP3 #t/#f, RESP2 :1/:0
  void Verbatim(std::string_view s, std::string_view format = "txt");  // RESP3 =, RESP2 bulk
  void BigNumber(std::string_view digits);                             // RESP3 (, RESP2 bulk
  void EmptyArray() { Raw("*0\r\n"); }
  void Raw(std::string_view bytes) { out_->append(bytes); }

 private:
  void Header(char prefix, int64_t n);

  std::string* out_;
  int protocol_;
};

// Formats a double as Redis's addReplyDouble does ("%.17g", "inf", "-inf", "nan").
std::string FormatDouble(double d);

}  // namespace tandem::resp
