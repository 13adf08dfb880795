#include "resp/reply_builder.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace tandem::resp {

void ReplyBuilder::Header(char prefix, int64_t n) {
  char buf[32];
  buf[0] = prefix;
  auto [end, ec] = std::to_chars(buf + 1, buf + sizeof(buf) - 2, n);
  (void)ec;
  *end++ = '\r';
  *end++ = '\n';
  out_->append(buf, static_cast<size_t>(end - buf));
}

void ReplyBuilder::SimpleString(std::string_view s) {
  out_->push_back('+');
  out_->append(s);
  out_->append("\r\n");
}

void ReplyBuilder::Error(std::string_view msg) {
  out_->push_back('-');
  size_t start = out_->size();
  out_->append(msg);
  for (size_t i = start; i < out_->size(); ++i) {
    if ((*out_)[i] == '\r' || (*out_)[i] == '\n') (*out_)[i] = ' ';
  }
  out_->append("\r\n");
}

void ReplyBuilder::Integer(int64_t v) { Header(':', v); }

void ReplyBuilder::Bulk(std::string_view s) {
  Header('$', static_cast<int64_t>(s.size()));
  out_->append(s);
  out_->append("\r\n");
}

void ReplyBuilder::BulkInteger(int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  (void)ec;
  Bulk(std::string_view(buf, static_cast<size_t>(end - buf)));
}

void ReplyBuilder::Null() { Raw(protocol_ >= 3 ? "_\r\n" : "$-1\r\n"); }
void ReplyBuilder::NullArray() { Raw(protocol_ >= 3 ? "_\r\n" : "*-1\r\n"); }
void ReplyBuilder::ArrayHeader(int64_t n) { Header('*', n); }
void ReplyBuilder::MapHeader(int64_t n) {
  if (protocol_ >= 3) {
    Header('%', n);
  } else {
    Header('*', n * 2);
  }
}
void ReplyBuilder::SetHeader(int64_t n) { Header(protocol_ >= 3 ? '~' : '*', n); }
void ReplyBuilder::PushHeader(int64_t n) { Header(protocol_ >= 3 ? '>' : '*', n); }

std::string FormatDouble(double d) {
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  if (std::isnan(d)) return "nan";
  char buf[64];
  int len = std::snprintf(buf, sizeof(buf), "%.17g", d);
  return std::string(buf, static_cast<size_t>(len));
}

void ReplyBuilder::Double(double d) {
  if (protocol_ >= 3) {
    out_->push_back(',');
    out_->append(FormatDouble(d));
    out_->append("\r\n");
  } else {
    Bulk(FormatDouble(d));
  }
}

void ReplyBuilder::Bool(bool b) {
  if (protocol_ >= 3) {
    Raw(b ? "#t\r\n" : "#f\r\n");
  } else {
    Raw(b ? ":1\r\n" : ":0\r\n");
  }
}

void ReplyBuilder::Verbatim(std::string_view s, std::string_view format) {
  if (protocol_ >= 3) {
    Header('=', static_cast<int64_t>(s.size() + 4));
    out_->append(format.substr(0, 3));
    out_->push_back(':');
    out_->append(s);
    out_->append("\r\n");
  } else {
    Bulk(s);
  }
}

void ReplyBuilder::BigNumber(std::string_view digits) {
  if (protocol_ >= 3) {
    out_->push_back('(');
    out_->append(digits);
    out_->append("\r\n");
  } else {
    Bulk(digits);
  }
}

}  // namespace tandem::resp
