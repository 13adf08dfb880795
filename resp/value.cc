#include "resp/value.h"

#include <charconv>

namespace tandem::resp {

namespace {

struct Cursor {
  std::string_view in;
  size_t pos = 0;
  std::string* error;
  const DecoderLimits* limits;
};

// Reads one CRLF-terminated line. Returns false if incomplete.
bool ReadLine(Cursor& c, std::string_view& line) {
  size_t cr = c.in.find("\r\n", c.pos);
  if (cr == std::string_view::npos) return false;
  line = c.in.substr(c.pos, cr - c.pos);
  c.pos = cr + 2;
  return true;
}

bool ParseInt(std::string_view s, int64_t& v) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

DecodeResult DecodeOne(Cursor& c, Value& v, int depth);

DecodeResult DecodeAggregate(Cursor& c, Value& v, int64_t n, int depth) {
  if (n < -1 || n > c.limits->max_elements) {
    *c.error = "invalid aggregate length";
    return DecodeResult::kError;
  }
  if (n == -1) {
    v.type = Type::kNull;
    return DecodeResult::kValue;
  }
  v.elements.clear();
  v.elements.reserve(static_cast<size_t>(std::min<int64_t>(n, 4096)));
  for (int64_t i = 0; i < n; ++i) {
    v.elements.emplace_back();
    DecodeResult r = DecodeOne(c, v.elements.back(), depth + 1);
    if (r != DecodeResult::kValue) return r;
  }
  return DecodeResult::kValue;
}

DecodeResult DecodeOne(Cursor& c, Value& v, int depth) {
  if (depth > c.limits->max_depth) {
    *c.error = "nesting too deep";
    return DecodeResult::kError;
  }
  while (true) {
    std::string_view line;
    if (!ReadLine(c, line)) return DecodeResult::kNeedMore;
    if (line.empty()) {
      *c.error = "empty line";
      return DecodeResult::kError;
    }
    char t = line[0];
    std::string_view body = line.substr(1);
    int64_t n = 0;
    switch (t) {
      case '+':
      case '-':
      case ',':
      case '(':
        v.type = static_cast<Type>(t);
        v.str.assign(body);
        return DecodeResult::kValue;
      case ':':
        v.type = Type::kInteger;
        if (!ParseInt(body, v.integer)) {
          *c.error = "invalid integer";
          return DecodeResult::kError;
        }
        return DecodeResult::kValue;
      case '_':
        v.type = Type::kNull;
        return DecodeResult::kValue;
      case '#':
        if (body != "t" && body != "f") {
          *c.error = "invalid boolean";
          return DecodeResult::kError;
        }
        v.type = Type::kBool;
        v.integer = body == "t";
        return DecodeResult::kValue;
      case '$':
      case '=':
      case '!': {
        if (!ParseInt(body, n) || n < -1 || n > c.limits->max_bulk_len) {
          *c.error = "invalid bulk length";
          return DecodeResult::kError;
        }
        if (n == -1) {
          v.type = Type::kNull;
          return DecodeResult::kValue;
        }
        size_t len = static_cast<size_t>(n);
        if (c.in.size() - c.pos < len + 2) return DecodeResult::kNeedMore;
        if (c.in.substr(c.pos + len, 2) != "\r\n") {
          *c.error = "bulk not terminated by CRLF";
          return DecodeResult::kError;
        }
        v.type = static_cast<Type>(t);
        v.str.assign(c.in.substr(c.pos, len));
        c.pos += len + 2;
        return DecodeResult::kValue;
      }
      case '*':
      case '~':
      case '>':
        if (!ParseInt(body, n)) {
          *c.error = "invalid aggregate length";
          return DecodeResult::kError;
        }
        v.type = static_cast<Type>(t);
        return DecodeAggregate(c, v, n, depth);
      case '%': {
        if (!ParseInt(body, n) || n < 0 || n > c.limits->max_elements / 2) {
          *c.error = "invalid map length";
          return DecodeResult::kError;
        }
        v.type = Type::kMap;
        return DecodeAggregate(c, v, n * 2, depth);
      }
      case '|': {
        // Attributes precede the reply they describe: decode and drop them.
        if (!ParseInt(body, n) || n < 0 || n > c.limits->max_elements / 2) {
          *c.error = "invalid attribute length";
          return DecodeResult::kError;
        }
        Value attr;
        DecodeResult r = DecodeAggregate(c, attr, n * 2, depth);
        if (r != DecodeResult::kValue) return r;
        continue;
      }
      default:
        *c.error = std::string("unknown reply type '") + t + "'";
        return DecodeResult::kError;
    }
  }
}

}  // namespace

DecodeResult Decode(std::string_view input, Value& out, size_t& consumed, std::string& error,
                    const DecoderLimits& limits) {
  Cursor c{input, 0, &error, &limits};
  out = Value{};
  DecodeResult r = DecodeOne(c, out, 0);
  if (r == DecodeResult::kValue) consumed = c.pos;
  return r;
}

void EncodeCommand(std::span<const std::string_view> args, std::string& out) {
  // On the write path of every propagated command (AOF, replication): no temporaries.
  char num[24];
  auto header = [&](char prefix, size_t n) {
    out += prefix;
    auto r = std::to_chars(num, num + sizeof(num), n);
    out.append(num, r.ptr);
    out += "\r\n";
  };
  size_t total = 16;
  for (std::string_view a : args) total += a.size() + 16;
  out.reserve(out.size() + total);
  header('*', args.size());
  for (std::string_view a : args) {
    header('$', a.size());
    out.append(a);
    out += "\r\n";
  }
}

}  // namespace tandem::resp

#include "resp/reply_builder.h"

namespace tandem::resp {

void WriteValue(const Value& v, ReplyBuilder& out) {
  auto children = [&] {
    for (const Value& e : v.elements) WriteValue(e, out);
  };
  switch (v.type) {
    case Type::kSimpleString:
      out.SimpleString(v.str);
      break;
    case Type::kError:
    case Type::kBlobError:
      out.Error(v.str);
      break;
    case Type::kInteger:
      out.Integer(v.integer);
      break;
    case Type::kBulk:
      out.Bulk(v.str);
      break;
    case Type::kNull:
      out.Null();
      break;
    case Type::kDouble: {
      if (out.protocol() >= 3) {
        out.Raw(",");
        out.Raw(v.str);
        out.Raw("\r\n");
      } else {
        out.Bulk(v.str);
      }
      break;
    }
    case Type::kBool:
      out.Bool(v.integer != 0);
      break;
    case Type::kBigNumber:
      out.BigNumber(v.str);
      break;
    case Type::kVerbatim:
      out.Verbatim(v.str.size() >= 4 ? std::string_view(v.str).substr(4) : v.str,
                   std::string_view(v.str).substr(0, 3));
      break;
    case Type::kArray:
      out.ArrayHeader(static_cast<int64_t>(v.elements.size()));
      children();
      break;
    case Type::kSet:
      out.SetHeader(static_cast<int64_t>(v.elements.size()));
      children();
      break;
    case Type::kPush:
      out.PushHeader(static_cast<int64_t>(v.elements.size()));
      children();
      break;
    case Type::kMap:
    case Type::kAttribute:
      out.MapHeader(static_cast<int64_t>(v.elements.size() / 2));
      children();
      break;
  }
}

}  // namespace tandem::resp
