#include "storage/aof_rewrite.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <string_view>

#include "storage/file_io.h"
#include "storage/hash.h"
#include "storage/list.h"
#include "storage/set.h"
#include "storage/zset.h"

namespace tandem::storage::aof {

namespace {

// RESP multibulk output, buffered in front of the sink. The first sink error is latched; later
// writes are dropped and Flush() reports it.
class CommandWriter {
 public:
  explicit CommandWriter(rdb::Sink& sink) : sink_(sink) {}

  void Count(size_t n) {
    fmt::format_to(std::back_inserter(buf_), "*{}\r\n", n);
    MaybeFlush();
  }
  void Bulk(std::string_view s) {
    fmt::format_to(std::back_inserter(buf_), "${}\r\n", s.size());
    buf_.append(s);
    buf_ += "\r\n";
    MaybeFlush();
  }
  void Raw(std::string_view s) {
    buf_.append(s);
    MaybeFlush();
  }
  bool Flush() {
    if (ok_ && !buf_.empty()) ok_ = sink_.Write(buf_.data(), buf_.size());
    buf_.clear();
    return ok_;
  }
  bool ok() const { return ok_; }

 private:
  static constexpr size_t kFlushBytes = 64 * 1024;
  void MaybeFlush() {
    if (buf_.size() >= kFlushBytes) Flush();
  }

  rdb::Sink& sink_;
  std::string buf_;
  bool ok_ = true;
};

// rewriteListObject & co.: `items` elements, each `width` arguments, in commands of at most
// kRewriteItemsPerCmd elements: `*<2 + n * width>`, the command name, the key, the elements.
// `for_each` must call its argument exactly `items` times, with `width` string_views each.
template <typename ForEachFn>
void WriteBatched(CommandWriter& w, std::string_view name, std::string_view key, size_t items,
                  size_t width, ForEachFn&& for_each) {
  size_t in_cmd = 0;  // elements written in the current command
  size_t left = items;
  for_each([&](auto... args) {
    if (in_cmd == 0) {
      w.Count(2 + std::min(left, kRewriteItemsPerCmd) * width);
      w.Bulk(name);
      w.Bulk(key);
    }
    (w.Bulk(args), ...);
    if (++in_cmd == kRewriteItemsPerCmd) in_cmd = 0;
    --left;
  });
}

// The commands for one key of `db`; false for a type with no command form.
bool WriteKey(CommandWriter& w, const Db& db, const Entry& e) {
  const Value& v = e.value;
  switch (v.type) {
    case ObjType::kString:
      w.Count(3);
      w.Bulk("SET");
      w.Bulk(e.key());
      w.Bulk(v.str());
      break;
    case ObjType::kList: {
      const ListObject& l = v.As<ListObject>();
      WriteBatched(w, "RPUSH", e.key(), l.size(), 1, [&](auto&& emit) {
        for (const ListItem& item : l.items()) emit(item.view());
      });
      break;
    }
    case ObjType::kSet: {
      const SetObject& s = v.As<SetObject>();
      WriteBatched(w, "SADD", e.key(), s.size(), 1,
                   [&](auto&& emit) { s.ForEach([&](std::string_view m) { emit(m); }); });
      break;
    }
    case ObjType::kZSet: {
      const ZSet z = ZSet::Read(v);
      WriteBatched(w, "ZADD", e.key(), z.size(), 2, [&](auto&& emit) {
        z.ForEach([&](std::string_view m, double score) {
          const std::string s = FormatScore(score);
          emit(std::string_view(s), m);
        });
      });
      break;
    }
    case ObjType::kHash: {
      const HashView h(v);
      WriteBatched(w, "HMSET", e.key(), h.size(), 2, [&](auto&& emit) {
        h.ForEach([&](std::string_view f, std::string_view val) { emit(f, val); });
      });
      break;
    }
    case ObjType::kStream:
      return false;
  }
  if (db.HasExpire(&e)) {
    w.Count(3);
    w.Bulk("PEXPIREAT");
    w.Bulk(e.key());
    w.Bulk(std::to_string(db.ExpireOf(&e)));
  }
  return true;
}

}  // namespace

std::expected<void, std::string> WriteCommands(Keyspace& ks, const RewriteOptions& opt,
                                               rdb::Sink& sink) {
  CommandWriter w(sink);
  std::string error;
  for (int i = 0; i < ks.databases() && error.empty() && w.ok(); ++i) {
    Db& db = ks.db(i);
    if (db.size() == 0) continue;
    w.Count(2);
    w.Bulk("SELECT");
    w.Bulk(std::to_string(i));
    db.ForEach([&](Entry* e) {
      if (!error.empty() || !w.ok()) return;
      if (!WriteKey(w, db, *e)) {
        error = fmt::format("can't rewrite key '{}': {} values are not supported", e->key(),
                            TypeName(e->value.type));
      }
    });
  }
  if (!error.empty()) return std::unexpected(error);
  if (!opt.end_annotation.empty()) w.Raw(fmt::format("#{}\r\n", opt.end_annotation));
  if (!w.Flush()) return std::unexpected("write error");
  return {};
}

std::expected<void, std::string> WriteCommandsToFile(Keyspace& ks, const RewriteOptions& opt,
                                                     const std::string& path) {
  return rdb::WriteFileAtomically(
      path, {"aof", "temp AOF file", "writing the AOF base", "temp AOF file"}, opt.autosync_bytes,
      [&](rdb::FileSink& sink) { return WriteCommands(ks, opt, sink); });
}

}  // namespace tandem::storage::aof
